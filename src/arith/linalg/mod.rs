//! Vectors and matrices for each arithmetic.
//!
//! Optimizers and problems are written against [`Vector`] and [`Matrix`]; each [`Number`] names
//! its own implementation:
//!
//! | scalar | vector | matrix |
//! |---|---|---|
//! | `Rational` | [`QVec`]: integer numerators over one shared denominator | [`QMat`] (integer entries over one denominator, sparse rows) |
//! | `f64` | `Vec<f64>` | [`F64Mat`] |
//! | `rug::Float` | `Vec<Float>` | [`MpfrMat`] |
//! | `Bounded` | [`BoundedVec`](crate::arith::bounded::BoundedVec) | [`BoundedMat`](crate::arith::bounded::BoundedMat) |
//!
//! Why the exact vector shares a denominator: with one `Rational` per coordinate every product and
//! sum canonicalises (a big gcd), so a dense matrix–vector product costs d² big gcds. With integer
//! numerators over one denominator, a product with a small-entried rational matrix is d² big×small
//! multiplications and one normalisation — measured (docs/design.md, "Scalars") at ≈ 0.26 s versus ≈ 34 s for
//! heavy ball, d = 50, k = 1000. Three further choices make it faster than a fraction-free
//! method (README, "Speed"):
//!
//! * **The product with small entries is vectorised.** When every matrix entry is a machine word
//!   and each row's `Σ|a_ij| < 2^32`, `M x` cuts each `x_j` into 32-bit chunks and accumulates
//!   `|a_ij|·chunk` into 64-bit lanes without carries (AVX2 when the CPU has it), propagating the
//!   carries once per row; other matrices take GMP's `addmul` per entry.
//! * **Normalisation is by the denominator's known primes.** Denominators along a run are products
//!   of the data's small denominators; a vector carries their primes, so the normal form costs a
//!   word remainder per numerator (usually one or two numerators) instead of a big gcd. Unknown
//!   primes fall back to the gcd chain.
//! * **Fused combinations.** [`Vector::axpy_chain`] forms a whole linear combination over one
//!   denominator with one normalisation, and [`Matrix::matvec_centered`] does not normalise the
//!   difference it multiplies; exact optimizer steps are written as such combinations.
//!
//! # Operation order (floating types)
//! * [`Vector::axpy`]`(a, x)`: `y_i ← mul_add(x_i, a, y_i)`, one per element, in index order.
//! * [`Vector::scale`]`(a)`: `y_i ← y_i · a`; [`Vector::add_assign`]/[`Vector::sub_assign`]: one
//!   rounded `±` per element.
//! * [`Vector::dot`]: `s ← 0; s ← s + x_i·y_i` in index order, product and sum rounded separately.
//! * [`Matrix::matvec`]: for each row, the same sequential sum over the row's non-zero entries in
//!   column order (zero entries are skipped; this changes no finite result).

mod dense;
mod exact;

pub use dense::{F64Mat, MpfrMat, momentum_update_f64};
pub use exact::{QMat, QVec};

use std::fmt::Debug;

use rug::Rational;

use crate::arith::{Number, Rounding};

/// What a one-pass step ([`Vector::diagonal_momentum_update`]) did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OnePass {
    /// Whether every value the step wrote is finite.
    pub finite: bool,
    /// Whether the new iterate went into the iterate's own storage (else into `out`).
    pub in_place: bool,
}

/// Upper bounds on the magnitudes of the entries a one-pass step read or wrote (θ and b after it,
/// the quadratic's diagonal and centre), kept for the next step's overflow test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Magnitudes {
    /// max |θᵢ| after the step.
    pub params: f64,
    /// max |bᵢ| after the step.
    pub buffer: f64,
    /// max |aᵢ|.
    pub diagonal: f64,
    /// max |cᵢ|.
    pub centre: f64,
}

