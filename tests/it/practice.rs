//! Property 10: claims from practice, checked exactly. (The buffer's limit g/(1 − μ) under a
//! constant gradient is an unrolled-buffer identity: `tests/unrolled.rs`.)

use crate::common::q;

use momentum_oracle::arith::linalg::{QVec, Vector};
use momentum_oracle::error::Result;
use momentum_oracle::optim::{OptimizerConfig, Schedule};
use momentum_oracle::problem::{self, Oracle, Problem};
use momentum_oracle::theory::bounds;
use momentum_oracle::theory::stability::{self, CharPoly, Stability};
use momentum_oracle::trace::{self, RunOptions, Trace};
use rug::Rational;

/// A constant gradient g everywhere (the linear function gᵀx): what momentum sees on a long
/// straight slope.
struct ConstantGradient(QVec);

impl Oracle<Rational> for ConstantGradient {
    fn dim(&self) -> usize {
        self.0.len()
    }
    fn value(&mut self, x: &QVec) -> Result<Rational> {
        Ok(self.0.dot(x))
    }
    fn gradient(&mut self, _x: &QVec) -> Result<QVec> {
        Ok(self.0.clone())
    }
    fn gap(&mut self, _x: &QVec) -> Result<Option<Rational>> {
        Ok(None)
    }
}

fn buffers(mu: &Rational, g: &[Rational], steps: usize) -> Trace<Rational> {
    let opt = OptimizerConfig::from_spec(&format!(
        "pytorch:momentum={}",
        momentum_oracle::arith::text::format(mu)
    ))
    .unwrap();
    let mut oracle = ConstantGradient(QVec::from_scalars(g));
    let x0 = QVec::zeros(g.len());
    momentum_oracle::with_optimizer!(&opt, o => trace::run_with_oracle(o, &mut oracle, &Schedule::constant(q(1, 10)), &x0, steps, &RunOptions::default(), ("linear", "pytorch"))).unwrap()
}

#[test]
fn effective_learning_rates_are_2_10_20_and_100_times_the_learning_rate() {
    let learning_rate = q(1, 10);
    for (mu, factor) in [
        (q(1, 2), 2),
        (q(9, 10), 10),
        (q(95, 100), 20),
        (q(99, 100), 100),
    ] {
        assert_eq!(
            bounds::effective_learning_rate(&learning_rate, &mu).unwrap(),
            (&learning_rate * Rational::from(factor))
        );
    }
    // μ = 0 is plain SGD; the geometric series needs 0 ≤ μ < 1, and anything else is a typed error.
    assert_eq!(
        bounds::effective_learning_rate(&learning_rate, &q(0, 1)).unwrap(),
        learning_rate
    );
    for mu in [q(-1, 2), q(1, 1), q(3, 2)] {
        let err = bounds::effective_learning_rate(&learning_rate, &mu).unwrap_err();
        assert!(
            matches!(&err, momentum_oracle::Error::InvalidHyperParameter { name, .. } if *name == "momentum"),
            "μ = {mu}: {err}"
        );
    }
    // And the iterates agree: after t steps on a constant gradient, the last displacement is
    // −γ b_t = −γ g(1 − μ^t)/(1 − μ), exactly γgμ^t/(1 − μ) above −γg/(1 − μ).
    let t = buffers(&q(9, 10), &[q(1, 1)], 200);
    let last = &t.steps[199];
    let prev = &t.steps[198];
    let step = last.iterate.get(0) - prev.iterate.get(0);
    let limit = -q(1, 10) / q(1, 10); // −γg/(1 − μ) = −1
    assert_eq!(step - limit, q(1, 10) * q(9, 10).pow_u(200) / q(1, 10));
}

trait PowU {
    fn pow_u(self, n: u32) -> Rational;
}
impl PowU for Rational {
    fn pow_u(self, n: u32) -> Rational {
        (0..n).fold(Rational::from(1), |acc, _| acc * &self)
    }
}

fn final_abs(spec: &str, lambda: &Rational, learning_rate: &Rational, steps: usize) -> Rational {
    let l = momentum_oracle::arith::text::format(lambda);
    let p = problem::from_spec(&format!(
        "quadratic:spectrum={l},householder=none,minimizer=0,optimum=0,x0=1"
    ))
    .unwrap();
    let opt = OptimizerConfig::from_spec(spec).unwrap();
    let options = RunOptions {
        keep_every: steps,
        ..RunOptions::default()
    };
    let t = trace::run::<Rational>(
        p.as_ref(),
        &opt,
        &Schedule::constant(learning_rate.clone()),
        None,
        steps,
        &options,
    )
    .unwrap();
    t.steps.last().unwrap().iterate.get(0).abs()
}

