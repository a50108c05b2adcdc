//! Hostile input (issue 18): for every class a careless or hostile user found — inputs that block
//! or never end, work that would not finish, user text that breaks a message into several lines,
//! outputs that must not be replaced — the CLI answers with exit code 2 and exactly one line on
//! stderr, without a panic, a hang or an abort, and leaves what it must not touch as it was.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use momentum_oracle::error::Error;
use momentum_oracle::files;

/// Runs the CLI, killing it past `limit`: a hang is a failure, not a stuck test. Its stdout is
/// discarded (a full pipe that nobody reads would block it); stderr is one line.
fn cli_within(args: &[String], limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_momentum-oracle"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("waitable").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_string()).collect()
}

/// One hostile input per class, each with the start of the one line it must produce.
#[test]
fn every_hostile_class_gets_exit_code_2_and_one_line() {
    let dir = crate::common::scratch("hostile");
    let fifo = dir.join("fifo");
    mkfifo(&fifo);
    let fifo = fifo.to_str().unwrap().to_string();
    let fx = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/replay/pytorch-momentum.json")
        .to_str()
        .unwrap()
        .to_string();
    let svg = dir.join("out.svg").to_str().unwrap().to_string();
    let d = dir.to_str().unwrap().to_string();
    let newline_path = dir.join("no\nsuch.json").to_str().unwrap().to_string();
    // Explicit data one past the dimension limit of drawn data (2049 rows of one column).
    let rows_2049 = format!(
        "least-squares:B={},c={}",
        ["1"; 2049].join("|"),
        ["1"; 2049].join(";")
    );
    let columns_2049 = format!("logistic:A={},y=1", ["1"; 2049].join(";"));
    let trace = |problem: &str, steps: &str, arith: &str| {
        strings(&[
            "trace",
            "--problem",
            problem,
            "--optimizer",
            "pytorch:momentum=9/10",
            "--steps",
            steps,
            "--arith",
            arith,
        ])
    };
    // (class, arguments, start of the line, a part it must contain)
    let cases: Vec<(&str, Vec<String>, &str, &str)> = vec![
        (
            "hang: a FIFO without a writer as a certificate",
            strings(&["certify", "--verify", &fifo]),
            "error: --verify:",
            "a FIFO is not a regular file",
        ),
        (
            "hang: a FIFO without a writer as a fixture",
            strings(&["check", &fifo, &fifo]),
            "error: FIXTURE:",
            "a FIFO is not a regular file",
        ),
        (
            "memory: /dev/zero as a trace",
            strings(&["check", &fx, "/dev/zero"]),
            "error: TRACE:",
            "a character device is not a regular file",
        ),
        (
            "memory: /dev/urandom as a certificate",
            strings(&["certify", "--verify", "/dev/urandom"]),
            "error: --verify:",
            "a character device is not a regular file",
        ),
        (
            "a directory as a certificate",
            strings(&["certify", "--verify", &d]),
            "error: --verify:",
            "a directory is not a regular file",
        ),
        (
            "hang: least squares at the largest dimension",
            trace("least-squares:rows=2048,cols=2048", "1", "f64"),
            "error: trace: estimated work",
            "raise it with --work-budget",
        ),
        (
            "hang: logistic regression at the largest dimension",
            trace("logistic:samples=2048,features=2048", "1", "f64"),
            "error: trace: estimated work",
            "raise it with --work-budget",
        ),
        (
            "hang: explicit least-squares data past the dimension limit",
            trace(&rows_2049, "1", "f64"),
            "error: --problem: invalid hyper-parameter `B rows` = 2049",
            "must be at most 2048",
        ),
        (
            "hang: explicit logistic data past the dimension limit",
            trace(&columns_2049, "1", "f64"),
            "error: --problem: invalid hyper-parameter `A columns` = 2049",
            "must be at most 2048",
        ),
        (
            "hang: MPFR at 2^20 bits",
            trace("quadratic", "100", "mpfr:1048576"),
            "error: trace: estimated work",
            "up to 268435456 bits",
        ),
        (
            "memory: a long exact run at the largest dimension",
            trace("quadratic:dim=2048", "1000", "exact"),
            "error: trace: estimated work",
            "dimension 2048",
        ),
        (
            "memory: a picture at the largest dimension",
            strings(&[
                "plot",
                "rates",
                "--problem",
                "quadratic:dim=2048",
                "--out",
                &svg,
            ]),
            "error: plot: estimated work",
            "raise it with --work-budget",
        ),
        (
            "panic: report steps past usize arithmetic",
            strings(&["report", "--steps", "9223372036854775808"]),
            "error: --steps:",
            "step budget exceeded",
        ),
        (
            "multi-line: a problem name with a newline",
            trace("quad\nratic", "1", "f64"),
            "error: --problem: unknown problem `quad\\nratic`",
            "known:",
        ),
        (
            "multi-line: a parameter key with a newline",
            trace("quadratic:di\nm=3", "1", "f64"),
            "error: --problem:",
            "di\\nm",
        ),
        (
            "multi-line: an arithmetic with a newline",
            trace("quadratic", "1", "f6\n4"),
            "error: --arith: unknown arithmetic `f6\\n4`",
            "known:",
        ),
        (
            "multi-line: a path with a newline",
            strings(&["certify", "--verify", &newline_path]),
            "error: --verify:",
            "no\\nsuch.json",
        ),
        (
            "multi-line: an escape sequence in a problem name",
            trace("\u{1b}[31mred", "1", "f64"),
            "error: --problem: unknown problem `\\u{1b}[31mred`",
            "known:",
        ),
        (
            "outputs: --out a FIFO",
            strings(&["plot", "cycle", "--out", &fifo]),
            "error: --out:",
            "a FIFO is not a regular file; not replaced",
        ),
    ];
    for (class, args, start, part) in &cases {
        let o = cli_within(args, Duration::from_secs(120));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{class}: {err}");
        assert_eq!(err.lines().count(), 1, "{class}: {err:?}");
        assert!(err.starts_with(start), "{class}: {err}");
        assert!(err.contains(part), "{class}: {err}");
        assert!(!err.contains("panicked"), "{class}: {err}");
    }
    // The FIFO is still a FIFO: the refused output replaced nothing.
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    println!("{} hostile inputs refused on one line", cases.len());
}

