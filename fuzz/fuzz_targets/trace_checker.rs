//! The trace parsers and the checker on arbitrary traces, against a small replay computed once:
//! a verdict or a typed error, never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use momentum_oracle::fixture::{check, replay};
use momentum_oracle::optim::OptimizerConfig;

fn expected() -> &'static check::ReplayFixture {
    static F: OnceLock<check::ReplayFixture> = OnceLock::new();
    F.get_or_init(|| {
        let config = OptimizerConfig::from_spec("pytorch:momentum=7/8,dampening=1/4").unwrap();
        let gradients = vec![vec![1.0, -0.5], vec![0.25, 3.0], vec![0.0, -1e-310]];
        replay::expectation("fuzz", &config, &[0.5, 0.25, 0.125], &[1.0, 2.0], &gradients).unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for parsed in [check::parse_trace_json(&text), check::parse_trace_csv(&text)] {
        if let Ok(t) = parsed {
            if let Ok(r) = check::check(expected(), &t) {
                let _ = r.render();
            }
        }
    }
});
