//! The `momentum-oracle` command line: `list`, `trace` (or `trace --compare`), `report`,
//! `fixtures`, `check`, `certify`, `plot`.
//!
//! Every bad argument is reported on one line naming the argument, with exit code 2; nothing
//! panics on user input.

use std::io::Write;
#[cfg(feature = "plot")]
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use momentum_oracle::arith::text as rational;
use momentum_oracle::cli::policy::budget;
use momentum_oracle::cli::{Arithmetic, CompareRequest, RunRequest, StreamRequest, policy};
use momentum_oracle::error::Error;
use momentum_oracle::files::shown;
use momentum_oracle::optim::{OptimizerConfig, Schedule, schedule};
use momentum_oracle::spec::EntryInfo;
use momentum_oracle::trace::{ExactForm, RunOptions};
use momentum_oracle::{fixture, problem};

#[derive(Parser)]
#[command(
    name = "momentum-oracle",
    version,
    about = "Correctness oracle for first-order optimizers with momentum"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Largest estimated work (bit operations) a command may start; past it the command refuses
    /// with the estimate (README, "Limits").
    #[arg(long, global = true, default_value_t = budget::DEFAULT_WORK_BUDGET)]
    work_budget: u64,
}

#[derive(Subcommand)]
enum Command {
    /// Print every problem family, optimizer, schedule and arithmetic with its parameters.
    List,
    /// Run one optimizer on one problem and print the trace as JSON.
    Trace {
        /// Problem spec, e.g. `quadratic:dim=4,L=1,m=1/10,seed=3`.
        #[arg(long)]
        problem: String,
        /// Optimizer spec, e.g. `pytorch:momentum=9/10,nesterov=true`.
        #[arg(long)]
        optimizer: String,
        /// Schedule spec, e.g. `step:lr=1/10,factor=1/2,every=5` (default: constant --lr).
        #[arg(long, conflicts_with = "learning_rate")]
        schedule: Option<String>,
        /// Constant learning rate γ as an exact number (default 1/L of the problem, else 1/1000).
        #[arg(
            long = "learning-rate",
            visible_alias = "lr",
            allow_hyphen_values = true
        )]
        learning_rate: Option<String>,
        /// Number of steps.
        #[arg(long)]
        steps: usize,
        /// exact, f64-naive, f64-fused, mpfr:BITS, mpfr-fused:BITS, bound-naive, bound-fused,
        /// bound-mpfr:BITS, bound-mpfr-fused:BITS.
        #[arg(long, default_value = "exact")]
        arith: String,
        /// Initial point as a `;`-separated list of exact numbers (default: the problem's own).
        #[arg(long, allow_hyphen_values = true)]
        x0: Option<String>,
        /// Largest number of bits an exact entry may need before the run stops.
        #[arg(long, default_value_t = RunOptions::default().size_budget_bits)]
        size_budget: u64,
        /// Largest number of steps accepted.
        #[arg(long, default_value_t = RunOptions::default().step_budget)]
        step_budget: usize,
        /// Record every N-th step (and the last).
        #[arg(long, default_value_t = 1)]
        keep_every: usize,
        /// A second optimizer spec: run both on the same problem, schedule and arithmetic and
        /// print their step-by-step difference instead of a trace (with the closed-form
        /// prediction when the pair is PyTorch against uncorrected Sutskever/Keras).
        #[arg(long)]
        compare: Option<String>,
        /// How exact vectors are written: `decimal` (every entry "p/q" in lowest terms, the
        /// default) or `shared-hex` (integer numerators over the vector's shared denominator, in
        /// hexadecimal: much faster for long exact runs; fixtures/README.md).
        #[arg(long, default_value = "decimal", conflicts_with = "compare")]
        exact_form: String,
    },
    /// Run the catalogue and print a summary table (the main job).
    Report {
        /// Steps per run.
        #[arg(long, default_value_t = policy::REPORT_STEPS)]
        steps: usize,
    },
    /// Regenerate every fixture (byte-identical on every run and machine).
    Fixtures {
        /// Where to write them.
        #[arg(long, default_value = "fixtures")]
        out_dir: std::path::PathBuf,
    },
    /// Check another implementation's trace against a replay fixture: exit 0 if it conforms
    /// (bit-exact, or within the error envelope of the exact trace), 1 if not, 2 on bad input.
    Check {
        /// The replay fixture (JSON).
        fixture: std::path::PathBuf,
        /// The implementation's trace: JSON `{"steps": [{"params": [...]}, ...]}` or CSV
        /// (`k,param_0,...`).
        trace: std::path::PathBuf,
    },
    /// Worst-case certificates (PEP): `--verify FILE` re-checks a certificate exactly in ℚ from
    /// the method's coefficients alone; exit 0 if it proves its bound, 1 if not, 2 on bad input.
    /// `--table` verifies the shipped certificates under --dir and prints certified worst cases
    /// against N next to the classical bounds (with --svg FILE, also as a picture).
    Certify {
        /// The certificate (JSON, fixtures/pep/schema.json).
        #[arg(long, required_unless_present = "table", conflicts_with = "table")]
        verify: Option<PathBuf>,
        /// Print the table of certified bounds against N.
        #[arg(long)]
        table: bool,
        /// The certificate directory the table reads.
        #[arg(long, default_value = "fixtures/pep", requires = "table")]
        dir: PathBuf,
        /// Also draw the table as SVG into this file.
        #[arg(long, requires = "table")]
        svg: Option<PathBuf>,
    },
    /// Draw a picture as SVG: rates, ravine, stability, schedule, cycle, or all (into --out-dir).
    #[cfg(feature = "plot")]
    Plot {
        /// rates, ravine, stability, schedule, cycle, or all.
        kind: String,
        /// The SVG file to write (every KIND but all).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The directory that `plot all` writes KIND.svg into (created if missing).
        #[arg(long)]
        out_dir: Option<PathBuf>,
        /// Problem spec replacing the picture's own (rates, ravine, schedule).
        #[arg(long)]
        problem: Option<String>,
        /// Number of steps (every KIND but stability).
        #[arg(long)]
        steps: Option<usize>,
    },
}