/// A vector in one arithmetic. See the [module documentation](self) for the floating-point order.
pub trait Vector<S>: Clone + Debug + PartialEq + Send + Sync + 'static {
    /// The vector with the given entries.
    fn from_scalars(xs: &[S]) -> Self;

    /// The zero vector of length `n`.
    fn zeros(n: usize) -> Self;

    /// The number of entries.
    fn len(&self) -> usize;

    /// Whether the vector has no entries.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entry `i` (canonical form for ℚ).
    ///
    /// # Panics
    /// Panics if `i >= self.len()`.
    fn get(&self, i: usize) -> S;

    /// All entries.
    fn to_scalars(&self) -> Vec<S> {
        (0..self.len()).map(|i| self.get(i)).collect()
    }

    /// `self ← a·x + self`, one [`Number::mul_add`] per element.
    ///
    /// # Panics
    /// Panics if the lengths differ (optimizers check dimensions once, when a run starts).
    fn axpy(&mut self, a: &S, x: &Self, rounding: Rounding);

    /// `self ← a₁·x₁ + self`, then `self ← a₂·x₂ + self`, …: [`Vector::axpy`] for each term, in
    /// order. Floating types round exactly as that sequence of `axpy` calls does (the default
    /// implementation is that sequence); the exact engine brings all terms to one denominator and
    /// normalises once.
    ///
    /// # Panics
    /// Panics if a length differs.
    fn axpy_chain(&mut self, terms: &[(&S, &Self)], rounding: Rounding) {
        for (a, x) in terms {
            self.axpy(a, x, rounding);
        }
    }

    /// PyTorch's momentum step after the first one, with `self` the parameters θ:
    /// `buffer ← buffer·μ` (rounded), `buffer ← mul_add(g, c, buffer)`, `self ← mul_add(buffer, a,
    /// self)`, where `c = 1 − τ` and `a = −γ` (`minus_learning_rate`). The default is exactly the sequence
    /// [`Vector::scale`], [`Vector::axpy`], [`Vector::axpy`]; `f64` overrides it with one pass over
    /// the three arrays doing the same operations per element, in the same order (so the bits are
    /// the same), instead of three passes: the update is memory-bound, and each pass re-reads the
    /// arrays.
    ///
    /// # Panics
    /// Panics if a length differs.
    fn momentum_update(
        &mut self,
        buffer: &mut Self,
        gradient: &Self,
        momentum: &S,
        gradient_scale: &S,
        minus_learning_rate: &S,
        rounding: Rounding,
    ) {
        buffer.scale(momentum);
        buffer.axpy(gradient_scale, gradient, rounding);
        self.axpy(minus_learning_rate, buffer, rounding);
    }

    /// [`Vector::momentum_update`] with `self` the parameters before the step, left unchanged, and
    /// the parameters after it written into `out` (whatever it held, any length). The default is
    /// `out ← self` then [`Vector::momentum_update`] on `out`; `f64` overrides it with the same
    /// one pass writing θ into `out`, so that a caller who swaps `out` with θ afterwards keeps the
    /// old θ without copying it.
    ///
    /// # Panics
    /// Panics if a length differs.
    #[allow(clippy::too_many_arguments)] // the update's operands and coefficients
    fn momentum_update_into(
        &self,
        out: &mut Self,
        buffer: &mut Self,
        gradient: &Self,
        momentum: &S,
        gradient_scale: &S,
        minus_learning_rate: &S,
        rounding: Rounding,
    ) {
        out.clone_from(self);
        out.momentum_update(
            buffer,
            gradient,
            momentum,
            gradient_scale,
            minus_learning_rate,
            rounding,
        );
    }

    /// `self ← a·x + y`, one [`Number::mul_add`] per element, whatever `self` held before (any
    /// length). The default is `self ← y` then [`Vector::axpy`]; `f64` overrides it with one pass
    /// (same operations, same bits) that allocates nothing when `self` has `y`'s length.
    ///
    /// # Panics
    /// Panics if the lengths of `x` and `y` differ.
    fn assign_axpy(&mut self, a: &S, x: &Self, y: &Self, rounding: Rounding) {
        self.clone_from(y);
        self.axpy(a, x, rounding);
    }

    /// Heavy ball's step with `self` the previous iterate θ₋, overwritten by the next iterate:
    /// per element `d = θ − θ₋`, `new = mul_add(g, a, θ)`, `new = mul_add(d, μ, new)` with
    /// `a = −γ` (`minus_learning_rate`). The default is exactly [`Vector::sub_assign`] and
    /// [`Vector::axpy_chain`] on copies of θ; `f64` overrides it with one pass over the three
    /// arrays doing the same operations per element in the same order (same bits), writing into
    /// θ₋'s storage: the caller swaps the two afterwards instead of copying.
    ///
    /// # Panics
    /// Panics if a length differs.
    fn heavy_ball_update(
        &mut self,
        params: &Self,
        gradient: &Self,
        minus_learning_rate: &S,
        momentum: &S,
        rounding: Rounding,
    ) {
        let mut d = params.clone();
        d.sub_assign(self);
        let mut next = params.clone();
        next.axpy_chain(&[(minus_learning_rate, gradient), (momentum, &d)], rounding);
        *self = next;
    }

    /// The Sutskever velocity step with `self` the parameters θ: `v ← v·μ` (rounded),
    /// `v ← mul_add(g, a, v)` with `a = −γ`, `θ ← θ + v`. The default is exactly
    /// [`Vector::scale`], [`Vector::axpy`], [`Vector::add_assign`]; `f64` overrides it with one
    /// pass (the [`Vector::momentum_update`] kernel with `θ ← mul_add(v, 1, θ)`, which is `θ + v`
    /// rounded once in both rounding models, `v·1` being exact).
    ///
    /// # Panics
    /// Panics if a length differs.
    fn velocity_update(
        &mut self,
        velocity: &mut Self,
        gradient: &Self,
        momentum: &S,
        minus_learning_rate: &S,
        rounding: Rounding,
    ) {
        velocity.scale(momentum);
        velocity.axpy(minus_learning_rate, gradient, rounding);
        self.add_assign(velocity);
    }

    /// [`Vector::momentum_update_into`] with the gradient of a separable quadratic computed in
    /// the same pass: per element `g = 0 ⊕ a ⊗ (θ ⊖ c)` (the diagonal
    /// [`Matrix::matvec_centered_into`]'s operations), then the update's, with `self` = θ. The
    /// new θ goes to `out` as there, or into `self` when `magnitudes` (what the previous such
    /// step saw) prove that no value can overflow, so that θ stays finite and the old θ is not
    /// needed for a record of divergence; the result says which and whether θ and b are all
    /// finite, checked in the pass. The gradient itself is not stored. `magnitudes` is updated.
    ///
    /// `None` (the default) where the arithmetic has no such pass: callers then take the gradient
    /// and the update separately, which give the same bits. `f64` has one (the runner's unrecorded
    /// steps at d = 10⁶, where three passes over memory cost twice one).
    ///
    /// # Panics
    /// Panics if a length differs.
    #[allow(clippy::too_many_arguments)] // the update's coefficients plus the quadratic's data
    fn diagonal_momentum_update(
        &mut self,
        out: &mut Self,
        buffer: &mut Self,
        diagonal: &Self,
        centre: &Self,
        coefficients: [&S; 3],
        rounding: Rounding,
        magnitudes: &mut Option<Magnitudes>,
    ) -> Option<OnePass> {
        let _ = (
            out,
            buffer,
            diagonal,
            centre,
            coefficients,
            rounding,
            magnitudes,
        );
        None
    }

    /// Look-ahead NAG's step with `self` = θ and the gradient of a separable quadratic computed in
    /// the same pass: per element the query point `y = θ ⊕ μ ⊗ v` ([`Vector::assign_axpy`]'s
    /// operation), `g = 0 ⊕ a ⊗ (y ⊖ c)`, then [`Vector::velocity_update`]'s operations on θ and v
    /// in place. The query point goes to `point` unless `magnitudes` prove that no value can
    /// overflow (then a diverging step, which needs it, cannot happen), as in
    /// [`Vector::diagonal_momentum_update`]. `None` (the default) where there is no such pass.
    ///
    /// # Panics
    /// Panics if a length differs.
    #[allow(clippy::too_many_arguments)] // the update's coefficients plus the quadratic's data
    fn diagonal_nag_update(
        &mut self,
        velocity: &mut Self,
        point: &mut Self,
        diagonal: &Self,
        centre: &Self,
        coefficients: [&S; 2],
        rounding: Rounding,
        magnitudes: &mut Option<Magnitudes>,
    ) -> Option<OnePass> {
        let _ = (
            velocity,
            point,
            diagonal,
            centre,
            coefficients,
            rounding,
            magnitudes,
        );
        None
    }

    /// [`Vector::heavy_ball_update`] with the gradient of a separable quadratic computed in the
    /// same pass, as [`Vector::diagonal_momentum_update`]: `Some(finite)` of θ and θ₊
    /// where the arithmetic has such a pass, `None` (the default) otherwise.
    ///
    /// # Panics
    /// Panics if a length differs.
    fn diagonal_heavy_ball_update(
        &mut self,
        params: &Self,
        diagonal: &Self,
        centre: &Self,
        minus_learning_rate: &S,
        momentum: &S,
        rounding: Rounding,
    ) -> Option<bool> {
        let _ = (
            params,
            diagonal,
            centre,
            minus_learning_rate,
            momentum,
            rounding,
        );
        None
    }

    /// `self ← a·self`.
    fn scale(&mut self, a: &S);

    /// `self ← −self` (exact in every arithmetic).
    fn negate(&mut self);

    /// `self ← self + x`.
    fn add_assign(&mut self, x: &Self);

    /// `self ← self − x`.
    fn sub_assign(&mut self, x: &Self);

    /// `Σ self_i · x_i` (sequential for floating types).
    fn dot(&self, x: &Self) -> S;

    /// Whether every entry is finite.
    fn is_finite(&self) -> bool;

    /// Storage bits of the largest entry (numerator plus denominator bits in ℚ).
    fn max_bits(&self) -> u64;

    /// Whether entry `i` is exactly zero.
    fn is_zero_at(&self, i: usize) -> bool;
}

