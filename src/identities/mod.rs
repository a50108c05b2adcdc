//! Closed forms and conventions mapped onto each other: when two conventions are the same
//! optimizer, and exactly how they differ when they are not.
//!
//! Every function is generic over [`Scalar`]: in ℚ the identities below hold with equality (the
//! test suites check them with `assert_eq!`), in floating arithmetic they hold up to rounding, and
//! with [`Bounded`](crate::arith::bounded::Bounded) values the rounding is enclosed by a derived bound.
//! Each formula states its source or its derivation. Notation as in DESIGN.md: γ_t the learning
//! rate of step t, μ momentum, τ dampening, λ weight decay, g_t the gradient queried at step t.
//!
//! | identity | function | holds |
//! |---|---|---|
//! | PyTorch buffer b_t = μ^{t−1}g₁ + (1−τ)Σ_{s≥2} μ^{t−s}g_s | [`unrolled_buffer`], [`buffer_weights`] | any schedule (b has no γ) |
//! | weight μ^s of an s-step-old gradient, effective memory Σμ^s = 1/(1−μ) | [`gradient_weight`], [`effective_memory`] | τ = 0 |
//! | Sutskever velocity v_t = −Σ μ^{t−s}γ_s g_s | [`unrolled_velocity`] | any schedule |
//! | v_t = −γ b_t | [`sutskever_velocity`] | constant γ, τ = 0 |
//! | θ^PyTorch_t − θ^Sutskever_t = −μ(γ_t − γ_{t−1})b_{t−1} (μ² for nesterov) | [`schedule_breakage`] | first step after a change; one step from mapped states at any step |
//! | momentum correction μ_t = μγ_t/γ_{t−1} restores equality | [`momentum_correction`] | any schedule |
//! | PyTorch/Keras nesterov Θ = θ + μv of look-ahead NAG | [`look_ahead_point`], [`look_ahead_from_pytorch_nesterov`] | constant γ |
//! | NAG = heavy ball + gradient correction −μγ_t(g_t − g_{t−1}) | [`nesterov_gradient_correction`] | any schedule (with μγ_t/γ_{t−1}) |
//! | 1-D quadratic: NAG velocity factor μ(1 − γλ) vs μ | [`nag_velocity_factor`] | per step |
//! | Keras decoupled decay − L2: μγ₁λθ₀ | [`decoupled_weight_decay_difference`] | step 2 (nesterov: step 1) |
//!
//! The oracle wrappers [`WeightDecayed`] (f + (λ/2)‖θ‖²), [`Negated`] (−f) and [`Replay`] (a fixed
//! gradient sequence) let these identities run through the real runner
//! ([`run_with_oracle`](crate::trace::run_with_oracle)); [`compare`] reports the step-by-step
//! difference of two traces, and [`CompareRequest`] is the CLI's `trace --compare`.
//!
//! Closed forms are evaluated in the order written, one rounded operation at a time (the naive
//! model). In floating arithmetic that is not the iteration's order, so a closed form and a trace
//! agree only up to rounding: compare them exactly in ℚ, or through bounds.

use rug::Rational;
use serde_json::{Value, json};

use crate::arith::linalg::Vector;
use crate::arith::{Number, Rounding, Scalar};
use crate::error::{Error, Result};
use crate::optim::{OptimizerConfig, Schedule};
use crate::problem::Oracle;
use crate::trace::{self, ArithmeticVisitor, Outcome, RunOptions, Trace};

// ---------------------------------------------------------------------------------------------
// Unrolled buffers
// ---------------------------------------------------------------------------------------------

/// The weight `μ^age` with which a gradient `age` steps old enters an undampened momentum buffer.
///
/// Derivation: unrolling `b_t = μb_{t−1} + g_t` from `b_0 = 0` gives `b_t = Σ_{s=1..t} μ^{t−s} g_s`
/// (induction: `μ Σ_{s<t} μ^{t−1−s} g_s + g_t`), so `g_{t−age}` carries `μ^age`. Computed as a
/// product of `age` factors.
pub fn gradient_weight<S: Scalar>(momentum: &S, age: usize) -> S {
    (0..age).fold(S::one(), |w, _| w * momentum)
}

/// The effective memory `Σ_{s≥0} μ^s = 1/(1 − μ)`: the total weight a constant gradient
/// accumulates (a constant gradient g drives the buffer to `g/(1 − μ)`, an effective learning rate
/// `γ/(1 − μ)`; DESIGN.md, "Unrolled buffer"). `None` unless `|μ| < 1`, where the geometric series
/// converges.
///
/// The finite sums are `Σ_{s<t} μ^s = (1 − μ^t)/(1 − μ)`, so the buffer after t equal gradients
/// falls short of its limit by exactly `μ^t g/(1 − μ)`.
pub fn effective_memory<S: Scalar>(momentum: &S) -> Option<S> {
    (momentum.abs() < S::one()).then(|| S::one() / &(S::one() - momentum))
}

