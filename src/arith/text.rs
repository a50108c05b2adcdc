//! Text forms of exact numbers: `"p/q"` rationals, exact decimals, and f64 as decimal plus bits.
//!
//! These are the spellings used by the CLI, the JSON traces, the fixtures and the snapshots.
//! Parsing never panics and refuses inputs whose exact value would be unreasonably large (a decimal
//! exponent like `1e999999999` would need gigabytes of digits).

use rug::ops::Pow;
use rug::{Integer, Rational};

use crate::error::{Error, Result};

/// Largest decimal exponent magnitude accepted by [`parse`] (`1e-4000` has a 13 000-bit
/// denominator: ample for hyper-parameters, far from a memory problem).
pub const MAX_DECIMAL_EXPONENT: i64 = 4000;

/// Largest number of characters accepted for one number (numerator and denominator digits alike).
pub const MAX_NUMBER_CHARS: usize = 10_000;

/// Formats a rational as `"p/q"` in lowest terms, always with the `/q` (also `"3/1"`, `"0/1"`), so
/// that consumers can split on `/` without special cases.
pub fn format(q: &Rational) -> String {
    format!("{}/{}", q.numer(), q.denom())
}

/// Parses an exact number: `"p/q"`, an integer `"p"`, or an exact decimal `"-1.25e-3"`.
///
/// A decimal is read exactly (`"0.1"` is 1/10). Rejected with [`Error::Parse`] or
/// [`Error::DivisionByZero`]: empty text, stray characters, `q = 0`, NaN/inf spellings, more than
/// [`MAX_NUMBER_CHARS`] characters, or a decimal exponent beyond ±[`MAX_DECIMAL_EXPONENT`].
pub fn parse(text: &str) -> Result<Rational> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Error::parse("rational", text, "empty"));
    }
    if t.len() > MAX_NUMBER_CHARS {
        return Err(Error::parse(
            "rational",
            text,
            format!("longer than {MAX_NUMBER_CHARS} characters"),
        ));
    }
    if let Some((p, q)) = t.split_once('/') {
        let num = parse_integer(p.trim(), text)?;
        let den = parse_integer(q.trim(), text)?;
        if den == 0 {
            return Err(Error::DivisionByZero {
                context: format!("rational {:?}", truncate(text)),
            });
        }
        return Ok(Rational::from((num, den)));
    }
    parse_decimal(t, text)
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

fn parse_integer(s: &str, whole: &str) -> Result<Integer> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::parse(
            "rational",
            whole,
            format!("{s:?} is not an integer"),
        ));
    }
    Integer::from_str_radix(s, 10).map_err(|e| Error::parse("rational", whole, e.to_string()))
}

fn parse_decimal(t: &str, whole: &str) -> Result<Rational> {
    let lower = t.to_ascii_lowercase();
    if ["nan", "inf", "infinity"].contains(&lower.trim_start_matches(['+', '-'])) {
        return Err(Error::NonFinite {
            context: "rational".into(),
            value: t.to_string(),
        });
    }
    let (mantissa, exponent) = match lower.split_once('e') {
        Some((m, e)) => {
            let e_digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if e_digits.is_empty() || !e_digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::parse("rational", whole, "bad exponent"));
            }
            // Length check first: an exponent with more digits than i64 holds is out of range anyway.
            if e_digits.len() > 6 {
                return Err(Error::parse(
                    "rational",
                    whole,
                    format!("exponent beyond ±{MAX_DECIMAL_EXPONENT}"),
                ));
            }
            let e: i64 = e
                .parse()
                .map_err(|_| Error::parse("rational", whole, "bad exponent"))?;
            (m.to_string(), e)
        }
        None => (lower.clone(), 0),
    };
    if exponent.abs() > MAX_DECIMAL_EXPONENT {
        return Err(Error::parse(
            "rational",
            whole,
            format!("exponent beyond ±{MAX_DECIMAL_EXPONENT}"),
        ));
    }
    let (sign, body) = match mantissa.strip_prefix('-') {
        Some(b) => (-1, b),
        None => (1, mantissa.strip_prefix('+').unwrap_or(&mantissa)),
    };
    let (int_part, frac_part) = body.split_once('.').unwrap_or((body, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(Error::parse("rational", whole, "no digits"));
    }
    if !int_part
        .bytes()
        .chain(frac_part.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return Err(Error::parse("rational", whole, "not a number"));
    }
    let digits = format!("{int_part}{frac_part}");
    let mut num = Integer::from_str_radix(if digits.is_empty() { "0" } else { &digits }, 10)
        .map_err(|e| Error::parse("rational", whole, e.to_string()))?;
    if sign < 0 {
        num = -num;
    }
    // The exponent bound above keeps this well inside u32.
    let shift = exponent - frac_part.len() as i64;
    let ten = Integer::from(10);
    let q = if shift >= 0 {
        Rational::from(num * Integer::from(ten.pow(shift as u32)))
    } else {
        Rational::from((num, Integer::from(ten.pow((-shift) as u32))))
    };
    Ok(q)
}

