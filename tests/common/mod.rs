//! Shared test configuration.
//!
//! proptest's default failure persistence looks for `lib.rs` next to the test source, which
//! integration tests do not have; every suite therefore names its file under
//! `proptest-regressions/` explicitly, so shrunk counterexamples are committed in one place.

#![allow(dead_code)] // each test binary uses the part it needs

use proptest::test_runner::{Config, FileFailurePersistence};

/// A proptest config with `cases` cases that persists failures in
/// `proptest-regressions/<suite>.txt`.
pub fn config(suite: &'static str, cases: u32) -> Config {
    let path: &'static str =
        Box::leak(format!("proptest-regressions/{suite}.txt").into_boxed_str());
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(path))),
        ..Config::default()
    }
}
