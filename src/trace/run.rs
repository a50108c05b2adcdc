//! The runner: an optimizer on an oracle (or a problem), one step after another, recording what
//! the trace keeps.
//!
//! A [`Trace`] holds, per step k: the learning rate used, the point where the gradient was
//! queried, the gradient, the iterate after the step, the optimizer's named state (buffers,
//! velocities, auxiliary sequences) and the gap f(x_k) − f*. Runs are deterministic: the same
//! inputs give the same trace, bit for bit, on every machine.
//!
//! Resource limits are part of the run: an exact run stops with
//! [`Error::SizeBudgetExceeded`] when an entry of its iterate or state needs more bits than the
//! caller's budget ([`RunOptions::size_budget_bits`]); a run longer than
//! [`RunOptions::step_budget`] is refused up front. A floating run whose iterate or state becomes
//! infinite or NaN ends with [`Outcome::Diverged`], the offending step recorded — never a panic.

use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};

use rug::Rational;

use crate::arith::linalg::Vector;
use crate::arith::{Number, Rounding, Scalar};
use crate::error::{Error, Result};
use crate::optim::{Optimizer, OptimizerConfig, Query, Schedule, StateRecord, StepContext};
use crate::problem::{Evaluate, GapJob, Oracle, Problem, to_vector};

/// Options of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOptions {
    /// The rounding model of floating runs (ignored in exact arithmetic).
    pub rounding: Rounding,
    /// Largest number of bits an entry of an exact run's iterate or state may need.
    pub size_budget_bits: u64,
    /// Largest number of steps a run may ask for.
    pub step_budget: usize,
    /// Record every `keep_every`-th step (and always the last); 1 records all.
    pub keep_every: usize,
    /// Exact runs compute a kept step's gap on a second thread, overlapped with the next step,
    /// once d times the widest entry's bit count reaches this, on a machine with more than one
    /// core (`None`: never). The trace is the same either way, entry for entry and byte for
    /// byte; only the wall time differs.
    pub parallel_gap_bits: Option<u64>,
}

/// [`RunOptions::parallel_gap_bits`]' default: d · bits = 2¹⁹ (at d = 50, numerator and
/// denominator together about 10 kbit: heavy ball near step 600). Measured on the 2-core machine of
/// README "Speed" (`compare trace`, heavy ball and NAG, d = 50, noisy to ±15 %): with the thread
/// from 5 kbit on, k = 400 ran 0–35 % slower than serial; k = 1000 ran 10–40 % faster.
pub const DEFAULT_PARALLEL_GAP_BITS: u64 = 1 << 19;

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            rounding: Rounding::Naive,
            // 1 Mbit per entry: a dense d = 50 exact vector at this size is ~6 MB; a k = 1000
            // heavy-ball run needs ~8 kbit (docs/design.md, "Scalars"), so the default only stops runaway runs.
            size_budget_bits: 1 << 20,
            step_budget: 1_000_000,
            keep_every: 1,
            // Below this a gap costs less than what handing it over and the contention of two
            // threads allocating big numbers do.
            parallel_gap_bits: Some(DEFAULT_PARALLEL_GAP_BITS),
        }
    }
}

impl RunOptions {
    /// Default options with the given rounding model.
    pub fn with_rounding(rounding: Rounding) -> Self {
        RunOptions {
            rounding,
            ..RunOptions::default()
        }
    }
}

/// One recorded step.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRecord<S: Number> {
    /// k, 1-based.
    pub step: usize,
    /// γ_k.
    pub learning_rate: S,
    /// Where the gradient was queried.
    pub query: S::Vector,
    /// The oracle's gradient there.
    pub gradient: S::Vector,
    /// The iterate after the step (x_k).
    pub iterate: S::Vector,
    /// The optimizer's named state after the step.
    pub state: StateRecord<S>,
    /// f(x_k) − f*, when f* is known in this arithmetic.
    pub gap: Option<S>,
}

impl<S: Number> StepRecord<S> {
    /// The state vector called `name`, if the optimizer has one.
    pub fn state_vector(&self, name: &str) -> Option<&S::Vector> {
        self.state
            .vectors
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }

