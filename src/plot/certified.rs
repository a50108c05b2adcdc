//! Certified worst cases against N, with the classical bounds: `certify --table --svg FILE`.
//!
//! Each point is the bound of a certificate that the independent verifier accepted
//! ([`crate::theory::pep::table::rows`]); solid lines join one method's certified values, dashed
//! lines in the same colour are its classical bound ([`crate::theory::pep::table`] lists them).
//! Log-log axes, `L = R = 1`.
//!
//! Group ids: `certified-M` (points and line of method `M`: `gd`, `fista`, `ogm`,
//! `heavy-ball-1`, … in table order, then the strongly convex `‖x_N − x*‖²` rows as
//! `distance-1`, …) and `classical-M` (its classical bound, where there is one).

use plotters::prelude::*;

use super::{
    Canvas, Entry, Mark, colour, dash, drawing, font, legend, legend_size, provenance, title,
};
use crate::error::{Error, Result};
use crate::theory::pep::problem::Measure;
use crate::theory::pep::table::Row;

const SIZE: (u32, u32) = (1300, 940);

/// One method's series.
struct Series {
    id: String,
    label: String,
    colour: RGBColor,
    certified: Vec<(f64, f64)>,
    classical: Vec<(f64, f64)>,
}

fn series(rows: &[Row]) -> Vec<Series> {
    let palette = [
        colour::GD,
        colour::NESTEROV,
        colour::NAG,
        colour::HEAVY_BALL,
        colour::SKY,
        colour::GREY,
        colour::INK,
        colour::LIGHT,
    ];
    let mut out: Vec<Series> = Vec::new();
    let mut heavy = 0;
    let mut distance = 0;
    for r in rows {
        if out.last().is_none_or(|s| s.label != r.method) {
            let id = if r.measure != Measure::FunctionValue {
                distance += 1;
                format!("distance-{distance}")
            } else if r.method.starts_with("GD") {
                "gd".to_string()
            } else if r.method.starts_with("FISTA") {
                "fista".to_string()
            } else if r.method.starts_with("OGM") {
                "ogm".to_string()
            } else {
                heavy += 1;
                format!("heavy-ball-{heavy}")
            };
            out.push(Series {
                id,
                label: r.method.clone(),
                colour: palette[out.len() % palette.len()],
                certified: Vec::new(),
                classical: Vec::new(),
            });
        }
        if let Some(s) = out.last_mut() {
            s.certified.push((r.steps as f64, r.certified.to_f64()));
            if let Some(c) = &r.classical {
                s.classical.push((r.steps as f64, c.to_f64()));
            }
        }
    }
    out
}

