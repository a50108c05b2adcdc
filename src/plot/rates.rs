//! Rates: `f(x_k) − f*` against k on log-log axes, with the bounds the theory gives.
//!
//! The default problem ([`default_problem`]) is a diagonal quadratic with the log-uniform spectrum
//! `λ_j = 2^{−j}`, `j = 0…24` (L = 1, κ = 2²⁴) and `x₀ − x* = (1, …, 1)`: each eigen-direction
//! holds the same share of the initial error, so for `k ≪ κ` gradient descent has removed the
//! directions with `λ ≳ 1/k` and `f(x_k) − f* ≈ Σ_{λ_j < 1/k} λ_j/2 ∼ 1/k`, while an accelerated
//! method removes those with `λ ≳ 1/k²`: the textbook slopes −1 and −2 on a real run. (Nesterov's
//! worst case `lower-bound:k=2K+1` is the other natural choice, via `--problem`: there every Krylov
//! method is held near `1/(8k)` until k approaches K.) Every method runs with the step `γ = 1/L`:
//!
//! | series id | run |
//! |---|---|
//! | `gd` | gradient descent |
//! | `heavy-ball` | Polyak heavy ball, μ = 9/10 |
//! | `nag` | NAG (look-ahead), constant μ = 9/10 |
//! | `nesterov` | Nesterov's method with `β_k = (k−1)/(k+2)` (FISTA form, `t_k = (k+1)/2`) |
//! | `bound-gd` | `R²/(2γk)` ([`bounds::gd`]) — O(1/k) |
//! | `bound-nesterov` | `2R²/(γ(k+1)²)` ([`bounds::nesterov`]) — O(1/k²) |
//! | `tight-gd` | `LR²/(4k+2)` ([`bounds::gd_tight`]): GD's exact worst case after k steps |
//! | `tight-nesterov` | `2LR²/(k²+5k+6)` ([`bounds::nesterov_tight`]): a numerical PEP value (THG 2017, Table 1), not a theorem |
//! | `lower-bound` | `(L/8)(1/(k+1) − 1/(n+1))`, the Krylov lower bound on Nesterov's `f_n` (that family only, from x₀ = 0) |
//!
//! Bounds are drawn when the problem is convex with a known L and minimiser. The legend gives
//! each run's least-squares slope of log gap against log k over `[K/4, K]`
//! ([`crate::theory::rates::fit`], on the exact gaps); the window is shaded. Gaps that are exactly
//! zero (a run that reached x*) have no place on a log axis and are left out.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use rug::Rational;

use super::{
    Canvas, Entry, Mark, Run, colour, dash, drawing, font, fraction, label, legend, legend_size,
    log_tick, provenance, run, title,
};
use crate::error::Result;
use crate::optim::{OptimizerConfig, Schedule};
use crate::problem::lower_bound::LowerBoundProblem;
use crate::problem::{self, Problem};
use crate::spec::Spec;
use crate::theory::bounds;

/// Steps of the default picture.
pub const DEFAULT_STEPS: usize = 300;

/// Eigenvalues `2^{−j}` for `j = 0..SPECTRUM_OCTAVES` in the default problem.
const SPECTRUM_OCTAVES: u32 = 25;

/// The default problem: `f(x) = ½ Σ_j 2^{−j} x_j²`, `j = 0…24`, `x* = 0`, `f* = 0`,
/// `x₀ = (1, …, 1)` (see the [module documentation](self)).
pub fn default_problem() -> String {
    let n = SPECTRUM_OCTAVES as usize;
    let spectrum: Vec<String> = (0..SPECTRUM_OCTAVES)
        .map(|j| {
            if j == 0 {
                "1".into()
            } else {
                format!("1/{}", 1u64 << j)
            }
        })
        .collect();
    format!(
        "quadratic:spectrum={},householder=none,minimizer={},optimum=0,x0={}",
        spectrum.join(";"),
        vec!["0"; n].join(";"),
        vec!["1"; n].join(";")
    )
}

