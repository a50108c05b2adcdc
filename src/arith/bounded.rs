//! Floating-point values with a derived error bound: how far an f64 (or MPFR) trace can be from
//! the exact one.
//!
//! [`BoundedValue<F>`] is a floating value `v` (`F` = `f64` or MPFR `rug::Float`) together with a
//! bound `e` such that the exact real result `x` of the same computation (exact hyper-parameters,
//! exact data, no rounding) satisfies `|v − x| ≤ e`. [`Bounded`] is the f64 case, [`BoundedMpfr`]
//! the MPFR one (used where a constant is irrational and a comparison must still be certain, e.g.
//! OGM attaining its bound exactly). [`BoundedVector`] carries one bound for the whole vector, on
//! the Euclidean norm `‖v − x‖₂` (so it bounds every coordinate too). Running an optimizer in this
//! arithmetic executes *the same operations in the same order* as the plain floating run — the
//! values are bitwise those of the plain trace, which the tests check — and derives the bound
//! alongside.
//!
//! # The derivation
//!
//! Rounding model (round to nearest): for a computed result `r = fl(z)`, `|r − z| ≤ u·|r| + η`
//! with `u = 2⁻⁵³` and `η = 2⁻¹⁰⁷⁴` covering gradual underflow in binary64 (Higham, *Accuracy and
//! Stability of Numerical Algorithms*, 2nd ed., eq. (2.5) and §2.1), and `u = 2⁻ᵖ`, `η = 0` for
//! MPFR at precision p (whose exponent range, ±2³⁰, the crate's problems never leave). Each
//! operation adds the propagated error of its inputs to this local error:
//!
//! * `a ± b`: `e_a + e_b + u|r| + η`;
//! * `a·b`: `|â|e_b + |b̂|e_a + e_a e_b + u|r| + η`;
//! * `a/b`: `(|â|e_b + |b̂|e_a) / (|b̂|(|b̂| − e_b)) + u|r| + η`, infinite unless `e_b < |b̂|`;
//! * `mul_add(a, b, c)`: the product term plus `e_c`, plus one local error (fused) or two (naive:
//!   the rounded product and the rounded sum);
//! * `√a`: `min(e_a/√â, √e_a)` (since `|√s − √t| ≤ |s − t|/(√s + √t)` and `≤ √|s − t|`);
//! * `exp a`: `e^{â + e_a}·e_a` (mean value theorem); `ln a`: `e_a/(â − e_a)`;
//! * constants `from_rational(q)`: exactly `|q − fl(q)|`;
//! * vectors, in the 2-norm: `axpy(a, x)` adds `|â|e_x + e_a(‖x̂‖ + e_x)` to `e_y` plus
//!   `u‖r‖ + η√n` (and `u‖fl(âx̂)‖ + η√n` more when naive); a dot product of length n adds
//!   `‖x̂‖e_y + ‖ŷ‖e_x + e_x e_y + γ_n Σ|x̂_i ŷ_i| + nη` with `γ_n = nu/(1 − nu)` (Higham eq. (3.5));
//!   a matrix–vector product adds `‖A‖₂ e_x` (from the matrix's rational norm bound) plus, per row,
//!   `(γ_{n_i}(1 + u) + u) Σ_j |a_ij||x̂_j| + η(2‖x̂‖₁ + n_i)` for the rounded entries
//!   (`|â − a| ≤ u|a| + η`) and the rounded sum.
//! * A general problem's gradient (through `problem::BoundedOracle`) adds `L·e_x` (L-smoothness) to the
//!   family's derived rounding bound at `x̂`; values and gaps add `‖∇f(x̂)‖e_x + (L/2)e_x²` (the
//!   descent lemma) to theirs.
//!
//! Bounds are kept in f64 whatever `F` is (2⁻¹⁰²² is far below any bound that matters). All
//! bound arithmetic is itself rounded upwards (`next_up` after every operation on
//! non-negative numbers), so the computed bound is never below the mathematical one.
//!
//! The bound is a priori and worst case: through a momentum method's feedback loop it grows
//! geometrically with a rate set by `1 + γL + μ`, so it is tight for short runs and for replays of
//! a fixed gradient sequence (no feedback: linear growth), loose for long runs on ill-conditioned
//! problems. It never claims less than is true.

use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use rug::float::Round;
use rug::{Float, Rational};

use crate::arith::linalg::{Matrix, QMat, Vector};
use crate::arith::scalar::Written;
use crate::arith::{Number, Rounding, Scalar, mpfr_precision};

