//! Kernel rounding models (`optim::kernel`): each model computed in exact rationals with explicit
//! rounding equals the same model computed with the native `f32`/`f64` and `half` types, bit for
//! bit, for every family, kernel, storage format, FTZ setting and hyper-parameter precision; and
//! hand-derived steps that tell the models apart.
//!
//! The two sides share the model's operation sequence (`optim::kernel::run`) and nothing else:
//! one rounds with `arith::format` in ℚ, the other is the hardware (`mul_add` is IEEE
//! fusedMultiplyAdd) with `half`'s conversions from binary32. So the property checks the exact engine's
//! roundings, signed zeros, infinities, NaN and FTZ/DAZ against silicon on every operation a
//! model performs.

use half::bf16;
use momentum_oracle::arith::format::{Decoded, Format, Rounded};
use momentum_oracle::optim::kernel::arith::{Exact, NativeF32, NativeF64, Real};
use momentum_oracle::optim::kernel::{
    Capability, Decay, Family, Hyper, HyperPrecision, Kernel, KernelArith, Model, Path, StepValues,
    Stored, path_of, run, run_tensor,
};
use proptest::prelude::*;
use rug::Rational;

/// Every model the crate names for `family` in `storage`, with FTZ both ways, the first-step
/// dampening and decay switches, and three hyper-parameter precisions.
fn models(family: Family, storage: Format) -> Vec<Model> {
    let mut kernels = Model::catalogue(family, storage);
    if family == Family::Pytorch && storage != Format::Binary32 && storage != Format::Binary64 {
        kernels.push(Model::new(family, Kernel::NoFma, storage));
    }
    let mut out = Vec::new();
    for base in kernels {
        for ftz in [false, true] {
            for hyper in [
                HyperPrecision::EXACT,
                HyperPrecision::binary32_learning_rate(),
                HyperPrecision::all(Format::Bfloat16),
            ] {
                let mut m = base;
                m.ftz = ftz;
                m.hyper = hyper;
                out.push(m);
                let mut other = m;
                other.dampen_first_step = true;
                other.decay = match m.decay {
                    Decay::Coupled => Decay::Decoupled,
                    Decay::Decoupled => Decay::Coupled,
                };
                if family != Family::Optax {
                    out.push(other);
                }
            }
        }
    }
    out
}

/// Both runs agree: same NaN-ness, else the same bits (signed zeros included).
fn agree<A: Stored>(native: &A, model: &Model, h: &Hyper, x0: &[u64], g: &[Vec<u64>]) {
    let exact = model.exact();
    let e = run(&exact, model, h, x0, g).unwrap();
    let n = run(native, model, h, x0, g).unwrap();
    let s = model.storage;
    for (k, (es, ns)) in e.iter().zip(&n).enumerate() {
        let pairs = es.params.iter().zip(&ns.params).map(|p| ("param", p));
        let states = es
            .state
            .iter()
            .flatten()
            .zip(ns.state.iter().flatten())
            .map(|p| ("state", p));
        assert_eq!(es.state.is_some(), ns.state.is_some());
        for (i, (what, (x, y))) in pairs.chain(states).enumerate() {
            let xb = exact.bits(x, s).unwrap();
            let yb = native.bits(y, s).unwrap();
            let both_nan = matches!(x, Decoded::Nan) && native.bits(y, s).is_ok() && {
                let d = s.from_bits(yb).unwrap();
                d == Decoded::Nan
            };
            assert!(
                xb == yb || both_nan,
                "{}: step {} {what} {i}: exact {xb:x}, native {yb:x}",
                model.describe(),
                k + 1
            );
        }
    }
}

/// A storage-format value: ordinary magnitudes mostly, the format's extremes (subnormals, near
/// overflow, zeros, infinities, NaN) often enough.
fn value(format: Format) -> impl Strategy<Value = u64> {
    let width = format.bits();
    let p = format.precision();
    let emax = format.max_exponent() as u64;
    let mask = u64::MAX >> (64 - width);
    let raw = any::<u64>().prop_map(move |b| b & mask);
    let ordinary = (any::<bool>(), 0u64..12, any::<u64>()).prop_map(move |(neg, e, m)| {
        let biased = emax + e - 6; // exponents −6..=5
        (u64::from(neg) << (width - 1)) | biased << (p - 1) | (m & ((1u64 << (p - 1)) - 1))
    });
    prop_oneof![6 => ordinary, 2 => raw, 1 => Just(0u64), 1 => Just(1u64 << (width - 1))]
}

fn hyper(steps: usize) -> impl Strategy<Value = Hyper> {
    (
        proptest::collection::vec(1e-4f64..2.0, steps),
        prop_oneof![Just(0.0), 0.0f64..1.0],
        prop_oneof![Just(0.0), 0.0f64..1.0],
        prop_oneof![Just(0.0), 0.0f64..0.1],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(learning_rates, momentum, dampening, weight_decay, nesterov, maximize)| Hyper {
                learning_rates,
                momentum,
                dampening,
                weight_decay,
                nesterov,
                maximize,
            },
        )
}

fn case(format: Format) -> impl Strategy<Value = (Hyper, Vec<u64>, Vec<Vec<u64>>)> {
    (1usize..4, 1usize..4).prop_flat_map(move |(dim, steps)| {
        (
            hyper(steps),
            proptest::collection::vec(value(format), dim),
            proptest::collection::vec(proptest::collection::vec(value(format), dim), steps),
        )
    })
}

fn without_decay_for_optax(family: Family, h: &Hyper) -> Hyper {
    let mut h = h.clone();
    if family == Family::Optax {
        h.weight_decay = 0.0;
    }
    h
}

macro_rules! exact_equals_native {
    ($($name:ident: $format:expr;)*) => {$(
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]
            #[test]
            fn $name((h, x0, g) in case($format)) {
                for family in [Family::Pytorch, Family::Keras, Family::Optax] {
                    let h = without_decay_for_optax(family, &h);
                    for model in models(family, $format) {
                        if $format == Format::Binary64 {
                            if !model.ftz {
                                agree(&NativeF64, &model, &h, &x0, &g);
                            }
                        } else {
                            agree(&NativeF32 { ftz: model.ftz }, &model, &h, &x0, &g);
                        }
                    }
                }
            }
        }
    )*};
}

exact_equals_native! {
    every_binary32_model_in_exact_arithmetic_equals_native_f32: Format::Binary32;
    every_bfloat16_model_in_exact_arithmetic_equals_native_f32_and_half: Format::Bfloat16;
    every_binary16_model_in_exact_arithmetic_equals_native_f32_and_half: Format::Binary16;
    every_binary64_model_without_ftz_in_exact_arithmetic_equals_native_f64: Format::Binary64;
}

// ---------------------------------------------------------------------------------------------
// Hand-derived steps
// ---------------------------------------------------------------------------------------------

fn h(lr: f64, momentum: f64) -> Hyper {
    Hyper {
        learning_rates: vec![lr; 4],
        momentum,
        dampening: 0.0,
        weight_decay: 0.0,
        nesterov: false,
        maximize: false,
    }
}

