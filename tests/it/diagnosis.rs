//! The diagnosis (`fixture::diagnose`): a trace that no stored model reproduces is explained by
//! the named variant that produced it, accepted when it is a framework's own convention (Keras's
//! binary32 learning rate) and a failure otherwise (burn's f32 momentum, a one-ulp change of a
//! hyper-parameter, FTZ, the first-step dampening quirk). The traces are built from the variant
//! models; what is checked is that `check` finds the right name among all the candidates.

use momentum_oracle::arith::format::Format;
use momentum_oracle::fixture::check::{ExternalStep, ExternalTrace};
use momentum_oracle::fixture::diagnose::{
    FormatVerdict, candidates, check_format, explain_binary64, value_bits,
};
use momentum_oracle::fixture::lowprec::{self, FormatFixture};
use momentum_oracle::fixture::{self, check::read_replay};
use momentum_oracle::optim::kernel::{
    Decay, Family, HyperPrecision, Kernel, Model, Nudge, Stored, run,
};
use rug::Rational;

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn format_fixture(format: Format, name: &str) -> FormatFixture {
    let v = fixture::read_json(
        &root()
            .join(format!("replay-{}", format.name()))
            .join(format!("{name}.json")),
        "fixture",
    )
    .unwrap();
    lowprec::read(&v).unwrap()
}

/// The trace a model produces on the fixture's inputs, as the f64 values a user would write.
fn trace_of(
    model: &Model,
    hyper: &momentum_oracle::optim::kernel::Hyper,
    x0: &[u64],
    g: &[Vec<u64>],
) -> ExternalTrace {
    trace(model, hyper, x0, g, false)
}

/// As [`trace_of`], with the state the model keeps reported under the family's name.
fn trace_with_state(
    model: &Model,
    hyper: &momentum_oracle::optim::kernel::Hyper,
    x0: &[u64],
    g: &[Vec<u64>],
) -> ExternalTrace {
    trace(model, hyper, x0, g, true)
}

fn trace(
    model: &Model,
    hyper: &momentum_oracle::optim::kernel::Hyper,
    x0: &[u64],
    g: &[Vec<u64>],
    with_state: bool,
) -> ExternalTrace {
    let a = model.exact();
    let f = model.storage;
    let steps = run(&a, model, hyper, x0, g).unwrap();
    let value = |x: &momentum_oracle::arith::format::Decoded| -> f64 {
        let b = a.bits(x, f).unwrap();
        match f {
            Format::Binary64 => f64::from_bits(b),
            Format::Binary32 => f64::from(f32::from_bits(b as u32)),
            Format::Bfloat16 => half::bf16::from_bits(b as u16).to_f64(),
            Format::Binary16 => half::f16::from_bits(b as u16).to_f64(),
        }
    };
    ExternalTrace {
        steps: steps
            .iter()
            .map(|s| ExternalStep {
                params: s.params.iter().map(value).collect(),
                state: match (&s.state, with_state) {
                    (Some(v), true) => vec![(
                        model.family.state_name().to_string(),
                        v.iter().map(value).collect(),
                    )],
                    _ => Vec::new(),
                },
            })
            .collect(),
    }
}

