//! What the command line does, as a library: the policy shared by `main.rs` and the report.
//!
//! * [`report`] — the summary report (`momentum-oracle report`).

pub mod report;
