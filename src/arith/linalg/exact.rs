//! The exact engine: rational vectors and matrices with one shared denominator.

use std::fmt;

use rug::{Integer, Rational};

use super::{Matrix, Vector, sqrt_upper};
use crate::arith::Rounding;
use crate::error::{Error, Result};

/// The distinct primes of a denominator, when all of them are known and fit in 32 bits.
///
/// Why: the normal form needs `gcd(den, num_0, …)`. A big gcd costs O(n²) in the size n of the
/// numbers, and a run normalises several times per step. But along a run every denominator is a
/// product of the data's small denominators (the matrix's, the learning rate's, the momentum's,
/// x₀'s), so its primes are few and known; checking `p | num_i` for each such prime is O(n) and
/// usually stops at the first numerator. `None` means "unknown" and falls back to the gcd chain.
type Primes = Option<Vec<u32>>;

/// The distinct primes of `q` if `q` fits in 64 bits and every prime factor fits in 32 bits.
fn factor_u64(mut q: u64) -> Primes {
    let mut primes = Vec::new();
    if q == 0 {
        return None;
    }
    if q % 2 == 0 {
        primes.push(2);
        q >>= q.trailing_zeros();
    }
    let mut d: u64 = 3;
    // Trial division up to 2^16 (at most 32 768 divisions, only for odd cofactors with no small
    // factor); a cofactor below 2^32 left without a factor ≤ 2^16 is prime.
    while d <= 1 << 16 && d * d <= q {
        if q % d == 0 {
            primes.push(u32::try_from(d).expect("d ≤ 2^16"));
            while q % d == 0 {
                q /= d;
            }
        }
        d += 2;
    }
    if q > 1 {
        primes.push(u32::try_from(q).ok()?);
    }
    primes.sort_unstable();
    Some(primes)
}

thread_local! {
    // The learning rate and momentum denominators recur every step: remember the last few.
    static FACTOR_CACHE: std::cell::RefCell<Vec<(u64, Primes)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The distinct primes of a positive integer (see [`Primes`]), cached for small repeated inputs.
fn factor(q: &Integer) -> Primes {
    let q = q.to_u64()?;
    if q <= 1 {
        return Some(Vec::new());
    }
    FACTOR_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if let Some((_, p)) = c.iter().find(|(k, _)| *k == q) {
            return p.clone();
        }
        let p = factor_u64(q);
        if c.len() >= 8 {
            c.remove(0);
        }
        c.push((q, p.clone()));
        p
    })
}

/// The end of the group of `primes` that starts at `start`: the longest run whose product stays
/// below 2^32, so that one word modulus covers each of its primes (a prime is below 2^32 by
/// construction, so a group has at least one).
fn word_group_end(primes: &[u32], start: usize) -> usize {
    let mut m: u64 = 1;
    let mut end = start;
    while end < primes.len() && m * u64::from(primes[end]) < 1 << 32 {
        m *= u64::from(primes[end]);
        end += 1;
    }
    end
}

/// A product of powers of the (odd) `primes`, each at least once, below 2^32 (`primes` is a group
/// from [`word_group_end`]).
fn word_modulus(primes: &[u32]) -> u32 {
    let mut m: u64 = 1;
    for &p in primes {
        if m * u64::from(p) < 1 << 32 {
            m *= u64::from(p);
        }
    }
    // Raise the powers round-robin while the product stays a word: one remainder then covers
    // common factors p^k, not only p.
    let mut grew = true;
    while grew {
        grew = false;
        for &p in primes {
            if m * u64::from(p) < 1 << 32 {
                m *= u64::from(p);
                grew = true;
            }
        }
    }
    u32::try_from(m).expect("below 2^32")
}

/// `|n| mod g`, by a sum of limbs when `g` divides 2^64 − 1 (then 2^64 ≡ 1 mod g): the common
/// factors that cancel along a run are mostly 3, 5 and 15, and this sum is several times cheaper
/// than GMP's general remainder by a word.
fn abs_mod_u32(n: &Integer, g: u32) -> u32 {
    if u64::MAX % u64::from(g) == 0 {
        let s: u128 = n.as_limbs().iter().map(|&l| u128::from(u64::from(l))).sum();
        u32::try_from(s % u128::from(g)).expect("below g")
    } else {
        // `mod_u` is the floored remainder of the signed value; its gcd with g is the same.
        n.mod_u(g)
    }
}

/// `gcd(a, b)` of words.
fn gcd_u32(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The union of two prime lists (unknown if either is).
fn union(a: &Primes, b: &Primes) -> Primes {
    let (a, b) = (a.as_ref()?, b.as_ref()?);
    let mut out = Vec::with_capacity(a.len() + b.len());
    out.extend_from_slice(a);
    for p in b {
        if !out.contains(p) {
            out.push(*p);
        }
    }
    out.sort_unstable();
    Some(out)
}

/// An exact rational vector stored as integer numerators over one positive denominator.
///
/// Invariant (the *normal form*): `den > 0` and `gcd(den, num_0, …, num_{n−1}) = 1`. Two vectors
/// are equal iff their normal forms are identical, so `PartialEq` compares numerators and
/// denominator. Every operation restores the normal form: by checking the denominator's known small
/// primes (O(n) per prime; see `Primes` in the source), or, when those are unknown, with an
/// early-exit gcd chain (usually one big gcd, since a random numerator is nearly always coprime to
/// the denominator).
#[derive(Clone)]
pub struct QVec {
    num: Vec<Integer>,
    den: Integer,
    /// The primes of `den` (a cache derived from the data's denominators; not part of the value).
    /// Invariant: when `Some`, it lists *every* prime of `den` (every constructor and operation
    /// keeps it so or sets `None`); `dot`'s lowest terms without a gcd depend on it.
    primes: Primes,
}

impl PartialEq for QVec {
    fn eq(&self, other: &Self) -> bool {
        self.den == other.den && self.num == other.num
    }
}

impl Eq for QVec {}

impl std::hash::Hash for QVec {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.num.hash(state);
        self.den.hash(state);
    }
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

/// The primes of a common denominator of `dens`, whose lcm is `den`.
fn primes_of<'a>(den: &Integer, dens: impl Iterator<Item = &'a Integer>) -> Primes {
    if let Some(p) = factor(den) {
        return Some(p);
    }
    let mut acc: Primes = Some(Vec::new());
    let mut seen: Vec<&Integer> = Vec::new();
    for d in dens {
        if !seen.contains(&d) {
            acc = union(&acc, &factor(d));
            acc.as_ref()?;
            seen.push(d);
        }
    }
    acc
}

