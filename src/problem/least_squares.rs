//! Linear least squares `f(x) = ½‖Bx − c‖²` with rational data.
//!
//! **Formula** (Golub & Van Loan, *Matrix Computations*, 4th ed., 2013, §5.3: the normal
//! equations `BᵀBx = Bᵀc` characterise the minimisers, and with the SVD `B = UΣVᵀ` of a full
//! column rank B the minimiser is `VΣ⁻¹Uᵀc` with residual the part of c outside range(U)):
//!
//! ```text
//! f(x) = ½‖Bx − c‖² = f* + ½(x − x*)ᵀ BᵀB (x − x*),   ∇f(x) = BᵀB(x − x*) = Bᵀ(Bx − c),
//! ```
//!
//! for any `x*` solving the normal equations `BᵀB x* = Bᵀc` and `f* = ½‖Bx* − c‖²`. Both
//! constructions go through the shared [`QuadraticForm`] with [`GradientForm::Centered`]:
//!
//! * **From a rational SVD** ([`LeastSquaresProblem::from_svd`]): `B = UΣVᵀ` (rows ≥ cols) with
//!   `U` the first `cols` columns of a product of rational Householder reflections of ℝ^rows
//!   (orthonormal columns, exactly), `V` a product of rational reflections of ℝ^cols, `Σ`
//!   diagonal with rational `σ_i > 0`. Then `BᵀB = VΣ²Vᵀ`: `L = σ_max²`, `m = σ_min²` exactly,
//!   `x* = VΣ⁻¹Uᵀc` (unique), `f* = ½(‖c‖² − ‖Uᵀc‖²)` (the part of c outside the range of U).
//! * **General data** ([`LeastSquaresProblem::from_data`]): `L` is the rational spectral-norm bound
//!   of the exact `BᵀB` ([`QMat::norm_bound`]); `m` is Gershgorin's lower bound
//!   `min_i (H_ii − Σ_{j≠i}|H_ij|)` on `λ_min(BᵀB)` when positive (Golub & Van Loan, Theorem
//!   7.2.1), else 0; `x*` solves the normal equations by exact Gauss–Jordan elimination in ℚ (they
//!   are always consistent: `Bᵀc ∈ range(BᵀB)`), with free variables set to 0; `f* = f(x*)`.
//!
//! **f64 operation order**: [`QuadraticForm`]'s centred oracle on the exact data rounded once
//! (`Ĥ = fl(BᵀB)`, `x̂* = fl(x*)`): `d = x ⊖ x̂*`, `g = Ĥd`, `gap = ½ ⊗ (d·g)`, `value = f̂* ⊕ gap`.
//! It never forms `Bx − c` (accurate near x*, no cancellation). Bounded runs use the same generic
//! oracle, with the matrix norm bound `L` above.
//!
//! Spec: `least-squares:rows=5,cols=3,seed=0` draws an SVD instance (the default);
//! `least-squares:sigma=2;1,left=1;0;1|..,right=1;2|..,c=..,x0=..` gives one explicitly, and
//! `least-squares:B=1;2|3;4|5;6,c=1;0;1,x0=0;0` gives general data (rows of B separated by `|`).

use proptest::prelude::*;
use rug::{Float, Rational};

use super::quadratic::draw_reflections;
#[cfg(test)]
use super::quadratic::small_vector;
use super::{F64RoundingBound, GradientForm, Oracle, Problem, QuadraticForm};
use crate::arith::bounded::{Bounded, BoundedMpfr};
use crate::arith::linalg::{QMat, norm_sq};
use crate::error::{Error, Result};
use crate::generate::{Generated, Stream, seeded, seeded_with};
use crate::spec::{EntryInfo, ParamInfo, Spec, format_list, format_lists};

