//! The bounded oracle of a general problem: the plain floating oracle's values with a derived
//! bound on their distance to the exact values (the rules of [`crate::arith::bounded`]).

use rug::Float;

use super::{F64RoundingBound, Oracle, Problem};
use crate::arith::bounded::{
    BoundedValue, BoundedVector, Floating, add_up, mul_up, rational_to_f64_up, vnorm_up,
};
use crate::error::{Error, Result};

/// A floating arithmetic whose problems give a plain oracle and a derived rounding bound for it.
pub trait FloatingOracle: Floating {
    /// The problem's plain oracle in this arithmetic.
    ///
    /// # Errors
    /// As [`Problem::f64_oracle`] / [`Problem::mpfr_oracle`].
    fn plain_oracle<P: Problem + ?Sized>(problem: &P) -> Result<Box<dyn Oracle<Self> + '_>>;
    /// The problem's derived rounding bound of its oracle in this arithmetic at `x`.
    fn rounding_bound<P: Problem + ?Sized>(
        problem: &P,
        x: &Self::Vector,
    ) -> Option<F64RoundingBound>;
}

impl FloatingOracle for f64 {
    fn plain_oracle<P: Problem + ?Sized>(problem: &P) -> Result<Box<dyn Oracle<f64> + '_>> {
        problem.f64_oracle()
    }
    fn rounding_bound<P: Problem + ?Sized>(problem: &P, x: &Vec<f64>) -> Option<F64RoundingBound> {
        problem.f64_rounding(x)
    }
}

impl FloatingOracle for Float {
    fn plain_oracle<P: Problem + ?Sized>(problem: &P) -> Result<Box<dyn Oracle<Float> + '_>> {
        problem.mpfr_oracle()
    }
    fn rounding_bound<P: Problem + ?Sized>(
        problem: &P,
        x: &Vec<Float>,
    ) -> Option<F64RoundingBound> {
        problem.mpfr_rounding(x)
    }
}

/// The bounded oracle of a problem that is not a quadratic form: the plain oracle's values, with
/// the bound `L·e_x + (derived rounding bound)` for gradients and the descent-lemma bound for
/// values and gaps (see [`crate::arith::bounded`], "The derivation").
pub struct BoundedOracle<'a, F: FloatingOracle, P: ?Sized> {
    problem: &'a P,
    inner: Box<dyn Oracle<F> + 'a>,
    smoothness: f64,
}

impl<'a, F: FloatingOracle, P: Problem + ?Sized> BoundedOracle<'a, F, P> {
    /// Wraps `problem`'s plain oracle in arithmetic `F`.
    ///
    /// # Errors
    /// [`Error::Unavailable`] if the problem has no smoothness constant.
    pub fn wrap(problem: &'a P) -> Result<Box<dyn Oracle<BoundedValue<F>> + 'a>> {
        let l = problem.smoothness().ok_or_else(|| Error::Unavailable {
            what: "a smoothness constant L (needed for the rounding error bound)",
            subject: problem.spec(),
        })?;
        Ok(Box::new(BoundedOracle {
            problem,
            inner: F::plain_oracle(problem)?,
            smoothness: rational_to_f64_up(&l),
        }))
    }
}

impl<F: FloatingOracle, P: Problem + ?Sized> BoundedOracle<'_, F, P> {
    fn rounding(&self, x: &F::Vector) -> Result<F64RoundingBound> {
        F::rounding_bound(self.problem, x).ok_or_else(|| Error::Unavailable {
            what: "a derived rounding bound for this arithmetic",
            subject: self.problem.spec(),
        })
    }

    /// `‖∇f(x̂)‖e + (L/2)e²`, the descent-lemma bound on `|f(x̂) − f(x)|`.
    fn value_propagation(&mut self, x: &BoundedVector<F>, grad_rounding: f64) -> Result<f64> {
        let g = self.inner.gradient(&x.v)?;
        let gnorm = add_up(vnorm_up::<F>(&g), grad_rounding);
        Ok(add_up(
            mul_up(gnorm, x.e),
            mul_up(mul_up(0.5, self.smoothness), mul_up(x.e, x.e)),
        ))
    }
}

impl<F: FloatingOracle, P: Problem + ?Sized> Oracle<BoundedValue<F>> for BoundedOracle<'_, F, P> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn value(&mut self, x: &BoundedVector<F>) -> Result<BoundedValue<F>> {
        let f = self.inner.value(&x.v)?;
        let r = self.rounding(&x.v)?;
        let prop = self.value_propagation(x, r.gradient)?;
        Ok(BoundedValue::new(f, add_up(prop, r.value)))
    }
    fn gradient(&mut self, x: &BoundedVector<F>) -> Result<BoundedVector<F>> {
        let g = self.inner.gradient(&x.v)?;
        let r = self.rounding(&x.v)?;
        Ok(BoundedVector::new(
            g,
            add_up(mul_up(self.smoothness, x.e), r.gradient),
        ))
    }
    fn gap(&mut self, x: &BoundedVector<F>) -> Result<Option<BoundedValue<F>>> {
        let Some(gap) = self.inner.gap(&x.v)? else {
            return Ok(None);
        };
        let r = self.rounding(&x.v)?;
        let prop = self.value_propagation(x, r.gradient)?;
        Ok(Some(BoundedValue::new(gap, add_up(prop, r.gap))))
    }
}
