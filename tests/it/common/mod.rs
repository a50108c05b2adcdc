//! Shared test configuration, run helpers, and the machinery that writes a property once and
//! checks it per arithmetic ([`Property`] with [`check_exact_and_f64`], [`check_certified_mpfr`],
//! [`check_same_computation`]).
//!
//! proptest's default failure persistence looks for `lib.rs` next to the test source, which
//! integration tests do not have; every suite therefore names its file under
//! `proptest-regressions/` explicitly, so shrunk counterexamples are committed in one place.

#![allow(dead_code)] // each test binary uses the part it needs

use proptest::test_runner::{Config, FileFailurePersistence};

/// Runs the crate's binary with `args` and waits for it.
pub fn cli<A: AsRef<std::ffi::OsStr>>(args: impl IntoIterator<Item = A>) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_momentum-oracle"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// A fresh, empty scratch directory `name` under cargo's per-target temporary directory.
pub fn scratch(name: &str) -> std::path::PathBuf {
    let d = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("a scratch directory");
    d
}

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

use momentum_oracle::arith::bounded::{Bounded, BoundedMpfr, BoundedVector, Floating};
use momentum_oracle::arith::linalg::Vector;
use momentum_oracle::arith::{Number, Rounding, Scalar, with_mpfr_precision};
use momentum_oracle::optim::keras::KerasSgd;
use momentum_oracle::optim::pytorch::PytorchSgd;
use momentum_oracle::optim::strategy;
use momentum_oracle::optim::{Optimizer, OptimizerConfig, Schedule};
use momentum_oracle::problem::quadratic::{
    Curvature, QuadraticParams, QuadraticProblem, quadratic,
};
use momentum_oracle::problem::{Evaluate, Oracle, Problem, to_vector};
use momentum_oracle::trace::{RunOptions, Trace, run, run_with_oracle};
use proptest::prelude::*;
use rug::Rational;

/// `n/d`.
pub fn q(n: i64, d: u64) -> Rational {
    Rational::from((n, d))
}

/// Whether a certified MPFR value `v ± e` is consistent with a closed form `reference` evaluated
/// with 512-bit MPFR: `|v − reference| ≤ e + 2⁻⁵⁰⁰`. The references in these tests take a dozen
/// correctly rounded 512-bit operations on values below 8, so their own error is below
/// 12·8·2⁻⁵¹² < 2⁻⁵⁰⁰; `e` is the run's derived bound, so nothing here is a chosen tolerance.
pub fn within_certified_bound(v: &rug::Float, e: f64, reference: &rug::Float) -> bool {
    let d = rug::Float::with_val(1024, v - reference).abs();
    let slack =
        rug::Float::with_val(1024, e) + rug::Float::with_val(1024, rug::Float::i_exp(1, -500));
    d <= slack
}

/// The catalogue config of `spec` (test specs are literals: a bad one is a bug in the test).
pub fn optimizer(spec: &str) -> OptimizerConfig {
    OptimizerConfig::from_spec(spec).unwrap_or_else(|e| panic!("{spec}: {e}"))
}

/// PyTorch SGD with momentum μ, plain or nesterov (τ = 0, no weight decay, no maximize).
pub fn pytorch(momentum: &Rational, nesterov: bool) -> OptimizerConfig {
    OptimizerConfig::Pytorch(
        PytorchSgd::new(
            momentum.clone(),
            Rational::new(),
            nesterov,
            Rational::new(),
            false,
        )
        .unwrap(),
    )
}

/// Keras SGD with momentum μ, plain or nesterov, with or without the momentum correction (no
/// weight decay, exact learning rate).
pub fn keras(momentum: &Rational, nesterov: bool, correction: bool) -> KerasSgd {
    KerasSgd::new(
        momentum.clone(),
        nesterov,
        Rational::new(),
        correction,
        false,
    )
    .unwrap()
}

/// `steps` steps of `optimizer` on `problem` in arithmetic `S`, from the problem's x₀.
pub fn trace_of<S: Evaluate>(
    problem: &dyn Problem,
    optimizer: &OptimizerConfig,
    schedule: &Schedule,
    steps: usize,
    rounding: Rounding,
) -> Trace<S> {
    run::<S>(
        problem,
        optimizer,
        schedule,
        None,
        steps,
        &RunOptions::with_rounding(rounding),
    )
    .unwrap_or_else(|e| panic!("{} in {}: {e}", optimizer.spec(), S::arithmetic_name()))
}

