//! Quadratics with a prescribed rational spectrum, rotated by exact rational orthogonal matrices.
//!
//! `f(x) = f* + ½(x − x*)ᵀA(x − x*)` with `A = Q diag(λ) Qᵀ` and `Q = H₁⋯H_r` a product of
//! Householder reflections `H = I − 2vvᵀ/(vᵀv)` with rational `v` — orthogonal and rational, so
//! `A` is exact, its eigenvalues are exactly the prescribed `λ`, `L = max λ` and `m = min λ`
//! (m may be 0: a merely convex quadratic; `x*` is then one of its minimisers).
//!
//! Spec: `quadratic:dim=4,L=1,m=1/10,seed=3` draws the rotation, the interior of the spectrum,
//! x*, f* and x₀ from the seed; `spectrum=`, `householder=`, `minimizer=`, `optimum=`, `x0=` give
//! them explicitly (this is what [`Problem::spec`] prints, so any instance can be rebuilt).

use proptest::prelude::*;
use rug::{Float, Rational};

use super::{F64RoundingBound, GradientForm, Oracle, Problem, QuadraticForm};
use crate::arith::bounded::{Bounded, BoundedMpfr};
use crate::arith::linalg::QMat;
use crate::error::{Error, Result};
use crate::generate::{Generated, Stream, seeded, seeded_with};
use crate::spec::{EntryInfo, ParamInfo, Spec, format_list, format_lists};

/// Catalogue entry.
pub const INFO: EntryInfo = EntryInfo {
    name: "quadratic",
    summary: "f* + ½(x−x*)ᵀQΛQᵀ(x−x*), rational spectrum in [m, L], Q a product of rational Householder reflections",
    params: &[
        ParamInfo {
            key: "dim",
            help: "dimension (default 4)",
        },
        ParamInfo {
            key: "L",
            help: "largest eigenvalue (default 1)",
        },
        ParamInfo {
            key: "m",
            help: "smallest eigenvalue, 0 for merely convex (default 1/10)",
        },
        ParamInfo {
            key: "seed",
            help: "draws rotation, interior eigenvalues, x*, f*, x0 (default 0)",
        },
        ParamInfo {
            key: "spectrum",
            help: "explicit eigenvalues a;b;c (overrides dim, L, m)",
        },
        ParamInfo {
            key: "householder",
            help: "explicit reflection vectors v1|v2, entries ;-separated, or none (Q = I)",
        },
        ParamInfo {
            key: "minimizer",
            help: "explicit x*",
        },
        ParamInfo {
            key: "optimum",
            help: "explicit f*",
        },
        ParamInfo {
            key: "x0",
            help: "explicit initial point",
        },
    ],
};

/// A rotated quadratic with exact data. See the [module documentation](self).
#[derive(Clone, Debug, PartialEq)]
pub struct QuadraticProblem {
    spectrum: Vec<Rational>,
    reflections: Vec<Vec<Rational>>,
    form: QuadraticForm,
    x0: Vec<Rational>,
}

/// `H M H` for the Householder reflection of `v`, exactly (two rank-one updates, O(d²)).
fn reflect_both_sides(m: &[Vec<Rational>], v: &[Rational]) -> Vec<Vec<Rational>> {
    let n = v.len();
    let s = crate::arith::linalg::norm_sq(v);
    // H M H = M − (2/s)(v wᵀ + u vᵀ) + (4 vᵀMv / s²) v vᵀ with u = M v, w = Mᵀ v (= u: M symmetric).
    let u: Vec<Rational> = (0..n)
        .map(|i| {
            (0..n).fold(Rational::new(), |acc, j| {
                acc + Rational::from(&m[i][j] * &v[j])
            })
        })
        .collect();
    let vmv = (0..n).fold(Rational::new(), |acc, i| {
        acc + Rational::from(&v[i] * &u[i])
    });
    let two_over_s = Rational::from(2) / &s;
    let c = Rational::from(4) * vmv / Rational::from(&s * &s);
    (0..n)
        .map(|i| {
            (0..n)
                .map(|j| {
                    let rank1 = Rational::from(&v[i] * &u[j]) + Rational::from(&u[i] * &v[j]);
                    Rational::from(&m[i][j] - rank1 * &two_over_s)
                        + Rational::from(&v[i] * &v[j]) * &c
                })
                .collect()
        })
        .collect()
}

