//! The optimizer catalogue: every optimizer in every arithmetic, bounded f64 against ℚ,
//! hand-derived short runs, the fused f64 PyTorch model bit for bit, constructor checks and spec
//! round trips.

use crate::common::{optimizer as config, q, within_certified_bound};

use std::collections::BTreeSet;

use momentum_oracle::Error;
use momentum_oracle::arith::bounded::{Bounded, BoundedMpfr};
use momentum_oracle::arith::linalg::Vector;
use momentum_oracle::arith::{Rounding, round_to_f32, with_mpfr_precision};
use momentum_oracle::optim::fista::{Fista, FistaMomentum};
use momentum_oracle::optim::keras::KerasSgd;
use momentum_oracle::optim::ogm::Ogm;
use momentum_oracle::optim::pytorch::PytorchSgd;
use momentum_oracle::optim::{OptimizerConfig, Schedule};
use momentum_oracle::problem::Problem;
use momentum_oracle::problem::quadratic::{
    Curvature, QuadraticParams, QuadraticProblem, quadratic,
};
use momentum_oracle::trace::{Outcome, RunOptions, Trace, run};
use proptest::prelude::*;
use rug::{Float, Rational};

/// Steps of the catalogue-wide runs: short enough that the a-priori f64 bounds stay finite.
const STEPS: usize = 20;

/// One configuration per optimizer family and option, and whether it runs in ℚ.
const CATALOGUE: &[(&str, bool)] = &[
    ("gd", true),
    (
        "pytorch:momentum=9/10,dampening=1/10,weight_decay=1/100",
        true,
    ),
    (
        "pytorch:momentum=9/10,nesterov=true,weight_decay=1/100,maximize=false",
        true,
    ),
    ("keras", true),
    ("keras:momentum=9/10,weight_decay=1/100", true),
    (
        "keras:momentum=9/10,nesterov=true,momentum_correction=true,float32_learning_rate=true",
        true,
    ),
    ("optax:momentum=9/10", true),
    ("optax:momentum=9/10,nesterov=true", true),
    ("tf:momentum=9/10,nesterov=true", true),
    ("nag:momentum=9/10", true),
    ("nag-pc:momentum=9/10", true),
    ("heavy-ball:momentum=9/10", true),
    ("fista:momentum=t-sequence", false),
    ("fista:momentum=rational", true),
    ("fista:momentum=strongly-convex,kappa=9", true),
    ("fista:momentum=strongly-convex,kappa=10", false),
    ("ogm:steps=1", true),
    ("ogm:steps=20", false),
];

/// Steps a configuration may run (OGM is defined for exactly N steps).
fn steps_for(spec: &str, wanted: usize) -> usize {
    match config(spec) {
        OptimizerConfig::Ogm(o) => o.steps().min(wanted),
        _ => wanted,
    }
}

/// f(x) = λx²/2 on ℝ (x* = 0, f* = 0, no rotation), started at x₀.
fn quadratic_1d(lambda: Rational, x0: Rational) -> QuadraticProblem {
    QuadraticProblem::new(
        vec![lambda],
        vec![],
        vec![Rational::new()],
        Rational::new(),
        vec![x0],
    )
    .unwrap()
}

