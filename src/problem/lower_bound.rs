//! Nesterov's lower-bound function: the worst smooth convex function for Krylov methods.
//!
//! **Formula** (Nesterov, *Introductory Lectures on Convex Optimization*, 2004, §2.1.2,
//! eq. (2.1.12)–(2.1.13)): on ℝⁿ with `1 ≤ k ≤ n`,
//!
//! ```text
//! f_k(x) = (L/4) (½ xᵀA_k x − x₁),    A_k = tridiag(−1, 2, −1) on the leading k×k block, 0 elsewhere.
//! ```
//!
//! The Hessian `(L/4)A_k` has eigenvalues `(L/4)(2 − 2cos(jπ/(k+1)))` (j = 1..k) and zeros, all in
//! `[0, L)`: f is convex (m = 0) and L-smooth, and `L` is the Hessian's norm bound. The minimiser
//! (eq. (2.1.13), the lowest-norm one when `n > k`) is `x*_i = 1 − i/(k+1)` for `i ≤ k`, `0` beyond,
//! with `f* = (L/8)(−1 + 1/(k+1))`. The instance starts at `x₀ = 0`.
//!
//! **Why it is a lower bound.** A method whose iterates satisfy `x_j ∈ x₀ + span(∇f(x₀), …,
//! ∇f(x_{j−1}))` (gradient descent, heavy ball, Nesterov: the Krylov property) has `x_j ∈ span(e₁,
//! …, e_j)`, because `∇f_k` maps `span(e₁…e_i)` into `span(e₁…e_{i+1})`. On that subspace `f_k`
//! equals `f_j`, so `f_k(x_j) − f_k* ≥ f_j* − f_k* = (L/8)(1/(j+1) − 1/(k+1))` exactly
//! ([`LowerBoundProblem::krylov_gap_lower_bound`]). With `k = 2j + 1` this is Nesterov's
//! Theorem 2.1.7, `f(x_j) − f* ≥ 3L‖x₀ − x*‖²/(32(j+1)²)` ([`LowerBoundProblem::for_steps`]).
//!
//! **Oracle and f64 order.** The shared [`QuadraticForm`] oracle with [`GradientForm::Linear`]:
//! `g = (Â x) ⊖ b̂` with `b = A x* = (L/4)e₁`, so an f64 gradient is exactly zero wherever the exact
//! one is zero by sparsity, and the Krylov structure survives rounding. Value and gap as in
//! [`QuadraticForm`]: `gap = ½ ⊗ ((x ⊖ x̂*) · (Â (x ⊖ x̂*)))`, `value = f̂* ⊕ gap`. Bounded runs use
//! the same generic oracle (the bounds of [`crate::arith::bounded`] follow its operations).
//!
//! Spec: `lower-bound:k=7,n=7,L=1` (defaults: `k = 7`, `n = k`, `L = 1`).

use proptest::prelude::*;
use rug::{Float, Rational};

use super::quadratic::{smoothness_constant, smoothness_constants};
use super::{
    F64RoundingBound, GradientForm, Oracle, Problem, QuadraticForm, initial_distance_sq,
    require_positive,
};
use crate::arith::bounded::{Bounded, BoundedMpfr};
use crate::arith::linalg::QMat;
use crate::error::{Error, Result};
use crate::generate::{Generated, Stream};
use crate::spec::{EntryInfo, ParamInfo, Spec};

/// Catalogue entry.
pub const INFO: EntryInfo = EntryInfo {
    name: "lower-bound",
    summary: "Nesterov's f_k(x) = (L/4)(½xᵀA_k x − x₁) on ℝⁿ, A_k = tridiag(−1,2,−1) on the leading k×k block; x0 = 0",
    params: &[
        ParamInfo {
            key: "k",
            help: "size of the tridiagonal block, k ≥ 1 (default 7 = 2·3+1, the instance for 3 steps)",
        },
        ParamInfo {
            key: "n",
            help: "dimension, n ≥ k (default k)",
        },
        ParamInfo {
            key: "L",
            help: "smoothness constant, > 0 (default 1)",
        },
    ],
};

