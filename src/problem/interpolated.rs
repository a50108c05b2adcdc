//! A function known only at finitely many points: rational interpolation data as a problem.
//!
//! **Data**: points `xᵢ`, gradients `gᵢ`, values `fᵢ` (`i = 0 … K−1`, all rational, one
//! dimension), a smoothness constant `L` and a strong-convexity constant `m ≥ 0`. When the data
//! satisfy the smooth (strongly) convex interpolation conditions (Taylor, Hendrickx & Glineur,
//! *Smooth strongly convex interpolation and exact worst-case performance of first-order methods*,
//! Math. Program. 161 (2017), Thm 4), some L-smooth m-strongly convex function takes exactly these
//! values and gradients at these points — but it is only known to *exist*: off the data nothing
//! about it is determined. The oracle therefore answers `f` and `∇f` at the data points, exactly,
//! and refuses every other query with [`Error::Unavailable`]. A run that never leaves the data is a
//! run on that function; a run that leaves them stops with a one-line error.
//!
//! This layer does not check the interpolation conditions (they are theory, two layers up:
//! `theory::pep::interpolation`); the caller vouches for them, as the worst-case construction of
//! `theory::pep::worst` does after checking its data in ℚ. What is checked here is that the data
//! are a function at all: equal lengths and dimensions, no point listed twice.
//!
//! A point with a zero gradient is a minimiser of every convex interpolant, so the first such
//! point is [`Problem::minimizer`] and its value f* (the gap is `f(x) − f*`); with none, the gap
//! is unknown. Exact arithmetic only: the data are rational and a floating iterate is never
//! exactly a data point. Not a CLI family (its data do not fit a spec); [`Problem::spec`] names it
//! by its sizes.

use rug::{Float, Rational};

use super::{F64RoundingBound, Oracle, Problem, check_dim, check_dimension, require_positive};
use crate::arith::linalg::{QVec, Vector};
use crate::error::{Error, Result};

/// What the oracle refuses: a query away from the data.
const OFF_DATA: &str = "f or ∇f away from the interpolation points";

/// Interpolation data as a problem. See the [module documentation](self).
#[derive(Clone, Debug, PartialEq)]
pub struct InterpolatedProblem {
    l: Rational,
    m: Rational,
    points: Vec<Vec<Rational>>,
    gradients: Vec<Vec<Rational>>,
    values: Vec<Rational>,
    initial: usize,
}

impl InterpolatedProblem {
    /// The function through `points`, `gradients`, `values` (index `i` of each belongs together),
    /// L-smooth and m-strongly convex by the caller's word, started at `points[initial]`.
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] for `L ≤ 0`, `m < 0`, `m > L`, no points, dimension 0 or
    /// above [`super::MAX_DIMENSION`], an `initial` index out of range, or a point listed twice;
    /// [`Error::DimensionMismatch`] when the lists or the vectors differ in length.
    pub fn new(
        l: Rational,
        m: Rational,
        points: Vec<Vec<Rational>>,
        gradients: Vec<Vec<Rational>>,
        values: Vec<Rational>,
        initial: usize,
    ) -> Result<Self> {
        require_positive("L", &l)?;
        if m < 0 || m > l {
            return Err(Error::hyper(
                "m",
                crate::arith::text::format(&m),
                "must lie in [0, L]",
            ));
        }
        if points.is_empty() {
            return Err(Error::hyper("points", 0, "at least one point is needed"));
        }
        if gradients.len() != points.len() {
            return Err(Error::dims(
                "interpolated (gradients per point)",
                points.len(),
                gradients.len(),
            ));
        }
        if values.len() != points.len() {
            return Err(Error::dims(
                "interpolated (values per point)",
                points.len(),
                values.len(),
            ));
        }
        let dim = points[0].len();
        if dim == 0 {
            return Err(Error::hyper("dim", 0, "must be positive"));
        }
        check_dimension("dim", dim)?;
        for (i, (p, g)) in points.iter().zip(&gradients).enumerate() {
            if p.len() != dim {
                return Err(Error::dims(
                    format!("interpolated (point {i})"),
                    dim,
                    p.len(),
                ));
            }
            if g.len() != dim {
                return Err(Error::dims(
                    format!("interpolated (gradient {i})"),
                    dim,
                    g.len(),
                ));
            }
            if let Some(j) = points[..i].iter().position(|q| q == p) {
                return Err(Error::hyper(
                    "points",
                    format!("{j} and {i}"),
                    "a point may be listed only once",
                ));
            }
        }
        if initial >= points.len() {
            return Err(Error::hyper(
                "initial",
                initial,
                format!("must index one of the {} points", points.len()),
            ));
        }
        Ok(InterpolatedProblem {
            l,
            m,
            points,
            gradients,
            values,
            initial,
        })
    }

    /// The data points.
    pub fn points(&self) -> &[Vec<Rational>] {
        &self.points
    }

    /// The index of the first point with a zero gradient (the minimiser), if any.
    fn stationary(&self) -> Option<usize> {
        self.gradients
            .iter()
            .position(|g| g.iter().all(|c| *c == 0))
    }

    /// The exact oracle (see the [module documentation](self)).
    pub fn oracle(&self) -> InterpolatedOracle<'_> {
        InterpolatedOracle { problem: self }
    }
}

