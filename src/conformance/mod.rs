//! The conformance kit: run the oracle against *your* optimizer in your own `cargo test`.
//!
//! Implement [`UnderTest`] for your f64 optimizer (it is told the convention's hyper-parameters,
//! starts from given parameters, and steps with a given gradient and learning rate), then either
//! call the functions below or let the macro write the tests:
//!
//! ```
//! use momentum_oracle::conformance::{Config, Convention, UnderTest};
//!
//! /// A minimal `torch.optim.SGD` in PyTorch's CPU operation order.
//! #[derive(Default)]
//! struct MySgd { config: Option<Config>, buffer: Option<Vec<f64>> }
//!
//! impl UnderTest for MySgd {
//!     fn convention(&self) -> Convention { Convention::Pytorch }
//!     fn start(&mut self, config: &Config, _params: &[f64]) -> bool {
//!         self.config = Some(config.clone());
//!         self.buffer = None;
//!         true
//!     }
//!     fn step(&mut self, params: &mut [f64], gradient: &[f64], lr: f64) {
//!         let c = self.config.as_ref().unwrap();
//!         let mut g: Vec<f64> = gradient.iter().map(|x| if c.maximize { -x } else { *x }).collect();
//!         for (gi, p) in g.iter_mut().zip(params.iter()) { *gi = p.mul_add(c.weight_decay, *gi); }
//!         if c.momentum != 0.0 {
//!             let b = match self.buffer.take() {
//!                 None => g.clone(),
//!                 Some(mut b) => {
//!                     for (bi, gi) in b.iter_mut().zip(&g) { *bi = gi.mul_add(1.0 - c.dampening, *bi * c.momentum); }
//!                     b
//!                 }
//!             };
//!             if c.nesterov {
//!                 for (gi, bi) in g.iter_mut().zip(&b) { *gi = bi.mul_add(c.momentum, *gi); }
//!             } else {
//!                 g = b.clone();
//!             }
//!             self.buffer = Some(b);
//!         }
//!         for (p, gi) in params.iter_mut().zip(&g) { *p = gi.mul_add(-lr, *p); }
//!     }
//! }
//!
//! // In a downstream crate: `momentum_oracle::conformance_tests!(MySgd::default());`
//! // writes three #[test] functions. Here, called directly:
//! let reports = momentum_oracle::conformance::replay_fixtures(&mut MySgd::default()).unwrap();
//! assert!(reports.iter().all(|r| r.report.as_ref().is_none_or(|r| r.passed())));
//! momentum_oracle::conformance::replay_properties(MySgd::default, 8).unwrap();
//! momentum_oracle::conformance::stability_properties(MySgd::default, 8).unwrap();
//! ```
//!
//! What each suite checks:
//! * [`replay_fixtures`] — the replay catalogue of your convention (generated in memory, the same
//!   data as `fixtures/replay/`): bit-exact, or inside the order-independent error envelope of
//!   the exact trace at every step ([`crate::fixture::check`]).
//! * [`replay_properties`] — the same check on generated configurations, schedules and gradient
//!   sequences (proptest, shrinking to a minimal failing case): the conventions' first-step
//!   quirks, nesterov forms, weight decay and maximize, under any learning-rate sequence.
//! * [`stability_properties`] — the theory: on `λx²/2`, your iteration must contract where the
//!   exact Jury criterion says the convention is stable (spectral radius ≤ 9/10) and grow where
//!   it is unstable (≥ 11/10); margins make the verdicts immune to rounding.

use rug::Rational;

use crate::arith::rational_to_f64;
use crate::error::{Error, Result};
use crate::fixture::check::{CheckReport, ExternalStep, ExternalTrace, ReplayFixture, check};
pub use crate::fixture::replay::Convention;
use crate::fixture::replay::{self, REPLAY_CASES};
use crate::optim::OptimizerConfig;
use crate::theory::stability::CharPoly;

/// The hyper-parameters of a run, as your optimizer receives them (f64, as a user passes them).
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The convention of the replay.
    pub convention: Convention,
    /// μ.
    pub momentum: f64,
    /// τ (PyTorch only).
    pub dampening: f64,
    /// λ (coupled for PyTorch, decoupled for Keras).
    pub weight_decay: f64,
    /// Nesterov's form.
    pub nesterov: bool,
    /// Ascend instead of descend (PyTorch only).
    pub maximize: bool,
}

/// A downstream f64 optimizer under test.
pub trait UnderTest {
    /// The convention it implements; only that convention's cases are run.
    fn convention(&self) -> Convention;

