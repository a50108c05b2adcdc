//! The kit's runner: how many cases, the three suites, and the report of what they checked.

use std::cell::RefCell;
use std::fmt;

use proptest::test_runner::{Config as PtConfig, TestCaseError, TestError, TestRunner};
use rug::Rational;

use super::coverage::{CaseOutcome, Coverage, Family, Feature};
use super::failure::{ConformanceFailure, ReplayFailure, StabilityFailure};
use super::{
    Config, GeneratedCase, UnderTest, case_config, char_poly, generated_case, run_case, shrink,
};
use crate::arith::rational_to_f64;
use crate::error::Error;
use crate::fixture::check::{ReplayFixture, Verdict};
use crate::fixture::replay::{self, REPLAY_CASES};

/// Cases per property suite when neither the builder nor `PROPTEST_CASES` says: each case is an
/// exact replay, so proptest's own 256 would make the kit the slowest test of a downstream crate.
pub const DEFAULT_CASES: u32 = 64;

/// Shrinking budget: proptest's automatic limit is 4 × cases (256 at 64 cases), which stops before
/// a minimal case; a shrink step costs one exact replay of a short case, so a large budget is
/// cheap next to the search that found the failure.
const MAX_SHRINK_ITERS: u32 = 1 << 16;

/// Steps of a stability run: enough for radius ≤ 9/10 to reach 10⁻¹⁰ from 1 (0.9⁴⁰⁰ ≈ 5·10⁻¹⁹)
/// and radius ≥ 11/10 to pass 10¹⁰ (1.1⁴⁰⁰ ≈ 3·10¹⁶), with margins for the transient.
const STABILITY_STEPS: usize = 400;

/// The kit: `Kit::new().cases(n).run(make)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kit {
    cases: u32,
}

impl Default for Kit {
    fn default() -> Self {
        Kit::new()
    }
}

impl Kit {
    /// The kit with `PROPTEST_CASES` cases per property suite when the variable is set (as
    /// proptest's own `Config` reads it), [`DEFAULT_CASES`] otherwise. The variable is read here,
    /// not through proptest's default configuration, which reads it once per process.
    pub fn new() -> Self {
        let cases = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(DEFAULT_CASES);
        Kit { cases }
    }

    /// Sets the number of generated cases of each property suite (overrides `PROPTEST_CASES`).
    #[must_use]
    pub fn cases(mut self, cases: u32) -> Self {
        self.cases = cases;
        self
    }

    /// The number of generated cases of each property suite.
    pub fn case_count(&self) -> u32 {
        self.cases
    }

    fn runner(&self) -> TestRunner {
        TestRunner::new(PtConfig {
            cases: self.cases,
            max_shrink_iters: MAX_SHRINK_ITERS,
            failure_persistence: None,
            ..PtConfig::default()
        })
    }

    /// Runs the three suites on adapters made by `make` and reports what each checked.
    ///
    /// # Errors
    /// The first suite's [`ConformanceFailure`].
    pub fn run<T: UnderTest>(&self, make: impl Fn() -> T) -> Result<KitReport, ConformanceFailure> {
        let suites = vec![
            self.replay_fixtures(&mut make())?,
            self.replay_properties(&make)?,
            self.stability_properties(&make)?,
        ];
        Ok(KitReport { suites })
    }

    /// The replay catalogue of `imp`'s convention (the data of `fixtures/replay/`).
    ///
    /// # Errors
    /// The first fixture outside the envelope, or too little coverage.
    pub fn replay_fixtures(&self, imp: &mut dyn UnderTest) -> Result<Coverage, ConformanceFailure> {
        const SUITE: &str = "replay fixtures";
        let convention = imp.convention();
        let mut coverage = Coverage::new(SUITE, convention, imp.unsupported());
        for case in REPLAY_CASES.iter().filter(|c| c.convention == convention) {
            let invalid = |source: Error| ConformanceFailure::Invalid {
                case: case.name.to_string(),
                source,
            };
            let config = case_config(case).map_err(invalid)?;
            let expected = super::fixture_of(case).map_err(invalid)?;
            let features = Feature::used_by(&config, &expected.learning_rates);
            if coverage.is_unsupported(&features) {
                coverage.record(&features, CaseOutcome::Unsupported);
                continue;
            }
            match run_case(imp, &config, &expected).map_err(invalid)? {
                None => coverage.record(&features, CaseOutcome::Declined),
                Some(report) => {
                    if let Verdict::Mismatch(m) = &report.verdict {
                        return Err(replay_failure(SUITE, case.name, &config, &expected, m));
                    }
                    coverage.record(&features, CaseOutcome::Run);
                }
            }
        }
        checked(coverage)
    }

