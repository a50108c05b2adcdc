//! Running an optimizer on a problem and recording every step.
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

use rug::Rational;

use crate::arith::linalg::Vector;
use crate::arith::{Number, Rounding, Scalar};
use crate::error::{Error, Result};
use crate::optim::{Optimizer, OptimizerConfig, Schedule, StateRecord, StepContext};
use crate::problem::{Oracle, Problem, to_vector};

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
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            rounding: Rounding::Naive,
            // 1 Mbit per entry: a dense d = 50 exact vector at this size is ~6 MB; a k = 1000
            // heavy-ball run needs ~8 kbit (DESIGN.md), so the default only stops runaway runs.
            size_budget_bits: 1 << 20,
            step_budget: 1_000_000,
            keep_every: 1,
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
    let mut trace = Trace {
        problem: labels.0.to_string(),
        optimizer: labels.1.to_string(),
        schedule: schedule.spec(),
        arithmetic: S::arithmetic_name(),
        rounding: options.rounding,
        x0: x0.clone(),
        initial_gap,
        steps: Vec::new(),
        outcome: Outcome::Completed,
    };
    for k in 1..=steps {
        let lr: S = schedule.learning_rate(k)?;
        let exact_lr = schedule.exact(k);
        let ctx = StepContext {
            step: k,
            learning_rate: &lr,
            exact_learning_rate: exact_lr.as_ref(),
            rounding: options.rounding,
        };
        let query = optimizer.step(&mut state, &ctx, oracle)?;
        let check = optimizer.state_check(&state);
        if !check.finite {
            let iterate = optimizer.iterate(&state).clone();
            let record = optimizer.record(&state);
            let what = non_finite(&iterate, &record).unwrap_or_else(|| "state".into());
            trace.steps.push(StepRecord {
                step: k,
                learning_rate: lr,
                query: query.point,
                gradient: query.gradient,
                iterate,
                state: record,
                gap: None,
            });
            trace.outcome = Outcome::Diverged { step: k, what };
            return Ok(trace);
        }
        if S::EXACT && check.max_bits > options.size_budget_bits {
            return Err(Error::SizeBudgetExceeded {
                step: k,
                bits: check.max_bits,
                budget: options.size_budget_bits,
            });
        }
        if k % keep_every == 0 || k == steps {
            // Copies of the iterate and state only for the steps the trace keeps.
            let iterate = optimizer.iterate(&state).clone();
            let record = optimizer.record(&state);
            let gap = oracle.gap(&iterate)?;
            trace.steps.push(StepRecord {
                step: k,
                learning_rate: lr.clone(),
                query: query.point,
                gradient: query.gradient,
                iterate,
                state: record,
                gap,
            });
        }
    }
    Ok(trace)
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
pub fn run<S: Scalar>(
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

/// Serialises a trace as JSON: exact numbers as `"p/q"`, f64 as `{"dec", "bits"}` (see
/// [`Number::to_json`]).
pub fn to_json<S: Number>(trace: &Trace<S>) -> serde_json::Value {
    use serde_json::{Map, Value, json};
    let vec_json =
        |v: &S::Vector| Value::Array(v.to_scalars().iter().map(Number::to_json).collect());
    let steps: Vec<Value> = trace
        .steps
        .iter()
        .map(|s| {
            let mut state = Map::new();
            for (name, v) in &s.state.vectors {
                state.insert((*name).to_string(), vec_json(v));
            }
            for (name, x) in &s.state.scalars {
                state.insert((*name).to_string(), x.to_json());
            }
            json!({
                "k": s.step,
                "lr": s.learning_rate.to_json(),
                "query": vec_json(&s.query),
                "gradient": vec_json(&s.gradient),
                "iterate": vec_json(&s.iterate),
                "state": Value::Object(state),
                "gap": s.gap.as_ref().map_or(Value::Null, Number::to_json),
            })
        })
        .collect();
    let outcome = match &trace.outcome {
        Outcome::Completed => json!({ "status": "completed" }),
        Outcome::Diverged { step, what } => {
            json!({ "status": "diverged", "step": step, "what": what })
        }
    };
    json!({
        "generator": format!("momentum-oracle {}", env!("CARGO_PKG_VERSION")),
        "problem": trace.problem,
        "optimizer": trace.optimizer,
        "schedule": trace.schedule,
        "arithmetic": trace.arithmetic,
        "rounding": trace.rounding.name(),
        "x0": vec_json(&trace.x0),
        "initial_gap": trace.initial_gap.as_ref().map_or(Value::Null, Number::to_json),
        "steps": steps,
        "outcome": outcome,
    })
}

/// The arithmetic of a run, as the CLI names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arithmetic {
    /// Exact rationals (`exact`).
    Exact,
    /// f64 with a rounding model (`f64-naive`, `f64-fused`).
    F64(Rounding),
    /// MPFR at a precision, with a rounding model (`mpfr:BITS`, `mpfr-fused:BITS`).
    Mpfr(u32, Rounding),
    /// f64 with a derived error bound (`bound-naive`, `bound-fused`).
    Bounded(Rounding),
    /// MPFR with a derived error bound (`bound-mpfr:BITS`, `bound-mpfr-fused:BITS`).
    BoundedMpfr(u32, Rounding),
}