/// Catalogue entry.
pub const INFO: EntryInfo = EntryInfo {
    name: "least-squares",
    summary: "½‖Bx − c‖² with rational B, c: from a rational SVD (exact L, m) or general data (norm bound L)",
    params: &[
        ParamInfo {
            key: "rows",
            help: "rows of B for a drawn SVD instance (default 5)",
        },
        ParamInfo {
            key: "cols",
            help: "columns of B for a drawn SVD instance, ≤ rows (default 3)",
        },
        ParamInfo {
            key: "seed",
            help: "draws Σ, U, V, c, x0 (default 0)",
        },
        ParamInfo {
            key: "sigma",
            help: "explicit singular values σ_i > 0 (SVD form)",
        },
        ParamInfo {
            key: "left",
            help: "Householder vectors in ℝ^rows for U, |-separated (SVD form; default none)",
        },
        ParamInfo {
            key: "right",
            help: "Householder vectors in ℝ^cols for V, |-separated (SVD form; default none)",
        },
        ParamInfo {
            key: "B",
            help: "general data: rows of B, |-separated",
        },
        ParamInfo {
            key: "c",
            help: "right-hand side (required with sigma or B)",
        },
        ParamInfo {
            key: "x0",
            help: "initial point (default 0 for explicit data)",
        },
    ],
};

/// How an instance was built.
#[derive(Clone, Debug, PartialEq)]
pub enum Construction {
    /// `B = UΣVᵀ`: `U` the first columns of `H(left₁)⋯H(left_r)`, `V = H(right₁)⋯H(right_s)`.
    Svd {
        /// The singular values, all > 0.
        sigma: Vec<Rational>,
        /// Householder vectors of ℝ^rows.
        left: Vec<Vec<Rational>>,
        /// Householder vectors of ℝ^cols.
        right: Vec<Vec<Rational>>,
    },
    /// `B` given entry by entry.
    General,
}

/// Linear least squares with rational data. See the [module documentation](self).
#[derive(Clone, Debug, PartialEq)]
pub struct LeastSquaresProblem {
    b: QMat,
    c: Vec<Rational>,
    construction: Construction,
    smoothness: Rational,
    strong_convexity: Rational,
    form: QuadraticForm,
    x0: Vec<Rational>,
}

/// The dense product `H(v₁)⋯H(v_r)` of Householder reflections `H(v) = I − 2vvᵀ/(vᵀv)` of ℝⁿ.
fn reflections_product(n: usize, vs: &[Vec<Rational>]) -> Vec<Vec<Rational>> {
    let mut q: Vec<Vec<Rational>> = (0..n)
        .map(|i| (0..n).map(|j| Rational::from(u32::from(i == j))).collect())
        .collect();
    for v in vs {
        // Q H(v) = Q − (2/vᵀv)(Qv)vᵀ.
        let scale = Rational::from(2) / norm_sq(v);
        for row in &mut q {
            let qv = row
                .iter()
                .zip(v)
                .fold(Rational::new(), |acc, (a, b)| acc + Rational::from(a * b));
            let qv = qv * &scale;
            for (entry, vj) in row.iter_mut().zip(v) {
                *entry -= Rational::from(&qv * vj);
            }
        }
    }
    q
}

fn check_reflections(key: &'static str, n: usize, vs: &[Vec<Rational>]) -> Result<()> {
    for v in vs {
        if v.len() != n {
            return Err(Error::dims(
                format!("least-squares {key} vector"),
                n,
                v.len(),
            ));
        }
        if v.iter().all(|x| *x == 0) {
            return Err(Error::hyper(
                key,
                format_list(v),
                "a reflection vector must be non-zero",
            ));
        }
    }
    Ok(())
}

