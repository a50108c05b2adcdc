//! Rendering traces: JSON (the `trace` command's output) and the snapshot text.

use serde_json::{Map, Value, json};

use std::io::Write;
use std::ops::Range;
use std::sync::OnceLock;

use super::run::{Header, Recorder, StepRecord};
use super::{Outcome, Trace};
use crate::arith::linalg::Vector;
use crate::arith::scalar::{Written, WrittenEntry};
use crate::arith::{Number, text};
use crate::error::{Error, Result};

/// A scalar as JSON: `"p/q"` for ℚ; `{"dec": shortest decimal, "bits": 16 hex digits}` for
/// f64; `{"dec": ..., "exact": "p/q"}` for MPFR; the same with `"err"` added for values with an
/// error bound.
pub fn scalar_json<S: Number>(x: &S) -> Value {
    written_json(&x.written())
}

/// [`scalar_json`] in a document whose exact vectors are in `form`: in the `shared-hex` form an
/// exact scalar is `{"denominator": hex, "numerator": hex}` (lowest terms), written from its limbs
/// like the vectors; every other scalar as [`scalar_json`].
pub fn scalar_json_in<S: Number>(x: &S, form: ExactForm) -> Value {
    match (form, x.written()) {
        (ExactForm::SharedHex, Written::Exact(q)) => json!({
            "denominator": text::format_hex(q.denom()),
            "numerator": text::format_hex(q.numer()),
        }),
        (_, w) => written_json(&w),
    }
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

/// How a trace writes its exact vectors (fixtures/README.md, "Exact vectors in traces").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExactForm {
    /// Every entry as `"p/q"` in lowest terms, in decimal (the default, and the only form of
    /// fixtures and snapshots).
    #[default]
    Decimal,
    /// A vector as `{"denominator": hex, "numerators": [hex, …]}`: the exact engine's integer
    /// numerators over the vector's shared denominator, in lowercase hexadecimal. Why: writing
    /// it needs no reduction per entry and no decimal conversion (superlinear in the size of the
    /// numbers, and most of the cost of a long exact trace). Exact scalars (learning rate, gaps,
    /// scalar state) are `{"denominator": hex, "numerator": hex}` in lowest terms, and no vector
    /// is written twice (`{"same_as": …}`, [`step_json_after`]).
    SharedHex,
}

impl ExactForm {
    /// The names [`ExactForm::parse`] accepts.
    pub const NAMES: &'static str = "decimal, shared-hex";

    /// The CLI name: `decimal` or `shared-hex`.
    pub fn name(self) -> &'static str {
        match self {
            ExactForm::Decimal => "decimal",
            ExactForm::SharedHex => "shared-hex",
        }
    }

    /// Parses a CLI name.
    ///
    /// # Errors
    /// [`Error::Unknown`] for any other name.
    pub fn parse(text: &str) -> Result<Self> {
        match text.trim() {
            "decimal" => Ok(ExactForm::Decimal),
            "shared-hex" => Ok(ExactForm::SharedHex),
            other => Err(Error::Unknown {
                kind: "exact form",
                name: other.to_string(),
                known: Self::NAMES.into(),
            }),
        }
    }
}

/// A vector as a JSON array of [`scalar_json`] values.
pub fn vector_json<S: Number>(v: &S::Vector) -> Value {
    Value::Array(v.to_scalars().iter().map(scalar_json).collect())
}

/// A vector as JSON in `form`: [`vector_json`], or for an exact vector in
/// [`ExactForm::SharedHex`] the object `{"denominator": hex, "numerators": [hex, …]}`.
pub fn vector_json_in<S: Number>(v: &S::Vector, form: ExactForm) -> Value {
    match (form, S::shared_parts(v)) {
        (ExactForm::SharedHex, Some((den, nums))) => json!({
            "denominator": text::format_hex(den),
            "numerators": nums.iter().map(|n| Value::String(text::format_hex(n))).collect::<Vec<_>>(),
        }),
        _ => vector_json::<S>(v),
    }
}

/// Serialises a trace as JSON: exact numbers as `"p/q"`, f64 as `{"dec", "bits"}` (see
/// [`scalar_json`]).
pub fn to_json<S: Number>(trace: &Trace<S>) -> Value {
    to_json_in(trace, ExactForm::Decimal)
}

