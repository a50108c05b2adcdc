//! Empirical rates: least-squares slopes of `log(f(x_k) − f*)` against `log k`.
//!
//! A method with gap `≈ C k^{−p}` has slope `−p` on a log-log plot. The fit is ordinary least
//! squares over a window of steps; logarithms of exact gaps are taken in MPFR (128 bits) and the
//! fit itself is f64 statistics — a measurement, not a bound, so the callers state the window and
//! the tolerance they accept and why.

use rug::Float;

use crate::arith::Number;
use crate::error::{Error, Result};
use crate::trace::Trace;

/// The result of a log-log fit.
#[derive(Clone, Debug, PartialEq)]
pub struct SlopeFit {
    /// The fitted exponent (−1 for O(1/k), −2 for O(1/k²)).
    pub slope: f64,
    /// The fitted `log C`.
    pub intercept: f64,
    /// The first and last step used.
    pub window: (usize, usize),
    /// The number of points.
    pub points: usize,
}

/// `ln x` of a positive scalar through its exact value (MPFR, 128 bits), or `None` if `x ≤ 0`.
pub fn ln<S: Number>(x: &S) -> Option<f64> {
    let q = x.to_rational()?;
    if q <= 0 {
        return None;
    }
    Some(Float::with_val(128, q).ln().to_f64())
}

/// Fits `log gap = slope · log k + intercept` over the points with `lo ≤ k ≤ hi`.
///
/// # Errors
/// [`Error::Unavailable`] with fewer than two usable points (a zero gap has no logarithm: a run
/// that reached the minimiser exactly has no rate to measure).
pub fn fit<'a, S: Number + 'a>(
    points: impl IntoIterator<Item = (usize, &'a S)>,
    lo: usize,
    hi: usize,
) -> Result<SlopeFit> {
    let xy: Vec<(f64, f64)> = points
        .into_iter()
        .filter(|(k, _)| *k >= lo.max(1) && *k <= hi)
        .filter_map(|(k, g)| ln(g).map(|y| ((k as f64).ln(), y)))
        .collect();
    if xy.len() < 2 {
        return Err(Error::Unavailable {
            what: "a slope (fewer than two positive gaps in the window)",
            subject: format!("steps {lo}..={hi}"),
        });
    }
    let n = xy.len() as f64;
    let mx = xy.iter().map(|p| p.0).sum::<f64>() / n;
    let my = xy.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = xy.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = xy.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    let slope = sxy / sxx;
    Ok(SlopeFit {
        slope,
        intercept: my - slope * mx,
        window: (lo, hi),
        points: xy.len(),
    })
}

/// The window `[⌈K/4⌉, K]` over which the report and the pictures fit a run of `K` steps: the last
/// three quarters, past the first steps' transient, and wide enough (a factor 4 in k) for the
/// log-log slope to be stable.
pub fn tail_window(steps: usize) -> (usize, usize) {
    (steps.div_ceil(4).max(1), steps)
}

/// [`fit`] of a trace's recorded gaps over its [`tail_window`]; `None` where [`fit`] has no slope.
pub fn tail_slope<S: Number>(trace: &Trace<S>) -> Option<f64> {
    let (lo, hi) = tail_window(trace.steps.len());
    fit(
        trace
            .steps
            .iter()
            .filter_map(|s| s.gap.as_ref().map(|g| (s.step, g))),
        lo,
        hi,
    )
    .ok()
    .map(|f| f.slope)
}