/// Something to do in whichever arithmetic a run uses (see [`Arithmetic::dispatch`]).
pub trait ArithmeticVisitor {
    /// The result.
    type Output;
    /// Does it in arithmetic `S` with rounding model `rounding`.
    fn visit<S: Scalar>(self, rounding: Rounding) -> Self::Output;
}

impl Arithmetic {
    /// The names [`Arithmetic::parse`] accepts, for help texts.
    pub const NAMES: &'static str = "exact, f64-naive, f64-fused, mpfr:BITS, mpfr-fused:BITS, bound-naive, bound-fused, bound-mpfr:BITS, bound-mpfr-fused:BITS";

    /// Parses a CLI name.
    ///
    /// # Errors
    /// [`Error::Unknown`] for an unknown name, [`Error::Parse`] for a bad precision.
    pub fn parse(text: &str) -> Result<Self> {
        let t = text.trim();
        let precision = |bits: &str| -> Result<u32> {
            let b: u32 = bits
                .parse()
                .map_err(|_| Error::parse("MPFR precision", bits, "expected a number of bits"))?;
            if !(2..=1 << 20).contains(&b) {
                return Err(Error::parse(
                    "MPFR precision",
                    bits,
                    "must be between 2 and 1048576 bits",
                ));
            }
            Ok(b)
        };
        match t {
            "exact" => Ok(Arithmetic::Exact),
            "f64-naive" | "f64" => Ok(Arithmetic::F64(Rounding::Naive)),
            "f64-fused" => Ok(Arithmetic::F64(Rounding::Fused)),
            "bound-naive" | "bound" => Ok(Arithmetic::Bounded(Rounding::Naive)),
            "bound-fused" => Ok(Arithmetic::Bounded(Rounding::Fused)),
            _ => {
                if let Some(bits) = t.strip_prefix("mpfr:") {
                    Ok(Arithmetic::Mpfr(precision(bits)?, Rounding::Naive))
                } else if let Some(bits) = t.strip_prefix("mpfr-fused:") {
                    Ok(Arithmetic::Mpfr(precision(bits)?, Rounding::Fused))
                } else if let Some(bits) = t.strip_prefix("bound-mpfr:") {
                    Ok(Arithmetic::BoundedMpfr(precision(bits)?, Rounding::Naive))
                } else if let Some(bits) = t.strip_prefix("bound-mpfr-fused:") {
                    Ok(Arithmetic::BoundedMpfr(precision(bits)?, Rounding::Fused))
                } else {
                    Err(Error::Unknown {
                        kind: "arithmetic",
                        name: t.to_string(),
                        known: Self::NAMES.into(),
                    })
                }
            }
        }
    }

