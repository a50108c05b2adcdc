//! Nesterov's accelerated gradient with constant momentum, in two equivalent forms.
//!
//! **Look-ahead form** ([`Nag`], spec `nag`; Sutskever et al. 2013, eq. (3)–(4)):
//!
//! ```text
//! y_k = θ_{k−1} + μ v_{k−1}            (the gradient is queried here)
//! v_k = μ v_{k−1} − γ ∇f(y_k)
//! θ_k = θ_{k−1} + v_k
//! ```
//!
//! State `θ_0 = x₀`, `v_0 = 0`; it stores the iterate θ_k and the velocity `v_k = θ_k − θ_{k−1}`.
//!
//! **Predictor–corrector form** ([`NagPc`], spec `nag-pc`):
//!
//! ```text
//! y_k = x_{k−1} + μ (x_{k−1} − x_{k−2})   (predictor; the gradient is queried here)
//! x_k = y_k − γ ∇f(y_k)                   (corrector: a gradient step from y_k)
//! ```
//!
//! State `x_0 = x₀`, `x_{−1} = x₀`; it stores the iterate x_k and the previous iterate x_{k−1}.
//!
//! **Equivalence**: in exact arithmetic the two forms produce the same iterates `θ_k = x_k` and
//! query the same points, for any schedule: by induction `v_{k−1} = θ_{k−1} − θ_{k−2}` (true for
//! k = 1 since `v_0 = 0` and `x_{−1} = x₀`), so both query `y_k`, and
//! `θ_k = θ_{k−1} + μv_{k−1} − γ∇f(y_k) = y_k − γ∇f(y_k) = x_k`. The forms differ only in rounding.
//! Bengio, Boulanger-Lewandowski & Pascanu (2013), *Advances in optimizing recurrent networks*,
//! §3.5, reparametrise the look-ahead form by its query point `Θ = θ + μv`; that third form is what
//! PyTorch's and Keras's `nesterov=True` compute (see [`super::pytorch`], [`super::keras`]).
//!
//! **Operation order** (per element): look-ahead `y = θ`, `y = mul_add(v, μ, y)`;
//! `v = round(v·μ)`, `v = mul_add(g, −γ, v)`; `θ = θ + v`. Predictor–corrector
//! `d = x − x_prev`, `y = x`, `y = mul_add(d, μ, y)`; `x_prev = x`; `x = y`, `x = mul_add(g, −γ, x)`.
//!
//! **Constructor checks**: `0 ≤ μ < 1`, the range in which Sutskever et al. and the stability
//! analysis (docs/design.md, "Theory", quadratics per eigenvalue) define the method.
//!
//! **Source**: Sutskever, Martens, Dahl & Hinton, *On the importance of initialization and momentum
//! in deep learning*, ICML 2013, eq. (3)–(4); Nesterov, *A method of solving a convex programming
//! problem with convergence rate O(1/k²)*, Soviet Math. Dokl. 27 (1983).

use rug::Rational;

use super::{Optimizer, Query, StateCheck, StateRecord, StepContext, kv, momentum_below_one};
use crate::arith::Scalar;
use crate::arith::linalg::Vector;
use crate::error::Result;
use crate::problem::Oracle;
use crate::spec::{EntryInfo, ParamInfo, Spec};

/// The exact step both NAG forms share, with θ₋ = θ_{k−1} stored: y = θ + μ(θ − θ₋) as one
/// linear combination (one denominator, normalised once, as heavy ball's step), the gradient at
/// y, θ₊ = y − γg, and θ₋ ← θ, θ ← θ₊ (the predictor–corrector identity of the module
/// documentation).
fn exact_look_ahead_step<S: Scalar>(
    params: &mut S::Vector,
    previous: &mut S::Vector,
    mu: &S,
    neg_lr: &S,
    oracle: &mut dyn Oracle<S>,
    query: &mut Query<S>,
    r: crate::arith::Rounding,
) -> Result<()> {
    query.point.clone_from(params);
    let neg_mu = -mu.clone();
    query
        .point
        .axpy_chain(&[(mu, &*params), (&neg_mu, &*previous)], r);
    oracle.gradient_into(&query.point, &mut query.gradient)?;
    let mut next = query.point.clone();
    next.axpy(neg_lr, &query.gradient, r);
    *previous = std::mem::replace(params, next);
    Ok(())
}

