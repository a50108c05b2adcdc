//! Property 7: the inequalities of the convergence proofs hold at every step of every generated
//! run, and a violation names the obligation, the step and both sides exactly.
//!
//! The obligations are the public API `theory::potentials`; see its module table for the
//! inequalities and their sources.

use crate::common::{q, run_constant as run};

use crate::common::problems::{Shared, convex_exact, square_condition};
use momentum_oracle::arith::bounded::BoundedMpfr;
use momentum_oracle::arith::linalg::{QVec, Vector};
use momentum_oracle::arith::{Number, Rounding, with_mpfr_precision};
use momentum_oracle::optim::{OptimizerConfig, Schedule, StateRecord};
use momentum_oracle::problem;
use momentum_oracle::problem::Evaluate;
use momentum_oracle::theory::guarantees::Guarantee;
use momentum_oracle::theory::potentials::{self, Check, Instance, Obligation, first_violation};
use momentum_oracle::trace::{self, Outcome, RunOptions, StepRecord, Trace};
use proptest::prelude::*;
use rug::Rational;

const STEPS: usize = 16;

fn assert_all_hold<S: Number>(
    checks: &[Check<S>],
    what: &str,
    p: &Shared,
) -> Result<(), TestCaseError> {
    prop_assert!(!checks.is_empty(), "{what}: no checks");
    if let Some(v) = first_violation(checks) {
        prop_assert!(false, "{what} on {}: {v}", p.spec());
    }
    Ok(())
}

proptest! {
    #![proptest_config(crate::common::config("proofs", 256))]

    /// GD, step h/L with 0 < h ≤ 1: descent lemma, convexity at x*, distance recursion, telescoped
    /// sum, final bound and the potential k·gap_k + ‖x_k − x*‖²/(2γ), at every step, exactly.
    #[test]
    fn gd_proof_obligations_hold_at_every_step(p in convex_exact(), j in 1i64..=8) {
        let l = p.smoothness().unwrap();
        let step = q(j, 8) / l;
        let t = run::<Rational>(p.as_ref(), "gd", &step, STEPS);
        let inst = Instance::<Rational>::from_problem(p.as_ref()).unwrap();
        let checks = potentials::gradient_descent(&t, &inst, &step).unwrap();
        prop_assert_eq!(checks.len(), 6 * STEPS);
        assert_all_hold(&checks, "GD", &p)?;
    }

    /// FISTA with t_k = (k+1)/2: the condition t_{k+1}² − t_{k+1} ≤ t_k² and E_{k+1} ≤ E_k, exactly.
    #[test]
    fn fista_rational_potential_is_non_increasing(p in convex_exact(), j in 1i64..=8) {
        let step = q(j, 8) / p.smoothness().unwrap();
        let t = run::<Rational>(p.as_ref(), "fista:momentum=rational", &step, STEPS);
        let inst = Instance::<Rational>::from_problem(p.as_ref()).unwrap();
        assert_all_hold(&potentials::fista(&t, &inst, &step).unwrap(), "FISTA (rational)", &p)?;
    }

    /// FISTA with the t-sequence (equality in the condition), certified in MPFR.
    #[test]
    fn fista_t_sequence_potential_is_non_increasing(p in convex_exact()) {
        let step = p.smoothness().unwrap().recip();
        with_mpfr_precision(192, || {
            let t = run::<BoundedMpfr>(p.as_ref(), "fista:momentum=t-sequence", &step, STEPS);
            let inst = Instance::<BoundedMpfr>::from_problem(p.as_ref()).unwrap();
            assert_all_hold(&potentials::fista(&t, &inst, &BoundedMpfr::from_rational(&step)).unwrap(), "FISTA (t)", &p)
        })?;
    }

    /// Strongly convex constant momentum: Φ_{k+1} ≤ (1 − 1/√κ)Φ_k, exactly (κ a perfect square).
    #[test]
    fn strongly_convex_potential_contracts(p in square_condition()) {
        let l = p.smoothness().unwrap();
        let kappa = &l / p.strong_convexity().unwrap();
        let spec = format!("fista:momentum=strongly-convex,kappa={}", momentum_oracle::arith::text::format(&kappa));
        let t = run::<Rational>(p.as_ref(), &spec, &l.recip(), STEPS);
        let inst = Instance::<Rational>::from_problem(p.as_ref()).unwrap();
        let sk = momentum_oracle::arith::rational_sqrt(&kappa).unwrap();
        assert_all_hold(&potentials::strongly_convex_nag(&t, &inst, &sk).unwrap(), "strongly convex NAG", &p)?;
    }

    /// OGM1: ψ_0 ≤ (L/2)R², ψ_{i+1} ≤ ψ_i, Ψ_N ≤ ψ_{N−1}, certified in MPFR.
    #[test]
    fn ogm_potential_is_non_increasing(p in convex_exact(), n in 1usize..=12) {
        let l = p.smoothness().unwrap();
        with_mpfr_precision(192, || {
            let t = run::<BoundedMpfr>(p.as_ref(), &format!("ogm:steps={n}"), &l.recip(), n);
            let inst = Instance::<BoundedMpfr>::from_problem(p.as_ref()).unwrap();
            let mut oracle = BoundedMpfr::oracle(p.as_ref()).unwrap();
            let checks = potentials::ogm(&t, &inst, oracle.as_mut()).unwrap();
            prop_assert_eq!(checks.len(), n + 1);
            // A chain: each obligation's right side is the previous one's left side (ψ_{i−1}).
            for w in checks.windows(2) {
                prop_assert!(
                    !w[1].rhs.certainly_greater(&w[0].lhs) && !w[0].lhs.certainly_greater(&w[1].rhs),
                    "step {}: the right side is not ψ_{{i−1}}", w[1].step
                );
            }
            assert_all_hold(&checks, "OGM", &p)
        })?;
    }
}

