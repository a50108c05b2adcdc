//! The kit's own minimizer of a failing generated case, run after proptest's shrinking.
//!
//! Proptest shrinks a tuple one element at a time and never returns to an element it has left,
//! so the case it ends on depends on the random case it started from: a bug that needs a nonzero
//! gradient at step 4 can end with weight decay kept alive because the gradient was shrunk to
//! zero first and the parameters, through λθ, carry the failure instead. This pass makes the
//! result independent of that history: it applies simplifying moves until none keeps the failure,
//! each move strictly smaller in the order
//!
//! 1. fewer steps (the last ones cut, or one earlier step removed with its rate and gradient, so
//!    that a failure carried by a late datum moves forward), 2. fewer coordinates, 3. fewer features ([`Feature::used_by`]),
//! 4. hyper-parameters at the generator's smallest nonzero values, 5. learning rates at 1/100,
//! 6. fewer data values outside {0, 1/2}, 7. fewer data values equal to 1/2,
//!
//! compared lexicographically, so the loop ends. Removing a feature may also turn every zero datum
//! into 1/2 (a feature is worth more than any data), which is what frees the weight decay of the
//! example above. A move "keeps the failure" when the case fails the same way (the same
//! [`ConformanceFailure`] variant); a declined case keeps nothing.

use super::coverage::Feature;
use super::failure::ConformanceFailure;
use super::{Config, GeneratedCase};

/// The smallest nonzero momentum the generator draws: 1/16 · 9/10 ([`super::generated_case`]).
const MIN_MOMENTUM: f64 = 1.0 / 16.0 * 0.9;
/// The smallest nonzero dampening the generator draws.
const MIN_DAMPENING: f64 = 0.1;
/// The smallest nonzero weight decay the generator draws.
const MIN_WEIGHT_DECAY: f64 = 0.01;
/// The learning rate every rate simplifies to (the generator's constant schedule).
const SIMPLEST_RATE: f64 = 0.01;
/// The simplest nonzero datum (exact in every format, inside the generator's range).
const HALF: f64 = 0.5;

/// Applies simplifying moves to `case` while `fails` keeps failing, to a fixpoint.
pub(super) fn minimize(
    mut case: GeneratedCase,
    fails: impl Fn(&GeneratedCase) -> bool,
) -> GeneratedCase {
    'outer: loop {
        for candidate in moves(&case) {
            if fails(&candidate) {
                case = candidate;
                continue 'outer;
            }
        }
        return case;
    }
}

/// Whether `failure` is the same kind of failure as `original` (for [`minimize`]).
pub(super) fn same_kind(original: &ConformanceFailure, failure: &ConformanceFailure) -> bool {
    std::mem::discriminant(original) == std::mem::discriminant(failure)
}

