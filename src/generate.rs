//! The crate's own deterministic generator: seed → instance through a documented ChaCha20 stream.
//!
//! Every seeded instance of the crate — `quadratic:seed=6`, a drawn least-squares or logistic
//! instance, the replay fixtures' initial parameters and gradients — is a function of a
//! [`Stream`] defined here, and nothing else. The stream is the ChaCha20 block function of
//! RFC 8439 §2.3, implemented in this file, and every primitive drawn from it (`next_u64`,
//! [`Stream::below`], ranges, small rationals, signs, f64 values) is specified below precisely
//! enough to be reimplemented in another language. Fixtures therefore depend on this file only:
//! upgrading proptest (or quickcheck) changes no fixture byte.
//!
//! The test frameworks sit on top of the generator, never underneath it:
//!
//! * proptest strategies draw the *parameters* of an instance (dimension, constants) with
//!   proptest, so that proptest shrinks them, and one `u64` seed; the instance itself is the
//!   family's generator run on `Stream::from_seed(seed)` ([`seeded`], [`seeded_with`]). The
//!   strategy `quadratic_with(dim, L, m)` and the spec `quadratic:dim=..,L=..,m=..,seed=s` thus
//!   give the same instance for the same seed.
//! * quickcheck users wrap a [`Generated`] type in [`Quick`], whose `Arbitrary` draws a `u64` seed
//!   from quickcheck and calls [`Generated::generate`] (quickcheck then does not shrink:
//!   proptest's shrinking is the tool for minimal counterexamples).
//!
//! # The stream
//!
//! **Key.** 32 bytes. [`Stream::from_seed`] builds them from a `u64` seed as the seed's 8
//! little-endian bytes followed by 24 zero bytes; [`Stream::from_key`] takes any 32 bytes.
//!
//! **Blocks.** Block `j` (j = 0, 1, 2, …) is the ChaCha20 block function (RFC 8439 §2.3: 20 rounds,
//! i.e. 10 double rounds of §2.1's quarter round on columns then diagonals, and the input state
//! added to the output) on the state
//!
//! ```text
//! words 0..4   "expand 32-byte k" (0x61707865, 0x3320646e, 0x79622d32, 0x6b206574)
//! words 4..12  the key, read as eight little-endian u32 words
//! words 12, 13 the block counter j as a 64-bit number: low word, high word
//! words 14, 15 the stream id 0 as a 64-bit number: low word, high word
//! ```
//!
//! This is the original (Bernstein) layout with a 64-bit counter and a 64-bit nonce, the one
//! `rand_chacha`'s `ChaCha20Rng` uses (stream 0), rather than RFC 8439's 32-bit counter and
//! 96-bit nonce; for counters below 2³² the two coincide with the RFC nonce
//! `00 00 00 00 ‖ 8 zero bytes`, and the RFC's §2.3.2 test vector is the block with counter
//! `1 + 0x09000000·2³²` and stream id `0x4a000000` (the tests check it).
//!
//! **Words.** The stream emits the 16 output words of block 0 in order (word 0 first), then those
//! of block 1, and so on. [`Stream::next_u32`] takes the next word; [`Stream::next_u64`] takes the
//! next two, the first as the low half and the second as the high half (so it equals the next 8
//! keystream bytes read as a little-endian u64). Every other primitive is built from
//! `next_u64` alone, so that `next_u64` never straddles a block boundary; with the same key, this
//! sequence of `next_u64` values is exactly that of `rand_chacha::ChaCha20Rng::from_seed(key)`.
//!
//! # Primitives
//!
//! * [`Stream::below`]`(n)`, uniform in `0..n`: draw `x = next_u64()`; if `x ≥ 2⁶⁴ − (2⁶⁴ mod n)`
//!   (the incomplete last copy of `0..n` in `0..2⁶⁴`) discard it and draw again; return `x mod n`.
//!   Unbiased, and for small `n` it almost never redraws (probability below `n/2⁶⁴`).
//! * [`Stream::range_i64`]`(lo, hi)` and [`Stream::range_usize`]`(lo, hi)`, inclusive:
//!   `lo + below(hi − lo + 1)` (all of `next_u64` when the range has 2⁶⁴ values).
//! * [`Stream::rational`]`(lo, hi, dmax)`, the small rational `p/q`: `p = range_i64(lo, hi)`, then
//!   `q = range_i64(1, dmax)`; the value is `p/q` in lowest terms.
//! * [`Stream::coin`]: the lowest bit of `next_u64()` is 1. [`Stream::sign`]: −1 when
//!   [`Stream::coin`], else +1.
//! * [`Stream::pick`]`(items)`: `items[below(len)]`.
//! * [`Stream::f64_with_exponent`]`(lo, hi)`: `e = lo + below(hi − lo + 1)`,
//!   `m = next_u64() mod 2⁵²`, `s = sign()`; the value is `s·(1 + m/2⁵²)·2ᵉ` rounded once to the
//!   nearest f64 (ties to even): exact for `e ≥ −1022`, a subnormal (or the smallest normal) below.
//!
//! Draws of compound values (vectors, instances) are sequences of these primitives in an order
//! that each generator documents.

