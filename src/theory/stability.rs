//! Stability of heavy ball and NAG on quadratics, decided exactly.
//!
//! On `f = ½λx²` (one eigen-direction of a quadratic) both methods are linear two-term
//! recurrences. With `h = γλ`:
//!
//! * heavy ball `x_{k+1} = x_k − h x_k + μ(x_k − x_{k−1})`: characteristic polynomial
//!   `z² − (1 + μ − h)z + μ`;
//! * NAG (look-ahead) `x_{k+1} = y_k − h y_k`, `y_k = x_k + μ(x_k − x_{k−1})`: `z² − (1 + μ)(1 − h)z
//!   + μ(1 − h)`.
//!
//! The iteration contracts for every start iff both roots lie strictly inside the unit circle; for
//! a real monic quadratic `z² + a₁z + a₀` that is the Jury (Schur–Cohn) criterion
//! `|a₀| < 1`, `1 + a₁ + a₀ > 0`, `1 − a₁ + a₀ > 0`, decided here in ℚ without computing a root.
//! The closed forms it reproduces: heavy ball stable iff `|μ| < 1` and `0 < h < 2(1 + μ)`; NAG
//! (0 ≤ μ < 1) iff `0 < h < 2(1 + μ)/(1 + 2μ)`.
//!
//! Sources: Polyak, *Introduction to Optimization* (1987), §3.2.1 (heavy ball, Thm 1 and the
//! optimal tuning); Jury, *Theory and Application of the z-Transform Method* (1964), §3.2; for NAG
//! on quadratics, Lessard, Recht & Packard (2016), §2.2 and eq. (2.9).

use rug::float::Round;
use rug::ops::Pow;
use rug::{Float, Rational};

use crate::arith::Scalar;
use crate::error::{Error, Result};

/// A monic quadratic `z² + a₁ z + a₀` with exact coefficients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CharPoly {
    /// `a₁`.
    pub a1: Rational,
    /// `a₀`.
    pub a0: Rational,
}

/// The stability class of a linear recurrence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stability {
    /// Both roots strictly inside the unit circle: every trajectory tends to 0 geometrically.
    Stable,
    /// A root on the unit circle and none outside: bounded or polynomially growing trajectories.
    Marginal,
    /// A root strictly outside the unit circle: almost every trajectory grows geometrically.
    Unstable,
}

impl CharPoly {
    /// Heavy ball on eigenvalue `λ` with step γ: `z² − (1 + μ − γλ)z + μ`.
    pub fn heavy_ball(step_times_eigenvalue: &Rational, momentum: &Rational) -> Self {
        CharPoly {
            a1: -(Rational::from(1 + momentum.clone()) - step_times_eigenvalue),
            a0: momentum.clone(),
        }
    }

    /// NAG on eigenvalue `λ` with step γ: `z² − (1 + μ)(1 − γλ)z + μ(1 − γλ)`.
    pub fn nag(step_times_eigenvalue: &Rational, momentum: &Rational) -> Self {
        let one_minus_h = Rational::from(1 - step_times_eigenvalue.clone());
        CharPoly {
            a1: -(Rational::from(1 + momentum.clone()) * &one_minus_h),
            a0: Rational::from(momentum * &one_minus_h),
        }
    }

    /// `p(z)` at a rational point.
    pub fn eval(&self, z: &Rational) -> Rational {
        Rational::from(z * z) + Rational::from(&self.a1 * z) + &self.a0
    }

    /// The discriminant `a₁² − 4a₀` (negative: complex roots of modulus `√a₀`).
    pub fn discriminant(&self) -> Rational {
        Rational::from(&self.a1 * &self.a1) - Rational::from(4u32 * self.a0.clone())
    }

