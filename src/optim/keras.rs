//! Sutskever momentum as Keras 3 implements it (`keras.optimizers.SGD`).
//!
//! **Update** (step k, learning rate γ, momentum μ, weight decay λ, gradient `g = ∇f(θ_{k−1})`
//! taken before the weight decay):
//!
//! ```text
//! θ ← θ − (θ·λ)·γ              if λ ≠ 0   (decoupled weight decay, before the step)
//! θ ← θ − γ g                  if μ = 0   (Keras keeps no velocity)
//! v_k = μ v_{k−1} − γ g        if μ ≠ 0
//! θ_k = θ + v_k                           (plain)
//! θ_k = θ + (μ v_k − γ g)                 (nesterov, with the new v_k)
//! ```
//!
//! With `momentum_correction`, step k ≥ 2 uses `μ_k = μ·(γ_k/γ_{k−1})` in the velocity update
//! (the look-ahead term of nesterov keeps μ). This is the form in which the Sutskever iteration
//! equals PyTorch's under a schedule: with `v_k = −γ_k b_k`, PyTorch's `b_k = μ b_{k−1} + g` becomes
//! `v_k = μ(γ_k/γ_{k−1}) v_{k−1} − γ_k g`, and its nesterov step `θ −= γ_k(g + μ b_k)` becomes
//! `θ += μ v_k − γ_k g` (docs/design.md, "Sutskever ⇔ PyTorch"; Goyal et al. 2017, *Accurate, Large
//! Minibatch SGD: Training ImageNet in 1 Hour*, §3, "Momentum correction", name the ratio). On step 1 it is a no-op
//! (`v₀ = 0`). The ratio is formed first, `μ·(γ_k/γ_{k−1})`, so that a constant schedule gives
//! exactly μ in every arithmetic ([`momentum_correction`]).
//!
//! With `float32_learning_rate`, γ is replaced by the nearest f32 (Keras keeps a constant learning
//! rate in a `floatx` = float32 variable and casts it to the variable's dtype in `update_step`),
//! rounded from the schedule's exact value when there is one, else from the run's value. The
//! corrected momentum then uses the ratio of the float32 rates actually applied: the state keeps
//! the rate it applied last, so that an f64 γ_{k−1} is never rounded to f32 a second time (double
//! rounding). Without the option the stored rate is the run's γ_{k−1} itself.
//!
//! **State**: `θ_0 = x₀`, `v_0 = 0` (a zero `momentum` slot variable, only when μ ≠ 0).
//!
//! **Operation order** (per element): weight decay `w = θ·λ` (rounded), `θ = mul_add(w, −γ, θ)`;
//! velocity `v = round(v·μ)`, `v = mul_add(g, −γ, v)`; plain `θ = θ + v` (rounded); nesterov
//! `u = round(v·μ)`, `u = mul_add(g, −γ, u)`, `θ = θ + u`; without momentum
//! `θ = mul_add(g, −γ, θ)`. Under the naive model this is exactly Keras eager
//! (`m*momentum - g*lr` with each product rounded, `variable - variable*wd*lr`). The fused model
//! (`fma(g, −γ, round(v·μ))`) is this crate's definition of a fused Keras step; it has not been
//! verified against XLA's fusion of the jitted update.
//!
//! **Constructor checks** (as `SGD.__init__`): `0 ≤ μ ≤ 1`. Keras checks nothing else (not the
//! weight decay's sign), and neither does this type.
//!
//! **Source**: Sutskever, Martens, Dahl & Hinton, *On the importance of initialization and
//! momentum in deep learning*, ICML 2013, eq. (1)–(2); keras-team/keras
//! `keras/src/optimizers/sgd.py` (`SGD.__init__`, `update_step`) and
//! `keras/src/optimizers/base_optimizer.py` (`_apply_weight_decay`: `variable - variable * wd *
//! lr`, called before `_backend_update_step`; the `learning_rate` variable with
//! `dtype=backend.floatx()`).

use rug::Rational;

use super::{Optimizer, Query, StateCheck, StateRecord, StepContext, kv};
use crate::arith::linalg::Vector;
use crate::arith::{Number, Scalar, round_to_f32};
use crate::error::{Error, Result};
use crate::problem::Oracle;
use crate::spec::{EntryInfo, ParamInfo, Spec};