fn bf(x: f32) -> u64 {
    u64::from(bf16::from_f32(x).to_bits())
}

fn params_after<A: Stored>(a: &A, model: &Model, hy: &Hyper, x0: f32, g: &[f32]) -> Vec<u64> {
    let s = model.storage;
    let enc = |x: f32| match s {
        Format::Binary32 => u64::from(x.to_bits()),
        Format::Binary64 => f64::from(x).to_bits(),
        _ => bf(x),
    };
    let grads: Vec<Vec<u64>> = g.iter().map(|x| vec![enc(*x)]).collect();
    run(a, model, hy, &[enc(x0)], &grads)
        .unwrap()
        .iter()
        .map(|st| a.bits(&st.params[0], s).unwrap())
        .collect()
}

#[test]
fn bf16_single_and_foreach_differ_by_the_precision_of_mu_in_the_buffer_multiply() {
    // Step 1 copies g = 3 into b; step 2 with g = 0: b = r_bf16(3·μ').
    // single: μ' = f32(0.9) = 0.89999997615814208984375, 3μ' = 2.69999992847… in f32
    //   = 2.7000000476837158203125 (f32 grid 2^−22 at [2, 4)); bf16 grid at [2, 4) is 2^−6,
    //   neighbours 2.6875 and 2.703125, midpoint 2.6953125: up, b = 2.703125.
    // foreach: μ' = bf16(0.9) = 0.8984375, 3μ' = 2.6953125 exactly: the midpoint, ties to even:
    //   2.6875 = 1.0101100₂·2 (last bit 0) rather than 2.703125 = 1.0101101₂·2: b = 2.6875.
    // With γ = 1 the parameter records −b on top of θ₁: θ₀ = 3, θ₁ = 3 − 3 = 0, θ₂ = −b.
    let hy = h(1.0, 0.9);
    let single = Model::new(Family::Pytorch, Kernel::Single, Format::Bfloat16);
    let foreach = Model::new(Family::Pytorch, Kernel::Foreach, Format::Bfloat16);
    for (model, b) in [(single, 2.703125f32), (foreach, 2.6875)] {
        let want = vec![bf(0.0), bf(-b)];
        assert_eq!(
            params_after(&model.exact(), &model, &hy, 3.0, &[3.0, 0.0]),
            want
        );
        assert_eq!(
            params_after(&NativeF32 { ftz: false }, &model, &hy, 3.0, &[3.0, 0.0]),
            want
        );
    }
}

#[test]
fn keras_with_a_binary32_learning_rate_is_named_apart_from_the_exact_one_in_binary64() {
    // θ₀ = 1, g = 1, μ = 0: θ₁ = 1 − γ. γ = f32(0.1) = 0.100000001490116119384765625 (24
    // significant bits), so 1 − γ = 0.899999998509883880615234375 is exact in binary64;
    // with the double 0.1 the result is the double nearest 0.9, 0x3feccccccccccccd.
    let hy = h(0.1, 0.0);
    let mut keras = Model::new(Family::Keras, Kernel::Jit, Format::Binary64);
    let exact = |m: &Model| params_after(&m.exact(), m, &hy, 1.0, &[1.0])[0];
    assert_eq!(exact(&keras), 0x3feccccccccccccd);
    keras.hyper = HyperPrecision::binary32_learning_rate();
    let want = Rational::from(1) - Rational::from_f32(0.1f32).unwrap();
    assert_eq!(
        Format::Binary64.from_bits(exact(&keras)).unwrap(),
        Decoded::Number(Rounded::Finite(want))
    );
    assert!(
        keras
            .describe()
            .contains("learning rate rounded to binary32")
    );
}

#[test]
fn every_kernel_name_parses_back_to_its_kernel_and_an_unknown_one_is_refused() {
    let all = [
        Kernel::Single,
        Kernel::Foreach,
        Kernel::Fused,
        Kernel::NoFma,
        Kernel::Mixed,
        Kernel::Eager,
        Kernel::Jit,
        Kernel::JitUpdate,
    ];
    for k in all {
        assert_eq!(Kernel::parse(k.name()).unwrap(), k);
    }
    let err = Kernel::parse("jit-fused").unwrap_err().to_string();
    assert!(
        err.contains("jit-fused") && err.contains("jit-update"),
        "{err}"
    );
}

#[test]
fn all_rounds_every_hyper_parameter_to_the_one_format() {
    let h = HyperPrecision::all(Format::Bfloat16);
    let b = Some(Format::Bfloat16);
    assert_eq!(
        (h.learning_rate, h.momentum, h.dampening, h.weight_decay),
        (b, b, b, b)
    );
    assert_eq!(h.describe(), "its hyper-parameters rounded to bfloat16");
}

/// θ after each step of an Optax model on one 16-bit element (bfloat16 or binary16 bits).
fn optax_steps(model: &Model, hy: &Hyper, x0: u64, g: &[u64]) -> Vec<u64> {
    let grads: Vec<Vec<u64>> = g.iter().map(|x| vec![*x]).collect();
    let (exact, native) = (model.exact(), NativeF32 { ftz: true });
    let e: Vec<u64> = run(&exact, model, hy, &[x0], &grads)
        .unwrap()
        .iter()
        .map(|s| exact.bits(&s.params[0], model.storage).unwrap())
        .collect();
    let n: Vec<u64> = run(&native, model, hy, &[x0], &grads)
        .unwrap()
        .iter()
        .map(|s| native.bits(&s.params[0], model.storage).unwrap())
        .collect();
    assert_eq!(e, n, "{}", model.describe());
    e
}

fn optax_model(kernel: Kernel, storage: Format, binary32_lr: bool) -> Model {
    let mut m = Model::new(Family::Optax, kernel, storage);
    if binary32_lr {
        m.hyper = HyperPrecision::binary32_learning_rate();
    }
    m
}

#[test]
fn optax_with_a_binary32_learning_rate_adds_a_binary32_update_to_bf16_parameters() {
    // θ₀ = 1, g = 1, μ = 0, γ = 5·2⁻⁹ + 5·2⁻²⁴ (a binary32 number; bfloat16 keeps 8 significant
    // bits, so c_S(γ) = 5·2⁻⁹). The bfloat16 grid on [1/2, 1) is 2⁻⁸.
    // Promoted: θ₁ = st(1 − γ) = st(253.5·2⁻⁸ − 5·2⁻²⁴), below the tie: 253·2⁻⁸ (0x3f7d).
    // Constant γ: θ₁ = st(1 − st(c_S(γ))) = st(253.5·2⁻⁸), a tie, to even: 254·2⁻⁸ (0x3f7e).
    let lr = 5.0 / 512.0 + 5.0 / 16_777_216.0;
    let hy = h(lr, 0.0);
    for kernel in [Kernel::Eager, Kernel::JitUpdate, Kernel::Jit] {
        let promoted = optax_model(kernel, Format::Bfloat16, true);
        assert!(promoted.promotes_update());
        assert_eq!(optax_steps(&promoted, &hy, 0x3f80, &[0x3f80]), vec![0x3f7d]);
        let constant = optax_model(kernel, Format::Bfloat16, false);
        assert!(!constant.promotes_update());
        assert_eq!(optax_steps(&constant, &hy, 0x3f80, &[0x3f80]), vec![0x3f7e]);
    }
    // Only Optax, only on the 16-bit formats: binary32 parameters meet γ in their own format.
    assert!(!optax_model(Kernel::Jit, Format::Binary32, true).promotes_update());
    let mut keras = Model::new(Family::Keras, Kernel::Jit, Format::Bfloat16);
    keras.hyper = HyperPrecision::binary32_learning_rate();
    assert!(!keras.promotes_update());
    let d = optax_model(Kernel::Jit, Format::Bfloat16, true).describe();
    assert!(d.contains("learning rate a binary32 array"), "{d}");
    assert!(!d.contains("rounded to"), "{d}");
}

