//! The f64 text of traces, fixtures and snapshots (`arith::text::write_f64`) is Rust's `{:?}`,
//! byte for byte, though its digits come from Ryū: over every class where two shortest-digit
//! algorithms can part (exact ties between two equally close shortest strings, binade boundaries
//! where the rounding interval is lopsided, the layout thresholds 10⁻⁴ and 10¹⁶, subnormals,
//! integers around 2⁵³) and over millions of random bit patterns.
//!
//! The expected text is `format!("{x:?}")` itself (core's Grisu with its Dragon4 fallback), a
//! different algorithm from the one under test. The ties are found independently too: by exact
//! rational arithmetic on `{:?}`'s own digits, not by the code under test.

use momentum_oracle::arith::text::{format_f64, write_f64};
use proptest::prelude::*;
use rug::{Integer, Rational};

/// `{:?}` for finite values, the crate's spellings of the others.
fn debug_text(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        format!("{x:?}")
    }
}

/// Compares both entry points with `{:?}`, with the bits in the message.
fn assert_debug_text(x: f64) {
    let mut buf = b"prefix".to_vec();
    write_f64(&mut buf, x);
    let expected = debug_text(x);
    assert_eq!(
        &buf[6..],
        expected.as_bytes(),
        "{:016x}: write_f64 wrote {:?}",
        x.to_bits(),
        String::from_utf8_lossy(&buf[6..])
    );
    assert_eq!(format_f64(x), expected, "{:016x}", x.to_bits());
}

/// A xorshift64 stream (deterministic, no test-library internals).
fn xorshift(mut s: u64) -> impl FnMut() -> u64 {
    move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    }
}