const SIZE: (u32, u32) = (1300, 940);

/// A reference curve `k ↦ value`.
struct Curve {
    id: &'static str,
    label: String,
    colour: RGBColor,
    dash: &'static str,
    points: Vec<(f64, f64)>,
}

/// The rates picture on `problem` (default: [`default_problem`]) for `steps` steps.
///
/// # Errors
/// Spec errors of `problem`; run errors; [`crate::Error::InvalidHyperParameter`] for a step count
/// outside `[2, MAX_PLOT_STEPS]`.
pub fn rates(problem: Option<&str>, steps: usize) -> Result<String> {
    super::check_steps(steps, 2)?;
    let spec = problem.map_or_else(default_problem, str::to_string);
    let p = problem::from_spec(&spec)?;
    let l = p.smoothness().filter(|l| *l > 0);
    // 1/L is the step the bounds are stated for; problems without L get a small step.
    let learning_rate = l.as_ref().map_or_else(
        || Rational::from((1, 1000)),
        |l| Rational::from(l.recip_ref()),
    );
    let schedule = Schedule::constant(learning_rate.clone());
    let methods: [(&str, &str, String, RGBColor); 4] = [
        ("gd", "gd", "GD".into(), colour::GD),
        (
            "heavy-ball",
            "heavy-ball:momentum=9/10",
            "heavy ball, μ = 9/10".into(),
            colour::HEAVY_BALL,
        ),
        (
            "nag",
            "nag:momentum=9/10",
            "NAG, μ = 9/10".into(),
            colour::NAG,
        ),
        (
            "nesterov",
            "fista:momentum=rational",
            "Nesterov, μ_k = (k−1)/(k+2)".into(),
            colour::NESTEROV,
        ),
    ];
    let mut runs: Vec<(&str, String, RGBColor, Run)> = Vec::new();
    for (id, opt, name, c) in methods {
        let config = OptimizerConfig::from_spec(opt)?;
        let r = run(p.as_ref(), &config, &schedule, None, steps)?;
        runs.push((id, name, c, r));
    }
    let curves = reference_curves(p.as_ref(), &learning_rate, steps)?;
    draw(p.as_ref(), &spec, &learning_rate, steps, &runs, &curves)
}

fn reference_curves(p: &dyn Problem, learning_rate: &Rational, steps: usize) -> Result<Vec<Curve>> {
    let (Some(l), Some(m), Some(_)) = (p.smoothness(), p.strong_convexity(), p.minimizer()) else {
        return Ok(Vec::new());
    };
    if m < 0 || l <= 0 || Rational::from(learning_rate * &l) > 1 {
        return Ok(Vec::new());
    }
    let r2 = problem::initial_distance_sq(p)?;
    let ks = 1..=steps;
    let f = |q: Rational| q.to_f64();
    let inv_lr = Rational::from(learning_rate.recip_ref());
    let mut curves = vec![
        Curve {
            id: "bound-gd",
            label: "O(1/k): GD's bound R²/(2γk)".into(),
            colour: colour::INK,
            dash: dash::LONG,
            points: ks
                .clone()
                .filter_map(|k| {
                    bounds::gd(&r2, learning_rate, k)
                        .ok()
                        .map(|b| (k as f64, f(b)))
                })
                .collect(),
        },
        Curve {
            id: "bound-nesterov",
            label: "O(1/k²): Nesterov's bound 2R²/(γ(k+1)²)".into(),
            colour: colour::INK,
            dash: dash::DASH_DOT,
            points: ks
                .clone()
                .map(|k| (k as f64, f(bounds::nesterov(&inv_lr, &r2, k))))
                .collect(),
        },
        Curve {
            id: "tight-gd",
            label: "GD's worst case LR²/(4k+2) (tight)".into(),
            colour: colour::GREY,
            dash: dash::SHORT,
            points: ks
                .clone()
                .map(|k| {
                    (
                        k as f64,
                        f(bounds::gd_tight(&l, &r2, &Rational::from(1), k)),
                    )
                })
                .collect(),
        },
        Curve {
            id: "tight-nesterov",
            label: "Nesterov's worst case 2LR²/(k²+5k+6) (numerical PEP value)".into(),
            colour: colour::GREY,
            dash: dash::DOT,
            points: ks
                .clone()
                .map(|k| (k as f64, f(bounds::nesterov_tight(&l, &r2, k))))
                .collect(),
        },
    ];
    if p.family() == "lower-bound" {
        let lb = LowerBoundProblem::from_spec(&Spec::parse(&p.spec())?)?;
        if p.initial_point().iter().all(|x| *x == 0) {
            curves.push(Curve {
                id: "lower-bound",
                label: format!("any Krylov method stays above (f_{})", lb.k()),
                colour: colour::HEAVY_BALL,
                dash: dash::DOT,
                points: ks
                    .map(|k| (k as f64, f(lb.krylov_gap_lower_bound(k))))
                    .filter(|(_, v)| *v > 0.0)
                    .collect(),
            });
        }
    }
    Ok(curves)
}

