//! Rounding models of real SGD kernels, per convention and number format, operation by operation.
//!
//! The f64 optimizers of [`crate::optim`] round under two generic models (naive, fused). Real
//! frameworks in binary32, bfloat16 and binary16 do more specific things: PyTorch converts some
//! hyper-parameters to the storage format and others to binary32, its fused kernel keeps
//! intermediates in binary32, XLA flushes subnormals and contracts products into FMAs, Keras
//! keeps its learning rate in binary32 whatever the parameters are. A [`Model`] names one such
//! kernel exactly — family, [`Kernel`], storage format, FTZ, the precision of each
//! hyper-parameter ([`HyperPrecision`]) and two convention switches — and [`run`] evaluates it in
//! any [`KernelArith`]: exact rationals with explicit rounding ([`arith::Exact`]), native
//! `f32`/`f64` ([`arith::NativeF32`], [`arith::NativeF64`]), exact without rounding
//! ([`arith::Real`]) or the envelope's bounds ([`arith::Bound`]).
//!
//! Notation: W is the working format (binary32 for S ∈ {binary32, bfloat16, binary16}, binary64
//! for S = binary64), `r_S` rounds to the storage format, `c_S(x)` is a Python double `x` converted
//! to S (through binary32 for bfloat16/binary16: c10's `BFloat16(float)`), `f32(x)` the nearest
//! binary32. Every `·`, `+`, `fma` is one operation in W, rounded once (with FTZ+DAZ when the
//! model says so). `st(x)` is `r_S(x)` in the kernels that store after every operation, the
//! identity in the fused ones and when S = W.
//!
//! # PyTorch (`torch.optim.SGD`)
//!
//! Sources: pytorch/pytorch `torch/optim/sgd.py` (`_single_tensor_sgd`, `_multi_tensor_sgd`,
//! `_fused_sgd`); `add` with alpha: torchgen `dest/ufunc.py` (`alpha.to<scalar_t>()`, the alpha
//! in the storage type) and `aten/src/ATen/native/ufunc/add.h` (`vec::fmadd`); `mul` by a
//! Python scalar: `aten/src/ATen/native/cpu/BinaryOpsKernel.cpp` `mul_kernel` (the scalar as
//! `opmath_t`, binary32, when it is operand 2); foreach: `ForeachOpsKernels.cpp`
//! (`t.mul_(scalar)`, the scalar wrapped as operand 1, so converted to S);
//! `aten/src/ATen/native/cpu/FusedSGDKernel.cpp` (`sgd_math`, opmath). Measured bit for bit on
//! torch 2.15 CPU (AVX-512 and AVX2): docs/research/frameworks.md §1–2.
//!
//! `single` and `foreach` (constants: λ, 1−τ, −γ and the nesterov μ as `c_S`; the buffer
//! multiply's μ as `f32(μ)` in `single`, `c_S(μ)` in `foreach`):
//! ```text
//! g = −g                                   if maximize
//! g = st(fma(θ, λ, g))                     if λ ≠ 0
//! b = g                                    at step 1 (a copy: dampening NOT applied)
//! b = st(fma(g, 1−τ, st(b·μ)))             later
//! g = st(fma(b, μ, g))  if nesterov, else g = b          (only if μ ≠ 0)
//! θ = st(fma(g, −γ, θ))
//! ```
//! `fused` is the same sequence with every constant `f32(x)` and no `st` except two stores:
//! `b` is stored as `r_S(b)` but the nesterov step reads the unrounded binary32 `b`, and
//! `θ = r_S(fma(g, −γ, θ))`. At S = binary32 the three are one model (measured: single =
//! foreach = fused). `no-fma` (a build without FMA, `ATEN_CPU_CAPABILITY=default`) rounds every
//! product before its sum. `mixed` is `torch.optim.SGD` on binary32 master weights fed the
//! (exact) binary32 copy of an S gradient, the model copy being `r_S(θ)` after each step
//! (`model.copy_(master)`); its buffer is binary32, so a `mixed` trace has parameters only.
//!
//! # The scalar tail (PyTorch)
//!
//! These sequences are the `Vectorized` body's. A tensor's last elements go through a scalar
//! loop ([`path_of`] says which), where two things change (measured on torch 2.15 with AVX-512
//! and with AVX2, `examples/python/torch_tail.py`, 0 mismatches of 449,820 values on each;
//! README "Low precision"):
//! in `single`/`foreach` on bfloat16/binary16 every `fma(x, y, z)` becomes
//! `r_S(z + r_S(x·y))` (`self + alpha*other` in `c10::BFloat16`/`Half` arithmetic); in `fused`
//! the buffer contracts the other product, `b = fma(b, μ, g·(1−τ))`. Binary32 `single`/`foreach`
//! tails round like the body. [`run`] puts every element on the body's path, [`run_tensor`]
//! the tail on the scalar one; fixtures have 32 parameters, so no tail.
//!
//! # Keras 3 (`keras.optimizers.SGD`, JAX backend)
//!
//! Sources: keras-team/keras `keras/src/optimizers/sgd.py` (`update_step`: `m = m·μ − g·γ`,
//! `θ += m` or nesterov `θ += m·μ − g·γ`), `keras/src/optimizers/base_optimizer.py`
//! (`_apply_weight_decay`: `θ −= θ·λ·γ` before the step; the learning rate is a
//! `backend.Variable` of dtype `floatx()`, binary32 by default). Measured: frameworks.md §3.
//! Constants `c_S` (cast to the variable's dtype); the default configuration's binary32
//! learning rate is [`HyperPrecision::binary32_learning_rate`], an axis of its own. XLA:CPU
//! runs with FTZ+DAZ, eagerly and under `jit`, in binary64 too.
//! ```text
//! eager:  θ = st(θ − st(st(θ·λ)·γ))                     if λ ≠ 0
//!         θ = st(θ − st(g·γ))                           if μ = 0, and nothing below
//!         v = st(st(v·μ) − st(g·γ))                     (v₀ = 0)
//!         θ = st(θ + st(st(v·μ) − st(g·γ)))  if nesterov, else θ = st(θ + v)
//! jit:    θ = st(fma(θ, −(λ·γ), θ))                      (XLA re-associates θ·λ·γ, then contracts)
//!         θ = st(fma(−g, γ, θ))                         if μ = 0
//!         v = st(fma(v, μ, −st(g·γ)))
//!         θ = st(θ + st(fma(v, μ, −st(g·γ))))  if nesterov, else θ = st(θ + v)
//! ```
//! bfloat16/binary16 Keras and Optax are these sequences with `st` after every operation in
//! binary32. Measured (README "Low precision", `examples/python/replay_formats.py`): Keras 3 on
//! bfloat16/binary16 variables matches `eager` both eagerly and under `jit` (XLA does not form
//! the `jit` model's FMAs there); Optax with a float32 learning rate (any schedule) matches neither,
//! its update promoted to binary32: "Optax with a binary32 learning rate" below.
//!
//! # Optax (`optax.sgd`)
//!
//! Sources: google-deepmind/optax `optax/_src/alias.py` (`sgd` = `trace` then
//! `scale_by_learning_rate`), `optax/transforms/_accumulation.py` (`trace`: `g + μ·t`),
//! `optax/_src/update.py` (`apply_updates`: `p + u`). Constants `c_S` (weakly typed Python
//! floats). FTZ+DAZ. Measured: frameworks.md §4.
//! ```text
//! eager:       t = st(g + st(μ·t));  u = st(g + st(μ·t)) if nesterov, else t;  θ = st(θ + st(−γ·u))
//! jit-update:  t = st(fma(μ, t, g));  u = st(fma(μ, t, g)) if nesterov, else t;  θ = st(θ + st(−γ·u))
//! jit:         as jit-update, θ = st(fma(−γ, u, θ))
//! ```
//!
//! # Optax with a binary32 learning rate, on bfloat16/binary16
//!
//! Any optax schedule returns a float32 array, and so does `inject_hyperparams` fed one; JAX
//! promotes a float32 array times a bfloat16/binary16 array to binary32. So `scale`
//! (`optax/_src/transform.py`: `step_size * g`) makes `−γ·u` a binary32 product, never rounded to
//! storage, and `apply_updates` (`optax/_src/update.py`: `(p + u).astype(p.dtype)`) adds it to θ
//! in binary32 and rounds once. μ stays `c_S(μ)` (a Python float, or `inject_hyperparams`'
//! array of the parameters' dtype). This is the model [`Model::promotes_update`] selects: the
//! family's own, with [`HyperPrecision`]`::learning_rate` binary32 (the diagnosis accepts it).
//! Under `jit` XLA:CPU computes bfloat16 in binary32 and, allowed excess precision
//! (`xla_allow_excess_precision`, on by default), drops a rounding to storage whose only reader
//! converts the value back to binary32 — the sum that meets −γ; the optimised HLO shows it
//! (`jax.jit(...).lower(...).compile().as_text()`, jax 0.10.2). binary16 stays binary16 in the
//! HLO and every operation is rounded, so all three kernels are `eager` there but for `jit`'s
//! FMA (which the 11 binary16 fixtures do not tell from `θ + (−γ·u)`):
//! ```text
//! eager:       t = st(g + st(μ·t));  u = st(g + st(μ·t)) if nesterov, else t;  θ = st(θ + (−γ)·u)
//! jit-update:  bfloat16: s = g + st(μ·t);  t = st(s);  u = g + st(μ·t) if nesterov, else s
//!              binary16: as eager;                              θ = st(θ + (−γ)·u)
//! jit:         as jit-update, θ = st(fma(−γ, u, θ))
//! ```
//! Measured: every Optax fixture of `fixtures/replay-bfloat16/` and `fixtures/replay-binary16/`
//! in the three modes, 66 of 66 bit-exact (`examples/python/optax_lowprec.py OUTDIR` writes the
//! traces; `check` passes each under this model; README "Low precision").
//!
//! # burn
//!
//! crates/burn-optim `src/optim/momentum.rs` and `decay.rs` (tracel-ai/burn): the momentum
//! coefficient and the weight-decay penalty are `f32` whatever the tensor type, every operation
//! is its own rounded tensor op. On binary64 that is `no-fma` PyTorch with
//! [`HyperPrecision::burn`] (frameworks.md §5; from the source, not run).