    /// The state scalar called `name`, if the optimizer has one.
    pub fn state_scalar(&self, name: &str) -> Option<&S> {
        self.state
            .scalars
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// All requested steps ran.
    Completed,
    /// A floating run produced an infinite or NaN value at `step` (recorded as the last step).
    Diverged {
        /// The step.
        step: usize,
        /// Which quantity left the finite range (`iterate`, `momentum_buffer`, ...).
        what: String,
    },
}

/// A recorded run.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace<S: Number> {
    /// The problem's spec.
    pub problem: String,
    /// The optimizer's spec.
    pub optimizer: String,
    /// The schedule's spec.
    pub schedule: String,
    /// The arithmetic (`exact`, `f64`, `mpfr:256`, `f64+bound`).
    pub arithmetic: String,
    /// The rounding model (meaningful for floating runs).
    pub rounding: Rounding,
    /// x₀ in the run's arithmetic.
    pub x0: S::Vector,
    /// f(x₀) − f*.
    pub initial_gap: Option<S>,
    /// The recorded steps.
    pub steps: Vec<StepRecord<S>>,
    /// How the run ended.
    pub outcome: Outcome,
}

impl<S: Number> Trace<S> {
    /// The recorded step with index `k`, if it was kept.
    pub fn step(&self, k: usize) -> Option<&StepRecord<S>> {
        self.steps.iter().find(|s| s.step == k)
    }

    /// The iterates x₀, x₁, … (x₀ first; only kept steps).
    pub fn iterates(&self) -> impl Iterator<Item = &S::Vector> {
        std::iter::once(&self.x0).chain(self.steps.iter().map(|s| &s.iterate))
    }

    /// The gaps f(x_k) − f* for k = 0, 1, … (only kept steps).
    pub fn gaps(&self) -> impl Iterator<Item = Option<&S>> {
        std::iter::once(self.initial_gap.as_ref()).chain(self.steps.iter().map(|s| s.gap.as_ref()))
    }
}

/// What a run's recorded steps go to: collected into a [`Trace`] ([`run_with_oracle`]), or written
/// and dropped as they come ([`crate::trace::render::JsonWriter`]), so that memory does not grow
/// with the number of steps.
pub trait Recorder<S: Number> {
    /// The run's labels and starting point, before the first step.
    ///
    /// # Errors
    /// Whatever the recorder's output fails with ([`Error::Io`]).
    fn start(&mut self, header: &Header<S>) -> Result<()>;
    /// One kept step (every `keep_every`-th, the last, and a diverging one).
    ///
    /// # Errors
    /// As [`Recorder::start`].
    fn step(&mut self, record: StepRecord<S>) -> Result<()>;
    /// How the run ended, after its last step.
    ///
    /// # Errors
    /// As [`Recorder::start`].
    fn finish(&mut self, outcome: &Outcome) -> Result<()>;
}

/// A run's labels and starting point: everything a [`Trace`] holds besides its steps.
#[derive(Clone, Debug, PartialEq)]
pub struct Header<S: Number> {
    /// The problem's spec.
    pub problem: String,
    /// The optimizer's spec.
    pub optimizer: String,
    /// The schedule's spec.
    pub schedule: String,
    /// The arithmetic (`exact`, `f64`, `mpfr:256`, `f64+bound`).
    pub arithmetic: String,
    /// The rounding model (meaningful for floating runs).
    pub rounding: Rounding,
    /// x₀ in the run's arithmetic.
    pub x0: S::Vector,
    /// f(x₀) − f*.
    pub initial_gap: Option<S>,
}

/// Collects a run into a [`Trace`].
struct Collect<S: Number>(Option<Trace<S>>);

impl<S: Number> Recorder<S> for Collect<S> {
    fn start(&mut self, h: &Header<S>) -> Result<()> {
        self.0 = Some(Trace {
            problem: h.problem.clone(),
            optimizer: h.optimizer.clone(),
            schedule: h.schedule.clone(),
            arithmetic: h.arithmetic.clone(),
            rounding: h.rounding,
            x0: h.x0.clone(),
            initial_gap: h.initial_gap.clone(),
            steps: Vec::new(),
            outcome: Outcome::Completed,
        });
        Ok(())
    }
    fn step(&mut self, record: StepRecord<S>) -> Result<()> {
        if let Some(t) = self.0.as_mut() {
            t.steps.push(record);
        }
        Ok(())
    }
    fn finish(&mut self, outcome: &Outcome) -> Result<()> {
        if let Some(t) = self.0.as_mut() {
            t.outcome = outcome.clone();
        }
        Ok(())
    }
}

