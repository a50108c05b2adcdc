//! Optimizers, one family per file, generic over the scalar; learning-rate schedules.
//!
//! | family | file | conventions |
//! |---|---|---|
//! | gradient descent | [`gd`] | θ ← θ − γ∇f(θ) |
//! | PyTorch SGD | [`pytorch`] | momentum, dampening (not on step 1), nesterov, coupled weight decay, maximize |
//! | Sutskever / Keras 3 SGD | [`keras`] | v = μv − γg (v₀ = 0), θ += v; Keras nesterov; decoupled weight decay; momentum correction; f32 learning rate |
//! | Optax `trace` (alias `tf`: TF `ApplyMomentum`) | [`optax`] | t = g + μt (t₀ = 0), θ −= γt; nesterov θ −= γ(g + μt) |
//! | Nesterov, look-ahead (`nag`) and predictor–corrector (`nag-pc`) | [`nag`] | v = μv − γ∇f(θ + μv), θ += v; y = x + μ(x − x₋), x = y − γ∇f(y) |
//! | Polyak heavy ball | [`heavy_ball`] | θ₊ = θ − γ∇f(θ) + μ(θ − θ₋), θ₋₁ = θ₀ |
//! | FISTA (smooth) | [`fista`] | x = y − γ∇f(y), y₊ = x + β_k(x − x₋); β from the t-sequence, (k−1)/(k+2), or √κ |
//! | OGM1 | [`ogm`] | Kim–Fessler, N steps, last θ_N with 8θ² |
//! | kernel rounding models | [`kernel`] | PyTorch single/foreach/fused/mixed, Keras and Optax eager/jit, in binary64/32/16 and bfloat16, hyper-parameter precision |
//!
//! [`strategy`] holds proptest strategies for hyper-parameters, configurations and schedules of
//! every kind, for this crate's property suites and for downstream ones.
//!
//! Each optimizer's documentation states its update equations, its state initialisation, the
//! exact elementwise operation order (which the f64 rounding models follow) and its source.
//!
//! An optimizer implements [`Optimizer`] for every [`Scalar`]: `init` builds the typed state
//! from x₀, `step` advances it by one step given the step's learning rate and a gradient
//! [`Oracle`], and reports where it queried the gradient and what it got in the runner's reused
//! [`Query`] buffers. It knows nothing of traces; the runner in
//! [`crate::trace`] records what it needs through [`Optimizer::iterate`] and [`Optimizer::record`].

pub mod fista;
pub mod gd;
pub mod heavy_ball;
pub mod keras;
pub mod kernel;
pub mod nag;
pub mod ogm;
pub mod optax;
pub mod pytorch;
pub mod schedule;
pub mod strategy;

pub use schedule::{ExactRate, Schedule};

use std::fmt::Debug;

use rug::Rational;

use crate::arith::linalg::Vector;
use crate::arith::{Number, Rounding, Scalar};
use crate::error::{Error, Result};
use crate::problem::Oracle;
use crate::spec::{EntryInfo, Spec};

/// What one step is told besides its state and oracle.
#[derive(Debug)]
pub struct StepContext<'a, S: Number> {
    /// The 1-based step index k (the first step is k = 1).
    pub step: usize,
    /// γ_k, the learning rate for this step (from the schedule, in the run's arithmetic).
    pub learning_rate: &'a S,
    /// γ_k exactly as the schedule holds it (a power not multiplied out for the step and
    /// exponential schedules; no value for an irrational cosine value); conventions that store
    /// the learning rate in another format round from this ([`schedule::ExactRate::round`]).
    pub exact_learning_rate: schedule::ExactRate<'a>,
    /// The rounding model of floating runs.
    pub rounding: Rounding,
    /// Whether the runner records this step: its query point and gradient must then be left in
    /// the [`Query`]. An unrecorded step may skip storing them (a one-pass f64 step on a
    /// separable quadratic, [`crate::problem::Oracle::diagonal_centered`]).
    pub record: bool,
}

/// Where a step queried the gradient, and what it got.
///
/// The runner owns one `Query` for the whole run and hands it to every [`Optimizer::step`], which
/// overwrites both vectors: a step at d = 10⁶ then allocates nothing (a fresh 8 MB vector per step
/// is fresh pages, and its copy a full pass over memory). The vectors may have any length when a
/// step starts (the runner moves them into a recorded step and leaves empty ones).
#[derive(Clone, Debug, PartialEq)]
pub struct Query<S: Number> {
    /// The point at which the oracle was asked (θ for PyTorch, θ + μv for look-ahead NAG, y_k for
    /// FISTA).
    pub point: S::Vector,
    /// The oracle's gradient at that point (before weight decay, maximize or any other transform).
    pub gradient: S::Vector,
    /// The check of the state after the step, when the step made it in its own pass (then the
    /// runner does not call [`Optimizer::state_check`]); the runner takes it each step.
    pub checked: Option<StateCheck>,
    /// What the last one-pass step saw ([`crate::arith::linalg::Vector::diagonal_momentum_update`]),
    /// for the next one's overflow test; runner-owned like the rest.
    pub magnitudes: Option<crate::arith::linalg::Magnitudes>,
    /// Working vectors a step may use for its intermediates (PyTorch's transformed gradient,
    /// Keras's decay term, FISTA's and OGM's differences), runner-owned for the same reason as
    /// the rest: an f64 step then allocates nothing. Never recorded; any length when a step starts.
    pub scratch: [S::Vector; 2],
}