/// The unit roundoff of binary64, `2⁻⁵³`.
pub const UNIT_ROUNDOFF: f64 = 1.0 / 9_007_199_254_740_992.0;

/// The smallest positive subnormal, `2⁻¹⁰⁷⁴`: an upper bound on the absolute rounding error of a
/// binary64 result in the subnormal range.
pub const UNDERFLOW: f64 = f64::from_bits(1);

pub(crate) fn clean(x: f64) -> f64 {
    if x.is_nan() { f64::INFINITY } else { x }
}
pub(crate) fn add_up(a: f64, b: f64) -> f64 {
    // Adding zero is exact: no upward step (so exact values keep a zero error bound).
    if a == 0.0 {
        return clean(b);
    }
    if b == 0.0 {
        return clean(a);
    }
    clean((a + b).next_up())
}
pub(crate) fn mul_up(a: f64, b: f64) -> f64 {
    if a == 0.0 || b == 0.0 {
        return 0.0;
    }
    clean((a * b).next_up())
}
pub(crate) fn div_up(a: f64, b: f64) -> f64 {
    if a == 0.0 {
        return 0.0;
    }
    if b <= 0.0 {
        return f64::INFINITY;
    }
    clean((a / b).next_up())
}
fn sqrt_up(a: f64) -> f64 {
    if a == 0.0 {
        return 0.0;
    }
    clean(a.sqrt().next_up())
}
/// An upper bound on `γ_n = nu/(1 − nu)`.
fn gamma_up(n: usize, u: f64) -> f64 {
    let nu = mul_up(n as f64, u);
    if nu >= 1.0 {
        return f64::INFINITY;
    }
    div_up(nu, (1.0 - nu).next_down())
}
/// The smallest f64 that is ≥ `q`.
pub fn rational_to_f64_up(q: &Rational) -> f64 {
    let (f, _) = Float::with_val_round(53, q, Round::Up);
    f.to_f64_round(Round::Up)
}
/// An upper bound on the Euclidean norm of an f64 slice.
pub fn norm_up(v: &[f64]) -> f64 {
    sqrt_up(
        v.iter()
            .fold(0.0, |s, x| add_up(s, mul_up(x.abs(), x.abs()))),
    )
}

/// A floating type that [`BoundedValue`] can carry: `f64` or MPFR `rug::Float`.
pub trait Floating: Scalar {
    /// The unit roundoff of values created now (`2⁻⁵³`; `2⁻ᵖ` at the MPFR precision in scope).
    fn unit_roundoff() -> f64;
    /// The absolute error bound of a result in the underflow range (`2⁻¹⁰⁷⁴`; 0 for MPFR).
    const UNDERFLOW: f64;
    /// An f64 upper bound on `|self|` (infinite beyond the f64 range).
    fn abs_up(&self) -> f64;
    /// An f64 lower bound on `|self|`.
    fn abs_down(&self) -> f64;
    /// An f64 upper bound on `self`.
    fn value_up(&self) -> f64;
    /// The working precision [`Number::cos_pi`] evaluates `cos(πq)` at before its final rounding.
    fn cos_working_bits() -> u32;
}

impl Floating for f64 {
    fn unit_roundoff() -> f64 {
        UNIT_ROUNDOFF
    }
    const UNDERFLOW: f64 = UNDERFLOW;
    fn abs_up(&self) -> f64 {
        self.abs()
    }
    fn abs_down(&self) -> f64 {
        self.abs()
    }
    fn value_up(&self) -> f64 {
        *self
    }
    fn cos_working_bits() -> u32 {
        // `scalar::cos_pi_exact_enough` works at 300 bits.
        300
    }
}

impl Floating for Float {
    fn unit_roundoff() -> f64 {
        // 2^-p is exact in f64 for p ≤ 1074; beyond, 2^-1074 is a (generous) upper bound.
        f64::powi(
            2.0,
            -i32::try_from(mpfr_precision().min(1074)).unwrap_or(1074),
        )
    }
    const UNDERFLOW: f64 = 0.0;
    fn abs_up(&self) -> f64 {
        Float::with_val(self.prec(), self.abs_ref()).to_f64_round(Round::Up)
    }
    fn abs_down(&self) -> f64 {
        Float::with_val(self.prec(), self.abs_ref()).to_f64_round(Round::Down)
    }
    fn value_up(&self) -> f64 {
        self.to_f64_round(Round::Up)
    }
    fn cos_working_bits() -> u32 {
        // `Number::cos_pi` for `Float` adds 64 guard bits to the precision in scope.
        mpfr_precision() + 64
    }
}

