//! Lessard, Recht & Packard's piecewise quadratic, on which the heavy ball cycles.
//!
//! **Formula** (Lessard, Recht & Packard 2016, *Analysis and design of optimization algorithms via
//! integral quadratic constraints*, SIAM J. Optim. 26(1), §4.6, eq. (4.12), there with m = 1 and
//! L = 25), for `0 < m < L`:
//!
//! ```text
//! f(x) = (L/2)x²                                  x < 1
//!        (m/2)x² + (L−m)x − (L−m)/2               1 ≤ x < 2
//!        (L/2)x² − (L−m)x + 3(L−m)/2              x ≥ 2
//! f′(x) = Lx,   mx + (L−m),   Lx − (L−m)          (same pieces)
//! ```
//!
//! f and f′ are continuous at 1 (`f = L/2`, `f′ = L`) and at 2 (`f = 2L − (L−m)/2`, `f′ = L + m`),
//! and `f″ ∈ {m, L}`: f is m-strongly convex and L-smooth, `x* = 0`, `f* = 0`. With m = 1, L = 25,
//! the heavy ball with `γ = 1/9`, `μ = 4/9` (the parameters tuned for quadratics with κ = 25) has
//! the exact 3-cycle `{792, −2208, 2592}/1225` (docs/design.md, "Theory"); the instance starts at `x₀ = 3`.
//!
//! **f64 operation order** (hats: nearest f64 to the exact constant): branch on `x < 1`, `x < 2`
//! (exact comparisons: 1 and 2 are f64 numbers); gradient `L̂ ⊗ x`, `(m̂ ⊗ x) ⊕ d̂`,
//! `(L̂ ⊗ x) ⊖ d̂` with `d = L − m`; value `(L/2)^ ⊗ (x ⊗ x)`,
//! `((m/2)^ ⊗ (x ⊗ x) ⊕ (d̂ ⊗ x)) ⊖ (d/2)^`, `((L/2)^ ⊗ (x ⊗ x) ⊖ (d̂ ⊗ x)) ⊕ (3d/2)^`; the gap is
//! the value (f* = 0). [`Problem::f64_rounding`] derives the bound.
//!
//! Spec: `lrp:m=1,L=25,x0=3` (these are the defaults).

use proptest::prelude::*;
use rug::{Float, Rational};

use super::quadratic::{small_rational, smoothness_constant, smoothness_constants};
use super::{F64RoundingBound, Oracle, Problem, at_least, check_dim, require_positive};
use crate::arith::Scalar;
use crate::arith::bounded::{BoundedValue, BoundedVector, Floating};
use crate::arith::linalg::Vector;
use crate::error::{Error, Result};
use crate::generate::{Generated, Stream};
use crate::spec::{EntryInfo, ParamInfo, Spec};

/// Catalogue entry.
pub const INFO: EntryInfo = EntryInfo {
    name: "lrp",
    summary: "Lessard–Recht–Packard piecewise quadratic (kinks at 1 and 2), m-strongly convex, L-smooth, 1-d",
    params: &[
        ParamInfo {
            key: "m",
            help: "strong convexity, 0 < m < L (default 1)",
        },
        ParamInfo {
            key: "L",
            help: "smoothness (default 25)",
        },
        ParamInfo {
            key: "x0",
            help: "initial point (default 3)",
        },
    ],
};

/// The Lessard–Recht–Packard function. See the [module documentation](self).
#[derive(Clone, Debug, PartialEq)]
pub struct LrpProblem {
    m: Rational,
    l: Rational,
    x0: Rational,
}

/// Which piece of the function a point is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece {
    /// `x < 1`: `(L/2)x²`.
    Low,
    /// `1 ≤ x < 2`: `(m/2)x² + (L−m)x − (L−m)/2`.
    Middle,
    /// `x ≥ 2`: `(L/2)x² − (L−m)x + 3(L−m)/2`.
    High,
}