/// Solves the consistent square system `a x = rhs` exactly by Gauss–Jordan elimination, with free
/// variables 0; `None` if the system is inconsistent.
fn solve_consistent(mut a: Vec<Vec<Rational>>, mut rhs: Vec<Rational>) -> Option<Vec<Rational>> {
    let n = rhs.len();
    let cols = a.first().map_or(0, Vec::len);
    let mut pivots: Vec<(usize, usize)> = Vec::new();
    let mut row = 0;
    for col in 0..cols {
        let Some(p) = (row..n).find(|&r| a[r][col] != 0) else {
            continue;
        };
        a.swap(row, p);
        rhs.swap(row, p);
        let inv = Rational::from(1) / &a[row][col];
        for entry in &mut a[row] {
            *entry *= &inv;
        }
        rhs[row] *= &inv;
        let pivot_row = a[row].clone();
        let pivot_rhs = rhs[row].clone();
        for (r, (other, other_rhs)) in a.iter_mut().zip(rhs.iter_mut()).enumerate() {
            if r != row && other[col] != 0 {
                let factor = other[col].clone();
                for (entry, p) in other.iter_mut().zip(&pivot_row) {
                    *entry -= Rational::from(&factor * p);
                }
                *other_rhs -= Rational::from(&factor * &pivot_rhs);
            }
        }
        pivots.push((row, col));
        row += 1;
        if row == n {
            break;
        }
    }
    if rhs[row..].iter().any(|r| *r != 0) {
        return None;
    }
    let mut x = vec![Rational::new(); cols];
    for (r, c) in pivots {
        x[c] = rhs[r].clone();
    }
    Some(x)
}

