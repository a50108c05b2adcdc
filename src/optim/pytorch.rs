//! PyTorch SGD (`torch.optim.SGD`).
//!
//! **Update** (step k, learning rate γ, momentum μ, dampening τ, weight decay λ, gradient
//! `g = ∇f(θ_{k−1})`):
//!
//! ```text
//! g ← −g                      if maximize
//! g ← g + λθ                  if λ ≠ 0        (coupled weight decay)
//! b_k = g                     if k = 1        (the buffer is a copy: dampening NOT applied)
//! b_k = μ b_{k−1} + (1 − τ) g if k > 1
//! g ← g + μ b_k               if nesterov,  else g ← b_k      (only when μ ≠ 0)
//! θ_k = θ_{k−1} − γ g
//! ```
//!
//! **State**: `θ_0 = x₀`; no buffer until the first step (`momentum_buffer_list[i] is None`).
//!
//! **Operation order** (per element; this is the fused model of docs/design.md, "Scalars", which PyTorch 2.x
//! float64 CPU kernels match bitwise): `g = mul_add(θ, λ, g)`;
//! `b = mul_add(g, 1−τ, μ·b)` with `μ·b` rounded first; nesterov `g = mul_add(b, μ, g)`;
//! `θ = mul_add(g, −γ, θ)`. `1 − τ` is computed in the run's arithmetic, as Python computes
//! `1 - dampening` in double precision.
//!
//! **Constructor checks** (as `SGD.__init__`): momentum ≥ 0, weight decay ≥ 0, and nesterov
//! requires momentum > 0 and dampening = 0. PyTorch does not check dampening's sign or momentum ≥ 1,
//! and neither does this type: the oracle reproduces what PyTorch accepts.
//!
//! **Source**: pytorch/pytorch `torch/optim/sgd.py` (`SGD.__init__`, `_single_tensor_sgd`,
//! `_multi_tensor_sgd`); `aten/src/ATen/native/ufunc/add.h` (`vec::fmadd` for `add` with alpha).

use rug::Rational;

use super::{Optimizer, Query, StateCheck, StateRecord, StepContext, kv, non_negative};
use crate::arith::Scalar;
use crate::arith::linalg::Vector;
use crate::error::{Error, Result};
use crate::problem::Oracle;
use crate::spec::{EntryInfo, ParamInfo, Spec};

/// Catalogue entry.
pub const INFO: EntryInfo = EntryInfo {
    name: "pytorch",
    summary: "torch.optim.SGD: buffer b = μb + (1−τ)g (b₁ = g), θ −= γb or γ(g + μb)",
    params: &[
        ParamInfo {
            key: "momentum",
            help: "μ ≥ 0 (default 0)",
        },
        ParamInfo {
            key: "dampening",
            help: "τ (default 0; not applied on step 1)",
        },
        ParamInfo {
            key: "nesterov",
            help: "true/false (default false; needs μ > 0, τ = 0)",
        },
        ParamInfo {
            key: "weight_decay",
            help: "λ ≥ 0, coupled: g += λθ (default 0)",
        },
        ParamInfo {
            key: "maximize",
            help: "true/false: ascend (default false)",
        },
    ],
};

/// `torch.optim.SGD`'s hyper-parameters (validated as PyTorch's constructor does).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PytorchSgd {
    momentum: Rational,
    dampening: Rational,
    nesterov: bool,
    weight_decay: Rational,
    maximize: bool,
}

