//! Scheduler fixtures: the emulated schedulers reproduce what the real frameworks produced, and the
//! files on disk are what the catalogue generates.

use momentum_oracle::fixture::scheduler::{
    Format, RateVerdict, SCHEDULER_CASES, bits_of, compare, rates,
};
use rug::Rational;

/// The first ten learning rates (count 0..9) that the real libraries produced for the calls named
/// by the fixtures, as IEEE bits: torch 2.x (Python floats), optax 0.2.8 and keras 3.15.1 with the
/// JAX backend (float32). Measured independently of this crate by driving the real schedulers
/// (`examples/python/schedulers.py`; first recorded by the project's framework research,
/// `research/scripts/schedulers.py`).
const MEASURED: &[(&str, [&str; 10])] = &[
    (
        "pytorch-exponentiallr",
        [
            "3fb999999999999a",
            "3fb70a3d70a3d70b",
            "3fb4bc6a7ef9db24",
            "3fb2a9930be0ded4",
            "3fb0cbd1244a6225",
            "3fae3baba7b91710",
            "3fab35b416f3618f",
            "3fa87d2214a7d7ce",
            "3fa60a3845ca423a",
            "3fa3d5ff7202d534",
        ],
    ),
    (
        "pytorch-steplr",
        [
            "3fb999999999999a",
            "3fb999999999999a",
            "3fb999999999999a",
            "3fa999999999999a",
            "3fa999999999999a",
            "3fa999999999999a",
            "3f9999999999999a",
            "3f9999999999999a",
            "3f9999999999999a",
            "3f8999999999999a",
        ],
    ),
    (
        "pytorch-multisteplr",
        [
            "3fb999999999999a",
            "3fb999999999999a",
            "3f847ae147ae147c",
            "3f847ae147ae147c",
            "3f847ae147ae147c",
            "3f50624dd2f1a9fd",
            "3f50624dd2f1a9fd",
            "3f50624dd2f1a9fd",
            "3f50624dd2f1a9fd",
            "3f50624dd2f1a9fd",
        ],
    ),
    (
        "pytorch-cosineannealinglr",
        [
            "3fb999999999999a",
            "3fb8fad365d67395",
            "3fb72e0b8651adaf",
            "3fb4605cb70376bb",
            "3fb0d8076dbe38f3",
            "3fa9db22d0e56042",
            "3fa20636c64e4e9f",
            "3f95eb186787a61e",
            "3f8568ba549d9498",
            "3f6c09ed61dd95af",
        ],
    ),
    (
        "pytorch-linearlr",
        [
            "3f9999999999999a",
            "3fa6666666666667",
            "3fb0000000000001",
            "3fb4ccccccccccce",
            "3fb999999999999b",
            "3fb999999999999b",
            "3fb999999999999b",
            "3fb999999999999b",
            "3fb999999999999b",
            "3fb999999999999b",
        ],
    ),
    (
        "pytorch-sequentiallr",
        [
            "3f9999999999999a",
            "3fa999999999999a",
            "3fb3333333333334",
            "3fb999999999999a",
            "3fb70a3d70a3d70b",
            "3fb4bc6a7ef9db24",
            "3fb2a9930be0ded4",
            "3fb0cbd1244a6225",
            "3fae3baba7b91710",
            "3fab35b416f3618f",
        ],
    ),
    (
        "optax-exponential-decay",
        [
            "3dcccccd", "3db851eb", "3da5e353", "3d954c97", "3d865e88", "3d71dd5b", "3d59ad9f",
            "3d43e90f", "3d3051c0", "3d1eaff9",
        ],
    ),
    (
        "optax-cosine-decay-schedule",
        [
            "3dcccccd", "3dc7d69b", "3db9705c", "3da302e6", "3d86c03b", "3d4ed917", "3d1031b5",
            "3caf58bf", "3c2b45cf", "3b604f73",
        ],
    ),
    (
        "optax-warmup-cosine-decay-schedule",
        [
            "00000000", "3d08888a", "3d888889", "3dcccccd", "3dc2c2b7", "3da6a183", "3d7bf6ef",
            "3d21bb3f", "3ca0de4b", "3bc165eb",
        ],
    ),
    (
        "optax-piecewise-constant-schedule",
        [
            "3dcccccd", "3dcccccd", "3d4ccccd", "3d4ccccd", "3d4ccccd", "3ba3d70b", "3ba3d70b",
            "3ba3d70b", "3ba3d70b", "3ba3d70b",
        ],
    ),
    (
        "keras-exponential-decay",
        [
            "3dcccccd", "3db851eb", "3da5e353", "3d954c97", "3d865e88", "3d71dd5b", "3d59ad9f",
            "3d43e90f", "3d3051c0", "3d1eaff9",
        ],
    ),
    (
        "keras-cosine-decay-warmup",
        [
            "00000000", "3d088889", "3d888889", "3dcccccd", "3dc7d69b", "3db9705c", "3da302e6",
            "3d86c03b", "3d4ed917", "3d1031b4",
        ],
    ),
    (
        "keras-piecewise-constant-decay",
        [
            "3dcccccd", "3dcccccd", "3dcccccd", "3d4ccccd", "3d4ccccd", "3d4ccccd", "3c23d70a",
            "3c23d70a", "3c23d70a", "3c23d70a",
        ],
    ),
];