/// clap's own errors (a missing, unknown or malformed argument) on one line, exit code 2: clap
/// prints the error, then a tip and the usage on further lines; only the error's first paragraph
/// is kept, its lines joined. Help and version requests print as clap renders them.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit()
    }
    let text = e.to_string();
    let line = text
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    eprintln!("{line}");
    ExitCode::from(2)
}

/// A failure attributed to one argument: printed as `error: ARG: message`, exit code 2.
struct ArgError {
    arg: &'static str,
    error: Error,
}

fn at(arg: &'static str) -> impl Fn(Error) -> ArgError {
    move |error| ArgError { arg, error }
}

fn main() -> ExitCode {
    // First, before any thread starts: temporaries are removed on SIGINT and SIGTERM.
    if let Err(e) = momentum_oracle::files::clean_up_on_interrupt() {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let mut out = String::new();
    let work_budget = cli.work_budget;
    let result = match cli.command {
        Command::List => {
            list(&mut out);
            Ok(())
        }
        Command::Trace {
            problem,
            optimizer,
            schedule,
            learning_rate,
            steps,
            arith,
            x0,
            size_budget,
            step_budget,
            keep_every,
            compare,
            exact_form,
        } => trace(TraceArgs {
            problem,
            optimizer,
            schedule,
            learning_rate,
            steps,
            arith,
            x0,
            compare,
            exact_form,
            work_budget,
            options: RunOptions {
                size_budget_bits: size_budget,
                step_budget,
                keep_every,
                ..RunOptions::default()
            },
        }),
        Command::Report { steps } => policy::check_steps(steps, RunOptions::default().step_budget)
            .map_err(at("--steps"))
            .and_then(|()| {
                momentum_oracle::cli::report::estimate(steps)
                    .and_then(|e| e.check(work_budget))
                    .map_err(at("report"))
            })
            .and_then(|()| {
                momentum_oracle::cli::report::run(steps)
                    .map(|table| out.push_str(&table))
                    .map_err(at("report"))
            }),
        Command::Fixtures { out_dir } => fixture::generate_all(&out_dir)
            .map(|paths| {
                out.push_str(&format!(
                    "wrote {} fixtures under {}\n",
                    paths.len(),
                    shown(&out_dir)
                ))
            })
            .map_err(at("fixtures")),
        Command::Check { fixture: f, trace } => match check(&f, &trace) {
            Ok((text, passed)) => {
                let code = emit(&(text + "\n"));
                return if passed { code } else { ExitCode::from(1) };
            }
            Err(e) => Err(e),
        },
        Command::Certify {
            verify,
            table,
            dir,
            svg,
        } => {
            return match verify {
                Some(path) if !table => certify(&path, work_budget),
                _ => certify_table(&dir, svg.as_deref()),
            };
        }
        #[cfg(feature = "plot")]
        Command::Plot {
            kind,
            out: file,
            out_dir,
            problem,
            steps,
        } => plot(
            &mut out,
            PlotArgs {
                kind,
                out: file,
                out_dir,
                problem,
                steps,
                work_budget,
            },
        ),
    };
    match result {
        Ok(()) => emit(&out),
        Err(ArgError { arg, error }) => {
            // `Error`'s text escapes what users wrote; escaping the whole line again keeps it one
            // line whatever an error's text holds.
            eprintln!(
                "error: {arg}: {}",
                momentum_oracle::error::escaped(&error.to_string())
            );
            ExitCode::from(2)
        }
    }
}

/// `certify --verify FILE`: one line saying what was proved (exit 0), or which obligation fails
/// (exit 1); unreadable or malformed files are bad input (exit 2).
fn certify(path: &std::path::Path, work_budget: u64) -> ExitCode {
    use momentum_oracle::theory::pep::{format, verify};
    let parsed = match format::read_file(path) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: --verify: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = budget::certificate(&parsed).check(work_budget) {
        eprintln!("error: certify: {e}");
        return ExitCode::from(2);
    }
    match verify::verify(&parsed) {
        Ok(v) => emit(&format!(
            "verified: {} ({}), N = {}, {:?}: {} at p_N ≤ {} (at L = R = 1), {} multipliers, \
             slack PSD by {:?}\n",
            shown(path),
            momentum_oracle::error::escaped(&parsed.description),
            v.steps,
            parsed.class,
            format::measure_name(parsed.measure),
            rational::format(&v.bound),
            v.multipliers,
            v.psd
        )),
        Err(e @ Error::CertificateRejected { .. }) => {
            eprintln!("rejected: {}: {e}", shown(path));
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: --verify: {e}");
            ExitCode::from(2)
        }
    }
}

/// `certify --table`: every certificate of the table verified, then the Markdown table (exit 0);
/// a rejected certificate exits 1, a missing or malformed one 2.
fn certify_table(dir: &std::path::Path, svg: Option<&std::path::Path>) -> ExitCode {
    use momentum_oracle::theory::pep::table;
    let rows = match table::rows(dir) {
        Ok(rows) => rows,
        Err(e @ Error::CertificateRejected { .. }) => {
            eprintln!("rejected: {e}");
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("error: --table: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(path) = svg {
        #[cfg(feature = "plot")]
        {
            let written = momentum_oracle::plot::certified::certified(&rows)
                .and_then(|text| momentum_oracle::fixture::write_atomically(path, &text));
            if let Err(e) = written {
                eprintln!("error: --svg: {e}");
                return ExitCode::from(2);
            }
        }
        #[cfg(not(feature = "plot"))]
        {
            eprintln!(
                "error: --svg {}: this build has no pictures (feature `plot`)",
                path.display()
            );
            return ExitCode::from(2);
        }
    }
    emit(&table::markdown(&rows))
}

/// Writes to stdout; a closed pipe (`| head`) is a normal end, not a panic.
fn emit(text: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: stdout: {e}");
            ExitCode::from(2)
        }
    }
}

fn section(out: &mut String, title: &str, entries: &[EntryInfo]) {
    out.push_str(&format!("{title}\n"));
    for e in entries {
        out.push_str(&format!("  {:<16} {}\n", e.name, e.summary));
        for p in e.params {
            out.push_str(&format!("      {:<14} {}\n", p.key, p.help));
        }
    }
    out.push('\n');
}

fn list(out: &mut String) {
    section(
        out,
        "PROBLEMS (--problem NAME:key=value,...)",
        &problem::catalogue(),
    );
    section(
        out,
        "OPTIMIZERS (--optimizer NAME:key=value,...)",
        &OptimizerConfig::catalogue(),
    );
    section(
        out,
        "SCHEDULES (--schedule NAME:key=value,...)",
        schedule::CATALOGUE,
    );
    out.push_str(&format!("ARITHMETICS (--arith)\n  {}\n", Arithmetic::NAMES));
}

/// Reads both files and checks; bad input is attributed to the file it came from.
fn check(
    fixture_path: &std::path::Path,
    trace_path: &std::path::Path,
) -> Result<(String, bool), ArgError> {
    let doc = fixture::read_json(fixture_path, "fixture").map_err(at("FIXTURE"))?;
    if doc.get("kind").and_then(|k| k.as_str()) == Some(fixture::lowprec::KIND) {
        let f = fixture::lowprec::read(&doc).map_err(at("FIXTURE"))?;
        let t = fixture::check::read_trace(trace_path).map_err(at("TRACE"))?;
        let r = fixture::diagnose::check_format(&f, &t).map_err(at("TRACE"))?;
        return Ok((r.render(), r.passed()));
    }
    let f = fixture::check::read_replay(&doc).map_err(at("FIXTURE"))?;
    // A fixture that contradicts its own inputs would judge the trace by a wrong standard.
    fixture::check::validate(&f).map_err(at("FIXTURE"))?;
    // Streamed: one step of the trace in memory at a time.
    let report = fixture::check::check_file(&f, trace_path).map_err(at("TRACE"))?;
    if matches!(report.verdict, fixture::check::Verdict::BitExact(_)) {
        return Ok((report.render(), report.passed()));
    }
    // Not bit-exact with the stored models: which kernel model explains it (best effort: a
    // trace that cannot be read whole or a convention without kernel models gets none)?
    let explained = fixture::check::read_trace(trace_path)
        .ok()
        .and_then(|t| fixture::diagnose::explain_binary64(&f, &t).ok().flatten());
    Ok(match explained {
        Some(e) if e.accepted => (
            format!("{}: PASS bit-exact: {}", f.name, e.model.describe()),
            true,
        ),
        Some(e) => (
            format!("{}\ndiagnosis: {}", report.render(), e.sentence()),
            false,
        ),
        None => (report.render(), report.passed()),
    })
}

struct TraceArgs {
    problem: String,
    optimizer: String,
    schedule: Option<String>,
    learning_rate: Option<String>,
    steps: usize,
    arith: String,
    x0: Option<String>,
    compare: Option<String>,
    exact_form: String,
    work_budget: u64,
    options: RunOptions,
}

fn trace(a: TraceArgs) -> Result<(), ArgError> {
    // Everything that is cheap to check goes before the problem is built, and the work is
    // estimated from the spec before anything is built or run.
    let arith = Arithmetic::parse(&a.arith).map_err(at("--arith"))?;
    let form = ExactForm::parse(&a.exact_form).map_err(at("--exact-form"))?;
    policy::check_steps(a.steps, a.options.step_budget).map_err(at("--steps"))?;
    let runs = if a.compare.is_some() { 2 } else { 1 };
    budget::runs(&a.problem, arith, a.steps, runs, a.options.size_budget_bits)
        .map_err(at("--problem"))?
        .check(a.work_budget)
        .map_err(at("trace"))?;
    let problem = problem::from_spec(&a.problem).map_err(at("--problem"))?;
    let optimizer = OptimizerConfig::from_spec(&a.optimizer).map_err(at("--optimizer"))?;
    let other = a
        .compare
        .as_deref()
        .map(OptimizerConfig::from_spec)
        .transpose()
        .map_err(at("--compare"))?;
    let schedule = match (&a.schedule, &a.learning_rate) {
        (Some(s), _) => Schedule::from_spec(s).map_err(at("--schedule"))?,
        (None, Some(learning_rate)) => {
            let s =
                Schedule::constant(rational::parse(learning_rate).map_err(at("--learning-rate"))?);
            s.validate().map_err(at("--learning-rate"))?;
            s
        }
        (None, None) => policy::default_schedule(problem.as_ref()),
    };
    let x0 = match &a.x0 {
        None => None,
        Some(text) => {
            let v = momentum_oracle::spec::parse_list(text).map_err(at("--x0"))?;
            if v.len() != problem.dim() {
                return Err(ArgError {
                    arg: "--x0",
                    error: Error::dims("initial point", problem.dim(), v.len()),
                });
            }
            Some(v)
        }
    };
    if a.options.keep_every == 0 {
        return Err(ArgError {
            arg: "--keep-every",
            error: Error::hyper("keep_every", 0, "must be at least 1"),
        });
    }
    let request = RunRequest {
        problem: problem.as_ref(),
        optimizer: &optimizer,
        schedule: &schedule,
        x0: x0.as_deref(),
        steps: a.steps,
        options: a.options,
    };
    // Streamed: each step (or compared step) is written as it is computed, so memory does not
    // grow with --steps.
    let mut stdout = PipeAware::new(std::io::BufWriter::new(std::io::stdout().lock()));
    let result = match &other {
        None => arith.dispatch(StreamRequest {
            run: request,
            out: &mut stdout,
            form,
        }),
        Some(other) => arith.dispatch(CompareRequest {
            run: request,
            other,
            out: &mut stdout,
        }),
    };
    // A reader that stops reading (`| head`) ends the run normally.
    match result {
        Err(_) if stdout.closed => Ok(()),
        other => other.map_err(at("trace")),
    }
}

/// A writer that remembers whether its reader went away (a broken pipe), so that the end of a
/// pipe is told apart from a real write error.
struct PipeAware<W: Write> {
    inner: W,
    closed: bool,
}

impl<W: Write> PipeAware<W> {
    fn new(inner: W) -> Self {
        PipeAware {
            inner,
            closed: false,
        }
    }
    fn note<T>(&mut self, r: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &r {
            self.closed |= e.kind() == std::io::ErrorKind::BrokenPipe;
        }
        r
    }
}

impl<W: Write> Write for PipeAware<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let r = self.inner.write(buf);
        self.note(r)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        let r = self.inner.flush();
        self.note(r)
    }
}