/// `gcd(n, den)` by `den`'s known primes (`primes`, all of them): per prime `p`, the power of `p`
/// common to both, found with word remainders (a trailing-zero count for 2), and usually none (a
/// number is divisible by `p` with probability 1/p). That is O(n) in the size of the numbers,
/// where a big gcd is O(n²) or O(n log² n). Unknown primes (`None`) fall back to the gcd.
fn common_factor(n: &Integer, den: &Integer, primes: Option<&[u32]>) -> Integer {
    if *den == 1 {
        return Integer::from(1);
    }
    if *n == 0 {
        return den.clone();
    }
    let Some(primes) = primes else {
        return Integer::from(n.gcd_ref(den));
    };
    let mut g = Integer::from(1);
    for &p in primes {
        if p == 2 {
            let shift = n.find_one(0).unwrap_or(0).min(den.find_one(0).unwrap_or(0));
            g <<= shift;
            continue;
        }
        if !n.is_divisible_u(p) || !den.is_divisible_u(p) {
            continue;
        }
        // p^e divides both; raise e while it still does (e stays small along a run).
        let mut power = Integer::from(p);
        loop {
            let next = Integer::from(&power * p);
            if n.is_divisible(&next) && den.is_divisible(&next) {
                power = next;
            } else {
                break;
            }
        }
        g *= power;
    }
    g
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

    /// `gcd(num_i, den)`: entry `i` in lowest terms is `(num_i/g) / (den/g)`.
    ///
    /// By the denominator's known primes when it has them (the usual case along a run): per prime
    /// `p`, the power of `p` common to both, found with word remainders (a trailing-zero count for
    /// 2), and usually none (a numerator is divisible by `p` with probability 1/p). That is O(n)
    /// in the size of the numbers, where a big gcd is O(n²) or O(n log² n). Unknown primes fall
    /// back to the gcd.
    ///
    /// # Panics
    /// Panics if `i >= self.len()`.
    pub fn entry_common_factor(&self, i: usize) -> Integer {
        common_factor(&self.num[i], &self.den, self.primes.as_deref())
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
        let mut v = QVec {
            num,
            den,
            primes: None,
        };
        if v.den < 0 {
            v.den = -v.den;
            for n in &mut v.num {
                *n = -std::mem::take(n);
            }
        }
        v.primes = factor(&v.den);
        v.normalize();
        Ok(v)
    }

    /// Restores the normal form: divides out `gcd(den, num_0, …)`.
    fn normalize(&mut self) {
        if self.num.iter().all(|n| *n == 0) {
            self.den = Integer::from(1);
            self.primes = Some(Vec::new());
            return;
        }
        if self.den == 1 {
            return;
        }
        match self.primes.take() {
            Some(primes) => {
                let kept = self.divide_out_primes(primes);
                self.primes = Some(kept);
            }
            None => self.divide_out_gcd(),
        }
    }

    /// The normal form by the known primes of `den`; returns the primes still dividing `den`.
    fn divide_out_primes(&mut self, mut primes: Vec<u32>) -> Vec<u32> {
        if primes.contains(&2) {
            // The common power of two in one pass of trailing-zero counts (exact shifts).
            let mut shift = self.den.find_one(0).unwrap_or(0);
            for n in &self.num {
                if shift == 0 {
                    break;
                }
                if let Some(z) = n.find_one(0) {
                    shift = shift.min(z);
                }
            }
            if shift > 0 {
                for n in &mut self.num {
                    *n >>= shift;
                }
                self.den >>= shift;
            }
        }
        // The odd primes together: with P a product of their powers below 2^32, the common factor
        // is gcd(P, den mod P, num_0 mod P, …) — one O(n) remainder per number, word-sized gcds,
        // and an early exit once it is 1 (usually after one or two numerators). Repeated until it
        // is 1, for common factors beyond the powers in P. Primes whose product exceeds a word
        // get one P per group (usually there is one group).
        let odd: Vec<u32> = primes.iter().copied().filter(|&p| p != 2).collect();
        let mut start = 0;
        while start < odd.len() {
            let end = word_group_end(&odd, start);
            let modulus = word_modulus(&odd[start..end]);
            start = end;
            loop {
                let mut g = gcd_u32(modulus, self.den.mod_u(modulus));
                for n in &self.num {
                    if g == 1 {
                        break;
                    }
                    g = gcd_u32(g, abs_mod_u32(n, g));
                }
                if g == 1 {
                    break;
                }
                for n in &mut self.num {
                    n.div_exact_u_mut(g);
                }
                self.den.div_exact_u_mut(g);
            }
        }
        primes.retain(|&p| self.den.is_divisible_u(p));
        primes
    }

    /// The normal form by an early-exit gcd chain (denominators with unknown primes).
    fn divide_out_gcd(&mut self) {
        let mut g = self.den.clone();
        for n in &self.num {
            if *n != 0 {
                g.gcd_mut(n);
                if g == 1 {
                    self.primes = factor(&self.den);
                    return;
                }
            }
        }
        for n in &mut self.num {
            n.div_exact_mut(&g);
        }
        self.den.div_exact_mut(&g);
        self.primes = factor(&self.den);
    }

    /// `self ← Σ_t s_t·x_t + self`, exactly, with one normalisation at the end.
    ///
    /// All terms are brought to one common denominator `L` first: `self`'s numerators are
    /// multiplied once by `L/den` (a single pass, skipped when the denominators are nested the
    /// usual way), then each term adds `num_x · (p·L/(q·den_x))`, a big × word product when that
    /// multiplier fits in a machine word.
    fn add_scaled_terms(&mut self, terms: &[(&Rational, &QVec)]) {
        self.add_scaled_terms_unnormalized(terms);
        self.normalize();
    }

    /// [`QVec::add_scaled_terms`] without the final normalisation: the result is the right value,
    /// with `primes` still listing every prime of `den`, but not in normal form. Only for
    /// intermediate values that never leave this module.
    fn add_scaled_terms_unnormalized(&mut self, terms: &[(&Rational, &QVec)]) {
        let terms: Vec<&(&Rational, &QVec)> = terms.iter().filter(|(s, _)| **s != 0).collect();
        if terms.is_empty() {
            return;
        }
        let mut l = self.den.clone();
        let mut primes = self.primes.clone();
        let mut xdens = Vec::with_capacity(terms.len());
        for (s, x) in &terms {
            assert_eq!(self.num.len(), x.num.len(), "vector length mismatch");
            let xden = Integer::from(s.denom() * &x.den);
            l = lcm(&l, &xden);
            primes = union(&primes, &union(&x.primes, &factor(s.denom())));
            xdens.push(xden);
        }
        if l != self.den {
            let m = Integer::from(l.div_exact_ref(&self.den));
            match m.to_i64() {
                Some(m) => self.num.iter_mut().for_each(|n| *n *= m),
                None => self.num.iter_mut().for_each(|n| *n *= &m),
            }
            self.den = l;
        }
        for ((s, x), xden) in terms.iter().zip(&xdens) {
            let mx = Integer::from(s.numer() * Integer::from(self.den.div_exact_ref(xden)));
            // Small multipliers take GMP's addmul_ui/submul_ui path (big × word).
            match mx.to_i64() {
                Some(1) => self.num.iter_mut().zip(&x.num).for_each(|(y, xi)| *y += xi),
                Some(-1) => self.num.iter_mut().zip(&x.num).for_each(|(y, xi)| *y -= xi),
                Some(m) => self
                    .num
                    .iter_mut()
                    .zip(&x.num)
                    .for_each(|(y, xi)| *y += xi * m),
                None => self
                    .num
                    .iter_mut()
                    .zip(&x.num)
                    .for_each(|(y, xi)| *y += xi * &mx),
            }
        }
        self.primes = primes;
    }

    /// The exact squared Euclidean norm.
    pub fn norm_sq(&self) -> Rational {
        self.dot(self)
    }

    /// `Σ wᵢ xᵢ²`, exactly, in lowest terms.
    ///
    /// # Panics
    /// If the lengths differ.
    pub fn weighted_square_sum(&self, w: &QVec) -> Rational {
        self.reflected_weighted_square_sum(&[], w)
    }

    /// `Σ wᵢ eᵢ²` for `e = H_r⋯H₁ x` (H₁ applied first), `H = I − 2vvᵀ/(vᵀv)` the Householder
    /// reflection of each integer vector `v` of `reflections`, exactly, in lowest terms.
    ///
    /// The exact quadratic's gap ½ Σ λᵢ eᵢ² in its eigenbasis (`problem::QuadraticForm`): squaring
    /// a numerator costs GMP about 0.6 of multiplying two (symmetry), the weights and the
    /// reflection vectors are small, and e is never reduced: each reflection is
    /// e ← (s·e − 2(vᵀe)·v)/s with s = vᵀv, numerators times small numbers over a denominator times
    /// s; only the sum is brought to lowest terms.
    ///
    /// # Panics
    /// If the lengths differ, or a reflection vector is zero.
    pub fn reflected_weighted_square_sum(
        &self,
        reflections: &[Vec<Integer>],
        w: &QVec,
    ) -> Rational {
        self.clone()
            .into_reflected_weighted_square_sum(reflections, w)
    }

    /// [`QVec::reflected_weighted_square_sum`], reflecting `self`'s own numerators in place (a
    /// gap's `x − x*` is a new vector already: no second copy).
    ///
    /// # Panics
    /// As [`QVec::reflected_weighted_square_sum`].
    pub fn into_reflected_weighted_square_sum(
        self,
        reflections: &[Vec<Integer>],
        w: &QVec,
    ) -> Rational {
        use rug::Assign;
        assert_eq!(self.num.len(), w.num.len(), "vector length mismatch");
        let QVec {
            mut num,
            mut den,
            mut primes,
        } = self;
        for v in reflections {
            assert_eq!(v.len(), num.len(), "vector length mismatch");
            let s = v.iter().fold(Integer::new(), |s, vi| s + vi * vi);
            assert!(s != 0, "a reflection vector must be non-zero");
            let mut t = Integer::new();
            for (n, vi) in num.iter().zip(v) {
                t += n * vi;
            }
            t <<= 1;
            for (n, vi) in num.iter_mut().zip(v) {
                *n *= &s;
                *n -= &t * vi;
            }
            primes = union(&primes, &factor(&s));
            den *= &s;
        }
        let mut sum = Integer::new();
        let mut square = Integer::new();
        for (x, wi) in num.iter().zip(&w.num) {
            if *wi != 0 {
                square.assign(x.square_ref());
                sum += &square * wi;
            }
        }
        let den = Integer::from(den.square_ref()) * &w.den;
        lowest_terms(sum, den, union(&primes, &w.primes))
    }
}

