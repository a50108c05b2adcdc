//! Convergence bounds, each with its source. `R = ‖x₀ − x*‖`, `R²` is passed exactly.
//!
//! Rational bounds are returned as [`Rational`]; bounds with irrational constants (FISTA's `t_k`,
//! OGM's `θ_N`, `√κ`) are generic over the scalar and evaluated in MPFR or f64.

use rug::Rational;
use rug::ops::Pow;

use crate::arith::Scalar;
use crate::error::{Error, Result};

fn pos(name: &'static str, x: &Rational) -> Result<()> {
    if *x <= 0 {
        return Err(Error::hyper(
            name,
            crate::arith::text::format(x),
            "must be positive",
        ));
    }
    Ok(())
}

/// Gradient descent with a constant step γ ≤ 1/L on a convex L-smooth function:
/// `f(x_k) − f* ≤ R²/(2γk)`, i.e. `L R²/(2hk)` for γ = h/L.
///
/// Source: Nesterov, *Introductory Lectures on Convex Optimization* (2004), Cor. 2.1.2 (γ = 1/L:
/// `2L R²/(k+4)`); the form `R²/(2γk)` is the telescoped-sum argument of Beck & Teboulle (2009),
/// Thm 3.1, for any γ ≤ 1/L. (For h < 1 the bound `L R²/(2k)` does not hold in general: the tight
/// worst case [`gd_tight`] exceeds it, e.g. h = 1/10, k = 10.)
///
/// # Errors
/// [`Error::InvalidHyperParameter`] for γ ≤ 0 or k = 0.
pub fn gd(r2: &Rational, learning_rate: &Rational, k: usize) -> Result<Rational> {
    pos("learning_rate", learning_rate)?;
    if k == 0 {
        return Err(Error::hyper("k", 0, "bounds start at step 1"));
    }
    Ok(Rational::from(
        r2 / (Rational::from(2 * k as u64) * learning_rate),
    ))
}

/// The tight worst case of gradient descent with step h/L, 0 < h ≤ 1, after N steps:
/// `L R²/(4Nh + 2)`, attained by the Huber-like function of [`crate::problem`]'s Huber family.
///
/// Source: Drori & Teboulle, *Performance of first-order methods for smooth convex minimization:
/// a novel approach*, Math. Program. 145 (2014), Thm 3.1 and Thm 3.2.
pub fn gd_tight(l: &Rational, r2: &Rational, h: &Rational, n: usize) -> Rational {
    let den = Rational::from(4 * n as u64) * h + 2u32;
    Rational::from(l * r2) / den
}

/// The tight worst case for 0 < h < 2: `(L R²/2)·max{1/(2Nh + 1), (1 − h)^{2N}}`; the second term
/// is attained by `f = (L/2)‖x‖²` and wins past the crossover.
///
/// Source: Drori & Teboulle (2014), Conjecture 3.1; proved by Teboulle & Vaisbourd (2023) and
/// Rotaru, Glineur & Patrinos (2024) ("Exact worst-case convergence rates of gradient descent").
pub fn gd_tight_long_steps(l: &Rational, r2: &Rational, h: &Rational, n: usize) -> Rational {
    let half = Rational::from(l * r2) / 2u32;
    let huber = Rational::from(&half / (Rational::from(2 * n as u64) * h + 1u32));
    let base = Rational::from(1 - h.clone());
    let quadratic =
        Rational::from(&half * Rational::from(base.pow(2 * u32::try_from(n).unwrap_or(u32::MAX))));
    huber.max(quadratic)
}

/// Per-step contraction factor of gradient descent on an m-strongly convex L-smooth function with
/// step γ ≤ 2/(m + L): `‖x_{k+1} − x*‖² ≤ (1 − 2γmL/(m + L))‖x_k − x*‖²`.
///
/// Source: Nesterov (2004), Thm 2.1.15 (the bound used in its proof, eq. (2.1.24) applied with
/// the co-coercivity inequality (2.1.22)).
pub fn gd_strongly_convex_contraction(
    m: &Rational,
    l: &Rational,
    learning_rate: &Rational,
) -> Rational {
    let ml = Rational::from(m * l);
    let sum = Rational::from(m + l);
    Rational::from(1) - Rational::from(2u32 * Rational::from(learning_rate * &ml)) / sum
}

