//! Learning-rate schedules: γ_k for steps k = 1, 2, …
//!
//! All are exact except cosine, whose values are irrational in general (runs in f64 and MPFR; in
//! ℚ only where Niven's theorem makes `cos(πq)` rational). Each is the closed form of the PyTorch
//! scheduler of the same name with `scheduler.step()` called after every optimizer step, so step
//! k sees the scheduler's epoch `k − 1`:
//!
//! | name | γ_k | PyTorch |
//! |---|---|---|
//! | `constant` | γ₀ | — |
//! | `step` | γ₀ · factor^⌊(k−1)/every⌋ | `StepLR(step_size=every, gamma=factor)` |
//! | `exponential` | γ₀ · factor^(k−1) | `ExponentialLR(gamma=factor)` |
//! | `warmup` | γ₀ · (s + (1 − s)·min(k−1, w)/w) | `LinearLR(start_factor=s, end_factor=1, total_iters=w)` |
//! | `piecewise` | `values[j]`, `j = #{b ∈ boundaries : b < k}` | `MultiStepLR` with explicit values |
//! | `cosine` | γ_min + (γ₀ − γ_min)(1 + cos(π·min(k−1, T)/T))/2 | `CosineAnnealingLR(T_max=T)` closed form, held at γ_min after T (deliberate deviation: PyTorch's closed form is periodic) |
//!
//! Source: pytorch/pytorch `torch/optim/lr_scheduler.py` (`_get_closed_form_lr` of each class).

use rug::Rational;
use rug::ops::Pow;

use crate::arith::Scalar;
use crate::arith::text::format;
use crate::error::{Error, Result};
use crate::spec::{EntryInfo, ParamInfo, Spec, format_list};

/// Catalogue entries, one per schedule.
pub const CATALOGUE: &[EntryInfo] = &[
    EntryInfo {
        name: "constant",
        summary: "γ_k = lr",
        params: &[ParamInfo {
            key: "lr",
            help: "learning rate ≥ 0 (required)",
        }],
    },
    EntryInfo {
        name: "step",
        summary: "γ_k = lr·factor^⌊(k−1)/every⌋ (StepLR)",
        params: &[
            ParamInfo {
                key: "lr",
                help: "initial learning rate ≥ 0 (required)",
            },
            ParamInfo {
                key: "factor",
                help: "decay factor ≥ 0 (default 1/10)",
            },
            ParamInfo {
                key: "every",
                help: "steps between decays ≥ 1 (default 10)",
            },
        ],
    },
    EntryInfo {
        name: "exponential",
        summary: "γ_k = lr·factor^(k−1) (ExponentialLR)",
        params: &[
            ParamInfo {
                key: "lr",
                help: "initial learning rate ≥ 0 (required)",
            },
            ParamInfo {
                key: "factor",
                help: "decay factor ≥ 0 (default 9/10)",
            },
        ],
    },
    EntryInfo {
        name: "warmup",
        summary: "γ_k = lr·(s + (1−s)·min(k−1, w)/w) (LinearLR to 1)",
        params: &[
            ParamInfo {
                key: "lr",
                help: "target learning rate ≥ 0 (required)",
            },
            ParamInfo {
                key: "start_factor",
                help: "s in (0, 1] (default 1/10)",
            },
            ParamInfo {
                key: "steps",
                help: "w ≥ 1 (default 5)",
            },
        ],
    },
    EntryInfo {
        name: "piecewise",
        summary: "γ_k = values[j], j = number of boundaries below k",
        params: &[
            ParamInfo {
                key: "boundaries",
                help: "increasing steps b1;b2;...",
            },
            ParamInfo {
                key: "values",
                help: "one more value than boundaries",
            },
        ],
    },
    EntryInfo {
        name: "cosine",
        summary: "γ_k = min + (lr−min)(1+cos(π·min(k−1,T)/T))/2 (f64/MPFR)",
        params: &[
            ParamInfo {
                key: "lr",
                help: "initial learning rate ≥ 0 (required)",
            },
            ParamInfo {
                key: "min_lr",
                help: "final learning rate (default 0)",
            },
            ParamInfo {
                key: "period",
                help: "T ≥ 1 (default 10)",
            },
        ],
    },
];

