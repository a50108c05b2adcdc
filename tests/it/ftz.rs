//! Binary64 under flush-to-zero and denormals-are-zero (`arith::ftz::Ftz`, XLA's CPU arithmetic),
//! proved against ℚ.
//!
//! The reference shares nothing with `src/arith/ftz.rs` beyond IEEE 754's rules: an operand that
//! is subnormal is read as a zero of its sign (DAZ); a result whose exact value is 0, or that
//! involves ∞ or NaN, is what the native operation gives (no rounding happens there, and IEEE's
//! signed-zero and special-value rules are the hardware's); every other result is the exact
//! rational result rounded by `formats::reference_bits` with flush-to-zero (tininess after
//! rounding, the bisection reference of `tests/it/formats.rs`). Hand-derived cases carry their
//! derivation.

use momentum_oracle::arith::format::{Format, Subnormals};
use momentum_oracle::arith::ftz::{Ftz, FtzMat};
use momentum_oracle::arith::linalg::{Matrix, QMat};
use momentum_oracle::arith::{Number, Rounding};
use proptest::prelude::*;
use rug::Rational;

use crate::formats::reference_bits;

/// The test's own DAZ: a subnormal read as a zero of its sign.
fn daz(x: f64) -> f64 {
    if x.is_subnormal() {
        0.0f64.copysign(x)
    } else {
        x
    }
}

fn exact(x: f64) -> Rational {
    Rational::from_f64(x).expect("finite")
}

/// What an FTZ/DAZ machine gives for an operation whose native result on the flushed operands is
/// `native` and whose exact result (finite operands, defined) is `q`.
fn expected(operands: &[f64], native: f64, q: impl FnOnce() -> Option<Rational>) -> u64 {
    if operands.iter().any(|x| !x.is_finite()) {
        return native.to_bits();
    }
    match q() {
        Some(q) if q != 0 => reference_bits(Format::Binary64, &q, Subnormals::FlushToZero),
        // An exact zero (IEEE's sign rules) or a division by zero: no rounding, the native result.
        _ => native.to_bits(),
    }
}

/// An operation in ℚ (`None` where it is undefined).
type ExactOp = Box<dyn Fn(Rational, Rational) -> Option<Rational>>;

fn same_bits(got: Ftz, want: u64) -> bool {
    let g = got.value();
    g.to_bits() == want || (g.is_nan() && f64::from_bits(want).is_nan())
}

/// Binary64 values weighted towards where FTZ decides: subnormals, both sides of 2⁻¹⁰²², values
/// whose products or quotients land there, signed zeros, ∞, NaN and any pattern.
fn value() -> impl Strategy<Value = f64> {
    let scaled = |lo: i32, hi: i32| {
        (any::<u64>(), lo..hi, any::<bool>()).prop_map(|(m, e, neg)| {
            // 1.m × 2^e, e unbounded below: ldexp through exact powers of two (no double rounding:
            // a product by a power of two is exact unless it underflows, which is the point).
            let x = f64::from_bits((1023u64 << 52) | (m >> 12)) * 2f64.powi(e);
            if neg { -x } else { x }
        })
    };
    prop_oneof![
        any::<u64>().prop_map(f64::from_bits),
        scaled(-1075, -1018),
        scaled(-540, -480),
        scaled(480, 540),
        scaled(-3, 3),
        prop::sample::select(vec![
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            f64::MAX,
            1.0,
            -1.0,
            0.5,
        ]),
    ]
}

/// Pairs whose sums and differences are tiny: b within a few ulps of ±a near 2⁻¹⁰²².
fn pair() -> impl Strategy<Value = (f64, f64)> {
    prop_oneof![
        (value(), value()),
        (value(), -4i64..=4, any::<bool>()).prop_map(|(a, k, neg)| {
            let b = f64::from_bits(a.to_bits().wrapping_add_signed(k));
            (a, if neg { -b } else { b })
        }),
    ]
}

