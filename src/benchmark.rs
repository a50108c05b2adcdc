//! The benchmark instances and kernels shared by `benches/` and `bench/compare`.
//!
//! Timings never run inside `cargo test`; this module only builds the data, runs the traces and
//! provides the streaming f64 loops whose speed the benchmarks report.
//!
//! # The exact benchmark quadratic
//!
//! [`dominant_quadratic`]`(dim, seed)` is `f(x) = ½(x − x*)ᵀA(x − x*)` with `A = N/8`, where `N`
//! is a dense symmetric integer matrix with off-diagonal entries in {−1, 0, 1} and diagonal
//! `N_ii = Σ_{j≠i}|N_ij| + t_i`, `t_i ∈ {1, 2, 3, 4}` (strictly diagonally dominant, hence
//! positive definite by Gershgorin). `x*` has entries `a/b`, `a ∈ −6..=6`, `b ∈ 1..=3`, and
//! `x₀ = x* + c/e`, `c ∈ −4..=4`, `e ∈ 1..=2`. Everything is drawn from SplitMix64 seeded with
//! `seed`, in that order (upper triangle row by row, then `t`, then `x*`, then the offsets), so the
//! instance is the same on every machine and the Python baselines get it through the JSON export.
//!
//! Why not the `quadratic` family: its Householder rotations give `A` a 35-bit common denominator
//! (d = 50, seed 3) that cancels along an exact run (the iterate's denominator grows by the
//! spectrum's denominators only, ≈ 13.7 bits/step), while a fraction-free method that never takes
//! a gcd keeps it (≈ 40 bits/step). Comparing against such a handicapped baseline would say nothing.
//! Small integer entries over the small denominator 8 make the fraction-free method's growth
//! (log₂(8·8·10) ≈ 9.3 bits/step for lr 1/8, μ 9/10) close to the exact one (≈ 8.3 bits/step): the
//! fraction-free method is then at its best, which is the comparison the benchmark wants.
//! The Gershgorin bounds give `L ≤ max_i (N_ii + Σ_{j≠i}|N_ij|)/8` and `m ≥ min_i t_i/8`; lr 1/8 and
//! μ 9/10 are stable for heavy ball and NAG on every instance with `dim ≤ 50`.

use rug::{Integer, Rational};

use crate::arith::linalg::QMat;
use crate::error::Result;
use crate::optim::{Optimizer, Schedule};
use crate::problem::{GradientForm, Oracle, QuadraticForm, to_vector};
use crate::trace::{RunOptions, run_with_oracle};

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, fully specified generator, so that the Python
/// side could rebuild the instance too (it reads the export instead).
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// The generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64-bit output.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `lo..=hi` (by reduction modulo the range; the tiny bias is irrelevant here).
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi - lo + 1).expect("non-empty range");
        lo + i64::try_from(self.next_u64() % span).expect("small range")
    }
}

/// The common denominator of [`dominant_quadratic`]'s Hessian.
pub const DOMINANT_DENOMINATOR: u64 = 8;

/// The benchmark quadratic of the [module documentation](self), with its initial point.
///
/// # Panics
/// Panics if `dim == 0`.
pub fn dominant_quadratic(dim: usize, seed: u64) -> (QuadraticForm, Vec<Rational>) {
    assert!(dim > 0, "dimension must be positive");
    let mut rng = SplitMix64::new(seed);
    let mut n = vec![vec![0i64; dim]; dim];
    // Index loops on purpose: the symmetric fill writes n[i][j] and n[j][i].
    #[allow(clippy::needless_range_loop)]
    for i in 0..dim {
        for j in i + 1..dim {
            let v = rng.range(-1, 1);
            n[i][j] = v;
            n[j][i] = v;
        }
    }
    let mut upper = 0i64;
    for (i, row) in n.iter_mut().enumerate() {
        let off: i64 = row.iter().map(|v| v.abs()).sum();
        row[i] = off + rng.range(1, 4);
        upper = upper.max(row[i] + off);
    }
    let den = DOMINANT_DENOMINATOR;
    let rows: Vec<Vec<Rational>> = n
        .iter()
        .map(|r| r.iter().map(|&v| Rational::from((v, den))).collect())
        .collect();
    let a = QMat::from_rows(&rows)
        .expect("square")
        .with_norm_bound(Rational::from((upper, den)));
    let x_star: Vec<Rational> = (0..dim)
        .map(|_| {
            let a = rng.range(-6, 6);
            let b = rng.range(1, 3);
            Rational::from((a, b))
        })
        .collect();
    let x0: Vec<Rational> = x_star
        .iter()
        .map(|x| {
            let c = rng.range(-4, 4);
            let e = rng.range(1, 2);
            Rational::from(x + Rational::from((c, e)))
        })
        .collect();
    let form = QuadraticForm::new(a, x_star, Rational::new(), GradientForm::Centered)
        .expect("consistent dimensions");
    (form, x0)
}

