//! The arithmetics a kernel model runs in: one trait, four implementations.
//!
//! A kernel model ([`super::Model`]) is written once as a sequence of elementwise operations on
//! values of a *working* format W (binary32 for every low-precision model: PyTorch's opmath type
//! and XLA's; binary64 for binary64 models), with explicit rounding to a *storage* format S where
//! the kernel stores. The same code runs in
//!
//! * [`Exact`]: exact rationals rounded explicitly by [`Format::round`] after every operation,
//!   with IEEE 754-2008 signed zeros (§6.3), infinities and NaN (§7.2), and optionally x86
//!   flush-to-zero of results and denormals-are-zero of operands (Intel SDM Vol. 1 §10.2.3.3–4);
//! * [`NativeF32`] / [`NativeF64`]: the hardware's `f32`/`f64` (`mul_add` is IEEE fusedMultiplyAdd)
//!   and `half`'s conversions to bf16/f16 from binary32 (a double reaches them rounded to odd in
//!   binary32: `half`'s own `from_f64` is not correctly rounded); [`NativeF32`] emulates FTZ+DAZ
//!   exactly;
//! * [`Real`]: exact rationals without any rounding — the exact trace;
//! * [`Bound`]: magnitudes and error bounds — the envelope ([`super::envelope`]).
//!
//! The property suite (`tests/it/kernels.rs`) checks [`Exact`] against the native types bit for
//! bit, so a model's exact trace and a native program agree by test, not by assumption.

use std::fmt::Debug;

use rug::Rational;

use crate::arith::format::{Decoded, Format, Rounded, Subnormals};
use crate::error::{Error, Result};

/// Elementwise arithmetic in a working format.
pub trait KernelArith {
    /// A value.
    type V: Clone + Debug;
    /// The value stored in `bits` of `format` (a format no wider than the working one).
    fn input(&self, bits: u64, format: Format) -> Self::V;
    /// A hyper-parameter: the double `x` rounded through `chain` in order (`[Binary32, Bfloat16]`
    /// is c10's `BFloat16(float(x))`), then held in the working format.
    fn konst(&self, x: f64, chain: &[Format]) -> Self::V;
    /// `1 − τ` as a hyper-parameter: `rounded` (the double `1 − τ`, as Python computes it)
    /// through `chain`; [`Real`] takes the exact `1 − τ` instead.
    fn complement(&self, tau: f64, rounded: f64, chain: &[Format]) -> Self::V {
        let _ = tau;
        self.konst(rounded, chain)
    }
    /// `+0`.
    fn zero(&self) -> Self::V;
    /// `−a` (a sign-bit operation).
    fn neg(&self, a: &Self::V) -> Self::V;
    /// `a·b`, rounded once.
    fn mul(&self, a: &Self::V, b: &Self::V) -> Self::V;
    /// `a + b`, rounded once.
    fn add(&self, a: &Self::V, b: &Self::V) -> Self::V;
    /// `a·b + c`, rounded once (IEEE 754-2008 fusedMultiplyAdd).
    fn fma(&self, a: &Self::V, b: &Self::V, c: &Self::V) -> Self::V;
    /// `a` rounded to `format` (no narrower than... any format: a store or a conversion).
    fn round_to(&self, a: &Self::V, format: Format) -> Self::V;
}

/// An arithmetic whose values are stored numbers, so they have bit patterns.
pub trait Stored: KernelArith {
    /// The bits of `a` in `format`; NaN as the format's canonical quiet NaN.
    ///
    /// # Errors
    /// [`Error::Unsupported`] if `a` is not a number of `format` (round it first).
    fn bits(&self, a: &Self::V, format: Format) -> Result<u64>;
}

/// The canonical quiet NaN of `format`: exponent all ones, the top trailing-significand bit set.
pub fn quiet_nan(format: Format) -> u64 {
    let p = format.precision();
    let all_ones = (1u64 << format.exponent_field_bits()) - 1;
    all_ones << (p - 1) | 1u64 << (p - 2)
}

// ---------------------------------------------------------------------------------------------
// Exact, with explicit rounding
// ---------------------------------------------------------------------------------------------

/// Exact rationals rounded to the working format after every operation (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exact {
    /// The working format W.
    pub work: Format,
    /// x86 FTZ (results tiny after rounding become signed zeros) and DAZ (subnormal operands read
    /// as signed zeros), as XLA:CPU sets them for every computation.
    pub ftz: bool,
}

impl Exact {
    fn subnormals(&self) -> Subnormals {
        if self.ftz {
            Subnormals::FlushToZero
        } else {
            Subnormals::Gradual
        }
    }

