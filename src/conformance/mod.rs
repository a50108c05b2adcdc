//! The conformance kit: run the oracle against *your* optimizer in your own `cargo test`.
//!
//! Implement [`UnderTest`] for your optimizer (f64 here; f32, bf16 and f16 below: it is told the convention's hyper-parameters,
//! starts from given parameters, and steps with a given gradient and learning rate), then either
//! call the functions below or let the macro write the tests:
//!
//! ```
//! use momentum_oracle::conformance::{Config, Convention, UnderTest};
//!
//! /// A minimal `torch.optim.SGD` in PyTorch's CPU operation order.
//! #[derive(Default)]
//! struct MySgd { config: Option<Config>, buffer: Option<Vec<f64>> }
//!
//! impl UnderTest for MySgd {
//!     fn convention(&self) -> Convention { Convention::Pytorch }
//!     fn start(&mut self, config: &Config, _params: &[f64]) -> bool {
//!         self.config = Some(config.clone());
//!         self.buffer = None;
//!         true
//!     }
//!     fn step(&mut self, params: &mut [f64], gradient: &[f64], lr: f64) {
//!         let c = self.config.as_ref().unwrap();
//!         let mut g: Vec<f64> = gradient.iter().map(|x| if c.maximize { -x } else { *x }).collect();
//!         for (gi, p) in g.iter_mut().zip(params.iter()) { *gi = p.mul_add(c.weight_decay, *gi); }
//!         if c.momentum != 0.0 {
//!             let b = match self.buffer.take() {
//!                 None => g.clone(),
//!                 Some(mut b) => {
//!                     for (bi, gi) in b.iter_mut().zip(&g) { *bi = gi.mul_add(1.0 - c.dampening, *bi * c.momentum); }
//!                     b
//!                 }
//!             };
//!             if c.nesterov {
//!                 for (gi, bi) in g.iter_mut().zip(&b) { *gi = bi.mul_add(c.momentum, *gi); }
//!             } else {
//!                 g = b.clone();
//!             }
//!             self.buffer = Some(b);
//!         }
//!         for (p, gi) in params.iter_mut().zip(&g) { *p = gi.mul_add(-lr, *p); }
//!     }
//! }
//!
//! // In a downstream crate: `momentum_oracle::conformance_tests!(MySgd::default());`
//! // writes three #[test] functions. Here, called directly:
//! let reports = momentum_oracle::conformance::replay_fixtures(&mut MySgd::default()).unwrap();
//! assert!(reports.iter().all(|r| r.report.as_ref().is_none_or(|r| r.passed())));
//! momentum_oracle::conformance::replay_properties(MySgd::default, 8).unwrap();
//! momentum_oracle::conformance::stability_properties(MySgd::default, 8).unwrap();
//! ```
//!
//! # In binary32, bfloat16 and binary16
//!
//! [`UnderTest`] takes the element type as a parameter, `f64` by default: an optimizer storing
//! `f32` (candle, burn, dfdx tensors in float32) implements `UnderTest<f32>`, a bfloat16 or float16
//! one `UnderTest<half::bf16>` or `UnderTest<half::f16>` ([`Element`]; `half` is the crate those
//! frameworks store 16-bit tensors in). Parameters, gradients and state are of that type; the
//! hyper-parameters and the learning rate stay `f64`, as a user passes them, so that converting
//! them is part of what is judged. The same three suites then run in that format:
//!
//! * the replay fixtures are the format's (`fixtures/replay-<format>/`, gradient classes scaled to
//!   it: ordinary, sign changes, zeros, its subnormals, near its overflow), and the generated
//!   cases draw the same classes as numbers of the format;
//! * a trace passes **bit-exact with a named kernel model** of [`crate::optim::kernel`] (PyTorch
//!   `single`, `foreach`, `fused`, `no-fma`, `mixed`; Keras and Optax `eager`, `jit`, …) when one
//!   reproduces it, otherwise **within the envelope** derived from the format's unit roundoff, and
//!   the coverage table says which verdict each case got and the largest fraction of the envelope
//!   used;
//! * it fails with [`ConformanceFailure::Replay`] naming the format, the case and the received
//!   value's bits in the format, when a value leaves the envelope — or when the diagnosis
//!   ([`crate::fixture::diagnose`]) proves the trace to be another update, such as the right
//!   kernel with its learning rate one ulp off, which the envelope alone cannot see.
//!
//! An f32 `torch.optim.SGD` in PyTorch's CPU order (constants `f32(x)`, every `add` with alpha a
//! fused multiply-add), run through all three suites:
//!
//! ```
//! use momentum_oracle::conformance::{Config, Convention, Kit, UnderTest};
//!
//! #[derive(Default)]
//! struct MySgd32 { config: Option<Config>, buffer: Option<Vec<f32>> }
//!
//! impl UnderTest<f32> for MySgd32 {
//!     fn convention(&self) -> Convention { Convention::Pytorch }
//!     fn start(&mut self, config: &Config, _params: &[f32]) -> bool {
//!         self.config = Some(config.clone());
//!         self.buffer = None;
//!         true
//!     }
//!     fn step(&mut self, params: &mut [f32], gradient: &[f32], lr: f64) {
//!         let c = self.config.as_ref().unwrap();
//!         let (mu, wd) = (c.momentum as f32, c.weight_decay as f32);
//!         let keep = (1.0 - c.dampening) as f32; // 1 − τ in Python doubles, then f32
//!         let mut g: Vec<f32> = gradient.iter().map(|x| if c.maximize { -x } else { *x }).collect();
//!         if c.weight_decay != 0.0 {
//!             for (gi, p) in g.iter_mut().zip(params.iter()) { *gi = p.mul_add(wd, *gi); }
//!         }
//!         if c.momentum != 0.0 {
//!             let b = match self.buffer.take() {
//!                 None => g.clone(), // PyTorch's first buffer is a copy of g
//!                 Some(b) => b.iter().zip(&g).map(|(b, g)| g.mul_add(keep, b * mu)).collect(),
//!             };
//!             if c.nesterov {
//!                 for (gi, bi) in g.iter_mut().zip(&b) { *gi = bi.mul_add(mu, *gi); }
//!             } else {
//!                 g = b.clone();
//!             }
//!             self.buffer = Some(b);
//!         }
//!         let minus_lr = -lr as f32;
//!         for (p, gi) in params.iter_mut().zip(&g) { *p = gi.mul_add(minus_lr, *p); }
//!     }
//!     fn state(&self, name: &str) -> Option<Vec<f32>> {
//!         (name == "momentum_buffer").then(|| self.buffer.clone()).flatten()
//!     }
//! }
//!
//! let report = Kit::new().cases(16).run(MySgd32::default).unwrap();
//! let text = report.to_string();
//! assert!(text.contains("replay fixtures (pytorch, binary32)"));
//! // Every case bit-exact with PyTorch's single-tensor kernel (in binary32 it equals foreach and
//! // fused), none merely inside the envelope.
//! assert!(report.suites[..2].iter().all(|s| s.verdicts.iter().all(|(v, _)| v.contains("single"))));
//! // In a downstream crate: `momentum_oracle::conformance_tests!(my_sgd_f32: f32, MySgd32::default());`
//! ```
//!
//! What each suite checks:
//! * [`replay_fixtures`] — the replay catalogue of your convention (generated in memory, the same
//!   data as `fixtures/replay/`, or `fixtures/replay-<format>/` for the narrow formats):
//!   bit-exact, or inside the order-independent error envelope of the exact trace at every step
//!   ([`crate::fixture::check`], [`crate::fixture::diagnose::check_format`]).
//! * [`replay_properties`] — the same check on generated configurations, schedules and gradient
//!   sequences (proptest, shrinking to a minimal failing case): the conventions' first-step
//!   quirks, nesterov forms, weight decay and maximize, under any learning-rate sequence.
//! * [`stability_properties`] — the theory: on `λx²/2`, your iteration must contract where the
//!   exact Jury criterion says the convention is stable (spectral radius ≤ 9/10) and grow where
//!   it is unstable (≥ 11/10); margins make the verdicts immune to rounding. `γλ = n/16` and
//!   `μ = m/16` are numbers of every format, so a narrow kernel runs the very iteration whose
//!   radius is used; binary16 must contract below its smallest normal 2⁻¹⁴ instead of 10⁻¹⁰
//!   (a correct binary16 iteration can settle a few subnormal ulps from zero: PyTorch's kernel
//!   ends at most 10·2⁻²⁴ there, over the whole grid of cases).
//!
//! # What a run reports, and when it fails
//!
//! [`Kit`] runs the suites (`Kit::new().cases(n)`; without `cases`, `PROPTEST_CASES` or
//! [`DEFAULT_CASES`]) and returns a [`Coverage`] per suite: cases run, declined, unsupported and
//! skipped per configuration family (plain, momentum, dampening, nesterov, weight decay, maximize,
//! schedule). A suite fails with [`ConformanceFailure::Coverage`] when the adapter declined every
//! case it was offered, or more than half, or when nothing ran; features the adapter declares in
//! [`UnderTest::unsupported`] are not offered and are listed as unsupported, never as passed. A
//! wrong value fails with [`ConformanceFailure::Replay`], shrunk to a minimal case, whose message
//! names the convention, the format, the hyper-parameters and every learning rate (decimal, exact
//! `p/q` and IEEE bits), the initial parameters and gradients, the step, quantity and coordinate,
//! the whole exact rational expected, the bits received and the envelope: enough to replay the case
//! by hand (`fixture::replay::expectation`, or `momentum-oracle trace`).
//!
//! # An optimizer behind automatic differentiation
//!
//! The kit hands your adapter a gradient `g`; an optimizer that only reads gradients from a
//! backward pass (candle, burn, dfdx, tch) gets it through the loss `L(θ) = Σᵢ θᵢ·gᵢ` with `g` a
//! constant (detached) tensor: reverse mode computes `∂L/∂θᵢ = 1 · gᵢ`, which is `gᵢ` exactly
//! (multiplying by one is exact). Use the sum, not the mean (which scales by `1/n`, rounded unless
//! `n` is a power of two); keep the parameters in f64; clear the accumulated gradients before each
//! backward pass (frameworks add into `.grad`); keep the parameter tensor alive between steps and
//! copy it out after each. Below, a minimal reverse mode stands in for the framework:
//!
//! ```
//! use momentum_oracle::conformance::{Config, Convention, Feature, Kit, UnderTest};
//!
//! /// The framework's parameter: a value and the gradient a backward pass accumulates into it.
//! struct Param { value: Vec<f64>, grad: Vec<f64> }
//!
//! /// The framework's `(θ * c).sum()` with a constant `c`, and its `backward()`: the seed 1 of
//! /// the sum times the constant factor of the product, added into `θ.grad`.
//! fn dot_loss_backward(theta: &mut Param, c: &[f64]) {
//!     for (grad, ci) in theta.grad.iter_mut().zip(c) { *grad += 1.0 * ci; }
//! }
//!
//! /// The framework's optimizer (PyTorch's SGD with momentum): it reads only `param.grad`.
//! struct FrameworkSgd { lr: f64, momentum: f64, buffer: Option<Vec<f64>> }
//! impl FrameworkSgd {
//!     fn step(&mut self, p: &mut Param) {
//!         let mut d = p.grad.clone();
//!         if self.momentum != 0.0 {
//!             let b = match self.buffer.take() {
//!                 None => d.clone(), // PyTorch: b₁ = g₁
//!                 Some(b) => b.iter().zip(&d).map(|(b, g)| self.momentum * b + g).collect(),
//!             };
//!             d = b.clone();
//!             self.buffer = Some(b);
//!         }
//!         for (x, di) in p.value.iter_mut().zip(&d) { *x -= self.lr * di; }
//!     }
//! }
//!
//! /// The adapter: the kit's gradient enters through the loss Σ θᵢ·gᵢ.
//! #[derive(Default)]
//! struct Adapter { theta: Option<Param>, sgd: Option<FrameworkSgd> }
//!
//! impl UnderTest for Adapter {
//!     fn convention(&self) -> Convention { Convention::Pytorch }
//!     // What this optimizer does not implement: listed as unsupported in the report, not offered.
//!     fn unsupported(&self) -> &[Feature] {
//!         &[Feature::Dampening, Feature::Nesterov, Feature::WeightDecay, Feature::Maximize]
//!     }
//!     fn start(&mut self, config: &Config, params: &[f64]) -> bool {
//!         self.theta = Some(Param { value: params.to_vec(), grad: vec![0.0; params.len()] });
//!         self.sgd = Some(FrameworkSgd { lr: 0.0, momentum: config.momentum, buffer: None });
//!         true
//!     }
//!     fn step(&mut self, params: &mut [f64], gradient: &[f64], learning_rate: f64) {
//!         let (theta, sgd) = (self.theta.as_mut().unwrap(), self.sgd.as_mut().unwrap());
//!         theta.grad.iter_mut().for_each(|x| *x = 0.0); // zero_grad
//!         dot_loss_backward(theta, gradient);           // (θ * g.detach()).sum().backward()
//!         sgd.lr = learning_rate;                       // the schedule's rate of this step
//!         sgd.step(theta);
//!         params.copy_from_slice(&theta.value);
//!     }
//!     fn state(&self, name: &str) -> Option<Vec<f64>> {
//!         (name == "momentum_buffer").then(|| self.sgd.as_ref()?.buffer.clone()).flatten()
//!     }
//! }
//!
//! // A case reaches this adapter only when none of its four declared features is drawn (each is
//! // on in half of the cases): p ≥ 1/16 per case, so 256 cases leave it with nothing to run
//! // with probability ≤ (15/16)^256 < 10⁻⁷ — a suite where nothing ran fails, as it should.
//! let report = Kit::new().cases(256).run(Adapter::default).unwrap();
//! let text = report.to_string();
//! assert!(text.contains("unsupported (declared): dampening, nesterov, weight_decay, maximize"));
//! ```

