//! The cost of one learning-rate step at step k = 10 and k = 10 000 (issue 18: schedules cost
//! O(1) per step).
//!
//! `cargo bench --bench schedule`. Each measurement starts from a cursor (`Schedule::rates`) that
//! already stands at step k − 1 in the same arithmetic (its copy is made, and the cursor and the
//! rate are dropped, outside the timed part) and times what the runner (`trace::run`) does with it
//! at step k:
//!
//! * `f64`: advance, the rate rounded to f64 (for a power: the fixed-precision enclosure advanced
//!   by one product per end and rounded, `arith::power`), and the exact rate as the optimizer gets
//!   it (`Rates::current`, a power not multiplied out);
//! * `exact`: advance and the exact rate as the schedule holds it (`Rates::current`): the
//!   schedule's own work in a run in ℚ;
//! * `exact_multiplied`: advance and the rate multiplied out in ℚ (`Rates::learning_rate::<Rational>`,
//!   one product of the previous rate by the factor): what a run in ℚ pays to *use* γ_k at all,
//!   since its update multiplies the gradient by it; it grows with γ_k's size (lr·factor^(k−1)
//!   has O(k) bits unless the factor is dyadic), like the update's own products do;
//! * `recompute`: the old path, `Schedule::exact(k)` (factor^(k−1) recomputed in ℚ) rounded to f64.
//!
//! Results (this machine kind) are in README ("Benchmarks") and docs/design.md ("Fixtures").

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use momentum_oracle::optim::Schedule;
use rug::Rational;

fn schedule(c: &mut Criterion) {
    let specs = [
        ("exponential", "exponential:lr=1/10,factor=9/10"),
        ("step", "step:lr=1/10,factor=1/2,every=10"),
        // A dyadic factor: the exact rate stays one short number whatever k.
        ("exponential_dyadic", "exponential:lr=1/8,factor=7/8"),
    ];
    let mut group = c.benchmark_group("schedule_step");
    // One step is nanoseconds to microseconds: short windows keep the 24 measurements to about a
    // minute and a half on a shared 2-core machine.
    group.warm_up_time(std::time::Duration::from_millis(500));
    group.measurement_time(std::time::Duration::from_secs(2));
    for (name, spec) in specs {
        let s = Schedule::from_spec(spec).unwrap();
        for k in [10usize, 10_000] {
            // Cursors at step k − 1, warmed in each arithmetic as a run leaves them.
            let mut in_f64 = s.rates();
            let mut in_q = s.rates();
            for _ in 1..k {
                in_f64.advance();
                in_f64.learning_rate::<f64>().unwrap();
                in_q.advance();
                in_q.learning_rate::<Rational>().unwrap();
            }
            group.bench_with_input(BenchmarkId::new(format!("{name}/f64"), k), &k, |b, _| {
                b.iter_batched(
                    || in_f64.clone(),
                    |mut r| {
                        r.advance();
                        let rate = r.learning_rate::<f64>().unwrap();
                        std::hint::black_box(r.current());
                        (rate, r)
                    },
                    BatchSize::SmallInput,
                )
            });
            group.bench_with_input(BenchmarkId::new(format!("{name}/exact"), k), &k, |b, _| {
                b.iter_batched(
                    || in_q.clone(),
                    |mut r| {
                        r.advance();
                        std::hint::black_box(r.current());
                        r
                    },
                    BatchSize::SmallInput,
                )
            });
            group.bench_with_input(
                BenchmarkId::new(format!("{name}/exact_multiplied"), k),
                &k,
                |b, _| {
                    b.iter_batched(
                        || in_q.clone(),
                        |mut r| {
                            r.advance();
                            (r.learning_rate::<Rational>().unwrap(), r)
                        },
                        BatchSize::SmallInput,
                    )
                },
            );
            group.bench_with_input(
                BenchmarkId::new(format!("{name}/recompute"), k),
                &k,
                |b, &k| b.iter(|| momentum_oracle::arith::rational_to_f64(&s.exact(k).unwrap())),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, schedule);
criterion_main!(benches);
