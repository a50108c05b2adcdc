//! Sutskever ⇔ PyTorch: when the two conventions are one optimizer, and exactly how a schedule or
//! decoupled weight decay makes them differ.

use crate::arith::Scalar;
use crate::arith::linalg::Vector;

pub use crate::optim::keras::momentum_correction;

/// The Sutskever velocity that corresponds to PyTorch's buffer: `v = −γ b`.
///
/// Derivation (docs/design.md, "Sutskever ⇔ PyTorch"; constant γ, τ = 0): `v_1 = −γg_1 = −γb_1`, and if
/// `v_{t−1} = −γb_{t−1}` then `v_t = μv_{t−1} − γg_t = −γ(μb_{t−1} + g_t) = −γb_t`. Both then take
/// the same step: `θ + v_t = θ − γb_t`; nesterov `θ + μv_t − γg_t = θ − γ(g_t + μb_t)`.
pub fn sutskever_velocity<S: Scalar>(buffer: &S::Vector, learning_rate: &S) -> S::Vector {
    let mut v = buffer.clone();
    v.scale(&-learning_rate.clone());
    v
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
/// Check (the hand-derived run of `tests/it/optimizers.rs`): f = x²/2, x₀ = 1, μ = 1/2,
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