const PARAMS: &[ParamInfo] = &[ParamInfo {
    key: "momentum",
    help: "μ in [0, 1) (required)",
}];

/// Catalogue entry of the look-ahead form.
pub const INFO: EntryInfo = EntryInfo {
    name: "nag",
    summary: "Nesterov look-ahead: v = μv − γ∇f(θ + μv) (v₀ = 0), θ += v",
    params: PARAMS,
};

/// Catalogue entry of the predictor–corrector form.
pub const PC_INFO: EntryInfo = EntryInfo {
    name: "nag-pc",
    summary: "Nesterov predictor–corrector: y = x + μ(x − x₋), x = y − γ∇f(y) (x₋₁ = x₀)",
    params: PARAMS,
};

/// Nesterov's method in the look-ahead (velocity) form. See the [module documentation](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nag {
    momentum: Rational,
}

impl Nag {
    /// The look-ahead form with momentum μ.
    ///
    /// # Errors
    /// [`crate::Error::InvalidHyperParameter`] unless `0 ≤ μ < 1`.
    pub fn new(momentum: Rational) -> Result<Self> {
        momentum_below_one(&momentum)?;
        Ok(Nag { momentum })
    }

    /// Parses `nag:momentum=..`.
    ///
    /// # Errors
    /// Parse errors and [`Nag::new`]'s checks.
    pub fn from_spec(spec: &Spec) -> Result<Self> {
        let s = Self::new(spec.rational("momentum")?)?;
        spec.finish(&INFO)?;
        Ok(s)
    }

    /// The spec that rebuilds this config.
    pub fn spec(&self) -> String {
        format!("nag:{}", kv("momentum", &self.momentum))
    }

    /// μ.
    pub fn momentum_value(&self) -> &Rational {
        &self.momentum
    }
}

/// The look-ahead form's state: θ_k and the velocity `v_k = θ_k − θ_{k−1}`.
///
/// Stored as (θ_k, v_k) in floating arithmetic, where the documented operation order updates v,
/// and as (θ_k, θ_{k−1}) in exact arithmetic, where the velocity is formed only when it is asked
/// for ([`NagState::velocity`], a recorded step): a step in ℚ is then two normalised combinations
/// (the query point and the new iterate) instead of three, as heavy ball's is one. Both
/// representations hold the same values; [`NagState::from_velocity`] builds either.
#[derive(Clone, Debug, PartialEq)]
pub struct NagState<V> {
    /// θ_k.
    params: V,
    /// Floating arithmetic: v_k. Exact arithmetic: θ_{k−1}.
    second: V,
}

impl<V: Clone> NagState<V> {
    /// The state θ_k = `params`, v_k = `velocity` in arithmetic `S`.
    pub fn from_velocity<S: Scalar<Vector = V>>(params: V, velocity: V) -> Self
    where
        V: Vector<S>,
    {
        let second = if S::EXACT {
            let mut previous = params.clone();
            previous.sub_assign(&velocity);
            previous
        } else {
            velocity
        };
        NagState { params, second }
    }

    /// θ_k.
    pub fn params(&self) -> &V {
        &self.params
    }

    /// v_k = θ_k − θ_{k−1} in arithmetic `S` (in ℚ formed here, from θ_k and θ_{k−1}).
    pub fn velocity<S: Scalar<Vector = V>>(&self) -> V
    where
        V: Vector<S>,
    {
        if S::EXACT {
            let mut v = self.params.clone();
            v.sub_assign(&self.second);
            v
        } else {
            self.second.clone()
        }
    }
}

