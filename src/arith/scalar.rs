//! Scalars: exact rationals, `f64` under two rounding models, MPFR floats.
//!
//! Every optimizer, problem and check in the crate is written once, generically over [`Scalar`],
//! and instantiated for
//!
//! * [`rug::Rational`]: exact arithmetic in ℚ (GMP). The reference for everything rational.
//! * [`f64`]: IEEE binary64, with the rounding model ([`Rounding`]) chosen per run.
//! * [`rug::Float`]: MPFR at a chosen precision ([`with_mpfr_precision`]), for the places where an
//!   irrational constant appears (√κ, FISTA's `t_k`, cosine schedules).
//! * [`Bounded`](crate::arith::bounded::Bounded): an `f64` value carrying a rigorous bound on its distance
//!   to the exact real result; it runs the very same code and derives the f64-versus-ℚ error bound.
//!
//! # The laws
//!
//! [`Scalar`] is a shorthand: the operator traits by reference (`Self + &Self`, never `Copy`), plus
//! [`Number`], the handful of functions the crate needs beyond `+ − × ÷`. Implementations obey
//! these laws (property-tested for every type in `tests/it/scalar_laws.rs`):
//!
//! 1. **Exact types are fields.** For [`Number::EXACT`] types, `+ − × ÷` are the field operations
//!    of ℚ: `a + 0 = a`, `a · 1 = a`, `a + b = b + a`, `(a + b) + c = a + (b + c)`,
//!    `a · (b + c) = a·b + a·c`, `a / b · b = a` for `b ≠ 0`, and [`Number::mul_add`] is `a·b + c`
//!    whatever the rounding model.
//! 2. **Rounded types round correctly.** For `f64` and `Float`, each of `+ − × ÷`, `sqrt` and
//!    [`Number::from_rational`] returns the exact result *rounded to nearest, ties to even* (f64:
//!    IEEE binary64 with subnormals; `Float`: MPFR at the value's precision). `mul_add` with
//!    [`Rounding::Fused`] rounds `a·b + c` once; with [`Rounding::Naive`] it rounds `a·b`, then the
//!    sum. `exp`, `ln` and [`Number::cos_pi`] are correctly rounded too (computed by MPFR), so every
//!    f64 result is the same on every machine.
//! 3. **Round trips.** `to_rational` is the exact value of a finite scalar, and
//!    `from_rational(&x.to_rational()) == x`. For `f64`, `to_f64` is the identity.
//! 4. **Constants come from integer ratios.** `from_ratio(1, 10)` is `1/10` in ℚ and the nearest
//!    f64 to `1/10` in f64 — never the f64 literal `0.1` converted to ℚ.

use std::cell::Cell;
use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use rug::float::Round;
use rug::{Float, Integer, Rational};
use serde::{Deserialize, Serialize};

use crate::arith::linalg::{Matrix, Vector};

/// How a floating-point run rounds the multiply-adds of an optimizer step.
///
/// The optimizers write their updates as a fixed sequence of elementwise operations in which every
/// `a·b + c` is one [`Number::mul_add`]. *Naive* rounds the product and then the sum (what eager
/// NumPy/Optax do); *fused* computes each such `a·b + c` with one rounding, as `fma` does (what
/// PyTorch's CPU kernels and jitted XLA do). Exact arithmetic ignores the model. The per-optimizer
/// operation order is stated in each optimizer's documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Rounding {
    /// Every `×` and `+` rounded separately.
    #[default]
    Naive,
    /// Every multiply-add rounded once (`fma`).
    Fused,
}

impl Rounding {
    /// Both models, naive first.
    pub const ALL: [Rounding; 2] = [Rounding::Naive, Rounding::Fused];

    /// `naive` or `fused`.
    pub fn name(self) -> &'static str {
        match self {
            Rounding::Naive => "naive",
            Rounding::Fused => "fused",
        }
    }
}

/// The precision, in bits, of MPFR values created when no other precision is in scope.
pub const DEFAULT_MPFR_PRECISION: u32 = 256;

thread_local! {
    // A thread-local rather than a type parameter: `rug::Float` itself must satisfy `Scalar`
    // (docs/style.md, "Scalars"), and constants such as `from_ratio(1, 10)` have no operand to take a precision
    // from. A scope guard restores the previous value, so nested scopes and panics are safe.
    static MPFR_PRECISION: Cell<u32> = const { Cell::new(DEFAULT_MPFR_PRECISION) };
}

