//! Rounding exact rationals to binary64, binary32, binary16 and bfloat16, proved against ℚ.
//!
//! The reference here shares nothing with `src/format.rs`: a format is modelled by its native
//! type's bit lattice (`f64`, `f32`, `half::f16`, `half::bf16`: for finite non-negative values the
//! bit pattern increases with the value), exact values come from `Rational::from_f64`/`from_f32`
//! (f16 and bf16 widen exactly to f32), and the IEEE 754-2008 §4.3.1 rule is applied literally:
//! bisect for the two patterns around `|q|`, take the nearer, at a tie the even pattern (its last
//! bit is the significand's), and at or beyond the largest finite value plus half its ulp, ∞.
//! Hand-derived cases carry their derivation in a comment. Properties are written once and
//! instantiated per format by `per_format!`.

use std::cmp::Ordering;

use half::{bf16, f16};
use momentum_oracle::arith::format::{
    Decoded, Format, Rounded, Subnormals, round_bf16, round_f16, round_f32, round_f64,
};
use proptest::prelude::*;
use rug::Rational;

// ---------------------------------------------------------------------------------------------
// The test's own model of each format: the native types.
// ---------------------------------------------------------------------------------------------

/// The exact value of a finite bit pattern, read through the native type; `None` for ∞ and NaN.
fn native_value(format: Format, bits: u64) -> Option<Rational> {
    match format {
        Format::Binary64 => Rational::from_f64(f64::from_bits(bits)),
        Format::Binary32 => Rational::from_f32(f32::from_bits(bits as u32)),
        Format::Binary16 => Rational::from_f32(f16::from_bits(bits as u16).to_f32()),
        Format::Bfloat16 => Rational::from_f32(bf16::from_bits(bits as u16).to_f32()),
    }
}

fn finite(format: Format, bits: u64) -> Rational {
    native_value(format, bits).expect("a finite pattern")
}

/// Whether the native type calls the pattern NaN.
fn native_is_nan(format: Format, bits: u64) -> bool {
    match format {
        Format::Binary64 => f64::from_bits(bits).is_nan(),
        Format::Binary32 => f32::from_bits(bits as u32).is_nan(),
        Format::Binary16 => f16::from_bits(bits as u16).is_nan(),
        Format::Bfloat16 => bf16::from_bits(bits as u16).is_nan(),
    }
}

/// The pattern of the largest finite value (`MAX`).
fn max_bits(format: Format) -> u64 {
    match format {
        Format::Binary64 => f64::MAX.to_bits(),
        Format::Binary32 => u64::from(f32::MAX.to_bits()),
        Format::Binary16 => u64::from(f16::MAX.to_bits()),
        Format::Bfloat16 => u64::from(bf16::MAX.to_bits()),
    }
}

/// The pattern of `+∞`.
fn infinity_bits(format: Format) -> u64 {
    match format {
        Format::Binary64 => f64::INFINITY.to_bits(),
        Format::Binary32 => u64::from(f32::INFINITY.to_bits()),
        Format::Binary16 => u64::from(f16::INFINITY.to_bits()),
        Format::Bfloat16 => u64::from(bf16::INFINITY.to_bits()),
    }
}

/// The sign bit: the pattern of `−0`.
fn sign_bit(format: Format) -> u64 {
    match format {
        Format::Binary64 => (-0.0f64).to_bits(),
        Format::Binary32 => u64::from((-0.0f32).to_bits()),
        Format::Binary16 => u64::from(f16::NEG_ZERO.to_bits()),
        Format::Bfloat16 => u64::from(bf16::NEG_ZERO.to_bits()),
    }
}

/// The precision `p` (Rust's `MANTISSA_DIGITS` counts the hidden bit).
fn native_precision(format: Format) -> u32 {
    match format {
        Format::Binary64 => f64::MANTISSA_DIGITS,
        Format::Binary32 => f32::MANTISSA_DIGITS,
        Format::Binary16 => f16::MANTISSA_DIGITS,
        Format::Bfloat16 => bf16::MANTISSA_DIGITS,
    }
}

/// The pattern of `2^emin`, the smallest normal value (`MIN_POSITIVE`).
fn min_normal_bits(format: Format) -> u64 {
    match format {
        Format::Binary64 => f64::MIN_POSITIVE.to_bits(),
        Format::Binary32 => u64::from(f32::MIN_POSITIVE.to_bits()),
        Format::Binary16 => u64::from(f16::MIN_POSITIVE.to_bits()),
        Format::Bfloat16 => u64::from(bf16::MIN_POSITIVE.to_bits()),
    }
}

fn pow2(k: i32) -> Rational {
    Rational::from(1) << k
}

/// The value of the pattern after `bits`, with the exponent range unbounded at the top: above
/// the largest finite value `M` that is `M + ulp(M) = 2^(emax+1)`.
fn next_value(format: Format, bits: u64) -> Rational {
    let max = max_bits(format);
    if bits < max {
        finite(format, bits + 1)
    } else {
        let top = finite(format, max);
        let ulp = Rational::from(&top - &finite(format, max - 1));
        top + ulp
    }
}