#[test]
fn optax_under_jit_keeps_the_bf16_sum_that_meets_the_learning_rate_in_binary32() {
    // θ₀ = 1 + 2⁻⁷, g = (1, 1), γ = (0, 1), μ = 2⁻⁹. Step 1: t₁ = 1, θ₁ = θ₀ + (−0)·u = θ₀.
    // Step 2: s = 1 + st(2⁻⁹·1) = 1 + 2⁻⁹ (binary32), t₂ = st(s) = 1 (a quarter ulp of
    // bfloat16 at 1); nesterov's u = 1 + st(2⁻⁹·t₂) is the same sum.
    // eager: u = st(s) = 1, θ₂ = st(2⁻⁷) = 0x3c00.
    // jit-update / jit (excess precision): u = s, θ₂ = 2⁻⁷ − 2⁻⁹ = 3·2⁻⁹ = 0x3bc0.
    let mut hy = h(0.0, 1.0 / 512.0);
    hy.learning_rates = vec![0.0, 1.0];
    for nesterov in [false, true] {
        hy.nesterov = nesterov;
        for (kernel, want) in [
            (Kernel::Eager, 0x3c00),
            (Kernel::JitUpdate, 0x3bc0),
            (Kernel::Jit, 0x3bc0),
        ] {
            let m = optax_model(kernel, Format::Bfloat16, true);
            assert_eq!(
                optax_steps(&m, &hy, 0x3f81, &[0x3f80, 0x3f80]),
                vec![0x3f81, want],
                "{kernel:?} nesterov {nesterov}"
            );
        }
    }
    // binary16 keeps every rounding: θ₀ = 1 + 2⁻¹⁰, μ = 2⁻¹², s = 1 + 2⁻¹² rounds to 1, and
    // θ₂ = 2⁻¹⁰ (0x1400) in every kernel; the bfloat16 sequence would give 3·2⁻¹² (0x1200).
    let mut hy = h(0.0, 1.0 / 4096.0);
    hy.learning_rates = vec![0.0, 1.0];
    for nesterov in [false, true] {
        hy.nesterov = nesterov;
        for kernel in [Kernel::Eager, Kernel::JitUpdate, Kernel::Jit] {
            let m = optax_model(kernel, Format::Binary16, true);
            assert_eq!(
                optax_steps(&m, &hy, 0x3c01, &[0x3c00, 0x3c00]),
                vec![0x3c01, 0x1400],
                "{kernel:?} nesterov {nesterov}"
            );
        }
    }
}

#[test]
fn optax_under_jit_contracts_the_promoted_update_into_one_fma() {
    // θ₀ = g = 1 + 2⁻⁷, μ = 0, γ = 1 − 2⁻²⁴ (binary32). γ·u = 1 + 2⁻⁷ − 2⁻²⁴ − 2⁻³¹.
    // jit: θ₁ = st(θ₀ − γ·u) = st(2⁻²⁴ + 2⁻³¹) = 2⁻²⁴(1 + 2⁻⁷), a bfloat16 number (0x3381).
    // eager / jit-update: r₃₂(γ·u) = 1 + 2⁻⁷ − 2⁻²³ (the error 2⁻²⁴ + 2⁻³¹ exceeds half an
    // ulp, 2⁻²⁴), θ₁ = st(2⁻²³) = 0x3400.
    let hy = h(1.0 - 1.0 / 16_777_216.0, 0.0);
    for (kernel, want) in [
        (Kernel::Eager, 0x3400),
        (Kernel::JitUpdate, 0x3400),
        (Kernel::Jit, 0x3381),
    ] {
        let m = optax_model(kernel, Format::Bfloat16, true);
        assert_eq!(
            optax_steps(&m, &hy, 0x3f81, &[0x3f81]),
            vec![want],
            "{kernel:?}"
        );
    }
}

#[test]
fn the_fused_bf16_kernel_takes_the_learning_rate_in_binary32_the_single_one_in_bf16() {
    // θ₀ = 1, g = 1, μ = 0, γ = 0.0995: θ₁ = r_bf16(1 − γ'), bf16 grid 2⁻⁸ on [1/2, 1).
    // single: γ' = bf16(f32(0.0995)); the bf16 grid on [1/16, 1/8) is 2⁻¹¹ and
    //   0.0995·2¹¹ = 203.776, so γ' = 204·2⁻¹¹; 1 − γ' = 230.5·2⁻⁸, a tie, to even: 230·2⁻⁸.
    // fused: γ' = f32(0.0995) (relative error < 2⁻²⁴); 1 − γ' = 230.528…·2⁻⁸ → 231·2⁻⁸.
    let hy = h(0.0995, 0.0);
    for (kernel, want) in [(Kernel::Single, 0.8984375f32), (Kernel::Fused, 0.90234375)] {
        let m = Model::new(Family::Pytorch, kernel, Format::Bfloat16);
        assert_eq!(
            params_after(&m.exact(), &m, &hy, 1.0, &[1.0]),
            vec![bf(want)]
        );
        assert_eq!(
            params_after(&NativeF32 { ftz: false }, &m, &hy, 1.0, &[1.0]),
            vec![bf(want)]
        );
    }
}

#[test]
fn the_exact_trace_ignores_every_rounding_and_every_hyper_parameter_precision() {
    // Real arithmetic: θ₁ = θ₀ − γg₁ exactly with the double γ = 0.1.
    let hy = h(0.1, 0.0);
    let m = Model::new(Family::Optax, Kernel::Jit, Format::Bfloat16);
    let out = run(&Real, &m, &hy, &[bf(1.0)], &[vec![bf(1.0)]]).unwrap();
    assert_eq!(
        out[0].params[0],
        Rational::from(1) - Rational::from_f64(0.1).unwrap()
    );
    let _ = Exact {
        work: Format::Binary32,
        ftz: true,
    }
    .zero();
}

// ---------------------------------------------------------------------------------------------
// PyTorch's scalar tail (`kernel::path_of`, `kernel::run_tensor`)
// ---------------------------------------------------------------------------------------------

fn tail_hyper(lr: f64, momentum: f64) -> Hyper {
    Hyper {
        learning_rates: vec![lr; 2],
        momentum,
        dampening: 0.0,
        weight_decay: 0.0,
        nesterov: false,
        maximize: false,
    }
}

