//! L2-regularised logistic regression: the family whose values leave ℚ.
//!
//! **Formula** (Hastie, Tibshirani & Friedman, *The Elements of Statistical Learning*, 2nd ed.,
//! §4.4: the negative log-likelihood of logistic regression, here with labels ±1, per sample
//! `log(1 + e^{−y aᵀw})`, averaged, plus a ridge penalty): for rational features
//! `A ∈ ℚ^{n×d}` (rows `a_i`), labels `y_i ∈ {−1, 1}` and `λ > 0`, with `z_i = y_i a_iᵀw`,
//!
//! ```text
//! f(w) = (1/n) Σ_i log(1 + exp(−z_i)) + (λ/2)‖w‖²,
//! ∇f(w) = (1/n) Σ_i −y_i σ(−z_i) a_i + λw,        σ(t) = 1/(1 + e^{−t}),
//! ∇²f(w) = (1/n) Σ_i σ(z_i)σ(−z_i) a_i a_iᵀ + λI  ⪯  AᵀA/(4n) + λI.
//! ```
//!
//! So f is λ-strongly convex (`m = λ`) and L-smooth with the rational `L = ‖AᵀA‖/(4n) + λ`, where
//! `‖AᵀA‖` is [`QMat::norm_bound`] of the exact `AᵀA` (an upper bound on the spectral norm).
//!
//! **No exact oracle**: values and gradients involve `exp` and `log`, so
//! [`Problem::exact_oracle`] is [`Error::Unsupported`]; the oracle runs in f64 (exp and log
//! correctly rounded through MPFR, see [`crate::arith::scalar`]) and MPFR. Both branches below compute
//! the same real function, `log(1 + e^{−z}) = max(−z, 0) + log(1 + e^{−|z|})` (the stable
//! softplus) and `σ(−z) = e^{−z}/(1 + e^{−z}) = 1/(1 + e^{z})`; the branch only avoids overflow.
//!
//! **f64 operation order**: `p = Â w` ([`crate::arith::linalg`]'s sequential rows), `z_i = ±p_i` (exact);
//! value: `s = 0; s ← s ⊕ sp(z_i)` in order with `sp(z) = ln(1 ⊕ exp(−z))` for `z ≥ 0` and
//! `(−z) ⊕ ln(1 ⊕ exp(z))` otherwise, then `f = (s ⊗ (1/n)^) ⊕ ((λ/2)^ ⊗ (w·w))`; gradient:
//! `r_i = (−y_i σ_i) ⊗ (1/n)^` with `σ_i = e ⊘ (1 ⊕ e)`, `e = exp(−z_i)` for `z_i ≥ 0` and
//! `σ_i = 1 ⊘ (1 ⊕ exp(z_i))` otherwise, `g = Âᵀ r`, then `g_j ← (w_j ⊗ λ̂) ⊕ g_j`; gap:
//! `f ⊖ f̂_ref` (below).
//!
//! **Optimum, certified.** There is no rational minimiser, so [`Problem::minimizer`] and
//! [`Problem::optimal_value`] are `None`. Instead each instance carries a [`Reference`]: `w̃` from
//! Newton's method with backtracking in MPFR at [`NEWTON_BITS`] bits, and an enclosure
//! `f* ∈ [f_lo, f_hi]` that does not trust Newton at all: `f(w̃)` is enclosed with directed
//! rounding (exp and log rounded down or up; everything else exact in ℚ at the rational `w̃`), and
//! λ-strong convexity gives `f(w̃) − f* ≤ ‖∇f(w̃)‖²/(2λ)` (minimise its lower bound
//! `f(w̃) + ⟨∇f(w̃), v − w̃⟩ + (λ/2)‖v − w̃‖²` over v; Nesterov 2004, *Introductory Lectures*, §2.1.3),
//! with `‖∇f(w̃)‖²` bounded above the same way. So
//! `f_lo = f(w̃)_lo − ‖∇f(w̃)‖²_up/(2λ)` and `f_hi = f(w̃)_up`; the width is typically below
//! 10⁻¹⁴⁰. The oracles' `gap` is `f(x) − f_lo`: never below the true gap `f(x) − f*` (up to the
//! arithmetic's own rounding), and above it by at most the width.
//!
//! **f64 rounding bound** ([`Problem::f64_rounding`]): the generic oracle run in [`Bounded`] at the
//! f64 point — valid whichever branch is taken, since both compute the same function — plus the
//! width of the enclosure for the gap.
//!
//! Spec: `logistic:samples=8,features=3,lambda=1/10,seed=0` draws data (the default);
//! `logistic:A=1;2|3;-1,y=1;-1,lambda=1/10,x0=0;0` gives it explicitly.

