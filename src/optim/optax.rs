//! Optax's `trace` momentum (`optax.sgd` with `momentum`), and TF's `ApplyMomentum` as an alias.
//!
//! **Update** (step k, learning rate γ, momentum μ, gradient `g = ∇f(θ_{k−1})`):
//!
//! ```text
//! t_k = g + μ t_{k−1}
//! θ_k = θ_{k−1} − γ t_k                 (plain)
//! θ_k = θ_{k−1} − γ (g + μ t_k)         (nesterov, with the new t_k)
//! ```
//!
//! **State**: `θ_0 = x₀`, `t_0 = 0` (`tree_zeros_like`: zero-initialised, unlike PyTorch, whose
//! buffer starts as a copy of the first gradient — the two agree while PyTorch's dampening is 0).
//! μ = 0 needs no branch: Optax then computes `g + 0·t = g` and so does this type.
//!
//! **Operation order** (per element): `t = mul_add(t, μ, g)`; nesterov `u = mul_add(t, μ, g)`,
//! else `u = t`; `θ = mul_add(u, −γ, θ)`. The naive model is eager Optax (`g + decay * t` with the
//! product rounded; `scale_by_learning_rate` multiplies by `−γ`, `apply_updates` adds); the fused
//! model is what jitted XLA computes when it fuses each multiply-add.
//!
//! **Constructor checks**: none (Optax checks none).
//!
//! **TF alias**: TensorFlow's `ApplyMomentum` kernel (`accum = accum·momentum + grad`;
//! `var −= accum·lr`, or with `use_nesterov` `var −= grad·lr + accum·momentum·lr`) is the same
//! recurrence: in exact arithmetic `γg + μγt = γ(g + μt)`, so the spec name `tf` builds this
//! config. TF's own f64 operation order (Eigen's evaluation of the nesterov expression, which
//! multiplies by `lr` twice) is *not* modelled: for f64 bits of TF use neither rounding model.
//!
//! **Source**: google-deepmind/optax `optax/transforms/_accumulation.py` (`trace`; formerly
//! `optax/_src/transform.py`), `optax/_src/alias.py` (`sgd` = `trace` then
//! `scale_by_learning_rate`), `optax/_src/update.py` (`apply_updates`); tensorflow/tensorflow
//! `tensorflow/core/kernels/training_ops.cc` (`functor::ApplyMomentum<CPUDevice, T>`).

use rug::Rational;

use super::{Optimizer, Query, StateCheck, StateRecord, StepContext, kv};
use crate::arith::Scalar;
use crate::arith::linalg::Vector;
use crate::error::Result;
use crate::problem::Oracle;
use crate::spec::{EntryInfo, ParamInfo, Spec};

const PARAMS: &[ParamInfo] = &[
    ParamInfo {
        key: "momentum",
        help: "μ (default 0)",
    },
    ParamInfo {
        key: "nesterov",
        help: "true/false: θ −= γ(g + μt) with the new t (default false)",
    },
];

/// Catalogue entry.
pub const INFO: EntryInfo = EntryInfo {
    name: "optax",
    summary: "optax.sgd / trace: t = g + μt (t₀ = 0), θ −= γt or γ(g + μt)",
    params: PARAMS,
};

/// Catalogue entry of the TF alias (builds an [`OptaxSgd`]).
pub const TF_INFO: EntryInfo = EntryInfo {
    name: "tf",
    summary: "TF ApplyMomentum: alias of optax (same recurrence in ℚ; TF's f64 order not modelled)",
    params: PARAMS,
};

/// `optax.sgd`'s momentum hyper-parameters. See the [module documentation](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptaxSgd {
    momentum: Rational,
    nesterov: bool,
}

impl OptaxSgd {
    /// The `trace` transform with decay `momentum`.
    pub fn new(momentum: Rational, nesterov: bool) -> Self {
        OptaxSgd { momentum, nesterov }
    }

    /// Parses `optax:momentum=..,nesterov=..` (also `tf:...`, the alias).
    ///
    /// # Errors
    /// Parse errors and unknown keys.
    pub fn from_spec(spec: &Spec) -> Result<Self> {
        let s = Self::new(
            spec.rational_or("momentum", Rational::new())?,
            spec.bool_or("nesterov", false)?,
        );
        // The alias shares every key, so one entry's list serves both names in the error.
        spec.finish(&INFO)?;
        Ok(s)
    }

    /// The spec that rebuilds this config (always under the name `optax`).
    pub fn spec(&self) -> String {
        format!(
            "optax:{},nesterov={}",
            kv("momentum", &self.momentum),
            self.nesterov
        )
    }

    /// μ.
    pub fn momentum_value(&self) -> &Rational {
        &self.momentum
    }
    /// Whether the Nesterov form is used.
    pub fn nesterov(&self) -> bool {
        self.nesterov
    }
}

/// Optax SGD's state.
#[derive(Clone, Debug, PartialEq)]
pub struct OptaxState<V> {
    /// θ_k.
    pub params: V,
    /// t_k (`TraceState.trace`).
    pub trace: V,
}

impl<S: Scalar> Optimizer<S> for OptaxSgd {
    type State = OptaxState<S::Vector>;

    fn init(&self, x0: &S::Vector) -> Result<Self::State> {
        Ok(OptaxState {
            params: x0.clone(),
            trace: S::Vector::zeros(x0.len()),
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
        query.point.clone_from(&state.params);
        oracle.gradient_into(&query.point, &mut query.gradient)?;
        let gradient = &query.gradient;
        let mu = S::from_rational(&self.momentum);
        // t ← mul_add(t, μ, g): the accumulator is the multiplicand, so build it from g, in a
        // working vector that then swaps with t.
        let work = &mut query.scratch[0];
        work.clone_from(gradient);
        work.axpy(&mu, &state.trace, r);
        std::mem::swap(&mut state.trace, work);
        let minus_lr = -ctx.learning_rate.clone();
        if self.nesterov && S::EXACT {
            // In ℚ: θ ← θ − γg − γμt as one linear combination, normalised once.
            let minus_lr_mu = minus_lr.clone() * &mu;
            state
                .params
                .axpy_chain(&[(&minus_lr, gradient), (&minus_lr_mu, &state.trace)], r);
        } else if self.nesterov {
            work.clone_from(gradient);
            work.axpy(&mu, &state.trace, r);
            state.params.axpy(&minus_lr, work, r);
        } else {
            state.params.axpy(&minus_lr, &state.trace, r);
        }
        Ok(())
    }

    fn iterate<'s>(&self, state: &'s Self::State) -> &'s S::Vector {
        &state.params
    }

    fn state_check(&self, state: &Self::State) -> StateCheck {
        StateCheck::of_vectors([&state.params, &state.trace])
    }

    fn record(&self, state: &Self::State) -> StateRecord<S> {
        StateRecord {
            vectors: vec![("trace", state.trace.clone())],
            scalars: Vec::new(),
        }
    }
}
