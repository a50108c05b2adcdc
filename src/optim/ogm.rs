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
//! **Given θ** (`theta=θ₁;…;θ_N`, optional): the same update with a caller's rational θ sequence
//! in place of the recursion (θ₀ = 1 stays), e.g. the 64-bit rational approximations a worst-case
//! certificate is proved for (`theory::pep::method::ogm_theta`): that is a different method from
//! OGM1 — exact in ℚ for every N, and Kim & Fessler's bound is not claimed for it. The
//! coefficients `a = (θ_{i} − 1)/θ_{i+1}`, `b = θ_i/θ_{i+1}` are then formed exactly in ℚ and
//! rounded once into the run's arithmetic.
//!
//! **Constructor checks**: N ≥ 1; a given θ has N entries, all positive. A run longer than N
//! steps fails at step N + 1 with [`Error::InvalidHyperParameter`] naming `steps`: the method is
//! defined for N steps only.
//!
//! **Source**: D. Kim & J. A. Fessler, *Optimized first-order methods for smooth convex
//! minimization*, Math. Program. 159 (2016), 81–107, Algorithm OGM1 and Theorem 2; Y. Drori, *The
//! exact information-based complexity of smooth convex minimization*, J. Complexity 39 (2017).

use rug::Rational;

use super::{Optimizer, Query, StateCheck, StateRecord, StepContext};
use crate::arith::linalg::Vector;
use crate::arith::{Number, Scalar};
use crate::error::{Error, Result};
use crate::problem::Oracle;
use crate::spec::{EntryInfo, ParamInfo, Spec};

/// Catalogue entry.
pub const INFO: EntryInfo = EntryInfo {
    name: "ogm",
    summary: "Kim–Fessler OGM1 for N steps: y₊ = x − γ∇f(x), x₊ = y₊ + ((θ−1)/θ₊)(y₊ − y) + (θ/θ₊)(y₊ − x)",
    params: &[
        ParamInfo {
            key: "steps",
            help: "N ≥ 1, the number of steps (required; the last step uses θ_N with 8θ²)",
        },
        ParamInfo {
            key: "theta",
            help: "θ₁;…;θ_N given (rational, positive) instead of Kim–Fessler's irrational recursion",
        },
    ],
};

/// OGM1 for a fixed number of steps. See the [module documentation](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ogm {
    steps: usize,
    theta: Option<Vec<Rational>>,
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
        Ok(Ogm { steps, theta: None })
    }

    /// The OGM update for `theta.len()` = N steps with the given `θ₁ … θ_N` (θ₀ = 1) instead of
    /// Kim & Fessler's recursion (see the [module documentation](self), "Given θ").
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] for an empty list or a θ ≤ 0.
    pub fn with_theta(theta: Vec<Rational>) -> Result<Self> {
        let mut o = Self::new(theta.len())?;
        if let Some(t) = theta.iter().find(|t| **t <= 0) {
            return Err(Error::hyper(
                "theta",
                crate::arith::text::format(t),
                "every θ must be positive",
            ));
        }
        o.theta = Some(theta);
        Ok(o)
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
        let steps = spec.usize_or("steps", 0)?;
        let s = match spec.rational_list("theta")? {
            None => Self::new(steps)?,
            Some(theta) if theta.len() == steps => Self::with_theta(theta)?,
            Some(theta) => {
                return Err(Error::hyper(
                    "theta",
                    crate::spec::format_list(&theta),
                    format!("needs exactly N = {steps} entries θ₁ … θ_N"),
                ));
            }
        };
        spec.finish(&INFO)?;
        Ok(s)
    }

    /// The spec that rebuilds this config.
    pub fn spec(&self) -> String {
        match &self.theta {
            None => format!("ogm:steps={}", self.steps),
            Some(t) => format!(
                "ogm:steps={},theta={}",
                self.steps,
                crate::spec::format_list(t)
            ),
        }
    }

    /// N.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The given θ₁ … θ_N, or `None` for Kim & Fessler's recursion.
    pub fn theta(&self) -> Option<&[Rational]> {
        self.theta.as_deref()
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
        query: &mut Query<S>,
    ) -> Result<()> {
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
        let (theta_next, a, b) = if let Some(given) = &self.theta {
            // θ_{k−1} and θ_k from the list (θ₀ = 1): a and b exact in ℚ, rounded once.
            let previous = if k == 1 {
                Rational::from(1)
            } else {
                given[k - 2].clone()
            };
            let next = &given[k - 1];
            (
                S::from_rational(next),
                S::from_rational(&Rational::from(Rational::from(&previous - 1u32) / next)),
                S::from_rational(&Rational::from(&previous / next)),
            )
        } else {
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
            (theta_next, a, b)
        };

        query.point.clone_from(&state.params);
        oracle.gradient_into(&query.point, &mut query.gradient)?;
        let [y_next, d1] = &mut query.scratch;
        y_next.clone_from(&query.point);
        y_next.axpy(&-ctx.learning_rate.clone(), &query.gradient, r);
        d1.clone_from(y_next);
        d1.sub_assign(&state.y);
        // d2 = y₊ − x into y's storage (y is not read again), then x₊ = y₊ + a·d1 + b·d2 into
        // x's, and y₊ swaps into y: the run's working vectors, no copy left behind.
        state.y.clone_from(y_next);
        state.y.sub_assign(&state.params);
        state.params.clone_from(y_next);
        state.params.axpy(&a, d1, r);
        state.params.axpy(&b, &state.y, r);
        std::mem::swap(&mut state.y, y_next);
        state.theta = theta_next;
        Ok(())
    }

    fn iterate<'s>(&self, state: &'s Self::State) -> &'s S::Vector {
        &state.params
    }

    fn state_check(&self, state: &Self::State) -> StateCheck {
        // What the default finds in `record`, without copying the state.
        let mut check = StateCheck::of_vectors([&state.params, &state.y]);
        check.finite &= state.theta.is_finite();
        check.max_bits = check.max_bits.max(state.theta.size_bits());
        check
    }

    fn record(&self, state: &Self::State) -> StateRecord<S> {
        StateRecord {
            vectors: vec![("y", state.y.clone())],
            scalars: vec![("theta", state.theta.clone())],
        }
    }
}
