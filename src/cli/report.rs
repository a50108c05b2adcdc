//! The summary report (`momentum-oracle report`): the catalogue run method by problem family.
//!
//! For every problem family and every method of [`methods`], the report runs `K` steps with a
//! constant learning rate 1/L (1/1000 for problems without L) in the most exact arithmetic that
//! can carry the run: exact ℚ; else MPFR with certified error bounds ([`BoundedMpfr`], 256 bits)
//! where a constant is irrational; else plain MPFR (nonconvex or non-rational problems). It prints
//! per pair:
//!
//! * the least-squares slope of log(f(x_k) − f*) against log k over `k ∈ [K/4, K]`;
//! * the theorem that applies ([`Guarantee`]), whether its bound held at every step (certainly, see
//!   [`Number::certainly_greater`]) and the worst ratio gap/bound;
//! * the proof obligations of that theorem ([`crate::theory::potentials`]): checks and violations;
//! * on Nesterov's lower-bound instance `f_{2K+1}`, whether `gap_K ≥ 3LR²/(32(K+1)²)` held;
//! * for exact runs, the largest ratio ‖x̂_k − x_k‖/bound_k of the same run in f64 with a derived
//!   error bound ([`Bounded`]), and whether every bound enclosed the exact iterate.

use rug::{Float, Rational};

use crate::arith::bounded::{Bounded, BoundedMpfr};
use crate::arith::linalg::Vector;
use crate::arith::{Number, Scalar, with_mpfr_precision};
use crate::error::{Error, Result};
use crate::optim::{OptimizerConfig, Schedule};
use crate::problem::{self, Evaluate, Problem};
use crate::theory::bounds;
use crate::theory::guarantees::Guarantee;
use crate::theory::potentials::Instance;
use crate::theory::rates;
use crate::trace::{self, Outcome, RunOptions, Trace};

