//! Stability regions of heavy ball and NAG in the (γλ, μ) plane.
//!
//! On one eigen-direction `½λx²` of a quadratic both methods are two-term linear recurrences
//! whose characteristic polynomials are [`CharPoly::heavy_ball`] and [`CharPoly::nag`]. Each
//! panel samples the plane on a rational grid (cell centres `h = (i + ½)/H_DIV`,
//! `μ = (j + ½)/MU_DIV`), decides every cell with the exact Jury criterion
//! ([`CharPoly::jury`]) and colours the stable cells by the spectral radius (f64, only for the
//! colour: cells of the same colour band are merged into one rectangle); unstable cells are grey.
//! The closed-form boundaries `h = 2(1 + μ)` (heavy ball) and `h = 2(1 + μ)/(1 + 2μ)` (NAG) are
//! drawn on top, each method's own solid and the other's dashed for comparison.
//!
//! Group ids, with `M` ∈ {`heavy-ball`, `nag`}: `M-cells` (the shading, class `cells`),
//! `M-boundary` (its closed-form boundary), `M-other-boundary`, and `colorbar`.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use rug::Rational;

use super::{
    Area, Canvas, Entry, Mark, colour, dash, drawing, font, label, legend, provenance, title,
    viridis,
};
use crate::error::Result;
use crate::theory::stability::{CharPoly, Stability};

/// Grid cells per unit of `h = γλ`.
pub const H_DIV: u32 = 25;
/// Grid cells per unit of μ.
pub const MU_DIV: u32 = 50;
/// The `h` axis runs over `[0, H_MAX]` (heavy ball is stable up to h → 4 as μ → 1).
pub const H_MAX: u32 = 4;
/// Extra `h` cells past `H_MAX`, so that the heavy-ball boundary's end at (4, 1) is inside.
const H_EXTRA: u32 = 5;
/// Colour bands of the spectral radius.
const BANDS: u32 = 20;

const SIZE: (u32, u32) = (1500, 860);
/// Room under each panel for its legend.
const LEGEND_H: i32 = 100;

/// The method of a panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Polyak's heavy ball.
    HeavyBall,
    /// Nesterov (look-ahead form).
    Nag,
}

impl Method {
    fn id(self) -> &'static str {
        match self {
            Method::HeavyBall => "heavy-ball",
            Method::Nag => "nag",
        }
    }

    fn poly(self, h: &Rational, mu: &Rational) -> CharPoly {
        match self {
            Method::HeavyBall => CharPoly::heavy_ball(h, mu),
            Method::Nag => CharPoly::nag(h, mu),
        }
    }

    /// The closed-form boundary `h(μ)`.
    fn boundary(self, mu: f64) -> f64 {
        match self {
            Method::HeavyBall => 2.0 * (1.0 + mu),
            Method::Nag => 2.0 * (1.0 + mu) / (1.0 + 2.0 * mu),
        }
    }
}

/// One grid cell: its exact centre, the Jury verdict, and the spectral radius in f64.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// Column index.
    pub i: u32,
    /// Row index.
    pub j: u32,
    /// `h = (i + ½)/H_DIV`.
    pub h: Rational,
    /// `μ = (j + ½)/MU_DIV`.
    pub momentum: Rational,
    /// The exact verdict.
    pub stability: Stability,
    /// `max |z|` over the roots (f64).
    pub spectral_radius: f64,
}

/// The grid of one panel, row by row (μ increasing), each row by increasing h.
pub fn grid(method: Method) -> Vec<Cell> {
    let columns = H_MAX * H_DIV + H_EXTRA;
    let mut cells = Vec::with_capacity((columns * MU_DIV) as usize);
    for j in 0..MU_DIV {
        let momentum = Rational::from((2 * j + 1, 2 * MU_DIV));
        for i in 0..columns {
            let h = Rational::from((2 * i + 1, 2 * H_DIV));
            let poly = method.poly(&h, &momentum);
            let stability = poly.jury();
            // A non-finite radius only colours the cell; the verdict above is exact.
            let spectral_radius = poly.spectral_radius::<f64>().unwrap_or(f64::NAN);
            cells.push(Cell {
                i,
                j,
                h,
                momentum: momentum.clone(),
                stability,
                spectral_radius,
            });
        }
    }
    cells
}

