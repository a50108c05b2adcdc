//! f64 with a derived error bound: how far an f64 trace can be from the exact one.
//!
//! [`Bounded`] is an f64 value `v` together with a bound `e` such that the exact real result `x` of
//! the same computation (exact hyper-parameters, exact data, no rounding) satisfies `|v − x| ≤ e`.
//! [`BoundedVec`] carries one bound for the whole vector, on the Euclidean norm `‖v − x‖₂` (so it
//! bounds every coordinate too). Running an optimizer in this arithmetic executes *the same
//! operations in the same order* as the plain f64 run — the values are bitwise those of the f64
//! trace, which the tests check — and derives the bound alongside.
//!
//! # The derivation
//!
//! Rounding model (IEEE binary64, round to nearest): for a computed result `r = fl(z)`,
//! `|r − z| ≤ u·|r| + η` with `u = 2⁻⁵³` and `η = 2⁻¹⁰⁷⁴` covering gradual underflow (Higham,
//! *Accuracy and Stability of Numerical Algorithms*, 2nd ed., eq. (2.5) and §2.1). Each operation
//! adds the propagated error of its inputs to this local error:
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
//!   `(γ_{n_i} + u) Σ_j |â_ij x̂_j| + η(‖x̂‖₁ + n_i)` for the rounded entries and the rounded sum.
//! * A general problem's gradient (through [`BoundedOracle`]) adds `L·e_x` (L-smoothness) to the
//!   family's derived rounding bound at `x̂`; values and gaps add `‖∇f(x̂)‖e_x + (L/2)e_x²` (the
//!   descent lemma) to theirs.
//!
//! All bound arithmetic is itself rounded upwards (`next_up` after every operation on
//! non-negative numbers), so the computed bound is never below the mathematical one.
//!
//! The bound is a priori and worst case: through a momentum method's feedback loop it grows
//! geometrically with a rate set by `1 + γL + μ`, so it is tight for short runs and for replays of
//! a fixed gradient sequence (no feedback: linear growth), loose for long runs on ill-conditioned
//! problems. It never claims less than is true.

use std::cmp::Ordering;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use rug::float::Round;
use rug::{Float, Rational};

use crate::error::{Error, Result};
use crate::linalg::{F64Mat, Matrix, QMat, Vector};
use crate::problem::{Oracle, Problem};
use crate::scalar::{Number, Rounding, rational_to_f64};

/// The unit roundoff of binary64, `2⁻⁵³`.
pub const UNIT_ROUNDOFF: f64 = 1.0 / 9_007_199_254_740_992.0;

/// The smallest positive subnormal, `2⁻¹⁰⁷⁴`: an upper bound on the absolute rounding error of a
/// result in the subnormal range.
pub const UNDERFLOW: f64 = 4.9406564584124654e-324;

const U: f64 = UNIT_ROUNDOFF;

fn clean(x: f64) -> f64 {
    if x.is_nan() { f64::INFINITY } else { x }
}
fn add_up(a: f64, b: f64) -> f64 {
    clean((a + b).next_up())
}
fn mul_up(a: f64, b: f64) -> f64 {
    if a == 0.0 || b == 0.0 {
        return 0.0;
    }
    clean((a * b).next_up())
}
fn div_up(a: f64, b: f64) -> f64 {
    if a == 0.0 {
        return 0.0;
    }
    if b <= 0.0 {
        return f64::INFINITY;
    }
    clean((a / b).next_up())
}
fn sqrt_up(a: f64) -> f64 {
    clean(a.sqrt().next_up())
}
/// The local rounding error bound of a computed result `r`.
fn local(r: f64) -> f64 {
    if !r.is_finite() {
        return f64::INFINITY;
    }
    add_up(mul_up(U, r.abs()), UNDERFLOW)
}
/// An upper bound on the Euclidean norm of `v`.
pub fn norm_up(v: &[f64]) -> f64 {
    sqrt_up(
        v.iter()
            .fold(0.0, |s, x| add_up(s, mul_up(x.abs(), x.abs()))),
    )
}
/// An upper bound on `Σ|v_i|`.
fn norm1_up(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |s, x| add_up(s, x.abs()))
}
/// An upper bound on `γ_n = nu/(1 − nu)`.
fn gamma_up(n: usize) -> f64 {
    let nu = mul_up(n as f64, U);
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
/// `|a·b − a*·b*|` bound for the product of two bounded values.
fn product_error(a: &Bounded, b: &Bounded) -> f64 {
    add_up(
        add_up(mul_up(a.v.abs(), b.e), mul_up(b.v.abs(), a.e)),
        mul_up(a.e, b.e),
    )
}

/// An f64 value with a rigorous bound on its distance to the exact result. See the
/// [module documentation](self) for the rules.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Bounded {
    /// The f64 value (bitwise what the plain f64 run computes).
    pub v: f64,
    /// An upper bound on `|v − exact|` (infinite when nothing can be said).
    pub e: f64,
}

