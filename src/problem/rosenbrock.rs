//! Rosenbrock's banana valley and its chained n-dimensional extension: the nonconvex member.
//!
//! **Formula** (Rosenbrock 1960, *An automatic method for finding the greatest or least value of a
//! function*, Comput. J. 3(3), p. 175): for rational `a` and `b > 0`,
//!
//! ```text
//! f(x, y) = (a − x)² + b(y − x²)²,   ∇f = (−2(a − x) − 4bx(y − x²),  2b(y − x²)),
//! ```
//!
//! with `x* = (a, a²)`, `f* = 0` (the only zero of a sum of squares). The chained extension on
//! ℝⁿ, n ≥ 2 (the form analysed by Shang & Qiu 2006, *A note on the extended Rosenbrock function*,
//! Evol. Comput. 14(1), and the one SciPy's `rosen` computes; Moré, Garbow & Hillstrom
//! 1981's problem 21 is instead a sum of independent 2-d copies),
//!
//! ```text
//! f(x) = Σ_{i=1}^{n−1} [ b(x_{i+1} − x_i²)² + (1 − x_i)² ],
//! ∂f/∂x_j = [j < n] (−4b x_j (x_{j+1} − x_j²) − 2(1 − x_j)) + [j > 1] 2b(x_j − x_{j−1}²),
//! ```
//!
//! has `x* = (1, …, 1)`, `f* = 0`; for n = 2 it is the 2-d function with `a = 1`. The chained form
//! takes `a = 1` only: with `(a − x_i)²` instead, every term vanishes only if `x_i = a` for
//! `i < n` and `x_{i+1} = x_i²`, i.e. `a = a²`, so for `a ∉ {0, 1}` f* > 0 has no closed form and
//! the minimiser is not rational in general.
//!
//! Nonconvex (the Hessian at `(0, 1)` has eigenvalue `2 − 4b < 0` for b > 1/2) and not globally
//! L-smooth (quartic growth): [`Problem::smoothness`] and [`Problem::strong_convexity`] are
//! `None`, and there is no f64 rounding bound, so bounded runs report [`Error::Unavailable`].
//! Exact everywhere (a polynomial with rational coefficients). Default start: the classical
//! `(−6/5, 1)`, repeated for the chained form.
//!
//! **f64 operation order**: value: `s = 0; s ← s ⊕ ((b̂ ⊗ (r ⊗ r)) ⊕ (t ⊗ t))` for i = 1..n−1 in
//! order, with `r = x_{i+1} ⊖ (x_i ⊗ x_i)`, `t = â ⊖ x_i`; gradient: `g = 0`, then for i = 1..n−1
//! in order `g_i ← g_i ⊖ ((4b)^ ⊗ x_i ⊗ r ⊕ 2 ⊗ t)` and `g_{i+1} ← g_{i+1} ⊕ (2b)^ ⊗ r` (left to
//! right); the gap is the value (f* = 0).
//!
//! Spec: `rosenbrock:a=1,b=100,n=2,x0=-6/5;1` (these are the defaults).

use proptest::prelude::*;
use rug::{Float, Rational};

use super::quadratic::small_rational;
use super::{F64RoundingBound, Oracle, Problem, check_dim, require_positive};
use crate::arith::Scalar;
use crate::arith::linalg::Vector;
use crate::error::{Error, Result};
use crate::generate::{Generated, Stream, seeded_with};
use crate::spec::{EntryInfo, ParamInfo, Spec, format_list};

/// Catalogue entry.
pub const INFO: EntryInfo = EntryInfo {
    name: "rosenbrock",
    summary: "Rosenbrock (a − x)² + b(y − x²)², or chained Σ b(x_{i+1} − x_i²)² + (1 − x_i)² on ℝⁿ; nonconvex",
    params: &[
        ParamInfo {
            key: "a",
            help: "x* = (a, a²); must be 1 when n > 2 (default 1)",
        },
        ParamInfo {
            key: "b",
            help: "valley steepness, > 0 (default 100)",
        },
        ParamInfo {
            key: "n",
            help: "dimension, ≥ 2 (default 2)",
        },
        ParamInfo {
            key: "x0",
            help: "initial point (default −6/5;1 repeated)",
        },
    ],
};