/// The methods of the report for a problem: optimizer specs with momentum 9/10 where a method has
/// one, FISTA's three momentum rules (the strongly convex one with the problem's κ when m > 0) and
/// OGM for exactly `steps` steps.
pub fn methods(p: &dyn Problem, steps: usize) -> Vec<String> {
    let mut m: Vec<String> = [
        "gd",
        "heavy-ball:momentum=9/10",
        "pytorch:momentum=9/10",
        "pytorch:momentum=9/10,nesterov=true",
        "keras:momentum=9/10,nesterov=true",
        "optax:momentum=9/10",
        "nag:momentum=9/10",
        "fista:momentum=rational",
        "fista:momentum=t-sequence",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect();
    if let (Some(l), Some(mu), Some(_)) = (p.smoothness(), p.strong_convexity(), p.minimizer()) {
        if mu > 0 {
            m.push(format!(
                "fista:momentum=strongly-convex,kappa={}",
                crate::arith::text::format(&(l / mu))
            ));
        }
    }
    m.push(format!("ogm:steps={steps}"));
    m
}

/// The problems of the report: every family's default instance, except that the lower-bound
/// family is `f_{2K+1}` (the instance Nesterov's lower bound is about) and the Huber family is
/// Drori–Teboulle's worst case for K steps of GD with step 1/L.
///
/// # Errors
/// Spec errors (none for the built-in specs).
pub fn problems(steps: usize) -> Result<Vec<Box<dyn Problem>>> {
    problem_specs(steps)
        .iter()
        .map(|s| problem::from_spec(s))
        .collect()
}

/// The specs of [`problems`] (for estimating the report's work before building anything).
pub fn problem_specs(steps: usize) -> Vec<String> {
    let odd = steps.saturating_mul(2).saturating_add(1);
    problem::catalogue()
        .into_iter()
        .map(|f| match f.name {
            "lower-bound" => format!("lower-bound:k={odd},n={odd}"),
            "huber" => format!("huber:L=1,R=1,c={odd}"),
            name => name.to_string(),
        })
        .collect()
}

/// The report's work, estimated before it starts ([`super::budget`]): per problem, 11 methods,
/// each run exactly and in bounded f64 (the MPFR fallbacks cost less than the exact run they
/// replace).
///
/// # Errors
/// The problems' size errors (the lower-bound instance f_{2K+1} past the dimension limit).
pub fn estimate(steps: usize) -> Result<super::budget::Estimate> {
    use super::Arithmetic;
    use super::budget;
    let size = RunOptions::default().size_budget_bits;
    let parts = problem_specs(steps)
        .iter()
        .map(|s| {
            let exact = budget::runs(s, Arithmetic::Exact, steps, 11, size)?;
            let f64 = budget::runs(
                s,
                Arithmetic::Bounded(crate::arith::Rounding::Naive),
                steps,
                11,
                size,
            )?;
            Ok(budget::total(&[exact, f64], ""))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(budget::total(
        &parts,
        format!(
            "{} problems × 11 methods × {steps} steps, exact and bounded f64",
            parts.len()
        ),
    ))
}

/// One line of the report.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The problem family.
    pub problem: String,
    /// The optimizer spec.
    pub method: String,
    /// The reference arithmetic used.
    pub arithmetic: String,
    /// The log-log slope over `[K/4, K]`.
    pub slope: Option<f64>,
    /// The formula of the applicable bound.
    pub bound: Option<&'static str>,
    /// `max_k gap_k / bound_k`.
    pub worst_ratio: Option<f64>,
    /// Whether no bound was certainly exceeded.
    pub bound_held: Option<bool>,
    /// `(checks, violations)` of the proof obligations.
    pub obligations: Option<(usize, usize)>,
    /// Whether Nesterov's lower bound held (lower-bound family only).
    pub lower_bound_held: Option<bool>,
    /// `max_k ‖x̂_k − x_k‖₂ / bound_k` of the bounded f64 run.
    pub f64_ratio: Option<f64>,
    /// Whether every f64 bound enclosed the exact iterate.
    pub f64_enclosed: Option<bool>,
    /// How the run ended, if not normally.
    pub note: String,
}

impl Row {
    /// Whether every check on this pair held.
    pub fn ok(&self) -> bool {
        self.bound_held != Some(false)
            && self.obligations.is_none_or(|(_, v)| v == 0)
            && self.lower_bound_held != Some(false)
            && self.f64_enclosed != Some(false)
    }
}

fn ratio<S: Number>(a: &S, b: &S) -> f64 {
    match (a.to_rational(), b.to_rational()) {
        (Some(x), Some(y)) if y != 0 => Float::with_val(64, x / y).to_f64(),
        _ => f64::NAN,
    }
}

/// Fills the theory columns of `row` from a reference trace in arithmetic `S`.
fn theory_columns<S: Evaluate>(
    p: &dyn Problem,
    opt: &OptimizerConfig,
    schedule: &Schedule,
    t: &Trace<S>,
    row: &mut Row,
) -> Result<()> {
    let k = t.steps.len();
    row.slope = rates::tail_slope(t);
    if let Outcome::Diverged { step, what } = &t.outcome {
        row.note = format!("diverged at step {step} ({what})");
        return Ok(());
    }
    let Some(g) = Guarantee::applicable(opt, p, schedule) else {
        return Ok(());
    };
    let Schedule::Constant { learning_rate } = schedule else {
        return Ok(());
    };
    let l = problem::require_smoothness(p)?;
    let r2 = problem::initial_distance_sq(p)?;
    row.bound = Some(g.formula());
    let bounds = g.bounds::<S>(&r2, learning_rate, &l, k)?;
    let mut worst = 0.0f64;
    let mut held = true;
    for (s, b) in t.steps.iter().zip(&bounds) {
        if let (Some(gap), Some(b)) = (&s.gap, b) {
            worst = worst.max(ratio(gap, b));
            held &= !gap.certainly_greater(b);
        }
    }
    row.worst_ratio = Some(worst);
    row.bound_held = Some(held);
    let inst = Instance::<S>::from_problem(p)?;
    let mut oracle = S::oracle(p)?;
    let checks = g.obligations(t, &inst, oracle.as_mut(), learning_rate)?;
    row.obligations = Some((checks.len(), checks.iter().filter(|c| c.violated()).count()));
    Ok(())
}

/// Nesterov's lower bound on `f_{2K+1}` at step K, checked in arithmetic `S`.
fn lower_bound_column<S: Scalar>(p: &dyn Problem, t: &Trace<S>, row: &mut Row) -> Result<()> {
    if p.family() != "lower-bound" || p.dim() != 2 * t.steps.len() + 1 {
        return Ok(());
    }
    let k = t.steps.len();
    let lb = bounds::lower_bound(
        &problem::require_smoothness(p)?,
        &problem::initial_distance_sq(p)?,
        k,
    );
    if let Some(gap) = t.steps.last().and_then(|s| s.gap.as_ref()) {
        row.lower_bound_held = Some(!S::from_rational(&lb).certainly_greater(gap));
    }
    Ok(())
}

fn f64_columns(
    p: &dyn Problem,
    opt: &OptimizerConfig,
    schedule: &Schedule,
    exact: &Trace<Rational>,
    row: &mut Row,
) {
    let Ok(b) = trace::run::<Bounded>(
        p,
        opt,
        schedule,
        None,
        exact.steps.len(),
        &RunOptions::default(),
    ) else {
        return;
    };
    let mut worst = 0.0f64;
    let mut enclosed = true;
    for (bs, es) in b.steps.iter().zip(&exact.steps) {
        let x = es.iterate.to_scalars();
        enclosed &= bs.iterate.encloses(&x);
        let d2 = x.iter().enumerate().fold(Rational::new(), |acc, (i, xi)| {
            let d = Rational::from(Rational::from_f64(bs.iterate.v[i]).unwrap_or_default() - xi);
            acc + Rational::from(&d * &d)
        });
        if bs.iterate.e > 0.0 && bs.iterate.e.is_finite() {
            worst = worst.max(Float::with_val(64, d2).sqrt().to_f64() / bs.iterate.e);
        }
    }
    row.f64_ratio = Some(worst);
    row.f64_enclosed = Some(enclosed);
}

fn run_pair(p: &dyn Problem, method: &str, steps: usize) -> Result<Row> {
    let opt = OptimizerConfig::from_spec(method)?;
    let schedule = super::policy::default_schedule(p);
    let options = RunOptions::default();
    let mut row = Row {
        problem: p.family().to_string(),
        method: method.to_string(),
        arithmetic: String::new(),
        slope: None,
        bound: None,
        worst_ratio: None,
        bound_held: None,
        obligations: None,
        lower_bound_held: None,
        f64_ratio: None,
        f64_enclosed: None,
        note: String::new(),
    };
    let fallback = |e: &Error| {
        matches!(
            e,
            Error::NotRational { .. }
                | Error::Unsupported { .. }
                | Error::SizeBudgetExceeded { .. }
                | Error::Unavailable { .. }
        )
    };
    match trace::run::<Rational>(p, &opt, &schedule, None, steps, &options) {
        Ok(t) => {
            row.arithmetic = "exact".into();
            theory_columns(p, &opt, &schedule, &t, &mut row)?;
            lower_bound_column(p, &t, &mut row)?;
            f64_columns(p, &opt, &schedule, &t, &mut row);
            return Ok(row);
        }
        Err(e) if fallback(&e) => {
            if let Error::SizeBudgetExceeded { step, .. } = e {
                row.note = format!("exact numbers outgrew the size budget at step {step}");
            }
        }
        Err(e) => return Err(e),
    }
    let certified = with_mpfr_precision(256, || -> Result<Option<()>> {
        match trace::run::<BoundedMpfr>(p, &opt, &schedule, None, steps, &options) {
            Ok(t) => {
                theory_columns(p, &opt, &schedule, &t, &mut row)?;
                lower_bound_column(p, &t, &mut row)?;
                Ok(Some(()))
            }
            Err(e) if fallback(&e) => Ok(None),
            Err(e) => Err(e),
        }
    })?;
    if certified.is_some() {
        row.arithmetic = "mpfr:256+bound".into();
        return Ok(row);
    }
    with_mpfr_precision(256, || -> Result<()> {
        let t = trace::run::<Float>(p, &opt, &schedule, None, steps, &options)?;
        theory_columns(p, &opt, &schedule, &t, &mut row)
    })?;
    row.arithmetic = "mpfr:256".into();
    Ok(row)
}

/// Runs the catalogue and returns the rows.
///
/// # Errors
/// An error of a run that is not an expected refusal (a bug, or an exhausted budget).
pub fn rows(steps: usize) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    for p in problems(steps)? {
        for method in methods(p.as_ref(), steps) {
            out.push(run_pair(p.as_ref(), &method, steps)?);
        }
    }
    Ok(out)
}

fn opt_f(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "—".into(), |v| format!("{v:.digits$}"))
}