impl Bounded {
    /// A value with a given bound.
    pub fn new(v: f64, e: f64) -> Self {
        let e = if v.is_finite() {
            clean(e)
        } else {
            f64::INFINITY
        };
        Bounded { v, e }
    }

    /// An exactly known f64 (error 0).
    pub fn exact(v: f64) -> Self {
        Bounded::new(v, 0.0)
    }

    /// Whether the exact value `x` is within the bound: `|v − x| ≤ e`, decided exactly in ℚ.
    pub fn encloses(&self, x: &Rational) -> bool {
        match (Rational::from_f64(self.v), Rational::from_f64(self.e)) {
            (Some(v), Some(e)) => Rational::from(v - x).abs() <= e,
            _ => self.e.is_infinite() && self.v.is_finite(),
        }
    }
}

impl Neg for Bounded {
    type Output = Bounded;
    fn neg(self) -> Bounded {
        Bounded {
            v: -self.v,
            e: self.e,
        }
    }
}

impl Add<&Bounded> for Bounded {
    type Output = Bounded;
    fn add(self, rhs: &Bounded) -> Bounded {
        let v = self.v + rhs.v;
        Bounded::new(v, add_up(add_up(self.e, rhs.e), local(v)))
    }
}

impl Sub<&Bounded> for Bounded {
    type Output = Bounded;
    fn sub(self, rhs: &Bounded) -> Bounded {
        let v = self.v - rhs.v;
        Bounded::new(v, add_up(add_up(self.e, rhs.e), local(v)))
    }
}

impl Mul<&Bounded> for Bounded {
    type Output = Bounded;
    fn mul(self, rhs: &Bounded) -> Bounded {
        let v = self.v * rhs.v;
        Bounded::new(v, add_up(product_error(&self, rhs), local(v)))
    }
}

impl Div<&Bounded> for Bounded {
    type Output = Bounded;
    fn div(self, rhs: &Bounded) -> Bounded {
        let v = self.v / rhs.v;
        let b = rhs.v.abs();
        if rhs.e >= b {
            return Bounded::new(v, f64::INFINITY);
        }
        let num = add_up(mul_up(self.v.abs(), rhs.e), mul_up(b, self.e));
        let den = (b * (b - rhs.e).next_down()).next_down();
        Bounded::new(v, add_up(div_up(num, den), local(v)))
    }
}

macro_rules! assign_via {
    ($tr:ident, $m:ident, $op:tt) => {
        impl $tr<&Bounded> for Bounded {
            fn $m(&mut self, rhs: &Bounded) {
                *self = *self $op rhs;
            }
        }
    };
}
assign_via!(AddAssign, add_assign, +);
assign_via!(SubAssign, sub_assign, -);
assign_via!(MulAssign, mul_assign, *);
assign_via!(DivAssign, div_assign, /);

impl Number for Bounded {
    type Vector = BoundedVec;
    type Matrix = BoundedMat;
    const EXACT: bool = false;

