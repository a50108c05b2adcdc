//! The arithmetics as the command line names them, and the runs the CLI performs in whichever
//! arithmetic the user picks (`trace`, `trace --compare`).

use rug::Rational;
use serde_json::Value;

use std::io::Write;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use crate::arith::{Number, Rounding, mpfr_precision, with_mpfr_precision};
use crate::compare::{Comparer, difference_json};
use crate::error::{Error, Result};
use crate::optim::{OptimizerConfig, Schedule};
use crate::problem::{Evaluate, Problem};
use crate::trace::render::indented;
use crate::trace::{
    ExactForm, Header, JsonWriter, Outcome, Recorder, RunOptions, StepRecord, outcome_json, record,
    run, to_json,
};

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
    fn visit<S: Evaluate>(self, rounding: Rounding) -> Self::Output;
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
    fn visit<S: Evaluate>(self, rounding: Rounding) -> Self::Output {
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

/// The CLI's `trace`: a [`RunRequest`] written to `out` as it runs, one step at a time
/// ([`JsonWriter`]), so that a long run needs memory for its current state only.
pub struct StreamRequest<'a> {
    /// The run.
    pub run: RunRequest<'a>,
    /// Where the JSON document goes.
    pub out: &'a mut dyn std::io::Write,
    /// How exact vectors are written (`--exact-form`).
    pub form: ExactForm,
}

impl ArithmeticVisitor for StreamRequest<'_> {
    type Output = Result<()>;
    fn visit<S: Evaluate>(self, rounding: Rounding) -> Self::Output {
        let r = self.run;
        let options = RunOptions {
            rounding,
            ..r.options
        };
        let mut writer = JsonWriter::with_form(self.out, self.form);
        let result = record::<S>(
            r.problem,
            r.optimizer,
            r.schedule,
            r.x0,
            r.steps,
            &options,
            &mut writer,
        );
        if let Err(e) = &result {
            // The document stays whole; the error itself goes back to the caller. A failing
            // output cannot take a closing line either, so its own error is the one reported.
            writer.fail(e)?;
        }
        result
    }
}

/// The CLI's `trace --compare`: two optimizers on the same problem, schedule, initial point and
/// arithmetic, compared step by step ([`Comparer`]), with the closed-form prediction
/// ([`crate::compare::predict_schedule_breakage`]) when the pair is PyTorch against uncorrected
/// Sutskever.
///
/// Streamed: the two runs go in two threads, each handing its steps through a channel of
/// [`CHANNEL_STEPS`] steps; the comparison writes each compared step as it comes, so memory is
/// independent of the number of steps. The document has the fields of
/// [`crate::compare::comparison_to_json`]; the summary (`first_difference`, `outcomes`,
/// `prediction`) comes after `steps`, because it is known last. A run that fails half-way still
/// closes the document, with an `error` field, and its error is returned.
pub struct CompareRequest<'a> {
    /// The first optimizer's run (its `options.keep_every` selects the printed steps).
    pub run: RunRequest<'a>,
    /// The second optimizer.
    pub other: &'a OptimizerConfig,
    /// Where the JSON document goes.
    pub out: &'a mut dyn Write,
}

/// Steps a compared run may be ahead of the comparison.
pub const CHANNEL_STEPS: usize = 16;

/// What a compared run hands to the comparison.
enum Event<S: Number> {
    Step(StepRecord<S>),
    End(Outcome),
}

/// A [`Recorder`] that sends each step to the comparison.
struct Channel<S: Number>(SyncSender<Event<S>>);

impl<S: Number> Channel<S> {
    fn send(&self, event: Event<S>) -> Result<()> {
        // The comparison stopped reading (its output failed): the run stops too.
        self.0
            .send(event)
            .map_err(|_| Error::unsupported("a comparison whose output stopped"))
    }
}

impl<S: Number> Recorder<S> for Channel<S> {
    fn start(&mut self, _header: &Header<S>) -> Result<()> {
        Ok(())
    }
    fn step(&mut self, record: StepRecord<S>) -> Result<()> {
        self.send(Event::Step(record))
    }
    fn finish(&mut self, outcome: &Outcome) -> Result<()> {
        self.send(Event::End(outcome.clone()))
    }
}