/// A trace's state, reported under the family's name, is compared bit for bit too: a stored
/// model's trace with its momentum buffer passes bit-exact, and with one buffer value moved by
/// one ulp it is no longer that model's; a buffer value that is not a binary32 number is
/// refused with its step.
#[test]
fn the_reported_state_is_compared_bit_for_bit_under_the_familys_name() {
    let fx = format_fixture(Format::Binary32, "pytorch-dampening-weight-decay");
    let m = Model::new(Family::Pytorch, Kernel::Single, Format::Binary32);
    let t = trace_with_state(&m, &fx.hyper, &fx.initial, &fx.gradients);
    assert_eq!(t.steps[0].state[0].0, "momentum_buffer");
    let r = check_format(&fx, &t).unwrap();
    assert!(
        matches!(&r.verdict, FormatVerdict::BitExact(names) if names.contains(&"single".to_string())),
        "{}",
        r.render()
    );
    let mut moved = t.clone();
    let v = &mut moved.steps[1].state[0].1[0];
    *v = f64::from(f32::from_bits((*v as f32).to_bits() + 1));
    let r = check_format(&fx, &moved).unwrap();
    assert!(
        !matches!(r.verdict, FormatVerdict::BitExact(_)),
        "{}",
        r.render()
    );
    // A model that keeps no state does not match a trace that reports one.
    let mut stateless = fx.clone();
    for (_, steps) in &mut stateless.models {
        for s in steps {
            s.state = None;
        }
    }
    let r = check_format(&stateless, &t).unwrap();
    assert!(
        !matches!(r.verdict, FormatVerdict::BitExact(_)),
        "{}",
        r.render()
    );
    let mut bad = t;
    bad.steps[1].state[0].1[2] = 0.1;
    let err = check_format(&fx, &bad).unwrap_err().to_string();
    assert!(err.contains("step 2 value 2"), "{err}");
}

#[test]
fn keras_in_its_default_configuration_passes_as_a_binary32_learning_rate_in_binary64() {
    for name in ["keras-momentum", "keras-nesterov", "keras-weight-decay"] {
        let v = fixture::read_json(
            &root().join("replay").join(format!("{name}.json")),
            "fixture",
        )
        .unwrap();
        let f = read_replay(&v).unwrap();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
        let hyper = momentum_oracle::optim::kernel::Hyper {
            learning_rates: f.learning_rates.clone(),
            momentum: f.number("momentum"),
            dampening: 0.0,
            weight_decay: f.number("weight_decay"),
            nesterov: f.flag("nesterov"),
            maximize: false,
        };
        let mut keras = Model::new(Family::Keras, Kernel::Jit, Format::Binary64);
        keras.hyper = HyperPrecision::binary32_learning_rate();
        let g: Vec<Vec<u64>> = f.gradients.iter().map(|g| bits(g)).collect();
        let t = trace_of(&keras, &hyper, &bits(&f.initial_params), &g);
        let e = explain_binary64(&f, &t).unwrap().expect("explained");
        assert!(e.accepted, "{name}");
        assert_eq!(e.model, keras, "{name}");
        assert!(
            e.sentence().contains("learning rate rounded to binary32"),
            "{}",
            e.sentence()
        );
    }
}

#[test]
fn burns_f32_momentum_and_penalty_are_named_by_the_diagnosis() {
    // burn 0.2x on f64 tensors: momentum and penalty are f32, every op its own rounded tensor op
    // (crates/burn-optim momentum.rs, decay.rs): PyTorch's update without FMA.
    let v = fixture::read_json(
        &root().join("replay").join("pytorch-weight-decay.json"),
        "fixture",
    )
    .unwrap();
    let f = read_replay(&v).unwrap();
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
    let hyper = momentum_oracle::optim::kernel::Hyper {
        learning_rates: f.learning_rates.clone(),
        momentum: f.number("momentum"),
        dampening: f.number("dampening"),
        weight_decay: f.number("weight_decay"),
        nesterov: f.flag("nesterov"),
        maximize: f.flag("maximize"),
    };
    let mut burn = Model::new(Family::Pytorch, Kernel::NoFma, Format::Binary64);
    burn.hyper = HyperPrecision::burn();
    let g: Vec<Vec<u64>> = f.gradients.iter().map(|g| bits(g)).collect();
    let t = trace_of(&burn, &hyper, &bits(&f.initial_params), &g);
    let e = explain_binary64(&f, &t).unwrap().expect("explained");
    assert!(!e.accepted);
    assert_eq!(e.model, burn);
    assert!(
        e.sentence()
            .contains("its momentum and weight decay rounded to binary32"),
        "{}",
        e.sentence()
    );
}