/// Nesterov/FISTA with the rational momentum `(k−1)/(k+2)` (`t_k = (k+1)/2`):
/// `f(x_k) − f* ≤ L R²/(2t_k²) = 2L R²/(k+1)²`.
///
/// Source: Beck & Teboulle, *A fast iterative shrinkage-thresholding algorithm*, SIAM J. Imaging
/// Sci. 2 (2009), Thm 4.4 (whose proof needs only `t_{k+1}² − t_{k+1} ≤ t_k²` and `t_k ≥ (k+1)/2`).
pub fn nesterov(l: &Rational, r2: &Rational, k: usize) -> Rational {
    let kp1 = Rational::from(k as u64 + 1);
    Rational::from(2u32 * Rational::from(l * r2)) / Rational::from(&kp1 * &kp1)
}

/// The worst case of the `(k−1)/(k+2)` method after N steps as computed numerically by
/// performance estimation: `2L R²/(N² + 5N + 6)`. A *numerical* value, not a theorem: nobody has
/// proved it for every N, so the report never checks a run against it (it checks the theorem
/// [`nesterov`] instead).
///
/// Source: Taylor, Hendrickx & Glineur, *Exact worst-case performance of first-order methods
/// for composite convex optimization*, SIAM J. Optim. 27(3) (2017), Table 1 (numerical PEP
/// values, matched by this formula); attained for every N on a Huber function
/// (`tests/it/rates.rs`), so it is a lower bound on the worst case wherever it is not tight.
pub fn nesterov_tight(l: &Rational, r2: &Rational, n: usize) -> Rational {
    let n = n as u64;
    Rational::from(2u32 * Rational::from(l * r2)) / Rational::from(n * n + 5 * n + 6)
}

/// FISTA's t-sequence bound `L R²/(2t_k²)` in arithmetic `S` (t_k irrational in general).
pub fn fista_t<S: Scalar>(l: &Rational, r2: &Rational, t_k: &S) -> S {
    S::from_rational(&Rational::from(l * r2)) / &(S::from_ratio(2, 1) * t_k * t_k)
}

/// FISTA's t-sequence: `t₁ = 1`, `t_{k+1} = (1 + √(1 + 4t_k²))/2`, as `[t₁, …, t_n]`.
///
/// # Errors
/// [`Error::NotRational`] in exact arithmetic beyond `t₁`.
pub fn t_sequence<S: Scalar>(n: usize) -> Result<Vec<S>> {
    let mut t = Vec::with_capacity(n);
    let mut cur = S::one();
    for k in 1..=n {
        t.push(cur.clone());
        if k < n {
            let inner = S::one() + &(S::from_ratio(4, 1) * &cur * &cur);
            let root = inner.sqrt().ok_or_else(|| Error::NotRational {
                operation: "FISTA's t-sequence",
                detail: format!(" (t_{})", k + 1),
            })?;
            cur = (S::one() + &root) * &S::from_ratio(1, 2);
        }
    }
    Ok(t)
}

/// OGM's θ sequence for N steps: `θ₀ = 1`, `θ_{i+1} = (1 + √(1 + 4θ_i²))/2` for `i < N − 1`,
/// `θ_N = (1 + √(1 + 8θ_{N−1}²))/2`; returns `[θ₀, …, θ_N]`.
///
/// Source: Kim & Fessler, *Optimized first-order methods for smooth convex minimization*,
/// Math. Program. 159 (2016), Algorithm OGM1.
///
/// # Errors
/// [`Error::NotRational`] where a square root leaves ℚ.
pub fn ogm_theta<S: Scalar>(n: usize) -> Result<Vec<S>> {
    let mut th = vec![S::one()];
    for i in 0..n {
        let c = if i + 1 == n { 8 } else { 4 };
        let prev = &th[i];
        let inner = S::one() + &(S::from_ratio(c, 1) * prev * prev);
        let root = inner.sqrt().ok_or_else(|| Error::NotRational {
            operation: "OGM's θ sequence",
            detail: format!(" (θ_{})", i + 1),
        })?;
        th.push((S::one() + &root) * &S::from_ratio(1, 2));
    }
    Ok(th)
}