/// Largest number of hex digits [`parse_hex_integer`] accepts: 2¹⁸, the digits of an integer of
/// [`crate::trace::RunOptions`]'s default size budget (2²⁰ bits, four bits a digit), so that every
/// exact trace the CLI writes by default reads back, and no more.
pub const MAX_HEX_DIGITS: usize = 1 << 18;

/// The lowercase hexadecimal digits of an integer, `-` first when negative, no prefix, no leading
/// zero (`"0"` for zero): the `shared-hex` form of exact trace vectors (fixtures/README.md).
///
/// Why not GMP's `mpz_get_str`: a power-of-two base needs no division, so the digits are read off
/// the limbs directly, in time linear in the size, where decimal conversion is superlinear and
/// dominated the writing of long exact traces.
pub fn write_hex(buf: &mut Vec<u8>, n: &Integer) {
    let limbs = n.as_limbs();
    let Some((top, rest)) = limbs.split_last() else {
        buf.push(b'0');
        return;
    };
    if *n < 0 {
        buf.push(b'-');
    }
    let top = u64::from(*top);
    // The top limb without its leading zero digits (it is non-zero: GMP keeps no zero top limb).
    let top_digits = (64 - top.leading_zeros()).div_ceil(4) as usize;
    buf.reserve(top_digits + 16 * rest.len());
    buf.extend_from_slice(&hex_limb(top)[16 - top_digits..]);
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("ssse3") {
        // SAFETY: SSSE3 is present, and `reserve` left room for 16 bytes per limb.
        unsafe { hex_limbs_ssse3(buf, rest) };
        return;
    }
    hex_limbs_swar(buf, rest);
}

/// The full limbs below the top one, most significant first, 16 digits each ([`hex_limb`]).
fn hex_limbs_swar<L: Copy + Into<u64>>(buf: &mut Vec<u8>, limbs: &[L]) {
    for &limb in limbs.iter().rev() {
        buf.extend_from_slice(&hex_limb(limb.into()));
    }
}

/// [`hex_limbs_swar`] with one table lookup per 16 digits (`pshufb` on the limb's nibbles, high
/// and low interleaved): the shared-hex writer's inner loop, where the SWAR form's shifts and
/// per-limb slice appends took about a tenth of an exact every-step trace.
///
/// # Safety
/// The CPU must have SSSE3, and `buf` spare capacity for 16 bytes per limb.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "ssse3")]
unsafe fn hex_limbs_ssse3<L: Copy + Into<u64>>(buf: &mut Vec<u8>, limbs: &[L]) {
    use std::arch::x86_64::{
        _mm_and_si128, _mm_cvtsi64_si128, _mm_set1_epi8, _mm_setr_epi8, _mm_shuffle_epi8,
        _mm_srli_epi16, _mm_storeu_si128, _mm_unpacklo_epi8,
    };
    let digits = _mm_setr_epi8(
        b'0' as i8, b'1' as i8, b'2' as i8, b'3' as i8, b'4' as i8, b'5' as i8, b'6' as i8,
        b'7' as i8, b'8' as i8, b'9' as i8, b'a' as i8, b'b' as i8, b'c' as i8, b'd' as i8,
        b'e' as i8, b'f' as i8,
    );
    let low_nibble = _mm_set1_epi8(0x0f);
    let len = buf.len();
    debug_assert!(buf.capacity() - len >= 16 * limbs.len());
    // SAFETY (of the pointer arithmetic and stores): the caller reserved 16 bytes per limb past
    // `len`; every byte up to the new length is written before `set_len`.
    unsafe {
        let out = buf.as_mut_ptr().add(len);
        for (i, &limb) in limbs.iter().rev().enumerate() {
            // The limb's bytes, most significant first, in the low 8 lanes.
            let bytes = _mm_cvtsi64_si128(limb.into().swap_bytes() as i64);
            let high = _mm_and_si128(_mm_srli_epi16(bytes, 4), low_nibble);
            let low = _mm_and_si128(bytes, low_nibble);
            let chars = _mm_shuffle_epi8(digits, _mm_unpacklo_epi8(high, low));
            _mm_storeu_si128(out.add(16 * i).cast(), chars);
        }
        buf.set_len(len + 16 * limbs.len());
    }
}