pub mod arith;
pub mod envelope;

use rug::Rational;

pub use arith::{KernelArith, Stored};

use crate::arith::format::Format;
use crate::error::{Error, Result};

/// The framework whose update a model evaluates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// `torch.optim.SGD`.
    Pytorch,
    /// Keras 3 SGD.
    Keras,
    /// `optax.sgd`.
    Optax,
}

impl Family {
    /// `pytorch`, `keras`, `optax`.
    pub fn name(self) -> &'static str {
        match self {
            Family::Pytorch => "pytorch",
            Family::Keras => "keras",
            Family::Optax => "optax",
        }
    }
    /// The family called `name`.
    ///
    /// # Errors
    /// [`Error::Unknown`].
    pub fn parse(name: &str) -> Result<Family> {
        match name {
            "pytorch" => Ok(Family::Pytorch),
            "keras" => Ok(Family::Keras),
            "optax" => Ok(Family::Optax),
            _ => Err(Error::Unknown {
                kind: "kernel family",
                name: name.into(),
                known: "pytorch, keras, optax".into(),
            }),
        }
    }
    /// The name of its momentum state in traces.
    pub fn state_name(self) -> &'static str {
        match self {
            Family::Pytorch => "momentum_buffer",
            Family::Keras => "velocity",
            Family::Optax => "trace",
        }
    }
}

