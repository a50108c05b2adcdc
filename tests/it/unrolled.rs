//! Unrolled buffers: the momentum buffer and the velocity as explicit weighted sums of past
//! gradients — PyTorch's first-step quirk under dampening, the weight μ^s of an s-step-old
//! gradient, and the effective memory 1/(1 − μ).
//!
//! The closed forms of `momentum_oracle::identities` are evaluated as explicit sums (never the
//! recurrence) and compared with the buffers the optimizers record: on generated quadratics, and
//! on replayed gradient sequences (an impulse, a constant) that isolate the state update.

use crate::common::{Identity, Property, check_exact_and_f64, q, state, trace_of};
use momentum_oracle::arith::linalg::Vector;
use momentum_oracle::arith::{Rounding, Scalar};
use momentum_oracle::identities::{
    effective_memory, gradient_weight, sutskever_velocity, unrolled_buffer, unrolled_velocity,
};
use momentum_oracle::optim::keras::KerasSgd;
use momentum_oracle::optim::pytorch::PytorchSgd;
use momentum_oracle::optim::{OptimizerConfig, Schedule, strategy};
use momentum_oracle::problem::Evaluate;
use momentum_oracle::problem::quadratic::QuadraticProblem;
use momentum_oracle::problem::to_vector;
use momentum_oracle::problem::wrappers::Replay;
use proptest::prelude::*;
use rug::Rational;

const STEPS: usize = 12;

/// PyTorch's buffer against its unrolled form, `b_t = μ^{t−1}g_1 + (1−τ)Σ_{s≥2} μ^{t−s}g_s`, at
/// every step of a run on a quadratic (any schedule: the buffer does not involve the rate). With
/// τ ≠ 0 it also states the quirk on its own: the buffer exceeds the uniformly dampened sum
/// `(1−τ)Σ_{s≥1} μ^{t−s}g_s` by exactly `τμ^{t−1}g_1`.
struct UnrolledBuffer {
    problem: QuadraticProblem,
    schedule: Schedule,
    momentum: Rational,
    dampening: Rational,
}

impl Property for UnrolledBuffer {
    fn identities<S: Evaluate>(&self, rounding: Rounding) -> Vec<Identity<S>> {
        let sgd = PytorchSgd::new(
            self.momentum.clone(),
            self.dampening.clone(),
            false,
            Rational::new(),
            false,
        )
        .unwrap();
        let t = trace_of::<S>(
            &self.problem,
            &OptimizerConfig::Pytorch(sgd),
            &self.schedule,
            STEPS,
            rounding,
        );
        let (mu, tau) = (
            S::from_rational(&self.momentum),
            S::from_rational(&self.dampening),
        );
        let gradients: Vec<S::Vector> = t.steps.iter().map(|s| s.gradient.clone()).collect();
        let mut ids = Vec::new();
        for s in &t.steps {
            let k = s.step;
            let past = &gradients[..k];
            let buffer = state(&t, k, "momentum_buffer");
            ids.push(Identity::new(
                format!("b_{k} unrolled"),
                buffer.clone(),
                unrolled_buffer::<S>(past, &mu, &tau).unwrap(),
            ));
            if self.dampening != 0 {
                // b_t − (1−τ)Σ_{s≥1} μ^{t−s}g_s = τμ^{t−1}g_1.
                let mut excess = buffer.clone();
                let mut uniform = unrolled_buffer::<S>(past, &mu, &S::zero()).unwrap();
                uniform.scale(&(S::one() - &tau));
                excess.sub_assign(&uniform);
                let mut quirk = past[0].clone();
                quirk.scale(&(tau.clone() * &gradient_weight(&mu, k - 1)));
                ids.push(Identity::new(
                    format!("b_{k} − uniformly dampened sum = τμ^{}g_1", k - 1),
                    excess,
                    quirk,
                ));
            }
        }
        ids
    }
}

/// The Sutskever/Keras velocity against its unrolled form `v_t = −Σ μ^{t−s}γ_s g_s` under any
/// schedule, and — when the schedule is constant — against `−γ Σ μ^{t−s}g_s = −γb_t` with the
/// unrolled (undampened) buffer.
struct UnrolledVelocity {
    problem: QuadraticProblem,
    schedule: Schedule,
    momentum: Rational,
}