use rug::Rational;

mod coverage;
mod element;
mod failure;
mod judge;
mod kit;
mod shrink;

pub use coverage::{CaseOutcome, Counts, Coverage, Family, Feature, Shortfall};
pub use element::{Element, element_type_name};
pub use failure::{ConformanceFailure, ReplayFailure, StabilityFailure};
pub use kit::{DEFAULT_CASES, Kit, KitReport};

use crate::arith::format::Format;
use crate::error::{Error, Result};
use crate::fixture::check::{CheckReport, ReplayFixture, check};
pub use crate::fixture::replay::Convention;
use crate::fixture::replay::{self, REPLAY_CASES};
use crate::optim::OptimizerConfig;
use crate::theory::stability::CharPoly;

/// The hyper-parameters of a run, as your optimizer receives them (f64, as a user passes them).
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The convention of the replay.
    pub convention: Convention,
    /// μ.
    pub momentum: f64,
    /// τ (PyTorch only).
    pub dampening: f64,
    /// λ (coupled for PyTorch, decoupled for Keras).
    pub weight_decay: f64,
    /// Nesterov's form.
    pub nesterov: bool,
    /// Ascend instead of descend (PyTorch only).
    pub maximize: bool,
}

/// A downstream optimizer under test, storing its parameters, gradients and state as `E`
/// (`f64` unless said otherwise: `impl UnderTest for MySgd` is an f64 optimizer; an f32 one is
/// `impl UnderTest<f32> for MySgd32`, a bfloat16 one `impl UnderTest<half::bf16> for ...`).
///
/// The hyper-parameters ([`Config`]) and the learning rate stay `f64` in every format: they are
/// the doubles a user passes (`torch.optim.SGD(lr=0.1)`, candle's `ParamsSGD { lr: f64 }`), and
/// converting them is part of the kernel being judged (PyTorch's `f32(lr)` in an f32 kernel, its
/// `bf16(f32(lr))` in a bf16 one, [`crate::optim::kernel`]).
pub trait UnderTest<E: Element = f64> {
    /// The convention it implements; only that convention's cases are run.
    fn convention(&self) -> Convention;

