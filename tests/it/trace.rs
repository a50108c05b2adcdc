//! The trace runner: what it records, its resource limits, divergence, determinism.

use crate::common::q;

use momentum_oracle::arith::{Number, Rounding};
use momentum_oracle::error::Error;
use momentum_oracle::optim::{OptimizerConfig, Schedule};
use momentum_oracle::problem;
use momentum_oracle::problem::Evaluate;
use momentum_oracle::trace::{self, Outcome, RunOptions};
use rug::Rational;

#[test]
fn divergent_f64_runs_end_in_a_recorded_divergence() {
    // GD with γλ = 10 multiplies the error by |1 − 10| = 9 per step: f64 overflows near step 330.
    let p = problem::from_spec(
        "quadratic:spectrum=1;1,householder=none,minimizer=0;0,optimum=0,x0=1;1",
    )
    .unwrap();
    let gd = OptimizerConfig::from_spec("gd").unwrap();
    let t = trace::run::<f64>(
        p.as_ref(),
        &gd,
        &Schedule::constant(q(10, 1)),
        None,
        1000,
        &RunOptions::default(),
    )
    .unwrap();
    let Outcome::Diverged { step, what } = &t.outcome else {
        panic!("expected a divergence, got {:?}", t.outcome)
    };
    // Step k computes fl(−10·θ_{k−1}) first, with |θ_{k−1}| = 9^{k−1}(1 + δ), |δ| ≤ 2(k−1)u
    // (two roundings per step, u = 2⁻⁵³), and one more rounding of the product: so the first
    // non-finite step is the first k with 10·9^{k−1} > f64::MAX, provided that product is not
    // within (2k + 1)u (relative) of f64::MAX, which the exact computation confirms.
    let max = Rational::from_f64(f64::MAX).unwrap();
    let ten_nine_pow = |k: u32| {
        Rational::from(rug::Integer::from(10) * rug::Integer::from(rug::Integer::u_pow_u(9, k - 1)))
    };
    let first_overflow = (1..400u32).find(|k| ten_nine_pow(*k) > max).unwrap();
    for k in [first_overflow - 1, first_overflow] {
        let rel = (ten_nine_pow(k) - max.clone()).abs() / max.clone();
        let margin = Rational::from(2 * k + 1) >> 53u32;
        assert!(
            rel > margin,
            "too close to the overflow threshold to decide"
        );
    }
    assert_eq!(*step, first_overflow as usize);
    assert_eq!(what, "iterate");
    assert_eq!(t.steps.last().unwrap().step, *step);
    assert!(!t.steps.last().unwrap().iterate[0].is_finite());
    assert!(
        t.steps[..t.steps.len() - 1]
            .iter()
            .all(|s| s.iterate[0].is_finite())
    );
}

#[test]
fn every_optimizer_records_the_divergence_of_its_iterate() {
    // γ = 10 on f = ½‖x‖² makes every method's error grow geometrically (GD by |1 − 10| = 9 per
    // step, the momentum methods faster), so each f64 run must overflow well inside 2000 steps
    // and end in a recorded divergence rather than complete with infinities or NaNs.
    let p = problem::from_spec(
        "quadratic:spectrum=1;1,householder=none,minimizer=0;0,optimum=0,x0=1;1",
    )
    .unwrap();
    let steps = 2000;
    for spec in [
        "gd",
        "pytorch:momentum=1/2",
        "pytorch:momentum=1/2,nesterov=true",
        "keras:momentum=1/2",
        "keras:momentum=1/2,nesterov=true",
        "optax:momentum=1/2",
        "optax:momentum=1/2,nesterov=true",
        "tf:momentum=1/2",
        "nag:momentum=1/2",
        "nag-pc:momentum=1/2",
        "heavy-ball:momentum=1/2",
        "fista",
        "ogm:steps=2000",
    ] {
        let config = OptimizerConfig::from_spec(spec).unwrap();
        let t = trace::run::<f64>(
            p.as_ref(),
            &config,
            &Schedule::constant(q(10, 1)),
            None,
            steps,
            &RunOptions::default(),
        )
        .unwrap();
        let Outcome::Diverged { step, .. } = &t.outcome else {
            panic!("{spec}: expected a divergence, got {:?}", t.outcome)
        };
        assert!(*step < steps, "{spec}");
        let before = &t.steps[..t.steps.len() - 1];
        assert!(
            before
                .iter()
                .all(|s| s.iterate.iter().all(|x| x.is_finite())),
            "{spec}: a non-finite iterate before step {step}"
        );
    }
}

