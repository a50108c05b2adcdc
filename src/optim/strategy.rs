//! Proptest strategies for hyper-parameters, optimizer configurations and learning-rate schedules.
//!
//! Like the problem generators (docs/style.md, "Generators": "generators are free functions returning
//! `impl Strategy`"), every strategy here *constructs* a valid value — no filtering, so no
//! rejected cases and no bias from rejection. Values are small exact rationals on fixed grids
//! (sixteenths for momentum, eighths for step sizes), which keeps exact runs short (a few hundred
//! bits per entry after 20 steps) and makes every shrunk counterexample readable.
//!
//! Every learning rate drawn is positive, at every step of every schedule, so that the momentum
//! correction `μγ_t/γ_{t−1}` is defined throughout (a schedule that reaches 0 has none after it).
//!
//! Learning rates are drawn relative to a problem's smoothness constant L ([`learning_rate_for`]),
//! and schedules are built around a given base rate, so a test first draws its problem and then
//! its schedule (`prop_flat_map`). Every schedule kind of [`Schedule`] has a strategy; the kinds
//! are split by whether their values are rational ([`exact_schedule`]: runs in ℚ) or not
//! ([`irrational_cosine`]: runs in MPFR).
//!
//! ```
//! use momentum_oracle::optim::strategy;
//! use proptest::strategy::{Strategy, ValueTree};
//! use proptest::test_runner::TestRunner;
//! use rug::Rational;
//!
//! let mut runner = TestRunner::deterministic();
//! let tree = strategy::exact_schedule(Rational::from((1, 2))).new_tree(&mut runner).unwrap();
//! let schedule = tree.current();
//! assert!(schedule.validate().is_ok());
//! assert!(schedule.exact(5).is_some()); // rational at every step: runs in ℚ
//! ```

use proptest::prelude::*;
use rug::Rational;

use super::Schedule;
use super::keras::KerasSgd;
use super::pytorch::PytorchSgd;

/// `n/d` as a rational.
fn ratio(n: i64, d: u64) -> Rational {
    Rational::from((n, d))
}

/// A momentum μ = n/16 with n in `0..16`: the grid [0, 15/16], 0 included (the GD case).
pub fn momentum() -> impl Strategy<Value = Rational> {
    (0i64..16).prop_map(|n| ratio(n, 16))
}

/// A momentum μ = n/16 with n in `1..16`: positive, as `nesterov=True` requires, and below 1, as
/// heavy ball and NAG require.
pub fn positive_momentum() -> impl Strategy<Value = Rational> {
    (1i64..16).prop_map(|n| ratio(n, 16))
}

/// A dampening τ = n/16 with n in `0..=16`: the whole range [0, 1] PyTorch is used with.
pub fn dampening() -> impl Strategy<Value = Rational> {
    (0i64..=16).prop_map(|n| ratio(n, 16))
}

/// A positive dampening τ = n/16 with n in `1..=16` (the first-step quirk is visible only then).
pub fn positive_dampening() -> impl Strategy<Value = Rational> {
    (1i64..=16).prop_map(|n| ratio(n, 16))
}

/// A weight decay λ = n/16 with n in `0..=8`.
pub fn weight_decay() -> impl Strategy<Value = Rational> {
    (0i64..=8).prop_map(|n| ratio(n, 16))
}

/// A positive weight decay λ = n/16 with n in `1..=8`.
pub fn positive_weight_decay() -> impl Strategy<Value = Rational> {
    (1i64..=8).prop_map(|n| ratio(n, 16))
}

/// A step size h = n/8 with n in `1..=12`, i.e. h in (0, 3/2]: the learning rate is h/L
/// ([`learning_rate_for`]). h ≤ 3/2 keeps gradient steps inside GD's stability range γL < 2, so
/// bounded f64 runs keep finite, meaningful bounds over the short runs the tests use.
pub fn step_size() -> impl Strategy<Value = Rational> {
    (1i64..=12).prop_map(|n| ratio(n, 8))
}