/// The stability picture.
///
/// # Errors
/// None in practice (drawing into memory); the `Result` carries drawing errors.
pub fn stability() -> Result<String> {
    let canvas = Canvas::new(SIZE);
    let root = canvas.backend().into_drawing_area();
    root.fill(&WHITE).map_err(drawing)?;
    title(
        &canvas,
        &root,
        "Where momentum is stable on a quadratic: γλ against μ",
        "cells of 1/25 × 1/50, each decided exactly (Jury criterion in ℚ at its centre); colour = spectral radius of the iteration, grey = unstable",
    )?;
    let body = root.margin(80, 10, 10, 10);
    let (left, right) = body.split_horizontally(1500 - 20 - 150);
    let right = right.margin(0, LEGEND_H, 0, 0);
    let panels = left.split_evenly((1, 2));
    for (area, method) in panels.iter().zip([Method::HeavyBall, Method::Nag]) {
        panel(&canvas, &root, area, method)?;
    }
    colorbar(&canvas, &right)?;
    Ok(canvas.finish(
        "Stability regions of heavy ball and NAG",
        &provenance(&[format!(
            "Grid: h = (i + 1/2)/{H_DIV}, μ = (j + 1/2)/{MU_DIV}; Jury criterion in exact rationals; spectral radius in f64; {BANDS} colour bands."
        )]),
    ))
}

fn band(radius: f64) -> u32 {
    if radius.is_finite() {
        ((radius * f64::from(BANDS)).floor().max(0.0) as u32).min(BANDS - 1)
    } else {
        BANDS - 1
    }
}

fn band_colour(b: u32) -> RGBColor {
    viridis((f64::from(b) + 0.5) / f64::from(BANDS))
}

const UNSTABLE: RGBColor = RGBColor(0xD9, 0xD9, 0xD9);

/// Stable cells by their radius; marginal cells (centred exactly on a boundary, a root on the
/// unit circle) have ρ = 1 and take the colour of ρ = 1 — a colour of their own would draw a
/// dotted line along the boundary that a reader would take for a curve.
fn cell_colour(c: &Cell) -> RGBColor {
    match c.stability {
        Stability::Stable => band_colour(band(c.spectral_radius)),
        Stability::Marginal => band_colour(BANDS - 1),
        Stability::Unstable => UNSTABLE,
    }
}