/// Nesterov's lower-bound quadratic `f_k` on ℝⁿ. See the [module documentation](self).
#[derive(Clone, Debug, PartialEq)]
pub struct LowerBoundProblem {
    k: usize,
    n: usize,
    l: Rational,
    form: QuadraticForm,
}

impl LowerBoundProblem {
    /// `f_k` on ℝⁿ with smoothness constant `l`.
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] unless `1 ≤ k ≤ n` and `l > 0`.
    pub fn new(k: usize, n: usize, l: Rational) -> Result<Self> {
        crate::problem::check_dimension("n", n)?;
        if k == 0 {
            return Err(Error::hyper("k", k, "must be at least 1"));
        }
        if n < k {
            return Err(Error::hyper("n", n, format!("must be at least k = {k}")));
        }
        require_positive("L", &l)?;
        let quarter = Rational::from(&l / 4u32);
        let half = Rational::from(&l / 2u32);
        let rows: Vec<Vec<Rational>> = (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| {
                        if i >= k || j >= k {
                            Rational::new()
                        } else if i == j {
                            half.clone()
                        } else if i.abs_diff(j) == 1 {
                            -quarter.clone()
                        } else {
                            Rational::new()
                        }
                    })
                    .collect()
            })
            .collect();
        // λ_max((L/4)A_k) = (L/4)(2 − 2cos(kπ/(k+1))) < L: L is a valid (and, as k grows, tight)
        // rational bound on the spectral norm.
        let hessian = QMat::from_rows(&rows)?.with_norm_bound(l.clone());
        let k1 = Rational::from(k + 1);
        let x_star: Vec<Rational> = (1..=n)
            .map(|i| {
                if i <= k {
                    Rational::from(1) - Rational::from(i) / &k1
                } else {
                    Rational::new()
                }
            })
            .collect();
        // f* = (L/8)(−1 + 1/(k+1)), eq. (2.1.13).
        let f_star = Rational::from(&l / 8u32) * (Rational::from(-1) + Rational::from(1) / &k1);
        let form = QuadraticForm::new(hessian, x_star, f_star, GradientForm::Linear)?;
        Ok(LowerBoundProblem { k, n, l, form })
    }

    /// The instance against `steps` steps of a Krylov method: `f_{2·steps+1}` on `ℝ^{2·steps+1}`,
    /// on which every such method has `f(x_steps) − f* ≥ 3L‖x₀ − x*‖²/(32(steps+1)²)` (Nesterov
    /// 2004, Theorem 2.1.7; see [`LowerBoundProblem::theorem_2_1_7_bound`]).
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] if `l ≤ 0` or `2·steps+1` overflows.
    pub fn for_steps(steps: usize, l: Rational) -> Result<Self> {
        let k = steps
            .checked_mul(2)
            .and_then(|s| s.checked_add(1))
            .ok_or_else(|| Error::hyper("steps", steps, "2·steps + 1 overflows"))?;
        LowerBoundProblem::new(k, k, l)
    }

    /// The size k of the tridiagonal block.
    pub fn k(&self) -> usize {
        self.k
    }

    /// The quadratic form (Hessian `(L/4)A_k`, minimiser, optimal value).
    pub fn form(&self) -> &QuadraticForm {
        &self.form
    }

    /// The exact lower bound `(L/8)(1/(j+1) − 1/(k+1))` on `f(x_j) − f*` for any method with the
    /// Krylov property started at `x₀ = 0` (0 once `j ≥ k`: the subspace then holds `x*`).
    pub fn krylov_gap_lower_bound(&self, j: usize) -> Rational {
        if j >= self.k {
            return Rational::new();
        }
        let inv = |i: usize| Rational::from(1) / Rational::from(i + 1);
        Rational::from(&self.l / 8u32) * (inv(j) - inv(self.k))
    }

    /// Nesterov's Theorem 2.1.7 bound `3L‖x₀ − x*‖²/(32(steps+1)²)`, exactly, when this is the
    /// instance for `steps` steps (`k = 2·steps + 1`), else `None`. It is below
    /// [`LowerBoundProblem::krylov_gap_lower_bound`]`(steps)`, from which the theorem follows.
    pub fn theorem_2_1_7_bound(&self, steps: usize) -> Option<Rational> {
        if steps.checked_mul(2)?.checked_add(1)? != self.k {
            return None;
        }
        let r2 = initial_distance_sq(self).ok()?;
        let s1 = Rational::from(steps + 1);
        Some(Rational::from(3) * &self.l * r2 / (Rational::from(32) * Rational::from(&s1 * &s1)))
    }

    /// Builds an instance from a parsed spec (see the module documentation).
    ///
    /// # Errors
    /// Parse and range errors naming the offending key.
    pub fn from_spec(spec: &Spec) -> Result<Self> {
        let k = spec.bounded_usize_or("k", 7, crate::problem::MAX_DIMENSION)?;
        let n = spec.bounded_usize_or("n", k, crate::problem::MAX_DIMENSION)?;
        let l = spec.rational_or("L", Rational::from(1))?;
        spec.finish(&INFO)?;
        LowerBoundProblem::new(k, n, l)
    }
}

