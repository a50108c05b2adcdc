//! The oracle an optimizer sees, and the choice of oracle per arithmetic.
//!
//! An optimizer never sees a problem, only an [`Oracle`] in its arithmetic. Which oracle a problem
//! gives for which arithmetic (exact, f64, MPFR, with a derived error bound) is this layer's
//! decision, made by [`Evaluate`]: the arithmetic layer below knows nothing of problems.

use rug::{Float, Rational};

use super::Problem;
use crate::arith::bounded::{Bounded, BoundedMpfr};
use crate::arith::envelope::Envelope;
use crate::arith::{Number, Scalar};
use crate::error::{Error, Result};

/// A gradient oracle in one arithmetic: what an optimizer sees of a problem.
///
/// Methods take `&mut self` so that an oracle may cache (the quadratic oracle reuses the last
/// matrix–vector product when the gap is asked at the point where the gradient was just taken).
pub trait Oracle<S: Number> {
    /// The dimension of the domain.
    fn dim(&self) -> usize;

    /// `f(x)`.
    ///
    /// # Errors
    /// [`Error::NotRational`] where the value leaves ℚ; [`Error::DimensionMismatch`].
    fn value(&mut self, x: &S::Vector) -> Result<S>;

    /// `∇f(x)`.
    ///
    /// # Errors
    /// As for [`Oracle::value`].
    fn gradient(&mut self, x: &S::Vector) -> Result<S::Vector>;

    /// `∇f(x)` written into `out`, whatever `out` held before (any length): the runner's loop
    /// asks for the gradient into a buffer it reuses, so that a step allocates nothing.
    ///
    /// The default stores [`Oracle::gradient`]'s new vector in `out`; oracles whose gradient is a
    /// pass over memory (the quadratic's) override it to write in place. Both give the same value,
    /// bit for bit.
    ///
    /// # Errors
    /// As for [`Oracle::gradient`]; `out` is unspecified after an error.
    fn gradient_into(&mut self, x: &S::Vector, out: &mut S::Vector) -> Result<()> {
        *out = self.gradient(x)?;
        Ok(())
    }

    /// `f(x) − f*`, or `None` when f* is not known in this arithmetic.
    ///
    /// Quadratic problems compute it as `½(x − x*)ᵀA(x − x*)`, which in floating point is far more
    /// accurate near the minimiser than `f(x) − f*`.
    ///
    /// # Errors
    /// As for [`Oracle::value`].
    fn gap(&mut self, x: &S::Vector) -> Result<Option<S>>;

    /// [`Oracle::gap`] at `x`, its costly part packed, where the oracle can, as a job that owns
    /// what it reads, so that the caller may run it on another thread while the run goes on.
    ///
    /// The runner asks for it at the steps it keeps when an exact run's numbers have grown large
    /// enough to pay for a second thread ([`crate::trace::RunOptions::parallel_gap_bits`]): at
    /// d = 50 the dot product of an exact gap costs more than the step itself. The job's value
    /// is [`Oracle::gap`]'s, exactly (the default computes it now), and whatever the oracle
    /// caches for its next gradient is cached as [`Oracle::gap`] would.
    ///
    /// # Errors
    /// As for [`Oracle::gap`]; the job itself cannot fail.
    fn gap_job(&mut self, x: &S::Vector) -> Result<GapJob<S>> {
        Ok(GapJob::Ready(self.gap(x)?))
    }

    /// `(a, c)` when the gradient is `0 ⊕ aᵢ ⊗ (xᵢ ⊖ cᵢ)` per entry, exactly the operations of
    /// [`Oracle::gradient_into`] (the centred quadratic of an `f64` diagonal matrix): optimizers
    /// then compute the gradient inside their own pass at the steps whose gradient nobody records
    /// ([`crate::optim::StepContext::record`]). `None` (the default) for every other oracle, and
    /// for any oracle that does more than compute the gradient (a wrapper that counts or
    /// transforms): such an oracle must be asked.
    fn diagonal_centered(&self) -> Option<(&S::Vector, &S::Vector)> {
        None
    }
}

/// A gap `f(x) − f*` that is either known or left to compute ([`Oracle::gap_job`]).
pub enum GapJob<S> {
    /// Already computed (`None`: f* unknown in this arithmetic).
    Ready(Option<S>),
    /// To compute by calling the closure, on whichever thread.
    Later(Box<dyn FnOnce() -> Option<S> + Send>),
}

impl<S> GapJob<S> {
    /// The gap, computing it here if it was left to compute.
    pub fn compute(self) -> Option<S> {
        match self {
            GapJob::Ready(gap) => gap,
            GapJob::Later(job) => job(),
        }
    }
}

impl<S> std::fmt::Debug for GapJob<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            GapJob::Ready(_) => "GapJob::Ready",
            GapJob::Later(_) => "GapJob::Later",
        })
    }
}

/// Rigorous bounds on the rounding error of a problem's f64 oracle at one point `x̂`: how far the
/// f64 results can be from the exact gradient, value and gap *at the same f64 point*.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct F64RoundingBound {
    /// Bound on `‖fl(∇f)(x̂) − ∇f(x̂)‖₂`.
    pub gradient: f64,
    /// Bound on `|fl(f)(x̂) − f(x̂)|`.
    pub value: f64,
    /// Bound on `|fl(gap)(x̂) − (f(x̂) − f*)|`.
    pub gap: f64,
}

/// A scalar type that problems can be evaluated in: picks a problem's oracle for `Self`.
///
/// Implemented for every arithmetic of [`crate::arith`]; the runner and the checks that build an
/// oracle from a problem ask for `S: Evaluate` where code that only sees an oracle asks for
/// `S: Scalar`.
pub trait Evaluate: Scalar {
    /// The gradient oracle of `problem` in this arithmetic.
    ///
    /// # Errors
    /// The problem's refusal of the arithmetic (e.g. [`Error::Unsupported`] for logistic
    /// regression in ℚ).
    fn oracle(problem: &dyn Problem) -> Result<Box<dyn Oracle<Self> + '_>>;
}

impl Evaluate for Rational {
    fn oracle(problem: &dyn Problem) -> Result<Box<dyn Oracle<Self> + '_>> {
        problem.exact_oracle()
    }
}

impl Evaluate for f64 {
    fn oracle(problem: &dyn Problem) -> Result<Box<dyn Oracle<Self> + '_>> {
        problem.f64_oracle()
    }
}

impl Evaluate for Float {
    fn oracle(problem: &dyn Problem) -> Result<Box<dyn Oracle<Self> + '_>> {
        problem.mpfr_oracle()
    }
}

impl Evaluate for Bounded {
    fn oracle(problem: &dyn Problem) -> Result<Box<dyn Oracle<Self> + '_>> {
        problem.bounded_oracle()
    }
}

impl Evaluate for BoundedMpfr {
    fn oracle(problem: &dyn Problem) -> Result<Box<dyn Oracle<Self> + '_>> {
        problem.bounded_mpfr_oracle()
    }
}

impl Evaluate for Envelope {
    fn oracle(problem: &dyn Problem) -> Result<Box<dyn Oracle<Self> + '_>> {
        Err(Error::unsupported(format!(
            "the order-independent envelope is for replayed gradients, not for problem oracles ({})",
            problem.spec()
        )))
    }
}
