//! The summary report (`momentum-oracle report`): the catalogue run method by problem family.
//!
//! For every problem family and every method of [`methods`], the report runs `K` steps with a
//! constant learning rate 1/L (1/1000 for problems without L) in the most exact arithmetic that
//! can carry the run: exact ℚ; else MPFR with certified error bounds ([`BoundedMpfr`], 256 bits)
//! where a constant is irrational; else plain MPFR (nonconvex or non-rational problems). Each row
//! names what was checked, and the status says which of those checks held:
//!
//! * **bound** — a theorem's upper bound on `gap_k` held at every step (certainly, see
//!   [`Number::certainly_greater`]); the column shows the formula and the worst ratio gap/bound;
//! * **tight value** — for gradient descent, Drori & Teboulle's tight worst case `LR²/(4kh + 2)`
//!   (a theorem, and attained: the Huber row meets it with ratio 1 at step K);
//! * **lower bound** — on Nesterov's instance `f_{2K+1}`, `gap_K ≥ 3LR²/(32(K+1)²)`;
//! * **potential** — the proof obligations of the theorem ([`crate::theory::potentials`]);
//! * **f64 enclosure** — for exact runs, the same run in f64 with a derived error bound
//!   ([`Bounded`]) enclosed the exact iterate at every step;
//! * **spectral radius** — for constant momentum on a quadratic, the exact gap stayed at every
//!   step below the envelope `(kρ^{k−1}√gap₁ + (k − 1)ρ^k√gap₀)²` that the spectral radius ρ of
//!   the iteration matrix implies ([`stability::momentum_gap_envelope`]);
//! * **Cesàro bound (GFJ 2015 Thm 1)** — for heavy ball (and its PyTorch/Optax forms) with
//!   `0 ≤ μ < 1`, `0 < γL < 2(1 − μ)` on a convex L-smooth problem, the gap of the Cesàro average
//!   `x̄_T = (x₀ + … + x_T)/(T + 1)`, tracked exactly, stayed at every T ≤ K below Ghadimi,
//!   Feyzmahdavian & Johansson's bound ([`bounds::heavy_ball_cesaro`], [`cesaro`]).
//!
//! "ok (…)" is printed only when at least one check ran and every one held; otherwise the row says
//! "nothing checked", "diverged at step k" or "FAILED: `check` at step k". Beside the checks:
//!
//! * the **rate**: on problems with m = 0 (or unknown) the fitted exponent p of `gap ≈ C k^p`
//!   (least squares over `[K/4, K]`); on strongly convex problems, where a log-log slope only
//!   grows with K, the measured per-step gap factor `ρ̂ = (gap_K/gap_{K/2})^{1/(K − K/2)}` beside
//!   the theoretical one where theory gives one (reported, not checked: a finite window says
//!   nothing certain about an asymptotic rate);
//! * for constant momentum (heavy ball, PyTorch, Keras, Optax, NAG) off the quadratics, which no
//!   theorem of the report covers at γ = 1/L and μ = 9/10 (heavy ball's Cesàro bound of Ghadimi,
//!   Feyzmahdavian & Johansson 2015 needs γL < 2(1 − μ)), "no guarantee known". The row
//!   `heavy-ball:momentum=1/4` (on every convex problem with L and x*) is inside that range at
//!   γ = 1/L (γL = 1 < 3/2) and is checked against it.

use rug::{Float, Rational};

use crate::arith::bounded::{Bounded, BoundedMpfr};
use crate::arith::linalg::Vector;
use crate::arith::{Number, Scalar, with_mpfr_precision};
use crate::error::{Error, Result};
use crate::optim::{OptimizerConfig, Schedule};
use crate::problem::quadratic::QuadraticProblem;
use crate::problem::{self, Evaluate, Problem};
use crate::spec::Spec;
use crate::theory::bounds;
use crate::theory::cesaro;
use crate::theory::guarantees::Guarantee;
use crate::theory::potentials::Instance;
use crate::theory::rates;
use crate::theory::stability::{self, CharPoly};
use crate::trace::{self, Outcome, RunOptions, Trace};

