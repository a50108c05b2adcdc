//! The problem generators construct what they claim: exact spectra, exact orthogonal rotations,
//! the constants L and m they report.

use approx::assert_abs_diff_eq;
use momentum_oracle::arith::linalg::QMat;
use momentum_oracle::problem::Problem;
use momentum_oracle::problem::lower_bound::lower_bound;
use momentum_oracle::problem::quadratic::{QuadraticParams, quadratic};
use nalgebra::{DMatrix, SymmetricEigen};
use proptest::prelude::*;
use rug::{Float, Rational};

fn to_f64(q: &Rational) -> f64 {
    momentum_oracle::arith::rational_to_f64(q)
}

fn dense_f64(m: &QMat) -> DMatrix<f64> {
    let d = m.to_dense();
    DMatrix::from_fn(m.rows(), m.cols(), |i, j| to_f64(&d[i][j]))
}

/// For symmetric A, an approximate eigenpair (μ̂, v) certifies an eigenvalue of A within
/// `‖Av − μ̂v‖₂ / ‖v‖₂` of μ̂ (Parlett, *The Symmetric Eigenvalue Problem*, Thm 4.5.1). The
/// residual is computed exactly in ℚ from nalgebra's f64 output, so the radius is rigorous; it is
/// rounded up to f64 for the comparison.
fn certified_radius(a: &QMat, mu: f64, v: &[f64]) -> f64 {
    let vq: Vec<Rational> = v.iter().map(|x| Rational::from_f64(*x).unwrap()).collect();
    let muq = Rational::from_f64(mu).unwrap();
    let av = a.apply(&vq);
    let r2 = av.iter().zip(&vq).fold(Rational::new(), |s, (x, y)| {
        let d = x - Rational::from(&muq * y);
        s + Rational::from(&d * &d)
    });
    let v2 = vq
        .iter()
        .fold(Rational::new(), |s, y| s + Rational::from(y * y));
    let ratio = Float::with_val_round(64, r2 / v2, rug::float::Round::Up).0;
    ratio.sqrt().to_f64_round(rug::float::Round::Up)
}

