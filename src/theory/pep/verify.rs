//! The independent checker of a worst-case certificate, from the method's coefficients alone.
//!
//! It shares no code with the producer ([`super::problem`], [`super::certificate`],
//! [`super::ldl`]) but the JSON reader ([`super::format`]) and rug — only the plain data types
//! `Point`, `FunctionClass`, `Measure` and the obligation names: the positions
//! `x_k − x* = x₀ − x* − Σ h_{k,i} g_i`, the interpolation matrices, the slack and the PSD test are
//! written again here, as plainly as possible, densely and without pivoting, so that a slip in one
//! is unlikely to be repeated in the other.
//!
//! What is checked, exactly in ℚ (the duality argument is in [`super::certificate`]'s docs):
//!
//! 1. `τ ≥ 0` and every listed `λ_ij ≥ 0` ([`obligation::NONNEGATIVE`]);
//! 2. `Σ λ_ij (e_j − e_i) = a_obj` on the function values ([`obligation::FUNCTION_VALUES`]);
//! 3. `S = τ (x₀ − x*)(x₀ − x*)ᵀ + Σ λ_ij M_ij − A_obj ⪰ 0` ([`obligation::PSD`]), either by the
//!    certificate's own factors (`P S Pᵀ = L D Lᵀ` multiplied out, `D ≥ 0`;
//!    [`obligation::FACTORS`]) or, without them, by an unpivoted `LDLᵀ` in which a zero pivot
//!    must have a zero row.
//!
//! A certificate that passes proves: for every `L`-smooth convex (or `μ`-strongly convex with
//! `μ/L = q`) function and every `x₀`, the method with this table satisfies
//! `measure(p_N) ≤ τ · scale` with scale `L R²`, `L² R²` or `R²` (see [`super::method`]).

// The elimination loops index rows and columns symmetrically ((a, b) and (b, a)); iterator forms
// would hide that symmetry, so clippy's range-loop suggestion is declined here.
#![allow(clippy::needless_range_loop)]

use rug::Rational;

use super::format::{self, Parsed};
use super::obligation;
use super::problem::{FunctionClass, Measure, Point};
use crate::error::{Error, Result};

/// How the slack was shown PSD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PsdEvidence {
    /// The certificate's `LDLᵀ` factors, multiplied out and compared entry by entry.
    GivenFactors,
    /// The verifier's own unpivoted factorisation.
    OwnFactorization,
}

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The proved bound `τ` (at `L = R = 1`).
    pub bound: Rational,
    /// `N`.
    pub steps: usize,
    /// How many multipliers were listed (each checked nonnegative and used).
    pub multipliers: usize,
    /// How many entries of the `(N + 2)²` slack were compared or eliminated.
    pub slack_entries: usize,
    /// How PSD was shown.
    pub psd: PsdEvidence,
}

fn rejected(obligation: &'static str, detail: impl Into<String>) -> Error {
    Error::CertificateRejected {
        obligation,
        detail: detail.into(),
    }
}

/// Reads `path` ([`format::read_file`]) and verifies it.
///
/// # Errors
/// The reader's errors, and [`Error::CertificateRejected`] from [`verify`].
pub fn verify_file(path: &std::path::Path) -> Result<Verdict> {
    verify(&format::read_file(path)?)
}

