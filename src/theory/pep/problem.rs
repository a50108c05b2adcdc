//! The performance-estimation problem (PEP) of a method in Gram form, over ℚ.
//!
//! For a method with points `p₀ … p_N` (see [`super::method`]) the worst case of a measure over
//! all functions of a class is the semidefinite program (Drori & Teboulle 2014, §2; Taylor,
//! Hendrickx & Glineur, *Smooth strongly convex interpolation and exact worst-case performance of
//! first-order methods*, Math. Program. 161 (2017), §3):
//!
//! ```text
//! maximise   a_objᵀ F + ⟨A_obj, G⟩
//! subject to a_ijᵀ F + ⟨A_ij, G⟩ ≤ 0         for all i ≠ j in {*, 0, …, N},
//!            ⟨A_init, G⟩ ≤ R² = 1,            G ⪰ 0,
//! ```
//!
//! with `F = (f(p₀) − f*, …, f(p_N) − f*)` and `G` the Gram matrix of the basis
//! `[x₀ − x*, g₀, …, g_N]` (index 0 is `x₀ − x*`, index `1 + i` is `g_i`); `x*` is the origin,
//! `g* = 0`, `f* = 0`. Every constraint is stored in this "`≤ 0`" form: its function-value part
//! `a` (length `N + 1`) and its Gram part `A` (a symmetric form of size `N + 2`).
//!
//! The interpolation inequality of the pair `(i, j)` is THG 2017, Theorem 4, with
//! `L = 1` and `q = μ/L`:
//!
//! ```text
//! f_i ≥ f_j + ⟨g_j, x_i − x_j⟩
//!       + 1/(2(1 − q)) (‖g_i − g_j‖² + q ‖x_i − x_j‖² − 2q ⟨g_j − g_i, x_j − x_i⟩);
//! ```
//!
//! at `q = 0` it is the smooth convex case, `f_i ≥ f_j + ⟨g_j, x_i − x_j⟩ + ½‖g_i − g_j‖²`
//! (THG 2017, Theorem 4 with μ = 0; Nesterov 2004, Thm 2.1.5 for necessity).

use std::collections::BTreeMap;

use rug::Rational;

use super::method::Method;
use crate::error::{Error, Result};

/// A point of the PEP: the minimiser or one of the method's points `p_k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Point {
    /// `x*`, with `g* = 0` and `f* = 0`.
    Optimum,
    /// `p_k`, `k = 0 … N`.
    Iterate(usize),
}

/// The interpolation inequality "`f_i ≥ f_j + ⟨g_j, x_i − x_j⟩ + …`" of the ordered pair
/// `(i, j)`, `i ≠ j`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pair {
    /// The point whose function value is bounded below.
    pub i: Point,
    /// The point whose linearisation (and gradient) is used.
    pub j: Point,
}

/// The class of functions the worst case ranges over, normalised to `L = 1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FunctionClass {
    /// Convex and 1-smooth.
    SmoothConvex,
    /// 1-smooth and `q`-strongly convex, `0 ≤ q < 1` (`q = μ/L` of the unnormalised class).
    SmoothStronglyConvex {
        /// `q = μ/L`.
        strong_convexity: Rational,
    },
}

/// What the worst case is taken of, at the last point `p_N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// `f(p_N) − f*` (scales as `L R²`).
    FunctionValue,
    /// `‖∇f(p_N)‖²` (scales as `L² R²`).
    GradientNormSquared,
    /// `‖p_N − x*‖²` (scales as `R²`).
    DistanceSquared,
}

/// A symmetric bilinear form on the Gram basis, stored sparsely by its upper triangle: most
/// interpolation constraints touch `O(N)` of the `(N + 2)²` entries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SymmetricForm {
    dimension: usize,
    upper: BTreeMap<(usize, usize), Rational>,
}

impl SymmetricForm {
    /// The zero form on a basis of `dimension` vectors.
    pub fn zero(dimension: usize) -> Self {
        SymmetricForm {
            dimension,
            upper: BTreeMap::new(),
        }
    }

    /// The basis size.
    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// Entry `(r, c)` (= entry `(c, r)`).
    pub fn get(&self, r: usize, c: usize) -> Rational {
        let key = (r.min(c), r.max(c));
        self.upper.get(&key).cloned().unwrap_or_default()
    }

