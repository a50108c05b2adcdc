//! The heavy-ball cycle on the Lessard–Recht–Packard function, and NAG's path.
//!
//! On LRP's piecewise quadratic (m = 1, L = 25, [`crate::problem::lrp`]) heavy ball with Polyak's
//! tuning for κ = 25 — `γ = 1/9`, `μ = 4/9` — has the exact 3-cycle
//! `{792, −2208, 2592}/1225` (Lessard, Recht & Packard 2016, §4.6), while NAG with its own tuning
//! (`γ = 1/L`, `μ = (√κ − 1)/(√κ + 1) = 2/3`) converges.
//!
//! **Which start reaches the cycle.** The crate's heavy ball starts with `θ₋₁ = θ₀`. No such
//! start lands on the cycle: heavy ball's map `(θ, θ₋) ↦ (θ − γf′(θ) + μ(θ − θ₋), θ)` is
//! invertible (`θ₋ = θ + (θ − γf′(θ) − θ₊)/μ`), so the only states it maps onto the cycle are the
//! cycle's own, and `(c, c)` is not one of them (that would need `μ(c − c₋) = 0`). The cycle is
//! therefore run from the cycle state `(θ₀, θ₋₁) = (792, 2592)/1225` (a [`HeavyBall`] whose
//! previous iterate is set, stepping with the crate's own update), which gives
//! `θ₁ = −2208/1225`, `θ₂ = 2592/1225`, `θ₃ = θ₀` in ℚ; the picture states whether
//! `θ_{k+3} = θ_k` held exactly at every step. For contrast it also shows heavy ball from the
//! instance's start `θ₀ = θ₋₁ = 3`, which circles near the cycle for a while and then converges
//! (the cycle attracts only nearby states), and NAG from the same start, which reaches
//! `x* = 0` exactly at step 2 (its first gradient step from the upper piece lands at 24/25 on the
//! lower piece, where a step of 1/L from any point goes straight to 0).
//!
//! Group ids: `lrp-f` (the graph of f), `kinks`, `cycle-points`, `cycle-triangle` (left panel);
//! `cycle`, `heavy-ball-from-start`, `nag`, `cycle-levels` (right panel).

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use rug::Rational;

use super::{
    Area, Canvas, Entry, Mark, Run, colour, dash, drawing, font, fraction, label, legend, number,
    provenance, run, title,
};
use crate::arith::Scalar;
use crate::arith::linalg::Vector;
use crate::error::Result;
use crate::optim::heavy_ball::{HeavyBall, HeavyBallState};
use crate::optim::{Optimizer, OptimizerConfig, Query, Schedule, StateRecord, StepContext};
use crate::problem::{self, Oracle, Problem};
use crate::trace::{self, RunOptions, Trace};

/// The problem (the paper's instance; its start x₀ = 3).
pub const PROBLEM: &str = "lrp:m=1,L=25,x0=3";

/// Steps of the default picture.
pub const DEFAULT_STEPS: usize = 40;

const SIZE: (u32, u32) = (1500, 880);
/// Room under the panels for the legend.
const LEGEND_H: i32 = 130;

/// The 3-cycle, numerators over 1225, in the order heavy ball visits them from
/// `(θ₀, θ₋₁) = (792, 2592)/1225`.
pub const CYCLE_NUMERATORS: [i64; 3] = [792, -2208, 2592];

/// The denominator of the cycle.
pub const CYCLE_DENOMINATOR: i64 = 1225;

fn cycle_point(i: usize) -> Rational {
    Rational::from((CYCLE_NUMERATORS[i % 3], CYCLE_DENOMINATOR))
}

/// Heavy ball started from a given previous iterate instead of `θ₋₁ = θ₀`.
#[derive(Debug)]
struct StartedHeavyBall {
    inner: HeavyBall,
    previous: Vec<Rational>,
}

impl<S: Scalar> Optimizer<S> for StartedHeavyBall {
    type State = HeavyBallState<S::Vector>;

    fn init(&self, x0: &S::Vector) -> Result<Self::State> {
        Ok(HeavyBallState {
            params: x0.clone(),
            previous: problem::to_vector::<S>(&self.previous),
        })
    }

    fn step(
        &self,
        state: &mut Self::State,
        ctx: &StepContext<'_, S>,
        oracle: &mut dyn Oracle<S>,
        query: &mut Query<S>,
    ) -> Result<()> {
        <HeavyBall as Optimizer<S>>::step(&self.inner, state, ctx, oracle, query)
    }