#[test]
fn a_one_ulp_change_of_learning_rate_momentum_or_dampening_in_binary32_fails() {
    let fx = format_fixture(Format::Binary32, "pytorch-dampening-weight-decay");
    for which in [Nudge::LearningRate, Nudge::Momentum, Nudge::Dampening] {
        for ulps in [1, -1] {
            let mut m = Model::new(Family::Pytorch, Kernel::Single, Format::Binary32);
            m.nudge = Some((which, ulps));
            let t = trace_of(&m, &fx.hyper, &fx.initial, &fx.gradients);
            let r = check_format(&fx, &t).unwrap();
            assert!(!r.passed(), "{which:?} {ulps}: {}", r.render());
            assert!(matches!(r.verdict, FormatVerdict::Fails { .. }));
            let d = r.diagnosis.clone().unwrap();
            assert!(
                d.contains(&format!("moved by {ulps:+} ulp of binary32")),
                "{d}"
            );
            // Inside the envelope, the failure is placed where the trace first leaves the
            // fixture's first model.
            let first = fx.models[0]
                .1
                .iter()
                .zip(&t.steps)
                .enumerate()
                .find_map(|(k, (m, s))| {
                    (0..m.params.len())
                        .find(|&i| {
                            m.params[i]
                                != value_bits(Format::Binary32, s.params[i], k + 1, i).unwrap()
                        })
                        .map(|i| (k + 1, i))
                })
                .unwrap();
            match &r.verdict {
                FormatVerdict::Fails {
                    step, coordinate, ..
                } => assert_eq!((*step, *coordinate), first),
                other => panic!("{other:?}"),
            }
            let text = r.render();
            assert!(
                text.starts_with("pytorch-dampening-weight-decay (binary32): FAIL at step ")
                    && text.contains(&format!("\ndiagnosis: {d}")),
                "{text}"
            );
            // The envelope alone would have let it through: the change is far below its width.
            assert!(r.max_envelope_fraction <= 1.0, "{which:?}: {}", r.render());
        }
    }
}

/// Weight decay applied the other way (PyTorch's coupled `g += λθ` done as Keras's decoupled
/// `θ −= γλθ`, and the reverse) is a named failure on a fixture with λ ≠ 0.
#[test]
fn the_other_coupling_of_weight_decay_is_named() {
    for (family, kernel, name, words) in [
        (
            Family::Pytorch,
            Kernel::Single,
            "pytorch-dampening-weight-decay",
            "with decoupled weight decay",
        ),
        (
            Family::Keras,
            Kernel::Jit,
            "keras-momentum-weight-decay",
            "with coupled weight decay",
        ),
    ] {
        let fx = format_fixture(Format::Binary32, name);
        assert!(fx.hyper.weight_decay != 0.0);
        let mut m = Model::new(family, kernel, Format::Binary32);
        m.decay = match m.decay {
            Decay::Coupled => Decay::Decoupled,
            Decay::Decoupled => Decay::Coupled,
        };
        let r = check_format(&fx, &trace_of(&m, &fx.hyper, &fx.initial, &fx.gradients)).unwrap();
        assert!(!r.passed(), "{name}: {}", r.render());
        let d = r.diagnosis.unwrap();
        assert!(d.contains(words), "{name}: {d}");
    }
}

/// The diagnosis varies only what the fixture can observe: the first-step dampening quirk only
/// for PyTorch with τ ≠ 0, the other coupling of weight decay only with λ ≠ 0 and not for Optax
/// (whose decay is a transform the user places); every candidate appears once, the framework's
/// own models (accepted) first.
#[test]
fn the_candidates_vary_only_what_the_hyper_parameters_make_observable() {
    let fx = format_fixture(Format::Binary32, "pytorch-dampening-weight-decay");
    assert!(fx.hyper.dampening != 0.0 && fx.hyper.weight_decay != 0.0);
    let swapped = |m: &Model| m.decay != Model::new(m.family, m.kernel, m.storage).decay;
    let count = |family: Family, damp: f64, wd: f64| {
        let mut h = fx.hyper.clone();
        h.dampening = damp;
        h.weight_decay = wd;
        let c = candidates(family, Format::Binary32, &h);
        for (i, a) in c.iter().enumerate() {
            assert!(c[i + 1..].iter().all(|b| b.model != a.model), "{family:?}");
        }
        let accepted = c.iter().take_while(|e| e.accepted).count();
        assert!(accepted > 0 && c[accepted..].iter().all(|e| !e.accepted));
        (
            c.iter().filter(|e| e.model.dampen_first_step).count(),
            c.iter().filter(|e| swapped(&e.model)).count(),
        )
    };
    let (tau, wd) = (fx.hyper.dampening, fx.hyper.weight_decay);
    let (first, other) = count(Family::Pytorch, tau, wd);
    assert!(first > 0 && other > 0);
    assert_eq!(count(Family::Pytorch, 0.0, wd).0, 0);
    assert_eq!(count(Family::Pytorch, tau, 0.0).1, 0);
    assert_eq!(count(Family::Keras, 0.0, 0.0), (0, 0));
    assert!(count(Family::Keras, 0.0, wd).1 > 0);
    assert_eq!(count(Family::Optax, 0.0, wd), (0, 0));
}

