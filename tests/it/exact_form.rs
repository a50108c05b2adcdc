//! The two forms of exact vectors in traces (`trace --exact-form`): `decimal` (`"p/q"` per entry,
//! lowest terms) and `shared-hex` (hex numerators over the vector's shared denominator). Both
//! denote the same rationals; every reader of exact vectors (the fixture readers `check` uses, the
//! trace document's schema) takes both; malformed hex is a one-line error.

use momentum_oracle::arith::Number;
use momentum_oracle::arith::linalg::{QVec, Vector};
use momentum_oracle::arith::text::{MAX_HEX_DIGITS, format_hex};
use momentum_oracle::error::Error;
use momentum_oracle::fixture::check::{read_replay, validate};
use momentum_oracle::fixture::json::{
    read_exact_scalar, read_exact_vector, resolve_trace_references,
};
use momentum_oracle::optim::{OptimizerConfig, Schedule};
use momentum_oracle::problem;
use momentum_oracle::trace::{
    self, ExactForm, JsonWriter, RunOptions, vector_json, vector_json_in,
};
use proptest::prelude::*;
use rug::{Integer, Rational};
use serde_json::{Value, json};

/// An integer from little-endian limbs and a sign: up to 4 limbs, so that entries cross limb
/// boundaries (the hex writer reads limbs directly).
fn integer(limbs: &[u64], negative: bool) -> Integer {
    let n = Integer::from_digits(limbs, rug::integer::Order::Lsf);
    if negative { -n } else { n }
}

proptest! {
    #![proptest_config(crate::common::config("exact_form", 256))]
    /// For any exact vector, the `shared-hex` object and the `"p/q"` array read back as the same
    /// rationals, and those are the vector's entries (computed by `to_scalars`, which reduces each
    /// entry by a gcd — not by the writer's code). The hex text is GMP's own base-16 text.
    #[test]
    fn both_forms_denote_the_same_rationals(
        entries in prop::collection::vec((prop::collection::vec(any::<u64>(), 0..4), any::<bool>()), 0..6),
        den_limbs in prop::collection::vec(any::<u64>(), 1..3),
        den_small in 1u64..1000,
    ) {
        let nums: Vec<Integer> = entries.iter().map(|(l, s)| integer(l, *s)).collect();
        // Small denominators make common factors (and so reductions) frequent.
        let den = if den_limbs[0] % 2 == 0 {
            Integer::from(den_small)
        } else {
            integer(&den_limbs, false) + 1u32
        };
        let v = QVec::from_parts(nums, den).unwrap();
        let want: Vec<Rational> = v.to_scalars();
        let hex = vector_json_in::<Rational>(&v, ExactForm::SharedHex);
        let decimal = vector_json::<Rational>(&v);
        prop_assert_eq!(read_exact_vector(&hex, "/v").unwrap(), want.clone());
        prop_assert_eq!(read_exact_vector(&decimal, "/v").unwrap(), want);
        prop_assert_eq!(&hex["denominator"], &json!(v.denominator().to_string_radix(16)));
        for (n, text) in v.numerators().iter().zip(hex["numerators"].as_array().unwrap()) {
            prop_assert_eq!(text, &json!(n.to_string_radix(16)));
            prop_assert_eq!(format_hex(n), n.to_string_radix(16));
        }
    }
}

/// Streams an exact run in `form`.
fn streamed(
    problem: &str,
    optimizer: &str,
    schedule: &str,
    steps: usize,
    form: ExactForm,
) -> Value {
    streamed_with(
        problem,
        optimizer,
        schedule,
        steps,
        form,
        &RunOptions::default(),
    )
}

/// [`streamed`] with run options.
fn streamed_with(
    problem: &str,
    optimizer: &str,
    schedule: &str,
    steps: usize,
    form: ExactForm,
    options: &RunOptions,
) -> Value {
    let p = problem::from_spec(problem).unwrap();
    let o = OptimizerConfig::from_spec(optimizer).unwrap();
    let s = Schedule::from_spec(schedule).unwrap();
    let mut writer = JsonWriter::with_form(Vec::new(), form);
    trace::record::<Rational>(p.as_ref(), &o, &s, None, steps, options, &mut writer).unwrap();
    serde_json::from_slice(&writer.into_inner()).unwrap()
}

