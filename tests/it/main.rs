//! The integration tests: one binary, one module per theme (README, "What the oracle checks").
//!
//! One binary instead of one per theme: each test crate would instantiate the crate's generic code
//! again and link its own copy, which made the test build the larger part of a fresh `cargo test`.
//! Filters work as before, with the theme as a path prefix: `cargo test --release rates::` runs
//! the rates suite, `cargo test --release attains` every test whose name contains `attains`.

mod common;

mod allocation;
mod architecture;
mod bad_input;
mod check;
mod cli;
mod conformance;
mod conformance_formats;
mod conventions;
mod coverage;
mod diagnosis;
mod envelope;
mod exact_form;
mod fixtures;
mod float_text;
mod format_fixtures;
mod formats;
mod ftz;
mod generators;
mod gradients;
mod hostile;
mod kernels;
mod lower_bound;
mod nesterov_forms;
mod optimizers;
mod pep;
mod pep_primal;
mod plots;
mod power;
mod practice;
mod proofs;
mod rates;
mod report;
mod scalar_laws;
mod scheduler_fixtures;
mod schedules;
mod snapshots;
mod stability;
mod trace;
mod unrolled;
