//! The exact engine: rational vectors and matrices with one shared denominator.

use std::fmt;

use rug::{Integer, Rational};

use super::{Matrix, Vector, sqrt_upper};
use crate::error::{Error, Result};
use crate::scalar::Rounding;

/// An exact rational vector stored as integer numerators over one positive denominator.
///
/// Invariant (the *normal form*): `den > 0` and `gcd(den, num_0, …, num_{n−1}) = 1`. Two vectors
/// are equal iff their normal forms are identical, so `PartialEq` is structural. Every operation
/// restores the normal form with an early-exit gcd chain (usually one big gcd, since a random
/// numerator is nearly always coprime to the denominator).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct QVec {
    num: Vec<Integer>,
    den: Integer,
}

impl fmt::Debug for QVec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.num
                    .iter()
                    .map(|n| Rational::from((n.clone(), self.den.clone())).to_string()),
            )
            .finish()
    }
}

/// `lcm(a, b)` for positive integers, skipping the gcd when one divides the other (the common
/// case along an optimizer run, where denominators are nested).
fn lcm(a: &Integer, b: &Integer) -> Integer {
    if b.is_divisible(a) {
        b.clone()
    } else if a.is_divisible(b) {
        a.clone()
    } else {
        Integer::from(a.lcm_ref(b))
    }
}

impl QVec {
    /// The shared denominator (positive; in normal form).
    pub fn denominator(&self) -> &Integer {
        &self.den
    }

    /// The numerators over [`QVec::denominator`].
    pub fn numerators(&self) -> &[Integer] {
        &self.num
    }

    /// Builds the vector `num / den`.
    ///
    /// # Errors
    /// [`Error::DivisionByZero`] if `den == 0`.
    pub fn from_parts(num: Vec<Integer>, den: Integer) -> Result<Self> {
        if den == 0 {
            return Err(Error::DivisionByZero {
                context: "QVec denominator".into(),
            });
        }
        let mut v = QVec { num, den };
        if v.den < 0 {
            v.den = -v.den;
            for n in &mut v.num {
                *n = -std::mem::take(n);
            }
        }
        v.normalize();
        Ok(v)
    }

    /// Restores the normal form: divides out `gcd(den, num_0, …)`.
    fn normalize(&mut self) {
        if self.num.iter().all(|n| *n == 0) {
            self.den = Integer::from(1);
            return;
        }
        if self.den == 1 {
            return;
        }
        let mut g = self.den.clone();
        for n in &self.num {
            if *n != 0 {
                g.gcd_mut(n);
                if g == 1 {
                    return;
                }
            }
        }
        for n in &mut self.num {
            n.div_exact_mut(&g);
        }
        self.den.div_exact_mut(&g);
    }

    /// Rescales the numerators to denominator `new_den` (a multiple of the current one).
    fn rescale_to(&mut self, new_den: &Integer) {
        if *new_den == self.den {
            return;
        }
        let m = Integer::from(new_den.div_exact_ref(&self.den));
        for n in &mut self.num {
            *n *= &m;
        }
        self.den = new_den.clone();
    }

    /// `self ← self + s · x` for a rational `s`, exactly.
    fn add_scaled(&mut self, s: &Rational, x: &QVec) {
        assert_eq!(self.num.len(), x.num.len(), "vector length mismatch");
        if *s == 0 {
            return;
        }
        // s·x = (p·num_x) / (q·den_x); bring both to L = lcm(den_self, q·den_x).
        let (p, q) = (s.numer(), s.denom());
        let xden = Integer::from(q * &x.den);
        let l = lcm(&self.den, &xden);
        self.rescale_to(&l);
        let mx = Integer::from(p * Integer::from(l.div_exact_ref(&xden)));
        // Small multipliers take GMP's addmul_si path (big × word), the point of this engine.
        match mx.to_i64() {
            Some(m) => {
                for (y, xi) in self.num.iter_mut().zip(&x.num) {
                    *y += xi * m;
                }
            }
            None => {
                for (y, xi) in self.num.iter_mut().zip(&x.num) {
                    *y += xi * &mx;
                }
            }
        }
        self.normalize();
    }