/// The 16 hex digits of a word, most significant first, without a table or a branch: each half
/// spreads its 8 nibbles into 8 bytes (SWAR), then adds `'0'`, and `'a' − '0' − 10` more to the
/// bytes above 9.
fn hex_limb(x: u64) -> [u8; 16] {
    fn eight(x: u32) -> [u8; 8] {
        let mut v = u64::from(x);
        v = (v | (v << 16)) & 0x0000_ffff_0000_ffff;
        v = (v | (v << 8)) & 0x00ff_00ff_00ff_00ff;
        v = (v | (v << 4)) & 0x0f0f_0f0f_0f0f_0f0f;
        // 1 in each byte whose nibble is above 9 (nibble + 6 carries into bit 4).
        let above9 = ((v + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
        (v + 0x3030_3030_3030_3030 + above9 * 39).to_be_bytes()
    }
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&eight((x >> 32) as u32));
    out[8..].copy_from_slice(&eight(x as u32));
    out
}

/// [`write_hex`] as a string.
pub fn format_hex(n: &Integer) -> String {
    let mut buf = Vec::new();
    write_hex(&mut buf, n);
    String::from_utf8(buf).unwrap_or_default()
}

/// Parses an integer as [`write_hex`] writes it: `-?(0|[1-9a-f][0-9a-f]*)`, lowercase, no prefix,
/// no leading zero, no `-0`, at most [`MAX_HEX_DIGITS`] digits; `what` names the value in the
/// error. Rejected with [`Error::Parse`] (one line: the input is truncated), never a panic.
pub fn parse_hex_integer(what: &'static str, text: &str) -> Result<Integer> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.len() > MAX_HEX_DIGITS {
        return Err(Error::parse(
            what,
            text,
            format!("{} hex digits; the limit is {MAX_HEX_DIGITS}", digits.len()),
        ));
    }
    if digits.is_empty()
        || !digits
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(Error::parse(
            what,
            text,
            "expected lowercase hex digits, optionally after '-'",
        ));
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return Err(Error::parse(what, text, "a leading zero"));
    }
    if digits == "0" && digits.len() != text.len() {
        return Err(Error::parse(what, text, "\"-0\" is not a canonical zero"));
    }
    Integer::from_str_radix(text, 16).map_err(|e| Error::parse(what, text, e.to_string()))
}

/// The rationals `numerators[i] / denominator` of a vector in the `shared-hex` form (hex text as
/// [`write_hex`] writes it; the denominator positive, not necessarily coprime to the numerators).
///
/// # Errors
/// [`Error::Parse`] for a malformed or too long number, [`Error::DivisionByZero`] for a zero
/// denominator, [`Error::Parse`] for a negative one.
pub fn parse_shared_hex<'a>(
    denominator: &str,
    numerators: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<Rational>> {
    let den = parse_hex_integer("hex denominator", denominator)?;
    if den == 0 {
        return Err(Error::DivisionByZero {
            context: "a shared-hex vector (denominator \"0\")".into(),
        });
    }
    if den < 0 {
        return Err(Error::parse(
            "hex denominator",
            denominator,
            "must be positive",
        ));
    }
    numerators
        .into_iter()
        .map(|n| {
            let n = parse_hex_integer("hex numerator", n)?;
            Ok(Rational::from((n, den.clone())))
        })
        .collect()
}