fn value_of(format: Format, bits: &str) -> Rational {
    match format {
        Format::F64 => {
            Rational::from_f64(f64::from_bits(u64::from_str_radix(bits, 16).unwrap())).unwrap()
        }
        Format::F32 => {
            Rational::from_f32(f32::from_bits(u32::from_str_radix(bits, 16).unwrap())).unwrap()
        }
    }
}

#[test]
fn every_scheduler_fixture_reproduces_the_real_library_bit_for_bit_or_within_its_libm_range() {
    let mut bit_exact = 0;
    let mut within = 0;
    for (name, measured) in MEASURED {
        let case = SCHEDULER_CASES
            .iter()
            .find(|c| c.name == *name)
            .unwrap_or_else(|| panic!("no scheduler fixture {name}"));
        let rs = rates(case).unwrap();
        for (i, bits) in measured.iter().enumerate() {
            let produced = value_of(case.format(), bits);
            match compare(&rs[i], &produced) {
                RateVerdict::BitExact => bit_exact += 1,
                RateVerdict::WithinLibmTolerance => within += 1,
                RateVerdict::Differs => panic!(
                    "{name} count {i}: the library gave {bits}, the fixture {} (range {}..{})",
                    bits_of(case.format(), &rs[i].value),
                    bits_of(case.format(), &rs[i].min),
                    bits_of(case.format(), &rs[i].max),
                ),
            }
        }
    }
    // Thirteen schedulers, ten rates each; the rates without an elementary function are all bit
    // for bit (checked above: a libm-free rate has an empty range besides its value).
    assert_eq!(bit_exact + within, 130);
    assert!(bit_exact >= 120, "{bit_exact} bit-exact, {within} within");
}

#[test]
fn every_framework_scheduler_of_the_issue_has_a_fixture() {
    for call in [
        "StepLR(",
        "MultiStepLR(",
        "ExponentialLR(",
        "CosineAnnealingLR(",
        "LinearLR(",
        "SequentialLR(",
        "optax.exponential_decay(",
        "optax.cosine_decay_schedule(",
        "optax.warmup_cosine_decay_schedule(",
        "optax.piecewise_constant_schedule(",
        "ExponentialDecay(",
        "CosineDecay(",
        "PiecewiseConstantDecay(",
    ] {
        assert!(
            SCHEDULER_CASES.iter().any(|c| c.call.contains(call)),
            "no fixture calls {call}"
        );
    }
}

#[test]
fn the_recursive_exponential_form_differs_from_the_closed_form_in_binary64() {
    // PyTorch's ExponentialLR multiplies the previous rate by γ; the closed form base·γ^e rounds
    // once. A fixture built from the closed form would fail a correct PyTorch run: make sure the
    // fixture is the recursive one by finding a step where the two differ.
    let case = SCHEDULER_CASES
        .iter()
        .find(|c| c.name == "pytorch-exponentiallr")
        .unwrap();
    let rs = rates(case).unwrap();
    let base = Rational::from_f64(0.1).unwrap();
    let gamma = Rational::from_f64(0.9).unwrap();
    let differs = (0..10u32).filter(|e| {
        let closed = Rational::from(&base * Rational::from(rug::ops::Pow::pow(&gamma, *e)));
        let closed = Rational::from_f64(momentum_oracle::arith::rational_to_f64(&closed)).unwrap();
        closed != rs[*e as usize].value
    });
    assert!(differs.count() >= 3);
}

#[test]
fn a_libm_rate_allows_a_neighbour_and_refuses_a_value_far_off() {
    let case = SCHEDULER_CASES
        .iter()
        .find(|c| c.name == "pytorch-cosineannealinglr")
        .unwrap();
    let rs = rates(case).unwrap();
    let r = &rs[3];
    assert!(r.libm && r.min < r.value && r.value < r.max);
    let far = Rational::from(&r.value * Rational::from((1001, 1000)));
    assert_eq!(compare(r, &far), RateVerdict::Differs);
    assert_eq!(compare(r, &r.max), RateVerdict::WithinLibmTolerance);
    // A rate with no elementary function has no tolerance at all.
    let exp = SCHEDULER_CASES
        .iter()
        .find(|c| c.name == "pytorch-exponentiallr")
        .unwrap();
    let e = &rates(exp).unwrap()[4];
    assert!(!e.libm && e.min == e.value && e.max == e.value);
    let next = Rational::from_f64(f64::from_bits(
        momentum_oracle::arith::rational_to_f64(&e.value).to_bits() + 1,
    ))
    .unwrap();
    assert_eq!(compare(e, &next), RateVerdict::Differs);
}
