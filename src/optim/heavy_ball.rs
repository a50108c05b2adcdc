//! Polyak's heavy-ball method in parameter-only form.
//!
//! **Update** (step k, learning rate γ, momentum μ):
//! `θ_k = θ_{k−1} − γ ∇f(θ_{k−1}) + μ (θ_{k−1} − θ_{k−2})`.
//!
//! **State**: `θ_0 = x₀`, `θ_{−1} = x₀` (the first step is a gradient step). It stores the iterate
//! and the previous iterate; no buffer. With a constant γ it is PyTorch's momentum SGD
//! (dampening 0) written without the buffer, `θ_k − θ_{k−1} = −γ b_k` (docs/design.md, "Unrolled buffer": parameter-only
//! form); under a schedule they differ, PyTorch's momentum term being
//! `μ(γ_k/γ_{k−1})(θ_{k−1} − θ_{k−2})`.
//!
//! **Operation order** (per element): `d = θ − θ_prev`; `new = θ`, `new = mul_add(g, −γ, new)`,
//! `new = mul_add(d, μ, new)`; then `θ_prev = θ`, `θ = new`.
//!
//! **Constructor checks**: `0 ≤ μ < 1` (Polyak's condition, 0 ≤ β < 1).
//!
//! **Source**: B. T. Polyak, *Some methods of speeding up the convergence of iteration methods*,
//! USSR Comput. Math. Math. Phys. 4(5) (1964), 1–17, eq. (9).

use rug::Rational;

use super::{Optimizer, Query, StateCheck, StateRecord, StepContext, kv, momentum_below_one};
use crate::arith::Scalar;
use crate::arith::linalg::Vector;
use crate::error::Result;
use crate::problem::Oracle;
use crate::spec::{EntryInfo, ParamInfo, Spec};

/// Catalogue entry.
pub const INFO: EntryInfo = EntryInfo {
    name: "heavy-ball",
    summary: "Polyak heavy ball: θ₊ = θ − γ∇f(θ) + μ(θ − θ₋), θ₋₁ = θ₀",
    params: &[ParamInfo {
        key: "momentum",
        help: "μ in [0, 1) (required)",
    }],
};

/// Polyak's heavy ball. See the [module documentation](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeavyBall {
    momentum: Rational,
}

impl HeavyBall {
    /// Heavy ball with momentum μ.
    ///
    /// # Errors
    /// [`crate::Error::InvalidHyperParameter`] unless `0 ≤ μ < 1`.
    pub fn new(momentum: Rational) -> Result<Self> {
        momentum_below_one(&momentum)?;
        Ok(HeavyBall { momentum })
    }

    /// Parses `heavy-ball:momentum=..`.
    ///
    /// # Errors
    /// Parse errors and [`HeavyBall::new`]'s checks.
    pub fn from_spec(spec: &Spec) -> Result<Self> {
        let s = Self::new(spec.rational("momentum")?)?;
        spec.finish(&INFO)?;
        Ok(s)
    }

    /// The spec that rebuilds this config.
    pub fn spec(&self) -> String {
        format!("heavy-ball:{}", kv("momentum", &self.momentum))
    }

    /// μ.
    pub fn momentum_value(&self) -> &Rational {
        &self.momentum
    }
}

/// Heavy ball's state.
#[derive(Clone, Debug, PartialEq)]
pub struct HeavyBallState<V> {
    /// θ_k.
    pub params: V,
    /// θ_{k−1} (x₀ before the first step).
    pub previous: V,
}

impl<S: Scalar> Optimizer<S> for HeavyBall {
    type State = HeavyBallState<S::Vector>;

    fn init(&self, x0: &S::Vector) -> Result<Self::State> {
        Ok(HeavyBallState {
            params: x0.clone(),
            previous: x0.clone(),
        })
    }

    fn step(
        &self,
        state: &mut Self::State,
        ctx: &StepContext<'_, S>,
        oracle: &mut dyn Oracle<S>,
        query: &mut Query<S>,
    ) -> Result<()> {
        let r = ctx.rounding;
        if !ctx.record {
            if let Some((diagonal, centre)) = oracle.diagonal_centered() {
                // Not recorded, on a separable quadratic: the gradient, the update below and the
                // finiteness check in one pass (f64), into θ₋'s storage as below.
                let mu = S::from_rational(&self.momentum);
                let neg_lr = -ctx.learning_rate.clone();
                if let Some(finite) = state.previous.diagonal_heavy_ball_update(
                    &state.params,
                    diagonal,
                    centre,
                    &neg_lr,
                    &mu,
                    r,
                ) {
                    std::mem::swap(&mut state.previous, &mut state.params);
                    if !finite {
                        // A diverging step is recorded: its gradient at the query point (θ₋ now).
                        oracle.gradient_into(&state.previous, &mut query.gradient)?;
                    }
                    query.checked = Some(StateCheck {
                        finite,
                        max_bits: state.params.max_bits().max(state.previous.max_bits()),
                    });
                    return Ok(());
                }
            }
        }
        // The query point θ is θ₋ after the step (`query_point`): not copied into the query.
        oracle.gradient_into(&state.params, &mut query.gradient)?;
        let gradient = &query.gradient;
        let mu = S::from_rational(&self.momentum);
        let neg_lr = -ctx.learning_rate.clone();
        if S::EXACT {
            // In ℚ the order is immaterial: θ₊ = θ + μθ − γg − μθ₋ as one linear combination,
            // which the exact engine forms over one denominator and normalises once.
            let mut next = state.params.clone();
            let neg_mu = -mu.clone();
            next.axpy_chain(
                &[
                    (&mu, &state.params),
                    (&neg_lr, gradient),
                    (&neg_mu, &state.previous),
                ],
                r,
            );
            state.previous = std::mem::replace(&mut state.params, next);
        } else {
            // The documented rounding order (d = θ − θ₋, then two multiply-adds), written into
            // θ₋'s storage, which then swaps with θ: no copy, and one pass for f64.
            state
                .previous
                .heavy_ball_update(&state.params, gradient, &neg_lr, &mu, r);
            std::mem::swap(&mut state.previous, &mut state.params);
        }
        Ok(())
    }

    fn iterate<'s>(&self, state: &'s Self::State) -> &'s S::Vector {
        &state.params
    }

    fn query_point<'s>(&self, state: &'s Self::State) -> Option<&'s S::Vector> {
        Some(&state.previous)
    }

    fn state_check(&self, state: &Self::State) -> StateCheck {
        StateCheck::of_vectors([&state.params, &state.previous])
    }

    fn record(&self, state: &Self::State) -> StateRecord<S> {
        StateRecord {
            vectors: vec![("previous_iterate", state.previous.clone())],
            scalars: Vec::new(),
        }
    }
}
