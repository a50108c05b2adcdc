//! `check` validates a fixture against its own inputs before it judges a trace, and its verdict
//! names the model matched (flush-to-zero included) and the fraction of the envelope used.

use std::path::{Path, PathBuf};

use momentum_oracle::Error;
use momentum_oracle::fixture::check::{
    ExternalStep, ExternalTrace, ReplayFixture, Verdict, check, read_replay, validate,
};
use momentum_oracle::fixture::{self};
use rug::Rational;
use serde_json::Value;

fn path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/replay/{name}.json"))
}

fn document(name: &str) -> Value {
    fixture::read_json(&path(name), "fixture").unwrap()
}

fn fixture(name: &str) -> ReplayFixture {
    read_replay(&document(name)).unwrap()
}

/// Writes a JSON trace of hex bits (params and the named state vectors).
fn write_trace(path: &Path, t: &ExternalTrace) {
    let hex = |v: &Vec<f64>| {
        v.iter()
            .map(|x| format!("0x{:016x}", x.to_bits()))
            .collect::<Vec<_>>()
    };
    let steps: Vec<Value> = t
        .steps
        .iter()
        .map(|s| {
            let state: serde_json::Map<String, Value> = s
                .state
                .iter()
                .map(|(n, v)| (n.clone(), serde_json::json!(hex(v))))
                .collect();
            serde_json::json!({ "params": hex(&s.params), "state": state })
        })
        .collect();
    std::fs::write(path, serde_json::json!({ "steps": steps }).to_string()).unwrap();
}

/// The fixture's own fused-model parameters as a trace (bit-exact with the fused model).
fn fused_trace(f: &ReplayFixture) -> ExternalTrace {
    ExternalTrace {
        steps: f
            .steps
            .iter()
            .map(|s| ExternalStep {
                params: s.fused.0.clone(),
                state: Vec::new(),
            })
            .collect(),
    }
}

