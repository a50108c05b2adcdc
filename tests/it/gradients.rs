//! Gradients of every problem family, checked three ways.
//!
//! 1. **Exactly**, where `φ(t) = f(x + t·d)` is a polynomial of degree D on the segment (the
//!    quadratics, the lower-bound function, least squares, each piece of the LRP function,
//!    Rosenbrock with D = 4, the Huber function in its quadratic region and, with D = 1, along e₁ in
//!    its linear region): φ is evaluated in ℚ at the D + 2 nodes t = 0, 1, …, D + 1; the top
//!    divided difference must vanish (φ really has degree ≤ D there, so the segment stayed where
//!    the construction put it) and the interpolant's derivative at 0 — which then *is* φ′(0) —
//!    must equal `⟨∇f(x), d⟩`, with `assert_eq!`.
//! 2. **Central differences in MPFR** where values are irrational (Huber off the axis, logistic
//!    regression), against a bound derived below: Taylor truncation from a bound on φ‴ plus the
//!    rounding of the MPFR oracle at [`FD_BITS`] bits.
//! 3. **f64 against exact**: at f64-representable rational points the f64 gradient is within the
//!    family's own derived bound — through the `Bounded` oracle (`Number::oracle`) for the
//!    quadratic-form families, through `Problem::f64_rounding` for Huber and LRP (and, against
//!    MPFR, for logistic regression).
//!
//! Plus: every spec rebuilds its instance exactly, and a quickcheck property through `Quick<T>`.

use crate::common::q;

use std::fmt::Debug;

use momentum_oracle::arith::bounded::{Bounded, BoundedVec};
use momentum_oracle::arith::linalg::{QVec, Vector, norm_sq, sqrt_upper};
use momentum_oracle::arith::with_mpfr_precision;
use momentum_oracle::generate::{Generated, Quick};
use momentum_oracle::problem::Evaluate;
use momentum_oracle::problem::huber::{HuberProblem, huber};
use momentum_oracle::problem::least_squares::{LeastSquaresProblem, least_squares};
use momentum_oracle::problem::logistic::{LogisticProblem, logistic};
use momentum_oracle::problem::lower_bound::{LowerBoundProblem, lower_bound};
use momentum_oracle::problem::lrp::{LrpProblem, lrp};
use momentum_oracle::problem::quadratic::{QuadraticParams, QuadraticProblem, quadratic};
use momentum_oracle::problem::rosenbrock::{RosenbrockProblem, rosenbrock};
use momentum_oracle::problem::{self, Problem};
use momentum_oracle::spec::Spec;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use rug::{Float, Integer, Rational};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

type Outcome = Result<(), TestCaseError>;

/// `2^k` for any integer k.
fn pow2(k: i32) -> Rational {
    if k >= 0 {
        Rational::from(Integer::from(1) << k.unsigned_abs())
    } else {
        Rational::from((Integer::from(1), Integer::from(1) << k.unsigned_abs()))
    }
}

fn dot(a: &[Rational], b: &[Rational]) -> Rational {
    a.iter()
        .zip(b)
        .fold(Rational::new(), |acc, (x, y)| acc + Rational::from(x * y))
}

fn norm1(a: &[Rational]) -> Rational {
    a.iter()
        .fold(Rational::new(), |acc, x| acc + x.clone().abs())
}

fn along(x: &[Rational], d: &[Rational], t: &Rational) -> Vec<Rational> {
    x.iter()
        .zip(d)
        .map(|(a, b)| a + Rational::from(b * t))
        .collect()
}

fn exact(xs: &[f64]) -> Vec<Rational> {
    xs.iter()
        .map(|x| Rational::from_f64(*x).expect("finite"))
        .collect()
}

/// `Σ (a_i − b_i)²` for an f64 vector against an exact one, exactly.
fn distance_sq(a: &[f64], b: &[Rational]) -> Rational {
    exact(a).iter().zip(b).fold(Rational::new(), |acc, (x, y)| {
        let d = Rational::from(x - y);
        acc + Rational::from(&d * &d)
    })
}

/// `|a − b| ≤ bound`, decided in ℚ.
fn within(a: &Rational, b: &Rational, bound: &Rational) -> bool {
    Rational::from(a - b).abs() <= *bound
}

fn f64_bound(e: f64) -> Rational {
    Rational::from_f64(e).expect("a finite bound")
}

/// Small rationals n/d, n in [−6, 6], d in 1..=3.
fn rationals(n: usize) -> impl Strategy<Value = Vec<Rational>> {
    proptest::collection::vec((-6i64..=6, 1u64..=3).prop_map(|(a, b)| q(a, b)), n)
}

/// f64-representable points: n/2^k with |n| ≤ 2²⁰, k in 0..=20.
fn dyadics(n: usize) -> impl Strategy<Value = Vec<f64>> {
    proptest::collection::vec(
        (-(1i64 << 20)..=(1i64 << 20), 0i32..=20).prop_map(|(m, k)| m as f64 * 2f64.powi(-k)),
        n,
    )
}

/// A non-zero integer vector with entries in [−r, r] (a zero draw becomes e₁).
fn nonzero_ints(n: usize, r: i64) -> impl Strategy<Value = Vec<Rational>> {
    proptest::collection::vec(-r..=r, n).prop_map(|mut v| {
        if v.iter().all(|x| *x == 0) {
            v[0] = 1;
        }
        v.into_iter().map(Rational::from).collect()
    })
}