impl<S: Number> Query<S> {
    /// Empty buffers: what a run starts with, and what a recorded step leaves behind when it
    /// takes the query's vectors.
    pub fn empty() -> Self {
        Query {
            point: S::Vector::zeros(0),
            gradient: S::Vector::zeros(0),
            checked: None,
            magnitudes: None,
            scratch: [S::Vector::zeros(0), S::Vector::zeros(0)],
        }
    }
}

/// The state a step leaves behind, by name, for the trace.
#[derive(Clone, Debug, PartialEq)]
pub struct StateRecord<S: Number> {
    /// Named state vectors (`momentum_buffer`, `velocity`, `previous_iterate`, ...).
    pub vectors: Vec<(&'static str, S::Vector)>,
    /// Named state scalars (`t`, `theta`, ...).
    pub scalars: Vec<(&'static str, S)>,
}

impl<S: Number> Default for StateRecord<S> {
    fn default() -> Self {
        StateRecord {
            vectors: Vec::new(),
            scalars: Vec::new(),
        }
    }
}

/// A first-order optimizer in arithmetic `S`.
pub trait Optimizer<S: Scalar>: Debug {
    /// The optimizer's state (iterate, buffers, sequences).
    type State: Clone + Debug;

    /// The state before the first step, from the initial point.
    ///
    /// # Errors
    /// An optimizer may refuse an initial point (none of the crate's do).
    fn init(&self, x0: &S::Vector) -> Result<Self::State>;

    /// Advances `state` by one step, leaving in `query` the point where it asked `oracle` for
    /// the gradient and that gradient (both overwritten, whatever they held; see [`Query`]) —
    /// the point only if [`Optimizer::query_point`] does not give it.
    ///
    /// # Errors
    /// Whatever the oracle returns (e.g. [`Error::NotRational`]), or [`Error::NotRational`] for a
    /// constant that leaves ℚ (FISTA's `t_k`, OGM's `θ_i` in exact arithmetic), or
    /// [`Error::InvalidHyperParameter`] for a step the optimizer is not defined for (OGM beyond its
    /// N steps).
    fn step(
        &self,
        state: &mut Self::State,
        ctx: &StepContext<'_, S>,
        oracle: &mut dyn Oracle<S>,
        query: &mut Query<S>,
    ) -> Result<()>;

    /// The iterate whose gap the theory bounds (θ, or FISTA's x_k).
    fn iterate<'s>(&self, state: &'s Self::State) -> &'s S::Vector;

    /// Where the last step queried the gradient, when the state after it still holds that point
    /// (heavy ball's previous iterate θ_{k−1}); `None` (the default) when it does not, and the step
    /// writes the point into [`Query::point`].
    ///
    /// An optimizer that returns `Some` leaves [`Query::point`] unwritten: the runner copies the
    /// point from the state only for the steps it records, instead of every step.
    fn query_point<'s>(&self, state: &'s Self::State) -> Option<&'s S::Vector> {
        let _ = state;
        None
    }

    /// The state's named vectors and scalars, for the trace.
    fn record(&self, state: &Self::State) -> StateRecord<S>;

    /// What the runner checks after every step, recorded or not: whether the iterate and the
    /// state are finite, and the most bits an entry needs.
    ///
    /// The default inspects [`Optimizer::record`], a copy of the state; optimizers override it to
    /// look at their state in place, because a run that keeps one step in a thousand would
    /// otherwise copy its state a thousand times for nothing.
    fn state_check(&self, state: &Self::State) -> StateCheck {
        let record = self.record(state);
        let mut check = StateCheck::of_vectors(
            std::iter::once(self.iterate(state)).chain(record.vectors.iter().map(|(_, v)| v)),
        );
        for (_, s) in &record.scalars {
            check.finite &= s.is_finite();
            check.max_bits = check.max_bits.max(s.size_bits());
        }
        check
    }
}

/// The runner's per-step check of an optimizer's state (see [`Optimizer::state_check`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateCheck {
    /// Whether the iterate and every state value are finite.
    pub finite: bool,
    /// The largest [`Vector::max_bits`](crate::arith::linalg::Vector::max_bits) or
    /// [`Number::size_bits`] among them.
    pub max_bits: u64,
}

impl StateCheck {
    /// The check of the given vectors.
    pub fn of_vectors<'a, V: crate::arith::linalg::Vector<S> + 'a, S: 'a>(
        vectors: impl IntoIterator<Item = &'a V>,
    ) -> Self {
        let mut check = StateCheck {
            finite: true,
            max_bits: 0,
        };
        for v in vectors {
            check.finite &= v.is_finite();
            check.max_bits = check.max_bits.max(v.max_bits());
        }
        check
    }
}