/// Walks a `decimal` document and a `shared-hex` one together: every shared-hex object reads as
/// the same rationals as the array (or `"p/q"` scalar) at its place; everything else is equal.
/// Returns the number of vectors compared.
fn same_values(decimal: &Value, hex: &Value, at: &str) -> usize {
    match (decimal, hex) {
        (Value::Array(_), Value::Object(o)) if o.contains_key("numerators") => {
            assert_eq!(
                read_exact_vector(decimal, at).unwrap(),
                read_exact_vector(hex, at).unwrap(),
                "{at}"
            );
            1
        }
        (Value::String(_), Value::Object(o)) if o.contains_key("numerator") => {
            assert_eq!(
                read_exact_scalar(decimal, at).unwrap(),
                read_exact_scalar(hex, at).unwrap(),
                "{at}"
            );
            0
        }
        (Value::Object(a), Value::Object(b)) => {
            let keys = |m: &serde_json::Map<String, Value>| {
                m.keys()
                    .filter(|k| *k != "exact_form")
                    .cloned()
                    .collect::<Vec<_>>()
            };
            assert_eq!(keys(a), keys(b), "{at}");
            a.iter()
                .map(|(k, v)| same_values(v, &b[k], &format!("{at}/{k}")))
                .sum()
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{at}");
            a.iter()
                .zip(b)
                .enumerate()
                .map(|(i, (x, y))| same_values(x, y, &format!("{at}/{i}")))
                .sum()
        }
        _ => {
            assert_eq!(decimal, hex, "{at}");
            0
        }
    }
}

/// A whole exact trace written in both forms says the same thing: the same rationals in every
/// vector (x₀, query, gradient, iterate, state vectors) once the `shared-hex` back-references are
/// resolved, everything else identical; the `shared-hex` document says its form and writes every
/// exact vector that way (none left as an array) and no vector twice: heavy ball's query is its
/// previous step's iterate and its state vector the query (both references, counted), PyTorch with
/// dampening, FISTA (scalar state), NAG (only step 1's look-ahead point is x₀).
#[test]
fn a_trace_says_the_same_in_both_forms() {
    let step = "step:lr=1/2,factor=1/2,every=3";
    for (problem, optimizer, schedule, steps) in [
        (
            "quadratic:dim=5,seed=6",
            "heavy-ball:momentum=9/10",
            "constant:lr=1/8",
            12,
        ),
        (
            "lower-bound:k=5",
            "pytorch:momentum=9/10,dampening=1/10",
            step,
            6,
        ),
        (
            "quadratic:dim=3,seed=1",
            "fista:momentum=rational",
            "constant:lr=1/4",
            5,
        ),
        (
            "quadratic:dim=4,seed=6",
            "nag:momentum=1/2",
            "constant:lr=1/8",
            7,
        ),
    ] {
        let decimal = streamed(problem, optimizer, schedule, steps, ExactForm::Decimal);
        let hex = streamed(problem, optimizer, schedule, steps, ExactForm::SharedHex);
        assert_eq!(hex["exact_form"], "shared-hex");
        assert!(decimal.get("exact_form").is_none());
        let resolved = resolve_trace_references(&hex).unwrap();
        let vectors = same_values(&decimal, &resolved, "");
        // x0, and per step query, gradient, iterate and at least one state vector.
        assert!(
            vectors > 4 * steps,
            "{problem} {optimizer}: {vectors} vectors"
        );
        for s in hex["steps"].as_array().unwrap() {
            for key in ["query", "gradient", "iterate"] {
                assert!(s[key].is_object(), "{key} is not shared-hex");
            }
            // Exact scalars too: the learning rate and the gap as hex numerator and denominator.
            for key in ["lr", "gap"] {
                assert!(s[key]["numerator"].is_string(), "{key} is not shared-hex");
            }
        }
        let references = no_vector_twice(&hex, &resolved);
        let expected = match optimizer {
            // Query = x_{k−1} at every step, and the previous-iterate state = the query.
            o if o.starts_with("heavy-ball") => 2 * steps,
            // NAG queries the look-ahead point x_{k−1} + μ·v_{k−1}, which is x₀ only at step 1
            // (v₀ = 0); its state is the buffer.
            o if o.starts_with("nag") => 1,
            // PyTorch queries θ_{k−1} at every step; its first buffer is the gradient itself
            // (b₁ = g₁, undampened, torch/optim/sgd.py), later ones are not.
            o if o.starts_with("pytorch") => steps + 1,
            // FISTA: counted by `no_vector_twice`, which checks each one.
            _ => references,
        };
        assert_eq!(references, expected, "{problem} {optimizer}");
        if optimizer.starts_with("heavy-ball") {
            let decimal_text = serde_json::to_vec(&decimal).unwrap().len();
            let hex_text = serde_json::to_vec(&hex).unwrap().len();
            assert!(hex_text < decimal_text, "{hex_text} ≥ {decimal_text}");
        }
    }
}

