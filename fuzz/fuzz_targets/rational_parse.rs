//! The text parsers: exact numbers, hex bits, `;` lists and `name:key=value` specs. Any input must
//! give a value or a typed error — never a panic, never an unbounded allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use momentum_oracle::arith::text as rational;
use momentum_oracle::spec;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(q) = rational::parse(&text) {
        // A parsed number prints back to itself.
        assert_eq!(rational::parse(&rational::format(&q)).ok(), Some(q));
    }
    let _ = rational::parse_f64_bits(&text);
    let _ = rational::parse_finite_f64(&text);
    let _ = spec::parse_list(&text);
    if let Ok(s) = spec::Spec::parse(&text) {
        let _ = s.rational_list("spectrum");
        let _ = s.rational_lists("householder");
        let _ = s.bounded_usize_or("dim", 1, 2048);
        let _ = s.bool_or("nesterov", false);
    }
});