/// Runs `check FIXTURE TRACE`: (exit code, stdout, stderr).
fn run(fixture: &Path, trace: &Path) -> (Option<i32>, String, String) {
    let o = crate::common::cli([Path::new("check"), fixture, trace]);
    (
        o.status.code(),
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

/// A bad-input case: exit code 2, nothing on stdout, one line on stderr containing every `want`.
fn refused(fixture: &Path, trace: &Path, want: &[&str]) {
    let (code, out, err) = run(fixture, trace);
    assert_eq!(code, Some(2), "{err}{out}");
    assert!(out.is_empty(), "{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for w in want {
        assert!(err.contains(w), "{err} does not contain {w:?}");
    }
}

/// A scratch directory holding a valid trace (the fused model of `name`) and `tampered.json`,
/// the fixture `name` after `edit`.
fn tampered(dir: &str, name: &str, edit: impl Fn(&mut Value)) -> (PathBuf, PathBuf) {
    let dir = crate::common::scratch(dir);
    let mut v = document(name);
    edit(&mut v);
    let fx = dir.join("tampered.json");
    std::fs::write(&fx, fixture::to_text(&v)).unwrap();
    let trace = dir.join("trace.json");
    write_trace(&trace, &fused_trace(&fixture(name)));
    (fx, trace)
}

#[test]
fn a_duplicated_key_is_rejected() {
    let dir = crate::common::scratch("check_duplicate_key");
    let text = std::fs::read_to_string(path("pytorch-momentum")).unwrap();
    assert!(text.contains("\n  \"steps\": 10,\n"));
    // The second `steps` would silently win in serde_json's `Value`.
    let twice = text.replace(
        "\n  \"steps\": 10,\n",
        "\n  \"steps\": 10,\n  \"steps\": 0,\n",
    );
    let fx = dir.join("twice.json");
    std::fs::write(&fx, twice).unwrap();
    let trace = dir.join("trace.json");
    write_trace(&trace, &fused_trace(&fixture("pytorch-momentum")));
    refused(
        &fx,
        &trace,
        &["error: FIXTURE:", "duplicate key \"steps\"", "at /"],
    );
    // In a trace too, with the path of the object.
    let t = dir.join("twice_trace.json");
    std::fs::write(&t, "{\"steps\": [{\"params\": [1.0], \"params\": [2.0]}]}").unwrap();
    refused(
        &path("pytorch-momentum"),
        &t,
        &["error: TRACE:", "duplicate key \"params\"", "/steps/0"],
    );
    // The library reader says the same.
    assert!(matches!(
        fixture::read_json(&fx, "fixture"),
        Err(Error::InvalidDocument { reason, .. }) if reason.contains("duplicate key \"steps\"")
    ));
}

#[test]
fn exact_values_that_contradict_the_inputs_are_rejected() {
    // Each edit changes one claimed value; the inputs are untouched.
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "exact",
            Box::new(|v| v["trace"][3]["exact"]["params"][2] = "1/3".into()),
            "/trace/3/exact/params/2",
        ),
        (
            "exact state",
            Box::new(|v| v["trace"][5]["exact"]["state"]["momentum_buffer"][1] = "0/1".into()),
            "/trace/5/exact/state/momentum_buffer/1",
        ),
        (
            "naive bits",
            Box::new(|v| v["trace"][0]["naive"]["params"][1] = "0000000000000000".into()),
            "/trace/0/naive/params/1",
        ),
        (
            "envelope",
            Box::new(|v| v["trace"][9]["envelope"]["params"][4] = "1".into()),
            "/trace/9/envelope/params/4",
        ),
        (
            "hyper-parameter exact field",
            Box::new(|v| v["optimizer"]["hyperparameters"]["momentum"]["exact"] = "9/10".into()),
            "/optimizer/hyperparameters/momentum/exact",
        ),
        (
            "learning rate exact field",
            Box::new(|v| v["schedule"]["learning_rates"][2]["exact"] = "1/10".into()),
            "/schedule/learning_rates/2/exact",
        ),
        (
            "spec",
            Box::new(|v| {
                v["optimizer"]["spec"] = "pytorch:momentum=1/2,dampening=0/1,nesterov=false,weight_decay=0/1,maximize=false".into()
            }),
            "/optimizer/spec",
        ),
    ];
    let mut refusals = 0;
    // The first field names the case for a reader; the message must name its place (`at`).
    for (_, edit, at) in &cases {
        let (fx, trace) = tampered("check_contradiction", "pytorch-momentum", edit);
        refused(
            &fx,
            &trace,
            &["error: FIXTURE: fixture contradicts its own inputs at", at],
        );
        refusals += 1;
    }
    assert_eq!(refusals, cases.len());
    // The library: a typed error with the place.
    let mut v = document("pytorch-momentum");
    v["trace"][3]["exact"]["params"][2] = "1/3".into();
    assert!(matches!(
        validate(&read_replay(&v).unwrap()),
        Err(Error::FixtureContradiction { at, found, .. }) if at == "/trace/3/exact/params/2" && found == "1/3"
    ));
    // Every checked-in replay fixture follows from its inputs.
    for case in fixture::replay::REPLAY_CASES {
        validate(&fixture(case.name)).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    }
}

#[test]
fn zero_steps_and_unknown_conventions_are_rejected() {
    let (fx, trace) = tampered("check_zero_steps", "optax-trace", |v| {
        v["steps"] = 0.into();
        v["schedule"]["learning_rates"] = serde_json::json!([]);
        v["gradients"] = serde_json::json!([]);
        v["trace"] = serde_json::json!([]);
    });
    refused(
        &fx,
        &trace,
        &["error: FIXTURE:", "/steps: must be at least 1"],
    );
    let (fx, trace) = tampered("check_zero_dimension", "optax-trace", |v| {
        v["dimension"] = 0.into()
    });
    refused(
        &fx,
        &trace,
        &["error: FIXTURE:", "/dimension: must be at least 1"],
    );
    let (fx, trace) = tampered("check_unknown_convention", "optax-trace", |v| {
        v["optimizer"]["convention"] = "jax".into()
    });
    refused(
        &fx,
        &trace,
        &[
            "error: FIXTURE: unknown convention",
            "`jax`",
            "pytorch, keras, optax",
        ],
    );
    // A convention that disagrees with the spec is a contradiction.
    let (fx, trace) = tampered("check_other_convention", "optax-trace", |v| {
        v["optimizer"]["convention"] = "keras".into()
    });
    refused(&fx, &trace, &["error: FIXTURE:", "/optimizer/spec"]);
}

