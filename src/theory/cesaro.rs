//! Heavy ball's Cesàro average `x̄_T = (x₀ + … + x_T)/(T + 1)` along a trace, checked against a bound
//! at every T (Ghadimi, Feyzmahdavian & Johansson's, [`bounds::heavy_ball_cesaro`], or any other).
//!
//! The average is formed in the run's arithmetic from the running sum of the iterates: exact in ℚ,
//! an enclosure in bounded arithmetic; its gap `f(x̄_T) − f*` comes from the problem's oracle in the
//! same arithmetic, so a bound counts as violated only where it is certainly exceeded
//! ([`Number::certainly_greater`]).

use rug::Rational;

use crate::arith::linalg::Vector;
use crate::arith::{Number, Scalar};
use crate::error::{Error, Result};
use crate::problem::{self, Evaluate, Problem};
use crate::theory::bounds;
use crate::trace::Trace;

/// The Cesàro average at one T, its gap and the bound it was compared with.
#[derive(Clone, Debug)]
pub struct CesaroStep<S: Number> {
    /// T: the average is over `x₀, …, x_T` (T = 0 is x₀ itself).
    pub steps: usize,
    /// `x̄_T`.
    pub average: S::Vector,
    /// `f(x̄_T) − f*`.
    pub gap: S,
    /// The bound at T.
    pub bound: S,
}

impl<S: Number> CesaroStep<S> {
    /// Whether the gap certainly exceeds the bound.
    pub fn violated(&self) -> bool {
        self.gap.certainly_greater(&self.bound)
    }
}

/// The Cesàro averages `x̄_0, …, x̄_K` of a trace's iterates (x₀ and every recorded step; a trace
/// that kept only some steps has no averages past the first gap in its steps).
pub fn averages<S: Scalar>(t: &Trace<S>) -> Vec<S::Vector> {
    let mut out = Vec::with_capacity(t.steps.len() + 1);
    let mut sum = t.x0.clone();
    out.push(sum.clone());
    for (expected, s) in (1..).zip(&t.steps) {
        if s.step != expected {
            break;
        }
        sum.add_assign(&s.iterate);
        let mut avg = sum.clone();
        avg.scale(&S::from_ratio(1, expected as u64 + 1));
        out.push(avg);
    }
    out
}

/// Compares `f(x̄_T) − f*` with `bound(T)` for every T of the trace.
///
/// # Errors
/// The oracle's errors; [`Error::Unavailable`] when f* is unknown in this arithmetic.
pub fn check_against<S: Evaluate>(
    p: &dyn Problem,
    t: &Trace<S>,
    mut bound: impl FnMut(usize) -> Result<S>,
) -> Result<Vec<CesaroStep<S>>> {
    let mut oracle = S::oracle(p)?;
    averages(t)
        .into_iter()
        .enumerate()
        .map(|(steps, average)| {
            let gap = oracle.gap(&average)?.ok_or_else(|| Error::Unavailable {
                what: "the optimal value f*",
                subject: p.spec(),
            })?;
            Ok(CesaroStep {
                steps,
                average,
                gap,
                bound: bound(steps)?,
            })
        })
        .collect()
}

/// Ghadimi, Feyzmahdavian & Johansson's Cesàro bound ([`bounds::heavy_ball_cesaro`]) checked at
/// every T of a heavy-ball trace with constant learning rate γ and momentum μ on the convex
/// L-smooth problem `p`.
///
/// # Errors
/// [`Error::InvalidHyperParameter`] outside the theorem's range (so nothing is checked where the
/// theorem says nothing); [`Error::Unavailable`] without L, x* or f*; the oracle's errors.
pub fn check<S: Evaluate>(
    p: &dyn Problem,
    t: &Trace<S>,
    learning_rate: &Rational,
    momentum: &Rational,
) -> Result<Vec<CesaroStep<S>>> {
    if p.strong_convexity().is_none() {
        return Err(Error::Unavailable {
            what: "convexity (GFJ 2015's bound is for convex functions)",
            subject: p.spec(),
        });
    }
    let l = problem::require_smoothness(p)?;
    let r2 = problem::initial_distance_sq(p)?;
    let gap0 = t.initial_gap.clone().ok_or_else(|| Error::Unavailable {
        what: "the optimal value f*",
        subject: p.spec(),
    })?;
    // Fail before any work when out of range.
    bounds::heavy_ball_cesaro(learning_rate, momentum, &l, &r2, &gap0, 0)?;
    check_against(p, t, |steps| {
        bounds::heavy_ball_cesaro(learning_rate, momentum, &l, &r2, &gap0, steps)
    })
}