/// Rosenbrock's function (2-d with any `a`, chained n-d with `a = 1`). See the
/// [module documentation](self).
#[derive(Clone, Debug, PartialEq)]
pub struct RosenbrockProblem {
    a: Rational,
    b: Rational,
    x0: Vec<Rational>,
}

impl RosenbrockProblem {
    /// The function with parameters `a`, `b` on ℝ^{x0.len()}, started at `x0`.
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] unless `b > 0`, `n ≥ 2`, and `a = 1` when `n > 2`.
    pub fn new(a: Rational, b: Rational, x0: Vec<Rational>) -> Result<Self> {
        require_positive("b", &b)?;
        let n = x0.len();
        if n < 2 {
            return Err(Error::hyper("n", n, "must be at least 2"));
        }
        if n > 2 && a != 1 {
            return Err(Error::hyper(
                "a",
                crate::arith::text::format(&a),
                "the chained form (n > 2) has a rational minimiser only for a = 1",
            ));
        }
        Ok(RosenbrockProblem { a, b, x0 })
    }

    /// The classical start `(−6/5, 1, −6/5, 1, …)` of length `n`.
    pub fn classical_start(n: usize) -> Vec<Rational> {
        (0..n)
            .map(|i| {
                if i % 2 == 0 {
                    Rational::from((-6, 5))
                } else {
                    Rational::from(1)
                }
            })
            .collect()
    }

    /// The oracle in arithmetic `S`.
    pub fn oracle<S: Scalar>(&self) -> RosenbrockOracle<S> {
        RosenbrockOracle {
            n: self.x0.len(),
            a: S::from_rational(&self.a),
            b: S::from_rational(&self.b),
            two_b: S::from_rational(&Rational::from(&self.b * 2u32)),
            four_b: S::from_rational(&Rational::from(&self.b * 4u32)),
        }
    }

    /// Builds an instance from a parsed spec (see the module documentation).
    ///
    /// # Errors
    /// Parse and range errors naming the offending key; [`Error::DimensionMismatch`] if `x0` and
    /// `n` disagree.
    pub fn from_spec(spec: &Spec) -> Result<Self> {
        let a = spec.rational_or("a", Rational::from(1))?;
        let b = spec.rational_or("b", Rational::from(100))?;
        let x0 = spec.rational_list("x0")?;
        let n = spec.bounded_usize_or(
            "n",
            x0.as_ref().map_or(2, Vec::len),
            crate::problem::MAX_DIMENSION,
        )?;
        spec.finish(&INFO)?;
        let x0 = match x0 {
            Some(x0) if x0.len() != n => return Err(Error::dims("rosenbrock x0", n, x0.len())),
            Some(x0) => x0,
            None => RosenbrockProblem::classical_start(n),
        };
        RosenbrockProblem::new(a, b, x0)
    }
}

