//! The JSON form of a worst-case certificate and its strict reader.
//!
//! This is the one piece of code that the producer ([`super::certificate`]) and the independent
//! checker ([`super::verify`]) share: text in, validated exact numbers out. The reader checks the
//! *shape* (schema version, sizes, indices, `p/q` numbers, no unknown fields, no duplicate
//! multipliers); whether the numbers prove anything is the verifier's job, so a negative
//! multiplier or a too-small bound reads fine and is rejected there.
//!
//! Fields (`fixtures/pep/schema.json` is the JSON Schema):
//!
//! * `schema` — [`SCHEMA`].
//! * `method.description` — free text for people; `method.steps` — `N`;
//!   `method.coefficients` — the table `h_{k,i}` of [`super::method`], `N + 1` rows, row `k` with
//!   `k` numbers `"p/q"`. The certificate is about this table, whatever the description says.
//! * `class.name` — `smooth-convex` or `smooth-strongly-convex`; `class.strong_convexity` —
//!   `q = μ/L` as `"p/q"`, present exactly for the strongly convex class. `L = 1` throughout.
//! * `initial_condition` — `distance-squared` (`‖x₀ − x*‖² ≤ R² = 1`).
//! * `measure` — `function-value`, `gradient-norm-squared` or `distance-squared`, at `p_N`.
//! * `bound` — `τ`, the multiplier of the initial condition and the certified worst case at
//!   `L = R = 1`.
//! * `multipliers` — `{i, j, value}` for the interpolation inequality of the pair `(i, j)`; `i`
//!   and `j` are `"*"` or a point index `"0"` … `"N"`; pairs not listed have multiplier 0.
//! * `ldl` (optional) — `P S Pᵀ = L D Lᵀ` for the slack `S`: `permutation` (`N + 2` indices),
//!   `lower` (row `a` has `a` numbers) and `diagonal` (`N + 2` numbers).

use std::collections::BTreeSet;

use rug::Rational;
use serde::{Deserialize, Serialize};

use super::ldl::Ldl;
use super::method::MAX_STEPS;
use super::problem::{FunctionClass, Measure, Pair, Point};
use crate::error::{Error, Result};

/// The schema version this build writes and reads.
pub const SCHEMA: &str = "momentum-oracle/pep-certificate/1";

/// Largest certificate file the reader accepts (a dense `N = 100` certificate with factors is a
/// few megabytes).
pub const MAX_DOCUMENT_BYTES: u64 = 64 << 20;

/// A certificate as written in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// [`SCHEMA`].
    pub schema: String,
    /// The method.
    pub method: MethodDocument,
    /// The function class.
    pub class: ClassDocument,
    /// `distance-squared`.
    pub initial_condition: String,
    /// The measure's name.
    pub measure: String,
    /// The bound `τ` as `"p/q"`.
    pub bound: String,
    /// The nonzero multipliers.
    pub multipliers: Vec<MultiplierDocument>,
    /// Optional factors of the slack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ldl: Option<LdlDocument>,
}

/// The method part of a [`Document`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodDocument {
    /// For people.
    pub description: String,
    /// `N`.
    pub steps: usize,
    /// The table `h_{k,i}`.
    pub coefficients: Vec<Vec<String>>,
}

/// The class part of a [`Document`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassDocument {
    /// `smooth-convex` or `smooth-strongly-convex`.
    pub name: String,
    /// `q = μ/L`, only for the strongly convex class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strong_convexity: Option<String>,
}

/// One multiplier of a [`Document`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultiplierDocument {
    /// `"*"` or a point index.
    pub i: String,
    /// `"*"` or a point index.
    pub j: String,
    /// `"p/q"`.
    pub value: String,
}

/// The factors part of a [`Document`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LdlDocument {
    /// `N + 2` distinct indices.
    pub permutation: Vec<usize>,
    /// Row `a` has `a` entries.
    pub lower: Vec<Vec<String>>,
    /// `N + 2` entries.
    pub diagonal: Vec<String>,
}