use proptest::strategy::{Just, Strategy};
use rug::Rational;

/// The constant words of the ChaCha state, "expand 32-byte k" (RFC 8439 §2.3).
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// The ChaCha quarter round on four words of the state (RFC 8439 §2.1, §2.2).
fn quarter_round(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(16);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(12);
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(8);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(7);
}

/// The ChaCha20 block function (RFC 8439 §2.3) on `key`, with the 64-bit block counter in words
/// 12–13 and the 64-bit stream id in words 14–15 (low word first; see the module documentation
/// for how this maps onto the RFC's 32-bit counter and 96-bit nonce).
pub fn chacha20_block(key: &[u32; 8], counter: u64, stream_id: u64) -> [u32; 16] {
    let mut input = [0u32; 16];
    input[..4].copy_from_slice(&SIGMA);
    input[4..12].copy_from_slice(key);
    // Truncating casts on purpose: the low and the high 32-bit halves.
    input[12] = counter as u32;
    input[13] = (counter >> 32) as u32;
    input[14] = stream_id as u32;
    input[15] = (stream_id >> 32) as u32;
    let mut s = input;
    // 20 rounds = 10 double rounds: a column round, then a diagonal round (RFC 8439 §2.3).
    for _ in 0..10 {
        quarter_round(&mut s, 0, 4, 8, 12);
        quarter_round(&mut s, 1, 5, 9, 13);
        quarter_round(&mut s, 2, 6, 10, 14);
        quarter_round(&mut s, 3, 7, 11, 15);
        quarter_round(&mut s, 0, 5, 10, 15);
        quarter_round(&mut s, 1, 6, 11, 12);
        quarter_round(&mut s, 2, 7, 8, 13);
        quarter_round(&mut s, 3, 4, 9, 14);
    }
    for (out, inp) in s.iter_mut().zip(input) {
        *out = out.wrapping_add(inp);
    }
    s
}

/// A deterministic stream of random words: ChaCha20 keystream of a 32-byte key, stream id 0,
/// block counter from 0. See the [module documentation](self) for the exact layout and the
/// algorithms of the primitives.
#[derive(Clone, Debug)]
pub struct Stream {
    key: [u32; 8],
    /// The counter of the *next* block to compute.
    counter: u64,
    block: [u32; 16],
    /// The next word of `block` to emit (16: the block is used up).
    index: usize,
}

