//! An elementwise error envelope valid for *other* implementations' operation orders.
//!
//! [`crate::arith::bounded`] bounds the error of this crate's own f64 program. A conformance check of
//! someone else's optimizer needs more: their kernel may fuse where ours does not, compute the
//! products of `v·μ − g·γ` in another order, or distribute the learning rate over a sum as TF does
//! (`var −= g·γ + accum·μ·γ` for `γ(g + μ·accum)`). [`Envelope`] tracks, for every element:
//!
//! * `v` — the value of the naive-order f64 run (kept so the type is a [`Number`]);
//! * `m` — the *magnitude* of the exact expression: the same expression evaluated with every
//!   input and constant replaced by its absolute value (`m(a ± b) = m(a) + m(b)`,
//!   `m(a·b) = m(a)·m(b)`); every intermediate of any regrouping of the expression's expansion has
//!   absolute value at most `m` of the enclosing operation's result;
//! * `e` — a bound on `|x̂ − x|` for the implementation's value x̂ and the exact x.
//!
//! Each operation adds the propagated error of its inputs (as in [`crate::arith::bounded`], with `m + e`
//! bounding computed magnitudes) and charges `2·(u·(m + e) + η)` for rounding: room for twice the
//! documented number of roundings per operation, each at most `u` relative to a magnitude that no
//! intermediate of the operation exceeds.
//!
//! **What is guaranteed.** For an implementation that evaluates the documented elementwise update
//! (see each optimizer's operation order) in binary64 with round-to-nearest, with any mix of
//! fused and unfused multiply-adds, any order of the operands of each operation, and regroupings
//! of an operation that use at most twice its roundings, every element stays within `e` of the
//! exact value. Elements do not interact in a replay (no gradient feedback), so elementwise
//! tracking loses nothing. Flushing subnormals to zero is covered by η = 2⁻¹⁰²² (the smallest
//! normal) instead of 2⁻¹⁰⁷⁴.

use std::cmp::Ordering;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use rug::Rational;

use crate::arith::bounded::{UNIT_ROUNDOFF, add_up, clean, div_up, mul_up, rational_to_f64_up};
use crate::arith::linalg::{Matrix, QMat, Vector};
use crate::arith::scalar::Written;
use crate::arith::{Number, Rounding, rational_to_f64};

/// Absolute error of a rounding in the subnormal range, or of flushing it to zero (2⁻¹⁰²²).
const ETA: f64 = f64::MIN_POSITIVE;

/// The rounding charge of one documented operation whose result has magnitude `m` and error `e`.
fn charge(m: f64, e: f64) -> f64 {
    mul_up(2.0, add_up(mul_up(UNIT_ROUNDOFF, add_up(m, e)), ETA))
}

/// An f64 element with an order-independent error bound. See the [module documentation](self).
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Envelope {
    /// The naive-order f64 value.
    pub v: f64,
    /// A bound on `|x̂ − x|` for any conforming implementation's x̂.
    pub e: f64,
    /// The magnitude of the exact expression.
    pub m: f64,
}

impl Envelope {
    fn new(v: f64, e: f64, m: f64) -> Self {
        let e = if v.is_finite() {
            clean(e)
        } else {
            f64::INFINITY
        };
        Envelope { v, e, m: clean(m) }
    }
    /// An upper bound on the magnitude of any computed value of this element.
    fn reach(&self) -> f64 {
        add_up(self.m, self.e)
    }
    fn product(a: &Self, b: &Self) -> (f64, f64) {
        let m = mul_up(a.m, b.m);
        // |âb̂ − ab| ≤ |â||b̂ − b| + |b||â − a|, with |â| ≤ m_a + e_a and |b| ≤ m_b.
        let prop = add_up(mul_up(a.reach(), b.e), mul_up(b.m, a.e));
        (m, prop)
    }
}

impl Neg for Envelope {
    type Output = Self;
    fn neg(self) -> Self {
        Envelope { v: -self.v, ..self }
    }
}

impl Add<&Envelope> for Envelope {
    type Output = Self;
    fn add(self, rhs: &Self) -> Self {
        let m = add_up(self.m, rhs.m);
        let e = add_up(self.e, rhs.e);
        Envelope::new(self.v + rhs.v, add_up(e, charge(m, e)), m)
    }
}

impl Sub<&Envelope> for Envelope {
    type Output = Self;
    fn sub(self, rhs: &Self) -> Self {
        let m = add_up(self.m, rhs.m);
        let e = add_up(self.e, rhs.e);
        Envelope::new(self.v - rhs.v, add_up(e, charge(m, e)), m)
    }
}

impl Mul<&Envelope> for Envelope {
    type Output = Self;
    fn mul(self, rhs: &Self) -> Self {
        let (m, prop) = Envelope::product(&self, rhs);
        Envelope::new(self.v * rhs.v, add_up(prop, charge(m, prop)), m)
    }
}

impl Div<&Envelope> for Envelope {
    type Output = Self;
    fn div(self, rhs: &Self) -> Self {
        // Divisions only appear in constants (γ_t/γ_{t−1}); bound them as in `crate::arith::bounded`.
        let b = rhs.v.abs();
        let v = self.v / rhs.v;
        if rhs.e >= b {
            return Envelope::new(v, f64::INFINITY, f64::INFINITY);
        }
        let lo = (b - rhs.e).next_down();
        let m = div_up(self.m, lo);
        let prop = div_up(
            add_up(mul_up(self.reach(), rhs.e), mul_up(b, self.e)),
            (b * lo).next_down(),
        );
        Envelope::new(v, add_up(prop, charge(m, prop)), m)
    }
}