/// Verifies a certificate (see the module docs for what is checked).
///
/// # Errors
/// [`Error::CertificateRejected`] naming the failing obligation.
pub fn verify(c: &Parsed) -> Result<Verdict> {
    let n = c.steps();
    let size = n + 2;

    // 1. Signs.
    if c.bound < 0 {
        return Err(rejected(obligation::NONNEGATIVE, "the bound τ is negative"));
    }
    for (m, (_, value)) in c.multipliers.iter().enumerate() {
        if *value < 0 {
            return Err(rejected(
                obligation::NONNEGATIVE,
                format!("multipliers[{m}] = {}", crate::arith::text::format(value)),
            ));
        }
    }

    // Coordinates in the basis [x₀ − x*, g₀ … g_N]: x* and g* are zero vectors.
    let x = |p: Point| -> Vec<Rational> {
        let mut v = vec![Rational::new(); size];
        if let Point::Iterate(k) = p {
            v[0] = Rational::from(1);
            for i in 0..k {
                v[1 + i] = Rational::from(-&c.coefficients[k][i]);
            }
        }
        v
    };
    let g = |p: Point| -> Vec<Rational> {
        let mut v = vec![Rational::new(); size];
        if let Point::Iterate(k) = p {
            v[1 + k] = Rational::from(1);
        }
        v
    };

    // 2. Function values: f_j − f_i per pair, against the objective's coefficients.
    let mut f = vec![Rational::new(); n + 1];
    for (pair, value) in &c.multipliers {
        if let Point::Iterate(j) = pair.j {
            f[j] += value;
        }
        if let Point::Iterate(i) = pair.i {
            f[i] -= value;
        }
    }
    if c.measure == Measure::FunctionValue {
        f[n] -= 1u32;
    }
    if let Some(k) = f.iter().position(|v| *v != 0) {
        return Err(rejected(
            obligation::FUNCTION_VALUES,
            format!(
                "Σ λ_ij (e_j − e_i) − a_obj has {} at f(p_{k})",
                crate::arith::text::format(&f[k])
            ),
        ));
    }

    // 3. The slack, densely.
    let q = match &c.class {
        FunctionClass::SmoothConvex => Rational::new(),
        FunctionClass::SmoothStronglyConvex { strong_convexity } => strong_convexity.clone(),
    };
    let half = Rational::from((1, 2));
    let curvature = Rational::from(1) / (2 * (Rational::from(1) - &q));
    let cross = Rational::from(&curvature * &q);
    let mut s = vec![vec![Rational::new(); size]; size];
    s[0][0] += &c.bound;
    for (pair, value) in &c.multipliers {
        let (xi, xj, gj) = (x(pair.i), x(pair.j), g(pair.j));
        let gi = g(pair.i);
        let dx: Vec<Rational> = (0..size).map(|r| Rational::from(&xi[r] - &xj[r])).collect();
        let dg: Vec<Rational> = (0..size).map(|r| Rational::from(&gi[r] - &gj[r])).collect();
        for r in 0..size {
            for t in 0..size {
                // ⟨g_j, Δx⟩ + c‖Δg‖² + cq‖Δx‖² − 2cq⟨Δg, Δx⟩, symmetrised.
                let mut m = Rational::from(&gj[r] * &dx[t]) + Rational::from(&dx[r] * &gj[t]);
                m *= &half;
                m += Rational::from(&dg[r] * &dg[t]) * &curvature;
                if q != 0 {
                    m += Rational::from(&dx[r] * &dx[t]) * &cross;
                    m -= (Rational::from(&dg[r] * &dx[t]) + Rational::from(&dx[r] * &dg[t]))
                        * &cross;
                }
                s[r][t] += m * value;
            }
        }
    }
    let last = Point::Iterate(n);
    let objective_vector = match c.measure {
        Measure::FunctionValue => None,
        Measure::GradientNormSquared => Some(g(last)),
        Measure::DistanceSquared => Some(x(last)),
    };
    if let Some(v) = objective_vector {
        for r in 0..size {
            for t in 0..size {
                s[r][t] -= Rational::from(&v[r] * &v[t]);
            }
        }
    }

    let psd = match &c.ldl {
        Some(factors) => {
            check_factors(&s, factors)?;
            PsdEvidence::GivenFactors
        }
        None => {
            own_factorization(s)?;
            PsdEvidence::OwnFactorization
        }
    };
    Ok(Verdict {
        bound: c.bound.clone(),
        steps: n,
        multipliers: c.multipliers.len(),
        slack_entries: size * size,
        psd,
    })
}

/// `P S Pᵀ = L D Lᵀ` entry by entry, `D ≥ 0` (the reader checked the shapes).
fn check_factors(s: &[Vec<Rational>], factors: &super::ldl::Ldl) -> Result<()> {
    let size = s.len();
    if let Some(a) = factors.diagonal.iter().position(|d| *d < 0) {
        return Err(rejected(obligation::FACTORS, format!("D[{a}] is negative")));
    }
    let l = |a: usize, b: usize| -> Rational {
        match a.cmp(&b) {
            std::cmp::Ordering::Greater => factors.lower[a][b].clone(),
            std::cmp::Ordering::Equal => Rational::from(1),
            std::cmp::Ordering::Less => Rational::new(),
        }
    };
    let p = &factors.permutation;
    for a in 0..size {
        for b in 0..size {
            let mut product = Rational::new();
            for k in 0..=a.min(b) {
                product += l(a, k) * l(b, k) * &factors.diagonal[k];
            }
            if product != s[p[a]][p[b]] {
                return Err(rejected(
                    obligation::FACTORS,
                    format!("(L D Lᵀ)[{a}][{b}] differs from S[{}][{}]", p[a], p[b]),
                ));
            }
        }
    }
    Ok(())
}

/// Unpivoted `LDLᵀ`: a negative pivot, or a zero pivot with a nonzero row, disproves `S ⪰ 0`.
fn own_factorization(mut s: Vec<Vec<Rational>>) -> Result<()> {
    let size = s.len();
    for k in 0..size {
        let pivot = s[k][k].clone();
        if pivot < 0 {
            return Err(rejected(
                obligation::PSD,
                // The exact pivot can have thousands of digits; its sign is the point.
                format!("pivot {k} is negative (≈ {:.3e})", pivot.to_f64()),
            ));
        }
        if pivot == 0 {
            if let Some(j) = (k + 1..size).find(|&j| s[k][j] != 0) {
                return Err(rejected(
                    obligation::PSD,
                    format!("pivot {k} is 0 but entry ({k}, {j}) is not"),
                ));
            }
            continue;
        }
        for r in k + 1..size {
            let factor = Rational::from(&s[r][k] / &pivot);
            if factor == 0 {
                continue;
            }
            for t in k + 1..size {
                let update = Rational::from(&factor * &s[k][t]);
                s[r][t] -= update;
            }
        }
    }
    Ok(())
}
