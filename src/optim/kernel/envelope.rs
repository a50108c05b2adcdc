//! The envelope of a low-precision replay: per element and step, a bound on how far any
//! conforming implementation's stored value may be from the exact one.
//!
//! It runs the family's reference sequence ([`super::reference_kernel`]) in [`Bound`]: every
//! operation charged `2·(u·(m + e) + 2^emin)` with S's unit roundoff `u = 2^−p` and smallest
//! normal `2^emin`, every hyper-parameter entering with relative error `2u` and every input with
//! absolute error `2^emin`. That covers an implementation that evaluates the documented update in
//! any working format at least as precise as S, rounds to S after any operation or only when
//! storing, fuses any multiply-add or none, converts each hyper-parameter to binary32 and/or S,
//! regroups with at most twice the roundings, and flushes subnormals of S (the same reasoning as
//! the binary64 envelope, `crate::arith::envelope`, with S's constants). It assumes no overflow:
//! the fixtures keep the exact trace well below S's largest finite number.

use rug::Rational;

use super::arith::Bound;
use super::{Family, Hyper, Model, StepValues, reference_kernel, run};
use crate::arith::format::Format;
use crate::error::Result;

/// The error bounds of a replay in storage format `storage`, per step (the `e` of [`Bound`]).
///
/// # Errors
/// As [`super::run`].
pub fn envelope(
    family: Family,
    storage: Format,
    hyper: &Hyper,
    initial: &[u64],
    gradients: &[Vec<u64>],
) -> Result<Vec<StepValues<Rational>>> {
    let steps = run(
        &Bound::new(storage),
        &Model::new(family, reference_kernel(family), storage),
        hyper,
        initial,
        gradients,
    )?;
    Ok(steps
        .into_iter()
        .map(|s| StepValues {
            params: s.params.into_iter().map(|b| b.e).collect(),
            state: s.state.map(|v| v.into_iter().map(|b| b.e).collect()),
        })
        .collect())
}

/// The smallest f64 at or above `q ≥ 0` (bounds are written as f64 decimals, rounded up).
pub fn up(q: &Rational) -> f64 {
    let x = crate::arith::format::round_f64(q);
    match Rational::from_f64(x) {
        Some(v) if v < *q => f64::from_bits(x.to_bits() + 1),
        _ => x,
    }
}
