//! The element type of an optimizer under test: `f64`, `f32`, `half::bf16` or `half::f16`, each
//! tied to the [`Format`] the kit judges it in.
//!
//! The kit hands an adapter parameters and gradients of its own element type and reads its results
//! back as that type; everything the oracle computes stays exact. An [`Element`] says which
//! [`Format`] its values belong to (so that the kit picks that format's fixtures, kernel models
//! and envelope) and converts to and from the format's bit patterns and, exactly, to `f64` (every
//! binary32, bfloat16 and binary16 number is a binary64 number: their precisions 24, 8, 11 and
//! exponent ranges lie inside binary64's, IEEE 754-2008 Table 3.5).
//!
//! The trait is sealed: the four formats of [`Format`] are the ones the oracle has rounding models
//! for, and a conversion that lost a bit would make every verdict meaningless. `half`'s types are
//! the ones candle, burn and dfdx store their 16-bit tensors in.

use std::fmt;

use crate::arith::format::{Format, Subnormals};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f64 {}
    impl Sealed for f32 {}
    impl Sealed for half::bf16 {}
    impl Sealed for half::f16 {}
}

/// A number type an optimizer under test stores its parameters, gradients and state in.
///
/// Implemented for `f64` (binary64), `f32` (binary32), `half::bf16` (bfloat16) and `half::f16`
/// (binary16); [`Element::FORMAT`] maps each to the crate's [`Format`].
pub trait Element: sealed::Sealed + Copy + PartialEq + fmt::Debug + 'static {
    /// The format its values are numbers of.
    const FORMAT: Format;

    /// The value whose encoding is the low [`Format::bits`] bits of `bits`.
    fn from_bits(bits: u64) -> Self;

    /// Its encoding in [`Element::FORMAT`].
    fn to_bits(self) -> u64;

    /// Its value as `f64`: exact, since every number of the four formats is a binary64 number.
    fn to_f64(self) -> f64;

    /// The element equal to `x`, if `x` is a number of [`Element::FORMAT`] (±0, ±∞ and NaN
    /// included); `None` when the format cannot hold `x` exactly: the kit never rounds an input
    /// behind the adapter's back.
    fn exactly(x: f64) -> Option<Self> {
        if x.is_nan() {
            return Some(Self::from_bits(crate::optim::kernel::arith::quiet_nan(
                Self::FORMAT,
            )));
        }
        let format = Self::FORMAT;
        let rounded = match rug::Rational::from_f64(x) {
            None => crate::arith::format::Rounded::Infinite { negative: x < 0.0 },
            Some(q) if q == 0 => crate::arith::format::Rounded::Zero {
                negative: x.is_sign_negative(),
            },
            Some(q) => {
                let r = format.round(&q, Subnormals::Gradual);
                if r.value() != Some(q) {
                    return None;
                }
                r
            }
        };
        format.to_bits(&rounded).ok().map(Self::from_bits)
    }
}

impl Element for f64 {
    const FORMAT: Format = Format::Binary64;
    fn from_bits(bits: u64) -> Self {
        f64::from_bits(bits)
    }
    fn to_bits(self) -> u64 {
        f64::to_bits(self)
    }
    fn to_f64(self) -> f64 {
        self
    }
}

impl Element for f32 {
    const FORMAT: Format = Format::Binary32;
    fn from_bits(bits: u64) -> Self {
        f32::from_bits(bits as u32)
    }
    fn to_bits(self) -> u64 {
        u64::from(f32::to_bits(self))
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Element for half::bf16 {
    const FORMAT: Format = Format::Bfloat16;
    fn from_bits(bits: u64) -> Self {
        half::bf16::from_bits(bits as u16)
    }
    fn to_bits(self) -> u64 {
        u64::from(half::bf16::to_bits(self))
    }
    fn to_f64(self) -> f64 {
        half::bf16::to_f64(self)
    }
}

impl Element for half::f16 {
    const FORMAT: Format = Format::Binary16;
    fn from_bits(bits: u64) -> Self {
        half::f16::from_bits(bits as u16)
    }
    fn to_bits(self) -> u64 {
        u64::from(half::f16::to_bits(self))
    }
    fn to_f64(self) -> f64 {
        half::f16::to_f64(self)
    }
}

/// The Rust type whose [`Element::FORMAT`] is `format` (the other direction of the map), for
/// messages: `f64`, `f32`, `half::bf16`, `half::f16`.
pub fn element_type_name(format: Format) -> &'static str {
    match format {
        Format::Binary64 => "f64",
        Format::Binary32 => "f32",
        Format::Bfloat16 => "half::bf16",
        Format::Binary16 => "half::f16",
    }
}