/// A learning rate h/L for a problem with smoothness constant `l > 0`, h from [`step_size`].
pub fn learning_rate_for(l: &Rational) -> impl Strategy<Value = Rational> + use<> {
    let l = l.clone();
    step_size().prop_map(move |h| Rational::from(&h / &l))
}

/// Any valid `torch.optim.SGD` configuration: μ from [`momentum`], τ from [`dampening`], λ from
/// [`weight_decay`], maximize either way; nesterov is drawn too and, when drawn, the constructor's
/// requirement is met by construction (μ raised to at least 1/16, τ set to 0).
pub fn pytorch_sgd() -> impl Strategy<Value = PytorchSgd> {
    (
        momentum(),
        dampening(),
        any::<bool>(),
        weight_decay(),
        any::<bool>(),
    )
        .prop_map(|(mu, tau, nesterov, wd, maximize)| {
            let (mu, tau) = if nesterov {
                (mu.max(ratio(1, 16)), Rational::new())
            } else {
                (mu, tau)
            };
            PytorchSgd::new(mu, tau, nesterov, wd, maximize).expect("valid by construction")
        })
}

/// Any valid `keras.optimizers.SGD` configuration on the grids above, with or without the
/// momentum correction (never with the f32 learning rate, which is a rounding model of its own).
pub fn keras_sgd() -> impl Strategy<Value = KerasSgd> {
    (momentum(), any::<bool>(), weight_decay(), any::<bool>()).prop_map(
        |(mu, nesterov, wd, correction)| {
            KerasSgd::new(mu, nesterov, wd, correction, false).expect("μ in [0, 1) by construction")
        },
    )
}

/// `step` (StepLR) around `lr`: factor in {1/8, …, 7/8, 3/2}, every 1..=6 steps — the rate changes
/// at step `every + 1`, within the first seven steps.
pub fn step_schedule(learning_rate: Rational) -> impl Strategy<Value = Schedule> {
    (
        prop_oneof![(1i64..=7).prop_map(|n| ratio(n, 8)), Just(ratio(3, 2))],
        1usize..=6,
    )
        .prop_map(move |(factor, every)| Schedule::Step {
            learning_rate: learning_rate.clone(),
            factor,
            every,
        })
}

/// `exponential` (ExponentialLR) around `lr`: factor n/16 with n in `8..=15` (a change at every
/// step, decaying, so that runs stay bounded).
pub fn exponential_schedule(learning_rate: Rational) -> impl Strategy<Value = Schedule> {
    (8i64..=15).prop_map(move |n| Schedule::Exponential {
        learning_rate: learning_rate.clone(),
        factor: ratio(n, 16),
    })
}

/// `warmup` (LinearLR) to `lr`: start factor n/8 with n in `1..=7`, over 1..=6 steps.
pub fn warmup_schedule(learning_rate: Rational) -> impl Strategy<Value = Schedule> {
    ((1i64..=7), 1usize..=6).prop_map(move |(n, steps)| Schedule::Warmup {
        learning_rate: learning_rate.clone(),
        start_factor: ratio(n, 8),
        steps,
    })
}

/// `piecewise` (MultiStepLR with explicit values): 1..=3 boundaries, built as cumulative gaps of
/// 1..=5 steps (strictly increasing by construction), values `lr·n/4` with n in `1..=6`.
pub fn piecewise_schedule(learning_rate: Rational) -> impl Strategy<Value = Schedule> {
    proptest::collection::vec(1usize..=5, 1..=3).prop_flat_map(move |gaps| {
        let boundaries: Vec<usize> = gaps
            .iter()
            .scan(0, |at, g| {
                *at += g;
                Some(*at)
            })
            .collect();
        let learning_rate = learning_rate.clone();
        proptest::collection::vec(1i64..=6, boundaries.len() + 1).prop_map(move |ns| {
            Schedule::Piecewise {
                boundaries: boundaries.clone(),
                values: ns
                    .into_iter()
                    .map(|n| Rational::from(&learning_rate * ratio(n, 4)))
                    .collect(),
            }
        })
    })
}

