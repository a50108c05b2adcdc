//! Binary floating-point formats as rounding targets of exact rationals: binary64, binary32,
//! binary16 and bfloat16, with gradual underflow or flush-to-zero, and their bit encodings.
//!
//! A low-precision run (a bf16 parameter, an f32 learning rate) is only checkable bit for bit if
//! the oracle knows *exactly* which stored number an exact result becomes. This module answers
//! that in ℚ: [`Format::round`] takes a [`Rational`] and returns the value IEEE 754-2008 §4.3.1
//! (roundTiesToEven) delivers, with the subnormals of §3.4, the overflow rule of §7.4 and, for
//! [`Subnormals::FlushToZero`], the x86 flush-to-zero response to underflow (§7.5 tininess, Intel
//! SDM). [`Format::to_bits`] / [`Format::from_bits`] map values to and from the stored bit
//! patterns, keeping the sign of zero, which exact rationals do not have but traces do.
//!
//! # The formats
//!
//! A binary format with precision `p` (significand bits, the hidden bit included) and exponent
//! range `emin = 1 − emax ..= emax` represents `±0`, `±∞`, NaN and the finite numbers
//! `±n·2^(e−p+1)` with `e ∈ [emin, emax]`, `2^(p−1) ≤ n < 2^p` (normal) or `e = emin`,
//! `0 < n < 2^(p−1)` (subnormal) (IEEE 754-2008 §3.3, §3.4, Table 3.5).
//!
//! | format | p | emin | emax | width | source |
//! |---|---|---|---|---|---|
//! | binary64 | 53 | −1022 | 1023 | 64 | IEEE 754-2008 Table 3.5 |
//! | binary32 | 24 | −126 | 127 | 32 | IEEE 754-2008 Table 3.5 |
//! | binary16 | 11 | −14 | 15 | 16 | IEEE 754-2008 Table 3.5 |
//! | bfloat16 | 8 | −126 | 127 | 16 | the upper half of binary32 (Google Brain; TensorFlow `tensorflow/core/lib/bfloat16`, Intel *BFLOAT16 – Hardware Numerics Definition*, 2018) |
//!
//! bfloat16 is not an IEEE interchange format; Intel's definition rounds to nearest even and keeps
//! binary32's subnormals, infinities and NaNs, which is what this module implements (hardware that
//! flushes bf16 subnormals is the [`Subnormals::FlushToZero`] case).
//!
//! # Rounding (roundTiesToEven, IEEE 754-2008 §4.3.1)
//!
//! For `q ≠ 0`, the result is the representable number nearest to `q`; at a tie, the one whose
//! significand `n` is even. Magnitudes at or above `2^emax·(2 − 2^−p)` — the largest finite number
//! plus half its ulp — round to `±∞` (§4.3.1: "an infinitely precise result with magnitude at least
//! `b^emax(b − ½b^(1−p))` shall round to ∞ with no change in sign"); exactly at that point the tie
//! goes to ∞, because the largest finite number has an odd significand. A result that rounds to
//! zero keeps the sign of `q` (§6.3). The rational `0` itself has no sign and becomes `+0`: a
//! caller that knows an exact zero is `−0` (say `−0 · x`) says so with [`Rounded::Zero`].
//!
//! # Flush to zero
//!
//! Flushing is not IEEE behaviour; the rule implemented is x86's (SSE/AVX `MXCSR.FZ`, which
//! PyTorch's `torch.set_flush_denormal(True)` sets). Intel SDM Vol. 1 §11.5.2.5: an underflow is
//! detected when "the magnitude of the rounded result … with unbounded exponent, is less than the
//! smallest possible normalized, finite value", and with FZ set "tiny results are returned as a
//! zero with the sign of the true result" (the response itself: §10.2.3.3). That is IEEE 754-2008
//! §7.5 tininess *after* rounding: `q` is flushed when rounding it to `p` bits with an unbounded
//! exponent range gives a nonzero magnitude below `2^emin`; equivalently (a short derivation: the
//! predecessor of `2^emin` at precision `p` is `2^emin(1 − 2^−p)`, the midpoint is
//! `2^emin(1 − 2^(−p−1))`, and the tie goes to `2^emin`, whose significand is even) when
//!
//! ```text
//! 0 < |q| < 2^emin · (1 − 2^(−p−1)).
//! ```
//!
//! Exact subnormal results are flushed too: §11.5.2.5 returns *tiny* results as zero, without the
//! inexactness condition that signalling a masked underflow has. Note the band
//! `[2^emin − 2^(emin−p), 2^emin(1 − 2^(−p−1)))`: it is flushed although gradual underflow would
//! round it up to the normal `2^emin`. IEEE also allows detecting tininess *before* rounding,
//! which flushes more; hardware doing so is not modelled. Flushing subnormal *inputs* (x86
//! `MXCSR.DAZ`, SDM §10.2.3.4) is [`Format::flush_input`].