impl Property for UnrolledVelocity {
    fn identities<S: Evaluate>(&self, rounding: Rounding) -> Vec<Identity<S>> {
        let keras = KerasSgd::momentum(self.momentum.clone()).unwrap();
        let t = trace_of::<S>(
            &self.problem,
            &OptimizerConfig::Keras(keras),
            &self.schedule,
            STEPS,
            rounding,
        );
        let mu = S::from_rational(&self.momentum);
        let steps: Vec<(S, S::Vector)> = t
            .steps
            .iter()
            .map(|s| (s.learning_rate.clone(), s.gradient.clone()))
            .collect();
        let gradients: Vec<S::Vector> = steps.iter().map(|(_, g)| g.clone()).collect();
        let mut ids = Vec::new();
        for s in &t.steps {
            let k = s.step;
            let v = state(&t, k, "velocity");
            ids.push(Identity::new(
                format!("v_{k} = −Σ μ^{{{k}−s}} γ_s g_s"),
                v.clone(),
                unrolled_velocity::<S>(&steps[..k], &mu).unwrap(),
            ));
            if let Schedule::Constant { .. } = self.schedule {
                let b = unrolled_buffer::<S>(&gradients[..k], &mu, &S::zero()).unwrap();
                ids.push(Identity::new(
                    format!("v_{k} = −γ Σ μ^{{{k}−s}} g_s"),
                    v.clone(),
                    sutskever_velocity::<S>(&b, &s.learning_rate),
                ));
            }
        }
        ids
    }
}

/// An impulse replayed through PyTorch's buffer (τ = 0): gradients 0 except `e` at step `at`; at
/// every later step t the buffer is `μ^{t−at} e` — the weight of a gradient `t − at` steps old —
/// and 0 before.
struct Impulse {
    impulse: Vec<Rational>,
    at: usize,
    momentum: Rational,
}

impl Property for Impulse {
    fn identities<S: Evaluate>(&self, rounding: Rounding) -> Vec<Identity<S>> {
        let dim = self.impulse.len();
        let sequence: Vec<Vec<Rational>> = (1..=STEPS)
            .map(|k| {
                if k == self.at {
                    self.impulse.clone()
                } else {
                    vec![Rational::new(); dim]
                }
            })
            .collect();
        let mut replay = Replay::<S>::new(&sequence).unwrap();
        let t = trace_replay(
            &mut replay,
            &PytorchSgd::momentum(self.momentum.clone()).unwrap(),
            dim,
            rounding,
        );
        let mu = S::from_rational(&self.momentum);
        let e = to_vector::<S>(&self.impulse);
        t.steps
            .iter()
            .map(|s| {
                let k = s.step;
                let expected = if k < self.at {
                    S::Vector::zeros(dim)
                } else {
                    let mut w = e.clone();
                    w.scale(&gradient_weight(&mu, k - self.at));
                    w
                };
                Identity::new(
                    format!("b_{k} = μ^{} e", k.saturating_sub(self.at)),
                    state(&t, k, "momentum_buffer").clone(),
                    expected,
                )
            })
            .collect()
    }
}

/// A constant gradient `g` replayed through PyTorch's buffer (τ = 0): the buffer approaches
/// `g/(1 − μ)` (the effective memory), falling short by exactly `μ^t g/(1 − μ)` after t steps.
struct ConstantGradient {
    gradient: Vec<Rational>,
    momentum: Rational,
}