    /// The exact squared Euclidean norm.
    pub fn norm_sq(&self) -> Rational {
        self.dot(self)
    }
}

impl Vector<Rational> for QVec {
    fn from_scalars(xs: &[Rational]) -> Self {
        let den = xs.iter().fold(Integer::from(1), |d, x| lcm(&d, x.denom()));
        let num = xs
            .iter()
            .map(|x| Integer::from(x.numer() * Integer::from(den.div_exact_ref(x.denom()))))
            .collect();
        let mut v = QVec { num, den };
        v.normalize();
        v
    }
    fn zeros(n: usize) -> Self {
        QVec {
            num: vec![Integer::new(); n],
            den: Integer::from(1),
        }
    }
    fn len(&self) -> usize {
        self.num.len()
    }
    fn get(&self, i: usize) -> Rational {
        Rational::from((self.num[i].clone(), self.den.clone()))
    }
    fn axpy(&mut self, a: &Rational, x: &Self, _rounding: Rounding) {
        self.add_scaled(a, x);
    }
    fn scale(&mut self, a: &Rational) {
        if *a == 0 {
            *self = QVec::zeros(self.len());
            return;
        }
        let (p, q) = (a.numer(), a.denom());
        if *p != 1 {
            match p.to_i64() {
                Some(m) => self.num.iter_mut().for_each(|n| *n *= m),
                None => self.num.iter_mut().for_each(|n| *n *= p),
            }
        }
        self.den *= q;
        self.normalize();
    }
    fn negate(&mut self) {
        for n in &mut self.num {
            *n = -std::mem::take(n);
        }
    }
    fn add_assign(&mut self, x: &Self) {
        self.add_scaled(&Rational::from(1), x);
    }
    fn sub_assign(&mut self, x: &Self) {
        self.add_scaled(&Rational::from(-1), x);
    }
    fn dot(&self, x: &Self) -> Rational {
        assert_eq!(self.num.len(), x.num.len(), "vector length mismatch");
        let mut s = Integer::new();
        for (a, b) in self.num.iter().zip(&x.num) {
            s += a * b;
        }
        Rational::from((s, Integer::from(&self.den * &x.den)))
    }
    fn is_finite(&self) -> bool {
        true
    }
    fn max_bits(&self) -> u64 {
        // Bits of the largest entry in lowest terms are at most these (the shared denominator can
        // only be larger than an entry's own); the bound is what the size budget is about.
        let n = self
            .num
            .iter()
            .map(Integer::significant_bits)
            .max()
            .unwrap_or(0);
        u64::from(n) + u64::from(self.den.significant_bits())
    }
    fn is_zero_at(&self, i: usize) -> bool {
        self.num[i] == 0
    }
}

/// One stored matrix entry: the numerator over [`QMat`]'s shared denominator, with a machine-word
/// copy when it fits (so that products with big vector entries are big × word).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    col: usize,
    num: Integer,
    small: Option<i64>,
}

/// An exact rational matrix: integer numerators over one shared denominator, stored by sparse rows.
///
/// This is the form in which problems keep their data (and the matrix type of exact runs). It also
/// carries a rational upper bound on its spectral norm, which the error analysis of bounded runs
/// uses; problems that know their spectrum set it exactly.
#[derive(Clone, PartialEq, Eq)]
pub struct QMat {
    rows: usize,
    cols: usize,
    entries: Vec<Vec<Entry>>,
    den: Integer,
    norm_bound: Rational,
}

