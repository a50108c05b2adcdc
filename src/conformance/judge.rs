//! One replay in the adapter's format: drive the adapter, then judge its trace — against the
//! binary64 replay fixture ([`crate::fixture::check`]) or against the format's kernel models and
//! envelope with the diagnosis ([`crate::fixture::diagnose`]).
//!
//! Both expectations speak f64 at the boundary: the adapter's values of type `E` are widened to
//! f64 (exactly, [`Element::to_f64`]) before they are judged, and the inputs handed to it are f64
//! numbers of its format narrowed back (exactly again, [`Element::exactly`]).

use rug::Rational;

use super::element::Element;
use super::failure::{ConformanceFailure, ReplayFailure};
use super::{Config, UnderTest, state_name};
use crate::arith::format::Decoded;
use crate::arith::format::Format;
use crate::error::{Error, Result};
use crate::fixture::check::{ExternalStep, ExternalTrace, ReplayFixture, Verdict, check};
use crate::fixture::diagnose::{FormatVerdict, check_format, value_bits};
use crate::fixture::lowprec::FormatFixture;
use crate::optim::kernel::envelope::up;
use crate::optim::kernel::{Model, Stored, run};

/// What a replay is judged against.
pub(super) enum Expected {
    /// A binary64 replay fixture (`fixtures/replay/`, or generated with `replay::expectation`).
    Binary64(Box<ReplayFixture>),
    /// A fixture of a narrower format (`fixtures/replay-<format>/`, or generated with
    /// `lowprec::build_from`).
    Format(Box<FormatFixture>),
}

impl Expected {
    fn format(&self) -> Format {
        match self {
            Expected::Binary64(_) => Format::Binary64,
            Expected::Format(fx) => fx.format,
        }
    }

    /// The learning rate of each step.
    pub(super) fn learning_rates(&self) -> &[f64] {
        match self {
            Expected::Binary64(f) => &f.learning_rates,
            Expected::Format(fx) => &fx.hyper.learning_rates,
        }
    }

    /// The f64 of a stored number of the fixture's format: exact (every number of the four
    /// formats is an f64, element.rs), keeping the sign of zero, which the exact value drops and
    /// the adapter must see (−0 + −0 is −0, +0 + −0 is +0).
    fn value(&self, bits: u64) -> f64 {
        use crate::arith::format::{Decoded, Rounded};
        match self.format().from_bits(bits) {
            Ok(Decoded::Number(Rounded::Finite(q))) => crate::arith::format::round_f64(&q),
            Ok(Decoded::Number(Rounded::Zero { negative })) => {
                if negative {
                    -0.0
                } else {
                    0.0
                }
            }
            Ok(Decoded::Number(Rounded::Infinite { negative })) => {
                if negative {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                }
            }
            Ok(Decoded::Nan) | Err(_) => f64::NAN,
        }
    }

    fn initial(&self) -> Vec<f64> {
        match self {
            Expected::Binary64(f) => f.initial_params.clone(),
            Expected::Format(fx) => fx.initial.iter().map(|b| self.value(*b)).collect(),
        }
    }

    fn gradients(&self) -> Vec<Vec<f64>> {
        match self {
            Expected::Binary64(f) => f.gradients.clone(),
            Expected::Format(fx) => fx
                .gradients
                .iter()
                .map(|g| g.iter().map(|b| self.value(*b)).collect())
                .collect(),
        }
    }

    /// Whether the oracle has a state vector named `name` at step `k` (0-based): PyTorch creates
    /// its buffer at step 1 and has none without momentum.
    fn has_state(&self, k: usize, name: &str) -> bool {
        match self {
            Expected::Binary64(f) => f.steps[k].exact_state.iter().any(|(n, _)| n == name),
            Expected::Format(fx) => fx.exact[k].state.is_some(),
        }
    }
}

/// How a judged replay ended.
pub(super) enum Judged {
    /// The adapter declined the configuration.
    Declined,
    /// Passed: the verdict's words (`bit-exact with model single, foreach, fused`, `within the
    /// envelope`) and the largest fraction of the envelope used.
    Passed {
        /// The verdict.
        verdict: String,
        /// `max |x̂ − x| / bound`.
        fraction: f64,
    },
}

