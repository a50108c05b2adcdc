//! Nesterov's fast gradient method in the FISTA form (smooth case), with three momentum rules.
//!
//! **Update** (step k = 1, 2, …, learning rate γ — normally 1/L):
//!
//! ```text
//! x_k     = y_k − γ ∇f(y_k)                 (the gradient is queried at y_k; y₁ = x₀)
//! y_{k+1} = x_k + β_k (x_k − x_{k−1})       (x₀ plays x_{k−1} on step 1)
//! ```
//!
//! **Momentum rules** ([`FistaMomentum`]):
//!
//! | rule | t_k | β_k | arithmetic |
//! |---|---|---|---|
//! | `t-sequence` | t₁ = 1, t_{k+1} = (1 + √(1 + 4t_k²))/2 | (t_k − 1)/t_{k+1} | irrational from t₂ = (1 + √5)/2: f64, MPFR; in ℚ [`Error::NotRational`] at step 1 |
//! | `rational` | (k + 1)/2 | (k − 1)/(k + 2) | exact in ℚ |
//! | `strongly-convex` | — | (√κ − 1)/(√κ + 1), constant | exact in ℚ iff κ is the square of a rational |
//!
//! The rational choice satisfies `t_{k+1}² − t_{k+1} ≤ t_k²`, which is all the potential-function
//! proof needs (docs/design.md, "Theory"); the bound `f(x_k) − f* ≤ L R²/(2t_k²)` holds for both
//! sequences. β_k of the rational rule and a rational β of the strongly convex rule are computed
//! exactly and rounded once; the t-sequence and an irrational √κ are evaluated in the run's
//! arithmetic, each `+ − × ÷ √` rounded (there is no multiply-add in a scalar recurrence, so both
//! rounding models give the same t_k).
//!
//! **State**: `x_0 = x₀`, `y_1 = x₀`, `t₁ = 1`. After step k it holds x_k (the iterate, whose gap
//! the theory bounds), x_{k−1} (`previous_iterate`), y_{k+1} (`extrapolated`, the next query
//! point) and t_k (`t`, where the rule defines one).
//!
//! **Operation order** (per element): `x = y`, `x = mul_add(g, −γ, x)`; `d = x − x_prev`;
//! `y = x`, `y = mul_add(d, β, y)`.
//!
//! **Constructor checks**: κ ≥ 1 (κ = L/m).
//!
//! **Source**: A. Beck & M. Teboulle, *A fast iterative shrinkage-thresholding algorithm for
//! linear inverse problems*, SIAM J. Imaging Sci. 2(1) (2009), 183–202, FISTA with constant step
//! (§4, eq. (4.1)–(4.3)) and Theorem 4.4, in the smooth case (g ≡ 0, so the prox is the identity);
//! the rational t_k = (k+1)/2 from the same proof (Nesterov 1983; Chambolle & Dossal 2015, *On
//! the convergence of the iterates of FISTA*, JOTA 166, with a = 2); the strongly convex β from
//! Nesterov, *Introductory Lectures on Convex Optimization* (2004), §2.2.1, "Constant Step
//! Scheme, III".

use rug::Rational;

use super::{Optimizer, Query, StateCheck, StateRecord, StepContext};
use crate::arith::linalg::Vector;
use crate::arith::{Number, Scalar, rational_sqrt};
use crate::error::{Error, Result};
use crate::problem::Oracle;
use crate::spec::{EntryInfo, ParamInfo, Spec};

/// Catalogue entry.
pub const INFO: EntryInfo = EntryInfo {
    name: "fista",
    summary: "FISTA (smooth): x = y − γ∇f(y), y₊ = x + β_k(x − x₋), y₁ = x₀",
    params: &[
        ParamInfo {
            key: "momentum",
            help: "t-sequence (default; irrational), rational ((k−1)/(k+2)) or strongly-convex",
        },
        ParamInfo {
            key: "kappa",
            help: "κ ≥ 1 for momentum=strongly-convex: β = (√κ−1)/(√κ+1)",
        },
    ],
};