use std::cmp::Ordering;
use std::fmt;

use rug::{Integer, Rational};

use crate::arith::linalg::check_len;
use crate::error::{Error, Result};

/// A binary floating-point format that exact results are rounded to.
///
/// One enum rather than a type per format, so that a fixture or a command line can name the
/// format as data (`bf16`) and the same exact code serves all four.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// IEEE 754-2008 binary64 (`f64`): the crate's reference floating type.
    Binary64,
    /// IEEE 754-2008 binary32 (`f32`): PyTorch's "opmath" type for bf16/f16 kernels, Keras's
    /// default floatx.
    Binary32,
    /// IEEE 754-2008 binary16 (`half::f16`): 5 exponent bits, so overflow and underflow are
    /// everyday events.
    Binary16,
    /// bfloat16 (`half::bf16`): binary32's exponent range with an 8-bit significand.
    Bfloat16,
}

/// What happens to results too small to be normal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Subnormals {
    /// IEEE 754-2008 gradual underflow (§3.4): tiny results round to the subnormal grid.
    #[default]
    Gradual,
    /// x86 flush-to-zero: results that are tiny after rounding become zero with the sign of the
    /// exact result (see the [module documentation](self) for the exact rule).
    FlushToZero,
}

/// A number as a format stores it: a nonzero finite value, a signed zero, or a signed infinity.
///
/// Rounding never produces NaN, so NaN is not a case here (it is one of [`Decoded`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Rounded {
    /// A nonzero finite value, exactly. [`Format::round`] never puts zero here; [`Format::to_bits`]
    /// encodes a zero given here as `+0`.
    Finite(Rational),
    /// `±0`: exact rationals have one zero, stored numbers two, and traces contain both.
    Zero {
        /// Whether the sign bit is set.
        negative: bool,
    },
    /// `±∞`, the result of overflow.
    Infinite {
        /// Whether the sign bit is set.
        negative: bool,
    },
}

/// What a bit pattern means: a number, or one of the NaN patterns.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Decoded {
    /// A finite number, a signed zero or a signed infinity.
    Number(Rounded),
    /// Any NaN (quiet or signalling, any payload): traces may contain them, rounding never makes
    /// them.
    Nan,
}

impl Rounded {
    /// The exact value, with `±0` as `0`; `None` for infinities.
    pub fn value(&self) -> Option<Rational> {
        match self {
            Rounded::Finite(q) => Some(q.clone()),
            Rounded::Zero { .. } => Some(Rational::new()),
            Rounded::Infinite { .. } => None,
        }
    }

    /// Whether the sign bit is set (so `−0` counts as negative, as in its encoding).
    pub fn is_negative(&self) -> bool {
        match self {
            Rounded::Finite(q) => *q < 0,
            Rounded::Zero { negative } | Rounded::Infinite { negative } => *negative,
        }
    }

    /// The negation, flipping the sign of zeros and infinities too (IEEE 754-2008 §5.5.1 `negate`
    /// is a sign-bit operation).
    pub fn negate(&self) -> Rounded {
        match self {
            Rounded::Finite(q) => Rounded::Finite(Rational::from(-q)),
            Rounded::Zero { negative } => Rounded::Zero {
                negative: !negative,
            },
            Rounded::Infinite { negative } => Rounded::Infinite {
                negative: !negative,
            },
        }
    }
}

impl Format {
    /// The four formats, widest first.
    pub const ALL: [Format; 4] = [
        Format::Binary64,
        Format::Binary32,
        Format::Binary16,
        Format::Bfloat16,
    ];

    /// The precision `p`: significand bits including the hidden bit (IEEE 754-2008 Table 3.5;
    /// bfloat16: 7 stored bits plus the hidden one).
    pub fn precision(self) -> u32 {
        match self {
            Format::Binary64 => 53,
            Format::Binary32 => 24,
            Format::Binary16 => 11,
            Format::Bfloat16 => 8,
        }
    }