impl Piece {
    /// The piece of `x` (the breakpoints 1 and 2 belong to the piece on their right).
    pub fn of<S: Scalar>(x: &S) -> Piece {
        if !at_least(x, &S::one()) {
            Piece::Low
        } else if !at_least(x, &S::from_ratio(2, 1)) {
            Piece::Middle
        } else {
            Piece::High
        }
    }
}

impl LrpProblem {
    /// The function with strong convexity `m`, smoothness `l`, started at `x0`.
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] unless `0 < m < l`.
    pub fn new(m: Rational, l: Rational, x0: Rational) -> Result<Self> {
        require_positive("m", &m)?;
        if l <= m {
            return Err(Error::hyper(
                "L",
                crate::arith::text::format(&l),
                format!("must exceed m = {}", crate::arith::text::format(&m)),
            ));
        }
        Ok(LrpProblem { m, l, x0 })
    }

    /// The paper's instance: m = 1, L = 25, x₀ = 3.
    pub fn paper() -> Self {
        LrpProblem::new(Rational::from(1), Rational::from(25), Rational::from(3))
            .expect("valid constants")
    }

    /// The oracle in arithmetic `S`.
    pub fn oracle<S: Scalar>(&self) -> LrpOracle<S> {
        let d = Rational::from(&self.l - &self.m);
        let s = |q: Rational| S::from_rational(&q);
        LrpOracle {
            l: s(self.l.clone()),
            m: s(self.m.clone()),
            d: s(d.clone()),
            half_l: s(Rational::from(&self.l / 2u32)),
            half_m: s(Rational::from(&self.m / 2u32)),
            half_d: s(Rational::from(&d / 2u32)),
            three_half_d: s(d * Rational::from((3, 2))),
        }
    }

    /// Builds an instance from a parsed spec (see the module documentation).
    ///
    /// # Errors
    /// Parse and range errors naming the offending key.
    pub fn from_spec(spec: &Spec) -> Result<Self> {
        let m = spec.rational_or("m", Rational::from(1))?;
        let l = spec.rational_or("L", Rational::from(25))?;
        let x0 = spec.rational_or("x0", Rational::from(3))?;
        spec.finish(&INFO)?;
        LrpProblem::new(m, l, x0)
    }
}

impl Problem for LrpProblem {
    fn family(&self) -> &'static str {
        INFO.name
    }
    fn spec(&self) -> String {
        format!(
            "lrp:m={},L={},x0={}",
            crate::arith::text::format(&self.m),
            crate::arith::text::format(&self.l),
            crate::arith::text::format(&self.x0)
        )
    }
    fn dim(&self) -> usize {
        1
    }
    fn smoothness(&self) -> Option<Rational> {
        Some(self.l.clone())
    }
    fn strong_convexity(&self) -> Option<Rational> {
        Some(self.m.clone())
    }
    fn minimizer(&self) -> Option<Vec<Rational>> {
        Some(vec![Rational::new()])
    }
    fn optimal_value(&self) -> Option<Rational> {
        Some(Rational::new())
    }
    fn initial_point(&self) -> Vec<Rational> {
        vec![self.x0.clone()]
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
    fn f64_rounding(&self, x: &[f64]) -> Option<F64RoundingBound> {
        self.rounding_bound::<f64>(x)
    }
    fn mpfr_rounding(&self, x: &[Float]) -> Option<F64RoundingBound> {
        // The same derivation with MPFR's unit roundoff (see `rounding_bound`).
        self.rounding_bound::<Float>(x)
    }
    fn data_json(&self) -> serde_json::Value {
        serde_json::json!({
            "m": crate::arith::text::format(&self.m),
            "L": crate::arith::text::format(&self.l),
            "x0": crate::arith::text::format(&self.x0),
            "minimizer": ["0/1"],
            "optimum": "0/1",
        })
    }
}