/// A hand-made trace on f(x) = x²/2 (L = 1, x* = 0, f* = 0), as a user would build one from their
/// own implementation: iterates and gaps, gradients at the previous iterates, nothing else.
fn hand_trace(xs: &[Rational]) -> Trace<Rational> {
    let v = |x: &Rational| QVec::from_scalars(std::slice::from_ref(x));
    let gap = |x: &Rational| Rational::from(x * x) / 2u32;
    let steps = xs
        .windows(2)
        .enumerate()
        .map(|(i, w)| StepRecord {
            step: i + 1,
            learning_rate: q(1, 2),
            query: v(&w[0]),
            gradient: v(&w[0]),
            iterate: v(&w[1]),
            state: StateRecord::default(),
            gap: Some(gap(&w[1])),
        })
        .collect();
    Trace {
        problem: "x²/2".into(),
        optimizer: "user's GD".into(),
        schedule: "constant:lr=1/2".into(),
        arithmetic: "exact".into(),
        rounding: Rounding::Naive,
        x0: v(&xs[0]),
        initial_gap: Some(gap(&xs[0])),
        steps,
        outcome: Outcome::Completed,
    }
}

fn unit_instance() -> Instance<Rational> {
    Instance {
        smoothness: q(1, 1),
        strong_convexity: q(1, 1),
        minimizer: QVec::from_scalars(&[Rational::new()]),
    }
}

#[test]
fn users_can_check_the_obligations_on_their_own_traces() {
    // GD with γ = 1/2 on x²/2 halves x: 1, 1/2, 1/4, 1/8.
    let t = hand_trace(&[q(1, 1), q(1, 2), q(1, 4), q(1, 8)]);
    let checks = potentials::gradient_descent(&t, &unit_instance(), &q(1, 2)).unwrap();
    assert!(first_violation(&checks).is_none());
}

