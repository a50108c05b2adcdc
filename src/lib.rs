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
//! use momentum_oracle::arith::bounded::Bounded;
//! let bounded = trace::run::<Bounded>(problem.as_ref(), &sgd, &lr, None, 20, &RunOptions::default()).unwrap();
//! assert!(bounded.steps[19].gap.unwrap().encloses(&gap));
//! ```
//!
//! ## Map, layer by layer (lowest first; each imports only from the layers above it in this list)
//!
//! * [`error`] — the one error type.
//! * [`arith`] — numbers only: the [`Scalar`](arith::Scalar) trait and its laws; exact
//!   `rug::Rational`, `f64` with [`Rounding`](arith::Rounding) models, MPFR, values with a derived
//!   error bound ([`arith::bounded`]), the order-independent envelope ([`arith::envelope`]), the
//!   binary32/binary16/bfloat16 formats ([`arith::format`]), vectors and matrices
//!   ([`arith::linalg`], with the exact shared-denominator engine) and text forms ([`arith::text`]).
//! * [`files`] — input files read safely (regular files only, size limits, never blocking) and
//!   outputs written atomically (never replacing a FIFO or a device).
//! * [`spec`] — the `name:key=value` spec language; [`generate`] — the crate's own ChaCha20
//!   stream (RFC 8439 §2.3), from which every seeded instance is drawn, and the
//!   quickcheck bridge.
//! * [`problem`] — problem families, one per file, with proptest strategies; the [`Oracle`]
//!   an optimizer sees and [`Evaluate`], the choice of oracle per arithmetic; oracle wrappers.
//! * [`optim`] — update rules, one family per file, and learning-rate [`Schedule`](optim::Schedule)s;
//!   [`optim::kernel`], the rounding models of real kernels per number format (PyTorch, Keras,
//!   Optax; FTZ; hyper-parameter precision).
//! * [`trace`] — the runner ([`trace::run`](mod@trace::run)) and its renderings
//!   ([`trace::render`](mod@trace::render)).
//! * [`identities`] — closed forms and conventions mapped onto each other; [`theory`] — bounds,
//!   proof obligations, stability, empirical rates.
//! * [`compare`] — two traces step by step (`trace --compare`); [`fixture`] — the JSON fixtures
//!   (binary64, and per format in [`fixture::lowprec`]) and the checker of other implementations'
//!   traces, with the diagnosis of failing ones ([`fixture::diagnose`]); [`benchmark`] — benchmark instances.
//! * [`conformance`] — the kit for downstream crates, in f64, f32, bf16 and f16 ([`conformance::Element`]).
//! * [`cli`] — the command line as a library (policy, arithmetic names, the report); `plot`
//!   (feature `plot`) — SVG pictures of exact runs.
//!
//! `docs/design.md` explains the layers and the formulas; `tests/it/architecture.rs` keeps the
//! imports one-way.
//!
//! [`Oracle`]: problem::Oracle
//! [`Evaluate`]: problem::Evaluate

#![deny(missing_docs)]
// rug's operators return an owned value or a lazy "incomplete" value depending on whether the
// operands are owned or borrowed; writing `Rational::from(expr)` everywhere keeps each expression
// correct whichever it is, so the conversion clippy calls useless is kept on purpose.
#![allow(clippy::useless_conversion)]

pub mod arith;
pub mod benchmark;
pub mod cli;
pub mod compare;
pub mod conformance;
pub mod error;
pub mod files;
pub mod fixture;
pub mod generate;
pub mod identities;
pub mod optim;
#[cfg(feature = "plot")]
pub mod plot;
pub mod problem;
pub mod spec;
pub mod theory;
pub mod trace;

pub use error::{Error, Result};