    fn add_entry(&mut self, r: usize, c: usize, value: Rational) {
        if value == 0 {
            return;
        }
        let key = (r.min(c), r.max(c));
        let entry = self.upper.entry(key).or_default();
        *entry += value;
        if *entry == 0 {
            self.upper.remove(&key);
        }
    }

    /// Adds `w · sym(u vᵀ) = (w/2)(u vᵀ + v uᵀ)`, so that `⟨·, G⟩` is `w ⟨u, v⟩` in the Gram
    /// coordinates (`u`, `v` are coordinate vectors in the basis).
    pub fn add_product(&mut self, w: &Rational, u: &[Rational], v: &[Rational]) {
        let half = Rational::from(w / 2u32);
        for (r, ur) in u.iter().enumerate().filter(|(_, x)| **x != 0) {
            for (c, vc) in v.iter().enumerate().filter(|(_, x)| **x != 0) {
                let term = Rational::from(&half * ur) * vc;
                if r == c {
                    self.add_entry(r, c, Rational::from(2u32 * term));
                } else {
                    self.add_entry(r, c, term);
                }
            }
        }
    }

    /// Adds `w · other`.
    pub fn add_scaled(&mut self, w: &Rational, other: &SymmetricForm) {
        for (&(r, c), value) in &other.upper {
            self.add_entry(r, c, Rational::from(w * value));
        }
    }

    /// The dense symmetric matrix.
    pub fn to_dense(&self) -> Vec<Vec<Rational>> {
        let mut m = vec![vec![Rational::new(); self.dimension]; self.dimension];
        for (&(r, c), value) in &self.upper {
            m[r][c] = value.clone();
            m[c][r] = value.clone();
        }
        m
    }

    /// The nonzero entries of the upper triangle, `(r, c, value)` with `r ≤ c`.
    pub fn entries(&self) -> impl Iterator<Item = (usize, usize, &Rational)> {
        self.upper.iter().map(|(&(r, c), v)| (r, c, v))
    }
}

/// One constraint `aᵀ F + ⟨A, G⟩ (≤ 0 | ≤ 1 | maximised)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    /// `a`, the coefficients of `f(p₀) − f* … f(p_N) − f*`.
    pub function_values: Vec<Rational>,
    /// `A`, on the Gram basis `[x₀ − x*, g₀, …, g_N]`.
    pub gram: SymmetricForm,
}

/// The PEP of one method, class and measure, with initial condition `‖x₀ − x*‖² ≤ 1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pep {
    method: Method,
    class: FunctionClass,
    measure: Measure,
}