/// The shortest decimal that reads back as `x` (Rust's round-trip formatting, `{:?}`), with
/// exponent notation for very large or small magnitudes; `NaN`, `inf`, `-inf` for non-finite
/// values. The same text as [`write_f64`] writes.
pub fn format_f64(x: f64) -> String {
    let mut buf = Vec::with_capacity(24);
    write_f64(&mut buf, x);
    // Only ASCII is written.
    String::from_utf8(buf).unwrap_or_default()
}

/// [`format_f64`] into a buffer: byte for byte Rust's `{:?}` of `x` for finite `x`, `NaN`, `inf`
/// and `-inf` otherwise.
///
/// `{:?}` is the text of every fixture and snapshot, and cost 35–40 % of writing an f64 trace
/// (its digits come from Grisu with a Dragon4 fallback, behind the `fmt` machinery). Here the
/// digits come from Ryū (the `ryu` crate). Both pick the shortest digit string that reads back
/// as `x` and, of the shortest, the one closest to `x`; they differ only when two are exactly
/// equally close (a tie: `x` exactly halfway between them): Ryū takes the even one, `{:?}` the
/// one above (core's `flt2dec::strategy::dragon::format_short` rounds up when
/// `2·remainder >= scale`). The layouts differ only for `x` in [10⁻⁵, 10⁻⁴): `{:?}` switches to
/// exponent notation below 10⁻⁴ (core's `fmt::float::float_to_general_debug`), Ryū below 10⁻⁵
/// (ryu 1.0's `pretty::format64`: decimal for `−5 < kk ≤ 16`, where `{:?}` has `−4 < kk ≤ 16`).
/// So Ryū's text is used as it is, except for that range and for the values that can be ties
/// ([`may_be_tie`]), which go through [`write_f64_digits`]. The equality with `{:?}` is tested over
/// ties, boundaries and millions of random bit patterns (tests/it/float_text.rs).
///
/// Why not `zmij` (already in the tree through serde_json): it too takes the other of two equally
/// close strings (`43179085685d83c9`: `…562.2` where `{:?}` writes `…562.3`), and gives only text.
pub fn write_f64(buf: &mut Vec<u8>, x: f64) {
    if !x.is_finite() {
        buf.extend_from_slice(match (x.is_nan(), x > 0.0) {
            (true, _) => b"NaN",
            (false, true) => b"inf",
            (false, false) => b"-inf",
        });
        return;
    }
    let abs = x.abs();
    if (1e-5..1e-4).contains(&abs) || may_be_tie(abs) {
        write_f64_digits(buf, x);
    } else {
        let mut ryu_buf = ryu::Buffer::new();
        buf.extend_from_slice(ryu_buf.format_finite(x).as_bytes());
    }
}

/// A necessary condition for `abs` to be a tie (see [`resolve_tie`]): `abs = odd·2^−(j+1)` with
/// `1 ≤ j ≤ 24`, in a binade whose unit in the last place `2^(E−52)` exceeds `10^−j`
/// (`52 − E < j·log₂10 < 3.33·j`). Rarely true of computed values (their mantissas are full);
/// true of short binary fractions like 0.375 only when they are large enough (2⁴⁹ + 0.25).
fn may_be_tie(abs: f64) -> bool {
    let bits = abs.to_bits();
    let biased = (bits >> 52) as i32;
    let mantissa = (bits & ((1 << 52) - 1)) | (u64::from(biased != 0) << 52);
    if mantissa == 0 {
        return false;
    }
    // abs = mantissa·2^(max(biased, 1) − 1075); its lowest set bit is 2^−(j+1).
    let j = 1075 - biased.max(1) - mantissa.trailing_zeros() as i32 - 1;
    let binade = biased - 1023;
    (1..=24).contains(&j) && 100 * (52 - binade) < 333 * j
}