#[test]
fn exact_runs_stop_at_the_size_budget_with_the_step_and_the_size() {
    let p = problem::from_spec("quadratic:dim=3,L=1,m=1/10,seed=2").unwrap();
    let hb = OptimizerConfig::from_spec("heavy-ball:momentum=9/10").unwrap();
    let options = RunOptions {
        size_budget_bits: 512,
        ..RunOptions::default()
    };
    match trace::run::<Rational>(
        p.as_ref(),
        &hb,
        &Schedule::constant(q(1, 3)),
        None,
        10_000,
        &options,
    ) {
        Err(Error::SizeBudgetExceeded { step, bits, budget }) => {
            assert_eq!(budget, 512);
            assert!(bits > 512);
            assert!(step > 1 && step < 10_000, "stopped at step {step}");
            // The previous step was within budget: rerunning step − 1 steps succeeds.
            trace::run::<Rational>(
                p.as_ref(),
                &hb,
                &Schedule::constant(q(1, 3)),
                None,
                step - 1,
                &options,
            )
            .unwrap();
        }
        other => panic!("expected a size budget error, got {other:?}"),
    }
}

#[test]
fn step_budget_is_refused_before_running() {
    let p = problem::from_spec("quadratic").unwrap();
    let gd = OptimizerConfig::from_spec("gd").unwrap();
    let options = RunOptions {
        step_budget: 10,
        ..RunOptions::default()
    };
    let r = trace::run::<Rational>(
        p.as_ref(),
        &gd,
        &Schedule::constant(q(1, 2)),
        None,
        11,
        &options,
    );
    assert!(matches!(
        r,
        Err(Error::StepBudgetExceeded {
            requested: 11,
            budget: 10
        })
    ));
}

#[test]
fn keep_every_records_every_nth_step_and_the_last() {
    let p = problem::from_spec("quadratic").unwrap();
    let gd = OptimizerConfig::from_spec("gd").unwrap();
    let options = RunOptions {
        keep_every: 4,
        ..RunOptions::default()
    };
    let t = trace::run::<Rational>(
        p.as_ref(),
        &gd,
        &Schedule::constant(q(1, 2)),
        None,
        10,
        &options,
    )
    .unwrap();
    let kept: Vec<usize> = t.steps.iter().map(|s| s.step).collect();
    assert_eq!(kept, vec![4, 8, 10]);
    // Thinning does not change what is recorded at the kept steps.
    let full = trace::run::<Rational>(
        p.as_ref(),
        &gd,
        &Schedule::constant(q(1, 2)),
        None,
        10,
        &RunOptions::default(),
    )
    .unwrap();
    for s in &t.steps {
        assert_eq!(Some(s), full.step(s.step));
    }
}

#[test]
fn every_step_records_query_gradient_iterate_state_and_gap() {
    let p = problem::from_spec("quadratic:dim=2,seed=4").unwrap();
    let nag = OptimizerConfig::from_spec("nag:momentum=1/2").unwrap();
    let t = trace::run::<Rational>(
        p.as_ref(),
        &nag,
        &Schedule::constant(q(1, 2)),
        None,
        3,
        &RunOptions::default(),
    )
    .unwrap();
    let mut oracle = Rational::oracle(p.as_ref()).unwrap();
    for s in &t.steps {
        // The recorded gradient is the oracle's at the recorded query point (θ + μv for NAG).
        assert_eq!(oracle.gradient(&s.query).unwrap(), s.gradient);
        assert_eq!(oracle.gap(&s.iterate).unwrap(), s.gap);
        assert!(s.state_vector("velocity").is_some());
        assert_eq!(s.learning_rate, q(1, 2));
    }
}

#[test]
fn runs_are_deterministic_to_the_byte() {
    let p = problem::from_spec("quadratic:dim=3,seed=9").unwrap();
    let opt = OptimizerConfig::from_spec("pytorch:momentum=9/10,nesterov=true").unwrap();
    let s = Schedule::from_spec("step:lr=1/2,factor=1/2,every=3").unwrap();
    let json = |r: Rounding| {
        let a = trace::to_json(
            &trace::run::<f64>(
                p.as_ref(),
                &opt,
                &s,
                None,
                12,
                &RunOptions::with_rounding(r),
            )
            .unwrap(),
        );
        serde_json::to_string(&a).unwrap()
    };
    for r in Rounding::ALL {
        assert_eq!(json(r), json(r));
    }
    let exact = || {
        serde_json::to_string(&trace::to_json(
            &trace::run::<Rational>(p.as_ref(), &opt, &s, None, 12, &RunOptions::default())
                .unwrap(),
        ))
        .unwrap()
    };
    assert_eq!(exact(), exact());
}

#[test]
fn wrong_initial_dimension_is_a_typed_error() {
    let p = problem::from_spec("quadratic:dim=3").unwrap();
    let gd = OptimizerConfig::from_spec("gd").unwrap();
    let x0 = vec![q(1, 1); 2];
    let r = trace::run::<Rational>(
        p.as_ref(),
        &gd,
        &Schedule::constant(q(1, 2)),
        Some(&x0),
        3,
        &RunOptions::default(),
    );
    assert!(matches!(
        r,
        Err(Error::DimensionMismatch {
            expected: 3,
            found: 2,
            ..
        })
    ));
}

