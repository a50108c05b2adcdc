//! Ravine trajectories: iterates of GD, heavy ball and NAG over the contour lines of f.
//!
//! Two panels by default (one with `--problem`, which must be 2-d):
//!
//! * an ill-conditioned quadratic, [`QUADRATIC`]: eigenvalues 1 and 1/25 (κ = 25), rotated by the
//!   rational Householder reflection of `v = (1, 3)` so that the ravine runs along `(3, 4)/5`;
//!   each method has its textbook tuning for `[m, L] = [1/25, 1]`, all rational because κ is a
//!   square: GD `γ = 2/(L + m)`, Polyak's heavy ball `γ = 4/(√L + √m)²`,
//!   `μ = ((√κ − 1)/(√κ + 1))²` ([`OptimalHeavyBall`]), NAG `γ = 1/L`, `μ = (√κ − 1)/(√κ + 1)`;
//!   runs exact in ℚ;
//! * Rosenbrock's valley, [`ROSENBROCK`] (`b = 100` from `(−6/5, 1)`), with `γ = 1/1000` and
//!   `μ = 9/10`; the cubic gradient triples the size of exact entries at every step, so these
//!   runs are MPFR at 256 bits (see [`PLOT_SIZE_BUDGET_BITS`](super::PLOT_SIZE_BUDGET_BITS)).
//!
//! Other problems get the textbook tuning when L, m > 0 and √L, √m are rational, else `γ = 1/L`
//! (1/1000 without L) and `μ = 9/10`.
//!
//! Group ids, with `P` the problem family (`quadratic`, `rosenbrock`, …): `P-contours`, `P-gd`,
//! `P-heavy-ball`, `P-nag` (lines with a dot per iterate), `P-nag-lookahead` (NAG's query points
//! `θ_{k−1} + μv_{k−1}`, hollow markers), `P-start`, `P-minimizer`. Markers are drawn for the
//! first [`MARKED_STEPS`] steps; the lines show every step. Both axes have the same scale, so
//! angles (the gradient is orthogonal to the contours) are true.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use rug::Rational;

use super::contour::Grid;
use super::{
    Area, Canvas, Entry, Mark, Run, colour, drawing, font, fraction, label, legend, legend_size,
    provenance, run, title,
};
use crate::arith::rational_sqrt;
use crate::error::{Error, Result};
use crate::optim::{OptimizerConfig, Schedule};
use crate::problem::{self, Problem};
use crate::theory::stability::OptimalHeavyBall;

/// The default quadratic: spectrum {1, 1/25}, rotated, minimiser 0, start far along the ravine.
pub const QUADRATIC: &str =
    "quadratic:spectrum=1;1/25,householder=1;3,minimizer=0;0,optimum=0,x0=-5/2;-4";

/// Steps on the default quadratic.
pub const QUADRATIC_STEPS: usize = 30;

/// The default Rosenbrock instance (a = 1, b = 100, x₀ = (−6/5, 1)).
pub const ROSENBROCK: &str = "rosenbrock:a=1,b=100,n=2,x0=-6/5;1";

/// Steps on Rosenbrock: enough for momentum to reach (1, 1) while GD is still in the valley.
pub const ROSENBROCK_STEPS: usize = 2000;

/// Steps on a problem given with `--problem`.
pub const OTHER_STEPS: usize = 100;

/// Iterates and look-ahead points are marked for this many steps.
pub const MARKED_STEPS: usize = 30;

const SIZE: (u32, u32) = (1500, 960);
const MARGIN: u32 = 12;
const X_LABEL_AREA: u32 = 56;
const Y_LABEL_AREA: u32 = 76;
const PANEL_TITLE_H: i32 = 40;

struct Method {
    id: &'static str,
    label: String,
    optimizer: OptimizerConfig,
    schedule: Schedule,
    colour: RGBColor,
}

struct Panel {
    prefix: &'static str,
    title: String,
    problem: Box<dyn Problem>,
    spec: String,
    runs: Vec<(Method, Run)>,
}