    /// `emax`, the exponent of the largest binade (IEEE 754-2008 Table 3.5; bfloat16 shares
    /// binary32's 8-bit exponent field).
    pub fn max_exponent(self) -> i32 {
        match self {
            Format::Binary64 => 1023,
            Format::Binary32 | Format::Bfloat16 => 127,
            Format::Binary16 => 15,
        }
    }

    /// `emin = 1 − emax`, the exponent of the smallest normal binade (IEEE 754-2008 §3.3).
    pub fn min_exponent(self) -> i32 {
        1 - self.max_exponent()
    }

    /// The width of the encoding in bits (IEEE 754-2008 §3.4: sign, exponent field, trailing
    /// significand).
    pub fn bits(self) -> u32 {
        match self {
            Format::Binary64 => 64,
            Format::Binary32 => 32,
            Format::Binary16 | Format::Bfloat16 => 16,
        }
    }

    /// The width of the biased-exponent field: what is left after the sign and the `p − 1`
    /// trailing significand bits.
    pub fn exponent_field_bits(self) -> u32 {
        self.bits() - self.precision()
    }

    /// The name used in specs, fixtures and messages (IEEE's names; `bfloat16` for Google's).
    pub fn name(self) -> &'static str {
        match self {
            Format::Binary64 => "binary64",
            Format::Binary32 => "binary32",
            Format::Binary16 => "binary16",
            Format::Bfloat16 => "bfloat16",
        }
    }

    /// The format called `name`: the IEEE name or the Rust/PyTorch-style short one (`f64`, `f32`,
    /// `f16`, `bf16`), since both appear in configs people paste.
    pub fn parse(name: &str) -> Result<Format> {
        match name {
            "binary64" | "f64" => Ok(Format::Binary64),
            "binary32" | "f32" => Ok(Format::Binary32),
            "binary16" | "f16" => Ok(Format::Binary16),
            "bfloat16" | "bf16" => Ok(Format::Bfloat16),
            _ => Err(Error::Unknown {
                kind: "number format",
                name: name.to_string(),
                known: "binary64 (f64), binary32 (f32), binary16 (f16), bfloat16 (bf16)".into(),
            }),
        }
    }

    /// The unit roundoff `u = 2^−p`: the relative error bound of round-to-nearest in the normal
    /// range (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., Thm 2.2), from
    /// which envelopes for this format are derived.
    pub fn unit_roundoff(self) -> Rational {
        pow2(-(self.precision() as i32))
    }

    /// `2^(emin − p + 1)`: the smallest positive subnormal and the spacing of the subnormal grid,
    /// so gradual underflow's rounding errs by at most half of it, whatever the magnitude.
    pub fn smallest_subnormal(self) -> Rational {
        pow2(self.quantum_min())
    }

    /// `2^emin`: below this, results are subnormal (or flushed).
    pub fn smallest_normal(self) -> Rational {
        pow2(self.min_exponent())
    }

    /// `2^emax·(2 − 2^(1−p))`: every significand bit set in the top binade.
    pub fn largest_finite(self) -> Rational {
        let p = self.precision() as i32;
        (Rational::from(2) - pow2(1 - p)) << self.max_exponent()
    }

    /// `2^emax·(2 − 2^−p)`: magnitudes at or above it round to infinity (IEEE 754-2008 §4.3.1).
    pub fn overflow_threshold(self) -> Rational {
        let p = self.precision() as i32;
        (Rational::from(2) - pow2(-p)) << self.max_exponent()
    }

    /// The exponent of the last significand bit of subnormals and of the smallest normal binade.
    fn quantum_min(self) -> i32 {
        self.min_exponent() - self.precision() as i32 + 1
    }

    /// `q` rounded to nearest, ties to even, in this format (see the [module
    /// documentation](self) for the rules and their sources).
    pub fn round(self, q: &Rational, subnormals: Subnormals) -> Rounded {
        let negative = *q < 0;
        if *q == 0 {
            return Rounded::Zero { negative: false };
        }
        let magnitude = Rational::from(q.abs_ref());
        let p = self.precision() as i32;
        let (emin, emax) = (self.min_exponent(), self.max_exponent());
        let e = floor_log2(&magnitude);
        // Out of every range: decided without shifting by an enormous amount. Magnitudes below
        // 2^(emin−p) are below half the smallest subnormal (and tiny); at 2^(emax+1) and above
        // they are past the overflow threshold.
        if e < i64::from(emin - p) {
            return Rounded::Zero { negative };
        }
        if e > i64::from(emax) {
            return Rounded::Infinite { negative };
        }
        let e = e as i32;
        if subnormals == Subnormals::FlushToZero && e < emin {
            // Tininess after rounding: round to p bits with the exponent unbounded. Below
            // 2^(emin−1) the result stays below 2^emin; in [2^(emin−1), 2^emin) it is tiny unless
            // the rounding carries up to 2^emin (n = 2^p at quantum 2^(e−p+1)).
            let tiny = e < emin - 1
                || round_scaled(&magnitude, e - p + 1) < (Integer::from(1) << p as u32);
            if tiny {
                return Rounded::Zero { negative };
            }
        }
        let quantum = e.max(emin) - p + 1;
        let n = round_scaled(&magnitude, quantum);
        if n == 0 {
            return Rounded::Zero { negative };
        }
        let value = Rational::from(n) << quantum;
        if value > self.largest_finite() {
            return Rounded::Infinite { negative };
        }
        Rounded::Finite(if negative { -value } else { value })
    }

    /// `x` with a subnormal value replaced by zero of the same sign: x86 denormals-are-zero
    /// (`MXCSR.DAZ`, Intel SDM Vol. 1 §10.2.3.4), which treats subnormal *operands* as zero before
    /// an operation, whereas [`Subnormals::FlushToZero`] acts on results.
    pub fn flush_input(self, x: &Rounded) -> Rounded {
        match x {
            Rounded::Finite(q) if Rational::from(q.abs_ref()) < self.smallest_normal() => {
                Rounded::Zero { negative: *q < 0 }
            }
            other => other.clone(),
        }
    }

    /// The bit pattern of `x` (in the low [`bits`](Self::bits) bits).
    ///
    /// # Errors
    /// [`Error::Unsupported`] if `x` is finite but not a number of this format (too many
    /// significand bits, or out of range): encoding never rounds, [`round`](Self::round) does.
    pub fn to_bits(self, x: &Rounded) -> Result<u64> {
        let p = self.precision();
        let sign = u64::from(x.is_negative()) << (self.bits() - 1);
        let all_ones = (1u64 << self.exponent_field_bits()) - 1;
        let q = match x {
            Rounded::Zero { .. } => return Ok(sign),
            Rounded::Infinite { .. } => return Ok(sign | all_ones << (p - 1)),
            Rounded::Finite(q) if *q == 0 => return Ok(0),
            Rounded::Finite(q) => q,
        };
        let not_representable = || {
            Error::unsupported(format!(
                "{} is not a {} number; round it first",
                q,
                self.name()
            ))
        };
        let magnitude = Rational::from(q.abs_ref());
        let e = floor_log2(&magnitude);
        let (emin, emax) = (self.min_exponent(), self.max_exponent());
        if e > i64::from(emax) || e < i64::from(self.quantum_min()) {
            return Err(not_representable());
        }
        let e = e as i32;
        let quantum = e.max(emin) - p as i32 + 1;
        let scaled = magnitude >> quantum;
        if *scaled.denom() != 1 {
            return Err(not_representable());
        }
        let n = scaled
            .numer()
            .to_u64()
            .expect("a significand has at most 53 bits");
        // Normal: the biased exponent e + emax (bias = emax, IEEE 754-2008 §3.4) and the hidden
        // bit dropped; subnormal: biased exponent 0 and n as it is.
        let (biased, field) = if e >= emin {
            ((e + emax) as u64, n - (1u64 << (p - 1)))
        } else {
            (0, n)
        };
        Ok(sign | biased << (p - 1) | field)
    }

    /// What the bit pattern `bits` stores.
    ///
    /// # Errors
    /// [`Error::Parse`] if `bits` has bits set above the format's width (a pattern from another
    /// format, most likely).
    pub fn from_bits(self, bits: u64) -> Result<Decoded> {
        let width = self.bits();
        if width < 64 && bits >> width != 0 {
            return Err(Error::parse(
                "bit pattern",
                &format!("{bits:#x}"),
                format!("wider than {width} bits ({})", self.name()),
            ));
        }
        let p = self.precision();
        let negative = bits >> (width - 1) & 1 == 1;
        let all_ones = (1u64 << self.exponent_field_bits()) - 1;
        let biased = bits >> (p - 1) & all_ones;
        let field = bits & ((1u64 << (p - 1)) - 1);
        let number = if biased == all_ones {
            if field != 0 {
                return Ok(Decoded::Nan);
            }
            Rounded::Infinite { negative }
        } else if biased == 0 && field == 0 {
            Rounded::Zero { negative }
        } else {
            let (n, quantum) = if biased == 0 {
                (field, self.quantum_min())
            } else {
                (
                    field | 1u64 << (p - 1),
                    biased as i32 - self.max_exponent() - p as i32 + 1,
                )
            };
            let value = Rational::from(n) << quantum;
            Rounded::Finite(if negative { -value } else { value })
        };
        Ok(Decoded::Number(number))
    }

    /// The exact value stored in `bits` (`±0` as `0`); `None` for infinities, NaNs and patterns
    /// wider than the format.
    pub fn exact_of_bits(self, bits: u64) -> Option<Rational> {
        match self.from_bits(bits) {
            Ok(Decoded::Number(x)) => x.value(),
            _ => None,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The binary64 number nearest to `q` (gradual underflow, overflow to `±∞`).
pub fn round_f64(q: &Rational) -> f64 {
    f64::from_bits(encode_rounded(Format::Binary64, q))
}

/// The binary32 number nearest to `q` (gradual underflow, overflow to `±∞`): what an `f32` program
/// stores for the exact value `q`.
pub fn round_f32(q: &Rational) -> f32 {
    f32::from_bits(encode_rounded(Format::Binary32, q) as u32)
}

/// The binary16 number nearest to `q` (gradual underflow, overflow to `±∞`).
pub fn round_f16(q: &Rational) -> half::f16 {
    half::f16::from_bits(encode_rounded(Format::Binary16, q) as u16)
}

/// The bfloat16 number nearest to `q` (gradual underflow, overflow to `±∞`).
pub fn round_bf16(q: &Rational) -> half::bf16 {
    half::bf16::from_bits(encode_rounded(Format::Bfloat16, q) as u16)
}

fn encode_rounded(format: Format, q: &Rational) -> u64 {
    format
        .to_bits(&format.round(q, Subnormals::Gradual))
        .expect("a rounded value is representable")
}

/// `2^k` exactly.
fn pow2(k: i32) -> Rational {
    Rational::from(1) << k
}

/// `⌊log₂ a⌋` for `a > 0`.
fn floor_log2(a: &Rational) -> i64 {
    // a = N/D with 2^(bN−1) ≤ N < 2^bN and 2^(bD−1) ≤ D < 2^bD, so 2^(bN−bD−1) < a < 2^(bN−bD+1).
    let guess = i64::from(a.numer().significant_bits()) - i64::from(a.denom().significant_bits());
    // Compare N with D·2^guess (or N·2^−guess with D) in integers: no rational shift needed.
    let at_least = if guess >= 0 {
        a.numer().clone() >= (a.denom().clone() << guess as u32)
    } else {
        (a.numer().clone() << (-guess) as u32) >= *a.denom()
    };
    if at_least { guess } else { guess - 1 }
}

/// `a / 2^quantum` rounded to the nearest integer, ties to even (`a ≥ 0`).
fn round_scaled(a: &Rational, quantum: i32) -> Integer {
    let (mut num, mut den) = (a.numer().clone(), a.denom().clone());
    if quantum >= 0 {
        den <<= quantum as u32;
    } else {
        num <<= (-quantum) as u32;
    }
    let (mut n, rem) = num.div_rem_floor(den.clone());
    let twice_rem = rem << 1u32;
    match twice_rem.cmp(&den) {
        Ordering::Greater => n += 1,
        Ordering::Equal if n.is_odd() => n += 1,
        _ => {}
    }
    n
}

// ---------------------------------------------------------------------------------------------
// f32 as a scalar
// ---------------------------------------------------------------------------------------------
//
// Native `f32` runs the crate's generic code in binary32, the way Keras's floatx float32 and
// PyTorch's float32 tensors do, under the same two rounding models as `f64` (the laws of
// `crate::arith::scalar` with binary32 in place of binary64). Conversions from ℚ go through
// `round_f32`, i.e. through the checked rounding above, never through an `f64` (which would round
// twice).

impl crate::arith::Number for f32 {
    type Vector = Vec<f32>;
    type Matrix = F32Mat;
    const EXACT: bool = false;

    fn arithmetic_name() -> String {
        "f32".into()
    }
    fn from_rational(q: &Rational) -> Self {
        round_f32(q)
    }
    fn to_rational(&self) -> Option<Rational> {
        Rational::from_f32(*self)
    }
    fn rounding_precision() -> Option<u32> {
        Some(24)
    }
    fn from_float(x: &rug::Float) -> Option<Self> {
        // Through round_f32 itself where x is a short rational; far outside the binary32 range
        // (|x| < 2^-300, below half the least subnormal 2^-149; |x| ≥ 2^300, past the overflow
        // threshold (2 − 2^-24)·2^127) the rounding is ±0 or ±∞ whatever x is exactly.
        let negative = x.is_sign_negative();
        if x.is_zero() {
            return Some(if negative { -0.0 } else { 0.0 });
        }
        let exp = x.get_exp()?;
        Some(if exp < -300 {
            if negative { -0.0 } else { 0.0 }
        } else if exp > 300 {
            if negative {
                f32::NEG_INFINITY
            } else {
                f32::INFINITY
            }
        } else {
            round_f32(&x.to_rational()?)
        })
    }
    fn to_f64(&self) -> f64 {
        // Widening is exact: every binary32 number is a binary64 number.
        f64::from(*self)
    }
    fn mul_add(&self, b: &Self, c: &Self, rounding: crate::arith::Rounding) -> Self {
        match rounding {
            crate::arith::Rounding::Naive => self * b + c,
            // IEEE 754-2008 §5.4.1 fusedMultiplyAdd: one rounding (Rust's `mul_add` is `fmaf`).
            crate::arith::Rounding::Fused => f32::mul_add(*self, *b, *c),
        }
    }
    fn sqrt(&self) -> Option<Self> {
        // IEEE 754-2008 §5.4.1: squareRoot is correctly rounded, so the native one is exact law.
        (*self >= 0.0).then(|| f32::sqrt(*self))
    }
    fn exp(&self) -> Option<Self> {
        Some(f32_via_mpfr(*self, rug::Float::exp))
    }
    fn ln(&self) -> Option<Self> {
        (*self > 0.0).then(|| f32_via_mpfr(*self, rug::Float::ln))
    }
    fn cos_pi(q: &Rational) -> Option<Self> {
        if let Some(r) = crate::arith::rational_cos_pi(q) {
            return Some(round_f32(&r));
        }
        let x = rug::Float::with_val(300, rug::float::Constant::Pi) * rug::Float::with_val(300, q);
        Some(round_f32(&x.cos().to_rational().expect("cos is finite")))
    }
    fn is_finite(&self) -> bool {
        f32::is_finite(*self)
    }
    fn size_bits(&self) -> u64 {
        32
    }
    fn abs(&self) -> Self {
        f32::abs(*self)
    }
    fn written(&self) -> crate::arith::scalar::Written {
        crate::arith::scalar::Written::Binary32(*self)
    }
}

/// Correctly rounded `op(x)` in binary32 via MPFR, so that f32 transcendental results do not
/// depend on the platform's libm (as `f64` does in `crate::arith::scalar`).
fn f32_via_mpfr(x: f32, op: impl FnOnce(rug::Float) -> rug::Float) -> f32 {
    // 200 bits, then one rounding to binary32 in ℚ: the double rounding can only matter within
    // 2^-176 relative of a binary32 tie, far below the Lefèvre–Muller worst cases for exp/ln of a
    // binary32 argument (< 2^-60 relative).
    let wide = op(rug::Float::with_val(200, x));
    match wide.to_rational() {
        Some(q) => round_f32(&q),
        None => wide.to_f32(),
    }
}

crate::arith::linalg::native_vector!(f32, 32);

/// A matrix of binary32 entries (each the nearest binary32 number to the exact entry), by sparse
/// rows, multiplied in the order `crate::arith::linalg` documents for floating types.
#[derive(Clone, Debug, PartialEq)]
pub struct F32Mat {
    cols: usize,
    rows: Vec<Vec<(usize, f32)>>,
}

impl crate::arith::linalg::Matrix<f32> for F32Mat {
    fn from_exact(m: &crate::arith::linalg::QMat) -> Self {
        F32Mat {
            cols: m.cols(),
            rows: (0..m.rows())
                .map(|i| m.row_entries(i).map(|(j, q)| (j, round_f32(&q))).collect())
                .collect(),
        }
    }
    fn rows(&self) -> usize {
        self.rows.len()
    }
    fn cols(&self) -> usize {
        self.cols
    }
    fn matvec(&self, x: &Vec<f32>) -> Vec<f32> {
        check_len(self.cols, x.len());
        self.rows
            .iter()
            .map(|row| {
                let mut s = 0.0;
                for &(j, a) in row {
                    s += a * x[j];
                }
                s
            })
            .collect()
    }
}