#[test]
fn an_irrational_schedule_value_in_exact_arithmetic_is_a_typed_error() {
    let p = problem::from_spec("quadratic").unwrap();
    let gd = OptimizerConfig::from_spec("gd").unwrap();
    // cos(π/4) is irrational: step 2 of a period-4 cosine schedule has no value in ℚ.
    let s = Schedule::from_spec("cosine:lr=1/2,period=4").unwrap();
    let r = trace::run::<Rational>(p.as_ref(), &gd, &s, None, 3, &RunOptions::default());
    assert!(
        matches!(
            r,
            Err(Error::NotRational {
                operation: "cosine schedule",
                ..
            })
        ),
        "{r:?}"
    );
    // Step 1 (cos 0) and a period of 2 (cos π/2, cos π) are rational, so those runs are exact.
    let s2 = Schedule::from_spec("cosine:lr=1/2,period=2").unwrap();
    let t = trace::run::<Rational>(p.as_ref(), &gd, &s2, None, 3, &RunOptions::default()).unwrap();
    let lrs: Vec<Rational> = t.steps.iter().map(|s| s.learning_rate.clone()).collect();
    assert_eq!(lrs, vec![q(1, 2), q(1, 4), q(0, 1)]);
}

/// `trace` streams its document step by step (`JsonWriter`); what it writes is the collected
/// trace's JSON, value for value, in every arithmetic the CLI names, and a diverging run closes
/// with its outcome.
#[test]
fn the_streamed_trace_is_the_collected_trace() {
    use momentum_oracle::trace::{JsonWriter, record, to_json};
    fn both<S: Evaluate>(
        problem: &str,
        optimizer: &str,
        schedule: &str,
        steps: usize,
        keep_every: usize,
    ) -> serde_json::Value {
        let p = problem::from_spec(problem).unwrap();
        let o = OptimizerConfig::from_spec(optimizer).unwrap();
        let s = Schedule::from_spec(schedule).unwrap();
        let options = RunOptions {
            keep_every,
            ..RunOptions::default()
        };
        let collected = trace::run::<S>(p.as_ref(), &o, &s, None, steps, &options).unwrap();
        let mut writer = JsonWriter::new(Vec::new());
        record::<S>(p.as_ref(), &o, &s, None, steps, &options, &mut writer).unwrap();
        let streamed: serde_json::Value = serde_json::from_slice(&writer.into_inner()).unwrap();
        assert!(!collected.steps.is_empty());
        assert_eq!(streamed, to_json(&collected), "{problem} {optimizer}");
        streamed
    }
    let step = "step:lr=1/2,factor=1/2,every=3";
    both::<Rational>(
        "quadratic:dim=3,seed=1",
        "pytorch:momentum=9/10",
        step,
        7,
        2,
    );
    both::<f64>("quadratic:dim=3,seed=1", "nag:momentum=9/10", step, 7, 1);
    let bounded = both::<momentum_oracle::arith::bounded::Bounded>;
    bounded("huber", "heavy-ball:momentum=1/2", step, 5, 1);
    // γL = 3: |1 − γλ| = 2 on the top eigenvalue, so f64 overflows after about 1024 steps and the
    // document ends with the divergence.
    let diverged = both::<f64>("quadratic:dim=2,seed=2", "gd", "constant:lr=3", 2000, 500);
    assert_eq!(diverged["outcome"]["status"], "diverged");
}

