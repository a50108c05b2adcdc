//! Nesterov's method in its several forms: look-ahead, PyTorch's stored point, heavy ball plus a
//! gradient correction.

use crate::arith::linalg::Vector;
use crate::arith::{Rounding, Scalar};

use super::{momentum_correction, sutskever_velocity};

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