/// How a kernel evaluates the update (module documentation, per family).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// PyTorch `foreach=False`.
    Single,
    /// PyTorch `foreach=True`.
    Foreach,
    /// PyTorch `fused=True`.
    Fused,
    /// PyTorch built without FMA; burn.
    NoFma,
    /// PyTorch on binary32 master weights, S copy.
    Mixed,
    /// Keras / Optax, one XLA computation per operation.
    Eager,
    /// Keras under `jax.jit`; Optax with update and `apply_updates` jitted together.
    Jit,
    /// Optax with only `update` jitted.
    JitUpdate,
}

impl Kernel {
    /// The name in fixtures and verdicts.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Single => "single",
            Kernel::Foreach => "foreach",
            Kernel::Fused => "fused",
            Kernel::NoFma => "no-fma",
            Kernel::Mixed => "mixed",
            Kernel::Eager => "eager",
            Kernel::Jit => "jit",
            Kernel::JitUpdate => "jit-update",
        }
    }
    /// The kernel called `name`.
    ///
    /// # Errors
    /// [`Error::Unknown`].
    pub fn parse(name: &str) -> Result<Kernel> {
        [
            Kernel::Single,
            Kernel::Foreach,
            Kernel::Fused,
            Kernel::NoFma,
            Kernel::Mixed,
            Kernel::Eager,
            Kernel::Jit,
            Kernel::JitUpdate,
        ]
        .into_iter()
        .find(|k| k.name() == name)
        .ok_or_else(|| Error::Unknown {
            kind: "kernel",
            name: name.into(),
            known: "single, foreach, fused, no-fma, mixed, eager, jit, jit-update".into(),
        })
    }
}

/// The precision of each hyper-parameter before the kernel converts it: `None` keeps the double
/// (the fixture's value), `Some(F)` rounds it to F first (Keras's binary32 learning-rate variable,
/// burn's `f32` momentum and penalty). `1 − τ` is computed in binary64 from the rounded τ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct HyperPrecision {
    /// γ.
    pub learning_rate: Option<Format>,
    /// μ.
    pub momentum: Option<Format>,
    /// τ.
    pub dampening: Option<Format>,
    /// λ.
    pub weight_decay: Option<Format>,
}

impl HyperPrecision {
    /// Every hyper-parameter at its double value.
    pub const EXACT: HyperPrecision = HyperPrecision {
        learning_rate: None,
        momentum: None,
        dampening: None,
        weight_decay: None,
    };
    /// The learning rate a binary32 number: Keras 3's default (`floatx` float32, the learning
    /// rate a binary32 variable), and Optax with a schedule (a float32 array; on
    /// bfloat16/binary16 it promotes the update, [`Model::promotes_update`]).
    pub fn binary32_learning_rate() -> Self {
        HyperPrecision {
            learning_rate: Some(Format::Binary32),
            ..Self::EXACT
        }
    }
    /// burn: `momentum: f32` and `penalty: f32`.
    pub fn burn() -> Self {
        HyperPrecision {
            momentum: Some(Format::Binary32),
            weight_decay: Some(Format::Binary32),
            ..Self::EXACT
        }
    }
    /// All four rounded to `format`.
    pub fn all(format: Format) -> Self {
        HyperPrecision {
            learning_rate: Some(format),
            momentum: Some(format),
            dampening: Some(format),
            weight_decay: Some(format),
        }
    }
    /// The variants the diagnosis tries, the exact one first.
    pub fn variants() -> Vec<HyperPrecision> {
        let mut out = vec![Self::EXACT];
        for format in [Format::Binary32, Format::Bfloat16] {
            let f = Some(format);
            for (learning_rate, momentum, dampening, weight_decay) in [
                (f, None, None, None),
                (None, f, None, None),
                (None, None, f, None),
                (None, None, None, f),
                (None, f, None, f),
                (f, f, f, f),
            ] {
                out.push(HyperPrecision {
                    learning_rate,
                    momentum,
                    dampening,
                    weight_decay,
                });
            }
        }
        out
    }
    /// Whether every hyper-parameter is exact.
    pub fn is_exact(&self) -> bool {
        *self == Self::EXACT
    }
    /// Words for a verdict: "its learning rate rounded to binary32", "its momentum and weight
    /// decay rounded to binary32"; empty when exact.
    pub fn describe(&self) -> String {
        let mut groups: Vec<(Format, Vec<&str>)> = Vec::new();
        for (name, f) in [
            ("learning rate", self.learning_rate),
            ("momentum", self.momentum),
            ("dampening", self.dampening),
            ("weight decay", self.weight_decay),
        ] {
            if let Some(f) = f {
                match groups.iter_mut().find(|(g, _)| *g == f) {
                    Some((_, names)) => names.push(name),
                    None => groups.push((f, vec![name])),
                }
            }
        }
        groups
            .iter()
            .map(|(f, names)| {
                let list = match names.len() {
                    4 => "hyper-parameters".to_string(),
                    1 => names[0].to_string(),
                    n => format!("{} and {}", names[..n - 1].join(", "), names[n - 1]),
                };
                format!("its {list} rounded to {f}")
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A hyper-parameter moved by whole ulps of the working format after its conversion: not a
/// framework, the mistake a diagnosis names ("its learning rate one ulp above f32(0.1)").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Nudge {
    /// γ.
    LearningRate,
    /// μ.
    Momentum,
    /// τ.
    Dampening,
}

impl Nudge {
    fn name(self) -> &'static str {
        match self {
            Nudge::LearningRate => "learning rate",
            Nudge::Momentum => "momentum",
            Nudge::Dampening => "1 − dampening",
        }
    }
}

/// Where weight decay enters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decay {
    /// `g += λθ` before the momentum (PyTorch).
    Coupled,
    /// `θ −= γλθ` before the step (Keras).
    Decoupled,
}

/// One rounding model of one framework's kernel (module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Model {
    /// The framework.
    pub family: Family,
    /// The kernel.
    pub kernel: Kernel,
    /// The format of parameters, gradients and state.
    pub storage: Format,
    /// FTZ+DAZ in the working format.
    pub ftz: bool,
    /// The precision of the hyper-parameters.
    pub hyper: HyperPrecision,
    /// Dampening applied at step 1 too (`b₁ = (1−τ)g₁`): NOT PyTorch, whose first buffer is a
    /// copy; the mistake the diagnosis names.
    pub dampen_first_step: bool,
    /// Coupled or decoupled weight decay.
    pub decay: Decay,
    /// A hyper-parameter moved by this many ulps (none in any framework's model).
    pub nudge: Option<(Nudge, i32)>,
}

