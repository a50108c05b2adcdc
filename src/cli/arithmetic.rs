//! The arithmetics as the command line names them, and the runs the CLI performs in whichever
//! arithmetic the user picks (`trace`, `trace --compare`).

use rug::Rational;
use serde_json::Value;

use crate::arith::Rounding;
use crate::compare::{compare, comparison_to_json, predict_schedule_breakage};
use crate::error::{Error, Result};
use crate::optim::{OptimizerConfig, Schedule};
use crate::problem::{Evaluate, Problem};
use crate::trace::{ExactForm, JsonWriter, RunOptions, record, run, to_json};

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
/// arithmetic, compared step by step ([`compare`]), with the closed-form prediction
/// ([`predict_schedule_breakage`]) when the pair is PyTorch against uncorrected Sutskever.
#[derive(Clone, Debug)]
pub struct CompareRequest<'a> {
    /// The first optimizer's run (its `options.keep_every` selects the printed steps).
    pub run: RunRequest<'a>,
    /// The second optimizer.
    pub other: &'a OptimizerConfig,
}

impl ArithmeticVisitor for CompareRequest<'_> {
    type Output = Result<Value>;
    fn visit<S: Evaluate>(self, rounding: Rounding) -> Self::Output {
        let r = &self.run;
        // Every step is needed for the prediction (b_{t−1} next to step t); `keep_every` only
        // thins what is printed.
        let options = RunOptions {
            rounding,
            keep_every: 1,
            ..r.options.clone()
        };
        let run = |o: &OptimizerConfig| run::<S>(r.problem, o, r.schedule, r.x0, r.steps, &options);
        let (ta, tb) = (run(r.optimizer)?, run(self.other)?);
        let comparison = compare(&ta, &tb)?;
        let prediction = predict_schedule_breakage((r.optimizer, &ta), (self.other, &tb));
        let keep = r.options.keep_every.max(1);
        Ok(comparison_to_json(
            (&ta, &tb),
            &comparison,
            prediction.as_ref(),
            |k| {
                k % keep == 0
                    || k == r.steps
                    || Some(k) == comparison.first_difference
                    || prediction
                        .as_ref()
                        .and_then(|p| p.first_change.as_ref())
                        .is_some_and(|(t, _)| *t == k)
            },
        ))
    }
}