#[test]
fn a_trace_of_a_stored_model_passes_bit_exact_under_its_names() {
    let fx = format_fixture(Format::Bfloat16, "pytorch-dampening-weight-decay");
    let m = Model::new(Family::Pytorch, Kernel::Foreach, Format::Bfloat16);
    let r = check_format(&fx, &trace_of(&m, &fx.hyper, &fx.initial, &fx.gradients)).unwrap();
    assert_eq!(
        r.verdict,
        FormatVerdict::BitExact(vec!["foreach".into()]),
        "{}",
        r.render()
    );
    assert_eq!(
        r.render(),
        format!(
            "pytorch-dampening-weight-decay (bfloat16): PASS bit-exact with model foreach ({} values)",
            r.values_compared
        )
    );
    assert!(r.values_compared > 0);
    let fx = format_fixture(Format::Binary32, "pytorch-dampening-weight-decay");
    let m = Model::new(Family::Pytorch, Kernel::Fused, Format::Binary32);
    let r = check_format(&fx, &trace_of(&m, &fx.hyper, &fx.initial, &fx.gradients)).unwrap();
    assert_eq!(
        r.verdict,
        FormatVerdict::BitExact(vec!["foreach".into(), "fused".into(), "single".into()])
    );
}

#[test]
fn ftz_and_the_first_step_dampening_quirk_are_named() {
    let fx = format_fixture(Format::Binary32, "keras-momentum-weight-decay");
    let mut m = Model::new(Family::Keras, Kernel::Jit, Format::Binary32);
    m.ftz = false;
    let r = check_format(&fx, &trace_of(&m, &fx.hyper, &fx.initial, &fx.gradients)).unwrap();
    assert!(r.diagnosis.unwrap().contains("without FTZ"));
    let fx = format_fixture(Format::Binary32, "pytorch-dampening-weight-decay");
    let mut m = Model::new(Family::Pytorch, Kernel::Single, Format::Binary32);
    m.dampen_first_step = true;
    let r = check_format(&fx, &trace_of(&m, &fx.hyper, &fx.initial, &fx.gradients)).unwrap();
    assert!(!r.passed());
    assert!(r.diagnosis.unwrap().contains("dampening applied at step 1"));
}

#[test]
fn optax_with_a_schedules_binary32_learning_rate_passes_on_bf16_and_f16_as_that_convention() {
    // Every Optax schedule hands `scale` a float32 array: on 16-bit parameters JAX promotes the
    // update (examples/python/optax_lowprec.py: 66 of 66 real runs are this model).
    for (format, name) in [
        (Format::Bfloat16, "optax-nesterov-cosine-schedule"),
        (Format::Bfloat16, "optax-trace"),
        (Format::Binary16, "optax-nesterov-cosine-schedule"),
    ] {
        let fx = format_fixture(format, name);
        for kernel in [Kernel::Eager, Kernel::JitUpdate, Kernel::Jit] {
            let mut m = Model::new(Family::Optax, kernel, format);
            m.hyper = HyperPrecision::binary32_learning_rate();
            let r =
                check_format(&fx, &trace_of(&m, &fx.hyper, &fx.initial, &fx.gradients)).unwrap();
            assert!(r.passed(), "{name} {kernel:?}: {}", r.render());
            match &r.verdict {
                // binary16 runs every kernel as eager but for jit's FMA, so the first accepted
                // name may be another kernel's; the sentence names the convention either way.
                FormatVerdict::Accepted(s) => {
                    assert!(
                        s.contains(&format!(
                            "in {format} with its learning rate a binary32 array"
                        )),
                        "{s}"
                    );
                    if format == Format::Bfloat16 {
                        assert!(s.starts_with(&format!("optax {}", kernel.name())), "{s}");
                    }
                    // An accepted convention reads as a pass, with no diagnosis line.
                    assert_eq!(
                        r.render(),
                        format!("{name} ({format}): PASS bit-exact: {s}")
                    );
                }
                other => panic!("{name} {kernel:?}: {other:?}"),
            }
        }
    }
}

