//! Rendering traces: JSON (the `trace` command's output) and the snapshot text.

use serde_json::{Map, Value, json};

use std::io::Write;

use super::run::{Header, Recorder, StepRecord};
use super::{Outcome, Trace};
use crate::arith::linalg::Vector;
use crate::arith::scalar::Written;
use crate::arith::{Number, text};
use crate::error::{Error, Result};

/// A scalar as JSON: `"p/q"` for ℚ; `{"dec": shortest decimal, "bits": 16 hex digits}` for
/// f64; `{"dec": ..., "exact": "p/q"}` for MPFR; the same with `"err"` added for values with an
/// error bound.
pub fn scalar_json<S: Number>(x: &S) -> Value {
    written_json(&x.written())
}

fn written_json(w: &Written) -> Value {
    match w {
        Written::Exact(q) => Value::String(text::format(q)),
        Written::Binary64(x) => json!({ "dec": text::format_f64(*x), "bits": text::f64_bits(*x) }),
        Written::Binary32(x) => {
            // `{:?}` is Rust's shortest round-trip form for f32, as `format_f64` is for f64.
            let dec = if x.is_finite() {
                format!("{x:?}")
            } else {
                text::format_f64(f64::from(*x))
            };
            json!({ "dec": dec, "bits": format!("{:08x}", x.to_bits()) })
        }
        Written::Mpfr { decimal, exact } => json!({ "dec": decimal, "exact": exact }),
        Written::WithError { value, error } => {
            let mut j = written_json(value);
            if let Some(o) = j.as_object_mut() {
                o.insert("err".into(), Value::String(text::format_f64(*error)));
            }
            j
        }
    }
}

/// A vector as a JSON array of [`scalar_json`] values.
pub fn vector_json<S: Number>(v: &S::Vector) -> Value {
    Value::Array(v.to_scalars().iter().map(scalar_json).collect())
}

/// Serialises a trace as JSON: exact numbers as `"p/q"`, f64 as `{"dec", "bits"}` (see
/// [`scalar_json`]).
pub fn to_json<S: Number>(trace: &Trace<S>) -> Value {
    let vec_json = vector_json::<S>;
    let steps: Vec<Value> = trace.steps.iter().map(step_json).collect();
    json!({
        "generator": format!("momentum-oracle {}", env!("CARGO_PKG_VERSION")),
        "problem": trace.problem,
        "optimizer": trace.optimizer,
        "schedule": trace.schedule,
        "arithmetic": trace.arithmetic,
        "rounding": trace.rounding.name(),
        "x0": vec_json(&trace.x0),
        "initial_gap": trace.initial_gap.as_ref().map_or(Value::Null, scalar_json),
        "steps": steps,
        "outcome": outcome_json(&trace.outcome),
    })
}

/// One recorded step as JSON: `k`, `lr`, `query`, `gradient`, `iterate`, `state`, `gap`.
pub fn step_json<S: Number>(s: &StepRecord<S>) -> Value {
    let vec_json = vector_json::<S>;
    let mut state = Map::new();
    for (name, v) in &s.state.vectors {
        state.insert((*name).to_string(), vec_json(v));
    }
    for (name, x) in &s.state.scalars {
        state.insert((*name).to_string(), scalar_json(x));
    }
    json!({
        "k": s.step,
        "lr": scalar_json(&s.learning_rate),
        "query": vec_json(&s.query),
        "gradient": vec_json(&s.gradient),
        "iterate": vec_json(&s.iterate),
        "state": Value::Object(state),
        "gap": s.gap.as_ref().map_or(Value::Null, scalar_json),
    })
}

/// Writes a run as one JSON document while it runs (the `trace` command's output): the header
/// fields, then each kept step as soon as it is computed, then the outcome. The document has the
/// fields of [`to_json`] (the same values, pretty-printed); only `outcome` comes last, because it
/// is known last. Memory does not grow with the number of steps: a step is written and dropped.
///
/// If the run fails half-way (a size budget, say), [`JsonWriter::fail`] still closes the document,
/// with `"outcome": {"status": "failed", "error": message}`: a reader never gets half a document
/// (the caller reports the error as well).
pub struct JsonWriter<W: Write> {
    out: W,
    started: bool,
    finished: bool,
    steps_written: usize,
}