    /// Runs `visitor` in this arithmetic (MPFR inside its precision scope).
    pub fn dispatch<V: ArithmeticVisitor>(self, visitor: V) -> V::Output {
        match self {
            Arithmetic::Exact => visitor.visit::<Rational>(Rounding::Naive),
            Arithmetic::F64(r) => visitor.visit::<f64>(r),
            Arithmetic::Mpfr(bits, r) => {
                crate::arith::with_mpfr_precision(bits, || visitor.visit::<rug::Float>(r))
            }
            Arithmetic::Bounded(r) => visitor.visit::<crate::arith::bounded::Bounded>(r),
            Arithmetic::BoundedMpfr(bits, r) => crate::arith::with_mpfr_precision(bits, || {
                visitor.visit::<crate::arith::bounded::BoundedMpfr>(r)
            }),
        }
    }
}

/// A catalogue run to perform in any arithmetic: the CLI's `trace` command.
#[derive(Clone, Debug)]
pub struct RunRequest<'a> {
    /// The problem.
    pub problem: &'a dyn Problem,
    /// The optimizer.
    pub optimizer: &'a OptimizerConfig,
    /// The schedule.
    pub schedule: &'a Schedule,
    /// The initial point (`None`: the problem's own).
    pub x0: Option<&'a [Rational]>,
    /// The number of steps.
    pub steps: usize,
    /// Options; the rounding model is overridden by the arithmetic.
    pub options: RunOptions,
}

impl ArithmeticVisitor for RunRequest<'_> {
    type Output = Result<serde_json::Value>;
    fn visit<S: Scalar>(self, rounding: Rounding) -> Self::Output {
        let options = RunOptions {
            rounding,
            ..self.options
        };
        let t = run::<S>(
            self.problem,
            self.optimizer,
            self.schedule,
            self.x0,
            self.steps,
            &options,
        )?;
        Ok(to_json(&t))
    }
}

/// A scalar as snapshot text: `p/q` for ℚ; `decimal(bits)` for f64; `decimal(bits)±err` for
/// bounded values; MPFR values as their exact `p/q`.
pub fn scalar_text<S: Number>(x: &S) -> String {
    match x.to_json() {
        serde_json::Value::String(s) => s,
        serde_json::Value::Object(o) => {
            let get = |k: &str| {
                o.get(k)
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_string)
            };
            let base = match (get("dec"), get("bits"), get("exact")) {
                (Some(d), Some(b), _) => format!("{d}({b})"),
                (_, _, Some(e)) => e,
                (Some(d), None, None) => d,
                _ => "?".into(),
            };
            match get("err") {
                Some(e) => format!("{base}±{e}"),
                None => base,
            }
        }
        other => other.to_string(),
    }
}

/// The snapshot rendering of a trace: a header, then one line per kept step with k, the learning
/// rate, the iterate, every state vector and scalar, the gap and (when given) the theorem's bound.
pub fn render<S: Number>(trace: &Trace<S>, bounds: Option<&[Option<S>]>) -> String {
    let vec_text = |v: &S::Vector| {
        format!(
            "[{}]",
            v.to_scalars()
                .iter()
                .map(scalar_text)
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let mut out = format!(
        "problem   {}\noptimizer {}\nschedule  {}\narith     {} ({})\nk=0 x={} gap={}\n",
        trace.problem,
        trace.optimizer,
        trace.schedule,
        trace.arithmetic,
        trace.rounding.name(),
        vec_text(&trace.x0),
        trace
            .initial_gap
            .as_ref()
            .map_or_else(|| "—".into(), scalar_text)
    );
    for (i, s) in trace.steps.iter().enumerate() {
        let mut line = format!(
            "k={} lr={} x={}",
            s.step,
            scalar_text(&s.learning_rate),
            vec_text(&s.iterate)
        );
        for (name, v) in &s.state.vectors {
            line += &format!(" {name}={}", vec_text(v));
        }
        for (name, x) in &s.state.scalars {
            line += &format!(" {name}={}", scalar_text(x));
        }
        line += &format!(
            " gap={}",
            s.gap.as_ref().map_or_else(|| "—".into(), scalar_text)
        );
        if let Some(b) = bounds.and_then(|b| b.get(i)).and_then(Option::as_ref) {
            line += &format!(" bound={}", scalar_text(b));
        }
        out += &line;
        out.push('\n');
    }
    if let Outcome::Diverged { step, what } = &trace.outcome {
        out += &format!("diverged at step {step} ({what})\n");
    }
    out
}