proptest! {
    #![proptest_config(crate::common::config("generators", 256))]

    /// `A Q e_i = λ_i Q e_i` and `QᵀQ = I`, exactly: the Hessian has exactly the prescribed
    /// spectrum, and L = max λ, m = min λ.
    #[test]
    fn quadratic_hessians_have_exactly_the_prescribed_spectrum(p in quadratic(QuadraticParams::default())) {
        let q = p.rotation();
        let n = p.dim();
        let qt = q.transpose();
        prop_assert_eq!(qt.mul(&q).unwrap().to_dense(), QMat::identity(n).to_dense());
        let a = p.form().hessian();
        let aq = a.mul(&q).unwrap().to_dense();
        let qd = q.to_dense();
        for (i, lambda) in p.spectrum().iter().enumerate() {
            for r in 0..n {
                prop_assert_eq!(&aq[r][i], &Rational::from(lambda * &qd[r][i]));
            }
        }
        prop_assert_eq!(p.smoothness().unwrap(), p.spectrum().iter().max().unwrap().clone());
        prop_assert_eq!(p.strong_convexity().unwrap(), p.spectrum().iter().min().unwrap().clone());
        // The matrix's spectral norm bound is the largest eigenvalue (what bounded runs use).
        prop_assert_eq!(a.norm_bound(), p.spectrum().iter().max().unwrap());
    }

    /// nalgebra's f64 eigenvalues, each certified by an exact residual bound, match the prescribed
    /// spectrum: every computed μ̂ is within its certified radius of some prescribed λ.
    #[test]
    fn nalgebra_eigenvalues_are_certified_against_the_prescribed_spectrum(p in quadratic(QuadraticParams::default())) {
        let a = p.form().hessian();
        let eig = SymmetricEigen::new(dense_f64(a));
        for (i, mu) in eig.eigenvalues.iter().enumerate() {
            let v: Vec<f64> = eig.eigenvectors.column(i).iter().copied().collect();
            let radius = certified_radius(a, *mu, &v);
            let nearest = p.spectrum().iter().map(to_f64).min_by(|x, y| (x - mu).abs().total_cmp(&(y - mu).abs())).unwrap();
            // |μ̂ − λ| ≤ radius, plus one rounding of λ to f64 (u|λ|).
            assert_abs_diff_eq!(*mu, nearest, epsilon = radius + f64::EPSILON * nearest.abs());
        }
    }

    /// Nesterov's f_k: its Hessian (L/4)A_k has λ_max = (L/4)(2 − 2cos(kπ/(k+1))) < L, certified
    /// with nalgebra eigenpairs and exact residuals; x* solves A_k x* = e₁ exactly.
    #[test]
    fn lower_bound_hessians_are_l_smooth_with_the_closed_form_spectrum(p in lower_bound(8)) {
        let a = p.form().hessian();
        let l = to_f64(&p.smoothness().unwrap());
        let eig = SymmetricEigen::new(dense_f64(a));
        let k = p.k();
        let lq = p.smoothness().unwrap();
        // Enclosures [lo, hi] of the closed-form eigenvalues: 0 on the unused coordinates and
        // (L/4)(2 − 2cos(jπ/(k+1))) on the block, from 256-bit MPFR with directed rounding.
        let closed: Vec<(Rational, Rational)> = std::iter::once((Rational::new(), Rational::new()))
            .chain((1..=k).map(|j| {
                let bound = |round| {
                    let pi = Float::with_val_round(256, rug::float::Constant::Pi, round).0;
                    let x = pi * Rational::from((j as u64, k as u64 + 1));
                    let c = Float::with_val_round(256, x.cos_ref(), round).0;
                    c.to_rational().unwrap()
                };
                // cos is decreasing on [0, π]: the enclosure of cos comes from both roundings.
                let (c1, c2) = (bound(rug::float::Round::Down), bound(rug::float::Round::Up));
                let (cl, ch) = if c1 <= c2 { (c1, c2) } else { (c2, c1) };
                // The argument x = fl(π̃·j/(k+1)) is off by < 2⁻²⁵⁴ (π̃ rounded at 256 bits, one
                // ulp of π) + 2⁻²⁵⁵ (the product rounded to nearest, |x| < 4) < 2⁻²⁵²; |cos'| ≤ 1.
                let eps = Rational::from((1u32, 1u32)) >> 252u32;
                let f = |c: Rational| Rational::from(&lq / 4u32) * (Rational::from(2) - 2u32 * c);
                (f(ch + &eps), f(cl - eps))
            }))
            .collect();
        for (i, mu) in eig.eigenvalues.iter().enumerate() {
            let v: Vec<f64> = eig.eigenvectors.column(i).iter().copied().collect();
            let radius = Rational::from_f64(certified_radius(a, *mu, &v)).unwrap();
            let muq = Rational::from_f64(*mu).unwrap();
            let (lo, hi) = (Rational::from(&muq - &radius), Rational::from(&muq + &radius));
            prop_assert!(closed.iter().any(|(cl, ch)| *cl <= hi && lo <= *ch), "μ̂ = {mu} ± {radius} meets no closed-form eigenvalue");
            prop_assert!(*mu <= l);
        }
        let g = a.apply(p.form().minimizer());
        prop_assert_eq!(&g, p.form().linear_term());
        let mut e1 = vec![Rational::new(); p.dim()];
        e1[0] = p.smoothness().unwrap() / 4u32;
        prop_assert_eq!(g, e1);
    }
}

#[test]
fn norm_bounds_are_upper_bounds_of_the_spectral_norm() {
    // QMat's default bound min(‖M‖_F, √(‖M‖₁‖M‖_∞)) is above the largest |eigenvalue| that
    // nalgebra finds (certified by the residual radius) on a few fixed symmetric matrices.
    let q = |n: i64, d: u64| Rational::from((n, d));
    for rows in [
        vec![vec![q(2, 1), q(-1, 1)], vec![q(-1, 1), q(2, 1)]],
        vec![
            vec![q(1, 3), q(1, 5), q(0, 1)],
            vec![q(1, 5), q(-2, 1), q(1, 7)],
            vec![q(0, 1), q(1, 7), q(5, 2)],
        ],
    ] {
        let m = QMat::from_rows(&rows).unwrap();
        let eig = SymmetricEigen::new(dense_f64(&m));
        for (i, mu) in eig.eigenvalues.iter().enumerate() {
            let v: Vec<f64> = eig.eigenvectors.column(i).iter().copied().collect();
            let lower = mu.abs() - certified_radius(&m, *mu, &v);
            assert!(Rational::from_f64(lower).unwrap() <= *m.norm_bound());
        }
    }
}
