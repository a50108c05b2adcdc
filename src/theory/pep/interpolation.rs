//! Finite interpolation data `(x_i, g_i, f_i)` and their exact check: do they come from an
//! `L`-smooth (`μ`-strongly) convex function?
//!
//! Taylor, Hendrickx & Glineur, *Smooth strongly convex interpolation and exact worst-case
//! performance of first-order methods*, Math. Program. 161 (2017), Theorem 4: the data are
//! interpolable by a function of the class iff, for every ordered pair `(i, j)`,
//!
//! ```text
//! f_i ≥ f_j + ⟨g_j, x_i − x_j⟩
//!       + 1/(2(1 − μ/L)) (‖g_i − g_j‖²/L + μ‖x_i − x_j‖² − 2(μ/L)⟨g_j − g_i, x_j − x_i⟩).
//! ```
//!
//! So data that pass [`InterpolationData::check`] *are* a function of the class, as far as any
//! first-order method that only queries the `x_i` can tell: the primal side of a PEP made
//! explicit. The check is written here from the theorem, independently of
//! [`super::problem::Pep::interpolation`] (Gram form) — the tests compare the two.

use rug::Rational;

use crate::error::{Error, Result};

/// The name of the obligation reported when data are not interpolable.
pub const INTERPOLATION: &str = "interpolation conditions (THG 2017, Thm 4)";

/// Points, gradients and values in `ℚ^d`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterpolationData {
    /// `x_i`.
    pub points: Vec<Vec<Rational>>,
    /// `g_i = ∇f(x_i)`.
    pub gradients: Vec<Vec<Rational>>,
    /// `f_i = f(x_i)`.
    pub values: Vec<Rational>,
}

fn dot(a: &[Rational], b: &[Rational]) -> Rational {
    a.iter()
        .zip(b)
        .fold(Rational::new(), |acc, (x, y)| acc + Rational::from(x * y))
}

fn difference(a: &[Rational], b: &[Rational]) -> Vec<Rational> {
    a.iter()
        .zip(b)
        .map(|(x, y)| Rational::from(x - y))
        .collect()
}

impl InterpolationData {
    /// The smallest slack of the interpolation inequalities over all ordered pairs of distinct
    /// indices, for the class with smoothness `L > 0` and strong convexity `0 ≤ μ < L`
    /// (module docs); nonnegative exactly when the data are interpolable. Two entries with the
    /// same point must have the same gradient and value (the inequalities in both directions
    /// then force it).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] for ragged data; [`Error::InvalidHyperParameter`] for `L ≤ 0`
    /// or `μ` outside `[0, L)`; [`Error::CertificateRejected`] ([`INTERPOLATION`]) naming the
    /// first pair whose inequality fails, with its (negative) slack.
    pub fn check(&self, smoothness: &Rational, strong_convexity: &Rational) -> Result<Rational> {
        let n = self.points.len();
        if self.gradients.len() != n || self.values.len() != n {
            return Err(Error::dims(
                "interpolation data (points, gradients, values)",
                n,
                self.gradients.len().min(self.values.len()),
            ));
        }
        let d = self.points.first().map_or(0, Vec::len);
        if let Some(bad) = self
            .points
            .iter()
            .chain(&self.gradients)
            .find(|v| v.len() != d)
        {
            return Err(Error::dims("interpolation data dimension", d, bad.len()));
        }
        if *smoothness <= 0 {
            return Err(Error::hyper(
                "L",
                crate::arith::text::format(smoothness),
                "must be positive",
            ));
        }
        if *strong_convexity < 0 || strong_convexity >= smoothness {
            return Err(Error::hyper(
                "mu",
                crate::arith::text::format(strong_convexity),
                "must lie in [0, L)",
            ));
        }
        let mut smallest: Option<Rational> = None;
        for i in 0..n {
            for j in 0..n {
                if i == j {
                    continue;
                }
                let slack = self.slack(i, j, smoothness, strong_convexity);
                if slack < 0 {
                    return Err(Error::CertificateRejected {
                        obligation: INTERPOLATION,
                        detail: format!(
                            "pair ({i}, {j}): slack {}",
                            crate::arith::text::format(&slack)
                        ),
                    });
                }
                if smallest.as_ref().is_none_or(|s| slack < *s) {
                    smallest = Some(slack);
                }
            }
        }
        smallest.ok_or_else(|| {
            Error::hyper(
                "points",
                n,
                "interpolation needs at least two points (no pair was checked)",
            )
        })
    }

    /// The slack of the inequality of the ordered pair `(i, j)` (module docs): its right-hand
    /// side subtracted from `f_i`. The caller guarantees valid indices and equal dimensions
    /// ([`InterpolationData::check`] validates them first).
    pub fn slack(
        &self,
        i: usize,
        j: usize,
        smoothness: &Rational,
        strong_convexity: &Rational,
    ) -> Rational {
        let ratio = Rational::from(strong_convexity / smoothness);
        let c = Rational::from(1) / Rational::from(2u32 * Rational::from(1 - ratio.clone()));
        let dx = difference(&self.points[i], &self.points[j]);
        let dg = difference(&self.gradients[i], &self.gradients[j]);
        let quadratic = Rational::from(dot(&dg, &dg) / smoothness)
            + Rational::from(strong_convexity * dot(&dx, &dx))
            + Rational::from(-2 * Rational::from(&ratio * dot(&dg, &dx)));
        Rational::from(&self.values[i] - &self.values[j])
            - dot(&self.gradients[j], &dx)
            - Rational::from(&c * &quadratic)
    }
}