    /// Starts a fresh run with `config` from `params`; return `false` for a configuration it does
    /// not support. A decline is counted: a suite fails when everything, or more than half, of
    /// what it was offered is declined; features declared in [`UnderTest::unsupported`] are not
    /// offered at all.
    fn start(&mut self, config: &Config, params: &[E]) -> bool;

    /// One step: update `params` in place with `gradient` at learning rate `learning_rate`.
    fn step(&mut self, params: &mut [E], gradient: &[E], learning_rate: f64);

    /// The state vector the oracle calls `name` (`momentum_buffer` for PyTorch, `velocity` for
    /// Keras, `trace` for Optax), if exposed; compared too when given.
    fn state(&self, _name: &str) -> Option<Vec<E>> {
        None
    }

    /// The features it does not implement. Cases using one are not offered to it and are
    /// reported as unsupported, not as passed; any other decline counts against it (a suite
    /// fails when everything, or more than half, of what it was offered was declined).
    fn unsupported(&self) -> &[Feature] {
        &[]
    }
}

/// The outcome of one case.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The case's name.
    pub case: String,
    /// The check, or `None` when the implementation declined the configuration.
    pub report: Option<CheckReport>,
}

/// The optimizer config of the oracle for `config`, with hyper-parameters as exact dyadic values.
fn oracle_config(config: &Config) -> Result<OptimizerConfig> {
    let q = |x: f64| -> Result<String> {
        Rational::from_f64(x)
            .map(|r| crate::arith::text::format(&r))
            .ok_or_else(|| Error::NonFinite {
                context: "conformance config".into(),
                value: crate::arith::text::format_f64(x),
            })
    };
    let spec = match config.convention {
        Convention::Pytorch => format!(
            "pytorch:momentum={},dampening={},nesterov={},weight_decay={},maximize={}",
            q(config.momentum)?,
            q(config.dampening)?,
            config.nesterov,
            q(config.weight_decay)?,
            config.maximize
        ),
        Convention::Keras => format!(
            "keras:momentum={},nesterov={},weight_decay={}",
            q(config.momentum)?,
            config.nesterov,
            q(config.weight_decay)?
        ),
        Convention::Optax => format!(
            "optax:momentum={},nesterov={}",
            q(config.momentum)?,
            config.nesterov
        ),
    };
    OptimizerConfig::from_spec(&spec)
}

