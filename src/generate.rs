//! Deterministic instances from proptest strategies, and the bridge to quickcheck.
//!
//! Every generator in the crate is a proptest [`Strategy`] that constructs valid instances. The
//! same strategies serve three users: proptest suites (with shrinking), the CLI and fixtures
//! (`seed=N` gives the same instance on every machine, via proptest's ChaCha RNG), and quickcheck
//! users through [`Quick`], whose `Arbitrary` draws a seed from quickcheck and samples the
//! strategy (quickcheck then does not shrink: proptest's shrinking is the tool for minimal
//! counterexamples).

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// The value `strategy` produces from `seed` (the same on every machine and run).
///
/// # Panics
/// Panics if the strategy rejects every candidate, which the crate's constructive strategies
/// never do.
pub fn sample<S: Strategy>(strategy: &S, seed: u64) -> S::Value {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    strategy
        .new_tree(&mut runner)
        .expect("constructive strategies do not reject")
        .current()
}

/// A type with a canonical proptest strategy, usable from quickcheck through [`Quick`].
pub trait Generated: Clone + std::fmt::Debug + Send + 'static {
    /// The strategy the crate's own property tests use for this type.
    fn strategy() -> proptest::strategy::BoxedStrategy<Self>;
}

/// A quickcheck `Arbitrary` wrapper around any [`Generated`] type.
///
/// ```
/// use momentum_oracle::generate::Quick;
/// use momentum_oracle::problem::quadratic::QuadraticProblem;
/// use momentum_oracle::problem::Problem;
///
/// fn dimension_is_positive(p: Quick<QuadraticProblem>) -> bool {
///     p.0.dim() > 0
/// }
/// quickcheck::QuickCheck::new().tests(5).quickcheck(dimension_is_positive as fn(_) -> bool);
/// ```
#[derive(Clone, Debug)]
pub struct Quick<T>(pub T);

impl<T: Generated> quickcheck::Arbitrary for Quick<T> {
    fn arbitrary(g: &mut quickcheck::Gen) -> Self {
        let seed = <u64 as quickcheck::Arbitrary>::arbitrary(g);
        Quick(sample(&T::strategy(), seed))
    }
}