/// The text `trace` streams is, byte for byte, serde_json's pretty layout of the collected trace
/// (the layout the writer had when it built a JSON value per step), header fields in their order
/// and `outcome` last, in both exact forms (`decimal`, and `shared-hex` with its `exact_form`
/// header field). The writer formats numbers from the vectors' storage, reduces exact entries
/// by the denominator's known primes and copies repeated exact vectors as text; this reference
/// does none of that (it builds the same `shared-hex` back-references from the collected trace,
/// with `step_json_after`, so this shows the writer agrees with the tree builder; that the
/// references are right is `exact_form::a_trace_says_the_same_in_both_forms` and
/// `a_thinned_trace_refers_back_only_to_recorded_steps`). Runs cover ℚ (heavy ball, whose previous iterate is its query point; FISTA
/// with scalar state; a zero entry), f64 (−0.0, a divergence), bounded f64 and MPFR.
#[test]
fn the_streamed_trace_is_serde_jsons_pretty_layout_byte_for_byte() {
    use momentum_oracle::trace::{
        ExactForm, JsonWriter, outcome_json, record, step_json_after, vector_json_in,
    };
    use serde_json::{Value, json};
    fn reference<S: Number>(t: &trace::Trace<S>, form: ExactForm) -> String {
        let pad = |v: &Value, depth: usize| {
            serde_json::to_string_pretty(v)
                .unwrap()
                .replace('\n', &format!("\n{}", "  ".repeat(depth)))
        };
        let mut out = String::from("{\n");
        let mut header = vec![
            (
                "generator",
                json!(format!("momentum-oracle {}", env!("CARGO_PKG_VERSION"))),
            ),
            ("problem", json!(t.problem)),
            ("optimizer", json!(t.optimizer)),
            ("schedule", json!(t.schedule)),
            ("arithmetic", json!(t.arithmetic)),
            ("rounding", json!(t.rounding.name())),
        ];
        if form == ExactForm::SharedHex {
            header.push(("exact_form", json!("shared-hex")));
        }
        header.extend([
            ("x0", vector_json_in::<S>(&t.x0, form)),
            (
                "initial_gap",
                t.initial_gap
                    .as_ref()
                    .map_or(Value::Null, |g| trace::scalar_json_in(g, form)),
            ),
        ]);
        for (key, value) in header {
            out += &format!("  {}: {},\n", json!(key), pad(&value, 1));
        }
        out += "  \"steps\": [";
        let mut previous = (0, &t.x0);
        for (i, s) in t.steps.iter().enumerate() {
            out += if i == 0 { "\n    " } else { ",\n    " };
            out += &pad(&step_json_after(s, form, Some(previous)), 2);
            previous = (s.step, &s.iterate);
        }
        out += if t.steps.is_empty() {
            "],\n"
        } else {
            "\n  ],\n"
        };
        out += &format!("  \"outcome\": {}\n}}\n", pad(&outcome_json(&t.outcome), 1));
        out
    }
    fn same<S: Evaluate>(problem: &str, optimizer: &str, schedule: &str, steps: usize) {
        let p = problem::from_spec(problem).unwrap();
        let o = OptimizerConfig::from_spec(optimizer).unwrap();
        let s = Schedule::from_spec(schedule).unwrap();
        let options = RunOptions::default();
        let collected = trace::run::<S>(p.as_ref(), &o, &s, None, steps, &options).unwrap();
        for form in [ExactForm::Decimal, ExactForm::SharedHex] {
            let mut writer = JsonWriter::with_form(Vec::new(), form);
            record::<S>(p.as_ref(), &o, &s, None, steps, &options, &mut writer).unwrap();
            let streamed = String::from_utf8(writer.into_inner()).unwrap();
            assert_eq!(
                streamed,
                reference(&collected, form),
                "{problem} {optimizer} {form:?}"
            );
        }
    }
    let step = "step:lr=1/2,factor=1/2,every=3";
    same::<Rational>(
        "quadratic:dim=3,seed=1",
        "heavy-ball:momentum=9/10",
        step,
        9,
    );
    same::<Rational>(
        "quadratic:dim=4,seed=6",
        "nag:momentum=1/2",
        "constant:lr=1/8",
        6,
    );
    same::<Rational>(
        "quadratic:dim=3,seed=1",
        "fista:momentum=rational",
        "constant:lr=1/4",
        5,
    );
    same::<Rational>(
        "lower-bound:k=5",
        "pytorch:momentum=9/10,dampening=1/10",
        step,
        4,
    );
    same::<f64>(
        "quadratic:dim=3,seed=1",
        "keras:momentum=9/10,nesterov=true",
        step,
        7,
    );
    same::<f64>("quadratic:dim=2,seed=2", "gd", "constant:lr=3", 1100);
    // Heavy ball's previous iterate is its query point, bit for bit: copied as text.
    same::<f64>(
        "quadratic:dim=3,seed=1",
        "heavy-ball:momentum=9/10",
        step,
        6,
    );
    same::<momentum_oracle::arith::bounded::Bounded>("huber", "heavy-ball:momentum=1/2", step, 5);
    momentum_oracle::arith::with_mpfr_precision(64, || {
        same::<rug::Float>("quadratic:dim=2,seed=1", "nag:momentum=9/10", step, 3);
    });
}

/// The optimizers of the catalogue, each convention's common form.
const EVERY_OPTIMIZER: [&str; 12] = [
    "gd",
    "pytorch:momentum=9/10",
    "pytorch:momentum=9/10,nesterov=true",
    "pytorch:momentum=9/10,dampening=1/2,weight_decay=1/100,maximize=false",
    "keras:momentum=9/10,nesterov=true",
    "optax:momentum=9/10",
    "nag:momentum=9/10",
    "nag-pc:momentum=9/10",
    "heavy-ball:momentum=9/10",
    "fista:momentum=rational",
    "ogm:steps=12,theta=3/2;2;5/2;3;7/2;4;9/2;5;11/2;6;13/2;7",
    "tf:momentum=1/2",
];