/// The state vector name of each convention.
fn state_name(c: Convention) -> &'static str {
    match c {
        Convention::Pytorch => "momentum_buffer",
        Convention::Keras => "velocity",
        Convention::Optax => "trace",
    }
}

/// Drives the f64 `imp` through a binary64 replay and checks it. `None` if it declines the
/// configuration. (The kit's suites judge every format; this is the binary64 check by hand.)
///
/// # Errors
/// As [`check`] (a trace of the wrong length is the implementation's bug, reported as an error).
pub fn run_case(
    imp: &mut dyn UnderTest,
    config: &Config,
    expected: &ReplayFixture,
) -> Result<Option<CheckReport>> {
    let expected = judge::Expected::Binary64(Box::new(expected.clone()));
    let judge::Expected::Binary64(fixture) = &expected else {
        unreachable!("built as binary64 above")
    };
    match judge::drive(imp, config, &expected)? {
        None => Ok(None),
        Some(trace) => check(fixture, &trace).map(Some),
    }
}

fn case_config(case: &replay::ReplayCase) -> Result<Config> {
    let (_, numbers) = replay::optimizer(case)?;
    let num = |k: &str| {
        numbers
            .iter()
            .find(|(n, _)| *n == k)
            .map_or(0.0, |(_, x)| *x)
    };
    let flag = |k: &str| {
        case.flags
            .iter()
            .find(|(n, _)| *n == k)
            .is_some_and(|(_, b)| *b)
    };
    Ok(Config {
        convention: case.convention,
        momentum: num("momentum"),
        dampening: num("dampening"),
        weight_decay: num("weight_decay"),
        nesterov: flag("nesterov"),
        maximize: flag("maximize"),
    })
}

