//! The runs behind the pictures: exact where the entries stay small, MPFR otherwise, converted to
//! f64 only to be drawn.

use rug::{Float, Rational};

use crate::arith::linalg::Vector;
use crate::arith::{Number, Scalar, with_mpfr_precision};
use crate::error::{Error, Result};
use crate::optim::{OptimizerConfig, Schedule};
use crate::problem::Problem;
use crate::trace::{self, Outcome, RunOptions, Trace};

use super::{MAX_PLOT_STEPS, PLOT_MPFR_BITS, PLOT_SIZE_BUDGET_BITS};

/// Checks a step count against `[min, MAX_PLOT_STEPS]`.
pub(crate) fn check_steps(steps: usize, min: usize) -> Result<()> {
    if steps < min || steps > MAX_PLOT_STEPS {
        return Err(Error::hyper(
            "steps",
            steps,
            format!("a picture needs between {min} and {MAX_PLOT_STEPS} steps"),
        ));
    }
    Ok(())
}

/// A drawing error (drawing into memory fails only on a bug in the layout) as the crate's error.
pub(crate) fn drawing<E: std::fmt::Debug>(e: E) -> Error {
    Error::Io {
        path: "(SVG in memory)".into(),
        message: format!("drawing failed: {e:?}"),
    }
}

/// One plotted run, in f64 for drawing, with the exact trace when the run was exact.
#[derive(Clone, Debug)]
pub(crate) struct Run {
    /// `exact` or `mpfr:256`.
    pub arithmetic: String,
    /// x₀, x₁, …
    pub iterates: Vec<Vec<f64>>,
    /// The query point of steps 1, 2, … (NAG's look-ahead point θ + μv).
    pub queries: Vec<Vec<f64>>,
    /// f(x_k) − f* for k = 0, 1, … (`None` when unknown).
    pub gaps: Vec<Option<f64>>,
    /// The slope of log gap against log k over `[K/4, K]`, measured on the run's own numbers.
    pub slope: Option<f64>,
    /// The step at which a floating run left the finite range.
    pub diverged: Option<usize>,
    /// The exact trace, for exact statements about the picture (periods, zero differences).
    pub exact: Option<Trace<Rational>>,
}

fn to_f64s<S: Number>(v: &S::Vector) -> Vec<f64> {
    v.to_scalars().iter().map(Number::to_f64).collect()
}

impl Run {
    pub(crate) fn from_trace<S: Scalar>(t: &Trace<S>) -> Run {
        let slope = crate::theory::rates::tail_slope(t);
        Run {
            arithmetic: t.arithmetic.clone(),
            iterates: t.iterates().map(to_f64s::<S>).collect(),
            queries: t.steps.iter().map(|s| to_f64s::<S>(&s.query)).collect(),
            gaps: t.gaps().map(|g| g.map(Number::to_f64)).collect(),
            slope,
            diverged: match t.outcome {
                Outcome::Diverged { step, .. } => Some(step),
                Outcome::Completed => None,
            },
            exact: None,
        }
    }

    /// The positive gaps as `(k, gap)` (a log axis has no place for 0).
    pub fn positive_gaps(&self) -> Vec<(f64, f64)> {
        self.gaps
            .iter()
            .enumerate()
            .filter_map(|(k, g)| {
                g.filter(|g| *g > 0.0 && g.is_finite())
                    .map(|g| (k as f64, g))
            })
            .collect()
    }

    /// Coordinate `i` of the iterates as `(k, x_k,i)`.
    pub fn coordinate(&self, i: usize) -> Vec<(f64, f64)> {
        self.iterates
            .iter()
            .enumerate()
            .filter_map(|(k, x)| x.as_slice().get(i).map(|v| (k as f64, *v)))
            .collect()
    }
}

/// Runs `optimizer` on `problem` for `steps` steps: exactly when the entries stay within
/// [`PLOT_SIZE_BUDGET_BITS`] and the problem is rational, else in MPFR at [`PLOT_MPFR_BITS`].
pub(crate) fn run(
    problem: &dyn Problem,
    optimizer: &OptimizerConfig,
    schedule: &Schedule,
    x0: Option<&[Rational]>,
    steps: usize,
) -> Result<Run> {
    let options = RunOptions {
        size_budget_bits: PLOT_SIZE_BUDGET_BITS,
        ..RunOptions::default()
    };
    match trace::run::<Rational>(problem, optimizer, schedule, x0, steps, &options) {
        Ok(t) => {
            let mut r = Run::from_trace(&t);
            r.exact = Some(t);
            Ok(r)
        }
        Err(
            Error::NotRational { .. }
            | Error::Unsupported { .. }
            | Error::SizeBudgetExceeded { .. },
        ) => with_mpfr_precision(PLOT_MPFR_BITS, || {
            trace::run::<Float>(problem, optimizer, schedule, x0, steps, &options)
                .map(|t| Run::from_trace(&t))
        }),
        Err(e) => Err(e),
    }
}
