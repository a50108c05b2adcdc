//! Writes a replay fixture long enough that a valid trace for it can be about 1 GB, for measuring
//! `check` on a trace it reads in full (README, "Testing your own implementation"): no shipped
//! fixture allows one (the largest trace the largest shipped fixture admits is 42.8 MB).
//!
//! ```text
//! cargo run --release --example long_replay -- /tmp/long-replay.json 16384
//! python3 examples/python/big_trace.py /tmp/long-replay.json /tmp/long-trace.json padded 1
//! /usr/bin/time -v target/release/momentum-oracle check /tmp/long-replay.json /tmp/long-trace.json
//! ```
//!
//! The case: PyTorch SGD without momentum (no state vector), one parameter, lr = 1/16, STEPS
//! steps (default 16 384). `check` admits a trace of up to steps × (64 KiB + 2 × 2056 bytes) for
//! it (`fixture::external::TraceLimits::for_fixture`), 1.14 GB at 16 384 steps; the exact
//! iterate stays short (a sum of f64 gradients times a dyadic rate), so the fixture is ≈ 10 MB.

use momentum_oracle::fixture::replay::{Convention, ReplayCase, generate};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(out), steps) = (args.next(), args.next()) else {
        eprintln!("usage: long_replay OUT.json [STEPS]");
        std::process::exit(2);
    };
    let steps = steps.map_or(16_384, |s| s.parse().expect("STEPS is a number"));
    let case = ReplayCase {
        name: "long-replay",
        description: "torch.optim.SGD(lr=0.0625), one parameter, for measuring check on a 1 GB trace",
        convention: Convention::Pytorch,
        numbers: &[],
        flags: &[],
        schedule: "constant:lr=0.0625",
        dim: 1,
        steps,
        seed: 18,
        extremes: false,
    };
    let fixture = generate(&case).expect("the case generates");
    let text = momentum_oracle::fixture::to_text(&fixture);
    momentum_oracle::fixture::write_atomically(std::path::Path::new(&out), &text)
        .expect("the fixture is written");
    eprintln!("wrote {out}: {} steps, {} bytes", steps, text.len());
}