/// The weights of `g_1, …, g_t` in PyTorch's buffer `b_t`: `μ^{t−1}` for `g_1`, and
/// `(1 − τ)μ^{t−s}` for `g_s`, s ≥ 2.
///
/// Derivation (the first-step quirk): PyTorch sets `b_1 = g_1` — a copy, dampening *not* applied
/// (`torch/optim/sgd.py`, `_single_tensor_sgd`: `buf = torch.clone(grad)` when the buffer is
/// `None`) — and `b_s = μb_{s−1} + (1 − τ)g_s` afterwards. By induction,
/// `b_t = μ^{t−1} g_1 + (1 − τ) Σ_{s=2..t} μ^{t−s} g_s`. With τ = 0 every weight is `μ^{t−s}`.
pub fn buffer_weights<S: Scalar>(momentum: &S, dampening: &S, t: usize) -> Vec<S> {
    let one_minus_tau = S::one() - dampening;
    // powers[j] = μ^j, for j = 0..t−1.
    let powers: Vec<S> = std::iter::successors(Some(S::one()), |p| Some(p.clone() * momentum))
        .take(t)
        .collect();
    (1..=t)
        .map(|s| {
            let w = powers[t - s].clone();
            if s == 1 { w } else { w * &one_minus_tau }
        })
        .collect()
}

/// PyTorch's momentum buffer after the gradients `g_1, …, g_t`, in closed form:
/// `b_t = μ^{t−1} g_1 + (1 − τ) Σ_{s=2..t} μ^{t−s} g_s` (see [`buffer_weights`]); with τ = 0,
/// `b_t = Σ_{s=1..t} μ^{t−s} g_s`. `None` for an empty sequence (PyTorch has no buffer yet).
///
/// Evaluated as the explicit weighted sum — not the recurrence — so that comparing it with a
/// trace's buffer checks the iteration against its unrolled form.
///
/// # Panics
/// Panics if the gradients have different lengths.
pub fn unrolled_buffer<S: Scalar>(
    gradients: &[S::Vector],
    momentum: &S,
    dampening: &S,
) -> Option<S::Vector> {
    let mut b = S::Vector::zeros(gradients.first()?.len());
    for (w, g) in buffer_weights(momentum, dampening, gradients.len())
        .iter()
        .zip(gradients)
    {
        b.axpy(w, g, Rounding::Naive);
    }
    Some(b)
}

/// The Sutskever velocity after steps `(γ_1, g_1), …, (γ_t, g_t)`, in closed form:
/// `v_t = −Σ_{s=1..t} μ^{t−s} γ_s g_s`; under a constant γ, `v_t = −γ Σ μ^{t−s} g_s`. `None` for an
/// empty sequence (`v_0 = 0`, of a dimension the caller knows).
///
/// Derivation: from `v_0 = 0` and `v_s = μv_{s−1} − γ_s g_s` (Sutskever et al. 2013, eq. (1)), by
/// induction `v_t = μ(−Σ_{s<t} μ^{t−1−s}γ_s g_s) − γ_t g_t`.
///
/// # Panics
/// Panics if the gradients have different lengths.
pub fn unrolled_velocity<S: Scalar>(steps: &[(S, S::Vector)], momentum: &S) -> Option<S::Vector> {
    let t = steps.len();
    let mut v = S::Vector::zeros(steps.first()?.1.len());
    for (s, (lr, g)) in steps.iter().enumerate() {
        // Step s + 1 of t: weight −μ^{t−(s+1)} γ_{s+1}.
        let w = -(gradient_weight(momentum, t - 1 - s) * lr);
        v.axpy(&w, g, Rounding::Naive);
    }
    Some(v)
}

// ---------------------------------------------------------------------------------------------
// Sutskever ⇔ PyTorch, and what a schedule does to it
// ---------------------------------------------------------------------------------------------

/// The Sutskever velocity that corresponds to PyTorch's buffer: `v = −γ b`.
///
/// Derivation (DESIGN.md, "Sutskever ⇔ PyTorch"; constant γ, τ = 0): `v_1 = −γg_1 = −γb_1`, and if
/// `v_{t−1} = −γb_{t−1}` then `v_t = μv_{t−1} − γg_t = −γ(μb_{t−1} + g_t) = −γb_t`. Both then take
/// the same step: `θ + v_t = θ − γb_t`; nesterov `θ + μv_t − γg_t = θ − γ(g_t + μb_t)`.
pub fn sutskever_velocity<S: Scalar>(buffer: &S::Vector, learning_rate: &S) -> S::Vector {
    let mut v = buffer.clone();
    v.scale(&-learning_rate.clone());
    v
}

