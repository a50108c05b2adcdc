//! Powers `base·factor^n` rounded from a fixed-precision enclosure (`arith::power`) are the exact
//! value rounded once, in every format with a rounding precision; a value on a rounding boundary
//! takes the exact fallback.
//!
//! The reference is independent of the enclosure: the power multiplied out in ℚ
//! (`Rational::pow`) and rounded by the format's own `from_rational` (proved against ℚ in
//! `tests/it/formats.rs` and `tests/it/scalar_laws.rs`). Each property is written once over the
//! scalar and instantiated per arithmetic.

use momentum_oracle::arith::power::{
    Path, PowerEnclosure, exact_power, fallbacks, nearest_power, working_precision,
};
use momentum_oracle::arith::{Number, round_to_f32, with_mpfr_precision};
use momentum_oracle::optim::{ExactRate, Schedule};
use proptest::prelude::*;
use rug::ops::Pow;
use rug::{Float, Rational};

/// Bit-for-bit equality where the type has bits (f64 and f32 through their `f64` widening), value
/// equality for MPFR; a sign check so that `-0` and `+0` differ.
fn same<S: Number>(a: &S, b: &S) -> bool {
    a == b && a.to_f64().is_sign_negative() == b.to_f64().is_sign_negative()
}

/// The exact value rounded once, independently of the enclosure.
fn reference<S: Number>(base: &Rational, factor: &Rational, n: u64) -> S {
    let power = Rational::from(factor.pow(u32::try_from(n).unwrap()));
    S::from_rational(&(base * power))
}

/// `nearest_power` equals the reference; returns the path taken.
fn enclosure_matches_exact<S: Number>(base: &Rational, factor: &Rational, n: u64) -> Path {
    let (got, path) = nearest_power::<S>(base, factor, n);
    let want = reference::<S>(base, factor, n);
    assert!(
        same(&got, &want),
        "{base}·({factor})^{n}: enclosure gave {got:?}, exact {want:?} ({path:?})"
    );
    path
}

/// The schedule's cursor, advanced step after step (the incremental enclosure, rebuilt when its
/// precision grows), gives the reference at every step.
fn cursor_matches_exact<S: momentum_oracle::arith::Scalar>(schedule: &Schedule, steps: usize) {
    let mut rates = schedule.rates();
    for k in 1..=steps {
        rates.advance();
        let got: S = rates.learning_rate().unwrap();
        let want = S::from_rational(&schedule.exact(k).unwrap());
        assert!(same(&got, &want), "{} at step {k}", schedule.spec());
    }
}

fn ratio(num: std::ops::Range<u64>, den: std::ops::Range<u64>) -> impl Strategy<Value = Rational> {
    (num, den).prop_map(|(p, q)| Rational::from((p, q)))
}

/// Factors below one (decay, down through the subnormal range to zero), near one, and above one
/// (up through overflow); exponents short and long.
fn power_case() -> impl Strategy<Value = (Rational, Rational, u64)> {
    (
        ratio(0..1000, 1..1000),
        prop_oneof![
            ratio(0..1000, 1..1000),
            ratio(990..1010, 1000..1001),
            ratio(1..4000, 1..3),
        ],
        prop_oneof![0u64..64, 0u64..3000],
    )
}

proptest! {
    #![proptest_config(crate::common::config("power", 256))]

    #[test]
    fn an_enclosed_power_rounds_like_the_exact_power_in_every_format(
        (base, factor, n) in power_case()
    ) {
        let paths = [
            enclosure_matches_exact::<f64>(&base, &factor, n),
            enclosure_matches_exact::<f32>(&base, &factor, n),
            enclosure_matches_exact::<momentum_oracle::arith::ftz::Ftz>(&base, &factor, n),
            with_mpfr_precision(100, || enclosure_matches_exact::<Float>(&base, &factor, n)),
            with_mpfr_precision(256, || enclosure_matches_exact::<Float>(&base, &factor, n)),
        ];
        // Not vacuous: a positive value in the f64 range is decided by the enclosure (a tie would
        // need the exact value within 2^-60 relative of a rounding boundary).
        let value = exact_power(&base, &factor, n);
        if value > 0 && value.to_f64() > 1e-300 && value.to_f64() < 1e300 {
            prop_assert_eq!(paths[0], Path::Enclosure);
        }
    }

    #[test]
    fn keras_f32_learning_rate_from_an_unexpanded_power_is_round_to_f32_of_the_exact_rate(
        (base, factor, n) in power_case()
    ) {
        let rate = ExactRate::Power { base: &base, factor: &factor, exponent: n };
        let got = rate.round(
            24,
            |x| <f32 as Number>::from_float(x).and_then(Rational::from_f32),
            round_to_f32,
        );
        prop_assert_eq!(got, Some(round_to_f32(&exact_power(&base, &factor, n))));
    }
}