/// bfloat16 `single`, μ = 0: θ = 8, g = γ = 1 + 2⁻⁷ (all bfloat16). The product is
/// p = 1 + 2⁻⁶ + 2⁻¹⁴. The vector body's FMA gives 8 − p = 7 − 2⁻⁶ − 2⁻¹⁴ (exact in binary32),
/// just below the bfloat16 midpoint 7 − 2⁻⁶ of [7 − 2⁻⁵, 7], so 7 − 2⁻⁵ = 6.96875 (0x40df).
/// The scalar tail rounds p to bfloat16 first (1 + 2⁻⁶: 2⁻¹⁴ is below half an ulp), and
/// 8 − (1 + 2⁻⁶) is that midpoint exactly, which goes to the even significand: 7 (0x40e0).
/// With 33 elements, the last `33 mod 32` is the tail.
#[test]
fn bf16_single_scalar_tail_rounds_the_product_before_the_sum() {
    let model = Model::new(Family::Pytorch, Kernel::Single, Format::Bfloat16);
    let h = tail_hyper(1.0078125, 0.0);
    let x0 = vec![0x4100; 33];
    let g = vec![vec![0x3f81; 33]];
    let a = model.exact();
    let bits = |steps: &[StepValues<Decoded>]| -> Vec<u64> {
        steps[0]
            .params
            .iter()
            .map(|x| a.bits(x, Format::Bfloat16).unwrap())
            .collect()
    };
    let vector = run(&a, &model, &h, &x0, &g).unwrap();
    assert_eq!(bits(&vector), vec![0x40df; 33]);
    let tensor = run_tensor(&a, &model, &h, &x0, &g, Capability::Avx512).unwrap();
    let mut expected = vec![0x40df; 32];
    expected.push(0x40e0);
    assert_eq!(bits(&tensor), expected);
}

/// binary32 `fused`, μ = 1 + 2⁻¹², τ = 0, b₁ = g₁ = 1 + 2⁻¹², g₂ = −1. b₁·μ = 1 + 2⁻¹¹ + 2⁻²⁴
/// is a binary32 tie that goes to the even 1 + 2⁻¹¹. The body computes
/// fma(g₂, 1, r(b₁·μ)) = 2⁻¹¹ (0x3a000000); the scalar tail contracts the buffer's product,
/// fma(b₁, μ, g₂·1) = 2⁻¹¹ + 2⁻²⁴ exactly (0x3a000400). With 9 elements nothing is in the
/// 16-lane body, the compiler's 8-lane epilogue takes elements 0–7 with the body's arithmetic
/// and element 8 is scalar.
#[test]
fn f32_fused_scalar_tail_contracts_the_buffer_product() {
    let model = Model::new(Family::Pytorch, Kernel::Fused, Format::Binary32);
    let mu = 1.0 + 2f64.powi(-12);
    let h = tail_hyper(2f64.powi(-10), mu);
    let x0 = vec![0; 9];
    let g = vec![
        vec![u64::from((mu as f32).to_bits()); 9],
        vec![u64::from((-1f32).to_bits()); 9],
    ];
    let a = model.exact();
    let state = |steps: &[StepValues<Decoded>]| -> Vec<u64> {
        steps[1]
            .state
            .as_ref()
            .unwrap()
            .iter()
            .map(|x| a.bits(x, Format::Binary32).unwrap())
            .collect()
    };
    let vector = run(&a, &model, &h, &x0, &g).unwrap();
    assert_eq!(state(&vector), vec![0x3a00_0000; 9]);
    let tensor = run_tensor(&a, &model, &h, &x0, &g, Capability::Avx512).unwrap();
    let mut expected = vec![0x3a00_0000; 8];
    expected.push(0x3a00_0400);
    assert_eq!(state(&tensor), expected);
}

/// Where the tail starts, as measured on torch 2.15 with AVX-512 and with AVX2
/// (`examples/python/torch_tail.py`): `numel mod 32` for the `cpu_kernel_vec` kernels in
/// bfloat16/binary16 (binary32: two `Vectorized<float>`, 32 or 16), `numel mod L` after the fused
/// kernel's body, with a 256-bit epilogue on AVX-512 when enough elements remain; nothing for
/// Keras and Optax. The numbers are counted by hand from those rules.
#[test]
fn scalar_tail_starts_where_measured() {
    use Path::{Scalar, Vector};
    let first_scalar = |capability, family, kernel, storage, numel| {
        let model = Model::new(family, kernel, storage);
        let paths: Vec<Path> = (0..numel)
            .map(|i| path_of(&model, capability, numel, i))
            .collect();
        let k = paths.iter().position(|p| *p == Scalar).unwrap_or(numel);
        assert!(paths[..k].iter().all(|p| *p == Vector));
        assert!(paths[k..].iter().all(|p| *p == Scalar));
        k
    };
    let (p, f32_, bf, f16) = (
        Family::Pytorch,
        Format::Binary32,
        Format::Bfloat16,
        Format::Binary16,
    );
    for c in [Capability::Avx512, Capability::Avx2] {
        // binary32: two 16-lane vectors per iteration on AVX-512, two 8-lane ones on AVX2.
        let wide = c == Capability::Avx512;
        for kernel in [Kernel::Single, Kernel::Foreach] {
            for storage in [bf, f16] {
                assert_eq!(first_scalar(c, p, kernel, storage, 1), 0);
                assert_eq!(first_scalar(c, p, kernel, storage, 31), 0);
                assert_eq!(first_scalar(c, p, kernel, storage, 33), 32);
                assert_eq!(first_scalar(c, p, kernel, storage, 47), 32);
                assert_eq!(first_scalar(c, p, kernel, storage, 64), 64);
            }
            assert_eq!(first_scalar(c, p, kernel, f32_, 1), 0);
            assert_eq!(
                first_scalar(c, p, kernel, f32_, 31),
                if wide { 0 } else { 16 }
            );
            assert_eq!(first_scalar(c, p, kernel, f32_, 33), 32);
            assert_eq!(first_scalar(c, p, kernel, f32_, 47), 32);
            assert_eq!(
                first_scalar(c, p, kernel, f32_, 48),
                if wide { 32 } else { 48 }
            );
        }
        // mixed: its tensors are the binary32 master weights, so binary32's period whatever the
        // model copy's format (on AVX2 this tells it apart from a bfloat16 tensor's 32).
        for storage in [bf, f16] {
            assert_eq!(
                first_scalar(c, p, Kernel::Mixed, storage, 31),
                if wide { 0 } else { 16 }
            );
            assert_eq!(
                first_scalar(c, p, Kernel::Mixed, storage, 48),
                if wide { 32 } else { 48 }
            );
        }
        // fused binary32: a 16-lane body then 8 lanes if 8 remain (AVX-512), or an 8-lane body
        // (AVX2): the same first scalar element.
        assert_eq!(first_scalar(c, p, Kernel::Fused, f32_, 7), 0);
        assert_eq!(first_scalar(c, p, Kernel::Fused, f32_, 9), 8);
        assert_eq!(first_scalar(c, p, Kernel::Fused, f32_, 31), 24);
        assert_eq!(first_scalar(c, p, Kernel::Fused, f32_, 33), 32);
        assert_eq!(first_scalar(c, p, Kernel::Fused, f32_, 47), 40);
        // fused bfloat16/binary16: a 32-lane body then 16 lanes if 16 remain, or a 16-lane body.
        for storage in [bf, f16] {
            assert_eq!(first_scalar(c, p, Kernel::Fused, storage, 7), 0);
            assert_eq!(first_scalar(c, p, Kernel::Fused, storage, 31), 16);
            assert_eq!(first_scalar(c, p, Kernel::Fused, storage, 47), 32);
            assert_eq!(first_scalar(c, p, Kernel::Fused, storage, 48), 48);
        }
        assert_eq!(first_scalar(c, Family::Keras, Kernel::Jit, bf, 7), 7);
        assert_eq!(first_scalar(c, Family::Optax, Kernel::Eager, f32_, 7), 7);
    }
}

