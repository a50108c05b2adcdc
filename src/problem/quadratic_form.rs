//! The quadratic `f(x) = f* + ½(x − x*)ᵀA(x − x*)` shared by the quadratic, lower-bound and
//! least-squares families, and its oracle in every arithmetic.

use std::sync::Arc;

use rug::Rational;

use super::{GapJob, Oracle, check_dim, to_vector};
use crate::arith::Scalar;
use crate::arith::linalg::{Matrix, QMat, QVec, Vector};
use crate::error::{Error, Result};

/// How the oracle forms the gradient. Both are `A(x − x*)` exactly; they differ in f64 rounding
/// and in sparsity: the linear form `Ax − b` keeps `∇f(x)` supported where `Ax` and `b` are (the
/// Krylov structure of Nesterov's lower-bound function survives in f64), the centred form is
/// accurate near `x*` (no cancellation between `Ax` and `b`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GradientForm {
    /// `g = A (x ⊖ x*)`: subtract, then multiply.
    Centered,
    /// `g = (A x) ⊖ b` with `b = A x*`.
    Linear,
}

/// A convex quadratic with exact data: positive semidefinite `A` (symmetric), a minimiser `x*`
/// (any one, if `A` is singular), the optimal value `f*`, and `b = A x*`.
#[derive(Clone, Debug, PartialEq)]
pub struct QuadraticForm {
    a: QMat,
    x_star: Vec<Rational>,
    f_star: Rational,
    b: Vec<Rational>,
    form: GradientForm,
    /// `A = Q diag(λ) Qᵀ` when the form was built that way ([`QuadraticForm::with_eigenbasis`]).
    eigen: Option<Arc<EigenForm>>,
}

/// `A = Q diag(λ) Qᵀ` with `Q = H₁⋯H_r` a product of Householder reflections
/// `H = I − 2vvᵀ/(vᵀv)`: an exact gap is then ½ Σ λᵢ eᵢ² with `e = Qᵀ(x − x*)`, one weighted
/// sum of squares and r cheap reflections (a reflection vector has small entries) where
/// ½ dᵀ(Ad) multiplies two kilobit numerators per entry. The same rational either way.
#[derive(Debug, PartialEq)]
pub struct EigenForm {
    spectrum: QVec,
    /// The reflection vectors scaled to integers (the same reflections), in the order
    /// `Qᵀ = H_r⋯H₁` applies them: H₁ first.
    reflections: Vec<Vec<rug::Integer>>,
}

impl EigenForm {
    /// `½ Σ λᵢ eᵢ²`, `e = Qᵀd`.
    fn gap(&self, d: QVec) -> Rational {
        d.into_reflected_weighted_square_sum(&self.reflections, &self.spectrum) / 2u32
    }
}

impl QuadraticForm {
    /// The quadratic with Hessian `a`, minimiser `x_star` and optimal value `f_star`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `a` is not square of the size of `x_star`.
    pub fn new(
        a: QMat,
        x_star: Vec<Rational>,
        f_star: Rational,
        form: GradientForm,
    ) -> Result<Self> {
        if a.rows() != a.cols() {
            return Err(Error::dims(
                "quadratic form: square Hessian",
                a.rows(),
                a.cols(),
            ));
        }
        if a.rows() != x_star.len() {
            return Err(Error::dims(
                "quadratic form: minimiser length",
                a.rows(),
                x_star.len(),
            ));
        }
        let b = a.apply(&x_star);
        Ok(QuadraticForm {
            a,
            x_star,
            f_star,
            b,
            form,
            eigen: None,
        })
    }

    /// The same form, told that its Hessian is `H₁⋯H_r diag(spectrum) H_r⋯H₁` for the
    /// Householder vectors `reflections` (the `quadratic` family builds it so). Exact gaps then use
    /// the eigenbasis ([`EigenForm`]); nothing else changes, and floating oracles never use it.
    ///
    /// The caller vouches for the identity, which is not re-checked (`QuadraticProblem::new`
    /// builds `A` from these very data; `tests/it/gradients.rs` compares the two gaps).
    pub(crate) fn with_eigenbasis(
        mut self,
        spectrum: &[Rational],
        reflections: &[Vec<Rational>],
    ) -> Self {
        // v and cv give the same reflection: the numerators over v's shared denominator.
        let reflections = reflections
            .iter()
            .map(|v| QVec::from_scalars(v).numerators().to_vec())
            .collect();
        self.eigen = Some(Arc::new(EigenForm {
            spectrum: QVec::from_scalars(spectrum),
            reflections,
        }));
        self
    }

    /// The Hessian.
    pub fn hessian(&self) -> &QMat {
        &self.a
    }

    /// The minimiser.
    pub fn minimizer(&self) -> &[Rational] {
        &self.x_star
    }

    /// The optimal value.
    pub fn optimal_value(&self) -> &Rational {
        &self.f_star
    }

