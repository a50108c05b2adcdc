//! Convergence rates: the upper bounds of the theory hold on every generated instance, the tight
//! bounds are attained exactly, and the measured rates of GD and Nesterov really differ.
//!
//! Exact runs compare in ℚ; runs whose constants are irrational (FISTA's t_k, OGM's θ_N) run in
//! MPFR with certified error bounds (`BoundedMpfr`), so a bound counts as violated only when it is
//! certainly exceeded. Sources of every bound are in `src/theory/bounds.rs`.

use crate::common::{q, run_constant as run};

use crate::common::problems::{convex_exact, square_condition};
use momentum_oracle::arith::bounded::BoundedMpfr;
use momentum_oracle::arith::linalg::Vector;
use momentum_oracle::arith::text as rational;
use momentum_oracle::arith::{Number, Scalar, with_mpfr_precision};
use momentum_oracle::optim::{OptimizerConfig, Schedule};
use momentum_oracle::problem::huber::{HuberProblem, Scale, huber_ogm};
use momentum_oracle::problem::lower_bound::LowerBoundProblem;
use momentum_oracle::problem::{self, Problem};
use momentum_oracle::theory::bounds;
use momentum_oracle::theory::rates;
use momentum_oracle::trace::{self, RunOptions, Trace};
use proptest::prelude::*;
use rug::Rational;
use rug::ops::Pow;

const STEPS: usize = 16;

fn l_of(p: &dyn Problem) -> Rational {
    p.smoothness().expect("convex families have L")
}

fn r2_of(p: &dyn Problem) -> Rational {
    problem::initial_distance_sq(p).expect("exact minimiser")
}

fn gaps<S: Scalar>(t: &Trace<S>) -> Vec<S> {
    t.steps
        .iter()
        .map(|s| s.gap.clone().expect("gap known"))
        .collect()
}

/// Step fractions h = j/8 of 1/L, j in 1..=8: 0 < h ≤ 1.
fn step_fraction() -> impl Strategy<Value = Rational> {
    (1i64..=8).prop_map(|j| q(j, 8))
}

/// `‖x − y‖²` in ℚ.
fn dist_sq(x: &[Rational], y: &[Rational]) -> Rational {
    x.iter().zip(y).fold(Rational::new(), |a, (u, v)| {
        let d = Rational::from(u - v);
        a + Rational::from(&d * &d)
    })
}