    fn arithmetic_name() -> String {
        "f64+bound".into()
    }
    fn from_rational(q: &Rational) -> Self {
        let v = rational_to_f64(q);
        let e = match Rational::from_f64(v) {
            Some(r) => rational_to_f64_up(&Rational::from(r - q).abs()),
            None => f64::INFINITY,
        };
        Bounded::new(v, e)
    }
    fn to_rational(&self) -> Option<Rational> {
        Rational::from_f64(self.v)
    }
    fn to_f64(&self) -> f64 {
        self.v
    }
    fn mul_add(&self, b: &Self, c: &Self, rounding: Rounding) -> Self {
        let prop = add_up(product_error(self, b), c.e);
        match rounding {
            Rounding::Fused => {
                let v = self.v.mul_add(b.v, c.v);
                Bounded::new(v, add_up(prop, local(v)))
            }
            Rounding::Naive => {
                let p = self.v * b.v;
                let v = p + c.v;
                Bounded::new(v, add_up(add_up(prop, local(p)), local(v)))
            }
        }
    }
    fn sqrt(&self) -> Option<Self> {
        if self.v < 0.0 {
            return None;
        }
        let s = self.v.sqrt();
        let via_root = sqrt_up(self.e);
        let prop = if s > 0.0 {
            via_root.min(div_up(self.e, s.next_down()))
        } else {
            via_root
        };
        Some(Bounded::new(s, add_up(prop, local(s))))
    }
    fn exp(&self) -> Option<Self> {
        let v = <f64 as Number>::exp(&self.v)?;
        // e^{v + e}, rounded up, bounds the derivative on the whole interval.
        let (hi, _) = Float::with_val_round(64, Float::with_val(64, self.v) + self.e, Round::Up);
        let (ex, _) = Float::with_val_round(64, hi.exp_ref(), Round::Up);
        let prop = mul_up(ex.to_f64_round(Round::Up), self.e);
        Some(Bounded::new(v, add_up(prop, local(v))))
    }
    fn ln(&self) -> Option<Self> {
        let v = <f64 as Number>::ln(&self.v)?;
        let prop = if self.e < self.v {
            div_up(self.e, (self.v - self.e).next_down())
        } else {
            f64::INFINITY
        };
        Some(Bounded::new(v, add_up(prop, local(v))))
    }
    fn cos_pi(q: &Rational) -> Option<Self> {
        let v = <f64 as Number>::cos_pi(q)?;
        Some(Bounded::new(v, local(v)))
    }
    fn is_finite(&self) -> bool {
        self.v.is_finite() && self.e.is_finite()
    }
    fn size_bits(&self) -> u64 {
        64
    }
    fn abs(&self) -> Self {
        Bounded {
            v: self.v.abs(),
            e: self.e,
        }
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "dec": crate::rational::format_f64(self.v),
            "bits": crate::rational::f64_bits(self.v),
            "err": crate::rational::format_f64(self.e),
        })
    }
    fn oracle(problem: &dyn Problem) -> Result<Box<dyn Oracle<Self> + '_>> {
        problem.bounded_oracle()
    }
}

/// An f64 vector with one bound on the Euclidean distance to the exact vector.
#[derive(Clone, Debug, PartialEq)]
pub struct BoundedVec {
    /// The f64 values (bitwise those of the plain f64 run).
    pub v: Vec<f64>,
    /// An upper bound on `‖v − exact‖₂`.
    pub e: f64,
}

impl BoundedVec {
    fn set_e(&mut self, e: f64) {
        self.e = if self.v.iter().all(|x| x.is_finite()) {
            clean(e)
        } else {
            f64::INFINITY
        };
    }
    fn eta_n(&self) -> f64 {
        mul_up(UNDERFLOW, sqrt_up(self.v.len() as f64))
    }
}