/// A certificate read and validated in shape, in exact numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The method's description (not used by any check).
    pub description: String,
    /// The table `h_{k,i}`, `N + 1` rows.
    pub coefficients: Vec<Vec<Rational>>,
    /// The class.
    pub class: FunctionClass,
    /// The measure.
    pub measure: Measure,
    /// `τ`.
    pub bound: Rational,
    /// `(pair, λ)`, pairs distinct, points in range, `i ≠ j`.
    pub multipliers: Vec<(Pair, Rational)>,
    /// The factors, if given (shapes checked, values not).
    pub ldl: Option<Ldl>,
}

impl Parsed {
    /// `N`.
    pub fn steps(&self) -> usize {
        self.coefficients.len() - 1
    }
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidDocument {
        document: "PEP certificate",
        reason: reason.into(),
    }
}

/// The spelling of a point in a document.
pub fn point_name(p: Point) -> String {
    match p {
        Point::Optimum => "*".into(),
        Point::Iterate(k) => k.to_string(),
    }
}

/// The spelling of a measure in a document.
pub fn measure_name(m: Measure) -> &'static str {
    match m {
        Measure::FunctionValue => "function-value",
        Measure::GradientNormSquared => "gradient-norm-squared",
        Measure::DistanceSquared => "distance-squared",
    }
}

fn read_point(text: &str, n: usize, at: &str) -> Result<Point> {
    if text == "*" {
        return Ok(Point::Optimum);
    }
    // Plain decimal digits only: no sign, no spaces, no leading zeros, so each point has one
    // spelling and duplicate detection is exact.
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    let k: usize = match canonical.then(|| text.parse().ok()).flatten() {
        Some(k) => k,
        None => {
            return Err(invalid(format!(
                "{at}: {text:?} is not \"*\" or a point index"
            )));
        }
    };
    if k > n {
        return Err(invalid(format!("{at}: point {k} beyond N = {n}")));
    }
    Ok(Point::Iterate(k))
}

fn read_number(text: &str, at: &str) -> Result<Rational> {
    crate::arith::text::parse(text).map_err(|e| invalid(format!("{at}: {e}")))
}