proptest! {
    #![proptest_config(crate::common::config("power", 16))]

    #[test]
    fn the_rate_cursor_rounds_each_step_like_the_closed_form(
        lr in ratio(1..1000, 1..1000),
        factor in ratio(1..1000, 1..1000),
        every in 1usize..5,
    ) {
        let specs = [
            format!("exponential:lr={lr},factor={factor}"),
            format!("step:lr={lr},factor={factor},every={every}"),
        ];
        for spec in specs {
            let s = Schedule::from_spec(&spec).unwrap();
            cursor_matches_exact::<f64>(&s, 300);
            cursor_matches_exact::<f32>(&s, 300);
            with_mpfr_precision(128, || cursor_matches_exact::<Float>(&s, 300));
        }
    }
}

/// `3^60 · (1 + 2^-t) · (1/3)^60 = 1 + 2^-t` exactly: the midpoint between 1 and its successor in
/// a `t`-bit format, which ties to even, i.e. to 1 (by hand: 1's significand ends in 0). Neither
/// `3^60·(1 + 2^-t)` (96 + t significant bits) nor 1/3 is representable at the working precision
/// t + 64 + 6 bits, so the enclosure has width and straddles the tie: the fallback must decide.
/// The neighbour `1 + 2^-(t-1)` is a format number, strictly inside its enclosure: decided there.
fn a_tie_takes_the_exact_fallback_and_rounds_to_even<S: Number>(t: u32) {
    let three_60 = Rational::from(rug::Integer::from(3).pow(60));
    let factor = Rational::from((1, 3));
    let before = fallbacks();
    let tie = &three_60 * (Rational::from(1) + (Rational::from(1) >> t));
    let (got, path) = nearest_power::<S>(&tie, &factor, 60);
    assert_eq!(path, Path::Exact, "t = {t}");
    assert!(same(&got, &S::one()), "t = {t}: {got:?}");
    assert!(fallbacks() > before, "the fallback is counted");

    let format_number = Rational::from(1) + (Rational::from(1) >> (t - 1));
    let above = Rational::from(&three_60 * &format_number);
    let (got, path) = nearest_power::<S>(&above, &factor, 60);
    assert_eq!(path, Path::Enclosure, "t = {t}");
    assert_eq!(got.to_rational(), Some(format_number.clone()), "t = {t}");

    // 2^-(t+56) above the tie: far below a t-bit format's resolution, yet decided by the
    // enclosure, whose t + 70 bits (a few ulps of error after ~12 products) resolve it; an
    // enclosure built for fewer target bits could not, and would fall back.
    let near = Rational::from(1) + (Rational::from(1) >> t) + (Rational::from(1) >> (t + 56));
    let (got, path) = nearest_power::<S>(&Rational::from(&three_60 * &near), &factor, 60);
    assert_eq!(path, Path::Enclosure, "t = {t}");
    assert_eq!(got.to_rational(), Some(format_number), "t = {t}");
}

#[test]
fn a_power_on_a_rounding_tie_takes_the_exact_fallback_in_every_format() {
    a_tie_takes_the_exact_fallback_and_rounds_to_even::<f64>(53);
    a_tie_takes_the_exact_fallback_and_rounds_to_even::<f32>(24);
    a_tie_takes_the_exact_fallback_and_rounds_to_even::<momentum_oracle::arith::ftz::Ftz>(53);
    with_mpfr_precision(200, || {
        a_tie_takes_the_exact_fallback_and_rounds_to_even::<Float>(200)
    });
}

/// `working_precision(t, n)` is t + 64 + the bit length of n + 1, i.e. ⌊log₂(n + 1)⌋ + 1 (at
/// least the ⌈log₂(n + 1)⌉ the module's error argument needs), saturating. By hand: n + 1 = 1, 2,
/// 3, 4 have bit lengths 1, 2, 2, 3; 1000 and 1024 lie in [2⁹, 2¹⁰) and [2¹⁰, 2¹¹): 10 and 11;
/// u64::MAX + 1 saturates to u64::MAX, 64 bits.
#[test]
fn the_working_precision_is_the_target_plus_64_plus_the_bit_length_of_n_plus_one() {
    for (target, n, want) in [
        (53, 0, 53 + 64 + 1),
        (53, 1, 53 + 64 + 2),
        (53, 2, 53 + 64 + 2),
        (53, 3, 53 + 64 + 3),
        (24, 999, 24 + 64 + 10),
        (24, 1023, 24 + 64 + 11),
        (53, u64::MAX, 53 + 64 + 64),
    ] {
        assert_eq!(
            working_precision(target, n),
            want,
            "target {target}, n = {n}"
        );
    }
    assert_eq!(working_precision(u32::MAX, 7), u32::MAX, "saturates");
}

