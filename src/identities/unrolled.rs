//! Unrolled momentum buffers and velocities: the recurrences written as explicit weighted sums.

use crate::arith::linalg::Vector;
use crate::arith::{Rounding, Scalar};

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
/// `γ/(1 − μ)`; docs/design.md, "Unrolled buffer"). `None` unless `|μ| < 1`, where the geometric series
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
    for (s, (learning_rate, g)) in steps.iter().enumerate() {
        // Step s + 1 of t: weight −μ^{t−(s+1)} γ_{s+1}.
        let w = -(gradient_weight(momentum, t - 1 - s) * learning_rate);
        v.axpy(&w, g, Rounding::Naive);
    }
    Some(v)
}