/// The pattern of a representable non-negative value, by bisection.
fn pattern_of(format: Format, value: &Rational) -> u64 {
    let (mut lo, mut hi) = (0u64, max_bits(format));
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if finite(format, mid) < *value {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    assert_eq!(finite(format, lo), *value, "not representable");
    lo
}

/// `M + ulp(M)/2`: the largest finite value plus half its ulp (IEEE 754-2008 §4.3.1).
fn overflow_threshold(format: Format) -> Rational {
    let max = max_bits(format);
    (finite(format, max) + next_value(format, max)) / 2u32
}

/// `2^emin·(1 − 2^(−p−1))`: results below this (and nonzero) are tiny after rounding. Derivation:
/// at precision p, the predecessor of 2^emin is 2^emin(1 − 2^−p); their midpoint is
/// 2^emin(1 − 2^(−p−1)); a tie goes to 2^emin (significand 1.00…0, even), so exactly the
/// magnitudes below the midpoint round to something below 2^emin.
fn tiny_threshold(format: Format) -> Rational {
    let p = native_precision(format) as i32;
    finite(format, min_normal_bits(format)) * (Rational::from(1) - pow2(-p - 1))
}

/// The pattern IEEE 754-2008 prescribes for `q`, found without the implementation.
pub(crate) fn reference_bits(format: Format, q: &Rational, subnormals: Subnormals) -> u64 {
    let sign = if *q < 0 { sign_bit(format) } else { 0 };
    if *q == 0 {
        return 0;
    }
    let a = Rational::from(q.abs_ref());
    if subnormals == Subnormals::FlushToZero && a < tiny_threshold(format) {
        return sign;
    }
    let max = max_bits(format);
    if a > finite(format, max) {
        return sign
            | if a >= overflow_threshold(format) {
                infinity_bits(format)
            } else {
                max
            };
    }
    // Invariant: value(lo) ≤ a ≤ value(hi).
    let (mut lo, mut hi) = (0u64, max);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if finite(format, mid) <= a {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let below = Rational::from(&a - &finite(format, lo));
    let above = Rational::from(&finite(format, hi) - &a);
    sign | match below.cmp(&above) {
        Ordering::Less => lo,
        Ordering::Greater => hi,
        Ordering::Equal if lo % 2 == 0 => lo,
        Ordering::Equal => hi,
    }
}

/// The implementation's answer, as a bit pattern.
fn rounded_bits(format: Format, q: &Rational, subnormals: Subnormals) -> u64 {
    format
        .to_bits(&format.round(q, subnormals))
        .expect("a rounded value encodes")
}

// ---------------------------------------------------------------------------------------------
// Strategies: values constructed around every boundary.
// ---------------------------------------------------------------------------------------------

/// Non-negative finite patterns, weighted towards the boundaries: the smallest subnormals, both
/// sides of 2^emin, the largest finite values, and powers of two (field 0, 1, all ones).
fn boundary_bits(format: Format) -> impl Strategy<Value = u64> {
    let max = max_bits(format);
    let normal = min_normal_bits(format);
    let p = native_precision(format);
    let field_mask = (1u64 << (p - 1)) - 1;
    let exponents = max >> (p - 1); // the largest finite biased exponent
    prop_oneof![
        0..=max,
        0..=64u64,
        normal - 64..=normal + 64,
        max - 64..=max,
        (
            0..=exponents,
            prop_oneof![Just(0), Just(1), Just(field_mask - 1), Just(field_mask)]
        )
            .prop_map(move |(e, f)| e << (p - 1) | f),
    ]
}

/// Rationals around a representable `x` (pattern `b`) and its successor `x⁺`: `x` itself, the
/// midpoint, the midpoint ± ulp·2^−k and ± 2^−200, random points of `[x, x⁺)`, `x ± ulp·2^−k`, and
/// values spread over (and beyond) the whole exponent range; either sign.
fn cases(format: Format) -> impl Strategy<Value = Rational> {
    let p = native_precision(format) as i32;
    let emax = finite(format, max_bits(format)).numer().significant_bits() as i32 + 2;
    let emin_ish = -(finite(format, 1).denom().significant_bits() as i32) - 8;
    (
        boundary_bits(format),
        0..7u8,
        1..=200i32,
        any::<bool>(),
        (1..u64::MAX, 1..u64::MAX),
        emin_ish - p..=emax + 8,
        any::<bool>(),
    )
        .prop_map(move |(b, kind, k, above, (num, den), exponent, negative)| {
            let x = finite(format, b);
            let next = next_value(format, b);
            let ulp = Rational::from(&next - &x);
            let mid = Rational::from(&x + &next) / 2u32;
            let plus_minus = |v: Rational, d: Rational| if above { v + d } else { v - d };
            let q = match kind {
                0 => x,
                1 => mid,
                2 => plus_minus(mid, ulp >> k),
                3 => plus_minus(mid, pow2(-200)),
                4 => x + ulp * Rational::from((num.min(den) - 1, num.max(den))),
                5 => plus_minus(x, ulp >> k),
                _ => Rational::from((num, den)) << exponent,
            };
            if negative { -q } else { q }
        })
}

/// Exact midpoints between a pattern `b` and `b + 1` (including the largest finite value and ∞'s
/// would-be predecessor, whose midpoint is the overflow threshold), with `b`.
fn ties(format: Format) -> impl Strategy<Value = (u64, Rational)> {
    boundary_bits(format).prop_map(move |b| {
        let mid = (finite(format, b) + next_value(format, b)) / 2u32;
        (b, mid)
    })
}

/// Values near 2^emin at the scale that decides tininess: 2^emin(1 − 2^−j) and a hair either side.
fn near_smallest_normal(format: Format) -> impl Strategy<Value = Rational> {
    let p = native_precision(format) as i32;
    (1..=p + 3, -1..=1i32, any::<bool>()).prop_map(move |(j, side, negative)| {
        let normal = finite(format, min_normal_bits(format));
        let q: Rational = Rational::from(&normal - &(Rational::from(&normal >> j)))
            + Rational::from(side) * (normal >> 300i32);
        if negative { -q } else { q }
    })
}

// ---------------------------------------------------------------------------------------------
// Properties, written once per format.
// ---------------------------------------------------------------------------------------------

fn check_nearest(format: Format, q: &Rational) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        rounded_bits(format, q, Subnormals::Gradual),
        reference_bits(format, q, Subnormals::Gradual),
        "{} of {}",
        format,
        q
    );
    Ok(())
}