/// Thinning a run (and the runner's reuse of its query buffers between recorded steps) changes
/// nothing at the kept steps: the query point, gradient, iterate, state and gap of each are those
/// of the run that records every step, for every optimizer, in f64 under both rounding models
/// (on a diagonal and a rotated quadratic: the one-pass diagonal gradient and the general one)
/// and in ℚ; and each recorded gradient is the oracle's at the recorded query point.
#[test]
fn thinned_runs_record_at_their_kept_steps_what_full_runs_record() {
    fn check<S: Evaluate>(problem: &dyn problem::Problem, spec: &str, rounding: Rounding) {
        let o = OptimizerConfig::from_spec(spec).unwrap();
        let lr = Schedule::constant(q(1, 4));
        let thin = RunOptions {
            keep_every: 5,
            ..RunOptions::with_rounding(rounding)
        };
        let full = RunOptions::with_rounding(rounding);
        let t = trace::run::<S>(problem, &o, &lr, None, 12, &thin).unwrap();
        let f = trace::run::<S>(problem, &o, &lr, None, 12, &full).unwrap();
        let kept: Vec<usize> = t.steps.iter().map(|s| s.step).collect();
        assert_eq!(kept, vec![5, 10, 12], "{spec}");
        for s in &t.steps {
            assert_eq!(Some(s), f.step(s.step), "{spec}, step {}", s.step);
        }
        // Each recorded gradient is the oracle's gradient at the recorded query point (a point
        // the runner failed to fill or left stale would not give it).
        let mut oracle = S::oracle(problem).unwrap();
        for s in t.steps.iter().chain(&f.steps) {
            let g = oracle.gradient(&s.query).unwrap();
            assert_eq!(g, s.gradient, "{spec}, step {}", s.step);
        }
    }
    let diagonal = problem::from_spec(
        "quadratic:spectrum=1;1/2;1/4,householder=none,minimizer=1;-1;2,optimum=0,x0=3;1;-2",
    )
    .unwrap();
    let rotated = problem::from_spec("quadratic:dim=4,seed=6").unwrap();
    for spec in EVERY_OPTIMIZER {
        for rounding in Rounding::ALL {
            check::<f64>(diagonal.as_ref(), spec, rounding);
            check::<f64>(rotated.as_ref(), spec, rounding);
        }
        check::<Rational>(rotated.as_ref(), spec, Rounding::Naive);
    }
}

/// A step that diverges between two kept steps is recorded as the full run records it (its query
/// point included, which the runner did not plan to keep), for every optimizer.
#[test]
fn an_unplanned_divergent_step_is_recorded_as_in_the_full_run() {
    let p = problem::from_spec(
        "quadratic:spectrum=1;1/2,householder=none,minimizer=0;0,optimum=0,x0=1;1",
    )
    .unwrap();
    for spec in EVERY_OPTIMIZER {
        let spec = if spec.starts_with("ogm") {
            "ogm:steps=2000".to_string()
        } else {
            spec.to_string()
        };
        let o = OptimizerConfig::from_spec(&spec).unwrap();
        let lr = Schedule::constant(q(10, 1));
        let thin = RunOptions {
            keep_every: 1000,
            ..RunOptions::with_rounding(Rounding::Fused)
        };
        let full = RunOptions::with_rounding(Rounding::Fused);
        let t = trace::run::<f64>(p.as_ref(), &o, &lr, None, 2000, &thin).unwrap();
        let f = trace::run::<f64>(p.as_ref(), &o, &lr, None, 2000, &full).unwrap();
        let Outcome::Diverged { step, .. } = t.outcome else {
            panic!("{spec}: γλ = 10 diverges");
        };
        assert!(
            step % 1000 != 0,
            "{spec}: the divergence falls between kept steps"
        );
        assert_eq!(t.outcome, f.outcome, "{spec}");
        assert_eq!(t.steps.last(), f.steps.last(), "{spec}");
    }
}

/// An oracle that passes everything to the quadratic's and counts the gaps it packed as jobs for
/// the second thread, so that a test of that thread can tell that it ran.
struct CountingJobs<'a> {
    inner: &'a mut dyn problem::Oracle<Rational>,
    later: usize,
}

impl problem::Oracle<Rational> for CountingJobs<'_> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn value(
        &mut self,
        x: &momentum_oracle::arith::linalg::QVec,
    ) -> momentum_oracle::error::Result<Rational> {
        self.inner.value(x)
    }
    fn gradient(
        &mut self,
        x: &momentum_oracle::arith::linalg::QVec,
    ) -> momentum_oracle::error::Result<momentum_oracle::arith::linalg::QVec> {
        self.inner.gradient(x)
    }
    fn gradient_into(
        &mut self,
        x: &momentum_oracle::arith::linalg::QVec,
        out: &mut momentum_oracle::arith::linalg::QVec,
    ) -> momentum_oracle::error::Result<()> {
        self.inner.gradient_into(x, out)
    }
    fn gap(
        &mut self,
        x: &momentum_oracle::arith::linalg::QVec,
    ) -> momentum_oracle::error::Result<Option<Rational>> {
        self.inner.gap(x)
    }
    fn gap_job(
        &mut self,
        x: &momentum_oracle::arith::linalg::QVec,
    ) -> momentum_oracle::error::Result<problem::GapJob<Rational>> {
        let job = self.inner.gap_job(x)?;
        if matches!(job, problem::GapJob::Later(_)) {
            self.later += 1;
        }
        Ok(job)
    }
}