/// How FISTA chooses β_k. See the [module documentation](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FistaMomentum {
    /// Beck–Teboulle's t-sequence: t₁ = 1, t_{k+1} = (1 + √(1 + 4t_k²))/2, β_k = (t_k − 1)/t_{k+1}.
    TSequence,
    /// t_k = (k + 1)/2, β_k = (k − 1)/(k + 2): exact in ℚ.
    Rational,
    /// Constant β = (√κ − 1)/(√κ + 1) for a κ-conditioned strongly convex problem.
    StronglyConvex {
        /// κ = L/m ≥ 1.
        kappa: Rational,
    },
}

impl FistaMomentum {
    /// The spec value: `t-sequence`, `rational` or `strongly-convex`.
    pub fn name(&self) -> &'static str {
        match self {
            FistaMomentum::TSequence => "t-sequence",
            FistaMomentum::Rational => "rational",
            FistaMomentum::StronglyConvex { .. } => "strongly-convex",
        }
    }
}

/// FISTA with a momentum rule. See the [module documentation](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fista {
    momentum: FistaMomentum,
}

impl Fista {
    /// FISTA with the given momentum rule.
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] for κ < 1.
    pub fn new(momentum: FistaMomentum) -> Result<Self> {
        if let FistaMomentum::StronglyConvex { kappa } = &momentum {
            if *kappa < 1 {
                return Err(Error::hyper(
                    "kappa",
                    crate::arith::text::format(kappa),
                    "the condition number L/m must be at least 1",
                ));
            }
        }
        Ok(Fista { momentum })
    }

    /// Parses `fista`, `fista:momentum=rational`, `fista:momentum=strongly-convex,kappa=..`.
    ///
    /// # Errors
    /// [`Error::Parse`] for an unknown rule or a missing κ; [`Error::InvalidHyperParameter`] for κ
    /// with another rule and [`Fista::new`]'s checks.
    pub fn from_spec(spec: &Spec) -> Result<Self> {
        let kappa = spec.rational_opt("kappa")?;
        let rule = spec.raw("momentum").unwrap_or("t-sequence");
        let momentum = match (rule, kappa) {
            ("strongly-convex", Some(kappa)) => FistaMomentum::StronglyConvex { kappa },
            ("strongly-convex", None) => {
                return Err(Error::parse(
                    "spec",
                    spec.name(),
                    "momentum=strongly-convex needs kappa=",
                ));
            }
            (_, Some(kappa)) => {
                return Err(Error::hyper(
                    "kappa",
                    crate::arith::text::format(&kappa),
                    "only momentum=strongly-convex takes a condition number",
                ));
            }
            ("t-sequence", None) => FistaMomentum::TSequence,
            ("rational", None) => FistaMomentum::Rational,
            (other, None) => {
                return Err(Error::parse(
                    "spec",
                    other,
                    "fista momentum must be t-sequence, rational or strongly-convex",
                ));
            }
        };
        spec.finish(&INFO)?;
        Self::new(momentum)
    }

    /// The spec that rebuilds this config.
    pub fn spec(&self) -> String {
        match &self.momentum {
            FistaMomentum::StronglyConvex { kappa } => format!(
                "fista:momentum=strongly-convex,{}",
                super::kv("kappa", kappa)
            ),
            other => format!("fista:momentum={}", other.name()),
        }
    }

    /// The momentum rule.
    pub fn momentum(&self) -> &FistaMomentum {
        &self.momentum
    }

    /// `(β_k, t_k, t_{k+1})` for step k, given t_k where the rule carries the t-sequence.
    fn coefficients<S: Scalar>(
        &self,
        k: usize,
        t: Option<&S>,
    ) -> Result<(S, Option<S>, Option<S>)> {
        match &self.momentum {
            FistaMomentum::TSequence => {
                let t = t.cloned().unwrap_or_else(S::one);
                let inner = S::one() + &(S::from_ratio(4, 1) * &(t.clone() * &t));
                let root = inner.sqrt().ok_or_else(|| Error::NotRational {
                    operation: "FISTA's t_{k+1} = (1 + √(1 + 4t_k²))/2",
                    detail: format!(" at step {k}"),
                })?;
                let t_next = (S::one() + &root) * &S::from_ratio(1, 2);
                let beta = (t.clone() - &S::one()) / &t_next;
                Ok((beta, Some(t), Some(t_next)))
            }
            FistaMomentum::Rational => {
                let k = k as u64;
                let beta = S::from_rational(&Rational::from((k - 1, k + 2)));
                let t = S::from_rational(&Rational::from((k + 1, 2)));
                // t_k is a function of k here: no step needs the previous one's t_{k+1}.
                Ok((beta, Some(t), None))
            }
            FistaMomentum::StronglyConvex { kappa } => {
                let beta = match rational_sqrt(kappa) {
                    Some(root) => S::from_rational(
                        &(Rational::from(&root - 1u32) / Rational::from(&root + 1u32)),
                    ),
                    None => {
                        let root =
                            S::from_rational(kappa)
                                .sqrt()
                                .ok_or_else(|| Error::NotRational {
                                    operation: "FISTA's strongly convex momentum (√κ − 1)/(√κ + 1)",
                                    detail: format!(
                                        " at step {k} (κ = {} is not the square of a rational)",
                                        crate::arith::text::format(kappa)
                                    ),
                                })?;
                        (root.clone() - &S::one()) / &(root + &S::one())
                    }
                };
                Ok((beta, None, None))
            }
        }
    }
}