proptest! {
    #![proptest_config(crate::common::config("ftz", 4000))]

    #[test]
    fn every_operation_is_the_exactly_rounded_flush_to_zero_result((a, b) in pair()) {
        let (fa, fb) = (Ftz::new(a), Ftz::new(b));
        let (x, y) = (daz(a), daz(b));
        prop_assert_eq!(fa.value().to_bits(), x.to_bits(), "DAZ of {:e}", a);
        let ops: [(&str, Ftz, f64, ExactOp); 4] = [
            ("+", fa + &fb, x + y, Box::new(|p, q| Some(p + q))),
            ("-", fa - &fb, x - y, Box::new(|p, q| Some(p - q))),
            ("*", fa * &fb, x * y, Box::new(|p, q| Some(p * q))),
            ("/", fa / &fb, x / y, Box::new(|p, q: Rational| (q != 0).then(|| p / q))),
        ];
        for (name, got, native, op) in ops {
            let want = expected(&[x, y], native, || op(exact(x), exact(y)));
            prop_assert!(same_bits(got, want), "{:e} {} {:e}: got {:e}, want {:e}",
                x, name, y, got.value(), f64::from_bits(want));
        }
        // The compound assignments are the operations.
        let mut acc = fa;
        acc += &fb;
        prop_assert!(same_bits(acc, (fa + &fb).value().to_bits()));
        acc = fa;
        acc -= &fb;
        prop_assert!(same_bits(acc, (fa - &fb).value().to_bits()));
        acc = fa;
        acc *= &fb;
        prop_assert!(same_bits(acc, (fa * &fb).value().to_bits()));
        acc = fa;
        acc /= &fb;
        prop_assert!(same_bits(acc, (fa / &fb).value().to_bits()));
    }

    #[test]
    fn a_fused_multiply_add_rounds_once_with_flush_to_zero(
        (a, b) in pair(), c in value(),
    ) {
        let (fa, fb, fc) = (Ftz::new(a), Ftz::new(b), Ftz::new(c));
        let (x, y, z) = (daz(a), daz(b), daz(c));
        let got = fa.mul_add(&fb, &fc, Rounding::Fused);
        let want = expected(&[x, y, z], x.mul_add(y, z), || {
            Some(exact(x) * exact(y) + exact(z))
        });
        prop_assert!(same_bits(got, want), "fma({:e}, {:e}, {:e}): got {:e}, want {:e}",
            x, y, z, got.value(), f64::from_bits(want));
        // Naive: the product rounded (and flushed) first, then the sum.
        let naive = fa.mul_add(&fb, &fc, Rounding::Naive);
        prop_assert!(same_bits(naive, (fa * &fb + &fc).value().to_bits()));
    }

    #[test]
    fn a_rational_converts_to_its_flush_to_zero_rounding(
        m in any::<i64>(), e in -1200i32..1100,
    ) {
        let q = Rational::from(m) * (Rational::from(1) << e);
        let got = Ftz::from_rational(&q);
        let want = reference_bits(Format::Binary64, &q, Subnormals::FlushToZero);
        prop_assert_eq!(got.value().to_bits(), want, "{}", q);
        prop_assert_eq!(got.to_rational(), Rational::from_f64(got.value()));
    }

    #[test]
    fn from_float_gives_exactly_the_values_that_need_no_exact_decision(x in value()) {
        // The MPFR value is the binary64 itself: what comes back is the value when it is not
        // tiny, and nothing when the exact value must decide (a nonzero magnitude ≤ 2⁻¹⁰²²).
        let f = rug::Float::with_val(53, x);
        let got = Ftz::from_float(&f);
        let tiny = x != 0.0 && x.is_finite() && x.abs() <= f64::MIN_POSITIVE;
        if tiny {
            prop_assert_eq!(got, None);
        } else if x.is_nan() {
            prop_assert!(got.is_some_and(|g| g.value().is_nan()));
        } else {
            prop_assert_eq!(got.map(|g| g.value().to_bits()), Some(x.to_bits()));
        }
    }
}