/// Checks that a `shared-hex` document names every repeated vector it may name and only equal
/// ones: each query written in full differs from the previous recorded step's iterate when that
/// step is k − 1 (x₀ for k = 1), each state vector written in full differs from the step's
/// gradient, iterate and query, and each reference resolves (in `resolved`) to the vector it
/// names. Returns the number of references.
fn no_vector_twice(hex: &Value, resolved: &Value) -> usize {
    let read = |v: &Value, at: &str| read_exact_vector(v, at).unwrap();
    let mut previous = (0u64, read(&resolved["x0"], "/x0"));
    let mut references = 0;
    let steps = hex["steps"].as_array().unwrap();
    for (i, (s, r)) in steps
        .iter()
        .zip(resolved["steps"].as_array().unwrap())
        .enumerate()
    {
        let k = s["k"].as_u64().unwrap();
        let query = read(&r["query"], "query");
        let follows = previous.0 + 1 == k;
        if s["query"].get("same_as").is_some() {
            references += 1;
            assert!(
                follows && query == previous.1,
                "step {i}: a wrong query reference"
            );
        } else {
            assert!(
                !follows || query != previous.1,
                "step {i}: the query is written twice"
            );
        }
        let named = ["gradient", "iterate", "query"].map(|key| read(&r[key], key));
        for (name, v) in s["state"].as_object().unwrap() {
            if !(v.is_array() || v.get("numerators").is_some() || v.get("same_as").is_some()) {
                continue; // a scalar
            }
            let value = read(&r["state"][name], name);
            match v.get("same_as").and_then(Value::as_str) {
                Some(target) => {
                    references += 1;
                    let at = ["gradient", "iterate", "query"]
                        .iter()
                        .position(|t| *t == target)
                        .unwrap();
                    assert_eq!(value, named[at], "step {i}: {name} names {target}");
                }
                None => assert!(
                    named.iter().all(|w| *w != value),
                    "step {i}: state {name} is written twice"
                ),
            }
        }
        previous = (k, read(&r["iterate"], "iterate"));
    }
    references
}