#[test]
fn a_value_that_is_not_a_number_of_the_format_is_refused_with_its_place() {
    let fx = format_fixture(Format::Bfloat16, "optax-trace");
    let m = Model::new(Family::Optax, Kernel::Jit, Format::Bfloat16);
    let mut t = trace_of(&m, &fx.hyper, &fx.initial, &fx.gradients);
    t.steps[2].params[5] = 0.1;
    let err = check_format(&fx, &t).unwrap_err().to_string();
    assert!(
        err.contains("step 3 value 5") && err.contains("not a bfloat16 number"),
        "{err}"
    );
}

/// A trace value's bits in the format: signed infinities and zeros keep their sign, a NaN is the
/// format's quiet NaN, a number of the format is its own encoding (patterns by hand: binary32
/// ±∞ = `0x7F800000`/`0xFF800000`, −0 = `0x80000000`, NaN `0x7FC00000`, −1.5 = `0xBFC00000`;
/// bfloat16 −∞ = `0xFF80`).
#[test]
fn trace_values_are_read_as_the_formats_bits_with_their_signs() {
    let b = |f: Format, x: f64| value_bits(f, x, 1, 0).unwrap();
    assert_eq!(b(Format::Binary32, f64::INFINITY), 0x7F80_0000);
    assert_eq!(b(Format::Binary32, f64::NEG_INFINITY), 0xFF80_0000);
    assert_eq!(b(Format::Bfloat16, f64::NEG_INFINITY), 0xFF80);
    assert_eq!(b(Format::Binary32, -0.0), 0x8000_0000);
    assert_eq!(b(Format::Binary32, 0.0), 0);
    assert_eq!(b(Format::Binary32, f64::NAN), 0x7FC0_0000);
    assert_eq!(b(Format::Binary32, -1.5), 0xBFC0_0000);
    let err = value_bits(Format::Binary16, 0.1, 4, 2)
        .unwrap_err()
        .to_string();
    assert!(err.contains("step 4 value 2"), "{err}");
}

/// A NaN matches only a NaN: a stored model's trace with one value replaced by NaN fails.
/// A variant is named only if it reproduces every coordinate, not just the 16 the diagnosis tries
/// first: coordinates 0–15 from the learning rate moved by +1 ulp and the rest from −1 ulp
/// (the two differ beyond coordinate 15) are explained by neither, while each alone is named.
#[test]
fn a_variant_is_named_only_if_it_reproduces_every_value_and_a_nan_matches_only_a_nan() {
    let fx = format_fixture(Format::Binary32, "pytorch-dampening-weight-decay");
    assert!(fx.initial.len() > 16);
    let stored = Model::new(Family::Pytorch, Kernel::Single, Format::Binary32);
    let mut t = trace_of(&stored, &fx.hyper, &fx.initial, &fx.gradients);
    assert!(check_format(&fx, &t).unwrap().passed());
    let last = t.steps.len() - 1;
    t.steps[last].params[3] = f64::NAN;
    let r = check_format(&fx, &t).unwrap();
    assert!(!r.passed(), "{}", r.render());

    let nudged = |ulps: i32| {
        let mut m = stored;
        m.nudge = Some((Nudge::LearningRate, ulps));
        trace_of(&m, &fx.hyper, &fx.initial, &fx.gradients)
    };
    let (up, down) = (nudged(1), nudged(-1));
    let tail_differs = up
        .steps
        .iter()
        .zip(&down.steps)
        .any(|(a, b)| a.params[16..] != b.params[16..]);
    assert!(tail_differs);
    let mut mixed = up.clone();
    for (m, d) in mixed.steps.iter_mut().zip(&down.steps) {
        m.params[16..].copy_from_slice(&d.params[16..]);
    }
    // Both halves lie far inside the envelope, so with no variant explaining it the mixed trace
    // passes within it, undiagnosed (what the envelope alone cannot see, README).
    let r = check_format(&fx, &mixed).unwrap();
    assert_eq!(r.verdict, FormatVerdict::WithinEnvelope, "{}", r.render());
    assert_eq!(r.diagnosis, None, "{}", r.render());
    assert!(
        r.render()
            .starts_with("pytorch-dampening-weight-decay (binary32): PASS within the envelope, ")
            && !r.render().contains("diagnosis"),
        "{}",
        r.render()
    );
    // Each half alone is named.
    for (t, words) in [(up, "moved by +1 ulp"), (down, "moved by -1 ulp")] {
        let d = check_format(&fx, &t).unwrap().diagnosis.unwrap();
        assert!(d.contains(words), "{d}");
    }
}