impl LeastSquaresProblem {
    /// `B = UΣVᵀ` from singular values, reflections of ℝ^rows (`left`, for U) and of ℝ^cols
    /// (`right`, for V), with right-hand side `c` (length rows) and initial point `x0` (length
    /// cols = `sigma.len()`).
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] for a σ ≤ 0, a zero reflection vector, no singular values,
    /// or rows < cols; [`Error::DimensionMismatch`] for vectors of the wrong length.
    pub fn from_svd(
        sigma: Vec<Rational>,
        left: Vec<Vec<Rational>>,
        right: Vec<Vec<Rational>>,
        c: Vec<Rational>,
        x0: Vec<Rational>,
    ) -> Result<Self> {
        let (rows, cols) = (c.len(), sigma.len());
        crate::problem::check_dimension("c", rows)?;
        crate::problem::check_dimension("sigma", cols)?;
        if cols == 0 {
            return Err(Error::hyper(
                "sigma",
                "",
                "needs at least one singular value",
            ));
        }
        if let Some(s) = sigma.iter().find(|s| **s <= 0) {
            return Err(Error::hyper(
                "sigma",
                crate::arith::text::format(s),
                "singular values must be positive",
            ));
        }
        if rows < cols {
            return Err(Error::hyper(
                "c",
                format!("length {rows}"),
                format!("B = UΣVᵀ needs rows ≥ cols = {cols}"),
            ));
        }
        if x0.len() != cols {
            return Err(Error::dims("least-squares x0", cols, x0.len()));
        }
        check_reflections("left", rows, &left)?;
        check_reflections("right", cols, &right)?;
        let q = reflections_product(rows, &left);
        let v = reflections_product(cols, &right);
        // B_ij = Σ_k U_ik σ_k V_jk with U_ik = Q_ik, k < cols.
        let b_rows: Vec<Vec<Rational>> = (0..rows)
            .map(|i| {
                (0..cols)
                    .map(|j| {
                        (0..cols).fold(Rational::new(), |acc, k| {
                            acc + Rational::from(&q[i][k] * &sigma[k]) * &v[j][k]
                        })
                    })
                    .collect()
            })
            .collect();
        // Uᵀc, then x* = V Σ⁻¹ Uᵀc and f* = ½(‖c‖² − ‖Uᵀc‖²).
        let utc: Vec<Rational> = (0..cols)
            .map(|k| {
                (0..rows).fold(Rational::new(), |acc, i| {
                    acc + Rational::from(&q[i][k] * &c[i])
                })
            })
            .collect();
        let x_star: Vec<Rational> = (0..cols)
            .map(|j| {
                (0..cols).fold(Rational::new(), |acc, k| {
                    acc + Rational::from(&v[j][k] * &utc[k]) / &sigma[k]
                })
            })
            .collect();
        let f_star = (norm_sq(&c) - norm_sq(&utc)) / 2u32;
        let max = sigma.iter().max().cloned().unwrap_or_default();
        let min = sigma.iter().min().cloned().unwrap_or_default();
        let smoothness = Rational::from(&max * &max);
        let b = QMat::from_rows(&b_rows)?;
        let hessian = b.transpose().mul(&b)?.with_norm_bound(smoothness.clone());
        let form = QuadraticForm::new(hessian, x_star, f_star, GradientForm::Centered)?;
        Ok(LeastSquaresProblem {
            b,
            c,
            construction: Construction::Svd { sigma, left, right },
            smoothness,
            strong_convexity: Rational::from(&min * &min),
            form,
            x0,
        })
    }

    /// General data: `B` given by its rows (all of one length ≥ 1, not all zero), `c` of length
    /// rows, `x0` of length cols.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] for ragged rows or vectors of the wrong length;
    /// [`Error::InvalidHyperParameter`] for an empty or all-zero B.
    pub fn from_data(
        b_rows: Vec<Vec<Rational>>,
        c: Vec<Rational>,
        x0: Vec<Rational>,
    ) -> Result<Self> {
        // Explicit data obey the limits of drawn data (checked before anything is computed).
        crate::problem::check_dimension("B rows", b_rows.len())?;
        crate::problem::check_dimension("B columns", b_rows.first().map_or(0, Vec::len))?;
        let b = QMat::from_rows(&b_rows)?;
        let (rows, cols) = (b.rows(), b.cols());
        if rows == 0 || cols == 0 {
            return Err(Error::hyper(
                "B",
                "",
                "needs at least one row and one column",
            ));
        }
        if b_rows.iter().flatten().all(|x| *x == 0) {
            return Err(Error::hyper(
                "B",
                format_lists(&b_rows),
                "must not be all zero (L = 0)",
            ));
        }
        if c.len() != rows {
            return Err(Error::dims("least-squares c", rows, c.len()));
        }
        if x0.len() != cols {
            return Err(Error::dims("least-squares x0", cols, x0.len()));
        }
        let bt = b.transpose();
        let hessian = bt.mul(&b)?;
        let h = hessian.to_dense();
        let btc = bt.apply(&c);
        let x_star = solve_consistent(h.clone(), btc).ok_or_else(|| {
            Error::unsupported("least squares: inconsistent normal equations (cannot happen in ℚ)")
        })?;
        let residual: Vec<Rational> = b
            .apply(&x_star)
            .into_iter()
            .zip(&c)
            .map(|(bx, ci)| bx - ci)
            .collect();
        let f_star = norm_sq(&residual) / 2u32;
        let gershgorin = (0..cols)
            .map(|i| {
                let off = (0..cols)
                    .filter(|&j| j != i)
                    .fold(Rational::new(), |acc, j| acc + h[i][j].clone().abs());
                &h[i][i] - off
            })
            .min()
            .unwrap_or_default();
        let strong_convexity = if gershgorin > 0 {
            gershgorin
        } else {
            Rational::new()
        };
        let smoothness = hessian.norm_bound().clone();
        let form = QuadraticForm::new(hessian, x_star, f_star, GradientForm::Centered)?;
        Ok(LeastSquaresProblem {
            b,
            c,
            construction: Construction::General,
            smoothness,
            strong_convexity,
            form,
            x0,
        })
    }

    /// The matrix B.
    pub fn matrix(&self) -> &QMat {
        &self.b
    }

    /// The right-hand side c.
    pub fn rhs(&self) -> &[Rational] {
        &self.c
    }

    /// How the instance was built.
    pub fn construction(&self) -> &Construction {
        &self.construction
    }

    /// The quadratic form (Hessian BᵀB, minimiser, optimal value).
    pub fn form(&self) -> &QuadraticForm {
        &self.form
    }

    /// `½‖Bx − c‖²` computed from the definition, exactly.
    pub fn residual_value(&self, x: &[Rational]) -> Rational {
        let r: Vec<Rational> = self
            .b
            .apply(x)
            .into_iter()
            .zip(&self.c)
            .map(|(bx, ci)| bx - ci)
            .collect();
        norm_sq(&r) / 2u32
    }

    /// Builds an instance from a parsed spec (see the module documentation).
    ///
    /// # Errors
    /// Parse and range errors naming the offending key; mixing the drawn, SVD and general forms is
    /// an [`Error::InvalidHyperParameter`].
    pub fn from_spec(spec: &Spec) -> Result<Self> {
        let b = spec.rational_lists("B")?;
        let sigma = spec.rational_list("sigma")?;
        let left = spec.rational_lists("left")?;
        let right = spec.rational_lists("right")?;
        let c = spec.rational_list("c")?;
        let x0 = spec.rational_list("x0")?;
        let drawn_keys = ["rows", "cols", "seed"]
            .into_iter()
            .find(|k| spec.raw(k).is_some());
        let rows = spec.bounded_usize_or("rows", 5, crate::problem::MAX_DIMENSION)?;
        let cols = spec.bounded_usize_or("cols", 3, crate::problem::MAX_DIMENSION)?;
        let seed = spec.u64_or("seed", 0)?;
        spec.finish(&INFO)?;
        let need_c = |c: Option<Vec<Rational>>| {
            c.ok_or_else(|| Error::parse("spec", "least-squares", "missing required key \"c\""))
        };
        match (b, sigma) {
            (Some(_), Some(_)) => Err(Error::hyper("B", "", "give either B or sigma, not both")),
            (Some(b), None) => {
                if let Some(k) = drawn_keys
                    .or(left.as_ref().map(|_| "left"))
                    .or(right.as_ref().map(|_| "right"))
                {
                    return Err(Error::hyper(
                        "B",
                        "",
                        format!("cannot be combined with {k}"),
                    ));
                }
                let cols = b.first().map_or(0, Vec::len);
                let x0 = x0.unwrap_or_else(|| vec![Rational::new(); cols]);
                LeastSquaresProblem::from_data(b, need_c(c)?, x0)
            }
            (None, Some(sigma)) => {
                if let Some(k) = drawn_keys {
                    return Err(Error::hyper(
                        "sigma",
                        "",
                        format!("cannot be combined with {k}"),
                    ));
                }
                let x0 = x0.unwrap_or_else(|| vec![Rational::new(); sigma.len()]);
                LeastSquaresProblem::from_svd(
                    sigma,
                    left.unwrap_or_default(),
                    right.unwrap_or_default(),
                    need_c(c)?,
                    x0,
                )
            }
            (None, None) => {
                if let Some(k) = [
                    ("left", left.is_some()),
                    ("right", right.is_some()),
                    ("c", c.is_some()),
                    ("x0", x0.is_some()),
                ]
                .into_iter()
                .find_map(|(k, given)| given.then_some(k))
                {
                    return Err(Error::hyper(k, "", "needs sigma or B (explicit data)"));
                }
                if cols == 0 {
                    return Err(Error::hyper("cols", cols, "must be at least 1"));
                }
                if rows < cols {
                    return Err(Error::hyper(
                        "rows",
                        rows,
                        format!("must be at least cols = {cols}"),
                    ));
                }
                Ok(generate_svd(rows, cols, &mut Stream::from_seed(seed)))
            }
        }
    }
}

