//! The kit's typed failure: everything needed to reproduce a failing case by hand.

use std::fmt;

use rug::Rational;

use super::coverage::{Coverage, Shortfall};
use super::{Config, Convention};
use crate::arith::format::Format;
use crate::arith::text::{f64_bits, format, format_f64};
use crate::error::Error;

/// Why a kit suite failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ConformanceFailure {
    /// A replayed value left the error envelope of the exact trace.
    #[error("{0}")]
    Replay(Box<ReplayFailure>),
    /// The iteration contracted where the exact spectral radius says it grows, or the reverse.
    #[error("{0}")]
    Stability(Box<StabilityFailure>),
    /// The adapter declined everything, or more than half, of the cases offered; or nothing ran.
    #[error("{}", render_shortfall(.0))]
    Coverage(Box<Coverage>),
    /// The adapter broke the protocol (a state vector of the wrong length, ...) or a case could
    /// not be generated.
    #[error("conformance {case}: {source}")]
    Invalid {
        /// The case.
        case: String,
        /// What went wrong.
        source: Error,
    },
}

fn render_shortfall(c: &Coverage) -> String {
    let why = match c.shortfall() {
        Some(Shortfall::NothingChecked) => {
            "nothing was checked: every case was unsupported or skipped".to_string()
        }
        Some(Shortfall::DeclinedEverything { declined }) => format!(
            "the adapter declined every case it was offered ({declined} of {declined}): a suite \
             passed by declining checks nothing; declare what it does not support with \
             `UnderTest::unsupported` so that those features are reported as unsupported"
        ),
        Some(Shortfall::DeclinedMoreThanHalf {
            declined,
            considered,
        }) => format!(
            "the adapter declined {declined} of the {considered} cases it was offered, more than \
             half; declare what it does not support with `UnderTest::unsupported` so that those \
             features are reported as unsupported, not as passed"
        ),
        None => "coverage is sufficient".to_string(),
    };
    format!("FAIL {}: {why}\n{c}", c.suite)
}

/// A number as the oracle reads it: shortest decimal, exact `p/q`, IEEE bits.
fn exactly(x: f64) -> String {
    match Rational::from_f64(x) {
        Some(q) => format!("{} = {} [0x{}]", format_f64(x), format(&q), f64_bits(x)),
        None => format!("{} [0x{}]", format_f64(x), f64_bits(x)),
    }
}

/// A vector of f64 as shortest round-trip decimals (each names exactly one f64).
fn decimals(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|x| format_f64(*x)).collect();
    format!("[{}]", parts.join(", "))
}

/// The bits of `x` in `format` as hex digits (`x` is a number of `format`, or NaN).
fn bits_in(format: Format, x: f64) -> String {
    if format == Format::Binary64 {
        return f64_bits(x);
    }
    match crate::fixture::diagnose::value_bits(format, x, 0, 0) {
        Ok(b) => crate::fixture::lowprec::hex(format, b),
        Err(_) => format!("(not a {format} number: binary64 0x{})", f64_bits(x)),
    }
}

/// A vector of numbers of `format` as hex bits.
fn hexes(format: Format, v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|x| bits_in(format, *x)).collect();
    format!("[{}]", parts.join(", "))
}

fn convention_name(c: Convention) -> &'static str {
    match c {
        Convention::Pytorch => "pytorch (torch.optim.SGD)",
        Convention::Keras => "keras (keras.optimizers.SGD)",
        Convention::Optax => "optax (optax.sgd / trace)",
    }
}

/// The first value of a replay outside the envelope, with the whole case.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayFailure {
    /// The suite (`replay fixtures` or `replay properties`).
    pub suite: &'static str,
    /// The fixture's name, or `generated` for a (shrunk) generated case.
    pub case: String,
    /// The convention and hyper-parameters the adapter was started with.
    pub config: Config,
    /// The number format of the adapter's values ([`super::Element::FORMAT`] of its element
    /// type): the format the case was judged in, and the one `received`'s bits are printed in.
    pub format: Format,
    /// The learning rate of each step (the schedule).
    pub learning_rates: Vec<f64>,
    /// The initial parameters.
    pub initial_params: Vec<f64>,
    /// The gradient of each step.
    pub gradients: Vec<Vec<f64>>,
    /// The step (1-based).
    pub step: usize,
    /// `params` or the state vector's name.
    pub quantity: String,
    /// The coordinate (0-based).
    pub coordinate: usize,
    /// The exact value of the replay at this step and coordinate.
    pub expected: Rational,
    /// The adapter's value.
    pub received: f64,
    /// `|received − expected|`, rounded up.
    pub error: f64,
    /// The envelope: the largest error any conforming operation order can make here.
    pub bound: f64,
    /// In binary32, bfloat16 and binary16: the kernel model that reproduces the adapter's
    /// parameters bit for bit although no framework runs it (a hyper-parameter one ulp off, the
    /// first-step dampening quirk, …; `fixture::diagnose`), when one does. A failure inside the
    /// envelope always has one: it is what proves the trace wrong.
    pub diagnosis: Option<String>,
}

