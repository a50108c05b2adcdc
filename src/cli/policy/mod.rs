//! The command line's policy, in one place: the defaults and limits that `trace`, `report` and
//! `plot` share. A default written twice drifts (the learning rate once was 1/L-else-1/10 in one
//! command and 1/L-else-1/1000 in another); everything here is used by `main.rs` and the report
//! alike. The work budget, the limit on what a command may cost before it starts, is the
//! submodule [`budget`].

pub mod budget;

use rug::Rational;

use crate::error::{Error, Result};
use crate::optim::Schedule;
use crate::problem::Problem;

/// The learning rate for a problem without one given: 1/L, the step the theorems are stated for;
/// 1/1000 for a problem without a smoothness constant (Rosenbrock: 1/1000 is stable near its
/// valley, where L ≈ 1000 at the default start, while 1/10 diverges in a few steps).
pub fn default_learning_rate(problem: &dyn Problem) -> Rational {
    problem
        .smoothness()
        .filter(|l| *l > 0)
        .map_or_else(|| Rational::from((1, 1000)), |l| l.recip())
}

/// The constant schedule at [`default_learning_rate`].
pub fn default_schedule(problem: &dyn Problem) -> Schedule {
    Schedule::constant(default_learning_rate(problem))
}

/// Steps per run of `momentum-oracle report` when `--steps` is not given.
pub const REPORT_STEPS: usize = 64;

/// Checks a step count given on the command line: at least 1, at most `budget`.
///
/// # Errors
/// [`Error::InvalidHyperParameter`] for 0; [`Error::StepBudgetExceeded`] beyond the budget.
pub fn check_steps(steps: usize, budget: usize) -> Result<()> {
    if steps == 0 {
        return Err(Error::hyper("steps", 0, "must be at least 1"));
    }
    if steps > budget {
        return Err(Error::StepBudgetExceeded {
            requested: steps,
            budget,
        });
    }
    Ok(())
}