/// A problem with a point and a direction of small rationals.
fn with_line<P: Problem + Clone + Debug + 'static>(
    s: impl Strategy<Value = P>,
) -> impl Strategy<Value = (P, Vec<Rational>, Vec<Rational>)> {
    s.prop_flat_map(|p| {
        let n = p.dim();
        (Just(p), rationals(n), rationals(n))
    })
}

// ---------------------------------------------------------------------------------------------
// 1. Exact gradients by polynomial interpolation
// ---------------------------------------------------------------------------------------------

/// Newton divided-difference coefficients `c_k` of the polynomial through `(t_k, f_k)`.
fn newton_coefficients(ts: &[Rational], fs: &[Rational]) -> Vec<Rational> {
    let mut c = fs.to_vec();
    for level in 1..ts.len() {
        for k in (level..ts.len()).rev() {
            c[k] = Rational::from(&c[k] - &c[k - 1]) / Rational::from(&ts[k] - &ts[k - level]);
        }
    }
    c
}

/// `p′(0)` for `p(t) = Σ_k c_k Π_{j<k} (t − t_j)` (Horner on value and derivative).
fn derivative_at_zero(ts: &[Rational], c: &[Rational]) -> Rational {
    let (mut v, mut dv) = (c[c.len() - 1].clone(), Rational::new());
    for k in (0..c.len() - 1).rev() {
        let factor = -ts[k].clone();
        dv = dv * &factor + &v;
        v = v * &factor + &c[k];
    }
    dv
}

/// φ(t) = f(x + t·d) has degree ≤ `degree` on t ∈ [0, degree + 1], and φ′(0) = ⟨∇f(x), d⟩.
fn check_polynomial_gradient(
    p: &dyn Problem,
    x: &[Rational],
    d: &[Rational],
    degree: usize,
) -> Outcome {
    let ts: Vec<Rational> = (0..=degree + 1).map(Rational::from).collect();
    let mut oracle = p.exact_oracle().expect("exact family");
    let fs: Vec<Rational> = ts
        .iter()
        .map(|t| {
            oracle
                .value(&QVec::from_scalars(&along(x, d, t)))
                .expect("rational value")
        })
        .collect();
    let c = newton_coefficients(&ts, &fs);
    prop_assert_eq!(
        &c[degree + 1],
        &Rational::new(),
        "f is not a polynomial of degree ≤ {} on the segment",
        degree
    );
    let g = oracle
        .gradient(&QVec::from_scalars(x))
        .expect("rational gradient")
        .to_scalars();
    prop_assert_eq!(derivative_at_zero(&ts, &c), dot(&g, d));
    Ok(())
}

/// An LRP instance, a point on one piece, and a direction along which the nodes x + t·d,
/// t = 0..=3, stay on that piece. Pieces are [lo, hi) with lo/hi = −∞, 1, 2, +∞; the room to a
/// finite end is split so that 3·d uses at most 24/32 of it (the left end belongs to the piece).
fn lrp_segment() -> impl Strategy<Value = (LrpProblem, Vec<Rational>, Vec<Rational>)> {
    (lrp(), 0usize..3, 0i64..=48, 1i64..=8, any::<bool>()).prop_map(
        |(p, piece, j, i, rightwards)| {
            let (x, room_left, room_right) = match piece {
                // x = 1 − u, u in (0, 6]: right room u (strictly below 1), unbounded to the left.
                0 => {
                    let u = q(j + 1, 8);
                    (Rational::from(1) - &u, q(4, 1), u)
                }
                // x = 1 + j/16 in [1, 2): room x − 1 to the left, 2 − x to the right.
                1 => {
                    let u = q(j % 16, 16);
                    (Rational::from(1) + &u, u.clone(), Rational::from(1) - u)
                }
                // x = 2 + u, u in [0, 6]: left room u, unbounded to the right.
                _ => {
                    let u = q(j, 8);
                    (Rational::from(2) + &u, u, q(4, 1))
                }
            };
            // Without room on the chosen side, go the other way.
            let rightwards = rightwards || room_left == 0;
            let d = if rightwards {
                room_right * q(i, 32)
            } else {
                -(room_left * q(i, 32))
            };
            (p, vec![x], vec![d])
        },
    )
}

/// A Huber instance with a point and direction whose nodes x + t·d, t = 0..=3, lie strictly inside
/// the ball ‖x‖ < ρ: ‖x‖ ≤ ‖x‖₁ ≤ ρ/2 and ‖3d‖ ≤ 3ρ/8.
fn huber_quadratic_segment() -> impl Strategy<Value = (HuberProblem, Vec<Rational>, Vec<Rational>)>
{
    huber().prop_flat_map(|p| {
        let n = p.dim();
        (Just(p), rationals(n), rationals(n)).prop_map(|(p, v, w)| {
            let rho = p.kink_radius().expect("rational scale");
            let scale = |u: &[Rational], k: u32| {
                let m = norm1(u).max(Rational::from(1));
                let s = &rho / (m * k);
                u.iter().map(|a| Rational::from(a * &s)).collect::<Vec<_>>()
            };
            let (x, d) = (scale(&v, 2), scale(&w, 8));
            (p, x, d)
        })
    })
}

