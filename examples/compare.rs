//! The Rust side of `bench/compare`: exports the benchmark instance and times the Rust runs.
//!
//! ```text
//! compare export --dim 50 --seed 3 --steps 1000 --out FILE   # data + exact final iterates, JSON
//! compare exact --optimizer heavy-ball|nag --dim 50 --seed 3 --steps 1000   # {"seconds": ..}
//! compare f64 --dim 1000000 --passes 20                      # copy loop and update kernels
//! compare f64-trace --dim 1000000 --steps 10     # the f64 runner per step vs the fused kernel
//! compare trace --problem quadratic:dim=50,seed=6 --optimizer heavy-ball:momentum=9/10 \
//!     --schedule constant:lr=1/8 --arith exact --steps 400 --keep-every 1 \
//!     [--exact-form shared-hex] [--serial]                     # the `trace` command
//! ```
//!
//! `--serial` keeps the run and its gaps on one thread (`RunOptions::parallel_gap_bits = None`);
//! by default an exact run hands its large gaps to a second thread, and `bench/compare` reports
//! both.
//!
//! `compare trace` is the CLI's `trace` in-process: the same run and the same streamed JSON
//! writer ([`StreamRequest`]), its document written to a sink (`/dev/null`'s cost, no terminal),
//! timed from the run's start (the problem built) to the document's last byte. `--keep-every` equal to
//! `--steps` records only the last step: that run is the engine's time for the same run, so the
//! ratio of the two is what recording every step costs.
//!
//! Each timing covers the work only (the k-step run, or the passes over the arrays), not process
//! start-up or instance construction, as the Python baselines time theirs. `bench/compare` runs
//! these commands interleaved with the baselines and reports ratios.

use std::time::Instant;

use momentum_oracle::arith::Rounding;
use momentum_oracle::arith::linalg::{Vector, momentum_update_f64};
use momentum_oracle::arith::text::format;
use momentum_oracle::benchmark::{self, dominant_quadratic, exact_final_iterate};
use momentum_oracle::cli::{Arithmetic, RunRequest, StreamRequest};
use momentum_oracle::optim::heavy_ball::HeavyBall;
use momentum_oracle::optim::nag::Nag;
use momentum_oracle::optim::{OptimizerConfig, Schedule};
use momentum_oracle::trace::{ExactForm, RunOptions};
use rug::Rational;
use serde_json::json;

fn arg(args: &[String], key: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == key)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

fn num<T: std::str::FromStr>(args: &[String], key: &str, default: &str) -> T {
    arg(args, key, default)
        .parse()
        .unwrap_or_else(|_| panic!("{key}: expected a number"))
}

/// The benchmark's hyper-parameters: lr 1/8, μ 9/10 (docs/design.md, "Scalars").
fn hyper() -> (Rational, Rational) {
    (Rational::from((1, 8)), Rational::from((9, 10)))
}

fn run_exact(name: &str, dim: usize, seed: u64, steps: usize) -> Vec<Rational> {
    let (form, x0) = dominant_quadratic(dim, seed);
    let (learning_rate, mu) = hyper();
    match name {
        "heavy-ball" => exact_final_iterate(
            &HeavyBall::new(mu).unwrap(),
            &form,
            &x0,
            &learning_rate,
            steps,
        ),
        "nag" => exact_final_iterate(&Nag::new(mu).unwrap(), &form, &x0, &learning_rate, steps),
        other => panic!("unknown optimizer {other}"),
    }
    .expect("run")
}

fn export(args: &[String]) {
    let dim: usize = num(args, "--dim", "50");
    let seed: u64 = num(args, "--seed", "3");
    let steps: usize = num(args, "--steps", "1000");
    let out = arg(args, "--out", "bench-data.json");
    let (form, x0) = dominant_quadratic(dim, seed);
    let (learning_rate, mu) = hyper();
    let fmt = |v: &[Rational]| v.iter().map(format).collect::<Vec<_>>();
    let mut finals = serde_json::Map::new();
    for name in ["heavy-ball", "nag"] {
        let x = run_exact(name, dim, seed, steps);
        let (num_bits, den_bits) = benchmark::common_denominator_bits(&x);
        finals.insert(
            name.to_string(),
            json!({ "final": fmt(&x), "numerator_bits": num_bits, "denominator_bits": den_bits }),
        );
    }
    let data = json!({
        "instance": format!("benchmark::dominant_quadratic(dim={dim}, seed={seed})"),
        "dim": dim,
        "seed": seed,
        "steps": steps,
        "learning_rate": format(&learning_rate),
        "momentum": format(&mu),
        "hessian": form.hessian().to_dense().iter().map(|r| fmt(r)).collect::<Vec<_>>(),
        "minimizer": fmt(form.minimizer()),
        "x0": fmt(&x0),
        "results": finals,
    });
    std::fs::write(&out, serde_json::to_string(&data).unwrap()).expect("write export");
    println!("{}", json!({ "written": out }));
}