impl LrpProblem {
    /// Rigorous rounding bounds of the oracle in floating arithmetic `F` at `x`.
    fn rounding_bound<F: Floating>(&self, x: &[F]) -> Option<F64RoundingBound> {
        // Derivation. The branch is decided by comparing the f64 point x̂ itself with 1 and 2,
        // which are representable in every precision: the comparison is exact, so the f64 run is always on the piece
        // the exact x̂ is on — there is no wrong-branch term (unlike the Huber function, whose
        // branch depends on a rounded ‖x‖²). What remains is the arithmetic of that piece, and the
        // same generic oracle run in `Bounded` at x̂ (error 0) performs bit for bit the f64
        // operations and bounds each by the rules of `crate::arith::bounded` (u = 2⁻⁵³, η = 2⁻¹⁰⁷⁴,
        // e_c = |ĉ − c| for each constant, exactly). For the middle piece, for instance,
        //   p = m̂ ⊗ x̂:   |p − m x̂| ≤ e_m|x̂| + u|p| + η,
        //   ĝ = p ⊕ d̂:   |ĝ − (m x̂ + d)| ≤ e_m|x̂| + u|p| + η + e_d + u|ĝ| + η,
        // and likewise for the other pieces and for the values (one more product for x̂², whose
        // error enters multiplied by the constant in front).
        let mut oracle = self.oracle::<BoundedValue<F>>();
        let xb = BoundedVector::<F>::new(F::Vector::from_scalars(x), 0.0);
        let g = oracle.gradient(&xb).ok()?;
        let f = oracle.value(&xb).ok()?;
        Some(F64RoundingBound {
            gradient: g.e,
            value: f.e,
            gap: f.e,
        })
    }
}

/// [`LrpProblem`]'s oracle in arithmetic `S` (operation order in the [module documentation](self)).
#[derive(Clone, Debug)]
pub struct LrpOracle<S: Scalar> {
    l: S,
    m: S,
    d: S,
    half_l: S,
    half_m: S,
    half_d: S,
    three_half_d: S,
}

impl<S: Scalar> LrpOracle<S> {
    fn point(x: &S::Vector) -> Result<S> {
        check_dim::<S>("lrp", 1, x)?;
        Ok(x.get(0))
    }
}

impl<S: Scalar> Oracle<S> for LrpOracle<S> {
    fn dim(&self) -> usize {
        1
    }
    fn value(&mut self, x: &S::Vector) -> Result<S> {
        let x = Self::point(x)?;
        let sq = x.clone() * &x;
        Ok(match Piece::of(&x) {
            Piece::Low => self.half_l.clone() * &sq,
            Piece::Middle => self.half_m.clone() * &sq + &(self.d.clone() * &x) - &self.half_d,
            Piece::High => self.half_l.clone() * &sq - &(self.d.clone() * &x) + &self.three_half_d,
        })
    }
    fn gradient(&mut self, x: &S::Vector) -> Result<S::Vector> {
        let x = Self::point(x)?;
        let g = match Piece::of(&x) {
            Piece::Low => self.l.clone() * &x,
            Piece::Middle => self.m.clone() * &x + &self.d,
            Piece::High => self.l.clone() * &x - &self.d,
        };
        Ok(S::Vector::from_scalars(&[g]))
    }
    fn gap(&mut self, x: &S::Vector) -> Result<Option<S>> {
        self.value(x).map(Some)
    }
}

/// Instances with L among the strategies' constants, `m = L/κ` for κ = j/4 with j in 5..=400
/// (so 1 < κ ≤ 100), and x₀ a small rational in [−6, 6].
pub fn lrp() -> impl Strategy<Value = LrpProblem> {
    (
        smoothness_constant(),
        5i64..=400,
        small_rational(-12, 12, 2),
    )
        .prop_map(|(l, j, x0)| {
            let m = &l * Rational::from((4, j));
            LrpProblem::new(m, l, x0).expect("valid by construction")
        })
}

/// An instance drawn from `stream`: L = `pick([1, 2, 10, 1/2, 3/4])`, j = `range_i64(5, 400)`
/// (m = 4L/j), x₀ = `rational(−12, 12, 2)`.
pub fn generate(stream: &mut Stream) -> LrpProblem {
    let l = stream.pick(&smoothness_constants()).clone();
    let j = stream.range_i64(5, 400);
    let x0 = stream.rational(-12, 12, 2);
    let m = &l * Rational::from((4, j));
    LrpProblem::new(m, l, x0).expect("valid by construction")
}