/// Runs `optimizer` from `x0` against `oracle` for `steps` steps.
///
/// This is the core loop; [`run`] builds the oracle from a problem. `labels` are the
/// `(problem, optimizer)` specs stored in the trace.
///
/// # Errors
/// [`Error::StepBudgetExceeded`], [`Error::SizeBudgetExceeded`], [`Error::DimensionMismatch`]
/// (x₀ against the oracle), schedule validation errors, and whatever the oracle or optimizer
/// returns.
pub fn run_with_oracle<S: Scalar, O: Optimizer<S>>(
    optimizer: &O,
    oracle: &mut dyn Oracle<S>,
    schedule: &Schedule,
    x0: &S::Vector,
    steps: usize,
    options: &RunOptions,
    labels: (&str, &str),
) -> Result<Trace<S>> {
    let mut collect = Collect(None);
    record_with_oracle(
        optimizer,
        oracle,
        schedule,
        x0,
        steps,
        options,
        labels,
        &mut collect,
    )?;
    collect
        .0
        .ok_or_else(|| Error::unsupported("a run that never started"))
}

/// [`run_with_oracle`], handing each kept step to `recorder` as soon as it is computed instead of
/// collecting the trace: the run holds only its current state.
///
/// # Errors
/// As [`run_with_oracle`], and the recorder's own errors.
#[allow(clippy::too_many_arguments)] // the run's inputs plus where its steps go
pub fn record_with_oracle<S: Scalar, O: Optimizer<S>>(
    optimizer: &O,
    oracle: &mut dyn Oracle<S>,
    schedule: &Schedule,
    x0: &S::Vector,
    steps: usize,
    options: &RunOptions,
    labels: (&str, &str),
    recorder: &mut dyn Recorder<S>,
) -> Result<()> {
    if steps > options.step_budget {
        return Err(Error::StepBudgetExceeded {
            requested: steps,
            budget: options.step_budget,
        });
    }
    if x0.len() != oracle.dim() {
        return Err(Error::dims("initial point", oracle.dim(), x0.len()));
    }
    schedule.validate()?;
    let keep_every = options.keep_every.max(1);
    let mut state = optimizer.init(x0)?;
    let initial_gap = oracle.gap(x0)?;
    recorder.start(&Header {
        problem: labels.0.to_string(),
        optimizer: labels.1.to_string(),
        schedule: schedule.spec(),
        arithmetic: S::arithmetic_name(),
        rounding: options.rounding,
        x0: x0.clone(),
        initial_gap,
    })?;
    let mut rates = schedule.rates();
    // The query point and gradient of every step go into these buffers (see `Query`); a recorded
    // step takes them and leaves empty ones, so an unrecorded step allocates nothing.
    let mut query = Query::empty();
    let dim = x0.len() as u64;
    // On one core a second thread only adds the hand-over.
    let gap_threshold = options
        .parallel_gap_bits
        .filter(|_| S::EXACT && cores() > 1);
    std::thread::scope(|scope| {
        let mut gaps = GapPipe::new(scope);
        let mut steps_of_run = || -> Result<Outcome> {
            for k in 1..=steps {
                // O(1) per step whatever k (Schedule::rates): floating runs round the step and
                // exponential schedules' power from a fixed-precision enclosure; exact runs
                // multiply the previous rate by the factor; the optimizer gets the exact rate as
                // the schedule holds it.
                rates.advance();
                let learning_rate: S = rates.learning_rate()?;
                let kept = k % keep_every == 0 || k == steps;
                let ctx = StepContext {
                    step: k,
                    learning_rate: &learning_rate,
                    exact_learning_rate: rates.current(),
                    rounding: options.rounding,
                    record: kept,
                };
                optimizer.step(&mut state, &ctx, oracle, &mut query)?;
                let check = query
                    .checked
                    .take()
                    .unwrap_or_else(|| optimizer.state_check(&state));
                if !check.finite {
                    let iterate = optimizer.iterate(&state).clone();
                    let record = optimizer.record(&state);
                    let what = non_finite(&iterate, &record).unwrap_or_else(|| "state".into());
                    let query = take_query(optimizer, &state, &mut query);
                    gaps.flush(recorder)?;
                    recorder.step(StepRecord {
                        step: k,
                        learning_rate,
                        query: query.point,
                        gradient: query.gradient,
                        iterate,
                        state: record,
                        gap: None,
                    })?;
                    return Ok(Outcome::Diverged { step: k, what });
                }
                if S::EXACT && check.max_bits > options.size_budget_bits {
                    return Err(Error::SizeBudgetExceeded {
                        step: k,
                        bits: check.max_bits,
                        budget: options.size_budget_bits,
                    });
                }
                if kept {
                    // Copies of the iterate and state only for the steps the trace keeps.
                    let iterate = optimizer.iterate(&state).clone();
                    let record = optimizer.record(&state);
                    let parallel = gap_threshold
                        .is_some_and(|bits| dim.saturating_mul(check.max_bits) >= bits);
                    let gap = if parallel {
                        oracle.gap_job(&iterate)?
                    } else {
                        GapJob::Ready(oracle.gap(&iterate)?)
                    };
                    let query = take_query(optimizer, &state, &mut query);
                    gaps.push(
                        StepRecord {
                            step: k,
                            learning_rate,
                            query: query.point,
                            gradient: query.gradient,
                            iterate,
                            state: record,
                            gap: None,
                        },
                        gap,
                        recorder,
                    )?;
                }
            }
            Ok(Outcome::Completed)
        };
        let ran = steps_of_run();
        // A step whose gap was still being computed is recorded before the run ends, whether it
        // completed or failed, as it would have been without the second thread.
        let flushed = gaps.flush(recorder);
        let outcome = ran?;
        flushed?;
        recorder.finish(&outcome)
    })
}

