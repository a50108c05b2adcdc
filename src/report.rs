//! The summary report (`momentum-oracle report`): the catalogue run method by problem.
//!
//! For every problem family (default instance) and every method of [`METHODS`], the report runs
//! `steps` steps with learning rate 1/L in exact arithmetic (MPFR at 256 bits where a constant is
//! irrational), and the same run in f64 with a derived error bound ([`Bounded`]); it checks that
//! the f64 iterates stay within the bound of the exact ones and prints one line per pair.

use rug::{Float, Rational};

use crate::bounded::Bounded;
use crate::error::{Error, Result};
use crate::linalg::Vector;
use crate::optim::{OptimizerConfig, Schedule};
use crate::problem::{self, Problem};
use crate::scalar::{Number, Scalar, with_mpfr_precision};
use crate::trace::{self, RunOptions, Trace};

/// The methods the report runs, as optimizer specs.
pub const METHODS: &[&str] = &[
    "gd",
    "pytorch:momentum=9/10",
    "pytorch:momentum=9/10,nesterov=true",
];

/// One line of the report.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The problem family.
    pub problem: String,
    /// The optimizer spec.
    pub method: String,
    /// The reference arithmetic used (`exact` or `mpfr:256`), or why the pair did not run.
    pub arithmetic: String,
    /// f(x_K) − f* of the reference run, as a decimal.
    pub final_gap: String,
    /// Largest ratio ‖x̂_k − x_k‖₂ / bound_k over the run (≤ 1 means the bound held).
    pub worst_error_ratio: Option<f64>,
    /// Whether every check on this pair held.
    pub ok: bool,
}

/// The learning rate the report uses: 1/L, or 1/10 for problems without L.
pub fn default_schedule(p: &dyn Problem) -> Schedule {
    Schedule::constant(
        p.smoothness()
            .filter(|l| *l > 0)
            .map_or_else(|| Rational::from((1, 10)), |l| l.recip()),
    )
}

fn gap_text<S: Number>(t: &Trace<S>) -> String {
    t.steps
        .last()
        .and_then(|s| s.gap.as_ref())
        .map_or_else(|| "—".into(), |g| format!("{:.3e}", g.to_f64()))
}

/// `max_k ‖x̂_k − x_k‖₂ / e_k` between a bounded f64 trace and a reference trace (exact values
/// obtained through `to_rational`), computed in MPFR at 128 bits (the ratio is only displayed;
/// enclosure itself is decided exactly by [`Bounded::encloses`]-style comparisons).
fn worst_ratio<S: Scalar>(bounded: &Trace<Bounded>, reference: &Trace<S>) -> (f64, bool) {
    let mut worst = 0.0f64;
    let mut enclosed = true;
    for (b, r) in bounded.steps.iter().zip(&reference.steps) {
        let mut d2 = Rational::new();
        for i in 0..r.iterate.len() {
            let x = r.iterate.get(i).to_rational().expect("finite reference");
            let d = Rational::from(Rational::from_f64(b.iterate.v[i]).expect("finite") - x);
            d2 += Rational::from(&d * &d);
        }
        let e = Rational::from_f64(b.iterate.e).unwrap_or_else(|| Rational::from(u64::MAX));
        if d2 > Rational::from(&e * &e) {
            enclosed = false;
        }
        if b.iterate.e > 0.0 {
            let ratio = Float::with_val(128, d2).sqrt().to_f64() / b.iterate.e;
            worst = worst.max(ratio);
        }
    }
    (worst, enclosed)
}

fn run_pair(p: &dyn Problem, method: &str, steps: usize) -> Result<Row> {
    let opt = OptimizerConfig::from_spec(method)?;
    let schedule = default_schedule(p);
    let options = RunOptions::default();
    let bounded = trace::run::<Bounded>(p, &opt, &schedule, None, steps, &options);
    let mut row = Row {
        problem: p.family().to_string(),
        method: method.to_string(),
        arithmetic: "exact".into(),
        final_gap: String::new(),
        worst_error_ratio: None,
        ok: true,
    };
    match trace::run::<Rational>(p, &opt, &schedule, None, steps, &options) {
        Ok(exact) => {
            row.final_gap = gap_text(&exact);
            if let Ok(b) = &bounded {
                let (ratio, enclosed) = worst_ratio(b, &exact);
                row.worst_error_ratio = Some(ratio);
                row.ok &= enclosed;
            }
        }
        Err(Error::NotRational { .. } | Error::Unsupported { .. }) => {
            row.arithmetic = "mpfr:256".into();
            let reference = with_mpfr_precision(256, || {
                trace::run::<Float>(p, &opt, &schedule, None, steps, &options)
            })?;
            row.final_gap = gap_text(&reference);
        }
        Err(e) => return Err(e),
    }
    Ok(row)
}

/// Runs the catalogue and returns the rows.
///
/// # Errors
/// An error of a run that is not an expected refusal (a bug, or an exhausted budget).
pub fn rows(steps: usize) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    for family in problem::catalogue() {
        let p = problem::from_spec(family.name)?;
        for method in METHODS {
            out.push(run_pair(p.as_ref(), method, steps)?);
        }
    }
    Ok(out)
}

/// Runs the catalogue and formats the table.
///
/// # Errors
/// As [`rows`].
pub fn run(steps: usize) -> Result<String> {
    let rows = rows(steps)?;
    let mut s = format!(
        "{:<14} {:<40} {:<9} {:>11} {:>14}  {}\n",
        "problem", "method", "arith", "final gap", "f64 err/bound", "status"
    );
    for r in &rows {
        let ratio = r
            .worst_error_ratio
            .map_or_else(|| "—".into(), |x| format!("{x:.2e}"));
        s += &format!(
            "{:<14} {:<40} {:<9} {:>11} {:>14}  {}\n",
            r.problem,
            r.method,
            r.arithmetic,
            r.final_gap,
            ratio,
            if r.ok { "ok" } else { "FAILED" }
        );
    }
    let failed = rows.iter().filter(|r| !r.ok).count();
    s += &format!(
        "\n{} pairs, {} failed; {} steps each, learning rate 1/L\n",
        rows.len(),
        failed,
        steps
    );
    Ok(s)
}
