//! The pictures' look: colours, dashes, fonts, titles, markers and legends.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::Result;

use super::{Area, Canvas, drawing, svg};

/// Colours: the Okabe–Ito palette (distinguishable with the common colour-vision deficiencies).
pub(crate) mod colour {
    use plotters::style::RGBColor;
    /// Gradient descent.
    pub const GD: RGBColor = RGBColor(0x00, 0x72, 0xB2);
    /// Heavy ball / classical momentum / PyTorch.
    pub const HEAVY_BALL: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
    /// NAG with constant momentum.
    pub const NAG: RGBColor = RGBColor(0x00, 0x9E, 0x73);
    /// Nesterov's (k−1)/(k+2) momentum.
    pub const NESTEROV: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
    /// A fifth series.
    pub const SKY: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
    /// Bounds and reference lines.
    pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
    /// Secondary reference lines.
    pub const GREY: RGBColor = RGBColor(0x77, 0x77, 0x77);
    /// Contour lines, grids.
    pub const LIGHT: RGBColor = RGBColor(0xBB, 0xBB, 0xBB);
}

/// Dash patterns (SVG `stroke-dasharray`, in pixels).
pub(crate) mod dash {
    /// Long dashes.
    pub const LONG: &str = "10 5";
    /// Short dashes.
    pub const SHORT: &str = "4 4";
    /// Dots.
    pub const DOT: &str = "2 4";
    /// Dash-dot.
    pub const DASH_DOT: &str = "10 4 2 4";
}

