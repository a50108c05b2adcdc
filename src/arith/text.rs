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
    for &limb in rest.iter().rev() {
        buf.extend_from_slice(&hex_limb(u64::from(limb)));
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

/// The shortest decimal that reads back as `x` (Rust's round-trip formatting), with exponent
/// notation for very large or small magnitudes; `NaN`, `inf`, `-inf` for non-finite values.
pub fn format_f64(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // `{:?}` is the shortest round-trip form and switches to exponent notation outside
    // [1e-5, 1e16), which keeps subnormals and huge values short.
    format!("{x:?}")
}

/// [`format_f64`] into a buffer (Rust's `{:?}`, without a `String` per value).
///
/// Why not a faster shortest-digits crate (`zmij`, already in the tree through serde_json): tried,
/// and it picks the other of two equally short round-trip digit strings for some values
/// (`43179085685d83c9`: `…562.2` where `{:?}` writes `…562.3`), which would change written text.
pub fn write_f64(buf: &mut Vec<u8>, x: f64) {
    use std::io::Write;
    if x.is_finite() {
        // Writing into a Vec cannot fail.
        let _ = write!(buf, "{x:?}");
    } else {
        buf.extend_from_slice(format_f64(x).as_bytes());
    }
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

    /// `write_f64` is `{:?}` and `write_f64_bits` is `{:016x}` of the bits, byte for byte: zero,
    /// subnormals, the extremes, both sides of the layout thresholds 10⁻⁴ and 10¹⁶, powers of ten
    /// and their neighbours, and random bit patterns (every exponent).
    #[test]
    fn written_f64_is_rusts_debug_text() {
        let check = |x: f64| {
            let mut buf = Vec::new();
            write_f64(&mut buf, x);
            assert_eq!(
                String::from_utf8(buf).unwrap(),
                format_f64(x),
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
