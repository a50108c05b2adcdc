//! Pictures of what the oracle verifies, drawn from real runs as SVG with plotters.
//!
//! | kind | function | what it shows |
//! |---|---|---|
//! | `rates` | [`rates::rates`] | log-log `f(x_k) − f*` of GD, heavy ball and NAG with the O(1/k), O(1/k²) and tight bounds, fitted slopes in the legend |
//! | `ravine` | [`ravine::ravine`] | iterates of GD, heavy ball and NAG (with its look-ahead points) over contour lines of an ill-conditioned quadratic and Rosenbrock |
//! | `stability` | [`stability::stability`] | the exact (Jury) stable regions of heavy ball and NAG in the (γλ, μ) plane, shaded by spectral radius, with the closed-form boundaries |
//! | `schedule` | [`schedule::schedule`] | PyTorch against Sutskever iterates under a step schedule, with and without the momentum correction, and their difference |
//! | `cycle` | [`cycle::cycle`] | the Lessard–Recht–Packard function, heavy ball's exact 3-cycle and NAG's path |
//!
//! **Data.** Every curve comes from a run of the crate's optimizers: exact (ℚ) wherever the
//! entries stay small ([`PLOT_SIZE_BUDGET_BITS`]), else MPFR at 256 bits (Rosenbrock's cubic
//! gradient triples the size of exact entries at every step); values are converted to `f64` only
//! to be drawn. The stability regions are decided by the exact Jury criterion on a rational grid.
//!
//! **Determinism.** The same inputs give a byte-identical SVG: no clock, no randomness, no
//! hash-ordered iteration, and text is written as `<text>` (no font is read or rasterised).
//!
//! **Structure of the SVG.** Each series is a `<g id="…" class="…">` (the drawing backend wraps
//! plotters' SVG backend and files each element under the group the plot names); the ids are
//! listed in each plot's documentation, and the legend entry of series `x` is `legend-x`.

pub mod cycle;
pub mod rates;
pub mod ravine;
pub mod schedule;
pub mod stability;

mod contour;
mod svg;

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use rug::{Float, Rational};

use crate::arith::linalg::Vector;
use crate::arith::{Number, Scalar, with_mpfr_precision};
use crate::error::{Error, Result};
use crate::optim::{OptimizerConfig, Schedule};
use crate::problem::Problem;
use crate::trace::{self, Outcome, RunOptions, Trace};

pub(crate) use svg::{Canvas, TaggedSvg};

/// The drawing area of a [`Canvas`].
pub(crate) type Area = DrawingArea<TaggedSvg, Shift>;

/// Largest number of bits an exact entry of a plotted run may need before the run is redone in
/// MPFR: a picture needs 53 bits per number, and past this size exact runs only cost time.
pub const PLOT_SIZE_BUDGET_BITS: u64 = 1 << 16;

/// The MPFR precision of runs that cannot stay exact.
pub const PLOT_MPFR_BITS: u32 = 256;

/// Largest number of steps a plot accepts (`--steps`): beyond it a polyline has more vertices
/// than pixels, and exact runs grow.
pub const MAX_PLOT_STEPS: usize = 5000;

/// A kind of picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// [`rates::rates`].
    Rates,
    /// [`ravine::ravine`].
    Ravine,
    /// [`stability::stability`].
    Stability,
    /// [`schedule::schedule`].
    Schedule,
    /// [`cycle::cycle`].
    Cycle,
}

impl Kind {
    /// Every kind, in the order `plot all` writes them.
    pub const ALL: [Kind; 5] = [
        Kind::Rates,
        Kind::Ravine,
        Kind::Stability,
        Kind::Schedule,
        Kind::Cycle,
    ];

    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Rates => "rates",
            Kind::Ravine => "ravine",
            Kind::Stability => "stability",
            Kind::Schedule => "schedule",
            Kind::Cycle => "cycle",
        }
    }

    /// The file name `plot all` gives it.
    pub fn file_name(self) -> String {
        format!("{}.svg", self.name())
    }

    /// Whether the picture is drawn on a problem that `--problem` may replace.
    pub fn takes_problem(self) -> bool {
        matches!(self, Kind::Rates | Kind::Ravine | Kind::Schedule)
    }

    /// Whether the picture has a number of steps that `--steps` may set.
    pub fn takes_steps(self) -> bool {
        !matches!(self, Kind::Stability)
    }

    /// Parses a CLI name.
    ///
    /// # Errors
    /// [`Error::Unknown`] for a name that is not a kind.
    pub fn parse(text: &str) -> Result<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == text.trim())
            .ok_or_else(|| Error::Unknown {
                kind: "plot",
                name: text.trim().to_string(),
                known: "rates, ravine, stability, schedule, cycle, all".into(),
            })
    }
}

/// What the command line may change in a picture.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlotOptions {
    /// A problem spec replacing the picture's own problem (kinds with [`Kind::takes_problem`]).
    pub problem: Option<String>,
    /// The number of steps (kinds with [`Kind::takes_steps`]); `None`: the picture's default.
    pub steps: Option<usize>,
}

