//! Replay fixtures in binary32, bfloat16 and binary16 (`fixture::lowprec`): they read back, the
//! native types reproduce every model's bits, the exact trace is the crate's own optimizer in
//! exact arithmetic (an independent implementation of the same update), the models are told
//! apart by the inputs, and every input class of the format occurs.

use momentum_oracle::arith::format::Format;
use momentum_oracle::arith::linalg::Vector;
use momentum_oracle::fixture::check::{ExternalStep, ExternalTrace};
use momentum_oracle::fixture::diagnose::{FormatVerdict, check_format};
use momentum_oracle::fixture::lowprec::{self, FormatFixture};
use momentum_oracle::fixture::replay;
use momentum_oracle::optim::kernel::arith::{NativeF32, Real};
use momentum_oracle::optim::kernel::{Family, Model, Stored, run};
use rug::Rational;

fn all() -> Vec<FormatFixture> {
    lowprec::cases()
        .iter()
        .map(|(f, c)| {
            let text = std::fs::read_to_string(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("fixtures")
                    .join(format!("replay-{}", f.name()))
                    .join(format!("{}.json", c.name)),
            )
            .unwrap();
            lowprec::read(&serde_json::from_str(&text).unwrap()).unwrap()
        })
        .collect()
}

#[test]
fn every_format_fixture_reads_back_as_it_was_built() {
    let fixtures = all();
    for (f, c) in lowprec::cases() {
        let built = lowprec::build(f, &c).unwrap();
        let read = fixtures
            .iter()
            .find(|x| x.name == c.name && x.format == f)
            .unwrap();
        // The file lists models by name (JSON objects are sorted), the build in catalogue order.
        let mut models = built.models.clone();
        models.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(read.models, models, "{} {f}", c.name);
        assert_eq!(read.exact, built.exact);
        assert_eq!(read.initial, built.initial);
        assert_eq!(read.gradients, built.gradients);
        assert_eq!(read.hyper, built.hyper);
    }
}

#[test]
fn native_f32_and_half_reproduce_every_model_trace_of_every_format_fixture() {
    for fx in all() {
        for (name, trace) in &fx.models {
            let model = Model::catalogue(fx.family, fx.format)
                .into_iter()
                .find(|m| m.name() == name)
                .unwrap();
            let a = NativeF32 { ftz: model.ftz };
            let out = run(&a, &model, &fx.hyper, &fx.initial, &fx.gradients).unwrap();
            for (k, s) in out.iter().enumerate() {
                let params: Vec<u64> = s
                    .params
                    .iter()
                    .map(|x| a.bits(x, fx.format).unwrap())
                    .collect();
                assert_eq!(
                    params,
                    trace[k].params,
                    "{} {} {name} step {}",
                    fx.name,
                    fx.format,
                    k + 1
                );
                let state: Option<Vec<u64>> = s
                    .state
                    .as_ref()
                    .map(|v| v.iter().map(|x| a.bits(x, fx.format).unwrap()).collect());
                assert_eq!(state, trace[k].state);
            }
        }
    }
}

#[test]
fn the_exact_trace_is_the_crates_own_optimizer_in_exact_arithmetic() {
    let fixtures = all();
    for (f, c) in lowprec::cases() {
        let fx = fixtures
            .iter()
            .find(|x| x.name == c.name && x.format == f)
            .unwrap();
        let (config, _) = replay::optimizer(&c).unwrap();
        let as_f64 = |b: &u64| f.exact_of_bits(*b).map(|q| q.to_f64()).unwrap();
        let x0: Vec<f64> = fx.initial.iter().map(as_f64).collect();
        let grads: Vec<Vec<f64>> = fx
            .gradients
            .iter()
            .map(|g| g.iter().map(as_f64).collect())
            .collect();
        let runs = replay::runs(&config, &fx.hyper.learning_rates, &x0, &grads).unwrap();
        for (k, s) in fx.exact.iter().enumerate() {
            let theirs: Vec<Rational> = runs.exact.steps[k].iterate.to_scalars();
            assert_eq!(s.params, theirs, "{} {f} step {}", c.name, k + 1);
        }
        // The Real arithmetic of the kernel module is what produced it.
        let again = run(
            &Real,
            &Model::new(
                fx.family,
                momentum_oracle::optim::kernel::reference_kernel(fx.family),
                f,
            ),
            &fx.hyper,
            &fx.initial,
            &fx.gradients,
        )
        .unwrap();
        assert_eq!(again, fx.exact);
    }
}