    /// `b = A x*`, the linear term of `f(x) = ½xᵀAx − bᵀx + const`.
    pub fn linear_term(&self) -> &[Rational] {
        &self.b
    }

    /// The dimension.
    pub fn dim(&self) -> usize {
        self.x_star.len()
    }

    /// The oracle in arithmetic `S`.
    pub fn oracle<S: Scalar>(&self) -> QuadraticOracle<S> {
        QuadraticOracle {
            a: S::Matrix::from_exact(&self.a),
            x_star: to_vector::<S>(&self.x_star),
            b: to_vector::<S>(&self.b),
            f_star: S::from_rational(&self.f_star),
            form: self.form,
            half: S::from_ratio(1, 2),
            cache: None,
            product_reused: true,
            shared: None,
            eigen: self
                .eigen
                .as_ref()
                .filter(|_| S::EXACT)
                .map(|e| (Arc::clone(e), Arc::new(QVec::from_scalars(&self.x_star)))),
        }
    }

    /// The exact data as JSON: Hessian rows, minimiser and optimal value as `"p/q"`, merged with
    /// the family's own fields in `extra` (an object).
    pub fn data_json(&self, extra: serde_json::Value) -> serde_json::Value {
        use crate::arith::text::format;
        let mut obj = serde_json::json!({
            "hessian": self.a.to_dense().iter().map(|r| r.iter().map(format).collect::<Vec<_>>()).collect::<Vec<_>>(),
            "minimizer": self.x_star.iter().map(format).collect::<Vec<_>>(),
            "optimum": format(&self.f_star),
        });
        if let (Some(o), serde_json::Value::Object(e)) = (obj.as_object_mut(), extra) {
            o.extend(e);
        }
        obj
    }

    /// `f(x)` exactly, for construction-time checks.
    pub fn value_exact(&self, x: &[Rational]) -> Rational {
        let d: Vec<Rational> = x
            .iter()
            .zip(&self.x_star)
            .map(|(a, b)| Rational::from(a - b))
            .collect();
        let ad = self.a.apply(&d);
        let quad = d
            .iter()
            .zip(&ad)
            .fold(Rational::new(), |acc, (u, v)| acc + Rational::from(u * v));
        Rational::from(&self.f_star + quad / 2u32)
    }
}

/// `(A, x*, ½)`: what a gap job that forms `A(x − x*)` itself reads.
type GapData<S> = (
    <S as crate::arith::Number>::Matrix,
    <S as crate::arith::Number>::Vector,
    S,
);

/// [`QuadraticForm`]'s oracle in arithmetic `S`.
///
/// f64 operation order (with [`Vector`]'s sequential sums): centred gradient `d = x ⊖ x̂*`,
/// `g = Â d`; linear gradient `g = (Â x) ⊖ b̂`; gap `½ ⊗ (d · (Â d))`; value `f̂* ⊕ gap`, where hats
/// are the nearest f64 to the exact data.
#[derive(Debug)]
pub struct QuadraticOracle<S: Scalar> {
    a: S::Matrix,
    x_star: S::Vector,
    b: S::Vector,
    f_star: S,
    form: GradientForm,
    /// 1/2, built once: a gap is asked at every recorded step, and building the constant costs an
    /// exact rational (and, in floating arithmetics, its rounding) each time.
    half: S,
    /// The last point whose gap was computed and `A(x − x*)` there (see `centred_product`).
    cache: Option<(S::Vector, S::Vector)>,
    /// Whether the last cached product was the next gradient's (GD, heavy ball, PyTorch query
    /// the new iterate; NAG, FISTA, OGM a look-ahead point): [`Oracle::gap_job`] then keeps the
    /// product on this thread for the gradient and leaves only the dot product to the job, or
    /// else leaves the whole gap to the job.
    product_reused: bool,
    /// `(A, x*, ½)` for jobs that form `A(x − x*)` themselves, shared rather than copied per job.
    shared: Option<Arc<GapData<S>>>,
    /// The eigenbasis and x*, for exact oracles of a form that has one.
    eigen: Option<(Arc<EigenForm>, Arc<QVec>)>,
}

impl<S: Scalar> QuadraticOracle<S> {
    /// The gap at `x` by the eigenbasis, as a job that owns what it reads: when the form has an
    /// eigenbasis and the arithmetic is exact (`x` is then a [`QVec`]).
    fn eigen_job(&self, x: &S::Vector) -> Option<impl FnOnce() -> S + Send + 'static> {
        let (eigen, x_star) = self.eigen.as_ref()?;
        let x = (x as &dyn std::any::Any).downcast_ref::<QVec>()?.clone();
        let (eigen, x_star) = (Arc::clone(eigen), Arc::clone(x_star));
        Some(move || {
            let mut d = x;
            d.sub_assign(&x_star);
            S::from_rational(&eigen.gap(d))
        })
    }

    /// `A(x − x*)`, from the cache when `x` is the point of the last gap.
    ///
    /// Only [`Oracle::gap`] fills the cache: along a run the gap is asked at the new iterate of a
    /// recorded step, which is where the next gradient is queried (GD, heavy ball, PyTorch), so
    /// that product is computed once; a gradient at a point whose gap is never asked (every
    /// unrecorded step) costs no copies. The gradient takes the cached product instead of copying
    /// it (an exact trace of d = 50 spent a tenth of its time copying big vectors here).
    fn centred_product(&mut self, x: &S::Vector) -> S::Vector {
        if let Some((cx, ad)) = self.cache.take() {
            self.product_reused = cx == *x;
            if self.product_reused {
                return ad;
            }
        }
        self.a.matvec_centered(x, &self.x_star)
    }
}