impl Problem for RosenbrockProblem {
    fn family(&self) -> &'static str {
        INFO.name
    }
    fn spec(&self) -> String {
        format!(
            "rosenbrock:a={},b={},n={},x0={}",
            crate::arith::text::format(&self.a),
            crate::arith::text::format(&self.b),
            self.x0.len(),
            format_list(&self.x0)
        )
    }
    fn dim(&self) -> usize {
        self.x0.len()
    }
    fn smoothness(&self) -> Option<Rational> {
        None
    }
    fn strong_convexity(&self) -> Option<Rational> {
        None
    }
    fn minimizer(&self) -> Option<Vec<Rational>> {
        // n = 2: (a, a²); n > 2 has a = 1, and (1, …, 1) is (a, a², …) then too.
        let mut x = vec![Rational::from(1); self.x0.len()];
        x[0] = self.a.clone();
        x[1] = Rational::from(&self.a * &self.a);
        Some(x)
    }
    fn optimal_value(&self) -> Option<Rational> {
        Some(Rational::new())
    }
    fn initial_point(&self) -> Vec<Rational> {
        self.x0.clone()
    }
    fn exact_oracle(&self) -> Result<Box<dyn Oracle<Rational> + '_>> {
        Ok(Box::new(self.oracle::<Rational>()))
    }
    fn f64_oracle(&self) -> Result<Box<dyn Oracle<f64> + '_>> {
        Ok(Box::new(self.oracle::<f64>()))
    }
    fn mpfr_oracle(&self) -> Result<Box<dyn Oracle<Float> + '_>> {
        Ok(Box::new(self.oracle::<Float>()))
    }
    fn f64_rounding(&self, _x: &[f64]) -> Option<F64RoundingBound> {
        // Bounded runs need L as well (to propagate the iterate's error), which a quartic does not
        // have globally; without it a rounding bound alone would be of no use.
        None
    }
    fn data_json(&self) -> serde_json::Value {
        let fmt = |v: &[Rational]| v.iter().map(crate::arith::text::format).collect::<Vec<_>>();
        serde_json::json!({
            "a": crate::arith::text::format(&self.a),
            "b": crate::arith::text::format(&self.b),
            "n": self.x0.len(),
            "x0": fmt(&self.x0),
            "minimizer": self.minimizer().map(|x| fmt(&x)),
            "optimum": "0/1",
        })
    }
}

/// [`RosenbrockProblem`]'s oracle in arithmetic `S` (operation order in the
/// [module documentation](self)).
#[derive(Clone, Debug)]
pub struct RosenbrockOracle<S: Scalar> {
    n: usize,
    a: S,
    b: S,
    two_b: S,
    four_b: S,
}

impl<S: Scalar> RosenbrockOracle<S> {
    /// The coordinates of `x`, checked against the dimension.
    fn coordinates(&self, x: &S::Vector) -> Result<Vec<S>> {
        check_dim::<S>("rosenbrock", self.n, x)?;
        Ok(x.to_scalars())
    }

    /// The residuals `(r_i, t_i) = (x_{i+1} − x_i², a − x_i)`, i = 1..n−1.
    fn residuals(&self, xs: &[S]) -> Vec<(S, S)> {
        xs.windows(2)
            .map(|w| {
                let r = w[1].clone() - &(w[0].clone() * &w[0]);
                let t = self.a.clone() - &w[0];
                (r, t)
            })
            .collect()
    }
}

impl<S: Scalar> Oracle<S> for RosenbrockOracle<S> {
    fn dim(&self) -> usize {
        self.n
    }
    fn value(&mut self, x: &S::Vector) -> Result<S> {
        let res = self.residuals(&self.coordinates(x)?);
        Ok(res.iter().fold(S::zero(), |s, (r, t)| {
            s + &(self.b.clone() * &(r.clone() * r) + &(t.clone() * t))
        }))
    }
    fn gradient(&mut self, x: &S::Vector) -> Result<S::Vector> {
        let xs = self.coordinates(x)?;
        let res = self.residuals(&xs);
        let two = S::from_ratio(2, 1);
        let mut g = vec![S::zero(); self.n];
        for (i, (r, t)) in res.iter().enumerate() {
            let own = self.four_b.clone() * &xs[i] * r + &(two.clone() * t);
            g[i] -= &own;
            g[i + 1] += &(self.two_b.clone() * r);
        }
        Ok(S::Vector::from_scalars(&g))
    }
    fn gap(&mut self, x: &S::Vector) -> Result<Option<S>> {
        self.value(x).map(Some)
    }
}

/// The instance with `n` variables, constants `a` (used only when `n = 2`; the chained form has
/// `a = 1`) and `b`, whose initial point is drawn from `stream`: `n` rationals
/// `rational(−4, 4, 2)`.
///
/// # Panics
/// Panics if `n < 2` or `b ≤ 0` (caller errors).
pub fn generate_with(n: usize, a: Rational, b: Rational, stream: &mut Stream) -> RosenbrockProblem {
    let a = if n == 2 { a } else { Rational::from(1) };
    let x0 = stream.rationals(n, -4, 4, 2);
    RosenbrockProblem::new(a, b, x0).expect("valid by construction")
}