/// The momentum correction `μ_t = μ·(γ_t/γ_{t−1})`, or `None` when `γ_{t−1} = 0`.
///
/// With it, the Sutskever iteration `v_t = μ_t v_{t−1} − γ_t g_t` equals PyTorch's under any
/// schedule. Derivation: if `v_{t−1} = −γ_{t−1} b_{t−1}`, then
/// `v_t = μ(γ_t/γ_{t−1})(−γ_{t−1} b_{t−1}) − γ_t g_t = −γ_t(μb_{t−1} + g_t) = −γ_t b_t`, so the
/// invariant `v = −γb` of [`sutskever_velocity`] survives the change of rate, and the steps agree
/// as there. Goyal et al. (2017), *Accurate, Large Minibatch SGD*, §3 name the ratio "momentum
/// correction". The ratio is formed first, so that a constant schedule gives exactly μ in every
/// arithmetic (as [`crate::optim::keras`] applies it).
pub fn momentum_correction<S: Scalar>(
    momentum: &S,
    learning_rate: &S,
    previous_learning_rate: &S,
) -> Option<S> {
    (!previous_learning_rate.is_zero())
        .then(|| momentum.clone() * &(learning_rate.clone() / previous_learning_rate))
}

/// `θ^PyTorch_t − θ^Sutskever_t` at a step t whose two runs enter with equal states — the first
/// step after a learning-rate change, when the rate was constant before:
/// `−μ(γ_t − γ_{t−1}) b_{t−1}`, and `−μ²(γ_t − γ_{t−1}) b_{t−1}` for the nesterov forms (PyTorch
/// `nesterov=True` against Keras nesterov).
///
/// Derivation. Equal states: the same `θ_{t−1}`, and `v_{t−1} = −γ_{t−1} b_{t−1}` (which holds
/// through steps of constant rate, [`sutskever_velocity`]); both query `g_t = ∇f(θ_{t−1})`.
///
/// * plain: PyTorch `θ_{t−1} − γ_t(μb_{t−1} + g_t)`; Sutskever
///   `θ_{t−1} + μv_{t−1} − γ_t g_t = θ_{t−1} − μγ_{t−1}b_{t−1} − γ_t g_t`. The `g_t` terms cancel:
///   the difference is `−μγ_t b_{t−1} + μγ_{t−1} b_{t−1} = −μ(γ_t − γ_{t−1}) b_{t−1}`.
/// * nesterov: PyTorch `θ_{t−1} − γ_t(g_t + μ(μb_{t−1} + g_t))`; Keras, with
///   `v_t = μv_{t−1} − γ_t g_t`, `θ_{t−1} + μv_t − γ_t g_t = θ_{t−1} − μ²γ_{t−1}b_{t−1} − (1 + μ)γ_t g_t`.
///   The difference is `−μ²(γ_t − γ_{t−1}) b_{t−1}`.
///
/// Check (the hand-derived run of `tests/optimizers.rs`): f = x²/2, x₀ = 1, μ = 1/2,
/// γ_k = 2^{−k}: PyTorch θ₂ = 1/4, Sutskever θ₂ = 1/8, b₁ = g₁ = 1, and
/// `−(1/2)(1/4 − 1/2)·1 = 1/8 = 1/4 − 1/8`.
///
/// The derivation uses nothing but the entering states, so it also holds one step at a time at
/// *any* step: from PyTorch's `(θ_{t−1}, b_{t−1})` and the Sutskever state
/// `(θ_{t−1}, −γ_{t−1}b_{t−1})` it stands for, one step of each lands this far apart.
///
/// Read as buffers: Sutskever's implied buffer `−v_t/γ_t = μ(γ_{t−1}/γ_t) b_{t−1} + g_t` is
/// PyTorch's with the old buffer rescaled by `γ_{t−1}/γ_t`; [`momentum_correction`] undoes that.
pub fn schedule_breakage<S: Scalar>(
    previous_buffer: &S::Vector,
    momentum: &S,
    learning_rate: &S,
    previous_learning_rate: &S,
    nesterov: bool,
) -> S::Vector {
    let mut c = -(momentum.clone() * &(learning_rate.clone() - previous_learning_rate));
    if nesterov {
        c *= momentum;
    }
    let mut d = previous_buffer.clone();
    d.scale(&c);
    d
}

// ---------------------------------------------------------------------------------------------
// Nesterov forms
// ---------------------------------------------------------------------------------------------