/// A matrix with rational data, converted once into a run's arithmetic.
pub trait Matrix<S: Number>: Clone + Debug + Send + Sync + 'static {
    /// The matrix in this arithmetic (entries rounded to nearest for floating types).
    fn from_exact(m: &QMat) -> Self;

    /// The number of rows.
    fn rows(&self) -> usize;

    /// The number of columns.
    fn cols(&self) -> usize;

    /// `M x`.
    ///
    /// # Panics
    /// Panics if `x.len() != self.cols()`.
    fn matvec(&self, x: &S::Vector) -> S::Vector;

    /// `M (x − c)`. The default is [`Vector::sub_assign`] on a copy of `x`, then
    /// [`Matrix::matvec`] (so floating types round the difference first); the exact engine skips
    /// normalising the difference, which only feeds the product.
    ///
    /// # Panics
    /// Panics if `x.len() != self.cols()` or `c.len() != x.len()`.
    fn matvec_centered(&self, x: &S::Vector, c: &S::Vector) -> S::Vector {
        let mut d = x.clone();
        d.sub_assign(c);
        self.matvec(&d)
    }

    /// [`Matrix::matvec_centered`] written into `out`, whatever `out` held before (any length):
    /// the same value, bit for bit. The default stores the new vector in `out`; `f64`'s diagonal
    /// matrices override it with one pass that allocates nothing (the runner's gradient at
    /// d = 10⁶, see [`crate::problem::Oracle::gradient_into`] one layer up).
    ///
    /// # Panics
    /// As [`Matrix::matvec_centered`].
    fn matvec_centered_into(&self, x: &S::Vector, c: &S::Vector, out: &mut S::Vector) {
        *out = self.matvec_centered(x, c);
    }

    /// `d · (M d)` with `d = x − c`, in one pass that allocates nothing, for a matrix that has
    /// such a pass (`f64` diagonal matrices); `None` for the others, whose callers form
    /// `M d` (which they may keep). When given, the value is the bits of [`Vector::sub_assign`],
    /// [`Matrix::matvec`] and [`Vector::dot`] in that order.
    ///
    /// # Panics
    /// As [`Matrix::matvec_centered`].
    fn centered_form(&self, x: &S::Vector, c: &S::Vector) -> Option<S> {
        let _ = (x, c);
        None
    }

    /// The diagonal, for a matrix stored as one (`f64` diagonal matrices): then
    /// [`Matrix::matvec_centered_into`] is `0 ⊕ aᵢ ⊗ (xᵢ ⊖ cᵢ)` per entry, which one-pass steps
    /// ([`Vector::diagonal_momentum_update`]) compute themselves. `None` for the others.
    fn diagonal(&self) -> Option<&S::Vector> {
        None
    }
}