fn time_exact(args: &[String]) {
    let dim: usize = num(args, "--dim", "50");
    let seed: u64 = num(args, "--seed", "3");
    let steps: usize = num(args, "--steps", "1000");
    let name = arg(args, "--optimizer", "heavy-ball");
    let (form, x0) = dominant_quadratic(dim, seed);
    let (learning_rate, mu) = hyper();
    let start = Instant::now();
    let x = match name.as_str() {
        "heavy-ball" => exact_final_iterate(
            &HeavyBall::new(mu).unwrap(),
            &form,
            &x0,
            &learning_rate,
            steps,
        ),
        "nag" => exact_final_iterate(&Nag::new(mu).unwrap(), &form, &x0, &learning_rate, steps),
        other => panic!("unknown optimizer {other}"),
    }
    .expect("run");
    let seconds = start.elapsed().as_secs_f64();
    std::hint::black_box(&x);
    println!("{}", json!({ "seconds": seconds }));
}

/// Times the f64 loops on `dim` elements: each figure is the best of `passes` single passes.
fn time_f64(args: &[String]) {
    let dim: usize = num(args, "--dim", "1000000");
    let passes: usize = num(args, "--passes", "20");
    // Values that stay finite and normal under repetition (|μ| < 1 keeps the buffer bounded).
    let g: Vec<f64> = (0..dim).map(|i| ((i % 97) as f64 - 48.0) / 64.0).collect();
    let mut theta: Vec<f64> = (0..dim).map(|i| ((i % 89) as f64) / 8.0).collect();
    let mut buf = g.clone();
    let mut dst = vec![0.0; dim];
    let (mu, c, a) = (0.9, 1.0, -0.125);
    let best = |f: &mut dyn FnMut()| {
        let mut t = f64::INFINITY;
        for _ in 0..passes {
            let s = Instant::now();
            f();
            t = t.min(s.elapsed().as_secs_f64());
        }
        t
    };
    let copy = best(&mut || benchmark::copy_loop(&mut dst, &theta));
    let mut kernel = |r: Rounding| {
        best(&mut || {
            momentum_update_f64(&mut theta, &mut buf, &g, [mu, c, a], r);
            std::hint::black_box(&theta);
        })
    };
    let fused = kernel(Rounding::Fused);
    let naive = kernel(Rounding::Naive);
    // The same update as three trait calls (three passes), what the optimizer did before the
    // fused kernel: scale, axpy, axpy.
    let mut passes3 = |r: Rounding| {
        best(&mut || {
            buf.scale(&mu);
            buf.axpy(&c, &g, r);
            theta.axpy(&a, &buf, r);
            std::hint::black_box(&theta);
        })
    };
    let three_fused = passes3(Rounding::Fused);
    let three_naive = passes3(Rounding::Naive);
    println!(
        "{}",
        json!({
            "dim": dim,
            "copy_seconds": copy,
            "copy_bytes_per_element": benchmark::COPY_BYTES_PER_ELEMENT,
            "update_bytes_per_element": benchmark::PYTORCH_UPDATE_BYTES_PER_ELEMENT,
            "fused_kernel_seconds": fused,
            "naive_kernel_seconds": naive,
            "fused_three_pass_seconds": three_fused,
            "naive_three_pass_seconds": three_naive,
        })
    );
}