/// The look-ahead point `Θ = θ + μv` of Nesterov's method in look-ahead form.
///
/// Which sequence each form stores: look-ahead NAG ([`crate::optim::nag::Nag`]) stores the iterate
/// `θ_k` and the velocity `v_k`, and queries `y_k = θ_{k−1} + μv_{k−1}`; predictor–corrector NAG
/// stores the same `x_k = θ_k` and `x_{k−1}`; PyTorch's and Keras's `nesterov=True` store
/// `Θ_k = θ_k + μv_k = y_{k+1}` — the point the *next* gradient is taken at — and query at their
/// own iterate (Bengio, Boulanger-Lewandowski & Pascanu 2013, §3.5).
///
/// Derivation (constant γ, τ = 0): suppose `Θ_{k−1} = θ_{k−1} + μv_{k−1} = y_k` and
/// `v_{k−1} = −γb_{k−1}` (true for k = 1: `v_0 = 0`, `Θ_0 = θ_0`). Both query `g_k = ∇f(y_k)`. NAG:
/// `v_k = μv_{k−1} − γg_k = −γ(μb_{k−1} + g_k) = −γb_k`, and
/// `θ_k + μv_k = y_k − μv_{k−1} + (1 + μ)v_k = y_k + μ²v_{k−1} − (1 + μ)γg_k`; PyTorch:
/// `Θ_k = y_k − γ(g_k + μ(μb_{k−1} + g_k)) = y_k − (1 + μ)γg_k + μ²v_{k−1}`. Equal.
pub fn look_ahead_point<S: Scalar>(
    params: &S::Vector,
    velocity: &S::Vector,
    momentum: &S,
) -> S::Vector {
    let mut y = params.clone();
    y.axpy(momentum, velocity, Rounding::Naive);
    y
}

/// The look-ahead NAG state `(θ, v)` that PyTorch's nesterov state `(Θ, b)` stands for, at a
/// constant γ: `v = −γb` and `θ = Θ − μv` (the inverse of [`look_ahead_point`]).
pub fn look_ahead_from_pytorch_nesterov<S: Scalar>(
    params: &S::Vector,
    buffer: &S::Vector,
    momentum: &S,
    learning_rate: &S,
) -> (S::Vector, S::Vector) {
    let v = sutskever_velocity::<S>(buffer, learning_rate);
    let mut theta = params.clone();
    theta.axpy(&-momentum.clone(), &v, Rounding::Naive);
    (theta, v)
}

/// One step of Nesterov's method written as heavy ball plus a gradient correction, on the sequence
/// of query points `Θ` (PyTorch's nesterov iterates): returns `Θ_k − Θ_{k−1}`,
///
/// `Θ_k − Θ_{k−1} = μ(γ_k/γ_{k−1})(Θ_{k−1} − Θ_{k−2}) − γ_k g_k − μγ_k(g_k − g_{k−1})`,
///
/// where `g_k = ∇f(Θ_{k−1})` and `previous = (Θ_{k−1} − Θ_{k−2}, g_{k−1}, γ_{k−1})`; for the first
/// step (`previous = None`) it is `−(1 + μ)γ_1 g_1`. `None` when `γ_{k−1} = 0`.
///
/// Heavy ball on the same sequence is the first two terms; the third is the "gradient correction"
/// that Shi, Du, Jordan & Su identify in NAG-SC (*Understanding the acceleration phenomenon via
/// high-resolution differential equations*, Math. Program., 2021; arXiv:1810.08907, §1:
/// `x_{k+1} = x_k + α(x_k − x_{k−1}) − s∇f(x_k) − αs(∇f(x_k) − ∇f(x_{k−1}))`). The ratio
/// `γ_k/γ_{k−1}` extends their constant-step form to schedules, exactly for PyTorch's iteration.
///
/// Derivation: PyTorch nesterov is `Θ_k − Θ_{k−1} = −γ_k(g_k + μb_k)` with `b_k = μb_{k−1} + g_k`.
/// Step k − 1 gives `μb_{k−1} = −(Θ_{k−1} − Θ_{k−2})/γ_{k−1} − g_{k−1}`, so
/// `−γ_kμb_k = −μγ_k g_k − γ_kμ·μb_{k−1} = −μγ_k g_k + μ(γ_k/γ_{k−1})(Θ_{k−1} − Θ_{k−2}) + μγ_k g_{k−1}`.
/// For k = 1, `b_1 = g_1` gives `−γ_1(1 + μ)g_1` (the formula with `Θ_0 − Θ_{−1} = 0`, `g_0 = 0`).
pub fn nesterov_gradient_correction<S: Scalar>(
    previous: Option<(&S::Vector, &S::Vector, &S)>,
    gradient: &S::Vector,
    momentum: &S,
    learning_rate: &S,
) -> Option<S::Vector> {
    let r = Rounding::Naive;
    let minus_lr = -learning_rate.clone();
    let mut step = S::Vector::zeros(gradient.len());
    // −γ_k g_k − μγ_k g_k
    step.axpy(&(minus_lr.clone() * &(S::one() + momentum)), gradient, r);
    if let Some((displacement, previous_gradient, previous_lr)) = previous {
        let ratio = momentum_correction(momentum, learning_rate, previous_lr)?;
        step.axpy(&ratio, displacement, r);
        // + μγ_k g_{k−1}
        step.axpy(&(momentum.clone() * learning_rate), previous_gradient, r);
    }
    Some(step)
}

