//! The crate's one error type.
//!
//! Every fallible operation returns [`Error`]. Its variants carry structured fields so that tests
//! (and downstream code) can `matches!` on the kind of failure instead of parsing messages; the
//! `Display` text is the one-line message the CLI prints before exiting with code 2.

use thiserror::Error as ThisError;

/// Everything that can go wrong in the oracle: bad input, unsupported arithmetic, resource limits.
#[derive(Debug, Clone, PartialEq, Eq, ThisError)]
pub enum Error {
    /// A hyper-parameter is outside the range its convention accepts (PyTorch's constructor checks,
    /// a momentum outside `[0, 1)`, a non-positive learning rate, ...).
    #[error("invalid hyper-parameter `{name}` = {value}: {reason}")]
    InvalidHyperParameter {
        /// Spelled as in the config (`momentum`, `dampening`, ...).
        name: &'static str,
        /// The offending value, as written.
        value: String,
        /// What the convention requires.
        reason: String,
    },

    /// Two objects that must have the same length do not.
    #[error("dimension mismatch in {context}: expected {expected}, found {found}")]
    DimensionMismatch {
        /// Where the mismatch was found.
        context: String,
        /// The length that was required.
        expected: usize,
        /// The length that was given.
        found: usize,
    },

    /// An exact run produced an entry whose numerator plus denominator exceed the caller's budget.
    #[error(
        "exact arithmetic size budget exceeded at step {step}: an entry needs {bits} bits, the budget is {budget} bits per entry"
    )]
    SizeBudgetExceeded {
        /// Step at which the budget was passed.
        step: usize,
        /// Bits needed by the largest entry.
        bits: u64,
        /// The budget (bits per entry).
        budget: u64,
    },

    /// A run asked for more steps than the caller's step budget allows.
    #[error("step budget exceeded: {requested} steps requested, the budget is {budget}")]
    StepBudgetExceeded {
        /// Steps requested.
        requested: usize,
        /// The budget.
        budget: usize,
    },

    /// An operation has no exact rational result (a square root of a non-square, `exp`, `cos`).
    #[error(
        "{operation} has no exact rational value{detail}; use --arith f64-naive, f64-fused or mpfr:BITS"
    )]
    NotRational {
        /// The operation (`sqrt`, `exp`, `cosine schedule`, ...).
        operation: &'static str,
        /// Optional extra context, starting with a separator (e.g. ` at step 3`).
        detail: String,
    },

    /// The combination asked for is not available (e.g. logistic regression in exact arithmetic).
    #[error("unsupported: {what}")]
    Unsupported {
        /// What was asked for.
        what: String,
    },

    /// A value that must be finite is NaN or infinite.
    #[error("{context}: non-finite value {value}")]
    NonFinite {
        /// Where the value was found.
        context: String,
        /// Its text form (`NaN`, `inf`, `-inf`).
        value: String,
    },

    /// Division by zero (a rational with denominator 0, a zero step count, ...).
    #[error("division by zero in {context}")]
    DivisionByZero {
        /// Where.
        context: String,
    },

    /// Text that could not be parsed as the expected kind of value.
    #[error("cannot parse {what} from {input:?}: {reason}")]
    Parse {
        /// What was expected (`rational`, `f64 bits`, `schedule`, ...).
        what: &'static str,
        /// The input (truncated to 80 characters).
        input: String,
        /// Why it was rejected.
        reason: String,
    },

    /// A name (problem, optimizer, schedule, option) that is not in the catalogue.
    #[error("unknown {kind} `{name}`; known: {known}")]
    Unknown {
        /// `problem`, `optimizer`, `schedule`, `arithmetic`, ...
        kind: &'static str,
        /// The name given.
        name: String,
        /// Comma-separated known names.
        known: String,
    },

    /// A problem or optimizer that needs a quantity the instance does not have (e.g. a rate bound
    /// for a nonconvex problem, or a minimiser that is not known in closed form).
    #[error("{what} is not available for {subject}")]
    Unavailable {
        /// The missing quantity.
        what: &'static str,
        /// The instance.
        subject: String,
    },

    /// A JSON document that is malformed or does not follow the schema.
    #[error("invalid {document}: {reason}")]
    InvalidDocument {
        /// What kind of document (`fixture`, `trace`, `CSV trace`, ...).
        document: &'static str,
        /// Where and why it is invalid.
        reason: String,
    },

    /// A fixture that contradicts itself: a value that recomputing it from the fixture's own
    /// inputs does not give (an exact value, a model's bits, an envelope bound, a hyper-parameter's
    /// exact field, the spec).
    #[error(
        "fixture contradicts its own inputs at {at}: the file has {found}, its inputs give {expected}"
    )]
    FixtureContradiction {
        /// Where: a JSON-pointer path (`/trace/3/envelope/params/0`).
        at: String,
        /// The file's value (abbreviated).
        found: String,
        /// The value recomputed from the inputs (abbreviated).
        expected: String,
    },

    /// A fixture or trace file written by a different schema version.
    #[error("schema version mismatch: file has {found}, this build reads {expected}")]
    SchemaVersion {
        /// The version this build reads.
        expected: String,
        /// The version in the file.
        found: String,
    },

    /// An input file larger than the reader accepts.
    #[error("{path}: {size} bytes is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The file.
        path: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },

    /// A worst-case certificate (`pep`) that does not prove its bound: one named obligation
    /// (nonnegative multipliers, the function-value equation, a PSD slack) fails.
    #[error("certificate rejected: {obligation} fails: {detail}")]
    CertificateRejected {
        /// The obligation, one of the names in `pep::verify`.
        obligation: &'static str,
        /// Where and by how much.
        detail: String,
    },

    /// Reading or writing a file failed.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's message.
        message: String,
    },
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An [`Error::InvalidHyperParameter`] with the value formatted by `Display`.
    pub fn hyper(
        name: &'static str,
        value: impl std::fmt::Display,
        reason: impl Into<String>,
    ) -> Self {
        Error::InvalidHyperParameter {
            name,
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// An [`Error::DimensionMismatch`].
    pub fn dims(context: impl Into<String>, expected: usize, found: usize) -> Self {
        Error::DimensionMismatch {
            context: context.into(),
            expected,
            found,
        }
    }

    /// An [`Error::Parse`]; long inputs are truncated so that one bad line stays one line.
    pub fn parse(what: &'static str, input: &str, reason: impl Into<String>) -> Self {
        let input: String = input.chars().take(80).collect();
        Error::Parse {
            what,
            input,
            reason: reason.into(),
        }
    }

    /// An [`Error::Unsupported`].
    pub fn unsupported(what: impl Into<String>) -> Self {
        Error::Unsupported { what: what.into() }
    }

    /// An [`Error::NotRational`] without extra context.
    pub fn not_rational(operation: &'static str) -> Self {
        Error::NotRational {
            operation,
            detail: String::new(),
        }
    }
}