proptest! {
    #![proptest_config(crate::common::config("rates", 256))]

    /// Property 1. GD with step γ = h/L, 0 < h ≤ 1: `gap_k ≤ R²/(2γk)` at every k (Beck &
    /// Teboulle 2009, Thm 3.1, with L(f) replaced by 1/γ). This is `L R²/(2hk)`: for h = 1 the
    /// textbook `L R²/(2k)`; for h < 1 see `gd_bound_with_short_steps_needs_the_step`.
    #[test]
    fn gd_is_o_one_over_k_on_every_convex_family(p in convex_exact(), h in step_fraction()) {
        let step = &h / l_of(p.as_ref());
        let t = run::<Rational>(p.as_ref(), "gd", &step, STEPS);
        let r2 = r2_of(p.as_ref());
        for (k, gap) in (1..).zip(gaps(&t)) {
            let b = bounds::gd(&r2, &step, k).unwrap();
            prop_assert!(gap <= b, "k = {k}: gap {gap} > bound {b} on {}", p.spec());
        }
    }

    /// Property 2, rational variant. FISTA with β_k = (k−1)/(k+2) and step 1/L:
    /// `gap_k ≤ 2L R²/(k+1)²` exactly in ℚ (Beck & Teboulle 2009, Thm 4.4).
    #[test]
    fn nesterov_rational_momentum_is_o_one_over_k_squared(p in convex_exact()) {
        let (l, r2) = (l_of(p.as_ref()), r2_of(p.as_ref()));
        let t = run::<Rational>(p.as_ref(), "fista:momentum=rational", &l.clone().recip(), STEPS);
        for (k, gap) in (1..).zip(gaps(&t)) {
            let b = bounds::nesterov(&l, &r2, k);
            prop_assert!(gap <= b, "k = {k}: gap {gap} > 2LR²/(k+1)² = {b} on {}", p.spec());
        }
    }

    /// Property 2, t-sequence. `gap_k ≤ L R²/(2t_k²) ≤ 2L R²/(k+1)²`, certified in MPFR.
    #[test]
    fn fista_t_sequence_is_within_l_r2_over_2_t_k_squared(p in convex_exact()) {
        let (l, r2) = (l_of(p.as_ref()), r2_of(p.as_ref()));
        with_mpfr_precision(192, || {
            let t = run::<BoundedMpfr>(p.as_ref(), "fista:momentum=t-sequence", &l.clone().recip(), STEPS);
            let ts = bounds::t_sequence::<BoundedMpfr>(STEPS).unwrap();
            for (k, gap) in (1..).zip(gaps(&t)) {
                let tb = bounds::fista_t(&l, &r2, &ts[k - 1]);
                let nb = BoundedMpfr::from_rational(&bounds::nesterov(&l, &r2, k));
                prop_assert!(!gap.certainly_greater(&tb), "k = {k}: gap > LR²/(2t_k²) on {}", p.spec());
                prop_assert!(!tb.certainly_greater(&nb), "k = {k}: LR²/(2t_k²) > 2LR²/(k+1)²");
            }
            Ok(())
        })?;
    }

    /// Property 2, OGM. `gap_N ≤ L R²/(2θ_N²) ≤ L R²/(N+1)²` at the last step (Kim & Fessler 2016,
    /// Thm 2), certified in MPFR.
    #[test]
    fn ogm_is_within_l_r2_over_2_theta_n_squared(p in convex_exact(), n in 1usize..=12) {
        let (l, r2) = (l_of(p.as_ref()), r2_of(p.as_ref()));
        with_mpfr_precision(192, || {
            let t = run::<BoundedMpfr>(p.as_ref(), &format!("ogm:steps={n}"), &l.clone().recip(), n);
            let theta = bounds::ogm_theta::<BoundedMpfr>(n).unwrap();
            let b = bounds::ogm(&l, &r2, &theta[n]);
            let gap = t.steps.last().unwrap().gap.clone().unwrap();
            prop_assert!(!gap.certainly_greater(&b), "gap_N > LR²/(2θ_N²) on {}", p.spec());
            let kp1 = Rational::from(n as u64 + 1);
            let weaker = BoundedMpfr::from_rational(&(Rational::from(&l * &r2) / Rational::from(&kp1 * &kp1)));
            prop_assert!(!b.certainly_greater(&weaker), "LR²/(2θ_N²) > LR²/(N+1)²");
            Ok(())
        })?;
    }

    /// Property 3, NAG. Constant momentum β = (√κ−1)/(√κ+1), step 1/L, κ a perfect square:
    /// `gap_k ≤ (1 − 1/√κ)^k (L + m)/2 · R²` exactly (Nesterov 2004, Thm 2.2.3).
    #[test]
    fn strongly_convex_nesterov_contracts_at_one_minus_one_over_root_kappa(p in square_condition()) {
        let (l, m, r2) = (l_of(p.as_ref()), p.strong_convexity().unwrap(), r2_of(p.as_ref()));
        let kappa = Rational::from(&l / &m);
        let sk = momentum_oracle::arith::rational_sqrt(&kappa).expect("κ is a perfect square");
        let spec = format!("fista:momentum=strongly-convex,kappa={}", momentum_oracle::arith::text::format(&kappa));
        let t = run::<Rational>(p.as_ref(), &spec, &l.clone().recip(), STEPS);
        // The theorem's own form, (1 − √(m/L))^k (f(x₀) − f* + (m/2)R²), with √(m/L) taken
        // separately: it bounds the gap, and the crate's form (which replaces f(x₀) − f* by its
        // upper bound (L/2)R²) bounds it, with equality when f(x₀) − f* = (L/2)R².
        let root = momentum_oracle::arith::rational_sqrt(&Rational::from(&m / &l)).expect("m/L is a square");
        let gap0 = t.initial_gap.clone().unwrap();
        let start = gap0.clone() + Rational::from(&m * &r2) / 2u32;
        let mut theorem = start.clone();
        for (k, gap) in (1..).zip(gaps(&t)) {
            theorem *= 1 - root.clone();
            let b = bounds::nesterov_strongly_convex(&l, &m, &r2, &sk, k);
            prop_assert!(gap <= theorem, "k = {k}: {gap} > {theorem} on {}", p.spec());
            prop_assert!(theorem <= b, "k = {k}: the theorem's form {theorem} > {b}");
            if root != 1 {
                let top = gap0 == Rational::from(&l * &r2) / 2u32;
                prop_assert_eq!(theorem == b, top, "k = {}: equality exactly when f(x₀) − f* = (L/2)R²", k);
            }
        }
    }

    /// Property 3, GD. With γ ≤ 2/(m + L): `‖x_{k+1} − x*‖² ≤ (1 − 2γmL/(m + L))‖x_k − x*‖²` at
    /// every step (Nesterov 2004, Thm 2.1.15).
    #[test]
    fn gd_contracts_the_distance_per_step_on_strongly_convex_problems(p in square_condition(), j in 1i64..=8) {
        let (l, m) = (l_of(p.as_ref()), p.strong_convexity().unwrap());
        let step = Rational::from(2u32) * q(j, 8) / Rational::from(&m + &l);
        let t = run::<Rational>(p.as_ref(), "gd", &step, STEPS);
        let c = bounds::gd_strongly_convex_contraction(&m, &l, &step);
        let xs = p.minimizer().unwrap();
        let dist = |x: &[Rational]| dist_sq(x, &xs);
        let mut prev = dist(&p.initial_point());
        for s in &t.steps {
            let cur = dist(&s.iterate.to_scalars());
            let rhs = Rational::from(&c * &prev);
            prop_assert!(cur <= rhs, "step {}: {cur} > {rhs}", s.step);
            prev = cur;
        }
    }

    /// Property 3, tightness. With γ = 2/(m + L) on a quadratic whose spectrum is {m, L}, every
    /// eigen-direction scales by exactly ±(L − m)/(L + m), so the squared distance contracts by
    /// `((L − m)/(L + m))² = 1 − 4mL/(m + L)²`: the per-step bound holds with equality.
    #[test]
    fn gd_contraction_factor_is_attained_on_two_point_spectra(
        m in (1i64..=9, 1u64..=9).prop_map(|(a, b)| q(a, b)),
        gap in (0i64..=9, 1u64..=4).prop_map(|(a, b)| q(a, b)),
        ls in 0usize..=2,
        seed in 0u64..1000,
    ) {
        let l = Rational::from(&m + &gap);
        let mut spectrum = vec![rational::format(&m)];
        spectrum.extend(std::iter::repeat_n(rational::format(&l), ls + 1));
        let p = problem::from_spec(&format!("quadratic:spectrum={},seed={seed}", spectrum.join(";"))).unwrap();
        let step = Rational::from(2u32) / Rational::from(&m + &l);
        let t = run::<Rational>(p.as_ref(), "gd", &step, 4);
        let c = bounds::gd_strongly_convex_contraction(&m, &l, &step);
        let ratio = Rational::from(&l - &m) / Rational::from(&l + &m);
        prop_assert_eq!(&c, &Rational::from(&ratio * &ratio));
        let xs = p.minimizer().unwrap();
        let dist = |x: &[Rational]| dist_sq(x, &xs);
        let mut prev = dist(&p.initial_point());
        for s in &t.steps {
            let cur = dist(&s.iterate.to_scalars());
            prop_assert_eq!(&cur, &Rational::from(&c * &prev), "step {}", s.step);
            prev = cur;
        }
    }

    /// Property 5. GD with step h/L, 0 < h ≤ 1, on the Drori–Teboulle function built for N
    /// steps (c = 2Nh + 1) ends at exactly `L R²/(4Nh + 2)` (Drori & Teboulle 2014, Thm 3.2).
    #[test]
    fn gd_attains_the_tight_bound_exactly_on_the_huber_worst_case(
        l in prop_oneof![Just(q(1, 1)), Just(q(2, 1)), Just(q(3, 4))],
        r in (1i64..=6, 1u64..=3).prop_map(|(n, d)| q(n, d)),
        n in 1usize..=12,
        h in step_fraction(),
        dim in 1usize..=3,
    ) {
        let p = HuberProblem::for_gd(l.clone(), r.clone(), n, h.clone()).unwrap().with_dim(dim).unwrap();
        let t = run::<Rational>(&p, "gd", &Rational::from(&h / &l), n);
        let r2 = Rational::from(&r * &r);
        let tight = bounds::gd_tight(&l, &r2, &h, n);
        let gap = t.steps.last().unwrap().gap.clone().unwrap();
        prop_assert_eq!(&gap, &tight);
        // For h ≤ 1 the Huber term 1/(2Nh + 1) of the long-step formula is the larger one, so the
        // long-step bound is attained here too.
        prop_assert_eq!(&gap, &bounds::gd_tight_long_steps(&l, &r2, &h, n));
    }

    /// Property 5. No generated instance ever exceeds the tight bound: for 0 < h < 2,
    /// `gap_N ≤ (L R²/2)·max{1/(2Nh + 1), (1 − h)^{2N}}` (Drori & Teboulle 2014, Conj. 3.1, proved
    /// by Rotaru, Glineur & Patrinos 2024).
    #[test]
    fn gd_never_exceeds_the_tight_bound(p in convex_exact(), j in 1i64..=15, n in 1usize..=STEPS) {
        let h = q(j, 8);
        let l = l_of(p.as_ref());
        let t = run::<Rational>(p.as_ref(), "gd", &Rational::from(&h / &l), n);
        let tight = bounds::gd_tight_long_steps(&l, &r2_of(p.as_ref()), &h, n);
        let gap = t.steps.last().unwrap().gap.clone().unwrap();
        prop_assert!(gap <= tight, "gap_N {gap} > tight {tight} on {}", p.spec());
    }

    /// The `(k−1)/(k+2)` method attains its tight value on a Huber function. While every query
    /// stays in the linear region, the gradient is the constant `LR/c`, so with step 1/L the
    /// iterate moves by `(R/c)·d_k` at step k, where `d₁ = 1`, `d_k = 1 + β_{k−1}d_{k−1}`,
    /// `β_k = (k−1)/(k+2)`: `d_k = (k+2)/4` for k ≥ 2 and `S_N = Σ d_k = (N² + 5N + 2)/8`. Then
    /// `x_N = R(1 − S_N/c)` and `f(x_N) = LR²(c − S_N − 1/2)/c²`, largest at `c = 2S_N + 1 =
    /// (N² + 5N + 6)/4`, where it is `LR²/(2c) = 2LR²/(N² + 5N + 6)` and `x_N = R(S_N + 1)/c ≥ R/c`
    /// keeps every query linear. (Derived here; it matches the PEP value of Taylor, Hendrickx &
    /// Glineur 2017, §4.2.)
    #[test]
    fn nesterov_attains_its_tight_value_on_the_huber_function_with_c_from_n(
        l in prop_oneof![Just(q(1, 1)), Just(q(2, 1)), Just(q(3, 4))],
        r in (1i64..=6, 1u64..=3).prop_map(|(n, d)| q(n, d)),
        n in 1usize..=STEPS,
        dim in 1usize..=3,
    ) {
        let nn = n as u64;
        let c = Rational::from((nn * nn + 5 * nn + 6, 4u64));
        let p = HuberProblem::new(l.clone(), r.clone(), dim, Scale::Rational(c)).unwrap();
        let t = run::<Rational>(&p, "fista:momentum=rational", &l.clone().recip(), n);
        let gap = t.steps.last().unwrap().gap.clone().unwrap();
        prop_assert_eq!(gap, bounds::nesterov_tight(&l, &Rational::from(&r * &r), n));
    }

    /// The numerical PEP value of the `(k−1)/(k+2)` method, `2L R²/(N² + 5N + 6)` (Taylor,
    /// Hendrickx & Glineur, SIAM J. Optim. 27(3) (2017), Table 1: a numerical value, not a
    /// theorem), is never exceeded on the sampled instances.
    #[test]
    fn nesterov_never_exceeds_its_tight_value(p in convex_exact(), n in 1usize..=STEPS) {
        let (l, r2) = (l_of(p.as_ref()), r2_of(p.as_ref()));
        let t = run::<Rational>(p.as_ref(), "fista:momentum=rational", &l.clone().recip(), n);
        let gap = t.steps.last().unwrap().gap.clone().unwrap();
        prop_assert!(gap <= bounds::nesterov_tight(&l, &r2, n), "on {}", p.spec());
    }

    /// Property 2, OGM on its own worst case: the Huber function with c = θ_N² makes OGM attain
    /// its bound, certified to the working precision (both sides overlap at 192 bits).
    #[test]
    fn ogm_attains_its_bound_on_its_huber_worst_case(p in huber_ogm()) {
        let (l, r2) = (l_of(&p), r2_of(&p));
        let Scale::OgmThetaSquared(n) = *p.scale() else {
            unreachable!("the OGM strategy builds θ_N² scales")
        };
        with_mpfr_precision(192, || {
            let t = run::<BoundedMpfr>(&p, &format!("ogm:steps={n}"), &l.clone().recip(), n);
            let theta = bounds::ogm_theta::<BoundedMpfr>(n).unwrap();
            let b = bounds::ogm(&l, &r2, &theta[n]);
            let gap = t.steps.last().unwrap().gap.clone().unwrap();
            prop_assert!(!gap.certainly_greater(&b) && !b.certainly_greater(&gap), "gap {gap:?} vs bound {b:?}");
            Ok(())
        })?;
    }
}