/// The precision that [`Number::from_rational`] and friends give new `rug::Float` values.
pub fn mpfr_precision() -> u32 {
    MPFR_PRECISION.with(Cell::get)
}

/// Runs `f` with new `rug::Float` constants created at `bits` of precision, then restores the
/// previous precision (also when `f` panics).
///
/// Operations between `Float`s keep the precision of their left operand, so a whole run is at
/// `bits` as long as its constants and initial point are created inside the scope.
///
/// # Panics
/// Panics if `bits` is outside MPFR's precision range (`2..=` a very large number); the CLI checks
/// the range before calling.
pub fn with_mpfr_precision<R>(bits: u32, f: impl FnOnce() -> R) -> R {
    assert!(
        (rug::float::prec_min()..=rug::float::prec_max()).contains(&bits),
        "MPFR precision {bits} out of range"
    );
    struct Restore(u32);
    impl Drop for Restore {
        fn drop(&mut self) {
            MPFR_PRECISION.with(|p| p.set(self.0));
        }
    }
    let _restore = Restore(MPFR_PRECISION.with(|p| p.replace(bits)));
    f()
}

/// A value as the writers of traces and fixtures see it: its data, not yet a text form.
///
/// The arithmetic layer says *what* a value is; the trace layer (`trace::render`) decides how it
/// is written (`"p/q"`, `{"dec", "bits"}`, snapshot text), so that numbers know nothing of JSON.
#[derive(Clone, Debug, PartialEq)]
pub enum Written {
    /// An exact rational.
    Exact(Rational),
    /// A binary64 value (written as its shortest decimal and its IEEE bits).
    Binary64(f64),
    /// A binary32 value (written as its shortest decimal and its 8 hex digits of IEEE bits).
    Binary32(f32),
    /// An MPFR value: a 40-digit decimal and its exact value `p/q` (or MPFR's text when it is not
    /// finite).
    Mpfr {
        /// The value to 40 significant decimal digits.
        decimal: String,
        /// The exact value as `p/q`.
        exact: String,
    },
    /// A floating value with a bound on its distance to the exact result.
    WithError {
        /// The floating value.
        value: Box<Written>,
        /// The bound (an f64 rounded upwards; infinite when nothing can be said).
        error: f64,
    },
}

/// One entry of a vector as the writers see it, borrowed from the vector's storage where the
/// storage allows it ([`Number::written_entries`]).
///
/// Why: a trace writes several vectors per step. Building a canonical scalar per entry (an exact
/// entry reduced by a big gcd and copied into a fresh `Rational`, a float copied into a fresh
/// vector) costs more than writing it; the exact engine keeps numerators over one shared
/// denominator and knows that denominator's primes, so the reduction of one entry is a few word
/// remainders.
#[derive(Debug)]
pub enum WrittenEntry<'a> {
    /// The exact entry `numerator / denominator`, `denominator > 0` the vector's shared
    /// denominator (the same for every entry of the vector), and `common = gcd(numerator,
    /// denominator)`: the entry in lowest terms is `(numerator/common) / (denominator/common)`.
    Shared {
        /// The entry's numerator over the shared denominator.
        numerator: &'a Integer,
        /// The vector's shared denominator.
        denominator: &'a Integer,
        /// `gcd(numerator, denominator)` (1 for most entries along a run).
        common: Integer,
    },
    /// A binary64 entry.
    Binary64(f64),
    /// Any other entry, as [`Number::written`] gives it.
    Other(Written),
}

