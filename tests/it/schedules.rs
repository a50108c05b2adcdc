//! Schedules break the PyTorch ⇔ Sutskever equality, by exactly the closed form, and the momentum
//! correction restores it — for every schedule kind (step, exponential, warm-up, piecewise,
//! rational cosine in ℚ; irrational cosine in certified MPFR) — and `trace --compare` shows the
//! breakage to a user.

use crate::common::{
    Identity, Property, certainly_nonzero, check_certified_mpfr, check_exact_and_f64, keras,
    pytorch, q, state, trace_of, within_certified_bound,
};
use momentum_oracle::arith::Rounding;
use momentum_oracle::arith::linalg::Vector;
use momentum_oracle::compare::{compare, first_rate_change, predict_schedule_breakage};
use momentum_oracle::identities::{schedule_breakage, sutskever_velocity};
use momentum_oracle::optim::keras::KerasState;
use momentum_oracle::optim::{
    ExactRate, Optimizer, OptimizerConfig, Query, Schedule, StepContext, strategy,
};
use momentum_oracle::problem::Evaluate;
use momentum_oracle::problem::Problem;
use momentum_oracle::problem::quadratic::QuadraticProblem;
use proptest::prelude::*;
use rug::Rational;
use serde_json::Value;

/// Steps per run: every generated schedule changes within its first seven steps.
const STEPS: usize = 10;

/// Precision of the certified MPFR runs (cosine schedules).
const MPFR_BITS: u32 = 256;

/// PyTorch against uncorrected Sutskever/Keras (plain, or both nesterov) under a schedule: equal
/// before the first rate change t, and `θ^P_t − θ^S_t = −μ(γ_t − γ_{t−1})b_{t−1}` (μ² nesterov).
struct Breakage {
    problem: QuadraticProblem,
    schedule: Schedule,
    momentum: Rational,
    nesterov: bool,
}

impl Breakage {
    /// The first rate change, decided exactly; the whole run when the rate never changes.
    fn horizon(&self) -> usize {
        first_rate_change(&self.schedule, STEPS).unwrap_or(STEPS)
    }
}

impl Property for Breakage {
    fn identities<S: Evaluate>(&self, rounding: Rounding) -> Vec<Identity<S>> {
        let torch = pytorch(&self.momentum, self.nesterov);
        let sutskever = OptimizerConfig::Keras(keras(&self.momentum, self.nesterov, false));
        let tp = trace_of::<S>(&self.problem, &torch, &self.schedule, STEPS, rounding);
        let ts = trace_of::<S>(&self.problem, &sutskever, &self.schedule, STEPS, rounding);
        let c = compare(&tp, &ts).unwrap();
        let zero = S::Vector::zeros(self.problem.dim());
        let change = first_rate_change(&self.schedule, STEPS);
        c.steps[..self.horizon()]
            .iter()
            .map(|d| match change {
                Some(t) if d.step == t => {
                    let before = tp.step(t - 1).unwrap();
                    Identity::new(
                        format!("θ^P_{t} − θ^S_{t} = −μ(γ_t − γ_{{t−1}})b_{{t−1}}"),
                        d.difference.clone(),
                        schedule_breakage::<S>(
                            state(&tp, t - 1, "momentum_buffer"),
                            &S::from_rational(&self.momentum),
                            &tp.step(t).unwrap().learning_rate,
                            &before.learning_rate,
                            self.nesterov,
                        ),
                    )
                }
                _ => Identity::new(
                    format!("θ^P_{0} = θ^S_{0}", d.step),
                    d.difference.clone(),
                    zero.clone(),
                ),
            })
            .collect()
    }
}

/// PyTorch against Sutskever/Keras *with* the momentum correction μγ_k/γ_{k−1}: the same iterates
/// and `v_k = −γ_k b_k` at every step, under any schedule, plain and nesterov.
struct Corrected {
    problem: QuadraticProblem,
    schedule: Schedule,
    momentum: Rational,
    nesterov: bool,
}