/// Narrows f64 numbers of `E`'s format to `E`.
fn narrow<E: Element>(v: &[f64]) -> Result<Vec<E>> {
    v.iter()
        .map(|x| {
            E::exactly(*x).ok_or_else(|| {
                Error::unsupported(format!(
                    "{x:e} is not a {} number (a generator bug)",
                    E::FORMAT
                ))
            })
        })
        .collect()
}

fn widen<E: Element>(v: &[E]) -> Vec<f64> {
    v.iter().map(|x| x.to_f64()).collect()
}

/// Drives `imp` through the replay of `expected`; `None` if it declines `config`.
///
/// # Errors
/// [`Error::Unsupported`] if an input is not a number of `E`'s format.
pub(super) fn drive<E: Element, T: UnderTest<E> + ?Sized>(
    imp: &mut T,
    config: &Config,
    expected: &Expected,
) -> Result<Option<ExternalTrace>> {
    let mut params: Vec<E> = narrow(&expected.initial())?;
    if !imp.start(config, &params) {
        return Ok(None);
    }
    let name = state_name(config.convention);
    let gradients = expected.gradients();
    let mut steps = Vec::with_capacity(gradients.len());
    for (k, (g, learning_rate)) in gradients.iter().zip(expected.learning_rates()).enumerate() {
        let g: Vec<E> = narrow(g)?;
        imp.step(&mut params, &g, *learning_rate);
        let mut state = Vec::new();
        if expected.has_state(k, name) {
            if let Some(v) = imp.state(name) {
                state.push((name.to_string(), widen(&v)));
            }
        }
        steps.push(ExternalStep {
            params: widen(&params),
            state,
        });
    }
    Ok(Some(ExternalTrace { steps }))
}

/// Drives `imp` and judges its trace; the failure, typed, when it fails.
///
/// # Errors
/// [`ConformanceFailure::Replay`] for a wrong value (with the diagnosis in a narrow format),
/// [`ConformanceFailure::Invalid`] for a broken protocol (a trace of the wrong shape).
pub(super) fn judge<E: Element, T: UnderTest<E> + ?Sized>(
    imp: &mut T,
    suite: &'static str,
    case: &str,
    config: &Config,
    expected: &Expected,
) -> std::result::Result<Judged, ConformanceFailure> {
    let invalid = |source: Error| ConformanceFailure::Invalid {
        case: case.to_string(),
        source,
    };
    let Some(trace) = drive(imp, config, expected).map_err(invalid)? else {
        return Ok(Judged::Declined);
    };
    let failure = |step: usize,
                   quantity: String,
                   coordinate: usize,
                   exact: Rational,
                   received: f64,
                   error: f64,
                   bound: f64,
                   diagnosis: Option<String>| {
        let initial = expected.initial();
        let gradients = expected.gradients();
        ConformanceFailure::Replay(Box::new(ReplayFailure {
            suite,
            case: case.to_string(),
            config: config.clone(),
            format: expected.format(),
            learning_rates: expected.learning_rates()[..step].to_vec(),
            initial_params: initial,
            gradients: gradients[..step].to_vec(),
            step,
            quantity,
            coordinate,
            expected: exact,
            received,
            error,
            bound,
            diagnosis,
        }))
    };
    match expected {
        Expected::Binary64(fixture) => {
            let report = check(fixture, &trace).map_err(invalid)?;
            match &report.verdict {
                Verdict::Mismatch(m) => Err(failure(
                    m.step,
                    m.quantity.clone(),
                    m.coordinate,
                    m.exact.clone(),
                    m.value,
                    m.error,
                    m.bound,
                    None,
                )),
                Verdict::BitExact(models) => Ok(Judged::Passed {
                    verdict: format!("bit-exact with model {}", models.join(", ")),
                    fraction: report.max_envelope_fraction,
                }),
                Verdict::WithinEnvelope => Ok(Judged::Passed {
                    verdict: "within the envelope".into(),
                    fraction: report.max_envelope_fraction,
                }),
            }
        }
        Expected::Format(fx) => {
            let report = check_format(fx, &trace).map_err(invalid)?;
            let fraction = report.max_envelope_fraction;
            // Before an accepted diagnosis, which compares parameters only: the variant found
            // here reproduces the state too.
            if !matches!(report.verdict, FormatVerdict::BitExact(_)) {
                if let Some(model) = other_underflow(fx, &trace).map_err(invalid)? {
                    return Ok(Judged::Passed {
                        verdict: format!("bit-exact with {}", model.describe()),
                        fraction,
                    });
                }
            }
            match report.verdict {
                FormatVerdict::BitExact(models) => Ok(Judged::Passed {
                    verdict: format!("bit-exact with model {}", models.join(", ")),
                    fraction,
                }),
                FormatVerdict::Accepted(model) => Ok(Judged::Passed {
                    verdict: format!("bit-exact with {model} (the framework's own convention)"),
                    fraction,
                }),
                FormatVerdict::WithinEnvelope => Ok(Judged::Passed {
                    verdict: "within the envelope".into(),
                    fraction,
                }),
                FormatVerdict::Fails {
                    step,
                    quantity,
                    coordinate,
                    exact,
                    bound,
                    ..
                } => {
                    let s = &trace.steps[step - 1];
                    let received = if quantity == "params" {
                        s.params[coordinate]
                    } else {
                        s.state
                            .iter()
                            .find(|(n, _)| *n == quantity)
                            .map_or(f64::NAN, |(_, v)| v[coordinate])
                    };
                    let error = match Rational::from_f64(received) {
                        Some(v) => up(&Rational::from(&v - &exact).abs()),
                        None => f64::INFINITY,
                    };
                    Err(failure(
                        step,
                        quantity,
                        coordinate,
                        exact,
                        received,
                        error,
                        bound,
                        report.diagnosis,
                    ))
                }
            }
        }
    }
}

