//! The size of a problem read from its spec *before* it is built: dimension, data rows, explicit
//! data and their bits, and the work its construction will take, so that a command can refuse a
//! problem that would not finish (logistic regression at 2048 × 2048 certifies its optimum by
//! Newton's method in MPFR for hours) before spending anything on it.
//!
//! The keys and defaults read here are the families' own (each family's `from_spec`); the spec is
//! not validated here (the family does that when it is built), only measured.

use rug::Rational;

use crate::error::Result;
use crate::spec::Spec;

use super::check_dimension;

/// What a problem spec asks for, measured without building it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    /// The family name as given.
    pub family: String,
    /// The dimension of x.
    pub dim: u64,
    /// Data rows (least-squares rows, logistic samples; 0 for families without data rows).
    pub rows: u64,
    /// Householder reflections of a quadratic (explicit or at most 2 drawn).
    pub reflections: u64,
    /// Bits (numerator + denominator) of the largest explicit data entry, at least 64.
    pub data_bits: u64,
}

/// Bits of the largest entry of the explicit lists, at least 64 (a machine word).
fn bits(lists: &[Vec<Rational>]) -> u64 {
    lists
        .iter()
        .flatten()
        .map(|q| u64::from(q.numer().significant_bits()) + u64::from(q.denom().significant_bits()))
        .max()
        .unwrap_or(0)
        .max(64)
}

fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

impl Shape {
    /// Measures a problem spec (`quadratic:dim=4`, `least-squares:B=...`).
    ///
    /// # Errors
    /// [`crate::error::Error::Parse`] when the spec or a size or data key is malformed, and
    /// [`crate::error::Error::InvalidHyperParameter`] for a dimension or a number of data rows
    /// past [`super::MAX_DIMENSION`] (the same errors building the problem would give).
    pub fn of(text: &str) -> Result<Shape> {
        let spec = Spec::parse(text)?;
        let usize_key = |k: &str, default: usize| spec.usize_or(k, default).map(to_u64);
        let (mut dim_key, mut rows_key) = ("dim", "rows");
        let mut shape = Shape {
            family: spec.name().to_string(),
            dim: 1,
            rows: 0,
            reflections: 0,
            data_bits: 64,
        };
        match spec.name() {
            "quadratic" => {
                let spectrum = spec.rational_list("spectrum")?;
                shape.dim = usize_key("dim", spectrum.as_ref().map_or(4, Vec::len))?;
                shape.reflections = match spec.raw("householder") {
                    Some("none") => 0,
                    Some(_) => to_u64(spec.rational_lists("householder")?.map_or(0, |r| r.len())),
                    None => 2,
                };
                let mut data = spectrum.map(|s| vec![s]).unwrap_or_default();
                if shape.reflections > 0 && spec.raw("householder").is_some() {
                    data.extend(spec.rational_lists("householder")?.unwrap_or_default());
                }
                shape.data_bits = bits(&data);
            }
            "least-squares" => match (spec.rational_lists("B")?, spec.rational_list("sigma")?) {
                (Some(b), _) => {
                    (dim_key, rows_key) = ("B columns", "B rows");
                    shape.rows = to_u64(b.len());
                    shape.dim = to_u64(b.iter().map(Vec::len).max().unwrap_or(0));
                    shape.data_bits = bits(&b);
                }
                (None, Some(sigma)) => {
                    (dim_key, rows_key) = ("sigma", "c");
                    shape.dim = to_u64(sigma.len());
                    shape.rows = to_u64(spec.rational_list("c")?.map_or(sigma.len(), |c| c.len()));
                    shape.data_bits = bits(&[sigma]);
                }
                (None, None) => {
                    dim_key = "cols";
                    shape.rows = usize_key("rows", 5)?;
                    shape.dim = usize_key("cols", 3)?;
                }
            },
            "logistic" => match spec.rational_lists("A")? {
                Some(a) => {
                    (dim_key, rows_key) = ("A columns", "A rows");
                    shape.rows = to_u64(a.len());
                    shape.dim = to_u64(a.iter().map(Vec::len).max().unwrap_or(0));
                    shape.data_bits = bits(&a);
                }
                None => {
                    (dim_key, rows_key) = ("features", "samples");
                    shape.rows = usize_key("samples", 8)?;
                    shape.dim = usize_key("features", 3)?;
                }
            },
            "lower-bound" => {
                dim_key = "n";
                let k = usize_key("k", 7)?;
                check_dimension("k", usize::try_from(k).unwrap_or(usize::MAX))?;
                shape.dim = spec.raw("n").map_or(Ok(k), |_| usize_key("n", 7))?;
            }
            "huber" => shape.dim = usize_key("dim", 2)?,
            "rosenbrock" => {
                dim_key = "n";
                shape.dim = usize_key("n", 2)?;
            }
            _ => {}
        }
        // The limits of the families, before anything is built (a typo of `dim=100000` is the
        // dimension's error, not the budget's).
        check_dimension(dim_key, usize::try_from(shape.dim).unwrap_or(usize::MAX))?;
        check_dimension(rows_key, usize::try_from(shape.rows).unwrap_or(usize::MAX))?;
        Ok(shape)
    }

    /// The data size in machine words beyond 64 bits per entry (1 for word-sized data).
    fn data_words(&self) -> u64 {
        self.data_bits.div_ceil(64)
    }

    /// The estimated work of building the problem, in bit operations (the unit of the CLI's
    /// `--work-budget`, `cli::policy::budget`), saturating. Calibrated on this crate's constructions on a
    /// 2-core machine (docs/design.md, "Limits"): a rotated quadratic costs about d² per
    /// reflection and entry (dense rational products, 17 s at d = 1024); least squares forms BᵀB
    /// and solves it exactly (rows·cols², 46 s at 256 × 256); logistic regression certifies f* by
    /// Newton's method in MPFR (samples·features·(features + 16), 16 s at 64 × 64); the
    /// lower-bound instance is a dense tridiagonal matrix (n²); the others are linear in d.
    pub fn construction_work(&self) -> u64 {
        let (d, n, w) = (self.dim, self.rows, self.data_words());
        let product = |xs: &[u64]| {
            xs.iter()
                .try_fold(1u64, |acc, x| acc.checked_mul(*x))
                .unwrap_or(u64::MAX)
        };
        match self.family.as_str() {
            "quadratic" => product(&[80_000, d, d, self.reflections + 1, w]),
            "least-squares" => product(&[27_000, n.max(d), d, d, w]),
            "logistic" => product(&[1_000_000, n, d, d + 16, w]),
            "lower-bound" => product(&[10_000, d, d]),
            _ => product(&[1_000, d]),
        }
    }

    /// Number operations of one oracle call (gradient and value): a dense matrix–vector product
    /// for the quadratic families, two passes over the data for logistic regression, a few per
    /// coordinate otherwise.
    pub fn evaluation_operations(&self) -> u64 {
        let (d, n) = (self.dim, self.rows);
        let ops = match self.family.as_str() {
            "quadratic" | "least-squares" | "lower-bound" => d.saturating_mul(d),
            "logistic" => n.saturating_mul(d).saturating_mul(2),
            _ => 0,
        };
        ops.saturating_add(d.saturating_mul(10))
    }
}