/// The hyper-parameters of a replay, as doubles (the fixture's values).
#[derive(Clone, Debug, PartialEq)]
pub struct Hyper {
    /// γ_k for k = 1, 2, …
    pub learning_rates: Vec<f64>,
    /// μ.
    pub momentum: f64,
    /// τ.
    pub dampening: f64,
    /// λ.
    pub weight_decay: f64,
    /// Nesterov.
    pub nesterov: bool,
    /// Maximize (PyTorch).
    pub maximize: bool,
}

/// One step of a model's trace: parameters and, where the model stores it in S, the state.
#[derive(Clone, Debug, PartialEq)]
pub struct StepValues<V> {
    /// θ_k.
    pub params: Vec<V>,
    /// The momentum state after step k (absent without momentum, before PyTorch's first buffer,
    /// and for `mixed`, whose state is binary32).
    pub state: Option<Vec<V>>,
}

impl Model {
    /// The framework's own model: FTZ for XLA, the family's decay, exact hyper-parameters.
    pub fn new(family: Family, kernel: Kernel, storage: Format) -> Model {
        Model {
            family,
            kernel,
            storage,
            ftz: family != Family::Pytorch,
            hyper: HyperPrecision::EXACT,
            dampen_first_step: false,
            decay: if family == Family::Keras {
                Decay::Decoupled
            } else {
                Decay::Coupled
            },
            nudge: None,
        }
    }

    /// The models a fixture of `family` in `storage` carries, in a fixed order.
    pub fn catalogue(family: Family, storage: Format) -> Vec<Model> {
        let kernels: &[Kernel] = match (family, storage) {
            (Family::Pytorch, Format::Binary32 | Format::Binary64) => &[
                Kernel::Single,
                Kernel::Foreach,
                Kernel::Fused,
                Kernel::NoFma,
            ],
            (Family::Pytorch, _) => &[
                Kernel::Single,
                Kernel::Foreach,
                Kernel::Fused,
                Kernel::Mixed,
            ],
            (Family::Keras, _) => &[Kernel::Eager, Kernel::Jit],
            (Family::Optax, _) => &[Kernel::Eager, Kernel::JitUpdate, Kernel::Jit],
        };
        kernels
            .iter()
            .map(|k| Model::new(family, *k, storage))
            .collect()
    }

    /// Optax on bfloat16/binary16 with its learning rate a binary32 array (any optax schedule,
    /// or `inject_hyperparams` fed a float32 array): JAX promotes `−γ·u` to binary32, and
    /// `apply_updates` adds it to θ in binary32 and rounds once (module documentation).
    pub fn promotes_update(&self) -> bool {
        self.family == Family::Optax
            && self.hyper.learning_rate == Some(Format::Binary32)
            && matches!(self.storage, Format::Bfloat16 | Format::Binary16)
    }

    /// The working format.
    pub fn work(&self) -> Format {
        if self.storage == Format::Binary64 {
            Format::Binary64
        } else {
            Format::Binary32
        }
    }

    /// The exact arithmetic that evaluates this model.
    pub fn exact(&self) -> arith::Exact {
        arith::Exact {
            work: self.work(),
            ftz: self.ftz,
        }
    }