fn check_tie(format: Format, b: u64, mid: &Rational) -> Result<(), TestCaseError> {
    // The two candidates are b and b + 1 (b + 1 is ∞'s pattern when b is the largest finite one);
    // exactly one of them is even.
    let even = if b % 2 == 0 { b } else { b + 1 };
    prop_assert_eq!(rounded_bits(format, mid, Subnormals::Gradual), even);
    let negated = Rational::from(-mid);
    prop_assert_eq!(
        rounded_bits(format, &negated, Subnormals::Gradual),
        even | sign_bit(format)
    );
    Ok(())
}

fn check_overflow(format: Format, excess: &Rational) -> Result<(), TestCaseError> {
    // excess ∈ [0, ∞): q = threshold·(1 + excess) rounds to ∞; q just below the threshold (down
    // to the largest finite value) rounds to the largest finite value.
    let threshold = overflow_threshold(format);
    let top = finite(format, max_bits(format));
    let beyond = Rational::from(&threshold * &(Rational::from(1) + excess));
    prop_assert_eq!(
        format.round(&beyond, Subnormals::Gradual),
        Rounded::Infinite { negative: false }
    );
    prop_assert_eq!(
        format.round(&Rational::from(-&beyond), Subnormals::FlushToZero),
        Rounded::Infinite { negative: true }
    );
    let below = Rational::from(&top + &((threshold - &top) / (Rational::from(1) + excess)));
    if below < overflow_threshold(format) {
        prop_assert_eq!(
            format.round(&below, Subnormals::Gradual),
            Rounded::Finite(top)
        );
    }
    Ok(())
}

fn check_flush_to_zero(format: Format, q: &Rational) -> Result<(), TestCaseError> {
    let got = rounded_bits(format, q, Subnormals::FlushToZero);
    prop_assert_eq!(got, reference_bits(format, q, Subnormals::FlushToZero));
    // Said the other way round: flushing changes exactly the tiny results.
    let tiny = *q != 0 && Rational::from(q.abs_ref()) < tiny_threshold(format);
    let gradual = rounded_bits(format, q, Subnormals::Gradual);
    if tiny {
        prop_assert_eq!(got & !sign_bit(format), 0);
    } else {
        prop_assert_eq!(got, gradual);
    }
    Ok(())
}

fn check_symmetric(format: Format, q: &Rational) -> Result<(), TestCaseError> {
    for subnormals in [Subnormals::Gradual, Subnormals::FlushToZero] {
        let negated = Rational::from(-q);
        let r = format.round(q, subnormals);
        if *q != 0 {
            prop_assert_eq!(format.round(&negated, subnormals), r.negate());
        }
    }
    Ok(())
}

fn check_fixed_point(format: Format, b: u64) -> Result<(), TestCaseError> {
    let x = finite(format, b);
    let expected = if b == 0 {
        Rounded::Zero { negative: false }
    } else {
        Rounded::Finite(x.clone())
    };
    prop_assert_eq!(format.round(&x, Subnormals::Gradual), expected.clone());
    if x >= finite(format, min_normal_bits(format)) {
        prop_assert_eq!(format.round(&x, Subnormals::FlushToZero), expected);
    }
    Ok(())
}

fn check_bits(format: Format, bits: u64) -> Result<(), TestCaseError> {
    let decoded = format.from_bits(bits).expect("in width");
    match decoded {
        Decoded::Nan => prop_assert!(native_is_nan(format, bits)),
        Decoded::Number(x) => {
            prop_assert!(!native_is_nan(format, bits));
            prop_assert_eq!(format.to_bits(&x).expect("encodes"), bits);
            prop_assert_eq!(x.value(), native_value(format, bits));
            prop_assert_eq!(x.is_negative(), bits & sign_bit(format) != 0);
            prop_assert_eq!(format.exact_of_bits(bits), native_value(format, bits));
        }
    }
    Ok(())
}

fn check_flush_input(format: Format, bits: u64) -> Result<(), TestCaseError> {
    let Ok(Decoded::Number(x)) = format.from_bits(bits) else {
        return Ok(());
    };
    let flushed = format.flush_input(&x);
    let magnitude_bits = bits & !sign_bit(format);
    // Subnormal patterns are exactly those with a zero exponent field and a nonzero significand,
    // i.e. 0 < magnitude pattern < the pattern of 2^emin.
    if magnitude_bits != 0 && magnitude_bits < min_normal_bits(format) {
        prop_assert_eq!(
            flushed,
            Rounded::Zero {
                negative: bits != magnitude_bits
            }
        );
    } else {
        prop_assert_eq!(flushed, x);
    }
    Ok(())
}

/// Every 16-bit pattern: exact values, midpoints and midpoints ± 2^−200, both signs, both modes.
fn check_exhaustively(format: Format) {
    let mut checked = 0usize;
    for b in 0..=max_bits(format) {
        let x = finite(format, b);
        let mid = (x.clone() + next_value(format, b)) / 2u32;
        let nudge = pow2(-200);
        for q in [x, mid.clone() - &nudge, mid.clone(), mid + &nudge] {
            for q in [q.clone(), -q] {
                for subnormals in [Subnormals::Gradual, Subnormals::FlushToZero] {
                    assert_eq!(
                        rounded_bits(format, &q, subnormals),
                        reference_bits(format, &q, subnormals),
                        "{format} {subnormals:?} of {q}"
                    );
                    checked += 1;
                }
            }
        }
    }
    // 0x7f7f + 1 patterns (bfloat16) or 0x7bff + 1 (binary16), 16 cases each.
    assert_eq!(checked, (max_bits(format) as usize + 1) * 16);
}

