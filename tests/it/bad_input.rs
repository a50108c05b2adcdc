//! Bad input: a typed error in the library, one clear line and exit code 2 in the CLI, never a
//! panic, and nothing written half-way.

use std::path::{Path, PathBuf};

use momentum_oracle::arith::text as rational;
use momentum_oracle::error::Error;
use momentum_oracle::fixture::{self, check};
use momentum_oracle::optim::{OptimizerConfig, Schedule};
use momentum_oracle::problem;
use momentum_oracle::trace::{self, RunOptions};
use rug::Rational;

/// Library-level bad inputs with the error kind each must produce.
#[test]
fn the_library_rejects_bad_input_with_typed_errors() {
    let mut tried = 0;
    let mut expect = |what: &str, r: Result<(), Error>, ok: fn(&Error) -> bool| {
        tried += 1;
        match r {
            Err(e) if ok(&e) => {}
            other => panic!("{what}: {other:?}"),
        }
    };
    let unit = |r: Result<Rational, Error>| r.map(|_| ());
    expect("1/0", unit(rational::parse("1/0")), |e| {
        matches!(e, Error::DivisionByZero { .. })
    });
    expect("abc", unit(rational::parse("abc")), |e| {
        matches!(e, Error::Parse { .. })
    });
    expect("NaN", unit(rational::parse("NaN")), |e| {
        matches!(e, Error::NonFinite { .. })
    });
    expect("-inf", unit(rational::parse("-inf")), |e| {
        matches!(e, Error::NonFinite { .. })
    });
    expect("huge exponent", unit(rational::parse("1e999999999")), |e| {
        matches!(e, Error::Parse { .. })
    });
    expect(
        "exponent just past the limit",
        unit(rational::parse("1e4001")),
        |e| matches!(e, Error::Parse { .. }),
    );
    expect("empty", unit(rational::parse("  ")), |e| {
        matches!(e, Error::Parse { .. })
    });
    expect("1/2/3", unit(rational::parse("1/2/3")), |e| {
        matches!(e, Error::Parse { .. })
    });
    expect(
        "10001 digits",
        unit(rational::parse(&"9".repeat(10_001))),
        |e| matches!(e, Error::Parse { .. }),
    );
    let p = |s: &str| problem::from_spec(s).map(|_| ());
    expect("unknown family", p("paraboloid"), |e| {
        matches!(
            e,
            Error::Unknown {
                kind: "problem",
                ..
            }
        )
    });
    expect("unknown key", p("quadratic:dimm=3"), |e| {
        matches!(
            e,
            Error::Unknown {
                kind: "parameter",
                ..
            }
        )
    });
    expect("repeated key", p("quadratic:dim=3,dim=4"), |e| {
        matches!(e, Error::Parse { .. })
    });
    expect("pair without =", p("quadratic:dim"), |e| {
        matches!(e, Error::Parse { .. })
    });
    expect("negative eigenvalue", p("quadratic:spectrum=-1;1"), |e| {
        matches!(e, Error::InvalidHyperParameter { .. })
    });
    expect(
        "zero Householder vector",
        p("quadratic:spectrum=1;2,householder=0;0"),
        |e| matches!(e, Error::InvalidHyperParameter { .. }),
    );
    expect("m > L", p("quadratic:L=1,m=2"), |e| {
        matches!(e, Error::InvalidHyperParameter { .. })
    });
    expect(
        "dimension beyond the budget",
        p("lower-bound:k=100000"),
        |e| matches!(e, Error::InvalidHyperParameter { .. }),
    );
    expect("huge Huber step count", p("huber:ogm=99999999999"), |e| {
        matches!(e, Error::InvalidHyperParameter { .. })
    });
    expect(
        "minimiser of the wrong length",
        p("quadratic:spectrum=1;2,minimizer=1"),
        |e| matches!(e, Error::DimensionMismatch { .. }),
    );
    let o = |s: &str| OptimizerConfig::from_spec(s).map(|_| ());
    expect("negative momentum", o("pytorch:momentum=-1/10"), |e| {
        matches!(
            e,
            Error::InvalidHyperParameter {
                name: "momentum",
                ..
            }
        )
    });
    expect("negative weight decay", o("pytorch:weight_decay=-1"), |e| {
        matches!(
            e,
            Error::InvalidHyperParameter {
                name: "weight_decay",
                ..
            }
        )
    });
    expect(
        "nesterov with dampening",
        o("pytorch:momentum=9/10,dampening=1/10,nesterov=true"),
        |e| {
            matches!(
                e,
                Error::InvalidHyperParameter {
                    name: "nesterov",
                    ..
                }
            )
        },
    );
    expect(
        "nesterov without momentum",
        o("pytorch:nesterov=true"),
        |e| {
            matches!(
                e,
                Error::InvalidHyperParameter {
                    name: "nesterov",
                    ..
                }
            )
        },
    );
    expect("Keras momentum above 1", o("keras:momentum=2"), |e| {
        matches!(e, Error::InvalidHyperParameter { .. })
    });
    expect(
        "flag that is not a boolean",
        o("pytorch:nesterov=maybe"),
        |e| matches!(e, Error::Parse { .. }),
    );
    expect("OGM without steps", o("ogm"), |e| {
        matches!(e, Error::Parse { .. } | Error::InvalidHyperParameter { .. })
    });
    let s = |t: &str| Schedule::from_spec(t).map(|_| ());
    expect("negative learning rate", s("constant:lr=-1"), |e| {
        matches!(e, Error::InvalidHyperParameter { .. })
    });
    expect("step schedule every=0", s("step:lr=1,every=0"), |e| {
        matches!(e, Error::InvalidHyperParameter { .. })
    });
    expect(
        "warm-up start factor 0",
        s("warmup:lr=1,start_factor=0"),
        |e| matches!(e, Error::InvalidHyperParameter { .. }),
    );
    expect(
        "piecewise values mismatch",
        s("piecewise:boundaries=2;4,values=1"),
        |e| matches!(e, Error::DimensionMismatch { .. }),
    );
    expect(
        "piecewise boundaries not increasing",
        s("piecewise:boundaries=4;2,values=1;2;3"),
        |e| matches!(e, Error::InvalidHyperParameter { .. }),
    );
    // Runs.
    let quad = problem::from_spec("quadratic:dim=3,seed=1").unwrap();
    let gd = OptimizerConfig::from_spec("gd").unwrap();
    let learning_rate = Schedule::constant(Rational::from((1, 2)));
    let run = |x0: Option<&[Rational]>, steps: usize, options: &RunOptions| {
        trace::run::<Rational>(quad.as_ref(), &gd, &learning_rate, x0, steps, options).map(|_| ())
    };
    let two = [Rational::from(1), Rational::from(2)];
    expect(
        "initial point of the wrong dimension",
        run(Some(&two), 3, &RunOptions::default()),
        |e| matches!(e, Error::DimensionMismatch { .. }),
    );
    expect(
        "step budget",
        run(
            None,
            11,
            &RunOptions {
                step_budget: 10,
                ..RunOptions::default()
            },
        ),
        |e| matches!(e, Error::StepBudgetExceeded { .. }),
    );
    let diverge = Schedule::constant(Rational::from(7));
    expect(
        "exact run past the size budget",
        trace::run::<Rational>(
            quad.as_ref(),
            &gd,
            &diverge,
            None,
            10_000,
            &RunOptions {
                size_budget_bits: 4096,
                ..RunOptions::default()
            },
        )
        .map(|_| ()),
        |e| matches!(e, Error::SizeBudgetExceeded { .. }),
    );
    let logistic = problem::from_spec("logistic").unwrap();
    expect(
        "logistic regression in ℚ",
        trace::run::<Rational>(
            logistic.as_ref(),
            &gd,
            &learning_rate,
            None,
            2,
            &RunOptions::default(),
        )
        .map(|_| ()),
        |e| matches!(e, Error::Unsupported { .. }),
    );
    let fista = OptimizerConfig::from_spec("fista").unwrap();
    expect(
        "FISTA's t-sequence in ℚ",
        trace::run::<Rational>(
            quad.as_ref(),
            &fista,
            &learning_rate,
            None,
            3,
            &RunOptions::default(),
        )
        .map(|_| ()),
        |e| matches!(e, Error::NotRational { .. }),
    );
    let ogm = OptimizerConfig::from_spec("ogm:steps=2").unwrap();
    expect(
        "OGM past its N",
        momentum_oracle::arith::with_mpfr_precision(64, || {
            trace::run::<rug::Float>(
                quad.as_ref(),
                &ogm,
                &learning_rate,
                None,
                3,
                &RunOptions::default(),
            )
            .map(|_| ())
        }),
        |e| matches!(e, Error::InvalidHyperParameter { name: "steps", .. }),
    );
    // Fixtures and traces.
    let fx = fixture::read_json(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/replay/pytorch-momentum.json"),
        "fixture",
    )
    .unwrap();
    let tamper = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = fx.clone();
        f(&mut v);
        check::read_replay(&v).map(|_| ())
    };
    expect(
        "schema version",
        tamper(&|v| v["schema_version"] = "momentum-oracle-fixture/0".into()),
        |e| matches!(e, Error::SchemaVersion { .. }),
    );
    expect("kind", tamper(&|v| v["kind"] = "problem".into()), |e| {
        matches!(e, Error::InvalidDocument { .. })
    });
    expect(
        "\"1/0\" in the exact trace",
        tamper(&|v| v["trace"][3]["exact"]["params"][2] = "1/0".into()),
        |e| matches!(e, Error::InvalidDocument { .. }),
    );
    expect(
        "\"abc\" as bits",
        tamper(&|v| v["trace"][0]["naive"]["params"][0] = "abc".into()),
        |e| matches!(e, Error::InvalidDocument { .. }),
    );
    expect(
        "NaN as an input",
        tamper(&|v| {
            v["gradients"][0][0] = serde_json::json!({"dec": "NaN", "bits": "7ff8000000000000"})
        }),
        |e| matches!(e, Error::NonFinite { .. }),
    );
    expect(
        "decimal disagreeing with bits",
        tamper(&|v| v["initial_params"][0]["dec"] = "0.5".into()),
        |e| matches!(e, Error::InvalidDocument { .. }),
    );
    expect(
        "a gradient too short",
        tamper(&|v| {
            v["gradients"][1].as_array_mut().unwrap().pop();
        }),
        |e| matches!(e, Error::DimensionMismatch { .. }),
    );
    expect(
        "a step missing",
        tamper(&|v| {
            v["trace"].as_array_mut().unwrap().pop();
        }),
        |e| matches!(e, Error::DimensionMismatch { .. }),
    );
    expect(
        "a negative bound",
        tamper(&|v| v["trace"][0]["envelope"]["params"][0] = "-1".into()),
        |e| matches!(e, Error::InvalidDocument { .. }),
    );
    let f = check::read_replay(&fx).unwrap();
    let short = check::ExternalTrace {
        steps: vec![check::ExternalStep {
            params: f.initial_params.clone(),
            state: vec![],
        }],
    };
    expect(
        "trace shorter than its fixture",
        check::check(&f, &short).map(|_| ()),
        |e| matches!(e, Error::DimensionMismatch { .. }),
    );
    let long = check::ExternalTrace {
        steps: vec![short.steps[0].clone(); f.steps.len() + 1],
    };
    expect(
        "trace longer than its fixture",
        check::check(&f, &long).map(|_| ()),
        |e| matches!(e, Error::DimensionMismatch { .. }),
    );
    let wrong_state = check::ExternalTrace {
        steps: f
            .steps
            .iter()
            .map(|s| check::ExternalStep {
                params: s.naive.0.clone(),
                state: vec![("velocity".into(), s.naive.0.clone())],
            })
            .collect(),
    };
    expect(
        "a state the fixture does not have",
        check::check(&f, &wrong_state).map(|_| ()),
        |e| matches!(e, Error::InvalidDocument { .. }),
    );
    expect(
        "trace JSON without steps",
        check::parse_trace_json("[1, 2]").map(|_| ()),
        |e| matches!(e, Error::InvalidDocument { .. }),
    );
    expect(
        "CSV without a k column",
        check::parse_trace_csv("step,param_0\n1,1\n").map(|_| ()),
        |e| matches!(e, Error::InvalidDocument { .. }),
    );
    expect(
        "CSV with a skipped step",
        check::parse_trace_csv("k,param_0\n2,1\n").map(|_| ()),
        |e| matches!(e, Error::InvalidDocument { .. }),
    );
    expect(
        "CSV column out of order",
        check::parse_trace_csv("k,param_1\n1,1\n").map(|_| ()),
        |e| matches!(e, Error::InvalidDocument { .. }),
    );
    expect(
        "hex bits of the wrong length",
        check::parse_trace_json("{\"steps\": [{\"params\": [\"0x3ff\"]}]}").map(|_| ()),
        |e| matches!(e, Error::InvalidDocument { .. }),
    );
    println!("{tried} bad inputs rejected with the expected typed error");
}

