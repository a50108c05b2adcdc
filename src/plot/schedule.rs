//! Schedule breakage: PyTorch against Sutskever momentum when the learning rate changes.
//!
//! With a constant learning rate the two conventions are the same optimizer (`v_k = −γ b_k`,
//! docs/design.md, "Sutskever ⇔ PyTorch"). Under a schedule PyTorch's step `θ −= γ_k b_k` rescales the
//! whole accumulated velocity the moment γ changes, while Sutskever's `v = μv − γ_k g` keeps the
//! velocity built with the old rate and lets it decay at rate μ: the trajectories part. With the
//! momentum correction (`μ_k = μγ_k/γ_{k−1}`, Keras's `momentum_correction`) they are equal
//! again, exactly.
//!
//! The default is the 1-d quadratic `f(θ) = ½θ²` from `θ₀ = 1`, μ = 9/10, and the schedule
//! [`SCHEDULE`] (γ = 1/5, divided by 5 every 15 steps), all exact. The upper panel shows θ_k (the
//! first coordinate with `--problem`), the lower panel the differences
//! `θ_k^PyTorch − θ_k^Sutskever` with and without the correction, computed exactly when the runs
//! are exact; the legend states the largest corrected difference (0 when the identity holds).
//!
//! Group ids: `pytorch`, `sutskever`, `sutskever-corrected` (upper panel), `difference`,
//! `difference-corrected` (lower panel), `lr-changes` (vertical lines where γ changes).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use rug::Rational;

use super::{
    Area, Canvas, Entry, Mark, Run, colour, dash, drawing, font, label, legend, legend_size,
    linear_tick, number, provenance, run, title, y_label_area,
};
use crate::arith::linalg::Vector;
use crate::error::Result;
use crate::optim::{OptimizerConfig, Schedule};
use crate::problem::{self, Problem};

/// The default problem: `½θ²` on ℝ from θ₀ = 1.
pub const PROBLEM: &str = "quadratic:spectrum=1,householder=none,minimizer=0,optimum=0,x0=1";

/// The schedule: PyTorch's `StepLR(step_size=15, gamma=0.2)` from γ = 1/5.
pub const SCHEDULE: &str = "step:lr=1/5,factor=1/5,every=15";

/// Steps of the default picture.
pub const DEFAULT_STEPS: usize = 60;

const SIZE: (u32, u32) = (1300, 980);

struct Series {
    id: &'static str,
    label: &'static str,
    spec: &'static str,
    colour: RGBColor,
    width: u32,
    dash: Option<&'static str>,
}

const SERIES: [Series; 3] = [
    Series {
        id: "pytorch",
        label: "PyTorch SGD: b = μb + g, θ −= γ_k b",
        spec: "pytorch:momentum=9/10",
        colour: colour::HEAVY_BALL,
        width: 5,
        dash: None,
    },
    Series {
        id: "sutskever",
        label: "Sutskever/Keras: v = μv − γ_k g, θ += v",
        spec: "keras:momentum=9/10",
        colour: colour::GD,
        width: 2,
        dash: None,
    },
    Series {
        id: "sutskever-corrected",
        label: "Sutskever with momentum correction μγ_k/γ_{k−1}",
        spec: "keras:momentum=9/10,momentum_correction=true",
        colour: colour::INK,
        width: 2,
        dash: Some(dash::SHORT),
    },
];

/// The schedule-breakage picture on `problem` (default [`PROBLEM`]) for `steps` steps.
///
/// # Errors
/// Spec and run errors; a step count outside `[2, MAX_PLOT_STEPS]`.
pub fn schedule(problem: Option<&str>, steps: usize) -> Result<String> {
    super::check_steps(steps, 2)?;
    let spec = problem.unwrap_or(PROBLEM);
    let p = problem::from_spec(spec)?;
    let sched = Schedule::from_spec(SCHEDULE)?;
    let mut runs = Vec::new();
    for s in &SERIES {
        runs.push(run(
            p.as_ref(),
            &OptimizerConfig::from_spec(s.spec)?,
            &sched,
            None,
            steps,
        )?);
    }
    draw(p.as_ref(), &sched, steps, &runs)
}

/// `θ^a_k,0 − θ^b_k,0` for every k, exactly when both runs are exact (then also the exact
/// largest magnitude), else in f64.
fn difference(a: &Run, b: &Run) -> (Vec<(f64, f64)>, Option<Rational>) {
    if let (Some(ta), Some(tb)) = (&a.exact, &b.exact) {
        let mut worst = Rational::new();
        let pts = ta
            .iterates()
            .zip(tb.iterates())
            .enumerate()
            .map(|(k, (x, y))| {
                let d = Rational::from(&x.get(0) - &y.get(0));
                if Rational::from(d.abs_ref()) > worst {
                    worst = Rational::from(d.abs_ref());
                }
                (k as f64, d.to_f64())
            })
            .collect();
        return (pts, Some(worst));
    }
    let pts = a
        .coordinate(0)
        .into_iter()
        .zip(b.coordinate(0))
        .map(|((k, x), (_, y))| (k, x - y))
        .collect();
    (pts, None)
}