/// Inside or outside the envelope is decided exactly: with the exact value and the bound of one
/// entry set by hand (bound `2⁻¹⁰`, exact value `2⁻¹⁰` below the trace's), the trace sits on the
/// envelope's edge, uses exactly all of it and passes; with the exact value `2⁻¹⁰(1 + 2⁻⁶⁰)`
/// below, it is outside by a margin that the f64 fraction rounds away (it reads 1.0), and fails
/// at that step and coordinate. A bound of 0 admits the exact value and nothing else.
#[test]
fn a_value_on_the_envelopes_edge_passes_and_one_beyond_it_fails_at_its_place() {
    let mut fx = format_fixture(Format::Binary32, "pytorch-dampening-weight-decay");
    let m = Model::new(Family::Pytorch, Kernel::Single, Format::Binary32);
    let mut t = trace_of(&m, &fx.hyper, &fx.initial, &fx.gradients);
    // Off every model (the next binary32 number up), so only the envelope decides.
    let x = &mut t.steps[2].params[5];
    *x = f64::from(f32::from_bits((*x as f32).to_bits() + 1));
    let moved = Rational::from_f64(*x).unwrap();
    let e = Rational::from(1) >> 10u32;
    fx.envelope[2].params[5] = 2f64.powi(-10);
    fx.exact[2].params[5] = Rational::from(&moved - &e);
    let r = check_format(&fx, &t).unwrap();
    assert_eq!(r.verdict, FormatVerdict::WithinEnvelope, "{}", r.render());
    assert_eq!(r.max_envelope_fraction, 1.0);
    fx.exact[2].params[5] = moved - e * (Rational::from(1) + (Rational::from(1) >> 60u32));
    let r = check_format(&fx, &t).unwrap();
    match &r.verdict {
        FormatVerdict::Fails {
            step, coordinate, ..
        } => assert_eq!((*step, *coordinate), (3, 5), "{}", r.render()),
        other => panic!("{other:?}: {}", r.render()),
    }
    assert_eq!(r.max_envelope_fraction, 1.0);
    // A zero bound admits the exact value only.
    fx.envelope[2].params[5] = 0.0;
    fx.exact[2].params[5] = Rational::from_f64(t.steps[2].params[5]).unwrap();
    let r = check_format(&fx, &t).unwrap();
    assert_eq!(r.verdict, FormatVerdict::WithinEnvelope, "{}", r.render());
    fx.exact[2].params[5] += Rational::from(1) >> 40u32;
    let r = check_format(&fx, &t).unwrap();
    assert!(
        matches!(
            r.verdict,
            FormatVerdict::Fails {
                step: 3,
                coordinate: 5,
                ..
            }
        ),
        "{}",
        r.render()
    );
    assert_eq!(r.max_envelope_fraction, f64::INFINITY);
}