impl PytorchSgd {
    /// Validates like `torch.optim.SGD.__init__`.
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] for momentum < 0, weight decay < 0, or nesterov with
    /// momentum ≤ 0 or dampening ≠ 0.
    pub fn new(
        momentum: Rational,
        dampening: Rational,
        nesterov: bool,
        weight_decay: Rational,
        maximize: bool,
    ) -> Result<Self> {
        non_negative("momentum", &momentum)?;
        non_negative("weight_decay", &weight_decay)?;
        if nesterov && (momentum <= 0 || dampening != 0) {
            return Err(Error::hyper(
                "nesterov",
                format!(
                    "true (momentum={}, dampening={})",
                    crate::arith::text::format(&momentum),
                    crate::arith::text::format(&dampening)
                ),
                "Nesterov momentum requires a momentum and zero dampening",
            ));
        }
        Ok(PytorchSgd {
            momentum,
            dampening,
            nesterov,
            weight_decay,
            maximize,
        })
    }

    /// Plain momentum SGD: `PytorchSgd::new(μ, 0, false, 0, false)`.
    ///
    /// # Errors
    /// As [`PytorchSgd::new`].
    pub fn momentum(momentum: Rational) -> Result<Self> {
        Self::new(momentum, Rational::new(), false, Rational::new(), false)
    }

    /// Parses `pytorch:momentum=..,dampening=..,nesterov=..,weight_decay=..,maximize=..`.
    ///
    /// # Errors
    /// Parse errors and [`PytorchSgd::new`]'s checks.
    pub fn from_spec(spec: &Spec) -> Result<Self> {
        let s = Self::new(
            spec.rational_or("momentum", Rational::new())?,
            spec.rational_or("dampening", Rational::new())?,
            spec.bool_or("nesterov", false)?,
            spec.rational_or("weight_decay", Rational::new())?,
            spec.bool_or("maximize", false)?,
        )?;
        spec.finish(&INFO)?;
        Ok(s)
    }

    /// The spec that rebuilds this config.
    pub fn spec(&self) -> String {
        format!(
            "pytorch:{},{},nesterov={},{},maximize={}",
            kv("momentum", &self.momentum),
            kv("dampening", &self.dampening),
            self.nesterov,
            kv("weight_decay", &self.weight_decay),
            self.maximize
        )
    }

    /// μ.
    pub fn momentum_value(&self) -> &Rational {
        &self.momentum
    }
    /// τ.
    pub fn dampening(&self) -> &Rational {
        &self.dampening
    }
    /// Whether the Nesterov form is used.
    pub fn nesterov(&self) -> bool {
        self.nesterov
    }
    /// λ.
    pub fn weight_decay(&self) -> &Rational {
        &self.weight_decay
    }
    /// Whether the objective is maximised.
    pub fn maximize(&self) -> bool {
        self.maximize
    }
}

/// PyTorch SGD's state.
#[derive(Clone, Debug, PartialEq)]
pub struct PytorchState<V> {
    /// θ_k.
    pub params: V,
    /// b_k (`None` before the first step, as in PyTorch).
    pub momentum_buffer: Option<V>,
}

impl<S: Scalar> Optimizer<S> for PytorchSgd {
    type State = PytorchState<S::Vector>;