impl Problem for InterpolatedProblem {
    fn family(&self) -> &'static str {
        "interpolated"
    }
    fn spec(&self) -> String {
        format!(
            "interpolated:points={},dim={}",
            self.points.len(),
            self.dim()
        )
    }
    fn dim(&self) -> usize {
        self.points[0].len()
    }
    fn smoothness(&self) -> Option<Rational> {
        Some(self.l.clone())
    }
    fn strong_convexity(&self) -> Option<Rational> {
        Some(self.m.clone())
    }
    fn minimizer(&self) -> Option<Vec<Rational>> {
        self.stationary().map(|i| self.points[i].clone())
    }
    fn optimal_value(&self) -> Option<Rational> {
        self.stationary().map(|i| self.values[i].clone())
    }
    fn initial_point(&self) -> Vec<Rational> {
        self.points[self.initial].clone()
    }
    fn exact_oracle(&self) -> Result<Box<dyn Oracle<Rational> + '_>> {
        Ok(Box::new(self.oracle()))
    }
    fn f64_oracle(&self) -> Result<Box<dyn Oracle<f64> + '_>> {
        Err(Error::unsupported(format!(
            "{} in f64: a function known only at rational points runs in exact arithmetic",
            self.spec()
        )))
    }
    fn mpfr_oracle(&self) -> Result<Box<dyn Oracle<Float> + '_>> {
        Err(Error::unsupported(format!(
            "{} in MPFR: a function known only at rational points runs in exact arithmetic",
            self.spec()
        )))
    }
    fn f64_rounding(&self, _x: &[f64]) -> Option<F64RoundingBound> {
        None
    }
    fn data_json(&self) -> serde_json::Value {
        let f = crate::arith::text::format;
        let vectors = |vs: &[Vec<Rational>]| -> Vec<Vec<String>> {
            vs.iter().map(|v| v.iter().map(f).collect()).collect()
        };
        serde_json::json!({
            "L": f(&self.l),
            "m": f(&self.m),
            "points": vectors(&self.points),
            "gradients": vectors(&self.gradients),
            "values": self.values.iter().map(f).collect::<Vec<_>>(),
            "initial": self.initial,
            "minimizer": self.minimizer().map(|x| x.iter().map(f).collect::<Vec<_>>()),
            "optimum": self.optimal_value().map(|v| f(&v)),
        })
    }
}

/// [`InterpolatedProblem`]'s exact oracle: a look-up of the data.
#[derive(Clone, Debug)]
pub struct InterpolatedOracle<'a> {
    problem: &'a InterpolatedProblem,
}

