//! Properties 8 and 9: stability of heavy ball and NAG on quadratics, decided exactly, against
//! the iterations themselves; Polyak's optimal tuning; and heavy ball's 3-cycle on the
//! Lessard–Recht–Packard function.

use crate::common::q;

use momentum_oracle::arith::bounded::BoundedMpfr;
use momentum_oracle::arith::linalg::{QVec, Vector};
use momentum_oracle::arith::{Number, Rounding};
use momentum_oracle::optim::heavy_ball::{HeavyBall, HeavyBallState};
use momentum_oracle::optim::nag::{Nag, NagPc, NagPcState, NagState};
use momentum_oracle::optim::{Optimizer, Query, StepContext};
use momentum_oracle::problem::lrp::LrpProblem;
use momentum_oracle::problem::{self, Oracle, Problem};
use momentum_oracle::theory::stability::{self, CharPoly, OptimalHeavyBall, Stability};
use proptest::prelude::*;
use rug::Rational;

/// The 1-d quadratic `λx²/2` (x* = 0, f* = 0) as a problem.
fn one_d(lambda: &Rational) -> Box<dyn Problem> {
    let l = momentum_oracle::arith::text::format(lambda);
    problem::from_spec(&format!(
        "quadratic:spectrum={l},householder=none,minimizer=0,optimum=0,x0=1"
    ))
    .unwrap()
}

fn ctx<'a>(k: usize, learning_rate: &'a Rational) -> StepContext<'a, Rational> {
    StepContext {
        step: k,
        learning_rate: learning_rate,
        exact_learning_rate: Some(learning_rate).into(),
        rounding: Rounding::Naive,
        record: true,
    }
}

fn v1(x: &Rational) -> QVec {
    QVec::from_scalars(std::slice::from_ref(x))
}

/// `n` iterates of `opt` on `λx²/2` from `state`, reading the iterate with `params`.
fn iterates<O: Optimizer<Rational>>(
    opt: &O,
    mut state: O::State,
    params: fn(&O::State) -> Rational,
    lambda: &Rational,
    learning_rate: &Rational,
    n: usize,
) -> Vec<Rational> {
    let p = one_d(lambda);
    let mut oracle = p.exact_oracle().unwrap();
    let mut xs = vec![params(&state)];
    for k in 1..=n {
        opt.step(
            &mut state,
            &ctx(k, learning_rate),
            oracle.as_mut(),
            &mut Query::empty(),
        )
        .unwrap();
        xs.push(params(&state));
    }
    xs
}

/// `n` iterates of the crate's heavy-ball optimizer on `λx²/2` from `(x₀, x₋₁)`.
fn heavy_ball_iterates(
    lambda: &Rational,
    learning_rate: &Rational,
    mu: &Rational,
    x0: &Rational,
    x_prev: &Rational,
    n: usize,
) -> Vec<Rational> {
    let state = HeavyBallState {
        params: v1(x0),
        previous: v1(x_prev),
    };
    let opt = HeavyBall::new(mu.clone()).unwrap();
    iterates(&opt, state, |s| s.params.get(0), lambda, learning_rate, n)
}

/// `n` iterates of the crate's predictor-corrector NAG on `λx²/2` from `(x₀, x₋₁)`.
fn nag_iterates(
    lambda: &Rational,
    learning_rate: &Rational,
    mu: &Rational,
    x0: &Rational,
    x_prev: &Rational,
    n: usize,
) -> Vec<Rational> {
    let state = NagPcState {
        params: v1(x0),
        previous: v1(x_prev),
    };
    let opt = NagPc::new(mu.clone()).unwrap();
    iterates(&opt, state, |s| s.params.get(0), lambda, learning_rate, n)
}

/// 2×2 rational matrices, row-major.
type M2 = [Rational; 4];

fn mul(a: &M2, b: &M2) -> M2 {
    let e = |i: usize, j: usize| {
        Rational::from(&a[2 * i] * &b[j]) + Rational::from(&a[2 * i + 1] * &b[2 + j])
    };
    [e(0, 0), e(0, 1), e(1, 0), e(1, 1)]
}

