//! Binary64 with flush-to-zero and denormals-are-zero, the arithmetic XLA runs on CPU.
//!
//! XLA's CPU backend sets the x86 MXCSR FTZ and DAZ bits for its kernels, eagerly as well as
//! jitted (docs/research/frameworks.md): a subnormal operand is read as zero, and a result whose
//! magnitude after rounding (to 53 bits, exponent unbounded: IEEE 754-2008 §7.5 tininess after
//! rounding, as SSE detects it) is below 2⁻¹⁰²² becomes a zero of the same sign. [`Ftz`] is that
//! arithmetic as a [`Number`], so that the crate's own f64 programs (naive and fused) run under it
//! unchanged and a trace from such a machine can be matched bit for bit.
//!
//! Every operation is the native one, then, only when the native result is tiny or equal to
//! 2⁻¹⁰²² (where gradual underflow and tininess after rounding can disagree), recomputed exactly
//! in ℚ and rounded by [`Format::round`] with [`Subnormals::FlushToZero`]. A value of this type
//! is never subnormal, so operands need no flushing (DAZ holds by construction; conversions from
//! ℚ and from `f64` flush).

use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use rug::Rational;

use crate::arith::format::{Format, Rounded, Subnormals};
use crate::arith::linalg::check_len;
use crate::arith::linalg::{Matrix, QMat};
use crate::arith::scalar::Written;
use crate::arith::{Number, Rounding, rational_to_f64};

/// A binary64 value under flush-to-zero arithmetic; never subnormal. See the
/// [module documentation](self).
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd)]
pub struct Ftz(f64);

impl Ftz {
    /// `x`, with a subnormal flushed to a zero of its sign (denormals-are-zero).
    pub fn new(x: f64) -> Self {
        if x != 0.0 && x.abs() < f64::MIN_POSITIVE {
            Ftz(0.0f64.copysign(x))
        } else {
            Ftz(x)
        }
    }

    /// The value.
    pub fn value(self) -> f64 {
        self.0
    }

    /// The flush-to-zero result of an operation whose native (gradual-underflow) result is
    /// `native` and whose exact result is `exact()` (called only near the underflow threshold).
    fn finish(native: f64, exact: impl FnOnce() -> Rational) -> Self {
        if native == 0.0 || !native.is_finite() || native.abs() > f64::MIN_POSITIVE {
            // Not tiny: the native result is the FTZ result (a native zero is the exact result
            // rounded, or an underflow that FTZ flushes to the same signed zero).
            return Ftz(native);
        }
        match Format::Binary64.round(&exact(), Subnormals::FlushToZero) {
            Rounded::Zero { negative } => Ftz(if negative { -0.0 } else { 0.0 }),
            Rounded::Finite(q) => Ftz(rational_to_f64(&q)),
            // Unreachable from a result of magnitude at most 2⁻¹⁰²², but total.
            Rounded::Infinite { negative } => Ftz(if negative {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }),
        }
    }

    fn q(self) -> Rational {
        Rational::from_f64(self.0).unwrap_or_default()
    }
}

macro_rules! binary {
    ($tr:ident, $f:ident, $tra:ident, $fa:ident, $op:tt) => {
        impl<'a> $tr<&'a Ftz> for Ftz {
            type Output = Ftz;
            fn $f(self, rhs: &'a Ftz) -> Ftz {
                Ftz::finish(self.0 $op rhs.0, || self.q() $op rhs.q())
            }
        }
        impl<'a> $tra<&'a Ftz> for Ftz {
            fn $fa(&mut self, rhs: &'a Ftz) {
                *self = *self $op rhs;
            }
        }
    };
}

binary!(Add, add, AddAssign, add_assign, +);
binary!(Sub, sub, SubAssign, sub_assign, -);
binary!(Mul, mul, MulAssign, mul_assign, *);