/// An instance drawn from `stream`: `n = range_usize(2, 5)`, `a = rational(−6, 6, 3)`, a coin
/// choosing `b = 100` (heads) or `b = rational(1, 20, 4)`, then [`generate_with`].
pub fn generate(stream: &mut Stream) -> RosenbrockProblem {
    let n = stream.range_usize(2, 5);
    let a = stream.rational(-6, 6, 3);
    let b = if stream.coin() {
        Rational::from(100)
    } else {
        stream.rational(1, 20, 4)
    };
    generate_with(n, a, b, stream)
}

/// Instances: 2-d with `a` a small rational, or chained with n in 3..=5 and `a = 1`; `b` in
/// {1/2, 1, …, 100}-like small positive rationals (proptest draws and shrinks n, a, b); x₀ small
/// rationals in [−4, 4] from the stream of a proptest-drawn seed ([`generate_with`]).
pub fn rosenbrock() -> impl Strategy<Value = RosenbrockProblem> {
    seeded_with(
        (
            2usize..=5,
            small_rational(-6, 6, 3),
            prop_oneof![small_rational(1, 20, 4), Just(Rational::from(100))],
        ),
        |(n, a, b), stream| generate_with(n, a, b, stream),
    )
}

impl Generated for RosenbrockProblem {
    fn generate(stream: &mut Stream) -> Self {
        generate(stream)
    }
    fn strategy() -> BoxedStrategy<Self> {
        rosenbrock().boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::linalg::QVec;

    fn q(n: i64, d: u64) -> Rational {
        Rational::from((n, d))
    }

    #[test]
    fn the_minimiser_is_a_zero_of_value_and_gradient() {
        for p in [
            RosenbrockProblem::new(q(-3, 2), q(7, 3), vec![q(0, 1); 2]).unwrap(),
            RosenbrockProblem::new(q(1, 1), q(100, 1), vec![q(0, 1); 5]).unwrap(),
        ] {
            let mut o = p.oracle::<Rational>();
            let xs = QVec::from_scalars(&p.minimizer().unwrap());
            assert_eq!(o.value(&xs).unwrap(), 0);
            assert!(
                o.gradient(&xs)
                    .unwrap()
                    .to_scalars()
                    .iter()
                    .all(|g| *g == 0)
            );
        }
    }

    #[test]
    fn the_classical_start_has_the_classical_value() {
        // f(−1.2, 1) = 24.2 with a = 1, b = 100 (Rosenbrock 1960).
        let p = RosenbrockProblem::from_spec(&Spec::parse("rosenbrock").unwrap()).unwrap();
        let x0 = QVec::from_scalars(&p.initial_point());
        assert_eq!(p.oracle::<Rational>().value(&x0).unwrap(), q(121, 5));
    }

    #[test]
    fn chained_form_with_n_2_is_the_classic_with_a_1() {
        let x = QVec::from_scalars(&[q(1, 3), q(-2, 7)]);
        let classic = RosenbrockProblem::new(q(1, 1), q(5, 2), vec![q(0, 1); 2]).unwrap();
        let want = {
            let (a, b, x1, y) = (q(1, 1), q(5, 2), q(1, 3), q(-2, 7));
            let r = &y - Rational::from(&x1 * &x1);
            Rational::from(&a - &x1).square() + b * r.square()
        };
        assert_eq!(classic.oracle::<Rational>().value(&x).unwrap(), want);
    }

    #[test]
    fn bad_parameters_are_typed_errors() {
        for spec in ["rosenbrock:b=0", "rosenbrock:n=1", "rosenbrock:n=3,a=2"] {
            let err = crate::problem::from_spec(spec).unwrap_err();
            assert!(
                matches!(err, Error::InvalidHyperParameter { .. }),
                "{spec}: {err}"
            );
        }
        assert!(matches!(
            crate::problem::from_spec("rosenbrock:n=3,x0=1;2"),
            Err(Error::DimensionMismatch { .. })
        ));
        let p = crate::problem::from_spec("rosenbrock").unwrap();
        assert!(matches!(p.bounded_oracle(), Err(Error::Unavailable { .. })));
    }
}