/// The ravine picture: the default quadratic and Rosenbrock panels, or one panel on `problem`.
///
/// # Errors
/// [`Error::InvalidHyperParameter`] for a problem that is not 2-d; spec and run errors.
pub fn ravine(problem: Option<&str>, steps: Option<usize>) -> Result<String> {
    if let Some(s) = steps {
        super::check_steps(s, 2)?;
    }
    let panels = match problem {
        None => vec![
            panel(QUADRATIC, steps.unwrap_or(QUADRATIC_STEPS))?,
            panel(ROSENBROCK, steps.unwrap_or(ROSENBROCK_STEPS))?,
        ],
        Some(spec) => vec![panel(spec, steps.unwrap_or(OTHER_STEPS))?],
    };
    draw(&panels)
}

fn methods(p: &dyn Problem) -> Result<Vec<Method>> {
    let constant = |q: &Rational| Schedule::constant(q.clone());
    let cfg = OptimizerConfig::from_spec;
    let l = p.smoothness().filter(|l| *l > 0);
    let m = p.strong_convexity().filter(|m| *m > 0);
    if let (Some(l), Some(m)) = (&l, &m) {
        if let (Some(sl), Some(sm)) = (rational_sqrt(l), rational_sqrt(m)) {
            if sm < sl {
                let gd_lr = Rational::from(2u32) / Rational::from(l + m);
                let polyak = OptimalHeavyBall::new(&sm, &sl)?;
                let nag_mu = Rational::from(&sl - &sm) / Rational::from(&sl + &sm);
                let nag_lr = Rational::from(l.recip_ref());
                return Ok(vec![
                    Method {
                        id: "gd",
                        label: format!("GD, γ = 2/(L+m) = {}", fraction(&gd_lr)),
                        optimizer: cfg("gd")?,
                        schedule: constant(&gd_lr),
                        colour: colour::GD,
                    },
                    Method {
                        id: "heavy-ball",
                        label: format!(
                            "heavy ball (Polyak), γ = {}, μ = {}",
                            fraction(&polyak.step),
                            fraction(&polyak.momentum)
                        ),
                        optimizer: cfg(&format!(
                            "heavy-ball:momentum={}",
                            crate::arith::text::format(&polyak.momentum)
                        ))?,
                        schedule: constant(&polyak.step),
                        colour: colour::HEAVY_BALL,
                    },
                    Method {
                        id: "nag",
                        label: format!(
                            "NAG, γ = 1/L = {}, μ = {}",
                            fraction(&nag_lr),
                            fraction(&nag_mu)
                        ),
                        optimizer: cfg(&format!(
                            "nag:momentum={}",
                            crate::arith::text::format(&nag_mu)
                        ))?,
                        schedule: constant(&nag_lr),
                        colour: colour::NAG,
                    },
                ]);
            }
        }
    }
    // No textbook tuning in ℚ: one step for all, the usual momentum.
    let learning_rate = l.map_or_else(
        || Rational::from((1, 1000)),
        |l| Rational::from(l.recip_ref()),
    );
    let mu = Rational::from((9, 10));
    Ok(vec![
        Method {
            id: "gd",
            label: format!("GD, γ = {}", fraction(&learning_rate)),
            optimizer: cfg("gd")?,
            schedule: constant(&learning_rate),
            colour: colour::GD,
        },
        Method {
            id: "heavy-ball",
            label: format!(
                "heavy ball, γ = {}, μ = {}",
                fraction(&learning_rate),
                fraction(&mu)
            ),
            optimizer: cfg("heavy-ball:momentum=9/10")?,
            schedule: constant(&learning_rate),
            colour: colour::HEAVY_BALL,
        },
        Method {
            id: "nag",
            label: format!(
                "NAG, γ = {}, μ = {}",
                fraction(&learning_rate),
                fraction(&mu)
            ),
            optimizer: cfg("nag:momentum=9/10")?,
            schedule: constant(&learning_rate),
            colour: colour::NAG,
        },
    ])
}