/// An enclosure and both ends of what it returns carry the precision it was built at (the rate
/// cursor compares it with the working precision to decide whether to rebuild).
#[test]
fn an_enclosure_reports_the_precision_it_was_built_at() {
    for p in [2, 80, 117] {
        let mut e =
            PowerEnclosure::new(&Rational::from((1, 3)), &Rational::from((9, 10)), p).unwrap();
        assert_eq!(e.precision(), p);
        let (lo, hi) = e.at(5).unwrap();
        assert_eq!((lo.prec(), hi.prec()), (p, p));
    }
}

/// `lo ≤ base·factor^n ≤ hi`, compared exactly (MPFR values are dyadic rationals).
fn encloses(ends: &(Float, Float), base: &Rational, factor: &Rational, n: u64) -> bool {
    let exact = exact_power(base, factor, n);
    ends.0.to_rational().unwrap() <= exact && exact <= ends.1.to_rational().unwrap()
}

/// Whatever order the exponents are asked in, `PowerEnclosure::at` encloses the exact power; the
/// same `n` asked again gives the same ends; `n + 1` after `n` is one product per end by the
/// factor's end, rounded outward (the O(1) step of the schedules' cursor); any other move is a
/// recomputation, the ends of a fresh enclosure. With base 1 the ends are the power's own ends
/// (1 is exact at every precision). The chain is checked not to coincide with recomputation at
/// every step (it rounds once per step, a fresh power once), so each of the three cases is
/// distinguished from the others.
#[test]
fn an_enclosure_advances_by_one_product_per_step_and_recomputes_on_any_other_move() {
    let (one, factor, p) = (Rational::from(1), Rational::from((9, 10)), 64);
    let fresh = |n: u64| {
        PowerEnclosure::new(&one, &factor, p)
            .unwrap()
            .at(n)
            .unwrap()
    };
    let factor_lo = Float::with_val_round(p, &factor, rug::float::Round::Down).0;
    let factor_hi = Float::with_val_round(p, &factor, rug::float::Round::Up).0;
    let mut e = PowerEnclosure::new(&one, &factor, p).unwrap();
    let mut previous = e.at(0).unwrap();
    assert_eq!(
        previous,
        (Float::with_val(p, 1), Float::with_val(p, 1)),
        "factor^0 = 1"
    );
    let mut chain_differs_from_fresh = false;
    for n in 1..=40 {
        let ends = e.at(n).unwrap();
        let chain = (
            Float::with_val_round(p, &previous.0 * &factor_lo, rug::float::Round::Down).0,
            Float::with_val_round(p, &previous.1 * &factor_hi, rug::float::Round::Up).0,
        );
        assert_eq!(ends, chain, "n = {n}: one outward-rounded product per end");
        assert!(encloses(&ends, &one, &factor, n), "n = {n}");
        assert_eq!(e.at(n).unwrap(), ends, "n = {n} asked again");
        chain_differs_from_fresh |= ends != fresh(n);
        previous = ends;
    }
    assert!(
        chain_differs_from_fresh,
        "the chain never differed from recomputation"
    );
    // Backwards by one, backwards further, forwards by more than one: recomputed.
    for n in [39, 10, 25, 3] {
        let ends = e.at(n).unwrap();
        assert_eq!(ends, fresh(n), "n = {n} after a jump");
        assert!(encloses(&ends, &one, &factor, n), "n = {n}");
    }
}

/// 2^n with n = MPFR's maximal exponent e_max is above MPFR's largest finite number
/// (1 − 2^-p)·2^e_max: the upper end overflows to +∞ (the lower end, rounded down, stays finite),
/// and the enclosure declines rather than return an infinite end; the exact value decides then.
#[test]
fn an_enclosure_beyond_mpfrs_exponent_range_declines() {
    let (one, two) = (Rational::from(1), Rational::from(2));
    let mut e = PowerEnclosure::new(&one, &two, 64).unwrap();
    let e_max = u64::try_from(rug::float::exp_max()).unwrap();
    assert_eq!(e.at(e_max), None);
    let two_10 = Float::with_val(64, 1024);
    assert_eq!(e.at(10), Some((two_10.clone(), two_10)), "2^10 is exact");
}