/// The two capabilities' rules give every element of every tensor the same path wherever the
/// paths can be told apart (the fused kernel in every format, `cpu_kernel_vec` in
/// bfloat16/binary16): AVX-512's body of 2L lanes plus an L-lane epilogue when L elements
/// remain is AVX2's body of L lanes. This is why one measurement on each CPU found 0
/// mismatches with one model; binary32's `cpu_kernel_vec` period differs (32 against 16), but
/// its scalar loop rounds like the body.
#[test]
fn avx2_and_avx512_put_the_same_elements_on_the_scalar_path_where_it_rounds_differently() {
    for kernel in [Kernel::Single, Kernel::Foreach, Kernel::Fused] {
        for storage in [Format::Binary32, Format::Bfloat16, Format::Binary16] {
            if storage == Format::Binary32 && kernel != Kernel::Fused {
                continue;
            }
            let model = Model::new(Family::Pytorch, kernel, storage);
            for numel in 0..=300 {
                for i in 0..numel {
                    assert_eq!(
                        path_of(&model, Capability::Avx2, numel, i),
                        path_of(&model, Capability::Avx512, numel, i),
                        "{kernel:?} {storage:?}: element {i} of {numel}"
                    );
                }
            }
        }
    }
    assert_eq!(Capability::parse("AVX2"), Some(Capability::Avx2));
    assert_eq!(Capability::parse("AVX512"), Some(Capability::Avx512));
    assert_eq!(Capability::parse("DEFAULT"), None);
}

/// `kernel::envelope::up` is the smallest f64 at or above a non-negative rational, the rounding
/// under which envelope widths are written: exact values stay, a rational that the nearest f64
/// undershoots goes one ulp up, one that it overshoots stays on it. Bit patterns by hand: 1/3 and
/// 2/3 round down to …5555 (the dropped tail 0.0101…₂ of an ulp is below a half), 1/10 rounds up
/// to 0x3FB999999999999A (0.1000000000000000055…), 2⁻¹⁰⁷⁵ ties to even at 0.
#[test]
fn envelope_widths_round_up_to_the_next_f64() {
    use momentum_oracle::optim::kernel::envelope::up;
    let bits = |q: Rational| up(&q).to_bits();
    assert_eq!(bits(Rational::from(0)), 0);
    assert_eq!(bits(Rational::from(1)), 1.0f64.to_bits());
    assert_eq!(bits(Rational::from((3, 4))), 0.75f64.to_bits());
    assert_eq!(bits(Rational::from((1, 3))), 0x3FD5_5555_5555_5556);
    assert_eq!(bits(Rational::from((2, 3))), 0x3FE5_5555_5555_5556);
    assert_eq!(bits(Rational::from((1, 10))), 0x3FB9_9999_9999_999A);
    assert_eq!(bits(Rational::from(1) >> 1075u32), 1);
    // Every result is at or above its rational, and its predecessor below it.
    for (n, d) in [(1u32, 3u32), (2, 3), (1, 10), (7, 9), (123_456, 789)] {
        let q = Rational::from((n, d));
        let x = up(&q);
        assert!(Rational::from_f64(x).unwrap() >= q, "{n}/{d}");
        assert!(
            Rational::from_f64(f64::from_bits(x.to_bits() - 1)).unwrap() < q,
            "{n}/{d}"
        );
    }
}

/// The envelope's arithmetic (`kernel::arith::Bound`) in binary16, `u = 2⁻¹¹`, `η = 2⁻¹⁴`, on
/// inputs 3 and 5 (error `η` each, DAZ) and the constant 3/4 (error `2u·3/4`, two conversions),
/// each result worked out by hand from the rule in its doc: an operation's error is the
/// propagated one plus `2(u(m + e) + η)`, a product propagates `(m_a + e_a)e_b + m_b·e_a`.
///
/// * `3·5`: m = 15, propagated `(3 + η)η + 5η = 8η + η²`;
/// * `3 + 5`: m = 8, propagated `2η`;
/// * `fma(3, 5, 3/4)`: m = 15¾, propagated `8η + η² + 3u/2`;
///
/// and negation and storing charge nothing.
#[test]
fn the_envelope_charges_each_operation_one_rounding_in_the_work_and_one_in_storage() {
    use momentum_oracle::optim::kernel::arith::{Bound, Bounds};
    let q = |n: i64, d: u64| Rational::from((n, d));
    let u = q(1, 2048);
    let eta = q(1, 16384);
    let rule = |m: Rational, propagated: Rational| {
        let extra = u.clone() * (m.clone() + propagated.clone()) + &eta;
        Bounds {
            e: propagated + Rational::from(2) * extra,
            m,
        }
    };
    let b = Bound::new(Format::Binary16);
    let three = b.input(0x4200, Format::Binary16);
    let five = b.input(0x4500, Format::Binary16);
    assert_eq!(
        three,
        Bounds {
            m: q(3, 1),
            e: eta.clone()
        }
    );
    let c = b.konst(0.75, &[Format::Binary32, Format::Binary16]);
    assert_eq!(
        c,
        Bounds {
            m: q(3, 4),
            e: q(3, 2) * u.clone()
        }
    );
    let eta2 = eta.clone() * eta.clone();
    assert_eq!(
        b.mul(&three, &five),
        rule(q(15, 1), q(8, 1) * eta.clone() + eta2.clone())
    );
    assert_eq!(b.add(&three, &five), rule(q(8, 1), q(2, 1) * eta.clone()));
    assert_eq!(
        b.fma(&three, &five, &c),
        rule(q(63, 4), q(8, 1) * eta.clone() + eta2 + q(3, 2) * u.clone())
    );
    assert_eq!(b.neg(&three), three);
    assert_eq!(b.round_to(&five, Format::Binary16), five);
    assert_eq!(
        b.zero(),
        Bounds {
            m: q(0, 1),
            e: q(0, 1)
        }
    );
}