use proptest::prelude::*;
use rug::{Float, Rational};

use super::{F64RoundingBound, Oracle, Problem, at_least, check_dim, require_positive};
use crate::arith::bounded::{Bounded, BoundedVec, rational_to_f64_up};
use crate::arith::linalg::{Matrix, QMat, Vector};
use crate::arith::{Rounding, Scalar};
use crate::error::{Error, Result};
use crate::generate::{Generated, Stream, seeded, seeded_with};
use crate::spec::{EntryInfo, ParamInfo, Spec, format_list, format_lists};

mod optimum;

pub use optimum::Reference;
use optimum::certify;

/// The MPFR precision of the Newton solve and of the directed-rounding enclosure.
pub const NEWTON_BITS: u32 = 512;

/// Catalogue entry.
pub const INFO: EntryInfo = EntryInfo {
    name: "logistic",
    summary: "(1/n)Σ log(1 + exp(−y_i a_iᵀw)) + (λ/2)‖w‖², m = λ, L = ‖AᵀA‖/(4n) + λ; f64 and MPFR only",
    params: &[
        ParamInfo {
            key: "samples",
            help: "rows n of a drawn A (default 8)",
        },
        ParamInfo {
            key: "features",
            help: "columns d of a drawn A (default 3)",
        },
        ParamInfo {
            key: "seed",
            help: "draws A, y and x0 (default 0)",
        },
        ParamInfo {
            key: "lambda",
            help: "regularisation λ > 0 (default 1/10)",
        },
        ParamInfo {
            key: "A",
            help: "explicit features: rows |-separated",
        },
        ParamInfo {
            key: "y",
            help: "explicit labels, each 1 or -1 (required with A)",
        },
        ParamInfo {
            key: "x0",
            help: "initial point (default 0 for explicit data)",
        },
    ],
};

/// L2-regularised logistic regression. See the [module documentation](self).
#[derive(Clone, Debug, PartialEq)]
pub struct LogisticProblem {
    features: Vec<Vec<Rational>>,
    labels: Vec<i8>,
    lambda: Rational,
    x0: Vec<Rational>,
    a: QMat,
    smoothness: Rational,
    reference: Reference,
}