impl Problem for LeastSquaresProblem {
    fn family(&self) -> &'static str {
        INFO.name
    }
    fn spec(&self) -> String {
        let tail = format!("c={},x0={}", format_list(&self.c), format_list(&self.x0));
        match &self.construction {
            Construction::Svd { sigma, left, right } => {
                let mut s = format!("least-squares:sigma={}", format_list(sigma));
                // An empty list has no spelling: leave the key out (no reflections is the default).
                if !left.is_empty() {
                    s += &format!(",left={}", format_lists(left));
                }
                if !right.is_empty() {
                    s += &format!(",right={}", format_lists(right));
                }
                s + "," + &tail
            }
            Construction::General => format!(
                "least-squares:B={},{tail}",
                format_lists(&self.b.to_dense())
            ),
        }
    }
    fn dim(&self) -> usize {
        self.b.cols()
    }
    fn smoothness(&self) -> Option<Rational> {
        Some(self.smoothness.clone())
    }
    fn strong_convexity(&self) -> Option<Rational> {
        Some(self.strong_convexity.clone())
    }
    fn minimizer(&self) -> Option<Vec<Rational>> {
        Some(self.form.minimizer().to_vec())
    }
    fn optimal_value(&self) -> Option<Rational> {
        Some(self.form.optimal_value().clone())
    }
    fn initial_point(&self) -> Vec<Rational> {
        self.x0.clone()
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
        use crate::arith::text::format;
        let fmt = |v: &[Rational]| v.iter().map(format).collect::<Vec<_>>();
        let mut extra = serde_json::json!({
            "B": self.b.to_dense().iter().map(|r| fmt(r)).collect::<Vec<_>>(),
            "c": fmt(&self.c),
            "x0": fmt(&self.x0),
            "L": format(&self.smoothness),
            "m": format(&self.strong_convexity),
        });
        if let (Construction::Svd { sigma, left, right }, Some(obj)) =
            (&self.construction, extra.as_object_mut())
        {
            obj.insert("sigma".into(), serde_json::json!(fmt(sigma)));
            obj.insert(
                "left".into(),
                serde_json::json!(left.iter().map(|v| fmt(v)).collect::<Vec<_>>()),
            );
            obj.insert(
                "right".into(),
                serde_json::json!(right.iter().map(|v| fmt(v)).collect::<Vec<_>>()),
            );
        }
        self.form.data_json(extra)
    }
}