#[test]
fn gd_bound_with_short_steps_needs_the_step() {
    // For h < 1 the textbook L R²/(2k) is not a bound: the exact worst case L R²/(4kh + 2) exceeds it
    // once 4kh + 2 < 2k. With h = 1/10 and k = 10: 4 + 2 = 6 < 20, so GD on the Drori–Teboulle
    // function for these (k, h) ends 20/6 times above L R²/(2k) — and still below R²/(2γk).
    let (l, r, h, k) = (q(1, 1), q(1, 1), q(1, 10), 10usize);
    let p = HuberProblem::for_gd(l.clone(), r.clone(), k, h.clone()).unwrap();
    let t = run::<Rational>(&p, "gd", &Rational::from(&h / &l), k);
    let gap = t.steps.last().unwrap().gap.clone().unwrap();
    assert_eq!(gap, q(1, 6), "L R²/(4kh + 2) = 1/(4 + 2)");
    assert!(gap > q(1, 20), "exceeds L R²/(2k) = 1/20");
    assert!(
        gap <= bounds::gd(&q(1, 1), &q(1, 10), k).unwrap(),
        "within R²/(2γk) = 1/2"
    );
}

#[test]
fn the_strongly_convex_nesterov_bound_is_the_theorems_when_x0_lies_on_the_top_eigenvector() {
    // f = ½(x₁²/4 + x₂²), x₀ = (0, 2): f(x₀) − f* = 2 = (L/2)R² with L = 1, m = 1/4, R² = 4, so
    // Nesterov's (1 − √(m/L))^k (f(x₀) − f* + (m/2)R²) = (1/2)^k (2 + 1/2) is the bound itself.
    let (l, m, r2, sk) = (q(1, 1), q(1, 4), q(4, 1), q(2, 1));
    for k in 0..12usize {
        let theorem = q(5, 2) * q(1, 2).pow(k as u32);
        assert_eq!(
            bounds::nesterov_strongly_convex(&l, &m, &r2, &sk, k),
            theorem,
            "k = {k}"
        );
    }
    let p = problem::from_spec(
        "quadratic:spectrum=1/4;1,householder=none,minimizer=0;0,optimum=0,x0=0;2",
    )
    .unwrap();
    let t = run::<Rational>(p.as_ref(), "fista:momentum=strongly-convex,kappa=4", &l, 12);
    assert_eq!(t.initial_gap, Some(q(2, 1)));
    for (k, gap) in (1..).zip(gaps(&t)) {
        assert!(
            gap <= bounds::nesterov_strongly_convex(&l, &m, &r2, &sk, k),
            "k = {k}"
        );
    }
}