/// The momentum correction `μ_t = μ·(γ_t/γ_{t−1})`, or `None` when `γ_{t−1} = 0`.
///
/// With it, the Sutskever iteration `v_t = μ_t v_{t−1} − γ_t g_t` equals PyTorch's under any
/// schedule. Derivation: if `v_{t−1} = −γ_{t−1} b_{t−1}`, then
/// `v_t = μ(γ_t/γ_{t−1})(−γ_{t−1} b_{t−1}) − γ_t g_t = −γ_t(μb_{t−1} + g_t) = −γ_t b_t`, so the
/// invariant `v = −γb` of [`crate::identities::sutskever_velocity`] survives the change of rate, and the steps agree
/// as there. Goyal et al. (2017), *Accurate, Large Minibatch SGD*, §3 name the ratio "momentum
/// correction". The ratio is formed first, so that a constant schedule gives exactly μ in every
/// arithmetic (as this optimizer applies it).
pub fn momentum_correction<S: Scalar>(
    momentum: &S,
    learning_rate: &S,
    previous_learning_rate: &S,
) -> Option<S> {
    (!previous_learning_rate.is_zero())
        .then(|| momentum.clone() * &(learning_rate.clone() / previous_learning_rate))
}

/// Catalogue entry.
pub const INFO: EntryInfo = EntryInfo {
    name: "keras",
    summary: "Sutskever / Keras 3 SGD: v = μv − γg (v₀ = 0), θ += v or μv − γg; decoupled weight decay",
    params: &[
        ParamInfo {
            key: "momentum",
            help: "μ in [0, 1] (default 0: no velocity)",
        },
        ParamInfo {
            key: "nesterov",
            help: "true/false: θ += μv − γg with the new v (default false)",
        },
        ParamInfo {
            key: "weight_decay",
            help: "λ, decoupled: θ ← θ − θλγ before the step (default 0)",
        },
        ParamInfo {
            key: "momentum_correction",
            help: "true/false: momentum μγ_k/γ_{k−1} from step 2 on (default false)",
        },
        ParamInfo {
            key: "float32_learning_rate",
            help: "true/false: round γ to f32 as Keras stores it (default false)",
        },
    ],
};

/// `keras.optimizers.SGD`'s hyper-parameters plus the two modelling options. See the
/// [module documentation](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KerasSgd {
    momentum: Rational,
    nesterov: bool,
    weight_decay: Rational,
    momentum_correction: bool,
    float32_learning_rate: bool,
}

impl KerasSgd {
    /// Validates like `keras.optimizers.SGD.__init__`.
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] for a momentum outside `[0, 1]`.
    pub fn new(
        momentum: Rational,
        nesterov: bool,
        weight_decay: Rational,
        momentum_correction: bool,
        float32_learning_rate: bool,
    ) -> Result<Self> {
        if !(0..=1).contains(&momentum) {
            return Err(Error::hyper(
                "momentum",
                crate::arith::text::format(&momentum),
                "Keras requires a momentum in [0, 1]",
            ));
        }
        Ok(KerasSgd {
            momentum,
            nesterov,
            weight_decay,
            momentum_correction,
            float32_learning_rate,
        })
    }

    /// Plain Sutskever momentum: `KerasSgd::new(μ, false, 0, false, false)`.
    ///
    /// # Errors
    /// As [`KerasSgd::new`].
    pub fn momentum(momentum: Rational) -> Result<Self> {
        Self::new(momentum, false, Rational::new(), false, false)
    }

    /// Parses `keras:momentum=..,nesterov=..,weight_decay=..,momentum_correction=..,
    /// float32_learning_rate=..`.
    ///
    /// # Errors
    /// Parse errors and [`KerasSgd::new`]'s checks.
    pub fn from_spec(spec: &Spec) -> Result<Self> {
        let s = Self::new(
            spec.rational_or("momentum", Rational::new())?,
            spec.bool_or("nesterov", false)?,
            spec.rational_or("weight_decay", Rational::new())?,
            spec.bool_or("momentum_correction", false)?,
            spec.bool_or("float32_learning_rate", false)?,
        )?;
        spec.finish(&INFO)?;
        Ok(s)
    }

    /// The spec that rebuilds this config.
    pub fn spec(&self) -> String {
        format!(
            "keras:{},nesterov={},{},momentum_correction={},float32_learning_rate={}",
            kv("momentum", &self.momentum),
            self.nesterov,
            kv("weight_decay", &self.weight_decay),
            self.momentum_correction,
            self.float32_learning_rate
        )
    }

    /// μ.
    pub fn momentum_value(&self) -> &Rational {
        &self.momentum
    }
    /// Whether the Keras Nesterov form is used.
    pub fn nesterov(&self) -> bool {
        self.nesterov
    }
    /// λ (decoupled).
    pub fn weight_decay(&self) -> &Rational {
        &self.weight_decay
    }
    /// Whether the momentum is corrected by γ_k/γ_{k−1}.
    pub fn momentum_correction(&self) -> bool {
        self.momentum_correction
    }
    /// Whether γ is rounded to f32.
    pub fn float32_learning_rate(&self) -> bool {
        self.float32_learning_rate
    }

    /// The learning rate this step applies: γ_k, or its nearest f32.
    fn applied_learning_rate<S: Scalar>(&self, ctx: &StepContext<'_, S>) -> Result<S> {
        if !self.float32_learning_rate {
            return Ok(ctx.learning_rate.clone());
        }
        // The f32 nearest γ_k, from an enclosure of a power without multiplying it out
        // (ExactRate::round); a finite f32 from the enclosure, round_to_f32's saturation from the
        // exact value otherwise.
        let rounded = ctx.exact_learning_rate.round(
            24,
            |x| <f32 as Number>::from_float(x).and_then(Rational::from_f32),
            round_to_f32,
        );
        let rounded =
            match rounded {
                Some(q) => q,
                None => round_to_f32(&ctx.learning_rate.to_rational().ok_or_else(|| {
                    Error::NonFinite {
                        context: format!("keras learning rate at step {}", ctx.step),
                        value: format!("{:?}", ctx.learning_rate),
                    }
                })?),
            };
        Ok(S::from_rational(&rounded))
    }
}