/// `s / den` in lowest terms, dividing out only the known `primes` of `den` when it has them (a
/// gcd of big numbers costs as much as the products that made them), else by a gcd.
fn lowest_terms(s: Integer, den: Integer, primes: Primes) -> Rational {
    if primes.is_none() {
        return Rational::from((s, den));
    }
    let g = common_factor(&s, &den, primes.as_deref());
    let (s, den) = if g == 1 {
        (s, den)
    } else {
        (s.div_exact(&g), den.div_exact(&g))
    };
    // SAFETY: `den` is positive (a product of positive denominators divided by a common factor)
    // and coprime to `s`: every prime of `den` is in `primes` (those of the factors), and
    // `common_factor` divided out each one's full common power.
    debug_assert!(den > 0 && Integer::from(s.gcd_ref(&den)) == 1);
    unsafe { Rational::from_canonical(s, den) }
}

impl Vector<Rational> for QVec {
    fn from_scalars(xs: &[Rational]) -> Self {
        let den = xs.iter().fold(Integer::from(1), |d, x| lcm(&d, x.denom()));
        let num = xs
            .iter()
            .map(|x| Integer::from(x.numer() * Integer::from(den.div_exact_ref(x.denom()))))
            .collect();
        let primes = primes_of(&den, xs.iter().map(Rational::denom));
        let mut v = QVec { num, den, primes };
        v.normalize();
        v
    }
    fn zeros(n: usize) -> Self {
        QVec {
            num: vec![Integer::new(); n],
            den: Integer::from(1),
            primes: Some(Vec::new()),
        }
    }
    fn len(&self) -> usize {
        self.num.len()
    }
    fn get(&self, i: usize) -> Rational {
        Rational::from((self.num[i].clone(), self.den.clone()))
    }
    fn axpy(&mut self, a: &Rational, x: &Self, _rounding: Rounding) {
        self.add_scaled_terms(&[(a, x)]);
    }
    fn axpy_chain(&mut self, terms: &[(&Rational, &Self)], _rounding: Rounding) {
        // Exact: the chain is one linear combination, normalised once.
        self.add_scaled_terms(terms);
    }
    fn momentum_update(
        &mut self,
        buffer: &mut Self,
        gradient: &Self,
        momentum: &Rational,
        gradient_scale: &Rational,
        minus_learning_rate: &Rational,
        _rounding: Rounding,
    ) {
        // Exact: b ← μb + (1 − τ)g as one combination (one normalisation instead of a scale and
        // an axpy, each normalised), then θ ← θ − γb.
        let mut next = QVec::zeros(self.len());
        next.add_scaled_terms(&[(momentum, buffer), (gradient_scale, gradient)]);
        *buffer = next;
        self.add_scaled_terms(&[(minus_learning_rate, buffer)]);
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
        self.primes = union(&self.primes, &factor(q));
        self.normalize();
    }
    fn negate(&mut self) {
        for n in &mut self.num {
            n.neg_assign_mut();
        }
    }
    fn add_assign(&mut self, x: &Self) {
        self.add_scaled_terms(&[(&Rational::from(1), x)]);
    }
    fn sub_assign(&mut self, x: &Self) {
        self.add_scaled_terms(&[(&Rational::from(-1), x)]);
    }
    fn dot(&self, x: &Self) -> Rational {
        assert_eq!(self.num.len(), x.num.len(), "vector length mismatch");
        let mut s = Integer::new();
        for (a, b) in self.num.iter().zip(&x.num) {
            s += a * b;
        }
        let den = Integer::from(&self.den * &x.den);
        // Lowest terms by the two denominators' known primes (a gap recorded at every step of an
        // exact trace: a big gcd there cost about as much as writing the step's vectors).
        lowest_terms(s, den, union(&self.primes, &x.primes))
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

/// In-place negation without a temporary (rug's `NegAssign`).
trait NegAssignMut {
    fn neg_assign_mut(&mut self);
}
impl NegAssignMut for Integer {
    fn neg_assign_mut(&mut self) {
        rug::ops::NegAssign::neg_assign(self);
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
    /// The primes of `den` (derived from it; see [`Primes`]).
    primes: Primes,
    /// Whether every entry is a machine word and every row's `Σ_j |num_ij| < 2^32`, so that
    /// [`word_matvec`]'s 64-bit accumulators cannot overflow.
    word_rows: bool,
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
        let sparse = rows
            .iter()
            .map(|r| r.iter().enumerate().filter(|(_, x)| **x != 0).collect())
            .collect();
        Ok(QMat::from_sparse_rows(cols, sparse))
    }

    /// The matrix with the given non-zero entries `(column, value)` per row, in column order.
    fn from_sparse_rows(cols: usize, rows: Vec<Vec<(usize, &Rational)>>) -> Self {
        let den = rows
            .iter()
            .flatten()
            .fold(Integer::from(1), |d, (_, x)| lcm(&d, x.denom()));
        let entries: Vec<Vec<Entry>> = rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|&(col, x)| {
                        let num =
                            Integer::from(x.numer() * Integer::from(den.div_exact_ref(x.denom())));
                        let small = num.to_i64();
                        Entry { col, num, small }
                    })
                    .collect()
            })
            .collect();
        let primes = factor(&den);
        let word_rows = entries.iter().all(|r: &Vec<Entry>| {
            r.iter()
                .try_fold(0u64, |acc, e| {
                    let a = e.small?.unsigned_abs();
                    acc.checked_add(a).filter(|s| *s < 1 << 32)
                })
                .is_some()
        });
        let mut m = QMat {
            rows: rows.len(),
            cols,
            entries,
            den,
            norm_bound: Rational::new(),
            primes,
            word_rows,
        };
        m.norm_bound = m.default_norm_bound();
        m
    }

    /// The `n × n` diagonal matrix with the given diagonal; its spectral norm bound is exact.
    ///
    /// Built sparse, in O(n): the f64 benchmarks use diagonal problems with n = 10⁶.
    pub fn diagonal(diag: &[Rational]) -> Self {
        let rows = diag
            .iter()
            .enumerate()
            .map(|(i, x)| if *x == 0 { Vec::new() } else { vec![(i, x)] })
            .collect();
        let mut m = QMat::from_sparse_rows(diag.len(), rows);
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
    fn matvec_centered(&self, x: &QVec, c: &QVec) -> QVec {
        // The difference is not normalised: the product's normalisation covers both.
        let mut d = x.clone();
        d.add_scaled_terms_unnormalized(&[(&Rational::from(-1), c)]);
        self.matvec(&d)
    }

    fn matvec(&self, x: &QVec) -> QVec {
        // `x` need not be in normal form here (see `matvec_centered`); the result is.
        assert_eq!(self.cols, x.num.len(), "matrix-vector length mismatch");
        let num = if self.word_rows {
            word_matvec(&self.entries, &x.num)
        } else {
            self.entries
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
                .collect()
        };
        let mut y = QVec {
            num,
            den: Integer::from(&self.den * &x.den),
            primes: union(&self.primes, &x.primes),
        };
        y.normalize();
        y
    }
}