/// The local rounding error bound of a computed result `r`.
fn local<F: Floating>(r: &F) -> f64 {
    if !r.is_finite() {
        return f64::INFINITY;
    }
    add_up(mul_up(F::unit_roundoff(), r.abs_up()), F::UNDERFLOW)
}

/// A floating value with a rigorous bound on its distance to the exact result. See the
/// [module documentation](self) for the rules.
// Copy when the value is (f64), so f64 bounded code reads like plain f64 code.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct BoundedValue<F> {
    /// The floating value (bitwise what the plain run computes).
    pub v: F,
    /// An upper bound on `|v − exact|` (infinite when nothing can be said).
    pub e: f64,
}

/// An f64 value with a derived error bound.
pub type Bounded = BoundedValue<f64>;
/// An MPFR value with a derived error bound.
pub type BoundedMpfr = BoundedValue<Float>;

impl<F: Floating> BoundedValue<F> {
    /// A value with a given bound.
    pub fn new(v: F, e: f64) -> Self {
        let e = if v.is_finite() {
            clean(e)
        } else {
            f64::INFINITY
        };
        BoundedValue { v, e }
    }

    /// An exactly known value (error 0).
    pub fn exact(v: F) -> Self {
        BoundedValue::new(v, 0.0)
    }

    /// Whether the exact value `x` is within the bound: `|v − x| ≤ e`, decided exactly in ℚ.
    pub fn encloses(&self, x: &Rational) -> bool {
        match (self.v.to_rational(), Rational::from_f64(self.e)) {
            (Some(v), Some(e)) => Rational::from(v - x).abs() <= e,
            _ => self.e.is_infinite() && self.v.is_finite(),
        }
    }

    /// Whether `self ≤ other` cannot be refuted: `v − e ≤ w + f`, decided exactly. A proof
    /// obligation checked in floating arithmetic fails only when this is false.
    pub fn possibly_le(&self, other: &Self) -> bool {
        match (
            self.v.to_rational(),
            other.v.to_rational(),
            Rational::from_f64(self.e),
            Rational::from_f64(other.e),
        ) {
            (Some(a), Some(b), Some(ea), Some(eb)) => a - ea <= b + eb,
            _ => true,
        }
    }

    /// Whether `self ≤ other` certainly holds: `v + e ≤ w − f`, decided exactly.
    pub fn certainly_le(&self, other: &Self) -> bool {
        match (
            self.v.to_rational(),
            other.v.to_rational(),
            Rational::from_f64(self.e),
            Rational::from_f64(other.e),
        ) {
            (Some(a), Some(b), Some(ea), Some(eb)) => a + ea <= b - eb,
            _ => false,
        }
    }
}

/// `|a·b − a*·b*|` bound for the product of two bounded values.
fn product_error<F: Floating>(a: &BoundedValue<F>, b: &BoundedValue<F>) -> f64 {
    add_up(
        add_up(mul_up(a.v.abs_up(), b.e), mul_up(b.v.abs_up(), a.e)),
        mul_up(a.e, b.e),
    )
}

impl<F: Floating> Neg for BoundedValue<F> {
    type Output = Self;
    fn neg(self) -> Self {
        BoundedValue {
            v: -self.v,
            e: self.e,
        }
    }
}

impl<F: Floating> Add<&BoundedValue<F>> for BoundedValue<F> {
    type Output = Self;
    fn add(self, rhs: &Self) -> Self {
        let v = self.v + &rhs.v;
        let e = add_up(add_up(self.e, rhs.e), local(&v));
        BoundedValue::new(v, e)
    }
}

impl<F: Floating> Sub<&BoundedValue<F>> for BoundedValue<F> {
    type Output = Self;
    fn sub(self, rhs: &Self) -> Self {
        let v = self.v - &rhs.v;
        let e = add_up(add_up(self.e, rhs.e), local(&v));
        BoundedValue::new(v, e)
    }
}

impl<F: Floating> Mul<&BoundedValue<F>> for BoundedValue<F> {
    type Output = Self;
    fn mul(self, rhs: &Self) -> Self {
        let prop = product_error(&self, rhs);
        let v = self.v * &rhs.v;
        let e = add_up(prop, local(&v));
        BoundedValue::new(v, e)
    }
}