impl Pep {
    /// The PEP of `method` over `class`, measuring `measure` at its last point.
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] for a strong convexity outside `[0, 1)`.
    pub fn new(method: Method, class: FunctionClass, measure: Measure) -> Result<Self> {
        if let FunctionClass::SmoothStronglyConvex { strong_convexity } = &class {
            if *strong_convexity < 0 || *strong_convexity >= 1 {
                return Err(Error::hyper(
                    "strong_convexity",
                    crate::arith::text::format(strong_convexity),
                    "q = μ/L must lie in [0, 1)",
                ));
            }
        }
        Ok(Pep {
            method,
            class,
            measure,
        })
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The function class.
    pub fn class(&self) -> &FunctionClass {
        &self.class
    }

    /// The measure.
    pub fn measure(&self) -> Measure {
        self.measure
    }

    /// The number of steps `N`.
    pub fn steps(&self) -> usize {
        self.method.steps()
    }

    /// The Gram basis size `N + 2`.
    pub fn dimension(&self) -> usize {
        self.steps() + 2
    }

    /// Every point: `x*`, then `p₀ … p_N`.
    pub fn points(&self) -> Vec<Point> {
        std::iter::once(Point::Optimum)
            .chain((0..=self.steps()).map(Point::Iterate))
            .collect()
    }

    /// Every ordered pair of distinct points, `(N + 2)(N + 1)` of them.
    pub fn pairs(&self) -> Vec<Pair> {
        let points = self.points();
        let mut pairs = Vec::with_capacity(points.len() * (points.len() - 1));
        for &i in &points {
            for &j in &points {
                if i != j {
                    pairs.push(Pair { i, j });
                }
            }
        }
        pairs
    }

    fn check_point(&self, p: Point) -> Result<()> {
        match p {
            Point::Iterate(k) if k > self.steps() => Err(Error::dims(
                "PEP point index (largest is N)",
                self.steps(),
                k,
            )),
            _ => Ok(()),
        }
    }

    /// `x_p − x*` in the Gram basis.
    fn position(&self, p: Point) -> Vec<Rational> {
        let mut v = vec![Rational::new(); self.dimension()];
        if let Point::Iterate(k) = p {
            v[0] = Rational::from(1);
            for (i, h) in self.method.coefficients()[k].iter().enumerate() {
                v[1 + i] = Rational::from(-h);
            }
        }
        v
    }

    /// `g_p` in the Gram basis (zero at the optimum).
    fn gradient(&self, p: Point) -> Vec<Rational> {
        let mut v = vec![Rational::new(); self.dimension()];
        if let Point::Iterate(k) = p {
            v[1 + k] = Rational::from(1);
        }
        v
    }

    /// `e_p` on the function values (zero at the optimum, where `f* = 0`).
    fn value(&self, p: Point) -> Vec<Rational> {
        let mut a = vec![Rational::new(); self.steps() + 1];
        if let Point::Iterate(k) = p {
            a[k] = Rational::from(1);
        }
        a
    }

    /// The interpolation inequality of `pair` in "`≤ 0`" form:
    /// `f_j − f_i + ⟨g_j, x_i − x_j⟩ + c (‖Δg‖² + q ‖Δx‖² − 2q ⟨Δg, Δx⟩) ≤ 0`,
    /// `Δx = x_i − x_j`, `Δg = g_i − g_j`, `c = 1/(2(1 − q))` (module docs).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] for a point index beyond `N`; [`Error::InvalidHyperParameter`]
    /// for `i = j`.
    pub fn interpolation(&self, pair: Pair) -> Result<Constraint> {
        self.check_point(pair.i)?;
        self.check_point(pair.j)?;
        if pair.i == pair.j {
            return Err(Error::hyper(
                "pair",
                format!("{:?}", pair.i),
                "interpolation pairs need two distinct points",
            ));
        }
        let q = match &self.class {
            FunctionClass::SmoothConvex => Rational::new(),
            FunctionClass::SmoothStronglyConvex { strong_convexity } => strong_convexity.clone(),
        };
        let c = Rational::from(1) / Rational::from(2u32 * Rational::from(1 - q.clone()));
        let (xi, xj) = (self.position(pair.i), self.position(pair.j));
        let (gi, gj) = (self.gradient(pair.i), self.gradient(pair.j));
        let dx: Vec<Rational> = xi
            .iter()
            .zip(&xj)
            .map(|(a, b)| Rational::from(a - b))
            .collect();
        let dg: Vec<Rational> = gi
            .iter()
            .zip(&gj)
            .map(|(a, b)| Rational::from(a - b))
            .collect();
        let mut gram = SymmetricForm::zero(self.dimension());
        gram.add_product(&Rational::from(1), &gj, &dx);
        gram.add_product(&c, &dg, &dg);
        if q != 0 {
            gram.add_product(&Rational::from(&c * &q), &dx, &dx);
            gram.add_product(&Rational::from(-2 * Rational::from(&c * &q)), &dg, &dx);
        }
        let function_values = self
            .value(pair.j)
            .into_iter()
            .zip(self.value(pair.i))
            .map(|(fj, fi)| fj - fi)
            .collect();
        Ok(Constraint {
            function_values,
            gram,
        })
    }

    /// The initial condition `‖x₀ − x*‖² ≤ 1` (the constraint's right-hand side is `R² = 1`).
    pub fn initial_condition(&self) -> Constraint {
        let x0 = self.position(Point::Iterate(0));
        let mut gram = SymmetricForm::zero(self.dimension());
        gram.add_product(&Rational::from(1), &x0, &x0);
        Constraint {
            function_values: vec![Rational::new(); self.steps() + 1],
            gram,
        }
    }

    /// The objective, maximised: the measure at `p_N`.
    pub fn objective(&self) -> Constraint {
        let last = Point::Iterate(self.steps());
        let mut gram = SymmetricForm::zero(self.dimension());
        let mut function_values = vec![Rational::new(); self.steps() + 1];
        match self.measure {
            Measure::FunctionValue => function_values = self.value(last),
            Measure::GradientNormSquared => {
                let g = self.gradient(last);
                gram.add_product(&Rational::from(1), &g, &g);
            }
            Measure::DistanceSquared => {
                let x = self.position(last);
                gram.add_product(&Rational::from(1), &x, &x);
            }
        }
        Constraint {
            function_values,
            gram,
        }
    }
}