impl<S: Scalar> Oracle<S> for QuadraticOracle<S> {
    fn dim(&self) -> usize {
        self.x_star.len()
    }
    fn value(&mut self, x: &S::Vector) -> Result<S> {
        let gap = self.gap(x)?.expect("quadratic gap is always known");
        Ok(self.f_star.clone() + &gap)
    }
    fn gradient(&mut self, x: &S::Vector) -> Result<S::Vector> {
        check_dim::<S>("quadratic gradient", self.dim(), x)?;
        Ok(match self.form {
            GradientForm::Centered => self.centred_product(x),
            GradientForm::Linear => {
                let mut g = self.a.matvec(x);
                g.sub_assign(&self.b);
                g
            }
        })
    }
    fn gradient_into(&mut self, x: &S::Vector, out: &mut S::Vector) -> Result<()> {
        check_dim::<S>("quadratic gradient", self.dim(), x)?;
        match self.form {
            GradientForm::Centered => match self.cache.take() {
                // The cached product moves into `out` (as `centred_product` returns it).
                Some((cx, ad)) if cx == *x => {
                    self.product_reused = true;
                    *out = ad;
                }
                cached => {
                    if cached.is_some() {
                        self.product_reused = false;
                    }
                    self.a.matvec_centered_into(x, &self.x_star, out);
                }
            },
            GradientForm::Linear => *out = self.gradient(x)?,
        }
        Ok(())
    }
    fn gap(&mut self, x: &S::Vector) -> Result<Option<S>> {
        check_dim::<S>("quadratic gap", self.dim(), x)?;
        if let Some(job) = self.eigen_job(x) {
            // Nothing cached: the next gradient forms A(x − x*) itself, the multiplication by
            // small entries that the gap no longer needs.
            return Ok(Some(job()));
        }
        if let Some(form) = self.a.centered_form(x, &self.x_star) {
            // One pass, nothing cached: the next gradient's own pass costs no more than the
            // cache's copy of `x` and its comparison would.
            return Ok(Some(form * &self.half));
        }
        let mut d = x.clone();
        d.sub_assign(&self.x_star);
        let ad = self.a.matvec(&d);
        let gap = d.dot(&ad) * &self.half;
        // `d` becomes the cache's copy of `x` (only its storage is reused).
        d.clone_from(x);
        self.cache = Some((d, ad));
        Ok(Some(gap))
    }
    fn diagonal_centered(&self) -> Option<(&S::Vector, &S::Vector)> {
        match self.form {
            GradientForm::Centered => self.a.diagonal().map(|a| (a, &self.x_star)),
            GradientForm::Linear => None,
        }
    }
    fn gap_job(&mut self, x: &S::Vector) -> Result<GapJob<S>> {
        if !S::EXACT {
            // A floating gap costs about what handing it to another thread does.
            return Ok(GapJob::Ready(self.gap(x)?));
        }
        check_dim::<S>("quadratic gap", self.dim(), x)?;
        if let Some(job) = self.eigen_job(x) {
            return Ok(GapJob::Later(Box::new(move || Some(job()))));
        }
        if let Some(form) = self.a.centered_form(x, &self.x_star) {
            return Ok(GapJob::Ready(Some(form * &self.half)));
        }
        if self.product_reused {
            // The same operations as `gap`, the dot product in the job on copies.
            let mut d = x.clone();
            d.sub_assign(&self.x_star);
            let ad = self.a.matvec(&d);
            let job_ad = ad.clone();
            self.cache = Some((x.clone(), ad));
            let half = self.half.clone();
            return Ok(GapJob::Later(Box::new(move || {
                Some(d.dot(&job_ad) * &half)
            })));
        }
        // The next gradient is elsewhere: nothing to cache, the product goes to the job too.
        self.cache = None;
        let shared = Arc::clone(self.shared.get_or_insert_with(|| {
            Arc::new((self.a.clone(), self.x_star.clone(), self.half.clone()))
        }));
        let x = x.clone();
        Ok(GapJob::Later(Box::new(move || {
            let (a, x_star, half) = &*shared;
            let mut d = x;
            d.sub_assign(x_star);
            let ad = a.matvec(&d);
            Some(d.dot(&ad) * half)
        })))
    }
}