/// The replay fixture of a catalogue case, through the file format, so the kit checks exactly
/// what `fixtures/replay/` holds.
fn fixture_of(case: &replay::ReplayCase) -> Result<ReplayFixture> {
    let text = crate::fixture::to_text(&replay::generate(case)?);
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| Error::InvalidDocument {
            document: "fixture",
            reason: e.to_string(),
        })?;
    crate::fixture::check::read_replay(&doc)
}

/// Runs every replay fixture of `imp`'s convention (generated in memory) and returns each case's
/// raw outcome; [`Kit::replay_fixtures`] also counts coverage and fails on a decline.
///
/// # Errors
/// Generation errors (none for the catalogue) and [`run_case`]'s.
pub fn replay_fixtures(imp: &mut dyn UnderTest) -> Result<Vec<Outcome>> {
    let conv = imp.convention();
    let mut out = Vec::new();
    for case in REPLAY_CASES.iter().filter(|c| c.convention == conv) {
        let config = case_config(case)?;
        let expected = fixture_of(case)?;
        out.push(Outcome {
            case: case.name.to_string(),
            report: run_case(imp, &config, &expected)?,
        });
    }
    Ok(out)
}

/// Panics with the failure unless `imp` passes [`Kit::replay_fixtures`] (for `#[test]`s).
pub fn assert_replay_fixtures<E: Element, T: UnderTest<E> + ?Sized>(imp: &mut T) {
    match Kit::new().replay_fixtures(imp) {
        Ok(coverage) => println!("{coverage}"),
        Err(failure) => panic!("{failure}"),
    }
}