    /// The Jury criterion, exactly: `Stable` iff `|a₀| < 1`, `p(1) > 0`, `p(−1) > 0`; `Marginal`
    /// when the inequalities hold with equality somewhere and never fail strictly.
    pub fn jury(&self) -> Stability {
        let p1 = self.eval(&Rational::from(1));
        let pm1 = self.eval(&Rational::from(-1));
        let abs_a0 = self.a0.clone().abs();
        if abs_a0 < 1 && p1 > 0 && pm1 > 0 {
            return Stability::Stable;
        }
        // Outside the closed region some root is strictly outside the circle.
        if abs_a0 > 1 || p1 < 0 || pm1 < 0 {
            return Stability::Unstable;
        }
        // On the boundary: |a₀| = 1 with p(±1) ≥ 0 puts the product of the roots on the circle;
        // p(±1) = 0 puts a root at ±1. Either way the other root has modulus ≤ 1 here unless
        // the real roots straddle ±1, which p(±1) ≥ 0 and |a₀| ≤ 1 exclude.
        Stability::Marginal
    }

    /// The spectral radius `max |z_i|` in arithmetic `S` (irrational in general).
    ///
    /// # Errors
    /// [`Error::NotRational`] in exact arithmetic when a root is irrational.
    pub fn spectral_radius<S: Scalar>(&self) -> Result<S> {
        let disc = S::from_rational(&self.discriminant());
        let a1 = S::from_rational(&self.a1);
        let half = S::from_ratio(1, 2);
        if disc < S::zero() {
            // Complex pair: |z|² = a₀.
            return S::from_rational(&self.a0)
                .sqrt()
                .ok_or_else(|| Error::not_rational("spectral radius"));
        }
        let root = disc
            .sqrt()
            .ok_or_else(|| Error::not_rational("spectral radius"))?;
        let z1 = (-a1.clone() + &root) * &half;
        let z2 = (-a1 - &root) * &half;
        let (m1, m2) = (z1.abs(), z2.abs());
        Ok(if m1 >= m2 { m1 } else { m2 })
    }

    /// A rational upper bound on the spectral radius, exceeding it by less than 2⁻¹²⁶ relative:
    /// `√a₀` for a complex pair, `(|a₁| + √(a₁² − 4a₀))/2` for real roots `(−a₁ ± √d)/2`, with
    /// each square root rounded up ([`sqrt_up`]) and the rest exact.
    pub fn spectral_radius_upper(&self) -> Rational {
        let disc = self.discriminant();
        if disc < 0 {
            return sqrt_up(&self.a0);
        }
        (Rational::from(self.a1.abs_ref()) + sqrt_up(&disc)) / 2u32
    }
}

/// Precision of [`sqrt_up`]: 128 bits, so the bound is within 2⁻¹²⁷ relative of the root.
const SQRT_UP_PRECISION: u32 = 128;

/// `√q` for `q ≥ 0`, rounded up to a rational: MPFR at 128 bits rounding toward +∞ both when
/// `q` is converted and when the root is taken, so the result is never below `√q` (exact when
/// `q` is the square of a 128-bit binary fraction).
pub fn sqrt_up(q: &Rational) -> Rational {
    let (mut f, _) = Float::with_val_round(SQRT_UP_PRECISION, q, Round::Up);
    f.sqrt_round(Round::Up);
    f.to_rational().unwrap_or_default()
}

/// An upper bound on `f(x_k) − f*` for a constant-momentum method on a quadratic, from the gaps at
/// steps 0 and 1 and an upper bound `ρ` on the spectral radius of the iteration matrix over the
/// nonzero eigenvalues:
///
/// `√gap_k ≤ k ρ^{k−1} √gap₁ + (k − 1) ρ^k √gap₀`  (k ≥ 1).
///
/// Why (derived here; docs/design.md, "Theory"): in the eigenspace of λ the error `v_k` of any of
/// the report's constant-momentum conventions obeys the two-term recurrence of its characteristic
/// polynomial `z² + a₁z + a₀` from step 0 on (the state is two vectors mapped by one constant
/// matrix, Cayley–Hamilton), so `v_k = U_{k−1} v₁ − a₀ U_{k−2} v₀` with `U_n = Σ_{j=0}^{n}
/// r₁^j r₂^{n−j}` (U₋₁ = 0). `|U_n| ≤ (n + 1)ρ_λ^n` and `|a₀| = |r₁r₂| ≤ ρ_λ²` give
/// `‖v_k‖ ≤ kρ^{k−1}‖v₁‖ + (k − 1)ρ^k‖v₀‖`; `gap_k = Σ_λ ½λ‖v_{λ,k}‖²` is a squared norm
/// weighted by λ ≥ 0, and the triangle inequality in that norm gives the bound (directions with
/// λ = 0 carry no gap, so their root 1 does not enter ρ). The square roots are rounded up
/// ([`sqrt_up`]), so the returned value is never below the bound.
pub fn momentum_gap_envelope(
    k: usize,
    rho: &Rational,
    gap0: &Rational,
    gap1: &Rational,
) -> Rational {
    if k == 0 {
        return gap0.clone();
    }
    let pow = |n: usize| Rational::from(rho.pow(u32::try_from(n).unwrap_or(u32::MAX)));
    let first = Rational::from(k) * pow(k - 1) * sqrt_up(gap1);
    let second = Rational::from(k - 1) * pow(k) * sqrt_up(gap0);
    let root = first + second;
    Rational::from(&root * &root)
}

