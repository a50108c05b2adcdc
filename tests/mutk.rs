//! The mutation-testing harness of the rounding code (docs/mutants.md): the modules of `it` that
//! exercise `arith::format`, `optim::kernel` and the format fixtures, in a binary of their own
//! that needs neither the CLI nor the pictures, so that each mutant rebuilds and links less.
//! Not run by `cargo test` (`test = false`): the same tests run in `it`. Use
//! `cargo mutants … -C=--no-default-features -C=--test=mutk -- -- kernels:: …`.
#[path = "it/common/mod.rs"]
mod common;
#[path = "it/conformance_formats.rs"]
mod conformance_formats;
#[path = "it/diagnosis.rs"]
mod diagnosis;
#[path = "it/envelope.rs"]
mod envelope;
#[path = "it/fixtures.rs"]
mod fixtures;
#[path = "it/format_fixtures.rs"]
mod format_fixtures;
#[path = "it/formats.rs"]
mod formats;
#[path = "it/ftz.rs"]
mod ftz;
#[path = "it/kernels.rs"]
mod kernels;
#[path = "it/power.rs"]
mod power;
