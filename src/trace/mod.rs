//! Running an optimizer on a problem and recording every step.
//!
//! A [`Trace`] holds, per step k: the learning rate used, the point where the gradient was
//! queried, the gradient, the iterate after the step, the optimizer's named state (buffers,
//! velocities, auxiliary sequences) and the gap f(x_k) − f*. Runs are deterministic: the same
//! inputs give the same trace, bit for bit, on every machine.
//!
//! Resource limits are part of the run: an exact run stops with
//! [`Error::SizeBudgetExceeded`](crate::error::Error::SizeBudgetExceeded) when an entry of its iterate or state needs more bits than the
//! caller's budget ([`RunOptions::size_budget_bits`]); a run longer than
//! [`RunOptions::step_budget`] is refused up front. A floating run whose iterate or state becomes
//! infinite or NaN ends with [`Outcome::Diverged`], the offending step recorded — never a panic.
//!
//! * [`run`](mod@run) — the runner (library): [`run_with_oracle`], [`run`](fn@run),
//!   [`RunOptions`], [`Trace`].
//! * [`render`](mod@render) — the trace as JSON and as snapshot text.

pub mod render;
pub mod run;

pub use render::{
    ExactForm, JsonWriter, SAME_AS_IN_STEP, SAME_AS_PREVIOUS, outcome_json, render, scalar_json,
    scalar_json_in, scalar_text, step_json, step_json_after, step_json_in, to_json, to_json_in,
    vector_json, vector_json_in,
};
pub use run::{
    DEFAULT_PARALLEL_GAP_BITS, Header, Outcome, Recorder, RunOptions, StepRecord, Trace, record,
    record_with_oracle, run, run_with_oracle,
};