    /// The short name used as a key in fixtures: the kernel's.
    pub fn name(&self) -> &'static str {
        self.kernel.name()
    }

    /// Words for a verdict, e.g. "keras jit (FTZ+DAZ) with its learning rate rounded to binary32".
    pub fn describe(&self) -> String {
        let mut s = format!("{} {}", self.family.name(), self.kernel.name());
        let default = Model::new(self.family, self.kernel, self.storage);
        let mut notes = Vec::new();
        if self.ftz != default.ftz {
            notes.push(if self.ftz {
                "with FTZ+DAZ".to_string()
            } else {
                "without FTZ (gradual underflow)".to_string()
            });
        }
        if self.dampen_first_step {
            notes.push("with dampening applied at step 1 (PyTorch copies g there)".into());
        }
        if self.decay != default.decay {
            notes.push(match self.decay {
                Decay::Coupled => "with coupled weight decay (g += λθ)".to_string(),
                Decay::Decoupled => "with decoupled weight decay (θ −= γλθ)".to_string(),
            });
        }
        if self.promotes_update() {
            let rest = HyperPrecision {
                learning_rate: None,
                ..self.hyper
            };
            notes.push(
                "with its learning rate a binary32 array (an optax schedule or inject_hyperparams), \
                 −γ·u promoted to binary32"
                    .into(),
            );
            if !rest.is_exact() {
                notes.push(format!("with {}", rest.describe()));
            }
        } else if !self.hyper.is_exact() {
            notes.push(format!("with {}", self.hyper.describe()));
        }
        if let Some((which, ulps)) = self.nudge {
            notes.push(format!(
                "with its {} moved by {ulps:+} ulp of {} (not the fixture's value)",
                which.name(),
                self.work()
            ));
        }
        s.push_str(&format!(" in {}", self.storage));
        if !notes.is_empty() {
            s.push(' ');
            s.push_str(&notes.join(", "));
        }
        s
    }

    fn hyper_value(x: f64, to: Option<Format>) -> f64 {
        match to {
            Some(f) => arith::NativeF64.round_to(&x, f),
            None => x,
        }
    }

    /// `x` moved by `ulps` ulps of the working format if this model nudges `which`.
    fn nudged(&self, which: Nudge, x: f64) -> f64 {
        match self.nudge {
            Some((w, ulps)) if w == which => {
                if self.work() == Format::Binary64 {
                    f64::from_bits(
                        (x.to_bits() as i64 + i64::from(ulps) * x.signum() as i64) as u64,
                    )
                } else {
                    let y = x as f32;
                    f64::from(f32::from_bits(
                        (y.to_bits() as i64 + i64::from(ulps) * y.signum() as i64) as u32,
                    ))
                }
            }
            _ => x,
        }
    }

    /// The conversion chain of a hyper-parameter in this kernel: `opmath` ones become binary32
    /// (`f32(x)`), the others `c_S(x)`.
    fn chain(&self, opmath: bool) -> Vec<Format> {
        match self.storage {
            Format::Binary64 => vec![Format::Binary64],
            Format::Binary32 => vec![Format::Binary32],
            _ if opmath => vec![Format::Binary32],
            s => vec![Format::Binary32, s],
        }
    }
}

/// Per-element state of a run.
#[derive(Clone, Debug)]
struct Element<V> {
    param: V,
    state: Option<V>,
}

/// The constants of one step, converted as the kernel converts them.
struct Constants<V> {
    lr: V,
    minus_lr: V,
    mom_mul: V,
    mom_nest: V,
    one_minus_damp: V,
    damp_first: V,
    wd: V,
}

/// Which code path of a PyTorch CPU kernel updates one element of a tensor (module
/// documentation, "The scalar tail").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Path {
    /// The `Vectorized` body: the models of the module documentation.
    Vector,
    /// The scalar loop after the body, for the last elements of a tensor.
    Scalar,
}

/// The CPU capability a PyTorch build dispatched to (`torch.backends.cpu.get_cpu_capability()`):
/// it fixes the `Vectorized` width and so which elements are in the scalar tail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Capability {
    /// `AVX2`: 256-bit `Vectorized`, 8 binary32 or 16 bfloat16/binary16 lanes. Measured
    /// (`examples/python/torch_tail.py`, torch 2.15 on an AVX2 CPU without AVX-512).
    Avx2,
    /// `AVX512`: 512-bit `Vectorized`, 16 binary32 or 32 bfloat16/binary16 lanes. Measured on
    /// an AVX-512 CPU.
    Avx512,
}

impl Capability {
    /// Lanes of one `Vectorized<S>`.
    fn lanes(self, storage: Format) -> usize {
        let width = match self {
            Capability::Avx2 => 256,
            Capability::Avx512 => 512,
        };
        (width / storage.bits()) as usize
    }

    /// The capability `torch.backends.cpu.get_cpu_capability()` names (`"AVX2"`, `"AVX512"`);
    /// `None` for the others (`"DEFAULT"`, `"ZVECTOR"`, …), whose tails nobody measured.
    pub fn parse(name: &str) -> Option<Capability> {
        match name {
            "AVX2" => Some(Capability::Avx2),
            "AVX512" => Some(Capability::Avx512),
            _ => None,
        }
    }
}

