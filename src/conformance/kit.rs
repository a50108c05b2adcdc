//! The kit's runner: how many cases, the three suites, and the report of what they checked.

use std::cell::RefCell;
use std::fmt;

use proptest::test_runner::{Config as PtConfig, TestCaseError, TestError, TestRunner};
use rug::Rational;

use super::coverage::{CaseOutcome, Coverage, Family, Feature};
use super::element::Element;
use super::failure::{ConformanceFailure, StabilityFailure};
use super::judge::{Expected, Judged, judge};
use super::{
    Config, Convention, GeneratedCase, UnderTest, case_config, char_poly, generated_case_in, shrink,
};
use crate::arith::format::Format;
use crate::arith::rational_to_f64;
use crate::error::{Error, Result as CrateResult};
use crate::fixture::lowprec;
use crate::fixture::replay::{self, REPLAY_CASES, ReplayCase};

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
    pub fn run<E: Element, T: UnderTest<E>>(
        &self,
        make: impl Fn() -> T,
    ) -> Result<KitReport, ConformanceFailure> {
        let suites = vec![
            self.replay_fixtures(&mut make())?,
            self.replay_properties(&make)?,
            self.stability_properties(&make)?,
        ];
        Ok(KitReport { suites })
    }

    /// The replay catalogue of `imp`'s convention in its format: the data of `fixtures/replay/`
    /// for an f64 adapter, of `fixtures/replay-<format>/` for the others (generated in memory,
    /// byte for byte what the files hold).
    ///
    /// # Errors
    /// The first fixture the adapter fails, or too little coverage.
    pub fn replay_fixtures<E: Element, T: UnderTest<E> + ?Sized>(
        &self,
        imp: &mut T,
    ) -> Result<Coverage, ConformanceFailure> {
        const SUITE: &str = "replay fixtures";
        let convention = imp.convention();
        let mut coverage = Coverage::new(SUITE, convention, imp.unsupported()).in_format(E::FORMAT);
        for case in fixture_cases(convention, E::FORMAT) {
            let invalid = |source: Error| ConformanceFailure::Invalid {
                case: case.name.to_string(),
                source,
            };
            let config = case_config(&case).map_err(invalid)?;
            let expected = expected_of(E::FORMAT, &case).map_err(invalid)?;
            let features = Feature::used_by(&config, expected.learning_rates());
            if coverage.is_unsupported(&features) {
                coverage.record(&features, CaseOutcome::Unsupported);
                continue;
            }
            match judge(imp, SUITE, case.name, &config, &expected)? {
                Judged::Declined => coverage.record(&features, CaseOutcome::Declined),
                Judged::Passed { verdict, fraction } => {
                    coverage.record(&features, CaseOutcome::Run);
                    coverage.verdict(&verdict, fraction);
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
    pub fn replay_properties<E: Element, T: UnderTest<E>>(
        &self,
        make: impl Fn() -> T,
    ) -> Result<Coverage, ConformanceFailure> {
        const SUITE: &str = "replay properties";
        let probe = make();
        let convention = probe.convention();
        let coverage = RefCell::new(
            Coverage::new(SUITE, convention, probe.unsupported()).in_format(E::FORMAT),
        );
        // Count the cases of the search, not the re-runs of shrinking.
        let searching = std::cell::Cell::new(true);
        let count = |features: &[Feature], outcome: CaseOutcome| {
            if searching.get() {
                coverage.borrow_mut().record(features, outcome);
            }
        };
        let strategy = generated_case_in(convention, E::FORMAT);
        let result = self.runner().run(&strategy, |c| {
            let features = Feature::used_by(&c.config, &c.rates);
            if coverage.borrow().is_unsupported(&features) {
                count(&features, CaseOutcome::Unsupported);
                return Ok(());
            }
            match replay_generated(&make, &c) {
                Ok(Generated::Skipped) => {
                    if searching.get() {
                        coverage.borrow_mut().skip(&features, NEAR_OVERFLOW);
                    }
                }
                Ok(Generated::Judged(Judged::Declined)) => {
                    count(&features, CaseOutcome::Declined);
                }
                Ok(Generated::Judged(Judged::Passed { verdict, fraction })) => {
                    if searching.get() {
                        coverage.borrow_mut().verdict(&verdict, fraction);
                    }
                    count(&features, CaseOutcome::Run);
                }
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
    pub fn stability_properties<E: Element, T: UnderTest<E>>(
        &self,
        make: impl Fn() -> T,
    ) -> Result<Coverage, ConformanceFailure> {
        use proptest::prelude::*;
        const SUITE: &str = "stability properties";
        const BAND: &str = "exact spectral radius strictly between 9/10 and 11/10: too close to 1 \
                            for a verdict immune to rounding in 400 steps";
        let probe = make();
        let convention = probe.convention();
        let mut families =
            Coverage::new(SUITE, convention, probe.unsupported()).in_format(E::FORMAT);
        let contract_below = contract_below(E::FORMAT);
        let one = E::exactly(1.0).expect("1 is a number of every format");
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
        // h = γλ = n/16 ∈ (0, 6] and μ = m/16: at most 7 significant bits, so both are numbers
        // of every format (bfloat16 has 8): whatever a kernel converts them to, it runs the
        // iteration whose exact spectral radius the verdict uses. (n/20 would not be: in
        // bfloat16 a rounded h moves the radius by up to ~√(2⁻⁸) near a double root.)
        let strategy = (1u32..=96, 0u32..=15, any::<bool>());
        let result = self.runner().run(&strategy, |(h16, mu16, nest)| {
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
            let h = Rational::from((h16, 16u32));
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
            let mut x = vec![one];
            if !imp.start(&config, &x) {
                count(CaseOutcome::Declined);
                return Ok(());
            }
            for _ in 0..STABILITY_STEPS {
                let g = x.clone();
                imp.step(&mut x, &g, learning_rate);
                if !x[0].to_f64().is_finite() {
                    break;
                }
            }
            let last = x[0].to_f64();
            let ok = if stable {
                last.abs() < contract_below
            } else {
                !last.is_finite() || last.abs() > 1e10
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
                    last_iterate: last,
                    format: E::FORMAT,
                    contract_below,
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

/// Why a generated case was skipped: its exact trace comes within a factor 2 of the format's
/// overflow, where the envelope (which assumes no overflow, `optim::kernel::envelope`) says
/// nothing.
const NEAR_OVERFLOW: &str = "exact trace within a factor 2 of the format's largest finite \
                             number: the envelope assumes no overflow";

/// A generated case, run.
enum Generated {
    /// Not run (the reason is [`NEAR_OVERFLOW`]).
    Skipped,
    /// Run, or declined.
    Judged(Judged),
}

/// The catalogue cases of `convention` in `format`: the binary64 replay catalogue, or the
/// format's ([`lowprec::cases`]).
fn fixture_cases(convention: Convention, format: Format) -> Vec<ReplayCase> {
    if format == Format::Binary64 {
        REPLAY_CASES
            .iter()
            .filter(|c| c.convention == convention)
            .cloned()
            .collect()
    } else {
        lowprec::cases()
            .into_iter()
            .filter(|(f, c)| *f == format && c.convention == convention)
            .map(|(_, c)| c)
            .collect()
    }
}

/// The expectation of a catalogue case in `format`.
fn expected_of(format: Format, case: &ReplayCase) -> CrateResult<Expected> {
    Ok(if format == Format::Binary64 {
        Expected::Binary64(Box::new(super::fixture_of(case)?))
    } else {
        Expected::Format(Box::new(lowprec::build(format, case)?))
    })
}

/// The expectation of a generated case in `format`; `None` when its exact trace comes within a
/// factor 2 of the format's overflow.
fn expected_generated(format: Format, c: &GeneratedCase) -> CrateResult<Option<Expected>> {
    if format == Format::Binary64 {
        let oc = super::oracle_config(&c.config)?;
        let expected = replay::expectation("generated", &oc, &c.rates, &c.x0, &c.gradients)?;
        return Ok(Some(Expected::Binary64(Box::new(expected))));
    }
    let bits = |v: &[f64]| -> CrateResult<Vec<u64>> {
        v.iter()
            .map(|x| crate::fixture::diagnose::value_bits(format, *x, 0, 0))
            .collect()
    };
    let hyper = crate::optim::kernel::Hyper {
        learning_rates: c.rates.clone(),
        momentum: c.config.momentum,
        dampening: c.config.dampening,
        weight_decay: c.config.weight_decay,
        nesterov: c.config.nesterov,
        maximize: c.config.maximize,
    };
    let initial = bits(&c.x0)?;
    let gradients = c
        .gradients
        .iter()
        .map(|g| bits(g))
        .collect::<CrateResult<Vec<_>>>()?;
    let family = lowprec::family(c.config.convention);
    // The exact trace first (cheap): a case near overflow is skipped before its models run.
    let exact = crate::optim::kernel::exact_trace(family, format, &hyper, &initial, &gradients)?;
    let limit = Rational::from(rug::Integer::from(1) << (format.max_exponent() - 1) as u32);
    let near = exact.iter().any(|s| {
        s.params
            .iter()
            .chain(s.state.iter().flatten())
            .any(|q| Rational::from(q.abs_ref()) >= limit)
    });
    if near {
        return Ok(None);
    }
    let fx = lowprec::build_from("generated", format, family, hyper, initial, gradients)?;
    Ok(Some(Expected::Format(Box::new(fx))))
}

/// One generated case on a fresh adapter of element type `E`.
fn replay_generated<E: Element, T: UnderTest<E>>(
    make: &impl Fn() -> T,
    c: &GeneratedCase,
) -> Result<Generated, ConformanceFailure> {
    const SUITE: &str = "replay properties";
    let invalid = |source: Error| ConformanceFailure::Invalid {
        case: "generated".into(),
        source,
    };
    let Some(expected) = expected_generated(E::FORMAT, c).map_err(invalid)? else {
        return Ok(Generated::Skipped);
    };
    let mut imp = make();
    judge(&mut imp, SUITE, "generated", &c.config, &expected).map(Generated::Judged)
}

/// The bound a contracting iterate must fall below in 400 steps: 10⁻¹⁰, or the smallest normal
/// number of `format` where that is larger (binary16's, 2⁻¹⁴ ≈ 6.1·10⁻⁵: below it the subnormal
/// grid of spacing 2⁻²⁴ is coarse enough that a correct iteration may settle on a nonzero
/// subnormal, where the step `hx` rounds away).
fn contract_below(format: Format) -> f64 {
    let smallest_normal = rational_to_f64(&format.smallest_normal());
    smallest_normal.max(1e-10)
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