/// Keras SGD's state.
#[derive(Clone, Debug, PartialEq)]
pub struct KerasState<S: Number> {
    /// θ_k.
    pub params: S::Vector,
    /// v_k (`None` when μ = 0: Keras creates no `momentum` variable).
    pub velocity: Option<S::Vector>,
    /// The learning rate applied at step k (after any f32 rounding), for the momentum correction
    /// of step k + 1; `None` before the first step.
    pub applied_learning_rate: Option<S>,
}

impl<S: Scalar> Optimizer<S> for KerasSgd {
    type State = KerasState<S>;

    fn init(&self, x0: &S::Vector) -> Result<Self::State> {
        Ok(KerasState {
            params: x0.clone(),
            velocity: (self.momentum != 0).then(|| S::Vector::zeros(x0.len())),
            applied_learning_rate: None,
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
        let learning_rate = self.applied_learning_rate(ctx)?;
        let minus_lr = -learning_rate.clone();
        let work = &mut query.scratch[0];
        if self.weight_decay != 0 {
            work.clone_from(&state.params);
            work.scale(&S::from_rational(&self.weight_decay));
            state.params.axpy(&minus_lr, work, r);
        }
        match state.velocity.as_mut() {
            None => state.params.axpy(&minus_lr, gradient, r),
            Some(v) => {
                let mu = S::from_rational(&self.momentum);
                let mu_k = match (&state.applied_learning_rate, self.momentum_correction) {
                    (Some(previous), true) => momentum_correction(&mu, &learning_rate, previous)
                        .ok_or_else(|| Error::DivisionByZero {
                            context: format!(
                                "keras momentum correction at step {}: γ_{} = 0",
                                ctx.step,
                                ctx.step - 1
                            ),
                        })?,
                    _ => mu.clone(),
                };
                if S::EXACT {
                    // In ℚ: v ← μ_k v − γg, then (nesterov) θ ← θ + μv − γg, each one linear
                    // combination normalised once.
                    let mut next = S::Vector::zeros(v.len());
                    next.axpy_chain(&[(&mu_k, &*v), (&minus_lr, gradient)], r);
                    *v = next;
                } else {
                    v.scale(&mu_k);
                    v.axpy(&minus_lr, gradient, r);
                }
                if self.nesterov && S::EXACT {
                    state
                        .params
                        .axpy_chain(&[(&mu, &*v), (&minus_lr, gradient)], r);
                } else if self.nesterov {
                    work.clone_from(v);
                    work.scale(&mu);
                    work.axpy(&minus_lr, gradient, r);
                    state.params.add_assign(work);
                } else {
                    state.params.add_assign(v);
                }
            }
        }
        state.applied_learning_rate = Some(learning_rate);
        Ok(())
    }

    fn iterate<'s>(&self, state: &'s Self::State) -> &'s S::Vector {
        &state.params
    }

    fn state_check(&self, state: &Self::State) -> StateCheck {
        StateCheck::of_vectors(std::iter::once(&state.params).chain(&state.velocity))
    }

    fn record(&self, state: &Self::State) -> StateRecord<S> {
        StateRecord {
            vectors: state
                .velocity
                .iter()
                .map(|v| ("velocity", v.clone()))
                .collect(),
            scalars: Vec::new(),
        }
    }
}
