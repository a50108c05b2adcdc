//! From a numeric dual (an SDP solver's floating-point multipliers) to an exact certificate, with
//! the bound raised by the smallest amount the rounded multipliers need.
//!
//! A solver's `λ` satisfy the dual constraints only up to its tolerance. The repair:
//!
//! 1. rounds every `λ_ij` to the nearest multiple of `1/denominator`, negatives to 0;
//! 2. makes the function-value equation exact by recomputing the multipliers of the pairs
//!    `(x*, p_k)`: in "`≤ 0`" form that pair's function-value part is `e_k` alone, so equation `k`
//!    fixes `λ(x*, p_k)` (which must come out nonnegative);
//! 3. chooses `τ` as the *smallest* value with `S(τ) = τ A_init + Σ λ_ij A_ij − A_obj ⪰ 0`.
//!    `A_init` is `e₀e₀ᵀ`, so with `S(0) = [[s, bᵀ], [b, B]]` (index 0 = `x₀ − x*`), `S(τ) ⪰ 0`
//!    iff `B ⪰ 0`, `b ∈ range(B)` and `τ ≥ bᵀB⁺b − s` (Schur complement); the elimination below
//!    computes `bᵀB⁺b − s` exactly, or reports that no `τ` works.
//!
//! `τ` is then rounded up to [`BOUND_DECIMALS`] decimals (still a proof, and readable). The
//! result is checked with [`Certificate::check`] before it is returned; the repair gap is
//! `τ − τ_numeric`, reported exactly.

use rug::{Integer, Rational};
use serde::{Deserialize, Serialize};

use super::certificate::Certificate;
use super::obligation;
use super::problem::{Pair, Pep, Point};
use crate::error::{Error, Result};

/// The schema version of a numeric dual file.
pub const NUMERIC_SCHEMA: &str = "momentum-oracle/pep-numeric-dual/1";

/// The repaired bound is rounded up to this many decimals.
pub const BOUND_DECIMALS: u32 = 18;

/// A solver's dual: the bound and one multiplier per interpolation pair, in floating point.
#[derive(Debug, Clone, PartialEq)]
pub struct NumericDual {
    /// The solver's `τ` (the numeric worst case).
    pub bound: f64,
    /// `(pair, λ)`.
    pub multipliers: Vec<(Pair, f64)>,
}

/// A solver's primal, when the file has one: the Gram matrix on `[x₀ − x*, g₀, …, g_N]` and the
/// function values `f(p_k) − f*` (the input of [`super::worst`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NumericPrimal {
    /// `G`, `(N + 2) × (N + 2)`.
    pub gram: Vec<Vec<f64>>,
    /// `F`, `N + 1` values.
    pub values: Vec<f64>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NumericDocument {
    schema: String,
    /// Free text: which solver, which settings.
    source: String,
    /// Free text naming the method; the caller supplies the method itself.
    method: String,
    steps: usize,
    bound: String,
    multipliers: Vec<NumericMultiplier>,
    /// Optional primal: `G` row by row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gram: Option<Vec<Vec<String>>>,
    /// Optional primal: `F`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    values: Option<Vec<String>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NumericMultiplier {
    i: String,
    j: String,
    value: String,
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidDocument {
        document: "PEP numeric dual",
        reason: reason.into(),
    }
}

fn point(text: &str, n: usize) -> Result<Point> {
    if text == "*" {
        return Ok(Point::Optimum);
    }
    match text.parse::<usize>() {
        Ok(k) if k <= n && text.bytes().all(|b| b.is_ascii_digit()) => Ok(Point::Iterate(k)),
        _ => Err(invalid(format!("point {text:?} is not \"*\" or 0 … {n}"))),
    }
}

