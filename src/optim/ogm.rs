//! Kim and Fessler's optimized gradient method, OGM1, for a fixed number of steps N.
//!
//! **Update** (step k = i + 1 for i = 0, …, N − 1, learning rate γ — 1/L in the theory):
//!
//! ```text
//! y_{i+1} = x_i − γ ∇f(x_i)                              (the gradient is queried at x_i)
//! θ_{i+1} = (1 + √(1 + 4θ_i²))/2                          for i < N − 1
//! θ_N     = (1 + √(1 + 8θ_{N−1}²))/2                      (the last step)
//! x_{i+1} = y_{i+1} + ((θ_i − 1)/θ_{i+1})(y_{i+1} − y_i) + (θ_i/θ_{i+1})(y_{i+1} − x_i)
//! ```
//!
//! The iterate is x_i: Kim & Fessler bound the last one, `f(x_N) − f* ≤ L R²/(2θ_N²) ≤
//! L R²/(N+1)²`, about half of FGM's bound, and Drori (2017) shows no first-order method does
//! better in the worst case. (Some statements write the bound for `y_N`; in OGM1 it is `x_N`, the point
//! that the modified last θ_N produces.)
//!
//! **State**: `x_0 = x₀`, `y_0 = x₀`, `θ_0 = 1`. It stores x_i, y_i (`y`) and θ_i (`theta`).
//!
//! **Arithmetic**: θ₁ = (1 + √5)/2 is irrational, so OGM runs in f64 and MPFR; in ℚ a step whose
//! θ is irrational returns [`Error::NotRational`]. The one rational case is N = 1:
//! θ₁ = (1 + √(1 + 8))/2 = 2. The θ recurrence is evaluated with each `+ − × ÷ √` rounded (no
//! multiply-add, so both rounding models agree on θ), the coefficients as `a = (θ_i − 1)/θ_{i+1}`,
//! `b = θ_i/θ_{i+1}`.
//!
//! **Operation order** (per element): `y₊ = x`, `y₊ = mul_add(g, −γ, y₊)`; `d₁ = y₊ − y`,
//! `d₂ = y₊ − x`; `x₊ = y₊`, `x₊ = mul_add(d₁, a, x₊)`, `x₊ = mul_add(d₂, b, x₊)`.
//!
//! **Constructor checks**: N ≥ 1. A run longer than N steps fails at step N + 1 with
//! [`Error::InvalidHyperParameter`] naming `steps`: the method is defined for N steps only.
//!
//! **Source**: D. Kim & J. A. Fessler, *Optimized first-order methods for smooth convex
//! minimization*, Math. Program. 159 (2016), 81–107, Algorithm OGM1 and Theorem 2; Y. Drori, *The
//! exact information-based complexity of smooth convex minimization*, J. Complexity 39 (2017).

use super::{Optimizer, Query, StateRecord, StepContext};
use crate::arith::linalg::Vector;
use crate::arith::{Number, Scalar};
use crate::error::{Error, Result};
use crate::problem::Oracle;
use crate::spec::{EntryInfo, ParamInfo, Spec};

/// Catalogue entry.
pub const INFO: EntryInfo = EntryInfo {
    name: "ogm",
    summary: "Kim–Fessler OGM1 for N steps: y₊ = x − γ∇f(x), x₊ = y₊ + ((θ−1)/θ₊)(y₊ − y) + (θ/θ₊)(y₊ − x)",
    params: &[ParamInfo {
        key: "steps",
        help: "N ≥ 1, the number of steps (required; the last step uses θ_N with 8θ²)",
    }],
};

/// OGM1 for a fixed number of steps. See the [module documentation](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ogm {
    steps: usize,
}

impl Ogm {
    /// OGM1 for `steps` = N steps.
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] for N = 0.
    pub fn new(steps: usize) -> Result<Self> {
        if steps == 0 {
            return Err(Error::hyper("steps", steps, "OGM needs at least one step"));
        }
        Ok(Ogm { steps })
    }

    /// Parses `ogm:steps=N`.
    ///
    /// # Errors
    /// [`Error::Parse`] when `steps` is missing or malformed; [`Ogm::new`]'s checks.
    pub fn from_spec(spec: &Spec) -> Result<Self> {
        if spec.raw("steps").is_none() {
            return Err(Error::parse(
                "spec",
                spec.name(),
                "missing required key \"steps\"",
            ));
        }
        let s = Self::new(spec.usize_or("steps", 0)?)?;
        spec.finish(&INFO)?;
        Ok(s)
    }

    /// The spec that rebuilds this config.
    pub fn spec(&self) -> String {
        format!("ogm:steps={}", self.steps)
    }

    /// N.
    pub fn steps(&self) -> usize {
        self.steps
    }
}

/// OGM1's state after step k = i (see the [module documentation](self)).
#[derive(Clone, Debug, PartialEq)]
pub struct OgmState<S: Number> {
    /// x_i.
    pub params: S::Vector,
    /// y_i (y₀ = x₀).
    pub y: S::Vector,
    /// θ_i (θ₀ = 1).
    pub theta: S,
}

impl<S: Scalar> Optimizer<S> for Ogm {
    type State = OgmState<S>;

    fn init(&self, x0: &S::Vector) -> Result<Self::State> {
        Ok(OgmState {
            params: x0.clone(),
            y: x0.clone(),
            theta: S::one(),
        })
    }

    fn step(
        &self,
        state: &mut Self::State,
        ctx: &StepContext<'_, S>,
        oracle: &mut dyn Oracle<S>,
    ) -> Result<Query<S>> {
        let k = ctx.step;
        if k > self.steps {
            return Err(Error::hyper(
                "steps",
                self.steps,
                format!(
                    "OGM is defined for exactly N steps (the last uses θ_N with 8θ²); the run asked for step {k}"
                ),
            ));
        }
        let r = ctx.rounding;
        let factor = if k == self.steps { 8 } else { 4 };
        let theta = &state.theta;
        let inner = S::one() + &(S::from_ratio(factor, 1) * &(theta.clone() * theta));
        let root = inner.sqrt().ok_or_else(|| Error::NotRational {
            operation: "OGM's θ_{i+1} = (1 + √(1 + cθ_i²))/2",
            detail: format!(" at step {k}"),
        })?;
        let theta_next = (S::one() + &root) * &S::from_ratio(1, 2);
        let a = (theta.clone() - &S::one()) / &theta_next;
        let b = theta.clone() / &theta_next;

        let point = state.params.clone();
        let gradient = oracle.gradient(&point)?;
        let mut y_next = point.clone();
        y_next.axpy(&-ctx.learning_rate.clone(), &gradient, r);
        let mut d1 = y_next.clone();
        d1.sub_assign(&state.y);
        let mut d2 = y_next.clone();
        d2.sub_assign(&state.params);
        let mut x_next = y_next.clone();
        x_next.axpy(&a, &d1, r);
        x_next.axpy(&b, &d2, r);
        state.params = x_next;
        state.y = y_next;
        state.theta = theta_next;
        Ok(Query { point, gradient })
    }

    fn iterate<'s>(&self, state: &'s Self::State) -> &'s S::Vector {
        &state.params
    }

    fn record(&self, state: &Self::State) -> StateRecord<S> {
        StateRecord {
            vectors: vec![("y", state.y.clone())],
            scalars: vec![("theta", state.theta.clone())],
        }
    }
}