macro_rules! per_format {
    ($($module:ident => $format:expr),* $(,)?) => {$(
        mod $module {
            use super::*;
            const FORMAT: Format = $format;

            proptest! {
                #![proptest_config(crate::common::config("formats", 512))]

                #[test]
                fn rounding_returns_the_nearest_representable_value(q in cases(FORMAT)) {
                    check_nearest(FORMAT, &q)?;
                }

                #[test]
                fn ties_round_to_even_significand((b, mid) in ties(FORMAT)) {
                    check_tie(FORMAT, b, &mid)?;
                }

                #[test]
                fn values_at_or_beyond_halfway_to_overflow_round_to_infinity(
                    (num, den, shift) in (0..u64::MAX, 1..u64::MAX, 0..64i32)
                ) {
                    check_overflow(FORMAT, &(Rational::from((num, den)) >> shift))?;
                }

                #[test]
                fn flush_to_zero_flushes_exactly_the_tiny_results(q in cases(FORMAT)) {
                    check_flush_to_zero(FORMAT, &q)?;
                }

                #[test]
                fn flush_to_zero_decides_tininess_after_rounding(q in near_smallest_normal(FORMAT)) {
                    check_flush_to_zero(FORMAT, &q)?;
                    check_nearest(FORMAT, &q)?;
                }

                #[test]
                fn rounding_commutes_with_negation(q in cases(FORMAT)) {
                    check_symmetric(FORMAT, &q)?;
                }

                #[test]
                fn representable_values_round_to_themselves(b in boundary_bits(FORMAT)) {
                    check_fixed_point(FORMAT, b)?;
                }

                #[test]
                fn bits_round_trip(b in any::<u64>()) {
                    let width = FORMAT.bits();
                    let b = if width < 64 { b & ((1u64 << width) - 1) } else { b };
                    check_bits(FORMAT, b)?;
                }

                #[test]
                fn flush_input_zeroes_exactly_the_subnormals(b in boundary_bits(FORMAT), negative in any::<bool>()) {
                    check_flush_input(FORMAT, b | if negative { sign_bit(FORMAT) } else { 0 })?;
                }
            }

            #[test]
            fn largest_finite_is_fixed_point() {
                let top = finite(FORMAT, max_bits(FORMAT));
                assert_eq!(FORMAT.largest_finite(), top);
                assert_eq!(rounded_bits(FORMAT, &top, Subnormals::Gradual), max_bits(FORMAT));
                assert_eq!(
                    rounded_bits(FORMAT, &Rational::from(-&top), Subnormals::FlushToZero),
                    max_bits(FORMAT) | sign_bit(FORMAT)
                );
            }

            #[test]
            fn smallest_subnormal_boundary() {
                // s = the smallest subnormal (pattern 1). s/2 is a tie between 0 (even) and s
                // (odd): 0, keeping the sign. Just above s/2: s. 3s/2 is a tie between s (odd)
                // and 2s (even): 2s.
                let s = finite(FORMAT, 1);
                let half = Rational::from(&s / 2u32);
                let hair = Rational::from(&s >> 300);
                let round = |q: &Rational| rounded_bits(FORMAT, q, Subnormals::Gradual);
                assert_eq!(round(&s), 1);
                assert_eq!(round(&half), 0);
                assert_eq!(round(&Rational::from(-&half)), sign_bit(FORMAT));
                assert_eq!(round(&Rational::from(&half - &hair)), 0);
                assert_eq!(round(&Rational::from(&half + &hair)), 1);
                assert_eq!(round(&(Rational::from(&s * 3u32) / 2u32)), 2);
                assert_eq!(round(&Rational::from(&s >> 1000)), 0);
                // Flushed, every subnormal result is ±0.
                assert_eq!(rounded_bits(FORMAT, &s, Subnormals::FlushToZero), 0);
            }

            #[test]
            fn parameters_match_the_native_type() {
                let p = native_precision(FORMAT);
                assert_eq!(FORMAT.precision(), p);
                assert_eq!(FORMAT.smallest_subnormal(), finite(FORMAT, 1));
                assert_eq!(FORMAT.smallest_normal(), finite(FORMAT, min_normal_bits(FORMAT)));
                assert_eq!(FORMAT.smallest_normal(), pow2(FORMAT.min_exponent()));
                assert_eq!(FORMAT.largest_finite(), finite(FORMAT, max_bits(FORMAT)));
                assert_eq!(FORMAT.overflow_threshold(), overflow_threshold(FORMAT));
                assert_eq!(FORMAT.min_exponent(), 1 - FORMAT.max_exponent());
                // The ulp of 1 is 2^(1−p) (native EPSILON); u is half of it.
                assert_eq!(
                    FORMAT.unit_roundoff(),
                    Rational::from(&next_value(FORMAT, pattern_of(FORMAT, &Rational::from(1))) - 1u32) / 2u32
                );
                assert_eq!(Format::parse(FORMAT.name()), Ok(FORMAT));
                assert_eq!(FORMAT.to_string(), FORMAT.name());
            }

        }
    )*};
}

per_format! {
    binary64 => Format::Binary64,
    binary32 => Format::Binary32,
    binary16 => Format::Binary16,
    bfloat16 => Format::Bfloat16,
}

// ---------------------------------------------------------------------------------------------
// Exhaustive and hand-derived cases.
// ---------------------------------------------------------------------------------------------

#[test]
fn every_16_bit_value_midpoint_and_near_midpoint_rounds_to_the_reference() {
    check_exhaustively(Format::Binary16);
    check_exhaustively(Format::Bfloat16);
}