/// The steps k ≥ 2 at which γ_k ≠ γ_{k−1}, with both rates.
fn changes(sched: &Schedule, steps: usize) -> Result<Vec<(usize, Rational, Rational)>> {
    let mut out = Vec::new();
    for k in 2..=steps {
        let (a, b) = (
            sched.learning_rate::<Rational>(k - 1)?,
            sched.learning_rate::<Rational>(k)?,
        );
        if a != b {
            out.push((k, a, b));
        }
    }
    Ok(out)
}

fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let pad = 0.08 * (hi - lo).max(1e-12);
    (lo - pad, hi + pad)
}

fn draw(p: &dyn Problem, sched: &Schedule, steps: usize, runs: &[Run]) -> Result<String> {
    let canvas = Canvas::new(SIZE);
    let root = canvas.backend().into_drawing_area();
    root.fill(&WHITE).map_err(drawing)?;
    let exact = runs.iter().all(|r| r.exact.is_some());
    title(
        &canvas,
        &root,
        "Momentum under a step schedule: PyTorch and Sutskever part ways",
        &format!(
            "f = {}, μ = 9/10, γ_k = 1/5 · (1/5)^⌊(k−1)/15⌋ (StepLR); {}",
            if p.spec() == problem::from_spec(PROBLEM)?.spec() {
                "½θ², θ₀ = 1".to_string()
            } else {
                p.family().to_string()
            },
            if exact {
                "runs exact in ℚ"
            } else {
                "runs in MPFR, 256 bits"
            }
        ),
    )?;
    let body = root.margin(80, 10, 10, 10);
    let (upper, lower) = body.split_vertically(500);
    let lr_changes = changes(sched, steps)?;
    let kmax = steps as f64;
    let coord = if p.dim() == 1 {
        "θ_k"
    } else {
        "θ_k (first coordinate)"
    };

    // Upper panel: the iterates.
    let series: Vec<Vec<(f64, f64)>> = runs.iter().map(|r| r.coordinate(0)).collect();
    let (y0, y1) = range(series.iter().flatten().map(|p| p.1));
    // The rate labels sit above the plot, where no legend or curve can cover them.
    let mut chart = ChartBuilder::on(&upper)
        .margin(12)
        .margin_top(34)
        .x_label_area_size(50)
        .y_label_area_size(90)
        .build_cartesian_2d(0.0..kmax, y0..y1)
        .map_err(drawing)?;
    canvas.group("axes", "axes");
    chart
        .configure_mesh()
        .x_desc("iteration k")
        .y_desc(coord)
        .axis_desc_style(super::text_style(font::AXIS, &colour::INK))
        .label_style(super::text_style(font::LABEL, &colour::INK))
        .light_line_style(RGBColor(0xF2, 0xF2, 0xF2))
        .bold_line_style(RGBColor(0xE2, 0xE2, 0xE2))
        .x_label_formatter(&|v| linear_tick(*v, 0.0, kmax))
        .y_label_formatter(&|v| linear_tick(*v, y0, y1))
        .draw()
        .map_err(drawing)?;
    lr_lines(
        &canvas,
        &root,
        &mut chart,
        &lr_changes,
        (y0, y1),
        "lr-changes",
        true,
    )?;
    for (s, pts) in SERIES.iter().zip(&series) {
        match s.dash {
            Some(d) => canvas.dashed_group(s.id, "series", d),
            None => canvas.group(s.id, "series"),
        }
        chart
            .draw_series(LineSeries::new(
                pts.iter().copied(),
                s.colour.stroke_width(s.width),
            ))
            .map_err(drawing)?;
    }
    canvas.end_group();
    let entries: Vec<Entry> = SERIES
        .iter()
        .map(|s| {
            Entry::new(
                s.id,
                s.label,
                Mark::Line {
                    colour: s.colour,
                    width: s.width,
                    dash: s.dash,
                },
            )
        })
        .collect();
    corner_legend(&canvas, &root, &chart, &entries, &series)?;

    // Lower panel: the differences.
    let (diff, _) = difference(&runs[0], &runs[1]);
    let (diff_c, worst_c) = difference(&runs[0], &runs[2]);
    let (d0, d1) = range(diff.iter().chain(&diff_c).map(|p| p.1));
    let mut chart = ChartBuilder::on(&lower)
        .margin(12)
        .x_label_area_size(50)
        // Wide enough for the widest tick label (scientific labels such as −2.5·10⁻³ are) and
        // the rotated description beside them, so the two never overlap.
        .y_label_area_size(
            y_label_area(
                &[
                    linear_tick(d0, d0, d1),
                    linear_tick(d1, d0, d1),
                    linear_tick((d0 + d1) / 2.0, d0, d1),
                ],
                font::LABEL,
                font::AXIS,
            )
            .max(90),
        )
        .build_cartesian_2d(0.0..kmax, d0..d1)
        .map_err(drawing)?;
    canvas.group("difference-axes", "axes");
    chart
        .configure_mesh()
        .x_desc("iteration k")
        .y_desc("θ_k(PyTorch) − θ_k(Sutskever)")
        .axis_desc_style(super::text_style(font::AXIS, &colour::INK))
        .label_style(super::text_style(font::LABEL, &colour::INK))
        .light_line_style(RGBColor(0xF2, 0xF2, 0xF2))
        .bold_line_style(RGBColor(0xE2, 0xE2, 0xE2))
        .x_label_formatter(&|v| linear_tick(*v, 0.0, kmax))
        .y_label_formatter(&|v| linear_tick(*v, d0, d1))
        .draw()
        .map_err(drawing)?;
    lr_lines(
        &canvas,
        &root,
        &mut chart,
        &lr_changes,
        (d0, d1),
        "lr-changes-difference",
        false,
    )?;
    canvas.group("difference", "series");
    chart
        .draw_series(LineSeries::new(
            diff.iter().copied(),
            colour::GD.stroke_width(3),
        ))
        .map_err(drawing)?;
    canvas.dashed_group("difference-corrected", "series", dash::SHORT);
    chart
        .draw_series(LineSeries::new(
            diff_c.iter().copied(),
            colour::INK.stroke_width(3),
        ))
        .map_err(drawing)?;
    canvas.end_group();
    let corrected = match &worst_c {
        Some(w) if *w == 0 => "with the correction: exactly 0 at every step (in ℚ)".to_string(),
        Some(w) => format!(
            "with the correction: largest |difference| {}",
            super::fraction(w)
        ),
        None => {
            let w = diff_c.iter().map(|p| p.1.abs()).fold(0.0, f64::max);
            format!("with the correction: largest |difference| {}", number(w))
        }
    };
    let entries = [
        Entry::new(
            "difference",
            "without the correction",
            Mark::Line {
                colour: colour::GD,
                width: 3,
                dash: None,
            },
        ),
        Entry::new(
            "difference-corrected",
            corrected,
            Mark::Line {
                colour: colour::INK,
                width: 3,
                dash: Some(dash::SHORT),
            },
        ),
    ];
    corner_legend(&canvas, &root, &chart, &entries, &[diff, diff_c])?;

    Ok(canvas.finish(
        "Momentum under a step schedule: PyTorch and Sutskever",
        &provenance(&[
            format!("Problem: {}.", p.spec()),
            format!("Schedule: {}.", sched.spec()),
            format!(
                "Runs: {}.",
                SERIES.iter().map(|s| s.spec).collect::<Vec<_>>().join("; ")
            ),
        ]),
    ))
}

