//! The cost of one learning-rate step at step k = 10 and k = 10 000 (issue 18: schedules cost
//! O(1) per step). `Schedule::rates` multiplies the previous exact rate by the factor; the old
//! path, `Schedule::exact(k)`, recomputed factor^(k−1) at every step.
//!
//! `cargo bench --bench schedule`. Each measurement advances a cursor that already stands at
//! step k − 1 by one step (the cursor's copy is made outside the timed part), and rounds the rate
//! to f64 as a floating run does. The `recompute` rows time the old recomputation for comparison.
//! Results (this machine kind) are in docs/design.md, "Fixtures".

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use momentum_oracle::optim::Schedule;

fn schedule(c: &mut Criterion) {
    let specs = [
        ("exponential", "exponential:lr=1/10,factor=9/10"),
        ("step", "step:lr=1/10,factor=1/2,every=10"),
        // A dyadic factor: the exact rate stays one short number whatever k.
        ("exponential_dyadic", "exponential:lr=1/8,factor=7/8"),
    ];
    let mut group = c.benchmark_group("schedule_step");
    // One step is nanoseconds to microseconds: short windows keep the 18 measurements to about a
    // minute on a shared 2-core machine.
    group.warm_up_time(std::time::Duration::from_millis(500));
    group.measurement_time(std::time::Duration::from_secs(2));
    for (name, spec) in specs {
        let s = Schedule::from_spec(spec).unwrap();
        for k in [10usize, 10_000] {
            let mut at = s.rates();
            for _ in 1..k {
                at.next_exact();
            }
            group.bench_with_input(BenchmarkId::new(format!("{name}/exact"), k), &k, |b, _| {
                b.iter_batched(|| at.clone(), |mut r| r.next_exact(), BatchSize::SmallInput)
            });
            group.bench_with_input(BenchmarkId::new(format!("{name}/f64"), k), &k, |b, &k| {
                b.iter_batched(
                    || at.clone(),
                    |mut r| {
                        let q = r.next_exact();
                        s.learning_rate_from::<f64>(k, q.as_ref()).unwrap()
                    },
                    BatchSize::SmallInput,
                )
            });
            group.bench_with_input(
                BenchmarkId::new(format!("{name}/recompute"), k),
                &k,
                |b, &k| b.iter(|| s.learning_rate::<f64>(k).unwrap()),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, schedule);
criterion_main!(benches);
