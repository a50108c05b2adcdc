//! The conformance kit in binary32, bfloat16 and binary16: adapters of element type `f32`,
//! `half::bf16`, `half::f16` run the same suites as f64 ones, judged by the format's kernel
//! models and envelope. The adapters here are written from PyTorch's CPU kernels
//! (pytorch/pytorch `torch/optim/sgd.py` `_single_tensor_sgd`; `aten/src/ATen/native/ufunc/add.h`
//! `vec::fmadd` for `add(…, alpha)`; `BinaryOpsKernel.cpp` `mul_kernel` for the buffer's `mul_`
//! by a Python scalar in opmath), not from the crate's model code.

use momentum_oracle::arith::format::Format;
use momentum_oracle::conformance::{
    Config, ConformanceFailure, Convention, Coverage, Element, Kit, Shortfall, UnderTest,
};
use momentum_oracle::fixture::lowprec;

/// A storage type with binary32 arithmetic inside ("opmath"): every elementwise op of PyTorch's
/// CPU kernels loads S into f32, computes one f32 operation and rounds to S when storing
/// (`Vectorized<BFloat16>` converts to float and back; `c10::BFloat16(float)` rounds to nearest
/// even, as `half`'s `from_f32` does).
trait Opmath: Element {
    fn to_f32(self) -> f32;
    fn from_f32(x: f32) -> Self;
}

impl Opmath for f32 {
    fn to_f32(self) -> f32 {
        self
    }
    fn from_f32(x: f32) -> Self {
        x
    }
}

impl Opmath for half::bf16 {
    fn to_f32(self) -> f32 {
        half::bf16::to_f32(self)
    }
    fn from_f32(x: f32) -> Self {
        half::bf16::from_f32(x)
    }
}

impl Opmath for half::f16 {
    fn to_f32(self) -> f32 {
        half::f16::to_f32(self)
    }
    fn from_f32(x: f32) -> Self {
        half::f16::from_f32(x)
    }
}

/// `torch.optim.SGD(foreach=False)` on a tensor of `S` on the CPU, with a planted bug.
struct TorchSingle<S> {
    config: Option<Config>,
    buffer: Option<Vec<S>>,
    /// Move `f32(lr)` one ulp up (the bug of "a one-ulp change of the learning rate").
    lr_one_ulp_up: bool,
    /// Decline every configuration.
    declines: bool,
}

fn torch<S>() -> TorchSingle<S> {
    TorchSingle {
        config: None,
        buffer: None,
        lr_one_ulp_up: false,
        declines: false,
    }
}

/// A Python double as the kernel's scalar of type S: `c10::Scalar::to<S>()`, which for bf16/f16
/// goes through float (`BFloat16(float)`), for f32 is `float(x)`.
fn scalar<S: Opmath>(x: f64) -> f32 {
    S::from_f32(x as f32).to_f32()
}

impl<S: Opmath> UnderTest<S> for TorchSingle<S> {
    fn convention(&self) -> Convention {
        Convention::Pytorch
    }
    fn start(&mut self, config: &Config, _params: &[S]) -> bool {
        self.config = Some(config.clone());
        self.buffer = None;
        !self.declines
    }
    fn step(&mut self, params: &mut [S], gradient: &[S], lr: f64) {
        let c = self.config.clone().unwrap();
        let st = |x: f32| S::from_f32(x).to_f32(); // store to S, load again
        // grad = grad if not maximize else -grad (a sign flip: exact)
        let mut g: Vec<f32> = gradient
            .iter()
            .map(|x| if c.maximize { -x.to_f32() } else { x.to_f32() })
            .collect();
        // grad = grad.add(param, alpha=weight_decay): fmadd(param, alpha, grad), alpha in S
        if c.weight_decay != 0.0 {
            let wd = scalar::<S>(c.weight_decay);
            for (gi, p) in g.iter_mut().zip(params.iter()) {
                *gi = st(p.to_f32().mul_add(wd, *gi));
            }
        }
        if c.momentum != 0.0 {
            let b: Vec<f32> = match self.buffer.take() {
                // buf = torch.clone(grad).detach(): dampening not applied at step 1
                None => g.clone(),
                // buf.mul_(momentum).add_(grad, alpha=1 - dampening): mul by an f32 opmath
                // scalar, then fmadd(grad, alpha in S, buf)
                Some(b) => {
                    let mu = c.momentum as f32;
                    let keep = scalar::<S>(1.0 - c.dampening);
                    b.iter()
                        .zip(&g)
                        .map(|(bi, gi)| st(gi.mul_add(keep, st(bi.to_f32() * mu))))
                        .collect()
                }
            };
            if c.nesterov {
                // grad = grad.add(buf, alpha=momentum)
                let mu = scalar::<S>(c.momentum);
                for (gi, bi) in g.iter_mut().zip(&b) {
                    *gi = st(bi.mul_add(mu, *gi));
                }
            } else {
                g = b.clone();
            }
            self.buffer = Some(b.iter().map(|x| S::from_f32(*x)).collect());
        }
        // param.add_(grad, alpha=-lr)
        let mut minus_lr = scalar::<S>(-lr);
        if self.lr_one_ulp_up {
            // one ulp up in magnitude of f32(lr) (the kernel's lr in binary32)
            minus_lr = -f32::from_bits((lr as f32).to_bits() + 1);
        }
        for (p, gi) in params.iter_mut().zip(&g) {
            *p = S::from_f32(gi.mul_add(minus_lr, p.to_f32()));
        }
    }
    fn state(&self, name: &str) -> Option<Vec<S>> {
        (name == "momentum_buffer")
            .then(|| self.buffer.clone())
            .flatten()
    }
}