/// Every one-move simplification of `c`, simplest first.
fn moves(c: &GeneratedCase) -> Vec<GeneratedCase> {
    let mut out = Vec::new();
    // 1. Fewer steps.
    for k in 1..c.rates.len() {
        let mut d = c.clone();
        d.rates.truncate(k);
        d.gradients.truncate(k);
        out.push(d);
    }
    // A case whose only nonzero gradient comes after a run of zeros cannot be cut from the end
    // (the cut removes the datum); removing an earlier step shifts it forward instead.
    if c.rates.len() > 1 {
        for i in 0..c.rates.len() - 1 {
            let mut d = c.clone();
            d.rates.remove(i);
            d.gradients.remove(i);
            out.push(d);
        }
    }
    // 2. Fewer coordinates.
    if c.x0.len() > 1 {
        for i in 0..c.x0.len() {
            let mut d = c.clone();
            d.x0.remove(i);
            for g in &mut d.gradients {
                g.remove(i);
            }
            out.push(d);
        }
    }
    // 3. Fewer features: each one turned off, alone and with every zero datum made 1/2.
    for feature in Feature::used_by(&c.config, &c.rates) {
        let mut d = c.clone();
        without(&mut d, feature);
        let mut e = d.clone();
        let zeros = data(&mut e)
            .filter(|x| **x == 0.0)
            .map(|x| *x = HALF)
            .count();
        out.push(d);
        if zeros > 0 {
            out.push(e);
        }
    }
    // 4. Hyper-parameters at their smallest nonzero values.
    let smallest: [(fn(&mut Config) -> &mut f64, f64); 3] = [
        (|c| &mut c.momentum, MIN_MOMENTUM),
        (|c| &mut c.dampening, MIN_DAMPENING),
        (|c| &mut c.weight_decay, MIN_WEIGHT_DECAY),
    ];
    for (field, min) in smallest {
        let mut d = c.clone();
        let value = field(&mut d.config);
        if *value != 0.0 && *value != min {
            *value = min;
            out.push(d);
        }
    }
    // 5. Each learning rate at 1/100 (a constant schedule is feature 3's move).
    for k in 0..c.rates.len() {
        if c.rates[k] != SIMPLEST_RATE {
            let mut d = c.clone();
            d.rates[k] = SIMPLEST_RATE;
            out.push(d);
        }
    }
    // 6, 7. Each datum to 0, or to 1/2.
    let n = c.x0.len() * (1 + c.gradients.len());
    for i in 0..n {
        let x = *data_ref(c, i);
        for simpler in [0.0, HALF] {
            let rank = |v: f64| match v {
                0.0 => 0,
                HALF => 1,
                _ => 2,
            };
            if rank(simpler) < rank(x) {
                let mut d = c.clone();
                *data_mut(&mut d, i) = simpler;
                out.push(d);
            }
        }
    }
    out
}

/// Turns `feature` off in `c`.
fn without(c: &mut GeneratedCase, feature: Feature) {
    let cfg: &mut Config = &mut c.config;
    match feature {
        // Nesterov needs momentum (PyTorch rejects it without).
        Feature::Momentum => {
            cfg.momentum = 0.0;
            cfg.nesterov = false;
        }
        Feature::Dampening => cfg.dampening = 0.0,
        Feature::Nesterov => cfg.nesterov = false,
        Feature::WeightDecay => cfg.weight_decay = 0.0,
        Feature::Maximize => cfg.maximize = false,
        Feature::Schedule => c.rates.iter_mut().for_each(|r| *r = SIMPLEST_RATE),
    }
}

/// The data of a case: initial parameters, then the gradients step by step.
fn data(c: &mut GeneratedCase) -> impl Iterator<Item = &mut f64> {
    c.x0.iter_mut().chain(c.gradients.iter_mut().flatten())
}

fn data_ref(c: &GeneratedCase, i: usize) -> &f64 {
    let n = c.x0.len();
    if i < n {
        &c.x0[i]
    } else {
        &c.gradients[i / n - 1][i % n]
    }
}

fn data_mut(c: &mut GeneratedCase, i: usize) -> &mut f64 {
    let n = c.x0.len();
    if i < n {
        &mut c.x0[i]
    } else {
        &mut c.gradients[i / n - 1][i % n]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::Convention;

    /// The case the kit once ended on (issue 17's planted bug: dampening dropped from step 4):
    /// five steps whose only nonzero gradient is the fifth. Cutting steps from the end removes
    /// that gradient; only removing an earlier step reaches the four-step minimum, which the
    /// predicate below (the bug's condition: a nonzero gradient from step 4 on) still fails.
    #[test]
    fn a_late_datum_moves_forward_to_the_minimal_step_count() {
        let case = GeneratedCase {
            config: Config {
                convention: Convention::Pytorch,
                momentum: MIN_MOMENTUM,
                dampening: MIN_DAMPENING,
                weight_decay: 0.0,
                nesterov: false,
                maximize: false,
            },
            rates: vec![SIMPLEST_RATE; 5],
            x0: vec![0.0],
            gradients: vec![vec![0.0], vec![0.0], vec![0.0], vec![0.0], vec![HALF]],
        };
        let fails = |c: &GeneratedCase| c.gradients.iter().skip(3).any(|g| g[0] != 0.0);
        let minimal = minimize(case, fails);
        assert_eq!(
            minimal.gradients,
            [vec![0.0], vec![0.0], vec![0.0], vec![HALF]]
        );
        assert_eq!(minimal.rates.len(), 4);
    }
}