/// The cores this process may use (1 when the platform cannot say).
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

type Job<S> = Box<dyn FnOnce() -> Option<S> + Send>;

/// The gap thread's ends: jobs out, gaps back.
type Worker<S> = (Sender<Job<S>>, Receiver<Option<S>>);

/// Kept steps on their way to the recorder, in order. A step whose gap is a job waits while a
/// second thread computes the gap and this one goes on; records leave as soon as their gaps are
/// in, without waiting for them, and this thread blocks only when [`GapPipe::DEPTH`] records
/// wait, until half of them have left. A hand-over per step would cost more than it saves: a
/// thread that sleeps on an empty queue takes tens of microseconds to wake on a virtual machine,
/// about what an exact d = 50 step costs at k = 400. Memory: at most `DEPTH` records and jobs
/// in flight, whatever the length of the run.
struct GapPipe<'scope, 'env, S: Number> {
    scope: &'scope std::thread::Scope<'scope, 'env>,
    /// Jobs out and gaps back, once the first job spawned the thread.
    worker: Option<Worker<S>>,
    /// Records not yet handed to the recorder, oldest first; `true` while its gap is a job.
    pending: std::collections::VecDeque<(StepRecord<S>, bool)>,
}

impl<'scope, 'env, S: Number> GapPipe<'scope, 'env, S> {
    /// Records that may wait for their gaps.
    const DEPTH: usize = 16;

    fn new(scope: &'scope std::thread::Scope<'scope, 'env>) -> Self {
        GapPipe {
            scope,
            worker: None,
            pending: std::collections::VecDeque::new(),
        }
    }

    /// Records `record` with `gap`, after every earlier record, as soon as the gap is known.
    fn push(
        &mut self,
        mut record: StepRecord<S>,
        gap: GapJob<S>,
        recorder: &mut dyn Recorder<S>,
    ) -> Result<()> {
        match gap {
            GapJob::Ready(gap) => {
                record.gap = gap;
                self.pending.push_back((record, false));
            }
            GapJob::Later(job) => {
                let scope = self.scope;
                let (jobs, _) = self.worker.get_or_insert_with(|| {
                    // Unbounded: `pending` bounds what is in flight.
                    let (jobs, inbox) = channel::<Job<S>>();
                    let (outbox, gaps) = channel::<Option<S>>();
                    scope.spawn(move || {
                        for job in inbox {
                            if outbox.send(job()).is_err() {
                                break;
                            }
                        }
                    });
                    (jobs, gaps)
                });
                jobs.send(job).map_err(|_| worker_gone())?;
                self.pending.push_back((record, true));
            }
        }
        let keep = if self.pending.len() >= Self::DEPTH {
            Self::DEPTH / 2
        } else {
            usize::MAX
        };
        self.drain(recorder, keep)
    }

    /// Records every waiting step, waiting for their gaps.
    fn flush(&mut self, recorder: &mut dyn Recorder<S>) -> Result<()> {
        self.drain(recorder, 0)
    }