/// Reads and validates a certificate from JSON text.
///
/// # Errors
/// [`Error::InvalidDocument`] for malformed JSON, unknown or missing fields, bad numbers, indices
/// out of range, wrong row lengths or duplicate pairs; [`Error::SchemaVersion`] for another
/// schema; [`Error::TooLarge`] for text longer than [`MAX_DOCUMENT_BYTES`].
pub fn read(text: &str) -> Result<Parsed> {
    if text.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(Error::TooLarge {
            path: "certificate text".into(),
            size: text.len() as u64,
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    let doc: Document = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
    from_document(&doc)
}

/// Reads a certificate file, refusing files larger than [`MAX_DOCUMENT_BYTES`] before reading and
/// anything but a regular file ([`crate::files::read_text`]).
///
/// # Errors
/// [`Error::Io`], [`Error::TooLarge`], [`Error::NotRegularFile`] and the errors of [`read`].
pub fn read_file(path: &std::path::Path) -> Result<Parsed> {
    read(&crate::files::read_text(path, MAX_DOCUMENT_BYTES)?)
}

/// Validates a parsed [`Document`] into exact numbers.
///
/// # Errors
/// As [`read`].
pub fn from_document(doc: &Document) -> Result<Parsed> {
    if doc.schema != SCHEMA {
        return Err(Error::SchemaVersion {
            expected: SCHEMA.into(),
            found: doc.schema.chars().take(80).collect(),
        });
    }
    let n = doc.method.steps;
    if n == 0 || n > MAX_STEPS {
        return Err(invalid(format!(
            "method.steps = {n}, must be 1 ..= {MAX_STEPS}"
        )));
    }
    if doc.method.coefficients.len() != n + 1 {
        return Err(invalid(format!(
            "method.coefficients has {} rows, N + 1 = {} expected",
            doc.method.coefficients.len(),
            n + 1
        )));
    }
    let mut coefficients = Vec::with_capacity(n + 1);
    for (k, row) in doc.method.coefficients.iter().enumerate() {
        if row.len() != k {
            return Err(invalid(format!(
                "method.coefficients[{k}] has {} entries, {k} expected",
                row.len()
            )));
        }
        let row = row
            .iter()
            .enumerate()
            .map(|(i, t)| read_number(t, &format!("method.coefficients[{k}][{i}]")))
            .collect::<Result<Vec<_>>>()?;
        coefficients.push(row);
    }
    let class = match (doc.class.name.as_str(), &doc.class.strong_convexity) {
        ("smooth-convex", None) => FunctionClass::SmoothConvex,
        ("smooth-strongly-convex", Some(q)) => {
            let q = read_number(q, "class.strong_convexity")?;
            if !(Rational::new()..Rational::from(1)).contains(&q) {
                return Err(invalid("class.strong_convexity must lie in [0, 1)"));
            }
            FunctionClass::SmoothStronglyConvex {
                strong_convexity: q,
            }
        }
        (name, q) => {
            return Err(invalid(format!(
                "class {name:?} with strong_convexity {}: expected smooth-convex without it or \
                 smooth-strongly-convex with it",
                if q.is_some() { "given" } else { "absent" }
            )));
        }
    };
    if doc.initial_condition != "distance-squared" {
        return Err(invalid(format!(
            "initial_condition {:?}: only \"distance-squared\" is defined",
            doc.initial_condition
        )));
    }
    let measure = [
        Measure::FunctionValue,
        Measure::GradientNormSquared,
        Measure::DistanceSquared,
    ]
    .into_iter()
    .find(|m| measure_name(*m) == doc.measure)
    .ok_or_else(|| invalid(format!("measure {:?} is not defined", doc.measure)))?;
    let bound = read_number(&doc.bound, "bound")?;
    let mut seen = BTreeSet::new();
    let mut multipliers = Vec::with_capacity(doc.multipliers.len());
    for (m, entry) in doc.multipliers.iter().enumerate() {
        let at = format!("multipliers[{m}]");
        let pair = Pair {
            i: read_point(&entry.i, n, &format!("{at}.i"))?,
            j: read_point(&entry.j, n, &format!("{at}.j"))?,
        };
        if pair.i == pair.j {
            return Err(invalid(format!("{at}: i = j")));
        }
        if !seen.insert(pair) {
            return Err(invalid(format!(
                "{at}: pair ({}, {}) listed twice",
                entry.i, entry.j
            )));
        }
        multipliers.push((pair, read_number(&entry.value, &format!("{at}.value"))?));
    }
    let ldl = doc.ldl.as_ref().map(|l| read_ldl(l, n + 2)).transpose()?;
    Ok(Parsed {
        description: doc.method.description.clone(),
        coefficients,
        class,
        measure,
        bound,
        multipliers,
        ldl,
    })
}

fn read_ldl(doc: &LdlDocument, dimension: usize) -> Result<Ldl> {
    let mut sorted = doc.permutation.clone();
    sorted.sort_unstable();
    if sorted != (0..dimension).collect::<Vec<_>>() {
        return Err(invalid(format!(
            "ldl.permutation is not a permutation of 0 … {}",
            dimension - 1
        )));
    }
    if doc.lower.len() != dimension || doc.diagonal.len() != dimension {
        return Err(invalid(format!(
            "ldl.lower and ldl.diagonal need {dimension} rows/entries"
        )));
    }
    let mut lower = Vec::with_capacity(dimension);
    for (a, row) in doc.lower.iter().enumerate() {
        if row.len() != a {
            return Err(invalid(format!("ldl.lower[{a}] needs {a} entries")));
        }
        lower.push(
            row.iter()
                .enumerate()
                .map(|(b, t)| read_number(t, &format!("ldl.lower[{a}][{b}]")))
                .collect::<Result<Vec<_>>>()?,
        );
    }
    let diagonal = doc
        .diagonal
        .iter()
        .enumerate()
        .map(|(a, t)| read_number(t, &format!("ldl.diagonal[{a}]")))
        .collect::<Result<Vec<_>>>()?;
    Ok(Ldl {
        permutation: doc.permutation.clone(),
        lower,
        diagonal,
    })
}