impl Vector<Bounded> for BoundedVec {
    fn from_scalars(xs: &[Bounded]) -> Self {
        let e = sqrt_up(xs.iter().fold(0.0, |s, x| add_up(s, mul_up(x.e, x.e))));
        let mut out = BoundedVec {
            v: xs.iter().map(|x| x.v).collect(),
            e: 0.0,
        };
        out.set_e(e);
        out
    }
    fn zeros(n: usize) -> Self {
        BoundedVec {
            v: vec![0.0; n],
            e: 0.0,
        }
    }
    fn len(&self) -> usize {
        self.v.len()
    }
    fn get(&self, i: usize) -> Bounded {
        Bounded::new(self.v[i], self.e)
    }
    fn axpy(&mut self, a: &Bounded, x: &Self, rounding: Rounding) {
        let prop = add_up(
            mul_up(a.v.abs(), x.e),
            mul_up(a.e, add_up(norm_up(&x.v), x.e)),
        );
        let naive_products = match rounding {
            Rounding::Naive => {
                let p: Vec<f64> = x.v.iter().map(|xi| xi * a.v).collect();
                add_up(mul_up(U, norm_up(&p)), self.eta_n())
            }
            Rounding::Fused => 0.0,
        };
        self.v.axpy(&a.v, &x.v, rounding);
        let rounding_err = add_up(
            add_up(mul_up(U, norm_up(&self.v)), self.eta_n()),
            naive_products,
        );
        let e = add_up(add_up(self.e, prop), rounding_err);
        self.set_e(e);
    }
    fn scale(&mut self, a: &Bounded) {
        let prop = add_up(
            mul_up(a.v.abs(), self.e),
            mul_up(a.e, add_up(norm_up(&self.v), self.e)),
        );
        self.v.scale(&a.v);
        let e = add_up(prop, add_up(mul_up(U, norm_up(&self.v)), self.eta_n()));
        self.set_e(e);
    }
    fn negate(&mut self) {
        self.v.negate();
    }
    fn add_assign(&mut self, x: &Self) {
        self.v.add_assign(&x.v);
        let e = add_up(
            add_up(self.e, x.e),
            add_up(mul_up(U, norm_up(&self.v)), self.eta_n()),
        );
        self.set_e(e);
    }
    fn sub_assign(&mut self, x: &Self) {
        self.v.sub_assign(&x.v);
        let e = add_up(
            add_up(self.e, x.e),
            add_up(mul_up(U, norm_up(&self.v)), self.eta_n()),
        );
        self.set_e(e);
    }
    fn dot(&self, x: &Self) -> Bounded {
        let s = self.v.dot(&x.v);
        let n = self.v.len();
        let prop = add_up(
            add_up(mul_up(norm_up(&self.v), x.e), mul_up(norm_up(&x.v), self.e)),
            mul_up(self.e, x.e),
        );
        let abs_sum = self
            .v
            .iter()
            .zip(&x.v)
            .fold(0.0, |acc, (a, b)| add_up(acc, mul_up(a.abs(), b.abs())));
        let rounding_err = add_up(mul_up(gamma_up(n), abs_sum), mul_up(n as f64, UNDERFLOW));
        Bounded::new(s, add_up(prop, rounding_err))
    }
    fn is_finite(&self) -> bool {
        self.e.is_finite() && self.v.iter().all(|x| x.is_finite())
    }
    fn max_bits(&self) -> u64 {
        64
    }
    fn is_zero_at(&self, i: usize) -> bool {
        self.v[i] == 0.0
    }
}

/// A matrix for bounded runs: the f64 matrix plus an upper bound on the exact matrix's `‖A‖₂`.
#[derive(Clone, Debug, PartialEq)]
pub struct BoundedMat {
    f: F64Mat,
    norm: f64,
}

impl Matrix<Bounded> for BoundedMat {
    fn from_exact(m: &QMat) -> Self {
        BoundedMat {
            f: F64Mat::from_exact(m),
            norm: rational_to_f64_up(m.norm_bound()),
        }
    }
    fn rows(&self) -> usize {
        self.f.rows()
    }
    fn cols(&self) -> usize {
        self.f.cols()
    }
    fn matvec(&self, x: &BoundedVec) -> BoundedVec {
        let v = self.f.matvec(&x.v);
        let x1 = norm1_up(&x.v);
        let per_row: Vec<f64> = (0..self.f.rows())
            .map(|i| {
                let row = self.f.row(i);
                let w = row.iter().fold(0.0, |acc, (j, a)| {
                    add_up(acc, mul_up(a.abs(), x.v[*j].abs()))
                });
                let c = add_up(gamma_up(row.len()), U);
                add_up(
                    mul_up(c, w),
                    mul_up(UNDERFLOW, add_up(x1, row.len() as f64)),
                )
            })
            .collect();
        let e = add_up(mul_up(self.norm, x.e), norm_up(&per_row));
        let mut out = BoundedVec { v, e: 0.0 };
        out.set_e(e);
        out
    }
}