impl Stream {
    /// The stream of a 32-byte key (read as eight little-endian u32 words).
    pub fn from_key(key: [u8; 32]) -> Self {
        let mut words = [0u32; 8];
        for (w, chunk) in words.iter_mut().zip(key.chunks_exact(4)) {
            *w = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        Stream {
            key: words,
            counter: 0,
            block: [0; 16],
            index: 16,
        }
    }

    /// The stream of a `u64` seed: the key is the seed's 8 little-endian bytes, then 24 zeros.
    pub fn from_seed(seed: u64) -> Self {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        Stream::from_key(key)
    }

    /// The next keystream word.
    pub fn next_u32(&mut self) -> u32 {
        if self.index == 16 {
            self.block = chacha20_block(&self.key, self.counter, 0);
            self.counter += 1;
            self.index = 0;
        }
        let w = self.block[self.index];
        self.index += 1;
        w
    }

    /// The next two keystream words as one number: the first is the low half.
    pub fn next_u64(&mut self) -> u64 {
        let low = u64::from(self.next_u32());
        let high = u64::from(self.next_u32());
        (high << 32) | low
    }

    /// A uniform draw from `0..n` by rejection: `next_u64()` values at or above
    /// `2⁶⁴ − (2⁶⁴ mod n)` are discarded, the first other `x` gives `x mod n`.
    ///
    /// # Panics
    /// Panics if `n = 0` (an empty range is a caller error).
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0): the range is empty");
        // 2⁶⁴ mod n computed without 128-bit arithmetic: (2⁶⁴ − n) mod n.
        let excess = n.wrapping_neg() % n;
        loop {
            let x = self.next_u64();
            // x ≥ 2⁶⁴ − excess, written without overflow: x > u64::MAX − excess.
            if excess == 0 || x <= u64::MAX - excess {
                return x % n;
            }
        }
    }

    /// A uniform integer in `lo..=hi`: `lo + below(hi − lo + 1)`.
    ///
    /// # Panics
    /// Panics if `lo > hi`.
    pub fn range_i64(&mut self, lo: i64, hi: i64) -> i64 {
        assert!(lo <= hi, "range_i64({lo}, {hi}): the range is empty");
        // The span as an unsigned number (two's complement difference), 0 for all 2⁶⁴ values.
        let span = hi.wrapping_sub(lo) as u64;
        let offset = match span.checked_add(1) {
            Some(n) => self.below(n),
            None => self.next_u64(),
        };
        lo.wrapping_add(offset as i64)
    }

    /// A uniform `usize` in `lo..=hi`: `lo + below(hi − lo + 1)`.
    ///
    /// # Panics
    /// Panics if `lo > hi`.
    pub fn range_usize(&mut self, lo: usize, hi: usize) -> usize {
        assert!(lo <= hi, "range_usize({lo}, {hi}): the range is empty");
        let span = (hi - lo) as u64;
        let offset = match span.checked_add(1) {
            Some(n) => self.below(n),
            None => self.next_u64(),
        };
        // offset ≤ hi − lo, which is a usize.
        lo + offset as usize
    }

    /// The small rational `p/q` with `p = range_i64(lo, hi)` drawn first, then
    /// `q = range_i64(1, dmax)`.
    ///
    /// # Panics
    /// Panics if `lo > hi` or `dmax = 0`.
    pub fn rational(&mut self, lo: i64, hi: i64, dmax: u64) -> Rational {
        assert!(dmax >= 1, "rational: dmax must be at least 1");
        let p = self.range_i64(lo, hi);
        let q = 1 + self.below(dmax);
        Rational::from((p, q))
    }

    /// `n` successive [`Stream::rational`] draws.
    pub fn rationals(&mut self, n: usize, lo: i64, hi: i64, dmax: u64) -> Vec<Rational> {
        (0..n).map(|_| self.rational(lo, hi, dmax)).collect()
    }

    /// A fair coin: the lowest bit of `next_u64()` is 1.
    pub fn coin(&mut self) -> bool {
        self.next_u64() & 1 == 1
    }

    /// −1 when [`Stream::coin`] comes up, else +1.
    pub fn sign(&mut self) -> i64 {
        if self.coin() { -1 } else { 1 }
    }

    /// `items[below(items.len())]`.
    ///
    /// # Panics
    /// Panics if `items` is empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A finite f64 `s·(1 + m/2⁵²)·2ᵉ` rounded once to nearest (ties to even), drawn as
    /// `e = lo + below(hi − lo + 1)`, then `m = next_u64() mod 2⁵²`, then `s = sign()`: every
    /// 52-bit mantissa equally likely, exponents uniform in `lo..=hi`, subnormal below −1022.
    ///
    /// # Panics
    /// Panics unless `−1074 ≤ lo ≤ hi ≤ 1023` (outside, the value is zero or infinite).
    pub fn f64_with_exponent(&mut self, lo: i32, hi: i32) -> f64 {
        assert!(
            -1074 <= lo && lo <= hi && hi <= 1023,
            "f64_with_exponent({lo}, {hi}): exponents must lie in -1074..=1023"
        );
        let e = self.range_i64(i64::from(lo), i64::from(hi));
        let m = self.next_u64() & ((1u64 << 52) - 1);
        let negative = self.sign() < 0;
        let magnitude_bits = if e >= -1022 {
            // A normal number: biased exponent e + 1023 and the 52 drawn bits, exactly.
            ((e + 1023) as u64) << 52 | m
        } else {
            // (2⁵² + m)·2^(e−52) in units of the smallest subnormal 2⁻¹⁰⁷⁴ is (2⁵² + m)/2^shift
            // with shift = −1022 − e in 1..=52; round it to the nearest integer, ties to even.
            // The result (at most 2⁵²) is the f64's bit pattern: 2⁵² is the smallest normal.
            let n = (1u64 << 52) | m;
            let shift = (-1022 - e) as u32;
            let quotient = n >> shift;
            let remainder = n & ((1u64 << shift) - 1);
            let half = 1u64 << (shift - 1);
            if remainder > half || (remainder == half && quotient & 1 == 1) {
                quotient + 1
            } else {
                quotient
            }
        };
        let x = f64::from_bits(magnitude_bits);
        if negative { -x } else { x }
    }
}