/// The f64 benchmark problem: `½(x − x*)ᵀ diag(λ)(x − x*)` on ℝ^dim with `λ_i = (1 + i mod 8)/8`
/// (so L = 1, m = 1/8), `x*_i = (i mod 7 − 3)/2` and `x₀ = 0`. Diagonal so that the gradient costs
/// O(dim) and the benchmark measures the optimizer's streaming updates at dim = 10⁶.
pub fn diagonal_quadratic(dim: usize) -> (QuadraticForm, Vec<Rational>) {
    let spectrum: Vec<Rational> = (0..dim)
        .map(|i| Rational::from((1 + (i % 8) as i64, 8)))
        .collect();
    let x_star: Vec<Rational> = (0..dim)
        .map(|i| Rational::from(((i % 7) as i64 - 3, 2)))
        .collect();
    let form = QuadraticForm::new(
        QMat::diagonal(&spectrum),
        x_star,
        Rational::new(),
        GradientForm::Centered,
    )
    .expect("consistent dimensions");
    (form, vec![Rational::new(); dim])
}

/// Runs `optimizer` in f64 with rounding model `rounding` for `steps` steps from `x0` against
/// `oracle` (constant learning rate `lr`, recording only the last step) and returns the final
/// iterate. The oracle and `x0` are built by the caller, outside any timing: converting 10⁶ exact
/// rationals to correctly rounded f64 takes far longer than a few steps.
///
/// # Errors
/// Whatever the run returns.
pub fn f64_final_iterate<O: Optimizer<f64>>(
    optimizer: &O,
    oracle: &mut dyn Oracle<f64>,
    x0: &Vec<f64>,
    learning_rate: &Rational,
    steps: usize,
    rounding: crate::arith::Rounding,
) -> Result<Vec<f64>> {
    let options = RunOptions {
        rounding,
        keep_every: steps.max(1),
        ..RunOptions::default()
    };
    let mut trace = run_with_oracle(
        optimizer,
        oracle,
        &Schedule::constant(learning_rate.clone()),
        x0,
        steps,
        &options,
        ("", ""),
    )?;
    Ok(trace.steps.pop().map_or_else(|| x0.clone(), |s| s.iterate))
}

/// Runs `optimizer` exactly for `steps` steps with constant learning rate `lr`, recording only the
/// last step (what a long oracle run does), and returns the final iterate.
///
/// # Errors
/// Whatever the run returns (budgets, dimension mismatch).
pub fn exact_final_iterate<O: Optimizer<Rational>>(
    optimizer: &O,
    form: &QuadraticForm,
    x0: &[Rational],
    learning_rate: &Rational,
    steps: usize,
) -> Result<Vec<Rational>> {
    use crate::arith::linalg::Vector;
    let mut oracle = form.oracle::<Rational>();
    let x0v = to_vector::<Rational>(x0);
    let options = RunOptions {
        keep_every: steps.max(1),
        ..RunOptions::default()
    };
    let trace = run_with_oracle(
        optimizer,
        &mut oracle,
        &Schedule::constant(learning_rate.clone()),
        &x0v,
        steps,
        &options,
        ("", ""),
    )?;
    Ok(trace
        .steps
        .last()
        .map_or_else(|| x0.to_vec(), |s| s.iterate.to_scalars()))
}

/// The bits of the largest numerator and of the common denominator of `xs`.
pub fn common_denominator_bits(xs: &[Rational]) -> (u32, u32) {
    let den = xs
        .iter()
        .fold(Integer::from(1), |d, x| Integer::from(d.lcm_ref(x.denom())));
    let num = xs
        .iter()
        .map(|x| Integer::from(x.numer() * Integer::from(den.div_exact_ref(x.denom()))))
        .map(|n| n.significant_bits())
        .max()
        .unwrap_or(0);
    (num, den.significant_bits())
}

/// A plain copy loop (`dst ← src`), the streaming-bandwidth yardstick: 16 bytes moved per element.
///
/// Written as an element loop rather than `copy_from_slice` so that it is the same kind of code as
/// the update kernels (the compiler vectorises both); `black_box` keeps it from being elided.
pub fn copy_loop(dst: &mut [f64], src: &[f64]) {
    assert_eq!(dst.len(), src.len(), "length mismatch");
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
    std::hint::black_box(dst);
}

/// Bytes the PyTorch momentum update moves per element: reads θ, b, g and writes θ, b.
pub const PYTORCH_UPDATE_BYTES_PER_ELEMENT: usize = 5 * 8;

/// Bytes a copy moves per element: one read, one write.
pub const COPY_BYTES_PER_ELEMENT: usize = 2 * 8;