/// Chunks per block of [`word_matvec`]: 16 × 64-bit accumulators, four AVX2 registers per sign.
const BLOCK: usize = 16;

/// `M x` for a matrix of small entries (see `QMat::word_rows`) and big `x`, by 32-bit chunks.
///
/// Why: GMP's `addmul_1` does one 64 × 64-bit product per limb and per matrix entry, with a
/// carry chain that does not vectorise. Here each `x_j` is cut into 32-bit chunks once, and row
/// `i` accumulates `Σ_j |a_ij| · chunk_h(x_j)` into one 64-bit word per chunk position `h` (no
/// carries: `Σ_j |a_ij| < 2^32` bounds each word by `2^64`), the products of either sign (the
/// sign of `a_ij · x_j`) in separate accumulators. The chunk positions are taken a block of
/// [`BLOCK`] at a time, with the block's accumulators in registers while the row's entries stream
/// past: a 32 × 32 → 64-bit multiply-add over independent lanes, which the compiler vectorises
/// (AVX2 `vpmuludq` where the CPU has it, detected at run time). The carries are propagated once
/// per block. The result is exact, whichever path runs.
fn word_matvec(rows: &[Vec<Entry>], x: &[Integer]) -> Vec<Integer> {
    let limbs = x.iter().map(|v| v.as_limbs().len()).max().unwrap_or(0);
    // 32-bit chunks per entry (limbs are 64-bit, rug's `limb_t` on the 64-bit targets we build),
    // rounded up to whole blocks (the padding chunks are zero).
    let w = (2 * limbs).next_multiple_of(BLOCK);
    let mut chunks = vec![0u32; x.len() * w];
    for (j, v) in x.iter().enumerate() {
        let c = &mut chunks[j * w..(j + 1) * w];
        for (l, &limb) in v.as_limbs().iter().enumerate() {
            let limb = u64::from(limb);
            c[2 * l] = limb as u32;
            c[2 * l + 1] = (limb >> 32) as u32;
        }
    }
    let negative: Vec<bool> = x.iter().map(|v| *v < 0).collect();
    let mut pos: Vec<(usize, u32)> = Vec::new();
    let mut neg: Vec<(usize, u32)> = Vec::new();
    let mut limb_buf = Vec::with_capacity(w / 2 + 2);
    rows.iter()
        .map(|row| {
            // Split the row by the sign of each product, once per product (not per chunk).
            pos.clear();
            neg.clear();
            for e in row {
                let a = e.small.expect("word_rows: every entry is a word");
                // `word_rows` guarantees |a| < 2^32.
                let m = a.unsigned_abs() as u32;
                if (a < 0) != negative[e.col] {
                    neg.push((e.col * w, m));
                } else {
                    pos.push((e.col * w, m));
                }
            }
            row_product(&chunks, w, &pos, &neg, &mut limb_buf)
        })
        .collect()
}