/// FISTA's state after step k (see the [module documentation](self)).
#[derive(Clone, Debug, PartialEq)]
pub struct FistaState<S: Number> {
    /// x_k (x₀ before the first step).
    pub params: S::Vector,
    /// x_{k−1} (x₀ before the first step).
    pub previous: S::Vector,
    /// y_{k+1}, where the next step queries the gradient (y₁ = x₀).
    pub extrapolated: S::Vector,
    /// t_k (`None` before the first step and for the strongly convex rule).
    pub t: Option<S>,
    /// t_{k+1} of the t-sequence rule, which step k + 1 needs (`None` before the first step,
    /// where t₁ = 1 is implied, and for the other rules).
    pub t_next: Option<S>,
}

impl<S: Scalar> Optimizer<S> for Fista {
    type State = FistaState<S>;

    fn init(&self, x0: &S::Vector) -> Result<Self::State> {
        Ok(FistaState {
            params: x0.clone(),
            previous: x0.clone(),
            extrapolated: x0.clone(),
            t: None,
            t_next: None,
        })
    }

    fn step(
        &self,
        state: &mut Self::State,
        ctx: &StepContext<'_, S>,
        oracle: &mut dyn Oracle<S>,
        query: &mut Query<S>,
    ) -> Result<()> {
        let r = ctx.rounding;
        let (beta, t, t_next) = self.coefficients::<S>(ctx.step, state.t_next.as_ref())?;
        query.point.clone_from(&state.extrapolated);
        oracle.gradient_into(&query.point, &mut query.gradient)?;
        // x = y − γg into x₋'s storage, which then swaps with x: x₋ is the old x without a copy.
        state.previous.clone_from(&query.point);
        state
            .previous
            .axpy(&-ctx.learning_rate.clone(), &query.gradient, r);
        std::mem::swap(&mut state.previous, &mut state.params);
        let (x, x_previous) = (&state.params, &state.previous);
        let y = &mut state.extrapolated;
        y.clone_from(x);
        if S::EXACT {
            // In ℚ: y₊ = x + βx − βx₋ as one linear combination, normalised once.
            let neg_beta = -beta.clone();
            y.axpy_chain(&[(&beta, x), (&neg_beta, x_previous)], r);
        } else {
            let d = &mut query.scratch[0];
            d.clone_from(x);
            d.sub_assign(x_previous);
            y.axpy(&beta, d, r);
        }
        state.t = t;
        state.t_next = t_next;
        Ok(())
    }

    fn iterate<'s>(&self, state: &'s Self::State) -> &'s S::Vector {
        &state.params
    }

    fn state_check(&self, state: &Self::State) -> StateCheck {
        // What the default finds in `record`, without copying the state.
        let mut check =
            StateCheck::of_vectors([&state.params, &state.previous, &state.extrapolated]);
        if let Some(t) = &state.t {
            check.finite &= t.is_finite();
            check.max_bits = check.max_bits.max(t.size_bits());
        }
        check
    }

    fn record(&self, state: &Self::State) -> StateRecord<S> {
        StateRecord {
            vectors: vec![
                ("previous_iterate", state.previous.clone()),
                ("extrapolated", state.extrapolated.clone()),
            ],
            scalars: state.t.iter().map(|t| ("t", t.clone())).collect(),
        }
    }
}
