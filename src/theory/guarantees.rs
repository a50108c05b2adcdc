//! Which theorem applies to a run, its bound at each step, and its proof obligations.
//!
//! A [`Guarantee`] exists when the method, the problem and the schedule meet a theorem's
//! hypotheses: a convex problem with L and an exact minimiser, a constant step γ, and the
//! method-specific conditions below. Bounds are stated with `1/γ` in place of L (valid for any
//! `γ ≤ 1/L`, since an L-smooth function is also `1/γ`-smooth); for γ = 1/L they are the textbook
//! bounds of [`crate::theory::bounds`].

use rug::Rational;

use super::bounds;
use super::potentials::{self, Check, Instance};
use crate::arith::Scalar;
use crate::error::{Error, Result};
use crate::optim::fista::FistaMomentum;
use crate::optim::{OptimizerConfig, Schedule};
use crate::problem::{Oracle, Problem};
use crate::trace::Trace;

/// A convergence theorem that applies to a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Guarantee {
    /// Gradient descent, `γ ≤ 1/L`: `gap_k ≤ R²/(2γk)` ([`bounds::gd`]).
    GradientDescent,
    /// FISTA with `t_k = (k+1)/2`, `γ ≤ 1/L`: `gap_k ≤ 2R²/(γ(k+1)²)` ([`bounds::nesterov`]).
    NesterovRational,
    /// FISTA with the t-sequence, `γ ≤ 1/L`: `gap_k ≤ R²/(2γt_k²)` ([`bounds::fista_t`]).
    FistaTSequence,
    /// Constant momentum `(√κ−1)/(√κ+1)` with `γ = 1/L` and `κ ≥ L/m`:
    /// `gap_k ≤ (1 − 1/√κ)^k (L + L/κ)/2 · R²` ([`bounds::nesterov_strongly_convex`]).
    StronglyConvex {
        /// The configured κ.
        kappa: Rational,
    },
    /// OGM1 for N steps, `γ ≤ 1/L`: `gap_N ≤ R²/(2γθ_N²)` at the last step ([`bounds::ogm`]).
    Ogm {
        /// N.
        steps: usize,
    },
}

impl Guarantee {
    /// The theorem that applies to `optimizer` on `problem` under `schedule`, if any.
    pub fn applicable(
        optimizer: &OptimizerConfig,
        problem: &dyn Problem,
        schedule: &Schedule,
    ) -> Option<Self> {
        let Schedule::Constant { learning_rate } = schedule else {
            return None;
        };
        let l = problem.smoothness()?;
        let m = problem.strong_convexity()?;
        problem.minimizer()?;
        let step_ok = *learning_rate > 0 && Rational::from(learning_rate * &l) <= 1;
        let step_is_one_over_l = Rational::from(learning_rate * &l) == 1;
        match optimizer {
            OptimizerConfig::GradientDescent(_) if step_ok => Some(Guarantee::GradientDescent),
            OptimizerConfig::Fista(f) => match f.momentum() {
                FistaMomentum::Rational if step_ok => Some(Guarantee::NesterovRational),
                FistaMomentum::TSequence if step_ok => Some(Guarantee::FistaTSequence),
                FistaMomentum::StronglyConvex { kappa }
                    if step_is_one_over_l && m > 0 && *kappa >= Rational::from(&l / &m) =>
                {
                    Some(Guarantee::StronglyConvex {
                        kappa: kappa.clone(),
                    })
                }
                _ => None,
            },
            // Kim & Fessler's bound is about their θ; a given θ sequence is another method.
            OptimizerConfig::Ogm(o) if step_ok && o.theta().is_none() => {
                Some(Guarantee::Ogm { steps: o.steps() })
            }
            _ => None,
        }
    }