/// `steps` steps of the catalogue optimizer `spec` at the constant rate `lr`, naive rounding.
pub fn run_constant<S: Evaluate>(
    problem: &dyn Problem,
    spec: &str,
    learning_rate: &Rational,
    steps: usize,
) -> Trace<S> {
    trace_of(
        problem,
        &optimizer(spec),
        &Schedule::constant(learning_rate.clone()),
        steps,
        Rounding::Naive,
    )
}

/// `steps` steps of `optimizer` against `oracle` in arithmetic `S`, from `problem`'s x₀ (for runs
/// through the oracle wrappers of `momentum_oracle::identities`).
pub fn trace_with<S: Scalar, O: Optimizer<S>>(
    problem: &dyn Problem,
    optimizer: &O,
    oracle: &mut dyn Oracle<S>,
    schedule: &Schedule,
    steps: usize,
    rounding: Rounding,
) -> Trace<S> {
    let x0 = to_vector::<S>(&problem.initial_point());
    run_with_oracle(
        optimizer,
        oracle,
        schedule,
        &x0,
        steps,
        &RunOptions::with_rounding(rounding),
        ("", ""),
    )
    .unwrap_or_else(|e| panic!("{optimizer:?} in {}: {e}", S::arithmetic_name()))
}

/// The state vector `name` at a recorded step.
pub fn state<'t, S: Number>(trace: &'t Trace<S>, k: usize, name: &str) -> &'t S::Vector {
    trace
        .step(k)
        .and_then(|s| s.state_vector(name))
        .unwrap_or_else(|| panic!("no {name} at step {k}"))
}

/// One identity at one point of a run: two vectors that must be equal.
#[derive(Clone, Debug)]
pub struct Identity<S: Number> {
    /// Which identity, where (`θ_k, step 3`).
    pub what: String,
    /// Computed one way.
    pub lhs: S::Vector,
    /// Computed the other way.
    pub rhs: S::Vector,
}

impl<S: Number> Identity<S> {
    /// `lhs == rhs`, labelled.
    pub fn new(what: impl Into<String>, lhs: S::Vector, rhs: S::Vector) -> Self {
        Identity {
            what: what.into(),
            lhs,
            rhs,
        }
    }
}

/// A property written once, generically: the identities it asserts, computed in any arithmetic.
/// The checkers below instantiate it per scalar type.
pub trait Property {
    /// The identities, computed in arithmetic `S` under `rounding`.
    fn identities<S: Evaluate>(&self, rounding: Rounding) -> Vec<Identity<S>>;
}

/// Checks a property in ℚ — every identity with `assert_eq!`, no tolerance — and in bounded f64
/// under both rounding models: each side's derived bound encloses that side's exact value. (That
/// the bounded values are bitwise the plain f64 values is tested in `tests/optimizers.rs`.)
/// Returns the exact identities for further checks.
pub fn check_exact_and_f64<P: Property>(property: &P) -> Vec<Identity<Rational>> {
    let exact = property.identities::<Rational>(Rounding::Naive);
    assert!(!exact.is_empty(), "a property must assert something");
    for id in &exact {
        assert_eq!(id.lhs, id.rhs, "{}", id.what);
    }
    for rounding in Rounding::ALL {
        let bounded = property.identities::<Bounded>(rounding);
        assert_eq!(bounded.len(), exact.len());
        for (b, e) in bounded.iter().zip(&exact) {
            assert_eq!(b.what, e.what);
            for (side, bv, ev) in [("lhs", &b.lhs, &e.lhs), ("rhs", &b.rhs, &e.rhs)] {
                assert!(
                    bv.e.is_finite() && bv.encloses(&ev.to_scalars()),
                    "{} ({}): the {side} bound {:e} does not enclose the exact value",
                    b.what,
                    rounding.name(),
                    bv.e
                );
            }
        }
    }
    exact
}