fn panel(spec: &str, steps: usize) -> Result<Panel> {
    let p = problem::from_spec(spec)?;
    if p.dim() != 2 {
        return Err(Error::hyper(
            "problem",
            spec,
            format!(
                "the ravine picture needs a 2-d problem, this one is {}-d",
                p.dim()
            ),
        ));
    }
    let mut runs = Vec::new();
    for m in methods(p.as_ref())? {
        let r = run(p.as_ref(), &m.optimizer, &m.schedule, None, steps)?;
        runs.push((m, r));
    }
    let arith = if runs.iter().all(|(_, r)| r.arithmetic == "exact") {
        "exact ℚ".to_string()
    } else {
        runs.iter()
            .map(|(_, r)| r.arithmetic.clone())
            .find(|a| a != "exact")
            .unwrap_or_default()
            .replace("mpfr:", "MPFR, ")
            + " bits"
    };
    let prefix = p.family();
    let name = if spec == QUADRATIC {
        "ill-conditioned quadratic, κ = 25".to_string()
    } else if prefix == "rosenbrock" {
        "Rosenbrock's valley".to_string()
    } else {
        prefix.to_string()
    };
    Ok(Panel {
        prefix,
        title: format!("{name}: {steps} steps, {arith}"),
        spec: p.spec(),
        problem: p,
        runs,
    })
}

/// The data box of a panel: every iterate and query point and the minimiser, padded, widened to
/// the aspect ratio of the plotting area so that both axes have the same scale.
fn data_box(panel: &Panel, aspect: f64) -> ((f64, f64), (f64, f64)) {
    let mut pts: Vec<(f64, f64)> = Vec::new();
    for (_, r) in &panel.runs {
        for x in r.iterates.iter().chain(&r.queries) {
            if let [a, b] = x.as_slice() {
                if a.is_finite() && b.is_finite() {
                    pts.push((*a, *b));
                }
            }
        }
    }
    if let Some(xs) = panel.problem.minimizer() {
        if let [a, b] = xs.as_slice() {
            pts.push((a.to_f64(), b.to_f64()));
        }
    }
    let fold = |f: fn(f64, f64) -> f64, init: f64, pick: fn(&(f64, f64)) -> f64| {
        pts.iter().map(pick).fold(init, f)
    };
    let (mut x0, mut x1) = (
        fold(f64::min, f64::INFINITY, |p| p.0),
        fold(f64::max, f64::NEG_INFINITY, |p| p.0),
    );
    let (mut y0, mut y1) = (
        fold(f64::min, f64::INFINITY, |p| p.1),
        fold(f64::max, f64::NEG_INFINITY, |p| p.1),
    );
    if !(x0.is_finite() && x1.is_finite() && y0.is_finite() && y1.is_finite()) {
        (x0, x1, y0, y1) = (-1.0, 1.0, -1.0, 1.0);
    }
    let pad = 0.08 * (x1 - x0).max(y1 - y0).max(1e-9);
    let (mut x0, mut x1, mut y0, mut y1) = (x0 - pad, x1 + pad, y0 - pad, y1 + pad);
    let (dx, dy) = (x1 - x0, y1 - y0);
    if dx / dy < aspect {
        let grow = (dy * aspect - dx) / 2.0;
        x0 -= grow;
        x1 += grow;
    } else {
        let grow = (dx / aspect - dy) / 2.0;
        y0 -= grow;
        y1 += grow;
    }
    ((x0, x1), (y0, y1))
}

fn draw(panels: &[Panel]) -> Result<String> {
    let canvas = Canvas::new(SIZE);
    let root = canvas.backend().into_drawing_area();
    root.fill(&WHITE).map_err(drawing)?;
    title(
        &canvas,
        &root,
        "Ravine trajectories: gradient descent, heavy ball and NAG",
        "lines: iterates x₀, x₁, … (dots on the first 30); hollow circles: NAG's look-ahead points θ + μv where it takes the gradient",
    )?;
    let body = root.margin(76, 6, 6, 6);
    let areas = body.split_evenly((1, panels.len()));
    for (area, panel) in areas.iter().zip(panels) {
        draw_panel(&canvas, &root, area, panel)?;
    }
    let mut lines = Vec::new();
    for p in panels {
        lines.push(format!("Panel {}: problem {}.", p.prefix, p.spec));
        for (m, r) in &p.runs {
            lines.push(format!(
                "{} {} with {} in {}.",
                m.id,
                m.optimizer.spec(),
                m.schedule.spec(),
                r.arithmetic
            ));
        }
    }
    Ok(canvas.finish(
        "Ravine trajectories: gradient descent, heavy ball and NAG",
        &provenance(&lines),
    ))
}