/// [`write_f64`] through the digits: Ryū's digits read back from its text, a tie resolved as
/// `{:?}` resolves it, laid out as `{:?}` lays them out.
fn write_f64_digits(buf: &mut Vec<u8>, x: f64) {
    if x.is_sign_negative() {
        buf.push(b'-');
    }
    let abs = x.abs();
    if abs == 0.0 {
        buf.extend_from_slice(b"0.0");
        return;
    }
    let mut d = shortest_digits(abs);
    resolve_tie(&mut d, abs);
    let digits = &d.digits[..d.len];
    // core::fmt::float::float_to_general_debug: exponent form when the value is below 1e-4 or
    // at least 1e16 (the f64 literals, compared as floats), otherwise the decimal form with at
    // least one fractional digit (`min_precision = 1`).
    if abs < 1e-4 || abs >= 1e16 {
        // core::num::flt2dec::digits_to_exp_str: `d[.ddd]e[-]E`, no `+`, no padding.
        buf.extend_from_slice(&digits[..1]);
        if digits.len() > 1 {
            buf.push(b'.');
            buf.extend_from_slice(&digits[1..]);
        }
        buf.push(b'e');
        write_i32(buf, d.exp - 1);
    } else if d.exp <= 0 {
        // core::num::flt2dec::digits_to_dec_str: `0.` then `-exp` zeros then the digits.
        buf.extend_from_slice(b"0.");
        buf.resize(buf.len() + (-d.exp) as usize, b'0');
        buf.extend_from_slice(digits);
    } else if (d.exp as usize) < digits.len() {
        let (int, frac) = digits.split_at(d.exp as usize);
        buf.extend_from_slice(int);
        buf.push(b'.');
        buf.extend_from_slice(frac);
    } else {
        buf.extend_from_slice(digits);
        buf.resize(buf.len() + d.exp as usize - digits.len(), b'0');
        buf.extend_from_slice(b".0");
    }
}

/// A positive value's shortest round-trip digits: `0.d₁d₂…dₙ × 10^exp`, `d₁ ≠ 0`, `dₙ ≠ 0`.
struct Digits {
    /// ASCII digits; the first `len` are used (at most 17 for an f64).
    digits: [u8; 24],
    len: usize,
    exp: i32,
}

/// Ryū's digits of a finite positive `abs`, read back from its text (`1.5e-7`, `0.00012`,
/// `300.0`, `1e16`: whatever its layout, the digits and the point's place are all there).
fn shortest_digits(abs: f64) -> Digits {
    let mut ryu_buf = ryu::Buffer::new();
    let text = ryu_buf.format_finite(abs).as_bytes();
    let mut d = Digits {
        digits: [0; 24],
        len: 0,
        exp: 0,
    };
    // Digits before the point (leading zeros included), leading zeros, zeros not yet known to
    // be followed by a non-zero digit.
    let (mut before_point, mut leading, mut pending) = (0i32, 0i32, 0usize);
    let mut in_fraction = false;
    let mut i = 0;
    while let Some(&c) = text.get(i) {
        i += 1;
        match c {
            b'.' => in_fraction = true,
            b'e' => break,
            _ => {
                before_point += i32::from(!in_fraction);
                if c == b'0' {
                    if d.len == 0 {
                        leading += 1;
                    } else {
                        pending += 1;
                    }
                    continue;
                }
                for _ in 0..=pending {
                    if let Some(slot) = d.digits.get_mut(d.len) {
                        *slot = b'0';
                        d.len += 1;
                    }
                }
                pending = 0;
                if let Some(slot) = d.len.checked_sub(1).and_then(|j| d.digits.get_mut(j)) {
                    *slot = c;
                }
            }
        }
    }
    let mut exponent = 0i32;
    let negative = text.get(i) == Some(&b'-');
    for &c in text.get(i + usize::from(negative)..).unwrap_or_default() {
        exponent = 10 * exponent + i32::from(c.wrapping_sub(b'0'));
    }
    if negative {
        exponent = -exponent;
    }
    d.exp = before_point - leading + exponent;
    d
}