#[test]
fn nan_inputs_are_rejected() {
    let nan = serde_json::json!({"dec": "NaN", "bits": "7ff8000000000000"});
    for (what, at) in [
        ("gradient", "/gradients/2/5"),
        ("initial parameter", "/initial_params/3"),
        ("learning rate", "/schedule/learning_rates/0"),
        ("hyper-parameter", "/optimizer/hyperparameters/momentum"),
    ] {
        let nan = nan.clone();
        let (fx, trace) = tampered("check_nan_input", "keras-momentum", move |v| match what {
            "gradient" => v["gradients"][2][5] = nan.clone(),
            "initial parameter" => v["initial_params"][3] = nan.clone(),
            "learning rate" => v["schedule"]["learning_rates"][0] = nan.clone(),
            _ => v["optimizer"]["hyperparameters"]["momentum"] = nan.clone(),
        });
        refused(
            &fx,
            &trace,
            &["error: FIXTURE:", at, "non-finite value NaN"],
        );
    }
}

/// A trace equal to the fixture's fused model except for a NaN at step 1, params[0].
fn nan_trace(dir: &Path, name: &str) -> PathBuf {
    let mut t = fused_trace(&fixture(name));
    t.steps[0].params[0] = f64::NAN;
    let p = dir.join("nan.json");
    write_trace(&p, &t);
    p
}

#[test]
fn an_infinite_envelope_is_rejected_so_nan_cannot_pass() {
    for bound in ["inf", "1e400", "1e308"] {
        let (fx, _) = tampered("check_inf_envelope", "pytorch-momentum", |v| {
            v["trace"][0]["envelope"]["params"][0] = bound.into()
        });
        let dir = fx.parent().unwrap().to_path_buf();
        refused(
            &fx,
            &nan_trace(&dir, "pytorch-momentum"),
            &["error: FIXTURE: fixture contradicts its own inputs at /trace/0/envelope/params/0"],
        );
    }
    // With the fixture as generated, the same NaN is a FAIL that says why.
    let dir = crate::common::scratch("check_nan_trace");
    let (code, out, err) = run(
        &path("pytorch-momentum"),
        &nan_trace(&dir, "pytorch-momentum"),
    );
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.starts_with("FAIL pytorch-momentum: NaN at step 1, params[0]")
            && out.contains("a NaN is outside every envelope"),
        "{out}"
    );
    // Even a hand-built fixture with an infinite bound does not let the library pass a NaN.
    let mut f = fixture("pytorch-momentum");
    f.steps[0].envelope.0[0] = f64::INFINITY;
    let mut t = fused_trace(&f);
    t.steps[0].params[0] = f64::NAN;
    let r = check(&f, &t).unwrap();
    assert!(
        matches!(&r.verdict, Verdict::Mismatch(m) if m.value.is_nan() && m.step == 1),
        "{}",
        r.render()
    );
}

#[test]
fn mismatched_state_names_are_an_error_not_a_panic() {
    for model in ["naive", "fused", "envelope"] {
        let (fx, trace) = tampered("check_state_names", "pytorch-momentum", |v| {
            let state = v["trace"][2][model]["state"].as_object_mut().unwrap();
            let b = state.remove("momentum_buffer").unwrap();
            state.insert("velocity".into(), b);
        });
        refused(
            &fx,
            &trace,
            &[
                "error: FIXTURE:",
                &format!("/trace/2/{model}/state: names [velocity] differ"),
            ],
        );
    }
    // A hand-built fixture (the library type, not a file) and a trace that reports the state:
    // the checker returns a typed error where it used to panic.
    let mut f = fixture("pytorch-momentum");
    f.steps[2].naive.1[0].0 = "velocity".into();
    let t = ExternalTrace {
        steps: f
            .steps
            .iter()
            .map(|s| ExternalStep {
                params: s.fused.0.clone(),
                state: vec![("momentum_buffer".into(), s.fused.1[0].1.clone())],
            })
            .collect(),
    };
    assert!(matches!(
        check(&f, &t),
        Err(Error::InvalidDocument { reason, .. }) if reason.contains("naive model has no state \"momentum_buffer\"")
    ));
}

#[test]
fn an_exact_value_beyond_f64_is_an_error_not_a_panic() {
    // 2^1100: beyond the largest finite f64 (just under 2^1024).
    let huge = format!("{}/1", Rational::from(1) << 1100u32);
    let edit = |v: &mut Value| v["trace"][1]["exact"]["params"][0] = huge.clone().into();
    let (fx, trace) = tampered("check_huge_exact", "optax-trace", edit);
    refused(
        &fx,
        &trace,
        &["error: FIXTURE: fixture contradicts its own inputs at /trace/1/exact/params/0"],
    );
    // The checker alone, on such a fixture, reports a mismatch without an ulp count (there is no
    // ulp beyond the f64 range) instead of panicking.
    let mut v = document("optax-trace");
    edit(&mut v);
    let f = read_replay(&v).unwrap();
    let r = check(&f, &fused_trace(&f)).unwrap();
    assert!(
        matches!(&r.verdict, Verdict::Mismatch(m) if m.step == 2 && m.coordinate == 0 && m.ulps.is_none()),
        "{}",
        r.render()
    );
}

