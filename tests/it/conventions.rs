//! Conventions that are the same optimizer, and those that are not: PyTorch ⇔ Sutskever/Keras at
//! a constant rate, Optax/TF ⇔ PyTorch, heavy ball's parameter-only form, μ = 0 ⇒ GD, weight decay
//! and maximize moved into the objective, and the two f64 rounding models.
//!
//! Each property is written once (a [`Property`] or a generic function) and checked exactly in ℚ
//! with `assert_eq!`, and in bounded f64 under both rounding models against the exact values
//! (`crate::common::check_exact_and_f64`). Where two sides are literally the same operations, the check
//! is stronger: the same result in every arithmetic, bit for bit (`crate::common::check_same_computation`).

use crate::common::{
    Identity, Property, check_exact_and_f64, check_same_computation, keras, optimizer, pytorch, q,
    state, trace_of, trace_with,
};
use momentum_oracle::arith::Rounding;
use momentum_oracle::arith::bounded::Bounded;
use momentum_oracle::arith::linalg::Vector;
use momentum_oracle::arith::text::f64_bits;
use momentum_oracle::compare::compare;
use momentum_oracle::identities::{decoupled_weight_decay_difference, sutskever_velocity};
use momentum_oracle::optim::gd::GradientDescent;
use momentum_oracle::optim::heavy_ball::HeavyBall;
use momentum_oracle::optim::keras::KerasSgd;
use momentum_oracle::optim::optax::OptaxSgd;
use momentum_oracle::optim::pytorch::PytorchSgd;
use momentum_oracle::optim::{OptimizerConfig, Schedule, strategy};
use momentum_oracle::problem::Evaluate;
use momentum_oracle::problem::quadratic::{Curvature, QuadraticParams, QuadraticProblem};
use momentum_oracle::problem::wrappers::{Negated, WeightDecayed};
use momentum_oracle::problem::{Oracle, Problem, to_vector};
use proptest::prelude::*;
use rug::Rational;

/// Steps per run: long enough for every generated schedule to change (they all do within seven
/// steps), short enough for the a-priori f64 bounds to stay finite.
const STEPS: usize = 12;

/// `S`'s oracle of `problem` (the quadratic family serves every arithmetic).
fn oracle<S: Evaluate>(problem: &QuadraticProblem) -> Box<dyn Oracle<S> + '_> {
    S::oracle(problem).expect("quadratics have an oracle in every arithmetic")
}

// ---------------------------------------------------------------------------------------------
// 1. Constant lr: PyTorch ⇔ Sutskever/Keras; Optax/TF ⇔ PyTorch
// ---------------------------------------------------------------------------------------------

/// PyTorch (τ = 0) and Sutskever/Keras at a constant rate: the same iterates, and `v_k = −γb_k`;
/// with `nesterov`, PyTorch's `nesterov=True` against Keras's nesterov.
struct PytorchIsSutskever {
    problem: QuadraticProblem,
    momentum: Rational,
    learning_rate: Rational,
    nesterov: bool,
}

impl Property for PytorchIsSutskever {
    fn identities<S: Evaluate>(&self, rounding: Rounding) -> Vec<Identity<S>> {
        let schedule = Schedule::constant(self.learning_rate.clone());
        let torch = pytorch(&self.momentum, self.nesterov);
        let sutskever = OptimizerConfig::Keras(keras(&self.momentum, self.nesterov, false));
        let tp = trace_of::<S>(&self.problem, &torch, &schedule, STEPS, rounding);
        let tk = trace_of::<S>(&self.problem, &sutskever, &schedule, STEPS, rounding);
        let mut ids = Vec::new();
        for (p, k) in tp.steps.iter().zip(&tk.steps) {
            let step = p.step;
            ids.push(Identity::new(
                format!("θ_{step}"),
                p.iterate.clone(),
                k.iterate.clone(),
            ));
            ids.push(Identity::new(
                format!("v_{step} = −γ b_{step}"),
                state(&tk, step, "velocity").clone(),
                sutskever_velocity::<S>(state(&tp, step, "momentum_buffer"), &p.learning_rate),
            ));
        }
        ids
    }
}