/// The path that element `i` of a tensor of `numel` elements takes in `model`'s kernel, one
/// thread (`torch.set_num_threads(1)`: the fused kernel's work, split into cache lines, is then
/// one `sgd_math` call over the whole tensor), measured on torch 2.15 with AVX-512 and with AVX2
/// (`examples/python/torch_tail.py`, README "Low precision"):
///
/// - `single`, `foreach`, `no-fma`, `mixed`: `cpu_kernel_vec` (pytorch
///   `aten/src/ATen/native/cpu/Loops.h` `vectorized_loop`) runs two `Vectorized` per iteration
///   and the rest through `basic_loop`: the last `numel mod 32` elements of a bfloat16/binary16
///   tensor are scalar on both capabilities (measured); for binary32 the period is two
///   `Vectorized<float>` (32 on AVX-512, 16 on AVX2), which no measurement can confirm, because
///   binary32's scalar loop rounds like the body.
/// - `fused`: `sgd_math` (`aten/src/ATen/native/cpu/FusedSGDKernel.cpp`) runs
///   `size − size mod L` elements (L lanes of `Vectorized<S>`) in the body and the rest in its
///   scalar `for`. On AVX-512 the compiler vectorises that loop once more with 256-bit vectors
///   (8 binary32 or 16 bfloat16/binary16 lanes): when that many elements remain, the first of
///   them follow the body's arithmetic, the others the scalar loop's. On AVX2 the body is
///   256-bit and the remainder is scalar throughout. Both give the same paths for every `numel`
///   (a body of 2L lanes plus an epilogue of L when L remain is a body of L lanes).
/// - Keras and Optax: [`Path::Vector`] (no tail in these models).
pub fn path_of(model: &Model, capability: Capability, numel: usize, i: usize) -> Path {
    if model.family != Family::Pytorch {
        return Path::Vector;
    }
    let storage = match model.kernel {
        Kernel::Mixed => Format::Binary32,
        _ => model.storage,
    };
    let (body, epilogue) = match model.kernel {
        Kernel::Fused => {
            let body = numel - numel % capability.lanes(storage);
            let epilogue = match capability {
                Capability::Avx2 => 0,
                Capability::Avx512 => Capability::Avx2.lanes(storage),
            };
            (
                body,
                if numel - body >= epilogue {
                    epilogue
                } else {
                    0
                },
            )
        }
        _ => {
            let period = match storage {
                Format::Binary32 => 2 * capability.lanes(Format::Binary32),
                _ => 32,
            };
            (numel - numel % period, 0)
        }
    };
    if i < body + epilogue {
        Path::Vector
    } else {
        Path::Scalar
    }
}

/// Runs `model` on a replay in arithmetic `a`: initial parameters and gradients as bit patterns
/// of the model's storage format; returns one [`StepValues`] per gradient row. Every element
/// follows the vector body ([`Path::Vector`]); [`run_tensor`] puts the tail on the scalar path.
///
/// # Errors
/// [`Error::DimensionMismatch`] for ragged gradients, [`Error::Unsupported`] for weight decay
/// in Optax (`optax.sgd` has none) or fewer learning rates than steps.
pub fn run<A: KernelArith>(
    a: &A,
    model: &Model,
    hyper: &Hyper,
    initial: &[u64],
    gradients: &[Vec<u64>],
) -> Result<Vec<StepValues<A::V>>> {
    run_paths(a, model, hyper, initial, gradients, |_| Path::Vector)
}

/// As [`run`] for one tensor of `initial.len()` elements on a CPU of `capability`: each
/// element on the path [`path_of`] gives it.
///
/// # Errors
/// As [`run`].
pub fn run_tensor<A: KernelArith>(
    a: &A,
    model: &Model,
    hyper: &Hyper,
    initial: &[u64],
    gradients: &[Vec<u64>],
    capability: Capability,
) -> Result<Vec<StepValues<A::V>>> {
    let n = initial.len();
    run_paths(a, model, hyper, initial, gradients, |i| {
        path_of(model, capability, n, i)
    })
}