impl<F: Floating> Div<&BoundedValue<F>> for BoundedValue<F> {
    type Output = Self;
    fn div(self, rhs: &Self) -> Self {
        let b = rhs.v.abs_down();
        let a = self.v.abs_up();
        let (ea, eb) = (self.e, rhs.e);
        let v = self.v / &rhs.v;
        if eb >= b {
            return BoundedValue::new(v, f64::INFINITY);
        }
        let num = add_up(mul_up(a, eb), mul_up(rhs.v.abs_up(), ea));
        let den = (b * (b - eb).next_down()).next_down();
        let e = add_up(div_up(num, den), local(&v));
        BoundedValue::new(v, e)
    }
}

macro_rules! assign_via {
    ($tr:ident, $m:ident, $op:tt) => {
        impl<F: Floating> $tr<&BoundedValue<F>> for BoundedValue<F> {
            fn $m(&mut self, rhs: &Self) {
                let lhs = std::mem::replace(self, BoundedValue { v: F::zero(), e: 0.0 });
                *self = lhs $op rhs;
            }
        }
    };
}
assign_via!(AddAssign, add_assign, +);
assign_via!(SubAssign, sub_assign, -);
assign_via!(MulAssign, mul_assign, *);
assign_via!(DivAssign, div_assign, /);

impl<F: Floating> Number for BoundedValue<F> {
    type Vector = BoundedVector<F>;
    type Matrix = BoundedMatrix<F>;
    const EXACT: bool = false;

    fn arithmetic_name() -> String {
        format!("{}+bound", F::arithmetic_name())
    }
    fn from_rational(q: &Rational) -> Self {
        let v = F::from_rational(q);
        let e = match v.to_rational() {
            Some(r) => rational_to_f64_up(&Rational::from(r - q).abs()),
            None => f64::INFINITY,
        };
        BoundedValue::new(v, e)
    }
    fn to_rational(&self) -> Option<Rational> {
        self.v.to_rational()
    }
    fn to_f64(&self) -> f64 {
        self.v.to_f64()
    }
    fn mul_add(&self, b: &Self, c: &Self, rounding: Rounding) -> Self {
        let prop = add_up(product_error(self, b), c.e);
        let v = self.v.mul_add(&b.v, &c.v, rounding);
        let e = match rounding {
            Rounding::Fused => add_up(prop, local(&v)),
            Rounding::Naive => {
                let p = self.v.clone() * &b.v;
                add_up(add_up(prop, local(&p)), local(&v))
            }
        };
        BoundedValue::new(v, e)
    }
    fn sqrt(&self) -> Option<Self> {
        let s = self.v.sqrt()?;
        let via_root = sqrt_up(self.e);
        let lo = s.abs_down();
        let prop = if lo > 0.0 {
            via_root.min(div_up(self.e, lo))
        } else {
            via_root
        };
        let e = add_up(prop, local(&s));
        Some(BoundedValue::new(s, e))
    }
    fn exp(&self) -> Option<Self> {
        let v = self.v.exp()?;
        // e^{v + e}, rounded up, bounds the derivative on the whole interval.
        let (hi, _) = Float::with_val_round(
            64,
            Float::with_val(64, self.v.value_up()) + self.e,
            Round::Up,
        );
        let (ex, _) = Float::with_val_round(64, hi.exp_ref(), Round::Up);
        let prop = mul_up(ex.to_f64_round(Round::Up), self.e);
        let e = add_up(prop, local(&v));
        Some(BoundedValue::new(v, e))
    }
    fn ln(&self) -> Option<Self> {
        let v = self.v.ln()?;
        let lo = self.v.abs_down();
        let prop = if self.e < lo {
            div_up(self.e, (lo - self.e).next_down())
        } else {
            f64::INFINITY
        };
        let e = add_up(prop, local(&v));
        Some(BoundedValue::new(v, e))
    }
    fn cos_pi(q: &Rational) -> Option<Self> {
        let v = F::cos_pi(q)?;
        // Besides the final rounding, the working-precision evaluation of π·q and its cosine
        // (p_w = F::COS_WORKING_BITS bits): |fl(π)q − πq| ≤ 2^{1−p_w}π|q|, |cos' | ≤ 1, and the
        // cosine's own rounding 2^{−p_w} — at most (4|q| + 1)·2^{1−p_w} in all.
        let qa = rational_to_f64_up(&Rational::from(q.abs_ref()));
        let extra = mul_up(
            add_up(mul_up(4.0, qa), 1.0),
            f64::powi(2.0, 1 - F::cos_working_bits() as i32),
        );
        let e = add_up(local(&v), extra);
        Some(BoundedValue::new(v, e))
    }
    fn is_finite(&self) -> bool {
        self.v.is_finite()
    }
    fn size_bits(&self) -> u64 {
        self.v.size_bits()
    }
    fn abs(&self) -> Self {
        BoundedValue {
            v: self.v.abs(),
            e: self.e,
        }
    }
    fn written(&self) -> Written {
        Written::WithError {
            value: Box::new(self.v.written()),
            error: self.e,
        }
    }
    fn certainly_greater(&self, other: &Self) -> bool {
        !self.possibly_le(other)
    }
}

