//! The low-precision path on arbitrary input: the format-fixture reader and the exact-vector
//! reader (both the `"p/q"` list and the shared-hex form, exact scalars, and whole shared-hex traces
//! through `resolve_trace_references`) on arbitrary JSON, and the trace
//! parsers with `check`'s per-format verdict and diagnosis on arbitrary traces against one small
//! bfloat16 fixture computed once: a verdict or a typed error, never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use momentum_oracle::arith::format::Format;
use momentum_oracle::fixture::{check, diagnose, json, lowprec};

fn fixture() -> &'static lowprec::FormatFixture {
    static F: OnceLock<lowprec::FormatFixture> = OnceLock::new();
    F.get_or_init(|| {
        let (format, case) = lowprec::cases()
            .into_iter()
            .find(|(f, _)| *f == Format::Bfloat16)
            .expect("the catalogue has bfloat16 cases");
        lowprec::build(format, &case).expect("catalogue cases build")
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
        let _ = lowprec::read(&v);
        let _ = json::read_exact_vector(&v, "fuzz");
        let _ = json::read_exact_scalar(&v, "fuzz");
        // A whole shared-hex trace: back-references resolved, then every vector read.
        if let Ok(r) = json::resolve_trace_references(&v) {
            for s in r["steps"].as_array().into_iter().flatten() {
                for key in ["query", "gradient", "iterate"] {
                    let _ = json::read_exact_vector(&s[key], key);
                }
            }
        }
    }
    for parsed in [check::parse_trace_json(&text), check::parse_trace_csv(&text)] {
        if let Ok(t) = parsed {
            let _ = diagnose::check_format(fixture(), &t);
        }
    }
});