    fn operand(&self, x: &Decoded) -> Decoded {
        match x {
            Decoded::Number(r) if self.ftz => Decoded::Number(self.work.flush_input(r)),
            other => other.clone(),
        }
    }

    fn round(&self, q: Rational) -> Decoded {
        Decoded::Number(self.work.round(&q, self.subnormals()))
    }

    /// `p + c` where `p` is an exact product (with the sign of a zero product) and `c` a
    /// number: the rounded sum with IEEE's zero rules (§6.3: an exact zero sum of operands of
    /// opposite signs is `+0` under roundTiesToEven; of two zeros of one sign, that sign).
    fn sum(&self, p: &Rounded, c: &Rounded) -> Decoded {
        use Rounded::{Infinite, Zero};
        match (p, c) {
            (Infinite { negative: a }, Infinite { negative: b }) if a != b => Decoded::Nan,
            (Infinite { .. }, _) => Decoded::Number(p.clone()),
            (_, Infinite { .. }) => Decoded::Number(c.clone()),
            (Zero { negative: a }, Zero { negative: b }) => {
                Decoded::Number(Zero { negative: *a && *b })
            }
            _ => {
                let q = Rational::from(value(p) + value(c));
                if q == 0 {
                    Decoded::Number(Zero { negative: false })
                } else {
                    self.round(q)
                }
            }
        }
    }
}

fn value(r: &Rounded) -> Rational {
    r.value().unwrap_or_default()
}

/// The exact product of two numbers, infinities and zeros signed; `None` for `∞·0` (NaN).
fn product(a: &Rounded, b: &Rounded) -> Option<Rounded> {
    use Rounded::{Finite, Infinite, Zero};
    let negative = a.is_negative() != b.is_negative();
    match (a, b) {
        (Infinite { .. }, Zero { .. }) | (Zero { .. }, Infinite { .. }) => None,
        (Infinite { .. }, _) | (_, Infinite { .. }) => Some(Infinite { negative }),
        (Zero { .. }, _) | (_, Zero { .. }) => Some(Zero { negative }),
        (Finite(x), Finite(y)) => Some(Finite(Rational::from(x * y))),
    }
}

impl KernelArith for Exact {
    type V = Decoded;

    fn input(&self, bits: u64, format: Format) -> Decoded {
        format.from_bits(bits).unwrap_or(Decoded::Nan)
    }
    fn konst(&self, x: f64, chain: &[Format]) -> Decoded {
        let mut r = match Rational::from_f64(x) {
            Some(q) if q == 0 => Rounded::Zero {
                negative: x.is_sign_negative(),
            },
            Some(q) => Rounded::Finite(q),
            // An infinite double converts to an infinity of its sign, not to NaN (§5.4.2).
            None if x.is_infinite() => Rounded::Infinite {
                negative: x.is_sign_negative(),
            },
            None => return Decoded::Nan,
        };
        for f in chain.iter().chain([&self.work]) {
            r = round_rounded(&r, *f);
        }
        Decoded::Number(r)
    }
    fn zero(&self) -> Decoded {
        Decoded::Number(Rounded::Zero { negative: false })
    }
    fn neg(&self, a: &Decoded) -> Decoded {
        match a {
            Decoded::Number(r) => Decoded::Number(r.negate()),
            Decoded::Nan => Decoded::Nan,
        }
    }
    fn mul(&self, a: &Decoded, b: &Decoded) -> Decoded {
        let (Decoded::Number(a), Decoded::Number(b)) = (self.operand(a), self.operand(b)) else {
            return Decoded::Nan;
        };
        match product(&a, &b) {
            None => Decoded::Nan,
            Some(Rounded::Finite(q)) => self.round(q),
            Some(other) => Decoded::Number(other),
        }
    }
    fn add(&self, a: &Decoded, b: &Decoded) -> Decoded {
        let (Decoded::Number(a), Decoded::Number(b)) = (self.operand(a), self.operand(b)) else {
            return Decoded::Nan;
        };
        self.sum(&a, &b)
    }
    fn fma(&self, a: &Decoded, b: &Decoded, c: &Decoded) -> Decoded {
        let (Decoded::Number(a), Decoded::Number(b), Decoded::Number(c)) =
            (self.operand(a), self.operand(b), self.operand(c))
        else {
            return Decoded::Nan;
        };
        match product(&a, &b) {
            None => Decoded::Nan,
            Some(p) => self.sum(&p, &c),
        }
    }
    fn round_to(&self, a: &Decoded, format: Format) -> Decoded {
        match a {
            Decoded::Number(r) => Decoded::Number(round_rounded(r, format)),
            Decoded::Nan => Decoded::Nan,
        }
    }
}