#[test]
fn the_t_sequence_satisfies_its_defining_identity_and_matches_fistas_own() {
    // Beck & Teboulle (2009), eq. (4.2): t_{k+1} = (1 + √(1 + 4t_k²))/2, i.e. the positive root
    // of t² − t = t_k². Certified at 192 bits: both sides' enclosures overlap at every k.
    let n = 40;
    with_mpfr_precision(192, || {
        let ts = bounds::t_sequence::<BoundedMpfr>(n).unwrap();
        assert_eq!(ts.len(), n);
        assert!(
            !ts[0].certainly_greater(&BoundedMpfr::one())
                && !BoundedMpfr::one().certainly_greater(&ts[0])
        );
        for (k, w) in (1..).zip(ts.windows(2)) {
            let lhs = w[1].clone() * &w[1] - &w[1];
            let rhs = w[0].clone() * &w[0];
            assert!(
                !lhs.certainly_greater(&rhs) && !rhs.certainly_greater(&lhs),
                "t_{}² − t_{} ≠ t_{k}²",
                k + 1,
                k + 1
            );
        }
        // FISTA computes its t_k in src/optim/fista.rs; the bound's sequence must be the same.
        let p = problem::from_spec("quadratic:dim=2,seed=1").unwrap();
        let t = run::<BoundedMpfr>(p.as_ref(), "fista:momentum=t-sequence", &q(1, 1), n);
        for (s, tk) in t.steps.iter().zip(&ts) {
            let recorded = s.state_scalar("t").unwrap();
            assert!(
                !recorded.certainly_greater(tk) && !tk.certainly_greater(recorded),
                "step {}",
                s.step
            );
        }
    });
    // In ℚ: t₁ = 1, and t₂ = (1 + √5)/2 is refused.
    assert_eq!(bounds::t_sequence::<Rational>(1).unwrap(), [q(1, 1)]);
    assert!(matches!(
        bounds::t_sequence::<Rational>(2),
        Err(momentum_oracle::error::Error::NotRational { .. })
    ));
}

#[test]
fn the_gd_bound_refuses_a_non_positive_learning_rate_and_step_zero() {
    use momentum_oracle::error::Error;
    for step in [q(0, 1), q(-1, 10)] {
        let err = bounds::gd(&q(1, 1), &step, 3).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidHyperParameter { name, .. } if *name == "learning_rate"),
            "{err}"
        );
    }
    let err = bounds::gd(&q(1, 1), &q(1, 2), 0).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidHyperParameter { name, .. } if *name == "k"),
        "{err}"
    );
    assert_eq!(
        bounds::gd(&q(3, 1), &q(1, 2), 3).unwrap(),
        q(1, 1),
        "R²/(2γk) = 3/3"
    );
}

#[test]
fn past_the_crossover_the_quadratic_term_of_the_tight_bound_wins_and_is_attained() {
    // On f = (L/2)x², GD with step h/L gives x_N = (1 − h)^N x₀ exactly, so gap_N = (1 − h)^{2N} L R²/2.
    // For h = 15/8, N = 1: (1 − h)² = 49/64 > 1/(2h + 1) = 4/19, so this term is the tight bound.
    let p = problem::from_spec("quadratic:spectrum=2,householder=none,minimizer=0,optimum=0,x0=3")
        .unwrap();
    let (l, r2, h) = (q(2, 1), q(9, 1), q(15, 8));
    let t = run::<Rational>(p.as_ref(), "gd", &Rational::from(&h / &l), 1);
    let gap = t.steps[0].gap.clone().unwrap();
    let quadratic_term = (q(49, 64) * Rational::from(&l * &r2)) / 2u32;
    assert_eq!(gap, quadratic_term);
    assert_eq!(bounds::gd_tight_long_steps(&l, &r2, &h, 1), quadratic_term);
    assert!(quadratic_term > Rational::from(&l * &r2) / 2u32 * q(4, 19));
}