/// The budget is a flag: the same run goes through with it raised (the refusal is not a fixed
/// limit in disguise).
#[test]
fn work_past_the_budget_runs_when_the_flag_raises_it() {
    let args = |budget: &str| {
        strings(&[
            "trace",
            "--problem",
            "quadratic",
            "--optimizer",
            "gd",
            "--steps",
            "2",
            "--arith",
            "mpfr:65536",
            "--work-budget",
            budget,
        ])
    };
    // Estimate (src/cli/policy/budget.rs, src/problem/shape.rs): building the 4-dimensional quadratic
    // with its 2 drawn reflections, 8·10⁴·4²·3 = 3 840 000, plus 2 steps × (16 + 40) operations
    // × 2¹⁶·16 bits = 117 440 512: 121 280 512.
    let refused = cli_within(&args("121280511"), Duration::from_secs(60));
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("estimated work 1.21e8") && err.contains("past the budget of 1.21e8"),
        "{err}"
    );
    let ran = cli_within(&args("121280512"), Duration::from_secs(300));
    assert_eq!(
        ran.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
}

/// Inputs: a FIFO, a character device and a directory are refused from their metadata by the
/// one reader every command uses; a regular file is read up to its limit and no further.
#[test]
fn the_reader_takes_regular_files_only_and_never_past_its_limit() {
    let dir = crate::common::scratch("hostile-reader");
    let fifo = dir.join("fifo");
    mkfifo(&fifo);
    for (path, kind) in [
        (fifo.as_path(), "a FIFO"),
        (Path::new("/dev/zero"), "a character device"),
        (dir.as_path(), "a directory"),
    ] {
        match files::read_text(path, 1 << 20) {
            Err(Error::NotRegularFile { kind: k, .. }) => assert_eq!(k, kind),
            other => panic!("{}: {other:?}", path.display()),
        }
    }
    let file = dir.join("ten.txt");
    std::fs::write(&file, "0123456789").unwrap();
    assert_eq!(files::read_text(&file, 10).unwrap(), "0123456789");
    assert!(matches!(
        files::read_text(&file, 9),
        Err(Error::TooLarge {
            size: 10,
            limit: 9,
            ..
        })
    ));
    // Outputs: a character device is never a target (checked without writing anything).
    assert!(matches!(
        files::output_target(Path::new("/dev/null")),
        Err(Error::NotRegularFile {
            kind: "a character device",
            ..
        })
    ));
}

/// `--out` through a symbolic link writes its target and keeps the link (README, "Limits").
#[test]
fn an_output_through_a_symbolic_link_replaces_its_target_and_keeps_the_link() {
    let dir = crate::common::scratch("hostile-symlink");
    let target = dir.join("real.svg");
    std::fs::write(&target, "old").unwrap();
    let link = dir.join("link.svg");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let o = cli_within(
        &strings(&["plot", "cycle", "--out", link.to_str().unwrap()]),
        Duration::from_secs(120),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let written = std::fs::read_to_string(&target).unwrap();
    assert!(written.starts_with("<svg"), "{}", &written[..20]);
    assert_eq!(leftovers(&dir), Vec::<PathBuf>::new());
}

fn leftovers(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".tmp") {
            out.push(p.clone());
        }
        if p.is_dir() && !p.is_symlink() {
            out.extend(leftovers(&p));
        }
    }
    out
}