#[cfg(feature = "plot")]
struct PlotArgs {
    kind: String,
    out: Option<PathBuf>,
    out_dir: Option<PathBuf>,
    problem: Option<String>,
    steps: Option<usize>,
    work_budget: u64,
}

#[cfg(feature = "plot")]
fn plot(out: &mut String, a: PlotArgs) -> Result<(), ArgError> {
    use momentum_oracle::plot::{self, Kind, PlotOptions};
    // Combinations of arguments that `plot` does not take: one line naming the argument.
    let refuse = |arg: &'static str, reason: &str| ArgError {
        arg,
        error: Error::unsupported(reason),
    };
    if a.kind.trim() == "all" {
        if let Some(p) = &a.problem {
            return Err(refuse(
                "--problem",
                &format!(
                    "`plot all` draws each picture on its own problem (got {p}); give one KIND"
                ),
            ));
        }
        if let Some(s) = a.steps {
            return Err(refuse(
                "--steps",
                &format!(
                    "`plot all` draws each picture with its own number of steps (got {s}); give one KIND"
                ),
            ));
        }
        if let Some(f) = &a.out {
            return Err(refuse(
                "--out",
                &format!(
                    "`plot all` writes several files, not {}: use --out-dir DIR",
                    f.display()
                ),
            ));
        }
        let Some(dir) = a.out_dir else {
            return Err(refuse("--out-dir", "`plot all` needs --out-dir DIR"));
        };
        for path in plot::write_all(&dir).map_err(at("plot"))? {
            out.push_str(&format!("wrote {}\n", shown(&path)));
        }
        return Ok(());
    }
    let kind = Kind::parse(&a.kind).map_err(at("KIND"))?;
    if let Some(d) = &a.out_dir {
        return Err(refuse(
            "--out-dir",
            &format!(
                "only `plot all` writes a directory ({}): use --out FILE.svg",
                d.display()
            ),
        ));
    }
    let Some(path) = a.out else {
        return Err(refuse(
            "--out",
            "give the SVG file to write: --out FILE.svg",
        ));
    };
    let options = PlotOptions {
        problem: a.problem,
        steps: a.steps,
    };
    // The work first, from the spec alone: a picture at the largest dimension is refused before
    // anything is built (its exact runs keep every step).
    if kind.takes_steps() {
        let steps = options.steps.unwrap_or_else(|| kind.default_steps());
        budget::runs(
            options.problem.as_deref().unwrap_or("quadratic"),
            Arithmetic::Exact,
            steps,
            plot::RUNS_PER_PICTURE,
            plot::PLOT_SIZE_BUDGET_BITS,
        )
        .map_err(at("--problem"))?
        .check(a.work_budget)
        .map_err(at("plot"))?;
    }
    // A bad problem spec is the --problem argument's fault, not the picture's.
    if let (Some(p), true) = (&options.problem, kind.takes_problem()) {
        problem::from_spec(p).map_err(at("--problem"))?;
    }
    let svg = plot::render(kind, &options).map_err(|error| {
        let arg = match &error {
            Error::InvalidHyperParameter {
                name: "problem", ..
            } => "--problem",
            Error::InvalidHyperParameter { name: "steps", .. } => "--steps",
            _ => "plot",
        };
        ArgError { arg, error }
    })?;
    fixture::write_atomically(&path, &svg).map_err(at("--out"))?;
    out.push_str(&format!("wrote {}\n", shown(&path)));
    Ok(())
}
