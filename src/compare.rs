//! Two traces compared step by step, and the closed-form prediction of where a PyTorch and an
//! uncorrected Sutskever run part under a schedule (`trace --compare`).

use rug::Rational;
use serde_json::{Value, json};

use crate::arith::linalg::Vector;
use crate::arith::{Number, Scalar};
use crate::error::{Error, Result};
use crate::identities::schedule_breakage;
use crate::optim::{OptimizerConfig, Schedule};
use crate::trace::{StepRecord, Trace, outcome_json, scalar_json, vector_json};

/// The difference of two traces' iterates at one step.
#[derive(Clone, Debug, PartialEq)]
pub struct StepDifference<S: Number> {
    /// k.
    pub step: usize,
    /// `x^a_k − x^b_k`.
    pub difference: S::Vector,
    /// `‖x^a_k − x^b_k‖²` (exact in ℚ).
    pub norm_sq: S,
    /// `max_i |x^a_k − x^b_k|_i` (0 in dimension 0).
    pub max_abs: S,
}

/// Two traces compared step by step: see [`compare`].
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison<S: Number> {
    /// The first step k whose iterates differ (as values of `S`: exactly in ℚ; any bit in f64),
    /// or `None` when every compared step agrees.
    pub first_difference: Option<usize>,
    /// Every step recorded in both traces, in order.
    pub steps: Vec<StepDifference<S>>,
}

/// Compares the iterates of two traces at every step recorded in both (a diverged run is compared
/// up to its last step).
///
/// # Errors
/// [`Error::DimensionMismatch`] if the traces' iterates have different dimensions.
pub fn compare<S: Scalar>(a: &Trace<S>, b: &Trace<S>) -> Result<Comparison<S>> {
    if a.x0.len() != b.x0.len() {
        return Err(Error::dims("compared traces", a.x0.len(), b.x0.len()));
    }
    let mut first_difference = None;
    let mut steps = Vec::new();
    for sa in &a.steps {
        let Some(sb) = b.step(sa.step) else { continue };
        let d = step_difference(sa, sb);
        if first_difference.is_none() && differs(&d) {
            first_difference = Some(d.step);
        }
        steps.push(d);
    }
    Ok(Comparison {
        first_difference,
        steps,
    })
}

/// `x^a_k − x^b_k` with its squared norm and largest entry.
fn step_difference<S: Scalar>(sa: &StepRecord<S>, sb: &StepRecord<S>) -> StepDifference<S> {
    let mut difference = sa.iterate.clone();
    difference.sub_assign(&sb.iterate);
    let max_abs = difference
        .to_scalars()
        .iter()
        .map(Number::abs)
        .fold(S::zero(), |m, x| if x > m { x } else { m });
    StepDifference {
        step: sa.step,
        norm_sq: difference.dot(&difference),
        max_abs,
        difference,
    }
}

/// Whether a difference has a non-zero entry (as values of `S`).
fn differs<S: Number>(d: &StepDifference<S>) -> bool {
    (0..d.difference.len()).any(|i| !d.difference.is_zero_at(i))
}

/// The closed-form prediction for a PyTorch / Sutskever pair under a schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct BreakagePrediction<S: Number> {
    /// The formula for `a − b`, as text.
    pub formula: &'static str,
    /// The first step t ≥ 2 whose learning rate differs from γ_{t−1} (compared in the run's
    /// arithmetic), with the predicted `x^a_t − x^b_t` there; `None` when the rate never changes
    /// in the run, and then the two runs are the same iteration.
    pub first_change: Option<(usize, S::Vector)>,
}

/// How a config takes part in the Sutskever ⇔ PyTorch identity.
enum Side {
    /// PyTorch SGD with τ = 0, λ = 0, no maximize.
    Pytorch { momentum: Rational, nesterov: bool },
    /// Sutskever without momentum correction: Keras (λ = 0, exact learning rate) or heavy ball
    /// (the parameter-only form of the same iteration, plain only).
    Sutskever { momentum: Rational, nesterov: bool },
}

fn side(config: &OptimizerConfig) -> Option<Side> {
    match config {
        OptimizerConfig::Pytorch(p)
            if *p.dampening() == 0 && *p.weight_decay() == 0 && !p.maximize() =>
        {
            Some(Side::Pytorch {
                momentum: p.momentum_value().clone(),
                nesterov: p.nesterov(),
            })
        }
        OptimizerConfig::Keras(k)
            if *k.weight_decay() == 0 && !k.momentum_correction() && !k.float32_learning_rate() =>
        {
            Some(Side::Sutskever {
                momentum: k.momentum_value().clone(),
                nesterov: k.nesterov(),
            })
        }
        OptimizerConfig::HeavyBall(h) => Some(Side::Sutskever {
            momentum: h.momentum_value().clone(),
            nesterov: false,
        }),
        _ => None,
    }
}