/// Every verdict of a suite is bit-exact with a model list containing `model`.
fn all_bit_exact_with(c: &Coverage, model: &str) {
    assert!(c.total.run > 0, "{c}");
    assert_eq!(
        c.verdicts.iter().map(|(_, n)| n).sum::<usize>(),
        c.total.run,
        "{c}"
    );
    for (v, _) in &c.verdicts {
        assert!(
            v.starts_with("bit-exact with model") && v.split(", ").any(|m| m.ends_with(model)),
            "{v}\n{c}"
        );
    }
}

/// How many fixtures of `convention` the directory `fixtures/replay-<format>/` holds, read from
/// the files themselves (not from the generator that the kit replays), so that a case the kit
/// skipped or lost shows up as a count that differs.
fn fixtures_on_disk(format: Format, convention: &str) -> usize {
    let dir = format!(
        "{}/fixtures/replay-{}",
        env!("CARGO_MANIFEST_DIR"),
        format.name()
    );
    let needle = format!("\"convention\": \"{convention}\"");
    std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| {
            let text = std::fs::read_to_string(e.as_ref().unwrap().path()).unwrap();
            text.contains(&needle)
        })
        .count()
}

#[test]
fn an_f32_adapter_in_pytorchs_cpu_kernel_order_passes_bit_exact_under_the_single_model() {
    let report = Kit::new().cases(64).run(torch::<f32>).unwrap();
    let text = report.to_string();
    assert!(
        text.contains("replay fixtures (pytorch, binary32)"),
        "{text}"
    );
    // The two binary32 PyTorch fixtures, every value bit-exact: at S = binary32 single, foreach
    // and fused are one model (frameworks.md §1).
    let fixtures = &report.suites[0];
    assert_eq!(fixtures.format, Format::Binary32);
    assert_eq!(
        fixtures.total.run,
        fixtures_on_disk(Format::Binary32, "pytorch"),
        "{fixtures}"
    );
    all_bit_exact_with(fixtures, "single");
    all_bit_exact_with(&report.suites[1], "single");
    assert_eq!(report.suites[2].format, Format::Binary32);
}

#[test]
fn a_bf16_adapter_with_f32_opmath_passes_under_pytorchs_single_tensor_model() {
    let report = Kit::new().cases(64).run(torch::<half::bf16>).unwrap();
    let fixtures = &report.suites[0];
    assert_eq!(fixtures.format, Format::Bfloat16);
    assert_eq!(
        fixtures.total.run,
        fixtures_on_disk(Format::Bfloat16, "pytorch"),
        "{fixtures}"
    );
    all_bit_exact_with(fixtures, "single");
    all_bit_exact_with(&report.suites[1], "single");
}

#[test]
fn an_f16_adapter_with_f32_opmath_passes_under_pytorchs_single_tensor_model() {
    let report = Kit::new().cases(32).run(torch::<half::f16>).unwrap();
    assert_eq!(report.suites[0].format, Format::Binary16);
    all_bit_exact_with(&report.suites[0], "single");
    all_bit_exact_with(&report.suites[1], "single");
}

