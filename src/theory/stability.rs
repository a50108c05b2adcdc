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

use rug::Rational;

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