/// `NativeF64` stores a double in a narrower format only if the double is a number of that
/// format: 1/2 is `0x3F000000`, `0x3F00`, `0x3800`; 0.1 is in none of them and is refused, as is
/// 2⁻¹⁴⁹ (a binary32 subnormal) in binary16.
#[test]
fn native_f64_stores_only_numbers_of_the_target_format() {
    let n = NativeF64;
    assert_eq!(n.bits(&0.5, Format::Binary32).unwrap(), 0x3F00_0000);
    assert_eq!(n.bits(&0.5, Format::Bfloat16).unwrap(), 0x3F00);
    assert_eq!(n.bits(&0.5, Format::Binary16).unwrap(), 0x3800);
    assert_eq!(n.bits(&0.1, Format::Binary64).unwrap(), 0.1f64.to_bits());
    for format in [Format::Binary32, Format::Bfloat16, Format::Binary16] {
        let err = n.bits(&0.1, format).unwrap_err().to_string();
        assert!(err.contains("is not a"), "{format}: {err}");
    }
    assert!(
        n.bits(&f64::from(f32::from_bits(1)), Format::Binary16)
            .is_err()
    );
}

/// x86 FTZ flushes a result that is tiny *after* rounding to 24 bits with an unbounded exponent,
/// and DAZ reads a subnormal operand as a signed zero; the boundary cases, derived by hand, in
/// both the exact engine and the native emulation (`NativeF32::ftz_result`'s TwoSum test):
///
/// * `a·b = (2²⁵ − 1)·2⁻¹⁵¹ = 2⁻¹²⁶ − 2⁻¹⁵¹` (`18631·2⁻¹⁵ × 1801·2⁻¹³⁶`, both normal;
///   2²⁵ − 1 = 31·601·1801) is the tie between `2⁻¹²⁶ − 2⁻¹⁵⁰` (odd significand) and `2⁻¹²⁶`
///   (even): it rounds to `2⁻¹²⁶`, so it is not tiny and stays `2⁻¹²⁶`;
/// * `fma(a, b, −2⁻¹²⁶)` with `a·b = (2⁴⁶ + 1)·2⁻¹⁹⁷` (`8392705·2⁻⁴⁹ × 8384513·2⁻¹⁴⁸`) is
///   `−(2⁻¹²⁶ − 2⁻¹⁵¹ − 2⁻¹⁹⁷)`: just inside the tie, so 24 bits give `2⁻¹²⁶ − 2⁻¹⁵⁰`, tiny,
///   flushed to `−0` — while the gradual binary32 result is `−2⁻¹²⁶` (the subnormal grid's
///   midpoint is `2⁻¹²⁶ − 2⁻¹⁵⁰`) and the double nearest to the exact sum is the tie itself: only
///   TwoSum's low part (`+2⁻¹⁹⁷`, against the sign) tells the two apart. Mirrored: `+0`.
///   With `a·b = (2²³ + 1)(2²³ − 1)·2⁻¹⁹⁷ = 2⁻¹⁵¹ − 2⁻¹⁹⁷` the sum is just outside the tie (the
///   double nearest is again the tie, the low part `−2⁻¹⁹⁷` along the sign): `−2⁻¹²⁶`, not
///   flushed. (`examples/python/twosum_mutants.py` samples 20,000 such cases for the mutants of
///   TwoSum; the two that never change a decision are listed in docs/mutants.md.)
/// * DAZ: `2⁻¹²⁶` is normal and read as itself; `2⁻¹²⁶ − 2⁻¹⁴⁹` (the largest subnormal) as `0`.
#[test]
fn ftz_flushes_exactly_the_results_tiny_after_rounding_and_daz_exactly_the_subnormals() {
    let exact = Exact {
        work: Format::Binary32,
        ftz: true,
    };
    let native = NativeF32 { ftz: true };
    // 2^e from its bit pattern (powi may go through 2^|e|, which overflows binary32).
    let p2 = |e: i32| {
        if e >= -126 {
            f32::from_bits(((e + 127) as u32) << 23)
        } else {
            f32::from_bits(1u32 << (e + 149))
        }
    };
    let min_normal = f32::MIN_POSITIVE;
    let largest_subnormal = f32::from_bits(0x007F_FFFF);
    assert_eq!(largest_subnormal, min_normal - p2(-126 - 23));

    // Each case: the operands, the result's expected binary32 bits, what it is.
    let cases: Vec<(Vec<f32>, u32, &str)> = vec![
        (
            vec![18631.0 * p2(-15), 1801.0 * p2(-136)],
            0x0080_0000,
            "tie at the threshold: 2^-126",
        ),
        (
            vec![8_392_705.0 * p2(-49), 8_384_513.0 * p2(-148), -min_normal],
            0x8000_0000,
            "fma just inside the tie: -0",
        ),
        (
            vec![-8_392_705.0 * p2(-49), 8_384_513.0 * p2(-148), min_normal],
            0x0000_0000,
            "mirrored: +0",
        ),
        (
            vec![8_388_609.0 * p2(-49), 8_388_607.0 * p2(-148), -min_normal],
            0x8080_0000,
            "fma just outside the tie, the low part along the sign: -2^-126",
        ),
        (
            vec![
                8_392_705.0 * p2(-49),
                8_384_513.0 * p2(-148),
                -(min_normal + p2(-149)),
            ],
            0x8080_0001,
            "above the threshold with the low part against the sign: not flushed",
        ),
        (vec![min_normal, 1.0], 0x0080_0000, "DAZ keeps 2^-126"),
        (
            vec![largest_subnormal, 1.0],
            0x0000_0000,
            "DAZ flushes the largest subnormal",
        ),
        (
            vec![-largest_subnormal, 1.0],
            0x8000_0000,
            "DAZ keeps the sign",
        ),
    ];
    for (ops, expected, what) in cases {
        let e: Vec<Decoded> = ops
            .iter()
            .map(|x| exact.input(u64::from(x.to_bits()), Format::Binary32))
            .collect();
        let (eb, nb) = if ops.len() == 2 {
            (exact.mul(&e[0], &e[1]), native.mul(&ops[0], &ops[1]))
        } else {
            (
                exact.fma(&e[0], &e[1], &e[2]),
                native.fma(&ops[0], &ops[1], &ops[2]),
            )
        };
        assert_eq!(
            exact.bits(&eb, Format::Binary32).unwrap(),
            u64::from(expected),
            "exact: {what}"
        );
        assert_eq!(nb.to_bits(), expected, "native: {what}");
    }
    // The products are what the derivation says, exactly.
    assert_eq!(
        Rational::from_f32(18631.0 * p2(-15)).unwrap()
            * Rational::from_f32(1801.0 * p2(-136)).unwrap(),
        (Rational::from(1) << 25u32) - 1u32 >> 151u32
    );
    assert_eq!(
        Rational::from_f32(8_392_705.0 * p2(-49)).unwrap()
            * Rational::from_f32(8_384_513.0 * p2(-148)).unwrap(),
        ((Rational::from(1) << 46u32) + 1u32) >> 197u32
    );
    // Without FTZ the same fma is the gradual −2^-126, and a subnormal operand is itself.
    let gradual = NativeF32 { ftz: false };
    let r = gradual.fma(
        &(8_392_705.0 * p2(-49)),
        &(8_384_513.0 * p2(-148)),
        &-min_normal,
    );
    assert_eq!(r.to_bits(), 0x8080_0000);
    assert_eq!(gradual.mul(&largest_subnormal, &1.0).to_bits(), 0x007F_FFFF);
}