/// Draws one picture and returns the SVG document.
///
/// # Errors
/// [`Error::InvalidHyperParameter`] for an option the kind does not take or a step count out of
/// range; the problem's spec errors; the errors of the runs.
pub fn render(kind: Kind, options: &PlotOptions) -> Result<String> {
    if options.problem.is_some() && !kind.takes_problem() {
        return Err(Error::hyper(
            "problem",
            options.problem.as_deref().unwrap_or_default(),
            format!("the {} picture is drawn on its own problem", kind.name()),
        ));
    }
    if let Some(steps) = options.steps {
        if !kind.takes_steps() {
            return Err(Error::hyper(
                "steps",
                steps,
                format!("the {} picture has no steps", kind.name()),
            ));
        }
        check_steps(steps, 2)?;
    }
    let problem = options.problem.as_deref();
    match kind {
        Kind::Rates => rates::rates(problem, options.steps.unwrap_or(rates::DEFAULT_STEPS)),
        Kind::Ravine => ravine::ravine(problem, options.steps),
        Kind::Stability => stability::stability(),
        Kind::Schedule => {
            schedule::schedule(problem, options.steps.unwrap_or(schedule::DEFAULT_STEPS))
        }
        Kind::Cycle => cycle::cycle(options.steps.unwrap_or(cycle::DEFAULT_STEPS)),
    }
}

/// Draws every picture into `dir` (created if missing) as `KIND.svg`; returns the paths written.
///
/// # Errors
/// As [`render`], written with [`crate::fixture::write_atomically`].
pub fn write_all(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for kind in Kind::ALL {
        let svg = render(kind, &PlotOptions::default())?;
        let path = dir.join(kind.file_name());
        crate::fixture::write_atomically(&path, &svg)?;
        written.push(path);
    }
    Ok(written)
}

/// Checks a step count against `[min, MAX_PLOT_STEPS]`.
pub(crate) fn check_steps(steps: usize, min: usize) -> Result<()> {
    if steps < min || steps > MAX_PLOT_STEPS {
        return Err(Error::hyper(
            "steps",
            steps,
            format!("a picture needs between {min} and {MAX_PLOT_STEPS} steps"),
        ));
    }
    Ok(())
}

/// A drawing error (drawing into memory fails only on a bug in the layout) as the crate's error.
pub(crate) fn drawing<E: std::fmt::Debug>(e: E) -> Error {
    Error::Io {
        path: "(SVG in memory)".into(),
        message: format!("drawing failed: {e:?}"),
    }
}

/// One plotted run, in f64 for drawing, with the exact trace when the run was exact.
#[derive(Clone, Debug)]
pub(crate) struct Run {
    /// `exact` or `mpfr:256`.
    pub arithmetic: String,
    /// x₀, x₁, …
    pub iterates: Vec<Vec<f64>>,
    /// The query point of steps 1, 2, … (NAG's look-ahead point θ + μv).
    pub queries: Vec<Vec<f64>>,
    /// f(x_k) − f* for k = 0, 1, … (`None` when unknown).
    pub gaps: Vec<Option<f64>>,
    /// The slope of log gap against log k over `[K/4, K]`, measured on the run's own numbers.
    pub slope: Option<f64>,
    /// The step at which a floating run left the finite range.
    pub diverged: Option<usize>,
    /// The exact trace, for exact statements about the picture (periods, zero differences).
    pub exact: Option<Trace<Rational>>,
}

fn to_f64s<S: Number>(v: &S::Vector) -> Vec<f64> {
    v.to_scalars().iter().map(Number::to_f64).collect()
}

impl Run {
    fn from_trace<S: Scalar>(t: &Trace<S>) -> Run {
        let slope = crate::theory::rates::tail_slope(t);
        Run {
            arithmetic: t.arithmetic.clone(),
            iterates: t.iterates().map(to_f64s::<S>).collect(),
            queries: t.steps.iter().map(|s| to_f64s::<S>(&s.query)).collect(),
            gaps: t.gaps().map(|g| g.map(Number::to_f64)).collect(),
            slope,
            diverged: match t.outcome {
                Outcome::Diverged { step, .. } => Some(step),
                Outcome::Completed => None,
            },
            exact: None,
        }
    }

    /// The positive gaps as `(k, gap)` (a log axis has no place for 0).
    pub fn positive_gaps(&self) -> Vec<(f64, f64)> {
        self.gaps
            .iter()
            .enumerate()
            .filter_map(|(k, g)| {
                g.filter(|g| *g > 0.0 && g.is_finite())
                    .map(|g| (k as f64, g))
            })
            .collect()
    }