    fn iterate<'s>(&self, state: &'s Self::State) -> &'s S::Vector {
        <HeavyBall as Optimizer<S>>::iterate(&self.inner, state)
    }

    fn query_point<'s>(&self, state: &'s Self::State) -> Option<&'s S::Vector> {
        <HeavyBall as Optimizer<S>>::query_point(&self.inner, state)
    }

    fn state_check(&self, state: &Self::State) -> crate::optim::StateCheck {
        <HeavyBall as Optimizer<S>>::state_check(&self.inner, state)
    }

    fn record(&self, state: &Self::State) -> StateRecord<S> {
        <HeavyBall as Optimizer<S>>::record(&self.inner, state)
    }
}

/// Whether `θ_{k+3} = θ_k` holds exactly for every recorded k.
fn has_period_three(t: &Trace<Rational>) -> bool {
    let xs: Vec<Rational> = t.iterates().map(|x| x.get(0)).collect();
    xs.len() > 3 && xs.windows(4).all(|w| w[0] == w[3])
}

/// The cycle picture, `steps` steps of each run.
///
/// # Errors
/// A step count outside `[3, MAX_PLOT_STEPS]`; run errors (none for the built-in instance).
pub fn cycle(steps: usize) -> Result<String> {
    super::check_steps(steps, 3)?;
    let p = problem::from_spec(PROBLEM)?;
    let hb_lr = Schedule::constant(Rational::from((1, 9)));
    let mu = Rational::from((4, 9));

    // The exact cycle, from the cycle state.
    let started = StartedHeavyBall {
        inner: HeavyBall::new(mu.clone())?,
        previous: vec![cycle_point(2)],
    };
    let mut oracle = p.exact_oracle()?;
    let x0 = problem::to_vector::<Rational>(&[cycle_point(0)]);
    let spec = p.spec();
    let started_spec = format!(
        "heavy-ball:momentum=4/9 from (θ₀, θ₋₁) = ({}, {})",
        crate::arith::text::format(&cycle_point(0)),
        crate::arith::text::format(&cycle_point(2))
    );
    let cycle_trace = trace::run_with_oracle(
        &started,
        oracle.as_mut(),
        &hb_lr,
        &x0,
        steps,
        &RunOptions::default(),
        (&spec, &started_spec),
    )?;
    let periodic = has_period_three(&cycle_trace);
    let on_cycle = (0..3).all(|i| {
        cycle_trace
            .step(i + 1)
            .is_some_and(|s| s.iterate.get(0) == cycle_point(i + 1))
    });
    let cycle_run = Run::from_trace(&cycle_trace);

    let from_start = run(
        p.as_ref(),
        &OptimizerConfig::from_spec("heavy-ball:momentum=4/9")?,
        &hb_lr,
        None,
        steps,
    )?;
    let nag = run(
        p.as_ref(),
        &OptimizerConfig::from_spec("nag:momentum=2/3")?,
        &Schedule::constant(Rational::from((1, 25))),
        None,
        steps,
    )?;
    draw(
        p.as_ref(),
        steps,
        &cycle_run,
        periodic && on_cycle,
        &from_start,
        &nag,
        &started_spec,
    )
}

type Chart<'a> = ChartContext<'a, super::TaggedSvg, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

fn axes(canvas: &Canvas, chart: &mut Chart<'_>, id: &str, x: &str, y: &str) -> Result<()> {
    canvas.group(id.to_string(), "axes");
    chart
        .configure_mesh()
        .x_desc(x)
        .y_desc(y)
        .axis_desc_style(super::text_style(font::AXIS, &colour::INK))
        .label_style(super::text_style(font::LABEL, &colour::INK))
        .light_line_style(RGBColor(0xF2, 0xF2, 0xF2))
        .bold_line_style(RGBColor(0xE2, 0xE2, 0xE2))
        .x_label_formatter(&|v| number(*v))
        .y_label_formatter(&|v| number(*v))
        .draw()
        .map_err(drawing)?;
    canvas.end_group();
    Ok(())
}