#[test]
fn signed_zeros_and_nan_follow_ieee_under_flush_to_zero() {
    let z = |x: f64| Ftz::new(x);
    // (−0) + (−0) = −0 and (−0) − (+0) = −0 in round-to-nearest (IEEE 754-2008 §6.3); the exact
    // sum is 0 and has no sign, so only the native result can give it.
    assert_eq!((z(-0.0) + &z(-0.0)).value().to_bits(), (-0.0f64).to_bits());
    assert_eq!((z(-0.0) - &z(0.0)).value().to_bits(), (-0.0f64).to_bits());
    assert_eq!((z(-0.0) * &z(3.0)).value().to_bits(), (-0.0f64).to_bits());
    assert_eq!((z(0.0) / &z(-3.0)).value().to_bits(), (-0.0f64).to_bits());
    // A subnormal operand is a signed zero (DAZ): −2⁻¹⁰⁷⁴ · 1 = −0, not −2⁻¹⁰⁷⁴.
    let smallest = f64::from_bits(1);
    assert_eq!(
        (z(-smallest) * &z(1.0)).value().to_bits(),
        (-0.0f64).to_bits()
    );
    assert_eq!(z(smallest).value().to_bits(), 0);
    // NaN stays NaN whatever it meets (its exact value does not exist).
    assert!((z(f64::NAN) + &z(1.0)).value().is_nan());
    assert!((z(f64::NAN) * &z(0.0)).value().is_nan());
    assert!((z(f64::INFINITY) - &z(f64::INFINITY)).value().is_nan());
    assert_eq!((z(f64::MAX) * &z(2.0)).value(), f64::INFINITY);
    assert_eq!((z(-1.0) / &z(0.0)).value(), f64::NEG_INFINITY);
}

#[test]
fn tininess_is_decided_after_rounding() {
    let min = f64::MIN_POSITIVE; // 2⁻¹⁰²²
    let z = |x: f64| Ftz::new(x);
    let p = |e: i32| 2f64.powi(e);
    // (1 − 2⁻²⁷)(1 + 2⁻²⁷) = 1 − 2⁻⁵⁴ (both factors have 28-bit significands, so they are exact):
    // 2⁻¹⁰²²(1 − 2⁻⁵⁴) is below 2⁻¹⁰²² but, rounded to 53 bits with the exponent unbounded, it is
    // the tie between 1 − 2⁻⁵³ (odd) and 1 (even) and goes to 2⁻¹⁰²²: not tiny, kept.
    let (a, b) = (p(-511) * (1.0 - p(-27)), p(-511) * (1.0 + p(-27)));
    assert_eq!((z(a) * &z(b)).value(), min);
    // Tininess before rounding would have flushed it; gradual underflow rounds it up as well.
    assert_eq!(a * b, min);
    // (1 − 2⁻²⁶)(1 + 2⁻²⁶) = 1 − 2⁻⁵² has 52 bits: 2⁻¹⁰²²(1 − 2⁻⁵²) < 2⁻¹⁰²² after rounding,
    // tiny, flushed to +0, where gradual underflow gives the subnormal.
    let (a, b) = (p(-511) * (1.0 - p(-26)), p(-511) * (1.0 + p(-26)));
    assert_eq!((z(a) * &z(b)).value().to_bits(), 0);
    assert!((a * b).is_subnormal());
    assert_eq!((z(-a) * &z(b)).value().to_bits(), (-0.0f64).to_bits());
    // (1 − 2⁻⁵³)·2⁻¹⁰²² = 2⁻¹⁰²² − 2⁻¹⁰⁷⁵: gradual underflow rounds the tie between the subnormal
    // 2⁻¹⁰²² − 2⁻¹⁰⁷⁴ (odd) and 2⁻¹⁰²² (even) up to 2⁻¹⁰²², but with 53 bits and the exponent
    // unbounded the value is exact and below 2⁻¹⁰²²: tiny, flushed. The native result equals
    // 2⁻¹⁰²² here and is still wrong, so 2⁻¹⁰²² itself must take the exact decision.
    let below_one = 1.0 - p(-53);
    assert_eq!(below_one * min, min);
    assert_eq!((z(below_one) * &z(min)).value().to_bits(), 0);
    assert_eq!(
        (z(-below_one) * &z(min)).value().to_bits(),
        (-0.0f64).to_bits()
    );
    // Halving 2⁻¹⁰²² is exact in gradual underflow (a subnormal) and flushes to zero here.
    assert_eq!((z(-min) * &z(0.5)).value().to_bits(), (-0.0f64).to_bits());
    // The difference of two neighbours just above 2⁻¹⁰²² is one subnormal ulp: flushed.
    let next = f64::from_bits(min.to_bits() + 1);
    assert_eq!((z(next) - &z(min)).value().to_bits(), 0);
    assert_eq!((z(min) - &z(next)).value().to_bits(), (-0.0f64).to_bits());
    // Exactly 2⁻¹⁰²² as a result is normal: 2⁻¹⁰²¹ · ½ stays.
    assert_eq!((z(2.0 * min) * &z(0.5)).value(), min);
}