#[test]
fn every_16_bit_pattern_round_trips_and_decodes_as_half_does() {
    for format in [Format::Binary16, Format::Bfloat16] {
        for bits in 0..=u64::from(u16::MAX) {
            check_bits(format, bits).unwrap();
            check_flush_input(format, bits).unwrap();
        }
    }
}

#[test]
fn bfloat16_hand_derived_cases() {
    let round = |q: Rational| rounded_bits(Format::Bfloat16, &q, Subnormals::Gradual);
    // p = 8, emax = 127: the largest finite value is (2 − 2^−7)·2^127, pattern 0x7f7f (exponent
    // field 0xfe, significand field 0x7f).
    let largest: Rational = (Rational::from(2) - pow2(-7)) << 127;
    assert_eq!(round(largest.clone()), 0x7f7f);
    // Halfway to overflow: (2 − 2^−8)·2^127 = largest + 2^119 (half an ulp of 2^120). A tie
    // between 0x7f7f (odd) and the next pattern 0x7f80 = +∞ (even): ∞ (IEEE 754-2008 §4.3.1).
    let halfway: Rational = (Rational::from(2) - pow2(-8)) << 127;
    assert_eq!(Rational::from(&halfway - &largest), pow2(119));
    assert_eq!(round(halfway.clone()), 0x7f80);
    assert_eq!(round(Rational::from(-&halfway)), 0xff80);
    assert_eq!(round(halfway - pow2(-200)), 0x7f7f);
    // 1 = 0x3f80; the next value is 1 + 2^−7 (0x3f81). 1 + 2^−8 is their midpoint: a tie, to
    // the even significand, 1.
    assert_eq!(round(Rational::from(1) + pow2(-8)), 0x3f80);
    assert_eq!(round(Rational::from(1) + pow2(-8) + pow2(-200)), 0x3f81);
    // 1 + 3·2^−8 lies midway between 1 + 2^−7 (field 1, odd) and 1 + 2^−6 (field 2, even).
    assert_eq!(round(Rational::from(1) + pow2(-8) * 3u32), 0x3f82);
    // 1/3 = 0.0101…₂ = 1.0101010|1010…₂·2^−2: the 8 significant bits 1.0101010, the rest
    // 0.1010…₂ = 2/3 of an ulp, above half: round up to 1.0101011·2^−2. Exponent field
    // 127 − 2 = 0x7d, significand field 0101011₂ = 0x2b: (0x7d << 7) | 0x2b = 0x3eab.
    assert_eq!(round(Rational::from((1, 3))), 0x3eab);
    // bfloat16 keeps binary32's subnormals: the smallest is 2^−126·2^−7 = 2^−133 (pattern 1).
    assert_eq!(round(pow2(-133)), 0x0001);
    assert_eq!(round(pow2(-134)), 0x0000);
}

#[test]
fn binary16_hand_derived_cases() {
    let round = |q: Rational| rounded_bits(Format::Binary16, &q, Subnormals::Gradual);
    // p = 11, emax = 15: largest finite (2 − 2^−10)·2^15 = 65504, pattern 0x7bff.
    assert_eq!(round(Rational::from(65504)), 0x7bff);
    // Halfway to overflow: (2 − 2^−11)·2^15 = 65520 → +∞ (0x7c00); anything below stays 65504.
    assert_eq!(round(Rational::from(65520)), 0x7c00);
    assert_eq!(round(Rational::from(65520) - pow2(-200)), 0x7bff);
    // Smallest subnormal 2^(−14−10) = 2^−24 (pattern 1); 2^−25 is the tie with 0 → 0.
    assert_eq!(round(pow2(-24)), 0x0001);
    assert_eq!(round(pow2(-25)), 0x0000);
    assert_eq!(round(pow2(-25) + pow2(-200)), 0x0001);
    // The largest subnormal (2^10 − 1)·2^−24 = 0x03ff and 2^−14 = 0x0400; their midpoint
    // 2^−14 − 2^−25 ties to the even 0x0400.
    assert_eq!(round(pow2(-14) - pow2(-25)), 0x0400);
    // 1/3 = 1.0101010101|0101…₂·2^−2: the remainder 0.0101…₂ = 1/3 ulp rounds down. Exponent
    // field 15 − 2 = 13 = 01101₂, significand 0101010101₂ = 0x155: (13 << 10) | 0x155 = 0x3555.
    assert_eq!(round(Rational::from((1, 3))), 0x3555);
}

#[test]
fn binary32_and_binary64_hand_derived_cases() {
    // 1/10 in binary32: 0x3dcccccd (1.10011001100110011001101₂·2^−4, rounded up: the
    // remainder 0.1001…₂ ulp is above half). In binary64: 0x3fb999999999999a (the same pattern
    // cut at 52 bits, 1001 1001… rounding the last 9 up to a).
    let tenth = Rational::from((1, 10));
    assert_eq!(
        rounded_bits(Format::Binary32, &tenth, Subnormals::Gradual),
        0x3dcc_cccd
    );
    assert_eq!(
        rounded_bits(Format::Binary64, &tenth, Subnormals::Gradual),
        0x3fb9_9999_9999_999a
    );
    // binary32 overflow: largest (2 − 2^−23)·2^127 = 0x7f7fffff; (2 − 2^−24)·2^127 → ∞.
    let halfway: Rational = (Rational::from(2) - pow2(-24)) << 127;
    assert_eq!(
        rounded_bits(Format::Binary32, &halfway, Subnormals::Gradual),
        0x7f80_0000
    );
    assert_eq!(
        rounded_bits(Format::Binary32, &(halfway - pow2(-1)), Subnormals::Gradual),
        0x7f7f_ffff
    );
    // binary64 overflow: (2 − 2^−53)·2^1023 → ∞ (0x7ff0…), just below → f64::MAX.
    let halfway: Rational = (Rational::from(2) - pow2(-53)) << 1023;
    assert_eq!(
        rounded_bits(Format::Binary64, &halfway, Subnormals::Gradual),
        0x7ff0_0000_0000_0000
    );
    assert_eq!(
        rounded_bits(Format::Binary64, &(halfway - pow2(-1)), Subnormals::Gradual),
        0x7fef_ffff_ffff_ffff
    );
}