/// The window of instance sizes for the rate measurements: N = 16, 32, 64, 128.
#[test]
fn each_theorem_applies_exactly_under_its_hypotheses() {
    use momentum_oracle::theory::guarantees::Guarantee;
    // L = 4, m = 1 (κ = 4): the step hypotheses are 0 < γ ≤ 1/L = 1/4 (GD, FISTA, OGM) and
    // γ = 1/L with κ ≥ L/m (strongly convex FISTA); outside them no theorem is claimed.
    let p = problem::from_spec(
        "quadratic:spectrum=1;4,householder=none,minimizer=0;0,optimum=0,x0=1;1",
    )
    .unwrap();
    let applies_on = |p: &dyn Problem, spec: &str, learning_rate: Rational| {
        Guarantee::applicable(
            &crate::common::optimizer(spec),
            p,
            &Schedule::constant(learning_rate),
        )
    };
    let applies = |spec: &str, learning_rate: Rational| applies_on(p.as_ref(), spec, learning_rate);
    for learning_rate in [q(1, 4), q(1, 8)] {
        assert_eq!(
            applies("gd", learning_rate.clone()),
            Some(Guarantee::GradientDescent),
            "γ = {learning_rate}"
        );
        assert_eq!(
            applies("fista:momentum=rational", learning_rate.clone()),
            Some(Guarantee::NesterovRational)
        );
        assert_eq!(
            applies("fista:momentum=t-sequence", learning_rate.clone()),
            Some(Guarantee::FistaTSequence)
        );
        assert_eq!(
            applies("ogm:steps=3", learning_rate.clone()),
            Some(Guarantee::Ogm { steps: 3 })
        );
    }
    for learning_rate in [q(0, 1), q(1, 2), q(1, 1)] {
        for spec in [
            "gd",
            "fista:momentum=rational",
            "fista:momentum=t-sequence",
            "ogm:steps=3",
        ] {
            assert_eq!(
                applies(spec, learning_rate.clone()),
                None,
                "{spec} with γ = {learning_rate}"
            );
        }
    }
    let sc = |kappa: &str| format!("fista:momentum=strongly-convex,kappa={kappa}");
    assert_eq!(
        applies(&sc("4"), q(1, 4)),
        Some(Guarantee::StronglyConvex { kappa: q(4, 1) })
    );
    assert_eq!(
        applies(&sc("9"), q(1, 4)),
        Some(Guarantee::StronglyConvex { kappa: q(9, 1) }),
        "a larger κ is a valid, more cautious tuning"
    );
    assert_eq!(applies(&sc("2"), q(1, 4)), None, "κ < L/m");
    assert_eq!(
        applies(&sc("4"), q(1, 8)),
        None,
        "the theorem is for γ = 1/L"
    );
    // m ≠ 1, so that κ is compared with L/m and nothing else: L = 4, m = 2 needs κ ≥ 2.
    let m2 = problem::from_spec(
        "quadratic:spectrum=2;4,householder=none,minimizer=0;0,optimum=0,x0=1;1",
    )
    .unwrap();
    assert_eq!(
        applies_on(m2.as_ref(), &sc("2"), q(1, 4)),
        Some(Guarantee::StronglyConvex { kappa: q(2, 1) })
    );
    let convex = problem::from_spec(
        "quadratic:spectrum=0;4,householder=none,minimizer=0;0,optimum=0,x0=1;1",
    )
    .unwrap();
    assert_eq!(
        applies_on(convex.as_ref(), &sc("4"), q(1, 4)),
        None,
        "m = 0: no strongly convex theorem"
    );
    // Momentum methods without a theorem here, and schedules, get none.
    assert_eq!(applies("heavy-ball:momentum=1/2", q(1, 4)), None);
    assert_eq!(
        Guarantee::applicable(
            &crate::common::optimizer("gd"),
            p.as_ref(),
            &Schedule::from_spec("step:lr=1/4").unwrap()
        ),
        None
    );
}

const WINDOW: [usize; 4] = [16, 32, 64, 128];

/// Exact gap at step N of `spec` on the instance built for N, over `L R²` (scale-free).
fn normalized_gap_at_n(p: &dyn Problem, spec: &str, n: usize) -> Rational {
    let l = l_of(p);
    let t = trace::run::<Rational>(
        p,
        &OptimizerConfig::from_spec(spec).unwrap(),
        &Schedule::constant(l.clone().recip()),
        None,
        n,
        &RunOptions {
            keep_every: n,
            ..RunOptions::default()
        },
    )
    .unwrap();
    t.steps.last().unwrap().gap.clone().unwrap() / (l * r2_of(p))
}

#[test]
fn a_two_point_fit_is_exact_where_its_logarithms_are_and_its_window_is_inclusive() {
    use momentum_oracle::error::Error;
    // (k, gap) = (1, 1) and (2, 1/4) lie on gap = k⁻². ln 1 = 0, and ln(1/4) is −2·ln 2 in f64
    // (checked first: doubling commutes with rounding). With x = (0, ℓ), y = (0, −2ℓ), ℓ = fl(ln 2),
    // every operation of the fit is exact: x̄ = ℓ/2, ȳ = −ℓ, Sxy = 2·fl(−ℓ²/2) = −fl(ℓ²),
    // Sxx = 2·fl(ℓ²/4) = fl(ℓ²)/2, so the slope is −2 and the intercept ȳ − slope·x̄ = 0, bit for bit.
    assert_eq!(rates::ln(&q(1, 4)), Some(-2.0 * 2f64.ln()));
    let gaps = [q(1, 1), q(1, 4), q(1, 9), q(1, 16)];
    let f = rates::fit((1..).zip(&gaps).take(2), 1, 2).unwrap();
    assert_eq!(
        (f.slope, f.intercept, f.points, f.window),
        (-2.0, 0.0, 2, (1, 2))
    );
    // Both ends of the window count; nothing outside it does.
    let f = rates::fit((1..).zip(&gaps), 2, 3).unwrap();
    assert_eq!((f.points, f.window), (2, (2, 3)));
    // One point has no slope; neither has a window without positive gaps.
    for (lo, hi) in [(1, 1), (4, 4), (5, 9)] {
        assert!(
            matches!(
                rates::fit((1..).zip(&gaps), lo, hi),
                Err(Error::Unavailable { .. })
            ),
            "window [{lo}, {hi}]"
        );
    }
    let zero = [q(0, 1), q(0, 1), q(1, 4)];
    assert!(matches!(
        rates::fit((1..).zip(&zero), 1, 3),
        Err(Error::Unavailable { .. })
    ));
}