/// A learning-rate schedule with exact parameters. See the [module documentation](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// γ_k = lr.
    Constant {
        /// The learning rate.
        learning_rate: Rational,
    },
    /// γ_k = lr·factor^⌊(k−1)/every⌋.
    Step {
        /// Initial learning rate.
        learning_rate: Rational,
        /// Decay factor.
        factor: Rational,
        /// Steps between decays.
        every: usize,
    },
    /// γ_k = lr·factor^(k−1).
    Exponential {
        /// Initial learning rate.
        learning_rate: Rational,
        /// Decay factor.
        factor: Rational,
    },
    /// γ_k = lr·(s + (1−s)·min(k−1, w)/w).
    Warmup {
        /// Target learning rate.
        learning_rate: Rational,
        /// s.
        start_factor: Rational,
        /// w.
        steps: usize,
    },
    /// `γ_k = values[j]`, `j = #{b ∈ boundaries : b < k}`.
    Piecewise {
        /// Strictly increasing step indices.
        boundaries: Vec<usize>,
        /// `boundaries.len() + 1` learning rates.
        values: Vec<Rational>,
    },
    /// γ_k = min + (lr − min)(1 + cos(π·min(k−1, T)/T))/2.
    Cosine {
        /// Initial learning rate.
        learning_rate: Rational,
        /// Final learning rate.
        min_learning_rate: Rational,
        /// T.
        period: usize,
    },
}

fn check_lr(name: &'static str, learning_rate: &Rational) -> Result<()> {
    if *learning_rate < 0 {
        return Err(Error::hyper(
            name,
            format(learning_rate),
            "learning rates must be non-negative",
        ));
    }
    Ok(())
}