#[test]
fn flush_to_zero_hand_derived_cases() {
    let b32 = |q: Rational, s| rounded_bits(Format::Binary32, &q, s);
    let (gradual, flush) = (Subnormals::Gradual, Subnormals::FlushToZero);
    // binary32, emin = −126, p = 24. 2^−126 − 2^−150 = 2^−126(1 − 2^−24) is the midpoint between
    // the largest subnormal 2^−126 − 2^−149 (odd) and 2^−126 (even): gradual underflow gives
    // 2^−126 (0x00800000). With the exponent unbounded it is representable (24 ones), below
    // 2^−126: tiny after rounding, so FTZ flushes it.
    assert_eq!(b32(pow2(-126) - pow2(-150), gradual), 0x0080_0000);
    assert_eq!(b32(pow2(-126) - pow2(-150), flush), 0);
    assert_eq!(b32(pow2(-150) - pow2(-126), flush), 0x8000_0000);
    // 2^−126(1 − 2^−25) = 2^−126 − 2^−151 is the tie at precision 24 between 2^−126(1 − 2^−24)
    // (odd) and 2^−126 (even): it rounds to 2^−126, not tiny, kept.
    assert_eq!(b32(pow2(-126) - pow2(-151), flush), 0x0080_0000);
    assert_eq!(b32(pow2(-126) - pow2(-151) - pow2(-300), flush), 0);
    // An exact subnormal (2^−127, pattern 0x00400000) is tiny too: flushed.
    assert_eq!(b32(pow2(-127), gradual), 0x0040_0000);
    assert_eq!(b32(pow2(-127), flush), 0);
    // bfloat16 (p = 8): threshold 2^−126(1 − 2^−9).
    let bf = |q: Rational| rounded_bits(Format::Bfloat16, &q, flush);
    assert_eq!(bf(pow2(-126) - pow2(-135)), 0x0080);
    assert_eq!(bf(pow2(-126) - pow2(-134)), 0);
}

#[test]
fn agrees_with_native_f32_and_half() {
    // An extra check, not the proof: the native conversions round ties to even too. 200 000 random
    // f32 patterns through half's from_f32, and f64 patterns through `as f32` and from_f64.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let rng = runner.rng();
    let mut compared = 0usize;
    for _ in 0..200_000 {
        let b32 = rng.next_u32();
        let x = f32::from_bits(b32);
        if let Some(q) = Rational::from_f32(x) {
            let q_neg_zero = x == 0.0 && x.is_sign_negative();
            if !q_neg_zero {
                assert_eq!(
                    round_bf16(&q).to_bits(),
                    bf16::from_f32(x).to_bits(),
                    "{x:e}"
                );
                assert_eq!(round_f16(&q).to_bits(), f16::from_f32(x).to_bits(), "{x:e}");
                assert_eq!(round_f32(&q).to_bits(), b32, "{x:e}");
                compared += 3;
            }
        }
        let b64 = rng.next_u64();
        let y = f64::from_bits(b64);
        if let Some(q) = Rational::from_f64(y) {
            if !(y == 0.0 && y.is_sign_negative()) {
                assert_eq!(round_f32(&q).to_bits(), (y as f32).to_bits(), "{y:e}");
                assert_eq!(round_f64(&q).to_bits(), b64, "{y:e}");
                assert_eq!(round_f16(&q).to_bits(), f16::from_f64(y).to_bits(), "{y:e}");
                compared += 3;
            }
        }
    }
    assert!(compared > 1_000_000, "only {compared} comparisons");
}

proptest! {
    #[test]
    fn round_f64_agrees_with_mpfr_rounding(q in cases(Format::Binary64)) {
        // The crate's older MPFR-based `rational_to_f64` and this module must agree bit for bit.
        prop_assert_eq!(
            round_f64(&q).to_bits(),
            momentum_oracle::arith::rational_to_f64(&q).to_bits()
        );
    }
}

#[test]
fn names_parse_and_unknown_names_are_errors() {
    for (name, format) in [
        ("f64", Format::Binary64),
        ("f32", Format::Binary32),
        ("f16", Format::Binary16),
        ("bf16", Format::Bfloat16),
        ("bfloat16", Format::Bfloat16),
    ] {
        assert_eq!(Format::parse(name), Ok(format));
    }
    assert!(matches!(
        Format::parse("fp8"),
        Err(momentum_oracle::Error::Unknown {
            kind: "number format",
            ..
        })
    ));
    assert_eq!(Format::ALL.len(), 4);
    // Encoding never rounds: 1 + 2^−8 is not a bfloat16 number.
    assert!(
        Format::Bfloat16
            .to_bits(&Rounded::Finite(Rational::from(1) + pow2(-8)))
            .is_err()
    );
    // A pattern wider than the format is an error, not a silently truncated value.
    assert!(Format::Binary16.from_bits(0x1_0000).is_err());
}

// ---------------------------------------------------------------------------------------------
// Native f32 as a scalar: the laws of `momentum_oracle::arith::scalar` with binary32 in place of
// binary64, checked against the reference above.
// ---------------------------------------------------------------------------------------------