/// Decides contraction or growth of `x_{k+1} = −a₁x_k − a₀x_{k−1}` from its companion matrix M
/// alone, by repeated squaring, with certificates that need no root: `‖Mⁿ‖_∞ < 1` proves ρ(M) < 1
/// (a consistent norm bounds the spectral radius from above: ρ(M)ⁿ = ρ(Mⁿ) ≤ ‖Mⁿ‖); `|tr Mⁿ| > 2`
/// or `|det Mⁿ| > 1` proves ρ(M) > 1 (`|z₁ⁿ + z₂ⁿ| ≤ 2ρⁿ`, `|z₁z₂|ⁿ ≤ ρ²ⁿ`). `None` if neither
/// certificate appears by n = 2^16 (then ρ is near 1 and a certified MPFR ρ decides).
fn simulate(p: &CharPoly) -> Option<Stability> {
    let mut m: M2 = [
        -p.a1.clone(),
        -p.a0.clone(),
        Rational::from(1),
        Rational::new(),
    ];
    for _ in 0..=16 {
        let norm =
            (m[0].clone().abs() + m[1].clone().abs()).max(m[2].clone().abs() + m[3].clone().abs());
        if norm < 1 {
            return Some(Stability::Stable);
        }
        let tr = Rational::from(&m[0] + &m[3]).abs();
        let det = (Rational::from(&m[0] * &m[3]) - Rational::from(&m[1] * &m[2])).abs();
        if tr > 2 || det > 1 {
            return Some(Stability::Unstable);
        }
        m = mul(&m, &m);
    }
    None
}