/// The `trace` command in-process (see the module documentation): `{"seconds", "bytes"}`.
fn time_trace(args: &[String]) {
    let steps: usize = num(args, "--steps", "400");
    let keep_every: usize = num(args, "--keep-every", "1");
    let problem =
        momentum_oracle::problem::from_spec(&arg(args, "--problem", "quadratic:dim=50,seed=6"))
            .expect("problem spec");
    let optimizer =
        OptimizerConfig::from_spec(&arg(args, "--optimizer", "heavy-ball:momentum=9/10"))
            .expect("optimizer spec");
    let schedule =
        Schedule::from_spec(&arg(args, "--schedule", "constant:lr=1/8")).expect("schedule spec");
    let arith = Arithmetic::parse(&arg(args, "--arith", "exact")).expect("arithmetic");
    let form = ExactForm::parse(&arg(args, "--exact-form", "decimal")).expect("exact form");
    let mut out = Counting(0);
    let start = Instant::now();
    {
        let mut buffered = std::io::BufWriter::new(&mut out);
        arith
            .dispatch(StreamRequest {
                run: RunRequest {
                    problem: problem.as_ref(),
                    optimizer: &optimizer,
                    schedule: &schedule,
                    x0: None,
                    steps,
                    options: RunOptions {
                        keep_every,
                        // `--serial`: the whole run and its writing on this thread.
                        parallel_gap_bits: if args.iter().any(|a| a == "--serial") {
                            None
                        } else {
                            RunOptions::default().parallel_gap_bits
                        },
                        ..RunOptions::default()
                    },
                },
                out: &mut buffered,
                form,
            })
            .expect("run");
        std::io::Write::flush(&mut buffered).expect("flush");
    }
    let seconds = start.elapsed().as_secs_f64();
    println!("{}", json!({ "seconds": seconds, "bytes": out.0 }));
}