type Chart<'a> = ChartContext<'a, super::TaggedSvg, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Drops consecutive points that land on the same pixel: the picture is unchanged and the
/// polyline of a 2000-step run shrinks to what can be seen.
fn on_pixels(chart: &Chart<'_>, pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    let mut last = None;
    for p in pts {
        if !(p.0.is_finite() && p.1.is_finite()) {
            continue;
        }
        let px = chart.backend_coord(p);
        if last != Some(px) {
            out.push(*p);
            last = Some(px);
        }
    }
    out
}

fn pair(x: &[f64]) -> Option<(f64, f64)> {
    match x {
        [a, b] => Some((*a, *b)),
        _ => None,
    }
}

/// Draws one panel in `area`; text and legends at pixel positions go on `root`, whose pixel
/// coordinates are the backend's (as `backend_coord` returns them).
fn draw_panel(canvas: &Canvas, root: &Area, area: &Area, panel: &Panel) -> Result<()> {
    let prefix = panel.prefix;
    let ratio: f64 = if prefix == "rosenbrock" { 0.25 } else { 0.5 };
    let entries = legend_entries(panel, ratio);
    // The legend goes under the plot: inside, it would hide iterates of some run or other.
    let (_, legend_h) = legend_size(&entries, font::LABEL);
    let legend_h = u32::try_from(legend_h).unwrap_or(0) + 8;
    let (w, h) = area.dim_in_pixel();
    let plot_w = f64::from(w.saturating_sub(2 * MARGIN + Y_LABEL_AREA).max(1));
    let plot_h = f64::from(
        h.saturating_sub(2 * MARGIN + X_LABEL_AREA + PANEL_TITLE_H.unsigned_abs() + legend_h)
            .max(1),
    );
    let ((x0, x1), (y0, y1)) = data_box(panel, plot_w / plot_h);

    canvas.group(format!("{prefix}-title"), "panel-title");
    let cx = i32::try_from(w / 2).unwrap_or(0);
    label(
        area,
        &panel.title,
        (cx, 4),
        font::AXIS,
        (HPos::Center, VPos::Top),
    )?;
    canvas.end_group();
    let inner = area.margin(PANEL_TITLE_H, i32::try_from(legend_h).unwrap_or(0), 0, 0);
    let mut chart = ChartBuilder::on(&inner)
        .margin(MARGIN)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(drawing)?;
    canvas.group(format!("{prefix}-axes"), "axes");
    chart
        .configure_mesh()
        .x_desc("x₁")
        .y_desc("x₂")
        .axis_desc_style(super::text_style(font::AXIS, &colour::INK))
        .label_style(super::text_style(font::LABEL, &colour::INK))
        .x_label_formatter(&|v| super::linear_tick(*v, x0, x1))
        .y_label_formatter(&|v| super::linear_tick(*v, y0, y1))
        .disable_mesh()
        .draw()
        .map_err(drawing)?;

    // Contours of f, geometric in f − f*: each level is a fixed fraction of the one above.
    let mut oracle = panel.problem.f64_oracle()?;
    let grid = Grid::sample((x0, x1), (y0, y1), (241, 241), |a, b| {
        oracle.value(&vec![a, b]).unwrap_or(f64::NAN)
    });
    let fstar = panel.problem.optimal_value().map_or_else(
        || {
            grid.values
                .iter()
                .flatten()
                .copied()
                .filter(|v| v.is_finite())
                .fold(f64::INFINITY, f64::min)
        },
        |q| q.to_f64(),
    );
    let start = panel
        .runs
        .first()
        .and_then(|(_, r)| r.iterates.first().cloned());
    let f0 = start
        .and_then(|x| oracle.value(&x).ok())
        .filter(|v| v.is_finite() && *v > fstar)
        .unwrap_or(fstar + 1.0);
    let levels: Vec<f64> = (-6..=16)
        .map(|j| fstar + (f0 - fstar) * ratio.powi(j))
        .collect();
    canvas.group(format!("{prefix}-contours"), "contours");
    for level in &levels {
        for line in grid.contour(*level) {
            let pts = on_pixels(&chart, &line);
            chart
                .draw_series(LineSeries::new(pts, colour::LIGHT.stroke_width(1)))
                .map_err(drawing)?;
        }
    }

    if let Some(xs) = panel.problem.minimizer() {
        if let [a, b] = xs.as_slice() {
            let at = (a.to_f64(), b.to_f64());
            canvas.group(format!("{prefix}-minimizer"), "marker");
            chart
                .draw_series(std::iter::once(Cross::new(
                    at,
                    8,
                    colour::INK.stroke_width(3),
                )))
                .map_err(drawing)?;
            let (px, py) = chart.backend_coord(&at);
            label(
                root,
                "x*",
                (px + 10, py + 4),
                font::LABEL,
                (HPos::Left, VPos::Top),
            )?;
        }
    }

    // Where paths share a valley they overlap: the first drawn is the widest, so each stays
    // visible as a border around the next (NAG under heavy ball under GD).
    for (m, r) in panel.runs.iter().rev() {
        canvas.group(format!("{prefix}-{}", m.id), "series");
        let pts: Vec<(f64, f64)> = r.iterates.iter().filter_map(|x| pair(x)).collect();
        chart
            .draw_series(LineSeries::new(
                on_pixels(&chart, &pts),
                m.colour.stroke_width(line_width(m.id)),
            ))
            .map_err(drawing)?;
        chart
            .draw_series(
                pts.iter()
                    .take(MARKED_STEPS + 1)
                    .map(|p| Circle::new(*p, 3, m.colour.filled())),
            )
            .map_err(drawing)?;
        if let Some(last) = pts.last() {
            chart
                .draw_series(std::iter::once(TriangleMarker::new(
                    *last,
                    9,
                    m.colour.filled(),
                )))
                .map_err(drawing)?;
        }
    }
    if let Some((m, r)) = panel.runs.iter().find(|(m, _)| m.id == "nag") {
        canvas.group(format!("{prefix}-nag-lookahead"), "markers");
        chart
            .draw_series(
                r.queries
                    .iter()
                    .take(MARKED_STEPS)
                    .filter_map(|x| pair(x))
                    .map(|p| Circle::new(p, 5, m.colour.stroke_width(2))),
            )
            .map_err(drawing)?;
    }
    if let Some(at) = panel
        .runs
        .first()
        .and_then(|(_, r)| r.iterates.first())
        .and_then(|x| pair(x))
    {
        canvas.group(format!("{prefix}-start"), "marker");
        let (px, py) = chart.backend_coord(&at);
        root.draw(&Rectangle::new(
            [(px - 6, py - 6), (px + 6, py + 6)],
            colour::INK.filled(),
        ))
        .map_err(drawing)?;
        label(
            root,
            "x₀",
            (px + 10, py - 4),
            font::LABEL,
            (HPos::Left, VPos::Bottom),
        )?;
    }
    canvas.end_group();

    let (bx, by) = inner.get_base_pixel();
    let (_, ih) = inner.dim_in_pixel();
    let top = by + i32::try_from(ih).unwrap_or(0) + 6;
    legend(canvas, root, (bx + 10, top), &entries, font::LABEL)
}