/// Viridis (matplotlib's default colour map: perceptually uniform, readable in grey), as the
/// eight anchors that plotters' `ViridisRGB` uses, linearly interpolated; `t` in `[0, 1]`.
pub(crate) fn viridis(t: f64) -> RGBColor {
    const ANCHORS: [(f64, f64, f64); 8] = [
        (68.0, 1.0, 84.0),
        (70.0, 50.0, 127.0),
        (54.0, 92.0, 141.0),
        (39.0, 127.0, 143.0),
        (31.0, 162.0, 136.0),
        (74.0, 194.0, 110.0),
        (160.0, 219.0, 57.0),
        (254.0, 232.0, 37.0),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * (ANCHORS.len() - 1) as f64;
    let i = (x.floor() as usize).min(ANCHORS.len() - 2);
    let f = x - i as f64;
    let (a, b) = (ANCHORS[i], ANCHORS[i + 1]);
    let mix = |p: f64, q: f64| (p + (q - p) * f).round().clamp(0.0, 255.0) as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Font sizes (plotters units; the SVG's `font-size` is 1/1.24 of these).
pub(crate) mod font {
    /// Titles.
    pub const TITLE: u32 = 26;
    /// Subtitles and notes.
    pub const NOTE: u32 = 19;
    /// Axis descriptions.
    pub const AXIS: u32 = 22;
    /// Tick labels and legends.
    pub const LABEL: u32 = 20;
}

/// A text style in the sans-serif family.
pub(crate) fn text_style(size: u32, colour: &RGBColor) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(colour)
}

/// Draws text at a pixel position, anchored at `(h, v)`.
pub(crate) fn label(
    area: &Area,
    text: &str,
    at: (i32, i32),
    size: u32,
    anchor: (HPos, VPos),
) -> Result<()> {
    area.draw(&Text::new(
        text.to_string(),
        at,
        text_style(size, &colour::INK).pos(Pos::new(anchor.0, anchor.1)),
    ))
    .map_err(drawing)
}

/// Draws a title and an optional subtitle at the top of `area`.
pub(crate) fn title(canvas: &Canvas, area: &Area, title: &str, subtitle: &str) -> Result<()> {
    canvas.group("title", "title");
    let (w, _) = area.dim_in_pixel();
    let cx = i32::try_from(w / 2).unwrap_or(0);
    label(
        area,
        title,
        (cx, 10),
        font::TITLE,
        (HPos::Center, VPos::Top),
    )?;
    if !subtitle.is_empty() {
        label(
            area,
            subtitle,
            (cx, 44),
            font::NOTE,
            (HPos::Center, VPos::Top),
        )?;
    }
    canvas.end_group();
    Ok(())
}

/// How a legend entry is drawn.
#[derive(Clone, Debug)]
pub(crate) enum Mark {
    /// A line sample.
    Line {
        /// Colour.
        colour: RGBColor,
        /// Width in pixels.
        width: u32,
        /// Dash pattern.
        dash: Option<&'static str>,
    },
    /// A line sample with a filled (or hollow) dot on it.
    LineDot {
        /// Colour.
        colour: RGBColor,
        /// Width in pixels.
        width: u32,
        /// Whether the dot is hollow.
        hollow: bool,
    },
    /// A marker alone.
    Dot {
        /// Colour.
        colour: RGBColor,
        /// Whether the dot is hollow.
        hollow: bool,
    },
    /// A filled triangle.
    Triangle {
        /// Colour.
        colour: RGBColor,
    },
    /// A filled square.
    Swatch {
        /// Colour.
        colour: RGBColor,
    },
}

/// One legend line: the id of the series it explains (the legend group is `legend-{id}`).
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// The series id.
    pub id: String,
    /// The text.
    pub label: String,
    /// The sample.
    pub mark: Mark,
}

impl Entry {
    /// An entry.
    pub(crate) fn new(id: &str, label: impl Into<String>, mark: Mark) -> Entry {
        Entry {
            id: id.to_string(),
            label: label.into(),
            mark,
        }
    }
}

/// Width and height in pixels of a legend with these entries.
pub(crate) fn legend_size(entries: &[Entry], size: u32) -> (i32, i32) {
    let (line_h, sample) = legend_metrics(size);
    let text_w = entries
        .iter()
        .map(|e| svg::text_size(&e.label, f64::from(size)).0)
        .max()
        .unwrap_or(0);
    let w = 12 + sample + 10 + i32::try_from(text_w).unwrap_or(i32::MAX / 2) + 12;
    let h = 8 + line_h * i32::try_from(entries.len()).unwrap_or(0) + 8;
    (w, h)
}

fn legend_metrics(size: u32) -> (i32, i32) {
    let px = f64::from(size) / 1.24;
    ((px * 1.55).round() as i32, 40)
}

/// Draws a boxed legend with its top-left corner at `at` (pixels of `area`), each entry in its
/// own group `legend-{id}` (dashed like its series).
pub(crate) fn legend(
    canvas: &Canvas,
    area: &Area,
    at: (i32, i32),
    entries: &[Entry],
    size: u32,
) -> Result<()> {
    let (w, h) = legend_size(entries, size);
    let (line_h, sample) = legend_metrics(size);
    canvas.group("legend", "legend");
    area.draw(&Rectangle::new(
        [at, (at.0 + w, at.1 + h)],
        WHITE.mix(0.92).filled(),
    ))
    .map_err(drawing)?;
    area.draw(&Rectangle::new(
        [at, (at.0 + w, at.1 + h)],
        colour::GREY.stroke_width(1),
    ))
    .map_err(drawing)?;
    for (i, e) in entries.iter().enumerate() {
        let y = at.1 + 8 + line_h * i32::try_from(i).unwrap_or(0) + line_h / 2;
        let (x0, x1) = (at.0 + 12, at.0 + 12 + sample);
        let id = format!("legend-{}", e.id);
        match &e.mark {
            Mark::Line { dash: Some(d), .. } => canvas.dashed_group(id, "legend-entry", d),
            _ => canvas.group(id, "legend-entry"),
        }
        match &e.mark {
            Mark::Line { colour, width, .. } => {
                area.draw(&PathElement::new(
                    vec![(x0, y), (x1, y)],
                    colour.stroke_width(*width),
                ))
                .map_err(drawing)?;
            }
            Mark::LineDot {
                colour,
                width,
                hollow,
            } => {
                area.draw(&PathElement::new(
                    vec![(x0, y), (x1, y)],
                    colour.stroke_width(*width),
                ))
                .map_err(drawing)?;
                area.draw(&marker((x0 + x1) / 2, y, colour, *hollow))
                    .map_err(drawing)?;
            }
            Mark::Dot { colour, hollow } => {
                area.draw(&marker((x0 + x1) / 2, y, colour, *hollow))
                    .map_err(drawing)?;
            }
            Mark::Triangle { colour } => {
                area.draw(&TriangleMarker::new(((x0 + x1) / 2, y), 9, colour.filled()))
                    .map_err(drawing)?;
            }
            Mark::Swatch { colour } => {
                area.draw(&Rectangle::new(
                    [(x0 + 8, y - 8), (x1 - 8, y + 8)],
                    colour.filled(),
                ))
                .map_err(drawing)?;
            }
        }
        label(
            area,
            &e.label,
            (x1 + 10, y),
            size,
            (HPos::Left, VPos::Center),
        )?;
    }
    canvas.end_group();
    Ok(())
}

/// The corner of a plotting area (top right, bottom right, top left, bottom left: the first of
/// the emptiest) where a box of `size` pixels covers the fewest points of `paths` (pixel
/// polylines, sampled every few pixels along each segment so that long segments count).
pub(crate) fn free_corner(
    base: (i32, i32),
    dim: (u32, u32),
    size: (i32, i32),
    paths: &[Vec<(i32, i32)>],
) -> (i32, i32) {
    let (w, h) = (
        i32::try_from(dim.0).unwrap_or(0),
        i32::try_from(dim.1).unwrap_or(0),
    );
    let pad = 10;
    let corners = [
        (base.0 + w - size.0 - pad, base.1 + pad),
        (base.0 + w - size.0 - pad, base.1 + h - size.1 - pad),
        (base.0 + pad, base.1 + pad),
        (base.0 + pad, base.1 + h - size.1 - pad),
    ];
    let mut samples: Vec<(f64, f64)> = Vec::new();
    for path in paths {
        for pair in path.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let len = f64::from((b.0 - a.0).abs().max((b.1 - a.1).abs()));
            let n = (len / 4.0).ceil().clamp(1.0, 1000.0) as usize;
            for t in 0..n {
                let t = t as f64 / n as f64;
                samples.push((
                    f64::from(a.0) + t * f64::from(b.0 - a.0),
                    f64::from(a.1) + t * f64::from(b.1 - a.1),
                ));
            }
        }
        if let Some(last) = path.last() {
            samples.push((f64::from(last.0), f64::from(last.1)));
        }
    }
    let covered = |c: (i32, i32)| {
        samples
            .iter()
            .filter(|(x, y)| {
                *x >= f64::from(c.0)
                    && *x <= f64::from(c.0 + size.0)
                    && *y >= f64::from(c.1)
                    && *y <= f64::from(c.1 + size.1)
            })
            .count()
    };
    let mut best = corners[0];
    let mut fewest = covered(best);
    for c in &corners[1..] {
        let n = covered(*c);
        if n < fewest {
            best = *c;
            fewest = n;
        }
    }
    best
}

/// A round marker of radius 4 at a pixel position; hollow markers have a white fill so that the
/// line under them does not show through.
pub(crate) fn marker(x: i32, y: i32, colour: &RGBColor, hollow: bool) -> Circle<(i32, i32), i32> {
    if hollow {
        Circle::new((x, y), 4, colour.stroke_width(2))
    } else {
        Circle::new((x, y), 4, colour.filled())
    }
}
