//! Shared test configuration.
//!
//! proptest's default failure persistence looks for `lib.rs` next to the test source, which
//! integration tests do not have; every suite therefore names its file under
//! `proptest-regressions/` explicitly, so shrunk counterexamples are committed in one place.

#![allow(dead_code)] // each test binary uses the part it needs

use proptest::test_runner::{Config, FileFailurePersistence};

/// A proptest config with `cases` cases that persists failures in
/// `proptest-regressions/<suite>.txt`.
pub fn config(suite: &'static str, cases: u32) -> Config {
    let path: &'static str =
        Box::leak(format!("proptest-regressions/{suite}.txt").into_boxed_str());
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(path))),
        ..Config::default()
    }
}

/// Exact convex problem instances from every convex family with rational data, as shared trait
/// objects (proptest values must be `Clone`).
pub mod problems {
    use std::sync::Arc;

    use momentum_oracle::problem::Problem;
    use momentum_oracle::problem::huber::huber;
    use momentum_oracle::problem::least_squares::least_squares;
    use momentum_oracle::problem::lower_bound::lower_bound;
    use momentum_oracle::problem::lrp::{LrpProblem, lrp};
    use momentum_oracle::problem::quadratic::{Curvature, QuadraticParams, quadratic};
    use proptest::prelude::*;
    use rug::Rational;

    /// A problem behind a shared pointer.
    pub type Shared = Arc<dyn Problem>;

    fn share<P: Problem + 'static>(p: P) -> Shared {
        Arc::new(p)
    }

    /// Every convex family with exact data and an exact minimiser: quadratic (convex and strongly
    /// convex), Nesterov's lower-bound function, the Huber worst case (rational c), least squares
    /// and the Lessard–Recht–Packard function.
    pub fn convex_exact() -> BoxedStrategy<Shared> {
        prop_oneof![
            quadratic(QuadraticParams {
                dim: (1, 4),
                ..QuadraticParams::default()
            })
            .prop_map(share),
            lower_bound(6).prop_map(share),
            huber().prop_map(share),
            least_squares().prop_map(share),
            lrp().prop_map(share),
        ]
        .boxed()
    }

    /// Strongly convex instances whose condition number κ = L/m is a perfect square (so √κ is
    /// rational): quadratics with κ = j², and LRP functions with κ = j².
    pub fn square_condition() -> BoxedStrategy<Shared> {
        let lrp_square = (2i64..=6, -12i64..=12, 1u64..=2).prop_map(|(j, n, d)| {
            let l = Rational::from(1);
            let m = Rational::from((1, (j * j) as u64));
            share(LrpProblem::new(m, l, Rational::from((n, d))).expect("valid by construction"))
        });
        prop_oneof![
            quadratic(QuadraticParams {
                dim: (1, 4),
                curvature: Curvature::SquareCondition,
                max_reflections: 2
            })
            .prop_map(share),
            lrp_square,
        ]
        .boxed()
    }
}

/// Optimizer specs with generated hyper-parameters, covering every optimizer of the catalogue.
pub mod methods {
    use proptest::prelude::*;

    fn frac(lo: i64, hi: i64, den: u64) -> impl Strategy<Value = String> {
        (lo..=hi).prop_map(move |n| format!("{n}/{den}"))
    }

    /// A spec of any optimizer, with momentum in [0, 15/16], dampening in [0, 1/2], weight decay in
    /// [0, 1/4], every flag PyTorch and Keras accept, FISTA's three momentum rules and OGM for
    /// `steps` steps. Specs whose constants are irrational (t-sequence, OGM, non-square κ) must run
    /// in MPFR.
    pub fn any_method(steps: usize) -> BoxedStrategy<String> {
        prop_oneof![
            Just("gd".to_string()),
            (
                frac(0, 15, 16),
                frac(0, 8, 16),
                frac(0, 4, 16),
                any::<bool>()
            )
                .prop_map(|(m, d, w, max)| {
                    format!("pytorch:momentum={m},dampening={d},weight_decay={w},maximize={max}")
                }),
            (frac(1, 15, 16), frac(0, 4, 16))
                .prop_map(|(m, w)| format!("pytorch:momentum={m},nesterov=true,weight_decay={w}")),
            (
                frac(0, 15, 16),
                any::<bool>(),
                frac(0, 4, 16),
                any::<bool>()
            )
                .prop_map(|(m, n, w, c)| {
                    let n = n && m != "0/16";
                    format!(
                        "keras:momentum={m},nesterov={n},weight_decay={w},momentum_correction={c}"
                    )
                }),
            (frac(0, 15, 16), any::<bool>())
                .prop_map(|(m, n)| format!("optax:momentum={m},nesterov={n}")),
            frac(0, 15, 16).prop_map(|m| format!("tf:momentum={m}")),
            frac(0, 15, 16).prop_map(|m| format!("nag:momentum={m}")),
            frac(0, 15, 16).prop_map(|m| format!("nag-pc:momentum={m}")),
            frac(0, 15, 16).prop_map(|m| format!("heavy-ball:momentum={m}")),
            Just("fista:momentum=rational".to_string()),
            Just("fista:momentum=t-sequence".to_string()),
            (1i64..=8).prop_map(|j| format!("fista:momentum=strongly-convex,kappa={}", j * j)),
            Just(format!("ogm:steps={steps}")),
        ]
        .boxed()
    }
}