    /// Records the waiting steps in order: those whose gaps are in, and then, blocking, as many
    /// more as leave at most `keep` waiting.
    fn drain(&mut self, recorder: &mut dyn Recorder<S>, keep: usize) -> Result<()> {
        while let Some((_, waiting)) = self.pending.front() {
            if *waiting {
                let (_, gaps) = self.worker.as_ref().ok_or_else(worker_gone)?;
                let gap = if self.pending.len() > keep {
                    gaps.recv().map_err(|_| worker_gone())?
                } else {
                    match gaps.try_recv() {
                        Ok(gap) => gap,
                        Err(TryRecvError::Empty) => return Ok(()),
                        Err(TryRecvError::Disconnected) => return Err(worker_gone()),
                    }
                };
                if let Some((record, waiting)) = self.pending.front_mut() {
                    record.gap = gap;
                    *waiting = false;
                }
            }
            if let Some((record, _)) = self.pending.pop_front() {
                recorder.step(record)?;
            }
        }
        Ok(())
    }
}

/// The gap thread ends only when the run drops its channel, or by panicking (which the scope
/// re-raises when it joins), so this error is not expected to reach a caller.
fn worker_gone() -> Error {
    Error::unsupported("the thread computing exact gaps stopped")
}

/// The recorded step's query: the runner's buffers (left empty for the next step to refill), the
/// point copied from the state when the optimizer keeps it there ([`Optimizer::query_point`]).
fn take_query<S: Scalar, O: Optimizer<S>>(
    optimizer: &O,
    state: &O::State,
    query: &mut Query<S>,
) -> Query<S> {
    let mut taken = std::mem::replace(query, Query::empty());
    // The working vectors stay with the run: the next step reuses them.
    std::mem::swap(&mut query.scratch, &mut taken.scratch);
    if let Some(point) = optimizer.query_point(state) {
        taken.point = point.clone();
    }
    taken
}

fn non_finite<S: Number>(iterate: &S::Vector, record: &StateRecord<S>) -> Option<String> {
    if !iterate.is_finite() {
        return Some("iterate".into());
    }
    if let Some((name, _)) = record.vectors.iter().find(|(_, v)| !v.is_finite()) {
        return Some((*name).to_string());
    }
    record
        .scalars
        .iter()
        .find(|(_, s)| !s.is_finite())
        .map(|(name, _)| (*name).to_string())
}

/// Runs an optimizer of the catalogue on a problem in arithmetic `S`, from `x0` (the problem's
/// own initial point when `None`).
///
/// # Errors
/// As [`run_with_oracle`], plus the problem's refusal of the arithmetic (e.g. logistic regression
/// in ℚ).
pub fn run<S: Evaluate>(
    problem: &dyn Problem,
    optimizer: &OptimizerConfig,
    schedule: &Schedule,
    x0: Option<&[Rational]>,
    steps: usize,
    options: &RunOptions,
) -> Result<Trace<S>> {
    let start: Vec<Rational> = x0.map_or_else(|| problem.initial_point(), <[Rational]>::to_vec);
    let mut oracle = S::oracle(problem)?;
    let x0v = to_vector::<S>(&start);
    let spec = problem.spec();
    let ospec = optimizer.spec();
    crate::with_optimizer!(optimizer, o => run_with_oracle(o, oracle.as_mut(), schedule, &x0v, steps, options, (&spec, &ospec)))
}

/// [`run`], handing each kept step to `recorder` as it is computed (see [`record_with_oracle`]).
///
/// # Errors
/// As [`run_with_oracle`], plus the problem's refusal of the arithmetic (e.g. logistic regression
/// in ℚ).
pub fn record<S: Evaluate>(
    problem: &dyn Problem,
    optimizer: &OptimizerConfig,
    schedule: &Schedule,
    x0: Option<&[Rational]>,
    steps: usize,
    options: &RunOptions,
    recorder: &mut dyn Recorder<S>,
) -> Result<()> {
    let start: Vec<Rational> = x0.map_or_else(|| problem.initial_point(), <[Rational]>::to_vec);
    let mut oracle = S::oracle(problem)?;
    let x0v = to_vector::<S>(&start);
    let spec = problem.spec();
    let ospec = optimizer.spec();
    crate::with_optimizer!(optimizer, o => record_with_oracle(o, oracle.as_mut(), schedule, &x0v, steps, options, (&spec, &ospec), recorder))
}