/// `r` rounded to `format` with gradual underflow; zeros and infinities keep their sign (a
/// conversion, IEEE 754-2008 §5.4.2).
fn round_rounded(r: &Rounded, format: Format) -> Rounded {
    match r {
        Rounded::Finite(q) => format.round(q, Subnormals::Gradual),
        other => other.clone(),
    }
}

impl Stored for Exact {
    fn bits(&self, a: &Decoded, format: Format) -> Result<u64> {
        match a {
            Decoded::Nan => Ok(quiet_nan(format)),
            Decoded::Number(r) => format.to_bits(r),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Native
// ---------------------------------------------------------------------------------------------

/// The hardware's `f32` (working format binary32), with bf16/f16 storage through `half`.
///
/// With `ftz`, results that x86 would flush (tiny *after* rounding to 24 bits with an unbounded
/// exponent, the rule of [`crate::arith::format`]) become signed zeros and subnormal operands
/// read as signed zeros. The tininess test uses the exact result as an unevaluated sum `hi + lo`
/// of two doubles: a product of two f32 is exact in f64, and TwoSum (Knuth, TAOCP vol. 2,
/// §4.2.2, Thm B) makes `p + c` exact as `hi + lo`, so the test is exact, not a guess.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NativeF32 {
    /// FTZ + DAZ.
    pub ftz: bool,
}

/// Knuth's TwoSum: `hi = fl(a + b)` and `hi + lo = a + b` exactly.
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let hi = a + b;
    let bb = hi - a;
    let lo = (a - (hi - bb)) + (b - bb);
    (hi, lo)
}

impl NativeF32 {
    fn daz(&self, x: f32) -> f32 {
        if self.ftz && x != 0.0 && x.abs() < f32::MIN_POSITIVE {
            0.0f32.copysign(x)
        } else {
            x
        }
    }
    /// `r`, the gradual result of an operation whose exact value is `hi + lo`, flushed if tiny.
    fn ftz_result(&self, r: f32, hi: f64, lo: f64) -> f32 {
        if !self.ftz || hi == 0.0 {
            return r;
        }
        // 2^−126·(1 − 2^−25): below it, rounding to 24 bits stays below 2^−126 (format.rs).
        let threshold = f64::from(f32::MIN_POSITIVE) * (1.0 - 2f64.powi(-25));
        let tiny = hi.abs() < threshold || (hi.abs() == threshold && lo * hi.signum() < 0.0);
        if tiny { 0.0f32.copysign(hi as f32) } else { r }
    }
}

fn f32_of(bits: u64, format: Format) -> f32 {
    match format {
        Format::Binary32 => f32::from_bits(bits as u32),
        Format::Bfloat16 => half::bf16::from_bits(bits as u16).to_f32(),
        Format::Binary16 => half::f16::from_bits(bits as u16).to_f32(),
        Format::Binary64 => f64::from_bits(bits) as f32,
    }
}

/// The double `x` rounded through `chain` (each conversion correctly rounded by `half` or the
/// `as` cast, which Rust defines as round-to-nearest-even).
fn chain_f64(x: f64, chain: &[Format]) -> f64 {
    chain.iter().fold(x, |y, f| match f {
        Format::Binary64 => y,
        Format::Binary32 => f64::from(y as f32),
        // Not `half::{bf16, f16}::from_f64`: they drop the double's low 32 bits before rounding
        // (half 2.7.1, src/bfloat/convert.rs `f64_to_bf16`, src/binary16/arch.rs
        // `f64_to_f16_fallback`), so a value just above a tie rounds as the tie, to even.
        // Round to odd in binary32, then to nearest: binary32 has more than p + 2 bits for both
        // formats, in their subnormal ranges too, so the second rounding is the correct one
        // (Boldo & Melquiond, "Emulation of FMA and correctly rounded sums: proved algorithms
        // using rounding to odd", IEEE Trans. Computers 57(4), 2008, Theorem 1).
        Format::Bfloat16 => half::bf16::from_f32(f32_round_to_odd(y)).to_f64(),
        Format::Binary16 => half::f16::from_f32(f32_round_to_odd(y)).to_f64(),
    })
}

/// `x` rounded to binary32 toward zero, with the last bit set if that was inexact (round to
/// odd); NaN, infinities and values beyond binary32's range as `as f32` takes them.
fn f32_round_to_odd(x: f64) -> f32 {
    let t = x as f32;
    if !t.is_finite() || f64::from(t) == x {
        return t;
    }
    // `as f32` rounded to nearest; one step toward zero if that was away from zero.
    let t = if f64::from(t).abs() > x.abs() {
        f32::from_bits(t.to_bits() - 1)
    } else {
        t
    };
    f32::from_bits(t.to_bits() | 1)
}

impl KernelArith for NativeF32 {
    type V = f32;
    fn input(&self, bits: u64, format: Format) -> f32 {
        f32_of(bits, format)
    }
    fn konst(&self, x: f64, chain: &[Format]) -> f32 {
        chain_f64(x, chain) as f32
    }
    fn zero(&self) -> f32 {
        0.0
    }
    fn neg(&self, a: &f32) -> f32 {
        -a
    }
    fn mul(&self, a: &f32, b: &f32) -> f32 {
        let (a, b) = (self.daz(*a), self.daz(*b));
        self.ftz_result(a * b, f64::from(a) * f64::from(b), 0.0)
    }
    fn add(&self, a: &f32, b: &f32) -> f32 {
        let (a, b) = (self.daz(*a), self.daz(*b));
        let (hi, lo) = two_sum(f64::from(a), f64::from(b));
        self.ftz_result(a + b, hi, lo)
    }
    fn fma(&self, a: &f32, b: &f32, c: &f32) -> f32 {
        let (a, b, c) = (self.daz(*a), self.daz(*b), self.daz(*c));
        let (hi, lo) = two_sum(f64::from(a) * f64::from(b), f64::from(c));
        self.ftz_result(a.mul_add(b, c), hi, lo)
    }
    fn round_to(&self, a: &f32, format: Format) -> f32 {
        match format {
            Format::Binary32 | Format::Binary64 => *a,
            Format::Bfloat16 => half::bf16::from_f32(*a).to_f32(),
            Format::Binary16 => half::f16::from_f32(*a).to_f32(),
        }
    }
}

impl Stored for NativeF32 {
    fn bits(&self, a: &f32, format: Format) -> Result<u64> {
        if a.is_nan() {
            return Ok(quiet_nan(format));
        }
        let bits = match format {
            Format::Binary32 => u64::from(a.to_bits()),
            Format::Bfloat16 => u64::from(half::bf16::from_f32(*a).to_bits()),
            Format::Binary16 => u64::from(half::f16::from_f32(*a).to_bits()),
            Format::Binary64 => f64::from(*a).to_bits(),
        };
        if f64::from(f32_of(bits, format)).to_bits() != f64::from(*a).to_bits() {
            return Err(Error::unsupported(format!("{a} is not a {format} number")));
        }
        Ok(bits)
    }
}

/// The hardware's `f64` (working format binary64), gradual underflow only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct NativeF64;

impl KernelArith for NativeF64 {
    type V = f64;
    fn input(&self, bits: u64, format: Format) -> f64 {
        match format {
            Format::Binary64 => f64::from_bits(bits),
            other => f64::from(f32_of(bits, other)),
        }
    }
    fn konst(&self, x: f64, chain: &[Format]) -> f64 {
        chain_f64(x, chain)
    }
    fn zero(&self) -> f64 {
        0.0
    }
    fn neg(&self, a: &f64) -> f64 {
        -a
    }
    fn mul(&self, a: &f64, b: &f64) -> f64 {
        a * b
    }
    fn add(&self, a: &f64, b: &f64) -> f64 {
        a + b
    }
    fn fma(&self, a: &f64, b: &f64, c: &f64) -> f64 {
        a.mul_add(*b, *c)
    }
    fn round_to(&self, a: &f64, format: Format) -> f64 {
        chain_f64(*a, &[format])
    }
}

impl Stored for NativeF64 {
    fn bits(&self, a: &f64, format: Format) -> Result<u64> {
        if a.is_nan() {
            return Ok(quiet_nan(format));
        }
        let bits = match format {
            Format::Binary64 => return Ok(a.to_bits()),
            Format::Binary32 => u64::from((*a as f32).to_bits()),
            // `from_f64` is exact on a number of the format, and anything else is refused below,
            // so its incorrect rounding (see `chain_f64`) cannot reach a stored value.
            Format::Bfloat16 => u64::from(half::bf16::from_f64(*a).to_bits()),
            Format::Binary16 => u64::from(half::f16::from_f64(*a).to_bits()),
        };
        if f64::from(f32_of(bits, format)).to_bits() != a.to_bits() {
            return Err(Error::unsupported(format!("{a} is not a {format} number")));
        }
        Ok(bits)
    }
}

// ---------------------------------------------------------------------------------------------
// Exact without rounding, and the envelope's bounds
// ---------------------------------------------------------------------------------------------

/// Exact rationals, nothing rounded, hyper-parameters at their double values: the exact trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Real;

impl KernelArith for Real {
    type V = Rational;
    fn input(&self, bits: u64, format: Format) -> Rational {
        format.exact_of_bits(bits).unwrap_or_default()
    }
    fn konst(&self, x: f64, _chain: &[Format]) -> Rational {
        Rational::from_f64(x).unwrap_or_default()
    }
    fn complement(&self, tau: f64, _rounded: f64, _chain: &[Format]) -> Rational {
        Rational::from(1) - Rational::from_f64(tau).unwrap_or_default()
    }
    fn zero(&self) -> Rational {
        Rational::new()
    }
    fn neg(&self, a: &Rational) -> Rational {
        Rational::from(-a)
    }
    fn mul(&self, a: &Rational, b: &Rational) -> Rational {
        Rational::from(a * b)
    }
    fn add(&self, a: &Rational, b: &Rational) -> Rational {
        Rational::from(a + b)
    }
    fn fma(&self, a: &Rational, b: &Rational, c: &Rational) -> Rational {
        Rational::from(a * b) + c
    }
    fn round_to(&self, a: &Rational, _format: Format) -> Rational {
        a.clone()
    }
}

/// A magnitude `m` (the exact expression with every input and constant replaced by its absolute
/// value) and an error bound `e` on `|computed − exact|`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// Magnitude.
    pub m: Rational,
    /// Error bound.
    pub e: Rational,
}