/// A generated replay case: configuration, per-step learning rates, initial parameters and
/// gradients (numbers of the case's format held as f64, spanning its magnitudes, with zeros and
/// sign changes; [`generated_case_in`]).
#[derive(Clone, Debug)]
pub struct GeneratedCase {
    /// The configuration.
    pub config: Config,
    /// Learning rate of each step.
    pub rates: Vec<f64>,
    /// Initial parameters.
    pub x0: Vec<f64>,
    /// Gradient of each step.
    pub gradients: Vec<Vec<f64>>,
}

/// Largest dimension of a generated case.
const MAX_DIM: usize = 6;
/// Largest number of steps of a generated case.
const MAX_STEPS: usize = 12;

/// The strategy of [`Kit::replay_properties`] for one convention.
///
/// Built to shrink toward small cases without `prop_flat_map` (whose inner values are redrawn
/// when the outer ones shrink, so a failure is lost): the step count comes first and shrinks by
/// bisection to the fewest steps that still fail; the hyper-parameters shrink toward zero and
/// `false`, the schedule toward constant, the rates toward 1/100; each coordinate is one element (its initial value
/// with its whole gradient history), so removing it keeps the other coordinates' data.
pub fn generated_case(
    convention: Convention,
) -> impl proptest::strategy::Strategy<Value = GeneratedCase> {
    generated_case_in(convention, Format::Binary64)
}

/// `2^e` as an f64 (`e ≥ −1022`: a normal binary64 number, built from its bits, so exact).
fn pow2(e: i32) -> f64 {
    f64::from_bits(((e + 1023) as u64) << 52)
}

/// The nearest number of `format` to `x`, as the f64 it is.
fn nearest(format: Format, x: f64) -> f64 {
    let q = Rational::from_f64(x).expect("finite");
    match format.round(&q, crate::arith::format::Subnormals::Gradual) {
        crate::arith::format::Rounded::Finite(v) => crate::arith::format::round_f64(&v),
        _ => 0.0,
    }
}

/// The data of one coordinate in `format` (binary64: the kit's original draw), scaled like the
/// format's replay fixtures ([`crate::fixture::lowprec::inputs`]): ordinary values of magnitude
/// below 1 rounded to the format (6 in 9), zeros (1 in 9), the format's subnormals `n·2^(emin−p+1)`
/// (1 in 9) and values near its overflow, `[2^(emax−8), 2^(emax−6))` (1 in 9); a coordinate's
/// gradients are drawn independently (4 in 5) or as one value with its sign flipped at every
/// step (1 in 5). Near overflow is `emax − 8`, not the fixtures' `emax − 7`, because a generated
/// case runs up to 12 steps at rates up to 2/5 instead of 10 at 1/10; a case whose exact trace
/// still comes within a factor 2 of overflow is skipped and counted (kit.rs).
fn coordinate_in(format: Format) -> proptest::strategy::BoxedStrategy<(f64, Vec<f64>)> {
    use proptest::prelude::*;
    if format == Format::Binary64 {
        let value = prop_oneof![
            8 => (-1000.0f64..1000.0).prop_map(|x| x * 1e-3),
            1 => Just(0.0),
            1 => (1i32..60, any::<bool>()).prop_map(|(e, s)| if s { f64::powi(2.0, -e) } else { -f64::powi(2.0, e) }),
        ];
        return (value.clone(), proptest::collection::vec(value, MAX_STEPS)).boxed();
    }
    let p = format.precision() as i32;
    let (emin, emax) = (format.min_exponent(), format.max_exponent());
    let signed = |x: f64, negative: bool| if negative { -x } else { x };
    let value = prop_oneof![
        6 => (-1000.0f64..1000.0).prop_map(move |x| nearest(format, x * 1e-3)),
        1 => Just(0.0),
        1 => (1u64..(1u64 << (p - 1)), any::<bool>())
            .prop_map(move |(n, s)| signed(n as f64 * pow2(emin - p + 1), s)),
        1 => ((1u64 << (p - 1))..(1u64 << p), 0i32..2, any::<bool>())
            .prop_map(move |(n, e, s)| signed(n as f64 * pow2(emax - 8 + e - p + 1), s)),
    ]
    .boxed();
    let flips = value.clone().prop_map(|v| {
        (0..MAX_STEPS)
            .map(|k| if k % 2 == 0 { v } else { -v })
            .collect::<Vec<f64>>()
    });
    let history = prop_oneof![
        4 => proptest::collection::vec(value.clone(), MAX_STEPS),
        1 => flips,
    ];
    (value, history).boxed()
}