#[test]
fn each_theorems_bound_sequence_takes_its_closed_form_values() {
    use momentum_oracle::error::Error;
    use momentum_oracle::theory::guarantees::Guarantee;
    use rug::Float;
    // Strongly convex, κ = 4 (√κ = 2), L = 4, R² = 2: (1 − 1/2)^k · (L + L/κ)/2 · R² = 5/2^k.
    let strongly = |kappa: Rational| Guarantee::StronglyConvex { kappa };
    let b = strongly(q(4, 1))
        .bounds::<Rational>(&q(2, 1), &q(1, 4), &q(4, 1), 3)
        .unwrap();
    assert_eq!(b, [Some(q(5, 2)), Some(q(5, 4)), Some(q(5, 8))]);
    // κ = 2, L = 2, R² = 2: 3(1 − 1/√2)^k = 3 − 3√2/2, 9/2 − 3√2, 15/2 − 21√2/4 (expanded by hand);
    // irrational, so a typed error in ℚ and certified values in MPFR.
    assert!(matches!(
        strongly(q(2, 1)).bounds::<Rational>(&q(2, 1), &q(1, 2), &q(2, 1), 3),
        Err(Error::NotRational { .. })
    ));
    let s2 = Float::with_val(512, 2).sqrt();
    let want = [
        Float::with_val(512, 3) - s2.clone() * 3u32 / 2u32,
        Float::with_val(512, 9) / 2u32 - s2.clone() * 3u32,
        Float::with_val(512, 15) / 2u32 - s2.clone() * 21u32 / 4u32,
    ];
    with_mpfr_precision(256, || {
        let b = strongly(q(2, 1))
            .bounds::<BoundedMpfr>(&q(2, 1), &q(1, 2), &q(2, 1), 3)
            .unwrap();
        for (k, (got, want)) in b.iter().zip(&want).enumerate() {
            let got = got.as_ref().expect("a bound at every step");
            assert!(
                crate::common::within_certified_bound(&got.v, got.e, want),
                "k = {}: {got:?}",
                k + 1
            );
        }
    });
    // OGM for N = 2 bounds the last step only: R²/(2γθ₂²) with θ₁ = (1 + √5)/2 and the last
    // θ₂ = (1 + √(1 + 8θ₁²))/2 = (1 + √(13 + 4√5))/2; R² = 2, γ = 1/2 gives 2/θ₂².
    let s5 = Float::with_val(512, 5).sqrt();
    let theta2 = (Float::with_val(512, 1) + (Float::with_val(512, 13) + s5 * 4u32).sqrt()) / 2u32;
    let want = Float::with_val(512, 2) / (theta2.clone() * &theta2);
    with_mpfr_precision(256, || {
        let b = Guarantee::Ogm { steps: 2 }
            .bounds::<BoundedMpfr>(&q(2, 1), &q(1, 2), &q(2, 1), 3)
            .unwrap();
        assert!(b[0].is_none() && b[2].is_none(), "{b:?}");
        let got = b[1].as_ref().unwrap();
        assert!(
            crate::common::within_certified_bound(&got.v, got.e, &want),
            "{got:?}"
        );
    });
}

fn slope(points: &[(usize, Rational)]) -> f64 {
    rates::fit(points.iter().map(|(n, g)| (*n, g)), 1, usize::MAX)
        .unwrap()
        .slope
}

#[test]
fn gd_rate_is_one_over_k_on_its_worst_case_instances() {
    // Property 4. On the Drori–Teboulle function for N steps, gap_N/(L R²) = 1/(4N + 2) exactly. Its
    // log-log derivative −4N/(4N + 2) lies in [−1, −64/66] for N ≥ 16, and a least-squares slope is a
    // weighted mean of secant slopes, each in that range by the mean value theorem: the fitted slope
    // must be in [−1, −64/66]. Tolerance derived, not chosen.
    let points: Vec<(usize, Rational)> = WINDOW
        .iter()
        .map(|&n| {
            let p = HuberProblem::for_gd(q(1, 1), q(1, 1), n, q(1, 1)).unwrap();
            let g = normalized_gap_at_n(&p, "gd", n);
            assert_eq!(g, Rational::from(1) / Rational::from(4 * n as u64 + 2));
            (n, g)
        })
        .collect();
    let s = slope(&points);
    assert!((-1.0..=-64.0 / 66.0).contains(&s), "slope {s}");
}