    /// Coordinate `i` of the iterates as `(k, x_k,i)`.
    pub fn coordinate(&self, i: usize) -> Vec<(f64, f64)> {
        self.iterates
            .iter()
            .enumerate()
            .filter_map(|(k, x)| x.as_slice().get(i).map(|v| (k as f64, *v)))
            .collect()
    }
}

/// Runs `optimizer` on `problem` for `steps` steps: exactly when the entries stay within
/// [`PLOT_SIZE_BUDGET_BITS`] and the problem is rational, else in MPFR at [`PLOT_MPFR_BITS`].
pub(crate) fn run(
    problem: &dyn Problem,
    optimizer: &OptimizerConfig,
    schedule: &Schedule,
    x0: Option<&[Rational]>,
    steps: usize,
) -> Result<Run> {
    let options = RunOptions {
        size_budget_bits: PLOT_SIZE_BUDGET_BITS,
        ..RunOptions::default()
    };
    match trace::run::<Rational>(problem, optimizer, schedule, x0, steps, &options) {
        Ok(t) => {
            let mut r = Run::from_trace(&t);
            r.exact = Some(t);
            Ok(r)
        }
        Err(
            Error::NotRational { .. }
            | Error::Unsupported { .. }
            | Error::SizeBudgetExceeded { .. },
        ) => with_mpfr_precision(PLOT_MPFR_BITS, || {
            trace::run::<Float>(problem, optimizer, schedule, x0, steps, &options)
                .map(|t| Run::from_trace(&t))
        }),
        Err(e) => Err(e),
    }
}

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

/// `10ⁿ` with a superscript exponent.
pub(crate) fn power_of_ten(n: i32) -> String {
    let sign = if n < 0 { "⁻" } else { "" };
    format!("10{sign}{}", superscript(n.unsigned_abs() as usize))
}

/// A tick label for a log axis that names only 1, 2 and 5 times a power of ten: plotters puts a
/// key point at every integer multiple on short ranges, and their labels collide.
pub(crate) fn log_tick_sparse(v: f64) -> String {
    if !(v.is_finite() && v > 0.0) {
        return String::new();
    }
    let m = v / 10f64.powi(v.log10().floor() as i32);
    if [1.0, 2.0, 5.0, 10.0].iter().any(|t| (m - t).abs() < 1e-6) {
        number(v)
    } else {
        String::new()
    }
}

/// A number in scientific form: `10ⁿ` at powers of ten, `m·10ⁿ` elsewhere (one style for every
/// tick of a log axis, so that no tick reads as a different kind of number).
pub(crate) fn log_tick(v: f64) -> String {
    if !(v.is_finite() && v > 0.0) {
        return String::new();
    }
    let n = v.log10().floor() as i32;
    let m = v / 10f64.powi(n);
    let (m, n) = if (m - 10.0).abs() < 1e-9 {
        (1.0, n + 1)
    } else {
        (m, n)
    };
    if (m - 1.0).abs() < 1e-9 {
        power_of_ten(n)
    } else {
        format!("{}·{}", number(m), power_of_ten(n))
    }
}

/// A short decimal: up to 4 significant digits, no trailing zeros, a real minus sign; outside
/// `[10⁻³, 10⁵)` in magnitude, scientific (`−2.5·10⁷`), which keeps tick labels narrow.
pub(crate) fn number(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if !v.is_finite() {
        return format!("{v}");
    }
    if !(1e-3..1e5).contains(&v.abs()) {
        let sign = if v < 0.0 { "−" } else { "" };
        return format!("{sign}{}", log_tick(v.abs()));
    }
    let digits = (3 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let mut s = format!("{v:.digits$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s.replace('-', "−")
}

/// A rational as `p/q` (or `p` when q = 1) with a real minus sign, for labels.
pub(crate) fn fraction(q: &Rational) -> String {
    let s = if *q.denom() == 1 {
        q.numer().to_string()
    } else {
        crate::arith::text::format(q)
    };
    s.replace('-', "−")
}

/// `n` in superscript digits (`ℝ²⁵`).
pub(crate) fn superscript(n: usize) -> String {
    const SUP: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    n.to_string()
        .bytes()
        .map(|d| SUP[usize::from(d - b'0')])
        .collect()
}

/// `n` in subscript digits (`θ₁`).
pub(crate) fn subscript(n: usize) -> String {
    const SUB: [char; 10] = ['₀', '₁', '₂', '₃', '₄', '₅', '₆', '₇', '₈', '₉'];
    n.to_string()
        .bytes()
        .map(|d| SUB[usize::from(d - b'0')])
        .collect()
}

/// A slope with two decimals and a real minus sign.
pub(crate) fn slope_text(s: f64) -> String {
    format!("{s:.2}").replace('-', "−")
}

/// The description written into every SVG: generator and inputs.
pub(crate) fn provenance(lines: &[String]) -> String {
    let mut s = format!(
        "Generated by momentum-oracle {}.",
        env!("CARGO_PKG_VERSION")
    );
    for l in lines {
        s.push(' ');
        s.push_str(l);
    }
    s
}