/// The envelope's arithmetic for storage format S: every operation, fused or not, is charged
/// `2·(u·(m + e) + 2^emin)` with `u = 2^−p` of S on top of the propagated errors; every
/// hyper-parameter enters with error `2u·|x|` (a conversion to binary32 and then to S); every
/// input with `2^emin` (DAZ). Storing charges nothing more (the factor 2 is one rounding in the
/// working format and one to storage, `u_W ≤ u_S`). See [`super::envelope`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bound {
    u: Rational,
    eta: Rational,
}

impl Bound {
    /// The envelope arithmetic of storage format `storage`.
    pub fn new(storage: Format) -> Self {
        Bound {
            u: storage.unit_roundoff(),
            eta: storage.smallest_normal(),
        }
    }
    fn charge(&self, m: Rational, e: Rational) -> Bounds {
        let extra = Rational::from(&self.u * Rational::from(&m + &e)) + &self.eta;
        Bounds {
            e: e + Rational::from(extra * 2u32),
            m,
        }
    }
    fn product_error(a: &Bounds, b: &Bounds) -> Rational {
        // |âb̂ − ab| ≤ |â||b̂ − b| + |b||â − a| ≤ (m_a + e_a)e_b + m_b e_a.
        Rational::from(&a.m + &a.e) * &b.e + Rational::from(&b.m * &a.e)
    }
}