/// The methods of the report for a problem: optimizer specs with momentum 9/10 where a method has
/// one, heavy ball with momentum 1/4 on convex problems with L and x* (inside the range of GFJ
/// 2015's Cesàro bound at γ = 1/L, which μ = 9/10 is not), FISTA's three momentum rules (the
/// strongly convex one with the problem's κ when m > 0) and OGM for exactly `steps` steps.
pub fn methods(p: &dyn Problem, steps: usize) -> Vec<String> {
    let convex_smooth = p.smoothness().is_some_and(|l| l > 0)
        && p.strong_convexity().is_some()
        && p.minimizer().is_some();
    let mut m: Vec<String> = [
        "gd",
        "heavy-ball:momentum=9/10",
        "heavy-ball:momentum=1/4",
        "pytorch:momentum=9/10",
        "pytorch:momentum=9/10,nesterov=true",
        "keras:momentum=9/10,nesterov=true",
        "optax:momentum=9/10",
        "nag:momentum=9/10",
        "fista:momentum=rational",
        "fista:momentum=t-sequence",
    ]
    .iter()
    .filter(|s| convex_smooth || **s != "heavy-ball:momentum=1/4")
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

/// What a check compared the run against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CheckKind {
    /// A theorem's upper bound on the gap, at every step.
    Bound,
    /// A tight worst-case value (a theorem that is also attained), at every step.
    TightValue,
    /// Nesterov's lower bound at step K (lower-bound family only).
    LowerBound,
    /// The proof obligations (potential inequalities) of the theorem.
    Potential,
    /// The f64 run's derived error bound enclosed the exact iterate at every step.
    Enclosure,
    /// On a quadratic, a constant-momentum run's gap stayed below the envelope that the spectral
    /// radius of its iteration matrix implies ([`stability::momentum_gap_envelope`]).
    SpectralRadius,
    /// Heavy ball's Cesàro average stayed below Ghadimi, Feyzmahdavian & Johansson's bound at
    /// every T ([`bounds::heavy_ball_cesaro`]).
    Cesaro,
}

impl CheckKind {
    /// The name printed in the status column.
    pub fn name(self) -> &'static str {
        match self {
            CheckKind::Bound => "bound",
            CheckKind::TightValue => "tight value",
            CheckKind::LowerBound => "lower bound",
            CheckKind::Potential => "potential",
            CheckKind::Enclosure => "f64 enclosure",
            CheckKind::SpectralRadius => "spectral radius",
            CheckKind::Cesaro => "Cesàro bound (GFJ 2015 Thm 1)",
        }
    }
}

/// One check that ran: what, and the first step where it certainly failed (`None`: it held).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    /// What was checked.
    pub kind: CheckKind,
    /// The first step where it certainly failed.
    pub failed_at: Option<usize>,
}

/// The verdict of a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// At least one check ran and all held; the checks, in order.
    Held(Vec<CheckKind>),
    /// No check ran.
    NothingChecked,
    /// The reference run left the finite range.
    Diverged {
        /// The step.
        step: usize,
        /// Which quantity.
        what: String,
    },
    /// Some check failed: each failed check with its first failing step.
    Failed(Vec<(CheckKind, usize)>),
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::Held(kinds) => {
                let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
                write!(f, "ok ({})", names.join(", "))
            }
            Verdict::NothingChecked => write!(f, "nothing checked"),
            Verdict::Diverged { step, what } => write!(f, "diverged at step {step} ({what})"),
            Verdict::Failed(failed) => {
                let parts: Vec<String> = failed
                    .iter()
                    .map(|(k, step)| format!("{} at step {step}", k.name()))
                    .collect();
                write!(f, "FAILED: {}", parts.join(", "))
            }
        }
    }
}