/// Writes a numeric dual (and optionally its primal) in the form [`read_numeric_dual`] reads:
/// every number as the shortest decimal that reads back as the same f64.
pub fn numeric_json(
    dual: &NumericDual,
    primal: Option<&NumericPrimal>,
    source: &str,
    method: &str,
    steps: usize,
) -> String {
    let text = |x: &f64| crate::arith::text::format_f64(*x);
    let name = |p: Point| match p {
        Point::Optimum => "*".to_string(),
        Point::Iterate(k) => k.to_string(),
    };
    let doc = NumericDocument {
        schema: NUMERIC_SCHEMA.into(),
        source: source.into(),
        method: method.into(),
        steps,
        bound: text(&dual.bound),
        multipliers: dual
            .multipliers
            .iter()
            .map(|(pair, v)| NumericMultiplier {
                i: name(pair.i),
                j: name(pair.j),
                value: text(v),
            })
            .collect(),
        gram: primal.map(|p| {
            p.gram
                .iter()
                .map(|r| r.iter().map(text).collect())
                .collect()
        }),
        values: primal.map(|p| p.values.iter().map(text).collect()),
    };
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}

/// Reads the primal of a numeric file ([`numeric_json`] with a primal) for `steps` steps.
///
/// # Errors
/// As [`read_numeric_dual`]; [`Error::InvalidDocument`] when the file has no primal or its sizes
/// do not match `N`.
pub fn read_numeric_primal(text: &str, steps: usize) -> Result<NumericPrimal> {
    read_numeric_dual(text, steps)?;
    let doc: NumericDocument = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
    let (Some(gram), Some(values)) = (doc.gram, doc.values) else {
        return Err(invalid("the file has no primal (gram, values)"));
    };
    if gram.len() != steps + 2 || gram.iter().any(|r| r.len() != steps + 2) {
        return Err(invalid(format!("gram is not {0} × {0}", steps + 2)));
    }
    if values.len() != steps + 1 {
        return Err(invalid(format!("values has not {} entries", steps + 1)));
    }
    let parse = |t: &String| crate::arith::text::parse_finite_f64(t);
    Ok(NumericPrimal {
        gram: gram
            .iter()
            .map(|r| r.iter().map(parse).collect::<Result<Vec<f64>>>())
            .collect::<Result<_>>()?,
        values: values.iter().map(parse).collect::<Result<_>>()?,
    })
}

/// Reads a numeric dual (`fixtures/pep/numeric/*.json`) for a PEP with `steps` steps.
///
/// # Errors
/// [`Error::InvalidDocument`] for malformed JSON, a step count other than `steps`, bad points or
/// duplicate pairs; [`Error::SchemaVersion`]; [`Error::NonFinite`] / [`Error::Parse`] for values
/// that are not finite decimals.
pub fn read_numeric_dual(text: &str, steps: usize) -> Result<NumericDual> {
    let doc: NumericDocument = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
    if doc.schema != NUMERIC_SCHEMA {
        return Err(Error::SchemaVersion {
            expected: NUMERIC_SCHEMA.into(),
            found: doc.schema.chars().take(80).collect(),
        });
    }
    if doc.steps != steps {
        return Err(invalid(format!(
            "steps = {}, the PEP has {steps}",
            doc.steps
        )));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut multipliers = Vec::with_capacity(doc.multipliers.len());
    for m in &doc.multipliers {
        let pair = Pair {
            i: point(&m.i, steps)?,
            j: point(&m.j, steps)?,
        };
        if pair.i == pair.j || !seen.insert(pair) {
            return Err(invalid(format!(
                "pair ({}, {}) repeated or i = j",
                m.i, m.j
            )));
        }
        multipliers.push((pair, crate::arith::text::parse_finite_f64(&m.value)?));
    }
    Ok(NumericDual {
        bound: crate::arith::text::parse_finite_f64(&doc.bound)?,
        multipliers,
    })
}

/// An exact certificate obtained from a numeric dual.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repaired {
    /// The certificate, already checked.
    pub certificate: Certificate,
    /// The solver's `τ`, as the exact value of its f64.
    pub numeric_bound: Rational,
    /// `τ − τ_numeric` (positive when the repair had to raise the bound).
    pub gap: Rational,
}