impl fmt::Debug for QMat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QMat")
            .field("rows", &self.rows)
            .field("cols", &self.cols)
            .field(
                "dense",
                &self
                    .to_dense()
                    .iter()
                    .map(|r| r.iter().map(|q| q.to_string()).collect::<Vec<_>>())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl QMat {
    /// Builds a matrix from its rows.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if the rows have different lengths.
    pub fn from_rows(rows: &[Vec<Rational>]) -> Result<Self> {
        let cols = rows.first().map_or(0, Vec::len);
        for (i, r) in rows.iter().enumerate() {
            if r.len() != cols {
                return Err(Error::dims(format!("matrix row {i}"), cols, r.len()));
            }
        }
        let den = rows
            .iter()
            .flatten()
            .fold(Integer::from(1), |d, x| lcm(&d, x.denom()));
        let entries = rows
            .iter()
            .map(|r| {
                r.iter()
                    .enumerate()
                    .filter(|(_, x)| **x != 0)
                    .map(|(col, x)| {
                        let num =
                            Integer::from(x.numer() * Integer::from(den.div_exact_ref(x.denom())));
                        let small = num.to_i64();
                        Entry { col, num, small }
                    })
                    .collect()
            })
            .collect();
        let mut m = QMat {
            rows: rows.len(),
            cols,
            entries,
            den,
            norm_bound: Rational::new(),
        };
        m.norm_bound = m.default_norm_bound();
        Ok(m)
    }

    /// The `n × n` diagonal matrix with the given diagonal; its spectral norm bound is exact.
    pub fn diagonal(diag: &[Rational]) -> Self {
        let n = diag.len();
        let rows: Vec<Vec<Rational>> = (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| {
                        if i == j {
                            diag[i].clone()
                        } else {
                            Rational::new()
                        }
                    })
                    .collect()
            })
            .collect();
        let mut m = QMat::from_rows(&rows).expect("square");
        m.norm_bound = diag
            .iter()
            .map(|x| x.clone().abs())
            .max()
            .unwrap_or_default();
        m
    }

    /// The identity of size `n`.
    pub fn identity(n: usize) -> Self {
        QMat::diagonal(&vec![Rational::from(1); n])
    }

    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Entry `(i, j)`.
    pub fn get(&self, i: usize, j: usize) -> Rational {
        self.entries[i]
            .iter()
            .find(|e| e.col == j)
            .map_or_else(Rational::new, |e| {
                Rational::from((e.num.clone(), self.den.clone()))
            })
    }

    /// The non-zero entries of row `i` as `(column, value)`, in column order.
    pub fn row_entries(&self, i: usize) -> impl Iterator<Item = (usize, Rational)> + '_ {
        self.entries[i]
            .iter()
            .map(|e| (e.col, Rational::from((e.num.clone(), self.den.clone()))))
    }

    /// All entries as rows of rationals.
    pub fn to_dense(&self) -> Vec<Vec<Rational>> {
        (0..self.rows)
            .map(|i| (0..self.cols).map(|j| self.get(i, j)).collect())
            .collect()
    }

    /// The transpose (same norm bound).
    pub fn transpose(&self) -> Self {
        let d = self.to_dense();
        let t: Vec<Vec<Rational>> = (0..self.cols)
            .map(|j| (0..self.rows).map(|i| d[i][j].clone()).collect())
            .collect();
        let mut m = QMat::from_rows(&t).expect("rectangular");
        m.norm_bound = self.norm_bound.clone();
        m
    }

    /// The product `self · other`, computed exactly.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if the inner dimensions differ.
    pub fn mul(&self, other: &QMat) -> Result<Self> {
        if self.cols != other.rows {
            return Err(Error::dims("matrix product", self.cols, other.rows));
        }
        // Integer products over the product of denominators, then one conversion.
        let mut out = vec![vec![Integer::new(); other.cols]; self.rows];
        for (i, row) in self.entries.iter().enumerate() {
            for a in row {
                for b in &other.entries[a.col] {
                    out[i][b.col] += &a.num * &b.num;
                }
            }
        }
        let den = Integer::from(&self.den * &other.den);
        let rows: Vec<Vec<Rational>> = out
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .map(|n| Rational::from((n, den.clone())))
                    .collect()
            })
            .collect();
        let mut m = QMat::from_rows(&rows)?;
        // ‖AB‖ ≤ ‖A‖‖B‖; keep the cheaper of that and the default bound.
        let product_bound = Rational::from(&self.norm_bound * &other.norm_bound);
        if product_bound < m.norm_bound {
            m.norm_bound = product_bound;
        }
        Ok(m)
    }

    /// A rational upper bound on the spectral norm `‖M‖₂`.
    pub fn norm_bound(&self) -> &Rational {
        &self.norm_bound
    }

    /// Replaces the spectral norm bound by a caller-known one (e.g. the largest |eigenvalue| of a
    /// matrix built from a prescribed spectrum). The caller guarantees `bound ≥ ‖M‖₂`; tests check
    /// it against the default bound and against nalgebra's eigenvalues.
    pub fn with_norm_bound(mut self, bound: Rational) -> Self {
        self.norm_bound = bound;
        self
    }

    /// `min(‖M‖_F, √(‖M‖₁‖M‖_∞))`, both valid upper bounds on `‖M‖₂`, rounded up to rationals.
    pub fn default_norm_bound(&self) -> Rational {
        let den_sq = Integer::from(&self.den * &self.den);
        let fro_num = self
            .entries
            .iter()
            .flatten()
            .fold(Integer::new(), |acc, e| {
                acc + Integer::from(&e.num * &e.num)
            });
        let fro = sqrt_upper(&Rational::from((fro_num, den_sq)));
        let row_max = self
            .entries
            .iter()
            .map(|r| {
                r.iter()
                    .fold(Integer::new(), |a, e| a + Integer::from(e.num.abs_ref()))
            })
            .max()
            .unwrap_or_default();
        let mut col_sums = vec![Integer::new(); self.cols];
        for e in self.entries.iter().flatten() {
            col_sums[e.col] += Integer::from(e.num.abs_ref());
        }
        let col_max = col_sums.into_iter().max().unwrap_or_default();
        let prod = Rational::from((row_max * col_max, Integer::from(&self.den * &self.den)));
        let geo = sqrt_upper(&prod);
        if geo < fro { geo } else { fro }
    }

    /// `M x` for a rational slice (convenience for constructing problems).
    pub fn apply(&self, x: &[Rational]) -> Vec<Rational> {
        self.matvec(&QVec::from_scalars(x)).to_scalars()
    }
}

