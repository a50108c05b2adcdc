//! (b) f64 runs on d = 10⁶: heavy-ball, NAG and PyTorch-momentum traces on the diagonal benchmark
//! quadratic ([`momentum_oracle::benchmark::diagonal_quadratic`]) in both rounding models, in
//! parameters × steps per second; and the streaming loops in bytes per second: the fused
//! PyTorch update kernel (one pass: read θ, b, g, write θ, b), the same update as three trait
//! passes, and a plain copy loop measured in the same process as the bandwidth yardstick.
//!
//! `cargo bench --bench f64`. Ratios against numpy are in `bench/compare`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use momentum_oracle::arith::Rounding;
use momentum_oracle::arith::linalg::{Vector, momentum_update_f64};
use momentum_oracle::benchmark::{
    self, COPY_BYTES_PER_ELEMENT, PYTORCH_UPDATE_BYTES_PER_ELEMENT, diagonal_quadratic,
    f64_final_iterate,
};
use momentum_oracle::optim::heavy_ball::HeavyBall;
use momentum_oracle::optim::nag::Nag;
use momentum_oracle::optim::pytorch::PytorchSgd;
use momentum_oracle::problem::to_vector;
use rug::Rational;

const DIM: usize = 1_000_000;

fn traces(c: &mut Criterion) {
    let (form, x0) = diagonal_quadratic(DIM);
    let mut oracle = form.oracle::<f64>();
    let x0: Vec<f64> = to_vector::<f64>(&x0);
    let learning_rate = Rational::from((1, 8));
    let mu = Rational::from((9, 10));
    let steps = 10;
    let mut group = c.benchmark_group("f64_trace_d1e6");
    group.sample_size(10);
    group.throughput(Throughput::Elements((DIM * steps) as u64));
    for rounding in Rounding::ALL {
        let name = rounding.name();
        group.bench_function(BenchmarkId::new("heavy_ball", name), |b| {
            let o = HeavyBall::new(mu.clone()).unwrap();
            b.iter(|| {
                f64_final_iterate(&o, &mut oracle, &x0, &learning_rate, steps, rounding).unwrap()
            });
        });
        group.bench_function(BenchmarkId::new("nag", name), |b| {
            let o = Nag::new(mu.clone()).unwrap();
            b.iter(|| {
                f64_final_iterate(&o, &mut oracle, &x0, &learning_rate, steps, rounding).unwrap()
            });
        });
        group.bench_function(BenchmarkId::new("pytorch", name), |b| {
            let o = PytorchSgd::momentum(mu.clone()).unwrap();
            b.iter(|| {
                f64_final_iterate(&o, &mut oracle, &x0, &learning_rate, steps, rounding).unwrap()
            });
        });
    }
    group.finish();
}

fn kernels(c: &mut Criterion) {
    let g: Vec<f64> = (0..DIM).map(|i| ((i % 97) as f64 - 48.0) / 64.0).collect();
    let mut theta: Vec<f64> = (0..DIM).map(|i| (i % 89) as f64 / 8.0).collect();
    let mut buf = g.clone();
    let mut dst = vec![0.0; DIM];
    let (mu, one, step) = (0.9, 1.0, -0.125);
    let mut group = c.benchmark_group("f64_update_d1e6");
    group.throughput(Throughput::Bytes((DIM * COPY_BYTES_PER_ELEMENT) as u64));
    group.bench_function("copy_loop", |b| {
        b.iter(|| benchmark::copy_loop(&mut dst, &theta))
    });
    group.throughput(Throughput::Bytes(
        (DIM * PYTORCH_UPDATE_BYTES_PER_ELEMENT) as u64,
    ));
    for rounding in Rounding::ALL {
        group.bench_function(BenchmarkId::new("fused_kernel", rounding.name()), |b| {
            b.iter(|| momentum_update_f64(&mut theta, &mut buf, &g, [mu, one, step], rounding))
        });
        group.bench_function(BenchmarkId::new("three_passes", rounding.name()), |b| {
            b.iter(|| {
                buf.scale(&mu);
                buf.axpy(&one, &g, rounding);
                theta.axpy(&step, &buf, rounding);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, traces, kernels);
criterion_main!(benches);