/// The SVD instance of size rows × cols (rows ≥ cols ≥ 1) drawn from `stream`; this is what
/// `least-squares:rows=..,cols=..,seed=s` builds from `Stream::from_seed(s)`.
///
/// Draws, in order: σ₁..σ_cols (`rational(1, 8, 2)` each), the left reflections of ℝ^rows and the
/// right reflections of ℝ^cols (each: `r = range_usize(0, 2)`, then two vectors of integers
/// `range_i64(−3, 3)`, the first `r` kept, an all-zero one replaced by e₁), c (`rows` rationals
/// `rational(−6, 6, 3)`) and x₀ (`cols` rationals `rational(−4, 4, 2)`).
///
/// # Panics
/// Panics if `rows < cols` or `cols = 0` (a caller error, not a property of the draw).
pub fn generate_svd(rows: usize, cols: usize, stream: &mut Stream) -> LeastSquaresProblem {
    assert!(
        rows >= cols && cols >= 1,
        "least_squares_svd needs rows ≥ cols ≥ 1"
    );
    let sigma = stream.rationals(cols, 1, 8, 2);
    let left = draw_reflections(rows, 2, stream);
    let right = draw_reflections(cols, 2, stream);
    let c = stream.rationals(rows, -6, 6, 3);
    let x0 = stream.rationals(cols, -4, 4, 2);
    LeastSquaresProblem::from_svd(sigma, left, right, c, x0).expect("valid by construction")
}

