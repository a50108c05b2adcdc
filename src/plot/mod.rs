//! Pictures of what the oracle verifies, drawn from real runs as SVG with plotters.
//!
//! | kind | function | what it shows |
//! |---|---|---|
//! | `rates` | [`rates::rates`] | log-log `f(x_k) − f*` of GD, heavy ball and NAG with the O(1/k), O(1/k²) and tight bounds, fitted slopes in the legend |
//! | `ravine` | [`ravine::ravine`] | iterates of GD, heavy ball and NAG (with its look-ahead points) over contour lines of an ill-conditioned quadratic and Rosenbrock |
//! | `stability` | [`stability::stability`] | the exact (Jury) stable regions of heavy ball and NAG in the (γλ, μ) plane, shaded by spectral radius, with the closed-form boundaries |
//! | `schedule` | [`schedule::schedule`] | PyTorch against Sutskever iterates under a step schedule, with and without the momentum correction, and their difference |
//! | `cycle` | [`cycle::cycle`] | the Lessard–Recht–Packard function, heavy ball's exact 3-cycle and NAG's path |
//! | (`certify --table --svg`) | [`certified::certified`] | certified PEP worst cases against N with the classical bounds, from the shipped certificates (not a `plot` kind: it reads fixture files) |
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

pub mod certified;
pub mod cycle;
pub mod rates;
pub mod ravine;
pub mod schedule;
pub mod stability;

mod contour;
mod labels;
mod runs;
mod style;
mod svg;

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{Error, Result};

pub(crate) use labels::*;
pub(crate) use runs::*;
pub(crate) use style::*;
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

/// The most runs one picture draws (ravine: three methods on two problems), for estimating a
/// picture's work before it is drawn.
pub const RUNS_PER_PICTURE: u64 = 6;

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

    /// The number of steps the picture runs when `--steps` is not given (the longest of its runs;
    /// 0 for stability, which runs none).
    pub fn default_steps(self) -> usize {
        match self {
            Kind::Rates => rates::DEFAULT_STEPS,
            Kind::Ravine => ravine::ROSENBROCK_STEPS,
            Kind::Stability => 0,
            Kind::Schedule => schedule::DEFAULT_STEPS,
            Kind::Cycle => cycle::DEFAULT_STEPS,
        }
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