/// Where Ryū and `{:?}` part (see [`write_f64`]): `abs` lies exactly halfway between the
/// shortest digit strings `D` and `D + 1` (one unit in the last digit), and Ryū took the even
/// one, `D`; `{:?}` takes `D + 1`. Then `abs = (2D + 1)·10^k / 2` with `k` the last digit's
/// place. For `k ≥ 0` that cannot be an f64 whose rounding interval holds both `D` and `D + 1`
/// (its odd part would exceed 2⁵³), so only `k = −j < 0` is checked: `abs = ((2D + 1)/5^j)·2^−(j+1)`
/// exactly, which needs `5^j` to divide `2D + 1` (so `j ≤ 25`, as `2D + 1 < 2·10¹⁷`). `D` even
/// ends in 2, 4, 6 or 8 (no trailing zero), so `D + 1` changes only the last digit.
fn resolve_tie(d: &mut Digits, abs: f64) {
    let Some(last) = d.len.checked_sub(1).and_then(|j| d.digits.get(j).copied()) else {
        return;
    };
    let j = d.len as i32 - d.exp;
    if last % 2 != 0 || j <= 0 || j > 25 {
        return;
    }
    let digit_value = d.digits[..d.len]
        .iter()
        .fold(0u64, |acc, &c| 10 * acc + u64::from(c - b'0'));
    let twice_plus_one = 2 * digit_value + 1;
    let five_j = 5u64.pow(j as u32);
    if twice_plus_one % five_j != 0 {
        return;
    }
    let odd = twice_plus_one / five_j;
    // `odd < 2⁵³` is exact as an f64, and so is its product by 2^−(j+1) ≥ 2⁻²⁶ (built from its
    // exponent bits).
    let power_of_two = f64::from_bits(((1023 - (j + 1)) as u64) << 52);
    if odd < 1 << 53 && odd as f64 * power_of_two == abs {
        d.digits[d.len - 1] = last + 1;
    }
}

/// A small signed integer in decimal (an f64's decimal exponent, |e| ≤ 324).
fn write_i32(buf: &mut Vec<u8>, e: i32) {
    if e < 0 {
        buf.push(b'-');
    }
    let e = e.unsigned_abs();
    if e >= 100 {
        buf.push(b'0' + (e / 100) as u8);
    }
    if e >= 10 {
        buf.push(b'0' + (e / 10 % 10) as u8);
    }
    buf.push(b'0' + (e % 10) as u8);
}

/// The 16 lowercase hex digits of `x`'s IEEE bits into a buffer (as [`f64_bits`]).
pub fn write_f64_bits(buf: &mut Vec<u8>, x: f64) {
    buf.extend_from_slice(&hex_limb(x.to_bits()));
}

/// The 16 lowercase hex digits of `x`'s IEEE bits (sign, exponent, mantissa).
pub fn f64_bits(x: f64) -> String {
    format!("{:016x}", x.to_bits())
}

/// Parses 16 hex digits (as written by [`f64_bits`]) back into an f64.
pub fn parse_f64_bits(text: &str) -> Result<f64> {
    let t = text.trim();
    if t.len() != 16 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::parse("f64 bits", text, "expected 16 hex digits"));
    }
    u64::from_str_radix(t, 16)
        .map(f64::from_bits)
        .map_err(|e| Error::parse("f64 bits", text, e.to_string()))
}