    /// Property-based replays of generated configurations, schedules and gradients; a failure is
    /// shrunk to a minimal case: by proptest, then by the kit's own moves to a fixpoint in the
    /// order fewest steps, fewest coordinates, fewest features, smallest hyper-parameters,
    /// learning rates 1/100, data 0 or 1/2 (`src/conformance/shrink.rs`).
    ///
    /// # Errors
    /// The minimal failing case, or too little coverage.
    pub fn replay_properties<T: UnderTest>(
        &self,
        make: impl Fn() -> T,
    ) -> Result<Coverage, ConformanceFailure> {
        const SUITE: &str = "replay properties";
        let probe = make();
        let convention = probe.convention();
        let coverage = RefCell::new(Coverage::new(SUITE, convention, probe.unsupported()));
        // Count the cases of the search, not the re-runs of shrinking.
        let searching = std::cell::Cell::new(true);
        let count = |features: &[Feature], outcome: CaseOutcome| {
            if searching.get() {
                coverage.borrow_mut().record(features, outcome);
            }
        };
        let result = self.runner().run(&generated_case(convention), |c| {
            let features = Feature::used_by(&c.config, &c.rates);
            if coverage.borrow().is_unsupported(&features) {
                count(&features, CaseOutcome::Unsupported);
                return Ok(());
            }
            match replay_generated(&make, &c) {
                Ok(None) => count(&features, CaseOutcome::Declined),
                Ok(Some(_)) => count(&features, CaseOutcome::Run),
                Err(e) => {
                    searching.set(false);
                    return Err(TestCaseError::fail(e.to_string()));
                }
            }
            Ok(())
        });
        match result {
            Ok(()) => checked(coverage.into_inner()),
            // Proptest's minimal case, minimized further by the kit's own moves (shrink.rs),
            // then replayed once more for its typed failure.
            Err(TestError::Fail(reason, shrunk)) => Err(match replay_generated(&make, &shrunk) {
                Err(failure) => {
                    let minimal = shrink::minimize(shrunk, |c| {
                        replay_generated(&make, c).is_err_and(|f| shrink::same_kind(&failure, &f))
                    });
                    replay_generated(&make, &minimal).err().unwrap_or(failure)
                }
                Ok(_) => ConformanceFailure::Invalid {
                    case: "generated".into(),
                    source: Error::unsupported(format!(
                        "the adapter is not deterministic: the minimal case failed ({reason}) \
                         and then passed"
                    )),
                },
            }),
            Err(TestError::Abort(reason)) => Err(ConformanceFailure::Invalid {
                case: "generated".into(),
                source: Error::unsupported(reason.to_string()),
            }),
        }
    }