#[test]
fn generated_inputs_are_numbers_of_the_format_with_every_class() {
    use proptest::strategy::{Strategy, ValueTree};
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for format in [Format::Binary32, Format::Bfloat16, Format::Binary16] {
        let strategy = momentum_oracle::conformance::generated_case_in(Convention::Pytorch, format);
        let (mut subnormal, mut huge, mut zero, mut flips) = (false, false, false, false);
        let smallest_normal = format.smallest_normal().to_f64();
        let largest = format.largest_finite().to_f64();
        for _ in 0..200 {
            let c = strategy.new_tree(&mut runner).unwrap().current();
            let data = c.x0.iter().chain(c.gradients.iter().flatten());
            for x in data {
                let representable = match format {
                    Format::Binary32 => f64::from(*x as f32) == *x,
                    Format::Bfloat16 => half::bf16::from_f64(*x).to_f64() == *x,
                    _ => half::f16::from_f64(*x).to_f64() == *x,
                };
                assert!(representable, "{x:e} in {format}");
                let a = x.abs();
                zero |= a == 0.0;
                subnormal |= a > 0.0 && a < smallest_normal;
                huge |= a >= largest / 512.0;
                assert!(a < largest / 64.0, "{x:e} in {format}");
            }
            for i in 0..c.x0.len() {
                let g: Vec<f64> = c.gradients.iter().map(|g| g[i]).collect();
                flips |= g.len() > 2 && g[0] != 0.0 && g.windows(2).all(|w| w[1] == -w[0]);
            }
        }
        assert!(subnormal && huge && zero && flips, "{format}");
    }
}

#[test]
fn a_one_ulp_change_of_the_learning_rate_of_an_f32_adapter_fails_naming_format_and_case() {
    // Derived, not assumed: on the first binary32 PyTorch fixture the planted adapter's trace
    // differs from the correct adapter's, which is the `single` model bit for bit (the test
    // above), so the planted trace is not `single`; it is inside the envelope (one ulp of f32(γ)
    // moves θ by about 2⁻²⁴·γ·|g| per step, far below u·|θ|), so the envelope alone would pass
    // it; what fails it is the diagnosis, which reproduces it exactly as the single kernel with
    // its learning rate one ulp up.
    let case = lowprec::cases()
        .into_iter()
        .find(|(f, c)| *f == Format::Binary32 && c.convention == Convention::Pytorch)
        .unwrap()
        .1;
    let fx = lowprec::build(Format::Binary32, &case).unwrap();
    let run = |planted: bool| -> Vec<Vec<u32>> {
        let mut imp = torch::<f32>();
        imp.lr_one_ulp_up = planted;
        let config = Config {
            convention: Convention::Pytorch,
            momentum: fx.hyper.momentum,
            dampening: fx.hyper.dampening,
            weight_decay: fx.hyper.weight_decay,
            nesterov: fx.hyper.nesterov,
            maximize: fx.hyper.maximize,
        };
        let mut x: Vec<f32> = fx
            .initial
            .iter()
            .map(|b| f32::from_bits(*b as u32))
            .collect();
        assert!(imp.start(&config, &x));
        let mut out = Vec::new();
        for (g, lr) in fx.gradients.iter().zip(&fx.hyper.learning_rates) {
            let g: Vec<f32> = g.iter().map(|b| f32::from_bits(*b as u32)).collect();
            imp.step(&mut x, &g, *lr);
            out.push(x.iter().map(|v| v.to_bits()).collect());
        }
        out
    };
    assert_ne!(run(false), run(true), "the plant changes the trace");
    let mut planted = torch::<f32>();
    planted.lr_one_ulp_up = true;
    let failure = Kit::new()
        .replay_fixtures(&mut planted)
        .expect_err("caught");
    let ConformanceFailure::Replay(f) = &failure else {
        panic!("{failure}")
    };
    assert_eq!(f.format, Format::Binary32);
    assert_eq!(f.case, case.name);
    assert!(f.error <= f.bound, "inside the envelope: {failure}");
    let message = failure.to_string();
    println!("{message}");
    for wanted in [
        "binary32",
        case.name,
        "learning rate moved by +1 ulp of binary32",
        "format: binary32 (f32)",
        "inside the error envelope",
    ] {
        assert!(
            message.contains(wanted),
            "missing {wanted:?} in:\n{message}"
        );
    }
    // The received value is printed as binary32 bits (8 hex digits).
    let bits = format!("[0x{:08x}]", (f.received as f32).to_bits());
    assert!(message.contains(&bits), "missing {bits} in:\n{message}");

    // The property suite finds it too, on a generated case.
    let failure = Kit::new()
        .cases(64)
        .replay_properties(|| {
            let mut imp = torch::<f32>();
            imp.lr_one_ulp_up = true;
            imp
        })
        .expect_err("caught");
    let message = failure.to_string();
    assert!(
        message.contains("FAIL replay properties generated (binary32)"),
        "{message}"
    );
    assert!(
        message.contains("learning rate moved by +1 ulp"),
        "{message}"
    );
}