/// The prediction of [`schedule_breakage`] for the traces `a` and `b` of the same problem and
/// schedule, when one config is PyTorch SGD (τ = 0, no weight decay, no maximize) and the other is
/// Sutskever momentum without correction (Keras with λ = 0 and an exact learning rate, or heavy
/// ball) with the same μ and the same nesterov flag; `None` for any other pair.
///
/// The prediction is `±(−μ(γ_t − γ_{t−1}) b_{t−1})` (μ² for nesterov) at the first rate change t,
/// signed for `a − b`, with `b_{t−1}` read from the PyTorch trace (zero when μ = 0: both are GD).
pub fn predict_schedule_breakage<S: Scalar>(
    a: (&OptimizerConfig, &Trace<S>),
    b: (&OptimizerConfig, &Trace<S>),
) -> Option<BreakagePrediction<S>> {
    let p = pair(a.0, b.0)?;
    let torch = if p.torch_is_a { a.1 } else { b.1 };
    let first_change = torch.steps.iter().find_map(|s| {
        let previous = torch.step(s.step.checked_sub(1)?)?;
        Some((s.step, p.breakage_at(previous, s, torch.x0.len())?))
    });
    Some(BreakagePrediction {
        formula: p.formula(),
        first_change,
    })
}

/// A PyTorch / uncorrected Sutskever pair, as [`predict_schedule_breakage`] and [`Comparer`]
/// recognise it.
struct Pair {
    /// +1 when `a` is PyTorch (the prediction is for `a − b`), −1 otherwise.
    sign: i32,
    momentum: Rational,
    nesterov: bool,
    torch_is_a: bool,
}

fn pair(a: &OptimizerConfig, b: &OptimizerConfig) -> Option<Pair> {
    match (side(a)?, side(b)?) {
        (
            Side::Pytorch { momentum, nesterov },
            Side::Sutskever {
                momentum: m,
                nesterov: n,
            },
        ) if momentum == m && nesterov == n => Some(Pair {
            sign: 1,
            momentum,
            nesterov,
            torch_is_a: true,
        }),
        (
            Side::Sutskever { momentum, nesterov },
            Side::Pytorch {
                momentum: m,
                nesterov: n,
            },
        ) if momentum == m && nesterov == n => Some(Pair {
            sign: -1,
            momentum,
            nesterov,
            torch_is_a: false,
        }),
        _ => None,
    }
}

impl Pair {
    fn formula(&self) -> &'static str {
        match (self.nesterov, self.sign) {
            (false, 1) => "−μ(γ_t − γ_{t−1}) b_{t−1}",
            (false, _) => "μ(γ_t − γ_{t−1}) b_{t−1}",
            (true, 1) => "−μ²(γ_t − γ_{t−1}) b_{t−1}",
            (true, _) => "μ²(γ_t − γ_{t−1}) b_{t−1}",
        }
    }

    /// The predicted `a − b` at PyTorch's step `s` after `previous`, if the rate changes there.
    fn breakage_at<S: Scalar>(
        &self,
        previous: &StepRecord<S>,
        s: &StepRecord<S>,
        dim: usize,
    ) -> Option<S::Vector> {
        if s.learning_rate == previous.learning_rate {
            return None;
        }
        let mu = S::from_rational(&self.momentum);
        Some(match previous.state_vector("momentum_buffer") {
            Some(buffer) => {
                let mut d = schedule_breakage::<S>(
                    buffer,
                    &mu,
                    &s.learning_rate,
                    &previous.learning_rate,
                    self.nesterov,
                );
                if self.sign < 0 {
                    d.negate();
                }
                d
            }
            // μ = 0: no buffer, both sides are gradient descent.
            None => S::Vector::zeros(dim),
        })
    }
}

/// Two runs compared as their steps come, holding one step of each and PyTorch's previous step
/// (for the prediction): [`compare`] and [`predict_schedule_breakage`] without the traces, so that
/// `trace --compare` needs memory independent of the number of steps. Feed it step k of both runs
/// ([`Comparer::step`]), in order, while either run has steps.
pub struct Comparer<S: Number> {
    pair: Option<Pair>,
    dim: usize,
    previous_torch: Option<StepRecord<S>>,
    first_difference: Option<usize>,
    first_change: Option<(usize, S::Vector)>,
    matches: Option<bool>,
}

impl<S: Scalar> Comparer<S> {
    /// A comparison of a run of `a` against a run of `b` in dimension `dim`.
    pub fn new(a: &OptimizerConfig, b: &OptimizerConfig, dim: usize) -> Self {
        Comparer {
            pair: pair(a, b),
            dim,
            previous_torch: None,
            first_difference: None,
            first_change: None,
            matches: None,
        }
    }