/// [`to_json`] with exact vectors in `form`; the `shared-hex` form adds the header field
/// `"exact_form": "shared-hex"`.
pub fn to_json_in<S: Number>(trace: &Trace<S>, form: ExactForm) -> Value {
    let vec_json = |v: &S::Vector| vector_json_in::<S>(v, form);
    let mut previous = (0, &trace.x0);
    let steps: Vec<Value> = trace
        .steps
        .iter()
        .map(|s| {
            let v = step_json_after(s, form, Some(previous));
            previous = (s.step, &s.iterate);
            v
        })
        .collect();
    let mut doc = json!({
        "generator": format!("momentum-oracle {}", env!("CARGO_PKG_VERSION")),
        "problem": trace.problem,
        "optimizer": trace.optimizer,
        "schedule": trace.schedule,
        "arithmetic": trace.arithmetic,
        "rounding": trace.rounding.name(),
        "x0": vec_json(&trace.x0),
        "initial_gap": trace
            .initial_gap
            .as_ref()
            .map_or(Value::Null, |g| scalar_json_in(g, form)),
        "steps": steps,
        "outcome": outcome_json(&trace.outcome),
    });
    if form != ExactForm::Decimal {
        doc["exact_form"] = Value::String(form.name().into());
    }
    doc
}

/// The target of a `shared-hex` back-reference to the iterate of the step before (x₀ for step
/// 1), written as the query point of optimizers that query there (GD, heavy ball, PyTorch): the
/// vector is the same, so it is written once (fixtures/README.md, "Exact vectors in traces").
pub const SAME_AS_PREVIOUS: &str = "previous_step.iterate";

/// The targets of a `shared-hex` back-reference from a state vector: the same step's vectors,
/// in the order a state vector equal to several of them names the first.
pub const SAME_AS_IN_STEP: [&str; 3] = ["gradient", "iterate", "query"];

/// `{"same_as": target}`: a `shared-hex` vector equal to one written before it.
fn same_as(target: &str) -> Value {
    json!({ "same_as": target })
}

/// One recorded step as JSON: `k`, `lr`, `query`, `gradient`, `iterate`, `state`, `gap`.
pub fn step_json<S: Number>(s: &StepRecord<S>) -> Value {
    step_json_in(s, ExactForm::Decimal)
}

/// [`step_json`] with exact vectors in `form`, as the first step of a document (no earlier
/// iterate to refer to; see [`step_json_after`]).
pub fn step_json_in<S: Number>(s: &StepRecord<S>, form: ExactForm) -> Value {
    step_json_after(s, form, None)
}