#[test]
fn a_violation_names_the_obligation_the_step_and_both_sides_exactly() {
    // A buggy "GD" whose second step overshoots to −3/4 instead of 1/4.
    let t = hand_trace(&[q(1, 1), q(1, 2), q(-3, 4), q(-3, 8)]);
    let checks = potentials::gradient_descent(&t, &unit_instance(), &q(1, 2)).unwrap();
    let v = first_violation(&checks).expect("the bug is caught");
    // Worked by hand: at step 2, x₁ = 1/2, g₁ = 1/2, x₂ = −3/4. The descent lemma says
    // gap₂ ≤ gap₁ − γ(1 − Lγ/2)‖g₁‖² = 1/8 − (1/2)(3/4)(1/4) = 1/32, but gap₂ = (3/4)²/2 = 9/32.
    assert_eq!(v.obligation, Obligation::DescentLemma);
    assert_eq!(v.step, 2);
    assert_eq!(v.lhs, q(9, 32));
    assert_eq!(v.rhs, q(1, 32));
    let text = v.to_string();
    assert!(
        text.contains("descent-lemma at step 2") && text.contains("9/32") && text.contains("1/32"),
        "{text}"
    );
}

#[test]
fn gd_obligations_carry_the_values_of_the_hand_computed_proof() {
    // f = x²/2, x₀ = 1, γ = 1/2: x_k = 2^{−k}, gap_k = 4^{−k}/2, ‖x_k − x*‖² = 4^{−k}, and
    // 1/(2γ) = 1. Step 1 of Beck & Teboulle's Thm 3.1 argument, each side by hand:
    //   descent lemma      gap₁ = 1/8 ≤ gap₀ − γ(1 − Lγ/2)‖g₀‖² = 1/2 − (3/8)·1 = 1/8
    //   convexity at x*    gap₀ = 1/2 ≤ ⟨g₀, x₀ − x*⟩ = 1        (a statement about x₀: step 0)
    //   distance recursion gap₁ = 1/8 ≤ (‖x₀ − x*‖² − ‖x₁ − x*‖²)/(2γ) = 3/4
    //   telescoped sum     Σ gap = 1/8 ≤ (‖x₀ − x*‖² − ‖x₁ − x*‖²)/(2γ) = 3/4
    //   final bound        1·gap₁ = 1/8 ≤ Σ gap = 1/8
    //   potential          1·gap₁ + ‖x₁ − x*‖²/(2γ) = 3/8 ≤ ‖x₀ − x*‖²/(2γ) = 1
    let p = problem::from_spec("quadratic:spectrum=1,householder=none,minimizer=0,optimum=0,x0=1")
        .unwrap();
    let step = q(1, 2);
    let t = run::<Rational>(p.as_ref(), "gd", &step, 2);
    let inst = Instance::<Rational>::from_problem(p.as_ref()).unwrap();
    let checks = potentials::gradient_descent(&t, &inst, &step).unwrap();
    let at = |o: Obligation, k: usize| {
        let c = checks
            .iter()
            .find(|c| c.obligation == o && c.step == k)
            .unwrap_or_else(|| panic!("{o:?} at step {k}"));
        (c.lhs.clone(), c.rhs.clone())
    };
    assert_eq!(at(Obligation::DescentLemma, 1), (q(1, 8), q(1, 8)));
    assert_eq!(at(Obligation::ConvexityAtMinimizer, 0), (q(1, 2), q(1, 1)));
    assert_eq!(at(Obligation::DistanceRecursion, 1), (q(1, 8), q(3, 4)));
    assert_eq!(at(Obligation::TelescopedSum, 1), (q(1, 8), q(3, 4)));
    assert_eq!(at(Obligation::FinalBound, 1), (q(1, 8), q(1, 8)));
    assert_eq!(at(Obligation::GdPotential, 1), (q(3, 8), q(1, 1)));
    // Step 2: Σ gap = 1/8 + 1/32 = 5/32 ≤ (1 − 1/16)/1 = 15/16; convexity at x₁: 1/8 ≤ 1/4.
    assert_eq!(at(Obligation::TelescopedSum, 2), (q(5, 32), q(15, 16)));
    assert_eq!(at(Obligation::ConvexityAtMinimizer, 1), (q(1, 8), q(1, 4)));
    assert_eq!(checks.len(), 12, "six obligations per step");
}