/// The canonical quiet NaN each format stores for a NaN result: exponent all ones and the top
/// trailing-significand bit (IEEE 754-2008 §6.2.1; x86 SSE's "QNaN floating-point indefinite" is
/// the same pattern with the sign set, Intel SDM Vol. 1 Table 4-3 — the sign is not compared).
#[test]
fn a_nan_is_stored_as_the_canonical_quiet_nan_of_its_format() {
    use momentum_oracle::optim::kernel::arith::quiet_nan;
    assert_eq!(quiet_nan(Format::Binary64), 0x7FF8_0000_0000_0000);
    assert_eq!(quiet_nan(Format::Binary32), 0x7FC0_0000);
    assert_eq!(quiet_nan(Format::Bfloat16), 0x7FC0);
    assert_eq!(quiet_nan(Format::Binary16), 0x7E00);
    assert_eq!(f32::NAN.to_bits(), 0x7FC0_0000);
    let nan = Exact {
        work: Format::Binary32,
        ftz: false,
    }
    .mul(
        &Decoded::Nan,
        &Decoded::Number(Rounded::Zero { negative: false }),
    );
    for f in [Format::Binary32, Format::Bfloat16, Format::Binary16] {
        assert_eq!(
            Exact {
                work: Format::Binary32,
                ftz: false
            }
            .bits(&nan, f)
            .unwrap(),
            quiet_nan(f)
        );
        assert_eq!(
            NativeF32 { ftz: false }.bits(&f32::NAN, f).unwrap(),
            quiet_nan(f)
        );
    }
}

/// Every operation of the exact engine on every pair and triple of IEEE 754's special operands
/// (±0, ±1, ±∞, NaN, the smallest subnormal, the largest finite, one ulp above 1) equals the
/// hardware's, bit for bit, with and without FTZ/DAZ: the zero-sign rules of §6.3 (`+0 + −0 = +0`,
/// `−0 + −0 = −0`, `x − x = +0`), `∞ + ∞ = ∞`, `∞ − ∞ = NaN`, `0·∞ = NaN` also inside an fma, NaN
/// in anything. The random cases reach these combinations too seldom to be relied on.
#[test]
fn the_exact_engine_meets_ieee_special_cases_exactly_as_the_hardware_does() {
    let specials: Vec<f32> = [
        0.0f32,
        1.0,
        f32::INFINITY,
        f32::from_bits(1),
        f32::MAX,
        1.0 + f32::EPSILON,
    ]
    .iter()
    .flat_map(|x| [*x, -*x])
    .chain([f32::NAN])
    .collect();
    for ftz in [false, true] {
        let exact = Exact {
            work: Format::Binary32,
            ftz,
        };
        let native = NativeF32 { ftz };
        let e = |x: f32| exact.input(u64::from(x.to_bits()), Format::Binary32);
        let same = |what: String, d: Decoded, n: f32| {
            let db = exact.bits(&d, Format::Binary32).unwrap();
            let nb = native.bits(&n, Format::Binary32).unwrap();
            assert_eq!(
                db, nb,
                "{what} (ftz {ftz}): exact {db:#x}, hardware {nb:#x}"
            );
        };
        for a in &specials {
            for b in &specials {
                same(
                    format!("{a} * {b}"),
                    exact.mul(&e(*a), &e(*b)),
                    native.mul(a, b),
                );
                same(
                    format!("{a} + {b}"),
                    exact.add(&e(*a), &e(*b)),
                    native.add(a, b),
                );
                for c in &specials {
                    same(
                        format!("fma({a}, {b}, {c})"),
                        exact.fma(&e(*a), &e(*b), &e(*c)),
                        native.fma(a, b, c),
                    );
                }
            }
        }
    }
    // The rules themselves, stated once by hand (the comparison above would pass if both sides
    // shared a mistake).
    let exact = Exact {
        work: Format::Binary32,
        ftz: false,
    };
    let v = |x: f32| exact.input(u64::from(x.to_bits()), Format::Binary32);
    let bits = |d: Decoded| exact.bits(&d, Format::Binary32).unwrap();
    let inf = f32::INFINITY;
    assert_eq!(bits(exact.add(&v(inf), &v(inf))), 0x7F80_0000);
    assert_eq!(bits(exact.add(&v(-inf), &v(-inf))), 0xFF80_0000);
    assert_eq!(bits(exact.add(&v(inf), &v(-inf))), 0x7FC0_0000);
    assert_eq!(bits(exact.fma(&v(inf), &v(1.0), &v(inf))), 0x7F80_0000);
    assert_eq!(bits(exact.fma(&v(inf), &v(0.0), &v(1.0))), 0x7FC0_0000);
    assert_eq!(bits(exact.add(&v(0.0), &v(-0.0))), 0x0000_0000);
    assert_eq!(bits(exact.add(&v(-0.0), &v(-0.0))), 0x8000_0000);
    assert_eq!(bits(exact.add(&v(1.0), &v(-1.0))), 0x0000_0000);
    assert_eq!(bits(exact.fma(&v(-0.0), &v(1.0), &v(-0.0))), 0x8000_0000);
    assert_eq!(bits(exact.mul(&v(-1.0), &v(0.0))), 0x8000_0000);
}

/// A double just above a tie of bfloat16 or binary16 rounds up, in the native conversions as in
/// the exact engine (`half`'s `from_f64` drops the low 32 bits of the double and rounds such a
/// value as the tie, down to even; a proptest case found it: μ = 0.04357912906618028, whose
/// μ·2⁵ = 1.3945321… lies above the bfloat16 midpoint 1.39453125 = 178.5/128). By hand:
///
/// * `1 + 2⁻⁸ + 2⁻⁴⁰` → bfloat16 `1 + 2⁻⁷` (binary32 bits `0x3F810000`), the tie `1 + 2⁻⁸` → 1;
/// * `1 + 2⁻⁸ + 2⁻²³` (a binary32 number whose last bit lies in the double's low word), through
///   binary32 then bfloat16 → `1 + 2⁻⁷`;
/// * `1 + 2⁻¹¹ + 2⁻⁴⁰` → binary16 `1 + 2⁻¹⁰` (`0x3F802000`), the tie → 1;
/// * `−2⁻¹³⁴(1 + 2⁻³⁰)`, just beyond half the smallest bfloat16 subnormal `2⁻¹³³`, → `−2⁻¹³³`
///   (bfloat16 `0x8001`, as binary32 the subnormal `0x80010000` = `−2¹⁶·2⁻¹⁴⁹`), the tie
///   `2⁻¹³⁴` → +0;
/// * μ → bfloat16 `179/128·2⁻⁵` (`0x3D330000`).
#[test]
fn a_double_just_above_a_tie_rounds_up_to_bfloat16_and_binary16() {
    let p = |e: i32| 2f64.powi(e);
    let cases: [(f64, &[Format], u32); 8] = [
        (1.0 + p(-8) + p(-40), &[Format::Bfloat16], 0x3F81_0000),
        (1.0 + p(-8), &[Format::Bfloat16], 0x3F80_0000),
        (
            1.0 + p(-8) + p(-23),
            &[Format::Binary32, Format::Bfloat16],
            0x3F81_0000,
        ),
        (1.0 + p(-11) + p(-40), &[Format::Binary16], 0x3F80_2000),
        (1.0 + p(-11), &[Format::Binary16], 0x3F80_0000),
        (-p(-134) * (1.0 + p(-30)), &[Format::Bfloat16], 0x8001_0000),
        (p(-134), &[Format::Bfloat16], 0),
        (0.04357912906618028, &[Format::Bfloat16], 0x3D33_0000),
    ];
    let exact = Exact {
        work: Format::Binary32,
        ftz: false,
    };
    for (x, chain, want) in cases {
        let native = NativeF32 { ftz: false }.konst(x, chain).to_bits();
        let e = exact
            .bits(&exact.konst(x, chain), Format::Binary32)
            .unwrap();
        assert_eq!(
            (native, e),
            (want, u64::from(want)),
            "{x:e} through {chain:?}"
        );
        assert_eq!(
            NativeF64.konst(x, chain).to_bits(),
            f64::from(f32::from_bits(want)).to_bits()
        );
    }
}