impl LogisticProblem {
    /// The problem with features `features` (n rows of length d ≥ 1), labels ±1 (length n),
    /// regularisation `lambda`, initial point `x0` (length d).
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] for λ ≤ 0, a label other than ±1, or empty data;
    /// [`Error::DimensionMismatch`] for ragged rows or vectors of the wrong length.
    pub fn new(
        features: Vec<Vec<Rational>>,
        labels: Vec<Rational>,
        lambda: Rational,
        x0: Vec<Rational>,
    ) -> Result<Self> {
        require_positive("lambda", &lambda)?;
        // Explicit data obey the limits of drawn data (checked before anything is computed).
        crate::problem::check_dimension("A rows", features.len())?;
        crate::problem::check_dimension("A columns", features.first().map_or(0, Vec::len))?;
        let a = QMat::from_rows(&features)?;
        let (n, d) = (a.rows(), a.cols());
        if n == 0 || d == 0 {
            return Err(Error::hyper(
                "A",
                "",
                "needs at least one row and one column",
            ));
        }
        if labels.len() != n {
            return Err(Error::dims("logistic labels", n, labels.len()));
        }
        if x0.len() != d {
            return Err(Error::dims("logistic x0", d, x0.len()));
        }
        let labels = labels
            .iter()
            .map(|y| match y {
                y if *y == 1 => Ok(1),
                y if *y == -1 => Ok(-1),
                _ => Err(Error::hyper(
                    "y",
                    crate::arith::text::format(y),
                    "labels must be 1 or -1",
                )),
            })
            .collect::<Result<Vec<i8>>>()?;
        let gram = a.transpose().mul(&a)?;
        let smoothness = gram.norm_bound() / Rational::from(4 * n) + &lambda;
        let reference = certify(&features, &labels, &lambda);
        Ok(LogisticProblem {
            features,
            labels,
            lambda,
            x0,
            a,
            smoothness,
            reference,
        })
    }

    /// The certified reference solution (see the module documentation).
    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    /// The features A, one row per sample.
    pub fn features(&self) -> &[Vec<Rational>] {
        &self.features
    }

    /// The labels, each 1 or −1.
    pub fn labels(&self) -> &[i8] {
        &self.labels
    }

    /// The regularisation λ.
    pub fn lambda(&self) -> &Rational {
        &self.lambda
    }

    /// The oracle in arithmetic `S` (f64, MPFR, bounded f64; in ℚ every evaluation fails with
    /// [`Error::NotRational`]).
    pub fn oracle<S: Scalar>(&self) -> LogisticOracle<S> {
        let n = self.labels.len();
        LogisticOracle {
            a: S::Matrix::from_exact(&self.a),
            at: S::Matrix::from_exact(&self.a.transpose()),
            labels: self.labels.clone(),
            inv_n: S::from_rational(&Rational::from((1, n))),
            lambda: S::from_rational(&self.lambda),
            half_lambda: S::from_rational(&Rational::from(&self.lambda / 2u32)),
            f_ref: S::from_rational(&self.reference.lower),
        }
    }

    /// Builds an instance from a parsed spec (see the module documentation).
    ///
    /// # Errors
    /// Parse and range errors naming the offending key; mixing drawn and explicit data is an
    /// [`Error::InvalidHyperParameter`].
    pub fn from_spec(spec: &Spec) -> Result<Self> {
        let a = spec.rational_lists("A")?;
        let y = spec.rational_list("y")?;
        let x0 = spec.rational_list("x0")?;
        let lambda = spec.rational_or("lambda", Rational::from((1, 10)))?;
        let drawn_key = ["samples", "features", "seed"]
            .into_iter()
            .find(|k| spec.raw(k).is_some());
        let samples = spec.bounded_usize_or("samples", 8, crate::problem::MAX_DIMENSION)?;
        let features = spec.bounded_usize_or("features", 3, crate::problem::MAX_DIMENSION)?;
        let seed = spec.u64_or("seed", 0)?;
        spec.finish(&INFO)?;
        match a {
            Some(a) => {
                if let Some(k) = drawn_key {
                    return Err(Error::hyper(
                        "A",
                        "",
                        format!("cannot be combined with {k}"),
                    ));
                }
                let y = y.ok_or_else(|| {
                    Error::parse("spec", "logistic", "missing required key \"y\"")
                })?;
                let d = a.first().map_or(0, Vec::len);
                let x0 = x0.unwrap_or_else(|| vec![Rational::new(); d]);
                LogisticProblem::new(a, y, lambda, x0)
            }
            None => {
                if let Some(k) = [("y", y.is_some()), ("x0", x0.is_some())]
                    .into_iter()
                    .find_map(|(k, given)| given.then_some(k))
                {
                    return Err(Error::hyper(k, "", "needs explicit features A"));
                }
                if samples == 0 {
                    return Err(Error::hyper("samples", 0, "must be at least 1"));
                }
                if features == 0 {
                    return Err(Error::hyper("features", 0, "must be at least 1"));
                }
                require_positive("lambda", &lambda)?;
                Ok(generate_with(
                    samples,
                    features,
                    lambda,
                    &mut Stream::from_seed(seed),
                ))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Problem and oracle
// ---------------------------------------------------------------------------------------------

impl Problem for LogisticProblem {
    fn family(&self) -> &'static str {
        INFO.name
    }
    fn spec(&self) -> String {
        let labels: Vec<Rational> = self.labels.iter().map(|y| Rational::from(*y)).collect();
        format!(
            "logistic:A={},y={},lambda={},x0={}",
            format_lists(&self.features),
            format_list(&labels),
            crate::arith::text::format(&self.lambda),
            format_list(&self.x0)
        )
    }
    fn dim(&self) -> usize {
        self.a.cols()
    }
    fn smoothness(&self) -> Option<Rational> {
        Some(self.smoothness.clone())
    }
    fn strong_convexity(&self) -> Option<Rational> {
        Some(self.lambda.clone())
    }
    fn minimizer(&self) -> Option<Vec<Rational>> {
        None
    }
    fn optimal_value(&self) -> Option<Rational> {
        None
    }
    fn initial_point(&self) -> Vec<Rational> {
        self.x0.clone()
    }
    fn exact_oracle(&self) -> Result<Box<dyn Oracle<Rational> + '_>> {
        Err(Error::unsupported(
            "logistic regression in exact arithmetic (exp and log leave ℚ); use f64 or mpfr",
        ))
    }
    fn f64_oracle(&self) -> Result<Box<dyn Oracle<f64> + '_>> {
        Ok(Box::new(self.oracle::<f64>()))
    }
    fn mpfr_oracle(&self) -> Result<Box<dyn Oracle<Float> + '_>> {
        Ok(Box::new(self.oracle::<Float>()))
    }
    fn f64_rounding(&self, x: &[f64]) -> Option<F64RoundingBound> {
        // Derivation: the f64 oracle is `LogisticOracle<f64>`; the same generic code in `Bounded`
        // at the exact point x̂ (error 0) performs the same operations bit for bit (branches are
        // decided on values by `at_least`) and bounds each by the rules of `crate::arith::bounded`: the
        // matrix–vector products through the rational norm bound of A, exp and ln by the mean
        // value theorem, ⊘ and ⊕ by Higham's model. Whichever branch the rounded z̃_i selects, the
        // exact result of that branch's formula is the true softplus (resp. σ) at the exact z_i,
        // so no wrong-branch term arises. The gap's reference f_lo is within the enclosure width
        // of f*, which is added.
        let mut oracle = self.oracle::<Bounded>();
        let xb = BoundedVec {
            v: x.to_vec(),
            e: 0.0,
        };
        let g = oracle.gradient(&xb).ok()?;
        let f = oracle.value(&xb).ok()?;
        let gap = oracle.gap(&xb).ok()??;
        let gap_bound = match Rational::from_f64(gap.e) {
            Some(e) => rational_to_f64_up(&(e + self.reference.width())),
            None => f64::INFINITY,
        };
        Some(F64RoundingBound {
            gradient: g.e,
            value: f.e,
            gap: gap_bound,
        })
    }
    fn data_json(&self) -> serde_json::Value {
        use crate::arith::text::format;
        let fmt = |v: &[Rational]| v.iter().map(format).collect::<Vec<_>>();
        serde_json::json!({
            "A": self.features.iter().map(|r| fmt(r)).collect::<Vec<_>>(),
            "y": self.labels,
            "lambda": format(&self.lambda),
            "x0": fmt(&self.x0),
            "L": format(&self.smoothness),
            "m": format(&self.lambda),
            "optimum_enclosure": [format(&self.reference.lower), format(&self.reference.upper)],
        })
    }
}