/// The classification from simulation must agree with Jury's, and both with the closed form.
fn agree(h: &Rational, mu: &Rational) -> Result<(), String> {
    for (name, poly, closed) in [
        (
            "heavy ball",
            CharPoly::heavy_ball(h, mu),
            Some(stability::heavy_ball_stable(h, mu)),
        ),
        // NAG's closed form is stated for 0 ≤ μ < 1 only.
        ("NAG", CharPoly::nag(h, mu), stability::nag_stable(h, mu)),
    ] {
        let jury = poly.jury();
        if let Some(closed) = closed
            && (jury == Stability::Stable) != closed
        {
            return Err(format!(
                "{name} at (γλ, μ) = ({h}, {mu}): Jury {jury:?}, closed form {closed}"
            ));
        }
        if jury != Stability::Marginal {
            match simulate(&poly) {
                Some(s) if s != jury => {
                    return Err(format!(
                        "{name} at ({h}, {mu}): Jury {jury:?}, simulation {s:?}"
                    ));
                }
                Some(_) => {}
                None => {
                    // Undecided by n = 2^16 (ρ is then close to 1): a certified MPFR spectral
                    // radius must put ρ on Jury's side of 1.
                    let decided = momentum_oracle::arith::with_mpfr_precision(256, || {
                        let rho = poly.spectral_radius::<BoundedMpfr>().unwrap();
                        let one = BoundedMpfr::one();
                        match jury {
                            Stability::Stable => one.certainly_greater(&rho),
                            _ => rho.certainly_greater(&one),
                        }
                    });
                    if !decided {
                        return Err(format!(
                            "{name} at ({h}, {mu}): Jury {jury:?}, certified ρ disagrees or is undecided"
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

#[test]
fn characteristic_polynomials_are_those_of_the_crates_iterations() {
    // x_{k+1} + a₁x_k + a₀x_{k−1} = 0 along the actual optimizer iterates, exactly, for a grid of
    // (λ, γ, μ) — this ties the polynomials (and all the stability results) to the code that runs.
    for (lambda, learning_rate, mu) in [
        (q(1, 1), q(1, 2), q(9, 10)),
        (q(3, 1), q(1, 2), q(1, 3)),
        (q(1, 10), q(2, 1), q(1, 2)),
        (q(5, 2), q(3, 4), q(7, 8)),
    ] {
        let h = Rational::from(&lambda * &learning_rate);
        for (xs, poly) in [
            (
                heavy_ball_iterates(&lambda, &learning_rate, &mu, &q(3, 1), &q(2, 1), 12),
                CharPoly::heavy_ball(&h, &mu),
            ),
            (
                nag_iterates(&lambda, &learning_rate, &mu, &q(3, 1), &q(2, 1), 12),
                CharPoly::nag(&h, &mu),
            ),
        ] {
            for w in xs.windows(3) {
                let r =
                    (&w[2] + Rational::from(&poly.a1 * &w[1])) + Rational::from(&poly.a0 * &w[0]);
                assert_eq!(r, 0, "λ = {lambda}, γ = {learning_rate}, μ = {mu}");
            }
        }
    }
}

#[test]
fn jury_simulation_and_closed_forms_agree_on_a_grid() {
    // γλ = i/16 for i in 0..=72 (through HB's largest limit 4), μ = j/16 for j in −15..=15.
    for i in 0..=72 {
        for j in -15..=15 {
            agree(&q(i, 16), &q(j, 16)).unwrap();
        }
    }
}

proptest! {
    #![proptest_config(crate::common::config("stability", 256))]

    #[test]
    fn jury_simulation_and_closed_forms_agree_at_random_points(
        h in (0i64..=4000, 1u64..=1000).prop_map(|(n, d)| q(n, d)),
        mu in (-999i64..=999).prop_map(|n| q(n, 1000)),
    ) {
        if let Err(why) = agree(&h, &mu) {
            prop_assert!(false, "{why}");
        }
    }

    /// NAG's velocity update on λx²/2 is `v' = μ(1 − γλ)v − γλθ` (the look-ahead multiplies the
    /// inherited velocity by μ(1 − γλ)); classical momentum (Sutskever/Keras) gives `μv − γλθ`.
    #[test]
    fn nag_multiplies_the_inherited_velocity_by_mu_one_minus_gamma_lambda(
        lambda in (1i64..=40, 1u64..=8).prop_map(|(n, d)| q(n, d)),
        learning_rate in (1i64..=8, 1u64..=8).prop_map(|(n, d)| q(n, d)),
        mu in (0i64..=15).prop_map(|n| q(n, 16)),
        theta in (-8i64..=8).prop_map(|n| q(n, 3)),
        v in (-8i64..=8).prop_map(|n| q(n, 5)),
    ) {
        let h = Rational::from(&lambda * &learning_rate);
        let p = one_d(&lambda);
        let mut oracle = p.exact_oracle().unwrap();
        let nag = Nag::new(mu.clone()).unwrap();
        let mut state = NagState::from_velocity::<Rational>(v1(&theta), v1(&v));
        Optimizer::<Rational>::step(&nag, &mut state, &ctx(2, &learning_rate), oracle.as_mut(), &mut Query::empty()).unwrap();
        let factor = momentum_oracle::identities::nag_velocity_factor(&mu, &learning_rate, &lambda);
        prop_assert_eq!(state.velocity::<Rational>().get(0), Rational::from(&factor * &v) - Rational::from(&h * &theta));
        let mut keras_state = momentum_oracle::optim::keras::KerasState::<Rational> {
            params: v1(&theta),
            velocity: Some(v1(&v)),
            applied_learning_rate: Some(learning_rate.clone()),
        };
        let keras = momentum_oracle::optim::keras::KerasSgd::momentum(mu.clone()).unwrap();
        Optimizer::<Rational>::step(&keras, &mut keras_state, &ctx(2, &learning_rate), oracle.as_mut(), &mut Query::empty()).unwrap();
        prop_assert_eq!(keras_state.velocity.unwrap().get(0), Rational::from(&mu * &v) - Rational::from(&h * &theta));
        // The sign flip: past γλ = 1 the inherited velocity is reversed.
        prop_assert_eq!(factor < 0, mu > 0 && h > 1);
    }
}

#[test]
fn optimal_heavy_ball_has_rate_root_kappa_minus_one_over_plus_one_with_double_roots_at_the_ends() {
    // L = 1, m = 1/j²: √κ = j, γ = 4/(√L + √m)², μ = ((√κ−1)/(√κ+1))², ρ = (j−1)/(j+1) (Polyak 1987).
    for j in 2i64..=7 {
        let (sqrt_m, sqrt_l) = (q(1, j as u64), q(1, 1));
        let (m, l) = (Rational::from(&sqrt_m * &sqrt_m), q(1, 1));
        let t = OptimalHeavyBall::new(&sqrt_m, &sqrt_l).unwrap();
        assert_eq!(t.rate, q(j - 1, (j + 1) as u64));
        assert_eq!(t.momentum, Rational::from(&t.rate * &t.rate));
        // Double roots at both ends: ρ at λ = m, −ρ at λ = L.
        for (lambda, root) in [(m.clone(), t.rate.clone()), (l.clone(), -t.rate.clone())] {
            let poly = CharPoly::heavy_ball(&Rational::from(&t.step * &lambda), &t.momentum);
            assert_eq!(poly.discriminant(), 0);
            assert_eq!(poly.eval(&root), 0);
        }
        // Inside the spectrum the roots are complex with modulus √μ = ρ: discriminant < 0.
        for i in 1..16 {
            let lambda = &m + Rational::from(&l - &m) * q(i, 16);
            let poly = CharPoly::heavy_ball(&Rational::from(&t.step * &lambda), &t.momentum);
            assert!(poly.discriminant() < 0);
        }
        // The (c₁ + c₂k)ρ^k envelope at the spectrum's ends, exactly, along the crate's iterates.
        for (lambda, root) in [(m.clone(), t.rate.clone()), (l.clone(), -t.rate.clone())] {
            let xs = heavy_ball_iterates(&lambda, &t.step, &t.momentum, &q(1, 1), &q(1, 1), 40);
            // x₀ = c₁, x₁ = (c₁ + c₂)·root.
            let c1 = xs[0].clone();
            let c2 = Rational::from(&xs[1] / &root) - &c1;
            let mut power = Rational::from(1);
            for (k, x) in xs.iter().enumerate() {
                assert_eq!(
                    *x,
                    (&c1 + (&c2 * Rational::from(k as u64))) * &power,
                    "j = {j}, k = {k}"
                );
                power *= &root;
            }
        }
    }
}

#[test]
fn heavy_ball_cycles_exactly_on_the_lessard_recht_packard_function_while_nag_converges() {
    // Lessard, Recht & Packard (2016), §4.6: L = 25, m = 1. Heavy ball with its optimal tuning on
    // quadratics (Polyak: γ = 4/(√L + √m)² = 1/9, μ = ((√κ−1)/(√κ+1))² = 4/9) has the 3-cycle
    // {792, −2208, 2592}/1225, visited 792 → −2208 → 2592 (checked independently with Python's
    // fractions).
    let p = LrpProblem::new(q(1, 1), q(25, 1), q(3, 1)).unwrap();
    let (learning_rate, mu) = (q(1, 9), q(4, 9));
    let cycle = [q(792, 1225), q(-2208, 1225), q(2592, 1225)];
    let mut oracle = p.exact_oracle().unwrap();
    let hb = HeavyBall::new(mu.clone()).unwrap();
    let mut state = HeavyBallState {
        params: v1(&cycle[0]),
        previous: v1(&cycle[2]),
    };
    for k in 1..=30 {
        Optimizer::<Rational>::step(
            &hb,
            &mut state,
            &ctx(k, &learning_rate),
            oracle.as_mut(),
            &mut Query::empty(),
        )
        .unwrap();
        assert_eq!(state.params.get(0), cycle[k % 3], "step {k}");
    }
    let start_gap = oracle.gap(&v1(&cycle[0])).unwrap().unwrap();
    assert!(start_gap > 0, "the cycle is not the minimiser");
    // Nesterov's method with *its* standard tuning (γ = 1/L = 1/25, β = (√κ−1)/(√κ+1) = 2/3) from
    // the same state converges at the guaranteed rate: its potential Φ_k = gap_k + (m/2)(v_k)²,
    // v_k = x_{k−1} + √κ(x_k − x_{k−1}), contracts by 1 − 1/√κ = 4/5 at every step (checked exactly),
    // so gap_k ≤ (4/5)^k Φ_0.
    let nag = NagPc::new(q(2, 3)).unwrap();
    let nag_lr = q(1, 25);
    let mut s = NagPcState {
        params: v1(&cycle[0]),
        previous: v1(&cycle[2]),
    };
    let phi = |x: &Rational, x_prev: &Rational, oracle: &mut Box<dyn Oracle<Rational> + '_>| {
        let v = x_prev + 5u32 * Rational::from(x - x_prev);
        oracle.gap(&v1(x)).unwrap().unwrap() + Rational::from(&v * &v) / 2u32
    };
    let mut prev_phi = phi(&cycle[0], &cycle[2], &mut oracle);
    for k in 1..=60 {
        Optimizer::<Rational>::step(
            &nag,
            &mut s,
            &ctx(k, &nag_lr),
            oracle.as_mut(),
            &mut Query::empty(),
        )
        .unwrap();
        let cur = phi(&s.params.get(0), &s.previous.get(0), &mut oracle);
        assert!(cur <= (&prev_phi * q(4, 5)), "step {k}");
        prev_phi = cur;
    }
    // With heavy ball's tuning instead, NAG is not even stable on the quadratic piece 25x²/2:
    // γλ = 25/9 exceeds NAG's limit 2(1 + μ)/(1 + 2μ) = 26/17 (Jury agrees).
    let h = &learning_rate * q(25, 1);
    assert_eq!(stability::nag_step_limit(&mu), Some(q(26, 17)));
    assert_eq!(CharPoly::nag(&h, &mu).jury(), Stability::Unstable);
}

#[test]
fn nag_without_momentum_has_gradient_descents_step_limit_and_momentum_one_has_none() {
    // μ = 0: NAG is GD, x_{k+1} = (1 − h)x_k, stable iff |1 − h| < 1 iff 0 < h < 2.
    assert_eq!(stability::nag_step_limit(&q(0, 1)), Some(q(2, 1)));
    assert_eq!(stability::nag_stable(&q(199, 100), &q(0, 1)), Some(true));
    assert_eq!(stability::nag_stable(&q(2, 1), &q(0, 1)), Some(false));
    // Outside 0 ≤ μ < 1 the closed form does not apply.
    assert_eq!(stability::nag_step_limit(&q(1, 1)), None);
    assert_eq!(stability::nag_step_limit(&q(-1, 100)), None);
}

#[test]
fn jury_classifies_the_boundary_of_the_heavy_ball_region_as_marginal() {
    // Heavy ball's z² − (1 + μ − h)z + μ has p(1) = h, p(−1) = 2(1 + μ) − h and a₀ = μ: the
    // region's edges are h = 0 (root 1), h = 2(1 + μ) (root −1) and μ = 1 (roots on the circle).
    let r = q;
    let class = |h: Rational, mu: Rational| CharPoly::heavy_ball(&h, &mu).jury();
    assert_eq!(class(r(1, 1), r(1, 2)), Stability::Stable);
    assert_eq!(class(r(0, 1), r(1, 2)), Stability::Marginal, "p(1) = 0");
    assert_eq!(class(r(3, 1), r(1, 2)), Stability::Marginal, "p(−1) = 0");
    assert_eq!(class(r(1, 1), r(1, 1)), Stability::Marginal, "a₀ = 1");
    assert_eq!(class(r(-1, 100), r(1, 2)), Stability::Unstable, "p(1) < 0");
    assert_eq!(
        class(r(301, 100), r(1, 2)),
        Stability::Unstable,
        "p(−1) < 0"
    );
    assert_eq!(class(r(1, 1), r(11, 10)), Stability::Unstable, "a₀ > 1");
    // Polyak's closed form says "stable" exactly in the open region.
    assert!(stability::heavy_ball_stable(&r(1, 1), &r(1, 2)));
    for (h, mu) in [(r(0, 1), r(1, 2)), (r(3, 1), r(1, 2)), (r(1, 1), r(1, 1))] {
        assert!(!stability::heavy_ball_stable(&h, &mu), "h = {h}, μ = {mu}");
    }
    // And the roots agree: at h = 0, μ = 1/2 they are 1 and 1/2; at h = 3 they are −1 and −1/2.
    assert_eq!(CharPoly::heavy_ball(&r(0, 1), &r(1, 2)).eval(&r(1, 1)), 0);
    assert_eq!(CharPoly::heavy_ball(&r(3, 1), &r(1, 2)).eval(&r(-1, 1)), 0);
}

/// ρ of `z² + a₁z + a₀` by hand: a complex pair has |z|² = a₀; real roots are read off their sum
/// and product. The upper bound equals ρ where ρ and the discriminant's root are dyadic, and lies
/// within 2⁻¹²⁰ relative above an irrational ρ.
#[test]
fn spectral_radius_upper_is_never_below_the_radius_and_exact_where_the_roots_are_dyadic() {
    // Heavy ball, h = 1, μ = 1/4: z² − z/4 + 1/4, complex, ρ = √(1/4) = 1/2.
    assert_eq!(
        CharPoly::heavy_ball(&q(1, 1), &q(1, 4)).spectral_radius_upper(),
        q(1, 2)
    );
    // Heavy ball, h = 3/8, μ = 1/8: z² − 3z/4 + 1/8 = (z − 1/2)(z − 1/4), ρ = 1/2.
    assert_eq!(
        CharPoly::heavy_ball(&q(3, 8), &q(1, 8)).spectral_radius_upper(),
        q(1, 2)
    );
    // Heavy ball, h = 1, μ = 1/2: z² − z/2 + 1/2, complex, ρ = √(1/2), irrational.
    let up = CharPoly::heavy_ball(&q(1, 1), &q(1, 2)).spectral_radius_upper();
    let sq = Rational::from(&up * &up);
    assert!(sq >= q(1, 2));
    assert!(sq <= q(1, 2) * (Rational::from(1) + Rational::from((1, 1u128 << 120))));
}

/// The envelope `(kρ^{k−1}√g₁ + (k − 1)ρ^k√g₀)²` at hand-computed points.
#[test]
fn momentum_gap_envelope_matches_its_formula_by_hand() {
    let (g0, g1, rho) = (q(1, 1), q(1, 4), q(1, 2));
    assert_eq!(stability::momentum_gap_envelope(0, &rho, &g0, &g1), g0);
    assert_eq!(stability::momentum_gap_envelope(1, &rho, &g0, &g1), g1);
    // (2·½·½ + 1·¼·1)² = (3/4)².
    assert_eq!(
        stability::momentum_gap_envelope(2, &rho, &g0, &g1),
        q(9, 16)
    );
}

/// Heavy ball on `x²/2` with h = 3/8, μ = 1/8 (roots 1/2 and 1/4): the scalar recurrence
/// `s_{k+1} = (3/4)s_k − s_{k−1}/8`, `s₋₁ = s₀ = 1`, gives s = 1, 5/8, 11/32, 23/128, …, and
/// gap_k = s_k²/2. The envelope with the true ρ = 1/2 holds at every step; with ρ understated
/// as 1/4 it fails first at step 3: (3·(1/4)²·(5/8) + 2·(1/4)³)²/2 = (19/128)²/2 < (23/128)²/2
/// (at step 2 it still holds: (6/16)²/2 = 9/128 > 121/2048).
#[test]
fn momentum_gap_envelope_holds_at_the_true_spectral_radius_and_fails_below_it() {
    let (h, mu) = (q(3, 8), q(1, 8));
    let rho = CharPoly::heavy_ball(&h, &mu).spectral_radius_upper();
    assert_eq!(rho, q(1, 2));
    let mut s = vec![q(1, 1)];
    let mut prev = q(1, 1);
    for _ in 0..40 {
        let cur = s.last().unwrap().clone();
        let next = (1 + mu.clone() - &h) * &cur - Rational::from(&mu * &prev);
        prev = cur;
        s.push(next);
    }
    assert_eq!(s[1..4], [q(5, 8), q(11, 32), q(23, 128)]);
    let gaps: Vec<Rational> = s.iter().map(|x| Rational::from(x * x) / 2u32).collect();
    let first_violation = |rho: &Rational| {
        (0..gaps.len())
            .find(|&k| gaps[k] > stability::momentum_gap_envelope(k, rho, &gaps[0], &gaps[1]))
    };
    assert_eq!(first_violation(&rho), None);
    assert_eq!(first_violation(&q(1, 4)), Some(3));
}