fn exact(p: &dyn Problem, spec: &str, schedule: &Schedule, steps: usize) -> Trace<Rational> {
    run::<Rational>(
        p,
        &config(spec),
        schedule,
        None,
        steps,
        &RunOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{spec}: {e}"))
}

/// The first coordinate of x₁, x₂, … of a 1-D exact run.
fn iterates(t: &Trace<Rational>) -> Vec<Rational> {
    t.steps.iter().map(|s| s.iterate.get(0)).collect()
}

fn queries(t: &Trace<Rational>) -> Vec<Rational> {
    t.steps.iter().map(|s| s.query.get(0)).collect()
}

fn state(t: &Trace<Rational>, name: &str) -> Vec<Rational> {
    t.steps
        .iter()
        .map(|s| {
            s.state_vector(name)
                .unwrap_or_else(|| panic!("{name}"))
                .get(0)
        })
        .collect()
}

fn scalar(t: &Trace<Rational>, name: &str) -> Vec<Rational> {
    t.steps
        .iter()
        .map(|s| {
            s.state_scalar(name)
                .unwrap_or_else(|| panic!("{name}"))
                .clone()
        })
        .collect()
}

fn constant(n: i64, d: u64) -> Schedule {
    Schedule::constant(q(n, d))
}

// ---------------------------------------------------------------------------------------------
// Every optimizer in every arithmetic
// ---------------------------------------------------------------------------------------------

#[test]
fn the_test_catalogue_covers_every_optimizer() {
    let tested: BTreeSet<&str> = CATALOGUE
        .iter()
        .map(|(s, _)| s.split(':').next().unwrap())
        .collect();
    let listed: BTreeSet<&str> = OptimizerConfig::catalogue()
        .iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(tested, listed);
}

#[test]
fn every_optimizer_runs_in_every_arithmetic_where_it_is_defined() {
    let p = QuadraticProblem::from_spec(
        &momentum_oracle::spec::Spec::parse("quadratic:dim=3,L=1,m=1/10,seed=1").unwrap(),
    )
    .unwrap();
    // A step schedule, so that the momentum correction is exercised.
    let schedule = Schedule::from_spec("step:lr=1/2,factor=1/2,every=4").unwrap();
    for &(spec, rational) in CATALOGUE {
        let c = config(spec);
        let steps = steps_for(spec, STEPS);
        let completed = |outcome: &Outcome, n: usize, arith: &str| {
            assert_eq!(*outcome, Outcome::Completed, "{spec} in {arith}");
            assert_eq!(n, steps, "{spec} in {arith}");
        };
        let ex = run::<Rational>(&p, &c, &schedule, None, steps, &RunOptions::default());
        let mp = with_mpfr_precision(256, || {
            run::<Float>(&p, &c, &schedule, None, steps, &RunOptions::default()).unwrap()
        });
        completed(&mp.outcome, mp.steps.len(), "mpfr:256");
        assert_eq!(mp.arithmetic, "mpfr:256");
        if rational {
            let t = ex.unwrap_or_else(|e| panic!("{spec} in ℚ: {e}"));
            completed(&t.outcome, t.steps.len(), "ℚ");
            // The 256-bit MPFR run is within its derived error bound of the exact run: the
            // bounded run computes the plain run's values bit for bit, plus a rigorous bound.
            let bm = with_mpfr_precision(256, || {
                run::<BoundedMpfr>(&p, &c, &schedule, None, steps, &RunOptions::default()).unwrap()
            });
            for ((a, b), m) in t.steps.iter().zip(&bm.steps).zip(&mp.steps) {
                assert_eq!(
                    b.iterate.v, m.iterate,
                    "{spec}: bounded vs plain at step {}",
                    a.step
                );
                assert!(
                    b.iterate.encloses(&a.iterate.to_scalars()),
                    "{spec}: mpfr iterate at step {} outside its bound",
                    a.step
                );
            }
        } else {
            let err = ex.expect_err(spec);
            assert!(
                matches!(&err, Error::NotRational { detail, .. } if detail.contains("step 1")),
                "{spec}: {err:?}"
            );
        }
        for rounding in Rounding::ALL {
            let opts = RunOptions::with_rounding(rounding);
            let t = run::<f64>(&p, &c, &schedule, None, steps, &opts).unwrap();
            completed(&t.outcome, t.steps.len(), "f64");
            let t = run::<Bounded>(&p, &c, &schedule, None, steps, &opts).unwrap();
            completed(&t.outcome, t.steps.len(), "f64+bound");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Bounded f64: bitwise the f64 run, and enclosing the exact run
// ---------------------------------------------------------------------------------------------

fn assert_bitwise(f: &[f64], b: &[f64], what: &str) {
    let fb: Vec<u64> = f.iter().map(|x| x.to_bits()).collect();
    let bb: Vec<u64> = b.iter().map(|x| x.to_bits()).collect();
    assert_eq!(fb, bb, "{what}");
}

/// The bounded run's values are bitwise the f64 run's: iterate, query, gradient, state, gap.
fn assert_same_values(f: &Trace<f64>, b: &Trace<Bounded>, spec: &str) {
    assert_eq!(f.steps.len(), b.steps.len(), "{spec}");
    for (sf, sb) in f.steps.iter().zip(&b.steps) {
        let at = format!("{spec}, step {}", sf.step);
        assert_bitwise(&sf.iterate, &sb.iterate.v, &at);
        assert_bitwise(&sf.query, &sb.query.v, &at);
        assert_bitwise(&sf.gradient, &sb.gradient.v, &at);
        assert_eq!(sf.state.vectors.len(), sb.state.vectors.len(), "{at}");
        for ((nf, vf), (nb, vb)) in sf.state.vectors.iter().zip(&sb.state.vectors) {
            assert_eq!(nf, nb, "{at}");
            assert_bitwise(vf, &vb.v, &at);
        }
        for ((nf, xf), (nb, xb)) in sf.state.scalars.iter().zip(&sb.state.scalars) {
            assert_eq!(nf, nb, "{at}");
            assert_eq!(xf.to_bits(), xb.v.to_bits(), "{at}: {nf}");
        }
        let gf = sf.gap.expect("quadratic gap");
        let gb = sb.gap.expect("quadratic gap");
        assert_eq!(gf.to_bits(), gb.v.to_bits(), "{at}: gap");
    }
}

/// Every coordinate of the iterate and the state, and the gap, of the exact run lie within the
/// bounded run's (finite) bounds.
fn assert_encloses(b: &Trace<Bounded>, e: &Trace<Rational>, spec: &str) {
    assert_eq!(b.steps.len(), e.steps.len(), "{spec}");
    for (sb, se) in b.steps.iter().zip(&e.steps) {
        let at = format!("{spec}, step {}", sb.step);
        assert!(sb.iterate.e.is_finite(), "{at}: infinite iterate bound");
        for i in 0..se.iterate.len() {
            assert!(
                sb.iterate.get(i).encloses(&se.iterate.get(i)),
                "{at}: iterate[{i}]"
            );
        }
        for ((name, vb), (_, ve)) in sb.state.vectors.iter().zip(&se.state.vectors) {
            for i in 0..ve.len() {
                assert!(vb.get(i).encloses(&ve.get(i)), "{at}: {name}[{i}]");
            }
        }
        for ((name, xb), (_, xe)) in sb.state.scalars.iter().zip(&se.state.scalars) {
            assert!(xb.encloses(xe), "{at}: {name}");
        }
        let gb = sb.gap.expect("quadratic gap");
        assert!(gb.e.is_finite(), "{at}: infinite gap bound");
        assert!(
            gb.encloses(se.gap.as_ref().expect("exact gap")),
            "{at}: gap"
        );
    }
}

fn small_quadratic() -> impl Strategy<Value = QuadraticProblem> {
    quadratic(QuadraticParams {
        dim: (1, 4),
        curvature: Curvature::Any,
        max_reflections: 2,
    })
}

proptest! {
    // Integration tests have no lib.rs beside them, so proptest's default persistence finds no
    // source root; keep shrunk failures where docs/style.md, "Generators", wants them committed.
    #![proptest_config(crate::common::config("optimizers", 256))]

    #[test]
    fn bounded_runs_equal_f64_bitwise_and_enclose_the_exact_trace(
        p in small_quadratic(),
        h in prop_oneof![Just(q(1, 2)), Just(q(1, 1))],
        decaying in any::<bool>(),
    ) {
        // γ = h/L, optionally halved every 5 steps (exercises the momentum correction).
        let l = p.smoothness().unwrap();
        let learning_rate = Rational::from(&h / &l);
        let schedule = if decaying {
            Schedule::Step { learning_rate, factor: q(1, 2), every: 5 }
        } else {
            Schedule::constant(learning_rate)
        };
        for &(spec, rational) in CATALOGUE {
            let c = config(spec);
            let steps = steps_for(spec, STEPS);
            let ex = rational.then(|| exact(&p, spec, &schedule, steps));
            for rounding in Rounding::ALL {
                let opts = RunOptions::with_rounding(rounding);
                let f = run::<f64>(&p, &c, &schedule, None, steps, &opts).unwrap();
                let b = run::<Bounded>(&p, &c, &schedule, None, steps, &opts).unwrap();
                let label = format!("{spec} ({})", rounding.name());
                assert_same_values(&f, &b, &label);
                if let Some(e) = &ex {
                    assert_encloses(&b, e, &label);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Hand-derived short runs on f(x) = λx²/2 (so ∇f(x) = λx), exact
// ---------------------------------------------------------------------------------------------

#[test]
fn gd_on_a_1d_quadratic_matches_the_hand_computation() {
    // λ = 1, x₀ = 1, γ = 1/4: x_k = x_{k−1} − x_{k−1}/4 = (3/4)^k.
    let p = quadratic_1d(q(1, 1), q(1, 1));
    let t = exact(&p, "gd", &constant(1, 4), 3);
    assert_eq!(iterates(&t), [q(3, 4), q(9, 16), q(27, 64)]);
    // f(x₃) − f* = (27/64)²/2.
    assert_eq!(t.steps[2].gap.clone().unwrap(), q(729, 8192));
}

#[test]
fn pytorch_does_not_apply_dampening_on_step_1() {
    // λ = 1, x₀ = 1, γ = 1/2, μ = 1/2, τ = 1/2, so b_k = μb_{k−1} + (1 − τ)g = b/2 + g/2 for k ≥ 2:
    //   k = 1: g = 1,    b₁ = g = 1 (a copy: no dampening),   θ₁ = 1 − 1/2·1     = 1/2
    //   k = 2: g = 1/2,  b₂ = 1/2 + 1/4 = 3/4,                θ₂ = 1/2 − 1/2·3/4 = 1/8
    //   k = 3: g = 1/8,  b₃ = 3/8 + 1/16 = 7/16,              θ₃ = 1/8 − 7/32   = −3/32
    // Dampening on step 1 would give b₁ = 1/2 and θ₁ = 3/4.
    let p = quadratic_1d(q(1, 1), q(1, 1));
    let t = exact(&p, "pytorch:momentum=1/2,dampening=1/2", &constant(1, 2), 3);
    assert_eq!(iterates(&t), [q(1, 2), q(1, 8), q(-3, 32)]);
    assert_eq!(state(&t, "momentum_buffer"), [q(1, 1), q(3, 4), q(7, 16)]);
}

#[test]
fn keras_nesterov_adds_mu_v_minus_gamma_g_with_the_new_velocity() {
    // λ = 1, x₀ = 1, γ = 1/2, μ = 1/2; v = μv − γg, then θ += μv − γg with the new v:
    //   k = 1: g = 1,     v₁ = 0 − 1/2 = −1/2,          θ₁ = 1 + (−1/4 − 1/2)      = 1/4
    //   k = 2: g = 1/4,   v₂ = −1/4 − 1/8 = −3/8,       θ₂ = 1/4 + (−3/16 − 1/8)   = −1/16
    //   k = 3: g = −1/16, v₃ = −3/16 + 1/32 = −5/32,    θ₃ = −1/16 + (−5/64 + 1/32) = −7/64
    let p = quadratic_1d(q(1, 1), q(1, 1));
    let t = exact(&p, "keras:momentum=1/2,nesterov=true", &constant(1, 2), 3);
    assert_eq!(iterates(&t), [q(1, 4), q(-1, 16), q(-7, 64)]);
    assert_eq!(state(&t, "velocity"), [q(-1, 2), q(-3, 8), q(-5, 32)]);
}

#[test]
fn keras_weight_decay_is_decoupled_and_applied_before_the_step() {
    // λ = 1, x₀ = 1, γ = 1/2, weight decay 1/2, μ = 0 (no velocity); g is taken before the decay:
    //   k = 1: g = 1,   θ ← 1 − 1·(1/2)(1/2) = 3/4,      θ₁ = 3/4 − 1/2·1    = 1/4
    //   k = 2: g = 1/4, θ ← 1/4 − (1/4)(1/4) = 3/16,     θ₂ = 3/16 − 1/2·1/4 = 1/16
    let p = quadratic_1d(q(1, 1), q(1, 1));
    let t = exact(&p, "keras:weight_decay=1/2", &constant(1, 2), 2);
    assert_eq!(iterates(&t), [q(1, 4), q(1, 16)]);
    assert_eq!(queries(&t), [q(1, 1), q(1, 4)]);
    assert!(
        t.steps[0].state.vectors.is_empty(),
        "μ = 0 keeps no velocity"
    );
}

#[test]
fn keras_momentum_correction_reproduces_pytorch_under_a_schedule() {
    // λ = 1, x₀ = 1, μ = 1/2, γ_k = (1/2)^k:
    //   k = 1: g = 1,   v₁ = −1/2,                               θ₁ = 1/2
    //   k = 2: g = 1/2, μ₂ = μγ₂/γ₁ = 1/4, v₂ = −1/8 − 1/8 = −1/4, θ₂ = 1/4
    //   k = 3: g = 1/4, μ₃ = 1/4,    v₃ = −1/16 − 1/32 = −3/32,    θ₃ = 5/32
    // PyTorch: b = 1, 1, 3/4 and θ = 1 − 1/2 = 1/2, 1/2 − 1/4 = 1/4, 1/4 − 3/32 = 5/32.
    // Uncorrected, v₂ = −1/4 − 1/8 = −3/8 and θ₂ = 1/8.
    let schedule = Schedule::from_spec("exponential:lr=1/2,factor=1/2").unwrap();
    let p = quadratic_1d(q(1, 1), q(1, 1));
    let corrected = exact(
        &p,
        "keras:momentum=1/2,momentum_correction=true",
        &schedule,
        3,
    );
    assert_eq!(iterates(&corrected), [q(1, 2), q(1, 4), q(5, 32)]);
    assert_eq!(
        state(&corrected, "velocity"),
        [q(-1, 2), q(-1, 4), q(-3, 32)]
    );
    let torch = exact(&p, "pytorch:momentum=1/2", &schedule, 3);
    assert_eq!(iterates(&torch), iterates(&corrected));
    let plain = exact(&p, "keras:momentum=1/2", &schedule, 2);
    assert_eq!(iterates(&plain), [q(1, 2), q(1, 8)]);

    // And on a rotated 3-d quadratic, plain and nesterov, for 10 steps: θ equal, v_k = −γ_k b_k.
    let p = QuadraticProblem::from_seed(&QuadraticParams::default(), 5);
    let schedule = Schedule::from_spec("step:lr=1/2,factor=1/3,every=3").unwrap();
    for nesterov in [false, true] {
        let keras = exact(
            &p,
            &format!("keras:momentum=9/10,nesterov={nesterov},momentum_correction=true"),
            &schedule,
            10,
        );
        let torch = exact(
            &p,
            &format!("pytorch:momentum=9/10,nesterov={nesterov}"),
            &schedule,
            10,
        );
        for (a, b) in keras.steps.iter().zip(&torch.steps) {
            assert_eq!(a.iterate, b.iterate, "nesterov={nesterov}, step {}", a.step);
            let mut minus_gamma_b = b.state_vector("momentum_buffer").unwrap().clone();
            minus_gamma_b.scale(&-b.learning_rate.clone());
            assert_eq!(a.state_vector("velocity").unwrap(), &minus_gamma_b);
        }
    }
}

#[test]
fn keras_float32_learning_rate_is_the_nearest_f32() {
    // The f32 nearest to 1/10 is 13421773·2⁻²⁷ (0x3dcccccd): 1/10·2²⁷ = 13421772.8 rounds up.
    assert_eq!(round_to_f32(&q(1, 10)), q(13_421_773, 134_217_728));
    // λ = 1, x₀ = 1, μ = 0: θ₁ = 1 − γ' = 120795955/134217728.
    let p = quadratic_1d(q(1, 1), q(1, 1));
    let t = exact(&p, "keras:float32_learning_rate=true", &constant(1, 10), 1);
    assert_eq!(iterates(&t), [q(120_795_955, 134_217_728)]);
}

#[test]
fn optax_trace_starts_at_zero_and_tf_is_the_same_recurrence() {
    // λ = 1, x₀ = 1, γ = 1/4, μ = 1/2; t = g + μt from t₀ = 0, θ −= γt:
    //   k = 1: g = 1,    t₁ = 1 + 0 = 1,               θ₁ = 1 − 1/4       = 3/4
    //   k = 2: g = 3/4,  t₂ = 3/4 + 1/2 = 5/4,         θ₂ = 3/4 − 5/16    = 7/16
    //   k = 3: g = 7/16, t₃ = 7/16 + 5/8 = 17/16,      θ₃ = 7/16 − 17/64  = 11/64
    let p = quadratic_1d(q(1, 1), q(1, 1));
    let t = exact(&p, "optax:momentum=1/2", &constant(1, 4), 3);
    assert_eq!(iterates(&t), [q(3, 4), q(7, 16), q(11, 64)]);
    assert_eq!(state(&t, "trace"), [q(1, 1), q(5, 4), q(17, 16)]);
    // Nesterov, γ = 1/2: θ −= γ(g + μt) with the new t:
    //   k = 1: g = 1,   t₁ = 1,                 θ₁ = 1 − (1/2)(1 + 1/2)       = 1/4
    //   k = 2: g = 1/4, t₂ = 1/4 + 1/2 = 3/4,   θ₂ = 1/4 − (1/2)(1/4 + 3/8)   = −1/16
    let n = exact(&p, "optax:momentum=1/2,nesterov=true", &constant(1, 2), 2);
    assert_eq!(iterates(&n), [q(1, 4), q(-1, 16)]);
    assert_eq!(state(&n, "trace"), [q(1, 1), q(3, 4)]);
    let tf = exact(&p, "tf:momentum=1/2,nesterov=true", &constant(1, 2), 2);
    assert_eq!(tf.steps, n.steps);
}

#[test]
fn nag_queries_the_look_ahead_point_and_both_forms_agree() {
    // λ = 1, x₀ = 1, γ = 1/2, μ = 1/2; y = θ + μv, v = μv − γ∇f(y), θ += v:
    //   k = 1: y = 1 + 0 = 1,            v₁ = 0 − 1/2 = −1/2,          θ₁ = 1/2
    //   k = 2: y = 1/2 − 1/4 = 1/4,      v₂ = −1/4 − 1/8 = −3/8,       θ₂ = 1/8
    //   k = 3: y = 1/8 − 3/16 = −1/16,   v₃ = −3/16 + 1/32 = −5/32,    θ₃ = −1/32
    // Predictor–corrector: y = x + μ(x − x₋), x = y − γ∇f(y) = y/2: the same y and x.
    let p = quadratic_1d(q(1, 1), q(1, 1));
    let t = exact(&p, "nag:momentum=1/2", &constant(1, 2), 3);
    assert_eq!(iterates(&t), [q(1, 2), q(1, 8), q(-1, 32)]);
    assert_eq!(queries(&t), [q(1, 1), q(1, 4), q(-1, 16)]);
    assert_eq!(state(&t, "velocity"), [q(-1, 2), q(-3, 8), q(-5, 32)]);
    let pc = exact(&p, "nag-pc:momentum=1/2", &constant(1, 2), 3);
    assert_eq!(iterates(&pc), iterates(&t));
    assert_eq!(queries(&pc), queries(&t));
    assert_eq!(state(&pc, "previous_iterate"), [q(1, 1), q(1, 2), q(1, 8)]);
}

#[test]
fn heavy_ball_adds_mu_times_the_last_displacement() {
    // λ = 1, x₀ = 1, γ = 1/4, μ = 1/2, θ₋₁ = θ₀; θ₊ = θ − θ/4 + (θ − θ₋)/2:
    //   k = 1: θ₁ = 1 − 1/4 + 0                  = 3/4
    //   k = 2: θ₂ = 3/4 − 3/16 + (3/4 − 1)/2     = 7/16
    //   k = 3: θ₃ = 7/16 − 7/64 + (7/16 − 3/4)/2 = 11/64
    // (With a constant γ this is Optax's trace above: θ_k − θ_{k−1} = −γt_k.)
    let p = quadratic_1d(q(1, 1), q(1, 1));
    let t = exact(&p, "heavy-ball:momentum=1/2", &constant(1, 4), 3);
    assert_eq!(iterates(&t), [q(3, 4), q(7, 16), q(11, 64)]);
    assert_eq!(state(&t, "previous_iterate"), [q(1, 1), q(3, 4), q(7, 16)]);
}

#[test]
fn fista_rational_momentum_is_k_minus_1_over_k_plus_2() {
    // λ = 1, x₀ = 1, γ = 1/2; x = y − y/2, y₊ = x + β_k(x − x₋), β_k = (k−1)/(k+2), t_k = (k+1)/2:
    //   k = 1: y₁ = 1,    x₁ = 1/2,   β₁ = 0,   y₂ = 1/2
    //   k = 2: y₂ = 1/2,  x₂ = 1/4,   β₂ = 1/4, y₃ = 1/4 + (1/4)(1/4 − 1/2) = 3/16
    //   k = 3: y₃ = 3/16, x₃ = 3/32,  β₃ = 2/5, y₄ = 3/32 + (2/5)(3/32 − 8/32) = 1/32
    let p = quadratic_1d(q(1, 1), q(1, 1));
    let t = exact(&p, "fista:momentum=rational", &constant(1, 2), 3);
    assert_eq!(iterates(&t), [q(1, 2), q(1, 4), q(3, 32)]);
    assert_eq!(queries(&t), [q(1, 1), q(1, 2), q(3, 16)]);
    assert_eq!(state(&t, "extrapolated"), [q(1, 2), q(3, 16), q(1, 32)]);
    assert_eq!(state(&t, "previous_iterate"), [q(1, 1), q(1, 2), q(1, 4)]);
    assert_eq!(scalar(&t, "t"), [q(1, 1), q(3, 2), q(2, 1)]);
}

#[test]
fn fista_strongly_convex_momentum_is_exact_for_a_square_kappa() {
    // κ = 4: β = (2 − 1)/(2 + 1) = 1/3. λ = 1, x₀ = 1, γ = 1/2:
    //   k = 1: x₁ = 1/2,  y₂ = 1/2 + (1/3)(1/2 − 1)   = 1/3
    //   k = 2: x₂ = 1/6,  y₃ = 1/6 + (1/3)(1/6 − 1/2) = 1/18
    //   k = 3: x₃ = 1/36, y₄ = 1/36 + (1/3)(1/36 − 1/6) = −1/54
    let p = quadratic_1d(q(1, 1), q(1, 1));
    let t = exact(
        &p,
        "fista:momentum=strongly-convex,kappa=4",
        &constant(1, 2),
        3,
    );
    assert_eq!(iterates(&t), [q(1, 2), q(1, 6), q(1, 36)]);
    assert_eq!(state(&t, "extrapolated"), [q(1, 3), q(1, 18), q(-1, 54)]);
    assert!(t.steps[0].state.scalars.is_empty(), "no t-sequence");
}

#[test]
fn fista_t_sequence_is_irrational_from_t2_and_runs_in_mpfr() {
    let p = quadratic_1d(q(1, 1), q(1, 1));
    let c = config("fista:momentum=t-sequence");
    let err = run::<Rational>(&p, &c, &constant(1, 2), None, 1, &RunOptions::default())
        .expect_err("t₂ = (1 + √5)/2");
    assert!(matches!(err, Error::NotRational { ref detail, .. } if detail == " at step 1"));
    // In MPFR: t₂ = (1 + √5)/2 and t₃ = (1 + √(1 + 4t₂²))/2 = (1 + √(7 + 2√5))/2 (t₂² = t₂ + 1).
    with_mpfr_precision(256, || {
        let t =
            run::<BoundedMpfr>(&p, &c, &constant(1, 2), None, 3, &RunOptions::default()).unwrap();
        let sqrt5 = Float::with_val(512, 5).sqrt();
        let t2 = (Float::with_val(512, 1) + &sqrt5) / 2u32;
        let t3 = (Float::with_val(512, 1) + (Float::with_val(512, 7) + sqrt5 * 2u32).sqrt()) / 2u32;
        assert_eq!(t.steps[0].state_scalar("t").unwrap().v, 1);
        for (k, want) in [(1, &t2), (2, &t3)] {
            let got = t.steps[k].state_scalar("t").unwrap();
            assert!(
                within_certified_bound(&got.v, got.e, want),
                "t_{} = {:?}",
                k + 1,
                got
            );
        }
    });
}

#[test]
fn ogm_with_one_step_is_rational_and_uses_the_last_step_theta() {
    // N = 1, λ = 1, x₀ = 2, γ = 1/2: the only step is the last one, θ₁ = (1 + √(1 + 8·1²))/2 = 2.
    //   y₁ = 2 − (1/2)·2 = 1
    //   x₁ = y₁ + ((θ₀ − 1)/θ₁)(y₁ − y₀) + (θ₀/θ₁)(y₁ − x₀) = 1 + 0·(1 − 2) + (1/2)(1 − 2) = 1/2
    let p = quadratic_1d(q(1, 1), q(2, 1));
    let t = exact(&p, "ogm:steps=1", &constant(1, 2), 1);
    assert_eq!(iterates(&t), [q(1, 2)]);
    assert_eq!(state(&t, "y"), [q(1, 1)]);
    assert_eq!(scalar(&t, "theta"), [q(2, 1)]);
    // MPFR computes √9 = 3 exactly.
    with_mpfr_precision(256, || {
        let c = config("ogm:steps=1");
        let t = run::<Float>(&p, &c, &constant(1, 2), None, 1, &RunOptions::default()).unwrap();
        assert_eq!(*t.steps[0].state_scalar("theta").unwrap(), 2);
        assert_eq!(t.steps[0].iterate[0], 0.5);
    });
}

#[test]
fn ogm_last_step_theta_matches_its_closed_form_in_mpfr() {
    // θ₁ = (1 + √5)/2 = φ with φ² = φ + 1 = (3 + √5)/2. With N = 2 the last step uses 8θ²:
    //   θ₂ = (1 + √(1 + 8φ²))/2 = (1 + √(13 + 4√5))/2 ≈ 2.842,
    // with N = 3 step 2 is not the last and uses 4θ²:
    //   θ₂ = (1 + √(1 + 4φ²))/2 = (1 + √(7 + 2√5))/2 ≈ 2.193.
    let p = quadratic_1d(q(1, 1), q(2, 1));
    let err = run::<Rational>(
        &p,
        &config("ogm:steps=2"),
        &constant(1, 1),
        None,
        1,
        &RunOptions::default(),
    )
    .expect_err("θ₁ = (1 + √5)/2");
    assert!(matches!(err, Error::NotRational { ref detail, .. } if detail == " at step 1"));
    with_mpfr_precision(256, || {
        let theta2 = |spec: &str| {
            let t = run::<BoundedMpfr>(
                &p,
                &config(spec),
                &constant(1, 1),
                None,
                2,
                &RunOptions::default(),
            )
            .unwrap();
            t.steps[1].state_scalar("theta").unwrap().clone()
        };
        let sqrt5 = Float::with_val(512, 5).sqrt();
        let last = (Float::with_val(512, 1)
            + (Float::with_val(512, 13) + sqrt5.clone() * 4u32).sqrt())
            / 2u32;
        let inner =
            (Float::with_val(512, 1) + (Float::with_val(512, 7) + sqrt5 * 2u32).sqrt()) / 2u32;
        let (got_last, got_inner) = (theta2("ogm:steps=2"), theta2("ogm:steps=3"));
        assert!(
            within_certified_bound(&got_last.v, got_last.e, &last),
            "θ₂ (N = 2) = {got_last:?}"
        );
        assert!(
            within_certified_bound(&got_inner.v, got_inner.e, &inner),
            "θ₂ (N = 3) = {got_inner:?}"
        );
    });
}

// ---------------------------------------------------------------------------------------------
// The fused f64 PyTorch model, bit for bit
// ---------------------------------------------------------------------------------------------

/// The nearest f64 to an exact rational (all values here are normal, far from overflow).
fn fl(x: &Rational) -> f64 {
    Float::with_val(53, x).to_f64()
}

fn ex(x: f64) -> Rational {
    Rational::from_f64(x).unwrap()
}

/// `a·b + c` rounded once (fused) or product and sum rounded separately (naive), from the exact
/// rationals of the operands — an independent model of the two rounding rules.
fn madd(a: f64, b: f64, c: f64, fused: bool) -> f64 {
    if fused {
        fl(&(ex(a) * ex(b) + ex(c)))
    } else {
        fl(&(ex(fl(&(ex(a) * ex(b)))) + ex(c)))
    }
}

/// PyTorch's `_single_tensor_sgd` per element, written out on f64 scalars, on f = ½(x₁² + 2x₂²)
/// (gradient (x₁, 2x₂), exact in f64):
/// `g = fma(θ, λ, g)`; `b = g` on step 1, else `b = fma(g, 1−τ, round(μ·b))`;
/// nesterov `g = fma(b, μ, g)`, else `g = b`; `θ = fma(g, −γ, θ)`.
fn pytorch_by_hand(
    x0: [Rational; 2],
    (mu, tau, wd, learning_rate): (Rational, Rational, Rational, Rational),
    nesterov: bool,
    steps: usize,
    fused: bool,
) -> Vec<[f64; 2]> {
    let (mu, wd, learning_rate) = (fl(&mu), fl(&wd), fl(&learning_rate));
    let one_minus_tau = fl(&(Rational::from(1) - ex(fl(&tau))));
    let mut theta = [fl(&x0[0]), fl(&x0[1])];
    let mut buf: Option<[f64; 2]> = None;
    let mut out = Vec::new();
    for _ in 0..steps {
        let mut g = [theta[0], 2.0 * theta[1]];
        for i in 0..2 {
            g[i] = madd(theta[i], wd, g[i], fused);
        }
        let b = match buf {
            None => g,
            Some(b) => [0, 1].map(|i| madd(g[i], one_minus_tau, fl(&(ex(mu) * ex(b[i]))), fused)),
        };
        buf = Some(b);
        let d = if nesterov {
            [0, 1].map(|i| madd(b[i], mu, g[i], fused))
        } else {
            b
        };
        theta = [0, 1].map(|i| madd(d[i], -learning_rate, theta[i], fused));
        out.push(theta);
    }
    out
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// One bit-for-bit example: a PyTorch config on f = ½(x₁² + 2x₂²) with γ = 1/10, and θ₃'s bits.
struct BitExample {
    spec: &'static str,
    x0: [Rational; 2],
    nesterov: bool,
    dampening: Rational,
    fused: [u64; 2],
    naive: [u64; 2],
}

#[test]
fn fused_f64_pytorch_model_matches_hand_derived_bits() {
    // Both examples: μ = 9/10, λ = 1/100, γ = 1/10, three steps. Naive rounds each product —
    // θ·λ, (1−τ)·g, μ·b (nesterov) and γ·g — before its addition; fused rounds each multiply-add
    // once (μ·b of the buffer update is a rounded product in both). For these inputs the models
    // agree on θ₁ and part from θ₂ on. The constants are θ₃ with every operation's exact
    // rational rounded once to nearest, as `pytorch_by_hand` computes with rug (cross-checked
    // independently with Python's `fractions`, whose int/int division is correctly rounded).
    let examples = [
        BitExample {
            spec: "pytorch:momentum=9/10,nesterov=true,weight_decay=1/100",
            x0: [q(1, 1), q(1, 3)],
            nesterov: true,
            dampening: Rational::new(),
            fused: [0x3fd4_9959_50d5_2434, 0xbfa3_0e1c_599a_74db],
            naive: [0x3fd4_9959_50d5_2436, 0xbfa3_0e1c_599a_74d8],
        },
        BitExample {
            spec: "pytorch:momentum=9/10,dampening=1/10,weight_decay=1/100",
            x0: [q(1, 3), q(-5, 7)],
            nesterov: false,
            dampening: q(1, 10),
            fused: [0x3fc5_8be6_48cd_1aaa, 0xbfb1_5f04_7c1e_d8c6],
            naive: [0x3fc5_8be6_48cd_1aaa, 0xbfb1_5f04_7c1e_d8c4],
        },
    ];
    for ex in examples {
        let spec = ex.spec;
        let problem = QuadraticProblem::new(
            vec![q(1, 1), q(2, 1)],
            vec![],
            vec![Rational::new(), Rational::new()],
            Rational::new(),
            ex.x0.to_vec(),
        )
        .unwrap();
        let hyper = (q(9, 10), ex.dampening.clone(), q(1, 100), q(1, 10));
        for (rounding, expected) in [(Rounding::Fused, ex.fused), (Rounding::Naive, ex.naive)] {
            let fused = rounding == Rounding::Fused;
            let by_hand = pytorch_by_hand(ex.x0.clone(), hyper.clone(), ex.nesterov, 3, fused);
            assert_eq!(
                bits(&by_hand[2]),
                expected,
                "{spec}: hand model vs constants"
            );
            let t = run::<f64>(
                &problem,
                &config(spec),
                &constant(1, 10),
                None,
                3,
                &RunOptions::with_rounding(rounding),
            )
            .unwrap();
            for (k, s) in t.steps.iter().enumerate() {
                assert_eq!(
                    bits(&s.iterate),
                    bits(&by_hand[k]),
                    "{spec} {}: step {}",
                    rounding.name(),
                    k + 1
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Constructor checks
// ---------------------------------------------------------------------------------------------

fn rejects(result: Result<impl std::fmt::Debug, Error>, parameter: &str) {
    match result {
        Err(Error::InvalidHyperParameter { name, .. }) => assert_eq!(name, parameter),
        other => panic!("expected a rejected `{parameter}`, got {other:?}"),
    }
}

#[test]
fn constructors_reject_what_their_frameworks_reject() {
    let zero = Rational::new;
    // PyTorch: nesterov needs μ > 0 and τ = 0; μ and λ must be non-negative.
    rejects(
        PytorchSgd::new(zero(), zero(), true, zero(), false),
        "nesterov",
    );
    rejects(
        PytorchSgd::new(q(9, 10), q(1, 10), true, zero(), false),
        "nesterov",
    );
    rejects(
        PytorchSgd::new(q(-1, 10), zero(), false, zero(), false),
        "momentum",
    );
    rejects(
        PytorchSgd::new(q(9, 10), zero(), false, q(-1, 100), false),
        "weight_decay",
    );
    assert!(PytorchSgd::new(q(9, 10), zero(), true, q(1, 100), false).is_ok());
    // Keras: 0 ≤ μ ≤ 1 (μ = 1 is accepted).
    rejects(KerasSgd::momentum(q(-1, 10)), "momentum");
    rejects(KerasSgd::momentum(q(11, 10)), "momentum");
    assert!(KerasSgd::momentum(q(1, 1)).is_ok());
    // NAG, heavy ball: 0 ≤ μ < 1; FISTA: κ ≥ 1, and κ only with its rule; OGM: N ≥ 1.
    for spec in [
        "nag:momentum=1",
        "nag-pc:momentum=-1/2",
        "heavy-ball:momentum=3/2",
    ] {
        rejects(OptimizerConfig::from_spec(spec), "momentum");
    }
    rejects(
        Fista::new(FistaMomentum::StronglyConvex { kappa: q(1, 2) }),
        "kappa",
    );
    rejects(
        OptimizerConfig::from_spec("fista:momentum=rational,kappa=4"),
        "kappa",
    );
    assert!(matches!(
        OptimizerConfig::from_spec("fista:momentum=strongly-convex"),
        Err(Error::Parse { .. })
    ));
    assert!(matches!(
        OptimizerConfig::from_spec("fista:momentum=nesterov"),
        Err(Error::Parse { .. })
    ));
    rejects(Ogm::new(0), "steps");
    assert!(matches!(
        OptimizerConfig::from_spec("keras:momentum=1/2,dampening=1/10"),
        Err(Error::Unknown { .. })
    ));
}

/// OGM with a given θ sequence: N = 1 with θ₁ = 2 is Kim–Fessler's own (θ₁ = (1 + √(1 + 8))/2 = 2),
/// so the two specs give the same exact trace; for N = 2 the given θ runs in ℚ where the
/// recursion's irrational θ₁ = (1 + √5)/2 refuses; a list of the wrong length or with a θ ≤ 0 is
/// a one-line error naming `theta`; the spec round-trips.
#[test]
fn ogm_with_given_theta_is_the_same_update_and_runs_exactly() {
    let p = quadratic_1d(q(1, 1), q(2, 1));
    let plain = run::<Rational>(
        &p,
        &config("ogm:steps=1"),
        &constant(1, 1),
        None,
        1,
        &RunOptions::default(),
    )
    .unwrap();
    let given = run::<Rational>(
        &p,
        &config("ogm:steps=1,theta=2"),
        &constant(1, 1),
        None,
        1,
        &RunOptions::default(),
    )
    .unwrap();
    assert_eq!(plain.steps, given.steps);
    let two = config("ogm:steps=2,theta=3/2;5/2");
    assert_eq!(two.spec(), "ogm:steps=2,theta=3/2;5/2");
    assert!(run::<Rational>(&p, &two, &constant(1, 1), None, 2, &RunOptions::default()).is_ok());
    assert!(matches!(
        run::<Rational>(
            &p,
            &config("ogm:steps=2"),
            &constant(1, 1),
            None,
            2,
            &RunOptions::default()
        ),
        Err(Error::NotRational { .. })
    ));
    rejects(OptimizerConfig::from_spec("ogm:steps=2,theta=2"), "theta");
    rejects(OptimizerConfig::from_spec("ogm:steps=2,theta=2;0"), "theta");
    rejects(Ogm::with_theta(vec![q(-1, 2)]), "theta");
}

#[test]
fn ogm_refuses_to_run_longer_than_its_n_steps() {
    let p = quadratic_1d(q(1, 1), q(2, 1));
    let c = config("ogm:steps=3");
    let ok = run::<f64>(&p, &c, &constant(1, 1), None, 3, &RunOptions::default());
    assert!(ok.is_ok());
    let err = run::<f64>(&p, &c, &constant(1, 1), None, 4, &RunOptions::default());
    assert!(matches!(
        err,
        Err(Error::InvalidHyperParameter { name: "steps", ref value, .. }) if value == "3"
    ));
}

// ---------------------------------------------------------------------------------------------
// Specs
// ---------------------------------------------------------------------------------------------

#[test]
fn every_optimizer_spec_round_trips() {
    for &(spec, _) in CATALOGUE {
        let c = config(spec);
        let again = OptimizerConfig::from_spec(&c.spec()).unwrap();
        assert_eq!(again, c, "{spec} → {}", c.spec());
        assert_eq!(again.spec(), c.spec());
    }
    // `tf` is an alias: it builds the Optax config and prints as `optax`.
    let tf = config("tf:momentum=9/10,nesterov=true");
    assert_eq!(tf, config("optax:momentum=9/10,nesterov=true"));
    assert!(tf.spec().starts_with("optax:"));
}

#[test]
fn spec_values_reach_the_accessors_and_the_spec_prints_back() {
    // Each accessor against the value written in the spec; every value differs from its default,
    // so an accessor that ignores its field is caught.
    let round_trip = |c: &OptimizerConfig| {
        assert_eq!(
            &OptimizerConfig::from_spec(&c.spec()).unwrap(),
            c,
            "{}",
            c.spec()
        );
    };
    let c =
        config("pytorch:momentum=3/4,dampening=1/8,weight_decay=1/16,maximize=true,nesterov=false");
    let OptimizerConfig::Pytorch(o) = &c else {
        panic!("{c:?}")
    };
    assert_eq!(
        (o.momentum_value(), o.dampening(), o.weight_decay()),
        (&q(3, 4), &q(1, 8), &q(1, 16))
    );
    assert!(o.maximize() && !o.nesterov());
    round_trip(&c);
    let c = config("pytorch:momentum=3/4,nesterov=true");
    let OptimizerConfig::Pytorch(o) = &c else {
        panic!("{c:?}")
    };
    assert!(o.nesterov() && !o.maximize());
    round_trip(&c);
    let c = config(
        "keras:momentum=2/3,nesterov=true,weight_decay=1/32,momentum_correction=true,float32_learning_rate=true",
    );
    let OptimizerConfig::Keras(o) = &c else {
        panic!("{c:?}")
    };
    assert_eq!(
        (o.momentum_value(), o.weight_decay()),
        (&q(2, 3), &q(1, 32))
    );
    assert!(o.nesterov() && o.momentum_correction() && o.float32_learning_rate());
    round_trip(&c);
    let c = config("keras:momentum=2/3");
    let OptimizerConfig::Keras(o) = &c else {
        panic!("{c:?}")
    };
    assert!(!o.nesterov() && !o.momentum_correction() && !o.float32_learning_rate());
    for (spec, nesterov) in [
        ("optax:momentum=5/8,nesterov=true", true),
        ("tf:momentum=5/8", false),
    ] {
        let c = config(spec);
        let OptimizerConfig::Optax(o) = &c else {
            panic!("{c:?}")
        };
        assert_eq!((o.momentum_value(), o.nesterov()), (&q(5, 8), nesterov));
        round_trip(&c);
    }
    let c = config("nag:momentum=7/9");
    let OptimizerConfig::Nag(o) = &c else {
        panic!("{c:?}")
    };
    assert_eq!(o.momentum_value(), &q(7, 9));
    round_trip(&c);
    let c = config("nag-pc:momentum=7/9");
    let OptimizerConfig::NagPc(o) = &c else {
        panic!("{c:?}")
    };
    assert_eq!(o.momentum_value(), &q(7, 9));
    round_trip(&c);
    let c = config("heavy-ball:momentum=4/9");
    let OptimizerConfig::HeavyBall(o) = &c else {
        panic!("{c:?}")
    };
    assert_eq!(o.momentum_value(), &q(4, 9));
    round_trip(&c);
    let c = config("ogm:steps=17");
    let OptimizerConfig::Ogm(o) = &c else {
        panic!("{c:?}")
    };
    assert_eq!(o.steps(), 17);
    round_trip(&c);
    for (spec, momentum, name) in [
        (
            "fista:momentum=rational",
            FistaMomentum::Rational,
            "rational",
        ),
        (
            "fista:momentum=t-sequence",
            FistaMomentum::TSequence,
            "t-sequence",
        ),
        (
            "fista:momentum=strongly-convex,kappa=9",
            FistaMomentum::StronglyConvex { kappa: q(9, 1) },
            "strongly-convex",
        ),
    ] {
        let c = config(spec);
        let OptimizerConfig::Fista(o) = &c else {
            panic!("{c:?}")
        };
        assert_eq!((o.momentum(), o.momentum().name()), (&momentum, name));
        round_trip(&c);
    }
    round_trip(&config("gd"));
}

#[test]
fn fista_strongly_convex_momentum_with_an_irrational_root_runs_in_mpfr() {
    // κ = 2: β = (√2 − 1)/(√2 + 1) = (√2 − 1)² = 3 − 2√2, computed here from the closed form. On
    // f = x²/2 (λ = 1) with γ = 1/2 and x₀ = 1: x_k = y_k/2, y_{k+1} = x_k + β(x_k − x_{k−1}), y₁ = x₀.
    let p = quadratic_1d(q(1, 1), q(1, 1));
    let c = config("fista:momentum=strongly-convex,kappa=2");
    let err = run::<Rational>(&p, &c, &constant(1, 2), None, 1, &RunOptions::default())
        .expect_err("√2 is irrational");
    assert!(
        matches!(err, Error::NotRational { ref detail, .. } if detail.contains("κ = 2/1")),
        "{err}"
    );
    with_mpfr_precision(256, || {
        let t =
            run::<BoundedMpfr>(&p, &c, &constant(1, 2), None, 4, &RunOptions::default()).unwrap();
        let beta = Float::with_val(512, 3) - Float::with_val(512, 2).sqrt() * 2u32;
        let (mut prev, mut y) = (Float::with_val(512, 1), Float::with_val(512, 1));
        for s in &t.steps {
            let x = Float::with_val(512, &y / 2u32);
            assert!(
                within_certified_bound(&s.iterate.v[0], s.iterate.e, &x),
                "step {}: {:?} vs {x}",
                s.step,
                s.iterate
            );
            y = Float::with_val(512, &x + Float::with_val(512, &x - &prev) * &beta);
            prev = x;
        }
    });
}

#[test]
fn unknown_keys_are_refused_by_every_optimizer() {
    for spec in [
        "gd:momentum=1/2",
        "pytorch:lr=1/2",
        "keras:dampening=1/2",
        "optax:dampening=1/2",
        "tf:weight_decay=1/2",
        "nag:momentum=1/2,nesterov=true",
        "nag-pc:momentum=1/2,dampening=1/2",
        "heavy-ball:momentum=1/2,nesterov=true",
        "fista:momentum=rational,steps=4",
        "ogm:steps=3,momentum=1/2",
    ] {
        let err = OptimizerConfig::from_spec(spec).unwrap_err();
        assert!(
            matches!(
                &err,
                Error::Unknown {
                    kind: "parameter",
                    ..
                }
            ),
            "{spec}: {err}"
        );
    }
    // An optimizer without parameters says so rather than listing nothing.
    let err = OptimizerConfig::from_spec("gd:lr=1").unwrap_err();
    assert!(err.to_string().ends_with("known: none"), "{err}");
}