fn panel(canvas: &Canvas, root: &Area, area: &Area, method: Method) -> Result<()> {
    let id = method.id();
    let h_top = f64::from(H_MAX * H_DIV + H_EXTRA) / f64::from(H_DIV);
    let name = match method {
        Method::HeavyBall => "heavy ball: z² − (1 + μ − γλ)z + μ",
        Method::Nag => "NAG: z² − (1 + μ)(1 − γλ)z + μ(1 − γλ)",
    };
    canvas.group(format!("{id}-title"), "panel-title");
    let (w, _) = area.dim_in_pixel();
    label(
        area,
        name,
        (i32::try_from(w / 2).unwrap_or(0), 0),
        font::AXIS,
        (HPos::Center, VPos::Top),
    )?;
    canvas.end_group();
    // The legend goes under the plot: every corner of the plane holds a boundary.
    let inner = area.margin(36, LEGEND_H, 0, 0);
    let mut chart = ChartBuilder::on(&inner)
        .margin(12)
        .x_label_area_size(60)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..h_top, 0.0..1.0)
        .map_err(drawing)?;

    // The shading: runs of equal colour along each row become one rectangle.
    canvas.group(format!("{id}-cells"), "cells");
    let cells = grid(method);
    let (dh, dmu) = (1.0 / f64::from(H_DIV), 1.0 / f64::from(MU_DIV));
    let mut rects = Vec::new();
    for row in cells.chunk_by(|a, b| a.j == b.j) {
        for run in row.chunk_by(|a, b| cell_colour(a) == cell_colour(b)) {
            let (first, last) = (&run[0], &run[run.len() - 1]);
            let y = f64::from(first.j) * dmu;
            rects.push(Rectangle::new(
                [
                    (f64::from(first.i) * dh, y),
                    (f64::from(last.i + 1) * dh, y + dmu),
                ],
                cell_colour(first).filled(),
            ));
        }
    }
    chart.draw_series(rects).map_err(drawing)?;

    canvas.group(format!("{id}-axes"), "axes");
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("γλ  (step × eigenvalue, dimensionless)")
        .y_desc("momentum μ")
        .axis_desc_style(super::text_style(font::AXIS, &colour::INK))
        .label_style(super::text_style(font::LABEL, &colour::INK))
        .x_label_formatter(&|v| super::number(*v))
        .y_label_formatter(&|v| super::number(*v))
        .draw()
        .map_err(drawing)?;

    let curve = |m: Method| -> Vec<(f64, f64)> {
        (0..=200)
            .map(|n| {
                let mu = f64::from(n) / 200.0;
                (m.boundary(mu), mu)
            })
            .collect()
    };
    let other = match method {
        Method::HeavyBall => Method::Nag,
        Method::Nag => Method::HeavyBall,
    };
    canvas.dashed_group(format!("{id}-other-boundary"), "boundary", dash::SHORT);
    chart
        .draw_series(LineSeries::new(curve(other), colour::INK.stroke_width(2)))
        .map_err(drawing)?;
    canvas.group(format!("{id}-boundary"), "boundary");
    chart
        .draw_series(LineSeries::new(curve(method), WHITE.stroke_width(6)))
        .map_err(drawing)?;
    chart
        .draw_series(LineSeries::new(curve(method), colour::INK.stroke_width(3)))
        .map_err(drawing)?;
    canvas.end_group();

    let (own, other_text) = match method {
        Method::HeavyBall => ("γλ = 2(1 + μ)", "NAG's γλ = 2(1 + μ)/(1 + 2μ)"),
        Method::Nag => ("γλ = 2(1 + μ)/(1 + 2μ)", "heavy ball's γλ = 2(1 + μ)"),
    };
    let entries = [
        Entry::new(
            &format!("{id}-boundary"),
            format!("boundary {own}"),
            Mark::Line {
                colour: colour::INK,
                width: 3,
                dash: None,
            },
        ),
        Entry::new(
            &format!("{id}-other-boundary"),
            other_text,
            Mark::Line {
                colour: colour::INK,
                width: 2,
                dash: Some(dash::SHORT),
            },
        ),
        Entry::new(
            &format!("{id}-unstable"),
            "unstable (a root with |z| > 1)",
            Mark::Swatch { colour: UNSTABLE },
        ),
    ];
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

fn colorbar(canvas: &Canvas, area: &Area) -> Result<()> {
    let inner = area.margin(36, 0, 0, 0);
    let mut chart = ChartBuilder::on(&inner)
        .margin(12)
        .margin_left(30)
        .x_label_area_size(60)
        .right_y_label_area_size(60)
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)
        .map_err(drawing)?;
    canvas.group("colorbar", "colorbar");
    let step = 1.0 / f64::from(BANDS);
    chart
        .draw_series((0..BANDS).map(|b| {
            Rectangle::new(
                [(0.0, f64::from(b) * step), (1.0, f64::from(b + 1) * step)],
                band_colour(b).filled(),
            )
        }))
        .map_err(drawing)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_desc("spectral radius ρ (stable cells)")
        .axis_desc_style(super::text_style(font::AXIS, &colour::INK))
        .label_style(super::text_style(font::LABEL, &colour::INK))
        .y_label_formatter(&|v| super::number(*v))
        .draw()
        .map_err(drawing)?;
    canvas.end_group();
    Ok(())
}