impl Generated for LrpProblem {
    fn generate(stream: &mut Stream) -> Self {
        generate(stream)
    }
    fn strategy() -> BoxedStrategy<Self> {
        lrp().boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::linalg::QVec;

    fn q(n: i64, d: u64) -> Rational {
        Rational::from((n, d))
    }

    /// The piece formulas evaluated on a given piece, whatever the point (to compare the one-sided
    /// limits at the breakpoints exactly).
    fn on_piece(p: &LrpProblem, piece: Piece, x: &Rational) -> (Rational, Rational) {
        let (l, m) = (&p.l, &p.m);
        let d = Rational::from(l - m);
        let x2 = Rational::from(x * x);
        match piece {
            Piece::Low => (Rational::from(l * &x2) / 2u32, Rational::from(l * x)),
            Piece::Middle => (
                Rational::from(m * &x2) / 2u32 + Rational::from(&d * x) - Rational::from(&d / 2u32),
                Rational::from(m * x) + &d,
            ),
            Piece::High => (
                Rational::from(l * &x2) / 2u32 - Rational::from(&d * x)
                    + Rational::from(&d * 3u32) / 2u32,
                Rational::from(l * x) - &d,
            ),
        }
    }

    #[test]
    fn value_and_derivative_are_continuous_at_both_breakpoints() {
        for p in [
            LrpProblem::paper(),
            LrpProblem::new(q(1, 3), q(7, 2), q(0, 1)).unwrap(),
        ] {
            for (left, right, x) in [
                (Piece::Low, Piece::Middle, q(1, 1)),
                (Piece::Middle, Piece::High, q(2, 1)),
            ] {
                assert_eq!(
                    on_piece(&p, left, &x),
                    on_piece(&p, right, &x),
                    "{p:?} at {x}"
                );
            }
        }
    }

    #[test]
    fn the_paper_instance_is_the_design_documents_function() {
        // docs/design.md, "Theory": 25x²/2, x²/2 + 24x − 12, 25x²/2 − 24x + 36.
        let p = LrpProblem::paper();
        let mut o = p.oracle::<Rational>();
        for (x, want) in [
            (q(1, 2), q(25, 8)),
            (q(3, 2), q(9, 8) + q(36, 1) - q(12, 1)),
            (q(3, 1), q(225, 2) - q(72, 1) + q(36, 1)),
        ] {
            assert_eq!(o.value(&QVec::from_scalars(&[x])).unwrap(), want);
        }
    }

    #[test]
    fn heavy_ball_has_the_exact_three_cycle() {
        // θ₊ = θ − γ f′(θ) + μ(θ − θ₋), γ = 1/9, μ = 4/9 (Lessard, Recht & Packard 2016, §4.6).
        let p = LrpProblem::paper();
        let mut o = p.oracle::<Rational>();
        let cycle = [q(792, 1225), q(-2208, 1225), q(2592, 1225)];
        let (mut prev, mut x) = (cycle[0].clone(), cycle[1].clone());
        for k in 0..6 {
            let g = o
                .gradient(&QVec::from_scalars(&[x.clone()]))
                .unwrap()
                .get(0);
            let next = (&x - g / 9u32) + Rational::from(&x - &prev) * q(4, 9);
            assert_eq!(next, cycle[(k + 2) % 3]);
            (prev, x) = (x, next);
        }
    }

    #[test]
    fn bad_parameters_are_typed_errors() {
        for spec in ["lrp:m=0", "lrp:m=2,L=2", "lrp:m=3,L=2", "lrp:m=-1"] {
            let err = crate::problem::from_spec(spec).unwrap_err();
            assert!(
                matches!(err, Error::InvalidHyperParameter { .. }),
                "{spec}: {err}"
            );
        }
    }
}