fn repair_failed(detail: impl Into<String>) -> Error {
    Error::CertificateRejected {
        obligation: obligation::REPAIR,
        detail: detail.into(),
    }
}

/// Repairs `dual` into an exact certificate for `pep` (module docs), rounding to multiples of
/// `1/denominator`.
///
/// # Errors
/// [`Error::CertificateRejected`] with [`obligation::REPAIR`] when a recomputed `λ(x*, p_k)` is
/// negative or no `τ` makes the slack PSD (the solver's answer is too far from feasible for this
/// rounding); [`Error::InvalidHyperParameter`] for a zero denominator; pairs outside the PEP as
/// [`Pep::interpolation`].
pub fn repair(pep: &Pep, dual: &NumericDual, denominator: u64) -> Result<Repaired> {
    let multipliers = exact_multipliers(pep, dual, denominator)?;
    finish(pep, dual, multipliers)
}

/// Like [`repair`], for optimal duals whose slack is singular on the gradient block (OGM's is):
/// there rounding leaves a tiny negative eigenvalue that no `τ` can fix. A strictly feasible
/// dual `interior` (positive-definite gradient block, e.g. the maximum-margin point of
/// `research-pep/interior.py`), rounded and made exact the same way, is mixed in:
/// `λ = (1 − ε) λ_dual + ε λ_interior` satisfies the function-value equation exactly for every
/// `ε` (both do), and for the smallest `ε = 2^{−k}`, `k = 60, 59, …, 1`, whose gradient block is
/// PSD, `τ` is computed as in [`repair`]. The price is about `ε (τ_interior − τ)`, reported in
/// the gap.
///
/// # Errors
/// As [`repair`], when no `ε ≤ 1/2` works.
pub fn repair_with_interior(
    pep: &Pep,
    dual: &NumericDual,
    interior: &NumericDual,
    denominator: u64,
) -> Result<Repaired> {
    let optimal = exact_multipliers(pep, dual, denominator)?;
    let strict = exact_multipliers(pep, interior, denominator)?;
    let mut last = None;
    for k in (1..=60u32).rev() {
        let epsilon = Rational::from((1, Integer::from(Integer::u_pow_u(2, k))));
        let keep = Rational::from(1 - epsilon.clone());
        let mut mixed: std::collections::BTreeMap<Pair, Rational> = Default::default();
        for (pair, l) in &optimal {
            *mixed.entry(*pair).or_default() += Rational::from(&keep * l);
        }
        for (pair, l) in &strict {
            *mixed.entry(*pair).or_default() += Rational::from(&epsilon * l);
        }
        match finish(pep, dual, mixed.into_iter().collect()) {
            Ok(r) => return Ok(r),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| repair_failed("no mixing weight tried")))
}