/// The rate column: a fitted exponent where the rate is sublinear, a per-step factor where it is
/// linear.
#[derive(Clone, Debug, PartialEq)]
pub enum Rate {
    /// m = 0 or unknown: the least-squares exponent p of `gap ≈ C k^p` over `[K/4, K]`.
    Exponent(f64),
    /// m > 0: the measured per-step gap factor and the theoretical one (with where it comes from).
    Factor {
        /// `(gap_K/gap_{K/2})^{1/(K − K/2)}`.
        measured: f64,
        /// The theory's per-step gap factor and its source, if theory gives one.
        theory: Option<(f64, &'static str)>,
    },
}

/// The report's work, estimated before it starts ([`super::budget`]): per problem, 12 methods,
/// each run exactly and in bounded f64 (the MPFR fallbacks cost less than the exact run they
/// replace).
///
/// # Errors
/// The problems' size errors (the lower-bound instance f_{2K+1} past the dimension limit).
pub fn estimate(steps: usize) -> Result<super::policy::budget::Estimate> {
    use super::Arithmetic;
    use super::policy::budget;
    let size = RunOptions::default().size_budget_bits;
    let parts = problem_specs(steps)
        .iter()
        .map(|s| {
            let exact = budget::runs(s, Arithmetic::Exact, steps, 12, size)?;
            let f64 = budget::runs(
                s,
                Arithmetic::Bounded(crate::arith::Rounding::Naive),
                steps,
                12,
                size,
            )?;
            Ok(budget::total(&[exact, f64], ""))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(budget::total(
        &parts,
        format!(
            "{} problems × 12 methods × {steps} steps, exact and bounded f64",
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
    /// The measured rate (`None`: too few positive gaps to measure one).
    pub rate: Option<Rate>,
    /// The formula of the bound or tight value compared with the gap.
    pub bound: Option<&'static str>,
    /// `max_k gap_k / bound_k`.
    pub worst_ratio: Option<f64>,
    /// `(checks, violations)` of the proof obligations.
    pub obligations: Option<(usize, usize)>,
    /// `max_k ‖x̂_k − x_k‖₂ / bound_k` of the bounded f64 run.
    pub f64_ratio: Option<f64>,
    /// The checks that ran.
    pub checks: Vec<Checked>,
    /// Where the reference run diverged: step and quantity.
    pub diverged: Option<(usize, String)>,
    /// What else the row must say: why nothing applies, a size budget, a reported-only number.
    pub note: String,
}

impl Row {
    fn new(problem: &dyn Problem, method: &str) -> Self {
        Row {
            problem: problem.family().to_string(),
            method: method.to_string(),
            arithmetic: String::new(),
            rate: None,
            bound: None,
            worst_ratio: None,
            obligations: None,
            f64_ratio: None,
            checks: Vec::new(),
            diverged: None,
            note: String::new(),
        }
    }

    /// The verdict: divergence first (a diverged run is never "ok"), then failures, then what held.
    pub fn verdict(&self) -> Verdict {
        if let Some((step, what)) = &self.diverged {
            return Verdict::Diverged {
                step: *step,
                what: what.clone(),
            };
        }
        let failed: Vec<(CheckKind, usize)> = self
            .checks
            .iter()
            .filter_map(|c| c.failed_at.map(|s| (c.kind, s)))
            .collect();
        if !failed.is_empty() {
            return Verdict::Failed(failed);
        }
        if self.checks.is_empty() {
            return Verdict::NothingChecked;
        }
        Verdict::Held(self.checks.iter().map(|c| c.kind).collect())
    }

    /// Whether the row is "ok": at least one check ran and every check held.
    pub fn ok(&self) -> bool {
        matches!(self.verdict(), Verdict::Held(_))
    }

    /// Whether the row failed or diverged (a row with nothing checked is neither ok nor failed).
    pub fn failed(&self) -> bool {
        matches!(
            self.verdict(),
            Verdict::Failed(_) | Verdict::Diverged { .. }
        )
    }

    fn add_check(&mut self, kind: CheckKind, failed_at: Option<usize>) {
        self.checks.push(Checked { kind, failed_at });
    }

    fn add_note(&mut self, note: &str) {
        if !self.note.is_empty() {
            self.note += "; ";
        }
        self.note += note;
    }
}

fn ratio<S: Number>(a: &S, b: &S) -> f64 {
    match (a.to_rational(), b.to_rational()) {
        (Some(x), Some(y)) if y != 0 => Float::with_val(64, x / y).to_f64(),
        _ => f64::NAN,
    }
}

/// The family of a constant-momentum method and its momentum, read from its spec: the PyTorch and
/// Optax forms at a constant rate are heavy ball, the Nesterov forms are NAG (the `conventions`
/// and `nesterov_forms` suites check these equivalences); gradient descent is heavy ball with
/// μ = 0.
fn constant_momentum(method: &str) -> Option<(bool, Rational)> {
    let (name, rest) = method.split_once(':').unwrap_or((method, ""));
    if name == "gd" {
        return Some((false, Rational::new()));
    }
    if !matches!(name, "heavy-ball" | "pytorch" | "keras" | "optax" | "nag") {
        return None;
    }
    let momentum = rest
        .split(',')
        .find_map(|kv| kv.strip_prefix("momentum="))?
        .parse::<Rational>()
        .ok()?;
    let nag = name == "nag" || rest.split(',').any(|kv| kv == "nesterov=true");
    Some((nag, momentum))
}

/// The spectral radius of the iteration matrix of a constant-momentum method with step γ on the
/// quadratic `p`: the largest root modulus of the characteristic polynomial over the eigenvalues
/// of its spectrum ([`CharPoly`]), in MPFR at 128 bits (a displayed value, not a checked one).
fn spectral_radius(p: &dyn Problem, method: &str, learning_rate: &Rational) -> Option<f64> {
    if p.family() != "quadratic" {
        return None;
    }
    let (nag, momentum) = constant_momentum(method)?;
    let q = QuadraticProblem::from_spec(&Spec::parse(&p.spec()).ok()?).ok()?;
    with_mpfr_precision(128, || {
        q.spectrum()
            .iter()
            .map(|lambda| {
                let h = Rational::from(learning_rate * lambda);
                let poly = if nag {
                    CharPoly::nag(&h, &momentum)
                } else {
                    CharPoly::heavy_ball(&h, &momentum)
                };
                poly.spectral_radius::<Float>().ok().map(|r| r.to_f64())
            })
            .try_fold(0.0f64, |acc, r| r.map(|r| acc.max(r)))
    })
}

/// The theory's per-step gap factor on a strongly convex problem, with its source.
fn theoretical_factor(
    p: &dyn Problem,
    method: &str,
    opt: &OptimizerConfig,
    schedule: &Schedule,
) -> Option<(f64, &'static str)> {
    let Schedule::Constant { learning_rate } = schedule else {
        return None;
    };
    if let Some(rho) = spectral_radius(p, method, learning_rate) {
        // gap = ½ eᵀAe decays as the square of the error: its per-step factor is ρ².
        return Some((rho * rho, "ρ(T)²"));
    }
    if let Some(Guarantee::StronglyConvex { kappa }) = Guarantee::applicable(opt, p, schedule) {
        let f = Float::with_val(128, &kappa).sqrt().recip();
        return Some((Float::with_val(128, 1 - f).to_f64(), "1−1/√κ"));
    }
    if let (OptimizerConfig::GradientDescent(_), Some(l), Some(m)) =
        (opt, p.smoothness(), p.strong_convexity())
    {
        if m > 0 && Rational::from(learning_rate * &l) <= 1 {
            // gap ≤ (L/2)‖x_k − x*‖² and the squared distance contracts by this factor.
            let c = bounds::gd_strongly_convex_contraction(&m, &l, learning_rate);
            return Some((Float::with_val(64, &c).to_f64(), "1−2γmL/(m+L)"));
        }
    }
    None
}

/// The measured per-step gap factor `(gap_K/gap_{h})^{1/(K − h)}`, `h = ⌊K/2⌋`, from the exact
/// logarithms of [`rates::ln`] (MPFR).
fn measured_factor<S: Number>(t: &Trace<S>) -> Option<f64> {
    let k = t.steps.len();
    let h = k / 2;
    if h == 0 || h == k {
        return None;
    }
    let gap = |i: usize| {
        t.steps
            .get(i - 1)
            .and_then(|s| s.gap.as_ref())
            .and_then(rates::ln)
    };
    let (lk, lh) = (gap(k)?, gap(h)?);
    Some(((lk - lh) / (k - h) as f64).exp())
}

/// An upper bound on the spectral radius of the iteration matrix of a constant-momentum method
/// with step γ on the quadratic `p`, over its nonzero eigenvalues (a zero eigenvalue carries no
/// gap): the largest [`CharPoly::spectral_radius_upper`], a rational never below the radius.
fn spectral_radius_upper(
    p: &dyn Problem,
    method: &str,
    learning_rate: &Rational,
) -> Option<Rational> {
    if p.family() != "quadratic" {
        return None;
    }
    let (nag, momentum) = constant_momentum(method)?;
    let q = QuadraticProblem::from_spec(&Spec::parse(&p.spec()).ok()?).ok()?;
    q.spectrum()
        .iter()
        .filter(|lambda| **lambda > 0)
        .map(|lambda| {
            let h = Rational::from(learning_rate * lambda);
            let poly = if nag {
                CharPoly::nag(&h, &momentum)
            } else {
                CharPoly::heavy_ball(&h, &momentum)
            };
            poly.spectral_radius_upper()
        })
        .max()
}

/// The spectral-radius check of a constant-momentum row on a quadratic: every exact gap of the
/// run below [`stability::momentum_gap_envelope`] with ρ the spectral radius of the iteration
/// matrix (rounded up). Only exact runs are checked (the envelope is built from the exact gaps
/// at steps 0 and 1). Returns whether the check ran.
fn spectral_column<S: Number>(
    p: &dyn Problem,
    schedule: &Schedule,
    t: &Trace<S>,
    row: &mut Row,
) -> bool {
    let Schedule::Constant { learning_rate } = schedule else {
        return false;
    };
    if !S::EXACT {
        return false;
    }
    let Some(rho) = spectral_radius_upper(p, &row.method, learning_rate) else {
        return false;
    };
    let exact = |g: Option<&S>| g.and_then(Number::to_rational);
    let Some(gap0) = exact(t.initial_gap.as_ref()) else {
        return false;
    };
    let Some(gap1) = t
        .steps
        .first()
        .filter(|s| s.step == 1)
        .and_then(|s| exact(s.gap.as_ref()))
    else {
        return false;
    };
    let mut worst = 0.0f64;
    let mut failed_at = None;
    let mut compared = 0usize;
    // Steps 0 and 1 meet the envelope by construction; the check starts at step 2.
    for s in t.steps.iter().filter(|s| s.step >= 2) {
        let Some(gap) = exact(s.gap.as_ref()) else {
            continue;
        };
        let envelope = stability::momentum_gap_envelope(s.step, &rho, &gap0, &gap1);
        compared += 1;
        if envelope > 0 {
            worst = worst.max(Float::with_val(64, Rational::from(&gap / &envelope)).to_f64());
        }
        if failed_at.is_none() && gap > envelope {
            failed_at = Some(s.step);
        }
    }
    if compared == 0 {
        return false;
    }
    row.bound = Some(SPECTRAL_ENVELOPE);
    row.worst_ratio = Some(worst);
    row.add_check(CheckKind::SpectralRadius, failed_at);
    true
}

/// The bound column's name for [`stability::momentum_gap_envelope`].
const SPECTRAL_ENVELOPE: &str = "ρ(T) envelope";

/// The bound column's name for GFJ 2015's bound on the Cesàro average.
const CESARO: &str = "GFJ Thm 1 (Cesàro)";

/// The Cesàro check of a heavy-ball row (heavy ball and its PyTorch/Optax forms at a constant
/// rate, not NAG) on a convex L-smooth problem inside GFJ 2015's range: `f(x̄_T) − f*` against
/// [`bounds::heavy_ball_cesaro`] at every T = 0…K ([`cesaro::check`]). The bound column is taken
/// only when no other check filled it (the quadratics' spectral envelope). Returns whether the
/// check ran.
fn cesaro_column<S: Evaluate>(
    p: &dyn Problem,
    schedule: &Schedule,
    momentum: &Rational,
    t: &Trace<S>,
    row: &mut Row,
) -> Result<bool> {
    let Schedule::Constant { learning_rate } = schedule else {
        return Ok(false);
    };
    let (Some(l), Some(_), Some(_)) = (p.smoothness(), p.strong_convexity(), p.minimizer()) else {
        return Ok(false);
    };
    if t.initial_gap.is_none() || !bounds::heavy_ball_cesaro_in_range(learning_rate, &l, momentum) {
        return Ok(false);
    }
    let checked = cesaro::check(p, t, learning_rate, momentum)?;
    if checked.is_empty() {
        return Ok(false);
    }
    let worst = checked
        .iter()
        .map(|c| ratio(&c.gap, &c.bound))
        .fold(0.0f64, f64::max);
    let failed_at = checked.iter().find(|c| c.violated()).map(|c| c.steps);
    if row.bound.is_none() {
        row.bound = Some(CESARO);
        row.worst_ratio = Some(worst);
    }
    row.add_check(CheckKind::Cesaro, failed_at);
    Ok(true)
}

/// Why a constant-momentum row has no guarantee: for heavy ball on a convex L-smooth problem the
/// only candidate is the Cesàro bound of [`bounds::heavy_ball_cesaro`], and the row says when its
/// step is out of that range.
fn no_guarantee(p: &dyn Problem, schedule: &Schedule, nag: bool, momentum: &Rational) -> String {
    let convex = p.strong_convexity().is_some() && p.minimizer().is_some();
    match (nag, convex, p.smoothness(), schedule) {
        (false, true, Some(l), Schedule::Constant { learning_rate })
            if !bounds::heavy_ball_cesaro_in_range(learning_rate, &l, momentum) =>
        {
            "no guarantee known (GFJ 2015's Cesàro bound needs γL < 2(1 − μ))".into()
        }
        (false, true, Some(_), _) => {
            "no guarantee on the last iterate known (GFJ 2015 bounds the Cesàro average)".into()
        }
        _ => "no guarantee known".into(),
    }
}

/// How each guarantee's bound is named in the report (the sources are in the table's footer).
fn bound_kind(g: &Guarantee) -> CheckKind {
    match g {
        Guarantee::GradientDescent => CheckKind::TightValue,
        _ => CheckKind::Bound,
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
    let strongly_convex = p.strong_convexity().is_some_and(|m| m > 0);
    row.rate = if strongly_convex {
        measured_factor(t).map(|measured| Rate::Factor {
            measured,
            theory: theoretical_factor(p, &row.method, opt, schedule),
        })
    } else {
        rates::tail_slope(t).map(Rate::Exponent)
    };
    if let Outcome::Diverged { step, what } = &t.outcome {
        row.diverged = Some((*step, what.clone()));
        return Ok(());
    }
    let Some(g) = Guarantee::applicable(opt, p, schedule) else {
        if let Some((nag, momentum)) = constant_momentum(&row.method).filter(|(_, m)| *m > 0) {
            let spectral = spectral_column(p, schedule, t, row);
            let cesaro = !nag && cesaro_column(p, schedule, &momentum, t, row)?;
            if !spectral && !cesaro {
                row.add_note(&no_guarantee(p, schedule, nag, &momentum));
            }
        }
        return Ok(());
    };
    let Schedule::Constant { learning_rate } = schedule else {
        return Ok(());
    };
    let l = problem::require_smoothness(p)?;
    let r2 = problem::initial_distance_sq(p)?;
    let bounds: Vec<Option<S>> = if g == Guarantee::GradientDescent {
        // The tight value LR²/(4kh + 2), h = γL, is below R²/(2γk) (4kh + 2 > 2kh), so checking
        // it checks the textbook bound too.
        row.bound = Some("LR²/(4kh+2)");
        let h = Rational::from(learning_rate * &l);
        (1..=k)
            .map(|i| Some(S::from_rational(&bounds::gd_tight(&l, &r2, &h, i))))
            .collect()
    } else {
        row.bound = Some(g.formula());
        g.bounds::<S>(&r2, learning_rate, &l, k)?
    };
    let mut worst = 0.0f64;
    let mut failed_at = None;
    let mut compared = 0usize;
    for (s, b) in t.steps.iter().zip(&bounds) {
        if let (Some(gap), Some(b)) = (&s.gap, b) {
            compared += 1;
            worst = worst.max(ratio(gap, b));
            if failed_at.is_none() && gap.certainly_greater(b) {
                failed_at = Some(s.step);
            }
        }
    }
    if compared > 0 {
        row.worst_ratio = Some(worst);
        row.add_check(bound_kind(&g), failed_at);
    }
    let inst = Instance::<S>::from_problem(p)?;
    let mut oracle = S::oracle(p)?;
    let checks = g.obligations(t, &inst, oracle.as_mut(), learning_rate)?;
    if !checks.is_empty() {
        row.obligations = Some((checks.len(), checks.iter().filter(|c| c.violated()).count()));
        let first = checks.iter().filter(|c| c.violated()).map(|c| c.step).min();
        row.add_check(CheckKind::Potential, first);
    }
    Ok(())
}

/// Nesterov's lower bound on `f_{2K+1}` at step K, checked in arithmetic `S`.
fn lower_bound_column<S: Scalar>(p: &dyn Problem, t: &Trace<S>, row: &mut Row) -> Result<()> {
    if p.family() != "lower-bound" || p.dim() != 2 * t.steps.len() + 1 || row.diverged.is_some() {
        return Ok(());
    }
    let k = t.steps.len();
    let lb = bounds::lower_bound(
        &problem::require_smoothness(p)?,
        &problem::initial_distance_sq(p)?,
        k,
    );
    if let Some(gap) = t.steps.last().and_then(|s| s.gap.as_ref()) {
        let held = !S::from_rational(&lb).certainly_greater(gap);
        row.add_check(CheckKind::LowerBound, (!held).then_some(k));
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
    let mut failed_at = None;
    // An infinite bound encloses everything: the check counts only if some bound was finite.
    let mut finite = 0usize;
    for (bs, es) in b.steps.iter().zip(&exact.steps) {
        let x = es.iterate.to_scalars();
        if failed_at.is_none() && !bs.iterate.encloses(&x) {
            failed_at = Some(bs.step);
        }
        let d2 = x.iter().enumerate().fold(Rational::new(), |acc, (i, xi)| {
            let d = Rational::from(Rational::from_f64(bs.iterate.v[i]).unwrap_or_default() - xi);
            acc + Rational::from(&d * &d)
        });
        if bs.iterate.e.is_finite() {
            finite += 1;
            if bs.iterate.e > 0.0 {
                worst = worst.max(Float::with_val(64, d2).sqrt().to_f64() / bs.iterate.e);
            }
        }
    }
    if finite > 0 {
        row.f64_ratio = Some(worst);
        row.add_check(CheckKind::Enclosure, failed_at);
    }
}

fn run_pair(p: &dyn Problem, method: &str, steps: usize) -> Result<Row> {
    let opt = OptimizerConfig::from_spec(method)?;
    let schedule = super::policy::default_schedule(p);
    let options = RunOptions::default();
    let mut row = Row::new(p, method);
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
                row.add_note(&format!(
                    "exact numbers outgrew the size budget at step {step}"
                ));
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

fn rate_text(rate: Option<&Rate>) -> String {
    match rate {
        None => "—".into(),
        Some(Rate::Exponent(p)) => format!("k^{p:.2}"),
        Some(Rate::Factor { measured, theory }) => match theory {
            Some((t, what)) => format!("ρ̂ {measured:.4} vs {what} {t:.4}"),
            None => format!("ρ̂ {measured:.4}"),
        },
    }
}

/// What each formula of the bound column is, with its source: a theorem, a tight value or a
/// numerical value (docs/design.md, "Theory").
const SOURCES: &[(&str, &str)] = &[
    (
        "LR²/(4kh+2)",
        "tight value, h = γL (Drori & Teboulle 2014, Math. Program. 145, Thm 3.1/3.2); implies R²/(2γk)",
    ),
    (
        "2R²/(γ(k+1)²)",
        "theorem (Beck & Teboulle 2009, SIAM J. Imaging Sci. 2, Thm 4.4)",
    ),
    ("R²/(2γt_k²)", "theorem (Beck & Teboulle 2009, Thm 4.4)"),
    (
        "(1−1/√κ)^k(L+L/κ)R²/2",
        "theorem (Nesterov 2004, Thm 2.2.3, scheme (2.2.19))",
    ),
    (
        "R²/(2γθ_N²)",
        "theorem at step N only (Kim & Fessler 2016, Math. Program. 159, Thm 2)",
    ),
    (
        SPECTRAL_ENVELOPE,
        "√gap_k ≤ kρ^{k−1}√gap_1 + (k−1)ρ^k√gap_0, ρ = spectral radius of the iteration matrix over the quadratic's nonzero eigenvalues (rounded up); theorem, derived in docs/design.md from the two-term recurrence per eigenvalue (Polyak 1987, §3.2.1)",
    ),
];

/// Formats rows as the report table.
pub fn format_table(rows: &[Row], steps: usize) -> String {
    let mut s = format!(
        "{} {} {} {} {} {:>9}  {:<11} {:>9}  status\n",
        pad("problem", 13),
        pad("method", 46),
        pad("arith", 15),
        pad("rate", 34),
        pad("bound", 22),
        "gap/bound",
        "obligations",
        "f64 e/b"
    );
    for r in rows {
        let obligations = r
            .obligations
            .map_or_else(|| "—".into(), |(n, v)| format!("{}/{n}", n - v));
        let f64_ratio = r
            .f64_ratio
            .map_or_else(|| "—".into(), |x| format!("{x:.1e}"));
        let mut status = r.verdict().to_string();
        if !r.note.is_empty() {
            status += &format!("; {}", r.note);
        }
        s += &format!(
            "{} {} {} {} {} {:>9}  {:<11} {:>9}  {}\n",
            pad(&r.problem, 13),
            pad(&r.method, 46),
            pad(&r.arithmetic, 15),
            pad(&rate_text(r.rate.as_ref()), 34),
            pad(r.bound.unwrap_or("—"), 22),
            r.worst_ratio
                .map_or_else(|| "—".into(), |x| format!("{x:.3}")),
            obligations,
            f64_ratio,
            status
        );
    }
    let count = |f: &dyn Fn(&Row) -> bool| rows.iter().filter(|r| f(r)).count();
    s += &format!(
        "\n{} pairs: {} ok, {} failed or diverged, {} with nothing checked; K = {steps} steps, learning rate 1/L (1/1000 without L)\n",
        rows.len(),
        count(&Row::ok),
        count(&Row::failed),
        count(&|r: &Row| r.verdict() == Verdict::NothingChecked),
    );
    s += "rate: k^p = least-squares exponent of gap against k over [K/4, K] (m = 0); on strongly convex problems (m > 0), where that exponent only grows with K, ρ̂ = (gap_K/gap_{K/2})^{1/(K−K/2)}, the measured per-step gap factor, vs the theory's (ρ(T) = spectral radius of the iteration matrix over the quadratic's spectrum) — reported, not checked (the spectral radius is checked through the ρ(T) envelope)\n";
    if rows.iter().any(|r| {
        r.note.contains("GFJ 2015") || r.checks.iter().any(|c| c.kind == CheckKind::Cesaro)
    }) {
        s += "GFJ 2015: the O(1/T) bound on heavy ball's Cesàro average x̄_T = (x₀+…+x_T)/(T+1) (Ghadimi, Feyzmahdavian & Johansson, ECC 2015, arXiv:1412.7457, Thm 1), a theorem for 0 ≤ μ < 1, 0 < γL < 2(1−μ): f(x̄_T)−f* ≤ (μ/(1−μ)·Δ₀ + (1−μ)R²/(2γ))/(T+1) for γL ≤ 1−μ, (μΔ₀ + (1−μ)²R²/(2γ))/((T+1)(2(1−μ)−γL)) above, Δ₀ = f(x₀)−f*; checked exactly at every T = 0…K\n";
    }
    for (formula, what) in SOURCES {
        if rows.iter().any(|r| r.bound == Some(formula)) {
            s += &format!("{formula}: {what}\n");
        }
    }
    if rows
        .iter()
        .any(|r| r.checks.iter().any(|c| c.kind == CheckKind::LowerBound))
    {
        s += "lower bound: gap_K ≥ 3LR²/(32(K+1)²) on f_{2K+1}, theorem (Nesterov 2004, Thm 2.1.7)\n";
    }
    s
}

/// `text` padded with spaces to `width` characters (not bytes: the table holds ρ̂, ², √).
fn pad(text: &str, width: usize) -> String {
    let n = text.chars().count();
    format!("{text}{}", " ".repeat(width.saturating_sub(n)))
}

/// Runs the catalogue and formats the table.
///
/// # Errors
/// As [`rows`].
pub fn run(steps: usize) -> Result<String> {
    Ok(format_table(&rows(steps)?, steps))
}
