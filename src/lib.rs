//! # momentum-oracle
//!
//! A correctness oracle for first-order optimizers with momentum — gradient descent, Polyak's
//! heavy ball, Nesterov's accelerated gradient — in the conventions real frameworks use (PyTorch,
//! Sutskever/Keras, Optax, TF). It runs them in **exact rational arithmetic** (GMP), in `f64` under
//! two rounding models, and in MPFR, and checks the theory and the conventions against each other.
//!
//! ```
//! use momentum_oracle::optim::{OptimizerConfig, Schedule};
//! use momentum_oracle::problem::{self, Problem};
//! use momentum_oracle::trace::{self, RunOptions};
//! use rug::Rational;
//!
//! // Heavy-ball momentum, PyTorch convention, on a rotated 3-d quadratic with L = 1, m = 1/10.
//! let problem = problem::from_spec("quadratic:dim=3,L=1,m=1/10,seed=1").unwrap();
//! let sgd = OptimizerConfig::from_spec("pytorch:momentum=9/10").unwrap();
//! let lr = Schedule::constant(Rational::from((1, 10)));
//!
//! // Exactly, in ℚ: every iterate is a rational number, every gap is exact.
//! let exact = trace::run::<Rational>(problem.as_ref(), &sgd, &lr, None, 20, &RunOptions::default()).unwrap();
//! let gap = exact.steps[19].gap.clone().unwrap();
//! assert!(gap >= 0);
//!
//! // The same run in f64 is within the bound that `Bounded` derives for it.
//! use momentum_oracle::bounded::Bounded;
//! let bounded = trace::run::<Bounded>(problem.as_ref(), &sgd, &lr, None, 20, &RunOptions::default()).unwrap();
//! assert!(bounded.steps[19].gap.unwrap().encloses(&gap));
//! ```
//!
//! ## Map
//!
//! * [`scalar`] — the [`Scalar`](scalar::Scalar) trait and its laws; exact `rug::Rational`, `f64`
//!   with [`Rounding`](scalar::Rounding) models, MPFR `rug::Float`.
//! * [`benchmark`] — the benchmark instances and streaming loops shared by `benches/` and
//!   `bench/compare` (timing itself lives there, never in tests).
//! * [`bounded`] — f64 with a derived, rigorous bound on its distance to the exact result.
//! * [`linalg`] — vectors and matrices per arithmetic; the exact engine shares one denominator.
//! * [`problem`] — problem generators, one family per file, with proptest strategies.
//! * [`optim`] — optimizers, one family per file, and learning-rate [`Schedule`](optim::Schedule)s.
//! * [`trace`] — running an optimizer on a problem and recording every step.
//! * [`identities`] — closed forms (unrolled buffers, schedule breakage, Nesterov's changes of
//!   variables) and conventions mapped onto each other; oracle wrappers (weight decay, maximize,
//!   replay); step-by-step comparison of two traces (`trace --compare`).
//! * [`plot`] — SVG pictures of exact runs: rates, ravine trajectories, stability regions,
//!   schedule breakage, the heavy-ball cycle.
//! * [`pep`] — worst-case certificates (performance estimation): a method's rate over every
//!   smooth convex function as an exact dual certificate, and its independent verifier.
//! * [`rational`], [`spec`] — text forms: `"p/q"` numbers and `name:key=value` specs.
//! * [`generate`] — seeded instances from strategies; the quickcheck bridge.
//! * [`error`] — the one error type.

#![deny(missing_docs)]
// rug's operators return an owned value or a lazy "incomplete" value depending on whether the
// operands are owned or borrowed; writing `Rational::from(expr)` everywhere keeps each expression
// correct whichever it is, so the conversion clippy calls useless is kept on purpose.
#![allow(clippy::useless_conversion)]

pub mod benchmark;
pub mod bounded;
pub mod conformance;
pub mod envelope;
pub mod error;
pub mod fixture;
pub mod generate;
pub mod identities;
pub mod linalg;
pub mod optim;
pub mod pep;
pub mod plot;
pub mod problem;
pub mod rational;
pub mod report;
pub mod scalar;
pub mod spec;
pub mod theory;
pub mod trace;

pub use error::{Error, Result};
