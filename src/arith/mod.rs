//! The arithmetic layer: numbers and the vectors and matrices built from them, nothing else.
//!
//! Every layer above (problems, optimizers, traces, theory) is written once, generically over
//! [`Scalar`], and runs in any arithmetic this layer provides:
//!
//! * [`scalar`] — the [`Scalar`] trait and its laws; exact `rug::Rational`, `f64` under the
//!   [`Rounding`] models, MPFR `rug::Float`.
//! * [`bounded`] — floating values carrying a derived, rigorous bound on their distance to the
//!   exact result (this crate's own operation order).
//! * [`envelope`] — an elementwise error envelope valid for any conforming operation order.
//! * [`ftz`] — binary64 with flush-to-zero and denormals-are-zero (XLA on CPU) as a scalar.
//! * [`format`](mod@format) — binary64, binary32, binary16 and bfloat16 as exact rounding targets (ties to
//!   even, subnormals or flush-to-zero, overflow) and their bit patterns; native `f32` as a scalar.
//! * [`power`] — `base·factor^n` rounded to a floating format from a fixed-precision enclosure,
//!   without multiplying the power out (schedules' learning rates at large steps).
//! * [`linalg`] — vectors and matrices per arithmetic; the exact engine shares one denominator.
//! * [`text`] — text forms of numbers: `"p/q"` rationals, shortest f64 decimals, IEEE bits.
//!
//! This module imports nothing from the layers above it (`tests/it/architecture.rs` checks).

pub mod bounded;
pub mod envelope;
pub mod format;
pub mod ftz;
pub mod linalg;
pub mod power;
pub mod scalar;
pub mod text;

pub use scalar::{
    DEFAULT_MPFR_PRECISION, Number, Rounding, Scalar, Written, WrittenEntry, mpfr_precision,
    rational_cos_pi, rational_sqrt, rational_to_f64, round_to_f32, with_mpfr_precision,
};