impl QuadraticProblem {
    /// The quadratic with eigenvalues `spectrum` (all ≥ 0), rotation `H(v₁)⋯H(v_r)`, minimiser
    /// `minimizer`, optimal value `optimum` and initial point `x0`.
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] for a negative eigenvalue or a zero reflection vector;
    /// [`Error::DimensionMismatch`] for vectors of the wrong length.
    pub fn new(
        spectrum: Vec<Rational>,
        reflections: Vec<Vec<Rational>>,
        minimizer: Vec<Rational>,
        optimum: Rational,
        x0: Vec<Rational>,
    ) -> Result<Self> {
        let n = spectrum.len();
        if n == 0 {
            return Err(Error::hyper("dim", 0, "must be at least 1"));
        }
        crate::problem::check_dimension("spectrum", n)?;
        if let Some(l) = spectrum.iter().find(|l| **l < 0) {
            return Err(Error::hyper(
                "spectrum",
                l,
                "eigenvalues must be non-negative (convex)",
            ));
        }
        for (name, v) in [("minimizer", &minimizer), ("x0", &x0)] {
            if v.len() != n {
                return Err(Error::dims(format!("quadratic {name}"), n, v.len()));
            }
        }
        for v in &reflections {
            if v.len() != n {
                return Err(Error::dims("quadratic householder vector", n, v.len()));
            }
            if v.iter().all(|x| *x == 0) {
                return Err(Error::hyper(
                    "householder",
                    format_list(v),
                    "a reflection vector must be non-zero",
                ));
            }
        }
        let mut m: Vec<Vec<Rational>> = (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| {
                        if i == j {
                            spectrum[i].clone()
                        } else {
                            Rational::new()
                        }
                    })
                    .collect()
            })
            .collect();
        // A = H₁(H₂(⋯Λ⋯)H₂)H₁: apply the innermost reflection first.
        for v in reflections.iter().rev() {
            m = reflect_both_sides(&m, v);
        }
        let l_max = spectrum.iter().max().cloned().expect("non-empty");
        let a = QMat::from_rows(&m)?.with_norm_bound(l_max);
        let form = QuadraticForm::new(a, minimizer, optimum, GradientForm::Centered)?
            .with_eigenbasis(&spectrum, &reflections);
        Ok(QuadraticProblem {
            spectrum,
            reflections,
            form,
            x0,
        })
    }

    /// The prescribed eigenvalues, in the order given.
    pub fn spectrum(&self) -> &[Rational] {
        &self.spectrum
    }

    /// The Householder vectors of the rotation.
    pub fn reflections(&self) -> &[Vec<Rational>] {
        &self.reflections
    }

    /// The rotation `Q = H₁⋯H_r` (columns are eigenvectors: `A Q e_i = λ_i Q e_i`).
    pub fn rotation(&self) -> QMat {
        let n = self.spectrum.len();
        let mut q = QMat::identity(n);
        for v in &self.reflections {
            let s = crate::arith::linalg::norm_sq(v);
            let h: Vec<Vec<Rational>> = (0..n)
                .map(|i| {
                    (0..n)
                        .map(|j| {
                            let id = if i == j {
                                Rational::from(1)
                            } else {
                                Rational::new()
                            };
                            id - Rational::from(2) * Rational::from(&v[i] * &v[j]) / &s
                        })
                        .collect()
                })
                .collect();
            q = q
                .mul(&QMat::from_rows(&h).expect("square"))
                .expect("same size");
        }
        q.with_norm_bound(Rational::from(1))
    }

    /// The quadratic form (Hessian, minimiser, optimal value).
    pub fn form(&self) -> &QuadraticForm {
        &self.form
    }

    /// The instance [`generate`] draws from `Stream::from_seed(seed)` (dimension, L and m drawn
    /// from the stream as well, per `params`).
    pub fn from_seed(params: &QuadraticParams, seed: u64) -> Self {
        generate(params, &mut Stream::from_seed(seed))
    }

    /// Builds an instance from a parsed spec (see the module documentation).
    ///
    /// # Errors
    /// Parse and range errors naming the offending key.
    pub fn from_spec(spec: &Spec) -> Result<Self> {
        let seed = spec.u64_or("seed", 0)?;
        let explicit = spec.rational_list("spectrum")?;
        let dim = spec.bounded_usize_or(
            "dim",
            explicit.as_ref().map_or(4, Vec::len),
            crate::problem::MAX_DIMENSION,
        )?;
        let l = spec.rational_or("L", Rational::from(1))?;
        let m = spec.rational_or("m", Rational::from((1, 10)))?;
        if explicit.is_none() {
            if dim == 0 {
                return Err(Error::hyper("dim", dim, "must be at least 1"));
            }
            if l <= 0 {
                return Err(Error::hyper(
                    "L",
                    crate::arith::text::format(&l),
                    "must be positive",
                ));
            }
            if m < 0 || m > l {
                return Err(Error::hyper(
                    "m",
                    crate::arith::text::format(&m),
                    "must satisfy 0 <= m <= L",
                ));
            }
        }
        let drawn = generate_with(dim.max(1), l, m, &mut Stream::from_seed(seed));
        let spectrum = explicit.unwrap_or_else(|| drawn.spectrum.clone());
        let n = spectrum.len();
        let pick = |key: &str, drawn_v: &[Rational]| -> Result<Vec<Rational>> {
            Ok(spec
                .rational_list(key)?
                .unwrap_or_else(|| resize(drawn_v, n)))
        };
        let reflections = match spec.raw("householder") {
            Some("none") => Vec::new(),
            _ => match spec.rational_lists("householder")? {
                Some(r) => r,
                None => drawn.reflections.iter().map(|v| resize(v, n)).collect(),
            },
        };
        let minimizer = pick("minimizer", drawn.form.minimizer())?;
        let x0 = pick("x0", &drawn.x0)?;
        let optimum = spec.rational_or("optimum", drawn.form.optimal_value().clone())?;
        spec.finish(&INFO)?;
        QuadraticProblem::new(spectrum, reflections, minimizer, optimum, x0)
    }
}