impl<S: Scalar> Optimizer<S> for Nag {
    type State = NagState<S::Vector>;

    fn init(&self, x0: &S::Vector) -> Result<Self::State> {
        Ok(NagState::from_velocity::<S>(
            x0.clone(),
            S::Vector::zeros(x0.len()),
        ))
    }

    fn step(
        &self,
        state: &mut Self::State,
        ctx: &StepContext<'_, S>,
        oracle: &mut dyn Oracle<S>,
        query: &mut Query<S>,
    ) -> Result<()> {
        let r = ctx.rounding;
        let mu = S::from_rational(&self.momentum);
        let neg_lr = -ctx.learning_rate.clone();
        if S::EXACT {
            // In ℚ θ₋ = θ_{k−1} is stored; the velocity θ₊ − θ is formed only when recorded.
            return exact_look_ahead_step(
                &mut state.params,
                &mut state.second,
                &mu,
                &neg_lr,
                oracle,
                query,
                r,
            );
        }
        if !ctx.record {
            if let Some((diagonal, centre)) = oracle.diagonal_centered() {
                // Not recorded, on a separable quadratic: the query point, the gradient there and
                // the update below in one pass (f64), the query point kept only where the step
                // could diverge (`Vector::diagonal_nag_update`).
                if let Some(pass) = state.params.diagonal_nag_update(
                    &mut state.second,
                    &mut query.point,
                    diagonal,
                    centre,
                    [&mu, &neg_lr],
                    r,
                    &mut query.magnitudes,
                ) {
                    if !pass.finite {
                        // A diverging step is recorded: its gradient at its query point, which
                        // the pass kept (it was not in place), bit for bit the pass's.
                        oracle.gradient_into(&query.point, &mut query.gradient)?;
                    }
                    query.checked = Some(StateCheck {
                        finite: pass.finite,
                        max_bits: state.params.max_bits().max(state.second.max_bits()),
                    });
                    return Ok(());
                }
            }
        }
        // The separate passes change the state without measuring it: the next one-pass step
        // must not trust the magnitudes of the last.
        query.magnitudes = None;
        // The documented order (point = θ, point += μv; v = μv, v += −γg; θ += v), each line
        // one pass for f64 into storage the run reuses.
        let velocity = &mut state.second;
        query.point.assign_axpy(&mu, velocity, &state.params, r);
        oracle.gradient_into(&query.point, &mut query.gradient)?;
        state
            .params
            .velocity_update(velocity, &query.gradient, &mu, &neg_lr, r);
        Ok(())
    }

    fn iterate<'s>(&self, state: &'s Self::State) -> &'s S::Vector {
        &state.params
    }

    fn state_check(&self, state: &Self::State) -> StateCheck {
        // In ℚ the second vector is θ_{k−1}: the size budget bounds the iterates, of which the
        // velocity is the difference.
        StateCheck::of_vectors([&state.params, &state.second])
    }

    fn record(&self, state: &Self::State) -> StateRecord<S> {
        StateRecord {
            vectors: vec![("velocity", state.velocity::<S>())],
            scalars: Vec::new(),
        }
    }
}

/// Nesterov's method in the predictor–corrector form. See the [module documentation](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NagPc {
    momentum: Rational,
}

impl NagPc {
    /// The predictor–corrector form with momentum μ.
    ///
    /// # Errors
    /// [`crate::Error::InvalidHyperParameter`] unless `0 ≤ μ < 1`.
    pub fn new(momentum: Rational) -> Result<Self> {
        momentum_below_one(&momentum)?;
        Ok(NagPc { momentum })
    }

    /// Parses `nag-pc:momentum=..`.
    ///
    /// # Errors
    /// Parse errors and [`NagPc::new`]'s checks.
    pub fn from_spec(spec: &Spec) -> Result<Self> {
        let s = Self::new(spec.rational("momentum")?)?;
        spec.finish(&PC_INFO)?;
        Ok(s)
    }