impl Schedule {
    /// A constant learning rate.
    pub fn constant(learning_rate: Rational) -> Self {
        Schedule::Constant { learning_rate }
    }

    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] naming the bad parameter.
    pub fn validate(&self) -> Result<()> {
        match self {
            Schedule::Constant { learning_rate } => check_lr("lr", learning_rate),
            Schedule::Step {
                learning_rate,
                factor,
                every,
            } => {
                check_lr("lr", learning_rate)?;
                check_lr("factor", factor)?;
                if *every == 0 {
                    return Err(Error::hyper("every", every, "must be at least 1"));
                }
                Ok(())
            }
            Schedule::Exponential {
                learning_rate,
                factor,
            } => {
                check_lr("lr", learning_rate)?;
                check_lr("factor", factor)
            }
            Schedule::Warmup {
                learning_rate,
                start_factor,
                steps,
            } => {
                check_lr("lr", learning_rate)?;
                if *start_factor <= 0 || *start_factor > 1 {
                    return Err(Error::hyper(
                        "start_factor",
                        format(start_factor),
                        "must be in (0, 1]",
                    ));
                }
                if *steps == 0 {
                    return Err(Error::hyper("steps", steps, "must be at least 1"));
                }
                Ok(())
            }
            Schedule::Piecewise { boundaries, values } => {
                if values.len() != boundaries.len() + 1 {
                    return Err(Error::dims(
                        "piecewise schedule values",
                        boundaries.len() + 1,
                        values.len(),
                    ));
                }
                if boundaries.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(Error::hyper(
                        "boundaries",
                        format!("{boundaries:?}"),
                        "must be strictly increasing",
                    ));
                }
                values.iter().try_for_each(|v| check_lr("values", v))
            }
            Schedule::Cosine {
                learning_rate,
                min_learning_rate,
                period,
            } => {
                check_lr("lr", learning_rate)?;
                check_lr("min_lr", min_learning_rate)?;
                if *period == 0 {
                    return Err(Error::hyper("period", period, "must be at least 1"));
                }
                Ok(())
            }
        }
    }

    /// γ_k exactly, or `None` for a cosine value that is irrational.
    ///
    /// # Panics
    /// Panics if `k == 0` (steps are 1-based).
    pub fn exact(&self, k: usize) -> Option<Rational> {
        assert!(k >= 1, "steps are 1-based");
        let pow = |base: &Rational, e: usize| -> Rational {
            // Exponents are step counts; saturate instead of wrapping beyond u32.
            Rational::from(base.pow(u32::try_from(e).unwrap_or(u32::MAX)))
        };
        Some(match self {
            Schedule::Constant { learning_rate } => learning_rate.clone(),
            Schedule::Step {
                learning_rate,
                factor,
                every,
            } => Rational::from(learning_rate * pow(factor, (k - 1) / every)),
            Schedule::Exponential {
                learning_rate,
                factor,
            } => Rational::from(learning_rate * pow(factor, k - 1)),
            Schedule::Warmup {
                learning_rate,
                start_factor,
                steps,
            } => {
                let t = Rational::from(((k - 1).min(*steps) as u64, *steps as u64));
                let one_minus = Rational::from(1 - start_factor.clone());
                Rational::from(learning_rate * (start_factor.clone() + one_minus * t))
            }
            Schedule::Piecewise { boundaries, values } => {
                let j = boundaries.iter().filter(|b| **b < k).count();
                values[j].clone()
            }
            Schedule::Cosine {
                learning_rate,
                min_learning_rate,
                period,
            } => {
                let q = Rational::from(((k - 1).min(*period) as u64, *period as u64));
                let c = crate::arith::rational_cos_pi(&q)?;
                Rational::from(
                    min_learning_rate
                        + Rational::from(learning_rate - min_learning_rate) * (c + 1u32) / 2u32,
                )
            }
        })
    }

    /// γ_k in arithmetic `S` (rounded once from the exact value; cosine correctly rounded from
    /// `cos(πq)` and then combined in `S`).
    ///
    /// # Errors
    /// [`Error::NotRational`] for an irrational cosine value in exact arithmetic.
    pub fn learning_rate<S: Scalar>(&self, k: usize) -> Result<S> {
        self.learning_rate_from(k, self.exact(k).as_ref())
    }

    /// A cursor over γ₁, γ₂, … with O(1) arithmetic operations per step: the step and exponential
    /// schedules multiply the previous exact value by the factor instead of recomputing
    /// factor^(k−1) (which costs O(log k) multiplications of ever larger numbers per step, and made
    /// a run quadratic in k).
    pub fn rates(&self) -> Rates<'_> {
        Rates {
            schedule: self,
            k: 0,
            current: None,
        }
    }

    /// γ_k in arithmetic `S` given its exact value `exact` (`None` for an irrational cosine value),
    /// as from [`Schedule::exact`] or [`Rates::next_exact`].
    ///
    /// # Errors
    /// As [`Schedule::learning_rate`].
    pub fn learning_rate_from<S: Scalar>(&self, k: usize, exact: Option<&Rational>) -> Result<S> {
        if let Some(q) = exact {
            return Ok(S::from_rational(q));
        }
        let Schedule::Cosine {
            learning_rate,
            min_learning_rate,
            period,
        } = self
        else {
            unreachable!("only cosine values can be irrational")
        };
        let q = Rational::from(((k - 1).min(*period) as u64, *period as u64));
        let c = S::cos_pi(&q).ok_or_else(|| Error::NotRational {
            operation: "cosine schedule",
            detail: format!(" at step {k}"),
        })?;
        let lo = S::from_rational(min_learning_rate);
        let span = S::from_rational(&Rational::from(learning_rate - min_learning_rate));
        let half = S::from_ratio(1, 2);
        Ok(lo + &(span * &((c + &S::one()) * &half)))
    }

    /// Whether γ_k differs from γ_{k−1} (false for k = 1), decided exactly where possible.
    pub fn changes_at(&self, k: usize) -> bool {
        if k <= 1 {
            return false;
        }
        match (self.exact(k), self.exact(k - 1)) {
            (Some(a), Some(b)) => a != b,
            _ => {
                // Only cosine values can be irrational, and only while the phase moves (from
                // k − 2 ≥ T on both phases are T and cos π = −1): cos(πt) is strictly decreasing
                // on [0, 1], so γ changes iff the span is non-zero.
                let Schedule::Cosine {
                    learning_rate,
                    min_learning_rate,
                    ..
                } = self
                else {
                    unreachable!("only cosine values can be irrational")
                };
                learning_rate != min_learning_rate
            }
        }
    }

    /// Parses a schedule spec (see [`CATALOGUE`]).
    ///
    /// # Errors
    /// Unknown names and keys, parse errors, and [`Schedule::validate`]'s checks.
    pub fn from_spec(text: &str) -> Result<Self> {
        let spec = Spec::parse(text)?;
        let info = CATALOGUE
            .iter()
            .find(|e| e.name == spec.name())
            .ok_or_else(|| crate::spec::unknown("schedule", spec.name(), CATALOGUE))?;
        let s = match spec.name() {
            "constant" => Schedule::Constant {
                learning_rate: spec.rational("lr")?,
            },
            "step" => Schedule::Step {
                learning_rate: spec.rational("lr")?,
                factor: spec.rational_or("factor", Rational::from((1, 10)))?,
                every: spec.usize_or("every", 10)?,
            },
            "exponential" => Schedule::Exponential {
                learning_rate: spec.rational("lr")?,
                factor: spec.rational_or("factor", Rational::from((9, 10)))?,
            },
            "warmup" => Schedule::Warmup {
                learning_rate: spec.rational("lr")?,
                start_factor: spec.rational_or("start_factor", Rational::from((1, 10)))?,
                steps: spec.usize_or("steps", 5)?,
            },
            "piecewise" => {
                let boundaries = match spec.raw("boundaries") {
                    None => Vec::new(),
                    Some(b) => b
                        .split(';')
                        .map(str::trim)
                        .filter(|x| !x.is_empty())
                        .map(|x| {
                            x.trim().parse::<usize>().map_err(|_| {
                                Error::parse("schedule", x, "boundaries must be step numbers")
                            })
                        })
                        .collect::<Result<_>>()?,
                };
                let values = spec
                    .rational_list("values")?
                    .ok_or_else(|| Error::parse("schedule", text, "piecewise needs values=..."))?;
                Schedule::Piecewise { boundaries, values }
            }
            "cosine" => Schedule::Cosine {
                learning_rate: spec.rational("lr")?,
                min_learning_rate: spec.rational_or("min_lr", Rational::new())?,
                period: spec.usize_or("period", 10)?,
            },
            _ => unreachable!("name found in the catalogue"),
        };
        spec.finish(info)?;
        s.validate()?;
        Ok(s)
    }

    /// The spec that rebuilds this schedule.
    pub fn spec(&self) -> String {
        match self {
            Schedule::Constant { learning_rate } => {
                format!("constant:lr={}", format(learning_rate))
            }
            Schedule::Step {
                learning_rate,
                factor,
                every,
            } => {
                format!(
                    "step:lr={},factor={},every={every}",
                    format(learning_rate),
                    format(factor)
                )
            }
            Schedule::Exponential {
                learning_rate,
                factor,
            } => {
                format!(
                    "exponential:lr={},factor={}",
                    format(learning_rate),
                    format(factor)
                )
            }
            Schedule::Warmup {
                learning_rate,
                start_factor,
                steps,
            } => {
                format!(
                    "warmup:lr={},start_factor={},steps={steps}",
                    format(learning_rate),
                    format(start_factor)
                )
            }
            Schedule::Piecewise { boundaries, values } => format!(
                "piecewise:boundaries={},values={}",
                boundaries
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(";"),
                format_list(values)
            ),
            Schedule::Cosine {
                learning_rate,
                min_learning_rate,
                period,
            } => {
                format!(
                    "cosine:lr={},min_lr={},period={period}",
                    format(learning_rate),
                    format(min_learning_rate)
                )
            }
        }
    }
}