/// The exact trace of `optimizer` on a d = 6 quadratic, its gaps on a second thread from the
/// first step (`parallel_gap_bits` 0) or never, and how many gaps went to that thread.
fn exact_trace_with_gaps(
    optimizer: &str,
    parallel: bool,
    keep_every: usize,
    size_budget_bits: u64,
) -> (
    momentum_oracle::error::Result<trace::Trace<Rational>>,
    usize,
) {
    let p = problem::from_spec("quadratic:dim=6,L=1,m=1/20,seed=4").unwrap();
    let config = OptimizerConfig::from_spec(optimizer).unwrap();
    let mut quadratic = Rational::oracle(p.as_ref()).unwrap();
    let mut oracle = CountingJobs {
        inner: quadratic.as_mut(),
        later: 0,
    };
    let x0 = problem::to_vector::<Rational>(&p.initial_point());
    let options = RunOptions {
        keep_every,
        size_budget_bits,
        parallel_gap_bits: parallel.then_some(0),
        ..RunOptions::default()
    };
    let t = momentum_oracle::with_optimizer!(&config, o => trace::run_with_oracle(
        o, &mut oracle, &Schedule::constant(q(1, 2)), &x0, 40, &options, ("quadratic", optimizer)));
    (t, oracle.later)
}

#[test]
fn a_gap_computed_on_a_second_thread_is_the_serial_gap() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Heavy ball and PyTorch query the new iterate (the job gets the dot product only); both NAG
    // forms query a look-ahead point (the job forms A(x − x*) too).
    for optimizer in [
        "heavy-ball:momentum=9/10",
        "pytorch:momentum=9/10,dampening=1/10",
        "nag:momentum=9/10",
        "nag-pc:momentum=9/10",
    ] {
        for keep_every in [1, 3] {
            let (serial, none) = exact_trace_with_gaps(optimizer, false, keep_every, 1 << 20);
            let (parallel, later) = exact_trace_with_gaps(optimizer, true, keep_every, 1 << 20);
            let (serial, parallel) = (serial.unwrap(), parallel.unwrap());
            assert_eq!(none, 0, "{optimizer}: no job without the option");
            // One job per kept step on a machine with a second core; none on one core, where the
            // runner stays serial (then this test compares two serial runs, and says so).
            // Every keep_every-th step and the last.
            let kept = 40 / keep_every + usize::from(40 % keep_every != 0);
            if cores > 1 {
                assert_eq!(
                    later,
                    serial.steps.len(),
                    "{optimizer}: every kept gap as a job"
                );
            } else {
                eprintln!("one core: the second thread was not used");
                assert_eq!(later, 0);
            }
            assert_eq!(serial.steps.len(), kept);
            assert!(serial.steps.iter().all(|s| s.gap.is_some()));
            assert_eq!(serial, parallel, "{optimizer}, keep every {keep_every}");
        }
    }
}

#[test]
fn a_run_stopped_by_its_size_budget_records_the_same_steps_with_a_gap_thread() {
    // The error comes while the previous step's gap is on the other thread: that step is still
    // recorded, as a serial run records it.
    #[derive(Default)]
    struct Steps(Vec<(usize, Option<Rational>)>);
    impl trace::Recorder<Rational> for Steps {
        fn start(&mut self, _: &trace::Header<Rational>) -> momentum_oracle::error::Result<()> {
            Ok(())
        }
        fn step(&mut self, r: trace::StepRecord<Rational>) -> momentum_oracle::error::Result<()> {
            self.0.push((r.step, r.gap));
            Ok(())
        }
        fn finish(&mut self, _: &Outcome) -> momentum_oracle::error::Result<()> {
            self.0.push((0, None));
            Ok(())
        }
    }
    let p = problem::from_spec("quadratic:dim=6,L=1,m=1/20,seed=4").unwrap();
    let hb = OptimizerConfig::from_spec("heavy-ball:momentum=9/10").unwrap();
    let record = |parallel: bool| {
        let mut steps = Steps::default();
        let options = RunOptions {
            size_budget_bits: 300,
            parallel_gap_bits: parallel.then_some(0),
            ..RunOptions::default()
        };
        let r = trace::record::<Rational>(
            p.as_ref(),
            &hb,
            &Schedule::constant(q(1, 2)),
            None,
            200,
            &options,
            &mut steps,
        );
        (r, steps.0)
    };
    let (serial, serial_steps) = record(false);
    let (parallel, parallel_steps) = record(true);
    let Err(Error::SizeBudgetExceeded { step, .. }) = serial else {
        panic!("expected the size budget to stop the run: {serial:?}")
    };
    assert!(matches!(parallel, Err(Error::SizeBudgetExceeded { step: s, .. }) if s == step));
    assert_eq!(
        serial_steps.len(),
        step - 1,
        "steps 1..{step} recorded, no finish"
    );
    assert_eq!(serial_steps, parallel_steps);
}