#[test]
fn an_f32_adapter_that_declines_everything_fails_the_coverage_rule() {
    let kit = Kit::new().cases(16);
    let make = || {
        let mut imp = torch::<f32>();
        imp.declines = true;
        imp
    };
    let failures = [
        kit.replay_fixtures(&mut make()).expect_err("fixtures"),
        kit.replay_properties(make).expect_err("properties"),
        kit.stability_properties(make).expect_err("stability"),
    ];
    for failure in failures {
        let ConformanceFailure::Coverage(coverage) = &failure else {
            panic!("not a coverage failure: {failure}")
        };
        assert_eq!(coverage.format, Format::Binary32);
        assert!(matches!(
            coverage.shortfall(),
            Some(Shortfall::DeclinedEverything { declined }) if declined > 0
        ));
        let message = failure.to_string();
        assert!(message.contains("declined every case"), "{message}");
        assert!(message.contains("binary32"), "{message}");
        assert!(!message.contains("PASS"), "{message}");
    }
}

/// The macro with an element type: one module per format, three tests in each.
mod macro_per_format {
    use super::torch;
    momentum_oracle::conformance_tests!(torch_f32: f32, torch::<f32>());
    momentum_oracle::conformance_tests!(torch_bf16: half::bf16, torch::<half::bf16>());
}

#[test]
fn every_element_type_maps_to_its_format_and_back() {
    use momentum_oracle::conformance::element_type_name;
    assert_eq!(<f64 as Element>::FORMAT, Format::Binary64);
    assert_eq!(<f32 as Element>::FORMAT, Format::Binary32);
    assert_eq!(<half::bf16 as Element>::FORMAT, Format::Bfloat16);
    assert_eq!(<half::f16 as Element>::FORMAT, Format::Binary16);
    for (format, name) in [
        (Format::Binary64, "f64"),
        (Format::Binary32, "f32"),
        (Format::Bfloat16, "half::bf16"),
        (Format::Binary16, "half::f16"),
    ] {
        assert_eq!(element_type_name(format), name);
    }
    // Exact conversions only: 0.1 is no binary32 number, its f32 is; −0 keeps its sign.
    assert_eq!(<f32 as Element>::exactly(0.1), None);
    assert_eq!(<f32 as Element>::exactly(f64::from(0.1f32)), Some(0.1f32));
    assert!(
        <half::bf16 as Element>::exactly(-0.0)
            .unwrap()
            .is_sign_negative()
    );
    // The smallest bfloat16 subnormal, 2⁻¹³³, round-trips through its bits.
    let tiny = <half::bf16 as Element>::exactly(2f64.powi(-133)).unwrap();
    assert_eq!(Element::to_bits(tiny), 1);
    assert_eq!(tiny.to_f64(), 2f64.powi(-133));
    assert_eq!(<half::f16 as Element>::exactly(65520.0), None); // beyond binary16's 65504
}

#[test]
fn the_macro_with_an_element_type_writes_three_tests_per_format() {
    let generated: [fn(); 6] = [
        macro_per_format::torch_f32::momentum_oracle_replay_fixtures,
        macro_per_format::torch_f32::momentum_oracle_replay_properties,
        macro_per_format::torch_f32::momentum_oracle_stability_properties,
        macro_per_format::torch_bf16::momentum_oracle_replay_fixtures,
        macro_per_format::torch_bf16::momentum_oracle_replay_properties,
        macro_per_format::torch_bf16::momentum_oracle_stability_properties,
    ];
    assert_eq!(generated.len(), 6);
}

/// Keras 3's SGD (`keras/src/optimizers/sgd.py` `update_step`, `base_optimizer.py`
/// `_apply_weight_decay`) in f32 on IEEE hardware: every operation rounded, constants `f32(x)`,
/// gradual underflow — where XLA on CPU flushes subnormals.
#[derive(Default)]
struct KerasF32 {
    config: Option<Config>,
    velocity: Option<Vec<f32>>,
}