mod f32_scalar {
    use super::*;
    use momentum_oracle::arith::format::F32Mat;
    use momentum_oracle::arith::linalg::{Matrix, QMat, Vector};
    use momentum_oracle::arith::{Number, Rounding, round_to_f32};
    use rug::Float;

    fn finite_f32() -> impl Strategy<Value = f32> {
        any::<u32>()
            .prop_map(f32::from_bits)
            .prop_filter("finite", |x| x.is_finite())
    }

    fn exact(x: f32) -> Rational {
        Rational::from_f32(x).expect("finite")
    }

    /// The binary32 value the reference rounds `q` to, compared as a float so that `±0` agree
    /// (the sign of an exact zero sum is a property of the operation, not of the rounding).
    fn reference_f32(q: &Rational) -> f32 {
        f32::from_bits(reference_bits(Format::Binary32, q, Subnormals::Gradual) as u32)
    }

    #[test]
    fn f32_from_float_keeps_the_sign_of_zero_and_sends_far_values_to_zero_or_infinity() {
        let bits = |x: Float| <f32 as Number>::from_float(&x).unwrap().to_bits();
        let zero = Float::with_val(53, 0);
        assert_eq!(bits(zero.clone()), 0);
        assert_eq!(bits(-zero), 0x8000_0000);
        // 2^-301 and 2^-400 lie far below half the least subnormal (2^-150): ±0, sign kept.
        for e in [301u32, 400] {
            let tiny = Float::with_val(53, 1) >> e;
            assert_eq!(bits(tiny.clone()), 0, "2^-{e}");
            assert_eq!(bits(-tiny), 0x8000_0000, "-2^-{e}");
        }
        // 2^299 and 2^400 lie past the overflow threshold (2 − 2^-24)·2^127: ±∞.
        for e in [299u32, 400] {
            let huge = Float::with_val(53, 1) << e;
            assert_eq!(bits(huge.clone()), f32::INFINITY.to_bits(), "2^{e}");
            assert_eq!(bits(-huge), f32::NEG_INFINITY.to_bits(), "-2^{e}");
        }
        // In range it is the one rounding of the value: 1/3 at 100 bits → 0x3eaaaaab, and its
        // negation the same bits with the sign set.
        let third = Float::with_val(100, 1) / 3u32;
        assert_eq!(bits(third.clone()), 0x3eaa_aaab);
        assert_eq!(bits(-third), 0xbeaa_aaab);
    }

    proptest! {
        #![proptest_config(crate::common::config("formats", 2048))]

        #[test]
        fn f32_converts_to_and_from_rationals_exactly(x in finite_f32()) {
            let q = x.to_rational().expect("finite");
            prop_assert_eq!(<f32 as Number>::from_rational(&q), x);
            prop_assert_eq!(Rational::from_f64(Number::to_f64(&x)), Some(q));
        }

        #[test]
        fn f32_constants_are_the_nearest_binary32_numbers(num in any::<i64>(), den in 1..u64::MAX) {
            let q = Rational::from((num, den));
            prop_assert_eq!(<f32 as Number>::from_ratio(num, den), reference_f32(&q));
        }

        #[test]
        fn f32_fused_mul_add_rounds_once_and_naive_twice(
            a in finite_f32(), b in finite_f32(), c in finite_f32()
        ) {
            let product = exact(a) * exact(b);
            let fused = Number::mul_add(&a, &b, &c, Rounding::Fused);
            prop_assert_eq!(fused, reference_f32(&(product.clone() + exact(c))));
            let rounded_product = reference_f32(&product);
            let naive = Number::mul_add(&a, &b, &c, Rounding::Naive);
            if rounded_product.is_finite() {
                prop_assert_eq!(naive, reference_f32(&(exact(rounded_product) + exact(c))));
            } else {
                prop_assert_eq!(naive, rounded_product);
            }
        }

        #[test]
        fn f32_sqrt_is_correctly_rounded(x in finite_f32()) {
            let x = x.abs();
            let r = Number::sqrt(&x).expect("non-negative");
            // r is the nearest binary32 number to √x iff x lies between the squares of the
            // midpoints to r's neighbours (√ has no ties: a midpoint's square has too many bits).
            let b = u64::from(r.to_bits());
            let lo = if b == 0 { Rational::new() } else { (finite(Format::Binary32, b - 1) + exact(r)) / 2u32 };
            let hi = (exact(r) + next_value(Format::Binary32, b)) / 2u32;
            let q = exact(x);
            prop_assert!(Rational::from(&lo * &lo) <= q && q <= Rational::from(&hi * &hi), "√{x} = {r}");
            prop_assert_eq!(Number::sqrt(&-1.0f32), None);
        }

        #[test]
        fn f32_exp_and_ln_are_correctly_rounded(x in -100.0f32..80.0) {
            // The exact value lies in an interval of 2^-200 relative width around MPFR's 220-bit
            // result; it must lie between the midpoints to the result's neighbours.
            for (result, wide) in [
                (Number::exp(&x), Float::with_val(220, x).exp()),
                (Number::ln(&x.abs().max(f32::MIN_POSITIVE)), Float::with_val(220, x.abs().max(f32::MIN_POSITIVE)).ln()),
            ] {
                let r = result.expect("defined");
                let w = wide.to_rational().expect("finite");
                let b = u64::from(r.abs().to_bits());
                let sign = if r < 0.0 { -1 } else { 1 };
                let w: Rational = w * sign;
                let lo = if b == 0 { Rational::new() } else { (finite(Format::Binary32, b - 1) + exact(r.abs())) / 2u32 };
                let hi = (exact(r.abs()) + next_value(Format::Binary32, b)) / 2u32;
                let slack = Rational::from(w.abs_ref()) >> 200i32;
                prop_assert!(Rational::from(&lo - &slack) <= w && w <= Rational::from(&hi + &slack), "{x}: {r}");
            }
        }
    }