/// One row's `Σ pos − Σ neg`, choosing the widest vector unit.
fn row_product(
    chunks: &[u32],
    w: usize,
    pos: &[(usize, u32)],
    neg: &[(usize, u32)],
    limbs: &mut Vec<u64>,
) -> Integer {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above), the only requirement of
            // `row_product_avx2`'s target feature.
            return unsafe { row_product_avx2(chunks, w, pos, neg, limbs) };
        }
    }
    row_product_generic(chunks, w, pos, neg, limbs)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn row_product_avx2(
    chunks: &[u32],
    w: usize,
    pos: &[(usize, u32)],
    neg: &[(usize, u32)],
    limbs: &mut Vec<u64>,
) -> Integer {
    row_product_generic(chunks, w, pos, neg, limbs)
}

/// `Σ_(o, m) m · chunks[o + h ..]` for one block of chunk positions `h`, in registers.
#[inline(always)]
fn block_sum(chunks: &[u32], start: usize, terms: &[(usize, u32)]) -> [u64; BLOCK] {
    let mut acc = [0u64; BLOCK];
    for &(offset, m) in terms {
        let c: &[u32; BLOCK] = chunks[offset + start..offset + start + BLOCK]
            .try_into()
            .expect("whole blocks");
        // Wrapping operations: no overflow is possible (see `word_matvec`), and the release
        // profile's overflow checks would otherwise keep this loop from vectorising.
        for k in 0..BLOCK {
            acc[k] = acc[k].wrapping_add(u64::from(m).wrapping_mul(u64::from(c[k])));
        }
    }
    acc
}