impl UnderTest<f32> for KerasF32 {
    fn convention(&self) -> Convention {
        Convention::Keras
    }
    fn start(&mut self, config: &Config, params: &[f32]) -> bool {
        self.config = Some(config.clone());
        self.velocity = Some(vec![0.0; params.len()]);
        true
    }
    fn step(&mut self, params: &mut [f32], gradient: &[f32], lr: f64) {
        let c = self.config.clone().unwrap();
        let (lr, mu, wd) = (lr as f32, c.momentum as f32, c.weight_decay as f32);
        if c.weight_decay != 0.0 {
            for p in params.iter_mut() {
                *p -= (*p * wd) * lr;
            }
        }
        if c.momentum == 0.0 {
            for (p, g) in params.iter_mut().zip(gradient) {
                *p -= g * lr;
            }
            return;
        }
        let v = self.velocity.as_mut().unwrap();
        for (vi, g) in v.iter_mut().zip(gradient) {
            *vi = *vi * mu - g * lr;
        }
        for ((p, vi), g) in params.iter_mut().zip(v.iter()).zip(gradient) {
            *p += if c.nesterov { vi * mu - g * lr } else { *vi };
        }
    }
    fn state(&self, name: &str) -> Option<Vec<f32>> {
        (name == "velocity")
            .then(|| self.velocity.clone())
            .flatten()
    }
}

#[test]
fn a_keras_f32_adapter_with_gradual_underflow_passes_as_keras_eager_without_ftz() {
    // The binary32 Keras fixtures hold subnormal inputs (class 8), which XLA flushes and IEEE
    // arithmetic keeps: the fixtures' stored models (FTZ) cannot match, the same kernel with
    // gradual underflow does, and flushing is the platform's choice, not the update's.
    let report = Kit::new().cases(32).run(KerasF32::default).unwrap();
    let fixtures = &report.suites[0];
    assert_eq!(
        fixtures.total.run,
        fixtures_on_disk(Format::Binary32, "keras"),
        "{fixtures}"
    );
    let gradual = "bit-exact with keras eager in binary32 without FTZ (gradual underflow)";
    let named_gradual: usize = fixtures
        .verdicts
        .iter()
        .filter(|(v, _)| v == gradual)
        .map(|(_, n)| n)
        .sum();
    // The two template fixtures hold subnormal inputs (class 8 of lowprec's inputs); only the
    // gradual-underflow name can explain them. Fixtures without subnormals match the stored
    // (FTZ) models as they are, so their verdict names the eager model directly.
    assert!(named_gradual >= 2, "{fixtures}");
    for (v, _) in &fixtures.verdicts {
        assert!(
            v == gradual || (v.starts_with("bit-exact with model") && v.contains("eager")),
            "{v}\n{fixtures}"
        );
    }
    for (v, _) in &report.suites[1].verdicts {
        assert!(v.starts_with("bit-exact with"), "{}", report.suites[1]);
        assert!(v.contains("eager"), "{}", report.suites[1]);
    }
}

/// `optax.sgd` (`optax/_src/alias.py`: `trace` then `scale_by_learning_rate`;
/// `optax/transforms/_accumulation.py` `trace`: `t = g + μ·t`, `t₀ = 0`; `apply_updates`:
/// `θ + u`) in f32, every operation rounded, IEEE gradual underflow.
#[derive(Default)]
struct OptaxF32 {
    config: Option<Config>,
    trace: Option<Vec<f32>>,
}

impl UnderTest<f32> for OptaxF32 {
    fn convention(&self) -> Convention {
        Convention::Optax
    }
    fn start(&mut self, config: &Config, params: &[f32]) -> bool {
        self.config = Some(config.clone());
        self.trace = Some(vec![0.0; params.len()]);
        true
    }
    fn step(&mut self, params: &mut [f32], gradient: &[f32], lr: f64) {
        let c = self.config.clone().unwrap();
        let (minus_lr, mu) = (-lr as f32, c.momentum as f32);
        let t = self.trace.as_mut().unwrap();
        for (ti, g) in t.iter_mut().zip(gradient) {
            *ti = g + mu * *ti;
        }
        for ((p, ti), g) in params.iter_mut().zip(t.iter()).zip(gradient) {
            let u = if c.nesterov { g + mu * ti } else { *ti };
            *p += minus_lr * u;
        }
    }
    fn state(&self, name: &str) -> Option<Vec<f32>> {
        (name == "trace").then(|| self.trace.clone()).flatten()
    }
}

#[test]
fn an_optax_f32_adapter_passes_bit_exact_under_optax_eager() {
    let report = Kit::new().cases(32).run(OptaxF32::default).unwrap();
    assert_eq!(
        report.suites[0].total.run,
        fixtures_on_disk(Format::Binary32, "optax"),
        "{}",
        report.suites[0]
    );
    for suite in &report.suites[..2] {
        assert!(!suite.verdicts.is_empty(), "{suite}");
        for (v, _) in &suite.verdicts {
            assert!(
                v.starts_with("bit-exact with") && v.contains("eager"),
                "{v}\n{suite}"
            );
        }
    }
}
