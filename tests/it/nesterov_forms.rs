//! Nesterov's method in its forms: look-ahead (stores θ_k, v_k), predictor–corrector (stores x_k,
//! x_{k−1}) and PyTorch's `nesterov=True` (stores Θ_k = θ_k + μv_k, the next query point) are one
//! iteration under the change of variables Θ = θ + μv; written on the query points it is heavy
//! ball plus a gradient correction; on a 1-D quadratic it damps the inherited velocity by
//! μ(1 − γλ) where classical momentum keeps μ.

use crate::common::{Identity, Property, check_exact_and_f64, pytorch, state, trace_of};
use momentum_oracle::arith::Rounding;
use momentum_oracle::arith::linalg::Vector;
use momentum_oracle::identities::{
    look_ahead_from_pytorch_nesterov, look_ahead_point, nag_velocity_factor,
    nesterov_gradient_correction,
};
use momentum_oracle::optim::keras::KerasSgd;
use momentum_oracle::optim::nag::{Nag, NagPc};
use momentum_oracle::optim::{OptimizerConfig, Schedule, strategy};
use momentum_oracle::problem::Evaluate;
use momentum_oracle::problem::quadratic::{
    Curvature, QuadraticParams, QuadraticProblem, quadratic,
};
use momentum_oracle::problem::{Problem, to_vector};
use proptest::prelude::*;
use rug::Rational;

const STEPS: usize = 12;

/// Look-ahead NAG `(θ_k, v_k)` against PyTorch nesterov `(Θ_k, b_k)` at a constant rate:
/// `Θ_k = θ_k + μv_k`, `v_k = −γb_k`, the inverse map recovers `(θ_k, v_k)`, and both query the
/// gradient at the same points (`y_k = θ_{k−1} + μv_{k−1} = Θ_{k−1}`).
struct LookAheadIsPytorchNesterov {
    problem: QuadraticProblem,
    learning_rate: Rational,
    momentum: Rational,
}

impl Property for LookAheadIsPytorchNesterov {
    fn identities<S: Evaluate>(&self, rounding: Rounding) -> Vec<Identity<S>> {
        let schedule = Schedule::constant(self.learning_rate.clone());
        let nag = OptimizerConfig::Nag(Nag::new(self.momentum.clone()).unwrap());
        let tn = trace_of::<S>(&self.problem, &nag, &schedule, STEPS, rounding);
        let tp = trace_of::<S>(
            &self.problem,
            &pytorch(&self.momentum, true),
            &schedule,
            STEPS,
            rounding,
        );
        let mu = S::from_rational(&self.momentum);
        let mut ids = Vec::new();
        for (n, p) in tn.steps.iter().zip(&tp.steps) {
            let k = n.step;
            let v = state(&tn, k, "velocity");
            let b = state(&tp, k, "momentum_buffer");
            let (theta, velocity) =
                look_ahead_from_pytorch_nesterov::<S>(&p.iterate, b, &mu, &p.learning_rate);
            ids.extend([
                Identity::new(
                    format!("Θ_{k} = θ_{k} + μv_{k}"),
                    p.iterate.clone(),
                    look_ahead_point::<S>(&n.iterate, v, &mu),
                ),
                Identity::new(format!("θ_{k} = Θ_{k} + μγb_{k}"), n.iterate.clone(), theta),
                Identity::new(format!("v_{k} = −γb_{k}"), v.clone(), velocity),
                Identity::new(
                    format!("query y_{k} = Θ_{}", k - 1),
                    n.query.clone(),
                    p.query.clone(),
                ),
            ]);
        }
        ids
    }
}

/// Predictor–corrector NAG `(x_k, x_{k−1})` against look-ahead NAG `(θ_k, v_k)` under any
/// schedule: `x_k = θ_k`, `x_k − x_{k−1} = v_k`, and the same query points.
struct PredictorCorrectorIsLookAhead {
    problem: QuadraticProblem,
    schedule: Schedule,
    momentum: Rational,
}

impl Property for PredictorCorrectorIsLookAhead {
    fn identities<S: Evaluate>(&self, rounding: Rounding) -> Vec<Identity<S>> {
        let nag = OptimizerConfig::Nag(Nag::new(self.momentum.clone()).unwrap());
        let pc = OptimizerConfig::NagPc(NagPc::new(self.momentum.clone()).unwrap());
        let tn = trace_of::<S>(&self.problem, &nag, &self.schedule, STEPS, rounding);
        let tc = trace_of::<S>(&self.problem, &pc, &self.schedule, STEPS, rounding);
        let mut ids = Vec::new();
        for (n, c) in tn.steps.iter().zip(&tc.steps) {
            let k = n.step;
            let mut displacement = c.iterate.clone();
            displacement.sub_assign(state(&tc, k, "previous_iterate"));
            ids.extend([
                Identity::new(
                    format!("x_{k} = θ_{k}"),
                    c.iterate.clone(),
                    n.iterate.clone(),
                ),
                Identity::new(
                    format!("x_{k} − x_{} = v_{k}", k - 1),
                    displacement,
                    state(&tn, k, "velocity").clone(),
                ),
                Identity::new(format!("query y_{k}"), c.query.clone(), n.query.clone()),
            ]);
        }
        ids
    }
}