#[test]
fn the_fixtures_tell_every_pair_of_models_apart() {
    for fx in all() {
        for (i, (a, ta)) in fx.models.iter().enumerate() {
            for (b, tb) in &fx.models[i + 1..] {
                // binary32 PyTorch: single, foreach and fused are one kernel (measured).
                let same_kernel = fx.format == Format::Binary32
                    && fx.family == Family::Pytorch
                    && a != "no-fma"
                    && b != "no-fma";
                // Without momentum the kernels that differ only in the momentum multiply are
                // one: PyTorch single and foreach (the buffer's μ as f32 or c_S), Optax eager and
                // jit-update (t = g + 0·t = g both ways, then the same θ update).
                let pair = (a.as_str(), b.as_str());
                let no_momentum_twins = fx.hyper.momentum == 0.0
                    && matches!(
                        (fx.family, pair),
                        (
                            Family::Pytorch,
                            ("single", "foreach") | ("foreach", "single")
                        ) | (
                            Family::Optax,
                            ("eager", "jit-update") | ("jit-update", "eager")
                        )
                    );
                let same_kernel = same_kernel || no_momentum_twins;
                let differ = ta.iter().zip(tb).any(|(x, y)| x.params != y.params);
                assert_eq!(
                    differ, !same_kernel,
                    "{} {}: {a} vs {b}",
                    fx.name, fx.format
                );
            }
        }
    }
}

#[test]
fn every_format_fixture_has_subnormal_zero_sign_flip_and_near_overflow_gradients() {
    for fx in all() {
        let f = fx.format;
        let values: Vec<Rational> = fx
            .gradients
            .iter()
            .flatten()
            .map(|b| f.exact_of_bits(*b).unwrap())
            .collect();
        let tiny = values
            .iter()
            .any(|q| *q != 0 && Rational::from(q.abs_ref()) < f.smallest_normal());
        let huge_floor = f.largest_finite() >> 8u32;
        let huge = values
            .iter()
            .any(|q| Rational::from(q.abs_ref()) > huge_floor);
        let zero = values.iter().any(|q| *q == 0);
        let negative = values.iter().any(|q| *q < 0);
        assert!(tiny && huge && zero && negative, "{} {f}", fx.name);
        // And the huge ones stay finite through every model.
        for (name, t) in &fx.models {
            for s in t {
                for b in &s.params {
                    assert!(
                        f.exact_of_bits(*b).is_some(),
                        "{} {f} {name}: non-finite",
                        fx.name
                    );
                }
            }
        }
    }
}

/// The value of a stored bit pattern as the f64 a user's trace holds (sign of zero kept).
fn value(f: Format, b: u64) -> f64 {
    match f {
        Format::Binary64 => f64::from_bits(b),
        Format::Binary32 => f64::from(f32::from_bits(b as u32)),
        Format::Bfloat16 => half::bf16::from_bits(b as u16).to_f64(),
        Format::Binary16 => half::f16::from_bits(b as u16).to_f64(),
    }
}

#[test]
fn every_models_own_trace_passes_check_bit_exact_under_its_name() {
    // `check` on every format fixture on disk (templates and coverage cases, every format): the
    // trace each stored model wrote, parameters and state, is bit-exact with that model.
    let mut checked = 0;
    for fx in all() {
        for (name, t) in &fx.models {
            let trace = ExternalTrace {
                steps: t
                    .iter()
                    .map(|s| ExternalStep {
                        params: s.params.iter().map(|b| value(fx.format, *b)).collect(),
                        state: s
                            .state
                            .iter()
                            .map(|v| {
                                (
                                    fx.family.state_name().to_string(),
                                    v.iter().map(|b| value(fx.format, *b)).collect(),
                                )
                            })
                            .collect(),
                    })
                    .collect(),
            };
            let r = check_format(&fx, &trace).unwrap();
            assert!(
                matches!(&r.verdict, FormatVerdict::BitExact(names) if names.contains(name)),
                "{} {} {name}: {}",
                fx.name,
                fx.format,
                r.render()
            );
            checked += 1;
        }
    }
    // 43 cases per format; PyTorch 4 models, Keras 2, Optax 3 (per format: 21·4 + 11·2 + 11·3).
    assert_eq!(checked, 3 * (21 * 4 + 11 * 2 + 11 * 3));
}

/// A stored value's digits are exactly the format's width of hex digits: `u64::from_str_radix`
/// alone would take a sign (`+3c0` is 0x3c0) or too few digits, and a trace read that way would
/// name a different value than the one written.
#[test]
fn a_bit_pattern_is_exactly_the_formats_width_of_hex_digits() {
    let h = Format::Binary16;
    assert_eq!(lowprec::parse_hex(h, "3C00").unwrap(), 0x3c00);
    assert_eq!(lowprec::parse_hex(h, "3c00").unwrap(), 0x3c00);
    assert_eq!(
        lowprec::parse_hex(Format::Binary32, "3f800000").unwrap(),
        0x3f80_0000
    );
    for bad in ["+3c0", "3c0", "03c00", "3c0g", ""] {
        let e = lowprec::parse_hex(h, bad).unwrap_err().to_string();
        assert!(e.contains("expected 4 hex digits"), "{bad:?}: {e}");
    }
    let e = lowprec::parse_hex(Format::Binary32, "3c00").unwrap_err();
    assert!(e.to_string().contains("expected 8 hex digits"), "{e}");
}