fn draw(
    p: &dyn Problem,
    steps: usize,
    cycle: &Run,
    exact_cycle: bool,
    from_start: &Run,
    nag: &Run,
    started_spec: &str,
) -> Result<String> {
    let canvas = Canvas::new(SIZE);
    let root = canvas.backend().into_drawing_area();
    root.fill(&WHITE).map_err(drawing)?;
    title(
        &canvas,
        &root,
        "Heavy ball cycles on the Lessard–Recht–Packard function; NAG converges",
        "f is 1-strongly convex and 25-smooth (three quadratic pieces, kinks at x = 1 and 2); heavy ball with Polyak's tuning for κ = 25: γ = 1/9, μ = 4/9",
    )?;
    let body = root.margin(80, 10, 10, 10);
    let (left, right) = body.split_horizontally(620);
    graph_panel(&canvas, &root, &left, p)?;
    trajectory_panel(
        &canvas,
        &root,
        &right,
        steps,
        cycle,
        exact_cycle,
        from_start,
        nag,
    )?;
    Ok(canvas.finish(
        "Heavy ball cycles on the Lessard–Recht–Packard function; NAG converges",
        &provenance(&[
            format!("Problem: {}.", p.spec()),
            format!("Cycle run: {started_spec}, learning rate 1/9, exact."),
            "Heavy ball from the instance start: heavy-ball:momentum=4/9, learning rate 1/9.".into(),
            "NAG: nag:momentum=2/3, learning rate 1/25.".into(),
            "No start with θ₋₁ = θ₀ reaches the cycle: heavy ball's state map is invertible, so only cycle states map onto the cycle.".into(),
        ]),
    ))
}

fn graph_panel(canvas: &Canvas, root: &Area, area: &Area, p: &dyn Problem) -> Result<()> {
    let (x0, x1) = (-2.6, 3.2);
    let mut oracle = p.exact_oracle()?;
    let mut f = |x: f64| -> Result<f64> {
        let q = Rational::from_f64(x).unwrap_or_default();
        Ok(oracle
            .value(&problem::to_vector::<Rational>(&[q]))?
            .to_f64())
    };
    let graph: Vec<(f64, f64)> = (0..=580)
        .map(|i| {
            let x = x0 + (x1 - x0) * f64::from(i) / 580.0;
            f(x).map(|y| (x, y))
        })
        .collect::<Result<_>>()?;
    let ymax = graph.iter().map(|p| p.1).fold(0.0, f64::max) * 1.05;
    let inner = area.margin(0, LEGEND_H, 0, 0);
    let mut chart = ChartBuilder::on(&inner)
        .margin(12)
        .margin_top(30)
        .x_label_area_size(56)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, 0.0..ymax)
        .map_err(drawing)?;
    axes(canvas, &mut chart, "lrp-axes", "x", "f(x)")?;
    canvas.dashed_group("kinks", "reference", dash::DOT);
    for k in [1.0, 2.0] {
        chart
            .draw_series(LineSeries::new(
                [(k, 0.0), (k, ymax)],
                colour::GREY.stroke_width(1),
            ))
            .map_err(drawing)?;
    }
    canvas.group("lrp-f", "series");
    chart
        .draw_series(LineSeries::new(graph, colour::INK.stroke_width(2)))
        .map_err(drawing)?;
    let pts: Vec<(f64, f64, Rational)> = (0..3)
        .map(|i| {
            let c = cycle_point(i);
            f(c.to_f64()).map(|y| (c.to_f64(), y, c))
        })
        .collect::<Result<_>>()?;
    canvas.group("cycle-triangle", "series");
    chart
        .draw_series(LineSeries::new(
            pts.iter().chain(pts.first()).map(|(x, y, _)| (*x, *y)),
            colour::HEAVY_BALL.stroke_width(2),
        ))
        .map_err(drawing)?;
    canvas.group("cycle-points", "markers");
    chart
        .draw_series(
            pts.iter()
                .map(|(x, y, _)| Circle::new((*x, *y), 7, colour::HEAVY_BALL.filled())),
        )
        .map_err(drawing)?;
    for (i, (x, y, c)) in pts.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(*x, *y));
        // The two upper points are labelled above, towards the middle (the graph's walls are
        // outside); the lowest one to its right.
        let (at, anchor) = match i {
            0 => ((px + 14, py), (HPos::Left, VPos::Center)),
            1 => ((px + 4, py - 12), (HPos::Left, VPos::Bottom)),
            _ => ((px - 4, py - 12), (HPos::Right, VPos::Bottom)),
        };
        label(
            root,
            &format!("θ{} = {}", super::subscript(i), fraction(c)),
            at,
            font::LABEL,
            anchor,
        )?;
    }
    canvas.group("kink-labels", "note");
    let (px, py) = chart.backend_coord(&(1.5, ymax));
    label(
        root,
        "kinks at x = 1, 2",
        (px, py - 4),
        font::NOTE,
        (HPos::Center, VPos::Bottom),
    )?;
    canvas.end_group();
    Ok(())
}