impl InterpolatedOracle<'_> {
    /// The index of the data point `x`, or the refusal naming the query.
    fn index(&self, x: &QVec) -> Result<usize> {
        let p = self.problem;
        check_dim::<Rational>("interpolated", p.dim(), x)?;
        let coordinates: Vec<Rational> = (0..x.len()).map(|i| x.get(i)).collect();
        p.points
            .iter()
            .position(|q| *q == coordinates)
            .ok_or_else(|| Error::Unavailable {
                what: OFF_DATA,
                subject: format!(
                    "{} at ({}), which is not one of its points",
                    p.spec(),
                    coordinates
                        .iter()
                        .map(crate::arith::text::format)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
    }
}

impl Oracle<Rational> for InterpolatedOracle<'_> {
    fn dim(&self) -> usize {
        self.problem.dim()
    }
    fn value(&mut self, x: &QVec) -> Result<Rational> {
        Ok(self.problem.values[self.index(x)?].clone())
    }
    fn gradient(&mut self, x: &QVec) -> Result<QVec> {
        Ok(QVec::from_scalars(&self.problem.gradients[self.index(x)?]))
    }
    fn gap(&mut self, x: &QVec) -> Result<Option<Rational>> {
        let value = self.value(x)?;
        Ok(self
            .problem
            .optimal_value()
            .map(|f_star| Rational::from(&value - &f_star)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: i64, d: u64) -> Rational {
        Rational::from((n, d))
    }

    /// f(x) = x²/2 at −1, 0, 2 (L = m = 1): f′ = x, f* = 0 at 0.
    fn parabola() -> InterpolatedProblem {
        InterpolatedProblem::new(
            q(1, 1),
            q(1, 1),
            vec![vec![q(-1, 1)], vec![q(0, 1)], vec![q(2, 1)]],
            vec![vec![q(-1, 1)], vec![q(0, 1)], vec![q(2, 1)]],
            vec![q(1, 2), q(0, 1), q(2, 1)],
            2,
        )
        .unwrap()
    }

    #[test]
    fn the_oracle_answers_at_the_data_points_and_refuses_elsewhere() {
        let p = parabola();
        assert_eq!(p.minimizer(), Some(vec![q(0, 1)]));
        assert_eq!(p.initial_point(), vec![q(2, 1)]);
        let mut o = p.oracle();
        let at = |x: Rational| QVec::from_scalars(&[x]);
        assert_eq!(o.gradient(&at(q(-1, 1))).unwrap().get(0), q(-1, 1));
        assert_eq!(o.value(&at(q(-1, 1))).unwrap(), q(1, 2));
        assert_eq!(o.gap(&at(q(2, 1))).unwrap(), Some(q(2, 1)));
        let err = o.gradient(&at(q(1, 1))).unwrap_err();
        assert!(matches!(err, Error::Unavailable { what: OFF_DATA, .. }));
        assert_eq!(
            err.to_string(),
            "f or ∇f away from the interpolation points is not available for \
             interpolated:points=3,dim=1 at (1/1), which is not one of its points"
        );
        assert!(matches!(
            o.value(&QVec::from_scalars(&[q(0, 1), q(0, 1)])),
            Err(Error::DimensionMismatch { .. })
        ));
        assert!(matches!(p.f64_oracle(), Err(Error::Unsupported { .. })));
    }

    #[test]
    fn data_that_are_not_a_function_are_typed_errors() {
        let one = || vec![vec![q(1, 1)]];
        let bad = [
            InterpolatedProblem::new(q(0, 1), q(0, 1), one(), one(), vec![q(0, 1)], 0),
            InterpolatedProblem::new(q(1, 1), q(2, 1), one(), one(), vec![q(0, 1)], 0),
            InterpolatedProblem::new(q(1, 1), q(0, 1), vec![], vec![], vec![], 0),
            InterpolatedProblem::new(q(1, 1), q(0, 1), one(), one(), vec![q(0, 1)], 1),
            InterpolatedProblem::new(
                q(1, 1),
                q(0, 1),
                vec![vec![q(1, 1)], vec![q(1, 1)]],
                vec![vec![q(1, 1)], vec![q(2, 1)]],
                vec![q(0, 1), q(0, 1)],
                0,
            ),
        ];
        for b in bad {
            assert!(
                matches!(b, Err(Error::InvalidHyperParameter { .. })),
                "{b:?}"
            );
        }
        let mismatched = [
            InterpolatedProblem::new(q(1, 1), q(0, 1), one(), vec![], vec![q(0, 1)], 0),
            InterpolatedProblem::new(q(1, 1), q(0, 1), one(), one(), vec![], 0),
            InterpolatedProblem::new(
                q(1, 1),
                q(0, 1),
                one(),
                vec![vec![q(1, 1), q(0, 1)]],
                vec![q(0, 1)],
                0,
            ),
        ];
        for b in mismatched {
            assert!(matches!(b, Err(Error::DimensionMismatch { .. })), "{b:?}");
        }
    }
}