/// Whether the two balls `{x : ‖x − v‖ ≤ e}` of two bounded vectors meet — the identity
/// `lhs = rhs` is not refuted by the computation — decided exactly in ℚ.
pub fn balls_meet<F: Floating>(a: &BoundedVector<F>, b: &BoundedVector<F>) -> bool {
    let (Some(ea), Some(eb)) = (Rational::from_f64(a.e), Rational::from_f64(b.e)) else {
        return false;
    };
    let r = ea + eb;
    let d2 = (0..a.len()).fold(Rational::new(), |acc, i| {
        let d =
            a.v.get(i).to_rational().expect("finite") - b.v.get(i).to_rational().expect("finite");
        acc + Rational::from(&d * &d)
    });
    d2 <= Rational::from(&r * &r)
}

/// Whether a bounded vector is certainly non-zero: `‖v‖ > e`, decided exactly.
pub fn certainly_nonzero<F: Floating>(a: &BoundedVector<F>) -> bool {
    let Some(e) = Rational::from_f64(a.e) else {
        return false;
    };
    let n2 = (0..a.len()).fold(Rational::new(), |acc, i| {
        let x = a.v.get(i).to_rational().expect("finite");
        acc + Rational::from(&x * &x)
    });
    n2 > Rational::from(&e * &e)
}

/// Checks a property where no exact run exists (irrational learning rates): in MPFR at `bits`
/// with certified bounds ([`BoundedMpfr`]), every identity's two balls meet. Returns the
/// identities for further certified checks.
pub fn check_certified_mpfr<P: Property>(property: &P, bits: u32) -> Vec<Identity<BoundedMpfr>> {
    with_mpfr_precision(bits, || {
        let ids = property.identities::<BoundedMpfr>(Rounding::Naive);
        assert!(!ids.is_empty(), "a property must assert something");
        for id in &ids {
            assert!(
                id.lhs.e.is_finite() && id.rhs.e.is_finite(),
                "{}: infinite bound",
                id.what
            );
            assert!(
                balls_meet(&id.lhs, &id.rhs),
                "{}: refuted at {bits} bits",
                id.what
            );
        }
        ids
    })
}

/// The JSON form of every coordinate (`"p/q"`; f64 bits; bits and bound): equal exactly when two
/// vectors are the same computation's result in their arithmetic.
pub fn fingerprint<S: Number>(v: &S::Vector) -> Vec<serde_json::Value> {
    v.to_scalars()
        .iter()
        .map(momentum_oracle::trace::scalar_json)
        .collect()
}

/// Checks that a property's two sides are the same computation in every arithmetic: equal in ℚ,
/// bitwise equal in f64 under both rounding models, and equal in value *and* bound in bounded
/// f64 (compared through [`fingerprint`]).
pub fn check_same_computation<P: Property>(property: &P) {
    fn check<S: Evaluate, P: Property>(property: &P, rounding: Rounding) {
        let ids = property.identities::<S>(rounding);
        assert!(!ids.is_empty(), "a property must assert something");
        for id in &ids {
            assert_eq!(
                fingerprint::<S>(&id.lhs),
                fingerprint::<S>(&id.rhs),
                "{} in {} ({})",
                id.what,
                S::arithmetic_name(),
                rounding.name()
            );
        }
    }
    check::<Rational, P>(property, Rounding::Naive);
    for rounding in Rounding::ALL {
        check::<f64, P>(property, rounding);
        check::<Bounded, P>(property, rounding);
    }
}

/// Small rotated quadratics (dimension 1 to 3, any curvature): cheap in ℚ over a dozen steps.
pub fn small_quadratic() -> impl Strategy<Value = QuadraticProblem> {
    quadratic(QuadraticParams {
        dim: (1, 3),
        curvature: Curvature::Any,
        max_reflections: 2,
    })
}

/// A small quadratic and a learning rate h/L for it.
pub fn quadratic_and_lr() -> impl Strategy<Value = (QuadraticProblem, Rational)> {
    small_quadratic().prop_flat_map(|p| {
        let l = p.smoothness().expect("quadratics have L");
        (Just(p), strategy::learning_rate_for(&l))
    })
}

/// A small quadratic and a schedule drawn by `schedule` around a learning rate h/L for it.
pub fn quadratic_and_schedule<T: Strategy<Value = Schedule>>(
    schedule: fn(Rational) -> T,
) -> impl Strategy<Value = (QuadraticProblem, Schedule)> {
    quadratic_and_lr().prop_flat_map(move |(p, learning_rate)| (Just(p), schedule(learning_rate)))
}
