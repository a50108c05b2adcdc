//! Work estimated before a command starts, against a budget: past it the command does nothing and
//! says, on one line, the estimate, the budget and the flag that raises it (`--work-budget`).
//!
//! The unit is a *bit operation*: one operation on numbers of b bits counts b. An estimate is the
//! problem's construction ([`Shape::construction_work`]) plus, per run, the number operations of
//! one oracle call ([`Shape::evaluation_operations`]) × steps × the bits of a number:
//!
//! * f64: 64 (bounded f64: 256, the value and its bound);
//! * MPFR at p bits: p·⌈p/4096⌉ (products of full-precision operands grow faster than p once p is
//!   large; an MPFR precision of 2²⁰ bits costs 2.7·10⁸ per operation, so 66 steps of a
//!   4-dimensional problem, about 4 minutes there, fill the default budget);
//! * exact: entries grow by at most [`GROWTH_BITS_PER_STEP`] bits per step from the data's size
//!   until the run's size budget stops them, so the sum over steps of min(data + 16k, size budget).
//!
//! It is an estimate, calibrated on the reference machine (2 cores): the default budget,
//! [`DEFAULT_WORK_BUDGET`] = 10¹², is a few minutes of work there (a 4-dimensional exact quadratic
//! for 50 000 steps is 1.1·10¹² and took 4 minutes). Output is not counted: `trace` streams it.

use crate::error::{Error, Result};
use crate::problem::shape::Shape;

use crate::cli::Arithmetic;

/// The default budget of every command, in bit operations (`--work-budget`).
pub const DEFAULT_WORK_BUDGET: u64 = 1_000_000_000_000;

/// The flag that raises the budget.
pub const FLAG: &str = "--work-budget";

/// The most an exact entry grows per step, in bits: 8.3–13.7 across the catalogue
/// (docs/design.md, "Scalars"), rounded up.
pub const GROWTH_BITS_PER_STEP: u64 = 16;

/// An estimate of a command's work.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Estimate {
    /// Bit operations (saturating at `u64::MAX`).
    pub work: u64,
    /// How it was made, for the message.
    pub what: String,
}

impl Estimate {
    /// Checks the estimate against `budget`.
    ///
    /// # Errors
    /// [`Error::WorkBudgetExceeded`] past the budget.
    pub fn check(&self, budget: u64) -> Result<()> {
        if self.work > budget {
            return Err(Error::WorkBudgetExceeded {
                what: self.what.clone(),
                estimate: self.work,
                budget,
                flag: FLAG,
            });
        }
        Ok(())
    }
}

/// The bits of the numbers of `steps` steps in `arith`, summed over the steps, and the bits of a
/// number at the last step (for the message).
fn number_bits(arith: Arithmetic, steps: u64, size_budget_bits: u64, data_bits: u64) -> (u64, u64) {
    let per_step = |bits: u64| (bits.saturating_mul(steps), bits);
    match arith {
        Arithmetic::F64(_) => per_step(64),
        Arithmetic::Bounded(_) => per_step(256),
        Arithmetic::Mpfr(p, _) | Arithmetic::BoundedMpfr(p, _) => {
            let p = u64::from(p);
            per_step(p.saturating_mul(p.div_ceil(4096)))
        }
        Arithmetic::Exact => exact_bits(steps, size_budget_bits, data_bits),
    }
}

/// Σ_{k=1..steps} min(b₀ + g·k, cap) with b₀ the data's bits and g = [`GROWTH_BITS_PER_STEP`].
fn exact_bits(steps: u64, cap: u64, data_bits: u64) -> (u64, u64) {
    let g = u128::from(GROWTH_BITS_PER_STEP);
    let (b0, cap, k) = (
        u128::from(data_bits),
        u128::from(cap.max(data_bits)),
        u128::from(steps),
    );
    // Steps before the cap is reached.
    let growing = ((cap - b0) / g).min(k);
    let sum = b0 * growing + g * growing * (growing + 1) / 2 + (k - growing) * cap;
    let last = (b0 + g * k).min(cap);
    (
        u64::try_from(sum).unwrap_or(u64::MAX),
        u64::try_from(last).unwrap_or(u64::MAX),
    )
}

/// The estimate of `runs` runs of `steps` steps on the problem `problem_spec` in `arith` (the
/// problem built once).
///
/// # Errors
/// The spec's parse errors ([`Shape::of`]).
pub fn runs(
    problem_spec: &str,
    arith: Arithmetic,
    steps: usize,
    runs: u64,
    size_budget_bits: u64,
) -> Result<Estimate> {
    let shape = Shape::of(problem_spec)?;
    let steps = u64::try_from(steps).unwrap_or(u64::MAX);
    let (bits, last) = number_bits(arith, steps, size_budget_bits, shape.data_bits);
    let run = shape
        .evaluation_operations()
        .saturating_mul(bits)
        .saturating_mul(runs);
    let construction = shape.construction_work();
    let runs_text = if runs == 1 {
        String::new()
    } else {
        format!("{runs} runs × ")
    };
    Ok(Estimate {
        work: construction.saturating_add(run),
        what: format!(
            "building {} of dimension {}{} and {runs_text}{steps} steps × {} operations × up to {last} bits",
            shape.family,
            shape.dim,
            if shape.rows > 0 {
                format!(" with {} data rows", shape.rows)
            } else {
                String::new()
            },
            shape.evaluation_operations(),
        ),
    })
}

/// The estimate of verifying a PEP certificate (`certify --verify`): the slack matrix has
/// m = N + 2 rows (x₀ − x* and g₀ … g_N), assembled from every multiplier (m² entries each) and
/// factored exactly (m³), on numbers of the certificate's largest size.
pub fn certificate(parsed: &crate::theory::pep::format::Parsed) -> Estimate {
    let m = u64::try_from(parsed.steps())
        .unwrap_or(u64::MAX)
        .saturating_add(2);
    let bits = |q: &rug::Rational| {
        u64::from(q.numer().significant_bits()) + u64::from(q.denom().significant_bits())
    };
    let largest = parsed
        .coefficients
        .iter()
        .flatten()
        .chain(parsed.multipliers.iter().map(|(_, l)| l))
        .chain(std::iter::once(&parsed.bound))
        .map(bits)
        .max()
        .unwrap_or(0)
        .max(64);
    let multipliers = u64::try_from(parsed.multipliers.len()).unwrap_or(u64::MAX);
    let m2 = m.saturating_mul(m);
    let work = m2
        .saturating_mul(m.saturating_add(multipliers))
        .saturating_mul(largest);
    Estimate {
        work,
        what: format!(
            "a {m} × {m} slack matrix from {multipliers} multipliers, numbers of up to {largest} bits"
        ),
    }
}

/// The sum of several estimates, described by `what`.
pub fn total(parts: &[Estimate], what: impl Into<String>) -> Estimate {
    Estimate {
        work: parts.iter().fold(0u64, |acc, e| acc.saturating_add(e.work)),
        what: what.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_bits_grow_then_stop_at_the_size_budget() {
        // b₀ = 64, g = 16, cap = 64 + 16·3 = 112: steps 1..3 give 80, 96, 112, then 112 each.
        assert_eq!(exact_bits(3, 112, 64), (80 + 96 + 112, 112));
        assert_eq!(exact_bits(5, 112, 64), (80 + 96 + 112 + 112 + 112, 112));
        // A cap below the data's size is the data's size.
        assert_eq!(exact_bits(2, 10, 64), (128, 64));
    }
}