/// The strategy of [`Kit::replay_properties`] for one convention and format: as
/// [`generated_case`], with initial parameters and gradients that are numbers of `format`
/// ([`Element::FORMAT`] of the adapter's element type), drawn as `coordinate_in` says.
pub fn generated_case_in(
    convention: Convention,
    format: Format,
) -> impl proptest::strategy::Strategy<Value = GeneratedCase> {
    use proptest::prelude::*;
    let coordinate = coordinate_in(format);
    // Each feature is off in half of the cases, so that every family — plain SGD included, which
    // needs all of them off — gets cases (an even draw over 0..=15 left plain SGD without a case
    // in most runs of 64). A union shrinks to its first alternative: off.
    let either = |on: BoxedStrategy<u32>| prop_oneof![Just(0u32), on];
    // Proptest shrinks a tuple one element at a time, in order: the hyper-parameters shrink
    // before the data, so that a gradient cannot shrink to zero while weight decay or another
    // feature keeps the failure alive through it (the kit's own pass, shrink.rs, finishes).
    (
        1usize..=MAX_STEPS,
        either((1u32..=15).boxed()),
        either((1u32..=8).boxed()),
        either((1u32..=4).boxed()),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec(1u32..=40, MAX_STEPS),
        proptest::collection::vec(coordinate, 1..=MAX_DIM),
    )
        .prop_map(
            move |(k, mu, tau, wd, nest, max, varying, lrs, coordinates)| {
                let momentum = f64::from(mu) / 16.0 * if mu % 3 == 0 { 1.0 } else { 0.9 };
                let nesterov = nest && momentum > 0.0;
                // Dampening acts only on the momentum buffer: without momentum it would be a
                // "dampening" case that checks nothing of it.
                let dampening = if nesterov || momentum == 0.0 || convention != Convention::Pytorch
                {
                    0.0
                } else {
                    f64::from(tau) / 10.0
                };
                let weight_decay = if convention == Convention::Optax {
                    0.0
                } else {
                    f64::from(wd) / 100.0
                };
                GeneratedCase {
                    config: Config {
                        convention,
                        momentum,
                        dampening,
                        weight_decay,
                        nesterov,
                        maximize: max && convention == Convention::Pytorch,
                    },
                    rates: (0..k)
                        .map(|step| f64::from(lrs[if varying { step } else { 0 }]) / 100.0)
                        .collect(),
                    x0: coordinates.iter().map(|(x, _)| *x).collect(),
                    gradients: (0..k)
                        .map(|step| coordinates.iter().map(|(_, g)| g[step]).collect())
                        .collect(),
                }
            },
        )
}

/// `cases` property-based replays ([`Kit::replay_properties`]).
///
/// # Errors
/// The minimal failing case, or too little coverage.
pub fn replay_properties<E: Element, T: UnderTest<E>>(
    make: impl Fn() -> T,
    cases: u32,
) -> std::result::Result<Coverage, ConformanceFailure> {
    Kit::new().cases(cases).replay_properties(make)
}

/// `cases` stability cases ([`Kit::stability_properties`]).
///
/// # Errors
/// The first contradicting case, or too little coverage.
pub fn stability_properties<E: Element, T: UnderTest<E>>(
    make: impl Fn() -> T,
    cases: u32,
) -> std::result::Result<Coverage, ConformanceFailure> {
    Kit::new().cases(cases).stability_properties(make)
}