#[test]
fn the_other_operations_of_the_arithmetic() {
    assert_eq!(Ftz::arithmetic_name(), "f64-ftz");
    assert_eq!(Ftz::rounding_precision(), Some(53));
    assert_eq!(Ftz::new(1.5).size_bits(), 64);
    assert_eq!(Ftz::new(-2.5).abs().value(), 2.5);
    assert_eq!((-Ftz::new(2.5)).value(), -2.5);
    assert_eq!((-Ftz::new(0.0)).value().to_bits(), (-0.0f64).to_bits());
    assert_eq!(Ftz::new(-2.5).to_f64(), -2.5);
    assert!(Ftz::new(1.0).is_finite() && !Ftz::new(f64::INFINITY).is_finite());
    assert!(!Ftz::new(f64::NAN).is_finite());
    assert_eq!(Ftz::new(2.25).sqrt().map(Ftz::value), Some(1.5));
    assert_eq!(Ftz::new(-1.0).sqrt(), None);
    assert_eq!(Ftz::new(0.0).exp().map(Ftz::value), Some(1.0));
    // e⁻⁷²⁰ ≈ 2⁻¹⁰³⁹ is subnormal in f64 (2⁻¹⁰²² ≈ e⁻⁷⁰⁸·⁴): flushed to +0.
    assert!(f64::exp(-720.0).is_subnormal());
    assert_eq!(Ftz::new(-720.0).exp().map(|x| x.value().to_bits()), Some(0));
    assert_eq!(Ftz::new(1.0).ln().map(Ftz::value), Some(0.0));
    // ln 10 ≈ 2.302585…: binary64's own (the crate's f64 logarithm), never tiny, never flushed.
    let ln10 = Ftz::new(10.0).ln().map(Ftz::value);
    assert_eq!(ln10, Number::ln(&10.0f64));
    assert!(ln10.is_some_and(|l| (2.30..2.31).contains(&l)));
    assert_eq!(Ftz::cos_pi(&Rational::from(1)).map(Ftz::value), Some(-1.0));
    assert_eq!(
        Ftz::new(0.75).written(),
        momentum_oracle::arith::Written::Binary64(0.75)
    );
}

#[test]
fn an_ftz_matrix_multiplies_like_f64_away_from_underflow_and_flushes_near_it() {
    // [[1/2, 0, 3], [0, 0, 0], [0, -1/4, 0]]: a zero row and sparse rows.
    let rows = vec![
        vec![Rational::from((1, 2)), Rational::from(0), Rational::from(3)],
        vec![Rational::from(0); 3],
        vec![
            Rational::from(0),
            Rational::from((-1, 4)),
            Rational::from(0),
        ],
    ];
    let q = QMat::from_rows(&rows).expect("a matrix");
    let m = FtzMat::from_exact(&q);
    assert_eq!((m.rows(), m.cols()), (3, 3));
    let x = vec![Ftz::new(2.0), Ftz::new(8.0), Ftz::new(-1.0)];
    let y: Vec<f64> = m.matvec(&x).into_iter().map(Ftz::value).collect();
    // By hand: 1/2·2 + 3·(−1) = −2; 0; −1/4·8 = −2.
    assert_eq!(y, vec![-2.0, 0.0, -2.0]);
    // (1/2)·2⁻¹⁰²² is a subnormal product: flushed before the sum, so the row gives 3·2⁻¹⁰²².
    let min = f64::MIN_POSITIVE;
    let x = vec![Ftz::new(min), Ftz::new(0.0), Ftz::new(min)];
    let y: Vec<f64> = m.matvec(&x).into_iter().map(Ftz::value).collect();
    assert_eq!(y, vec![3.0 * min, 0.0, 0.0]);
    assert!(
        (0.5 * min + 3.0 * min) != 3.0 * min,
        "gradual underflow would keep the half"
    );
    // Entries converted with flush-to-zero: 2⁻¹⁰⁷⁰ is subnormal in f64 and becomes 0.
    let tiny = QMat::from_rows(&[vec![Rational::from(1) >> 1070u32]]).expect("a matrix");
    let t = FtzMat::from_exact(&tiny);
    assert_eq!(t.matvec(&vec![Ftz::new(1.0)])[0].value().to_bits(), 0);
}