/// Steps 1 and 2 of the module docs: rounded multipliers with the function-value equation exact.
fn exact_multipliers(
    pep: &Pep,
    dual: &NumericDual,
    denominator: u64,
) -> Result<Vec<(Pair, Rational)>> {
    if denominator == 0 {
        return Err(Error::hyper("denominator", 0, "must be positive"));
    }
    let scale = Integer::from(denominator);
    let round = |v: f64| -> Rational {
        // `v` is finite (the reader checks), so the conversion exists.
        let exact = Rational::from_f64(v).unwrap_or_default();
        let scaled = Rational::from(&exact * &scale);
        let nearest = scaled.round();
        Rational::from((nearest.numer().clone(), scale.clone()))
    };
    let n = pep.steps();
    let is_optimum_pair = |p: &Pair| p.i == Point::Optimum && matches!(p.j, Point::Iterate(_));
    let mut multipliers: Vec<(Pair, Rational)> = dual
        .multipliers
        .iter()
        .filter(|(p, _)| !is_optimum_pair(p))
        .map(|(p, v)| (*p, round(*v).max(Rational::new())))
        .filter(|(_, l)| *l != 0)
        .collect();

    // Step 2: the (x*, p_k) multipliers from the function-value equation.
    let mut residual: Vec<Rational> = pep
        .objective()
        .function_values
        .into_iter()
        .map(|a| -a)
        .collect();
    for (pair, lambda) in &multipliers {
        let a = pep.interpolation(*pair)?.function_values;
        for (r, ak) in residual.iter_mut().zip(&a) {
            *r += Rational::from(lambda * ak);
        }
    }
    for (k, r) in residual.iter().enumerate().take(n + 1) {
        let lambda = Rational::from(-r);
        if lambda < 0 {
            return Err(repair_failed(format!(
                "λ(x*, p_{k}) = {:.3e} from the function-value equation",
                lambda.to_f64()
            )));
        }
        if lambda != 0 {
            multipliers.push((
                Pair {
                    i: Point::Optimum,
                    j: Point::Iterate(k),
                },
                lambda,
            ));
        }
    }

    Ok(multipliers)
}

/// Step 3 of the module docs: the smallest `τ` for exact multipliers, and the checked result.
fn finish(pep: &Pep, dual: &NumericDual, multipliers: Vec<(Pair, Rational)>) -> Result<Repaired> {
    let mut w = Certificate::new(pep.clone(), Rational::new(), multipliers.clone()).slack()?;
    let size = w.len();
    let mut remaining: Vec<usize> = (1..size).collect();
    while !remaining.is_empty() {
        let (position, p) = remaining
            .iter()
            .enumerate()
            .max_by(|x, y| w[*x.1][*x.1].cmp(&w[*y.1][*y.1]))
            .map(|(pos, &p)| (pos, p))
            .unwrap_or((0, remaining[0]));
        if w[p][p] < 0 {
            return Err(repair_failed(format!(
                "the gradient block has a negative pivot ({:.3e})",
                w[p][p].to_f64()
            )));
        }
        if w[p][p] == 0 {
            // All remaining diagonal entries are 0: the rest of the block, and its coupling to
            // x₀ − x*, must vanish.
            let nonzero = remaining
                .iter()
                .any(|&a| w[a][0] != 0 || remaining.iter().any(|&b| w[a][b] != 0));
            if nonzero {
                return Err(repair_failed(
                    "a zero pivot of the gradient block has a nonzero row",
                ));
            }
            break;
        }
        remaining.swap_remove(position);
        let pivot = w[p][p].clone();
        let rows: Vec<usize> = std::iter::once(0)
            .chain(remaining.iter().copied())
            .collect();
        for &a in &rows {
            let factor = Rational::from(&w[a][p] / &pivot);
            if factor == 0 {
                continue;
            }
            for &b in &rows {
                let update = Rational::from(&factor * &w[p][b]);
                w[a][b] -= update;
            }
        }
    }
    // The exact smallest τ has thousands of digits (a Schur complement of the rounded
    // multipliers); rounded up to 18 decimals it stays a proof (S only gains (τ' − τ) e₀e₀ᵀ ⪰ 0)
    // at a cost below 10⁻¹⁸, and reads as a number.
    let smallest = Rational::from(-&w[0][0]).max(Rational::new());
    let grid = Integer::from(Integer::u_pow_u(10, BOUND_DECIMALS));
    let bound = Rational::from((
        Rational::from(&smallest * &grid).ceil().numer().clone(),
        grid,
    ));
    let certificate = Certificate::new(pep.clone(), bound, multipliers);
    certificate.check()?;
    let numeric_bound = Rational::from_f64(dual.bound).unwrap_or_default();
    let gap = Rational::from(certificate.bound() - &numeric_bound);
    Ok(Repaired {
        certificate,
        numeric_bound,
        gap,
    })
}