#[test]
fn a_one_gigabyte_file_is_refused_before_it_is_read() {
    let dir = crate::common::scratch("huge_file");
    let big = dir.join("big.json");
    // Sparse: no gigabyte is written, but the size the reader sees is 1 GiB.
    std::fs::File::create(&big)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    assert!(
        matches!(fixture::read_json(&big, "fixture"), Err(Error::TooLarge { size, .. }) if size == 1 << 30)
    );
    assert!(matches!(
        check::read_trace(&big),
        Err(Error::TooLarge { .. })
    ));
    let o = crate::common::cli(["check", big.to_str().unwrap(), big.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(err.lines().count(), 1);
    assert!(err.contains("is larger than the limit"), "{err}");
}

#[test]
fn fixture_generation_never_leaves_a_half_written_file() {
    let dir = crate::common::scratch("atomic");
    // `replay` exists as a regular file: the directory cannot be created, generation fails with an
    // I/O error naming the path, and no temporary file is left anywhere.
    std::fs::write(dir.join("replay"), "not a directory").unwrap();
    let o = crate::common::cli(["fixtures", "--out-dir", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.starts_with("error: fixtures:") && err.lines().count() == 1,
        "{err}"
    );
    let leftovers: Vec<_> = walk(&dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // A write that replaces an existing file goes through a rename: a reader sees old or new.
    let target = dir.join("one.json");
    std::fs::write(&target, "old").unwrap();
    fixture::write_atomically(&target, "new").unwrap();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
    let leftovers: Vec<_> = walk(&dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_failed_write_leaves_neither_a_file_nor_a_temporary() {
    let dir = crate::common::scratch("atomic-rename");
    std::fs::create_dir_all(dir.join("taken.svg")).unwrap();
    // The target is a directory: it is never replaced (src/files.rs), and no temporary file is
    // left.
    let e = fixture::write_atomically(&dir.join("taken.svg"), "<svg/>").unwrap_err();
    assert!(matches!(
        e,
        Error::NotRegularFile {
            kind: "a directory",
            ..
        }
    ));
    // A write that fails (its directory cannot be created: the parent is a file) leaves nothing.
    std::fs::write(dir.join("file"), "").unwrap();
    let e = fixture::write_atomically(&dir.join("file/x.svg"), "<svg/>").unwrap_err();
    assert!(matches!(e, Error::Io { .. }));
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "taken.svg" && n != "file")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Every CLI command with bad arguments: exit code 2, exactly one line on stderr that names the
/// argument, nothing on stdout, no panic.
#[test]
fn the_cli_rejects_bad_arguments_with_one_line_and_exit_code_2() {
    let dir = crate::common::scratch("cli_bad");
    let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/replay/pytorch-momentum.json");
    let nan = dir.join("nan.json");
    std::fs::write(&nan, "{\"steps\": [{\"params\": [NaN]}]}").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "trace",
                "--problem",
                "quadratic",
                "--optimizer",
                "gd",
                "--steps",
                "2",
                "--lr",
                "abc",
            ],
            "error: --learning-rate:",
        ),
        (
            vec![
                "trace",
                "--problem",
                "quadratic",
                "--optimizer",
                "gd",
                "--steps",
                "2",
                "--lr",
                "NaN",
            ],
            "error: --learning-rate:",
        ),
        (
            vec![
                "trace",
                "--problem",
                "quadratic",
                "--optimizer",
                "gd",
                "--steps",
                "2",
                "--lr",
                "1e999999999",
            ],
            "error: --learning-rate:",
        ),
        (
            vec![
                "trace",
                "--problem",
                "lower-bound:k=100000",
                "--optimizer",
                "gd",
                "--steps",
                "2",
            ],
            "error: --problem:",
        ),
        (
            vec![
                "trace",
                "--problem",
                "quadratic",
                "--optimizer",
                "pytorch:momentum=9/10,dampening=1/10,nesterov=true",
                "--steps",
                "2",
            ],
            "error: --optimizer:",
        ),
        (
            vec![
                "trace",
                "--problem",
                "quadratic",
                "--optimizer",
                "gd",
                "--steps",
                "2",
                "--x0",
                "1;2;3;4;5",
            ],
            "error: --x0:",
        ),
        (
            vec![
                "trace",
                "--problem",
                "quadratic",
                "--optimizer",
                "gd",
                "--steps",
                "2000000",
            ],
            "error: --steps:",
        ),
        (
            vec![
                "trace",
                "--problem",
                "quadratic",
                "--optimizer",
                "gd",
                "--steps",
                "2",
                "--arith",
                "mpfr:99999999",
            ],
            "error: --arith:",
        ),
        (
            vec![
                "trace",
                "--problem",
                "quadratic",
                "--optimizer",
                "gd",
                "--steps",
                "200",
                "--lr",
                "7",
                "--size-budget",
                "512",
            ],
            "error: trace: exact arithmetic size budget exceeded",
        ),
        (
            vec![
                "trace",
                "--problem",
                "quadratic",
                "--optimizer",
                "gd",
                "--steps",
                "2",
                "--keep-every",
                "0",
            ],
            "error: --keep-every:",
        ),
        (
            vec!["check", fx.to_str().unwrap(), nan.to_str().unwrap()],
            "error: TRACE:",
        ),
        (
            vec![
                "check",
                dir.join("missing").to_str().unwrap(),
                nan.to_str().unwrap(),
            ],
            "error: FIXTURE:",
        ),
        (vec!["report", "--steps", "0"], "error: --steps:"),
    ]
    .into_iter()
    .map(|(a, w)| (a.into_iter().map(String::from).collect(), w))
    .collect();
    for (args, want) in &cases {
        let o = crate::common::cli(args);
        let err = String::from_utf8(o.stderr).unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        // Nothing half-written: either no output, or a whole document (`trace` streams its steps
        // and closes the document with the failure as its outcome).
        if !o.stdout.is_empty() {
            let doc: serde_json::Value = serde_json::from_slice(&o.stdout)
                .unwrap_or_else(|e| panic!("{args:?}: stdout is not one JSON document: {e}"));
            assert_eq!(doc["outcome"]["status"], "failed", "{args:?}");
            let message = doc["outcome"]["error"].as_str().unwrap_or_default();
            assert!(
                !message.is_empty() && err.contains(message),
                "{args:?}: {err}"
            );
        }
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with(want), "{args:?}: {err}");
        assert!(!err.contains("panicked"));
    }
}
