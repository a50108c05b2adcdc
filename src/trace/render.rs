//! Rendering traces: JSON (the `trace` command's output) and the snapshot text.

use serde_json::{Map, Value, json};

use super::{Outcome, Trace};
use crate::arith::linalg::Vector;
use crate::arith::scalar::Written;
use crate::arith::{Number, text};

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
    let steps: Vec<Value> = trace
        .steps
        .iter()
        .map(|s| {
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
        })
        .collect();
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