impl Property for ConstantGradient {
    fn identities<S: Evaluate>(&self, rounding: Rounding) -> Vec<Identity<S>> {
        let dim = self.gradient.len();
        let mut replay = Replay::<S>::new(&vec![self.gradient.clone(); STEPS]).unwrap();
        let t = trace_replay(
            &mut replay,
            &PytorchSgd::momentum(self.momentum.clone()).unwrap(),
            dim,
            rounding,
        );
        let mu = S::from_rational(&self.momentum);
        let memory = effective_memory(&mu).expect("μ < 1");
        let mut limit = to_vector::<S>(&self.gradient);
        limit.scale(&memory);
        t.steps
            .iter()
            .map(|s| {
                let k = s.step;
                let mut shortfall = limit.clone();
                shortfall.sub_assign(state(&t, k, "momentum_buffer"));
                let mut expected = limit.clone();
                expected.scale(&gradient_weight(&mu, k));
                Identity::new(
                    format!("g/(1−μ) − b_{k} = μ^{k} g/(1−μ)"),
                    shortfall,
                    expected,
                )
            })
            .collect()
    }
}

/// `STEPS` steps of PyTorch SGD from 0 against a replayed gradient sequence (constant rate 1: the
/// buffer does not involve it).
fn trace_replay<S: Scalar>(
    replay: &mut Replay<S>,
    sgd: &PytorchSgd,
    dim: usize,
    rounding: Rounding,
) -> momentum_oracle::trace::Trace<S> {
    momentum_oracle::trace::run_with_oracle(
        sgd,
        replay,
        &Schedule::constant(q(1, 1)),
        &S::Vector::zeros(dim),
        STEPS,
        &momentum_oracle::trace::RunOptions::with_rounding(rounding),
        ("replay", ""),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(crate::common::config("unrolled", 96))]

    #[test]
    fn undampened_buffer_is_the_sum_of_mu_to_the_age_times_each_gradient(
        (problem, schedule) in crate::common::quadratic_and_schedule(strategy::exact_schedule),
        momentum in strategy::positive_momentum(),
    ) {
        check_exact_and_f64(&UnrolledBuffer { problem, schedule, momentum, dampening: Rational::new() });
    }

    #[test]
    fn dampened_buffer_keeps_the_first_gradient_undamped(
        (problem, schedule) in crate::common::quadratic_and_schedule(strategy::exact_schedule),
        momentum in strategy::positive_momentum(),
        dampening in strategy::positive_dampening(),
    ) {
        check_exact_and_f64(&UnrolledBuffer { problem, schedule, momentum, dampening });
    }

    #[test]
    fn sutskever_velocity_is_minus_the_rate_weighted_unrolled_sum_under_any_schedule(
        (problem, schedule) in crate::common::quadratic_and_schedule(strategy::exact_schedule),
        momentum in strategy::positive_momentum(),
    ) {
        check_exact_and_f64(&UnrolledVelocity { problem, schedule, momentum });
    }

    #[test]
    fn sutskever_velocity_is_minus_gamma_times_the_unrolled_buffer_at_constant_lr(
        (problem, learning_rate) in crate::common::quadratic_and_lr(),
        momentum in strategy::positive_momentum(),
    ) {
        check_exact_and_f64(&UnrolledVelocity { problem, schedule: Schedule::constant(learning_rate), momentum });
    }

    #[test]
    fn a_gradient_s_steps_old_weighs_mu_to_the_s(
        impulse in strategy::gradient_sequence(3, 1),
        at in 1..=STEPS,
        momentum in strategy::positive_momentum(),
    ) {
        check_exact_and_f64(&Impulse { impulse: impulse[0].clone(), at, momentum });
    }

    #[test]
    fn constant_gradient_buffer_falls_short_of_g_over_one_minus_mu_by_mu_to_the_t(
        gradient in strategy::gradient_sequence(3, 1),
        momentum in strategy::positive_momentum(),
    ) {
        check_exact_and_f64(&ConstantGradient { gradient: gradient[0].clone(), momentum });
    }
}

#[test]
fn effective_memory_is_one_over_one_minus_mu_and_undefined_from_one() {
    // Σ_{s≥0} (9/10)^s = 10; the series diverges for |μ| ≥ 1.
    assert_eq!(effective_memory(&q(9, 10)), Some(q(10, 1)));
    assert_eq!(effective_memory(&q(0, 1)), Some(q(1, 1)));
    assert_eq!(effective_memory(&q(1, 1)), None);
    assert_eq!(effective_memory(&q(-1, 1)), None);
}