#[test]
fn raising_nesterov_momentum_from_0_9_to_0_99_can_diverge_and_a_tenth_of_the_step_restores_it() {
    // NAG's (PyTorch nesterov=True) stable steps on λx²/2 are 0 < γλ < 2(1+μ)/(1+2μ), which
    // *shrinks* as μ grows: 19/14 ≈ 1.357 at μ = 9/10, 199/149 ≈ 1.336 at μ = 99/100. With
    // λ = 1 and γ = 67/50 = 1.34 between them, μ = 9/10 converges and μ = 99/100 diverges; γ/10
    // is stable again. (Jury decides it; the exact runs show it: spectral radii ≈ 0.964 and
    // ≈ 1.0099, so after 1000 steps |x| < 10⁻¹⁰ and > 10³.)
    let (lambda, learning_rate) = (q(1, 1), q(67, 50));
    let (mu9, mu99) = (q(9, 10), q(99, 100));
    assert_eq!(stability::nag_step_limit(&mu9), Some(q(19, 14)));
    assert_eq!(stability::nag_step_limit(&mu99), Some(q(199, 149)));
    assert_eq!(
        CharPoly::nag(&learning_rate, &mu9).jury(),
        Stability::Stable
    );
    assert_eq!(
        CharPoly::nag(&learning_rate, &mu99).jury(),
        Stability::Unstable
    );
    assert_eq!(
        CharPoly::nag(&(learning_rate.clone() / 10u32), &mu99).jury(),
        Stability::Stable
    );
    assert!(
        final_abs(
            "pytorch:momentum=9/10,nesterov=true",
            &lambda,
            &learning_rate,
            1000
        ) < q(1, 10_000_000_000)
    );
    assert!(
        final_abs(
            "pytorch:momentum=99/100,nesterov=true",
            &lambda,
            &learning_rate,
            1000
        ) > q(1000, 1)
    );
    assert!(
        final_abs(
            "pytorch:momentum=99/100,nesterov=true",
            &lambda,
            &(learning_rate / 10u32),
            1000
        ) < q(1, 1000)
    );
}

#[test]
fn for_heavy_ball_on_quadratics_raising_momentum_never_destabilises() {
    // Heavy ball's stable region 0 < γλ < 2(1 + μ) grows with μ, so the folklore "μ = 0.99 diverges
    // where 0.9 converged" has no quadratic witness for heavy ball: every γλ = i/100 stable at 9/10
    // is stable at 99/100 (the effect in practice comes from the effective step γ/(1 − μ) on
    // non-quadratic losses and noise, not from the quadratic stability region).
    let mut stable = 0;
    for i in 1..=400 {
        let h = q(i, 100);
        if CharPoly::heavy_ball(&h, &q(9, 10)).jury() == Stability::Stable {
            stable += 1;
            assert_eq!(
                CharPoly::heavy_ball(&h, &q(99, 100)).jury(),
                Stability::Stable,
                "γλ = {h}"
            );
        }
    }
    // 0 < i/100 < 2(1 + 9/10) = 19/5: i = 1, …, 379.
    assert_eq!(stable, 379);
}

fn gaps(spec: &str, p: &dyn Problem, learning_rate: &Rational, steps: usize) -> Vec<Rational> {
    let opt = OptimizerConfig::from_spec(spec).unwrap();
    let t = trace::run::<Rational>(
        p,
        &opt,
        &Schedule::constant(learning_rate.clone()),
        None,
        steps,
        &RunOptions::default(),
    )
    .unwrap();
    t.steps.iter().map(|s| s.gap.clone().unwrap()).collect()
}

#[test]
fn nesterov_does_not_always_beat_heavy_ball() {
    // "NAG always beats momentum" is false. On λx²/2 from x₀ = 1 with γ = 1, μ = 9/10, heavy ball's
    // gap is below NAG's at step 5 for λ = 1/10 and at steps 21–23 for λ = 1/100 (found with
    // Python's fractions, independently of this crate): heavy ball's underdamped oscillation
    // crosses the minimiser while NAG, damped by its look-ahead, is still on its way.
    for (lambda, ks) in [(q(1, 10), vec![5]), (q(1, 100), vec![21, 22, 23])] {
        let l = momentum_oracle::arith::text::format(&lambda);
        let p = problem::from_spec(&format!(
            "quadratic:spectrum={l},householder=none,minimizer=0,optimum=0,x0=1"
        ))
        .unwrap();
        let hb = gaps("pytorch:momentum=9/10", p.as_ref(), &q(1, 1), 30);
        let nag = gaps(
            "pytorch:momentum=9/10,nesterov=true",
            p.as_ref(),
            &q(1, 1),
            30,
        );
        for k in ks {
            assert!(
                hb[k - 1] < nag[k - 1],
                "λ = {lambda}, k = {k}: HB {} vs NAG {}",
                hb[k - 1],
                nag[k - 1]
            );
        }
        // ... while over the whole run NAG is the better method on this problem.
        assert!(nag.iter().sum::<Rational>() < hb.iter().sum::<Rational>());
    }
}
