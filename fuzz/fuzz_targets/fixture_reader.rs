//! The replay fixture reader on arbitrary JSON: a typed error or a fixture, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use momentum_oracle::fixture::check;

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = check::read_replay(&v);
    }
});