/// A Huber instance with x = s·e₁, |s| = ρ(1 + j/8), and d along e₁, such that the nodes
/// t = 0..=2 stay in the linear region ‖x‖ ≥ ρ on the same side of 0: outwards freely, inwards
/// by at most 24/32 of the room ρj/8.
fn huber_axis_segment() -> impl Strategy<Value = (HuberProblem, Vec<Rational>, Vec<Rational>)> {
    (huber(), 0i64..=32, 1i64..=8, any::<bool>(), any::<bool>()).prop_map(
        |(p, j, i, negative, inwards)| {
            let rho = p.kink_radius().expect("rational scale");
            let sign = Rational::from(if negative { -1 } else { 1 });
            let s = (&rho * q(8 + j, 8)) * &sign;
            let delta = if inwards && j > 0 {
                -((&rho * q(j, 8)) * q(i, 32) * &sign)
            } else {
                (&rho * q(i, 8)) * &sign
            };
            let n = p.dim();
            let (mut x, mut d) = (vec![Rational::new(); n], vec![Rational::new(); n]);
            x[0] = s;
            d[0] = delta;
            (p, x, d)
        },
    )
}

proptest! {
    #![proptest_config(crate::common::config("gradients", 256))]

    #[test]
    fn quadratic_gradient_is_the_exact_derivative_along_any_line(
        (p, x, d) in with_line(quadratic(QuadraticParams::default()))
    ) {
        check_polynomial_gradient(&p, &x, &d, 2)?;
    }

    #[test]
    fn lower_bound_gradient_is_the_exact_derivative_along_any_line(
        (p, x, d) in with_line(lower_bound(8))
    ) {
        check_polynomial_gradient(&p, &x, &d, 2)?;
    }

    #[test]
    fn least_squares_gradient_is_the_exact_derivative_along_any_line(
        (p, x, d) in with_line(least_squares())
    ) {
        check_polynomial_gradient(&p, &x, &d, 2)?;
    }

    #[test]
    fn rosenbrock_gradient_is_the_exact_derivative_of_the_quartic(
        (p, x, d) in with_line(rosenbrock())
    ) {
        check_polynomial_gradient(&p, &x, &d, 4)?;
    }

    #[test]
    fn lrp_gradient_is_the_exact_derivative_inside_each_piece((p, x, d) in lrp_segment()) {
        check_polynomial_gradient(&p, &x, &d, 2)?;
    }

    #[test]
    fn huber_gradient_is_the_exact_derivative_in_the_quadratic_region(
        (p, x, d) in huber_quadratic_segment()
    ) {
        check_polynomial_gradient(&p, &x, &d, 2)?;
    }

    #[test]
    fn huber_gradient_is_the_exact_slope_along_e1_in_the_linear_region(
        (p, x, d) in huber_axis_segment()
    ) {
        check_polynomial_gradient(&p, &x, &d, 1)?;
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Central differences in MPFR with a derived bound
// ---------------------------------------------------------------------------------------------

/// MPFR precision of the finite-difference checks.
const FD_BITS: u32 = 1024;

/// The step h = 2⁻⁶⁴: truncation ~h² ≈ 2⁻¹²⁸, rounding ~2^−FD_BITS/h ≈ 2⁻⁹⁶⁰.
fn fd_step() -> Rational {
    pow2(-64)
}

/// u = 2^−FD_BITS, the unit roundoff of MPFR at FD_BITS (round to nearest).
fn mpfr_unit() -> Rational {
    pow2(-(FD_BITS as i32))
}

/// The points are dyadic with far fewer than FD_BITS significant bits, so they enter MPFR exactly
/// (checked): the only roundings are the oracle's own.
fn to_mpfr(x: &[Rational]) -> Result<Vec<Float>, TestCaseError> {
    let v: Vec<Float> = x.iter().map(|a| Float::with_val(FD_BITS, a)).collect();
    for (f, a) in v.iter().zip(x) {
        prop_assert_eq!(
            &f.to_rational().expect("finite"),
            a,
            "point not exact in MPFR"
        );
    }
    Ok(v)
}

fn mpfr_exact(v: &Float) -> Rational {
    v.to_rational().expect("finite MPFR value")
}

/// `(f(x + hd), f(x − hd), ∇f(x))` from the MPFR oracle at FD_BITS, as exact rationals.
fn mpfr_evaluations(
    p: &dyn Problem,
    x: &[Rational],
    d: &[Rational],
) -> Result<(Rational, Rational, Vec<Rational>), TestCaseError> {
    let h = fd_step();
    with_mpfr_precision(FD_BITS, || {
        let mut oracle = p.mpfr_oracle().expect("MPFR oracle");
        let plus = to_mpfr(&along(x, d, &h))?;
        let minus = to_mpfr(&along(x, d, &-h.clone()))?;
        let fp = mpfr_exact(&oracle.value(&plus).expect("value"));
        let fm = mpfr_exact(&oracle.value(&minus).expect("value"));
        let g = oracle.gradient(&to_mpfr(x)?).expect("gradient");
        Ok((fp, fm, g.iter().map(mpfr_exact).collect()))
    })
}

/// Asserts `|(F₊ − F₋)/(2h) − ⟨ĝ, d⟩| ≤ (h²/6)M₃ + δ_f/h + δ_g`, decided in ℚ, where
/// * central differences: φ(±h) = φ(0) ± hφ′(0) + (h²/2)φ″(0) ± (h³/6)φ‴(ξ±), so
///   (φ(h) − φ(−h))/(2h) − φ′(0) = (h²/12)(φ‴(ξ₊) + φ‴(ξ₋)), at most (h²/6)·M₃ with
///   M₃ ≥ sup |φ‴| on [−h, h];
/// * F± are the MPFR values, each within δ_f of φ(±h): the quotient, computed exactly in ℚ from
///   them, is off by at most 2δ_f/(2h);
/// * ĝ is the MPFR gradient with |⟨ĝ − ∇f(x), d⟩| ≤ δ_g.
fn check_central_difference(
    p: &dyn Problem,
    x: &[Rational],
    d: &[Rational],
    m3: &Rational,
    delta_f: &Rational,
    delta_g: &Rational,
) -> Outcome {
    let h = fd_step();
    let (fp, fm, g) = mpfr_evaluations(p, x, d)?;
    let quotient = (fp - fm) / Rational::from(&h * 2u32);
    let truncation = Rational::from(&h * &h) * m3 / 6u32;
    let bound = truncation + Rational::from(delta_f / &h) + delta_g;
    prop_assert!(
        within(&quotient, &dot(&g, d), &bound),
        "central difference {} vs ⟨∇f, d⟩ = {} beyond {}",
        quotient.to_f64(),
        dot(&g, d).to_f64(),
        bound.to_f64()
    );
    Ok(())
}

/// A Huber instance (dimension ≥ 2), a dyadic point x = v·2^k in the linear region with
/// ‖x‖∞ ≥ 2ρ (k the least integer that achieves it), and an integer direction.
fn huber_off_axis() -> impl Strategy<Value = (HuberProblem, Vec<Rational>, Vec<Rational>)> {
    huber().prop_flat_map(|p| {
        let n = p.dim().max(2);
        let p = p.with_dim(n).expect("dimension ≥ 2");
        (Just(p), nonzero_ints(n, 5), nonzero_ints(n, 3)).prop_map(|(p, v, d)| {
            let rho = p.kink_radius().expect("rational scale");
            let target = Rational::from(&rho * 2u32);
            let m = v.iter().map(|a| a.clone().abs()).max().expect("n ≥ 2");
            let mut k = 0i32;
            while (&m * pow2(k)) < target {
                k += 1;
            }
            while (&m * pow2(k - 1)) >= target {
                k -= 1;
            }
            let x = v.iter().map(|a| a * pow2(k)).collect();
            (p, x, d)
        })
    })
}

/// Logistic instances with a dyadic point (n/8, |n| ≤ 16) and an integer direction.
fn logistic_line() -> impl Strategy<Value = (LogisticProblem, Vec<Rational>, Vec<Rational>)> {
    logistic().prop_flat_map(|p| {
        let n = p.dim();
        (
            Just(p),
            proptest::collection::vec((-16i64..=16).prop_map(|a| q(a, 8)), n),
            nonzero_ints(n, 3),
        )
    })
}

/// Bounds on the MPFR logistic oracle's rounding at FD_BITS, at points w with |w_j| ≤ W_j
/// (`w_abs`): `(δ_f, e)` with |f̂(w) − f(w)| ≤ δ_f and |ĝ_j(w) − ∂_j f(w)| ≤ e_j.
///
/// Derivation (u = 2^−FD_BITS; γ_k = ku/(1 − ku) ≤ 2ku; w enters exactly; S_i = Σ_j |a_ij|W_j
/// bounds |z_i|):
/// * margins: â_ij = a_ij(1 + ε) and the sequential dot p_i: |ẑ_i − z_i| ≤ γ_{d+1}S_i ≤
///   2(d+1)uS_i.
/// * softplus(−z) is 1-Lipschitz in z; its own evaluation (exp, 1 ⊕ e with e ≤ 1, ln of a number
///   in [1, 2], and for z < 0 one more ⊕ with |z|) adds at most u(|ẑ_i| + 7) ≤ u(2S_i + 7):
///   per sample ≤ u(2d + 4)(S_i + 2).
/// * the sum over n samples adds γ_n Σ|sp_i| ≤ 2nu Σ(2S_i + 1); multiplying by fl(1/n) adds
///   ≤ 3u of the sum; all of this is then divided by n.
/// * (λ̂/2) ⊗ (w·w): the constant, the dot (γ_d) and the product, ≤ (2d + 2)u(λ/2)‖W‖²; plus
///   the final ⊕, ≤ u|f̂| ≤ 2u(Σ(2S_i + 1)/n + (λ/2)‖W‖²).
/// * collected: δ_f ≤ u[(2d + 4n + 12)Σ_i(S_i + 2)/n + (2d + 4)(λ/2)‖W‖²]; doubled to absorb the
///   second-order terms (products of ε's, the 1/(1 − ku) of γ).
/// * gradient: σ(−z) is ¼-Lipschitz in z (so ≤ ½(d+1)uS_i from the margin), its evaluation
///   (exp, ⊕, ⊘) adds ≤ 4u, the factor fl(1/n) ≤ 2u/n: |r̂_i − r_i| ≤ ε_i := 2(u/n)(d+1)(S_i + 6)
///   (doubled likewise); then Âᵀr̂ adds Σ_i|a_ij|ε_i + γ_{n+1}(1 + u)Σ_i|a_ij||r̂_i| ≤
///   Σ_i|a_ij|ε_i + 8(n+1)uA_j/n (A_j = Σ_i|a_ij|, |r̂_i| ≤ 2/n), the axpy with λ̂ adds
///   ≤ 3uλW_j (doubled: 6uλW_j) and its rounded sum ≤ u|ĝ_j| ≤ 2u(A_j/n + λW_j).
fn logistic_rounding(p: &LogisticProblem, w_abs: &[Rational]) -> (Rational, Vec<Rational>) {
    let u = mpfr_unit();
    let a = p.features();
    let (n, d) = (Rational::from(a.len()), w_abs.len());
    let s: Vec<Rational> = a
        .iter()
        .map(|row| {
            dot(
                &row.iter().map(|x| x.clone().abs()).collect::<Vec<_>>(),
                w_abs,
            )
        })
        .collect();
    let sum_s2 = s
        .iter()
        .fold(Rational::new(), |acc, si| acc + Rational::from(si + 2u32));
    let reg = Rational::from(p.lambda() / 2u32) * norm_sq(w_abs);
    let delta_f = Rational::from(&u * 2u32)
        * (Rational::from(2 * d + 4 * a.len() + 12) * sum_s2 / &n
            + reg * Rational::from(2 * d + 4));
    let eps: Vec<Rational> = s
        .iter()
        .map(|si| {
            Rational::from(&u * 2u32) / &n * Rational::from(d + 1) * Rational::from(si + 6u32)
        })
        .collect();
    let e = (0..d)
        .map(|j| {
            let col: Rational = a.iter().zip(&eps).fold(Rational::new(), |acc, (row, ei)| {
                acc + (row[j].clone().abs() * ei)
            });
            let a_j = a
                .iter()
                .fold(Rational::new(), |acc, row| acc + row[j].clone().abs());
            let lw = Rational::from(p.lambda() * &w_abs[j]);
            col + (&u * Rational::from(8 * (a.len() + 1))) * &a_j / &n
                + Rational::from(&u * 6u32) * &lw
                + Rational::from(&u * 2u32) * (a_j / &n + lw)
        })
        .collect();
    (delta_f, e)
}

proptest! {
    #![proptest_config(crate::common::config("gradients", 128))]

    /// φ(t) = Lρ‖x + td‖ − Lρ²/2 in the linear region. With y = x + td,
    /// ‖y‖‴ = −3(y·d)(‖d‖²‖y‖² − (y·d)²)/‖y‖⁵, so |φ‴| ≤ 3Lρ‖d‖³/‖y‖² ≤ 3Lρ‖d‖³/ν², where
    /// ν = ‖x‖∞ − h‖d‖₁ ≤ ‖y‖ on the segment (and ν ≥ ρ keeps the segment in the region).
    /// MPFR rounding: the constants Lρ, Lρ²/2 (one rounding each), s = x·x (γ_n), √s, ⊗, ⊖ give
    /// |F̂ − φ| ≤ (n + 8)u(Lρ ν̄ + Lρ²/2) with ν̄ ≥ ‖y‖; the gradient x ⊗ (Lρ ⊘ √s) has relative
    /// error ≤ (n + 8)u per coordinate, so |⟨ĝ − ∇f, d⟩| ≤ (n + 8)u·Lρ‖d‖₁ (‖∇f‖ = Lρ there).
    #[test]
    fn huber_gradient_matches_central_differences_off_the_axis((p, x, d) in huber_off_axis()) {
        let (h, u) = (fd_step(), mpfr_unit());
        let rho = p.kink_radius().expect("rational scale");
        let slope = Rational::from(&p.smoothness().expect("L") * &rho);
        let x_inf = x.iter().map(|a| a.clone().abs()).max().expect("non-empty");
        let nu = x_inf - (&h * norm1(&d));
        prop_assert!(nu >= rho, "segment leaves the linear region");
        let d2 = norm_sq(&d);
        let d3 = &d2 * sqrt_upper(&d2);
        let m3 = Rational::from(&slope * 3u32) * d3 / Rational::from(&nu * &nu);
        let nu_bar = sqrt_upper(&norm_sq(&x)) + (&h * norm1(&d));
        let k = &u * Rational::from(p.dim() + 8);
        let delta_f = &k * (Rational::from(&slope * &nu_bar) + Rational::from(&slope * &rho) / 2u32);
        let delta_g = k * &slope * norm1(&d);
        check_central_difference(&p, &x, &d, &m3, &delta_f, &delta_g)?;
    }
}

proptest! {
    #![proptest_config(crate::common::config("gradients", 64))]

    /// φ(t) = (1/n)Σ_i sp(−y_i a_iᵀ(x + td)) + (λ/2)‖x + td‖² with sp(v) = log(1 + eᵛ):
    /// sp‴ = σ(1 − σ)(1 − 2σ), whose maximum modulus is 1/(6√3) < 1/10, and the quadratic term
    /// has φ‴ = 0, so |φ‴| ≤ (1/(10n))Σ_i |a_iᵀd|³. Rounding: [`logistic_rounding`] at
    /// W_j = |x_j| + h|d_j| (covers x ± hd and x).
    #[test]
    fn logistic_gradient_matches_central_differences((p, x, d) in logistic_line()) {
        let h = fd_step();
        let n = Rational::from(p.features().len());
        let m3 = p.features().iter().fold(Rational::new(), |acc, row| {
            let ad = dot(row, &d).abs();
            acc + Rational::from(&ad * &ad) * ad
        }) / (n * 10u32);
        let w_abs: Vec<Rational> = x.iter().zip(&d).map(|(a, b)| a.clone().abs() + (&h * b.clone().abs())).collect();
        let (delta_f, e) = logistic_rounding(&p, &w_abs);
        let delta_g = e.iter().zip(&d).fold(Rational::new(), |acc, (ej, dj)| acc + (ej * dj.clone().abs()));
        check_central_difference(&p, &x, &d, &m3, &delta_f, &delta_g)?;
    }
}

// ---------------------------------------------------------------------------------------------
// 3. f64 against exact, within the derived bounds
// ---------------------------------------------------------------------------------------------

/// The `Bounded` oracle of a quadratic-form family at the f64 point `x`: its values are bitwise
/// the f64 oracle's, and its bounds enclose the exact gradient (coordinate-wise and in norm),
/// value and gap at the same point.
fn check_bounded_oracle(p: &dyn Problem, x: &[f64]) -> Outcome {
    let xb = BoundedVec {
        v: x.to_vec(),
        e: 0.0,
    };
    let mut bounded = <Bounded as Evaluate>::oracle(p).expect("bounded oracle");
    let mut float = p.f64_oracle().expect("f64 oracle");
    let mut exact_oracle = p.exact_oracle().expect("exact oracle");
    let xq = QVec::from_scalars(&exact(x));

    let g = bounded.gradient(&xb).expect("gradient");
    let gf = float.gradient(&x.to_vec()).expect("gradient");
    prop_assert_eq!(
        g.v.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        gf.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
    let ge = exact_oracle.gradient(&xq).expect("gradient").to_scalars();
    for (i, gi) in ge.iter().enumerate() {
        prop_assert!(Bounded::new(g.v[i], g.e).encloses(gi), "coordinate {}", i);
    }
    let e = f64_bound(g.e);
    prop_assert!(distance_sq(&g.v, &ge) <= Rational::from(&e * &e));

    let value = bounded.value(&xb).expect("value");
    prop_assert_eq!(
        value.v.to_bits(),
        float.value(&x.to_vec()).expect("value").to_bits()
    );
    prop_assert!(value.encloses(&exact_oracle.value(&xq).expect("value")));
    let gap = bounded.gap(&xb).expect("gap").expect("known f*");
    prop_assert!(gap.encloses(&exact_oracle.gap(&xq).expect("gap").expect("known f*")));
    Ok(())
}

/// The f64 oracle of a family with [`Problem::f64_rounding`], against the exact oracle at the
/// same point.
fn check_f64_rounding(p: &dyn Problem, x: &[f64]) -> Outcome {
    let bound = p.f64_rounding(x).expect("derived bound");
    let mut float = p.f64_oracle().expect("f64 oracle");
    let mut exact_oracle = p.exact_oracle().expect("exact oracle");
    let xq = QVec::from_scalars(&exact(x));
    let g = float.gradient(&x.to_vec()).expect("gradient");
    let ge = exact_oracle.gradient(&xq).expect("gradient").to_scalars();
    let e = f64_bound(bound.gradient);
    prop_assert!(
        distance_sq(&g, &ge) <= Rational::from(&e * &e),
        "gradient {:?} vs {:?}, bound {}",
        g,
        ge,
        bound.gradient
    );
    let f = exact(&[float.value(&x.to_vec()).expect("value")]);
    prop_assert!(within(
        &f[0],
        &exact_oracle.value(&xq).expect("value"),
        &f64_bound(bound.value)
    ));
    let gap = exact(&[float.gap(&x.to_vec()).expect("gap").expect("known f*")]);
    let gap_exact = exact_oracle.gap(&xq).expect("gap").expect("known f*");
    prop_assert!(within(&gap[0], &gap_exact, &f64_bound(bound.gap)));
    Ok(())
}

fn with_f64_point<P: Problem + Clone + Debug + 'static>(
    s: impl Strategy<Value = P>,
) -> impl Strategy<Value = (P, Vec<f64>)> {
    s.prop_flat_map(|p| {
        let n = p.dim();
        (Just(p), dyadics(n))
    })
}

/// f64 points for the Huber function where the exact oracle is rational:
/// * anywhere in the open ball ‖x‖ < ρ (a dyadic vector scaled by the largest 2^−k that puts
///   ‖x‖₁ below ρ);
/// * Pythagorean points x = 2^k(2q t₁, …, 2q t_{n−1}, ‖t‖² − q²), ‖x‖ = 2^k(‖t‖² + q²), in either
///   region;
/// * on the e₁ axis within a few ulps of the kink ρ̂ = fl(ρ), on both sides of it.
fn huber_f64_point() -> impl Strategy<Value = (HuberProblem, Vec<f64>)> {
    huber().prop_flat_map(|p| {
        let n = p.dim();
        let rho = p.kink_radius().expect("rational scale");
        let inside = dyadics(n).prop_map({
            let rho = rho.clone();
            move |v| {
                let l1 = norm1(&exact(&v));
                let mut k = 0;
                while (&l1 * pow2(-k)) >= rho {
                    k += 1;
                }
                v.iter().map(|a| a * 2f64.powi(-k)).collect::<Vec<f64>>()
            }
        });
        let pythagorean = (
            proptest::collection::vec(-4i64..=4, n.saturating_sub(1)),
            1i64..=4,
            -6i32..=6,
        )
            .prop_map(move |(t, q0, k)| {
                let scale = 2f64.powi(k);
                if n == 1 {
                    return vec![q0 as f64 * scale];
                }
                let t2: i64 = t.iter().map(|a| a * a).sum();
                let mut x: Vec<f64> = t.iter().map(|a| (2 * q0 * a) as f64 * scale).collect();
                x.push((t2 - q0 * q0) as f64 * scale);
                x
            });
        let near_kink = (-4i32..=4, any::<bool>()).prop_map(move |(j, negative)| {
            let mut r = rho.to_f64();
            for _ in 0..j.unsigned_abs() {
                r = if j > 0 { r.next_up() } else { r.next_down() };
            }
            let mut x = vec![0.0; n];
            x[0] = if negative { -r } else { r };
            x
        });
        (Just(p), prop_oneof![inside, pythagorean, near_kink])
    })
}

/// f64 points for LRP: anywhere in [−8, 8], or within a few ulps of the breakpoints 1 and 2.
fn lrp_f64_point() -> impl Strategy<Value = (LrpProblem, Vec<f64>)> {
    let anywhere = (-(1i64 << 24)..=(1i64 << 24)).prop_map(|m| m as f64 * 2f64.powi(-21));
    let near_breakpoint =
        (prop_oneof![Just(1.0f64), Just(2.0f64)], -4i32..=4).prop_map(|(b, j)| {
            let mut x = b;
            for _ in 0..j.unsigned_abs() {
                x = if j > 0 { x.next_up() } else { x.next_down() };
            }
            x
        });
    (lrp(), prop_oneof![anywhere, near_breakpoint]).prop_map(|(p, x)| (p, vec![x]))
}

proptest! {
    #![proptest_config(crate::common::config("gradients", 256))]

    #[test]
    fn quadratic_f64_oracle_is_within_its_bounded_enclosure((p, x) in with_f64_point(quadratic(QuadraticParams::default()))) {
        check_bounded_oracle(&p, &x)?;
    }

    #[test]
    fn lower_bound_f64_oracle_is_within_its_bounded_enclosure((p, x) in with_f64_point(lower_bound(8))) {
        check_bounded_oracle(&p, &x)?;
    }

    #[test]
    fn least_squares_f64_oracle_is_within_its_bounded_enclosure((p, x) in with_f64_point(least_squares())) {
        check_bounded_oracle(&p, &x)?;
    }

    #[test]
    fn huber_f64_oracle_is_within_its_derived_rounding_bound((p, x) in huber_f64_point()) {
        check_f64_rounding(&p, &x)?;
    }

    #[test]
    fn lrp_f64_oracle_is_within_its_derived_rounding_bound((p, x) in lrp_f64_point()) {
        check_f64_rounding(&p, &x)?;
    }
}

proptest! {
    #![proptest_config(crate::common::config("gradients", 64))]

    /// Logistic regression has no exact oracle: the reference is the MPFR oracle at FD_BITS, whose
    /// own error is bounded by [`logistic_rounding`]. The f64 results must be within
    /// `f64_rounding` of the true values, hence within that plus the MPFR error of the MPFR ones.
    #[test]
    fn logistic_f64_oracle_is_within_its_derived_rounding_bound(
        (p, x) in logistic().prop_flat_map(|p| { let n = p.dim(); (Just(p), dyadics(n)) })
    ) {
        let u = mpfr_unit();
        let xq = exact(&x);
        let bound = p.f64_rounding(&x).expect("derived bound");
        let mut float = p.f64_oracle().expect("f64 oracle");
        let g = float.gradient(&x).expect("gradient");
        let f = exact(&[float.value(&x).expect("value")])[0].clone();
        let gap = exact(&[float.gap(&x).expect("gap").expect("reference")])[0].clone();
        let (gm, fm, gapm) = with_mpfr_precision(FD_BITS, || -> Result<_, TestCaseError> {
            let mut o = p.mpfr_oracle().expect("MPFR oracle");
            let xm = to_mpfr(&xq)?;
            let g = o.gradient(&xm).expect("gradient").iter().map(mpfr_exact).collect::<Vec<_>>();
            let f = mpfr_exact(&o.value(&xm).expect("value"));
            let gap = mpfr_exact(&o.gap(&xm).expect("gap").expect("reference"));
            Ok((g, f, gap))
        })?;
        let abs: Vec<Rational> = xq.iter().map(|a| a.clone().abs()).collect();
        let (delta_f, e) = logistic_rounding(&p, &abs);
        let mpfr_g = sqrt_upper(&norm_sq(&e));
        let tol = f64_bound(bound.gradient) + mpfr_g;
        prop_assert!(distance_sq(&g, &gm) <= Rational::from(&tol * &tol));
        prop_assert!(within(&f, &fm, &(f64_bound(bound.value) + &delta_f)));
        // The MPFR gap is f̂ ⊖ fl(f_lo): δ_f, plus the rounding of f_lo and of the difference.
        let lower = p.reference().lower.clone();
        let mpfr_gap = delta_f + Rational::from(&u * 4u32) * (lower.abs() + fm.abs() + 1u32) + p.reference().width();
        prop_assert!(within(&gap, &gapm, &(f64_bound(bound.gap) + mpfr_gap)));
    }
}

// ---------------------------------------------------------------------------------------------
// Specs and quickcheck
// ---------------------------------------------------------------------------------------------

/// `p.spec()` rebuilds `p` exactly through the family's parser and through the registry.
fn check_spec_rebuilds<P: Problem + PartialEq + Debug>(
    p: &P,
    parse: fn(&Spec) -> momentum_oracle::Result<P>,
) -> Outcome {
    let text = p.spec();
    let rebuilt = parse(&Spec::parse(&text).expect("a spec parses")).expect("the spec is valid");
    prop_assert_eq!(&rebuilt, p);
    let boxed = problem::from_spec(&text).expect("the registry knows the family");
    prop_assert_eq!(boxed.spec(), text);
    prop_assert_eq!(boxed.data_json(), p.data_json());
    Ok(())
}

proptest! {
    #![proptest_config(crate::common::config("gradients", 128))]

    #[test]
    fn quadratic_spec_rebuilds_the_instance(p in QuadraticProblem::strategy()) {
        check_spec_rebuilds(&p, QuadraticProblem::from_spec)?;
    }

    #[test]
    fn lower_bound_spec_rebuilds_the_instance(p in LowerBoundProblem::strategy()) {
        check_spec_rebuilds(&p, LowerBoundProblem::from_spec)?;
    }

    #[test]
    fn huber_spec_rebuilds_the_instance(p in HuberProblem::strategy()) {
        check_spec_rebuilds(&p, HuberProblem::from_spec)?;
    }

    #[test]
    fn least_squares_spec_rebuilds_the_instance(p in LeastSquaresProblem::strategy()) {
        check_spec_rebuilds(&p, LeastSquaresProblem::from_spec)?;
    }

    #[test]
    fn lrp_spec_rebuilds_the_instance(p in LrpProblem::strategy()) {
        check_spec_rebuilds(&p, LrpProblem::from_spec)?;
    }

    #[test]
    fn rosenbrock_spec_rebuilds_the_instance(p in RosenbrockProblem::strategy()) {
        check_spec_rebuilds(&p, RosenbrockProblem::from_spec)?;
    }
}

proptest! {
    #![proptest_config(crate::common::config("gradients", 32))]

    #[test]
    fn logistic_spec_rebuilds_the_instance(p in LogisticProblem::strategy()) {
        check_spec_rebuilds(&p, LogisticProblem::from_spec)?;
    }
}

#[test]
fn every_family_builds_its_default_instance_from_its_name_alone() {
    for entry in problem::catalogue() {
        let p = problem::from_spec(entry.name).unwrap_or_else(|e| panic!("{}: {e}", entry.name));
        assert_eq!(p.family(), entry.name);
        let again = problem::from_spec(&p.spec()).unwrap_or_else(|e| panic!("{}: {e}", p.spec()));
        assert_eq!(again.spec(), p.spec());
        assert_eq!(again.data_json(), p.data_json());
    }
}

#[test]
fn quickcheck_lower_bound_minimiser_is_an_exact_stationary_point() {
    fn stationary(p: Quick<LowerBoundProblem>) -> bool {
        let p = p.0;
        let mut oracle = p.exact_oracle().expect("exact");
        let xs = QVec::from_scalars(&p.minimizer().expect("rational x*"));
        oracle
            .gradient(&xs)
            .expect("gradient")
            .to_scalars()
            .iter()
            .all(|g| *g == 0)
            && oracle.value(&xs).expect("value") == p.optimal_value().expect("rational f*")
    }
    quickcheck::QuickCheck::new()
        .tests(64)
        .quickcheck(stationary as fn(Quick<LowerBoundProblem>) -> bool);
}

#[test]
fn quickcheck_rosenbrock_minimiser_is_an_exact_zero() {
    fn zero(p: Quick<RosenbrockProblem>) -> bool {
        let p = p.0;
        let mut oracle = p.exact_oracle().expect("exact");
        let xs = QVec::from_scalars(&p.minimizer().expect("rational x*"));
        oracle
            .gradient(&xs)
            .expect("gradient")
            .to_scalars()
            .iter()
            .all(|g| *g == 0)
            && oracle.value(&xs).expect("value") == 0
    }
    quickcheck::QuickCheck::new()
        .tests(64)
        .quickcheck(zero as fn(Quick<RosenbrockProblem>) -> bool);
}

proptest! {
    #![proptest_config(crate::common::config("gradients", 128))]

    /// The exact quadratic's gap, computed in its eigenbasis (½ Σ λᵢ (Qᵀd)ᵢ², squares and the
    /// Householder reflections, `QVec::reflected_weighted_square_sum`), is ½ dᵀAd with the dense
    /// Hessian the problem built (`QuadraticForm::value_exact`, plain rationals), on the serial
    /// path and as a job; and an oracle of a form without an eigenbasis agrees.
    #[test]
    fn the_exact_gap_in_the_eigenbasis_is_half_d_transpose_a_d(
        p in quadratic(QuadraticParams { dim: (1, 7), max_reflections: 3, ..QuadraticParams::default() }),
        x in rationals(7),
    ) {
        let n = p.dim();
        let x = &x[..n];
        let form = p.form();
        let want = form.value_exact(x) - form.optimal_value();
        let xv = momentum_oracle::problem::to_vector::<Rational>(x);
        let mut oracle = Rational::oracle(&p).unwrap();
        prop_assert_eq!(oracle.gap(&xv).unwrap(), Some(want.clone()));
        prop_assert_eq!(oracle.gap_job(&xv).unwrap().compute(), Some(want.clone()));
        // The same Hessian with no eigenbasis: the dot-product path.
        let plain = momentum_oracle::problem::QuadraticForm::new(
            form.hessian().clone(),
            form.minimizer().to_vec(),
            form.optimal_value().clone(),
            momentum_oracle::problem::GradientForm::Centered,
        )
        .unwrap();
        let mut plain_oracle = plain.oracle::<Rational>();
        prop_assert_eq!(
            momentum_oracle::problem::Oracle::gap(&mut plain_oracle, &xv).unwrap(),
            Some(want)
        );
    }
}