#[allow(clippy::too_many_arguments)] // one panel, its three runs and the verdict on the cycle
fn trajectory_panel(
    canvas: &Canvas,
    root: &Area,
    area: &Area,
    steps: usize,
    cycle: &Run,
    exact_cycle: bool,
    from_start: &Run,
    nag: &Run,
) -> Result<()> {
    let series = [
        cycle.coordinate(0),
        from_start.coordinate(0),
        nag.coordinate(0),
    ];
    let (lo, hi) = series
        .iter()
        .flatten()
        .map(|p| p.1)
        .filter(|v| v.is_finite())
        .fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let pad = 0.06 * (hi - lo).max(1e-9);
    let inner = area.margin(0, LEGEND_H, 0, 0);
    let mut chart = ChartBuilder::on(&inner)
        .margin(12)
        .margin_top(30)
        .x_label_area_size(56)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..steps as f64, (lo - pad)..(hi + pad))
        .map_err(drawing)?;
    axes(canvas, &mut chart, "trajectory-axes", "iteration k", "x_k")?;
    canvas.dashed_group("cycle-levels", "reference", dash::LONG);
    for i in 0..3 {
        let y = cycle_point(i).to_f64();
        chart
            .draw_series(LineSeries::new(
                [(0.0, y), (steps as f64, y)],
                colour::LIGHT.stroke_width(1),
            ))
            .map_err(drawing)?;
    }
    // The cycle last, on top: the other runs pass through its levels.
    let drawn = [
        ("heavy-ball-from-start", colour::SKY, 2u32, &series[1]),
        ("nag", colour::NAG, 3, &series[2]),
        ("cycle", colour::HEAVY_BALL, 3, &series[0]),
    ];
    for (id, c, w, pts) in drawn {
        canvas.group(id, "series");
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(w)))
            .map_err(drawing)?;
        chart
            .draw_series(pts.iter().map(|p| Circle::new(*p, 3, c.filled())))
            .map_err(drawing)?;
    }
    canvas.end_group();
    let cycle_text = if exact_cycle {
        "heavy ball from (θ₀, θ₋₁) = (792, 2592)/1225: x_{k+3} = x_k for every k (checked in ℚ)"
    } else {
        "heavy ball from (θ₀, θ₋₁) = (792, 2592)/1225: NOT periodic in ℚ"
    };
    let last = |r: &Run| {
        r.iterates
            .last()
            .and_then(|x| x.first().copied())
            .unwrap_or(f64::NAN)
    };
    let from_start_text = format!(
        "heavy ball from θ₀ = θ₋₁ = 3 (the instance's start): |x_{steps}| = {}",
        super::log_tick(last(from_start).abs())
    );
    // The step from which NAG's exact iterates are all 0, if they get there.
    let nag_zero = nag.exact.as_ref().and_then(|t| {
        let xs: Vec<Rational> = t.iterates().map(|x| x.get(0)).collect();
        let first = xs.iter().rposition(|x| *x != 0).map_or(0, |i| i + 1);
        (first < xs.len()).then_some(first)
    });
    let nag_text = match nag_zero {
        Some(k) => format!("NAG, γ = 1/L = 1/25, μ = 2/3, from 3: x_k = 0 exactly for k ≥ {k}"),
        None => format!(
            "NAG, γ = 1/L = 1/25, μ = 2/3, from 3: |x_{steps}| = {}",
            super::log_tick(last(nag).abs())
        ),
    };
    let entries = [
        Entry::new(
            "cycle",
            cycle_text,
            Mark::LineDot {
                colour: colour::HEAVY_BALL,
                width: 3,
                hollow: false,
            },
        ),
        Entry::new(
            "heavy-ball-from-start",
            from_start_text,
            Mark::LineDot {
                colour: colour::SKY,
                width: 2,
                hollow: false,
            },
        ),
        Entry::new(
            "nag",
            nag_text,
            Mark::LineDot {
                colour: colour::NAG,
                width: 3,
                hollow: false,
            },
        ),
        Entry::new(
            "cycle-levels",
            "the cycle's values 792/1225, −2208/1225, 2592/1225",
            Mark::Line {
                colour: colour::LIGHT,
                width: 1,
                dash: Some(dash::LONG),
            },
        ),
    ];
    // Under the plot: the runs fill the whole plane between the cycle's extremes.
    let (bx, by) = inner.get_base_pixel();
    let (_, ih) = inner.dim_in_pixel();
    legend(
        canvas,
        root,
        (bx + 82, by + i32::try_from(ih).unwrap_or(0) + 4),
        &entries,
        font::LABEL,
    )
}