/// `x` with a subnormal flushed to a zero of its sign.
fn flush(x: f64) -> f64 {
    if x != 0.0 && x.abs() < f64::MIN_POSITIVE {
        0.0f64.copysign(x)
    } else {
        x
    }
}

/// An independent `torch.optim.SGD` in PyTorch's CPU (fused) order — as in `tests/it/fixtures.rs`
/// — on a machine with FTZ and DAZ set: every operand and every result flushed. (Flushing a
/// gradual-underflow result differs from x86's tininess-after-rounding only for results within
/// 2⁻¹⁰⁷⁵ below 2⁻¹⁰²²; none occurs here, or the verdict below would not be bit-exact.)
fn torch_sgd_ftz(f: &ReplayFixture) -> ExternalTrace {
    let fma = |a: f64, b: f64, c: f64| flush(flush(a).mul_add(flush(b), flush(c)));
    let (mu, tau, wd) = (
        flush(f.number("momentum")),
        flush(f.number("dampening")),
        flush(f.number("weight_decay")),
    );
    let mut theta: Vec<f64> = f.initial_params.iter().map(|x| flush(*x)).collect();
    let mut buf: Option<Vec<f64>> = None;
    let mut steps = Vec::new();
    for (g_in, learning_rate) in f.gradients.iter().zip(&f.learning_rates) {
        let mut g: Vec<f64> = g_in
            .iter()
            .map(|x| flush(if f.flag("maximize") { -x } else { *x }))
            .collect();
        if wd != 0.0 {
            for (gi, t) in g.iter_mut().zip(&theta) {
                *gi = fma(*t, wd, *gi);
            }
        }
        let mut state = Vec::new();
        if mu != 0.0 {
            let b = match buf.take() {
                None => g.clone(),
                Some(mut b) => {
                    for (bi, gi) in b.iter_mut().zip(&g) {
                        *bi = fma(*gi, flush(1.0 - tau), flush(*bi * mu));
                    }
                    b
                }
            };
            if f.flag("nesterov") {
                for (gi, bi) in g.iter_mut().zip(&b) {
                    *gi = fma(*bi, mu, *gi);
                }
            } else {
                g = b.clone();
            }
            state.push(("momentum_buffer".to_string(), b.clone()));
            buf = Some(b);
        }
        for (t, gi) in theta.iter_mut().zip(&g) {
            *t = fma(*gi, -flush(*learning_rate), *t);
        }
        steps.push(ExternalStep {
            params: theta.clone(),
            state,
        });
    }
    ExternalTrace { steps }
}

#[test]
fn a_flushed_trace_is_bit_exact_under_the_ftz_model() {
    let dir = crate::common::scratch("check_ftz");
    let mut differs_from_gradual = 0;
    let mut outside = 0;
    for case in fixture::replay::REPLAY_CASES
        .iter()
        .filter(|c| c.name.starts_with("pytorch") && c.extremes)
    {
        let f = fixture(case.name);
        let t = torch_sgd_ftz(&f);
        if t.steps.iter().zip(&f.steps).any(|(a, b)| {
            a.params
                .iter()
                .zip(&b.fused.0)
                .any(|(x, y)| x.to_bits() != y.to_bits())
        }) {
            differs_from_gradual += 1;
        }
        let r = check(&f, &t).unwrap();
        assert!(
            matches!(&r.verdict, Verdict::BitExact(m) if m.contains(&"fused-ftz")),
            "{}: {}",
            case.name,
            r.render()
        );
        // No ulp count spans the subnormal range.
        assert!(
            r.max_ulps.is_none_or(|u| u < 2f64.powi(52)),
            "{}",
            r.render()
        );
        // The envelope charges every operation for a result flushed to zero, so the parameters
        // (each the result of an operation) stay inside it ...
        let params_only = ExternalTrace {
            steps: t
                .steps
                .iter()
                .map(|s| ExternalStep {
                    params: s.params.clone(),
                    state: Vec::new(),
                })
                .collect(),
        };
        let p = check(&f, &params_only).unwrap();
        assert!(
            p.outside_envelope.is_none() && p.max_envelope_fraction <= 1.0,
            "{}",
            p.render()
        );
        // ... but a buffer that copies a subnormal gradient read as zero (b₁ = g₁ under DAZ) has
        // no operation to charge: the report says so instead of failing a bit-exact trace.
        if let Some((k, q, _)) = &r.outside_envelope {
            assert_eq!((*k, q.as_str()), (1, "momentum_buffer"), "{}", r.render());
            assert!(r.render().contains("subnormal inputs read as zero"));
            outside += 1;
        }
    }
    // Not vacuous: the fixtures' subnormals make the flushed trace differ from the fused model.
    assert!(differs_from_gradual >= 7, "{differs_from_gradual}");
    assert!(
        outside >= 1,
        "no buffer copied a flushed subnormal gradient"
    );
    // From the command line, the verdict names the model.
    let f = fixture("pytorch-nesterov");
    let trace = dir.join("ftz.json");
    write_trace(&trace, &torch_sgd_ftz(&f));
    let (code, out, err) = run(&path("pytorch-nesterov"), &trace);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.starts_with(
            "PASS pytorch-nesterov: bit-exact with the fused model with flush-to-zero ("
        ),
        "{out}"
    );
    assert!(!out.contains("ulps"), "{out}");
}

