//! Property 6: on Nesterov's f_{2k+1}, every method of the crate keeps the Krylov property and
//! cannot beat the lower bound `f(x_k) − f* ≥ 3L R²/(32(k+1)²)` (Nesterov 2004, Thm 2.1.7).

use crate::common::methods::any_method;
use momentum_oracle::arith::bounded::BoundedMpfr;
use momentum_oracle::arith::linalg::Vector;
use momentum_oracle::arith::{Scalar, with_mpfr_precision};
use momentum_oracle::error::Error;
use momentum_oracle::optim::{OptimizerConfig, Schedule};
use momentum_oracle::problem::lower_bound::LowerBoundProblem;
use momentum_oracle::problem::{self, Problem};
use momentum_oracle::trace::{self, RunOptions, Trace};
use proptest::prelude::*;
use rug::Rational;

/// Whether `v` is supported on its first `j` coordinates (zero beyond).
fn supported_on<S: Scalar>(v: &S::Vector, j: usize) -> bool {
    (j..v.len()).all(|i| v.is_zero_at(i))
}

/// Checks the Krylov structure of a trace from x₀ = 0 on f_{2k+1}: the iterate after step j lies in
/// span(e₁, …, e_j) and the point queried at step j in span(e₁, …, e_{j−1}); and the lower bounds
/// on the gaps. Returns a description of the first failure.
fn check_trace<S: Scalar>(p: &LowerBoundProblem, t: &Trace<S>, k: usize) -> Result<(), String> {
    for s in &t.steps {
        let j = s.step;
        if !supported_on::<S>(&s.query, j - 1) {
            return Err(format!(
                "step {j}: query point leaves span(e_1..e_{})",
                j - 1
            ));
        }
        if !supported_on::<S>(&s.iterate, j) {
            return Err(format!("step {j}: iterate leaves span(e_1..e_{j})"));
        }
        let gap = s.gap.clone().ok_or("gap")?;
        // The bound the theorem follows from holds at every j: (L/8)(1/(j+1) − 1/(2k+2)).
        let lb = S::from_rational(&p.krylov_gap_lower_bound(j));
        if lb.certainly_greater(&gap) {
            return Err(format!("step {j}: gap below (L/8)(1/(j+1) − 1/(k+1))"));
        }
    }
    let last = t
        .steps
        .last()
        .and_then(|s| s.gap.clone())
        .ok_or("no steps")?;
    let lb = S::from_rational(&p.theorem_2_1_7_bound(k).expect("instance for k steps"));
    if lb.certainly_greater(&last) {
        return Err(format!("step {k}: gap below 3LR²/(32(k+1)²)"));
    }
    Ok(())
}

fn run_and_check(
    p: &LowerBoundProblem,
    spec: &str,
    learning_rate: &Rational,
    k: usize,
) -> Result<(), String> {
    let opt = OptimizerConfig::from_spec(spec).map_err(|e| e.to_string())?;
    let schedule = Schedule::constant(learning_rate.clone());
    match trace::run::<Rational>(p, &opt, &schedule, None, k, &RunOptions::default()) {
        Ok(t) => check_trace(p, &t, k),
        Err(Error::NotRational { .. }) => with_mpfr_precision(192, || {
            let t = trace::run::<BoundedMpfr>(p, &opt, &schedule, None, k, &RunOptions::default())
                .map_err(|e| e.to_string())?;
            check_trace(p, &t, k)
        }),
        Err(e) => Err(e.to_string()),
    }
}

proptest! {
    #![proptest_config(crate::common::config("lower_bound", 256))]

    #[test]
    fn every_method_keeps_the_krylov_property_and_respects_the_lower_bound(
        k in 1usize..=8,
        spec in (1usize..=8).prop_flat_map(any_method),
        l in prop_oneof![Just(Rational::from(1)), Just(Rational::from(4)), Just(Rational::from((1, 2)))],
        lr_fraction in (1i64..=8).prop_map(|j| Rational::from((j, 4))),
    ) {
        // OGM is defined for exactly its N steps: run it for N on the instance for N.
        let k = spec.strip_prefix("ogm:steps=").map_or(k, |n| n.parse().unwrap());
        let p = LowerBoundProblem::for_steps(k, l.clone()).unwrap();
        // Any positive step keeps the Krylov property; the lower bound holds for every one of them.
        let learning_rate = Rational::from(&lr_fraction / &l);
        if let Err(why) = run_and_check(&p, &spec, &learning_rate, k) {
            prop_assert!(false, "{spec} on {}: {why}", p.spec());
        }
    }
}

#[test]
fn the_lower_bound_is_below_what_nesterov_reaches_and_what_gd_reaches() {
    // The two bounds bracket the best method: 3LR²/(32(k+1)²) ≤ gap_k ≤ 2LR²/(k+1)² for the
    // (k−1)/(k+2) method on the same instance, for k up to 24.
    for k in 1..=24 {
        let p = LowerBoundProblem::for_steps(k, Rational::from(1)).unwrap();
        let opt = OptimizerConfig::from_spec("fista:momentum=rational").unwrap();
        let t = trace::run::<Rational>(
            &p,
            &opt,
            &Schedule::constant(Rational::from(1)),
            None,
            k,
            &RunOptions::default(),
        )
        .unwrap();
        let gap = t.steps.last().unwrap().gap.clone().unwrap();
        let r2 = problem::initial_distance_sq(&p).unwrap();
        assert!(gap >= p.theorem_2_1_7_bound(k).unwrap(), "k = {k}");
        assert!(
            gap <= momentum_oracle::theory::bounds::nesterov(&Rational::from(1), &r2, k),
            "k = {k}"
        );
        assert_eq!(
            p.theorem_2_1_7_bound(k),
            Some(momentum_oracle::theory::bounds::lower_bound(
                &Rational::from(1),
                &r2,
                k
            ))
        );
    }
}

#[test]
fn a_method_that_leaves_the_krylov_subspace_can_beat_the_bound() {
    // The bound is about Krylov methods: an "optimizer" that jumps straight to x* (here GD with a
    // start on the minimiser itself, x₀ = x*, which no Krylov method from 0 can reach in k < 2k+1
    // steps) has gap 0 < 3LR²/(32(k+1)²) — and the check above would flag it at step 1.
    let k = 3;
    let p = LowerBoundProblem::for_steps(k, Rational::from(1)).unwrap();
    let xs = p.minimizer().unwrap();
    let opt = OptimizerConfig::from_spec("gd").unwrap();
    let t = trace::run::<Rational>(
        &p,
        &opt,
        &Schedule::constant(Rational::from(1)),
        Some(&xs),
        k,
        &RunOptions::default(),
    )
    .unwrap();
    // Every gap is 0, strictly below the theorem's bound for the problem's own R = ‖0 − x*‖ …
    let bound = p.theorem_2_1_7_bound(k).expect("the instance for k steps");
    assert!(bound > 0);
    assert!(t.steps.iter().all(|s| s.gap == Some(Rational::new())));
    // … and the check names the cause: the very first query lies outside span(∅) = {0}.
    let err = check_trace(&p, &t, k).unwrap_err();
    assert!(err.starts_with("step 1: query point leaves"), "{err}");
    assert!(
        !t.steps[0].iterate.is_zero_at(2 * k),
        "x* is supported on every coordinate"
    );
}
