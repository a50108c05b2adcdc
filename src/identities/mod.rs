//! Closed forms and conventions mapped onto each other: when two conventions are the same
//! optimizer, and exactly how they differ when they are not.
//!
//! Every function is generic over [`Scalar`](crate::arith::Scalar): in ℚ the identities below hold with equality (the
//! test suites check them with `assert_eq!`), in floating arithmetic they hold up to rounding, and
//! with [`Bounded`](crate::arith::bounded::Bounded) values the rounding is enclosed by a derived bound.
//! Each formula states its source or its derivation. Notation as in docs/design.md, "Glossary": γ_t the learning
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
//! The oracle wrappers that let these identities run through the real runner (weight decay and
//! maximize as changes of objective, a replayed gradient sequence) live in
//! [`crate::problem::wrappers`]; the step-by-step comparison of two traces in [`crate::compare`].
//!
//! | file | identities |
//! |---|---|
//! | [`unrolled`] | unrolled buffers and velocities, gradient weights, effective memory |
//! | [`conventions`] | Sutskever ⇔ PyTorch, schedule breakage, momentum correction, decoupled decay |
//! | [`nesterov`] | look-ahead, PyTorch's stored point, NAG as heavy ball plus a correction |
//!
//! Closed forms are evaluated in the order written, one rounded operation at a time (the naive
//! model). In floating arithmetic that is not the iteration's order, so a closed form and a trace
//! agree only up to rounding: compare them exactly in ℚ, or through bounds.

pub mod conventions;
pub mod nesterov;
pub mod unrolled;

pub use conventions::{
    decoupled_weight_decay_difference, momentum_correction, schedule_breakage, sutskever_velocity,
};
pub use nesterov::{
    look_ahead_from_pytorch_nesterov, look_ahead_point, nag_velocity_factor,
    nesterov_gradient_correction,
};
pub use unrolled::{
    buffer_weights, effective_memory, gradient_weight, unrolled_buffer, unrolled_velocity,
};