/// Each obligation as (which, step, left side, right side), to compare with hand-computed values.
fn sides(checks: &[Check<Rational>]) -> Vec<(Obligation, usize, Rational, Rational)> {
    checks
        .iter()
        .map(|c| (c.obligation, c.step, c.lhs.clone(), c.rhs.clone()))
        .collect()
}

#[test]
fn strongly_convex_potential_carries_the_hand_computed_values() {
    // f = ½(x₁²/4 + x₂²): m = 1/4, L = 1, √κ = 2, β = 1/3, step 1, x₀ = (2, 2), x* = 0, f* = 0.
    // Φ_k = gap_k + (m/2)‖v_k‖², v_k = x_{k−1} + √κ(x_k − x_{k−1}), rate 1 − 1/√κ = 1/2.
    //   Φ₀ = f(x₀) + (1/8)·8 = 5/2 + 1 = 7/2
    //   y₁ = x₀, ∇f = (1/2, 2), x₁ = (3/2, 0), gap₁ = 9/32, v₁ = (1, −2): Φ₁ = 9/32 + 5/8 = 29/32
    //   y₂ = x₁ + (x₁ − x₀)/3 = (4/3, −2/3), ∇f = (1/3, −2/3), x₂ = (1, 0), gap₂ = 1/8,
    //   v₂ = (1/2, 0): Φ₂ = 1/8 + 1/32 = 5/32
    let p = problem::from_spec(
        "quadratic:spectrum=1/4;1,householder=none,minimizer=0;0,optimum=0,x0=2;2",
    )
    .unwrap();
    let t = run::<Rational>(
        p.as_ref(),
        "fista:momentum=strongly-convex,kappa=4",
        &q(1, 1),
        2,
    );
    let inst = Instance::<Rational>::from_problem(p.as_ref()).unwrap();
    let checks = potentials::strongly_convex_nag(&t, &inst, &q(2, 1)).unwrap();
    let sides = sides(&checks);
    let o = Obligation::StronglyConvexPotential;
    assert_eq!(
        sides,
        [(o, 1, q(29, 32), q(7, 4)), (o, 2, q(5, 32), q(29, 64))]
    );
}

#[test]
fn ogm_potentials_carry_the_hand_computed_values() {
    // f = ½(x₁² + 2x₂²): L = 2, x* = 0; OGM1 with N = 1 (θ₀ = 1, θ₁ = 2), step 1/2, x₀ = (1, 1).
    //   g₀ = (1, 2), ε₀ = f(x₀) − ‖g₀‖²/(2L) = 3/2 − 5/4 = 1/4, z₁ = x₀ − (2θ₀/L)g₀ = (0, −1),
    //   ψ₀ = 2θ₀²ε₀ + (L/2)‖z₁‖² = 1/2 + 1 = 3/2 ≤ (L/2)R² = 2;
    //   y₁ = x₀ − g₀/2 = (1/2, 0), x₁ = y₁ + (θ₀/θ₁)(y₁ − x₀) = (1/4, −1/2), gap₁ = 9/32,
    //   g₁ = (1/4, −1), z₁ = θ₁x₁ − (θ₁ − 1)y₁ = (0, −1), w = z₁ − (θ₁/L)g₁ = (−1/4, 0),
    //   Ψ₁ = θ₁² gap₁ + (L/2)‖w‖² = 9/8 + 1/16 = 19/16 ≤ ψ₀ = 3/2.
    let p = problem::from_spec(
        "quadratic:spectrum=1;2,householder=none,minimizer=0;0,optimum=0,x0=1;1",
    )
    .unwrap();
    let t = run::<Rational>(p.as_ref(), "ogm:steps=1", &q(1, 2), 1);
    assert_eq!(t.steps[0].iterate.to_scalars(), [q(1, 4), q(-1, 2)]);
    let inst = Instance::<Rational>::from_problem(p.as_ref()).unwrap();
    let mut oracle = p.exact_oracle().unwrap();
    let checks = potentials::ogm(&t, &inst, oracle.as_mut()).unwrap();
    let sides = sides(&checks);
    assert_eq!(
        sides,
        [
            (Obligation::OgmInitialPotential, 0, q(3, 2), q(2, 1)),
            (Obligation::OgmFinalPotential, 1, q(19, 16), q(3, 2)),
        ]
    );
    // R² in ℚ from the exact minimiser: ‖(1, 1) − 0‖² = 2; with x* = (1, −2), ‖(3, −1) − x*‖² = 5.
    assert_eq!(
        potentials::initial_distance_sq_exact(p.as_ref(), &[q(1, 1), q(1, 1)]).unwrap(),
        q(2, 1)
    );
    let shifted = problem::from_spec(
        "quadratic:spectrum=1;2,householder=none,minimizer=1;-2,optimum=0,x0=1;1",
    )
    .unwrap();
    assert_eq!(
        potentials::initial_distance_sq_exact(shifted.as_ref(), &[q(3, 1), q(-1, 1)]).unwrap(),
        q(5, 1),
        "(3 − 1)² + (−1 + 2)²"
    );
}

