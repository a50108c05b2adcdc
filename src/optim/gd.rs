//! Gradient descent.
//!
//! **Update** (step k, learning rate γ_k): `θ_k = θ_{k−1} − γ_k ∇f(θ_{k−1})`.
//!
//! **State**: the iterate only, `θ_0 = x₀`.
//!
//! **Operation order** (f64): `θ_i ← mul_add(g_i, −γ, θ_i)`, one per element.
//!
//! **Reference**: Nesterov, *Introductory Lectures on Convex Optimization* (2004), §2.1.5,
//! eq. (2.1.14); with γ = h/L, Drori & Teboulle (2014) give the tight worst case.

use super::{Optimizer, Query, StateCheck, StateRecord, StepContext};
use crate::arith::Scalar;
use crate::arith::linalg::Vector;
use crate::error::Result;
use crate::problem::Oracle;
use crate::spec::{EntryInfo, Spec};

/// Catalogue entry.
pub const INFO: EntryInfo = EntryInfo {
    name: "gd",
    summary: "gradient descent θ ← θ − γ∇f(θ)",
    params: &[],
};

/// Gradient descent (no hyper-parameters besides the schedule's learning rate).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GradientDescent;

impl GradientDescent {
    /// Parses `gd` (no parameters).
    ///
    /// # Errors
    /// [`crate::Error::Unknown`] for any parameter.
    pub fn from_spec(spec: &Spec) -> Result<Self> {
        spec.finish(&INFO)?;
        Ok(GradientDescent)
    }

    /// `gd`.
    pub fn spec(&self) -> String {
        INFO.name.into()
    }
}

/// Gradient descent's state: the iterate.
#[derive(Clone, Debug, PartialEq)]
pub struct GdState<V> {
    /// θ_k.
    pub params: V,
}

impl<S: Scalar> Optimizer<S> for GradientDescent {
    type State = GdState<S::Vector>;

    fn init(&self, x0: &S::Vector) -> Result<Self::State> {
        Ok(GdState { params: x0.clone() })
    }

    fn step(
        &self,
        state: &mut Self::State,
        ctx: &StepContext<'_, S>,
        oracle: &mut dyn Oracle<S>,
        query: &mut Query<S>,
    ) -> Result<()> {
        oracle.gradient_into(&state.params, &mut query.gradient)?;
        // θ₊ = mul_add(g, −γ, θ) written into the query's point, which then swaps with θ: the
        // query point is the old θ without a copy.
        query.point.assign_axpy(
            &-ctx.learning_rate.clone(),
            &query.gradient,
            &state.params,
            ctx.rounding,
        );
        std::mem::swap(&mut state.params, &mut query.point);
        Ok(())
    }

    fn iterate<'s>(&self, state: &'s Self::State) -> &'s S::Vector {
        &state.params
    }

    fn state_check(&self, state: &Self::State) -> StateCheck {
        StateCheck::of_vectors([&state.params])
    }

    fn record(&self, _state: &Self::State) -> StateRecord<S> {
        StateRecord::default()
    }
}