impl Matrix<Rational> for QMat {
    fn from_exact(m: &QMat) -> Self {
        m.clone()
    }
    fn rows(&self) -> usize {
        self.rows
    }
    fn cols(&self) -> usize {
        self.cols
    }
    fn matvec(&self, x: &QVec) -> QVec {
        assert_eq!(self.cols, x.num.len(), "matrix-vector length mismatch");
        let num = self
            .entries
            .iter()
            .map(|row| {
                let mut s = Integer::new();
                for e in row {
                    match e.small {
                        Some(m) => s += &x.num[e.col] * m,
                        None => s += &x.num[e.col] * &e.num,
                    }
                }
                s
            })
            .collect();
        let mut y = QVec {
            num,
            den: Integer::from(&self.den * &x.den),
        };
        y.normalize();
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: i64, d: u64) -> Rational {
        Rational::from((n, d))
    }

    #[test]
    fn normal_form_makes_equality_structural() {
        let a = QVec::from_scalars(&[q(1, 2), q(1, 3)]);
        let mut b = QVec::from_scalars(&[q(1, 4), q(1, 6)]);
        b.scale(&q(2, 1));
        assert_eq!(a, b);
        assert_eq!(a.denominator(), &Integer::from(6));
    }

    #[test]
    fn axpy_matches_entrywise_rationals() {
        let mut y = QVec::from_scalars(&[q(1, 3), q(-2, 5), q(0, 1)]);
        let x = QVec::from_scalars(&[q(7, 2), q(1, 9), q(5, 1)]);
        y.axpy(&q(-3, 7), &x, Rounding::Naive);
        let want = [
            q(1, 3) - q(3, 7) * q(7, 2),
            q(-2, 5) - q(3, 7) * q(1, 9),
            q(0, 1) - q(3, 7) * q(5, 1),
        ];
        assert_eq!(y.to_scalars(), want.to_vec());
    }
}