    /// The bound's formula, for reports.
    pub fn formula(&self) -> &'static str {
        match self {
            Guarantee::GradientDescent => "R²/(2γk)",
            Guarantee::NesterovRational => "2R²/(γ(k+1)²)",
            Guarantee::FistaTSequence => "R²/(2γt_k²)",
            Guarantee::StronglyConvex { .. } => "(1−1/√κ)^k(L+L/κ)R²/2",
            Guarantee::Ogm { .. } => "R²/(2γθ_N²)",
        }
    }

    /// The bound on `gap_k` for `k = 1..=steps` (`None` where the theorem says nothing, e.g.
    /// OGM before step N), in arithmetic `S`, given `R²`, `γ` and `L`.
    ///
    /// # Errors
    /// [`Error::NotRational`] where the bound is irrational and `S` is exact.
    pub fn bounds<S: Scalar>(
        &self,
        r2: &Rational,
        step: &Rational,
        l: &Rational,
        steps: usize,
    ) -> Result<Vec<Option<S>>> {
        let inv_step = step.clone().recip();
        Ok(match self {
            Guarantee::GradientDescent => (1..=steps)
                .map(|k| bounds::gd(r2, step, k).ok().map(|b| S::from_rational(&b)))
                .collect(),
            Guarantee::NesterovRational => (1..=steps)
                .map(|k| Some(S::from_rational(&bounds::nesterov(&inv_step, r2, k))))
                .collect(),
            Guarantee::FistaTSequence => bounds::t_sequence::<S>(steps)?
                .iter()
                .map(|t| Some(bounds::fista_t(&inv_step, r2, t)))
                .collect(),
            Guarantee::StronglyConvex { kappa } => {
                let m_eff = Rational::from(l / kappa);
                match crate::arith::rational_sqrt(kappa) {
                    Some(sk) => (1..=steps)
                        .map(|k| {
                            Some(S::from_rational(&bounds::nesterov_strongly_convex(
                                l, &m_eff, r2, &sk, k,
                            )))
                        })
                        .collect(),
                    None => {
                        // The same bound, (L + m)R²/2 · (1 − 1/√κ)^k, with √κ in the run's
                        // arithmetic: the powers accumulate one factor per step.
                        let sk = S::from_rational(kappa)
                            .sqrt()
                            .ok_or_else(|| Error::not_rational("√κ"))?;
                        let rate = S::one() - &(S::one() / &sk);
                        let scale = S::from_rational(
                            &(Rational::from(Rational::from(l + &m_eff) * r2) / 2u32),
                        );
                        let mut p = S::one();
                        (1..=steps)
                            .map(|_| {
                                p *= &rate;
                                Some(p.clone() * &scale)
                            })
                            .collect()
                    }
                }
            }
            Guarantee::Ogm { steps: n } => {
                let theta = bounds::ogm_theta::<S>(*n)?;
                (1..=steps)
                    .map(|k| (k == *n).then(|| bounds::ogm(&inv_step, r2, &theta[*n])))
                    .collect()
            }
        })
    }

    /// The proof obligations of the theorem on `trace` (see [`potentials`]).
    ///
    /// # Errors
    /// As the functions of [`potentials`]; [`Error::NotRational`] for an irrational `√κ` in ℚ.
    pub fn obligations<S: Scalar>(
        &self,
        trace: &Trace<S>,
        inst: &Instance<S>,
        oracle: &mut dyn Oracle<S>,
        step: &Rational,
    ) -> Result<Vec<Check<S>>> {
        let gamma = S::from_rational(step);
        match self {
            Guarantee::GradientDescent => potentials::gradient_descent(trace, inst, &gamma),
            Guarantee::NesterovRational | Guarantee::FistaTSequence => {
                potentials::fista(trace, inst, &gamma)
            }
            Guarantee::StronglyConvex { kappa } => {
                let sk = S::from_rational(kappa)
                    .sqrt()
                    .ok_or_else(|| Error::not_rational("√κ"))?;
                potentials::strongly_convex_nag(trace, inst, &sk)
            }
            Guarantee::Ogm { steps } if trace.steps.len() == *steps => {
                // The derivation uses the smoothness constant of the step: 1/γ ≥ L.
                let at_step = Instance {
                    smoothness: S::one() / &gamma,
                    ..inst.clone()
                };
                potentials::ogm(trace, &at_step, oracle)
            }
            Guarantee::Ogm { .. } => Ok(Vec::new()),
        }
    }
}