    /// Stability on `λx²/2`: the adapter must contract where the exact spectral radius is ≤ 9/10
    /// and grow where it is ≥ 11/10.
    ///
    /// # Errors
    /// The first case whose iterates contradict the exact radius, or too little coverage.
    pub fn stability_properties<T: UnderTest>(
        &self,
        make: impl Fn() -> T,
    ) -> Result<Coverage, ConformanceFailure> {
        use proptest::prelude::*;
        const SUITE: &str = "stability properties";
        const BAND: &str = "exact spectral radius strictly between 9/10 and 11/10: too close to 1 \
                            for a verdict immune to rounding in 400 steps";
        let probe = make();
        let convention = probe.convention();
        let mut families = Coverage::new(SUITE, convention, probe.unsupported());
        // The suite draws plain, heavy-ball and Nesterov iterations only: no row for the
        // families it never generates (they would read "nothing checked" in every run).
        families.families.retain(|(f, _)| {
            matches!(
                f,
                Family::Plain | Family::With(Feature::Momentum | Feature::Nesterov)
            )
        });
        let coverage = RefCell::new(families);
        let searching = std::cell::Cell::new(true);
        let found: RefCell<Option<StabilityFailure>> = RefCell::new(None);
        let strategy = (1u32..=120, 0u32..=15, any::<bool>());
        let result = self.runner().run(&strategy, |(h20, mu16, nest)| {
            let config = Config {
                convention,
                momentum: f64::from(mu16) / 16.0,
                dampening: 0.0,
                weight_decay: 0.0,
                nesterov: nest && mu16 > 0,
                maximize: false,
            };
            let features = Feature::used_by(&config, &[]);
            let count = |outcome| {
                if searching.get() {
                    coverage.borrow_mut().record(&features, outcome);
                }
            };
            let h = Rational::from((h20, 20u32));
            let Some(poly) = char_poly(&config, &h) else {
                unreachable!("the strategy draws neither dampening, weight decay nor maximize")
            };
            let rho =
                crate::arith::with_mpfr_precision(128, || poly.spectral_radius::<rug::Float>())
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let stable = rho <= 0.9;
            if !stable && rho < 1.1 {
                if searching.get() {
                    coverage.borrow_mut().skip(&features, BAND);
                }
                return Ok(());
            }
            if coverage.borrow().is_unsupported(&features) {
                count(CaseOutcome::Unsupported);
                return Ok(());
            }
            // λ = 1, γ = h: the gradient of x²/2 is x.
            let learning_rate = rational_to_f64(&h);
            let mut imp = make();
            let mut x = vec![1.0f64];
            if !imp.start(&config, &x) {
                count(CaseOutcome::Declined);
                return Ok(());
            }
            for _ in 0..STABILITY_STEPS {
                let g = x.clone();
                imp.step(&mut x, &g, learning_rate);
                if !x[0].is_finite() {
                    break;
                }
            }
            let ok = if stable {
                x[0].abs() < 1e-10
            } else {
                !x[0].is_finite() || x[0].abs() > 1e10
            };
            if ok {
                count(CaseOutcome::Run);
                Ok(())
            } else {
                searching.set(false);
                let failure = StabilityFailure {
                    config: config.clone(),
                    learning_rate: h.clone(),
                    spectral_radius: rho.to_f64(),
                    stable,
                    steps: STABILITY_STEPS,
                    last_iterate: x[0],
                };
                let message = failure.to_string();
                *found.borrow_mut() = Some(failure);
                Err(TestCaseError::fail(message))
            }
        });
        match result {
            Ok(()) => checked(coverage.into_inner()),
            // The last failure recorded is the minimal one: shrinking ends on a failing case.
            Err(TestError::Fail(reason, _)) => Err(match found.into_inner() {
                Some(f) => ConformanceFailure::Stability(Box::new(f)),
                None => ConformanceFailure::Invalid {
                    case: "stability".into(),
                    source: Error::unsupported(reason.to_string()),
                },
            }),
            Err(TestError::Abort(reason)) => Err(ConformanceFailure::Invalid {
                case: "stability".into(),
                source: Error::unsupported(reason.to_string()),
            }),
        }
    }
}

/// `Ok(coverage)` unless it checked too little.
fn checked(coverage: Coverage) -> Result<Coverage, ConformanceFailure> {
    match coverage.shortfall() {
        None => Ok(coverage),
        Some(_) => Err(ConformanceFailure::Coverage(Box::new(coverage))),
    }
}

fn replay_failure(
    suite: &'static str,
    case: &str,
    config: &Config,
    expected: &ReplayFixture,
    m: &crate::fixture::check::Mismatch,
) -> ConformanceFailure {
    ConformanceFailure::Replay(Box::new(ReplayFailure {
        suite,
        case: case.to_string(),
        config: config.clone(),
        format: crate::arith::format::Format::Binary64,
        learning_rates: expected.learning_rates[..m.step].to_vec(),
        initial_params: expected.initial_params.clone(),
        gradients: expected.gradients[..m.step].to_vec(),
        step: m.step,
        quantity: m.quantity.clone(),
        coordinate: m.coordinate,
        expected: m.exact.clone(),
        received: m.value,
        error: m.error,
        bound: m.bound,
    }))
}

/// One generated case on a fresh adapter: `Ok(None)` if declined, `Ok(Some(values compared))`.
fn replay_generated<T: UnderTest>(
    make: &impl Fn() -> T,
    c: &GeneratedCase,
) -> Result<Option<usize>, ConformanceFailure> {
    const SUITE: &str = "replay properties";
    let invalid = |source: Error| ConformanceFailure::Invalid {
        case: "generated".into(),
        source,
    };
    let oc = super::oracle_config(&c.config).map_err(invalid)?;
    let expected =
        replay::expectation("generated", &oc, &c.rates, &c.x0, &c.gradients).map_err(invalid)?;
    let mut imp = make();
    match run_case(&mut imp, &c.config, &expected).map_err(invalid)? {
        None => Ok(None),
        Some(report) => match &report.verdict {
            Verdict::Mismatch(m) => {
                Err(replay_failure(SUITE, "generated", &c.config, &expected, m))
            }
            _ => Ok(Some(report.values_compared)),
        },
    }
}

/// What a passing kit run checked, suite by suite.
#[derive(Clone, Debug, PartialEq)]
pub struct KitReport {
    /// One coverage table per suite.
    pub suites: Vec<Coverage>,
}

impl fmt::Display for KitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.suites.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}
