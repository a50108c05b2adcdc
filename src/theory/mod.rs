//! The theory the oracle checks: bounds, proof obligations, stability, empirical rates.
//!
//! * [`bounds`] — closed-form convergence bounds (GD, Nesterov/FISTA, OGM, strongly convex,
//!   Nesterov's lower bound), each with its source.
//! * [`cesaro`] — heavy ball's Cesàro average along a trace, checked against Ghadimi,
//!   Feyzmahdavian & Johansson's bound at every T.
//! * [`guarantees`] — which theorem applies to a run, its bound at each step and its obligations.
//! * [`potentials`] — the proofs' inequalities as named checks on every step of a trace.
//! * [`stability`] — characteristic polynomials and the exact Jury criterion for heavy ball and
//!   NAG on quadratics; Polyak's optimal tuning.
//! * [`rates`] — least-squares slopes of log-gap against log-step.
//! * [`pep`] — worst-case certificates (performance estimation): a method's rate over every
//!   L-smooth (strongly) convex function, proved by exact rational multipliers.

pub mod bounds;
pub mod cesaro;
pub mod guarantees;
pub mod pep;
pub mod potentials;
pub mod rates;
pub mod stability;