/// `{:?}`'s digits of a positive finite `x` as an integer `D` and the place `p` of its last digit
/// (`x` reads back from `D·10^p`).
fn debug_digits(x: f64) -> (Integer, i32) {
    let text = format!("{x:?}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let exponent: i32 = exponent.parse().expect("an exponent");
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let frac = frac.trim_end_matches('0');
    let digits: Integer = format!("{int}{frac}").parse().expect("digits");
    (digits, exponent - frac.len() as i32)
}

/// Whether `x` lies exactly halfway between `{:?}`'s digits `D` and a neighbour `D ± 1` (one unit
/// in the last place): a tie between two equally short strings, which `{:?}` breaks upward.
fn is_tie(x: f64) -> bool {
    let (digits, place) = debug_digits(x);
    let unit = if place >= 0 {
        Rational::from(Integer::from(Integer::u_pow_u(10, place as u32)))
    } else {
        Rational::from((1, Integer::from(Integer::u_pow_u(10, (-place) as u32))))
    };
    let value = Rational::from(digits) * &unit;
    let exact = Rational::from_f64(x).expect("finite");
    let half = unit / 2u32;
    exact == Rational::from(&value - &half) || exact == value + half
}

/// Every tie the sweep below constructs: `x = odd·2^−(j+1)` in a binade whose unit in the last
/// place exceeds `10^−j`, so that both neighbours of `x`'s exact decimal at place `10^−j` read
/// back as `x` (docs of `write_f64`). Ryū alone breaks these ties to the even neighbour; `{:?}`
/// upward.
#[test]
fn ties_between_equally_close_shortest_strings_are_broken_as_debug_does() {
    let mut next = xorshift(0x2545_f491_4f6c_dd1d);
    let (mut ties, mut ryu_alone_differs, mut checked) = (0usize, 0usize, 0usize);
    for j in 1..=24i32 {
        // Binades 2^E with 2^(E−52) > 10^−j (both neighbours inside the interval) and
        // E − 52 ≤ −(j+1) (x a multiple of the unit in the last place).
        // And x ≥ 2^−(j+1), an odd multiple of it.
        let low = ((52.0 - f64::from(j) * 10f64.log2()).floor() as i32 + 1).max(-(j + 1));
        // Only the lowest four such binades: higher up, the interval holds a shorter string.
        for e in low..=(low + 3).min(51 - j) {
            for _ in 0..2000 {
                let mantissa = next() & ((1 << 52) - 1);
                // Keep the bits down to 2^−(j+1), that bit set: an odd multiple of 2^−(j+1).
                let shift = (51 - j - e) as u32; // bits below 2^−(j+1) in the mantissa
                let mantissa = (mantissa >> shift << shift) | (1 << shift);
                let x = f64::from_bits((((e + 1023) as u64) << 52) | (mantissa & ((1 << 52) - 1)));
                for x in [x, -x] {
                    assert_debug_text(x);
                    checked += 1;
                }
                if is_tie(x) {
                    ties += 1;
                    let mut ryu = ryu::Buffer::new();
                    if ryu.format_finite(x) != format!("{x:?}") {
                        ryu_alone_differs += 1;
                    }
                }
            }
        }
    }
    // The named value where `zmij` (and Ryū) part from `{:?}`: …562.25, written …562.3.
    let zmij = f64::from_bits(0x4317_9085_685d_83c9);
    assert!(is_tie(zmij));
    assert_eq!(format_f64(zmij), "1658206780088562.3");
    assert_debug_text(zmij);
    // Not vacuous: most of the constructed values are ties, and for many of them Ryū's own text
    // differs (its even neighbour), so the tie rule is what made them agree.
    assert!(checked > 100_000, "{checked} values checked");
    assert!(ties > checked / 4, "{ties} ties among {checked}");
    eprintln!("{checked} values, {ties} ties, Ryū's own text differs on {ryu_alone_differs}");
    assert!(
        ryu_alone_differs > ties / 4,
        "{ryu_alone_differs} of {ties}"
    );
}

/// Every binade boundary (both signs, the smallest and largest mantissas of each exponent,
/// subnormals included), powers of ten and their neighbours up to 3 units in the last place,
/// both sides of the layout thresholds 10⁻⁴ and 10¹⁶, integers around 2⁵², 2⁵³ and 2⁵⁴, short
/// decimals, and the named extremes.
#[test]
fn written_f64_is_debug_text_at_every_boundary() {
    let mut values = vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.1,
        0.3,
        1.5,
        100.0,
        1e15,
        1e16,
        1e-7,
        1e-4,
        f64::MIN_POSITIVE,
        f64::MAX,
        f64::MIN,
        f64::EPSILON,
        5e-324,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    for exponent in 0..=2047u64 {
        for mantissa in [
            0,
            1,
            2,
            3,
            (1 << 51) - 1,
            1 << 51,
            (1 << 52) - 2,
            (1 << 52) - 1,
        ] {
            let x = f64::from_bits(exponent << 52 | mantissa);
            values.extend([x, -x]);
        }
    }
    let step = |mut x: f64, n: i32| {
        for _ in 0..n.abs() {
            x = if n > 0 { x.next_up() } else { x.next_down() };
        }
        x
    };
    for e in -325..=309 {
        let p: f64 = format!("1e{e}").parse().expect("a power of ten");
        for n in -3..=3 {
            values.push(step(p, n));
        }
        for m in [2, 3, 5, 7, 9] {
            let q: f64 = format!("{m}e{e}").parse().expect("a decimal");
            values.extend([q, q.next_up(), q.next_down()]);
        }
    }
    for threshold in [1e-4, 1e16] {
        for n in -50..=50 {
            values.push(step(threshold, n));
        }
    }
    for power in [52, 53, 54] {
        let p = 2f64.powi(power);
        for n in -2000..=2000 {
            values.push(step(p, n));
        }
    }
    for i in 0..20_000 {
        values.push(f64::from(i) / 7.0);
        values.push(f64::from(i) * 1e14);
        values.push(f64::from(i) / 1000.0);
    }
    for &x in &values {
        assert_debug_text(x);
    }
    assert!(values.len() > 100_000, "{} values", values.len());
}

/// Four million random bit patterns (every exponent, both signs, NaN payloads), and two million
/// random values in [2⁻²⁰, 2⁶⁰) where the decimal layout switches: `{:?}`'s text, byte for byte.
#[test]
fn written_f64_is_debug_text_for_random_bit_patterns() {
    let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
    let mut buf = Vec::with_capacity(32);
    let mut expected = String::with_capacity(32);
    let mut compare = |x: f64| {
        use std::fmt::Write;
        buf.clear();
        write_f64(&mut buf, x);
        expected.clear();
        if x.is_finite() {
            let _ = write!(expected, "{x:?}");
        } else {
            expected.push_str(&debug_text(x));
        }
        assert_eq!(buf, expected.as_bytes(), "{:016x}", x.to_bits());
    };
    for _ in 0..4_000_000 {
        compare(f64::from_bits(next()));
    }
    for _ in 0..2_000_000 {
        let bits = next();
        let exponent = 1023 - 20 + (bits >> 52) % 80;
        compare(f64::from_bits(exponent << 52 | (bits & ((1 << 52) - 1))));
    }
}

proptest! {
    #![proptest_config(crate::common::config("float_text", 20_000))]
    /// Any bit pattern: `{:?}`'s text.
    #[test]
    fn any_bit_pattern_is_written_as_debug_text(bits in any::<u64>()) {
        let x = f64::from_bits(bits);
        let mut buf = Vec::new();
        write_f64(&mut buf, x);
        prop_assert_eq!(String::from_utf8(buf).unwrap(), debug_text(x));
    }

    /// Any short decimal (the values hyper-parameters and hand-written inputs have), times any
    /// power of ten: `{:?}`'s text.
    #[test]
    fn any_short_decimal_is_written_as_debug_text(digits in 1u64..100_000_000, e in -330i32..310) {
        let x: f64 = format!("{digits}e{e}").parse().unwrap();
        prop_assert_eq!(format_f64(x), debug_text(x));
        prop_assert_eq!(format_f64(-x), debug_text(-x));
    }
}