impl<'a> ArithmeticVisitor for CompareRequest<'a> {
    type Output = Result<()>;
    fn visit<S: Evaluate>(self, rounding: Rounding) -> Self::Output {
        let r = &self.run;
        // Every step is needed for the prediction (b_{t−1} next to step t); `keep_every` only
        // thins what is printed.
        let options = RunOptions {
            rounding,
            keep_every: 1,
            ..r.options.clone()
        };
        // The MPFR precision is per thread (arith::with_mpfr_precision): the runs take this one.
        let precision = mpfr_precision();
        let (out, other) = (self.out, self.other);
        std::thread::scope(|scope| {
            let spawn = |optimizer: &'a OptimizerConfig| {
                let (tx, rx) = sync_channel::<Event<S>>(CHANNEL_STEPS);
                let options = &options;
                let handle = scope.spawn(move || {
                    with_mpfr_precision(precision, || {
                        record::<S>(
                            r.problem,
                            optimizer,
                            r.schedule,
                            r.x0,
                            r.steps,
                            options,
                            &mut Channel(tx),
                        )
                    })
                });
                (handle, rx)
            };
            let (ha, ra) = spawn(r.optimizer);
            let (hb, rb) = spawn(other);
            let written = write_comparison::<S>(out, r, other, rounding, (ra, rb));
            let joined = |h: std::thread::ScopedJoinHandle<'_, Result<()>>| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::unsupported("a compared run that panicked")))
            };
            let (a, b) = (joined(ha), joined(hb));
            // A run's own error is the cause; the output's error only if both runs were fine.
            a.and(b).and(written)
        })
    }
}

/// Writes the comparison of the two runs' steps as they arrive; a run that stops without an
/// outcome (it failed: its thread returns the error) closes the document with an `error` field.
fn write_comparison<S: Evaluate>(
    out: &mut dyn Write,
    r: &RunRequest<'_>,
    other: &OptimizerConfig,
    rounding: Rounding,
    (ra, rb): (Receiver<Event<S>>, Receiver<Event<S>>),
) -> Result<()> {
    let io = |e: std::io::Error| Error::Io {
        path: "(output)".into(),
        message: e.to_string(),
    };
    let field = |out: &mut dyn Write, key: &str, value: &Value, last: bool| {
        write!(
            out,
            "  {}: {}{}",
            Value::String(key.into()),
            indented(value, 1),
            if last { "\n" } else { ",\n" }
        )
        .map_err(io)
    };
    let problem = r.problem.spec();
    let dim = r.x0.map_or_else(|| r.problem.dim(), <[Rational]>::len);
    out.write_all(b"{\n").map_err(io)?;
    let generator = format!("momentum-oracle {}", env!("CARGO_PKG_VERSION"));
    field(out, "generator", &Value::String(generator), false)?;
    field(out, "problem", &Value::String(problem), false)?;
    field(out, "schedule", &Value::String(r.schedule.spec()), false)?;
    field(
        out,
        "arithmetic",
        &Value::String(S::arithmetic_name()),
        false,
    )?;
    field(
        out,
        "rounding",
        &Value::String(rounding.name().into()),
        false,
    )?;
    let optimizers = serde_json::json!([r.optimizer.spec(), other.spec()]);
    field(out, "optimizers", &optimizers, false)?;
    out.write_all(b"  \"steps\": [").map_err(io)?;
    let mut comparer = Comparer::<S>::new(r.optimizer, other, dim);
    let keep = r.options.keep_every.max(1);
    let (mut outcome_a, mut outcome_b) = (None, None);
    let mut written = 0usize;
    // The next event of a run still going; `None` once it has ended (or its thread stopped:
    // its join reports why).
    let next = |rx: &Receiver<Event<S>>, outcome: &mut Option<Outcome>| -> Option<StepRecord<S>> {
        if outcome.is_some() {
            return None;
        }
        match rx.recv() {
            Ok(Event::Step(s)) => Some(s),
            Ok(Event::End(o)) => {
                *outcome = Some(o);
                None
            }
            Err(_) => None,
        }
    };
    loop {
        let sa = next(&ra, &mut outcome_a);
        let sb = next(&rb, &mut outcome_b);
        if sa.is_none() && sb.is_none() {
            break;
        }
        let Some(d) = comparer.step(sa.as_ref(), sb.as_ref()) else {
            continue;
        };
        let k = d.step;
        let print = k % keep == 0
            || k == r.steps
            || Some(k) == comparer.first_difference()
            || Some(k) == comparer.first_change();
        if print {
            let sep = if written == 0 { "\n    " } else { ",\n    " };
            write!(out, "{sep}{}", indented(&difference_json(&d), 2)).map_err(io)?;
            written += 1;
        }
    }
    out.write_all(if written == 0 { b"],\n" } else { b"\n  ],\n" })
        .map_err(io)?;
    let (Some(a), Some(b)) = (outcome_a, outcome_b) else {
        // A run stopped without an outcome: it failed; its error comes from its thread.
        field(
            out,
            "error",
            &Value::String("a compared run failed".into()),
            true,
        )?;
        out.write_all(b"}\n").map_err(io)?;
        return out.flush().map_err(io);
    };
    field(
        out,
        "first_difference",
        &serde_json::json!(comparer.first_difference()),
        false,
    )?;
    let outcomes = Value::Array(vec![outcome_json(&a), outcome_json(&b)]);
    field(out, "outcomes", &outcomes, false)?;
    field(out, "prediction", &comparer.prediction_json(), true)?;
    out.write_all(b"}\n").map_err(io)?;
    out.flush().map_err(io)
}