#[test]
fn an_exact_quadratics_gap_job_is_its_gap() {
    let p = problem::from_spec("quadratic:dim=5,L=1,m=1/10,seed=3").unwrap();
    let mut oracle = Rational::oracle(p.as_ref()).unwrap();
    let x = problem::to_vector::<Rational>(&[q(1, 3), q(-2, 7), q(5, 1), q(0, 1), q(9, 11)]);
    let y = problem::to_vector::<Rational>(&[q(2, 3), q(1, 7), q(-1, 1), q(3, 5), q(1, 11)]);
    let want_x = oracle.gap(&x).unwrap();
    let want_y = oracle.gap(&y).unwrap();
    // f(x) − f* by hand from the problem's data: ½(x − x*)ᵀA(x − x*) with A and x* from the oracle's
    // own gradient (∇f(x*) = 0, ∇f(x) = A(x − x*)): ½ (x − x*)·∇f(x), an independent formula.
    let exact_gap = |oracle: &mut dyn problem::Oracle<Rational>,
                     v: &momentum_oracle::arith::linalg::QVec| {
        let g = oracle.gradient(v).unwrap();
        let x_star = problem::to_vector::<Rational>(p.minimizer().unwrap().as_slice());
        let mut d = v.clone();
        momentum_oracle::arith::linalg::Vector::sub_assign(&mut d, &x_star);
        momentum_oracle::arith::linalg::Vector::dot(&d, &g) / Rational::from(2)
    };
    assert_eq!(want_x, Some(exact_gap(oracle.as_mut(), &x)));
    // Both paths: after a gap whose product the next gradient used (heavy ball's pattern) the
    // job carries the dot product; after one it did not (NAG's), the whole gap.
    for (point, want) in [(&x, &want_x), (&y, &want_y), (&x, &want_x)] {
        let job = oracle.gap_job(point).unwrap();
        assert!(matches!(job, problem::GapJob::Later(_)));
        assert_eq!(&job.compute(), want);
        // The next gradient at the same point (the cached product) is the gradient.
        let g = oracle.gradient(point).unwrap();
        assert_eq!(g, {
            let mut fresh = Rational::oracle(p.as_ref()).unwrap();
            fresh.gradient(point).unwrap()
        });
    }
    for (point, want) in [(&x, &want_x), (&y, &want_y)] {
        let job = oracle.gap_job(point).unwrap();
        // A gradient elsewhere first: the job must not depend on the oracle's later state.
        let _ = oracle.gradient(&y).unwrap();
        assert_eq!(&job.compute(), want);
    }
    // f64 gaps stay on the calling thread (their cost is that of the hand-over).
    let mut f = f64::oracle(p.as_ref()).unwrap();
    let xf = problem::to_vector::<f64>(&[q(1, 3), q(-2, 7), q(5, 1), q(0, 1), q(9, 11)]);
    assert!(matches!(f.gap_job(&xf).unwrap(), problem::GapJob::Ready(_)));
}

/// The f64 quadratic oracle with its diagonal hidden: every gradient through `gradient_into`, so
/// that no optimizer takes the one-pass step ([`problem::Oracle::diagonal_centered`]).
struct Opaque<'a>(&'a mut dyn problem::Oracle<f64>);

impl problem::Oracle<f64> for Opaque<'_> {
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn value(&mut self, x: &Vec<f64>) -> momentum_oracle::error::Result<f64> {
        self.0.value(x)
    }
    fn gradient(&mut self, x: &Vec<f64>) -> momentum_oracle::error::Result<Vec<f64>> {
        self.0.gradient(x)
    }
    fn gradient_into(
        &mut self,
        x: &Vec<f64>,
        out: &mut Vec<f64>,
    ) -> momentum_oracle::error::Result<()> {
        self.0.gradient_into(x, out)
    }
    fn gap(&mut self, x: &Vec<f64>) -> momentum_oracle::error::Result<Option<f64>> {
        self.0.gap(x)
    }
}