/// OGM's bound `f(x_N) − f* ≤ L R²/(2θ_N²)` (≤ `L R²/(N+1)²`).
///
/// Source: Kim & Fessler (2016), Thm 2 (eq. (5.2)); optimal by Drori, *The exact information-based
/// complexity of smooth convex minimization*, J. Complexity 39 (2017).
pub fn ogm<S: Scalar>(l: &Rational, r2: &Rational, theta_n: &S) -> S {
    fista_t(l, r2, theta_n)
}

/// Strongly convex Nesterov with constant momentum `(√κ−1)/(√κ+1)` and step 1/L:
/// `f(x_k) − f* ≤ (1 − 1/√κ)^k · (L + m)/2 · R²`, given `√κ` exactly (κ a perfect square).
///
/// Source: Nesterov (2004), Thm 2.2.3 with the constant step scheme (2.2.19): the bound
/// `(1 − √(m/L))^k (f(x₀) − f* + (m/2)R²)`, and `f(x₀) − f* ≤ (L/2)R²`.
pub fn nesterov_strongly_convex(
    l: &Rational,
    m: &Rational,
    r2: &Rational,
    sqrt_kappa: &Rational,
    k: usize,
) -> Rational {
    let rate = Rational::from(1) - sqrt_kappa.clone().recip();
    let scale = Rational::from(Rational::from(l + m) * r2) / 2u32;
    Rational::from(rate.pow(u32::try_from(k).unwrap_or(u32::MAX))) * scale
}

/// The lower bound for any method with the Krylov property on Nesterov's `f_{2k+1}`:
/// `f(x_k) − f* ≥ 3L R²/(32(k+1)²)`.
///
/// Source: Nesterov (2004), Thm 2.1.7.
pub fn lower_bound(l: &Rational, r2: &Rational, k: usize) -> Rational {
    let kp1 = Rational::from(k as u64 + 1);
    Rational::from(3u32 * Rational::from(l * r2)) / (32u32 * Rational::from(&kp1 * &kp1))
}

/// `γ/(1 − μ)`: the effective learning rate of momentum under a constant gradient (the buffer
/// tends to `g/(1 − μ)`).
///
/// # Errors
/// [`Error::InvalidHyperParameter`] unless `0 ≤ μ < 1`.
pub fn effective_learning_rate(learning_rate: &Rational, momentum: &Rational) -> Result<Rational> {
    if *momentum < 0 || *momentum >= 1 {
        return Err(Error::hyper(
            "momentum",
            crate::arith::text::format(momentum),
            "must be in [0, 1)",
        ));
    }
    Ok(Rational::from(
        learning_rate / Rational::from(1 - momentum.clone()),
    ))
}

/// Whether heavy ball with constant learning rate γ and momentum μ is in the parameter range of
/// Ghadimi, Feyzmahdavian & Johansson's O(1/T) bound on the Cesàro average
/// `x̄_T = (x₀ + … + x_T)/(T + 1)` for convex L-smooth functions: `0 ≤ μ < 1` and
/// `0 < γ < 2(1 − μ)/L` (open at `2(1 − μ)/L`, where the second branch's denominator
/// `2(1 − μ) − γL` vanishes). See [`heavy_ball_cesaro`].
///
/// Source: Ghadimi, Feyzmahdavian & Johansson, *Global convergence of the heavy-ball method for
/// convex optimization*, ECC 2015 (arXiv:1412.7457), Thm 1: `β ∈ [0, 1)`, `α ∈ (0, 2(1−β)/L)`.
pub fn heavy_ball_cesaro_in_range(
    learning_rate: &Rational,
    l: &Rational,
    momentum: &Rational,
) -> bool {
    *momentum >= 0
        && *momentum < 1
        && *learning_rate > 0
        && Rational::from(learning_rate * l) < 2u32 * Rational::from(1 - momentum.clone())
}