    /// Step k of each run (`None` for a run that has ended): the difference when both have it.
    pub fn step(
        &mut self,
        a: Option<&StepRecord<S>>,
        b: Option<&StepRecord<S>>,
    ) -> Option<StepDifference<S>> {
        let d = match (a, b) {
            (Some(sa), Some(sb)) => Some(step_difference(sa, sb)),
            _ => None,
        };
        if self.first_difference.is_none() {
            self.first_difference = d.as_ref().filter(|d| differs(*d)).map(|d| d.step);
        }
        let torch = self
            .pair
            .as_ref()
            .and_then(|p| if p.torch_is_a { a } else { b });
        let searching = self.first_change.is_none();
        if let (Some(p), Some(s), true) = (&self.pair, torch, searching) {
            let change = self
                .previous_torch
                .as_ref()
                .filter(|prev| prev.step + 1 == s.step)
                .and_then(|prev| p.breakage_at(prev, s, self.dim));
            if let Some(predicted) = change {
                // Only exact arithmetic can confirm the prediction by equality.
                if S::EXACT {
                    self.matches = d.as_ref().map(|d| d.difference == predicted);
                }
                self.first_change = Some((s.step, predicted));
                self.previous_torch = None;
            } else {
                self.previous_torch = Some(s.clone());
            }
        }
        d
    }

    /// The first step whose iterates differ, so far.
    pub fn first_difference(&self) -> Option<usize> {
        self.first_difference
    }

    /// The step of the first rate change, so far, when the pair has a prediction.
    pub fn first_change(&self) -> Option<usize> {
        self.first_change.as_ref().map(|(t, _)| *t)
    }

    /// The prediction as JSON (as [`comparison_to_json`] writes it), `null` for a pair without
    /// one.
    pub fn prediction_json(&self) -> Value {
        let Some(p) = &self.pair else {
            return Value::Null;
        };
        let (step, difference, matches) = match &self.first_change {
            None => (Value::Null, Value::Null, Value::Null),
            Some((t, d)) => (
                json!(t),
                vector_json::<S>(d),
                self.matches.map_or(Value::Null, Value::Bool),
            ),
        };
        json!({
            "formula": p.formula(),
            "first_lr_change": step,
            "difference": difference,
            "matches_exactly": matches,
        })
    }
}

/// One compared step as JSON (as [`comparison_to_json`] writes it).
pub fn difference_json<S: Number>(d: &StepDifference<S>) -> Value {
    json!({
        "k": d.step,
        "difference": vector_json::<S>(&d.difference),
        "norm_sq": scalar_json(&d.norm_sq),
        "max_abs": scalar_json(&d.max_abs),
    })
}

/// The comparison as JSON: both specs, the shared problem, schedule and arithmetic, the first
/// differing step (or `null`), the per-step differences (numbers as [`scalar_json`] writes
/// them) for the steps `print` selects, and the prediction (or `null`).
pub fn comparison_to_json<S: Number>(
    (a, b): (&Trace<S>, &Trace<S>),
    comparison: &Comparison<S>,
    prediction: Option<&BreakagePrediction<S>>,
    print: impl Fn(usize) -> bool,
) -> Value {
    let vec_json = vector_json::<S>;
    let outcome = |t: &Trace<S>| outcome_json(&t.outcome);
    let steps: Vec<Value> = comparison
        .steps
        .iter()
        .filter(|d| print(d.step))
        .map(difference_json)
        .collect();
    let prediction = prediction.map_or(Value::Null, |p| {
        let (step, difference, matches) = match &p.first_change {
            None => (Value::Null, Value::Null, Value::Null),
            Some((t, d)) => {
                let actual = comparison.steps.iter().find(|s| s.step == *t);
                // Only exact arithmetic can confirm the prediction by equality; in floating
                // arithmetic both sides carry rounding, and the user reads the two numbers.
                let matches = match actual {
                    Some(s) if S::EXACT => Value::Bool(s.difference == *d),
                    _ => Value::Null,
                };
                (json!(t), vec_json(d), matches)
            }
        };
        json!({
            "formula": p.formula,
            "first_lr_change": step,
            "difference": difference,
            "matches_exactly": matches,
        })
    });
    json!({
        "generator": format!("momentum-oracle {}", env!("CARGO_PKG_VERSION")),
        "problem": a.problem,
        "schedule": a.schedule,
        "arithmetic": a.arithmetic,
        "rounding": a.rounding.name(),
        "optimizers": [a.optimizer, b.optimizer],
        "outcomes": [outcome(a), outcome(b)],
        "first_difference": comparison.first_difference,
        "steps": steps,
        "prediction": prediction,
    })
}

/// The first step t ≥ 2 with `γ_t ≠ γ_{t−1}`, decided exactly where the schedule is rational
/// ([`Schedule::changes_at`]), searched up to `steps`.
pub fn first_rate_change(schedule: &Schedule, steps: usize) -> Option<usize> {
    (2..=steps).find(|&k| schedule.changes_at(k))
}