macro_rules! assign_via {
    ($tr:ident, $m:ident, $op:tt) => {
        impl $tr<&Envelope> for Envelope {
            fn $m(&mut self, rhs: &Self) {
                *self = *self $op rhs;
            }
        }
    };
}
assign_via!(AddAssign, add_assign, +);
assign_via!(SubAssign, sub_assign, -);
assign_via!(MulAssign, mul_assign, *);
assign_via!(DivAssign, div_assign, /);

impl Number for Envelope {
    type Vector = Vec<Envelope>;
    type Matrix = EnvelopeMat;
    const EXACT: bool = false;

    fn arithmetic_name() -> String {
        "f64-envelope".into()
    }
    fn from_rational(q: &Rational) -> Self {
        let v = rational_to_f64(q);
        let e = Rational::from_f64(v).map_or(f64::INFINITY, |r| {
            rational_to_f64_up(&Rational::from(r - q).abs())
        });
        Envelope::new(v, e, rational_to_f64_up(&Rational::from(q.abs_ref())))
    }
    fn to_rational(&self) -> Option<Rational> {
        Rational::from_f64(self.v)
    }
    fn to_f64(&self) -> f64 {
        self.v
    }
    fn mul_add(&self, b: &Self, c: &Self, _rounding: Rounding) -> Self {
        // The value follows the naive order; the bound covers both models (and more).
        let (pm, prop) = Envelope::product(self, b);
        let m = add_up(pm, c.m);
        let e = add_up(prop, c.e);
        Envelope::new(self.v * b.v + c.v, add_up(e, charge(m, e)), m)
    }
    fn sqrt(&self) -> Option<Self> {
        // No replayed update takes a square root of a state element; constants with square roots
        // (FISTA, OGM) are not replayed. Refuse rather than claim an unproved bound.
        None
    }
    fn exp(&self) -> Option<Self> {
        None
    }
    fn ln(&self) -> Option<Self> {
        None
    }
    fn cos_pi(_q: &Rational) -> Option<Self> {
        None
    }
    fn is_finite(&self) -> bool {
        self.v.is_finite()
    }
    fn size_bits(&self) -> u64 {
        64
    }
    fn abs(&self) -> Self {
        Envelope {
            v: self.v.abs(),
            ..*self
        }
    }
    fn written(&self) -> Written {
        Written::WithError {
            value: Box::new(Written::Binary64(self.v)),
            error: self.e,
        }
    }
}

impl PartialEq<f64> for Envelope {
    fn eq(&self, other: &f64) -> bool {
        self.v == *other
    }
}

impl PartialOrd<f64> for Envelope {
    fn partial_cmp(&self, other: &f64) -> Option<Ordering> {
        self.v.partial_cmp(other)
    }
}

impl Vector<Envelope> for Vec<Envelope> {
    fn from_scalars(xs: &[Envelope]) -> Self {
        xs.to_vec()
    }
    fn zeros(n: usize) -> Self {
        vec![Envelope::new(0.0, 0.0, 0.0); n]
    }
    fn len(&self) -> usize {
        <[Envelope]>::len(self)
    }
    fn get(&self, i: usize) -> Envelope {
        self[i]
    }
    fn axpy(&mut self, a: &Envelope, x: &Self, rounding: Rounding) {
        assert_eq!(self.len(), x.len(), "vector length mismatch");
        for (y, xi) in self.iter_mut().zip(x) {
            *y = xi.mul_add(a, y, rounding);
        }
    }
    fn scale(&mut self, a: &Envelope) {
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
        assert_eq!(self.len(), x.len(), "vector length mismatch");
        for (y, xi) in self.iter_mut().zip(x) {
            *y += xi;
        }
    }
    fn sub_assign(&mut self, x: &Self) {
        assert_eq!(self.len(), x.len(), "vector length mismatch");
        for (y, xi) in self.iter_mut().zip(x) {
            *y -= xi;
        }
    }
    fn dot(&self, x: &Self) -> Envelope {
        self.iter()
            .zip(x)
            .fold(Envelope::new(0.0, 0.0, 0.0), |s, (a, b)| s + &(*a * b))
    }
    fn is_finite(&self) -> bool {
        self.iter().all(|x| x.v.is_finite())
    }
    fn max_bits(&self) -> u64 {
        64
    }
    fn is_zero_at(&self, i: usize) -> bool {
        self[i].v == 0.0
    }
}

/// A matrix for envelope runs: entries as envelopes (each the nearest f64 with its error).
#[derive(Clone, Debug, PartialEq)]
pub struct EnvelopeMat {
    rows: Vec<Vec<(usize, Envelope)>>,
    cols: usize,
}

impl Matrix<Envelope> for EnvelopeMat {
    fn from_exact(m: &QMat) -> Self {
        EnvelopeMat {
            rows: (0..m.rows())
                .map(|i| {
                    m.row_entries(i)
                        .map(|(j, q)| (j, Envelope::from_rational(&q)))
                        .collect()
                })
                .collect(),
            cols: m.cols(),
        }
    }
    fn rows(&self) -> usize {
        self.rows.len()
    }
    fn cols(&self) -> usize {
        self.cols
    }
    fn matvec(&self, x: &Vec<Envelope>) -> Vec<Envelope> {
        self.rows
            .iter()
            .map(|row| {
                row.iter()
                    .fold(Envelope::new(0.0, 0.0, 0.0), |s, (j, a)| s + &(*a * &x[*j]))
            })
            .collect()
    }
}
