//! Problem generators: smooth test functions with known constants, one family per file.
//!
//! Each family gives the value, the gradient, the smoothness constant L, the strong-convexity
//! constant m (0 if merely convex, `None` if nonconvex), a minimiser x* and f* — exactly where the
//! data are rational. Each has a generator drawing from the crate's own stream
//! ([`crate::generate::Stream`]; `seed=N` in a spec), a proptest
//! [`Strategy`](proptest::strategy::Strategy) that *constructs* valid instances (no filtering;
//! proptest draws the parameters, the stream of a drawn seed the data) and a quickcheck
//! `Arbitrary` wrapper.
//!
//! | family | file | exact | constants |
//! |---|---|---|---|
//! | quadratic with prescribed spectrum, rotated by rational Householder reflections | [`quadratic`] | yes | L = max λ, m = min λ |
//! | Nesterov's lower-bound tridiagonal quadratic f_k on ℝⁿ | [`lower_bound`] | yes | L given, m = 0 |
//! | Drori–Teboulle Huber-like worst case (GD and OGM variants) | [`huber`] | yes when ‖x‖ is rational (not OGM with N ≥ 2) | L given, m = 0 |
//! | least squares with rational data | [`least_squares`] | yes | from a rational SVD (exact), or a norm bound and Gershgorin |
//! | logistic regression with L2 | [`logistic`] | no (f64, MPFR; f* certified by Newton in MPFR) | L = ‖AᵀA‖/(4n) + λ, m = λ |
//! | Lessard–Recht–Packard piecewise quadratic | [`lrp`] | yes | L, m given |
//! | Rosenbrock, 2-d and chained | [`rosenbrock`] | yes | nonconvex: no L, m |
//! | rational interpolation data (values and gradients at finitely many points; not a CLI family) | [`interpolated`] | yes, at the data points only | L, m as given by the caller |
//!
//! An optimizer never sees a problem, only an [`Oracle`] in its arithmetic: the arithmetic picks
//! the oracle through [`Evaluate::oracle`], the problem layer's own trait: numbers know nothing
//! of problems.

pub mod huber;
pub mod interpolated;
pub mod least_squares;
pub mod logistic;
pub mod lower_bound;
pub mod lrp;
pub mod quadratic;
mod quadratic_form;
pub mod rosenbrock;
pub mod shape;

mod bounded_oracle;
mod oracle;
pub mod wrappers;

pub use bounded_oracle::{BoundedOracle, FloatingOracle};
pub use oracle::{Evaluate, F64RoundingBound, GapJob, Oracle};
pub use quadratic_form::{GradientForm, QuadraticForm, QuadraticOracle};

use std::fmt::Debug;

use rug::{Float, Rational};

use crate::arith::bounded::{Bounded, BoundedMpfr};
use crate::arith::{Number, Scalar};
use crate::error::{Error, Result};
use crate::spec::{EntryInfo, Spec};

/// A smooth test problem with exact data.
///
/// Dyn-compatible: the CLI and the catalogue hold `Box<dyn Problem>`. Each arithmetic gets its own
/// oracle; families write one generic oracle and return it from all of these methods.
pub trait Problem: Debug + Send + Sync {
    /// The family name used by the CLI (`quadratic`, `lower-bound`, ...).
    fn family(&self) -> &'static str;

    /// The instance as a CLI spec (`quadratic:dim=3,...`), enough to rebuild it.
    fn spec(&self) -> String;

    /// The dimension.
    fn dim(&self) -> usize;

    /// The smoothness constant L (an upper bound on the gradient's Lipschitz constant), or `None`
    /// if the problem is not globally L-smooth.
    fn smoothness(&self) -> Option<Rational>;

    /// The strong-convexity constant m: `Some(0)` for convex problems, `None` for nonconvex ones.
    fn strong_convexity(&self) -> Option<Rational>;

    /// An exact minimiser, when one is rational.
    fn minimizer(&self) -> Option<Vec<Rational>>;

    /// The exact optimal value, when it is rational.
    fn optimal_value(&self) -> Option<Rational>;

    /// The instance's initial point (part of the instance: worst cases depend on it).
    fn initial_point(&self) -> Vec<Rational>;

    /// The oracle in exact arithmetic.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for problems without rational data.
    fn exact_oracle(&self) -> Result<Box<dyn Oracle<Rational> + '_>>;

    /// The oracle in f64 (operation order documented by the family).
    ///
    /// # Errors
    /// Not expected for the crate's families; the `Result` is for user problems.
    fn f64_oracle(&self) -> Result<Box<dyn Oracle<f64> + '_>>;

    /// The oracle in MPFR at the precision in scope.
    ///
    /// # Errors
    /// Not expected for the crate's families; the `Result` is for user problems.
    fn mpfr_oracle(&self) -> Result<Box<dyn Oracle<Float> + '_>>;

    /// Rigorous rounding bounds of the f64 oracle at `x`, or `None` if the family derives none.
    fn f64_rounding(&self, x: &[f64]) -> Option<F64RoundingBound>;