/// `cosine` (CosineAnnealingLR) from `lr` to `lr·n/4` (n in `1..=3`: the rate does change, and
/// stays positive) with a period in `periods`.
fn cosine_schedule(
    learning_rate: Rational,
    periods: std::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = Schedule> {
    ((1i64..=3), periods).prop_map(move |(n, period)| Schedule::Cosine {
        min_learning_rate: Rational::from(&learning_rate * ratio(n, 4)),
        learning_rate: learning_rate.clone(),
        period,
    })
}

/// Cosine schedules whose values are all rational: period T in `1..=3`, so every `cos(πj/T)` is
/// one of 1, 1/2, 0, −1/2, −1 (Niven's theorem lists exactly these rational values).
pub fn rational_cosine(learning_rate: Rational) -> impl Strategy<Value = Schedule> {
    cosine_schedule(learning_rate, 1..=3)
}

/// Cosine schedules with irrational values: period T in `4..=12`, so γ₂ involves `cos(π/T)`,
/// irrational for T ≥ 4 (Niven). These run in MPFR (or f64), never in ℚ.
pub fn irrational_cosine(learning_rate: Rational) -> impl Strategy<Value = Schedule> {
    cosine_schedule(learning_rate, 4..=12)
}

/// Every schedule kind whose values are rational at every step (constant, step, exponential,
/// warm-up, piecewise, and cosine with a rational period), around the base rate `lr`.
pub fn exact_schedule(learning_rate: Rational) -> impl Strategy<Value = Schedule> {
    prop_oneof![
        Just(Schedule::constant(learning_rate.clone())),
        step_schedule(learning_rate.clone()),
        exponential_schedule(learning_rate.clone()),
        warmup_schedule(learning_rate.clone()),
        piecewise_schedule(learning_rate.clone()),
        rational_cosine(learning_rate),
    ]
}

/// Every schedule kind whose rate changes within the first seven steps (all of
/// [`exact_schedule`] but the constant one; piecewise values may repeat, so a piecewise draw can
/// still be constant).
pub fn changing_exact_schedule(learning_rate: Rational) -> impl Strategy<Value = Schedule> {
    prop_oneof![
        step_schedule(learning_rate.clone()),
        exponential_schedule(learning_rate.clone()),
        warmup_schedule(learning_rate.clone()),
        piecewise_schedule(learning_rate.clone()),
        rational_cosine(learning_rate),
    ]
}

/// Every schedule kind, irrational cosines included.
pub fn schedule(learning_rate: Rational) -> impl Strategy<Value = Schedule> {
    prop_oneof![
        exact_schedule(learning_rate.clone()),
        irrational_cosine(learning_rate)
    ]
}

/// A sequence of `steps` gradient vectors of dimension `dim`, entries `n/d` with n in `-8..=8`,
/// d in `1..=4` — for replaying a fixed gradient sequence through an optimizer's state update
/// ([`crate::problem::wrappers::Replay`]).
pub fn gradient_sequence(dim: usize, steps: usize) -> impl Strategy<Value = Vec<Vec<Rational>>> {
    proptest::collection::vec(
        proptest::collection::vec(
            ((-8i64..=8), (1u64..=4)).prop_map(|(n, d)| ratio(n, d)),
            dim,
        ),
        steps,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

    /// The value `strategy` draws with proptest's ChaCha RNG keyed by `seed` (these tests check
    /// the strategies themselves, so they draw through proptest).
    fn sample<S: Strategy>(strategy: &S, seed: u64) -> S::Value {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
        let mut runner = TestRunner::new_with_rng(Config::default(), rng);
        strategy
            .new_tree(&mut runner)
            .expect("constructive strategies do not reject")
            .current()
    }

    /// Draws enough instances that every `prop_oneof!` arm is taken.
    const SEEDS: u64 = 64;

    #[test]
    fn configurations_are_valid_by_construction() {
        for seed in 0..SEEDS {
            let p = sample(&pytorch_sgd(), seed);
            if p.nesterov() {
                assert!(*p.momentum_value() > 0 && *p.dampening() == 0, "{p:?}");
            }
            let k = sample(&keras_sgd(), seed);
            assert!(
                *k.momentum_value() < 1 && !k.float32_learning_rate(),
                "{k:?}"
            );
        }
    }

    #[test]
    fn learning_rates_are_step_sizes_over_l() {
        let l = ratio(5, 2);
        for seed in 0..SEEDS {
            let h = Rational::from(&sample(&learning_rate_for(&l), seed) * &l);
            assert!(
                h > 0 && h <= ratio(3, 2) && Rational::from(&h * 8u32).is_integer(),
                "h = {h}"
            );
        }
    }

    #[test]
    fn schedule_values_are_the_documented_multiples_of_lr() {
        // Piecewise values lr·n/4 (n in 1..=6) and cosine floors lr·n/4 (n in 1..=3); lr = 1/3 so
        // that a sum or quotient in place of the product leaves the grid.
        let learning_rate = ratio(1, 3);
        let on_grid = |v: &Rational, top: i64| {
            let n = Rational::from(v / &learning_rate) * 4u32;
            n.is_integer() && n >= 1 && n <= top
        };
        let (mut piecewise, mut cosine) = (0, 0);
        for seed in 0..4 * SEEDS {
            match sample(&exact_schedule(learning_rate.clone()), seed) {
                Schedule::Piecewise { values, .. } => {
                    piecewise += 1;
                    assert!(values.iter().all(|v| on_grid(v, 6)), "{values:?}");
                }
                Schedule::Cosine {
                    min_learning_rate, ..
                } => {
                    cosine += 1;
                    assert!(on_grid(&min_learning_rate, 3), "{min_learning_rate}");
                }
                _ => {}
            }
        }
        assert!(piecewise > 0 && cosine > 0, "both kinds drawn");
    }

    #[test]
    fn gradient_sequences_take_both_signs() {
        let entries: Vec<Rational> = (0..SEEDS)
            .flat_map(|seed| sample(&gradient_sequence(3, 4), seed).into_iter().flatten())
            .collect();
        assert!(entries.iter().any(|g| *g < 0) && entries.iter().any(|g| *g > 0));
        assert!(entries.iter().all(|g| g.clone().abs() <= 8));
    }

    #[test]
    fn schedules_are_valid_positive_and_rational_where_promised() {
        let learning_rate = ratio(1, 2);
        for seed in 0..SEEDS {
            let exact = sample(&exact_schedule(learning_rate.clone()), seed);
            assert!(exact.validate().is_ok(), "{exact:?}");
            for k in 1..=20 {
                let g = exact.exact(k).unwrap_or_else(|| panic!("{exact:?} at {k}"));
                assert!(g > 0, "{exact:?} at {k}");
            }
            let changing = sample(&changing_exact_schedule(learning_rate.clone()), seed);
            // Every changing kind but piecewise (whose values may repeat) changes by step 7.
            if !matches!(changing, Schedule::Piecewise { .. }) {
                assert!((2..=7).any(|k| changing.changes_at(k)), "{changing:?}");
            }
            // γ₂ = min + (lr − min)(1 + cos(π/T))/2 with cos(π/T) irrational for T ≥ 4.
            let cosine = sample(&irrational_cosine(learning_rate.clone()), seed);
            assert!(
                cosine.validate().is_ok() && cosine.exact(2).is_none(),
                "{cosine:?}"
            );
            let any = sample(&schedule(learning_rate.clone()), seed);
            assert!(any.validate().is_ok(), "{any:?}");
        }
    }
}