/// What a type must provide beyond the operator traits to be a [`Scalar`].
///
/// Implemented for [`Rational`], [`f64`], [`Float`] and [`Bounded`](crate::arith::bounded::Bounded).
/// See the [module documentation](self) for the laws.
pub trait Number: Clone + Debug + PartialEq + PartialOrd + Send + Sync + 'static {
    /// The vector type runs in this arithmetic use (exact vectors share one denominator).
    type Vector: Vector<Self>;
    /// The matrix type problems with rational data use for their gradients.
    type Matrix: Matrix<Self>;

    /// True for exact arithmetic (ℚ): results never depend on a rounding model.
    const EXACT: bool;

    /// A short name: `exact`, `f64`, `mpfr:256`, `f64+bound`.
    fn arithmetic_name() -> String;

    /// The nearest value to `q` (exactly `q` for exact types).
    fn from_rational(q: &Rational) -> Self;

    /// The exact value of `self`, or `None` if it is not finite.
    fn to_rational(&self) -> Option<Rational>;

    /// For arithmetics whose [`Number::from_rational`] is a rounding to nearest that depends on
    /// the exact value only through where it falls between the format's numbers (f64, f32, MPFR,
    /// flush-to-zero f64): the format's precision in bits, at which
    /// [`crate::arith::power`] sizes its enclosures. `None` (the default) for exact arithmetic and
    /// for values that carry an error bound of the exact value (those round the exact value).
    fn rounding_precision() -> Option<u32> {
        None
    }

    /// `from_rational` of the exact value of the finite `x`, computed from `x` directly; `None`
    /// where the type cannot decide without the exact value as a rational (the default, and e.g.
    /// flush-to-zero results near the underflow threshold). Used only with
    /// [`Number::rounding_precision`], on the ends of an enclosure.
    fn from_float(x: &Float) -> Option<Self> {
        let _ = x;
        None
    }

    /// The nearest `f64` (ties to even); may be infinite.
    fn to_f64(&self) -> f64;

    /// `self · b + c`, rounded as the model says (see [`Rounding`]).
    fn mul_add(&self, b: &Self, c: &Self, rounding: Rounding) -> Self;

    /// The square root, or `None` where it does not exist in this arithmetic (negative input; a
    /// rational that is not the square of a rational).
    fn sqrt(&self) -> Option<Self>;

    /// `e^self`, or `None` in exact arithmetic unless `self = 0`.
    fn exp(&self) -> Option<Self>;

    /// The natural logarithm, or `None` for non-positive input (and in ℚ unless `self = 1`).
    fn ln(&self) -> Option<Self>;

    /// `cos(π q)`, or `None` in ℚ unless the value is rational (by Niven's theorem, exactly when
    /// it is one of 0, ±1/2, ±1).
    fn cos_pi(q: &Rational) -> Option<Self>;

    /// False for NaN and infinities.
    fn is_finite(&self) -> bool;

    /// Storage size in bits: numerator plus denominator bits for ℚ, the precision for floats.
    fn size_bits(&self) -> u64;

    /// The absolute value.
    fn abs(&self) -> Self;

    /// What a writer needs to print the value (the trace layer chooses the text form: JSON,
    /// snapshot text).
    fn written(&self) -> Written;

    /// Calls `each` with the entries of `v` in index order, as [`WrittenEntry`] values: what
    /// [`Number::written`] says of each entry, without building a scalar per entry where the
    /// vector's storage allows (the default does build them).
    fn written_entries(v: &Self::Vector, each: &mut dyn FnMut(WrittenEntry<'_>)) {
        for x in v.to_scalars() {
            each(WrittenEntry::Other(x.written()));
        }
    }

    /// True when `a` and `b` are written as the same text: equal exact vectors (the normal form is
    /// unique), binary64 vectors with the same bits entry by entry (so −0.0 ≠ 0.0 and a NaN equals
    /// itself). The default, `false`, is always safe: a writer then formats `b` again.
    ///
    /// Why: a trace writes a state vector equal to one already written in the step (heavy ball's
    /// previous iterate is its query point) by copying its text, several times cheaper than
    /// formatting it.
    fn written_identically(a: &Self::Vector, b: &Self::Vector) -> bool {
        let _ = (a, b);
        false
    }

    /// The vector's own exact storage, integer numerators over one positive shared denominator
    /// in normal form (`gcd(den, num_0, …) = 1`, so equal vectors have equal parts), or `None` for
    /// arithmetics that do not store vectors that way (the default).
    ///
    /// Why: a trace in the `shared-hex` form writes exactly this, with no reduction per entry.
    fn shared_parts(_v: &Self::Vector) -> Option<(&Integer, &[Integer])> {
        None
    }

    /// `num/den` as a constant.
    ///
    /// # Panics
    /// Panics if `den == 0` (constants in code are literals; parsed input goes through
    /// [`crate::arith::text::parse`], which returns an error instead).
    fn from_ratio(num: i64, den: u64) -> Self {
        assert!(den != 0, "from_ratio: zero denominator");
        Self::from_rational(&Rational::from((num, den)))
    }

    /// The additive identity.
    fn zero() -> Self {
        Self::from_ratio(0, 1)
    }

    /// The multiplicative identity.
    fn one() -> Self {
        Self::from_ratio(1, 1)
    }

    /// Whether this value is (exactly) zero.
    fn is_zero(&self) -> bool {
        *self == Self::zero()
    }

    /// Whether `self > other` is *certain*: the plain comparison for exact and plain floating
    /// types; for values with an error bound, only when the two enclosures do not overlap. A proof
    /// obligation `lhs ≤ rhs` counts as violated exactly when `lhs.certainly_greater(rhs)`.
    fn certainly_greater(&self, other: &Self) -> bool {
        self > other
    }
}