impl KernelArith for Bound {
    type V = Bounds;
    fn input(&self, bits: u64, format: Format) -> Bounds {
        let x = format.exact_of_bits(bits).unwrap_or_default();
        Bounds {
            m: x.abs(),
            e: self.eta.clone(),
        }
    }
    fn konst(&self, x: f64, _chain: &[Format]) -> Bounds {
        let m = Rational::from_f64(x).unwrap_or_default().abs();
        Bounds {
            e: Rational::from(&self.u * &m) * 2u32,
            m,
        }
    }
    fn zero(&self) -> Bounds {
        Bounds {
            m: Rational::new(),
            e: Rational::new(),
        }
    }
    fn neg(&self, a: &Bounds) -> Bounds {
        a.clone()
    }
    fn mul(&self, a: &Bounds, b: &Bounds) -> Bounds {
        self.charge(Rational::from(&a.m * &b.m), Self::product_error(a, b))
    }
    fn add(&self, a: &Bounds, b: &Bounds) -> Bounds {
        self.charge(Rational::from(&a.m + &b.m), Rational::from(&a.e + &b.e))
    }
    fn fma(&self, a: &Bounds, b: &Bounds, c: &Bounds) -> Bounds {
        self.charge(
            Rational::from(&a.m * &b.m) + &c.m,
            Self::product_error(a, b) + &c.e,
        )
    }
    fn round_to(&self, a: &Bounds, _format: Format) -> Bounds {
        a.clone()
    }
}