#[test]
fn nesterov_rate_is_one_over_k_squared_and_the_gap_ratio_to_gd_grows() {
    // Property 4. On Nesterov's f_{2N+1}, the normalised gap g_N of the (k−1)/(k+2) method is squeezed
    // between 3/(32(N+1)²) (Thm 2.1.7) and 2/(N+1)² (Thm 4.4 of Beck–Teboulle). That band alone would
    // allow slopes far from −2 over one octave, so the test measures more: c_N = g_N·(N+1)² must rise
    // by a factor in [1, 1.1] per doubling of N (measured: 1.024, 1.016, 1.010). Fit log g_N against
    // log(N+1): a secant slope between N and 2N is −2 + ln(c_{2N}/c_N)/ln((2N+1)/(N+1)), and
    // (2N+1)/(N+1) ≥ 33/17 for N ≥ 16, so each secant — and the least-squares slope, a weighted mean
    // of them with non-negative weights — lies in [−2, −2 + ln 1.1/ln(33/17)] ≈ [−2, −1.856].
    let mut nag = Vec::new();
    let mut gd = Vec::new();
    for &n in &WINDOW {
        let p = LowerBoundProblem::for_steps(n, q(1, 1)).unwrap();
        nag.push((n, normalized_gap_at_n(&p, "fista:momentum=rational", n)));
        gd.push((n, normalized_gap_at_n(&p, "gd", n)));
        // Both methods have the Krylov property: the lower bound holds for each.
        let lb = p.theorem_2_1_7_bound(n).unwrap() / r2_of(&p);
        assert!(nag.last().unwrap().1 >= lb && gd.last().unwrap().1 >= lb);
    }
    let c: Vec<Rational> = nag
        .iter()
        .map(|(n, g)| g * Rational::from((n + 1) * (n + 1)))
        .collect();
    for w in c.windows(2) {
        let ratio = Rational::from(&w[1] / &w[0]);
        assert!(ratio >= 1 && ratio <= q(11, 10), "c_N ratio {ratio}");
    }
    let shifted = |points: &[(usize, Rational)]| -> Vec<(usize, Rational)> {
        points.iter().map(|(n, g)| (n + 1, g.clone())).collect()
    };
    let s = slope(&shifted(&nag));
    let top = -2.0 + 1.1f64.ln() / (33.0f64 / 17.0).ln();
    assert!((-2.0..=top).contains(&s), "NAG slope {s}");
    // The GD/NAG gap ratio on the same instances grows by at least 5/4 per doubling of N across the
    // window (measured 1.39, 1.41, 1.42): geometric growth in log N, i.e. without bound as far as any
    // finite window can show.
    let ratios: Vec<Rational> = gd
        .iter()
        .zip(&nag)
        .map(|((_, a), (_, b))| Rational::from(a / b))
        .collect();
    for w in ratios.windows(2) {
        assert!(
            Rational::from(&w[1] / &w[0]) >= q(5, 4),
            "GD/NAG ratio {} then {}",
            w[0],
            w[1]
        );
    }
    // The fitted slope is linear in the data, so GD's minus NAG's is the slope of log(GD/NAG): a
    // weighted mean of secants ln(r_{2N}/r_N)/ln((2N+1)/(N+1)) ≥ ln(5/4)/ln 2.
    let gd_slope = slope(&shifted(&gd));
    assert!(
        gd_slope - s >= 1.25f64.log2(),
        "GD slope {gd_slope} is not clearly slower than NAG's {s}"
    );
}

#[test]
fn the_gap_ratio_of_gd_to_nesterov_is_unbounded_on_the_huber_family() {
    // On the Drori–Teboulle function for N steps, Nesterov's method reaches the quadratic region and
    // then the minimiser exactly, while GD's gap is 1/(4N + 2) > 0: the ratio is infinite from some N
    // on (found by the run, not assumed).
    let p = HuberProblem::for_gd(q(1, 1), q(1, 1), 64, q(1, 1)).unwrap();
    let nag = normalized_gap_at_n(&p, "fista:momentum=rational", 64);
    let gd = normalized_gap_at_n(&p, "gd", 64);
    assert_eq!(gd, q(1, 258));
    assert_eq!(nag, 0);
}

/// Ghadimi, Feyzmahdavian & Johansson's range (ECC 2015, Thm 1): 0 ≤ μ < 1 and
/// 0 < γ < 2(1 − μ)/L, open at every end: at γ = 2(1 − μ)/L the second branch's denominator
/// 2(1 − μ) − γL vanishes. With L = 2, μ = 9/10 the steps are γ < 1/10; the report's γ = 1/L = 1/2
/// is outside, and μ = 1/2 at γ = 1/L sits exactly on the open end.
#[test]
fn heavy_ball_cesaro_range_is_open_at_twice_one_minus_momentum_over_l() {
    use momentum_oracle::theory::bounds::heavy_ball_cesaro_in_range as in_range;
    let l = q(2, 1);
    assert!(in_range(&q(1, 20), &l, &q(9, 10)));
    assert!(in_range(&q(99, 1000), &l, &q(9, 10)));
    assert!(!in_range(&q(1, 10), &l, &q(9, 10)));
    assert!(!in_range(&q(1, 2), &l, &q(9, 10)));
    assert!(!in_range(&q(1, 2), &l, &q(1, 2)));
    assert!(in_range(&q(1, 2), &l, &q(1, 4)));
    assert!(in_range(&q(1, 2), &l, &q(0, 1)));
    assert!(!in_range(&q(1, 1), &l, &q(0, 1)));
    assert!(!in_range(&q(0, 1), &l, &q(1, 2)));
    assert!(!in_range(&q(1, 100), &l, &q(1, 1)));
    assert!(!in_range(&q(1, 100), &l, &q(-1, 10)));
    // Out of range, the bound refuses rather than returning a meaningless (negative) number.
    let e = bounds::heavy_ball_cesaro(&q(1, 2), &q(1, 2), &l, &q(1, 1), &q(1, 1), 3).unwrap_err();
    assert!(e.to_string().contains("2(1 − μ)"), "{e}");
}

/// The two branches of GFJ's bound meet at γL = 1 − μ: (μ/(1−μ)·Δ₀ + (1−μ)R²/(2γ))/(T+1) with
/// γ = (1−μ)/L is (μ/(1−μ)·Δ₀ + LR²/2)/(T+1), and the second branch there has 2(1−μ) − γL = 1 − μ
/// and (μΔ₀ + (1−μ)L R²/2)/((T+1)(1−μ)), the same number. Worked by hand for μ = 1/4, L = 2,
/// R² = 3, Δ₀ = 1, T = 4: (1/3 + 3)/5 = 2/3.
#[test]
fn heavy_ball_cesaro_branches_meet_at_one_minus_momentum() {
    let (l, mu, r2, d0) = (q(2, 1), q(1, 4), q(3, 1), q(1, 1));
    let at =
        |num: i64, den: u64| bounds::heavy_ball_cesaro(&q(num, den), &mu, &l, &r2, &d0, 4).unwrap();
    assert_eq!(at(3, 8), q(2, 3));
    // Just either side: continuous, and increasing in γL past the meeting point (the
    // denominator 2(1−μ) − γL shrinks). By hand at γ = 1/2 (γL = 1): (1/4 + (9/16)·3)/(5·(1/2)) = 31/40.
    assert_eq!(at(1, 2), q(31, 40));
    assert!(at(3, 8) < at(1, 2));
}