/// The one-step characteristic polynomial of a convention on `λx²/2` with step γ (h = γλ).
fn char_poly(c: &Config, h: &Rational) -> Option<CharPoly> {
    let mu = Rational::from_f64(c.momentum)?;
    // Every convention is heavy ball or NAG on a quadratic once past its first step (dampening
    // rescales the gradient: h(1 − τ)); weight decay shifts the curvature by λ (coupled) — the
    // stability suite uses neither, so it does not model them.
    if c.weight_decay != 0.0 || c.dampening != 0.0 || c.maximize {
        return None;
    }
    Some(if c.nesterov {
        CharPoly::nag(h, &mu)
    } else {
        CharPoly::heavy_ball(h, &mu)
    })
}

/// Writes the conformance tests for an implementation: the replay fixtures, the property-based
/// replays and the stability suite, each through [`Kit::new`] (`PROPTEST_CASES` cases, 64 by
/// default), printing its coverage table on success and panicking with the
/// [`ConformanceFailure`] otherwise.
///
/// `conformance_tests!(name, expr)` writes them inside `pub(crate) mod name`, so that several
/// invocations fit in one module; `conformance_tests!(expr)` writes them at the call site (once
/// per module). The element type is the one the adapter implements [`UnderTest`] for; an adapter
/// generic over it names it: `conformance_tests!(name: f32, expr)` runs the binary32 suites
/// (`half::bf16`, `half::f16` the 16-bit ones).
///
/// ```ignore
/// momentum_oracle::conformance_tests!(my_sgd, MySgd::default());
/// momentum_oracle::conformance_tests!(my_sgd_nesterov, MySgd::nesterov());
/// momentum_oracle::conformance_tests!(my_sgd_f32: f32, MySgd::<f32>::default());
/// momentum_oracle::conformance_tests!(my_sgd_bf16: half::bf16, MySgd::<half::bf16>::default());
/// ```
#[macro_export]
macro_rules! conformance_tests {
    (@tests $elem:ty, $make:expr) => {
        #[test]
        pub(crate) fn momentum_oracle_replay_fixtures() {
            match $crate::conformance::Kit::new().replay_fixtures::<$elem, _>(&mut $make) {
                Ok(coverage) => println!("{coverage}"),
                Err(failure) => panic!("{failure}"),
            }
        }
        #[test]
        pub(crate) fn momentum_oracle_replay_properties() {
            match $crate::conformance::Kit::new().replay_properties::<$elem, _>(|| $make) {
                Ok(coverage) => println!("{coverage}"),
                Err(failure) => panic!("{failure}"),
            }
        }
        #[test]
        pub(crate) fn momentum_oracle_stability_properties() {
            match $crate::conformance::Kit::new().stability_properties::<$elem, _>(|| $make) {
                Ok(coverage) => println!("{coverage}"),
                Err(failure) => panic!("{failure}"),
            }
        }
    };
    ($name:ident : $elem:ty, $make:expr) => {
        pub(crate) mod $name {
            #[allow(unused_imports)] // the expression may name items of the enclosing module
            use super::*;
            $crate::conformance_tests!(@tests $elem, $make);
        }
    };
    ($name:ident, $make:expr) => {
        pub(crate) mod $name {
            #[allow(unused_imports)] // the expression may name items of the enclosing module
            use super::*;
            $crate::conformance_tests!($make);
        }
    };
    ($make:expr) => {
        #[test]
        pub(crate) fn momentum_oracle_replay_fixtures() {
            match $crate::conformance::Kit::new().replay_fixtures(&mut $make) {
                Ok(coverage) => println!("{coverage}"),
                Err(failure) => panic!("{failure}"),
            }
        }
        #[test]
        pub(crate) fn momentum_oracle_replay_properties() {
            match $crate::conformance::Kit::new().replay_properties(|| $make) {
                Ok(coverage) => println!("{coverage}"),
                Err(failure) => panic!("{failure}"),
            }
        }
        #[test]
        pub(crate) fn momentum_oracle_stability_properties() {
            match $crate::conformance::Kit::new().stability_properties(|| $make) {
                Ok(coverage) => println!("{coverage}"),
                Err(failure) => panic!("{failure}"),
            }
        }
    };
}