    /// The oracle for bounded f64 runs (values bitwise equal to the f64 oracle, each with a bound on
    /// its distance to the exact result). The default wraps [`Problem::f64_oracle`] with
    /// [`Problem::smoothness`] and [`Problem::f64_rounding`]; quadratic families override it with
    /// their generic oracle, whose bound follows from the same operations.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the problem has no L or no rounding bound.
    fn bounded_oracle(&self) -> Result<Box<dyn Oracle<Bounded> + '_>> {
        bounded_oracle::BoundedOracle::wrap(self)
    }

    /// Rigorous rounding bounds of the MPFR oracle at `x` (at the precision in scope), or `None`
    /// if the family derives none (the default).
    fn mpfr_rounding(&self, _x: &[Float]) -> Option<F64RoundingBound> {
        None
    }

    /// The oracle for bounded MPFR runs, like [`Problem::bounded_oracle`] (the default wraps the
    /// MPFR oracle with [`Problem::mpfr_rounding`]).
    ///
    /// # Errors
    /// [`Error::Unavailable`] when the problem has no L or no rounding bound.
    fn bounded_mpfr_oracle(&self) -> Result<Box<dyn Oracle<BoundedMpfr> + '_>> {
        bounded_oracle::BoundedOracle::wrap(self)
    }

    /// The problem data as JSON (exact rationals as `"p/q"`), for fixtures.
    fn data_json(&self) -> serde_json::Value;
}

/// The largest dimension (and number of data rows) a problem spec may ask for. Exact data are
/// dense rationals: 2048² entries are already hundreds of megabytes, and a larger size is far more
/// likely a typo than an experiment.
pub const MAX_DIMENSION: usize = 2048;

/// The largest step count a problem spec may be built for (Huber worst cases for N steps).
pub const MAX_STEPS: usize = 1_000_000;

/// Checks a dimension against [`MAX_DIMENSION`].
///
/// # Errors
/// [`Error::InvalidHyperParameter`] naming `key`.
pub fn check_dimension(key: &'static str, n: usize) -> Result<()> {
    if n > MAX_DIMENSION {
        return Err(Error::hyper(
            key,
            n,
            format!("must be at most {MAX_DIMENSION}"),
        ));
    }
    Ok(())
}

/// The exact minimiser, or an [`Error::Unavailable`] naming the problem.
pub fn require_minimizer(p: &dyn Problem) -> Result<Vec<Rational>> {
    p.minimizer().ok_or_else(|| Error::Unavailable {
        what: "an exact minimiser",
        subject: p.spec(),
    })
}

/// The smoothness constant, or an [`Error::Unavailable`] naming the problem.
pub fn require_smoothness(p: &dyn Problem) -> Result<Rational> {
    p.smoothness().ok_or_else(|| Error::Unavailable {
        what: "a smoothness constant L",
        subject: p.spec(),
    })
}

/// `‖x₀ − x*‖²` for the instance's initial point, exactly.
pub fn initial_distance_sq(p: &dyn Problem) -> Result<Rational> {
    let xs = require_minimizer(p)?;
    Ok(p.initial_point()
        .iter()
        .zip(&xs)
        .fold(Rational::new(), |acc, (a, b)| {
            let d = Rational::from(a - b);
            acc + Rational::from(&d * &d)
        }))
}

/// Checks that `x` has the problem's dimension.
pub fn check_dim<S: Scalar>(context: &str, expected: usize, x: &S::Vector) -> Result<()> {
    use crate::arith::linalg::Vector;
    if x.len() == expected {
        Ok(())
    } else {
        Err(Error::dims(context, expected, x.len()))
    }
}

/// Converts exact coordinates into a run's arithmetic.
pub fn to_vector<S: Scalar>(xs: &[Rational]) -> S::Vector {
    use crate::arith::linalg::Vector;
    S::Vector::from_scalars(&xs.iter().map(S::from_rational).collect::<Vec<_>>())
}

/// Whether `a ≥ b` as numbers.
///
/// Families whose formula has branches decide them with this, not with `>=`: [`Bounded`]'s
/// derived order also compares the error bounds when the values tie, so a bounded run could take
/// another branch than the plain f64 run whose values it must reproduce bit for bit. Values that
/// are not finite fall back to the type's own order.
pub(crate) fn at_least<S: Number>(a: &S, b: &S) -> bool {
    match (a.to_rational(), b.to_rational()) {
        (Some(x), Some(y)) => x >= y,
        _ => a >= b,
    }
}

/// Checks that a parameter is strictly positive.
pub(crate) fn require_positive(name: &'static str, value: &Rational) -> Result<()> {
    if *value <= 0 {
        return Err(Error::hyper(
            name,
            crate::arith::text::format(value),
            "must be positive",
        ));
    }
    Ok(())
}

/// Every family, with a one-line description and its spec parameters.
pub fn catalogue() -> Vec<EntryInfo> {
    vec![
        quadratic::INFO,
        lower_bound::INFO,
        huber::INFO,
        least_squares::INFO,
        logistic::INFO,
        lrp::INFO,
        rosenbrock::INFO,
    ]
}

/// Builds a problem from a CLI spec such as `quadratic:dim=4,seed=7`.
///
/// # Errors
/// [`Error::Unknown`] for an unknown family or parameter, [`Error::Parse`] and
/// [`Error::InvalidHyperParameter`] for bad values.
pub fn from_spec(text: &str) -> Result<Box<dyn Problem>> {
    let spec = Spec::parse(text)?;
    Ok(match spec.name() {
        "quadratic" => Box::new(quadratic::QuadraticProblem::from_spec(&spec)?),
        "lower-bound" => Box::new(lower_bound::LowerBoundProblem::from_spec(&spec)?),
        "huber" => Box::new(huber::HuberProblem::from_spec(&spec)?),
        "least-squares" => Box::new(least_squares::LeastSquaresProblem::from_spec(&spec)?),
        "logistic" => Box::new(logistic::LogisticProblem::from_spec(&spec)?),
        "lrp" => Box::new(lrp::LrpProblem::from_spec(&spec)?),
        "rosenbrock" => Box::new(rosenbrock::RosenbrockProblem::from_spec(&spec)?),
        other => return Err(crate::spec::unknown("problem", other, &catalogue())),
    })
}