/// [`step_json_in`] in a document whose last step written before this one was step
/// `previous.0` with iterate `previous.1` (step 0 and x₀ before the first). In the `shared-hex`
/// form an exact vector is not written twice: the query point, when it equals the iterate of
/// step k − 1, is `{"same_as": "previous_step.iterate"}` ([`SAME_AS_PREVIOUS`]); a state vector
/// equal to the step's gradient, iterate or query (in that order of preference) is
/// `{"same_as": "gradient"}` etc. The `decimal` form writes every vector in full.
pub fn step_json_after<S: Number>(
    s: &StepRecord<S>,
    form: ExactForm,
    previous: Option<(usize, &S::Vector)>,
) -> Value {
    let refer = S::EXACT && form == ExactForm::SharedHex;
    let vec_json = |v: &S::Vector| vector_json_in::<S>(v, form);
    let query = match previous {
        Some((k, p)) if refer && k + 1 == s.step && S::written_identically(p, &s.query) => {
            same_as(SAME_AS_PREVIOUS)
        }
        _ => vec_json(&s.query),
    };
    let mut state = Map::new();
    for (name, v) in &s.state.vectors {
        let earlier = [&s.gradient, &s.iterate, &s.query];
        let value = match SAME_AS_IN_STEP
            .iter()
            .zip(earlier)
            .find(|(_, w)| refer && S::written_identically(w, v))
        {
            Some((target, _)) => same_as(target),
            None => vec_json(v),
        };
        state.insert((*name).to_string(), value);
    }
    for (name, x) in &s.state.scalars {
        state.insert((*name).to_string(), scalar_json_in(x, form));
    }
    json!({
        "k": s.step,
        "lr": scalar_json_in(&s.learning_rate, form),
        "query": query,
        "gradient": vec_json(&s.gradient),
        "iterate": vec_json(&s.iterate),
        "state": Value::Object(state),
        "gap": s.gap.as_ref().map_or(Value::Null, |g| scalar_json_in(g, form)),
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
    /// The steps written and not yet handed to `out` (reused: no allocation per step once it has
    /// grown). Handed over once it holds [`JsonWriter::BATCH`] bytes: a buffered `out` then takes
    /// the batch in one write instead of copying each step into its own buffer.
    buf: Vec<u8>,
    text: StepText,
    /// In the `shared-hex` form, the last written iterate's shared parts (x₀ before the first
    /// step) and its step number, for [`SAME_AS_PREVIOUS`]; reused storage, no allocation per step
    /// once grown.
    previous: Option<(usize, rug::Integer, Vec<rug::Integer>)>,
}

impl<W: Write> JsonWriter<W> {
    /// How many bytes of steps are collected before they are written out (larger than
    /// `std::io::BufWriter`'s default buffer, which then passes them through uncopied).
    const BATCH: usize = 1 << 15;

    /// A writer into `out` (give it a buffered writer: the header is several small writes),
    /// exact vectors in the default [`ExactForm::Decimal`].
    pub fn new(out: W) -> Self {
        Self::with_form(out, ExactForm::Decimal)
    }

    /// A writer into `out` with exact vectors in `form` (the document is [`to_json_in`]'s).
    pub fn with_form(out: W, form: ExactForm) -> Self {
        JsonWriter {
            out,
            started: false,
            finished: false,
            steps_written: 0,
            buf: Vec::new(),
            previous: None,
            text: StepText {
                form,
                denominators: Vec::new(),
                state_order: Vec::new(),
                decimals: Default::default(),
                cache: DecimalCache::new(),
            },
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

    /// Writes out the steps collected in the buffer.
    fn write_steps(&mut self) -> Result<()> {
        let written = self.out.write_all(&self.buf).map_err(Self::io);
        self.buf.clear();
        written
    }

    fn close(&mut self, outcome: &Value) -> Result<()> {
        self.finished = true;
        self.write_steps()?;
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

    /// Keeps `iterate`'s shared parts as the previous iterate (`shared-hex` form only; exact
    /// vectors only), reusing the storage of the last one.
    fn remember<S: Number>(&mut self, step: usize, iterate: &S::Vector) {
        if self.text.form != ExactForm::SharedHex {
            return;
        }
        let Some((den, nums)) = S::shared_parts(iterate) else {
            return;
        };
        let (k, d, n) = self
            .previous
            .get_or_insert_with(|| (0, rug::Integer::new(), Vec::new()));
        *k = step;
        d.clone_from(den);
        n.truncate(nums.len());
        for (slot, x) in n.iter_mut().zip(nums) {
            slot.clone_from(x);
        }
        let kept = n.len();
        n.extend(nums[kept..].iter().cloned());
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
pub fn indented(value: &Value, depth: usize) -> String {
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
        let form = self.text.form;
        if form != ExactForm::Decimal {
            self.field("exact_form", &Value::String(form.name().into()), false)?;
        }
        self.field("x0", &vector_json_in::<S>(&h.x0, form), false)?;
        self.remember::<S>(0, &h.x0);
        let gap = h
            .initial_gap
            .as_ref()
            .map_or(Value::Null, |g| scalar_json_in(g, form));
        self.field("initial_gap", &gap, false)?;
        self.out.write_all(b"  \"steps\": [").map_err(Self::io)
    }
    fn step(&mut self, record: StepRecord<S>) -> Result<()> {
        self.buf.extend_from_slice(if self.steps_written == 0 {
            b"\n    "
        } else {
            b",\n    "
        });
        let previous = self
            .previous
            .as_ref()
            .map(|(k, den, nums)| (*k, den, nums.as_slice()));
        self.text.step(&mut self.buf, &record, previous);
        self.remember::<S>(record.step, &record.iterate);
        self.steps_written += 1;
        if self.buf.len() >= Self::BATCH {
            self.write_steps()?;
        }
        Ok(())
    }
    fn finish(&mut self, outcome: &Outcome) -> Result<()> {
        self.close(&outcome_json(outcome))
    }
}

/// How many reduced denominators [`StepText`] keeps the decimal text of.
const DENOMINATOR_CACHE: usize = 8;

/// Writes one step record as JSON text straight into a byte buffer, in the layout
/// `serde_json::to_string_pretty` gives [`step_json`]'s value (keys in sorted order, two spaces per
/// level), without building that value: numbers are formatted from the vectors' own storage
/// ([`Number::written_entries`]).
///
/// Three things make an exact step cheap to write: an entry is reduced to lowest terms by the
/// shared denominator's known primes (a few word remainders, not a big gcd per entry); the decimal
/// text of a reduced denominator is converted once and reused by every entry and every vector that
/// has it (most entries of a vector share the vector's denominator); and an exact state vector
/// equal to a vector already written in the step (heavy ball's previous iterate is its query
/// point) is copied as text, re-indented, instead of being formatted again.
///
/// A binary64 step is written at its depth directly, with no re-indentation: each value is its
/// frame at that depth ([`Binary64Frame`]) around its bits and its decimal, and a state vector
/// bit-equal to one already written takes that one's decimals from the buffer.
struct StepText {
    /// How exact vectors are written.
    form: ExactForm,
    /// Recently written reduced denominators and their decimal text (most recent last).
    denominators: Vec<(rug::Integer, Vec<u8>)>,
    /// The order of a step's state entries (reused: no allocation per step).
    state_order: Vec<StateIndex>,
    /// Where the decimals of the step's gradient, iterate and query entries lie in the buffer,
    /// when they are binary64 (reused: no allocation per step).
    decimals: [Vec<Range<usize>>; 3],
    /// The decimals of recently written binary64 values.
    cache: DecimalCache,
}

/// What [`StepText::vector`] does with the decimals of binary64 entries.
enum Decimals<'a> {
    /// Formats them.
    Format,
    /// Formats them and records where they lie.
    Record(&'a mut Vec<Range<usize>>),
    /// Copies them from where they lie (the decimals of an identical vector, entry by entry).
    Copy(&'a [Range<usize>]),
}

/// A newline followed by `depth` levels of two spaces.
fn newline(buf: &mut Vec<u8>, depth: usize) {
    const LINE: &[u8; 33] = b"\n                                ";
    if 2 * depth < LINE.len() {
        // The whole line, then the length: a constant-length copy (see `Piece::put`).
        buf.extend_from_slice(LINE);
        buf.truncate(buf.len() - LINE.len() + 1 + 2 * depth);
    } else {
        buf.push(b'\n');
        for _ in 0..depth {
            buf.extend_from_slice(b"  ");
        }
    }
}

/// `s` as a JSON string (serde_json's escaping when it needs any).
fn json_str(buf: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
    } else {
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *buf, s);
    }
}

/// The fixed text of a binary64 value `{"bits": "…", "dec": "…"}` (and `"err"`) at one depth,
/// in [`written_json`]'s layout: what comes before the bits, between the bits and the decimal,
/// between the decimal and the error bound, and after the last string. Why: a value is then five
/// copies and its two numbers, not a dozen pieces of indentation and keys.
struct Binary64Frame {
    open: Piece,
    dec: Piece,
    err: Piece,
    close: Piece,
}

impl Binary64Frame {
    fn at(depth: usize) -> Self {
        let piece = |start: &[u8], depth: usize, end: &[u8]| {
            let mut text = start.to_vec();
            newline(&mut text, depth);
            text.extend_from_slice(end);
            Piece::new(text)
        };
        Binary64Frame {
            open: piece(b"{", depth + 1, b"\"bits\": \""),
            dec: piece(b"\",", depth + 1, b"\"dec\": \""),
            err: piece(b"\",", depth + 1, b"\"err\": \""),
            close: piece(b"\"", depth, b"}"),
        }
    }
}

/// A short fixed text, zero-padded to [`Piece::PADDED`] bytes when it is shorter.
struct Piece {
    padded: Vec<u8>,
    len: usize,
}

impl Piece {
    /// Why padded: appending a constant number of bytes and then shortening the buffer compiles
    /// to two vector moves, where a copy of a length known only at run time is a call to
    /// `memmove` (a tenth of an f64 trace's time went to such calls).
    const PADDED: usize = 32;

    fn new(mut text: Vec<u8>) -> Self {
        let len = text.len();
        if len < Self::PADDED {
            text.resize(Self::PADDED, 0);
        }
        Piece { padded: text, len }
    }

    fn put(&self, buf: &mut Vec<u8>) {
        match self.padded.first_chunk::<{ Self::PADDED }>() {
            Some(chunk) if self.len <= Self::PADDED => {
                buf.extend_from_slice(chunk);
                buf.truncate(buf.len() - Self::PADDED + self.len);
            }
            _ => buf.extend_from_slice(&self.padded[..self.len]),
        }
    }
}

/// `{"bits": …, "dec": …}` (and `"err"`) for a binary64 value, as [`written_json`] lays it out.
fn binary64(buf: &mut Vec<u8>, x: f64, error: Option<f64>, depth: usize) {
    binary64_entry(buf, x, error, Decimal::Format, depth);
}

/// Where [`binary64_entry`] takes a value's decimal from.
enum Decimal<'a> {
    /// Formats it.
    Format,
    /// Copies it from this range of the buffer (the same value's decimal, written before).
    Copy(Range<usize>),
    /// Takes it from the cache, or formats it and caches it.
    Cached(&'a mut DecimalCache),
}

/// The decimals of recently written binary64 values, by their bits: a direct-mapped table of
/// [`DecimalCache::SLOTS`] texts, allocated once. Why: a trace writes many values again in the
/// next step (heavy ball's and PyTorch's query point is the previous iterate, a constant
/// learning rate is the same every step), and copying a cached text is several times cheaper
/// than finding its shortest digits.
struct DecimalCache {
    slots: Vec<DecimalSlot>,
}

/// One cached decimal: `len` bytes of `text` for the value with IEEE bits `bits`; `len = 0` for
/// an empty slot.
#[derive(Clone, Copy)]
struct DecimalSlot {
    bits: u64,
    len: u8,
    text: [u8; 24],
}

impl DecimalCache {
    /// Enough for the vectors of a step at small and moderate d; at larger d the table only
    /// keeps the most recent values.
    const SLOTS: usize = 1 << 9;

    fn new() -> Self {
        DecimalCache { slots: Vec::new() }
    }

    /// [`text::write_f64`] of `x`, from the table when it holds `x`'s bits.
    fn write(&mut self, buf: &mut Vec<u8>, x: f64) {
        if self.slots.is_empty() {
            let empty = DecimalSlot {
                bits: 0,
                len: 0,
                text: [0; 24],
            };
            self.slots = vec![empty; Self::SLOTS];
        }
        let bits = x.to_bits();
        // Fibonacci hashing: the top bits of the product mix every bit of the pattern.
        let index = (bits.wrapping_mul(0x9e37_79b9_7f4a_7c15)
            >> (64 - Self::SLOTS.trailing_zeros())) as usize;
        let Some(slot) = self.slots.get_mut(index) else {
            text::write_f64(buf, x);
            return;
        };
        if slot.len != 0 && slot.bits == bits {
            // A constant-length copy, then the length (see `Piece::put`).
            buf.extend_from_slice(&slot.text);
            buf.truncate(buf.len() - slot.text.len() + usize::from(slot.len));
            return;
        }
        let start = buf.len();
        text::write_f64(buf, x);
        let written = &buf[start..];
        // The longest text is 24 bytes (`-0.00012345678901234567`, `-1.7976931348623157e308`).
        if let Some(text) = slot.text.get_mut(..written.len()) {
            text.copy_from_slice(written);
            slot.bits = bits;
            slot.len = written.len() as u8;
        }
    }
}

/// [`binary64`], its decimal from `dec`; returns where the decimal lies in the buffer.
fn binary64_entry(
    buf: &mut Vec<u8>,
    x: f64,
    error: Option<f64>,
    dec: Decimal<'_>,
    depth: usize,
) -> Range<usize> {
    /// Depths with a prepared frame (a trace's values sit at depth 3 to 5).
    const PREPARED: usize = 8;
    static FRAMES: OnceLock<Vec<Binary64Frame>> = OnceLock::new();
    let frames = FRAMES.get_or_init(|| (0..PREPARED).map(Binary64Frame::at).collect());
    let built;
    let frame = match frames.get(depth) {
        Some(frame) => frame,
        None => {
            built = Binary64Frame::at(depth);
            &built
        }
    };
    // Room for the whole value: the copies below then never reallocate.
    buf.reserve(160 + frame.open.len + frame.dec.len + frame.err.len + frame.close.len);
    frame.open.put(buf);
    text::write_f64_bits(buf, x);
    frame.dec.put(buf);
    let start = buf.len();
    match dec {
        Decimal::Format => float_text(buf, x),
        Decimal::Copy(range) => buf.extend_from_within(range),
        Decimal::Cached(cache) => cache.write(buf, x),
    }
    let written = start..buf.len();
    if let Some(e) = error {
        frame.err.put(buf);
        float_text(buf, e);
    }
    frame.close.put(buf);
    written
}

/// [`text::format_f64`] into the buffer.
fn float_text(buf: &mut Vec<u8>, x: f64) {
    text::write_f64(buf, x);
}

/// A [`Written`] value, laid out as `serde_json::to_string_pretty(&written_json(w))` at `depth`.
fn written_text(buf: &mut Vec<u8>, w: &Written, depth: usize) {
    match w {
        Written::Exact(q) => {
            let _ = write!(buf, "\"{}/{}\"", q.numer(), q.denom());
        }
        Written::Binary64(x) => binary64(buf, *x, None, depth),
        Written::WithError { value, error } if matches!(**value, Written::Binary64(_)) => {
            if let Written::Binary64(x) = **value {
                binary64(buf, x, Some(*error), depth);
            }
        }
        other => {
            // The rarer forms (f32, MPFR, nested bounds): through the JSON value, written in the
            // same layout.
            let text = serde_json::to_string_pretty(&written_json(other))
                .unwrap_or_else(|e| format!("\"{e}\""));
            let mut lines = text.split('\n');
            if let Some(first) = lines.next() {
                buf.extend_from_slice(first.as_bytes());
            }
            for line in lines {
                newline(buf, depth);
                buf.extend_from_slice(line.as_bytes());
            }
        }
    }
}

/// Appends the text at `range` of the buffer (a value written at some depth) again, re-indented
/// by `extra` levels.
fn reindented(buf: &mut Vec<u8>, range: std::ops::Range<usize>, extra: usize) {
    // Line by line: one copy per line (a line is one entry), not one push per byte.
    let mut start = range.start;
    while start < range.end {
        let end = buf[start..range.end]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(range.end, |i| start + i + 1);
        buf.extend_from_within(start..end);
        if buf[end - 1] == b'\n' {
            for _ in 0..extra {
                buf.extend_from_slice(b"  ");
            }
        }
        start = end;
    }
}

/// `{"denominator": hex, "numerators": [hex, …]}` at `depth`, as serde_json lays out
/// [`vector_json_in`]'s object.
fn shared_hex(buf: &mut Vec<u8>, den: &rug::Integer, nums: &[rug::Integer], depth: usize) {
    hex_denominator(buf, den, depth);
    buf.extend_from_slice(b"\"numerators\": ");
    if nums.is_empty() {
        buf.extend_from_slice(b"[]");
    } else {
        buf.push(b'[');
        for (i, n) in nums.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            newline(buf, depth + 2);
            buf.push(b'"');
            text::write_hex(buf, n);
            buf.push(b'"');
        }
        newline(buf, depth + 1);
        buf.push(b']');
    }
    newline(buf, depth);
    buf.push(b'}');
}

/// A scalar as [`scalar_json_in`] lays it out at `depth`: an exact one in the `shared-hex` form
/// as hex from its limbs (a gap has twice an entry's digits: its decimal conversion was a tenth of
/// the instructions of a d = 50, k = 1000 heavy-ball trace); others as [`written_text`].
fn scalar_text_in(buf: &mut Vec<u8>, w: &Written, form: ExactForm, depth: usize) {
    match (form, w) {
        (ExactForm::SharedHex, Written::Exact(q)) => {
            hex_denominator(buf, q.denom(), depth);
            buf.extend_from_slice(b"\"numerator\": \"");
            text::write_hex(buf, q.numer());
            buf.push(b'"');
            newline(buf, depth);
            buf.push(b'}');
        }
        _ => written_text(buf, w, depth),
    }
}

/// `{"same_as": target}` laid out at `depth` as serde_json pretty-prints it.
fn same_as_text(buf: &mut Vec<u8>, target: &str, depth: usize) {
    buf.push(b'{');
    newline(buf, depth + 1);
    buf.extend_from_slice(b"\"same_as\": ");
    json_str(buf, target);
    newline(buf, depth);
    buf.push(b'}');
}

/// The opening shared by `shared-hex` vectors and numbers: `{`, then `"denominator": "hex",` on its
/// own line at `depth + 1`, and the next line's indentation.
fn hex_denominator(buf: &mut Vec<u8>, den: &rug::Integer, depth: usize) {
    buf.push(b'{');
    newline(buf, depth + 1);
    buf.extend_from_slice(b"\"denominator\": \"");
    text::write_hex(buf, den);
    buf.extend_from_slice(b"\",");
    newline(buf, depth + 1);
}

/// One entry of a step's `state` object: an index into its vectors or its scalars.
#[derive(Clone, Copy)]
enum StateIndex {
    Vector(usize),
    Scalar(usize),
}

impl StepText {
    /// The decimal text of `den`, from the cache or converted (and cached).
    fn denominator(&mut self, den: &rug::Integer) -> &[u8] {
        let cache = &mut self.denominators;
        let at = match cache.iter().position(|(d, _)| d == den) {
            Some(i) => i,
            None => {
                if cache.len() == DENOMINATOR_CACHE {
                    cache.remove(0);
                }
                cache.push((den.clone(), den.to_string().into_bytes()));
                cache.len() - 1
            }
        };
        &cache[at].1
    }

    /// A scalar at `depth`, as [`written_text`] writes it; a binary64 one's decimal through the
    /// cache.
    ///
    /// In the `shared-hex` form an exact scalar is written as [`scalar_text_in`] writes it.
    fn scalar(&mut self, buf: &mut Vec<u8>, w: &Written, depth: usize) {
        match w {
            Written::Binary64(x) => {
                binary64_entry(buf, *x, None, Decimal::Cached(&mut self.cache), depth);
            }
            _ => scalar_text_in(buf, w, self.form, depth),
        }
    }

    /// A vector as JSON at `depth`: an array, or the `shared-hex` object.
    fn vector<S: Number>(
        &mut self,
        buf: &mut Vec<u8>,
        v: &S::Vector,
        depth: usize,
        mut decimals: Decimals<'_>,
    ) {
        if self.form == ExactForm::SharedHex {
            if let Some((den, nums)) = S::shared_parts(v) {
                shared_hex(buf, den, nums, depth);
                return;
            }
        }
        if v.is_empty() {
            buf.extend_from_slice(b"[]");
            return;
        }
        buf.push(b'[');
        let mut index = 0;
        S::written_entries(v, &mut |entry| {
            if index > 0 {
                buf.push(b',');
            }
            index += 1;
            newline(buf, depth + 1);
            match entry {
                WrittenEntry::Shared {
                    numerator,
                    denominator,
                    common,
                } => {
                    buf.push(b'"');
                    if common == 1 {
                        let _ = write!(buf, "{numerator}/");
                        buf.extend_from_slice(self.denominator(denominator));
                    } else {
                        let n = rug::Integer::from(numerator.div_exact_ref(&common));
                        let d = rug::Integer::from(denominator.div_exact_ref(&common));
                        let _ = write!(buf, "{n}/");
                        buf.extend_from_slice(self.denominator(&d));
                    }
                    buf.push(b'"');
                }
                WrittenEntry::Binary64(x) => {
                    let dec = match &decimals {
                        Decimals::Copy(ranges) => ranges.get(index - 1).cloned().map(Decimal::Copy),
                        _ => None,
                    };
                    let dec = dec.unwrap_or(Decimal::Cached(&mut self.cache));
                    let written = binary64_entry(buf, x, None, dec, depth + 1);
                    if let Decimals::Record(ranges) = &mut decimals {
                        ranges.push(written);
                    }
                }
                WrittenEntry::Other(w) => written_text(buf, &w, depth + 1),
            }
        });
        newline(buf, depth);
        buf.push(b']');
    }

    /// One step record as the JSON object [`step_json`] builds, laid out at depth 2 (an element of
    /// the top-level `steps` array).
    fn step<S: Number>(
        &mut self,
        buf: &mut Vec<u8>,
        s: &StepRecord<S>,
        previous: Option<(usize, &rug::Integer, &[rug::Integer])>,
    ) {
        const DEPTH: usize = 2;
        // `shared-hex` writes no exact vector twice (see `step_json_after`).
        let refer = S::EXACT && self.form == ExactForm::SharedHex;
        // The keys at depth 3, each after its newline and indentation (and the comma before it).
        const GAP: &[u8] = b"{\n      \"gap\": ";
        const GRADIENT: &[u8] = b",\n      \"gradient\": ";
        const ITERATE: &[u8] = b",\n      \"iterate\": ";
        const K: &[u8] = b",\n      \"k\": ";
        const LR: &[u8] = b",\n      \"lr\": ";
        const QUERY: &[u8] = b",\n      \"query\": ";
        const STATE: &[u8] = b",\n      \"state\": ";
        let mut decimals = std::mem::take(&mut self.decimals);
        for d in &mut decimals {
            d.clear();
        }
        let [gradient_decimals, iterate_decimals, query_decimals] = &mut decimals;
        buf.extend_from_slice(GAP);
        match &s.gap {
            Some(gap) => self.scalar(buf, &gap.written(), DEPTH + 1),
            None => buf.extend_from_slice(b"null"),
        }
        // The vectors written before `state`, with where their text lies, for state vectors equal
        // to one of them (an array, not a Vec: no allocation per step).
        buf.extend_from_slice(GRADIENT);
        let start = buf.len();
        let record = Decimals::Record(gradient_decimals);
        self.vector::<S>(buf, &s.gradient, DEPTH + 1, record);
        let gradient = (&s.gradient, start..buf.len());
        buf.extend_from_slice(ITERATE);
        let start = buf.len();
        let record = Decimals::Record(iterate_decimals);
        self.vector::<S>(buf, &s.iterate, DEPTH + 1, record);
        let iterate = (&s.iterate, start..buf.len());
        buf.extend_from_slice(K);
        write_usize(buf, s.step);
        buf.extend_from_slice(LR);
        self.scalar(buf, &s.learning_rate.written(), DEPTH + 1);
        buf.extend_from_slice(QUERY);
        let start = buf.len();
        let back = refer
            && previous.is_some_and(|(k, den, nums)| {
                k + 1 == s.step && S::shared_parts(&s.query) == Some((den, nums))
            });
        if back {
            same_as_text(buf, SAME_AS_PREVIOUS, DEPTH + 1);
        } else {
            let record = Decimals::Record(query_decimals);
            self.vector::<S>(buf, &s.query, DEPTH + 1, record);
        }
        let written = [gradient, iterate, (&s.query, start..buf.len())];
        buf.extend_from_slice(STATE);
        // Sorted by name as serde_json's map orders them; a name given twice keeps its last value,
        // as inserting into that map does. The order is kept as indices in a reused Vec.
        let (vectors, scalars) = (&s.state.vectors, &s.state.scalars);
        let mut order = std::mem::take(&mut self.state_order);
        order.clear();
        order.extend((0..vectors.len()).map(StateIndex::Vector));
        order.extend((0..scalars.len()).map(StateIndex::Scalar));
        let name = |i: &StateIndex| match *i {
            StateIndex::Vector(i) => vectors[i].0,
            StateIndex::Scalar(i) => scalars[i].0,
        };
        order.reverse();
        order.sort_by(|a, b| name(a).cmp(name(b)));
        order.dedup_by(|later, earlier| name(later) == name(earlier));
        if order.is_empty() {
            buf.extend_from_slice(b"{}");
        } else {
            buf.push(b'{');
            for (i, index) in order.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                newline(buf, DEPTH + 2);
                json_str(buf, name(index));
                buf.extend_from_slice(b": ");
                match *index {
                    StateIndex::Scalar(j) => {
                        self.scalar(buf, &scalars[j].1.written(), DEPTH + 2);
                    }
                    StateIndex::Vector(j) => {
                        let v = &vectors[j].1;
                        // A vector written identically to one already in the step (equal exact
                        // vectors, bit-equal binary64 ones) is not formatted again: a binary64
                        // one takes its decimals from the buffer, entry by entry, around its own
                        // frames (at its own depth); an exact one is copied as text, re-indented
                        // line by line (one line an entry). In the shared-hex form writing the
                        // limbs again would be cheaper than comparing and re-indenting the
                        // text (measured: 4 % against 5.5 % of a d = 50 trace), and naming the
                        // equal vector (`{"same_as": …}`) is cheaper still.
                        if refer {
                            match written
                                .iter()
                                .position(|(w, _)| S::written_identically(w, v))
                            {
                                Some(i) => same_as_text(buf, SAME_AS_IN_STEP[i], DEPTH + 2),
                                None => self.vector::<S>(buf, v, DEPTH + 2, Decimals::Format),
                            }
                            continue;
                        }
                        let same = written
                            .iter()
                            .zip(&decimals)
                            .find(|((w, _), _)| S::written_identically(w, v));
                        match same {
                            Some((_, ranges)) if !ranges.is_empty() && ranges.len() == v.len() => {
                                self.vector::<S>(buf, v, DEPTH + 2, Decimals::Copy(ranges));
                            }
                            Some(((_, range), _)) => reindented(buf, range.clone(), 1),
                            None => self.vector::<S>(buf, v, DEPTH + 2, Decimals::Format),
                        }
                    }
                }
            }
            newline(buf, DEPTH + 1);
            buf.push(b'}');
        }
        newline(buf, DEPTH);
        buf.push(b'}');
        self.state_order = order;
        self.decimals = decimals;
    }
}

/// A step number in decimal.
fn write_usize(buf: &mut Vec<u8>, n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[at..]);
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