/// The picture of `rows` (as [`crate::theory::pep::table::rows`] returns them); rows whose
/// measure is not `f(x_N) − f*` are drawn as triangles (a one-point classical bound as a ring).
///
/// # Errors
/// [`Error::InvalidHyperParameter`] for no rows or a non-positive value (no place on a log axis).
pub fn certified(rows: &[Row]) -> Result<String> {
    if rows.is_empty() {
        return Err(Error::hyper("rows", 0, "nothing to draw"));
    }
    let all = series(rows);
    let values = all
        .iter()
        .flat_map(|s| s.certified.iter().chain(&s.classical))
        .map(|p| p.1);
    let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
    for v in values {
        if v <= 0.0 || !v.is_finite() {
            return Err(Error::hyper("rows", v, "values must be positive"));
        }
        lo = lo.min(v);
        hi = hi.max(v);
    }
    let nmax = rows.iter().map(|r| r.steps).max().unwrap_or(1) as f64;

    let canvas = Canvas::new(SIZE);
    let root = canvas.backend().into_drawing_area();
    root.fill(&WHITE).map_err(drawing)?;
    title(
        &canvas,
        &root,
        "Certified worst cases f(x_N) − f* over all L-smooth convex f (L = R = 1)",
        "points: exact certificates re-verified in ℚ; dashed: classical bounds; \
         triangles (legend ‖x_N − x*‖²): that measure, strongly convex class",
    )?;
    let entries: Vec<Entry> = all
        .iter()
        .flat_map(|s| {
            let mut e = vec![Entry::new(
                &format!("certified-{}", s.id),
                format!("{} (certified)", s.label),
                Mark::Line {
                    colour: s.colour,
                    width: 3,
                    dash: None,
                },
            )];
            if !s.classical.is_empty() {
                e.push(Entry::new(
                    &format!("classical-{}", s.id),
                    format!("{} (classical bound)", s.label),
                    Mark::Line {
                        colour: s.colour,
                        width: 2,
                        dash: Some(dash::LONG),
                    },
                ));
            }
            e
        })
        .collect();
    let half = entries.len().div_ceil(2);
    let (left, right) = entries.split_at(half);
    let legend_h = legend_size(left, font::LABEL)
        .1
        .max(legend_size(right, font::LABEL).1);
    let body = root.margin(80, 10 + legend_h + 10, 10, 20);
    let mut chart = ChartBuilder::on(&body)
        .x_label_area_size(60)
        .y_label_area_size(100)
        .margin_right(20)
        .build_cartesian_2d(
            (0.8..nmax * 1.25).log_scale(),
            (lo / 1.5..hi * 1.5).log_scale(),
        )
        .map_err(drawing)?;
    canvas.group("axes", "axes");
    chart
        .configure_mesh()
        .x_desc("steps N (log scale)")
        .y_desc("worst case of f(x_N) − f*  (log scale)")
        .axis_desc_style(super::text_style(font::AXIS, &colour::INK))
        .label_style(super::text_style(font::LABEL, &colour::INK))
        .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
        .bold_line_style(RGBColor(0xDD, 0xDD, 0xDD))
        .x_label_formatter(&|v| super::log_tick_sparse(*v))
        .y_label_formatter(&|v| super::log_tick(*v))
        .draw()
        .map_err(drawing)?;
    canvas.end_group();
    for s in &all {
        if !s.classical.is_empty() {
            canvas.dashed_group(format!("classical-{}", s.id), "bound", dash::LONG);
            chart
                .draw_series(LineSeries::new(
                    s.classical.iter().copied(),
                    s.colour.stroke_width(2),
                ))
                .map_err(drawing)?;
            // A one-point bound (the strongly convex rows) has no line to dash: a ring marks it.
            if s.classical.len() == 1 {
                chart
                    .draw_series(
                        s.classical
                            .iter()
                            .map(|p| Circle::new(*p, 7, s.colour.stroke_width(2))),
                    )
                    .map_err(drawing)?;
            }
        }
        canvas.group(format!("certified-{}", s.id), "series");
        chart
            .draw_series(LineSeries::new(
                s.certified.iter().copied(),
                s.colour.stroke_width(3),
            ))
            .map_err(drawing)?;
        if s.id.starts_with("distance") {
            // ‖x_N − x*‖², not f(x_N) − f*: triangles, so the points are not read as the others.
            chart
                .draw_series(
                    s.certified
                        .iter()
                        .map(|p| TriangleMarker::new(*p, 8, s.colour.filled())),
                )
                .map_err(drawing)?;
        } else {
            chart
                .draw_series(
                    s.certified
                        .iter()
                        .map(|p| Circle::new(*p, 5, s.colour.filled())),
                )
                .map_err(drawing)?;
        }
    }
    canvas.end_group();
    let plot = chart.plotting_area();
    let (px0, _) = plot.get_base_pixel();
    let top = i32::try_from(SIZE.1).unwrap_or(0) - legend_h - 10;
    legend(&canvas, &root, (px0, top), left, font::LABEL)?;
    let x = px0 + legend_size(left, font::LABEL).0 + 20;
    legend(&canvas, &root, (x, top), right, font::LABEL)?;
    Ok(canvas.finish(
        "Certified worst cases against N",
        &provenance(&[format!(
            "Certificates: {}.",
            rows.iter()
                .map(|r| r.file.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )]),
    ))
}