/// `v` cut or zero-padded to length `n` (for explicit spectra of another length than the draw).
fn resize(v: &[Rational], n: usize) -> Vec<Rational> {
    let mut out: Vec<Rational> = v.iter().take(n).cloned().collect();
    out.resize(n, Rational::new());
    if out.iter().all(|x| *x == 0) && v.iter().any(|x| *x != 0) {
        out[0] = Rational::from(1);
    }
    out
}

impl Problem for QuadraticProblem {
    fn family(&self) -> &'static str {
        INFO.name
    }
    fn spec(&self) -> String {
        let mut s = format!("quadratic:spectrum={}", format_list(&self.spectrum));
        // Without the key the seed's reflections would be drawn: spell out "none".
        if self.reflections.is_empty() {
            s += ",householder=none";
        } else {
            s += &format!(",householder={}", format_lists(&self.reflections));
        }
        s + &format!(
            ",minimizer={},optimum={},x0={}",
            format_list(self.form.minimizer()),
            crate::arith::text::format(self.form.optimal_value()),
            format_list(&self.x0)
        )
    }
    fn dim(&self) -> usize {
        self.spectrum.len()
    }
    fn smoothness(&self) -> Option<Rational> {
        self.spectrum.iter().max().cloned()
    }
    fn strong_convexity(&self) -> Option<Rational> {
        self.spectrum.iter().min().cloned()
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
        self.form.data_json(serde_json::json!({
            "spectrum": self.spectrum.iter().map(crate::arith::text::format).collect::<Vec<_>>(),
            "householder": self.reflections.iter().map(|v| v.iter().map(crate::arith::text::format).collect::<Vec<_>>()).collect::<Vec<_>>(),
        }))
    }
}

/// What kind of curvature the [`quadratic`] strategy draws.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Curvature {
    /// m = 0 (the smallest eigenvalue is 0).
    Convex,
    /// m = L/κ for κ drawn from 2..=100.
    StronglyConvex,
    /// m = L/κ with κ = j² a perfect square, j in 2..=8 (so that √κ is rational).
    SquareCondition,
    /// Any of the above.
    Any,
}

/// Parameters of the [`quadratic`] strategy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuadraticParams {
    /// Smallest and largest dimension.
    pub dim: (usize, usize),
    /// The curvature regime.
    pub curvature: Curvature,
    /// Largest number of Householder reflections in the rotation.
    pub max_reflections: usize,
}