#[test]
fn the_verdict_reports_the_fraction_of_the_envelope_used() {
    let f = fixture("pytorch-momentum");
    let mut t = fused_trace(&f);
    // One value moved by one ulp: inside the envelope, not bit-exact with any model.
    t.steps[6].params[0] = f64::from_bits(t.steps[6].params[0].to_bits() ^ 1);
    // The expected fraction, computed here in ℚ: max over all values of |x̂ − x| / bound.
    let mut expected = Rational::new();
    let mut compared = 0;
    for (s, e) in t.steps.iter().zip(&f.steps) {
        for ((x, q), b) in s.params.iter().zip(&e.exact_params).zip(&e.envelope.0) {
            let d = (Rational::from_f64(*x).unwrap() - q).abs();
            let frac = d / Rational::from_f64(*b).unwrap();
            if frac > expected {
                expected = frac;
            }
            compared += 1;
        }
    }
    assert!(expected > 0 && expected < 1, "{expected}");
    let r = check(&f, &t).unwrap();
    assert_eq!(r.verdict, Verdict::WithinEnvelope, "{}", r.render());
    assert_eq!(r.values_compared, compared);
    // Rounded up to f64: at most one ulp above the nearest f64 of the exact fraction.
    let near = momentum_oracle::arith::rational_to_f64(&expected);
    assert!(
        r.max_envelope_fraction == near || r.max_envelope_fraction == near.next_up(),
        "{} vs {near}",
        r.max_envelope_fraction
    );
    let text = r.render();
    let shown = if near >= 0.01 {
        format!("used {near:.2} of the envelope")
    } else {
        format!("used {near:.1e} of the envelope")
    };
    assert!(text.contains(&shown), "{text} lacks {shown}");
    // Bit-exact verdicts report it too.
    let exact = check(&f, &fused_trace(&f)).unwrap();
    assert!(
        exact.render().contains(" of the envelope") && exact.max_envelope_fraction < 1.0,
        "{}",
        exact.render()
    );
}

// ---- Streaming and hostile input files (issue 18, item 1, for `check`) ----

/// Runs `check FIXTURE TRACE`, killing it after 20 s: (exit code, stderr, whether it had to be
/// killed). A reader that blocks on a FIFO must fail the test, not hang it.
fn run_with_deadline(fixture: &Path, trace: &Path) -> (Option<i32>, String, bool) {
    use std::io::Read;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_momentum-oracle"))
        .arg("check")
        .arg(fixture)
        .arg(trace)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    let (status, killed) = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break (s, false);
        }
        if start.elapsed() > std::time::Duration::from_secs(20) {
            child.kill().unwrap();
            break (child.wait().unwrap(), true);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.code(), err, killed)
}