/// Formats rows as the report table.
pub fn format_table(rows: &[Row], steps: usize) -> String {
    let mut s = format!(
        "{:<13} {:<46} {:<15} {:>6}  {:<31} {:>9}  {:<11} {:>9}  {}\n",
        "problem",
        "method",
        "arith",
        "slope",
        "bound (held)",
        "gap/bound",
        "obligations",
        "f64 e/b",
        "status"
    );
    for r in rows {
        let yes = |h: bool| if h { "yes" } else { "NO" };
        let mut bound = match (r.bound, r.bound_held) {
            (Some(b), Some(h)) => format!("{b} ({})", yes(h)),
            _ => String::new(),
        };
        if let Some(h) = r.lower_bound_held {
            bound += &format!(
                "{}LB ({})",
                if bound.is_empty() { "" } else { ", " },
                yes(h)
            );
        }
        if bound.is_empty() {
            bound = "—".into();
        }
        let obligations = r
            .obligations
            .map_or_else(|| "—".into(), |(n, v)| format!("{}/{n}", n - v));
        let f64_ratio = match (r.f64_ratio, r.f64_enclosed) {
            (Some(x), Some(true)) => format!("{x:.1e}"),
            (Some(_), Some(false)) => "OUTSIDE".into(),
            _ => "—".into(),
        };
        let status = if r.ok() {
            "ok".to_string()
        } else {
            "FAILED".to_string()
        };
        let status = if r.note.is_empty() {
            status
        } else {
            format!("{status} ({})", r.note)
        };
        s += &format!(
            "{:<13} {:<46} {:<15} {:>6}  {:<31} {:>9}  {:<11} {:>9}  {}\n",
            r.problem,
            r.method,
            r.arithmetic,
            opt_f(r.slope, 2),
            bound,
            r.worst_ratio
                .map_or_else(|| "—".into(), |x| format!("{x:.3}")),
            obligations,
            f64_ratio,
            status
        );
    }
    let failed = rows.iter().filter(|r| !r.ok()).count();
    s += &format!(
        "\n{} pairs, {failed} failed; K = {steps} steps, learning rate 1/L (1/1000 without L); slope = least-squares fit of log gap against log k over [K/4, K]\n",
        rows.len()
    );
    s
}

/// Runs the catalogue and formats the table.
///
/// # Errors
/// As [`rows`].
pub fn run(steps: usize) -> Result<String> {
    Ok(format_table(&rows(steps)?, steps))
}