/// [`LogisticProblem`]'s oracle in arithmetic `S` (operation order in the
/// [module documentation](self)).
#[derive(Clone, Debug)]
pub struct LogisticOracle<S: Scalar> {
    a: S::Matrix,
    at: S::Matrix,
    labels: Vec<i8>,
    inv_n: S,
    lambda: S,
    half_lambda: S,
    f_ref: S,
}

fn exp_of<S: Scalar>(x: &S) -> Result<S> {
    x.exp().ok_or_else(|| Error::not_rational("exp"))
}

fn ln_of<S: Scalar>(x: &S) -> Result<S> {
    x.ln().ok_or_else(|| Error::not_rational("log"))
}

impl<S: Scalar> LogisticOracle<S> {
    /// The margins `z_i = y_i a_iᵀw`.
    fn margins(&self, w: &S::Vector) -> Result<Vec<S>> {
        check_dim::<S>("logistic", self.a.cols(), w)?;
        let p = self.a.matvec(w);
        Ok(self
            .labels
            .iter()
            .enumerate()
            .map(|(i, y)| if *y < 0 { -p.get(i) } else { p.get(i) })
            .collect())
    }
}

impl<S: Scalar> Oracle<S> for LogisticOracle<S> {
    fn dim(&self) -> usize {
        self.a.cols()
    }
    fn value(&mut self, w: &S::Vector) -> Result<S> {
        let zero = S::zero();
        let mut s = S::zero();
        for z in self.margins(w)? {
            let term = if at_least(&z, &zero) {
                ln_of(&(S::one() + &exp_of(&-z)?))?
            } else {
                let ln = ln_of(&(S::one() + &exp_of(&z)?))?;
                -z + &ln
            };
            s += &term;
        }
        Ok(s * &self.inv_n + &(self.half_lambda.clone() * &w.dot(w)))
    }
    fn gradient(&mut self, w: &S::Vector) -> Result<S::Vector> {
        let zero = S::zero();
        let mut r = Vec::with_capacity(self.labels.len());
        for (z, y) in self.margins(w)?.into_iter().zip(&self.labels) {
            let sigma = if at_least(&z, &zero) {
                let e = exp_of(&-z)?;
                let den = S::one() + &e;
                e / &den
            } else {
                S::one() / &(S::one() + &exp_of(&z)?)
            };
            let signed = if *y < 0 { sigma } else { -sigma };
            r.push(signed * &self.inv_n);
        }
        let mut g = self.at.matvec(&S::Vector::from_scalars(&r));
        g.axpy(&self.lambda, w, Rounding::Naive);
        Ok(g)
    }
    fn gap(&mut self, w: &S::Vector) -> Result<Option<S>> {
        Ok(Some(self.value(w)? - &self.f_ref))
    }
}

