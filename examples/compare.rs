//! The Rust side of `bench/compare`: exports the benchmark instance and times the Rust runs.
//!
//! ```text
//! compare export --dim 50 --seed 3 --steps 1000 --out FILE   # data + exact final iterates, JSON
//! compare exact --optimizer heavy-ball|nag --dim 50 --seed 3 --steps 1000   # {"seconds": ..}
//! compare f64 --dim 1000000 --passes 20                      # copy loop and update kernels
//! ```
//!
//! Each timing covers the work only (the k-step run, or the passes over the arrays), not process
//! start-up or instance construction, as the Python baselines time theirs. `bench/compare` runs
//! these commands interleaved with the baselines and reports ratios.

use std::time::Instant;

use momentum_oracle::arith::Rounding;
use momentum_oracle::arith::linalg::{Vector, momentum_update_f64};
use momentum_oracle::arith::text::format;
use momentum_oracle::benchmark::{self, dominant_quadratic, exact_final_iterate};
use momentum_oracle::optim::heavy_ball::HeavyBall;
use momentum_oracle::optim::nag::Nag;
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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("export") => export(&args),
        Some("exact") => time_exact(&args),
        Some("f64") => time_f64(&args),
        _ => {
            eprintln!("usage: compare export|exact|f64 [options] (see the source's header)");
            std::process::exit(2);
        }
    }
}