impl Property for Corrected {
    fn identities<S: Evaluate>(&self, rounding: Rounding) -> Vec<Identity<S>> {
        let torch = pytorch(&self.momentum, self.nesterov);
        let corrected = OptimizerConfig::Keras(keras(&self.momentum, self.nesterov, true));
        let tp = trace_of::<S>(&self.problem, &torch, &self.schedule, STEPS, rounding);
        let tk = trace_of::<S>(&self.problem, &corrected, &self.schedule, STEPS, rounding);
        tp.steps
            .iter()
            .zip(&tk.steps)
            .flat_map(|(p, k)| {
                let step = p.step;
                [
                    Identity::new(format!("θ_{step}"), p.iterate.clone(), k.iterate.clone()),
                    Identity::new(
                        format!("v_{step} = −γ_{step} b_{step}"),
                        state(&tk, step, "velocity").clone(),
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

/// The breakage as a one-step statement, at *every* step t ≥ 2 of a PyTorch run: map PyTorch's
/// state `(θ_{t−1}, b_{t−1})` to the Sutskever state `(θ_{t−1}, v = −γ_{t−1}b_{t−1})`, take one
/// Keras step: uncorrected it lands `−μ(γ_t − γ_{t−1})b_{t−1}` (μ² nesterov) away from PyTorch's
/// `θ_t`, corrected it lands on it.
struct OneStepFromMappedStates {
    problem: QuadraticProblem,
    schedule: Schedule,
    momentum: Rational,
    nesterov: bool,
}

impl Property for OneStepFromMappedStates {
    fn identities<S: Evaluate>(&self, rounding: Rounding) -> Vec<Identity<S>> {
        let torch = pytorch(&self.momentum, self.nesterov);
        let tp = trace_of::<S>(&self.problem, &torch, &self.schedule, STEPS, rounding);
        let mu = S::from_rational(&self.momentum);
        let mut oracle = S::oracle(&self.problem).unwrap();
        let mut ids = Vec::new();
        for t in 2..=STEPS {
            let (before, now) = (tp.step(t - 1).unwrap(), tp.step(t).unwrap());
            let buffer = state(&tp, t - 1, "momentum_buffer");
            let exact_lr = self.schedule.exact(t);
            let ctx = StepContext {
                step: t,
                learning_rate: &now.learning_rate,
                exact_learning_rate: exact_lr.as_ref().into(),
                rounding,
                record: true,
            };
            for correction in [false, true] {
                let k = keras(&self.momentum, self.nesterov, correction);
                let mut s: KerasState<S> = Optimizer::<S>::init(&k, &before.iterate).unwrap();
                s.velocity = Some(sutskever_velocity::<S>(buffer, &before.learning_rate));
                s.applied_learning_rate = Some(before.learning_rate.clone());
                Optimizer::<S>::step(&k, &mut s, &ctx, oracle.as_mut(), &mut Query::empty())
                    .unwrap();
                let mut d = now.iterate.clone();
                d.sub_assign(&s.params);
                let expected = if correction {
                    S::Vector::zeros(d.len())
                } else {
                    schedule_breakage::<S>(
                        buffer,
                        &mu,
                        &now.learning_rate,
                        &before.learning_rate,
                        self.nesterov,
                    )
                };
                ids.push(Identity::new(
                    format!("step {t} from the mapped state, correction={correction}"),
                    d,
                    expected,
                ));
            }
        }
        ids
    }
}

/// A small quadratic, a learning rate h/L, and one schedule of each changing exact kind around it.
fn quadratic_and_every_exact_kind() -> impl Strategy<Value = (QuadraticProblem, [Schedule; 5])> {
    crate::common::quadratic_and_lr().prop_flat_map(|(p, learning_rate)| {
        (
            Just(p),
            (
                strategy::step_schedule(learning_rate.clone()),
                strategy::exponential_schedule(learning_rate.clone()),
                strategy::warmup_schedule(learning_rate.clone()),
                strategy::piecewise_schedule(learning_rate.clone()),
                strategy::rational_cosine(learning_rate),
            )
                .prop_map(|(a, b, c, d, e)| [a, b, c, d, e]),
        )
    })
}

proptest! {
    #![proptest_config(crate::common::config("schedules", 64))]

    #[test]
    fn every_schedule_kind_breaks_pytorch_sutskever_equality_by_the_closed_form(
        (problem, schedules) in quadratic_and_every_exact_kind(),
        momentum in strategy::positive_momentum(),
        nesterov in any::<bool>(),
    ) {
        for schedule in schedules {
            let property = Breakage { problem: problem.clone(), schedule, momentum: momentum.clone(), nesterov };
            let exact = check_exact_and_f64(&property);
            // The first differing step is the first rate change exactly when the closed form
            // there is non-zero (b_{t−1} = 0 happens only on degenerate draws, e.g. x₀ = x*).
            let torch = pytorch(&momentum, nesterov);
            let sutskever = OptimizerConfig::Keras(keras(&momentum, nesterov, false));
            let tp = trace_of::<Rational>(&problem, &torch, &property.schedule, STEPS, Rounding::Naive);
            let ts = trace_of::<Rational>(&problem, &sutskever, &property.schedule, STEPS, Rounding::Naive);
            let first = compare(&tp, &ts).unwrap().first_difference;
            let prediction = predict_schedule_breakage((&torch, &tp), (&sutskever, &ts)).unwrap();
            match first_rate_change(&property.schedule, STEPS) {
                None => {
                    prop_assert_eq!(first, None);
                    prop_assert!(prediction.first_change.is_none());
                }
                Some(t) => {
                    let closed_form = &exact.last().unwrap().rhs;
                    let nonzero = (0..closed_form.len()).any(|i| !closed_form.is_zero_at(i));
                    if nonzero {
                        prop_assert_eq!(first, Some(t));
                    } else {
                        prop_assert!(first.is_none_or(|k| k > t));
                    }
                    // What `trace --compare` reports is this closed form at this step.
                    prop_assert_eq!(prediction.first_change, Some((t, closed_form.clone())));
                }
            }
        }
    }

    #[test]
    fn momentum_correction_restores_exact_equality_under_every_schedule_kind(
        (problem, schedules) in quadratic_and_every_exact_kind(),
        momentum in strategy::positive_momentum(),
        nesterov in any::<bool>(),
    ) {
        for schedule in schedules {
            check_exact_and_f64(&Corrected { problem: problem.clone(), schedule, momentum: momentum.clone(), nesterov });
        }
    }

    #[test]
    fn one_keras_step_from_the_mapped_pytorch_state_misses_by_the_closed_form_unless_corrected(
        (problem, schedule) in crate::common::quadratic_and_schedule(strategy::exact_schedule),
        momentum in strategy::positive_momentum(),
        nesterov in any::<bool>(),
    ) {
        check_exact_and_f64(&OneStepFromMappedStates { problem, schedule, momentum, nesterov });
    }
}

proptest! {
    // MPFR runs are slower than ℚ for these short runs; fewer cases.
    #![proptest_config(crate::common::config("schedules", 24))]

    /// Cosine schedules are irrational from γ₂ on, so they run in MPFR with certified bounds
    /// (`BoundedMpfr`): the closed form and the correction are not refuted at 256 bits, and the
    /// breakage is certainly non-zero — so the bounds do resolve the difference the correction
    /// removes, and "the balls meet" is not vacuous.
    #[test]
    fn cosine_schedule_breakage_and_correction_are_certified_in_mpfr(
        (problem, schedule) in crate::common::quadratic_and_schedule(strategy::irrational_cosine),
        momentum in strategy::positive_momentum(),
        nesterov in any::<bool>(),
    ) {
        let breakage = Breakage { problem: problem.clone(), schedule: schedule.clone(), momentum: momentum.clone(), nesterov };
        prop_assert_eq!(breakage.horizon(), 2);
        let ids = check_certified_mpfr(&breakage, MPFR_BITS);
        check_certified_mpfr(&Corrected { problem: problem.clone(), schedule, momentum, nesterov }, MPFR_BITS);
        // b₁ = g₁ = ∇f(x₀), exactly: the breakage at step 2 is non-zero iff it is.
        let mut oracle = problem.exact_oracle().unwrap();
        let g1 = oracle.gradient(&momentum_oracle::problem::to_vector::<Rational>(&problem.initial_point())).unwrap();
        if g1.norm_sq() != 0 {
            prop_assert!(certainly_nonzero(&ids.last().unwrap().lhs), "the breakage at step 2 is not resolved");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// trace --compare
// ---------------------------------------------------------------------------------------------

fn compare_json(optimizer: &str, other: &str, arith: &str) -> Value {
    let out = crate::common::cli([
        "trace",
        "--problem",
        "quadratic:dim=3,L=1,m=1/10,seed=4",
        "--optimizer",
        optimizer,
        "--compare",
        other,
        "--schedule",
        "step:lr=1/2,factor=1/4,every=3",
        "--steps",
        "6",
        "--arith",
        arith,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[test]
fn trace_compare_reports_the_first_differing_step_and_the_closed_form() {
    // The rate changes at step 4 (every = 3): the runs agree on steps 1–3, and step 4's
    // difference is the prediction, signed for optimizer − compare.
    for (a, b) in [
        ("pytorch:momentum=9/10", "keras:momentum=9/10"),
        ("keras:momentum=9/10", "pytorch:momentum=9/10"),
        (
            "pytorch:momentum=9/10,nesterov=true",
            "keras:momentum=9/10,nesterov=true",
        ),
        ("heavy-ball:momentum=9/10", "pytorch:momentum=9/10"),
    ] {
        let j = compare_json(a, b, "exact");
        assert_eq!(j["first_difference"], 4, "{a} vs {b}");
        let p = &j["prediction"];
        assert_eq!(p["first_lr_change"], 4, "{a} vs {b}");
        assert_eq!(p["matches_exactly"], true, "{a} vs {b}");
        let steps = j["steps"].as_array().unwrap();
        assert_eq!(steps.len(), 6);
        for s in &steps[..3] {
            assert_eq!(s["norm_sq"], "0/1", "{a} vs {b}");
        }
        assert_eq!(steps[3]["difference"], p["difference"], "{a} vs {b}");
        assert_ne!(steps[3]["norm_sq"], "0/1");
    }
    // With the correction there is no difference and no prediction to make.
    let j = compare_json(
        "pytorch:momentum=9/10",
        "keras:momentum=9/10,momentum_correction=true",
        "exact",
    );
    assert_eq!(j["first_difference"], Value::Null);
    assert_eq!(j["prediction"], Value::Null);
}

#[test]
fn trace_compare_prints_floating_differences_with_their_bits() {
    // In f64 the two conventions round differently, so their traces may part before the rate
    // changes; the output carries every number as decimal plus bits, and the prediction.
    let j = compare_json("pytorch:momentum=9/10", "keras:momentum=9/10", "f64-fused");
    assert_eq!(j["arithmetic"], "f64");
    assert_eq!(j["rounding"], "fused");
    let d = &j["steps"][3]["difference"][0];
    assert!(d["bits"].as_str().is_some_and(|b| b.len() == 16), "{d}");
    assert_eq!(j["prediction"]["first_lr_change"], 4);
    assert_eq!(j["prediction"]["matches_exactly"], Value::Null);
    let b = compare_json(
        "pytorch:momentum=9/10",
        "keras:momentum=9/10",
        "bound-naive",
    );
    assert!(b["steps"][3]["max_abs"]["err"].is_string());
}

/// The streamed `trace --compare` (two runs in lockstep, one step of each in memory) gives the
/// document the batch functions give for the two whole traces: `compare`,
/// `predict_schedule_breakage` and `comparison_to_json` over `trace::run` (field order aside,
/// which JSON values ignore), with `--keep-every` thinning the printed steps only.
#[test]
fn trace_compare_streams_the_document_the_whole_traces_give() {
    use momentum_oracle::compare::comparison_to_json;
    use momentum_oracle::trace::{RunOptions, run};
    let problem = "quadratic:dim=3,L=1,m=1/10,seed=4";
    let schedule = "exponential:lr=1/2,factor=3/4";
    for (a, b, keep) in [
        ("pytorch:momentum=9/10", "keras:momentum=9/10", 1),
        ("keras:momentum=9/10", "pytorch:momentum=9/10", 4),
        (
            "pytorch:momentum=1/2,nesterov=true",
            "heavy-ball:momentum=1/2",
            3,
        ),
    ] {
        let out = crate::common::cli([
            "trace",
            "--problem",
            problem,
            "--optimizer",
            a,
            "--compare",
            b,
            "--schedule",
            schedule,
            "--steps",
            "10",
            "--arith",
            "exact",
            "--keep-every",
            keep.to_string().as_str(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let streamed: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let p = momentum_oracle::problem::from_spec(problem).unwrap();
        let s = Schedule::from_spec(schedule).unwrap();
        let (oa, ob) = (
            OptimizerConfig::from_spec(a).unwrap(),
            OptimizerConfig::from_spec(b).unwrap(),
        );
        let opts = RunOptions::default();
        let ta = run::<Rational>(p.as_ref(), &oa, &s, None, 10, &opts).unwrap();
        let tb = run::<Rational>(p.as_ref(), &ob, &s, None, 10, &opts).unwrap();
        let c = compare(&ta, &tb).unwrap();
        let prediction = predict_schedule_breakage((&oa, &ta), (&ob, &tb));
        let first_change = prediction
            .as_ref()
            .and_then(|p| p.first_change.as_ref())
            .map(|x| x.0);
        let whole = comparison_to_json((&ta, &tb), &c, prediction.as_ref(), |k| {
            k % keep == 0 || k == 10 || Some(k) == c.first_difference || Some(k) == first_change
        });
        assert_eq!(streamed, whole, "{a} vs {b}, keep every {keep}");
        assert!(!streamed["steps"].as_array().unwrap().is_empty());
    }
}

/// A compared run that fails half-way (its size budget) still leaves a whole JSON document, with
/// an `error` field, and the one-line error with exit code 2.
#[test]
fn trace_compare_closes_its_document_when_a_run_fails() {
    let out = crate::common::cli([
        "trace",
        "--problem",
        "quadratic:dim=3,L=1,m=1/10,seed=4",
        "--optimizer",
        "pytorch:momentum=9/10",
        "--compare",
        "keras:momentum=9/10",
        "--learning-rate",
        "1/3",
        "--steps",
        "200",
        "--arith",
        "exact",
        "--size-budget",
        "1000",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    let j: Value = serde_json::from_slice(&out.stdout).expect("a whole JSON document");
    assert!(j["error"].is_string(), "{j}");
    assert!(
        !j["steps"].as_array().unwrap().is_empty(),
        "steps before the failure"
    );
}

#[test]
fn trace_compare_rejects_a_bad_spec_in_one_line_with_exit_code_2() {
    let out = crate::common::cli([
        "trace",
        "--problem",
        "quadratic",
        "--optimizer",
        "pytorch:momentum=9/10",
        "--compare",
        "sgd:momentum=9/10",
        "--steps",
        "3",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: --compare: unknown optimizer `sgd`"),
        "{err}"
    );
}

#[test]
fn schedules_give_their_closed_forms_computed_by_hand() {
    // The closed forms of torch.optim.lr_scheduler (StepLR, ExponentialLR, LinearLR,
    // CosineAnnealingLR) with epoch = k − 1, evaluated by hand.
    let values = |spec: &str, n: usize| -> Vec<Option<Rational>> {
        let s = Schedule::from_spec(spec).unwrap();
        (1..=n).map(|k| s.exact(k)).collect()
    };
    let some = |v: &[Rational]| v.iter().cloned().map(Some).collect::<Vec<_>>();
    // lr·factor^⌊(k−1)/every⌋
    assert_eq!(
        values("step:lr=1,factor=1/2,every=3", 7),
        some(&[
            q(1, 1),
            q(1, 1),
            q(1, 1),
            q(1, 2),
            q(1, 2),
            q(1, 2),
            q(1, 4)
        ])
    );
    // lr·factor^(k−1)
    assert_eq!(
        values("exponential:lr=2,factor=1/3", 3),
        some(&[q(2, 1), q(2, 3), q(2, 9)])
    );
    // lr·(s + (1 − s)·min(k − 1, w)/w) with s = 1/4, w = 3
    assert_eq!(
        values("warmup:lr=1,start_factor=1/4,steps=3", 5),
        some(&[q(1, 4), q(1, 2), q(3, 4), q(1, 1), q(1, 1)])
    );
    // values[#{boundaries < k}]
    assert_eq!(
        values("piecewise:boundaries=2;4,values=3;2;1", 5),
        some(&[q(3, 1), q(3, 1), q(2, 1), q(2, 1), q(1, 1)])
    );
    // (1 + cos(π·min(k − 1, T)/T))/2 with T = 3: cos 0, cos(π/3), cos(2π/3), cos π = 1, ½, −½, −1
    assert_eq!(
        values("cosine:lr=1,min_lr=0,period=3", 5),
        some(&[q(1, 1), q(3, 4), q(1, 4), q(0, 1), q(0, 1)])
    );
    // min + (lr − min)(1 + cos(π/2))/2 = 1/4 + (3/4)(1/2)
    assert_eq!(
        values("cosine:lr=1,min_lr=1/4,period=2", 2)[1],
        Some(q(5, 8))
    );
    // cos(π/4) = √2/2: no exact value.
    assert_eq!(values("cosine:lr=1,period=4", 2)[1], None);
}

#[test]
fn schedule_parameters_are_checked_at_their_boundaries() {
    // Zero is a valid learning rate and factor; a warm-up may start at the full rate.
    for spec in [
        "constant:lr=0",
        "step:lr=1,factor=0,every=1",
        "warmup:lr=1,start_factor=1,steps=1",
    ] {
        assert!(Schedule::from_spec(spec).is_ok(), "{spec}");
    }
    for (spec, name) in [
        ("constant:lr=-1/1000", "lr"),
        ("exponential:lr=1,factor=-1/2", "factor"),
        ("warmup:lr=1,start_factor=3/2", "start_factor"),
        ("warmup:lr=1,start_factor=-1/2", "start_factor"),
        ("cosine:lr=1,min_lr=-1", "min_lr"),
        ("cosine:lr=1,period=0", "period"),
    ] {
        let err = Schedule::from_spec(spec).unwrap_err();
        assert!(
            matches!(&err, momentum_oracle::Error::InvalidHyperParameter { name: n, .. } if *n == name),
            "{spec}: {err}"
        );
    }
    let err = Schedule::from_spec("piecewise:boundaries=2;4,values=1").unwrap_err();
    assert!(
        matches!(
            err,
            momentum_oracle::Error::DimensionMismatch {
                expected: 3,
                found: 1,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn an_irrational_cosine_rate_is_correctly_valued_and_changes_while_its_phase_moves() {
    // T = 4, k = 2: γ₂ = min + (lr − min)(1 + cos(π/4))/2 = 1/4 + (3/4)(1 + √2/2)/2.
    let s = Schedule::from_spec("cosine:lr=1,min_lr=1/4,period=4").unwrap();
    momentum_oracle::arith::with_mpfr_precision(256, || {
        let got: momentum_oracle::arith::bounded::BoundedMpfr = s.learning_rate(2).unwrap();
        let half_root2 = rug::Float::with_val(512, 2).sqrt() / 2u32;
        let want = rug::Float::with_val(512, 1) / 4u32
            + rug::Float::with_val(512, 3) / 4u32 * (half_root2 + 1u32) / 2u32;
        assert!(within_certified_bound(&got.v, got.e, &want), "γ₂ = {got:?}");
    });
    assert!(matches!(
        s.learning_rate::<Rational>(2),
        Err(momentum_oracle::Error::NotRational { .. })
    ));
    // The phase min(k − 1, T) moves at k = 2, …, 5 and is clamped from k = 6 on.
    let moves: Vec<bool> = (1..=7).map(|k| s.changes_at(k)).collect();
    assert_eq!(moves, [false, true, true, true, true, false, false]);
    let flat = Schedule::from_spec("cosine:lr=1,min_lr=1,period=4").unwrap();
    assert!((1..=7).all(|k| !flat.changes_at(k)));
}

#[test]
fn an_unknown_schedule_key_lists_the_keys_of_that_schedule() {
    for (spec, known) in [
        ("constant:lr=1,factor=2", "lr"),
        ("cosine:lr=1,every=2", "lr, min_lr, period"),
    ] {
        let err = Schedule::from_spec(spec).unwrap_err();
        assert!(
            matches!(&err, momentum_oracle::Error::Unknown { kind: "parameter", known: k, .. } if k == known),
            "{spec}: {err}"
        );
    }
}

/// The power schedules (step, exponential) decide a change from their exponents and parameters
/// without multiplying the power out; the lists are by hand (γ_k below each spec), and every
/// answer agrees with comparing the exact values γ_k and γ_{k−1}, a different computation. The
/// edge cases are the ones the decision has to name: factor 0 (γ₁ = lr·0⁰ = lr, then 0), factor
/// 1 and lr 0 (constant), a factor above 1.
#[test]
fn a_power_schedule_changes_exactly_when_its_value_does() {
    for (spec, changes) in [
        // 1, 1/2, 1/4, …
        (
            "exponential:lr=1,factor=1/2",
            [false, true, true, true, true, true, true],
        ),
        // 1, 2, 4, …
        (
            "exponential:lr=1,factor=2",
            [false, true, true, true, true, true, true],
        ),
        // 1, 0, 0, …
        (
            "exponential:lr=1,factor=0",
            [false, true, false, false, false, false, false],
        ),
        // 0, 0, …
        ("exponential:lr=0,factor=1/2", [false; 7]),
        // 1, 1, …
        ("exponential:lr=1,factor=1", [false; 7]),
        // 1, 1, 1, 1/2, 1/2, 1/2, 1/4
        (
            "step:lr=1,factor=1/2,every=3",
            [false, false, false, true, false, false, true],
        ),
        // 1, 1, 0, 0, …
        (
            "step:lr=1,factor=0,every=2",
            [false, false, true, false, false, false, false],
        ),
        ("step:lr=0,factor=1/2,every=1", [false; 7]),
        ("step:lr=1/3,factor=1,every=1", [false; 7]),
    ] {
        let s = Schedule::from_spec(spec).unwrap();
        let got: Vec<bool> = (1..=7).map(|k| s.changes_at(k)).collect();
        assert_eq!(got, changes, "{spec}");
        for k in 2..=40 {
            assert_eq!(
                s.changes_at(k),
                s.exact(k) != s.exact(k - 1),
                "{spec} at step {k}"
            );
        }
    }
}

/// The rate cursor stands at the step `advance` returns; it holds a power schedule's rate as the
/// power `lr·factor^(k−1)` until `exact` multiplies it out, and then as that value (asked again,
/// the same). By hand for lr = 2, factor = 1/3: 2, 2/3, 2/9, 2/27, 2/81.
#[test]
fn the_rate_cursor_holds_a_power_until_it_is_multiplied_out() {
    let (two, third) = (q(2, 1), q(1, 3));
    let s = Schedule::from_spec("exponential:lr=2,factor=1/3").unwrap();
    let mut r = s.rates();
    assert_eq!(r.step(), 0);
    for (k, want) in (1..).zip([q(2, 1), q(2, 3), q(2, 9), q(2, 27), q(2, 81)]) {
        assert_eq!(r.advance(), k);
        assert_eq!(r.step(), k);
        let power = ExactRate::Power {
            base: &two,
            factor: &third,
            exponent: k as u64 - 1,
        };
        assert_eq!(r.current(), power, "step {k}");
        assert_eq!(r.exact(), Some(&want), "step {k}");
        assert_eq!(r.current(), ExactRate::Value(Some(&want)), "step {k}");
        assert_eq!(r.exact(), Some(&want), "step {k}, asked again");
    }
}

/// Asked only now and then, the cursor's exact rate is still the closed form: after steps whose
/// rate nobody multiplied out, the power is recomputed, not multiplied once by the factor. By
/// hand for lr = 2, factor = 1/3: γ₁ = 2, γ₅ = 2/81, γ₆ = 2/243, γ₉ = 2/6561.
#[test]
fn the_rate_cursor_multiplies_out_correctly_after_steps_nobody_asked_for() {
    let s = Schedule::from_spec("exponential:lr=2,factor=1/3").unwrap();
    let mut r = s.rates();
    let mut at = |k: usize| {
        while r.step() < k {
            r.advance();
        }
        r.exact().cloned()
    };
    assert_eq!(at(1), Some(q(2, 1)));
    assert_eq!(at(5), Some(q(2, 81)));
    assert_eq!(at(6), Some(q(2, 243)));
    assert_eq!(at(9), Some(q(2, 6561)));
}

/// `ExactRate::to_rational` multiplies a power out and passes a value through; by hand
/// 2·(1/3)⁴ = 2/81 and 5·(1/2)⁰ = 5.
#[test]
fn an_exact_rate_multiplies_its_power_out() {
    let (two, five, third, half) = (q(2, 1), q(5, 1), q(1, 3), q(1, 2));
    let power = |base, factor, exponent| ExactRate::Power {
        base,
        factor,
        exponent,
    };
    assert_eq!(power(&two, &third, 4).to_rational(), Some(q(2, 81)));
    assert_eq!(power(&five, &half, 0).to_rational(), Some(q(5, 1)));
    assert_eq!(ExactRate::Value(Some(&third)).to_rational(), Some(q(1, 3)));
    assert_eq!(ExactRate::Value(None).to_rational(), None);
}

/// A schedule's spec is the text that rebuilds it, in the canonical form written here by hand
/// (exact values as `p/q` with `/q` always, lists `;`-separated, keys in the catalogue's order):
/// each spec reads back as itself, and the schedule rebuilt from it is the same schedule. Trace
/// headers, reports and `compare` print schedules this way; comparing two specs built the same
/// way (as the other tests do) cannot see a wrong one.
#[test]
fn every_schedule_writes_the_spec_that_rebuilds_it() {
    for text in [
        "constant:lr=1/8",
        "step:lr=1/2,factor=1/2,every=3",
        "exponential:lr=1/10,factor=9/10",
        "warmup:lr=1/10,start_factor=1/4,steps=5",
        "piecewise:boundaries=3;6,values=1/2;1/4;1/8",
        "cosine:lr=1/10,min_lr=1/100,period=8",
    ] {
        let schedule = Schedule::from_spec(text).unwrap();
        assert_eq!(schedule.spec(), text);
        assert_eq!(Schedule::from_spec(&schedule.spec()).unwrap(), schedule);
    }
}