/// A killed `fixtures` run leaves temporary files; the next run removes them, and a run that is
/// killed at any moment leaves every fixture whole (old or new, never half).
#[test]
fn a_killed_fixtures_run_leaves_nothing_after_the_next_run() {
    let dir = crate::common::scratch("hostile-fixtures");
    // What a writer killed between writing and renaming leaves (a process id that is not
    // running: above the kernel's pid_max default of 4194304).
    std::fs::create_dir_all(dir.join("replay")).unwrap();
    std::fs::write(dir.join("replay/.x.json.4999999.tmp"), "half").unwrap();
    std::fs::create_dir_all(dir.join(".fixtures.4999998.tmp/replay")).unwrap();
    std::fs::write(dir.join(".fixtures.4999998.tmp/0.json"), "half").unwrap();
    // A real run killed part-way, at whatever point it has reached.
    let mut child = Command::new(env!("CARGO_BIN_EXE_momentum-oracle"))
        .args(["fixtures", "--out-dir", dir.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let _ = child.kill();
    let _ = child.wait();
    let o = cli_within(
        &strings(&["fixtures", "--out-dir", dir.to_str().unwrap()]),
        Duration::from_secs(300),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(leftovers(&dir), Vec::<PathBuf>::new());
    // Every fixture written is whole JSON.
    let mut whole = 0;
    for sub in ["replay", "problem"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap().flatten() {
            let text = std::fs::read_to_string(e.path()).unwrap();
            serde_json::from_str::<serde_json::Value>(&text)
                .unwrap_or_else(|err| panic!("{}: {err}", e.path().display()));
            whole += 1;
        }
    }
    assert!(whole > 0, "no fixture was written");
}

/// Every `.json` file under `dir` (recursively), relative to `dir`, with its bytes.
fn json_files(dir: &Path, under: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            json_files(&p, under, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            let rel = p.strip_prefix(under).unwrap().to_path_buf();
            out.push((rel, std::fs::read(&p).unwrap()));
        }
    }
}

/// SIGINT or SIGTERM while `fixtures` is writing: the process removes its temporaries (the
/// staging directory and the file being written) and dies of the signal; the fixture set is the
/// old one whole or the new one whole. The old set here is the shipped fixtures with a trailing
/// newline added to every file (still valid JSON, byte-different from what the run writes, which
/// is the shipped set: `fixtures::fixtures_on_disk_are_byte_identical_to_a_fresh_generation`).
#[cfg(unix)]
#[test]
fn an_interrupted_fixtures_run_removes_its_temporaries_and_leaves_the_old_set_or_the_new() {
    use std::os::unix::process::ExitStatusExt;
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for (signal, name) in [(libc::SIGINT, "int"), (libc::SIGTERM, "term")] {
        let dir = crate::common::scratch(&format!("hostile-interrupt-{name}"));
        let mut new = Vec::new();
        for sub in [
            "replay",
            "replay-binary32",
            "replay-binary16",
            "replay-bfloat16",
            "problem",
            "long",
            "schedule",
        ] {
            json_files(&shipped.join(sub), &shipped, &mut new);
        }
        assert!(new.len() > 100, "the shipped set: {} files", new.len());
        for (rel, bytes) in &new {
            let path = dir.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let mut old = bytes.clone();
            old.push(b'\n');
            std::fs::write(path, old).unwrap();
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_momentum-oracle"))
            .args(["fixtures", "--out-dir", dir.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Interrupt as soon as the staging directory holds a file: mid-write.
        let staging = dir.join(format!(".fixtures.{}.tmp", child.id()));
        let start = Instant::now();
        while std::fs::read_dir(&staging).map_or(true, |mut d| d.next().is_none()) {
            assert!(
                child.try_wait().unwrap().is_none(),
                "finished before staging was seen"
            );
            assert!(
                start.elapsed() < Duration::from_secs(300),
                "no staging after 300 s"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        let pid = libc::pid_t::try_from(child.id()).unwrap();
        // SAFETY: signals the child this test started.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(signal), "{status:?}");
        assert_eq!(leftovers(&dir), Vec::<PathBuf>::new());
        let mut now = Vec::new();
        json_files(&dir, &dir, &mut now);
        now.sort();
        new.sort();
        let old: Vec<_> = new
            .iter()
            .map(|(rel, b)| {
                let mut o = b.clone();
                o.push(b'\n');
                (rel.clone(), o)
            })
            .collect();
        assert!(
            now == old || now == new,
            "a mix: {} of {} files are new",
            now.iter().filter(|f| new.contains(f)).count(),
            now.len()
        );
    }
}
