//! Oracle wrappers: weight decay and maximize as changes of objective, and a replayed gradient
//! sequence in place of a problem.

use rug::Rational;

use super::Oracle;
use crate::arith::linalg::Vector;
use crate::arith::{Rounding, Scalar};
use crate::error::{Error, Result};

/// The oracle of `f + (λ/2)‖θ‖²` around the oracle of f: gradient `∇f(θ) + λθ`, value
/// `f(θ) + (λ/2)θ·θ`. The gap is `None` (the regularised problem's optimum is not the inner one's).
///
/// The gradient is formed as `g.axpy(λ, θ)` — `g_i ← mul_add(θ_i, λ, g_i)`, skipped when λ = 0 —
/// the same operation in the same order as PyTorch's coupled weight decay, so that PyTorch with λ on f and PyTorch without
/// λ on this oracle are the same computation in every arithmetic, bit for bit in f64.
pub struct WeightDecayed<'a, S: Scalar> {
    inner: Box<dyn Oracle<S> + 'a>,
    weight_decay: S,
    rounding: Rounding,
}

impl<'a, S: Scalar> WeightDecayed<'a, S> {
    /// Wraps `inner` with weight decay λ (rounded once into `S`), under the rounding model of the
    /// run it will serve.
    pub fn new(
        inner: Box<dyn Oracle<S> + 'a>,
        weight_decay: &Rational,
        rounding: Rounding,
    ) -> Self {
        WeightDecayed {
            inner,
            weight_decay: S::from_rational(weight_decay),
            rounding,
        }
    }
}

impl<S: Scalar> Oracle<S> for WeightDecayed<'_, S> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn value(&mut self, x: &S::Vector) -> Result<S> {
        let half = S::from_ratio(1, 2);
        Ok(self.inner.value(x)? + &(self.weight_decay.clone() * &half * &x.dot(x)))
    }
    fn gradient(&mut self, x: &S::Vector) -> Result<S::Vector> {
        let mut g = self.inner.gradient(x)?;
        // Skipped for λ = 0, as PyTorch skips it: adding 0·θ is exact, but a bounded run would
        // still charge it a rounding error.
        if !self.weight_decay.is_zero() {
            g.axpy(&self.weight_decay, x, self.rounding);
        }
        Ok(g)
    }
    fn gap(&mut self, _x: &S::Vector) -> Result<Option<S>> {
        Ok(None)
    }
}

/// The oracle of `−f` around the oracle of f (negation is exact in every arithmetic). The gap is
/// `None`: `−f` of a convex f has no minimum.
pub struct Negated<'a, S: Scalar> {
    inner: Box<dyn Oracle<S> + 'a>,
}

impl<'a, S: Scalar> Negated<'a, S> {
    /// Wraps `inner`.
    pub fn new(inner: Box<dyn Oracle<S> + 'a>) -> Self {
        Negated { inner }
    }
}

impl<S: Scalar> Oracle<S> for Negated<'_, S> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn value(&mut self, x: &S::Vector) -> Result<S> {
        Ok(-self.inner.value(x)?)
    }
    fn gradient(&mut self, x: &S::Vector) -> Result<S::Vector> {
        let mut g = self.inner.gradient(x)?;
        g.negate();
        Ok(g)
    }
    fn gap(&mut self, _x: &S::Vector) -> Result<Option<S>> {
        Ok(None)
    }
}

/// An oracle that replays a fixed gradient sequence: the k-th gradient query returns `g_k`
/// whatever the point (docs/design.md, "Fixtures"). It isolates an optimizer's state update from
/// any problem: impulse responses, constant gradients, arbitrary sequences.
#[derive(Clone, Debug)]
pub struct Replay<S: Scalar> {
    gradients: Vec<S::Vector>,
    next: usize,
}

impl<S: Scalar> Replay<S> {
    /// The replay of `gradients` (exact values, rounded once into `S`).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if the gradients have different lengths or none is given.
    pub fn new(gradients: &[Vec<Rational>]) -> Result<Self> {
        let dim = gradients
            .first()
            .ok_or_else(|| Error::dims("replayed gradient sequence", 1, 0))?
            .len();
        if let Some(g) = gradients.iter().find(|g| g.len() != dim) {
            return Err(Error::dims("replayed gradient", dim, g.len()));
        }
        Ok(Replay {
            gradients: gradients
                .iter()
                .map(|g| crate::problem::to_vector::<S>(g))
                .collect(),
            next: 0,
        })
    }
}

impl<S: Scalar> Oracle<S> for Replay<S> {
    fn dim(&self) -> usize {
        self.gradients[0].len()
    }
    fn value(&mut self, _x: &S::Vector) -> Result<S> {
        Err(Error::unsupported(
            "a function value for a replayed gradient sequence",
        ))
    }
    fn gradient(&mut self, _x: &S::Vector) -> Result<S::Vector> {
        let g = self.gradients.get(self.next).cloned().ok_or_else(|| {
            Error::unsupported(format!(
                "gradient {} of a replayed sequence of {}",
                self.next + 1,
                self.gradients.len()
            ))
        })?;
        self.next += 1;
        Ok(g)
    }
    fn gap(&mut self, _x: &S::Vector) -> Result<Option<S>> {
        Ok(None)
    }
}
