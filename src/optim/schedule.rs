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

use rug::{Float, Rational};

use crate::arith::Scalar;
use crate::arith::power::{
    PowerEnclosure, exact_power, nearest_power, round_power, working_precision,
};
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
        if let Some((base, factor, n)) = self.power_form(k) {
            return Some(exact_power(base, factor, n));
        }
        Some(match self {
            Schedule::Constant { learning_rate } => learning_rate.clone(),
            Schedule::Step { .. } | Schedule::Exponential { .. } => {
                unreachable!("power forms are handled above")
            }
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

    /// `(base, factor, n)` with γ_k = base·factorⁿ, for the schedules whose rate is a power (step:
    /// n = ⌊(k−1)/every⌋; exponential: n = k − 1); `None` for the others.
    ///
    /// # Panics
    /// Panics if `k == 0` (steps are 1-based).
    pub fn power_form(&self, k: usize) -> Option<(&Rational, &Rational, u64)> {
        assert!(k >= 1, "steps are 1-based");
        let n = |e: usize| u64::try_from(e).unwrap_or(u64::MAX);
        match self {
            Schedule::Step {
                learning_rate,
                factor,
                every,
            } => Some((learning_rate, factor, n((k - 1) / every))),
            Schedule::Exponential {
                learning_rate,
                factor,
            } => Some((learning_rate, factor, n(k - 1))),
            _ => None,
        }
    }

    /// γ_k in arithmetic `S`: the exact value rounded once (for a power form in f64, f32 and
    /// MPFR from a fixed-precision enclosure, [`crate::arith::power`], with the same result);
    /// cosine correctly rounded from `cos(πq)` and then combined in `S`.
    ///
    /// # Errors
    /// [`Error::NotRational`] for an irrational cosine value in exact arithmetic.
    pub fn learning_rate<S: Scalar>(&self, k: usize) -> Result<S> {
        if let Some((base, factor, n)) = self.power_form(k) {
            return Ok(nearest_power::<S>(base, factor, n).0);
        }
        self.learning_rate_from(k, self.exact(k).as_ref())
    }

    /// A cursor over γ₁, γ₂, … that costs O(1) per step whatever k: the step and exponential
    /// schedules keep γ_k as a power not multiplied out ([`ExactRate::Power`]); a floating run
    /// rounds it from an enclosure advanced by one fixed-precision product per step; an exact run
    /// that needs the value multiplies the previous one by the factor
    /// ([`Rates::exact`]). Recomputing factor^(k−1) exactly at every step made a run quadratic in
    /// k (issue 18).
    pub fn rates(&self) -> Rates<'_> {
        Rates {
            schedule: self,
            k: 0,
            value: None,
            materialised: None,
            enclosure: None,
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
        if let (Some((base, factor, n)), Some((_, _, m))) =
            (self.power_form(k), self.power_form(k - 1))
        {
            // γ_k = γ_{k−1}·factor^(n−m) with n − m ∈ {0, 1}: a change iff the exponent moves,
            // factor ≠ 1 and γ_{k−1} = base·factor^m ≠ 0 (base ≠ 0, and factor ≠ 0 unless m = 0).
            return n != m && *base != 0 && *factor != 1 && (*factor != 0 || m == 0);
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

/// γ_k exactly, in the form the schedule holds it: a power not multiplied out (step and
/// exponential schedules) or the value itself. Copying it costs O(1) whatever k;
/// [`ExactRate::to_rational`] multiplies the power out, [`ExactRate::round`] rounds it without
/// doing so.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ExactRate<'a> {
    /// `base · factor^exponent`.
    Power {
        /// The initial learning rate.
        base: &'a Rational,
        /// The decay factor.
        factor: &'a Rational,
        /// The number of decays so far.
        exponent: u64,
    },
    /// The value; `None` for an irrational cosine value.
    Value(Option<&'a Rational>),
}

impl<'a> From<Option<&'a Rational>> for ExactRate<'a> {
    fn from(value: Option<&'a Rational>) -> Self {
        ExactRate::Value(value)
    }
}

impl ExactRate<'_> {
    /// The value as a rational (`None` for an irrational cosine value). For a power this
    /// multiplies it out: O(log n) products of numbers of up to n·log₂(factor) bits.
    pub fn to_rational(self) -> Option<Rational> {
        match self {
            ExactRate::Power {
                base,
                factor,
                exponent,
            } => Some(exact_power(base, factor, exponent)),
            ExactRate::Value(q) => q.cloned(),
        }
    }

    /// The value rounded by a monotone rounding to a `precision`-bit format, given twice as in
    /// [`crate::arith::power::round_power`]: `via_float` on an MPFR value, `exact` on a rational.
    /// A power is rounded from a fixed-precision enclosure (the exact value only when the
    /// enclosure straddles a rounding boundary); `None` for an irrational cosine value.
    pub fn round<T: PartialEq>(
        self,
        precision: u32,
        via_float: impl Fn(&Float) -> Option<T>,
        exact: impl FnOnce(&Rational) -> T,
    ) -> Option<T> {
        match self {
            ExactRate::Power {
                base,
                factor,
                exponent,
            } => {
                let mut enclosure =
                    PowerEnclosure::new(base, factor, working_precision(precision, exponent));
                Some(
                    round_power(
                        enclosure.as_mut(),
                        (base, factor, exponent),
                        via_float,
                        exact,
                    )
                    .0,
                )
            }
            ExactRate::Value(q) => q.map(exact),
        }
    }
}

/// The learning rates of a schedule, step after step ([`Schedule::rates`]).
#[derive(Clone, Debug)]
pub struct Rates<'a> {
    schedule: &'a Schedule,
    /// The current step (0 before the first [`Rates::advance`]).
    k: usize,
    /// γ_k of the schedules without a power form (O(1) from their closed forms).
    value: Option<Rational>,
    /// A power form multiplied out, with its exponent: what [`Rates::exact`] returned last.
    materialised: Option<(u64, Rational)>,
    /// The power form's fixed-precision enclosure, for floating runs.
    enclosure: Option<PowerEnclosure>,
}

impl Rates<'_> {
    /// The current step (0 before the first [`Rates::advance`]).
    pub fn step(&self) -> usize {
        self.k
    }

    /// Moves to the next step and returns it. O(1) for the power forms (nothing is computed until
    /// asked for); the closed form for the others.
    pub fn advance(&mut self) -> usize {
        self.k += 1;
        if self.schedule.power_form(self.k).is_none() {
            self.value = self.schedule.exact(self.k);
        }
        self.k
    }

    /// γ_k exactly, as the schedule holds it (multiplied out only if [`Rates::exact`] did so at
    /// this step).
    ///
    /// # Panics
    /// Panics before the first [`Rates::advance`].
    pub fn current(&self) -> ExactRate<'_> {
        match self.schedule.power_form(self.k) {
            Some((base, factor, exponent)) => match &self.materialised {
                Some((m, q)) if *m == exponent => ExactRate::Value(Some(q)),
                _ => ExactRate::Power {
                    base,
                    factor,
                    exponent,
                },
            },
            None => ExactRate::Value(self.value.as_ref()),
        }
    }

    /// γ_k as a rational (`None` for an irrational cosine value): for a power form one product
    /// by the factor when the previous step was multiplied out too, which an exact run does at
    /// every step (the product's cost grows with the value's size, n·log₂(factor) bits: the price
    /// of using the exact rate at all).
    ///
    /// # Panics
    /// Panics before the first [`Rates::advance`].
    pub fn exact(&mut self) -> Option<&Rational> {
        let Some((base, factor, n)) = self.schedule.power_form(self.k) else {
            return self.value.as_ref();
        };
        let q = match self.materialised.take() {
            Some((m, q)) if m == n => q,
            Some((m, q)) if m + 1 == n => q * factor,
            _ => exact_power(base, factor, n),
        };
        Some(&self.materialised.insert((n, q)).1)
    }

    /// Advances to the next step k and returns γ_k exactly (`None` for an irrational cosine
    /// value): the same value as [`Schedule::exact`]`(k)`.
    pub fn next_exact(&mut self) -> Option<Rational> {
        self.advance();
        self.exact().cloned()
    }

    /// γ_k in arithmetic `S`, the same value as [`Schedule::learning_rate`]`(k)`: for a power
    /// form in an arithmetic with a [`crate::arith::Number::rounding_precision`] from the
    /// enclosure (one fixed-precision product per end and step), otherwise from
    /// [`Rates::exact`].
    ///
    /// # Errors
    /// As [`Schedule::learning_rate`].
    ///
    /// # Panics
    /// Panics before the first [`Rates::advance`].
    pub fn learning_rate<S: Scalar>(&mut self) -> Result<S> {
        let (k, schedule) = (self.k, self.schedule);
        if let (Some(target), Some((base, factor, n))) =
            (S::rounding_precision(), schedule.power_form(k))
        {
            // A wider enclosure as n grows (working_precision adds the bit length of n + 1): rebuilt
            // about log₂ n times in a run.
            let p = working_precision(target, n);
            if self.enclosure.as_ref().is_none_or(|e| e.precision() != p) {
                self.enclosure = PowerEnclosure::new(base, factor, p);
            }
            let (rate, _) = round_power(
                self.enclosure.as_mut(),
                (base, factor, n),
                S::from_float,
                S::from_rational,
            );
            return Ok(rate);
        }
        schedule.learning_rate_from(k, self.exact())
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

    /// The cursor's enclosure is rebuilt whenever the working precision grows with the exponent
    /// (`power::working_precision`: 53 + 64 + the bit length of n + 1 for f64, tested by hand in
    /// `tests/it/power.rs`), so that its width stays 60 bits below the last place.
    #[test]
    fn the_cursors_enclosure_has_the_working_precision_of_each_exponent() {
        let s = Schedule::from_spec("exponential:lr=1/10,factor=9/10").unwrap();
        let mut r = s.rates();
        for k in 1..=20usize {
            r.advance();
            let _: f64 = r.learning_rate().unwrap();
            // n + 1 = k
            let bit_length = usize::BITS - k.leading_zeros();
            let precision = r.enclosure.as_ref().map(PowerEnclosure::precision);
            assert_eq!(precision, Some(53 + 64 + bit_length), "step {k}");
        }
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