/// The one bound the crate's generic code puts on a scalar type.
///
/// Blanket-implemented for every [`Number`] with the operator traits by reference; see the
/// [module documentation](self) for the laws.
pub trait Scalar:
    Number
    + Neg<Output = Self>
    + for<'a> Add<&'a Self, Output = Self>
    + for<'a> Sub<&'a Self, Output = Self>
    + for<'a> Mul<&'a Self, Output = Self>
    + for<'a> Div<&'a Self, Output = Self>
    + for<'a> AddAssign<&'a Self>
    + for<'a> SubAssign<&'a Self>
    + for<'a> MulAssign<&'a Self>
    + for<'a> DivAssign<&'a Self>
{
}

impl<T> Scalar for T where
    T: Number
        + Neg<Output = T>
        + for<'a> Add<&'a T, Output = T>
        + for<'a> Sub<&'a T, Output = T>
        + for<'a> Mul<&'a T, Output = T>
        + for<'a> Div<&'a T, Output = T>
        + for<'a> AddAssign<&'a T>
        + for<'a> SubAssign<&'a T>
        + for<'a> MulAssign<&'a T>
        + for<'a> DivAssign<&'a T>
{
}

// ---------------------------------------------------------------------------------------------
// Rational
// ---------------------------------------------------------------------------------------------

impl Number for Rational {
    type Vector = crate::arith::linalg::QVec;
    type Matrix = crate::arith::linalg::QMat;
    const EXACT: bool = true;