type Chart<'a> = ChartContext<
    'a,
    super::TaggedSvg,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// Vertical lines at the steps where γ changes (the first step with the new rate), labelled
/// with the old and new rate in the upper panel.
fn lr_lines(
    canvas: &Canvas,
    root: &Area,
    chart: &mut Chart<'_>,
    changes: &[(usize, Rational, Rational)],
    (y0, y1): (f64, f64),
    id: &str,
    labelled: bool,
) -> Result<()> {
    canvas.dashed_group(id, "lr-change", dash::LONG);
    for (k, _, _) in changes {
        let x = *k as f64;
        chart
            .draw_series(LineSeries::new(
                [(x, y0), (x, y1)],
                colour::GREY.stroke_width(1),
            ))
            .map_err(drawing)?;
    }
    if labelled {
        // A label that would run into the previous one is left out (many changes, or long
        // fractions): the dashed line still marks the change.
        let mut free_from = i32::MIN;
        for (k, a, b) in changes {
            let (px, py) = chart.backend_coord(&(*k as f64, y1));
            let text = format!("γ: {} → {}", super::fraction(a), super::fraction(b));
            let half = i32::try_from(super::svg::text_size(&text, f64::from(font::NOTE)).0 / 2)
                .unwrap_or(i32::MAX / 4);
            if px - half < free_from {
                continue;
            }
            label(
                root,
                &text,
                (px, py - 6),
                font::NOTE,
                (HPos::Center, VPos::Bottom),
            )?;
            free_from = px + half + 12;
        }
    }
    canvas.end_group();
    Ok(())
}

/// A legend in the corner of the chart's plotting area that hides the least of `series`.
fn corner_legend(
    canvas: &Canvas,
    root: &Area,
    chart: &Chart<'_>,
    entries: &[Entry],
    series: &[Vec<(f64, f64)>],
) -> Result<()> {
    let plot = chart.plotting_area();
    let paths: Vec<Vec<(i32, i32)>> = series
        .iter()
        .map(|s| s.iter().map(|p| chart.backend_coord(p)).collect())
        .collect();
    let at = super::free_corner(
        plot.get_base_pixel(),
        plot.dim_in_pixel(),
        legend_size(entries, font::LABEL),
        &paths,
    );
    legend(canvas, root, at, entries, font::LABEL)
}