impl<'a> Div<&'a Ftz> for Ftz {
    type Output = Ftz;
    fn div(self, rhs: &'a Ftz) -> Ftz {
        // A zero divisor gives ±∞ or NaN natively, never a tiny result: `q()` of it is not used.
        Ftz::finish(self.0 / rhs.0, || self.q() / rhs.q())
    }
}

impl<'a> DivAssign<&'a Ftz> for Ftz {
    fn div_assign(&mut self, rhs: &'a Ftz) {
        *self = *self / rhs;
    }
}

impl Neg for Ftz {
    type Output = Ftz;
    fn neg(self) -> Ftz {
        Ftz(-self.0)
    }
}

impl Number for Ftz {
    type Vector = Vec<Ftz>;
    type Matrix = FtzMat;
    const EXACT: bool = false;

    fn arithmetic_name() -> String {
        "f64-ftz".into()
    }
    fn from_rational(q: &Rational) -> Self {
        Ftz::finish(rational_to_f64(q), || q.clone())
    }
    fn to_rational(&self) -> Option<Rational> {
        Rational::from_f64(self.0)
    }
    fn rounding_precision() -> Option<u32> {
        Some(53)
    }
    fn from_float(x: &rug::Float) -> Option<Self> {
        // Ftz::finish's first branch: a native result that is not tiny is the FTZ result; a tiny
        // one needs the exact value (flush or keep), so the caller falls back to it.
        let native = <f64 as Number>::from_float(x)?;
        (native == 0.0 || !native.is_finite() || native.abs() > f64::MIN_POSITIVE)
            .then_some(Ftz(native))
    }
    fn to_f64(&self) -> f64 {
        self.0
    }
    fn mul_add(&self, b: &Self, c: &Self, rounding: Rounding) -> Self {
        match rounding {
            Rounding::Naive => *self * b + c,
            Rounding::Fused => {
                Ftz::finish(f64::mul_add(self.0, b.0, c.0), || self.q() * b.q() + c.q())
            }
        }
    }
    fn sqrt(&self) -> Option<Self> {
        // The square root of a normal number is normal.
        (self.0 >= 0.0).then(|| Ftz(f64::sqrt(self.0)))
    }
    fn exp(&self) -> Option<Self> {
        Number::exp(&self.0).map(Ftz::new)
    }
    fn ln(&self) -> Option<Self> {
        Number::ln(&self.0).map(Ftz::new)
    }
    fn cos_pi(q: &Rational) -> Option<Self> {
        <f64 as Number>::cos_pi(q).map(Ftz::new)
    }
    fn is_finite(&self) -> bool {
        self.0.is_finite()
    }
    fn size_bits(&self) -> u64 {
        64
    }
    fn abs(&self) -> Self {
        Ftz(self.0.abs())
    }
    fn written(&self) -> Written {
        Written::Binary64(self.0)
    }
}

crate::arith::linalg::native_vector!(Ftz, 64);

/// A matrix of flush-to-zero binary64 entries, by sparse rows, multiplied in the order
/// `crate::arith::linalg` documents for floating types.
#[derive(Clone, Debug, PartialEq)]
pub struct FtzMat {
    cols: usize,
    rows: Vec<Vec<(usize, Ftz)>>,
}

impl Matrix<Ftz> for FtzMat {
    fn from_exact(m: &QMat) -> Self {
        FtzMat {
            cols: m.cols(),
            rows: (0..m.rows())
                .map(|i| {
                    m.row_entries(i)
                        .map(|(j, q)| (j, Ftz::from_rational(&q)))
                        .collect()
                })
                .collect(),
        }
    }
    fn rows(&self) -> usize {
        self.rows.len()
    }
    fn cols(&self) -> usize {
        self.cols
    }
    fn matvec(&self, x: &Vec<Ftz>) -> Vec<Ftz> {
        check_len(self.cols, x.len());
        self.rows
            .iter()
            .map(|row| {
                let mut s = Ftz(0.0);
                for &(j, a) in row {
                    s += &(a * &x[j]);
                }
                s
            })
            .collect()
    }
}