/// Ghadimi, Feyzmahdavian & Johansson's bound on heavy ball's Cesàro average after T steps
/// (`x̄_T = (x₀ + … + x_T)/(T + 1)`, heavy ball with `x₋₁ = x₀`, constant γ and μ, f convex and
/// L-smooth), with `Δ₀ = f(x₀) − f*` and `R² = ‖x₀ − x*‖²`:
///
/// * `γL ≤ 1 − μ`: `f(x̄_T) − f* ≤ (μ/(1−μ)·Δ₀ + (1−μ)R²/(2γ)) / (T + 1)`;
/// * `1 − μ ≤ γL < 2(1 − μ)`: `f(x̄_T) − f* ≤ (μΔ₀ + (1−μ)²R²/(2γ)) / ((T + 1)(2(1−μ) − γL))`.
///
/// The two agree at `γL = 1 − μ`. Generic over the scalar because `Δ₀` comes from the run (exact in
/// ℚ, an enclosure in bounded arithmetic); the bound is increasing in `Δ₀` (μ ≥ 0), so an
/// enclosure of `Δ₀` gives an enclosure of the bound.
///
/// Source: Ghadimi, Feyzmahdavian & Johansson, ECC 2015 (arXiv:1412.7457), Thm 1, whose statement
/// (as quoted from the paper in the lecture notes we could read; the paper itself was not
/// reachable from here) is the form above with `Δ₀` replaced by its upper bound `LR²/2`:
/// `R²/(2(T+1))·(Lμ/(1−μ) + (1−μ)/γ)` and `R²/(2(T+1)(2(1−μ) − γL))·(Lμ + (1−μ)²/γ)`. The `Δ₀`
/// form is the one the paper's Lyapunov argument gives before that last step; we re-derived it
/// (docs/design.md, "Theory", its item "Heavy ball, convex"), and it is never larger.
///
/// # Errors
/// [`Error::InvalidHyperParameter`] outside [`heavy_ball_cesaro_in_range`] or for L ≤ 0.
pub fn heavy_ball_cesaro<S: Scalar>(
    learning_rate: &Rational,
    momentum: &Rational,
    l: &Rational,
    r2: &Rational,
    initial_gap: &S,
    steps: usize,
) -> Result<S> {
    pos("L", l)?;
    if !heavy_ball_cesaro_in_range(learning_rate, l, momentum) {
        return Err(Error::hyper(
            "learning_rate",
            crate::arith::text::format(learning_rate),
            format!(
                "GFJ 2015's Cesàro bound needs 0 ≤ μ < 1 and 0 < γL < 2(1 − μ) (μ = {}, L = {})",
                crate::arith::text::format(momentum),
                crate::arith::text::format(l)
            ),
        ));
    }
    let one_minus = Rational::from(1 - momentum.clone());
    let h = Rational::from(learning_rate * l);
    let t1 = Rational::from(steps as u64 + 1);
    // (coefficient of Δ₀, constant term), both over the common denominator `den`.
    let (coef, constant, den) = if h <= one_minus {
        (
            Rational::from(momentum / &one_minus),
            Rational::from(&one_minus * r2) / Rational::from(2u32 * learning_rate),
            t1,
        )
    } else {
        let slack = Rational::from(2u32 * &one_minus) - h;
        (
            momentum.clone(),
            Rational::from(Rational::from(&one_minus * &one_minus) * r2)
                / Rational::from(2u32 * learning_rate),
            t1 * slack,
        )
    };
    let scale = S::from_rational(&Rational::from(&coef / &den));
    Ok(scale * initial_gap + &S::from_rational(&Rational::from(&constant / &den)))
}
