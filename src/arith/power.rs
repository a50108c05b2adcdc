//! `base · factor^n` rounded to a floating format without multiplying the power out.
//!
//! The exponential and step schedules have γ_k = lr·factor^n with n growing with the step k. In ℚ
//! the value needs about n·log₂(den factor) bits (33 000 bits for 9/10 at n = 10 000), so rounding
//! it to f64 from the exact value costs time linear in n at every step, a run quadratic in k. A
//! floating run only needs the *rounded* value, and that is decided by an enclosure at fixed
//! precision:
//!
//! 1. enclose `base` and `factor` in `[lo, hi]` at `p` bits (rounding down and up), then the power
//!    by directed rounding (`lo^n` rounded down, `hi^n` rounded up, MPFR `pow_ui`, or one more
//!    product per step with [`PowerEnclosure::at`] when `n` advances by one), then the product;
//!    every quantity is non-negative, so lower bounds times lower bounds are lower bounds;
//! 2. round both ends to the target format with the format's own rounding
//!    ([`Number::from_float`]); rounding to nearest is monotone, so when both ends round to the
//!    same value, so does every number between them, the exact value included;
//! 3. otherwise (the exact value lies within the enclosure's width of a rounding boundary, e.g. it
//!    *is* a tie), fall back to the exact value rounded once ([`Path::Exact`], counted by
//!    [`fallbacks`]).
//!
//! The result is therefore bit for bit the exact value rounded once, which
//! `tests/it/power.rs` checks against the exact computation for random `(base, factor, n)` in
//! every format, and with a constructed tie that must take the fallback. With `p` = the target
//! precision + 64 + the bit length of n + 1 (⌊log₂(n + 1)⌋ + 1, at least ⌈log₂(n + 1)⌉) bits,
//! the relative width of the enclosure is below 2^-(target + 60) (each of the O(n) directed
//! roundings widens it by at most one unit in the p-th bit, relatively), so the fallback is taken
//! only for values within 2^-60 relative of a rounding boundary.
//!
//! Cost: O(log n) multiplications at p bits for a fresh enclosure, one multiplication per end when
//! n advances by one; independent of the exact value's size.

use std::cmp::Ordering;
use std::sync::atomic::{AtomicU64, Ordering as MemoryOrdering};

use rug::float::Round;
use rug::ops::Pow;
use rug::{Float, Rational};

use crate::arith::Number;

static FALLBACKS: AtomicU64 = AtomicU64::new(0);

/// How many roundings in this process had an enclosure and still took the exact fallback
/// ([`Path::Exact`]): a diagnostic for benchmarks and tests, never read by the computation.
pub fn fallbacks() -> u64 {
    FALLBACKS.load(MemoryOrdering::Relaxed)
}

/// Which way a rounding was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// Both ends of the fixed-precision enclosure rounded to the same value.
    Enclosure,
    /// The exact value was computed and rounded once.
    Exact,
}

/// `base · factor^n` exactly (the fallback, and the reference the enclosure is tested against).
///
/// # Panics
/// Never for `n ≤ u32::MAX`; larger exponents saturate at `u32::MAX` (a run is bounded by its
/// step budget long before).
pub fn exact_power(base: &Rational, factor: &Rational, n: u64) -> Rational {
    let e = u32::try_from(n).unwrap_or(u32::MAX);
    Rational::from(base * Rational::from(factor.pow(e)))
}

/// A fixed-precision enclosure of `base · factor^n` for one `(base, factor)` pair, advanced
/// cheaply when `n` moves by one (see the [module documentation](self)).
#[derive(Clone, Debug)]
pub struct PowerEnclosure {
    precision: u32,
    base: (Float, Float),
    factor: (Float, Float),
    /// `(n, factor_lo^n rounded down, factor_hi^n rounded up)` for the last `n` asked for.
    power: Option<(u64, Float, Float)>,
}

impl PowerEnclosure {
    /// Encloses `base` and `factor` at `precision` bits. `None` for a negative `base` or
    /// `factor` (the schedules validate both as non-negative), where the directed products
    /// below would not bound the value.
    pub fn new(base: &Rational, factor: &Rational, precision: u32) -> Option<Self> {
        if *base < 0 || *factor < 0 {
            return None;
        }
        let below = |q: &Rational| Float::with_val_round(precision, q, Round::Down).0;
        let above = |q: &Rational| Float::with_val_round(precision, q, Round::Up).0;
        Some(PowerEnclosure {
            precision,
            base: (below(base), above(base)),
            factor: (below(factor), above(factor)),
            power: None,
        })
    }

