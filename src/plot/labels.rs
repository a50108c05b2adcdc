//! Text of ticks and labels: powers of ten, fractions, super- and subscripts, provenance lines.

use rug::Rational;

/// `10ⁿ` with a superscript exponent.
pub(crate) fn power_of_ten(n: i32) -> String {
    let sign = if n < 0 { "⁻" } else { "" };
    format!("10{sign}{}", superscript(n.unsigned_abs() as usize))
}

/// A tick label for a log axis that names only 1, 2 and 5 times a power of ten: plotters puts a
/// key point at every integer multiple on short ranges, and their labels collide.
pub(crate) fn log_tick_sparse(v: f64) -> String {
    if !(v.is_finite() && v > 0.0) {
        return String::new();
    }
    let m = v / 10f64.powi(v.log10().floor() as i32);
    if [1.0, 2.0, 5.0, 10.0].iter().any(|t| (m - t).abs() < 1e-6) {
        number(v)
    } else {
        String::new()
    }
}

/// A number in scientific form: `10ⁿ` at powers of ten, `m·10ⁿ` elsewhere (one style for every
/// tick of a log axis, so that no tick reads as a different kind of number).
pub(crate) fn log_tick(v: f64) -> String {
    if !(v.is_finite() && v > 0.0) {
        return String::new();
    }
    let n = v.log10().floor() as i32;
    let m = v / 10f64.powi(n);
    let (m, n) = if (m - 10.0).abs() < 1e-9 {
        (1.0, n + 1)
    } else {
        (m, n)
    };
    if (m - 1.0).abs() < 1e-9 {
        power_of_ten(n)
    } else {
        format!("{}·{}", number(m), power_of_ten(n))
    }
}

/// A short decimal: up to 4 significant digits, no trailing zeros, a real minus sign; outside
/// `[10⁻³, 10⁵)` in magnitude, scientific (`−2.5·10⁷`), which keeps tick labels narrow.
pub(crate) fn number(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if !v.is_finite() {
        return format!("{v}");
    }
    if !(1e-3..1e5).contains(&v.abs()) {
        let sign = if v < 0.0 { "−" } else { "" };
        return format!("{sign}{}", log_tick(v.abs()));
    }
    let digits = (3 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let mut s = format!("{v:.digits$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s.replace('-', "−")
}

/// A tick label on a linear axis over `[lo, hi]`: [`number`] of `v` rounded to the axis's own
/// resolution, so that a tick that is 0 in exact arithmetic reads `0` and not `−5.551·10⁻¹⁷`.
///
/// Why the rounding is exact for ticks: plotters places linear ticks at multiples of a spacing
/// `Δ = {1, 2, 5}·10ⁿ`, with at most a few dozen ticks per axis, so `Δ ≥ (hi − lo)/100` and
/// `10ⁿ ≥ (hi − lo)/1000`. The resolution `r = 10^(⌊log₁₀(hi − lo)⌋ − 3)` divides `10ⁿ`, hence
/// `Δ`; every exact tick is a multiple of `r`, and rounding the f64 position (off by a few ulps of
/// `max(|lo|, |hi|)`, far below `r/2`) to the nearest multiple of `r` recovers it.
pub(crate) fn linear_tick(v: f64, lo: f64, hi: f64) -> String {
    let span = hi - lo;
    if !(v.is_finite() && span.is_finite() && span > 0.0) {
        return number(v);
    }
    let exponent = span.log10().floor() as i32 - 3;
    // Divide by 10^(−e) rather than multiply by 10^e where e < 0: 10^e is inexact, 10^(−e) is
    // exact up to 10²², so the multiple of r is computed with one rounding.
    let snapped = if exponent < 0 {
        let scale = 10f64.powi(-exponent);
        (v * scale).round() / scale
    } else {
        let r = 10f64.powi(exponent);
        (v / r).round() * r
    };
    number(snapped)
}

/// The width in pixels that a y axis needs for tick labels as wide as the widest of `labels`
/// plus its rotated description: 0.6 em per character (the sans-serif advance width, see
/// [`super::font`]) at the label size, one line of the axis font, and a gap of half an em on each
/// side.
pub(crate) fn y_label_area(labels: &[String], label_px: u32, axis_px: u32) -> u32 {
    let chars = labels.iter().map(|l| l.chars().count()).max().unwrap_or(1) as u32;
    (chars * label_px * 3).div_ceil(5) + axis_px + label_px
}

/// A rational as `p/q` (or `p` when q = 1) with a real minus sign, for labels.
pub(crate) fn fraction(q: &Rational) -> String {
    let s = if *q.denom() == 1 {
        q.numer().to_string()
    } else {
        crate::arith::text::format(q)
    };
    s.replace('-', "−")
}

/// `n` in superscript digits (`ℝ²⁵`).
pub(crate) fn superscript(n: usize) -> String {
    const SUP: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    n.to_string()
        .bytes()
        .map(|d| SUP[usize::from(d - b'0')])
        .collect()
}

/// `n` in subscript digits (`θ₁`).
pub(crate) fn subscript(n: usize) -> String {
    const SUB: [char; 10] = ['₀', '₁', '₂', '₃', '₄', '₅', '₆', '₇', '₈', '₉'];
    n.to_string()
        .bytes()
        .map(|d| SUB[usize::from(d - b'0')])
        .collect()
}

/// A slope with two decimals and a real minus sign.
pub(crate) fn slope_text(s: f64) -> String {
    format!("{s:.2}").replace('-', "−")
}

/// The description written into every SVG: generator and inputs.
pub(crate) fn provenance(lines: &[String]) -> String {
    let mut s = format!(
        "Generated by momentum-oracle {}.",
        env!("CARGO_PKG_VERSION")
    );
    for l in lines {
        s.push(' ');
        s.push_str(l);
    }
    s
}
