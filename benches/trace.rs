//! (c) The whole `trace` command: the run plus its streamed JSON document, as the CLI does it
//! ([`StreamRequest`], the document written to a sink), recording every step against recording
//! only the last one (the engine's time for the same run); exact runs also in the `shared-hex`
//! form (`--exact-form shared-hex`).
//!
//! `cargo bench --bench trace`. Exact heavy ball and NAG on `quadratic:dim=50,seed=6` (the rotated
//! quadratic family users run), k = 400, γ = 1/8, μ = 9/10; f64 on `quadratic:dim=4,seed=6`,
//! k = 20 000. Throughput is in steps per second; the ratios the README quotes come from
//! `bench/compare`, which runs both variants interleaved in one run.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use momentum_oracle::cli::{Arithmetic, RunRequest, StreamRequest};
use momentum_oracle::optim::{OptimizerConfig, Schedule};
use momentum_oracle::trace::{ExactForm, RunOptions};

fn trace_command(
    problem: &dyn momentum_oracle::problem::Problem,
    optimizer: &OptimizerConfig,
    arith: Arithmetic,
    steps: usize,
    keep_every: usize,
    form: ExactForm,
) {
    let schedule = Schedule::from_spec("constant:lr=1/8").unwrap();
    let mut sink = std::io::BufWriter::new(std::io::sink());
    arith
        .dispatch(StreamRequest {
            run: RunRequest {
                problem,
                optimizer,
                schedule: &schedule,
                x0: None,
                steps,
                options: RunOptions {
                    keep_every,
                    ..RunOptions::default()
                },
            },
            out: &mut sink,
            form,
        })
        .unwrap();
}

fn trace(c: &mut Criterion) {
    let mut group = c.benchmark_group("trace_command");
    group.sample_size(10);
    let runs = [
        ("exact_d50", "quadratic:dim=50,seed=6", "exact", 400),
        ("f64_d4", "quadratic:dim=4,seed=6", "f64", 20_000),
    ];
    for (name, problem, arith, steps) in runs {
        let p = momentum_oracle::problem::from_spec(problem).unwrap();
        let arith = Arithmetic::parse(arith).unwrap();
        group.throughput(Throughput::Elements(steps as u64));
        for optimizer in ["heavy-ball:momentum=9/10", "nag:momentum=9/10"] {
            let o = OptimizerConfig::from_spec(optimizer).unwrap();
            let method = optimizer.split(':').next().unwrap();
            let mut variants = vec![
                ("every_step", 1, ExactForm::Decimal),
                ("last_step", steps, ExactForm::Decimal),
            ];
            if arith == Arithmetic::Exact {
                variants.push(("every_step_shared_hex", 1, ExactForm::SharedHex));
            }
            for (kept, every, form) in variants {
                let id = BenchmarkId::new(format!("{name}_{method}"), kept);
                group.bench_function(id, |b| {
                    b.iter(|| trace_command(p.as_ref(), &o, arith, steps, every, form))
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, trace);
criterion_main!(benches);