/// The factor by which one step of look-ahead NAG multiplies the velocity it inherits, on the
/// 1-D quadratic `f(x) = λ(x − x*)²/2`: `μ(1 − γλ)`; classical momentum's factor is `μ`.
///
/// Derivation: NAG `v_k = μv_{k−1} − γλ(θ_{k−1} + μv_{k−1} − x*) = μ(1 − γλ)v_{k−1} − γλ(θ_{k−1} − x*)`;
/// classical momentum `v_k = μv_{k−1} − γλ(θ_{k−1} − x*)`. The fresh gradient term `−γλ(θ_{k−1} − x*)`
/// is the same; only the inherited velocity is damped, by `1 − γλ` (Sutskever et al. 2013, §2.1,
/// make the same observation per eigen-direction).
pub fn nag_velocity_factor<S: Scalar>(momentum: &S, learning_rate: &S, curvature: &S) -> S {
    momentum.clone() * &(S::one() - &(learning_rate.clone() * curvature))
}

// ---------------------------------------------------------------------------------------------
// Weight decay
// ---------------------------------------------------------------------------------------------

/// Keras's decoupled weight decay minus Sutskever momentum on `f + (λ/2)‖θ‖²`, at the first step
/// where they differ: `μγ₁λθ₀` — at step 2 for plain momentum, at step 1 for Keras nesterov; they
/// never differ when `μ = 0` (decoupled and coupled decay are the same for plain SGD).
///
/// Derivation (plain). Decoupled (Keras): `θ ← θ − γλθ`, then `v_k = μv_{k−1} − γ_k ∇f(θ_{k−1})`
/// (gradient before the decay), `θ_k = θ + v_k`. Coupled: `v^c_k = μv^c_{k−1} − γ_k(∇f(θ_{k−1}) + λθ_{k−1})`,
/// `θ_k = θ_{k−1} + v^c_k`. Step 1 gives the same `θ_1 = θ_0 − γ_1λθ_0 − γ_1 g_0` on both sides,
/// but `v_1 = −γ_1 g_0` versus `v^c_1 = v_1 − γ_1λθ_0`. At step 2 the fresh terms
/// `−γ_2(λθ_1 + g_1)` agree again, so the difference is `μ(v_1 − v^c_1) = μγ_1λθ_0`.
/// Nesterov: `θ_1 = θ_0 − γ_1λθ_0 + μv_1 − γ_1 g_0` versus `θ_0 + μv^c_1 − γ_1(g_0 + λθ_0)`;
/// the difference is again `μ(v_1 − v^c_1) = μγ_1λθ_0`, one step earlier.
pub fn decoupled_weight_decay_difference<S: Scalar>(
    x0: &S::Vector,
    momentum: &S,
    first_learning_rate: &S,
    weight_decay: &S,
) -> S::Vector {
    let mut d = x0.clone();
    d.scale(&(momentum.clone() * first_learning_rate * weight_decay));
    d
}

// ---------------------------------------------------------------------------------------------
// Oracle wrappers
// ---------------------------------------------------------------------------------------------

/// The oracle of `f + (λ/2)‖θ‖²` around the oracle of f: gradient `∇f(θ) + λθ`, value
/// `f(θ) + (λ/2)θ·θ`. The gap is `None` (the regularised problem's optimum is not the inner one's).
///
/// The gradient is formed as `g.axpy(λ, θ)` — `g_i ← mul_add(θ_i, λ, g_i)`, skipped when λ = 0 —
/// the same operation in the same order as PyTorch's coupled weight decay, so that PyTorch with λ on f and PyTorch without
/// λ on this oracle are the same computation in every arithmetic, bit for bit in f64.
pub struct WeightDecayed<'a, S: Scalar> {
    inner: Box<dyn Oracle<S> + 'a>,
    weight_decay: S,
    rounding: Rounding,
}

impl<'a, S: Scalar> WeightDecayed<'a, S> {
    /// Wraps `inner` with weight decay λ (rounded once into `S`), under the rounding model of the
    /// run it will serve.
    pub fn new(
        inner: Box<dyn Oracle<S> + 'a>,
        weight_decay: &Rational,
        rounding: Rounding,
    ) -> Self {
        WeightDecayed {
            inner,
            weight_decay: S::from_rational(weight_decay),
            rounding,
        }
    }
}