/// The closed-form heavy-ball region: `|μ| < 1` and `0 < h < 2(1 + μ)` (Polyak 1987, §3.2.1).
pub fn heavy_ball_stable(h: &Rational, momentum: &Rational) -> bool {
    let limit = Rational::from(2u32 * Rational::from(1 + momentum.clone()));
    momentum.clone().abs() < 1 && *h > 0 && *h < limit
}

/// The closed-form NAG region `0 < h < 2(1 + μ)/(1 + 2μ)`, stated for `0 ≤ μ < 1`; `None`
/// outside that range of μ (use [`CharPoly::jury`] there).
///
/// Derivation from the Jury conditions with `a₀ = μ(1 − h)`, `a₁ = −(1 + μ)(1 − h)`:
/// `p(1) = h > 0`; `p(−1) = 2 + 2μ − h(1 + 2μ) > 0`; `|μ(1 − h)| < 1` follows from these when
/// `0 ≤ μ < 1` (the bound on h keeps `h − 1 < 1/μ`).
pub fn nag_stable(h: &Rational, momentum: &Rational) -> Option<bool> {
    let limit = nag_step_limit(momentum)?;
    Some(*h > 0 && *h < limit)
}

/// `2(1 + μ)/(1 + 2μ)`, NAG's largest stable `γλ`, for `0 ≤ μ < 1` (`None` otherwise).
pub fn nag_step_limit(momentum: &Rational) -> Option<Rational> {
    if *momentum < 0 || *momentum >= 1 {
        return None;
    }
    Some(
        Rational::from(2u32 * Rational::from(1 + momentum.clone()))
            / Rational::from(1 + Rational::from(2u32 * momentum.clone())),
    )
}

/// Polyak's optimal heavy-ball tuning for a spectrum in `[m, L]`, given `√m` and `√L` exactly:
/// `γ = 4/(√L + √m)²`, `μ = ((√L − √m)/(√L + √m))²`, rate `ρ = (√L − √m)/(√L + √m)
/// = (√κ − 1)/(√κ + 1)`, with a double root at both ends of the spectrum.
///
/// Source: Polyak (1987), §3.2.1, Thm 1; the double root gives the `(c₁ + c₂k)ρ^k` envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptimalHeavyBall {
    /// γ.
    pub step: Rational,
    /// μ.
    pub momentum: Rational,
    /// ρ.
    pub rate: Rational,
}

impl OptimalHeavyBall {
    /// The tuning for `√m` and `√L` (rational, so κ = L/m has a rational square root).
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] unless `0 < √m ≤ √L`.
    pub fn new(sqrt_m: &Rational, sqrt_l: &Rational) -> Result<Self> {
        if *sqrt_m <= 0 || sqrt_m > sqrt_l {
            return Err(Error::hyper(
                "sqrt_m",
                crate::arith::text::format(sqrt_m),
                "need 0 < √m ≤ √L",
            ));
        }
        let sum = Rational::from(sqrt_l + sqrt_m);
        let rate = Rational::from(sqrt_l - sqrt_m) / &sum;
        Ok(OptimalHeavyBall {
            step: Rational::from(4u32) / Rational::from(&sum * &sum),
            momentum: Rational::from(&rate * &rate),
            rate,
        })
    }
}