    /// Starts a fresh run with `config` from `params`; return `false` for a configuration it does
    /// not support (the case is then reported as skipped, not failed).
    fn start(&mut self, config: &Config, params: &[f64]) -> bool;

    /// One step: update `params` in place with `gradient` at learning rate `learning_rate`.
    fn step(&mut self, params: &mut [f64], gradient: &[f64], learning_rate: f64);

    /// The state vector the oracle calls `name` (`momentum_buffer` for PyTorch, `velocity` for
    /// Keras, `trace` for Optax), if exposed; compared too when given.
    fn state(&self, _name: &str) -> Option<Vec<f64>> {
        None
    }
}

/// The outcome of one case.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The case's name.
    pub case: String,
    /// The check, or `None` when the implementation declined the configuration.
    pub report: Option<CheckReport>,
}

/// The optimizer config of the oracle for `config`, with hyper-parameters as exact dyadic values.
fn oracle_config(config: &Config) -> Result<OptimizerConfig> {
    let q = |x: f64| -> Result<String> {
        Rational::from_f64(x)
            .map(|r| crate::arith::text::format(&r))
            .ok_or_else(|| Error::NonFinite {
                context: "conformance config".into(),
                value: crate::arith::text::format_f64(x),
            })
    };
    let spec = match config.convention {
        Convention::Pytorch => format!(
            "pytorch:momentum={},dampening={},nesterov={},weight_decay={},maximize={}",
            q(config.momentum)?,
            q(config.dampening)?,
            config.nesterov,
            q(config.weight_decay)?,
            config.maximize
        ),
        Convention::Keras => format!(
            "keras:momentum={},nesterov={},weight_decay={}",
            q(config.momentum)?,
            config.nesterov,
            q(config.weight_decay)?
        ),
        Convention::Optax => format!(
            "optax:momentum={},nesterov={}",
            q(config.momentum)?,
            config.nesterov
        ),
    };
    OptimizerConfig::from_spec(&spec)
}

/// The state vector name of each convention.
fn state_name(c: Convention) -> &'static str {
    match c {
        Convention::Pytorch => "momentum_buffer",
        Convention::Keras => "velocity",
        Convention::Optax => "trace",
    }
}

/// Drives `imp` through a replay and checks it. `None` if it declines the configuration.
///
/// # Errors
/// As [`check`] (a trace of the wrong length is the implementation's bug, reported as an error).
pub fn run_case(
    imp: &mut dyn UnderTest,
    config: &Config,
    expected: &ReplayFixture,
) -> Result<Option<CheckReport>> {
    let mut params = expected.initial_params.clone();
    if !imp.start(config, &params) {
        return Ok(None);
    }
    let name = state_name(config.convention);
    let mut steps = Vec::with_capacity(expected.steps.len());
    for (k, (g, learning_rate)) in expected
        .gradients
        .iter()
        .zip(&expected.learning_rates)
        .enumerate()
    {
        imp.step(&mut params, g, *learning_rate);
        let mut state = Vec::new();
        // Compare the state only where the oracle has one at this step (PyTorch creates its
        // buffer on step 1, and has none without momentum).
        if expected.steps[k].exact_state.iter().any(|(n, _)| n == name) {
            if let Some(v) = imp.state(name) {
                state.push((name.to_string(), v));
            }
        }
        steps.push(ExternalStep {
            params: params.clone(),
            state,
        });
    }
    check(expected, &ExternalTrace { steps }).map(Some)
}

fn case_config(case: &replay::ReplayCase) -> Result<Config> {
    let (_, numbers) = replay::optimizer(case)?;
    let num = |k: &str| {
        numbers
            .iter()
            .find(|(n, _)| *n == k)
            .map_or(0.0, |(_, x)| *x)
    };
    let flag = |k: &str| {
        case.flags
            .iter()
            .find(|(n, _)| *n == k)
            .is_some_and(|(_, b)| *b)
    };
    Ok(Config {
        convention: case.convention,
        momentum: num("momentum"),
        dampening: num("dampening"),
        weight_decay: num("weight_decay"),
        nesterov: flag("nesterov"),
        maximize: flag("maximize"),
    })
}