/// Line widths by method (see the drawing order in `draw_panel`).
fn line_width(id: &str) -> u32 {
    match id {
        "nag" => 6,
        "heavy-ball" => 4,
        _ => 2,
    }
}

fn legend_entries(panel: &Panel, ratio: f64) -> Vec<Entry> {
    let prefix = panel.prefix;
    let mut entries: Vec<Entry> = panel
        .runs
        .iter()
        .map(|(m, _)| {
            Entry::new(
                &format!("{prefix}-{}", m.id),
                m.label.clone(),
                Mark::LineDot {
                    colour: m.colour,
                    width: line_width(m.id),
                    hollow: false,
                },
            )
        })
        .collect();
    entries.push(Entry::new(
        &format!("{prefix}-nag-lookahead"),
        "NAG's look-ahead points θ + μv",
        Mark::Dot {
            colour: colour::NAG,
            hollow: true,
        },
    ));
    entries.push(Entry::new(
        &format!("{prefix}-contours"),
        format!(
            "contours: f − f* = (f(x₀) − f*)/{}ʲ, j = −6…16",
            super::number(1.0 / ratio)
        ),
        Mark::Line {
            colour: colour::LIGHT,
            width: 1,
            dash: None,
        },
    ));
    entries.push(Entry::new(
        &format!("{prefix}-last"),
        "last iterate of each run",
        Mark::Triangle {
            colour: colour::INK,
        },
    ));
    entries
}