/// A thinned run (every 2nd step and the last, as `--keep-every 2` keeps them) names the previous
/// iterate only where the step before was recorded: of heavy ball's kept steps 2, 4, 6, 7 only
/// step 7 follows a kept step, so one query is a reference and three are written in full; every
/// state vector is its query (4 references); resolved, the document says what the `decimal` one
/// says.
#[test]
fn a_thinned_trace_refers_back_only_to_recorded_steps() {
    let options = RunOptions {
        keep_every: 2,
        ..RunOptions::default()
    };
    let run = |form| {
        streamed_with(
            "quadratic:dim=4,seed=6",
            "heavy-ball:momentum=9/10",
            "constant:lr=1/8",
            7,
            form,
            &options,
        )
    };
    let (decimal, hex) = (run(ExactForm::Decimal), run(ExactForm::SharedHex));
    let ks: Vec<u64> = hex["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["k"].as_u64().unwrap())
        .collect();
    assert_eq!(ks, [2, 4, 6, 7]);
    let resolved = resolve_trace_references(&hex).unwrap();
    assert_eq!(no_vector_twice(&hex, &resolved), 1 + 4);
    let queries: Vec<bool> = hex["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["query"].get("same_as").is_some())
        .collect();
    assert_eq!(queries, [false, false, false, true]);
    assert!(same_values(&decimal, &resolved, "") > 0);
}

/// Back-references are only where they can be resolved: each bad one is a one-line
/// `InvalidDocument` naming its place — a query naming a step that is not recorded (the trace
/// kept every 2nd step), an unknown target, a reference as an iterate or as x₀, extra keys.
#[test]
fn a_back_reference_that_cannot_be_resolved_is_a_one_line_error() {
    let hex = streamed(
        "quadratic:dim=3,seed=6",
        "heavy-ball:momentum=9/10",
        "constant:lr=1/8",
        3,
        ExactForm::SharedHex,
    );
    assert_eq!(
        hex["steps"][1]["query"],
        json!({"same_as": "previous_step.iterate"})
    );
    assert!(resolve_trace_references(&hex).is_ok());
    let mut skipped = hex.clone();
    skipped["steps"].as_array_mut().unwrap().remove(0);
    let mut unknown = hex.clone();
    unknown["steps"][1]["state"]["previous_iterate"] = json!({"same_as": "x0"});
    let mut iterate = hex.clone();
    iterate["steps"][1]["iterate"] = json!({"same_as": "query"});
    let mut x0 = hex.clone();
    x0["x0"] = json!({"same_as": "iterate"});
    let mut extra = hex.clone();
    extra["steps"][2]["query"] = json!({"same_as": "previous_step.iterate", "k": 1});
    for (doc, place) in [
        (skipped, "/steps/0/query"),
        (unknown, "/steps/1/state/previous_iterate"),
        (iterate, "/steps/1/iterate"),
        (x0, "/x0"),
        (extra, "/steps/2/query"),
    ] {
        let e = resolve_trace_references(&doc).unwrap_err().to_string();
        assert!(e.contains(place), "{place}: {e}");
        assert_eq!(e.lines().count(), 1, "{e}");
    }
    // Unresolved, a reference is not a vector.
    let e = read_exact_vector(&hex["steps"][1]["query"], "/q").unwrap_err();
    assert!(e.to_string().contains("back-reference"), "{e}");
}

/// Both forms of streamed exact traces validate against `#/$defs/exactTrace` of
/// fixtures/schema.json, and a shared-hex vector with a leading zero or an uppercase digit does not.
#[test]
fn exact_traces_in_both_forms_follow_the_schema() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/schema.json");
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let obj = schema.as_object_mut().unwrap();
    obj.remove("oneOf");
    obj.insert("$ref".into(), json!("#/$defs/exactTrace"));
    let validator = jsonschema::validator_for(&schema).unwrap();
    for form in [ExactForm::Decimal, ExactForm::SharedHex] {
        let doc = streamed(
            "quadratic:dim=3,seed=6",
            "heavy-ball:momentum=9/10",
            "constant:lr=1/8",
            4,
            form,
        );
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{form:?}: {errors:?}");
        if form == ExactForm::SharedHex {
            for bad in ["0f", "F"] {
                let mut d = doc.clone();
                d["steps"][0]["iterate"]["numerators"][0] = json!(bad);
                assert!(!validator.is_valid(&d), "{bad:?} accepted");
            }
        }
    }
}

/// Hostile shared-hex vectors: each is an `InvalidDocument` naming the place, in one line —
/// malformed digits, a zero or negative denominator, missing or unknown keys, a number of
/// `MAX_HEX_DIGITS + 1` digits (refused before it is converted); `MAX_HEX_DIGITS` digits are
/// read, exactly.
#[test]
fn malformed_shared_hex_is_a_one_line_error() {
    let vector = |den: &str, nums: &[&str]| json!({ "denominator": den, "numerators": nums });
    let long = "f".repeat(MAX_HEX_DIGITS + 1);
    let cases: Vec<(Value, &str)> = vec![
        (vector("0", &["1"]), "division by zero"),
        (vector("-3", &["1"]), "must be positive"),
        (vector("3", &["0x1f"]), "hex digits"),
        (vector("3", &["1F"]), "hex digits"),
        (vector("3", &["g"]), "hex digits"),
        (vector("3", &[""]), "hex digits"),
        (vector("3", &["-0"]), "canonical zero"),
        (vector("03", &["1"]), "leading zero"),
        (vector("3", &["1\n2"]), "hex digits"),
        (vector("3", &[&long]), "the limit is"),
        (vector(&long, &["1"]), "the limit is"),
        (
            json!({ "denominator": "3" }),
            "missing field \"numerators\"",
        ),
        (
            json!({ "numerators": ["1"] }),
            "missing field \"denominator\"",
        ),
        (
            json!({ "denominator": 3, "numerators": ["1"] }),
            "expected a string",
        ),
        (
            json!({ "denominator": "3", "numerators": [1] }),
            "expected a hex string",
        ),
        (
            json!({ "denominator": "3", "numerators": ["1"], "extra": 1 }),
            "unknown key \"extra\"",
        ),
        (json!("1/3"), "expected an array"),
    ];
    for (value, want) in cases {
        let e = read_exact_vector(&value, "/trace/0/exact/params").unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, Error::InvalidDocument { .. }), "{text}");
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.len() < 400, "{text}");
        assert!(text.contains("/trace/0/exact/params"), "{text}");
        assert!(text.contains(want), "{text} does not say {want:?}");
    }
    // The largest accepted size: 2^(4·MAX_HEX_DIGITS) − 1 over 2^4.
    let max = "f".repeat(MAX_HEX_DIGITS);
    let read = read_exact_vector(&vector("10", &[&max, "-1"]), "/v").unwrap();
    let want = (Integer::from(1) << (4 * MAX_HEX_DIGITS as u32)) - 1u32;
    assert_eq!(
        read,
        vec![Rational::from((want, 16)), Rational::from((-1, 16))]
    );
}