/// Optax `trace` (t₀ = 0), reached through its TF alias when `via_tf`, against PyTorch with τ = 0:
/// the same iterates and `t_k = b_k`, plain and nesterov — under any schedule, since neither
/// accumulator involves the rate.
struct OptaxIsPytorch {
    problem: QuadraticProblem,
    schedule: Schedule,
    momentum: Rational,
    nesterov: bool,
    via_tf: bool,
}

impl Property for OptaxIsPytorch {
    fn identities<S: Evaluate>(&self, rounding: Rounding) -> Vec<Identity<S>> {
        let torch = pytorch(&self.momentum, self.nesterov);
        let name = if self.via_tf { "tf" } else { "optax" };
        let optax = optimizer(&format!(
            "{name}:momentum={},nesterov={}",
            momentum_oracle::arith::text::format(&self.momentum),
            self.nesterov
        ));
        assert_eq!(
            optax,
            OptimizerConfig::Optax(OptaxSgd::new(self.momentum.clone(), self.nesterov))
        );
        let tp = trace_of::<S>(&self.problem, &torch, &self.schedule, STEPS, rounding);
        let to = trace_of::<S>(&self.problem, &optax, &self.schedule, STEPS, rounding);
        let mut ids = Vec::new();
        for (p, o) in tp.steps.iter().zip(&to.steps) {
            let step = p.step;
            ids.push(Identity::new(
                format!("θ_{step}"),
                p.iterate.clone(),
                o.iterate.clone(),
            ));
            ids.push(Identity::new(
                format!("t_{step} = b_{step}"),
                state(&to, step, "trace").clone(),
                state(&tp, step, "momentum_buffer").clone(),
            ));
        }
        ids
    }
}