/// Parses a finite decimal f64 (`"0.1"`, `"1e-3"`), refusing NaN and infinities.
pub fn parse_finite_f64(text: &str) -> Result<f64> {
    let x: f64 = text
        .trim()
        .parse()
        .map_err(|_| Error::parse("f64", text, "not a decimal number"))?;
    if !x.is_finite() {
        return Err(Error::NonFinite {
            context: "f64".into(),
            value: text.trim().chars().take(80).collect(),
        });
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_is_exact_not_binary() {
        assert_eq!(parse("0.1").unwrap(), Rational::from((1, 10)));
        assert_eq!(parse("-1.25e-3").unwrap(), Rational::from((-1, 800)));
        assert_eq!(parse("3/6").unwrap(), Rational::from((1, 2)));
        assert_eq!(parse("7").unwrap(), Rational::from(7));
    }

    #[test]
    fn bad_rationals_are_errors() {
        assert!(matches!(parse("1/0"), Err(Error::DivisionByZero { .. })));
        assert!(matches!(parse("abc"), Err(Error::Parse { .. })));
        assert!(matches!(parse("NaN"), Err(Error::NonFinite { .. })));
        assert!(matches!(parse("1e999999999"), Err(Error::Parse { .. })));
        assert!(matches!(parse(""), Err(Error::Parse { .. })));
        assert!(matches!(parse("1/2/3"), Err(Error::Parse { .. })));
        assert!(matches!(parse("."), Err(Error::Parse { .. })));
    }

    /// `write_f64` is `{:?}` and `write_f64_bits` is `{:016x}` of the bits, byte for byte (the
    /// thorough comparison is tests/it/float_text.rs): zero,
    /// subnormals, the extremes, both sides of the layout thresholds 10⁻⁴ and 10¹⁶, powers of ten
    /// and their neighbours, and random bit patterns (every exponent).
    #[test]
    fn written_f64_is_rusts_debug_text() {
        let check = |x: f64| {
            let mut buf = Vec::new();
            write_f64(&mut buf, x);
            let expected = if x.is_finite() {
                format!("{x:?}")
            } else {
                format!("{x}")
            };
            assert_eq!(
                String::from_utf8(buf).unwrap(),
                expected,
                "{:016x}",
                x.to_bits()
            );
            let mut bits = Vec::new();
            write_f64_bits(&mut bits, x);
            assert_eq!(String::from_utf8(bits).unwrap(), f64_bits(x));
        };
        let mut special = vec![
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            f64::EPSILON,
            5e-324,
            1e-4,
            1e16,
            0.1,
            0.3,
            1.0,
            123456.0,
            1.5,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for e in -330..=310 {
            let p: f64 = format!("1e{e}").parse().unwrap();
            special.extend([p, p.next_up(), p.next_down(), -p, 3.0 * p, 9.999 * p]);
        }
        for i in 0..2000 {
            special.push(f64::from(i) / 7.0);
            special.push(f64::from(i) * 1e14);
        }
        for x in special {
            check(x);
        }
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..100_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            check(f64::from_bits(s));
        }
    }

    #[test]
    fn hex_words_are_the_formatted_words() {
        for x in [
            0u64,
            9,
            10,
            15,
            0x0123_4567_89ab_cdef,
            u64::MAX,
            0xa9a9_9a9a_f0f0_0f0f,
        ] {
            assert_eq!(hex_limb(x).to_vec(), format!("{x:016x}").into_bytes());
        }
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..10_000 {
            x = x.rotate_left(7).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            assert_eq!(hex_limb(x).to_vec(), format!("{x:016x}").into_bytes());
        }
    }

    /// The vector path writes what the word-by-word path writes, for limb patterns that put
    /// every nibble value in every position, and integers of 0 to 40 limbs.
    #[test]
    fn hex_limb_paths_agree() {
        let mut x = 0x0123_4567_89ab_cdefu64;
        let mut limbs: Vec<u64> = Vec::new();
        for round in 0..2_000u64 {
            x = x.rotate_left(11).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ round;
            limbs.push(x);
            if limbs.len() > 40 {
                limbs.clear();
            }
            let mut swar = b"prefix".to_vec();
            hex_limbs_swar(&mut swar, &limbs);
            let want: String = limbs.iter().rev().map(|l| format!("{l:016x}")).collect();
            assert_eq!(&swar[6..], want.as_bytes());
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("ssse3") {
                let mut simd = b"prefix".to_vec();
                simd.reserve(16 * limbs.len());
                // SAFETY: SSSE3 checked, room reserved.
                unsafe { hex_limbs_ssse3(&mut simd, &limbs) };
                assert_eq!(simd, swar);
            }
        }
        #[cfg(target_arch = "x86_64")]
        assert!(
            std::arch::is_x86_feature_detected!("ssse3"),
            "the vector path was not tested: this machine has no SSSE3"
        );
    }

    #[test]
    fn hex_integers_read_back() {
        for n in [
            Integer::ZERO,
            Integer::from(1),
            Integer::from(-1),
            Integer::from(255),
            Integer::from(-4096),
            Integer::from(u64::MAX),
            Integer::from(u64::MAX) + 1u32,
            -(Integer::from(1) << 200u32) + 12345u32,
        ] {
            let text = format_hex(&n);
            assert_eq!(text, n.to_string_radix(16), "GMP's own hex");
            assert_eq!(parse_hex_integer("n", &text).unwrap(), n);
        }
        for bad in [
            "", "-", "0x1f", "1F", "-0", "007", " 1", "1 ", "g", "+1", "--1",
        ] {
            assert!(
                matches!(parse_hex_integer("n", bad), Err(Error::Parse { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn formats_always_carry_a_denominator() {
        assert_eq!(format(&Rational::from(3)), "3/1");
        assert_eq!(format(&Rational::from((-2, 4))), "-1/2");
        assert_eq!(f64_bits(0.1), "3fb999999999999a");
        assert_eq!(parse_f64_bits("3fb999999999999a").unwrap(), 0.1);
        assert_eq!(format_f64(0.1), "0.1");
        assert_eq!(format_f64(1e300), "1e300");
    }
}