/// A rational upper bound on `√q` (for norm bounds that must stay rational).
pub fn sqrt_upper(q: &Rational) -> Rational {
    use rug::Float;
    use rug::float::Round;
    if *q <= 0 {
        return Rational::new();
    }
    let (f, _) = Float::with_val_round(128, q, Round::Up);
    let (s, _) = Float::with_val_round(128, f.sqrt_ref(), Round::Up);
    s.to_rational().expect("finite square root")
}

/// The Euclidean norm squared of a slice of rationals.
pub fn norm_sq(xs: &[Rational]) -> Rational {
    xs.iter()
        .fold(Rational::new(), |acc, x| acc + Rational::from(x * x))
}

/// Vectors of different lengths are a bug of the caller (every problem checks its dimensions
/// before it builds one), not an input error.
pub(crate) fn check_len(a: usize, b: usize) {
    assert_eq!(a, b, "vector length mismatch");
}

/// `Vector<T>` for `Vec<T>` of a native floating type `T` whose every operation is one rounding
/// of `T`'s own arithmetic (binary32, flush-to-zero binary64), in the operation order of the
/// module documentation. binary64 has its own impl (`dense.rs`: the AVX2 fused axpy and the
/// one-pass momentum update).
macro_rules! native_vector {
    ($t:ty, $bits:expr) => {
        impl $crate::arith::linalg::Vector<$t> for Vec<$t> {
            fn from_scalars(xs: &[$t]) -> Self {
                xs.to_vec()
            }
            fn zeros(n: usize) -> Self {
                vec![<$t as $crate::arith::Number>::zero(); n]
            }
            fn len(&self) -> usize {
                <[$t]>::len(self)
            }
            fn get(&self, i: usize) -> $t {
                self[i]
            }
            fn axpy(&mut self, a: &$t, x: &Self, rounding: $crate::arith::Rounding) {
                $crate::arith::linalg::check_len(self.len(), x.len());
                for (y, xi) in self.iter_mut().zip(x) {
                    *y = $crate::arith::Number::mul_add(xi, a, y, rounding);
                }
            }
            fn scale(&mut self, a: &$t) {
                for y in self.iter_mut() {
                    *y *= a;
                }
            }
            fn negate(&mut self) {
                for y in self.iter_mut() {
                    *y = -*y;
                }
            }
            fn add_assign(&mut self, x: &Self) {
                $crate::arith::linalg::check_len(self.len(), x.len());
                for (y, xi) in self.iter_mut().zip(x) {
                    *y += xi;
                }
            }
            fn sub_assign(&mut self, x: &Self) {
                $crate::arith::linalg::check_len(self.len(), x.len());
                for (y, xi) in self.iter_mut().zip(x) {
                    *y -= xi;
                }
            }
            fn dot(&self, x: &Self) -> $t {
                $crate::arith::linalg::check_len(self.len(), x.len());
                let mut s = <$t as $crate::arith::Number>::zero();
                for (a, b) in self.iter().zip(x) {
                    s += &(*a * b);
                }
                s
            }
            fn is_finite(&self) -> bool {
                self.iter().all($crate::arith::Number::is_finite)
            }
            fn max_bits(&self) -> u64 {
                $bits
            }
            fn is_zero_at(&self, i: usize) -> bool {
                self[i] == <$t as $crate::arith::Number>::zero()
            }
        }
    };
}
pub(crate) use native_vector;