impl<S: Scalar> Oracle<S> for WeightDecayed<'_, S> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn value(&mut self, x: &S::Vector) -> Result<S> {
        let half = S::from_ratio(1, 2);
        Ok(self.inner.value(x)? + &(self.weight_decay.clone() * &half * &x.dot(x)))
    }
    fn gradient(&mut self, x: &S::Vector) -> Result<S::Vector> {
        let mut g = self.inner.gradient(x)?;
        // Skipped for λ = 0, as PyTorch skips it: adding 0·θ is exact, but a bounded run would
        // still charge it a rounding error.
        if !self.weight_decay.is_zero() {
            g.axpy(&self.weight_decay, x, self.rounding);
        }
        Ok(g)
    }
    fn gap(&mut self, _x: &S::Vector) -> Result<Option<S>> {
        Ok(None)
    }
}

/// The oracle of `−f` around the oracle of f (negation is exact in every arithmetic). The gap is
/// `None`: `−f` of a convex f has no minimum.
pub struct Negated<'a, S: Scalar> {
    inner: Box<dyn Oracle<S> + 'a>,
}

impl<'a, S: Scalar> Negated<'a, S> {
    /// Wraps `inner`.
    pub fn new(inner: Box<dyn Oracle<S> + 'a>) -> Self {
        Negated { inner }
    }
}

impl<S: Scalar> Oracle<S> for Negated<'_, S> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn value(&mut self, x: &S::Vector) -> Result<S> {
        Ok(-self.inner.value(x)?)
    }
    fn gradient(&mut self, x: &S::Vector) -> Result<S::Vector> {
        let mut g = self.inner.gradient(x)?;
        g.negate();
        Ok(g)
    }
    fn gap(&mut self, _x: &S::Vector) -> Result<Option<S>> {
        Ok(None)
    }
}

/// An oracle that replays a fixed gradient sequence: the k-th gradient query returns `g_k`
/// whatever the point (DESIGN.md, "replay" fixtures). It isolates an optimizer's state update from
/// any problem: impulse responses, constant gradients, arbitrary sequences.
#[derive(Clone, Debug)]
pub struct Replay<S: Scalar> {
    gradients: Vec<S::Vector>,
    next: usize,
}

impl<S: Scalar> Replay<S> {
    /// The replay of `gradients` (exact values, rounded once into `S`).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if the gradients have different lengths or none is given.
    pub fn new(gradients: &[Vec<Rational>]) -> Result<Self> {
        let dim = gradients
            .first()
            .ok_or_else(|| Error::dims("replayed gradient sequence", 1, 0))?
            .len();
        if let Some(g) = gradients.iter().find(|g| g.len() != dim) {
            return Err(Error::dims("replayed gradient", dim, g.len()));
        }
        Ok(Replay {
            gradients: gradients
                .iter()
                .map(|g| crate::problem::to_vector::<S>(g))
                .collect(),
            next: 0,
        })
    }
}

impl<S: Scalar> Oracle<S> for Replay<S> {
    fn dim(&self) -> usize {
        self.gradients[0].len()
    }
    fn value(&mut self, _x: &S::Vector) -> Result<S> {
        Err(Error::unsupported(
            "a function value for a replayed gradient sequence",
        ))
    }
    fn gradient(&mut self, _x: &S::Vector) -> Result<S::Vector> {
        let g = self.gradients.get(self.next).cloned().ok_or_else(|| {
            Error::unsupported(format!(
                "gradient {} of a replayed sequence of {}",
                self.next + 1,
                self.gradients.len()
            ))
        })?;
        self.next += 1;
        Ok(g)
    }
    fn gap(&mut self, _x: &S::Vector) -> Result<Option<S>> {
        Ok(None)
    }
}

// ---------------------------------------------------------------------------------------------
// Comparing traces
// ---------------------------------------------------------------------------------------------

/// The difference of two traces' iterates at one step.
#[derive(Clone, Debug, PartialEq)]
pub struct StepDifference<S: Number> {
    /// k.
    pub step: usize,
    /// `x^a_k − x^b_k`.
    pub difference: S::Vector,
    /// `‖x^a_k − x^b_k‖²` (exact in ℚ).
    pub norm_sq: S,
    /// `max_i |x^a_k − x^b_k|_i` (0 in dimension 0).
    pub max_abs: S,
}

/// Two traces compared step by step: see [`compare`].
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison<S: Number> {
    /// The first step k whose iterates differ (as values of `S`: exactly in ℚ; any bit in f64),
    /// or `None` when every compared step agrees.
    pub first_difference: Option<usize>,
    /// Every step recorded in both traces, in order.
    pub steps: Vec<StepDifference<S>>,
}