/// GFJ 2015, Thm 1, checked on a run in arithmetic `S`: heavy ball with 0 ≤ μ < 1 and
/// 0 < γL < 2(1 − μ) on a convex L-smooth problem; `f(x̄_T) − f*` is never certainly above the
/// bound, at every T = 0…STEPS (STEPS + 1 comparisons, asserted).
fn cesaro_bound_holds<S: momentum_oracle::problem::Evaluate>(
    p: &dyn Problem,
    learning_rate: &Rational,
    momentum: &Rational,
) -> Result<(), TestCaseError> {
    use momentum_oracle::theory::cesaro;
    let spec = format!("heavy-ball:momentum={}", rational::format(momentum));
    let t = run::<S>(p, &spec, learning_rate, STEPS);
    let checked = cesaro::check(p, &t, learning_rate, momentum).unwrap();
    prop_assert_eq!(checked.len(), STEPS + 1);
    for c in &checked {
        prop_assert!(
            !c.violated(),
            "T = {}: f(x̄_T) − f* = {:?} > {:?} (γ = {}, μ = {}) on {}",
            c.steps,
            c.gap,
            c.bound,
            rational::format(learning_rate),
            rational::format(momentum),
            p.spec()
        );
    }
    Ok(())
}

/// (μ, γL/(2(1 − μ))): μ = j/8 in [0, 7/8], the step a fraction i/16 in (0, 1) of the range's open
/// end 2(1 − μ)/L, so both branches (i ≤ 8: γL ≤ 1 − μ) are drawn.
fn cesaro_parameters() -> impl Strategy<Value = (Rational, Rational)> {
    (0i64..=7, 1i64..=15).prop_map(|(j, i)| (q(j, 8), q(i, 16)))
}

proptest! {
    #![proptest_config(crate::common::config("rates", 96))]

    /// GFJ 2015, Thm 1, in ℚ: the bound holds exactly on every convex family.
    #[test]
    fn heavy_ball_cesaro_average_is_within_gfj_bound_exactly(
        p in convex_exact(),
        (mu, frac) in cesaro_parameters(),
    ) {
        let l = l_of(p.as_ref());
        let step = 2u32 * (1 - mu.clone()) * frac / l;
        cesaro_bound_holds::<Rational>(p.as_ref(), &step, &mu)?;
    }

    /// GFJ 2015, Thm 1, the same property certified in MPFR (the average and its gap as
    /// enclosures).
    #[test]
    fn heavy_ball_cesaro_average_is_within_gfj_bound_in_certified_mpfr(
        p in convex_exact(),
        (mu, frac) in cesaro_parameters(),
    ) {
        let l = l_of(p.as_ref());
        let step = 2u32 * (1 - mu.clone()) * frac / l;
        with_mpfr_precision(128, || cesaro_bound_holds::<BoundedMpfr>(p.as_ref(), &step, &mu))?;
    }
}

/// The check can fail, on an instance derived by hand. f = x²/2 (L = 1, x* = 0, f* = 0), x₀ = 1,
/// so R² = 1 and Δ₀ = 1/2.
///
/// * μ = 0, γ = 1 (first branch): at T = 0 the bound is (1 − μ)R²/(2γ) = 1/2 = Δ₀, attained
///   exactly; a planted constant 999/1000 of it fails at T = 0.
/// * μ = 1/2, γ = 1/2 (γL = 1 − μ): x₁ = x₀ − γx₀ = 1/2, x̄₁ = 3/4, f(x̄₁) = 9/32. GFJ's bound at
///   T = 1 is (Δ₀ + 1/2)/2 = 1/2 and holds; dropping its Δ₀ term, (1 − μ)R²/(2γ(T + 1)) = 1/4 =
///   8/32 < 9/32 fails at T = 1 (and not at T = 0, where it is 1/2 = Δ₀).
#[test]
fn heavy_ball_cesaro_check_fails_on_a_planted_constant_and_on_a_dropped_term() {
    use momentum_oracle::theory::cesaro;
    let p = problem::from_spec("quadratic:spectrum=1,householder=none,minimizer=0,optimum=0,x0=1")
        .unwrap();
    // μ = 0, γ = 1: tight at T = 0.
    let t = run::<Rational>(p.as_ref(), "heavy-ball:momentum=0", &q(1, 1), 4);
    let gfj = cesaro::check(p.as_ref(), &t, &q(1, 1), &q(0, 1)).unwrap();
    assert_eq!(gfj.len(), 5);
    assert_eq!(
        (gfj[0].gap.clone(), gfj[0].bound.clone()),
        (q(1, 2), q(1, 2))
    );
    assert!(gfj.iter().all(|c| !c.violated()));
    let planted = cesaro::check_against(p.as_ref(), &t, |steps| {
        Ok(
            bounds::heavy_ball_cesaro(&q(1, 1), &q(0, 1), &q(1, 1), &q(1, 1), &q(1, 2), steps)?
                * q(999, 1000),
        )
    })
    .unwrap();
    let failed: Vec<usize> = planted
        .iter()
        .filter(|c| c.violated())
        .map(|c| c.steps)
        .collect();
    assert_eq!(failed.first(), Some(&0));
    // μ = 1/2, γ = 1/2.
    let (mu, lr) = (q(1, 2), q(1, 2));
    let t = run::<Rational>(p.as_ref(), "heavy-ball:momentum=1/2", &lr, 4);
    let gfj = cesaro::check(p.as_ref(), &t, &lr, &mu).unwrap();
    assert_eq!(
        (gfj[1].gap.clone(), gfj[1].bound.clone()),
        (q(9, 32), q(1, 2))
    );
    assert!(gfj.iter().all(|c| !c.violated()));
    let dropped = cesaro::check_against(p.as_ref(), &t, |steps| {
        bounds::heavy_ball_cesaro(&lr, &mu, &q(1, 1), &q(1, 1), &q(0, 1), steps)
    })
    .unwrap();
    assert_eq!(dropped[1].bound, q(1, 4));
    let failed: Vec<usize> = dropped
        .iter()
        .filter(|c| c.violated())
        .map(|c| c.steps)
        .collect();
    assert_eq!(failed.first(), Some(&1));
}