/// A hyper-parameter goes through its rounding chain as the native conversions take it: a zero
/// keeps its sign (a schedule at `−0.0`, a negated zero learning rate), what underflows becomes a
/// zero of its sign, what overflows an infinity, NaN stays NaN.
#[test]
fn hyper_parameters_round_through_their_chain_as_the_native_conversions_do() {
    let chains: [&[Format]; 4] = [
        &[],
        &[Format::Binary32],
        &[Format::Bfloat16],
        &[Format::Binary32, Format::Binary16],
    ];
    for ftz in [false, true] {
        let exact = Exact {
            work: Format::Binary32,
            ftz,
        };
        let native = NativeF32 { ftz };
        for x in [0.0, 1e-300, 0.1, 1e300, 1e-40, f64::INFINITY] {
            for x in [x, -x] {
                for chain in chains {
                    let eb = exact
                        .bits(&exact.konst(x, chain), Format::Binary32)
                        .unwrap();
                    let nb = native
                        .bits(&native.konst(x, chain), Format::Binary32)
                        .unwrap();
                    assert_eq!(eb, nb, "{x} through {chain:?} (ftz {ftz})");
                }
            }
        }
        let nan = exact.konst(f64::NAN, &[Format::Binary32]);
        assert_eq!(nan, Decoded::Nan);
    }
    let exact = Exact {
        work: Format::Binary32,
        ftz: false,
    };
    assert_eq!(
        exact
            .bits(&exact.konst(-0.0, &[]), Format::Binary32)
            .unwrap(),
        0x8000_0000
    );
}

/// A nudged learning rate moves by whole ulps of the working format, up for +1 (toward +∞).
/// PyTorch in binary64, θ₀ = 0, g = 1, γ = 1/2 (μ = 0): θ₁ = −γ' with γ' = 1/2 + 2⁻⁵³ for
/// +1 ulp and 1/2 − 2⁻⁵⁴ for −1 (the binade below); γ = −1/2 moves up to −1/2 + 2⁻⁵⁴ for +1.
/// In binary32, +1 ulp of 1/2 is 2⁻²⁴, −1 is 2⁻²⁵.
#[test]
fn a_nudged_learning_rate_moves_by_whole_ulps_of_the_working_format() {
    let p = |e: i32| 2f64.powi(e);
    for (storage, lr, ulps, want) in [
        (Format::Binary64, 0.5, 1, -(0.5 + p(-53))),
        (Format::Binary64, 0.5, -1, -(0.5 - p(-54))),
        (Format::Binary64, -0.5, 1, 0.5 - p(-54)),
        (Format::Binary32, 0.5, 1, -(0.5 + p(-24))),
        (Format::Binary32, 0.5, -1, -(0.5 - p(-25))),
    ] {
        let mut m = Model::new(Family::Pytorch, Kernel::Single, storage);
        m.nudge = Some((momentum_oracle::optim::kernel::Nudge::LearningRate, ulps));
        let got = params_after(&m.exact(), &m, &h(lr, 0.0), 0.0, &[1.0]);
        let want = match storage {
            Format::Binary64 => want.to_bits(),
            _ => u64::from((want as f32).to_bits()),
        };
        assert_eq!(got[0], want, "{storage} γ = {lr}, {ulps:+} ulp");
    }
}

/// The words of a model with a promoted Optax update, written out: the promotion is the only
/// note when every other hyper-parameter is exact, and the others follow it when not.
#[test]
fn a_promoted_optax_update_is_described_in_full() {
    let mut m = Model::new(Family::Optax, Kernel::Eager, Format::Bfloat16);
    m.hyper = HyperPrecision::binary32_learning_rate();
    assert_eq!(
        m.describe(),
        "optax eager in bfloat16 with its learning rate a binary32 array (an optax schedule or \
         inject_hyperparams), −γ·u promoted to binary32"
    );
    m.hyper.momentum = Some(Format::Bfloat16);
    assert!(
        m.describe()
            .ends_with("promoted to binary32, with its momentum rounded to bfloat16"),
        "{}",
        m.describe()
    );
}

/// Keras's coupled weight decay (the other coupling the diagnosis tries) under jit is one fma,
/// `g' = fma(θ, λ, g)`, and eagerly `g + st(θλ)`. By hand in binary32 with θ₀ = 1 + 2⁻²³,
/// λ = 1 + 3·2⁻²³, g = −1, γ = 1, μ = 1/2: θ₀λ = 1 + 2⁻²¹ + 3·2⁻⁴⁶, so eagerly
/// st(θ₀λ) = 1 + 2⁻²¹ and g' = 2⁻²¹, while the fma keeps 2⁻²¹ + 3·2⁻⁴⁶, which rounds to
/// 2⁻²¹ + 2⁻⁴⁴ (3·2⁻⁴⁶ is ¾ of an ulp there). The velocity after step 1 is −γg': `0xB5000000`
/// eagerly, `0xB5000001` under jit.
#[test]
fn keras_coupled_weight_decay_is_one_fma_under_jit_and_two_roundings_eagerly() {
    let hy = Hyper {
        learning_rates: vec![1.0],
        momentum: 0.5,
        dampening: 0.0,
        weight_decay: 1.0 + 3.0 * f64::from(f32::EPSILON),
        nesterov: false,
        maximize: false,
    };
    for (kernel, want) in [(Kernel::Eager, 0xB500_0000u64), (Kernel::Jit, 0xB500_0001)] {
        let mut m = Model::new(Family::Keras, kernel, Format::Binary32);
        m.decay = Decay::Coupled;
        m.ftz = false;
        let a = m.exact();
        let x0 = u64::from((1.0f32 + f32::EPSILON).to_bits());
        let out = run(&a, &m, &hy, &[x0], &[vec![u64::from((-1.0f32).to_bits())]]).unwrap();
        let v = a
            .bits(&out[0].state.as_ref().unwrap()[0], Format::Binary32)
            .unwrap();
        assert_eq!(v, want, "{kernel:?}");
    }
}