/// The bounded oracle of a problem that is not a quadratic form: the f64 oracle's values, with
/// the bound `L·e_x + (derived rounding bound)` for gradients and the descent-lemma bound for
/// values and gaps (see the [module documentation](self)).
pub struct BoundedOracle<'a, P: ?Sized> {
    problem: &'a P,
    inner: Box<dyn Oracle<f64> + 'a>,
    smoothness: f64,
}

impl<'a, P: Problem + ?Sized> BoundedOracle<'a, P> {
    /// Wraps `problem`'s f64 oracle.
    ///
    /// # Errors
    /// [`Error::Unavailable`] if the problem has no smoothness constant.
    pub fn wrap(problem: &'a P) -> Result<Box<dyn Oracle<Bounded> + 'a>> {
        let l = problem.smoothness().ok_or_else(|| Error::Unavailable {
            what: "a smoothness constant L (needed for the f64 error bound)",
            subject: problem.spec(),
        })?;
        Ok(Box::new(BoundedOracle {
            problem,
            inner: problem.f64_oracle()?,
            smoothness: rational_to_f64_up(&l),
        }))
    }

    fn rounding(&self, x: &[f64]) -> Result<crate::problem::F64RoundingBound> {
        self.problem
            .f64_rounding(x)
            .ok_or_else(|| Error::Unavailable {
                what: "a derived f64 rounding bound",
                subject: self.problem.spec(),
            })
    }

    /// `‖∇f(x̂)‖e + (L/2)e²`, the descent-lemma bound on `|f(x̂) − f(x)|`.
    fn value_propagation(&mut self, x: &BoundedVec, grad_rounding: f64) -> Result<f64> {
        let g = self.inner.gradient(&x.v)?;
        let gnorm = add_up(norm_up(&g), grad_rounding);
        Ok(add_up(
            mul_up(gnorm, x.e),
            mul_up(mul_up(0.5, self.smoothness), mul_up(x.e, x.e)),
        ))
    }
}

impl<P: Problem + ?Sized> Oracle<Bounded> for BoundedOracle<'_, P> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn value(&mut self, x: &BoundedVec) -> Result<Bounded> {
        let f = self.inner.value(&x.v)?;
        let r = self.rounding(&x.v)?;
        let prop = self.value_propagation(x, r.gradient)?;
        Ok(Bounded::new(f, add_up(prop, r.value)))
    }
    fn gradient(&mut self, x: &BoundedVec) -> Result<BoundedVec> {
        let g = self.inner.gradient(&x.v)?;
        let r = self.rounding(&x.v)?;
        let mut out = BoundedVec { v: g, e: 0.0 };
        out.set_e(add_up(mul_up(self.smoothness, x.e), r.gradient));
        Ok(out)
    }
    fn gap(&mut self, x: &BoundedVec) -> Result<Option<Bounded>> {
        let Some(gap) = self.inner.gap(&x.v)? else {
            return Ok(None);
        };
        let r = self.rounding(&x.v)?;
        let prop = self.value_propagation(x, r.gradient)?;
        Ok(Some(Bounded::new(gap, add_up(prop, r.gap))))
    }
}

impl PartialEq<f64> for Bounded {
    fn eq(&self, other: &f64) -> bool {
        self.v == *other
    }
}

impl PartialOrd<f64> for Bounded {
    fn partial_cmp(&self, other: &f64) -> Option<Ordering> {
        self.v.partial_cmp(other)
    }
}