/// The general instance of size rows × cols (both ≥ 1) drawn from `stream`.
///
/// Draws, in order: B row by row (`rational(−3, 3, 2)` each entry), a coin (heads, when
/// cols ≥ 2: the last column becomes a copy of the first, so that BᵀB is singular and the normal
/// equations have free variables), c (`rows` rationals `rational(−6, 6, 3)`) and x₀ (`cols`
/// rationals `rational(−4, 4, 2)`). An all-zero B gets B₁₁ = 1.
///
/// # Panics
/// Panics if `rows = 0` or `cols = 0`.
pub fn generate_general(rows: usize, cols: usize, stream: &mut Stream) -> LeastSquaresProblem {
    assert!(
        rows >= 1 && cols >= 1,
        "least_squares_general needs rows, cols ≥ 1"
    );
    let mut b: Vec<Vec<Rational>> = (0..rows)
        .map(|_| stream.rationals(cols, -3, 3, 2))
        .collect();
    let duplicate = stream.coin();
    let c = stream.rationals(rows, -6, 6, 3);
    let x0 = stream.rationals(cols, -4, 4, 2);
    if duplicate && cols >= 2 {
        for row in &mut b {
            row[cols - 1] = row[0].clone();
        }
    }
    if b.iter().flatten().all(|x| *x == 0) {
        b[0][0] = Rational::from(1);
    }
    LeastSquaresProblem::from_data(b, c, x0).expect("valid by construction")
}

/// Either construction, drawn from `stream`: a coin, then on heads an SVD instance with
/// `cols = range_usize(1, 3)`, `rows = cols + range_usize(0, 2)` ([`generate_svd`]), on tails a
/// general one with `rows = range_usize(1, 5)`, `cols = range_usize(1, 4)` ([`generate_general`]).
pub fn generate(stream: &mut Stream) -> LeastSquaresProblem {
    if stream.coin() {
        let cols = stream.range_usize(1, 3);
        let extra = stream.range_usize(0, 2);
        generate_svd(cols + extra, cols, stream)
    } else {
        let rows = stream.range_usize(1, 5);
        let cols = stream.range_usize(1, 4);
        generate_general(rows, cols, stream)
    }
}

/// SVD instances of size rows × cols (rows ≥ cols ≥ 1): σ_i = n/d with n in 1..=8, d in 1..=2,
/// up to two reflections on each side, c and x0 small rationals — [`generate_svd`] on the stream
/// of a proptest-drawn seed.
///
/// # Panics
/// Panics if `rows < cols` or `cols = 0` (a caller error, not a property of the draw).
pub fn least_squares_svd(rows: usize, cols: usize) -> impl Strategy<Value = LeastSquaresProblem> {
    assert!(
        rows >= cols && cols >= 1,
        "least_squares_svd needs rows ≥ cols ≥ 1"
    );
    seeded(move |stream| generate_svd(rows, cols, stream))
}

/// General instances of size rows × cols: entries n/d with n in [−3, 3], d in 1..=2 (an all-zero
/// draw gets B₁₁ = 1), and with probability ½ (when cols ≥ 2) the last column a copy of the first,
/// so that BᵀB is singular and the normal equations have free variables — [`generate_general`]
/// on the stream of a proptest-drawn seed.
pub fn least_squares_general(
    rows: usize,
    cols: usize,
) -> impl Strategy<Value = LeastSquaresProblem> {
    seeded(move |stream| generate_general(rows, cols, stream))
}

/// Either construction: SVD with cols in 1..=3, rows in cols..=cols+2, or general data with rows
/// in 1..=5 and cols in 1..=4 (under- and over-determined); proptest draws (and shrinks) the
/// sizes, the instance comes from the stream of a proptest-drawn seed.
pub fn least_squares() -> impl Strategy<Value = LeastSquaresProblem> {
    prop_oneof![
        seeded_with((1usize..=3, 0usize..=2), |(cols, extra), stream| {
            generate_svd(cols + extra, cols, stream)
        }),
        seeded_with((1usize..=5, 1usize..=4), |(rows, cols), stream| {
            generate_general(rows, cols, stream)
        }),
    ]
}