#[cfg(unix)]
#[test]
fn non_regular_inputs_are_refused_without_blocking() {
    let dir = crate::common::scratch("check_non_regular");
    let fifo = dir.join("fifo");
    // No writer ever opens it: opening it for reading would block forever.
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let fx = path("pytorch-momentum");
    let mut refusals = 0;
    for (fixture, trace, want) in [
        (fx.as_path(), fifo.as_path(), "error: TRACE:"),
        (fifo.as_path(), fx.as_path(), "error: FIXTURE:"),
        (fx.as_path(), Path::new("/dev/zero"), "error: TRACE:"),
        (Path::new("/dev/zero"), fx.as_path(), "error: FIXTURE:"),
        (fx.as_path(), dir.as_path(), "error: TRACE:"),
    ] {
        let (code, err, killed) = run_with_deadline(fixture, trace);
        assert!(!killed, "check {fixture:?} {trace:?} blocked");
        assert_eq!(code, Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with(want) && err.contains("not a regular file: refused"),
            "{err}"
        );
        refusals += 1;
    }
    assert_eq!(refusals, 5);
    let (_, err, _) = run_with_deadline(&fx, &fifo);
    assert!(err.contains("a FIFO"), "{err}");
    let (_, err, _) = run_with_deadline(&fx, Path::new("/dev/zero"));
    assert!(err.contains("a character device"), "{err}");
}

/// `fixture`'s fused model as a JSON trace text with the state, and `extra` further copies of its
/// last step appended (a runaway implementation that does not stop).
fn runaway_json(f: &ReplayFixture, extra: usize) -> String {
    let mut t = fused_trace(f);
    for s in t.steps.iter_mut().zip(&f.steps) {
        s.0.state = s.1.fused.1.clone();
    }
    let last = t.steps.last().unwrap().clone();
    t.steps.extend(std::iter::repeat_n(last, extra));
    let dir = crate::common::scratch("check_runaway_text");
    let p = dir.join("t.json");
    write_trace(&p, &t);
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn the_trace_is_streamed_and_reading_stops_at_the_first_step_too_many() {
    use momentum_oracle::fixture::check::{check_file, trace_limits};
    let dir = crate::common::scratch("check_stream");
    let f = fixture("pytorch-momentum");
    // The streamed verdict is the collected one, in JSON and in CSV.
    let json = dir.join("ok.json");
    std::fs::write(&json, runaway_json(&f, 0)).unwrap();
    let mut csv = String::from("k");
    for i in 0..f.dim() {
        csv.push_str(&format!(",param_{i}"));
    }
    for (k, s) in f.steps.iter().enumerate() {
        csv.push_str(&format!("\n{}", k + 1));
        for x in &s.naive.0 {
            csv.push_str(&format!(",0x{:016x}", x.to_bits()));
        }
    }
    let csv_path = dir.join("ok.csv");
    std::fs::write(&csv_path, csv + "\n").unwrap();
    for p in [&json, &csv_path] {
        let streamed = check_file(&f, p).unwrap();
        let collected = check(&f, &fixture::check::read_trace(p).unwrap()).unwrap();
        assert_eq!(streamed, collected);
        assert!(streamed.passed(), "{}", streamed.render());
    }
    // A trace that goes on after the fixture's last step: an error at step 11, although the
    // file has 110 steps (within the size limit, so that the reader, not the size check, stops).
    let runaway = dir.join("runaway.json");
    let text = runaway_json(&f, 100);
    let limits = trace_limits(&f);
    assert!((text.len() as u64) < limits.total_bytes, "{limits:?}");
    std::fs::write(&runaway, &text).unwrap();
    assert!(matches!(
        check_file(&f, &runaway),
        Err(Error::DimensionMismatch { expected: 10, found: 11, context }) if context.contains("reading stopped")
    ));
    // Past the total limit: refused by its size before a byte is read (sparse: nothing written).
    let huge = dir.join("huge.json");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(limits.total_bytes + 1)
        .unwrap();
    assert!(matches!(
        check_file(&f, &huge),
        Err(Error::TooLarge { size, limit, .. }) if size == limits.total_bytes + 1 && limit == limits.total_bytes
    ));
    // A step longer than the step limit (whitespace inside it) stops the reader there.
    let padded = dir.join("padded.json");
    let pad = " ".repeat(usize::try_from(limits.step_bytes).unwrap() + 1);
    std::fs::write(
        &padded,
        format!("{{\"steps\": [{{{pad}\"params\": [1]}}]}}"),
    )
    .unwrap();
    let (code, _, err) = run(&path("pytorch-momentum"), &padded);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.starts_with("error: TRACE:")
            && err.contains("a step of the trace is longer than the limit of"),
        "{err}"
    );
    // One value longer than the limit on one number.
    let long = dir.join("long.csv");
    let value = format!("1.{}", "0".repeat(fixture::external::MAX_NUMBER_CHARS));
    std::fs::write(&long, format!("k,param_0\n1,{value}\n")).unwrap();
    let (code, _, err) = run(&path("pytorch-momentum"), &long);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("CSV line 2, column 2: a value of 2050 characters; the limit is 2048"),
        "{err}"
    );
}