#[test]
fn ogm_obligations_use_the_smoothness_of_the_step_when_it_is_shorter_than_one_over_l() {
    // f = ½x² (L = 1), OGM1 with N = 1 and step γ = 1/2 < 1/L: the theorem is applied with the
    // smoothness constant of the step, L' = 1/γ = 2 ≥ L. By hand with L' = 2, x₀ = 1:
    //   θ₀ = 1, θ₁ = (1 + √(1 + 8))/2 = 2, g₀ = 1, ε₀ = 1/2 − 1/(2L') = 1/4,
    //   y₁ = x₀ − γg₀ = 1/2, x₁ = y₁ + (θ₀/θ₁)(y₁ − x₀) = 1/4, z₁ = θ₁x₁ − (θ₁ − 1)y₁ = 0,
    //   ψ₀ = 2θ₀²ε₀ + (L'/2)z₁² = 1/2 ≤ (L'/2)R² = 1;
    //   gap₁ = 1/32, g₁ = 1/4, w = z₁ − (θ₁/L')g₁ = −1/4, Ψ₁ = θ₁²gap₁ + (L'/2)w² = 3/16 ≤ ψ₀.
    // With the problem's L = 1 instead, ε₀ = 0 and ψ₀ = 0 against (L/2)R² = 1/2.
    let p = problem::from_spec("quadratic:spectrum=1,householder=none,minimizer=0,optimum=0,x0=1")
        .unwrap();
    let step = q(1, 2);
    let t = run::<Rational>(p.as_ref(), "ogm:steps=1", &step, 1);
    assert_eq!(t.steps[0].iterate.to_scalars(), [q(1, 4)]);
    let inst = Instance::<Rational>::from_problem(p.as_ref()).unwrap();
    let mut oracle = p.exact_oracle().unwrap();
    let checks = Guarantee::Ogm { steps: 1 }
        .obligations(&t, &inst, oracle.as_mut(), &step)
        .unwrap();
    let sides = sides(&checks);
    assert_eq!(
        sides,
        [
            (Obligation::OgmInitialPotential, 0, q(1, 2), q(1, 1)),
            (Obligation::OgmFinalPotential, 1, q(3, 16), q(1, 2)),
        ]
    );
    // A run stopped before its N-th step: the theorem is about x_N, so nothing is claimed.
    with_mpfr_precision(128, || {
        let t = run::<BoundedMpfr>(p.as_ref(), "ogm:steps=3", &step, 2);
        let inst = Instance::<BoundedMpfr>::from_problem(p.as_ref()).unwrap();
        let mut oracle = BoundedMpfr::oracle(p.as_ref()).unwrap();
        let checks = Guarantee::Ogm { steps: 3 }
            .obligations(&t, &inst, oracle.as_mut(), &step)
            .unwrap();
        assert!(checks.is_empty(), "{checks:?}");
    });
}