#[inline(always)]
fn row_product_generic(
    chunks: &[u32],
    w: usize,
    pos: &[(usize, u32)],
    neg: &[(usize, u32)],
    limbs: &mut Vec<u64>,
) -> Integer {
    limbs.clear();
    // Two chunks make one limb: p = pos_{2l} + pos_{2l+1}·2^32 < 2^97, likewise n, and
    // |carry| < 2^34, so the i128 arithmetic never overflows; the wrapping operations only spare
    // the release profile's overflow checks.
    let mut carry: i128 = 0;
    for start in (0..w).step_by(BLOCK) {
        let p = block_sum(chunks, start, pos);
        let n = block_sum(chunks, start, neg);
        for k in (0..BLOCK).step_by(2) {
            let p = u128::from(p[k]) + (u128::from(p[k + 1]) << 32);
            let n = u128::from(n[k]) + (u128::from(n[k + 1]) << 32);
            let t = (p as i128).wrapping_sub(n as i128).wrapping_add(carry);
            limbs.push(t as u64);
            carry = t >> 64;
        }
    }
    finish_limbs(limbs, carry)
}

/// The integer with two's complement limbs `limbs` followed by the sign extension of `carry`.
fn finish_limbs(limbs: &mut Vec<u64>, mut carry: i128) -> Integer {
    while carry != 0 && carry != -1 {
        limbs.push(carry as u64);
        carry >>= 64;
    }
    let negative = carry == -1;
    if negative {
        // Two's complement of the limbs: the magnitude of the negative result.
        let mut c = true;
        for l in limbs.iter_mut() {
            let (v, overflow) = (!*l).overflowing_add(u64::from(c));
            *l = v;
            c = overflow;
        }
        if c {
            limbs.push(1);
        }
    }
    let mut r = Integer::from_digits(limbs, rug::integer::Order::Lsf);
    if negative {
        r.neg_assign_mut();
    }
    r
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
    fn the_normal_form_covers_primes_beyond_one_word() {
        // Found by tests/it/scalar_laws.rs on a clean clone: the denominators' odd primes (3, 5, 7,
        // 11, 17, 19, 23, 29, 79, 271, 461, 1973, 2357, 10369, 534697, 3308467) multiply to more
        // than 2^32, and one word modulus left the largest out, so a common factor survived.
        let q = |n: i64, d: u64| Rational::from((n, d));
        let xs = [
            q(0, 1),
            q(0, 1),
            q(1, 110_241_767_627),
            q(-1, 53_382_115_045),
            q(1, 438_742_086_816),
        ];
        let a = Rational::from((-865_810_933_901i64, 63_322_561_619u64));
        let ys: Vec<Rational> = xs
            .iter()
            .rev()
            .map(|x| Rational::from(x * 3u32) - 1u32)
            .collect();
        let (qx, mut qy) = (QVec::from_scalars(&xs), QVec::from_scalars(&ys));
        qy.axpy(&a, &qx, Rounding::Naive);
        let want: Vec<Rational> = (0..5)
            .map(|i| Rational::from(&a * &xs[i]) + &ys[i])
            .collect();
        assert_eq!(qy.to_scalars(), want);
        assert_eq!(qy, QVec::from_scalars(&want));
        let d = want.iter().fold(Integer::from(1), |l, w| l.lcm(w.denom()));
        assert_eq!(qy.denominator(), &d, "the least common denominator");
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

    /// A big signed integer from a seed: about `bits` bits, either sign.
    fn big(seed: u64, bits: u32) -> Integer {
        let mut rng = crate::benchmark::SplitMix64::new(seed);
        let mut x = Integer::new();
        for _ in 0..bits.div_ceil(64) {
            x <<= 64;
            x += rng.next_u64();
        }
        x >>= bits.div_ceil(64) * 64 - bits;
        if rng.next_u64() % 2 == 0 { -x } else { x }
    }

    /// The chunked product equals the entrywise rational product, for signs, zeros, extreme
    /// small entries and a zero vector entry.
    #[test]
    fn word_matvec_matches_rational_products() {
        let entries = [0, 1, -1, 7, -3, (1 << 31) - 1, -(1 << 31) + 1];
        for seed in 0..6u64 {
            let n = 7;
            let rows: Vec<Vec<Rational>> = (0..n)
                .map(|i| {
                    (0..n)
                        .map(|j| {
                            // One big entry per row keeps Σ|a_ij| < 2^32.
                            let v = if j == (i + seed as usize) % n {
                                entries[5 + i % 2]
                            } else {
                                entries[(i * 3 + j + seed as usize) % 5]
                            };
                            q(v, 6)
                        })
                        .collect()
                })
                .collect();
            let m = QMat::from_rows(&rows).unwrap();
            assert!(m.word_rows);
            let xs: Vec<Rational> = (0..n)
                .map(|j| {
                    if j == 2 {
                        Rational::new()
                    } else {
                        Rational::from((big(seed * 10 + j as u64, 300 + 37 * j as u32), 35))
                    }
                })
                .collect();
            let want: Vec<Rational> = rows
                .iter()
                .map(|r| {
                    r.iter()
                        .zip(&xs)
                        .fold(Rational::new(), |acc, (a, x)| acc + Rational::from(a * x))
                })
                .collect();
            assert_eq!(
                m.matvec(&QVec::from_scalars(&xs)).to_scalars(),
                want,
                "seed {seed}"
            );
        }
    }

    /// A result of exactly −2^(64k) (the two's complement carries out of the top limb).
    #[test]
    fn combine_handles_negative_powers_of_two() {
        let m = QMat::from_rows(&[vec![q(-1, 1)]]).unwrap();
        let x = Integer::from(Integer::from(1) << 128);
        let y = m.matvec(&QVec::from_parts(vec![x.clone()], Integer::from(1)).unwrap());
        assert_eq!(y.numerators(), &[-x]);
    }

    /// An entry's common factor with the shared denominator, found by the known primes, is the
    /// gcd: entries with powers of 2, 3 and 5 in common (and none), with known and unknown primes.
    #[test]
    fn entry_common_factor_is_the_gcd() {
        let den = (Integer::from(1) << 40u32) * Integer::from(2187 * 25); // 2^40 · 3^7 · 5^2
        let nums: Vec<Integer> = [1i64, 2, 6, 75, 2 * 27 * 5, 7, -(1 << 40) * 3 * 25 * 9, 0]
            .iter()
            .map(|&n| Integer::from(n) * 7919)
            .collect();
        let known = QVec::from_parts(nums.clone(), den.clone()).unwrap();
        assert!(known.primes.is_some());
        let mut unknown = known.clone();
        unknown.primes = None;
        for v in [&known, &unknown] {
            for (i, n) in v.numerators().iter().enumerate() {
                let want = Integer::from(n.gcd_ref(v.denominator()));
                assert_eq!(v.entry_common_factor(i), want, "entry {i}");
            }
        }
    }

    /// `dot` reduced by the denominators' known primes is the sum of the entries' products in ℚ
    /// (rug's canonical rationals, one `Rational` per entry), for vectors with known primes, one
    /// without, zero sums and common factors of several primes (2, 3, 5, 7 to powers up to 4).
    #[test]
    fn dot_by_known_primes_is_the_rational_sum() {
        for seed in 0..40u64 {
            let den_a =
                Integer::from(2u64.pow((seed % 5) as u32) * 3u64.pow((seed % 3) as u32) * 7);
            let den_b = Integer::from(5u64.pow((seed % 4) as u32) * 2u64.pow(3) * 3);
            let a: Vec<Integer> = (0..4).map(|j| big(seed * 11 + j, 90) * 45).collect();
            let mut b: Vec<Integer> = (0..4).map(|j| big(seed * 13 + j, 70) * 14).collect();
            if seed % 7 == 0 {
                // a zero sum: b orthogonal to a in its first two entries, zero elsewhere.
                b = vec![
                    a[1].clone(),
                    Integer::from(-&a[0]),
                    Integer::new(),
                    Integer::new(),
                ];
            }
            let u = QVec::from_parts(a.clone(), den_a.clone()).unwrap();
            let v = QVec::from_parts(b.clone(), den_b.clone()).unwrap();
            let mut want = Rational::new();
            for (x, y) in u.numerators().iter().zip(v.numerators()) {
                want += Rational::from((x.clone(), u.denominator().clone()))
                    * Rational::from((y.clone(), v.denominator().clone()));
            }
            assert!(u.primes.is_some() && v.primes.is_some());
            assert_eq!(u.dot(&v), want, "seed {seed}");
            let mut unknown = v.clone();
            unknown.primes = None;
            assert_eq!(u.dot(&unknown), want, "seed {seed}, primes unknown");
        }
    }

    /// `reflected_weighted_square_sum` is Σ wᵢ eᵢ² with e = H_r⋯H₁x computed entry by entry in
    /// rug's rationals (H = I − 2vvᵀ/(vᵀv)), for no reflection, one, and two; with vᵀv small
    /// (its primes known) and vᵀv above 2⁶⁴ (primes unknown: the gcd path).
    #[test]
    fn reflected_weighted_square_sum_is_the_rational_sum() {
        let reflect = |x: &[Rational], v: &[Integer]| -> Vec<Rational> {
            let s = v
                .iter()
                .fold(Rational::new(), |s, vi| s + Rational::from(vi * vi));
            let t = x
                .iter()
                .zip(v)
                .fold(Rational::new(), |t, (xi, vi)| t + Rational::from(xi * vi));
            let c = Rational::from(2) * t / s;
            x.iter()
                .zip(v)
                .map(|(xi, vi)| Rational::from(xi - Rational::from(&c * vi)))
                .collect()
        };
        for seed in 0..30u64 {
            let den = Integer::from(2u64.pow((seed % 6) as u32) * 3u64.pow((seed % 3) as u32) * 5);
            let num: Vec<Integer> = (0..5).map(|j| big(seed * 17 + j, 120) * 3).collect();
            let x = QVec::from_parts(num, den).unwrap();
            let w = QVec::from_scalars(&[
                Rational::from((1, 10)),
                Rational::from((11, 20)),
                Rational::from(0),
                Rational::from((7, 16)),
                Rational::from(1),
            ]);
            let mut v1: Vec<Integer> = (0..5).map(|j| Integer::from((seed + j) % 7) - 3).collect();
            if v1.iter().all(|x| *x == 0) {
                v1[0] = Integer::from(1);
            }
            let v2: Vec<Integer> = if seed % 3 == 0 {
                // vᵀv = p² + 1 > 2⁶⁴ (p = 4 294 967 311, prime): no known primes.
                let mut v = vec![Integer::new(); 5];
                v[0] = Integer::from(4_294_967_311u64);
                v[3] = Integer::from(1);
                v
            } else {
                (0..5)
                    .map(|j| Integer::from((seed * 3 + j) % 5) + 1)
                    .collect()
            };
            let xs: Vec<Rational> = (0..5).map(|i| x.get(i)).collect();
            let weighted = |e: &[Rational]| {
                e.iter().enumerate().fold(Rational::new(), |s, (i, ei)| {
                    s + Rational::from(ei * ei) * w.get(i)
                })
            };
            assert_eq!(x.weighted_square_sum(&w), weighted(&xs), "seed {seed}");
            let e1 = reflect(&xs, &v1);
            assert_eq!(
                x.reflected_weighted_square_sum(&[v1.clone()], &w),
                weighted(&e1),
                "seed {seed}"
            );
            let e2 = reflect(&e1, &v2);
            assert_eq!(
                x.reflected_weighted_square_sum(&[v1.clone(), v2.clone()], &w),
                weighted(&e2),
                "seed {seed}, two reflections"
            );
        }
        // A reflection of a vector onto its own axis: e = −x there, the sum unchanged.
        let x = QVec::from_scalars(&[Rational::from((3, 7)), Rational::from(0)]);
        let w = QVec::from_scalars(&[Rational::from(1), Rational::from(1)]);
        let v = vec![Integer::from(5), Integer::new()];
        assert_eq!(
            x.reflected_weighted_square_sum(&[v], &w),
            Rational::from((9, 49))
        );
    }

    /// Normalising by the known primes gives the same normal form as the gcd chain.
    #[test]
    fn prime_normalisation_matches_gcd() {
        for seed in 0..20u64 {
            let g = Integer::from(3u32.pow((seed % 4) as u32) * 5u32.pow((seed % 3) as u32) * 4);
            let num: Vec<Integer> = (0..5).map(|j| big(seed * 7 + j, 200) * &g).collect();
            let den = Integer::from(2u64.pow(10) * 3u64.pow(5) * 5u64.pow(4) * 7);
            let mut fast = QVec {
                num: num.clone(),
                den: den.clone(),
                primes: factor(&den),
            };
            fast.normalize();
            let mut slow = QVec {
                num,
                den,
                primes: None,
            };
            slow.normalize();
            assert_eq!(fast.num, slow.num);
            assert_eq!(fast.den, slow.den);
            assert_eq!(fast.primes, factor(&fast.den));
        }
    }

    #[test]
    fn factor_finds_every_prime() {
        assert_eq!(factor_u64(1), Some(vec![]));
        assert_eq!(factor_u64(21_048_206_400), Some(vec![2, 3, 5, 13, 31]));
        assert_eq!(factor_u64(4_294_967_291), Some(vec![4_294_967_291])); // largest prime < 2^32
        assert_eq!(factor_u64(3 * 65_521 * 65_521), Some(vec![3, 65_521]));
        // No factor up to 2^16 and a cofactor above 2^32: unknown, never wrong.
        assert_eq!(factor_u64(65_537 * 65_537), None);
        assert_eq!(factor_u64(4_294_967_311), None); // a prime above 2^32: unknown
    }

    #[test]
    fn diagonal_matches_dense_construction() {
        let d = [q(1, 2), q(0, 1), q(-3, 4)];
        let dense: Vec<Vec<Rational>> = (0..3)
            .map(|i| {
                (0..3)
                    .map(|j| {
                        if i == j {
                            d[i].clone()
                        } else {
                            Rational::new()
                        }
                    })
                    .collect()
            })
            .collect();
        let a = QMat::diagonal(&d);
        let b = QMat::from_rows(&dense).unwrap().with_norm_bound(q(3, 4));
        assert_eq!(a, b);
    }

    /// The fused exact chain equals the sequence of single axpys.
    #[test]
    fn axpy_chain_matches_axpy_sequence() {
        let x = QVec::from_scalars(&[q(7, 2), q(1, 9), q(5, 1)]);
        let z = QVec::from_scalars(&[q(-1, 10), q(3, 8), q(2, 3)]);
        let mut a = QVec::from_scalars(&[q(1, 3), q(-2, 5), q(0, 1)]);
        let mut b = a.clone();
        a.axpy_chain(&[(&q(-3, 7), &x), (&q(9, 10), &z)], Rounding::Naive);
        b.axpy(&q(-3, 7), &x, Rounding::Naive);
        b.axpy(&q(9, 10), &z, Rounding::Naive);
        assert_eq!(a, b);
    }
}