/// The fixture's kernel model that reproduces `trace` bit for bit once its subnormal handling is
/// the other one, if any: flushing subnormals is the platform's choice (XLA on CPU flushes,
/// `torch.set_flush_denormal(True)` makes PyTorch flush, a Rust optimizer on IEEE hardware does
/// not), not the update rule's, so a Keras- or Optax-convention optimizer with gradual underflow
/// or a flushing PyTorch one is the framework's kernel, and passes under that name. The
/// diagnosis (`fixture::diagnose`) tries these variants too but, judging a framework's own trace,
/// counts them as mistakes.
///
/// # Errors
/// As [`crate::optim::kernel::run`]; a trace value that is not a number of the format.
fn other_underflow(fx: &FormatFixture, trace: &ExternalTrace) -> Result<Option<Model>> {
    let f = fx.format;
    let bits = |v: &[f64]| -> Result<Vec<u64>> {
        v.iter()
            .enumerate()
            .map(|(i, x)| value_bits(f, *x, 0, i))
            .collect()
    };
    let same = |a: u64, b: u64| {
        a == b
            || (matches!(f.from_bits(a), Ok(Decoded::Nan))
                && matches!(f.from_bits(b), Ok(Decoded::Nan)))
    };
    let state_name = fx.family.state_name();
    for base in Model::catalogue(fx.family, f) {
        let mut model = base;
        model.ftz = !base.ftz;
        let a = model.exact();
        let steps = run(&a, &model, &fx.hyper, &fx.initial, &fx.gradients)?;
        let mut reproduces = steps.len() == trace.steps.len();
        for (s, t) in steps.iter().zip(&trace.steps) {
            if !reproduces {
                break;
            }
            let mine = bits(&t.params)?;
            reproduces = s.params.len() == mine.len()
                && s.params
                    .iter()
                    .zip(&mine)
                    .all(|(x, b)| a.bits(x, f).is_ok_and(|xb| same(xb, *b)));
            if let Some((_, v)) = t.state.iter().find(|(n, _)| n == state_name) {
                let theirs = bits(v)?;
                reproduces &= match &s.state {
                    Some(sv) => sv
                        .iter()
                        .zip(&theirs)
                        .all(|(x, b)| a.bits(x, f).is_ok_and(|xb| same(xb, *b))),
                    None => false,
                };
            }
        }
        if reproduces {
            return Ok(Some(model));
        }
    }
    Ok(None)
}