impl<W: Write> JsonWriter<W> {
    /// A writer into `out` (give it a buffered writer: each step is several small writes).
    pub fn new(out: W) -> Self {
        JsonWriter {
            out,
            started: false,
            finished: false,
            steps_written: 0,
        }
    }

    /// Closes a document whose run failed after it started, with the error as its outcome; does
    /// nothing if the run never started (nothing was written) or already finished.
    ///
    /// # Errors
    /// [`Error::Io`] when the output fails.
    pub fn fail(&mut self, error: &Error) -> Result<()> {
        if !self.started || self.finished {
            return Ok(());
        }
        let outcome = json!({ "status": "failed", "error": error.to_string() });
        self.close(&outcome)
    }

    fn close(&mut self, outcome: &Value) -> Result<()> {
        self.finished = true;
        let close = if self.steps_written == 0 {
            "],\n"
        } else {
            "\n  ],\n"
        };
        self.out.write_all(close.as_bytes()).map_err(Self::io)?;
        self.field("outcome", outcome, true)?;
        self.out.write_all(b"}\n").map_err(Self::io)?;
        self.out.flush().map_err(Self::io)
    }

    /// The output, once the run is finished.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn io(e: std::io::Error) -> Error {
        Error::Io {
            path: "(trace output)".into(),
            message: e.to_string(),
        }
    }

    /// `"key": value,` at the top level, the value pretty-printed and indented to its place.
    fn field(&mut self, key: &str, value: &Value, last: bool) -> Result<()> {
        let text = indented(value, 1);
        write!(
            self.out,
            "  {}: {text}{}",
            Value::String(key.into()),
            if last { "\n" } else { ",\n" }
        )
        .map_err(Self::io)
    }
}

/// A value pretty-printed as serde_json does, its continuation lines indented by `depth` levels
/// of two spaces.
fn indented(value: &Value, depth: usize) -> String {
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("\"{e}\""));
    let pad = "  ".repeat(depth);
    text.replace('\n', &format!("\n{pad}"))
}

impl<S: Number, W: Write> Recorder<S> for JsonWriter<W> {
    fn start(&mut self, h: &Header<S>) -> Result<()> {
        self.started = true;
        self.out.write_all(b"{\n").map_err(Self::io)?;
        let generator = format!("momentum-oracle {}", env!("CARGO_PKG_VERSION"));
        self.field("generator", &Value::String(generator), false)?;
        self.field("problem", &Value::String(h.problem.clone()), false)?;
        self.field("optimizer", &Value::String(h.optimizer.clone()), false)?;
        self.field("schedule", &Value::String(h.schedule.clone()), false)?;
        self.field("arithmetic", &Value::String(h.arithmetic.clone()), false)?;
        self.field("rounding", &Value::String(h.rounding.name().into()), false)?;
        self.field("x0", &vector_json::<S>(&h.x0), false)?;
        let gap = h.initial_gap.as_ref().map_or(Value::Null, scalar_json);
        self.field("initial_gap", &gap, false)?;
        self.out.write_all(b"  \"steps\": [").map_err(Self::io)
    }
    fn step(&mut self, record: StepRecord<S>) -> Result<()> {
        let text = indented(&step_json(&record), 2);
        let sep = if self.steps_written == 0 { "\n" } else { ",\n" };
        write!(self.out, "{sep}    {text}").map_err(Self::io)?;
        self.steps_written += 1;
        Ok(())
    }
    fn finish(&mut self, outcome: &Outcome) -> Result<()> {
        self.close(&outcome_json(outcome))
    }
}

/// How a run ended, as JSON: `{"status": "completed"}` or
/// `{"status": "diverged", "step": k, "what": quantity}`.
pub fn outcome_json(outcome: &Outcome) -> Value {
    match outcome {
        Outcome::Completed => json!({ "status": "completed" }),
        Outcome::Diverged { step, what } => {
            json!({ "status": "diverged", "step": step, "what": what })
        }
    }
}

/// A scalar as snapshot text: `p/q` for ℚ; `decimal(bits)` for f64; `decimal(bits)±err` for
/// bounded values; MPFR values as their exact `p/q`.
pub fn scalar_text<S: Number>(x: &S) -> String {
    match scalar_json(x) {
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