/// The f64 runner's seconds per step at `--dim` (the diagonal benchmark quadratic, fused rounding,
/// only the last step kept), for PyTorch momentum, heavy ball and NAG — the marginal cost of a
/// step, (T(5k) − T(k))/4k for k = `--steps`, and the run's average T(k)/k — and the fused
/// PyTorch update kernel's seconds per pass over arrays of the same length, alone, after a
/// hand-written gradient pass of the same quadratic, and fused with that gradient and a
/// finiteness check in one hand-written pass, in the same process: the best of `--repeats` runs
/// each.
fn time_f64_trace(args: &[String]) {
    let dim: usize = num(args, "--dim", "1000000");
    let steps: usize = num(args, "--steps", "10");
    let repeats: usize = num(args, "--repeats", "3");
    let (form, x0) = benchmark::diagonal_quadratic(dim);
    let mut oracle = form.oracle::<f64>();
    let x0: Vec<f64> = momentum_oracle::problem::to_vector::<f64>(&x0);
    let (learning_rate, mu) = hyper();
    let best = |f: &mut dyn FnMut()| {
        (0..repeats)
            .map(|_| {
                let s = Instant::now();
                f();
                s.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    };
    // Per step: the marginal cost (T(5k) − T(k))/4k, without what a run pays once whatever its
    // length (x₀'s copy, first touches of fresh buffers, the first step, the recorded last one);
    // the plain average T(k)/k is reported beside it.
    let long = 5 * steps;
    let mut per_step =
        |o: &dyn Fn(&mut dyn momentum_oracle::problem::Oracle<f64>, usize) -> Vec<f64>| {
            let short_run = best(&mut || {
                std::hint::black_box(o(&mut oracle, steps));
            });
            let long_run = best(&mut || {
                std::hint::black_box(o(&mut oracle, long));
            });
            (
                (long_run - short_run) / (long - steps) as f64,
                short_run / steps as f64,
            )
        };
    let fused = Rounding::Fused;
    let pytorch = momentum_oracle::optim::pytorch::PytorchSgd::momentum(mu.clone()).unwrap();
    let hb = HeavyBall::new(mu.clone()).unwrap();
    let nag = Nag::new(mu.clone()).unwrap();
    let pytorch_s = per_step(&|or, n| {
        benchmark::f64_final_iterate(&pytorch, or, &x0, &learning_rate, n, fused).unwrap()
    });
    let hb_s = per_step(&|or, n| {
        benchmark::f64_final_iterate(&hb, or, &x0, &learning_rate, n, fused).unwrap()
    });
    let nag_s = per_step(&|or, n| {
        benchmark::f64_final_iterate(&nag, or, &x0, &learning_rate, n, fused).unwrap()
    });
    let g: Vec<f64> = (0..dim).map(|i| ((i % 97) as f64 - 48.0) / 64.0).collect();
    let mut theta: Vec<f64> = (0..dim).map(|i| ((i % 89) as f64) / 8.0).collect();
    let mut buf = g.clone();
    let kernel = best(&mut || {
        momentum_update_f64(&mut theta, &mut buf, &g, [0.9, 1.0, -0.125], fused);
        std::hint::black_box(&theta);
    });
    // The least a traced step can do, written by hand on plain slices: the diagonal quadratic's
    // centred gradient pass (g = 0 + a·(θ − x*), reading θ, the spectrum and x*) then the fused
    // kernel. The runner's own overhead is its time over this one.
    let spectrum: Vec<f64> = (0..dim).map(|i| (1 + i % 8) as f64 / 8.0).collect();
    let x_star: Vec<f64> = (0..dim).map(|i| ((i % 7) as f64 - 3.0) / 2.0).collect();
    let mut grad = vec![0.0; dim];
    let gradient_and_kernel = best(&mut || {
        for (((g, a), t), c) in grad.iter_mut().zip(&spectrum).zip(&theta).zip(&x_star) {
            *g = 0.0 + a * (t - c);
        }
        momentum_update_f64(&mut theta, &mut buf, &grad, [0.9, 1.0, -0.125], fused);
        std::hint::black_box(&theta);
    });
    // The gradient, the update and the finiteness check in one hand-written pass, what the
    // runner's one-pass steps do (`Vector::diagonal_momentum_update`): read θ, b, the spectrum
    // and x*, write θ and b. Timed only where the CPU has AVX2 and FMA (else `null`).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn one_pass_fma(theta: &mut [f64], buf: &mut [f64], spectrum: &[f64], x_star: &[f64]) -> bool {
        let mut bad = 0u64;
        for (((t, b), a), c) in theta
            .iter_mut()
            .zip(buf.iter_mut())
            .zip(spectrum)
            .zip(x_star)
        {
            let g = 0.0 + a * (*t - c);
            *b = f64::mul_add(g, 1.0, *b * 0.9);
            *t = f64::mul_add(*b, -0.125, *t);
            let e = 0x7ff0_0000_0000_0000u64;
            bad |= u64::from((t.to_bits() & e == e) | (b.to_bits() & e == e));
        }
        bad == 0
    }
    #[cfg(target_arch = "x86_64")]
    let has_fma = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
    #[cfg(not(target_arch = "x86_64"))]
    let has_fma = false;
    let mut all_finite = true;
    let one_pass = has_fma.then(|| {
        best(&mut || {
            // SAFETY: only where the CPU has AVX2 and FMA (`has_fma`).
            #[cfg(target_arch = "x86_64")]
            {
                all_finite &= unsafe { one_pass_fma(&mut theta, &mut buf, &spectrum, &x_star) };
            }
            std::hint::black_box(&theta);
        })
    });
    // μ = 9/10, γ = 1/8 and a spectrum in (0, 1] converge: a non-finite value is a broken kernel.
    assert!(all_finite, "the hand-written one pass diverged");
    println!(
        "{}",
        json!({
            "dim": dim,
            "one_pass_gradient_kernel_check_seconds": one_pass,
            "pytorch_step_seconds": pytorch_s.0,
            "heavy_ball_step_seconds": hb_s.0,
            "nag_step_seconds": nag_s.0,
            "pytorch_run_average_seconds": pytorch_s.1,
            "heavy_ball_run_average_seconds": hb_s.1,
            "nag_run_average_seconds": nag_s.1,
            "fused_kernel_seconds": kernel,
            "gradient_and_kernel_seconds": gradient_and_kernel,
        })
    );
}

/// A sink that counts the bytes written to it.
struct Counting(u64);

impl std::io::Write for Counting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        std::hint::black_box(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("export") => export(&args),
        Some("exact") => time_exact(&args),
        Some("f64") => time_f64(&args),
        Some("trace") => time_trace(&args),
        Some("f64-trace") => time_f64_trace(&args),
        _ => {
            eprintln!(
                "usage: compare export|exact|f64|f64-trace|trace [options] (see the source's header)"
            );
            std::process::exit(2);
        }
    }
}