    #[test]
    fn f32_cos_pi_is_exact_at_rational_points_and_correctly_rounded_at_algebraic_ones() {
        let q = |n: i64, d: u64| Rational::from((n, d));
        for (x, want) in [
            (q(1, 3), 0.5f32),
            (q(1, 2), 0.0),
            (q(1, 1), -1.0),
            (q(-2, 3), -0.5),
        ] {
            assert_eq!(<f32 as Number>::cos_pi(&x), Some(want), "cos(π·{x})");
        }
        // cos(π/5) = (1 + √5)/4 and cos(π/4) = √2/2: the algebraic values at 200 bits, rounded
        // once, not through a cosine.
        let root = |n: u32| Float::with_val(200, n).sqrt();
        let fifth = round_to_f32(&((root(5) + 1u32) / 4u32).to_rational().unwrap());
        let quarter = round_to_f32(&(root(2) / 2u32).to_rational().unwrap());
        for (x, want) in [
            (q(1, 5), fifth.clone()),
            (q(4, 5), -fifth),
            (q(1, 4), quarter.clone()),
            (q(7, 4), quarter),
        ] {
            let got = <f32 as Number>::cos_pi(&x).expect("defined");
            assert_eq!(exact(got), want, "cos(π·{x})");
        }
    }

    #[test]
    fn f32_ln_is_undefined_at_zero_and_below() {
        for x in [0.0f32, -0.0, -1.0, f32::NEG_INFINITY] {
            assert_eq!(Number::ln(&x), None, "ln({x})");
        }
        assert_eq!(Number::ln(&1.0f32), Some(0.0));
    }

    #[test]
    fn f32_vectors_and_matrices_round_like_their_scalars() {
        // axpy is one mul_add per element; a matrix holds the nearest binary32 entries and sums
        // each row left to right with products and sums rounded separately.
        let mut y: Vec<f32> = Vector::from_scalars(&[1.0, -2.0, 3.5]);
        let x: Vec<f32> = Vector::from_scalars(&[0.1, 0.2, 0.3]);
        let a = <f32 as Number>::from_ratio(1, 3);
        let expected: Vec<f32> = (0..3)
            .map(|i| Number::mul_add(&x[i], &a, &y[i], Rounding::Fused))
            .collect();
        y.axpy(&a, &x, Rounding::Fused);
        assert_eq!(y, expected);
        assert_eq!(x.dot(&x), (0.1f32 * 0.1 + 0.2 * 0.2) + 0.3 * 0.3);

        let tenth = Rational::from((1, 10));
        let third = Rational::from((1, 3));
        let m = QMat::from_rows(&[
            vec![tenth.clone(), Rational::new()],
            vec![third.clone(), Rational::from(2)],
        ])
        .unwrap();
        let f = F32Mat::from_exact(&m);
        assert_eq!((f.rows(), f.cols()), (2, 2));
        let v = vec![3.0f32, 0.5];
        let (t, h) = (reference_f32(&tenth), reference_f32(&third));
        assert_eq!(f.matvec(&v), vec![t * 3.0, h * 3.0 + 2.0 * 0.5]);
        assert_eq!(<f32 as Number>::arithmetic_name(), "f32");
    }
}

/// Encoding never rounds and never wraps: the largest binade's power of two encodes with the
/// largest finite biased exponent (binary32 2¹²⁷ = 0x7F000000, binary16 2¹⁵ = 0x7800, bfloat16
/// 2¹²⁷ = 0x7F00, by hand from the field layouts), and the next power of two, of either sign, is
/// refused (as is a value below the smallest subnormal, which no significand can hold). Written
/// for the mutant that joined the two range tests with `&&`: 2^(emax+1) then encoded as a
/// pattern whose exponent spills into the sign bit.
#[test]
fn encoding_refuses_a_value_beyond_the_largest_binade() {
    for (format, emax, top, min_subnormal) in [
        (Format::Binary32, 127, 0x7F00_0000u64, -149),
        (Format::Binary16, 15, 0x7800, -24),
        (Format::Bfloat16, 127, 0x7F00, -133),
    ] {
        let finite = |q: Rational| Rounded::Finite(q);
        assert_eq!(
            format.to_bits(&finite(pow2(emax))).unwrap(),
            top,
            "{format:?}"
        );
        assert!(
            format.to_bits(&finite(pow2(emax + 1))).is_err(),
            "{format:?}"
        );
        assert!(
            format.to_bits(&finite(-pow2(emax + 1))).is_err(),
            "{format:?}"
        );
        assert_eq!(
            format.to_bits(&finite(pow2(min_subnormal))).unwrap(),
            1,
            "{format:?}"
        );
        assert!(
            format.to_bits(&finite(pow2(min_subnormal - 1))).is_err(),
            "{format:?}"
        );
    }
}

/// A zero given as `Rounded::Finite(0)` (which `round` never makes, but a caller may) has no sign:
/// `to_bits` encodes it as `+0` (all bits clear, IEEE 754-2008 §3.4), so its sign bit, which
/// `is_negative` reports, is clear too — for the zero and for no other finite value of either
/// sign; denormals-are-zero (`flush_input`) reads it as that `+0`.
#[test]
fn a_finite_zero_is_not_negative() {
    for format in Format::ALL {
        let zero = Rounded::Finite(Rational::new());
        assert_eq!(format.to_bits(&zero).unwrap(), 0);
        assert!(!zero.is_negative());
        assert_eq!(format.flush_input(&zero), Rounded::Zero { negative: false });
        assert!(Rounded::Finite(Rational::from(-1)).is_negative());
        assert!(!Rounded::Finite(Rational::from(1)).is_negative());
    }
}