/// A floating vector with one bound on the Euclidean distance to the exact vector.
#[derive(Clone, Debug, PartialEq)]
pub struct BoundedVector<F: Floating> {
    /// The values (bitwise those of the plain run).
    pub v: F::Vector,
    /// An upper bound on `‖v − exact‖₂`.
    pub e: f64,
}

/// An f64 vector with a derived error bound.
pub type BoundedVec = BoundedVector<f64>;

/// An upper bound on the Euclidean norm of a floating vector.
pub(crate) fn vnorm_up<F: Floating>(v: &F::Vector) -> f64 {
    sqrt_up((0..v.len()).fold(0.0, |s, i| {
        let a = v.get(i).abs_up();
        add_up(s, mul_up(a, a))
    }))
}

/// An upper bound on `Σ|v_i|`.
fn vnorm1_up<F: Floating>(v: &F::Vector) -> f64 {
    (0..v.len()).fold(0.0, |s, i| add_up(s, v.get(i).abs_up()))
}

impl<F: Floating> BoundedVector<F> {
    /// A vector with a given bound (infinite if a value is not finite).
    pub fn new(v: F::Vector, e: f64) -> Self {
        let e = if v.is_finite() {
            clean(e)
        } else {
            f64::INFINITY
        };
        BoundedVector { v, e }
    }
    fn eta_n(&self) -> f64 {
        mul_up(F::UNDERFLOW, sqrt_up(self.v.len() as f64))
    }
    /// `u‖v‖ + η√n`, the local error of one rounded elementwise operation producing `v`.
    fn local_of(&self) -> f64 {
        add_up(
            mul_up(F::unit_roundoff(), vnorm_up::<F>(&self.v)),
            self.eta_n(),
        )
    }

    /// Whether the exact vector `x` is within the bound: `‖v − x‖₂ ≤ e`, decided exactly.
    pub fn encloses(&self, x: &[Rational]) -> bool {
        let Some(e) = Rational::from_f64(self.e) else {
            return self.e.is_infinite() && self.v.is_finite();
        };
        let mut d2 = Rational::new();
        for (i, xi) in x.iter().enumerate() {
            let Some(vi) = self.v.get(i).to_rational() else {
                return false;
            };
            let d = Rational::from(vi - xi);
            d2 += Rational::from(&d * &d);
        }
        d2 <= Rational::from(&e * &e)
    }
}