/// The proptest strategy of `generate(&mut Stream::from_seed(seed))` for a seed proptest draws:
/// the instance comes from the crate's stream, proptest only picks (and shrinks) the seed.
pub fn seeded<T, F>(generate: F) -> impl Strategy<Value = T>
where
    T: std::fmt::Debug,
    F: Fn(&mut Stream) -> T,
{
    seeded_with(Just(()), move |(), stream| generate(stream))
}

/// The proptest strategy of `generate(params, &mut Stream::from_seed(seed))` for parameters drawn
/// by `params` and a seed, both drawn (and shrunk) by proptest: the parameters first, then the
/// seed (`(params, any::<u64>())`).
pub fn seeded_with<P, T, F>(params: P, generate: F) -> impl Strategy<Value = T>
where
    P: Strategy,
    T: std::fmt::Debug,
    F: Fn(P::Value, &mut Stream) -> T,
{
    (params, proptest::prelude::any::<u64>())
        .prop_map(move |(p, seed)| generate(p, &mut Stream::from_seed(seed)))
}

/// A type with a canonical generator, usable from proptest and from quickcheck (through
/// [`Quick`]).
pub trait Generated: Clone + std::fmt::Debug + Send + 'static {
    /// An instance drawn from `stream` (the canonical distribution, parameters included).
    fn generate(stream: &mut Stream) -> Self;

    /// The strategy the crate's own property tests use: parameters drawn by proptest, the
    /// instance from the stream of a proptest-drawn seed.
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
        Quick(T::generate(&mut Stream::from_seed(seed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejection_bound_is_the_incomplete_last_copy() {
        // n = 3: 2⁶⁴ mod 3 = 1, so only u64::MAX is rejected; n a power of two rejects nothing.
        assert_eq!(3u64.wrapping_neg() % 3, 1);
        assert_eq!(8u64.wrapping_neg() % 8, 0);
        let mut s = Stream::from_seed(1);
        assert!((0..1000).all(|_| s.below(3) < 3));
    }

    #[test]
    fn subnormal_draws_round_to_nearest_even_like_the_hardware() {
        // The integer rounding of f64_with_exponent against one hardware multiplication, which
        // rounds once to nearest even: (1 + m/2⁵²)·2ᵉ = ((1 + m/2⁵²)·2⁻¹⁰⁰⁰)·2^(e+1000).
        let mut s = Stream::from_seed(7);
        for _ in 0..2000 {
            let mut probe = s.clone();
            let x = s.f64_with_exponent(-1074, -1000);
            let e = probe.range_i64(-1074, -1000) as i32;
            let m = probe.next_u64() & ((1u64 << 52) - 1);
            let sign = if probe.sign() < 0 { -1.0 } else { 1.0 };
            let big = f64::from_bits(((-1000 + 1023) as u64) << 52 | m);
            let scale = f64::from_bits(((e + 1000 + 1023) as u64) << 52);
            assert_eq!(
                x.to_bits(),
                (sign * big * scale).to_bits(),
                "e = {e}, m = {m}"
            );
        }
    }
}