/// Any optimizer of the catalogue, with exact hyper-parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum OptimizerConfig {
    /// [`gd::GradientDescent`].
    GradientDescent(gd::GradientDescent),
    /// [`pytorch::PytorchSgd`].
    Pytorch(pytorch::PytorchSgd),
    /// [`keras::KerasSgd`].
    Keras(keras::KerasSgd),
    /// [`optax::OptaxSgd`] (also built by the `tf` alias).
    Optax(optax::OptaxSgd),
    /// [`nag::Nag`].
    Nag(nag::Nag),
    /// [`nag::NagPc`].
    NagPc(nag::NagPc),
    /// [`heavy_ball::HeavyBall`].
    HeavyBall(heavy_ball::HeavyBall),
    /// [`fista::Fista`].
    Fista(fista::Fista),
    /// [`ogm::Ogm`].
    Ogm(ogm::Ogm),
}

/// Calls `$body` with `$o` bound to the concrete optimizer inside an [`OptimizerConfig`].
#[macro_export]
#[doc(hidden)]
macro_rules! with_optimizer {
    ($config:expr, $o:ident => $body:expr) => {
        match $config {
            $crate::optim::OptimizerConfig::GradientDescent($o) => $body,
            $crate::optim::OptimizerConfig::Pytorch($o) => $body,
            $crate::optim::OptimizerConfig::Keras($o) => $body,
            $crate::optim::OptimizerConfig::Optax($o) => $body,
            $crate::optim::OptimizerConfig::Nag($o) => $body,
            $crate::optim::OptimizerConfig::NagPc($o) => $body,
            $crate::optim::OptimizerConfig::HeavyBall($o) => $body,
            $crate::optim::OptimizerConfig::Fista($o) => $body,
            $crate::optim::OptimizerConfig::Ogm($o) => $body,
        }
    };
}

impl OptimizerConfig {
    /// The catalogue of optimizers.
    pub fn catalogue() -> Vec<EntryInfo> {
        vec![
            gd::INFO,
            pytorch::INFO,
            keras::INFO,
            optax::INFO,
            optax::TF_INFO,
            nag::INFO,
            nag::PC_INFO,
            heavy_ball::INFO,
            fista::INFO,
            ogm::INFO,
        ]
    }

    /// Parses a spec such as `pytorch:momentum=9/10,nesterov=true`.
    ///
    /// # Errors
    /// [`Error::Unknown`] for unknown names or keys; the optimizer's own validation errors.
    pub fn from_spec(text: &str) -> Result<Self> {
        let spec = Spec::parse(text)?;
        let config = match spec.name() {
            "gd" => OptimizerConfig::GradientDescent(gd::GradientDescent::from_spec(&spec)?),
            "pytorch" => OptimizerConfig::Pytorch(pytorch::PytorchSgd::from_spec(&spec)?),
            "keras" => OptimizerConfig::Keras(keras::KerasSgd::from_spec(&spec)?),
            // TF's ApplyMomentum is the Optax recurrence in exact arithmetic (see `optax`).
            "optax" | "tf" => OptimizerConfig::Optax(optax::OptaxSgd::from_spec(&spec)?),
            "nag" => OptimizerConfig::Nag(nag::Nag::from_spec(&spec)?),
            "nag-pc" => OptimizerConfig::NagPc(nag::NagPc::from_spec(&spec)?),
            "heavy-ball" => OptimizerConfig::HeavyBall(heavy_ball::HeavyBall::from_spec(&spec)?),
            "fista" => OptimizerConfig::Fista(fista::Fista::from_spec(&spec)?),
            "ogm" => OptimizerConfig::Ogm(ogm::Ogm::from_spec(&spec)?),
            other => return Err(crate::spec::unknown("optimizer", other, &Self::catalogue())),
        };
        Ok(config)
    }

    /// The spec that rebuilds this config.
    pub fn spec(&self) -> String {
        crate::with_optimizer!(self, o => o.spec())
    }
}

/// Checks `0 ≤ value` for a hyper-parameter.
pub(crate) fn non_negative(name: &'static str, value: &Rational) -> Result<()> {
    if *value < 0 {
        return Err(Error::hyper(
            name,
            crate::arith::text::format(value),
            "must be non-negative",
        ));
    }
    Ok(())
}

/// Checks `0 ≤ μ < 1`, the momentum range of the textbook methods (heavy ball, NAG).
pub(crate) fn momentum_below_one(momentum: &Rational) -> Result<()> {
    if *momentum < 0 || *momentum >= 1 {
        return Err(Error::hyper(
            "momentum",
            crate::arith::text::format(momentum),
            "must be in [0, 1)",
        ));
    }
    Ok(())
}

/// Formats `key=value` for a rational, for `spec()` methods.
pub(crate) fn kv(key: &str, value: &Rational) -> String {
    format!("{key}={}", crate::arith::text::format(value))
}