/// The instance of size `samples × features` with regularisation `lambda > 0` drawn from
/// `stream`; this is what `logistic:samples=..,features=..,lambda=..,seed=s` builds from
/// `Stream::from_seed(s)`.
///
/// Draws, in order: A row by row (`rational(−3, 3, 4)` each entry), the labels (`sign()` each),
/// and x₀ (`features` rationals `rational(−2, 2, 2)`).
///
/// # Panics
/// Panics if `samples = 0`, `features = 0` or `lambda ≤ 0` (caller errors).
pub fn generate_with(
    samples: usize,
    features: usize,
    lambda: Rational,
    stream: &mut Stream,
) -> LogisticProblem {
    let a: Vec<Vec<Rational>> = (0..samples)
        .map(|_| stream.rationals(features, -3, 3, 4))
        .collect();
    let y: Vec<Rational> = (0..samples)
        .map(|_| Rational::from(stream.sign()))
        .collect();
    let x0 = stream.rationals(features, -2, 2, 2);
    LogisticProblem::new(a, y, lambda, x0).expect("valid by construction")
}

/// The regularisation constants the generators draw from: 1/100, 1/10, 1/2, 1, in this order.
fn lambdas() -> [Rational; 4] {
    [
        Rational::from((1, 100)),
        Rational::from((1, 10)),
        Rational::from((1, 2)),
        Rational::from(1),
    ]
}