    fn init(&self, x0: &S::Vector) -> Result<Self::State> {
        Ok(PytorchState {
            params: x0.clone(),
            momentum_buffer: None,
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
        if !ctx.record && self.momentum != 0 && !self.nesterov && !self.maximize {
            if let (true, Some(b), Some((diagonal, centre))) = (
                self.weight_decay == 0,
                state.momentum_buffer.as_mut(),
                oracle.diagonal_centered(),
            ) {
                // The common step on a separable quadratic, not recorded: gradient, update and
                // finiteness check in one pass (f64), the same operations as below, the new θ
                // into the query's point as below. The gradient is not kept.
                let mu = S::from_rational(&self.momentum);
                let one_minus_tau = S::one() - &S::from_rational(&self.dampening);
                let step = -ctx.learning_rate.clone();
                if let Some(pass) = state.params.diagonal_momentum_update(
                    &mut query.point,
                    b,
                    diagonal,
                    centre,
                    [&mu, &one_minus_tau, &step],
                    r,
                    &mut query.magnitudes,
                ) {
                    // In place only when no value could overflow (then no divergence to record,
                    // and the stale query point is never read); otherwise into the query's point.
                    if !pass.in_place {
                        std::mem::swap(&mut state.params, &mut query.point);
                    }
                    let finite = pass.finite;
                    if !finite {
                        // The runner records a diverging step: its gradient, at the old θ (the
                        // query point now), is the one the pass used, bit for bit.
                        oracle.gradient_into(&query.point, &mut query.gradient)?;
                    }
                    query.checked = Some(StateCheck {
                        finite,
                        max_bits: state.params.max_bits().max(b.max_bits()),
                    });
                    return Ok(());
                }
            }
        }
        // The separate passes change the state without measuring it: the next one-pass step
        // must not trust the magnitudes of the last.
        query.magnitudes = None;
        oracle.gradient_into(&state.params, &mut query.gradient)?;
        // The transformed gradient is a copy only when there is a transform, into a working
        // vector of the run's.
        let [transformed, direction] = &mut query.scratch;
        let g = if self.maximize || self.weight_decay != 0 {
            transformed.clone_from(&query.gradient);
            if self.maximize {
                transformed.negate();
            }
            if self.weight_decay != 0 {
                transformed.axpy(&S::from_rational(&self.weight_decay), &state.params, r);
            }
            &*transformed
        } else {
            &query.gradient
        };
        if !(self.momentum != 0 && !self.nesterov && state.momentum_buffer.is_some()) {
            // Every other step updates θ in place: the query point is a copy.
            query.point.clone_from(&state.params);
        }
        if self.momentum != 0 {
            let mu = S::from_rational(&self.momentum);
            match state.momentum_buffer.as_mut() {
                // The common step: buffer and parameters in one fused update (same operations,
                // same order as scale, axpy, axpy; one pass over memory for f64), the new θ
                // written into the query's point, which then swaps with θ: the query point is
                // the old θ without a copy.
                Some(b) if !self.nesterov => {
                    let one_minus_tau = S::one() - &S::from_rational(&self.dampening);
                    let step = -ctx.learning_rate.clone();
                    state.params.momentum_update_into(
                        &mut query.point,
                        b,
                        g,
                        &mu,
                        &one_minus_tau,
                        &step,
                        r,
                    );
                    std::mem::swap(&mut state.params, &mut query.point);
                    return Ok(());
                }
                Some(b) => {
                    let one_minus_tau = S::one() - &S::from_rational(&self.dampening);
                    if S::EXACT {
                        // In ℚ: b ← μb + (1 − τ)g as one linear combination, normalised once.
                        let mut next = S::Vector::zeros(b.len());
                        next.axpy_chain(&[(&mu, &*b), (&one_minus_tau, g)], r);
                        *b = next;
                    } else {
                        b.scale(&mu);
                        b.axpy(&one_minus_tau, g, r);
                    }
                }
                None => state.momentum_buffer = Some(g.clone()),
            }
            let buf = state.momentum_buffer.as_ref().expect("set just above");
            if self.nesterov && S::EXACT {
                // In ℚ: θ ← θ − γg − γμb as one linear combination, normalised once.
                let minus_lr = -ctx.learning_rate.clone();
                let minus_lr_mu = minus_lr.clone() * &mu;
                state
                    .params
                    .axpy_chain(&[(&minus_lr, g), (&minus_lr_mu, buf)], r);
                return Ok(());
            }
            // The step direction: g + μb (nesterov) or b.
            let minus_lr = -ctx.learning_rate.clone();
            if self.nesterov {
                direction.clone_from(g);
                direction.axpy(&mu, buf, r);
                state.params.axpy(&minus_lr, direction, r);
            } else {
                state.params.axpy(&minus_lr, buf, r);
            }
            return Ok(());
        }
        state.params.axpy(&-ctx.learning_rate.clone(), g, r);
        Ok(())
    }

    fn iterate<'s>(&self, state: &'s Self::State) -> &'s S::Vector {
        &state.params
    }

    fn state_check(&self, state: &Self::State) -> StateCheck {
        StateCheck::of_vectors(std::iter::once(&state.params).chain(&state.momentum_buffer))
    }

    fn record(&self, state: &Self::State) -> StateRecord<S> {
        StateRecord {
            vectors: state
                .momentum_buffer
                .iter()
                .map(|b| ("momentum_buffer", b.clone()))
                .collect(),
            scalars: Vec::new(),
        }
    }
}