/// PyTorch nesterov's query points Θ against heavy ball plus the gradient correction, under any
/// schedule: `Θ_k − Θ_{k−1} = μ(γ_k/γ_{k−1})(Θ_{k−1} − Θ_{k−2}) − γ_k g_k − μγ_k(g_k − g_{k−1})`
/// with `g_k = ∇f(Θ_{k−1})` (see `identities::nesterov_gradient_correction`).
struct GradientCorrection {
    problem: QuadraticProblem,
    schedule: Schedule,
    momentum: Rational,
}

impl Property for GradientCorrection {
    fn identities<S: Evaluate>(&self, rounding: Rounding) -> Vec<Identity<S>> {
        let tp = trace_of::<S>(
            &self.problem,
            &pytorch(&self.momentum, true),
            &self.schedule,
            STEPS,
            rounding,
        );
        let mu = S::from_rational(&self.momentum);
        let iterates: Vec<&S::Vector> = tp.iterates().collect();
        let displacement = |k: usize| {
            let mut d = iterates[k].clone();
            d.sub_assign(iterates[k - 1]);
            d
        };
        tp.steps
            .iter()
            .map(|s| {
                let k = s.step;
                let previous_step =
                    (k >= 2).then(|| (displacement(k - 1), tp.step(k - 1).unwrap()));
                let predicted = nesterov_gradient_correction::<S>(
                    previous_step
                        .as_ref()
                        .map(|(d, p)| (d, &p.gradient, &p.learning_rate)),
                    &s.gradient,
                    &mu,
                    &s.learning_rate,
                )
                .expect("positive rates");
                Identity::new(format!("Θ_{k} − Θ_{}", k - 1), displacement(k), predicted)
            })
            .collect()
    }
}

/// On `f = λ(x − x*)²/2`: `v_k + γ_kλ(θ_{k−1} − x*) = μ(1 − γ_kλ)v_{k−1}` for look-ahead NAG and
/// `= μv_{k−1}` for classical (Sutskever) momentum, under any schedule.
struct VelocityFactor1d {
    problem: QuadraticProblem,
    schedule: Schedule,
    momentum: Rational,
}

impl Property for VelocityFactor1d {
    fn identities<S: Evaluate>(&self, rounding: Rounding) -> Vec<Identity<S>> {
        let lambda = S::from_rational(&self.problem.spectrum()[0]);
        let x_star = to_vector::<S>(&self.problem.minimizer().unwrap());
        let mu = S::from_rational(&self.momentum);
        let nag = OptimizerConfig::Nag(Nag::new(self.momentum.clone()).unwrap());
        let classical = OptimizerConfig::Keras(KerasSgd::momentum(self.momentum.clone()).unwrap());
        let mut ids = Vec::new();
        for (name, config, is_nag) in [("NAG", &nag, true), ("classical", &classical, false)] {
            let t = trace_of::<S>(&self.problem, config, &self.schedule, STEPS, rounding);
            let mut v_prev = S::Vector::zeros(1);
            let mut theta_prev = to_vector::<S>(&self.problem.initial_point());
            for s in &t.steps {
                let k = s.step;
                let v = state(&t, k, "velocity").clone();
                // v_k + γ_kλ(θ_{k−1} − x*): the velocity minus its fresh gradient term.
                let mut inherited = v.clone();
                let mut offset = theta_prev.clone();
                offset.sub_assign(&x_star);
                inherited.axpy(
                    &(s.learning_rate.clone() * &lambda),
                    &offset,
                    Rounding::Naive,
                );
                let factor = if is_nag {
                    nag_velocity_factor(&mu, &s.learning_rate, &lambda)
                } else {
                    mu.clone()
                };
                let mut expected = v_prev.clone();
                expected.scale(&factor);
                ids.push(Identity::new(
                    format!("{name}: inherited velocity at step {k}"),
                    inherited,
                    expected,
                ));
                v_prev = v;
                theta_prev = s.iterate.clone();
            }
        }
        ids
    }
}

proptest! {
    #![proptest_config(crate::common::config("nesterov_forms", 96))]

    #[test]
    fn look_ahead_nag_is_pytorch_nesterov_under_theta_prime_equals_theta_plus_mu_v(
        (problem, learning_rate) in crate::common::quadratic_and_lr(),
        momentum in strategy::positive_momentum(),
    ) {
        check_exact_and_f64(&LookAheadIsPytorchNesterov { problem, learning_rate, momentum });
    }

    #[test]
    fn predictor_corrector_nag_is_look_ahead_nag_under_any_schedule(
        (problem, schedule) in crate::common::quadratic_and_schedule(strategy::exact_schedule),
        momentum in strategy::positive_momentum(),
    ) {
        check_exact_and_f64(&PredictorCorrectorIsLookAhead { problem, schedule, momentum });
    }

    #[test]
    fn nesterov_is_heavy_ball_plus_a_gradient_correction_under_any_schedule(
        (problem, schedule) in crate::common::quadratic_and_schedule(strategy::exact_schedule),
        momentum in strategy::positive_momentum(),
    ) {
        check_exact_and_f64(&GradientCorrection { problem, schedule, momentum });
    }

    #[test]
    fn on_a_1d_quadratic_nag_damps_the_inherited_velocity_by_one_minus_gamma_lambda(
        (problem, schedule) in quadratic(QuadraticParams { dim: (1, 1), curvature: Curvature::Any, max_reflections: 0 })
            .prop_flat_map(|p| {
                let l = p.smoothness().unwrap();
                (Just(p), strategy::learning_rate_for(&l).prop_flat_map(strategy::exact_schedule))
            }),
        momentum in strategy::positive_momentum(),
    ) {
        check_exact_and_f64(&VelocityFactor1d { problem, schedule, momentum });
    }
}