    fn arithmetic_name() -> String {
        "exact".into()
    }
    fn from_rational(q: &Rational) -> Self {
        q.clone()
    }
    fn to_rational(&self) -> Option<Rational> {
        Some(self.clone())
    }
    fn to_f64(&self) -> f64 {
        rational_to_f64(self)
    }
    fn mul_add(&self, b: &Self, c: &Self, _rounding: Rounding) -> Self {
        Rational::from(self * b) + c
    }
    fn sqrt(&self) -> Option<Self> {
        rational_sqrt(self)
    }
    fn exp(&self) -> Option<Self> {
        (*self == 0).then(|| Rational::from(1))
    }
    fn ln(&self) -> Option<Self> {
        (*self == 1).then(Rational::new)
    }
    fn cos_pi(q: &Rational) -> Option<Self> {
        rational_cos_pi(q)
    }
    fn is_finite(&self) -> bool {
        true
    }
    fn size_bits(&self) -> u64 {
        u64::from(self.numer().significant_bits()) + u64::from(self.denom().significant_bits())
    }
    fn abs(&self) -> Self {
        self.clone().abs()
    }
    fn written(&self) -> Written {
        Written::Exact(self.clone())
    }
    fn shared_parts(v: &Self::Vector) -> Option<(&Integer, &[Integer])> {
        Some((v.denominator(), v.numerators()))
    }
    fn written_identically(a: &Self::Vector, b: &Self::Vector) -> bool {
        a == b
    }
    fn written_entries(v: &Self::Vector, each: &mut dyn FnMut(WrittenEntry<'_>)) {
        let denominator = v.denominator();
        for (i, numerator) in v.numerators().iter().enumerate() {
            each(WrittenEntry::Shared {
                numerator,
                denominator,
                common: v.entry_common_factor(i),
            });
        }
    }
}

/// The exact square root of `q` if `q` is the square of a rational, else `None`.
pub fn rational_sqrt(q: &Rational) -> Option<Rational> {
    if *q < 0 {
        return None;
    }
    let (n, d) = (q.numer(), q.denom());
    // A canonical fraction is a square iff numerator and denominator are (they are coprime).
    if n.is_perfect_square() && d.is_perfect_square() {
        Some(Rational::from((n.clone().sqrt(), d.clone().sqrt())))
    } else {
        None
    }
}

/// `cos(π q)` when it is rational (Niven: only 0, ±1/2, ±1), else `None`.
pub fn rational_cos_pi(q: &Rational) -> Option<Rational> {
    // Reduce q modulo 2 into [0, 2): cos(πq) has period 2.
    let two = Integer::from(2);
    let den = q.denom().clone();
    let period = Integer::from(&two * &den);
    let mut num = q.numer().clone() % &period;
    if num < 0 {
        num += &period;
    }
    let r = Rational::from((num, den));
    let table: [(i64, u64, i64, u64); 8] = [
        (0, 1, 1, 1),
        (1, 3, 1, 2),
        (1, 2, 0, 1),
        (2, 3, -1, 2),
        (1, 1, -1, 1),
        (4, 3, -1, 2),
        (3, 2, 0, 1),
        (5, 3, 1, 2),
    ];
    table
        .iter()
        .find(|(a, b, _, _)| r == Rational::from((*a, *b)))
        .map(|&(_, _, c, d)| Rational::from((c, d)))
}

/// The f64 nearest to `q` (ties to even), with IEEE subnormals; `±inf` beyond the f64 range.
///
/// `rug::Rational::to_f64` truncates, which is not what an f64 program computing `1/10` gets.
pub fn rational_to_f64(q: &Rational) -> f64 {
    crate::arith::power::binary64_of(Float::with_val_round(53, q, Round::Nearest))
}

/// The f32 nearest to `q`, as an exact rational (for conventions that store a hyper-parameter in
/// single precision, e.g. Keras's learning rate); the rounding is `arith::format`'s, checked in ℚ.
pub fn round_to_f32(q: &Rational) -> Rational {
    Rational::from_f32(crate::arith::format::round_f32(q)).unwrap_or_else(|| {
        // Out of f32 range: saturate to the largest finite f32 of the right sign, which is what a
        // finite-only consumer can still represent; the caller validates ranges before this.
        let m = Rational::from_f32(f32::MAX).expect("finite");
        if *q < 0 { -m } else { m }
    })
}

/// Correctly rounded `op(x)` in binary64 via MPFR, so that f64 transcendental results do not
/// depend on the platform's libm.
fn f64_via_mpfr(x: f64, op: impl FnOnce(Float) -> Float) -> f64 {
    // Evaluate at high precision, then round once more to 53 bits with IEEE subnormals. The double
    // rounding can only matter within 2^-150 relative of a tie, which for exp/ln/cos of an f64
    // argument does not occur at these precisions (Lefèvre–Muller worst cases need < 160 bits).
    let wide = op(Float::with_val(200, x));
    let (mut f, ord) = Float::with_val_round(53, &wide, Round::Nearest);
    f.subnormalize_ieee_round(ord, Round::Nearest);
    f.to_f64()
}

// ---------------------------------------------------------------------------------------------
// f64
// ---------------------------------------------------------------------------------------------

impl Number for f64 {
    type Vector = Vec<f64>;
    type Matrix = crate::arith::linalg::F64Mat;
    const EXACT: bool = false;

    fn written_identically(a: &Vec<f64>, b: &Vec<f64>) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
    }

