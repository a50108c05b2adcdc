//! The command line: what `list` and `trace` print, and how bad arguments fail.

use std::process::Output;

use momentum_oracle::optim::{OptimizerConfig, schedule};
use momentum_oracle::problem;

fn run(args: &[&str]) -> Output {
    crate::common::cli(args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn list_names_every_problem_optimizer_and_schedule() {
    let o = run(&["list"]);
    assert!(o.status.success());
    let text = stdout(&o);
    let names = problem::catalogue()
        .into_iter()
        .chain(OptimizerConfig::catalogue())
        .chain(schedule::CATALOGUE.iter().copied())
        .map(|e| e.name);
    for name in names {
        assert!(
            text.lines().any(|l| l.trim_start().starts_with(name)),
            "{name} missing from list"
        );
    }
}

#[test]
fn trace_prints_exact_json_with_p_over_q_numbers() {
    let o = run(&[
        "trace",
        "--problem",
        "quadratic:dim=2,seed=1",
        "--optimizer",
        "pytorch:momentum=1/2",
        "--lr",
        "1/3",
        "--steps",
        "3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["arithmetic"], "exact");
    assert_eq!(v["steps"].as_array().unwrap().len(), 3);
    let x = v["steps"][2]["iterate"][0].as_str().unwrap();
    let (p, q) = x.split_once('/').unwrap();
    assert!(
        p.parse::<i128>().is_ok() && q.parse::<u128>().is_ok(),
        "{x}"
    );
    assert_eq!(v["steps"][0]["lr"], "1/3");
    assert!(v["steps"][1]["state"]["momentum_buffer"].is_array());
}

#[test]
fn trace_in_f64_prints_decimals_and_bits() {
    let o = run(&[
        "trace",
        "--problem",
        "quadratic",
        "--optimizer",
        "gd",
        "--steps",
        "1",
        "--arith",
        "f64-fused",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let x = &v["steps"][0]["iterate"][0];
    let bits = u64::from_str_radix(x["bits"].as_str().unwrap(), 16).unwrap();
    let dec: f64 = x["dec"].as_str().unwrap().parse().unwrap();
    assert_eq!(dec.to_bits(), bits, "the decimal reads back as the bits");
}

#[test]
fn every_catalogue_entry_traces_in_some_arithmetic() {
    // Each optimizer with its default parameters on the default quadratic, exactly where it is
    // rational and in MPFR otherwise; each problem with GD.
    for e in OptimizerConfig::catalogue() {
        // The parameters these entries require (see `list`).
        let spec = match e.name {
            "ogm" => "ogm:steps=2".to_string(),
            "nag" | "nag-pc" | "heavy-ball" => format!("{}:momentum=1/2", e.name),
            name => name.to_string(),
        };
        let exact = run(&[
            "trace",
            "--problem",
            "quadratic",
            "--optimizer",
            &spec,
            "--steps",
            "2",
        ]);
        let ok = exact.status.success()
            || run(&[
                "trace",
                "--problem",
                "quadratic",
                "--optimizer",
                &spec,
                "--steps",
                "2",
                "--arith",
                "mpfr:128",
            ])
            .status
            .success();
        assert!(ok, "{spec}: {}", stderr(&exact));
    }
    for e in problem::catalogue() {
        let arith = if e.name == "logistic" {
            "mpfr:128"
        } else {
            "exact"
        };
        let o = run(&[
            "trace",
            "--problem",
            e.name,
            "--optimizer",
            "gd",
            "--steps",
            "2",
            "--arith",
            arith,
        ]);
        assert!(o.status.success(), "{}: {}", e.name, stderr(&o));
    }
}

/// A bad argument: exit code 2 and one line on stderr naming the argument.
fn assert_bad(args: &[&str], names: &str) {
    let o = run(args);
    assert_eq!(o.status.code(), Some(2), "{args:?}");
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.starts_with(&format!("error: {names}")), "{err:?}");
    assert!(!err.contains("panicked"));
}

#[test]
fn bad_arguments_get_one_line_naming_the_argument_and_exit_code_2() {
    let base = ["trace", "--steps", "2"];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        base.iter().copied().chain(extra.iter().copied()).collect()
    };
    assert_bad(
        &with(&["--problem", "nope", "--optimizer", "gd"]),
        "--problem",
    );
    assert_bad(
        &with(&["--problem", "quadratic:dim=x", "--optimizer", "gd"]),
        "--problem",
    );
    assert_bad(
        &with(&[
            "--problem",
            "quadratic",
            "--optimizer",
            "pytorch:nesterov=true",
        ]),
        "--optimizer",
    );
    assert_bad(
        &with(&["--problem", "quadratic", "--optimizer", "gd", "--lr", "1/0"]),
        "--learning-rate",
    );
    assert_bad(
        &with(&[
            "--problem",
            "quadratic",
            "--optimizer",
            "gd",
            "--learning-rate",
            "-1",
        ]),
        "--learning-rate",
    );
    assert_bad(
        &with(&["--problem", "quadratic", "--optimizer", "nag"]),
        "--optimizer",
    );
    assert_bad(
        &with(&[
            "--problem",
            "quadratic",
            "--optimizer",
            "gd",
            "--arith",
            "f32",
        ]),
        "--arith",
    );
    assert_bad(
        &with(&[
            "--problem",
            "quadratic",
            "--optimizer",
            "gd",
            "--arith",
            "mpfr:1",
        ]),
        "--arith",
    );
    assert_bad(
        &with(&["--problem", "quadratic", "--optimizer", "gd", "--x0", "1;2"]),
        "--x0",
    );
    assert_bad(
        &with(&[
            "--problem",
            "quadratic",
            "--optimizer",
            "gd",
            "--schedule",
            "step:lr=1,every=0",
        ]),
        "--schedule",
    );
    assert_bad(
        &with(&["--problem", "logistic", "--optimizer", "gd"]),
        "trace",
    );
    assert_bad(
        &with(&["--problem", "quadratic", "--optimizer", "fista"]),
        "trace",
    );
    // clap's own usage errors: one line too, naming what is wrong.
    for (args, names) in [
        (&["trace", "--problem", "quadratic"][..], "--optimizer"),
        (
            &["trace", "--problem", "quadratic", "--optimizer", "gd"][..],
            "--steps",
        ),
        (
            &[
                "trace",
                "--problem",
                "quadratic",
                "--optimizer",
                "gd",
                "--steps",
                "x",
            ][..],
            "'x'",
        ),
        (
            &with(&[
                "--problem",
                "quadratic",
                "--optimizer",
                "gd",
                "--lr",
                "1/10",
                "--schedule",
                "constant:lr=1",
            ])[..],
            "--schedule",
        ),
        (&["bogus"][..], "'bogus'"),
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "one line: {err:?}");
        assert!(err.starts_with("error: ") && err.contains(names), "{err:?}");
    }
}