/// Compares the iterates of two traces at every step recorded in both (a diverged run is compared
/// up to its last step).
///
/// # Errors
/// [`Error::DimensionMismatch`] if the traces' iterates have different dimensions.
pub fn compare<S: Scalar>(a: &Trace<S>, b: &Trace<S>) -> Result<Comparison<S>> {
    if a.x0.len() != b.x0.len() {
        return Err(Error::dims("compared traces", a.x0.len(), b.x0.len()));
    }
    let mut steps = Vec::new();
    for sa in &a.steps {
        let Some(sb) = b.step(sa.step) else { continue };
        let mut difference = sa.iterate.clone();
        difference.sub_assign(&sb.iterate);
        let max_abs = difference
            .to_scalars()
            .iter()
            .map(Number::abs)
            .fold(S::zero(), |m, x| if x > m { x } else { m });
        steps.push(StepDifference {
            step: sa.step,
            norm_sq: difference.dot(&difference),
            max_abs,
            difference,
        });
    }
    let first_difference = steps
        .iter()
        .find(|d| (0..d.difference.len()).any(|i| !d.difference.is_zero_at(i)))
        .map(|d| d.step);
    Ok(Comparison {
        first_difference,
        steps,
    })
}

/// The closed-form prediction for a PyTorch / Sutskever pair under a schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct BreakagePrediction<S: Number> {
    /// The formula for `a − b`, as text.
    pub formula: &'static str,
    /// The first step t ≥ 2 whose learning rate differs from γ_{t−1} (compared in the run's
    /// arithmetic), with the predicted `x^a_t − x^b_t` there; `None` when the rate never changes
    /// in the run, and then the two runs are the same iteration.
    pub first_change: Option<(usize, S::Vector)>,
}

/// How a config takes part in the Sutskever ⇔ PyTorch identity.
enum Side {
    /// PyTorch SGD with τ = 0, λ = 0, no maximize.
    Pytorch { momentum: Rational, nesterov: bool },
    /// Sutskever without momentum correction: Keras (λ = 0, exact learning rate) or heavy ball
    /// (the parameter-only form of the same iteration, plain only).
    Sutskever { momentum: Rational, nesterov: bool },
}

fn side(config: &OptimizerConfig) -> Option<Side> {
    match config {
        OptimizerConfig::Pytorch(p)
            if *p.dampening() == 0 && *p.weight_decay() == 0 && !p.maximize() =>
        {
            Some(Side::Pytorch {
                momentum: p.momentum_value().clone(),
                nesterov: p.nesterov(),
            })
        }
        OptimizerConfig::Keras(k)
            if *k.weight_decay() == 0 && !k.momentum_correction() && !k.float32_learning_rate() =>
        {
            Some(Side::Sutskever {
                momentum: k.momentum_value().clone(),
                nesterov: k.nesterov(),
            })
        }
        OptimizerConfig::HeavyBall(h) => Some(Side::Sutskever {
            momentum: h.momentum_value().clone(),
            nesterov: false,
        }),
        _ => None,
    }
}

/// The prediction of [`schedule_breakage`] for the traces `a` and `b` of the same problem and
/// schedule, when one config is PyTorch SGD (τ = 0, no weight decay, no maximize) and the other is
/// Sutskever momentum without correction (Keras with λ = 0 and an exact learning rate, or heavy
/// ball) with the same μ and the same nesterov flag; `None` for any other pair.
///
/// The prediction is `±(−μ(γ_t − γ_{t−1}) b_{t−1})` (μ² for nesterov) at the first rate change t,
/// signed for `a − b`, with `b_{t−1}` read from the PyTorch trace (zero when μ = 0: both are GD).
pub fn predict_schedule_breakage<S: Scalar>(
    a: (&OptimizerConfig, &Trace<S>),
    b: (&OptimizerConfig, &Trace<S>),
) -> Option<BreakagePrediction<S>> {
    let (sign, momentum, nesterov, torch) = match (side(a.0)?, side(b.0)?) {
        (
            Side::Pytorch { momentum, nesterov },
            Side::Sutskever {
                momentum: m,
                nesterov: n,
            },
        ) if momentum == m && nesterov == n => (1, momentum, nesterov, a.1),
        (
            Side::Sutskever { momentum, nesterov },
            Side::Pytorch {
                momentum: m,
                nesterov: n,
            },
        ) if momentum == m && nesterov == n => (-1, momentum, nesterov, b.1),
        _ => return None,
    };
    let formula = match (nesterov, sign) {
        (false, 1) => "−μ(γ_t − γ_{t−1}) b_{t−1}",
        (false, _) => "μ(γ_t − γ_{t−1}) b_{t−1}",
        (true, 1) => "−μ²(γ_t − γ_{t−1}) b_{t−1}",
        (true, _) => "μ²(γ_t − γ_{t−1}) b_{t−1}",
    };
    let first_change = torch.steps.iter().find_map(|s| {
        let previous = torch.step(s.step.checked_sub(1)?)?;
        if s.learning_rate == previous.learning_rate {
            return None;
        }
        let mu = S::from_rational(&momentum);
        let d = match previous.state_vector("momentum_buffer") {
            Some(buffer) => {
                let mut d = schedule_breakage::<S>(
                    buffer,
                    &mu,
                    &s.learning_rate,
                    &previous.learning_rate,
                    nesterov,
                );
                if sign < 0 {
                    d.negate();
                }
                d
            }
            // μ = 0: no buffer, both sides are gradient descent.
            None => S::Vector::zeros(torch.x0.len()),
        };
        Some((s.step, d))
    });
    Some(BreakagePrediction {
        formula,
        first_change,
    })
}

