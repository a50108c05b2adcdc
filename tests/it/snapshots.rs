//! Snapshot-locked traces: representative runs rendered one line per step (`trace::render`) and
//! stored under `snapshots/`. A changed trace is a reviewed diff (`cargo insta review`); with
//! `CI=true` a changed snapshot fails the run.

use momentum_oracle::arith::Rounding;
use momentum_oracle::arith::bounded::Bounded;
use momentum_oracle::optim::{OptimizerConfig, Schedule};
use momentum_oracle::problem::Evaluate;
use momentum_oracle::problem::{self, Problem};
use momentum_oracle::theory::guarantees::Guarantee;
use momentum_oracle::trace::{self, RunOptions, Trace};
use rug::Rational;

fn snapshot(name: &str, text: String) {
    insta::with_settings!({ snapshot_path => "../../snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!(name, text);
    });
}

fn run<S: Evaluate>(
    problem_spec: &str,
    optimizer: &str,
    schedule: &str,
    steps: usize,
    rounding: Rounding,
) -> (Box<dyn Problem>, Trace<S>) {
    let p = problem::from_spec(problem_spec).unwrap();
    let o = OptimizerConfig::from_spec(optimizer).unwrap();
    let s = Schedule::from_spec(schedule).unwrap();
    let t = trace::run::<S>(
        p.as_ref(),
        &o,
        &s,
        None,
        steps,
        &RunOptions::with_rounding(rounding),
    )
    .unwrap();
    (p, t)
}

/// The theorem's bound at each step, when one applies (exact).
fn bounds(
    p: &dyn Problem,
    optimizer: &str,
    schedule: &str,
    steps: usize,
) -> Option<Vec<Option<Rational>>> {
    let o = OptimizerConfig::from_spec(optimizer).unwrap();
    let s = Schedule::from_spec(schedule).unwrap();
    let g = Guarantee::applicable(&o, p, &s)?;
    let Schedule::Constant { learning_rate } = &s else {
        return None;
    };
    g.bounds::<Rational>(
        &problem::initial_distance_sq(p).unwrap(),
        learning_rate,
        &p.smoothness().unwrap(),
        steps,
    )
    .ok()
}

#[test]
fn pytorch_momentum_on_a_rotated_quadratic_exact() {
    let (_, t) = run::<Rational>(
        "quadratic:dim=2,L=1,m=1/10,seed=3",
        "pytorch:momentum=9/10,dampening=1/10",
        "constant:lr=1/2",
        6,
        Rounding::Naive,
    );
    snapshot("pytorch_momentum_exact", trace::render(&t, None));
}

#[test]
fn gd_on_the_drori_teboulle_worst_case_meets_its_bound_exactly() {
    let spec = "huber:L=1,R=1,dim=1,c=13";
    let (p, t) = run::<Rational>(spec, "gd", "constant:lr=1", 6, Rounding::Naive);
    // c = 13 = 2Nh + 1 with N = 6, h = 1: Drori & Teboulle's LR²/(4Nh + 2) = 1/26 at step 6.
    assert_eq!(t.steps[5].gap, Some(Rational::from((1, 26))));
    let b = bounds(p.as_ref(), "gd", "constant:lr=1", 6).unwrap();
    snapshot("gd_huber_worst_case_exact", trace::render(&t, Some(&b)));
}

#[test]
fn fista_rational_on_the_lower_bound_function_with_its_bound() {
    let spec = "lower-bound:k=9,n=9,L=1";
    let (p, t) = run::<Rational>(
        spec,
        "fista:momentum=rational",
        "constant:lr=1",
        4,
        Rounding::Naive,
    );
    let b = bounds(p.as_ref(), "fista:momentum=rational", "constant:lr=1", 4).unwrap();
    snapshot("fista_lower_bound_exact", trace::render(&t, Some(&b)));
}

#[test]
fn pytorch_nesterov_in_both_rounding_models_with_bits() {
    for r in Rounding::ALL {
        let (_, t) = run::<f64>(
            "quadratic:dim=2,L=1,m=1/10,seed=3",
            "pytorch:momentum=9/10,nesterov=true,weight_decay=1/100",
            "constant:lr=1/10",
            6,
            r,
        );
        snapshot(
            &format!("pytorch_nesterov_f64_{}", r.name()),
            trace::render(&t, None),
        );
    }
}

#[test]
fn keras_under_a_step_schedule_with_the_momentum_correction_exact() {
    let (_, t) = run::<Rational>(
        "quadratic:dim=2,L=1,m=1/10,seed=3",
        "keras:momentum=9/10,momentum_correction=true",
        "step:lr=1/2,factor=1/2,every=2",
        6,
        Rounding::Naive,
    );
    snapshot(
        "keras_corrected_step_schedule_exact",
        trace::render(&t, None),
    );
}

#[test]
fn heavy_ball_in_f64_with_derived_error_bounds() {
    let (_, t) = run::<Bounded>(
        "lrp",
        "heavy-ball:momentum=4/9",
        "constant:lr=1/9",
        6,
        Rounding::Fused,
    );
    snapshot("heavy_ball_lrp_bounded", trace::render(&t, None));
}

#[test]
fn divergence_is_recorded_in_the_rendering() {
    let (_, t) = run::<f64>(
        "quadratic:spectrum=1,householder=none,minimizer=0,optimum=0,x0=1",
        "gd",
        "constant:lr=1e150",
        4,
        Rounding::Naive,
    );
    let text = trace::render(&t, None);
    assert!(text.ends_with("diverged at step 3 (iterate)\n"), "{text}");
    snapshot("gd_divergence_f64", text);
}