    /// The spec that rebuilds this config.
    pub fn spec(&self) -> String {
        format!("nag-pc:{}", kv("momentum", &self.momentum))
    }

    /// μ.
    pub fn momentum_value(&self) -> &Rational {
        &self.momentum
    }
}

/// The predictor–corrector form's state.
#[derive(Clone, Debug, PartialEq)]
pub struct NagPcState<V> {
    /// x_k.
    pub params: V,
    /// x_{k−1} (x₀ before the first step).
    pub previous: V,
}

impl<S: Scalar> Optimizer<S> for NagPc {
    type State = NagPcState<S::Vector>;

    fn init(&self, x0: &S::Vector) -> Result<Self::State> {
        Ok(NagPcState {
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
        let mu = S::from_rational(&self.momentum);
        let minus_lr = -ctx.learning_rate.clone();
        if S::EXACT {
            // In ℚ the order is immaterial (`exact_look_ahead_step`).
            return exact_look_ahead_step(
                &mut state.params,
                &mut state.previous,
                &mu,
                &minus_lr,
                oracle,
                query,
                r,
            );
        }
        // The documented order (d = x − x₋, y = mul_add(d, μ, x), x₊ = mul_add(g, −γ, y)) without
        // allocating: d in the gradient's buffer (which the gradient then overwrites), x₊ in
        // x₋'s storage, then swapped with x.
        let d = &mut query.gradient;
        d.clone_from(&state.params);
        d.sub_assign(&state.previous);
        query.point.assign_axpy(&mu, d, &state.params, r);
        oracle.gradient_into(&query.point, &mut query.gradient)?;
        state
            .previous
            .assign_axpy(&minus_lr, &query.gradient, &query.point, r);
        std::mem::swap(&mut state.previous, &mut state.params);
        Ok(())
    }

    fn iterate<'s>(&self, state: &'s Self::State) -> &'s S::Vector {
        &state.params
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Schedule;
    use crate::problem::quadratic::{QuadraticParams, QuadraticProblem};
    use crate::problem::{Problem, to_vector};
    use crate::trace::{RunOptions, run_with_oracle};

    /// Both forms give the same iterates and query points in ℚ, under a non-constant schedule.
    #[test]
    fn look_ahead_and_predictor_corrector_agree_exactly() {
        let schedule = Schedule::from_spec("step:lr=1/2,factor=1/2,every=3").unwrap();
        for seed in 0..6 {
            let p = QuadraticProblem::from_seed(&QuadraticParams::default(), seed);
            let x0 = to_vector::<Rational>(&p.initial_point());
            let mu = Rational::from((3, 4));
            let opts = RunOptions::default();
            let mut o1 = p.exact_oracle().unwrap();
            let a = run_with_oracle(
                &Nag::new(mu.clone()).unwrap(),
                o1.as_mut(),
                &schedule,
                &x0,
                12,
                &opts,
                ("", ""),
            )
            .unwrap();
            let mut o2 = p.exact_oracle().unwrap();
            let b = run_with_oracle(
                &NagPc::new(mu).unwrap(),
                o2.as_mut(),
                &schedule,
                &x0,
                12,
                &opts,
                ("", ""),
            )
            .unwrap();
            for (sa, sb) in a.steps.iter().zip(&b.steps) {
                assert_eq!(sa.iterate, sb.iterate, "seed {seed}, step {}", sa.step);
                assert_eq!(sa.query, sb.query, "seed {seed}, step {}", sa.step);
                // v_k = x_k − x_{k−1}.
                let mut diff = sb.iterate.clone();
                diff.sub_assign(sb.state_vector("previous_iterate").unwrap());
                assert_eq!(sa.state_vector("velocity").unwrap(), &diff);
            }
        }
    }
}