impl Generated for LeastSquaresProblem {
    fn generate(stream: &mut Stream) -> Self {
        generate(stream)
    }
    fn strategy() -> BoxedStrategy<Self> {
        least_squares().boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::test_runner::Config;

    proptest! {
        #![proptest_config(Config::with_cases(64))]

        #[test]
        fn value_is_half_the_squared_residual(
            (p, x) in least_squares().prop_flat_map(|p| {
                let n = p.dim();
                (Just(p), small_vector(n, -5, 5, 4))
            })
        ) {
            prop_assert_eq!(p.form().value_exact(&x), p.residual_value(&x));
        }

        #[test]
        fn minimiser_solves_the_normal_equations(p in least_squares()) {
            let xs = p.form().minimizer().to_vec();
            let bt = p.matrix().transpose();
            let r: Vec<Rational> = p.matrix().apply(&xs).into_iter().zip(p.rhs()).map(|(a, b)| a - b).collect();
            prop_assert!(bt.apply(&r).iter().all(|g| *g == 0));
            prop_assert_eq!(p.residual_value(&xs), p.form().optimal_value().clone());
        }

        #[test]
        fn svd_constants_agree_with_the_general_construction(
            p in (1usize..=3, 0usize..=2).prop_flat_map(|(c, e)| least_squares_svd(c + e, c))
        ) {
            let general = LeastSquaresProblem::from_data(
                p.matrix().to_dense(), p.rhs().to_vec(), p.initial_point()).unwrap();
            // Full column rank: the minimiser is unique, so both constructions find the same one.
            prop_assert_eq!(general.minimizer(), p.minimizer());
            prop_assert_eq!(general.optimal_value(), p.optimal_value());
            // Both L are upper bounds on σ_max², the SVD one exactly σ_max²; Gershgorin's m is a
            // lower bound on σ_min².
            prop_assert!(general.smoothness() >= p.smoothness());
            prop_assert!(general.strong_convexity() <= p.strong_convexity());
        }
    }

    #[test]
    fn underdetermined_systems_put_zero_in_free_variables() {
        // One equation x₁ + x₂ = 2: the pivot is x₁, the free variable x₂ is 0.
        let q = |n: i64| Rational::from(n);
        let p =
            LeastSquaresProblem::from_data(vec![vec![q(1), q(1)]], vec![q(2)], vec![q(0), q(0)])
                .unwrap();
        assert_eq!(p.minimizer().unwrap(), vec![q(2), q(0)]);
        assert_eq!(p.optimal_value().unwrap(), 0);
        assert_eq!(p.strong_convexity().unwrap(), 0);
    }

    #[test]
    fn bad_parameters_are_typed_errors() {
        for spec in [
            "least-squares:sigma=0,c=1",
            "least-squares:sigma=1;2,c=1",
            "least-squares:B=0;0,c=1",
            "least-squares:B=1,sigma=1,c=1",
            "least-squares:rows=2,cols=3",
            "least-squares:cols=0",
            "least-squares:sigma=1,c=1,seed=3",
            "least-squares:c=1;2",
            "least-squares:sigma=1,left=0;0,c=1;1",
        ] {
            let err = crate::problem::from_spec(spec).unwrap_err();
            assert!(
                matches!(err, Error::InvalidHyperParameter { .. }),
                "{spec}: {err}"
            );
        }
        for spec in [
            "least-squares:B=1;2|3,c=1;1",
            "least-squares:B=1;2,c=1;1",
            "least-squares:sigma=1,c=1,x0=1;2",
        ] {
            let err = crate::problem::from_spec(spec).unwrap_err();
            assert!(
                matches!(err, Error::DimensionMismatch { .. }),
                "{spec}: {err}"
            );
        }
        assert!(matches!(
            crate::problem::from_spec("least-squares:B=1"),
            Err(Error::Parse { .. })
        ));
    }
}