proptest! {
    #![proptest_config(crate::common::config("conventions", 96))]

    #[test]
    fn pytorch_and_sutskever_are_one_iteration_at_constant_lr_with_v_equal_minus_gamma_b(
        (problem, learning_rate) in crate::common::quadratic_and_lr(),
        momentum in strategy::positive_momentum(),
        nesterov in any::<bool>(),
    ) {
        check_exact_and_f64(&PytorchIsSutskever { problem, momentum, learning_rate, nesterov });
    }

    #[test]
    fn optax_trace_and_tf_apply_momentum_equal_pytorch_without_dampening(
        (problem, schedule) in crate::common::quadratic_and_schedule(strategy::exact_schedule),
        momentum in strategy::positive_momentum(),
        nesterov in any::<bool>(),
        via_tf in any::<bool>(),
    ) {
        check_exact_and_f64(&OptaxIsPytorch { problem, schedule, momentum, nesterov, via_tf });
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Parameter-only form; μ = 0 is GD
// ---------------------------------------------------------------------------------------------

/// Heavy ball `θ_{k} = θ_{k−1} − γ_k g_k + μ(θ_{k−1} − θ_{k−2})` against Sutskever/Keras without
/// correction: the same iterates and `v_k = θ_k − θ_{k−1}`, under any schedule (Keras's step is
/// `θ_{k−1} + μv_{k−1} − γ_k g_k` with `v_{k−1} = θ_{k−1} − θ_{k−2}`).
struct HeavyBallIsSutskever {
    problem: QuadraticProblem,
    schedule: Schedule,
    momentum: Rational,
}

impl Property for HeavyBallIsSutskever {
    fn identities<S: Evaluate>(&self, rounding: Rounding) -> Vec<Identity<S>> {
        let hb = OptimizerConfig::HeavyBall(HeavyBall::new(self.momentum.clone()).unwrap());
        let keras = OptimizerConfig::Keras(KerasSgd::momentum(self.momentum.clone()).unwrap());
        let th = trace_of::<S>(&self.problem, &hb, &self.schedule, STEPS, rounding);
        let tk = trace_of::<S>(&self.problem, &keras, &self.schedule, STEPS, rounding);
        let mut ids = Vec::new();
        for (h, k) in th.steps.iter().zip(&tk.steps) {
            let step = h.step;
            let mut displacement = h.iterate.clone();
            displacement.sub_assign(state(&th, step, "previous_iterate"));
            ids.push(Identity::new(
                format!("θ_{step}"),
                h.iterate.clone(),
                k.iterate.clone(),
            ));
            ids.push(Identity::new(
                format!("v_{step} = θ_{step} − θ_{}", step - 1),
                state(&tk, step, "velocity").clone(),
                displacement,
            ));
        }
        ids
    }
}

/// Heavy ball against PyTorch (τ = 0) at a constant rate: `θ_k − θ_{k−1} = −γ b_k`.
struct HeavyBallIsPytorch {
    problem: QuadraticProblem,
    learning_rate: Rational,
    momentum: Rational,
}

impl Property for HeavyBallIsPytorch {
    fn identities<S: Evaluate>(&self, rounding: Rounding) -> Vec<Identity<S>> {
        let schedule = Schedule::constant(self.learning_rate.clone());
        let hb = OptimizerConfig::HeavyBall(HeavyBall::new(self.momentum.clone()).unwrap());
        let torch = OptimizerConfig::Pytorch(PytorchSgd::momentum(self.momentum.clone()).unwrap());
        let th = trace_of::<S>(&self.problem, &hb, &schedule, STEPS, rounding);
        let tp = trace_of::<S>(&self.problem, &torch, &schedule, STEPS, rounding);
        th.steps
            .iter()
            .zip(&tp.steps)
            .flat_map(|(h, p)| {
                let step = h.step;
                let mut displacement = h.iterate.clone();
                displacement.sub_assign(state(&th, step, "previous_iterate"));
                [
                    Identity::new(format!("θ_{step}"), h.iterate.clone(), p.iterate.clone()),
                    Identity::new(
                        format!("θ_{step} − θ_{} = −γ b_{step}", step - 1),
                        displacement,
                        sutskever_velocity::<S>(
                            state(&tp, step, "momentum_buffer"),
                            &p.learning_rate,
                        ),
                    ),
                ]
            })
            .collect()
    }
}

/// Every convention with μ = 0 against gradient descent, under any schedule: PyTorch (whatever
/// its dampening), Keras plain and nesterov, Optax/TF plain and nesterov, NAG in both forms,
/// heavy ball.
struct ZeroMomentumIsGd {
    problem: QuadraticProblem,
    schedule: Schedule,
    dampening: Rational,
}

impl Property for ZeroMomentumIsGd {
    fn identities<S: Evaluate>(&self, rounding: Rounding) -> Vec<Identity<S>> {
        let gd = trace_of::<S>(
            &self.problem,
            &OptimizerConfig::GradientDescent(GradientDescent),
            &self.schedule,
            STEPS,
            rounding,
        );
        let tau = momentum_oracle::arith::text::format(&self.dampening);
        let specs = [
            format!("pytorch:momentum=0,dampening={tau}"),
            "keras:momentum=0".into(),
            "keras:momentum=0,nesterov=true".into(),
            "optax:momentum=0".into(),
            "tf:momentum=0,nesterov=true".into(),
            "nag:momentum=0".into(),
            "nag-pc:momentum=0".into(),
            "heavy-ball:momentum=0".into(),
        ];
        let mut ids = Vec::new();
        for spec in &specs {
            let t = trace_of::<S>(
                &self.problem,
                &optimizer(spec),
                &self.schedule,
                STEPS,
                rounding,
            );
            for (a, g) in t.steps.iter().zip(&gd.steps) {
                ids.push(Identity::new(
                    format!("{spec}: θ_{}", a.step),
                    a.iterate.clone(),
                    g.iterate.clone(),
                ));
            }
        }
        ids
    }
}

proptest! {
    #![proptest_config(crate::common::config("conventions", 96))]

    #[test]
    fn heavy_ball_parameter_form_is_the_sutskever_velocity_form_under_any_schedule(
        (problem, schedule) in crate::common::quadratic_and_schedule(strategy::exact_schedule),
        momentum in strategy::positive_momentum(),
    ) {
        check_exact_and_f64(&HeavyBallIsSutskever { problem, schedule, momentum });
    }

    #[test]
    fn heavy_ball_displacement_is_minus_gamma_times_the_pytorch_buffer_at_constant_lr(
        (problem, learning_rate) in crate::common::quadratic_and_lr(),
        momentum in strategy::positive_momentum(),
    ) {
        check_exact_and_f64(&HeavyBallIsPytorch { problem, learning_rate, momentum });
    }

    #[test]
    fn zero_momentum_reduces_every_convention_to_gd(
        (problem, schedule) in crate::common::quadratic_and_schedule(strategy::exact_schedule),
        dampening in strategy::dampening(),
    ) {
        check_exact_and_f64(&ZeroMomentumIsGd { problem, schedule, dampening });
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Weight decay and maximize
// ---------------------------------------------------------------------------------------------

/// PyTorch with coupled weight decay λ and `maximize` on f, against the same config without them
/// on `±f + (λ/2)‖θ‖²` (the oracle wrappers). PyTorch negates g, then adds λθ with one
/// `mul_add(θ, λ, g)` per element; the wrappers do exactly that, so the two sides are the same
/// computation in every arithmetic. With μ = 0 the reference is gradient descent itself.
struct DecayAndMaximizeIntoTheObjective {
    problem: QuadraticProblem,
    schedule: Schedule,
    sgd: PytorchSgd,
}

impl Property for DecayAndMaximizeIntoTheObjective {
    fn identities<S: Evaluate>(&self, rounding: Rounding) -> Vec<Identity<S>> {
        let s = &self.sgd;
        let with = trace_of::<S>(
            &self.problem,
            &OptimizerConfig::Pytorch(s.clone()),
            &self.schedule,
            STEPS,
            rounding,
        );
        let mut inner = oracle::<S>(&self.problem);
        if s.maximize() {
            inner = Box::new(Negated::new(inner));
        }
        let mut wrapped = WeightDecayed::new(inner, s.weight_decay(), rounding);
        let without = if *s.momentum_value() == 0 {
            trace_with(
                &self.problem,
                &GradientDescent,
                &mut wrapped,
                &self.schedule,
                STEPS,
                rounding,
            )
        } else {
            let plain = PytorchSgd::new(
                s.momentum_value().clone(),
                s.dampening().clone(),
                s.nesterov(),
                Rational::new(),
                false,
            )
            .unwrap();
            trace_with(
                &self.problem,
                &plain,
                &mut wrapped,
                &self.schedule,
                STEPS,
                rounding,
            )
        };
        with.steps
            .iter()
            .zip(&without.steps)
            .map(|(a, b)| {
                Identity::new(
                    format!("θ_{}", a.step),
                    a.iterate.clone(),
                    b.iterate.clone(),
                )
            })
            .collect()
    }
}

/// Keras's decoupled decay λ against Sutskever momentum (Keras without decay) on
/// `f + (λ/2)‖θ‖²`: equal until step 2 (step 1 for nesterov), where they differ by exactly
/// `μγ₁λθ₀` ([`decoupled_weight_decay_difference`]); never different when μ = 0.
struct DecoupledIsNotL2 {
    problem: QuadraticProblem,
    schedule: Schedule,
    momentum: Rational,
    nesterov: bool,
    weight_decay: Rational,
}

impl DecoupledIsNotL2 {
    /// The step at which the closed form applies (the runs agree before it).
    fn first_step(&self) -> usize {
        if self.nesterov { 1 } else { 2 }
    }
}

impl Property for DecoupledIsNotL2 {
    fn identities<S: Evaluate>(&self, rounding: Rounding) -> Vec<Identity<S>> {
        let decoupled = KerasSgd::new(
            self.momentum.clone(),
            self.nesterov,
            self.weight_decay.clone(),
            false,
            false,
        )
        .unwrap();
        let plain = KerasSgd::new(
            self.momentum.clone(),
            self.nesterov,
            Rational::new(),
            false,
            false,
        )
        .unwrap();
        let ta = trace_of::<S>(
            &self.problem,
            &OptimizerConfig::Keras(decoupled),
            &self.schedule,
            STEPS,
            rounding,
        );
        let mut l2 = WeightDecayed::new(oracle::<S>(&self.problem), &self.weight_decay, rounding);
        let tb = trace_with(
            &self.problem,
            &plain,
            &mut l2,
            &self.schedule,
            STEPS,
            rounding,
        );
        let c = compare(&ta, &tb).unwrap();
        let dim = self.problem.dim();
        let zero = S::Vector::zeros(dim);
        // μ = 0: decoupled and coupled decay are the same iteration, at every step.
        let last = if self.momentum == 0 {
            STEPS
        } else {
            self.first_step()
        };
        let mut ids: Vec<Identity<S>> = c.steps[..last]
            .iter()
            .map(|d| {
                Identity::new(
                    format!("θ^dec_{0} − θ^L2_{0}", d.step),
                    d.difference.clone(),
                    zero.clone(),
                )
            })
            .collect();
        if self.momentum != 0 {
            let at = &c.steps[self.first_step() - 1];
            let predicted = decoupled_weight_decay_difference::<S>(
                &to_vector::<S>(&self.problem.initial_point()),
                &S::from_rational(&self.momentum),
                &ta.steps[0].learning_rate,
                &S::from_rational(&self.weight_decay),
            );
            ids.pop();
            ids.push(Identity::new(
                format!("θ^dec_{0} − θ^L2_{0} = μγ₁λθ₀", at.step),
                at.difference.clone(),
                predicted,
            ));
        }
        ids
    }
}

proptest! {
    #![proptest_config(crate::common::config("conventions", 96))]

    #[test]
    fn pytorch_coupled_weight_decay_is_gd_on_the_l2_regularised_objective(
        (problem, schedule) in crate::common::quadratic_and_schedule(strategy::exact_schedule),
        weight_decay in strategy::positive_weight_decay(),
    ) {
        let sgd = PytorchSgd::new(Rational::new(), Rational::new(), false, weight_decay, false).unwrap();
        check_same_computation(&DecayAndMaximizeIntoTheObjective { problem, schedule, sgd });
    }

    #[test]
    fn pytorch_coupled_weight_decay_and_maximize_move_into_the_objective(
        (problem, schedule) in crate::common::quadratic_and_schedule(strategy::exact_schedule),
        sgd in strategy::pytorch_sgd(),
    ) {
        check_same_computation(&DecayAndMaximizeIntoTheObjective { problem, schedule, sgd });
    }

    #[test]
    fn maximize_on_f_equals_minimize_on_minus_f(
        (problem, schedule) in crate::common::quadratic_and_schedule(strategy::exact_schedule),
        sgd in strategy::pytorch_sgd(),
    ) {
        let sgd = PytorchSgd::new(
            sgd.momentum_value().clone(),
            sgd.dampening().clone(),
            sgd.nesterov(),
            Rational::new(),
            true,
        )
        .unwrap();
        check_same_computation(&DecayAndMaximizeIntoTheObjective { problem, schedule, sgd });
    }

    #[test]
    fn keras_decoupled_weight_decay_differs_from_l2_by_mu_gamma1_lambda_theta0(
        (problem, schedule) in crate::common::quadratic_and_schedule(strategy::exact_schedule),
        momentum in strategy::momentum(),
        nesterov in any::<bool>(),
        weight_decay in strategy::positive_weight_decay(),
    ) {
        let property = DecoupledIsNotL2 { problem, schedule, momentum, nesterov, weight_decay };
        check_exact_and_f64(&property);
        // The first differing step, in ℚ: the closed form's step exactly when μθ₀ ≠ 0.
        let x0 = property.problem.initial_point();
        let differs = property.momentum != 0 && x0.iter().any(|x| *x != 0);
        let (ta, tb) = {
            let with_decay = |wd: &Rational| KerasSgd::new(property.momentum.clone(), property.nesterov, wd.clone(), false, false).unwrap();
            let ta = trace_of::<Rational>(&property.problem, &OptimizerConfig::Keras(with_decay(&property.weight_decay)), &property.schedule, STEPS, Rounding::Naive);
            let mut l2 = WeightDecayed::new(oracle::<Rational>(&property.problem), &property.weight_decay, Rounding::Naive);
            let tb = trace_with(&property.problem, &with_decay(&Rational::new()), &mut l2, &property.schedule, STEPS, Rounding::Naive);
            (ta, tb)
        };
        let first = compare(&ta, &tb).unwrap().first_difference;
        if differs {
            prop_assert_eq!(first, Some(property.first_step()));
        } else {
            prop_assert!(first.is_none() || first > Some(property.first_step()));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 7. The f64 rounding models
// ---------------------------------------------------------------------------------------------

/// The family the search walks, in seed order: generated 2-d quadratics without rotation (so that
/// an independent f64 model needs no matrix products), run with PyTorch μ = 9/10, γ = 1/L.
fn rounding_search_family() -> QuadraticParams {
    QuadraticParams {
        dim: (2, 2),
        curvature: Curvature::Any,
        max_reflections: 0,
    }
}

const SEARCH_OPTIMIZER: &str = "pytorch:momentum=9/10";
const SEARCH_STEPS: usize = 4;

fn search_schedule(p: &QuadraticProblem) -> Schedule {
    Schedule::constant(p.smoothness().expect("quadratics have L").recip())
}

/// The first step at which the naive and fused f64 traces of `p` differ in some bit.
fn separating_step(p: &QuadraticProblem) -> Option<usize> {
    let c = optimizer(SEARCH_OPTIMIZER);
    let s = search_schedule(p);
    let naive = trace_of::<f64>(p, &c, &s, SEARCH_STEPS, Rounding::Naive);
    let fused = trace_of::<f64>(p, &c, &s, SEARCH_STEPS, Rounding::Fused);
    naive
        .steps
        .iter()
        .zip(&fused.steps)
        .find(|(a, b)| {
            a.iterate
                .iter()
                .map(|x| x.to_bits())
                .ne(b.iterate.iter().map(|x| x.to_bits()))
        })
        .map(|(a, _)| a.step)
}

/// An instance that separates the rounding models at step 4, kept by its data (the one the search
/// found, as seed 1, when seeded instances were drawn through proptest's value trees):
/// f = −1/2 + ½(5/8·x₁² + 10(x₂ + 6)²), x₀ = (0, −13/2). (Built with `QuadraticProblem::new`:
/// the spec `Problem::spec` prints for an unrotated quadratic omits `householder=`, and parsing it
/// back draws a rotation from the seed.)
fn separating_instance() -> QuadraticProblem {
    QuadraticProblem::new(
        vec![q(5, 8), q(10, 1)],
        vec![],
        vec![q(0, 1), q(-6, 1)],
        q(-1, 2),
        vec![q(0, 1), q(-13, 2)],
    )
    .unwrap()
}

#[test]
fn naive_and_fused_traces_differ_on_a_generated_instance() {
    // A constructive search, not a filter: walk the generated instances in seed order and stop
    // at the first whose two traces differ; the regression test below keeps that instance.
    let (seed, problem, step) = (0..64)
        .find_map(|seed| {
            let p = QuadraticProblem::from_seed(&rounding_search_family(), seed);
            separating_step(&p).map(|k| (seed, p, k))
        })
        .expect("some generated instance separates the rounding models");
    // A regression pin, re-derived independently when the crate got its own generator: a Python
    // model — the documented stream through the `cryptography` package's RFC 8439 ChaCha20, the
    // documented draws of `quadratic::generate`, and PyTorch SGD with every operation rounded
    // once by `float(Fraction)` in the order of the test below — walks seeds 0..4 and finds seed 4
    // first, at step 1: f = 3 + ½(3/16·(x₁ − 4/3)² + 3/4·(x₂ − 1)²), x₀ = (−2/3, 1), γ = 4/3;
    // θ₁,₁ = −2/3 − γ·3/16·(−2/3 − 4/3) = −1/6 rounds to −0x1.5555555555554p−3 naive (fl(γ̂·b) first) and
    // −0x1.5555555555555p−3 fused. A change to the generator or the rounding models moves the
    // pin and must be reviewed.
    let searched = QuadraticProblem::new(
        vec![q(3, 16), q(3, 4)],
        vec![],
        vec![q(4, 3), q(1, 1)],
        q(3, 1),
        vec![q(-2, 3), q(1, 1)],
    )
    .unwrap();
    assert_eq!(problem, searched, "seed {seed}");
    assert_eq!((seed, step), (4, 1));
    // The instance kept by its data separates the models too (at step 4).
    assert_eq!(separating_step(&separating_instance()), Some(4));
}

#[test]
fn naive_and_fused_bits_of_the_separating_instance_match_an_independent_model_and_enclose_q() {
    // θ_1..θ_4 of PyTorch SGD (μ = 9/10, τ = 0, γ = 1/10) on f = −1/2 + ½(5/8·x₁² + 10(x₂ + 6)²)
    // from x₀ = (0, −13/2), from an independent model: Python's `fractions`, every operation's
    // exact result rounded once to nearest (`float(Fraction)` is correctly rounded), in the
    // documented order — d = fl(θ − x*), g = fl(λ̂·d); b₁ = g, b = madd(g, 1, fl(μ̂·b));
    // θ = madd(b, −γ̂, θ), where madd rounds a·b + c once (fused) or a·b first (naive):
    //
    //   fl = lambda q: F(float(q))
    //   def madd(a, b, c, fused): return fl(a*b + c) if fused else fl(fl(a*b) + c)
    //
    // x₁ starts at its minimiser and stays there (all zeros); x₂ parts in the last bit at step 4.
    let naive: [[u64; 2]; 4] = [
        [0, 0xc018_0000_0000_0000],
        [0, 0xc016_3333_3333_3333],
        [0, 0xc016_6147_ae14_7ae1],
        [0, 0xc018_2978_d4fd_f3b6],
    ];
    let fused: [[u64; 2]; 4] = [
        [0, 0xc018_0000_0000_0000],
        [0, 0xc016_3333_3333_3333],
        [0, 0xc016_6147_ae14_7ae1],
        [0, 0xc018_2978_d4fd_f3b7],
    ];
    let problem = separating_instance();
    let c = optimizer(SEARCH_OPTIMIZER);
    let s = Schedule::constant(q(1, 10));
    let exact = trace_of::<Rational>(&problem, &c, &s, SEARCH_STEPS, Rounding::Naive);
    for (rounding, expected) in [(Rounding::Naive, naive), (Rounding::Fused, fused)] {
        let t = trace_of::<f64>(&problem, &c, &s, SEARCH_STEPS, rounding);
        let got: Vec<[u64; 2]> = t
            .steps
            .iter()
            .map(|st| [st.iterate[0].to_bits(), st.iterate[1].to_bits()])
            .collect();
        assert_eq!(got, expected, "{}", rounding.name());
        // And both models stay within the derived bound of the exact trace.
        let b = trace_of::<Bounded>(&problem, &c, &s, SEARCH_STEPS, rounding);
        for (sb, se) in b.steps.iter().zip(&exact.steps) {
            assert_eq!(
                sb.iterate
                    .v
                    .iter()
                    .map(|x| f64_bits(*x))
                    .collect::<Vec<_>>(),
                t.step(sb.step)
                    .unwrap()
                    .iterate
                    .iter()
                    .map(|x| f64_bits(*x))
                    .collect::<Vec<_>>()
            );
            assert!(
                sb.iterate.encloses(&se.iterate.to_scalars()),
                "{} step {}",
                rounding.name(),
                sb.step
            );
        }
    }
}
