//! Dual certificates of a PEP: multipliers `λ_ij ≥ 0`, a bound `τ`, and an exactly PSD slack.
//!
//! With every constraint in the "`≤ 0`" form of [`super::problem`], Lagrangian duality gives, for
//! any `λ ≥ 0`, `τ ≥ 0` with
//!
//! ```text
//! Σ λ_ij a_ij = a_obj                               (function-value equation)
//! S = τ A_init + Σ λ_ij A_ij − A_obj ⪰ 0           (slack)
//! ```
//!
//! and any feasible `(F, G)`:
//! `a_objᵀF + ⟨A_obj, G⟩ = Σ λ_ij (a_ijᵀF + ⟨A_ij, G⟩) + τ⟨A_init, G⟩ − ⟨S, G⟩ ≤ 0 + τ − 0`,
//! since `⟨S, G⟩ ≥ 0` for two PSD matrices. So `τ` bounds the measure for every function of the
//! class (at `L = R = 1`). (Writing the interpolation constraints as "`≥ 0`" instead flips the sign
//! of the `A_ij`: `S = τ A_init − Σ λ_ij Â_ij − A_obj`, the same matrix.) The check here is
//! exact: the equation in ℚ and `S ⪰ 0` by [`super::ldl::decompose`].

use rug::Rational;
use rug::ops::Pow;

use super::format::{
    ClassDocument, Document, LdlDocument, MethodDocument, MultiplierDocument, SCHEMA, measure_name,
    point_name,
};
use super::ldl::{self, Ldl, Psd};
use super::method::Method;
use super::obligation;
use super::problem::{FunctionClass, Measure, Pair, Pep, Point, SymmetricForm};
use crate::error::{Error, Result};

/// A candidate proof that the worst case of a PEP is at most `bound` (at `L = R = 1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pep: Pep,
    bound: Rational,
    multipliers: Vec<(Pair, Rational)>,
}

fn rejected(obligation: &'static str, detail: impl Into<String>) -> Error {
    Error::CertificateRejected {
        obligation,
        detail: detail.into(),
    }
}

impl Certificate {
    /// A certificate; nothing is checked until [`Certificate::check`].
    pub fn new(pep: Pep, bound: Rational, multipliers: Vec<(Pair, Rational)>) -> Self {
        Certificate {
            pep,
            bound,
            multipliers,
        }
    }

    /// The PEP.
    pub fn pep(&self) -> &Pep {
        &self.pep
    }

    /// `τ`, the claimed worst case at `L = R = 1`.
    pub fn bound(&self) -> &Rational {
        &self.bound
    }

    /// The multipliers `(pair, λ)`; pairs not listed have multiplier 0.
    pub fn multipliers(&self) -> &[(Pair, Rational)] {
        &self.multipliers
    }

    /// `Σ λ_ij a_ij − a_obj`, zero exactly when the function-value equation holds.
    ///
    /// # Errors
    /// As [`Pep::interpolation`] for a pair outside the PEP.
    pub fn residual(&self) -> Result<Vec<Rational>> {
        let mut r: Vec<Rational> = self
            .pep
            .objective()
            .function_values
            .into_iter()
            .map(|a| -a)
            .collect();
        for (pair, lambda) in &self.multipliers {
            let constraint = self.pep.interpolation(*pair)?;
            for (ri, a) in r.iter_mut().zip(&constraint.function_values) {
                *ri += Rational::from(lambda * a);
            }
        }
        Ok(r)
    }

    /// The slack `S = τ A_init + Σ λ_ij A_ij − A_obj` as a dense matrix on the Gram basis.
    ///
    /// # Errors
    /// As [`Pep::interpolation`] for a pair outside the PEP.
    pub fn slack(&self) -> Result<Vec<Vec<Rational>>> {
        let mut s = SymmetricForm::zero(self.pep.dimension());
        s.add_scaled(&self.bound, &self.pep.initial_condition().gram);
        for (pair, lambda) in &self.multipliers {
            s.add_scaled(lambda, &self.pep.interpolation(*pair)?.gram);
        }
        s.add_scaled(&Rational::from(-1), &self.pep.objective().gram);
        Ok(s.to_dense())
    }