fn run_paths<A: KernelArith>(
    a: &A,
    model: &Model,
    hyper: &Hyper,
    initial: &[u64],
    gradients: &[Vec<u64>],
    path: impl Fn(usize) -> Path,
) -> Result<Vec<StepValues<A::V>>> {
    let s = model.storage;
    if model.family == Family::Optax && hyper.weight_decay != 0.0 {
        return Err(Error::unsupported("optax.sgd has no weight decay"));
    }
    if hyper.learning_rates.len() < gradients.len() {
        return Err(Error::unsupported(format!(
            "{} learning rates for {} steps",
            hyper.learning_rates.len(),
            gradients.len()
        )));
    }
    let mut elements: Vec<Element<A::V>> = initial
        .iter()
        .map(|b| Element {
            param: a.input(*b, s),
            state: if model.family == Family::Pytorch {
                None
            } else {
                Some(a.zero())
            },
        })
        .collect();
    let mut out = Vec::with_capacity(gradients.len());
    let hp = model.hyper;
    let mu = model.nudged(
        Nudge::Momentum,
        Model::hyper_value(hyper.momentum, hp.momentum),
    );
    let tau = Model::hyper_value(hyper.dampening, hp.dampening);
    let wd = Model::hyper_value(hyper.weight_decay, hp.weight_decay);
    // PyTorch computes 1 − dampening in Python doubles.
    let one_minus_tau = model.nudged(Nudge::Dampening, 1.0 - tau);
    let pytorch_opmath = |single_opmath: bool| match model.kernel {
        Kernel::Fused | Kernel::Mixed => true,
        _ => single_opmath,
    };
    for (k, row) in gradients.iter().enumerate() {
        if row.len() != elements.len() {
            return Err(Error::dims(
                format!("gradient row {}", k + 1),
                elements.len(),
                row.len(),
            ));
        }
        let lr = model.nudged(
            Nudge::LearningRate,
            Model::hyper_value(hyper.learning_rates[k], hp.learning_rate),
        );
        let c = match model.family {
            Family::Pytorch => {
                let storage_chain = model.chain(pytorch_opmath(false));
                let mul_chain = model.chain(pytorch_opmath(model.kernel != Kernel::Foreach));
                Constants {
                    lr: a.konst(lr, &storage_chain),
                    minus_lr: a.konst(-lr, &storage_chain),
                    mom_mul: a.konst(mu, &mul_chain),
                    mom_nest: a.konst(mu, &storage_chain),
                    one_minus_damp: a.complement(tau, one_minus_tau, &storage_chain),
                    damp_first: a.complement(tau, one_minus_tau, &storage_chain),
                    wd: a.konst(wd, &storage_chain),
                }
            }
            Family::Keras | Family::Optax => {
                let chain = model.chain(false);
                Constants {
                    lr: a.konst(lr, &chain),
                    // A binary32 learning rate that promotes is never converted to storage.
                    minus_lr: a.konst(-lr, &model.chain(model.promotes_update())),
                    mom_mul: a.konst(mu, &chain),
                    mom_nest: a.konst(mu, &chain),
                    one_minus_damp: a.complement(tau, one_minus_tau, &chain),
                    damp_first: a.complement(tau, one_minus_tau, &chain),
                    wd: a.konst(wd, &chain),
                }
            }
        };
        let mut params = Vec::with_capacity(elements.len());
        let mut state = Vec::with_capacity(elements.len());
        let mut has_state = true;
        for (i, (el, gb)) in elements.iter_mut().zip(row).enumerate() {
            let g = a.input(*gb, s);
            match model.family {
                Family::Pytorch => pytorch(a, model, hyper, mu, wd, &c, el, g, path(i)),
                Family::Keras => keras(a, model, hyper, mu, wd, &c, el, g),
                Family::Optax => optax(a, model, hyper, &c, el, g),
            }
            if model.kernel == Kernel::Mixed {
                params.push(a.round_to(&el.param, s));
                has_state = false;
            } else {
                params.push(el.param.clone());
                match &el.state {
                    Some(v) => state.push(v.clone()),
                    None => has_state = false,
                }
            }
        }
        out.push(StepValues {
            params,
            state: has_state.then_some(state),
        });
    }
    Ok(out)
}

/// The storage rounding `st` of the module documentation: a format for the kernels that round
/// after every operation, none for the fused ones.
fn st_format(model: &Model) -> Option<Format> {
    let s = match model.kernel {
        Kernel::Mixed => Format::Binary32,
        _ => model.storage,
    };
    (s != model.work() && model.kernel != Kernel::Fused).then_some(s)
}

fn st<A: KernelArith>(a: &A, f: Option<Format>, x: A::V) -> A::V {
    match f {
        Some(f) => a.round_to(&x, f),
        None => x,
    }
}

#[allow(clippy::too_many_arguments)]
fn pytorch<A: KernelArith>(
    a: &A,
    model: &Model,
    h: &Hyper,
    mu: f64,
    wd: f64,
    c: &Constants<A::V>,
    el: &mut Element<A::V>,
    g: A::V,
    path: Path,
) {
    let f = st_format(model);
    let store = match model.kernel {
        Kernel::Mixed => Format::Binary32,
        _ => model.storage,
    };
    // The scalar tail of `add(x, y, alpha)` on bfloat16/binary16 is `self + alpha*other` in
    // c10::BFloat16/Half arithmetic: the product is rounded to S before the sum.
    let scalar_storage_ops = path == Path::Scalar
        && matches!(model.kernel, Kernel::Single | Kernel::Foreach)
        && f.is_some();
    let fma = |x: &A::V, y: &A::V, z: &A::V| {
        if model.kernel == Kernel::NoFma {
            a.add(&a.mul(x, y), z)
        } else if scalar_storage_ops {
            a.add(&st(a, f, a.mul(x, y)), z)
        } else {
            a.fma(x, y, z)
        }
    };
    let mut g = if h.maximize { a.neg(&g) } else { g };
    if wd != 0.0 {
        match model.decay {
            Decay::Coupled => g = st(a, f, fma(&el.param, &c.wd, &g)),
            Decay::Decoupled => {
                let t = st(a, f, a.mul(&el.param, &c.wd));
                el.param = st(a, f, fma(&t, &c.minus_lr, &el.param));
            }
        }
    }
    if mu != 0.0 {
        let b = match &el.state {
            None if model.dampen_first_step => st(a, f, a.mul(&g, &c.damp_first)),
            None => g.clone(),
            // The fused scalar tail contracts the buffer product instead of the gradient's.
            Some(b) if path == Path::Scalar && model.kernel == Kernel::Fused => {
                a.fma(b, &c.mom_mul, &a.mul(&g, &c.one_minus_damp))
            }
            Some(b) => st(
                a,
                f,
                fma(&g, &c.one_minus_damp, &st(a, f, a.mul(b, &c.mom_mul))),
            ),
        };
        // The fused kernel stores b rounded but goes on with its binary32 value.
        el.state = Some(a.round_to(&b, store));
        g = if h.nesterov {
            st(a, f, fma(&b, &c.mom_nest, &g))
        } else if model.kernel == Kernel::Fused {
            b
        } else {
            el.state.clone().expect("just stored")
        };
    }
    el.param = a.round_to(&fma(&g, &c.minus_lr, &el.param), store);
}