impl Default for QuadraticParams {
    fn default() -> Self {
        QuadraticParams {
            dim: (1, 5),
            curvature: Curvature::Any,
            max_reflections: 2,
        }
    }
}

/// A small rational `n/d` with `n` in `lo..=hi`, `d` in `1..=dmax`.
pub(crate) fn small_rational(lo: i64, hi: i64, dmax: u64) -> impl Strategy<Value = Rational> {
    (lo..=hi, 1..=dmax).prop_map(|(n, d)| Rational::from((n, d)))
}

/// A vector of small rationals of length `n` (test points in the families' unit tests).
#[cfg(test)]
pub(crate) fn small_vector(
    n: usize,
    lo: i64,
    hi: i64,
    dmax: u64,
) -> impl Strategy<Value = Vec<Rational>> {
    proptest::collection::vec(small_rational(lo, hi, dmax), n)
}

/// Smoothness constants the strategies draw from: a few scales, including non-dyadic ones.
pub(crate) fn smoothness_constant() -> impl Strategy<Value = Rational> {
    proptest::sample::select(smoothness_constants().to_vec())
}

/// Smoothness constants the generators draw from: 1, 2, 10, 1/2, 3/4 (a few scales, including
/// non-dyadic ones), in this order.
pub(crate) fn smoothness_constants() -> [Rational; 5] {
    [
        Rational::from(1),
        Rational::from(2),
        Rational::from(10),
        Rational::from((1, 2)),
        Rational::from((3, 4)),
    ]
}

/// Up to `max` Householder vectors of ℝⁿ, drawn as `r = range_usize(0, 2)`, then two vectors of
/// `n` integers `range_i64(−3, 3)` each, of which the first `min(r, max)` are kept; an all-zero
/// vector becomes e₁ (constructive, not filtered).
pub(crate) fn draw_reflections(n: usize, max: usize, stream: &mut Stream) -> Vec<Vec<Rational>> {
    let r = stream.range_usize(0, 2);
    let vs: Vec<Vec<i64>> = (0..2)
        .map(|_| (0..n).map(|_| stream.range_i64(-3, 3)).collect())
        .collect();
    vs.into_iter()
        .take(r.min(max))
        .map(|mut v| {
            if v.iter().all(|x| *x == 0) {
                v[0] = 1;
            }
            v.into_iter().map(Rational::from).collect()
        })
        .collect()
}

/// The instance of dimension `dim` (≥ 1) with largest eigenvalue `l` and smallest `m` (both
/// attained when `dim ≥ 2`; for `dim = 1` the spectrum is `{l}`) drawn from `stream`; this is what
/// `quadratic:dim=..,L=..,m=..,seed=s` builds from `Stream::from_seed(s)`.
///
/// Draws, in order: the interior eigenvalues `m + (L − m)·t/16` with `t = range_i64(0, 16)`
/// (`dim − 2` of them), up to two reflections (`r = range_usize(0, 2)`, then two vectors of `dim`
/// integers `range_i64(−3, 3)`; the first `r` are kept, an all-zero one becomes e₁), `x*` (`dim` rationals, numerators in [−6, 6], denominators
/// 1..=3), `f*` (numerator in [−4, 4], denominator 1..=2), and the offset `x₀ − x*` (`dim`
/// rationals, numerators in [−4, 4], denominators 1..=2).
///
/// # Panics
/// Panics if `dim = 0` or the constants are not `0 ≤ m ≤ l` (caller errors).
pub fn generate_with(
    dim: usize,
    l: Rational,
    m: Rational,
    stream: &mut Stream,
) -> QuadraticProblem {
    build(dim, l, m, 2, stream)
}