/// A run of `optimizer` in f64 on the diagonal benchmark quadratic (d = 37), with the oracle's
/// diagonal offered or hidden, keeping every `keep_every`-th step.
pub(crate) fn diagonal_run(
    optimizer: &str,
    lr: Rational,
    rounding: Rounding,
    steps: usize,
    keep_every: usize,
    hide: bool,
) -> trace::Trace<f64> {
    let (form, _) = momentum_oracle::benchmark::diagonal_quadratic(37);
    // x₀ ≠ x* in every entry, and of both signs.
    let x0: Vec<f64> = (0..37).map(|i| (i as f64 - 18.0) / 5.0).collect();
    let mut quadratic = form.oracle::<f64>();
    assert!(problem::Oracle::diagonal_centered(&quadratic).is_some());
    let config = OptimizerConfig::from_spec(optimizer).unwrap();
    let options = RunOptions {
        keep_every,
        ..RunOptions::with_rounding(rounding)
    };
    let schedule = Schedule::constant(lr);
    let mut opaque = Opaque(&mut quadratic);
    let oracle: &mut dyn problem::Oracle<f64> = if hide { &mut opaque } else { opaque.0 };
    momentum_oracle::with_optimizer!(&config, o => trace::run_with_oracle(
        o, oracle, &schedule, &x0, steps, &options, ("diagonal", optimizer)))
    .unwrap()
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// The one-pass f64 step (gradient, update and finiteness check in one pass over memory, taken at
/// unrecorded steps on a separable quadratic) gives the bits of the separate passes: the same
/// last step, iterate, state, query point and gradient, whether every step is recorded (no
/// one-pass step), only the last (one-pass steps between), or the diagonal is hidden.
#[test]
fn the_one_pass_step_on_a_separable_quadratic_gives_the_bits_of_the_separate_passes() {
    for optimizer in [
        "pytorch:momentum=9/10",
        "pytorch:momentum=9/10,dampening=1/10",
        "heavy-ball:momentum=4/5",
        "nag:momentum=9/10",
    ] {
        for rounding in [Rounding::Naive, Rounding::Fused] {
            let lr = q(3, 7);
            let every = diagonal_run(optimizer, lr.clone(), rounding, 30, 1, false);
            let last = diagonal_run(optimizer, lr.clone(), rounding, 30, 30, false);
            let hidden = diagonal_run(optimizer, lr.clone(), rounding, 30, 30, true);
            let (a, b, c) = (
                every.steps.last().unwrap(),
                last.steps.last().unwrap(),
                hidden.steps.last().unwrap(),
            );
            assert_eq!(last.steps.len(), 1);
            for (x, y) in [(a, b), (a, c)] {
                assert_eq!(x.step, 30);
                assert_eq!(
                    bits(&x.iterate),
                    bits(&y.iterate),
                    "{optimizer} {rounding:?}"
                );
                assert_eq!(bits(&x.query), bits(&y.query), "{optimizer} {rounding:?}");
                assert_eq!(
                    bits(&x.gradient),
                    bits(&y.gradient),
                    "{optimizer} {rounding:?}"
                );
                assert_eq!(x.gap.map(f64::to_bits), y.gap.map(f64::to_bits));
                assert_eq!(x.state.vectors.len(), y.state.vectors.len());
                for ((n1, v1), (n2, v2)) in x.state.vectors.iter().zip(&y.state.vectors) {
                    assert_eq!(n1, n2);
                    assert_eq!(bits(v1), bits(v2), "{optimizer} {rounding:?} {n1}");
                }
            }
            // Not a vacuous comparison: the run moved.
            assert_ne!(bits(&a.iterate), bits(&every.x0));
        }
    }
}

/// A one-pass step that leaves the finite range is recorded as the separate passes record it:
/// the same step, the same quantity named, the same query point and gradient (recomputed at the
/// old iterate, which the pass kept). Fast (γ = 10⁶⁰: past f64's range in a few steps) and slow
/// (γ = 5 with μ = 9/10 on λ = 1: the root of z² + 3.1z + 0.9 near −2.78, some 700 steps, most
/// of them updated in place, until the overflow test sends the last ones to the query's point).
#[test]
fn a_one_pass_step_that_diverges_is_recorded_like_a_separate_one() {
    let fast = Rational::from(rug::Integer::from(rug::Integer::u_pow_u(10, 60)));
    for lr in [fast, Rational::from(5)] {
        for optimizer in [
            "pytorch:momentum=9/10",
            "heavy-ball:momentum=9/10",
            "nag:momentum=9/10",
        ] {
            for rounding in [Rounding::Naive, Rounding::Fused] {
                let every = diagonal_run(optimizer, lr.clone(), rounding, 1000, 1, false);
                let last = diagonal_run(optimizer, lr.clone(), rounding, 1000, 1000, false);
                let Outcome::Diverged { step, what } = &every.outcome else {
                    panic!(
                        "{optimizer} γ = {lr}: expected a divergence, got {:?}",
                        every.outcome
                    )
                };
                assert!(*step > 2 && *step < 1000, "{optimizer}: step {step}");
                assert_eq!(
                    &last.outcome, &every.outcome,
                    "{optimizer} {rounding:?} ({what})"
                );
                let (a, b) = (every.steps.last().unwrap(), last.steps.last().unwrap());
                assert_eq!(a.step, *step);
                assert_eq!(b.step, *step);
                for (x, y) in [
                    (&a.iterate, &b.iterate),
                    (&a.query, &b.query),
                    (&a.gradient, &b.gradient),
                ] {
                    assert_eq!(bits(x), bits(y), "{optimizer} γ = {lr} {rounding:?}");
                }
                assert_eq!(a.state.vectors.len(), b.state.vectors.len());
                for ((n1, v1), (n2, v2)) in a.state.vectors.iter().zip(&b.state.vectors) {
                    assert_eq!(
                        (n1, bits(v1)),
                        (n2, bits(v2)),
                        "{optimizer} γ = {lr} {rounding:?}"
                    );
                }
            }
        }
    }
}