#[test]
fn the_distance_recursion_needs_its_step_hypothesis() {
    // On f = (L/2)x² with x₀ = 1, GD with step γ gives x₁ = 1 − γL, gap₁ = L(1 − γL)²/2, and the
    // distance recursion's right side is (1 − (1 − γL)²)/(2γ) = L(2 − γL)/2: it holds iff
    // (1 − γL)² ≤ 2 − γL, i.e. γL ≤ (1 + √5)/2. With L = 1 and γ = 7/4 GD still converges
    // (|1 − 7/4| < 1), the descent lemma holds with equality (9/32 = 1/2 − (7/4)(1/8)), and the
    // distance recursion fails at step 1: 9/32 > (1 − 9/16)/(7/2) = 1/8.
    let p = problem::from_spec("quadratic:spectrum=1,householder=none,minimizer=0,optimum=0,x0=1")
        .unwrap();
    let step = q(7, 4);
    let t = run::<Rational>(p.as_ref(), "gd", &step, 4);
    let inst = Instance::<Rational>::from_problem(p.as_ref()).unwrap();
    let checks = potentials::gradient_descent(&t, &inst, &step).unwrap();
    let descent = checks
        .iter()
        .find(|c| c.obligation == Obligation::DescentLemma && c.step == 1)
        .unwrap();
    assert_eq!(
        (descent.lhs.clone(), descent.rhs.clone()),
        (q(9, 32), q(9, 32))
    );
    let v = first_violation(&checks).expect("γ > 1/L is caught");
    assert_eq!((v.obligation, v.step), (Obligation::DistanceRecursion, 1));
    assert_eq!((v.lhs.clone(), v.rhs.clone()), (q(9, 32), q(1, 8)));
}

#[test]
fn a_t_sequence_that_grows_too_fast_fails_the_sequence_condition() {
    // FISTA's proof needs t_{k+1}² − t_{k+1} ≤ t_k². The rule t_k = k violates it at every step:
    // (k+1)² − (k+1) = k² + k > k². A trace recording such t's is caught at step 2.
    let mut t = hand_trace(&[q(1, 1), q(1, 2), q(1, 4)]);
    for s in &mut t.steps {
        s.state.scalars.push(("t", Rational::from(s.step as u64)));
        let prev = if s.step == 1 {
            t.x0.clone()
        } else {
            QVec::from_scalars(&[q(1, 2)])
        };
        s.state.vectors.push(("previous_iterate", prev));
    }
    let checks = potentials::fista(&t, &unit_instance(), &q(1, 2)).unwrap();
    let v = first_violation(&checks).expect("caught");
    assert_eq!(
        (v.obligation, v.step),
        (Obligation::FistaSequenceCondition, 2)
    );
    assert_eq!(
        (v.lhs.clone(), v.rhs.clone()),
        (q(2, 1), q(1, 1)),
        "t₂² − t₂ = 2 > t₁² = 1"
    );
}

#[test]
fn obligations_refuse_traces_with_missing_steps() {
    let p = problem::from_spec("quadratic").unwrap();
    let opt = OptimizerConfig::from_spec("gd").unwrap();
    let options = RunOptions {
        keep_every: 2,
        ..RunOptions::default()
    };
    let t = trace::run::<Rational>(
        p.as_ref(),
        &opt,
        &Schedule::constant(q(1, 2)),
        None,
        4,
        &options,
    )
    .unwrap();
    let inst = Instance::<Rational>::from_problem(p.as_ref()).unwrap();
    assert!(matches!(
        potentials::gradient_descent(&t, &inst, &q(1, 2)),
        Err(momentum_oracle::Error::InvalidDocument { .. })
    ));
}