/// [`generate_with`] keeping at most `max_reflections` of the drawn reflections (the same draws).
fn build(
    dim: usize,
    l: Rational,
    m: Rational,
    max_reflections: usize,
    stream: &mut Stream,
) -> QuadraticProblem {
    let interior: Vec<i64> = (0..dim.saturating_sub(2))
        .map(|_| stream.range_i64(0, 16))
        .collect();
    let reflections = draw_reflections(dim, max_reflections, stream);
    let x_star = stream.rationals(dim, -6, 6, 3);
    let f_star = stream.rational(-4, 4, 2);
    let offset = stream.rationals(dim, -4, 4, 2);
    let mut spectrum = Vec::with_capacity(dim);
    if dim == 1 {
        spectrum.push(l);
    } else {
        spectrum.push(m.clone());
        for t in interior {
            spectrum.push(Rational::from(
                &m + Rational::from(&l - &m) * Rational::from((t, 16)),
            ));
        }
        spectrum.push(l);
    }
    let x0: Vec<Rational> = x_star
        .iter()
        .zip(&offset)
        .map(|(a, b)| Rational::from(a + b))
        .collect();
    QuadraticProblem::new(spectrum, reflections, x_star, f_star, x0).expect("valid by construction")
}

/// The smallest eigenvalue of a [`Curvature`] regime for largest eigenvalue `l`: `which` picks
/// the regime under [`Curvature::Any`] (0 convex, 1 strongly convex, else square condition),
/// `kappa` and `root` the condition number.
fn smallest_eigenvalue(
    curvature: &Curvature,
    l: &Rational,
    which: usize,
    kappa: u64,
    root: u64,
) -> Rational {
    let regime = match (curvature, which) {
        (Curvature::Any, 0) | (Curvature::Convex, _) => 0,
        (Curvature::Any, 1) | (Curvature::StronglyConvex, _) => 1,
        _ => 2,
    };
    match regime {
        0 => Rational::new(),
        1 => Rational::from(l / Rational::from(kappa)),
        _ => Rational::from(l / Rational::from(root * root)),
    }
}

/// The general generator: draws, in order, the dimension `range_usize(lo, hi)` (clamped to at
/// least 1), L = `pick([1, 2, 10, 1/2, 3/4])`, the regime
/// `range_usize(0, 3)`, κ = `range_i64(2, 100)` and j = `range_i64(2, 8)` (m = L/κ or L/j², per
/// [`Curvature`]), then the instance as [`generate_with`] does, keeping at most
/// `max_reflections` reflections.
pub fn generate(params: &QuadraticParams, stream: &mut Stream) -> QuadraticProblem {
    let (lo, hi) = params.dim;
    let dim = stream.range_usize(lo.max(1), hi.max(lo).max(1));
    let l = stream.pick(&smoothness_constants()).clone();
    let which = stream.range_usize(0, 3);
    let kappa = stream.range_i64(2, 100) as u64;
    let root = stream.range_i64(2, 8) as u64;
    let m = smallest_eigenvalue(&params.curvature, &l, which, kappa, root);
    build(dim, l, m, params.max_reflections, stream)
}

/// Instances of dimension `dim` with largest eigenvalue `l` and smallest `m`: [`generate_with`]
/// on the stream of a proptest-drawn seed (so the strategy and the spec
/// `quadratic:dim=..,L=..,m=..,seed=s` agree for the same seed).
pub fn quadratic_with(
    dim: usize,
    l: Rational,
    m: Rational,
) -> impl Strategy<Value = QuadraticProblem> {
    seeded(move |stream| generate_with(dim, l.clone(), m.clone(), stream))
}

/// The general strategy: proptest draws (and shrinks) the dimension, L and m (per
/// [`Curvature`]), then the instance is built as in [`generate_with`] from a proptest-drawn seed,
/// keeping at most `max_reflections` reflections.
pub fn quadratic(params: QuadraticParams) -> impl Strategy<Value = QuadraticProblem> {
    let (lo, hi) = params.dim;
    let curvature = params.curvature.clone();
    let max_r = params.max_reflections;
    seeded_with(
        (
            lo.max(1)..=hi.max(lo).max(1),
            smoothness_constant(),
            0usize..4,
            2u64..=100,
            2u64..=8,
        ),
        move |(dim, l, which, kappa, root), stream| {
            let m = smallest_eigenvalue(&curvature, &l, which, kappa, root);
            build(dim, l, m, max_r, stream)
        },
    )
}

impl Generated for QuadraticProblem {
    fn generate(stream: &mut Stream) -> Self {
        generate(&QuadraticParams::default(), stream)
    }
    fn strategy() -> BoxedStrategy<Self> {
        quadratic(QuadraticParams::default()).boxed()
    }
}
