//! (a) Exact heavy-ball and NAG traces on the dense benchmark quadratic
//! ([`momentum_oracle::benchmark::dominant_quadratic`], seed 3), d ∈ {10, 50}, k ∈ {200, 1000},
//! lr 1/8, μ 9/10, through the library's trace runner (only the last step recorded).
//!
//! `cargo bench --bench exact`. Throughput is reported in parameters × steps per second. The
//! comparison against python-flint and `Fraction` is `bench/compare` (same instance, same run).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use momentum_oracle::benchmark::{dominant_quadratic, exact_final_iterate};
use momentum_oracle::optim::heavy_ball::HeavyBall;
use momentum_oracle::optim::nag::Nag;
use rug::Rational;

fn exact(c: &mut Criterion) {
    let learning_rate = Rational::from((1, 8));
    let mu = Rational::from((9, 10));
    let mut group = c.benchmark_group("exact_trace");
    // A d = 50, k = 1000 run takes a fraction of a second: ten samples are enough and keep the
    // whole group to about a minute on a shared 2-core machine.
    group.sample_size(10);
    for dim in [10, 50] {
        let (form, x0) = dominant_quadratic(dim, 3);
        for steps in [200, 1000] {
            group.throughput(Throughput::Elements((dim * steps) as u64));
            let id = format!("d{dim}_k{steps}");
            group.bench_with_input(BenchmarkId::new("heavy_ball", &id), &steps, |b, &k| {
                let hb = HeavyBall::new(mu.clone()).unwrap();
                b.iter(|| exact_final_iterate(&hb, &form, &x0, &learning_rate, k).unwrap());
            });
            group.bench_with_input(BenchmarkId::new("nag", &id), &steps, |b, &k| {
                let nag = Nag::new(mu.clone()).unwrap();
                b.iter(|| exact_final_iterate(&nag, &form, &x0, &learning_rate, k).unwrap());
            });
        }
    }
    group.finish();
}

criterion_group!(benches, exact);
criterion_main!(benches);