/// Runs every replay fixture of `imp`'s convention (generated in memory).
///
/// # Errors
/// Generation errors (none for the catalogue) and [`run_case`]'s.
pub fn replay_fixtures(imp: &mut dyn UnderTest) -> Result<Vec<Outcome>> {
    let conv = imp.convention();
    let mut out = Vec::new();
    for case in REPLAY_CASES.iter().filter(|c| c.convention == conv) {
        let config = case_config(case)?;
        // Through the file format, so the kit checks exactly what `fixtures/replay/` holds.
        let text = crate::fixture::to_text(&replay::generate(case)?);
        let doc: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| Error::InvalidDocument {
                document: "fixture",
                reason: e.to_string(),
            })?;
        let expected = crate::fixture::check::read_replay(&doc)?;
        out.push(Outcome {
            case: case.name.to_string(),
            report: run_case(imp, &config, &expected)?,
        });
    }
    Ok(out)
}

/// Panics with every failing case's report unless all replay fixtures pass (for `#[test]`s).
pub fn assert_replay_fixtures(imp: &mut dyn UnderTest) {
    let outcomes = replay_fixtures(imp).unwrap_or_else(|e| panic!("conformance: {e}"));
    let failed: Vec<String> = outcomes
        .iter()
        .filter_map(|o| {
            o.report
                .as_ref()
                .filter(|r| !r.passed())
                .map(CheckReport::render)
        })
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// A generated replay case: configuration, per-step learning rates, initial parameters and
/// gradients (f64 values spanning magnitudes, with zeros and sign changes).
#[derive(Clone, Debug)]
pub struct GeneratedCase {
    /// The configuration.
    pub config: Config,
    /// Learning rate of each step.
    pub rates: Vec<f64>,
    /// Initial parameters.
    pub x0: Vec<f64>,
    /// Gradient of each step.
    pub gradients: Vec<Vec<f64>>,
}

/// The strategy of [`replay_properties`] for one convention.
pub fn generated_case(
    convention: Convention,
) -> impl proptest::strategy::Strategy<Value = GeneratedCase> {
    use proptest::prelude::*;
    let value = prop_oneof![
        8 => (-1000.0f64..1000.0).prop_map(|x| x * 1e-3),
        1 => Just(0.0),
        1 => (1i32..60, any::<bool>()).prop_map(|(e, s)| if s { f64::powi(2.0, -e) } else { -f64::powi(2.0, e) }),
    ];
    let dims = 1usize..=6;
    let steps = 1usize..=12;
    (
        dims,
        steps,
        0u32..=15,
        0u32..=8,
        0u32..=4,
        any::<bool>(),
        any::<bool>(),
        1u32..=40,
    )
        .prop_flat_map(move |(n, k, mu, tau, wd, nest, max, lr_scale)| {
            let value = value.clone();
            (
                proptest::collection::vec(value.clone(), n),
                proptest::collection::vec(proptest::collection::vec(value, n), k),
                proptest::collection::vec(1u32..=lr_scale, k),
            )
                .prop_map(move |(x0, gradients, lrs)| {
                    let momentum = f64::from(mu) / 16.0 * if mu % 3 == 0 { 1.0 } else { 0.9 };
                    let nesterov = nest && momentum > 0.0;
                    let dampening = if nesterov || convention != Convention::Pytorch {
                        0.0
                    } else {
                        f64::from(tau) / 10.0
                    };
                    let weight_decay = if convention == Convention::Optax {
                        0.0
                    } else {
                        f64::from(wd) / 100.0
                    };
                    GeneratedCase {
                        config: Config {
                            convention,
                            momentum,
                            dampening,
                            weight_decay,
                            nesterov,
                            maximize: max && convention == Convention::Pytorch,
                        },
                        rates: lrs.iter().map(|i| f64::from(*i) / 100.0).collect(),
                        x0,
                        gradients,
                    }
                })
        })
}

/// Property-based replays: `cases` generated cases of `make()`'s convention, each checked
/// against the exact trace and its envelope; proptest shrinks a failure to a minimal case.
///
/// # Errors
/// [`Error::InvalidDocument`] carrying the minimal failing case and its check report.
pub fn replay_properties<T: UnderTest>(make: impl Fn() -> T, cases: u32) -> Result<()> {
    use proptest::test_runner::{Config as PtConfig, TestCaseError, TestRunner};
    let convention = make().convention();
    let mut runner = TestRunner::new(PtConfig {
        cases,
        failure_persistence: None,
        ..PtConfig::default()
    });
    runner
        .run(&generated_case(convention), |c| {
            let oc = oracle_config(&c.config).map_err(|e| TestCaseError::reject(e.to_string()))?;
            let expected = replay::expectation("generated", &oc, &c.rates, &c.x0, &c.gradients)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let mut imp = make();
            match run_case(&mut imp, &c.config, &expected) {
                Ok(Some(r)) if !r.passed() => Err(TestCaseError::fail(r.render())),
                Ok(_) => Ok(()),
                Err(e) => Err(TestCaseError::fail(e.to_string())),
            }
        })
        .map_err(|e| Error::InvalidDocument {
            document: "conformance replay",
            reason: e.to_string(),
        })
}

/// The one-step characteristic polynomial of a convention on `λx²/2` with step γ (h = γλ).
fn char_poly(c: &Config, h: &Rational) -> Option<CharPoly> {
    let mu = Rational::from_f64(c.momentum)?;
    // Every convention is heavy ball or NAG on a quadratic once past its first step (dampening
    // rescales the gradient: h(1 − τ)); weight decay shifts the curvature by λ (coupled) — the
    // stability suite uses neither, so it does not model them.
    if c.weight_decay != 0.0 || c.dampening != 0.0 || c.maximize {
        return None;
    }
    Some(if c.nesterov {
        CharPoly::nag(h, &mu)
    } else {
        CharPoly::heavy_ball(h, &mu)
    })
}

/// Stability: `cases` random (γλ, μ) pairs whose exact spectral radius is ≤ 9/10 or ≥ 11/10;
/// `make()`'s iterates on `λx²/2` from x₀ = 1 over 400 steps must fall below 10⁻¹⁰ in the first
/// case and exceed 10¹⁰ (or overflow) in the second — margins of 10⁻¹⁸ and 10¹⁶ over what the
/// exact radius guarantees, far beyond any rounding.
///
/// # Errors
/// [`Error::InvalidDocument`] naming the pair and what the iterates did.
pub fn stability_properties<T: UnderTest>(make: impl Fn() -> T, cases: u32) -> Result<()> {
    use proptest::prelude::*;
    use proptest::test_runner::{Config as PtConfig, TestCaseError, TestRunner};
    let convention = make().convention();
    let mut runner = TestRunner::new(PtConfig {
        cases,
        failure_persistence: None,
        ..PtConfig::default()
    });
    let strategy = (1u32..=120, 0u32..=15, any::<bool>());
    runner
        .run(&strategy, |(h20, mu16, nest)| {
            let momentum = f64::from(mu16) / 16.0;
            let config = Config { convention, momentum, dampening: 0.0, weight_decay: 0.0, nesterov: nest && mu16 > 0, maximize: false };
            let h = Rational::from((h20, 20u32));
            let Some(poly) = char_poly(&config, &h) else { return Ok(()) };
            let rho = crate::arith::with_mpfr_precision(128, || poly.spectral_radius::<rug::Float>()).map_err(|e| TestCaseError::reject(e.to_string()))?;
            let stable = rho <= 0.9;
            if !stable && rho < 1.1 {
                return Ok(());
            }
            // λ = 1, γ = h: the gradient of x²/2 is x.
            let learning_rate = rational_to_f64(&h);
            let mut imp = make();
            let mut x = vec![1.0f64];
            if !imp.start(&config, &x) {
                return Ok(());
            }
            for _ in 0..400 {
                let g = x.clone();
                imp.step(&mut x, &g, learning_rate);
                if !x[0].is_finite() {
                    break;
                }
            }
            let ok = if stable { x[0].abs() < 1e-10 } else { !x[0].is_finite() || x[0].abs() > 1e10 };
            if ok {
                Ok(())
            } else {
                Err(TestCaseError::fail(format!(
                    "γλ = {h}, μ = {momentum}, nesterov = {}: exact spectral radius {rho:.4} but x_400 = {:e}",
                    config.nesterov, x[0]
                )))
            }
        })
        .map_err(|e| Error::InvalidDocument {
            document: "conformance stability",
            reason: e.to_string(),
        })
}

/// Writes the three conformance tests for an implementation: `replay_fixtures`,
/// `replay_properties` (64 cases) and `stability_properties` (64 cases).
///
/// ```ignore
/// momentum_oracle::conformance_tests!(MySgd::default());
/// ```
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        #[test]
        fn momentum_oracle_replay_fixtures() {
            $crate::conformance::assert_replay_fixtures(&mut $make);
        }
        #[test]
        fn momentum_oracle_replay_properties() {
            if let Err(e) = $crate::conformance::replay_properties(|| $make, 64) {
                panic!("{e}");
            }
        }
        #[test]
        fn momentum_oracle_stability_properties() {
            if let Err(e) = $crate::conformance::stability_properties(|| $make, 64) {
                panic!("{e}");
            }
        }
    };
}