/// An instance drawn from `stream`: `samples = range_usize(1, 8)`, `features = range_usize(1, 4)`,
/// λ = `pick([1/100, 1/10, 1/2, 1])`, then [`generate_with`].
pub fn generate(stream: &mut Stream) -> LogisticProblem {
    let samples = stream.range_usize(1, 8);
    let features = stream.range_usize(1, 4);
    let lambda = stream.pick(&lambdas()).clone();
    generate_with(samples, features, lambda, stream)
}

/// Instances of size `samples × features` with regularisation `lambda`: entries n/d with n in
/// [−3, 3] and d in 1..=4, labels ±1, x₀ small rationals — [`generate_with`] on the stream of a
/// proptest-drawn seed.
pub fn logistic_with(
    samples: usize,
    features: usize,
    lambda: Rational,
) -> impl Strategy<Value = LogisticProblem> {
    seeded(move |stream| generate_with(samples, features, lambda.clone(), stream))
}

/// Instances with 1..=8 samples, 1..=4 features and λ in {1/100, 1/10, 1/2, 1}; proptest draws
/// (and shrinks) these, the data come from the stream of a proptest-drawn seed.
pub fn logistic() -> impl Strategy<Value = LogisticProblem> {
    seeded_with(
        (
            1usize..=8,
            1usize..=4,
            proptest::sample::select(lambdas().to_vec()),
        ),
        |(n, d, lambda), stream| generate_with(n, d, lambda, stream),
    )
}

impl Generated for LogisticProblem {
    fn generate(stream: &mut Stream) -> Self {
        generate(stream)
    }
    fn strategy() -> BoxedStrategy<Self> {
        logistic().boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::test_runner::Config;

    proptest! {
        #![proptest_config(Config::with_cases(16))]

        #[test]
        fn newton_reaches_the_precision_floor(p in logistic()) {
            let r = p.reference();
            prop_assert!(r.lower <= r.upper);
            // Certified to far beyond f64: width < 2⁻⁴⁰⁰.
            prop_assert!(r.width() < Rational::from((1, rug::Integer::from(1) << 400)));
        }
    }

    #[test]
    fn one_sample_one_feature_solves_the_fixed_point_equation() {
        // f(w) = log(1 + e^{−w}) + w²/2 (a = 1, y = 1, λ = 1): at w* the gradient −σ(−w) + w = 0,
        // so w* = σ(−w*) ∈ (0, 1/2); Newton's w̃ satisfies it to far beyond 2⁻⁴⁰⁰.
        let p = LogisticProblem::new(
            vec![vec![Rational::from(1)]],
            vec![Rational::from(1)],
            Rational::from(1),
            vec![Rational::new()],
        )
        .unwrap();
        let r = p.reference();
        let w = Float::with_val(1024, &r.point[0]);
        let sigma = Float::with_val(1024, Float::with_val(1024, w.exp_ref()) + 1u32).recip();
        let diff = Float::with_val(1024, &sigma - &w).abs();
        assert!(diff < Float::with_val(1024, 1u32) >> 400u32);
        assert!(r.point[0] > 0 && r.point[0] < Rational::from((1, 2)));
    }

    #[test]
    fn exact_arithmetic_is_unsupported_and_bad_parameters_are_typed() {
        let p = crate::problem::from_spec("logistic").unwrap();
        assert!(matches!(p.exact_oracle(), Err(Error::Unsupported { .. })));
        assert!(p.minimizer().is_none() && p.optimal_value().is_none());
        for spec in [
            "logistic:lambda=0",
            "logistic:A=1|2,y=1;2,lambda=1",
            "logistic:samples=0",
            "logistic:features=0",
            "logistic:A=1,y=1,seed=2",
            "logistic:y=1",
        ] {
            let err = crate::problem::from_spec(spec).unwrap_err();
            assert!(
                matches!(err, Error::InvalidHyperParameter { .. }),
                "{spec}: {err}"
            );
        }
        for spec in ["logistic:A=1|2,y=1", "logistic:A=1;2|3,y=1;1"] {
            let err = crate::problem::from_spec(spec).unwrap_err();
            assert!(
                matches!(err, Error::DimensionMismatch { .. }),
                "{spec}: {err}"
            );
        }
    }
}