    /// Checks every obligation exactly and returns the slack's factors.
    ///
    /// # Errors
    /// [`Error::CertificateRejected`] naming the first obligation that fails
    /// ([`obligation::NONNEGATIVE`], [`obligation::FUNCTION_VALUES`], [`obligation::PSD`]).
    pub fn check(&self) -> Result<Ldl> {
        if self.bound < 0 {
            return Err(rejected(
                obligation::NONNEGATIVE,
                format!("bound τ = {}", crate::arith::text::format(&self.bound)),
            ));
        }
        if let Some((pair, lambda)) = self.multipliers.iter().find(|(_, l)| *l < 0) {
            return Err(rejected(
                obligation::NONNEGATIVE,
                format!("λ{pair:?} = {}", crate::arith::text::format(lambda)),
            ));
        }
        let residual = self.residual()?;
        if let Some((k, r)) = residual.iter().enumerate().find(|(_, r)| **r != 0) {
            return Err(rejected(
                obligation::FUNCTION_VALUES,
                format!(
                    "coefficient of f(p_{k}) is off by {}",
                    crate::arith::text::format(r)
                ),
            ));
        }
        match ldl::decompose(&self.slack()?)? {
            Psd::Proved(factors) => Ok(factors),
            Psd::Indefinite { witness } => Err(rejected(
                obligation::PSD,
                format!(
                    "zᵀSz < 0 for z = [{}]",
                    witness
                        .iter()
                        .map(crate::arith::text::format)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }

    /// The JSON document ([`super::format`]); with `factors`, the slack's `LDLᵀ` factors too.
    ///
    /// # Errors
    /// With `factors`, those of [`Certificate::check`] (no factors exist for a failing
    /// certificate).
    pub fn to_document(&self, factors: bool) -> Result<Document> {
        let numbers = |row: &[Rational]| row.iter().map(crate::arith::text::format).collect();
        let ldl = if factors {
            let f = self.check()?;
            Some(LdlDocument {
                permutation: f.permutation.clone(),
                lower: f.lower.iter().map(|r| numbers(r)).collect(),
                diagonal: numbers(&f.diagonal),
            })
        } else {
            None
        };
        let class = match self.pep.class() {
            FunctionClass::SmoothConvex => ClassDocument {
                name: "smooth-convex".into(),
                strong_convexity: None,
            },
            FunctionClass::SmoothStronglyConvex { strong_convexity } => ClassDocument {
                name: "smooth-strongly-convex".into(),
                strong_convexity: Some(crate::arith::text::format(strong_convexity)),
            },
        };
        let method = self.pep.method();
        Ok(Document {
            schema: SCHEMA.into(),
            method: MethodDocument {
                description: method.description().into(),
                steps: method.steps(),
                coefficients: method.coefficients().iter().map(|r| numbers(r)).collect(),
            },
            class,
            initial_condition: "distance-squared".into(),
            measure: measure_name(self.pep.measure()).into(),
            bound: crate::arith::text::format(&self.bound),
            multipliers: self
                .multipliers
                .iter()
                .map(|(pair, value)| MultiplierDocument {
                    i: point_name(pair.i),
                    j: point_name(pair.j),
                    value: crate::arith::text::format(value),
                })
                .collect(),
            ldl,
        })
    }

    /// [`Certificate::to_document`] as pretty JSON with a final newline.
    ///
    /// # Errors
    /// As [`Certificate::to_document`].
    pub fn to_json(&self, factors: bool) -> Result<String> {
        let doc = self.to_document(factors)?;
        let mut text = serde_json::to_string_pretty(&doc)
            .map_err(|e| Error::unsupported(format!("serialising a certificate: {e}")))?;
        text.push('\n');
        Ok(text)
    }
}

/// The closed-form certificate of gradient descent with step `h/L`, `0 < h ≤ 1`, on smooth convex
/// functions: `f(x_N) − f* ≤ L R²/(4Nh + 2)`.
///
/// Drori & Teboulle (2014), §3, prove Theorem 3.1 with a relaxed PEP that keeps only the
/// inequalities between consecutive iterates and between `x*` and each iterate, and the dual
/// point `λ_i = i/(2N + 1 − i)`, `i = 1 … N`, on the pair `(x_{i−1}, x_i)`, independent of `h`
/// (the tests prove, exactly in ℚ, that it is a certificate for `N = 1 … 50` and several `h`):
///
/// * `λ(x_k, x_{k+1}) = (k + 1)/(2N − k)`, `k = 0 … N − 1` — the inequality
///   `f_k ≥ f_{k+1} + ⟨g_{k+1}, x_k − x_{k+1}⟩ + ½‖g_k − g_{k+1}‖²`;
/// * `λ(x*, x_k)` from the function-value equation (the coefficient of each `f_k` must vanish, and
///   that of `f_N` be 1): `λ(x*, x_0) = λ(x_0, x_1)`, `λ(x*, x_k) = λ(x_k, x_{k+1}) −
///   λ(x_{k−1}, x_k)` for `0 < k < N`, `λ(x*, x_N) = 1 − λ(x_{N−1}, x_N) = 1/(N + 1)`;
/// * `τ = 1/(4Nh + 2)`.
///
/// The bound is tight: the Huber-like function of docs/design.md, "Theory", attains it.
///
/// # Errors
/// [`Error::InvalidHyperParameter`] for `h` outside `(0, 1]` or `N` out of range.
pub fn gradient_descent(n: usize, h: &Rational) -> Result<Certificate> {
    if *h > 1 {
        return Err(Error::hyper(
            "h",
            crate::arith::text::format(h),
            "the Drori–Teboulle certificate needs 0 < h ≤ 1",
        ));
    }
    let method = Method::gradient_descent(n, h)?;
    let pep = Pep::new(method, FunctionClass::SmoothConvex, Measure::FunctionValue)?;
    let consecutive: Vec<Rational> = (0..n as u64)
        .map(|k| Rational::from((k + 1, 2 * n as u64 - k)))
        .collect();
    let mut multipliers = Vec::with_capacity(2 * n + 1);
    for (k, lambda) in consecutive.iter().enumerate() {
        multipliers.push((
            Pair {
                i: Point::Iterate(k),
                j: Point::Iterate(k + 1),
            },
            lambda.clone(),
        ));
    }
    for k in 0..=n {
        let at_optimum = match k {
            0 => consecutive[0].clone(),
            k if k == n => Rational::from(1 - consecutive[n - 1].clone()),
            k => Rational::from(&consecutive[k] - &consecutive[k - 1]),
        };
        multipliers.push((
            Pair {
                i: Point::Optimum,
                j: Point::Iterate(k),
            },
            at_optimum,
        ));
    }
    let bound = Rational::from(1) / (Rational::from(4 * n as u64) * h + 2u32);
    Ok(Certificate::new(pep, bound, multipliers))
}

/// The closed-form certificate of gradient descent with step `1/L` on `L`-smooth `μ`-strongly
/// convex functions for the distance: `‖x_N − x*‖² ≤ (1 − q)^{2N} R²`, `q = μ/L < 1`.
///
/// Derivation (the one-step argument, telescoped): the pairs `(x_k, x*)` and `(x*, x_k)` of THG
/// 2017, Theorem 4 add up to `(1 + q)⟨g_k, x_k − x*⟩ ≥ ‖g_k‖² + q‖x_k − x*‖²`; with `λ = 2(1 − q)`
/// on both, `(1 − q)²‖x_k − x*‖² − ‖x_{k+1} − x*‖² − λ·(their "≤ 0" sum) = ‖q(x_k − x*) − g_k‖²`,
/// a square. Weighting step `k` by `(1 − q)^{2(N−1−k)}` telescopes to `S = Σ_k (1 − q)^{2(N−1−k)}
/// ‖q(x_k − x*) − g_k‖² ⪰ 0`, so `λ = 2(1 − q)^{2(N−k)−1}` on both pairs of step `k`,
/// `τ = (1 − q)^{2N}`. Tight: `f = q‖x‖²/2` contracts by exactly `(1 − q)` per step.
///
/// # Errors
/// [`Error::InvalidHyperParameter`] for `q` outside `[0, 1)` or `N` out of range.
pub fn gradient_descent_strongly_convex_distance(
    n: usize,
    strong_convexity: &Rational,
) -> Result<Certificate> {
    let method = Method::gradient_descent(n, &Rational::from(1))?;
    let pep = Pep::new(
        method,
        FunctionClass::SmoothStronglyConvex {
            strong_convexity: strong_convexity.clone(),
        },
        Measure::DistanceSquared,
    )?;
    let contraction = Rational::from(1 - strong_convexity.clone());
    let mut multipliers = Vec::with_capacity(2 * n);
    for k in 0..n {
        let exponent = i32::try_from(2 * (n - k) - 1)
            .map_err(|_| Error::hyper("steps", n, "too many steps"))?;
        let lambda = Rational::from((&contraction).pow(exponent)) * 2u32;
        for (i, j) in [
            (Point::Iterate(k), Point::Optimum),
            (Point::Optimum, Point::Iterate(k)),
        ] {
            multipliers.push((Pair { i, j }, lambda.clone()));
        }
    }
    let exponent = i32::try_from(2 * n).map_err(|_| Error::hyper("steps", n, "too many steps"))?;
    let bound = Rational::from((&contraction).pow(exponent));
    Ok(Certificate::new(pep, bound, multipliers))
}

/// The dual of Kim & Fessler's analysis of OGM ([`Method::ogm`]) in floating point, for
/// [`super::repair::repair_with_interior`]: with the exact `θ` (here MPFR at 256 bits, then
/// f64),
///
/// * `λ(x_k, x_{k+1}) = 2θ_k²/θ_N²`, `k = 0 … N − 1` (the consecutive-iterate inequality, as for
///   GD),
/// * `λ(x*, x_k) = 2θ_k/θ_N²`, `k < N`, and `λ(x*, x_N) = 1/θ_N`,
/// * `τ = 1/(2θ_N²)`.
///
/// The function-value equation holds because `θ_k² − θ_k = θ_{k−1}²` and
/// `θ_N² − θ_N = 2θ_{N−1}²`; positive semidefiniteness is Kim & Fessler's (2016) proof of the
/// bound. (The multipliers are written here from that structure and confirmed, not copied: after
/// the repair they certify the rational-θ OGM within 10⁻¹² relative of `1/(2θ_N²)` for
/// `N = 1 … 20`, tests/pep.rs.) Irrational, hence floating point: the repair makes them exact.
///
/// # Errors
/// [`Error::InvalidHyperParameter`] for `N` out of range.
pub fn ogm_kim_fessler_dual(n: usize) -> Result<super::repair::NumericDual> {
    let theta: Vec<f64> = super::method::ogm_theta(n, 256)?
        .iter()
        .map(Rational::to_f64)
        .collect();
    let last = theta[n] * theta[n];
    let mut multipliers = Vec::with_capacity(2 * n + 1);
    for (k, t) in theta.iter().enumerate().take(n) {
        multipliers.push((
            Pair {
                i: Point::Iterate(k),
                j: Point::Iterate(k + 1),
            },
            2.0 * t * t / last,
        ));
    }
    for (k, t) in theta.iter().enumerate().take(n) {
        multipliers.push((
            Pair {
                i: Point::Optimum,
                j: Point::Iterate(k),
            },
            2.0 * t / last,
        ));
    }
    multipliers.push((
        Pair {
            i: Point::Optimum,
            j: Point::Iterate(n),
        },
        1.0 / theta[n],
    ));
    Ok(super::repair::NumericDual {
        bound: 1.0 / (2.0 * last),
        multipliers,
    })
}

/// The certificates shipped in `fixtures/pep/`: `(file stem, certificate, with factors)`.
/// Gradient descent h = 1 for N = 1, 2, 5, 10 (with `LDLᵀ` factors), N = 20 (without; the
/// table's largest N) and N = 50 (without, the done criterion's largest case), h = 1/2 for N = 10, and the strongly convex distance
/// certificate for q = 1/2, N = 3.
///
/// # Errors
/// None in practice: the parameters are fixed and valid.
pub fn catalogue() -> Result<Vec<(String, Certificate, bool)>> {
    let one = Rational::from(1);
    let mut out = Vec::new();
    for n in [1usize, 2, 5, 10] {
        out.push((format!("gd-h1-n{n}"), gradient_descent(n, &one)?, true));
    }
    out.push(("gd-h1-n20".into(), gradient_descent(20, &one)?, false));
    out.push(("gd-h1-n50".into(), gradient_descent(50, &one)?, false));
    out.push((
        "gd-h1_2-n10".into(),
        gradient_descent(10, &Rational::from((1, 2)))?,
        true,
    ));
    out.push((
        "gd-strongly-convex-q1_2-n3-distance".into(),
        gradient_descent_strongly_convex_distance(3, &Rational::from((1, 2)))?,
        true,
    ));
    Ok(out)
}

/// The PEPs whose Clarabel duals ship in `fixtures/pep/numeric/clarabel/` (written by
/// `cargo run --release --features sdp --example pep_solve -- write`), by file stem, all with
/// `f(x_N) − f*` over smooth convex functions:
///
/// * FISTA `(k − 1)/(k + 2)` for `N ∈` [`TABLE_STEPS`];
/// * heavy ball for `(γ, μ) ∈ {(1/2, 1/4), (1/2, 1/2), (1, 1/2), (1/4, 3/4)}` and `N ∈`
///   [`TABLE_STEPS`] — step sizes and momenta inside the region where the research survey's
///   PEP values decrease with `N` (`γ/(1 − μ) ≤ 2`, `μ ≤ 3/4`; research notes, "Heavy ball
///   survey").
///
/// # Errors
/// None in practice: the parameters are fixed and valid.
pub fn numeric_cases() -> Result<Vec<(String, Pep)>> {
    let mut out = Vec::new();
    let pep = |m: Method| Pep::new(m, FunctionClass::SmoothConvex, Measure::FunctionValue);
    for n in TABLE_STEPS {
        out.push((format!("fista-n{n}"), pep(Method::fista(n)?)?));
    }
    for (step, momentum) in HEAVY_BALL_PARAMETERS {
        let (g, m) = (Rational::from(step), Rational::from(momentum));
        for n in TABLE_STEPS {
            out.push((
                heavy_ball_name(step, momentum, n),
                pep(Method::heavy_ball(n, &g, &m)?)?,
            ));
        }
    }
    Ok(out)
}

/// The step counts of the certified table (`certify --table`) and of [`numeric_cases`].
pub const TABLE_STEPS: [usize; 5] = [1, 2, 5, 10, 20];

/// `(γ, μ)` of the heavy-ball cases in [`numeric_cases`], as `(numerator, denominator)` pairs.
pub const HEAVY_BALL_PARAMETERS: [((u32, u32), (u32, u32)); 4] = [
    ((1, 2), (1, 4)),
    ((1, 2), (1, 2)),
    ((1, 1), (1, 2)),
    ((1, 4), (3, 4)),
];

/// The file stem of a heavy-ball case: `heavy-ball-g1_2-m1_4-n10`.
pub fn heavy_ball_name(step: (u32, u32), momentum: (u32, u32), n: usize) -> String {
    let r = |(p, q): (u32, u32)| {
        if q == 1 {
            p.to_string()
        } else {
            format!("{p}_{q}")
        }
    };
    format!("heavy-ball-g{}-m{}-n{n}", r(step), r(momentum))
}