    fn arithmetic_name() -> String {
        "f64".into()
    }
    fn from_rational(q: &Rational) -> Self {
        rational_to_f64(q)
    }
    fn to_rational(&self) -> Option<Rational> {
        Rational::from_f64(*self)
    }
    fn rounding_precision() -> Option<u32> {
        Some(53)
    }
    fn from_float(x: &Float) -> Option<Self> {
        // The same idiom as rational_to_f64: MPFR rounds x and q to 53 bits alike.
        Some(crate::arith::power::binary64_of(Float::with_val_round(
            53,
            x,
            Round::Nearest,
        )))
    }
    fn to_f64(&self) -> f64 {
        *self
    }
    fn mul_add(&self, b: &Self, c: &Self, rounding: Rounding) -> Self {
        match rounding {
            Rounding::Naive => self * b + c,
            Rounding::Fused => f64::mul_add(*self, *b, *c),
        }
    }
    fn sqrt(&self) -> Option<Self> {
        (*self >= 0.0).then(|| f64::sqrt(*self))
    }
    fn exp(&self) -> Option<Self> {
        Some(f64_via_mpfr(*self, Float::exp))
    }
    fn ln(&self) -> Option<Self> {
        (*self > 0.0).then(|| f64_via_mpfr(*self, Float::ln))
    }
    fn cos_pi(q: &Rational) -> Option<Self> {
        Some(rational_to_f64(&cos_pi_exact_enough(q)))
    }
    fn is_finite(&self) -> bool {
        f64::is_finite(*self)
    }
    fn size_bits(&self) -> u64 {
        64
    }
    fn abs(&self) -> Self {
        f64::abs(*self)
    }
    fn written(&self) -> Written {
        Written::Binary64(*self)
    }
    fn written_entries(v: &Self::Vector, each: &mut dyn FnMut(WrittenEntry<'_>)) {
        for x in v {
            each(WrittenEntry::Binary64(*x));
        }
    }
}

/// `cos(πq)` to 300 bits, as a rational (exact where Niven's table applies).
fn cos_pi_exact_enough(q: &Rational) -> Rational {
    if let Some(r) = rational_cos_pi(q) {
        return r;
    }
    let x = Float::with_val(300, rug::float::Constant::Pi) * Float::with_val(300, q);
    x.cos().to_rational().expect("cos is finite")
}

// ---------------------------------------------------------------------------------------------
// MPFR Float
// ---------------------------------------------------------------------------------------------

impl Number for Float {
    type Vector = Vec<Float>;
    type Matrix = crate::arith::linalg::MpfrMat;
    const EXACT: bool = false;

    fn arithmetic_name() -> String {
        format!("mpfr:{}", mpfr_precision())
    }
    fn from_rational(q: &Rational) -> Self {
        Float::with_val(mpfr_precision(), q)
    }
    fn to_rational(&self) -> Option<Rational> {
        Float::to_rational(self)
    }
    fn rounding_precision() -> Option<u32> {
        Some(mpfr_precision())
    }
    fn from_float(x: &Float) -> Option<Self> {
        Some(Float::with_val(mpfr_precision(), x))
    }
    fn to_f64(&self) -> f64 {
        let (mut f, ord) = Float::with_val_round(53, self, Round::Nearest);
        f.subnormalize_ieee_round(ord, Round::Nearest);
        f.to_f64()
    }
    fn mul_add(&self, b: &Self, c: &Self, rounding: Rounding) -> Self {
        match rounding {
            Rounding::Naive => Float::with_val(self.prec(), self * b) + c,
            Rounding::Fused => self.clone().mul_add(b, c),
        }
    }
    fn sqrt(&self) -> Option<Self> {
        (*self >= 0).then(|| self.clone().sqrt())
    }
    fn exp(&self) -> Option<Self> {
        Some(self.clone().exp())
    }
    fn ln(&self) -> Option<Self> {
        (*self > 0).then(|| self.clone().ln())
    }
    fn cos_pi(q: &Rational) -> Option<Self> {
        if let Some(r) = rational_cos_pi(q) {
            return Some(Float::with_val(mpfr_precision(), &r));
        }
        // Compute π·q with guard bits so that the final rounding is the only one that matters.
        let p = mpfr_precision() + 64;
        let x = Float::with_val(p, rug::float::Constant::Pi) * Float::with_val(p, q);
        Some(Float::with_val(mpfr_precision(), x.cos()))
    }
    fn is_finite(&self) -> bool {
        Float::is_finite(self)
    }
    fn size_bits(&self) -> u64 {
        u64::from(self.prec())
    }
    fn abs(&self) -> Self {
        self.clone().abs()
    }
    fn written(&self) -> Written {
        let exact = Float::to_rational(self)
            .map(|q| crate::arith::text::format(&q))
            .unwrap_or_else(|| self.to_string());
        Written::Mpfr {
            decimal: self.to_string_radix(10, Some(40)),
            exact,
        }
    }
}
