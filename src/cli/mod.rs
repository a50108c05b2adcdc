//! What the command line does, as a library: the policy shared by `main.rs` and the report.
//!
//! * [`arithmetic`] — the arithmetics as the CLI names them, and the runs it performs in them.
//! * [`policy`] — defaults and limits shared by every command, and the work budget
//!   ([`policy::budget`]): every command's cost estimated before it starts.
//! * [`report`] — the summary report (`momentum-oracle report`).

pub mod arithmetic;
pub mod policy;
pub mod report;

pub use arithmetic::{Arithmetic, ArithmeticVisitor, CompareRequest, RunRequest, StreamRequest};