/// The exact learning rates of a schedule, step after step ([`Schedule::rates`]).
#[derive(Clone, Debug)]
pub struct Rates<'a> {
    schedule: &'a Schedule,
    /// The step of `current`.
    k: usize,
    /// γ_k of the step and exponential schedules (the others are O(1) from their closed forms).
    current: Option<Rational>,
}

impl Rates<'_> {
    /// The step whose rate [`Rates::next_exact`] returned last (0 before the first call).
    pub fn step(&self) -> usize {
        self.k
    }

    /// Advances to the next step k and returns γ_k exactly (`None` for an irrational cosine
    /// value): the same value as [`Schedule::exact`]`(k)`.
    pub fn next_exact(&mut self) -> Option<Rational> {
        self.k += 1;
        let k = self.k;
        match self.schedule {
            Schedule::Step {
                learning_rate,
                factor,
                every,
            } => {
                let next = match self.current.take() {
                    None => learning_rate.clone(),
                    // γ_k = γ_{k−1}·factor exactly when ⌊(k−1)/every⌋ moves, i.e. (k−1) % every = 0.
                    Some(prev) if (k - 1) % every == 0 => prev * factor,
                    Some(prev) => prev,
                };
                self.current = Some(next.clone());
                Some(next)
            }
            Schedule::Exponential {
                learning_rate,
                factor,
            } => {
                let next = match self.current.take() {
                    None => learning_rate.clone(),
                    Some(prev) => prev * factor,
                };
                self.current = Some(next.clone());
                Some(next)
            }
            other => other.exact(k),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cosine_schedule_changes_exactly_when_its_phase_moves_and_its_span_is_non_zero() {
        let s = Schedule::from_spec("cosine:lr=1/2,min_lr=1/10,period=4").unwrap();
        let changes: Vec<bool> = (1..=6).map(|k| s.changes_at(k)).collect();
        // Phases 0, 1/4, 1/2, 3/4, 1, 1 (held at T = 4 from step 5 on).
        assert_eq!(changes, [false, true, true, true, true, false]);
        let flat = Schedule::from_spec("cosine:lr=1/2,min_lr=1/2,period=4").unwrap();
        assert!((1..=6).all(|k| !flat.changes_at(k)));
    }

    #[test]
    fn the_cursor_gives_the_closed_form_of_every_schedule() {
        for spec in [
            "constant:lr=1/10",
            "step:lr=1/10,factor=1/2,every=3",
            "step:lr=1/10,factor=9/10,every=1",
            "exponential:lr=1/20,factor=9/10",
            "warmup:lr=1/10,start_factor=1/4,steps=4",
            "piecewise:boundaries=3;6,values=1/10;1/20;1/100",
            "cosine:lr=1/2,min_lr=1/10,period=4",
            "cosine:lr=1/10,min_lr=0,period=7",
        ] {
            let s = Schedule::from_spec(spec).unwrap();
            let mut r = s.rates();
            for k in 1..=40 {
                assert_eq!(r.next_exact(), s.exact(k), "{spec} at step {k}");
                assert_eq!(r.step(), k);
            }
        }
    }
}