/// The CLI's `trace --compare`: two optimizers on the same problem, schedule, initial point and
/// arithmetic, compared step by step ([`compare`]), with the closed-form prediction
/// ([`predict_schedule_breakage`]) when the pair is PyTorch against uncorrected Sutskever.
#[derive(Clone, Debug)]
pub struct CompareRequest<'a> {
    /// The first optimizer's run (its `options.keep_every` selects the printed steps).
    pub run: trace::RunRequest<'a>,
    /// The second optimizer.
    pub other: &'a OptimizerConfig,
}

impl ArithmeticVisitor for CompareRequest<'_> {
    type Output = Result<Value>;
    fn visit<S: Scalar>(self, rounding: Rounding) -> Self::Output {
        let r = &self.run;
        // Every step is needed for the prediction (b_{t−1} next to step t); `keep_every` only
        // thins what is printed.
        let options = RunOptions {
            rounding,
            keep_every: 1,
            ..r.options.clone()
        };
        let run = |o: &OptimizerConfig| {
            trace::run::<S>(r.problem, o, r.schedule, r.x0, r.steps, &options)
        };
        let (ta, tb) = (run(r.optimizer)?, run(self.other)?);
        let comparison = compare(&ta, &tb)?;
        let prediction = predict_schedule_breakage((r.optimizer, &ta), (self.other, &tb));
        let keep = r.options.keep_every.max(1);
        Ok(comparison_to_json(
            (&ta, &tb),
            &comparison,
            prediction.as_ref(),
            |k| {
                k % keep == 0
                    || k == r.steps
                    || Some(k) == comparison.first_difference
                    || prediction
                        .as_ref()
                        .and_then(|p| p.first_change.as_ref())
                        .is_some_and(|(t, _)| *t == k)
            },
        ))
    }
}

/// The comparison as JSON: both specs, the shared problem, schedule and arithmetic, the first
/// differing step (or `null`), the per-step differences (numbers as [`Number::to_json`] writes
/// them) for the steps `print` selects, and the prediction (or `null`).
pub fn comparison_to_json<S: Number>(
    (a, b): (&Trace<S>, &Trace<S>),
    comparison: &Comparison<S>,
    prediction: Option<&BreakagePrediction<S>>,
    print: impl Fn(usize) -> bool,
) -> Value {
    let vec_json =
        |v: &S::Vector| Value::Array(v.to_scalars().iter().map(Number::to_json).collect());
    let outcome = |t: &Trace<S>| match &t.outcome {
        Outcome::Completed => json!({ "status": "completed" }),
        Outcome::Diverged { step, what } => {
            json!({ "status": "diverged", "step": step, "what": what })
        }
    };
    let steps: Vec<Value> = comparison
        .steps
        .iter()
        .filter(|d| print(d.step))
        .map(|d| {
            json!({
                "k": d.step,
                "difference": vec_json(&d.difference),
                "norm_sq": d.norm_sq.to_json(),
                "max_abs": d.max_abs.to_json(),
            })
        })
        .collect();
    let prediction = prediction.map_or(Value::Null, |p| {
        let (step, difference, matches) = match &p.first_change {
            None => (Value::Null, Value::Null, Value::Null),
            Some((t, d)) => {
                let actual = comparison.steps.iter().find(|s| s.step == *t);
                // Only exact arithmetic can confirm the prediction by equality; in floating
                // arithmetic both sides carry rounding, and the user reads the two numbers.
                let matches = match actual {
                    Some(s) if S::EXACT => Value::Bool(s.difference == *d),
                    _ => Value::Null,
                };
                (json!(t), vec_json(d), matches)
            }
        };
        json!({
            "formula": p.formula,
            "first_lr_change": step,
            "difference": difference,
            "matches_exactly": matches,
        })
    });
    json!({
        "generator": format!("momentum-oracle {}", env!("CARGO_PKG_VERSION")),
        "problem": a.problem,
        "schedule": a.schedule,
        "arithmetic": a.arithmetic,
        "rounding": a.rounding.name(),
        "optimizers": [a.optimizer, b.optimizer],
        "outcomes": [outcome(a), outcome(b)],
        "first_difference": comparison.first_difference,
        "steps": steps,
        "prediction": prediction,
    })
}

/// The first step t ≥ 2 with `γ_t ≠ γ_{t−1}`, decided exactly where the schedule is rational
/// ([`Schedule::changes_at`]), searched up to `steps`.
pub fn first_rate_change(schedule: &Schedule, steps: usize) -> Option<usize> {
    (2..=steps).find(|&k| schedule.changes_at(k))
}