impl Problem for LowerBoundProblem {
    fn family(&self) -> &'static str {
        INFO.name
    }
    fn spec(&self) -> String {
        format!(
            "lower-bound:k={},n={},L={}",
            self.k,
            self.n,
            crate::arith::text::format(&self.l)
        )
    }
    fn dim(&self) -> usize {
        self.n
    }
    fn smoothness(&self) -> Option<Rational> {
        Some(self.l.clone())
    }
    fn strong_convexity(&self) -> Option<Rational> {
        Some(Rational::new())
    }
    fn minimizer(&self) -> Option<Vec<Rational>> {
        Some(self.form.minimizer().to_vec())
    }
    fn optimal_value(&self) -> Option<Rational> {
        Some(self.form.optimal_value().clone())
    }
    fn initial_point(&self) -> Vec<Rational> {
        vec![Rational::new(); self.n]
    }
    fn exact_oracle(&self) -> Result<Box<dyn Oracle<Rational> + '_>> {
        Ok(Box::new(self.form.oracle::<Rational>()))
    }
    fn f64_oracle(&self) -> Result<Box<dyn Oracle<f64> + '_>> {
        Ok(Box::new(self.form.oracle::<f64>()))
    }
    fn mpfr_oracle(&self) -> Result<Box<dyn Oracle<Float> + '_>> {
        Ok(Box::new(self.form.oracle::<Float>()))
    }
    fn bounded_oracle(&self) -> Result<Box<dyn Oracle<Bounded> + '_>> {
        Ok(Box::new(self.form.oracle::<Bounded>()))
    }
    fn bounded_mpfr_oracle(&self) -> Result<Box<dyn Oracle<BoundedMpfr> + '_>> {
        Ok(Box::new(self.form.oracle::<BoundedMpfr>()))
    }
    fn f64_rounding(&self, _x: &[f64]) -> Option<F64RoundingBound> {
        // Bounded runs use the generic oracle above, whose bounds follow from its operations.
        None
    }
    fn data_json(&self) -> serde_json::Value {
        self.form.data_json(serde_json::json!({
            "k": self.k,
            "n": self.n,
            "L": crate::arith::text::format(&self.l),
        }))
    }
}

/// Instances with `k` in `1..=max_k`, `n` in `k..=k+3`, and L among the strategies' smoothness
/// constants.
pub fn lower_bound(max_k: usize) -> impl Strategy<Value = LowerBoundProblem> {
    (1..=max_k.max(1), 0usize..=3, smoothness_constant()).prop_map(|(k, extra, l)| {
        LowerBoundProblem::new(k, k + extra, l).expect("valid by construction")
    })
}