    /// The precision the enclosure is computed at.
    pub fn precision(&self) -> u32 {
        self.precision
    }

    /// `[lo, hi] ∋ base · factor^n`, both finite, or `None` when an end left MPFR's exponent
    /// range (then only the exact value decides).
    pub fn at(&mut self, n: u64) -> Option<(Float, Float)> {
        let p = self.precision;
        let power = match self.power.take() {
            Some((m, lo, hi)) if m == n => (lo, hi),
            Some((m, lo, hi)) if m + 1 == n => (
                Float::with_val_round(p, &lo * &self.factor.0, Round::Down).0,
                Float::with_val_round(p, &hi * &self.factor.1, Round::Up).0,
            ),
            _ => (
                Float::with_val_round(p, (&self.factor.0).pow(n), Round::Down).0,
                Float::with_val_round(p, (&self.factor.1).pow(n), Round::Up).0,
            ),
        };
        let lo = Float::with_val_round(p, &self.base.0 * &power.0, Round::Down).0;
        let hi = Float::with_val_round(p, &self.base.1 * &power.1, Round::Up).0;
        self.power = Some((n, power.0, power.1));
        (lo.is_finite() && hi.is_finite()).then_some((lo, hi))
    }
}

/// The working precision for a target of `target` bits at exponent `n`: `target` + 64 + the bit
/// length of n + 1 (saturating), wide enough that the accumulated directed roundings stay 60 bits
/// below the target's last place (module docs).
pub fn working_precision(target: u32, n: u64) -> u32 {
    let log_n = 64 - n.saturating_add(1).leading_zeros();
    target.saturating_add(64).saturating_add(log_n)
}

/// `round(base · factor^n)` for a monotone rounding given twice: `via_float` on a finite MPFR
/// value (`None` when it cannot decide from the value alone) and `exact` on the exact value. The
/// two must agree on every finite `Float`'s exact value; the enclosure decides when both of its
/// ends round alike, the exact value otherwise. `enclosure` is the pair's enclosure at the
/// precision the target needs ([`working_precision`]).
pub fn round_power<T: PartialEq>(
    enclosure: Option<&mut PowerEnclosure>,
    (base, factor, n): (&Rational, &Rational, u64),
    via_float: impl Fn(&Float) -> Option<T>,
    exact: impl FnOnce(&Rational) -> T,
) -> (T, Path) {
    let enclosed = enclosure.is_some();
    // No let-chains: rust-version 1.86 (Cargo.toml).
    let decided = enclosure
        .and_then(|e| e.at(n))
        .and_then(|(lo, hi)| Some((via_float(&lo)?, via_float(&hi)?)))
        .and_then(|(a, b)| (a == b).then_some(a));
    if let Some(a) = decided {
        return (a, Path::Enclosure);
    }
    if enclosed {
        FALLBACKS.fetch_add(1, MemoryOrdering::Relaxed);
    }
    (exact(&exact_power(base, factor, n)), Path::Exact)
}

/// `S::from_rational(base · factor^n)` in O(log n) fixed-precision operations for the arithmetics
/// with a [`Number::rounding_precision`], the exact value rounded once for the others. Returns
/// the path taken.
pub fn nearest_power<S: Number>(base: &Rational, factor: &Rational, n: u64) -> (S, Path) {
    let mut enclosure = S::rounding_precision()
        .and_then(|t| PowerEnclosure::new(base, factor, working_precision(t, n)));
    round_power(
        enclosure.as_mut(),
        (base, factor, n),
        S::from_float,
        S::from_rational,
    )
}

/// The f64 rounding of a value already rounded to 53 bits with ternary `ord` (ties to even, IEEE
/// subnormals, `±inf` beyond the range): the one idiom [`crate::arith::rational_to_f64`] and
/// `f64::from_float` share, so that both give the same bits for the same exact value.
pub(crate) fn binary64_of((mut f, ord): (Float, Ordering)) -> f64 {
    f.subnormalize_ieee_round(ord, Round::Nearest);
    f.to_f64()
}