impl fmt::Display for ReplayFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        if self.error > self.bound {
            writeln!(
                f,
                "FAIL {} {} ({}): leaves the error envelope at step {}, {}[{}]",
                self.suite, self.case, self.format, self.step, self.quantity, self.coordinate
            )?;
        } else {
            writeln!(
                f,
                "FAIL {} {} ({}): inside the error envelope but bit-exact with no model of a \
                 framework, and reproduced by a different update (the diagnosis); first \
                 difference from the reference model at step {}, {}[{}]",
                self.suite, self.case, self.format, self.step, self.quantity, self.coordinate
            )?;
        }
        if let Some(d) = &self.diagnosis {
            writeln!(f, "  diagnosis: {d}")?;
        }
        writeln!(f, "  convention: {}", convention_name(c.convention))?;
        writeln!(
            f,
            "  format: {} ({})",
            self.format,
            super::element::element_type_name(self.format)
        )?;
        writeln!(f, "  hyper-parameters (decimal = exact p/q [IEEE bits]):")?;
        writeln!(f, "    momentum = {}", exactly(c.momentum))?;
        writeln!(f, "    dampening = {}", exactly(c.dampening))?;
        writeln!(f, "    weight_decay = {}", exactly(c.weight_decay))?;
        writeln!(
            f,
            "    nesterov = {}, maximize = {}",
            c.nesterov, c.maximize
        )?;
        writeln!(
            f,
            "  schedule (learning rate of steps 1..={}):",
            self.learning_rates.len()
        )?;
        for (k, lr) in self.learning_rates.iter().enumerate() {
            writeln!(f, "    step {}: {}", k + 1, exactly(*lr))?;
        }
        let narrow = self.format != Format::Binary64;
        writeln!(f, "  initial params: {}", decimals(&self.initial_params))?;
        if narrow {
            writeln!(
                f,
                "  initial params ({} bits): {}",
                self.format,
                hexes(self.format, &self.initial_params)
            )?;
        }
        for (k, g) in self.gradients.iter().enumerate() {
            writeln!(f, "  gradient of step {}: {}", k + 1, decimals(g))?;
            if narrow {
                writeln!(
                    f,
                    "  gradient of step {} ({} bits): {}",
                    k + 1,
                    self.format,
                    hexes(self.format, g)
                )?;
            }
        }
        writeln!(
            f,
            "  at step {}, {}[{}]:",
            self.step, self.quantity, self.coordinate
        )?;
        writeln!(f, "    expected (exact) = {}", format(&self.expected))?;
        writeln!(
            f,
            "    received = {} [0x{}]",
            format_f64(self.received),
            bits_in(self.format, self.received)
        )?;
        write!(
            f,
            "    |received − expected| = {:e} {} envelope bound {:e}",
            self.error,
            if self.error > self.bound { ">" } else { "≤" },
            self.bound
        )
    }
}

/// A stability case whose iterates did what the exact spectral radius rules out.
#[derive(Clone, Debug, PartialEq)]
pub struct StabilityFailure {
    /// The configuration.
    pub config: Config,
    /// γλ (λ = 1, so also the learning rate).
    pub learning_rate: Rational,
    /// The exact spectral radius (rounded for display).
    pub spectral_radius: f64,
    /// Whether the exact radius says the iteration contracts.
    pub stable: bool,
    /// The number of steps run.
    pub steps: usize,
    /// x after those steps (a number of `format`, widened exactly).
    pub last_iterate: f64,
    /// The adapter's format.
    pub format: Format,
    /// The bound below which a contracting iterate must fall (10⁻¹⁰, or the format's smallest
    /// normal where that is larger: binary16).
    pub contract_below: f64,
}

impl fmt::Display for StabilityFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        write!(
            f,
            "FAIL stability properties: {} on λx²/2 (λ = 1) from x₀ = 1, format {}, \
             γλ = {} (learning rate {}), momentum = {}, nesterov = {}: exact spectral radius \
             {:.4} ({}) but x_{} = {:e}",
            convention_name(c.convention),
            self.format,
            format(&self.learning_rate),
            exactly(crate::arith::rational_to_f64(&self.learning_rate)),
            exactly(c.momentum),
            c.nesterov,
            self.spectral_radius,
            if self.stable {
                format!("≤ 9/10: must contract below {:e}", self.contract_below)
            } else {
                "≥ 11/10: must exceed 1e10 or overflow".to_string()
            },
            self.steps,
            self.last_iterate
        )
    }
}