impl<F: Floating> Vector<BoundedValue<F>> for BoundedVector<F> {
    fn from_scalars(xs: &[BoundedValue<F>]) -> Self {
        let e = sqrt_up(xs.iter().fold(0.0, |s, x| add_up(s, mul_up(x.e, x.e))));
        let v = F::Vector::from_scalars(&xs.iter().map(|x| x.v.clone()).collect::<Vec<_>>());
        BoundedVector::new(v, e)
    }
    fn zeros(n: usize) -> Self {
        BoundedVector {
            v: F::Vector::zeros(n),
            e: 0.0,
        }
    }
    fn len(&self) -> usize {
        self.v.len()
    }
    fn get(&self, i: usize) -> BoundedValue<F> {
        BoundedValue::new(self.v.get(i), self.e)
    }
    fn axpy(&mut self, a: &BoundedValue<F>, x: &Self, rounding: Rounding) {
        let prop = add_up(
            mul_up(a.v.abs_up(), x.e),
            mul_up(a.e, add_up(vnorm_up::<F>(&x.v), x.e)),
        );
        let naive_products = match rounding {
            Rounding::Naive => {
                let mut p = x.v.clone();
                p.scale(&a.v);
                add_up(mul_up(F::unit_roundoff(), vnorm_up::<F>(&p)), self.eta_n())
            }
            Rounding::Fused => 0.0,
        };
        self.v.axpy(&a.v, &x.v, rounding);
        let e = add_up(
            add_up(self.e, prop),
            add_up(self.local_of(), naive_products),
        );
        *self = BoundedVector::new(std::mem::replace(&mut self.v, F::Vector::zeros(0)), e);
    }
    fn scale(&mut self, a: &BoundedValue<F>) {
        let prop = add_up(
            mul_up(a.v.abs_up(), self.e),
            mul_up(a.e, add_up(vnorm_up::<F>(&self.v), self.e)),
        );
        self.v.scale(&a.v);
        let e = add_up(prop, self.local_of());
        *self = BoundedVector::new(std::mem::replace(&mut self.v, F::Vector::zeros(0)), e);
    }
    fn negate(&mut self) {
        self.v.negate();
    }
    fn add_assign(&mut self, x: &Self) {
        self.v.add_assign(&x.v);
        let e = add_up(add_up(self.e, x.e), self.local_of());
        *self = BoundedVector::new(std::mem::replace(&mut self.v, F::Vector::zeros(0)), e);
    }
    fn sub_assign(&mut self, x: &Self) {
        self.v.sub_assign(&x.v);
        let e = add_up(add_up(self.e, x.e), self.local_of());
        *self = BoundedVector::new(std::mem::replace(&mut self.v, F::Vector::zeros(0)), e);
    }
    fn dot(&self, x: &Self) -> BoundedValue<F> {
        let s = self.v.dot(&x.v);
        let n = self.v.len();
        let prop = add_up(
            add_up(
                mul_up(vnorm_up::<F>(&self.v), x.e),
                mul_up(vnorm_up::<F>(&x.v), self.e),
            ),
            mul_up(self.e, x.e),
        );
        let abs_sum = (0..n).fold(0.0, |acc, i| {
            add_up(acc, mul_up(self.v.get(i).abs_up(), x.v.get(i).abs_up()))
        });
        let rounding = add_up(
            mul_up(gamma_up(n, F::unit_roundoff()), abs_sum),
            mul_up(n as f64, F::UNDERFLOW),
        );
        BoundedValue::new(s, add_up(prop, rounding))
    }
    fn is_finite(&self) -> bool {
        // Divergence is about the values; an infinite bound only means nothing can be said.
        self.v.is_finite()
    }
    fn max_bits(&self) -> u64 {
        self.v.max_bits()
    }
    fn is_zero_at(&self, i: usize) -> bool {
        self.v.is_zero_at(i)
    }
}

/// A matrix for bounded runs: the floating matrix, `|a_ij|` of the exact matrix rounded up, and an
/// upper bound on its `‖A‖₂`.
#[derive(Clone, Debug)]
pub struct BoundedMatrix<F: Floating> {
    m: F::Matrix,
    abs_rows: Vec<Vec<(usize, f64)>>,
    norm: f64,
}

/// An f64 matrix for bounded runs.
pub type BoundedMat = BoundedMatrix<f64>;

impl<F: Floating> Matrix<BoundedValue<F>> for BoundedMatrix<F> {
    fn from_exact(m: &QMat) -> Self {
        BoundedMatrix {
            m: F::Matrix::from_exact(m),
            abs_rows: (0..m.rows())
                .map(|i| {
                    m.row_entries(i)
                        .map(|(j, q)| (j, rational_to_f64_up(&q.abs())))
                        .collect()
                })
                .collect(),
            norm: rational_to_f64_up(m.norm_bound()),
        }
    }
    fn rows(&self) -> usize {
        self.m.rows()
    }
    fn cols(&self) -> usize {
        self.m.cols()
    }
    fn matvec(&self, x: &BoundedVector<F>) -> BoundedVector<F> {
        let v = self.m.matvec(&x.v);
        let u = F::unit_roundoff();
        let xs: Vec<f64> = (0..x.v.len()).map(|j| x.v.get(j).abs_up()).collect();
        let x1 = vnorm1_up::<F>(&x.v);
        let per_row: Vec<f64> = self
            .abs_rows
            .iter()
            .map(|row| {
                let w = row
                    .iter()
                    .fold(0.0, |acc, (j, a)| add_up(acc, mul_up(*a, xs[*j])));
                let c = add_up(mul_up(gamma_up(row.len(), u), add_up(1.0, u)), u);
                let eta = mul_up(F::UNDERFLOW, add_up(mul_up(2.0, x1), row.len() as f64));
                add_up(mul_up(c, w), eta)
            })
            .collect();
        let e = add_up(mul_up(self.norm, x.e), norm_up(&per_row));
        BoundedVector::new(v, e)
    }
}