/// An instance drawn from `stream`: `k = range_usize(1, max(max_k, 1))`,
/// `n = k + range_usize(0, 3)`, L = `pick([1, 2, 10, 1/2, 3/4])`.
pub fn generate(max_k: usize, stream: &mut Stream) -> LowerBoundProblem {
    let k = stream.range_usize(1, max_k.max(1));
    let extra = stream.range_usize(0, 3);
    let l = stream.pick(&smoothness_constants()).clone();
    LowerBoundProblem::new(k, k + extra, l).expect("valid by construction")
}

impl Generated for LowerBoundProblem {
    fn generate(stream: &mut Stream) -> Self {
        generate(8, stream)
    }
    fn strategy() -> BoxedStrategy<Self> {
        lower_bound(8).boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::linalg::Vector;

    #[test]
    fn minimiser_and_optimum_are_nesterovs() {
        let p = LowerBoundProblem::new(4, 6, Rational::from(3)).unwrap();
        let mut oracle = p.exact_oracle().unwrap();
        let xs = crate::problem::to_vector::<Rational>(&p.minimizer().unwrap());
        assert!(
            oracle
                .gradient(&xs)
                .unwrap()
                .to_scalars()
                .iter()
                .all(|g| *g == 0)
        );
        // f(x*) = (L/4)(½x*ᵀA x* − x*₁) computed from the definition, not from the form.
        assert_eq!(
            oracle.value(&xs).unwrap(),
            Rational::from((3, 8)) * (Rational::from(-1) + Rational::from((1, 5)))
        );
        // b = A x* = (L/4)e₁: the linear term is the −(L/4)x₁ of the definition.
        let mut e1 = vec![Rational::new(); 6];
        e1[0] = Rational::from((3, 4));
        assert_eq!(p.form().linear_term(), &e1[..]);
    }

    #[test]
    fn gradient_descent_iterates_keep_the_krylov_support() {
        // Exactly and in f64: after j steps from 0 only the first j coordinates can be non-zero.
        let p = LowerBoundProblem::for_steps(4, Rational::from(1)).unwrap();
        let mut exact = p.exact_oracle().unwrap();
        let mut float = p.f64_oracle().unwrap();
        let mut x = crate::arith::linalg::QVec::zeros(9);
        let mut y = vec![0.0; 9];
        for j in 1..=8 {
            let g = exact.gradient(&x).unwrap();
            x.axpy(&Rational::from(-1), &g, crate::arith::Rounding::Naive);
            let h = float.gradient(&y).unwrap();
            y.axpy(&-1.0, &h, crate::arith::Rounding::Naive);
            assert!((j..9).all(|i| x.is_zero_at(i) && y[i] == 0.0), "step {j}");
            let gap = exact.gap(&x).unwrap().unwrap();
            assert!(gap >= p.krylov_gap_lower_bound(j));
        }
    }

    #[test]
    fn theorem_2_1_7_is_below_the_krylov_bound() {
        for steps in 0..6 {
            let p = LowerBoundProblem::for_steps(steps, Rational::from(2)).unwrap();
            let nesterov = p.theorem_2_1_7_bound(steps).unwrap();
            assert!(nesterov <= p.krylov_gap_lower_bound(steps));
            assert!(nesterov > 0);
        }
    }

    #[test]
    fn bad_parameters_are_typed_errors() {
        for spec in [
            "lower-bound:k=0",
            "lower-bound:k=3,n=2",
            "lower-bound:L=0",
            "lower-bound:L=-1",
        ] {
            let err = crate::problem::from_spec(spec).unwrap_err();
            assert!(
                matches!(err, Error::InvalidHyperParameter { .. }),
                "{spec}: {err}"
            );
        }
        assert!(matches!(
            crate::problem::from_spec("lower-bound:q=1"),
            Err(Error::Unknown { .. })
        ));
    }
}