fn problem_title(p: &dyn Problem, spec: &str) -> String {
    if spec == default_problem() {
        return format!(
            "f = ½ Σⱼ 2⁻ʲ xⱼ², j = 0…{}, from x₀ = (1, …, 1)",
            SPECTRUM_OCTAVES - 1
        );
    }
    match p.family() {
        "lower-bound" => format!(
            "Nesterov's worst-case quadratic on ℝ{}",
            super::superscript(p.dim())
        ),
        family => format!("{family} on ℝ{}", super::superscript(p.dim())),
    }
}

/// `1/L = …` when the step is 1/L, else the step.
fn step_text(p: &dyn Problem, learning_rate: &Rational) -> String {
    match p.smoothness() {
        Some(l) if l > 0 && Rational::from(learning_rate * &l) == 1 => {
            format!("1/L = {}", fraction(learning_rate))
        }
        _ => fraction(learning_rate),
    }
}

fn draw(
    p: &dyn Problem,
    spec: &str,
    learning_rate: &Rational,
    steps: usize,
    runs: &[(&str, String, RGBColor, Run)],
    curves: &[Curve],
) -> Result<String> {
    let canvas = Canvas::new(SIZE);
    let root = canvas.backend().into_drawing_area();
    root.fill(&WHITE).map_err(drawing)?;
    let arith = runs
        .iter()
        .map(|r| r.3.arithmetic.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|a| if a == "exact" { "exact (ℚ)" } else { a })
        .collect::<Vec<_>>()
        .join(", ");
    title(
        &canvas,
        &root,
        &format!("Convergence rates on {}", problem_title(p, spec)),
        &format!(
            "every method with γ = {}; {steps} steps, arithmetic: {arith}; slopes = least-squares fit of log gap on log k over k ∈ [{}, {steps}]",
            step_text(p, learning_rate),
            crate::theory::rates::tail_window(steps).0
        ),
    )?;
    let run_entries: Vec<Entry> = runs
        .iter()
        .map(|(id, name, c, r)| {
            let slope = match (r.diverged, r.slope) {
                (Some(k), _) => format!("diverged at step {k}"),
                (None, Some(s)) => format!("slope {}", super::slope_text(s)),
                (None, None) => "no slope (no positive gaps to fit)".to_string(),
            };
            Entry::new(
                id,
                format!("{name} — {slope}"),
                Mark::Line {
                    colour: *c,
                    width: 3,
                    dash: None,
                },
            )
        })
        .collect();
    let curve_entries: Vec<Entry> = curves
        .iter()
        .map(|c| {
            Entry::new(
                c.id,
                c.label.clone(),
                Mark::Line {
                    colour: c.colour,
                    width: 2,
                    dash: Some(c.dash),
                },
            )
        })
        .collect();
    // Under the plot, runs and bounds side by side: inside, nine entries would hide some curve
    // in every corner.
    let legend_h = legend_size(&run_entries, font::LABEL)
        .1
        .max(legend_size(&curve_entries, font::LABEL).1);
    let body = root.margin(80, 10 + legend_h + 10, 10, 20);

    let mut lo = f64::INFINITY;
    let mut hi = 0.0f64;
    let mut seen = |v: f64| {
        if v > 0.0 && v.is_finite() {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    };
    for (_, _, _, r) in runs {
        for (k, g) in r.positive_gaps() {
            if k >= 1.0 {
                seen(g);
            }
        }
    }
    for c in curves {
        for (_, v) in &c.points {
            seen(*v);
        }
    }
    if !(lo.is_finite() && hi > 0.0) {
        (lo, hi) = (1e-3, 1.0);
    }
    let (lo, hi) = (lo / 2.0, hi * 2.0);
    let kmax = steps as f64;
    let mut chart = ChartBuilder::on(&body)
        .x_label_area_size(60)
        .y_label_area_size(100)
        .margin_right(20)
        .build_cartesian_2d((1.0..kmax).log_scale(), (lo..hi).log_scale())
        .map_err(drawing)?;
    canvas.group("axes", "axes");
    chart
        .configure_mesh()
        .x_desc("iteration k (log scale)")
        .y_desc("f(x_k) − f*  (log scale)")
        .axis_desc_style(super::text_style(font::AXIS, &colour::INK))
        .label_style(super::text_style(font::LABEL, &colour::INK))
        .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
        .bold_line_style(RGBColor(0xDD, 0xDD, 0xDD))
        .x_label_formatter(&|v| super::log_tick_sparse(*v))
        .y_label_formatter(&|v| log_tick(*v))
        .draw()
        .map_err(drawing)?;

    // The fit window, under everything else.
    let window = (crate::theory::rates::tail_window(steps).0 as f64, kmax);
    canvas.group("fit-window", "fit-window");
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(window.0, lo), (window.1, hi)],
            RGBColor(0xF0, 0xF0, 0xF0).mix(0.6).filled(),
        )))
        .map_err(drawing)?;
    canvas.end_group();

    for c in curves {
        canvas.dashed_group(c.id, "bound", c.dash);
        chart
            .draw_series(LineSeries::new(
                c.points.iter().copied(),
                c.colour.stroke_width(2),
            ))
            .map_err(drawing)?;
    }
    for (id, _, c, r) in runs {
        canvas.group(*id, "series");
        let pts: Vec<(f64, f64)> = r
            .positive_gaps()
            .into_iter()
            .filter(|(k, _)| *k >= 1.0)
            .collect();
        chart
            .draw_series(LineSeries::new(pts, c.stroke_width(3)))
            .map_err(drawing)?;
    }
    canvas.end_group();

    let plot = chart.plotting_area();
    let (px0, py0) = plot.get_base_pixel();
    // The window's label sits at the top of the shaded band.
    let (wx, _) = chart.backend_coord(&(window.0, hi));
    canvas.group("fit-window-label", "note");
    label(
        &root,
        "slope fit window",
        (wx + 6, py0 + 6),
        font::NOTE,
        (HPos::Left, VPos::Top),
    )?;
    canvas.end_group();

    let top = i32::try_from(SIZE.1).unwrap_or(0) - legend_h - 10;
    legend(&canvas, &root, (px0, top), &run_entries, font::LABEL)?;
    if !curve_entries.is_empty() {
        let x = px0 + legend_size(&run_entries, font::LABEL).0 + 20;
        legend(&canvas, &root, (x, top), &curve_entries, font::LABEL)?;
    }

    Ok(canvas.finish(
        &format!("Convergence rates on {}", problem_title(p, spec)),
        &provenance(&[
            format!("Problem: {spec}."),
            format!(
                "Learning rate {}, {steps} steps.",
                crate::arith::text::format(learning_rate)
            ),
            format!(
                "Runs: {}.",
                runs.iter().map(|r| r.0).collect::<Vec<_>>().join(", ")
            ),
        ]),
    ))
}