/// `check` reads a replay fixture whose exact vectors are in the shared-hex form as the same
/// fixture (the readers take both forms); a zero denominator there is refused by validation with
/// one line naming the place.
#[test]
fn check_reads_fixtures_with_shared_hex_exact_vectors() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/replay/pytorch-momentum.json"
    );
    let original: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let to_hex = |v: &Value| -> Value {
        let xs = read_exact_vector(v, "").unwrap();
        let q = QVec::from_scalars(&xs);
        vector_json_in::<Rational>(&q, ExactForm::SharedHex)
    };
    let mut hexed = original.clone();
    let mut converted = 0;
    for step in hexed["trace"].as_array_mut().unwrap() {
        let exact = &mut step["exact"];
        exact["params"] = to_hex(&exact["params"]);
        converted += 1;
        for (_, v) in exact["state"].as_object_mut().unwrap() {
            if v.is_array() {
                *v = to_hex(v);
                converted += 1;
            }
        }
    }
    assert!(converted > 10, "{converted}");
    assert!(hexed["trace"][1]["exact"]["state"]["momentum_buffer"].is_object());
    let a = read_replay(&original).unwrap();
    let b = read_replay(&hexed).unwrap();
    assert_eq!(a, b);
    validate(&b).unwrap();

    let mut zero = hexed.clone();
    zero["trace"][2]["exact"]["params"]["denominator"] = json!("0");
    let e = read_replay(&zero).unwrap_err().to_string();
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(
        e.contains("/trace/2/exact/params") && e.contains("division by zero"),
        "{e}"
    );
}

/// The CLI writes the shared-hex form on request (and says so), refuses an unknown form by name
/// in one line, and keeps the default document unchanged.
#[test]
fn the_cli_writes_the_form_it_is_asked_for() {
    fn args(form: Option<&'static str>) -> Vec<&'static str> {
        let mut a = vec![
            "trace",
            "--problem",
            "quadratic:dim=3,seed=6",
            "--optimizer",
            "heavy-ball:momentum=9/10",
            "--lr",
            "1/8",
            "--steps",
            "3",
        ];
        if let Some(f) = form {
            a.extend(["--exact-form", f]);
        }
        a
    }
    let run = |a: Vec<&str>| crate::common::cli(a);
    let default = run(args(None));
    let decimal = run(args(Some("decimal")));
    assert!(default.status.success());
    assert_eq!(default.stdout, decimal.stdout);
    let hex = run(args(Some("shared-hex")));
    assert!(hex.status.success());
    let doc: Value = serde_json::from_slice(&hex.stdout).unwrap();
    assert_eq!(doc["exact_form"], "shared-hex");
    let dec: Value = serde_json::from_slice(&default.stdout).unwrap();
    let doc = resolve_trace_references(&doc).unwrap();
    assert_eq!(same_values(&dec, &doc, ""), 1 + 3 * 4);
    let bad = run(args(Some("octal")));
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8(bad.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("exact form") && err.contains("shared-hex"),
        "{err}"
    );
}

/// The writer's hex is the engine's storage: for a vector that is its own lowest terms entry by
/// entry (denominator 1), the numerators are the integers themselves.
#[test]
fn integer_vectors_are_written_over_one() {
    let v = QVec::from_scalars(&[Rational::from(-255), Rational::from(0), Rational::from(16)]);
    assert_eq!(
        vector_json_in::<Rational>(&v, ExactForm::SharedHex),
        json!({ "denominator": "1", "numerators": ["-ff", "0", "10"] })
    );
    assert_eq!(
        <Rational as Number>::shared_parts(&v).unwrap().0,
        &Integer::from(1)
    );
    // Non-exact arithmetics have no shared parts and keep their own form.
    assert_eq!(
        vector_json_in::<f64>(&vec![0.5], ExactForm::SharedHex),
        vector_json::<f64>(&vec![0.5])
    );
}