#[allow(clippy::too_many_arguments)]
fn keras<A: KernelArith>(
    a: &A,
    model: &Model,
    h: &Hyper,
    mu: f64,
    wd: f64,
    c: &Constants<A::V>,
    el: &mut Element<A::V>,
    g: A::V,
) {
    let f = st_format(model);
    let jit = model.kernel != Kernel::Eager;
    let mut g = g;
    if wd != 0.0 {
        match model.decay {
            Decay::Decoupled if jit => {
                let lw = a.neg(&a.mul(&c.wd, &c.lr));
                el.param = st(a, f, a.fma(&el.param, &lw, &el.param));
            }
            Decay::Decoupled => {
                let t = st(a, f, a.mul(&st(a, f, a.mul(&el.param, &c.wd)), &c.lr));
                el.param = st(a, f, a.add(&el.param, &a.neg(&t)));
            }
            Decay::Coupled if jit => g = st(a, f, a.fma(&el.param, &c.wd, &g)),
            Decay::Coupled => g = st(a, f, a.add(&g, &st(a, f, a.mul(&el.param, &c.wd)))),
        }
    }
    if mu == 0.0 {
        el.param = if jit {
            st(a, f, a.fma(&a.neg(&g), &c.lr, &el.param))
        } else {
            st(a, f, a.add(&el.param, &a.neg(&st(a, f, a.mul(&g, &c.lr)))))
        };
        return;
    }
    let gl = a.neg(&st(a, f, a.mul(&g, &c.lr)));
    let v = el.state.clone().unwrap_or_else(|| a.zero());
    let step = |v: &A::V| {
        if jit {
            st(a, f, a.fma(v, &c.mom_mul, &gl))
        } else {
            st(a, f, a.add(&st(a, f, a.mul(v, &c.mom_mul)), &gl))
        }
    };
    let v = step(&v);
    let u = if h.nesterov { step(&v) } else { v.clone() };
    el.param = st(a, f, a.add(&el.param, &u));
    el.state = Some(v);
}

fn optax<A: KernelArith>(
    a: &A,
    model: &Model,
    h: &Hyper,
    c: &Constants<A::V>,
    el: &mut Element<A::V>,
    g: A::V,
) {
    let f = st_format(model);
    let t = el.state.clone().unwrap_or_else(|| a.zero());
    if model.promotes_update() {
        return optax_promoted(a, model, h, c, el, g, &t);
    }
    let accumulate = |t: &A::V| {
        if model.kernel == Kernel::Eager {
            st(a, f, a.add(&g, &st(a, f, a.mul(&c.mom_mul, t))))
        } else {
            st(a, f, a.fma(&c.mom_mul, t, &g))
        }
    };
    let t = accumulate(&t);
    let u = if h.nesterov {
        accumulate(&t)
    } else {
        t.clone()
    };
    el.param = if model.kernel == Kernel::Jit {
        st(a, f, a.fma(&c.minus_lr, &u, &el.param))
    } else {
        st(a, f, a.add(&el.param, &st(a, f, a.mul(&c.minus_lr, &u))))
    };
    el.state = Some(t);
}

/// Optax on bfloat16/binary16 with a binary32 learning rate (module documentation, "Optax with a
/// binary32 learning rate").
fn optax_promoted<A: KernelArith>(
    a: &A,
    model: &Model,
    h: &Hyper,
    c: &Constants<A::V>,
    el: &mut Element<A::V>,
    g: A::V,
    t: &A::V,
) {
    let f = st_format(model);
    // XLA:CPU computes bfloat16 in binary32 and, allowed excess precision, drops a rounding to
    // storage whose only reader converts back to binary32: the sum that meets −γ under jit.
    // binary16 stays binary16 in the HLO, and each operation is rounded.
    let excess = model.storage == Format::Bfloat16 && model.kernel != Kernel::Eager;
    let sum = |t: &A::V| a.add(&g, &st(a, f, a.mul(&c.mom_mul, t)));
    let unrounded = sum(t);
    let t = st(a, f, unrounded.clone());
    let u = match (h.nesterov, excess) {
        (true, true) => sum(&t),
        (true, false) => st(a, f, sum(&t)),
        (false, true) => unrounded,
        (false, false) => t.clone(),
    };
    el.param = if model.kernel == Kernel::Jit {
        st(a, f, a.fma(&c.minus_lr, &u, &el.param))
    } else {
        st(a, f, a.add(&el.param, &a.mul(&c.minus_lr, &u)))
    };
    el.state = Some(t);
}

/// The exact trace of a replay: the family's update on the exact inputs, hyper-parameters at
/// their double values, nothing rounded.
///
/// # Errors
/// As [`run`].
pub fn exact_trace(
    family: Family,
    storage: Format,
    hyper: &Hyper,
    initial: &[u64],
    gradients: &[Vec<u64>],
) -> Result<Vec<StepValues<Rational>>> {
    run(
        &arith::Real,
        &Model::new(family, reference_kernel(family), storage),
        hyper,
        initial,
        gradients,
    )
}

/// The operation sequence the exact trace and the envelope follow: `single` for PyTorch (its
/// documented sequence), `eager` for Keras and Optax (every operation separate).
pub fn reference_kernel(family: Family) -> Kernel {
    match family {
        Family::Pytorch => Kernel::Single,
        _ => Kernel::Eager,
    }
}
