//! The Huber-like function on which gradient descent (and OGM) meet their worst case exactly.
//!
//! **Formula** (Drori & Teboulle 2014, *Performance of first-order methods for smooth convex
//! minimization: a novel approach*, Math. Program. 145, Theorem 3.2): for `L, R, c > 0` on ℝⁿ,
//!
//! ```text
//! φ_c(x) = (LR/c)‖x‖ − LR²/(2c²)   if ‖x‖ ≥ R/c,
//!          (L/2)‖x‖²               otherwise,
//! ∇φ_c(x) = (LR/c) x/‖x‖           if ‖x‖ ≥ R/c,
//!           L x                    otherwise.
//! ```
//!
//! With `ρ = R/c`, `∇φ_c(x) = L·min(1, ρ/‖x‖)·x`: continuous at the kink `‖x‖ = ρ`, L-Lipschitz,
//! convex (m = 0); `x* = 0`, `f* = 0`; the instance starts at `x₀ = R·e₁`, so `‖x₀ − x*‖ = R`.
//!
//! **Worst cases.** Gradient descent with step `h/L` run `N` steps from `R·e₁` on `φ_c` with
//! `c = 2Nh + 1` stays in the linear region and ends at exactly `f(x_N) = LR²/(4Nh + 2)`, the
//! tight bound of Drori & Teboulle's Theorem 3.1 for `0 < h ≤ 1` ([`HuberProblem::for_gd`]).
//! The optimized gradient method (Kim & Fessler 2016, *Optimized first-order methods for smooth
//! convex minimization*, Math. Program. 159, with `θ_0 = 1`, `θ_i = (1 + √(1 + 4θ_{i−1}²))/2` for
//! `i < N` and `θ_N = (1 + √(1 + 8θ_{N−1}²))/2`) ends at `f(x_N) = LR²/(2θ_N²)` on `φ_c` with
//! `c = θ_N²` (Kim & Fessler 2017, *On the convergence analysis of the optimized gradient method*,
//! J. Optim. Theory Appl. 172: this piecewise affine-quadratic function is one of OGM's two worst
//! cases) — [`HuberProblem::for_ogm`]. `θ_N` is irrational for `N ≥ 2` (`θ_1 = (1 + √5)/2` when
//! `N ≥ 2`), so that variant keeps `c` symbolic, computes it in the run's arithmetic with
//! [`Number::sqrt`](crate::arith::Number::sqrt), and has no exact oracle; for `N = 1`, `θ_1 = 2` and it is exact.
//!
//! **Exactness.** In ℚ the branch is decided by `‖x‖² ≥ ρ²` (no root needed), the quadratic region
//! is always exact, and the linear region needs `‖x‖ = √(‖x‖²)`: exact when `‖x‖²` is the square of
//! a rational — in ℝ¹, along `e₁` (where the worst-case runs stay), at Pythagorean points —
//! otherwise [`Error::NotRational`].
//!
//! **f64 operation order** (hats: constants rounded once from their exact values, or, for OGM,
//! computed in f64 by the recursion above): `s = x·x` (sequential dot), branch `s ≥ ρ̂²`;
//! linear region: `ν = √s`, `q = slope ⊘ ν`, `g_i = x_i ⊗ q`, `value = (slope ⊗ ν) ⊖ offset`;
//! quadratic region: `g_i = x_i ⊗ L̂`, `value = (L/2)^ ⊗ s`; the gap is the value (f* = 0). Here
//! `slope = LR/c`, `offset = LR²/(2c²)`; for OGM `c = θ⊗θ`, `ρ = R̂ ⊘ c`, `slope = L̂ ⊗ ρ`,
//! `ρ² = ρ ⊗ ρ`, `offset = (slope ⊗ ρ) ⊗ ½`, `(L/2)^ = L̂ ⊗ ½`.
//! [`Problem::f64_rounding`] derives the rounding bound (see its comment, near the kink too).
//!
//! Spec: `huber:L=1,R=1,dim=2,c=21`, `huber:steps=10,h=1` (c = 2Nh + 1) or `huber:ogm=5`
//! (c = θ_N²); defaults `L = 1`, `R = 1`, `dim = 2`, `steps = 10`, `h = 1`.

use proptest::prelude::*;
use rug::float::Round;
use rug::{Float, Rational};

use super::quadratic::{small_rational, smoothness_constant, smoothness_constants};
use super::{F64RoundingBound, Oracle, Problem, at_least, check_dim, require_positive};
use crate::arith::Scalar;
use crate::arith::bounded::{BoundedValue, BoundedVector, Floating, rational_to_f64_up};
use crate::arith::linalg::{Vector, sqrt_upper};
use crate::error::{Error, Result};
use crate::generate::{Generated, Stream};
use crate::spec::{EntryInfo, ParamInfo, Spec};

/// Catalogue entry.
pub const INFO: EntryInfo = EntryInfo {
    name: "huber",
    summary: "Drori–Teboulle worst case (LR/c)‖x‖ − LR²/(2c²) for ‖x‖ ≥ R/c, (L/2)‖x‖² otherwise; x0 = R·e₁",
    params: &[
        ParamInfo {
            key: "L",
            help: "smoothness constant, > 0 (default 1)",
        },
        ParamInfo {
            key: "R",
            help: "distance ‖x0 − x*‖, > 0 (default 1)",
        },
        ParamInfo {
            key: "dim",
            help: "dimension, ≥ 1 (default 2)",
        },
        ParamInfo {
            key: "c",
            help: "the kink is at ‖x‖ = R/c, c > 0 (default from steps and h)",
        },
        ParamInfo {
            key: "steps",
            help: "GD worst case for N steps: c = 2Nh + 1 (default 10)",
        },
        ParamInfo {
            key: "h",
            help: "GD step h/L, h > 0, tight for h ≤ 1 (default 1)",
        },
        ParamInfo {
            key: "ogm",
            help: "OGM worst case for N ≥ 1 steps: c = θ_N², irrational for N ≥ 2 (no exact oracle)",
        },
    ],
};

/// The scale `c` of the kink `‖x‖ = R/c`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scale {
    /// A rational `c > 0` (the GD worst case has `c = 2Nh + 1`).
    Rational(Rational),
    /// `c = θ_N²` from Kim & Fessler's OGM recursion for `N` steps, `N ≥ 1`.
    OgmThetaSquared(usize),
}

/// The Huber-like worst-case function. See the [module documentation](self).
#[derive(Clone, Debug, PartialEq)]
pub struct HuberProblem {
    l: Rational,
    r: Rational,
    dim: usize,
    scale: Scale,
}

/// The constants of the formula in one arithmetic.
#[derive(Clone, Debug)]
struct Constants<S> {
    l: S,
    half_l: S,
    /// `LR/c = Lρ`.
    slope: S,
    /// `LR²/(2c²) = Lρ²/2`.
    offset: S,
    /// `ρ² = (R/c)²`.
    rho_sq: S,
}

impl HuberProblem {
    /// `φ_c` on ℝ^dim with smoothness `l`, initial distance `r`.
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] unless `l, r > 0`, `dim ≥ 1`, and `c > 0` (or `N ≥ 1`).
    pub fn new(l: Rational, r: Rational, dim: usize, scale: Scale) -> Result<Self> {
        require_positive("L", &l)?;
        require_positive("R", &r)?;
        crate::problem::check_dimension("dim", dim)?;
        if dim == 0 {
            return Err(Error::hyper("dim", dim, "must be at least 1"));
        }
        match &scale {
            Scale::Rational(c) => require_positive("c", c)?,
            Scale::OgmThetaSquared(0) => {
                return Err(Error::hyper("ogm", 0, "OGM needs at least 1 step"));
            }
            Scale::OgmThetaSquared(_) => {}
        }
        Ok(HuberProblem { l, r, dim, scale })
    }

    /// The GD worst case in ℝ¹: `c = 2·steps·h + 1`, on which gradient descent with step `h/L`
    /// ends at `f(x_steps) = LR²/(4·steps·h + 2)` (Drori & Teboulle 2014, Theorems 3.1–3.2).
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] unless `l, r, h > 0`.
    pub fn for_gd(l: Rational, r: Rational, steps: usize, h: Rational) -> Result<Self> {
        require_positive("h", &h)?;
        let c = Rational::from(2u32) * Rational::from(steps) * h + 1u32;
        HuberProblem::new(l, r, 1, Scale::Rational(c))
    }

    /// The OGM worst case in ℝ¹: `c = θ_steps²`, on which OGM ends at `f(x_N) = LR²/(2θ_N²)`
    /// (Kim & Fessler 2017).
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] unless `l, r > 0` and `steps ≥ 1`.
    pub fn for_ogm(l: Rational, r: Rational, steps: usize) -> Result<Self> {
        HuberProblem::new(l, r, 1, Scale::OgmThetaSquared(steps))
    }

    /// The same function on ℝ^dim (the worst-case runs stay on the `e₁` axis).
    ///
    /// # Errors
    /// [`Error::InvalidHyperParameter`] if `dim = 0`.
    pub fn with_dim(self, dim: usize) -> Result<Self> {
        HuberProblem::new(self.l, self.r, dim, self.scale)
    }

    /// The scale c.
    pub fn scale(&self) -> &Scale {
        &self.scale
    }

    /// The radius `ρ = R/c` of the kink, when c is rational.
    pub fn kink_radius(&self) -> Option<Rational> {
        match &self.scale {
            Scale::Rational(c) => Some(Rational::from(&self.r / c)),
            Scale::OgmThetaSquared(_) => None,
        }
    }

    /// The constants in arithmetic `S`.
    ///
    /// # Errors
    /// [`Error::NotRational`] for the OGM scale in ℚ when a square root in the θ recursion is
    /// irrational (every `N ≥ 2`).
    fn constants<S: Scalar>(&self) -> Result<Constants<S>> {
        let half = S::from_ratio(1, 2);
        match &self.scale {
            Scale::Rational(c) => {
                let rho = Rational::from(&self.r / c);
                let rho_sq = Rational::from(&rho * &rho);
                let slope = Rational::from(&self.l * &rho);
                let offset = Rational::from(&slope * &rho) / 2u32;
                Ok(Constants {
                    l: S::from_rational(&self.l),
                    half_l: S::from_rational(&(Rational::from(&self.l / 2u32))),
                    slope: S::from_rational(&slope),
                    offset: S::from_rational(&offset),
                    rho_sq: S::from_rational(&rho_sq),
                })
            }
            Scale::OgmThetaSquared(n) => {
                let n = *n;
                let mut theta = S::one();
                for i in 1..=n {
                    // Kim & Fessler 2016: factor 4 for i < N, 8 for the last step.
                    let factor: i64 = if i == n { 8 } else { 4 };
                    let disc = S::one() + &(S::from_ratio(factor, 1) * &theta * &theta);
                    let root = disc.sqrt().ok_or_else(|| Error::NotRational {
                        operation: "OGM's θ_N",
                        detail: format!(
                            " (θ_{i} needs √(1 + {factor}θ_{}²) = √{}, for huber:ogm={n})",
                            i - 1,
                            disc.to_rational()
                                .map_or_else(|| format!("{disc:?}"), |q| q.to_string())
                        ),
                    })?;
                    theta = (S::one() + &root) * &half;
                }
                let l = S::from_rational(&self.l);
                let c = theta.clone() * &theta;
                let rho = S::from_rational(&self.r) / &c;
                let slope = l.clone() * &rho;
                let rho_sq = rho.clone() * &rho;
                let offset = slope.clone() * &rho * &half;
                let half_l = l.clone() * &half;
                Ok(Constants {
                    l,
                    half_l,
                    slope,
                    offset,
                    rho_sq,
                })
            }
        }
    }

    /// The oracle in arithmetic `S`.
    ///
    /// # Errors
    /// As for the constants: [`Error::NotRational`] for irrational OGM scales in ℚ.
    pub fn oracle<S: Scalar>(&self) -> Result<HuberOracle<S>> {
        Ok(HuberOracle {
            dim: self.dim,
            k: self.constants()?,
        })
    }

    /// Builds an instance from a parsed spec (see the module documentation).
    ///
    /// # Errors
    /// Parse and range errors naming the offending key; giving `c` together with `steps`/`h` or
    /// `ogm` (or `ogm` with `steps`/`h`) is an [`Error::InvalidHyperParameter`].
    pub fn from_spec(spec: &Spec) -> Result<Self> {
        let l = spec.rational_or("L", Rational::from(1))?;
        let r = spec.rational_or("R", Rational::from(1))?;
        let dim = spec.bounded_usize_or("dim", 2, crate::problem::MAX_DIMENSION)?;
        let c = spec.rational_opt("c")?;
        let steps = spec
            .raw("steps")
            .map(|_| spec.bounded_usize_or("steps", 0, crate::problem::MAX_STEPS))
            .transpose()?;
        let h = spec.rational_opt("h")?;
        let ogm = spec
            .raw("ogm")
            .map(|_| spec.bounded_usize_or("ogm", 0, crate::problem::MAX_STEPS))
            .transpose()?;
        spec.finish(&INFO)?;
        let gd_given = steps.is_some() || h.is_some();
        let scale = match (c, ogm) {
            (Some(c), None) if !gd_given => Scale::Rational(c),
            (None, Some(n)) if !gd_given => Scale::OgmThetaSquared(n),
            (None, None) => {
                let h = h.unwrap_or_else(|| Rational::from(1));
                require_positive("h", &h)?;
                Scale::Rational(
                    Rational::from(2u32) * Rational::from(steps.unwrap_or(10)) * h + 1u32,
                )
            }
            (Some(c), _) => {
                return Err(Error::hyper(
                    "c",
                    crate::arith::text::format(&c),
                    "give only one of c, steps/h, ogm",
                ));
            }
            (None, Some(n)) => {
                return Err(Error::hyper("ogm", n, "give only one of c, steps/h, ogm"));
            }
        };
        HuberProblem::new(l, r, dim, scale)
    }
}

/// A rational lower bound on `√q` (0 for `q ≤ 0`).
fn sqrt_lower(q: &Rational) -> Rational {
    if *q <= 0 {
        return Rational::new();
    }
    let (f, _) = Float::with_val_round(128, q, Round::Down);
    let (s, _) = Float::with_val_round(128, f.sqrt_ref(), Round::Down);
    s.to_rational().unwrap_or_default()
}

/// `e + extra`, rounded up to an f64 (infinite if `e` is).
fn bound_up(e: f64, extra: &Rational) -> f64 {
    match Rational::from_f64(e) {
        Some(e) => rational_to_f64_up(&(e + extra)),
        None => f64::INFINITY,
    }
}

impl Problem for HuberProblem {
    fn family(&self) -> &'static str {
        INFO.name
    }
    fn spec(&self) -> String {
        let scale = match &self.scale {
            Scale::Rational(c) => format!("c={}", crate::arith::text::format(c)),
            Scale::OgmThetaSquared(n) => format!("ogm={n}"),
        };
        format!(
            "huber:L={},R={},dim={},{scale}",
            crate::arith::text::format(&self.l),
            crate::arith::text::format(&self.r),
            self.dim
        )
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn smoothness(&self) -> Option<Rational> {
        Some(self.l.clone())
    }
    fn strong_convexity(&self) -> Option<Rational> {
        Some(Rational::new())
    }
    fn minimizer(&self) -> Option<Vec<Rational>> {
        Some(vec![Rational::new(); self.dim])
    }
    fn optimal_value(&self) -> Option<Rational> {
        Some(Rational::new())
    }
    fn initial_point(&self) -> Vec<Rational> {
        let mut x = vec![Rational::new(); self.dim];
        x[0] = self.r.clone();
        x
    }
    fn exact_oracle(&self) -> Result<Box<dyn Oracle<Rational> + '_>> {
        Ok(Box::new(self.oracle::<Rational>()?))
    }
    fn f64_oracle(&self) -> Result<Box<dyn Oracle<f64> + '_>> {
        Ok(Box::new(self.oracle::<f64>()?))
    }
    fn mpfr_oracle(&self) -> Result<Box<dyn Oracle<Float> + '_>> {
        Ok(Box::new(self.oracle::<Float>()?))
    }
    fn f64_rounding(&self, x: &[f64]) -> Option<F64RoundingBound> {
        self.rounding_bound::<f64>(x)
    }
    fn mpfr_rounding(&self, x: &[Float]) -> Option<F64RoundingBound> {
        // The same derivation as for f64 (see `rounding_bound`), with MPFR's unit roundoff.
        self.rounding_bound::<Float>(x)
    }
    fn data_json(&self) -> serde_json::Value {
        let c = match &self.scale {
            Scale::Rational(c) => serde_json::json!(crate::arith::text::format(c)),
            Scale::OgmThetaSquared(n) => serde_json::json!({ "ogm_theta_squared": n }),
        };
        serde_json::json!({
            "L": crate::arith::text::format(&self.l),
            "R": crate::arith::text::format(&self.r),
            "dim": self.dim,
            "c": c,
            "minimizer": vec!["0/1"; self.dim],
            "optimum": "0/1",
        })
    }
}

impl HuberProblem {
    /// Rigorous rounding bounds of the oracle in floating arithmetic `F` at `x`.
    fn rounding_bound<F: Floating>(&self, x: &[F]) -> Option<F64RoundingBound> {
        // Derivation. The f64 oracle is `HuberOracle<f64>`; running the same generic code in
        // `Bounded` at the exact point x̂ (error 0) performs bit for bit the same operations — the
        // branch is decided on the values alone (`at_least`) — and bounds, by the per-operation
        // rules of `crate::arith::bounded` (Higham's model, every constant's own rounding included, OGM's
        // square roots too), the distance of each f64 result to the exact result *of the branch
        // the f64 run took*:
        //   linear:    |fl(q) − Lρ/ν| via ⊘ of the errors of slope and ν = √s, then ‖ĝ − (Lρ/ν)x̂‖
        //              via `scale`; value via ⊗ and ⊖;
        //   quadratic: ‖ĝ − Lx̂‖ = e_L‖x̂‖ + u‖ĝ‖ + η√n via `scale`; value via ⊗ with s's error.
        // What remains is the wrong branch. The f64 run compares ŝ with ρ̂², the truth is s vs ρ²,
        // with |ŝ − s| ≤ e_s and |ρ̂² − ρ²| ≤ e_ρ² from the same evaluation. If ŝ ≥ ρ̂² but s < ρ²,
        // then 0 < ρ² − s ≤ (ρ̂² + e_ρ²) − (ŝ − e_s) ≤ δ := e_s + e_ρ², and symmetrically; so a
        // wrong branch needs |ŝ − ρ̂²| ≤ δ and then |s − ρ²| ≤ δ, i.e.
        //   |ν − ρ| = |s − ρ²|/(ν + ρ) ≤ min(δ/ρ, √δ)  (ν = ‖x̂‖).
        // The gradient is continuous at the kink, and the two formulas differ by exactly
        //   ‖L x − (Lρ/ν) x‖ = L|ν − ρ|,
        // while the values differ by (L/2)ν² − (Lρν − Lρ²/2) = (L/2)(ν − ρ)². Adding L·min(δ/ρ, √δ)
        // to the gradient bound and (L/2)·min(δ/ρ, √δ)² to the value (and gap) bound makes them
        // hold whichever branch the truth is on. ρ is exact for rational c; for OGM a rational
        // lower bound follows from ρ² ≥ ρ̂² − e_ρ².
        let mut oracle = self.oracle::<BoundedValue<F>>().ok()?;
        let xb = BoundedVector::<F>::new(F::Vector::from_scalars(x), 0.0);
        let s = xb.dot(&xb);
        let g = oracle.gradient(&xb).ok()?;
        let f = oracle.value(&xb).ok()?;
        let rho_sq = &oracle.k.rho_sq;
        if !(s.v.is_finite() && s.e.is_finite() && rho_sq.v.is_finite() && rho_sq.e.is_finite()) {
            // Overflow in ‖x‖²: nothing finite can be claimed.
            return Some(F64RoundingBound {
                gradient: f64::INFINITY,
                value: f64::INFINITY,
                gap: f64::INFINITY,
            });
        }
        let delta = Rational::from_f64(s.e)? + Rational::from_f64(rho_sq.e)?;
        let gap_fl = (s.v.to_rational()? - rho_sq.v.to_rational()?).abs();
        let (grad_extra, value_extra) = if gap_fl <= delta {
            let rho_low = match self.kink_radius() {
                Some(rho) => rho,
                None => sqrt_lower(&(rho_sq.v.to_rational()? - Rational::from_f64(rho_sq.e)?)),
            };
            let root = sqrt_upper(&delta);
            let dist = if rho_low > 0 {
                let ratio = Rational::from(&delta / &rho_low);
                if ratio < root { ratio } else { root }
            } else {
                root
            };
            let value_extra = Rational::from(&self.l * &dist) * &dist / 2u32;
            (Rational::from(&self.l * &dist), value_extra)
        } else {
            (Rational::new(), Rational::new())
        };
        let value = bound_up(f.e, &value_extra);
        Some(F64RoundingBound {
            gradient: bound_up(g.e, &grad_extra),
            value,
            gap: value,
        })
    }
}

/// [`HuberProblem`]'s oracle in arithmetic `S` (operation order in the
/// [module documentation](self)).
#[derive(Clone, Debug)]
pub struct HuberOracle<S: Scalar> {
    dim: usize,
    k: Constants<S>,
}

impl<S: Scalar> HuberOracle<S> {
    /// `(s, ‖x‖ if in the linear region)`.
    fn norm(&self, x: &S::Vector) -> Result<(S, Option<S>)> {
        check_dim::<S>("huber", self.dim, x)?;
        let s = x.dot(x);
        if !at_least(&s, &self.k.rho_sq) {
            return Ok((s, None));
        }
        let nu = s.sqrt().ok_or_else(|| Error::NotRational {
            operation: "the norm ‖x‖",
            detail: format!(
                " in the Huber function's linear region: ‖x‖² = {} is not the square of a rational",
                s.to_rational()
                    .map_or_else(|| format!("{s:?}"), |q| q.to_string())
            ),
        })?;
        Ok((s, Some(nu)))
    }
}

impl<S: Scalar> Oracle<S> for HuberOracle<S> {
    fn dim(&self) -> usize {
        self.dim
    }
    fn value(&mut self, x: &S::Vector) -> Result<S> {
        Ok(match self.norm(x)? {
            (_, Some(nu)) => self.k.slope.clone() * &nu - &self.k.offset,
            (s, None) => self.k.half_l.clone() * &s,
        })
    }
    fn gradient(&mut self, x: &S::Vector) -> Result<S::Vector> {
        let factor = match self.norm(x)? {
            (_, Some(nu)) => self.k.slope.clone() / &nu,
            (_, None) => self.k.l.clone(),
        };
        let mut g = x.clone();
        g.scale(&factor);
        Ok(g)
    }
    fn gap(&mut self, x: &S::Vector) -> Result<Option<S>> {
        self.value(x).map(Some)
    }
}

/// Instances with rational `c`: either a GD worst case (`c = 2Nh + 1`, N in 0..=6, h in
/// {1/2, 1, 3/2}) or any `c` in a grid of positive rationals; L among the strategies' constants,
/// R a small positive rational, dimension 1..=4.
pub fn huber() -> impl Strategy<Value = HuberProblem> {
    let gd_scale = (0usize..=6, 1i64..=3).prop_map(|(n, twice_h)| {
        Rational::from(2u32) * Rational::from(n) * Rational::from((twice_h, 2u64)) + 1u32
    });
    let any_scale = small_rational(1, 12, 4);
    (
        smoothness_constant(),
        small_rational(1, 6, 3),
        1usize..=4,
        prop_oneof![gd_scale, any_scale],
    )
        .prop_map(|(l, r, dim, c)| {
            HuberProblem::new(l, r, dim, Scale::Rational(c)).expect("valid by construction")
        })
}

/// OGM worst cases, N in 1..=6 (irrational `c` for N ≥ 2).
pub fn huber_ogm() -> impl Strategy<Value = HuberProblem> {
    (
        smoothness_constant(),
        small_rational(1, 6, 3),
        1usize..=4,
        1usize..=6,
    )
        .prop_map(|(l, r, dim, n)| {
            HuberProblem::new(l, r, dim, Scale::OgmThetaSquared(n)).expect("valid by construction")
        })
}

/// An instance drawn from `stream`: `range_usize(0, 3)` picks the OGM worst case on 3 (one in
/// four, as in the strategy), else a rational `c`; then L = `pick([1, 2, 10, 1/2, 3/4])`,
/// R = `rational(1, 6, 3)`, the dimension `range_usize(1, 4)`, and either N = `range_usize(1, 6)`
/// (OGM) or a coin choosing between the GD worst case `c = 2Nh + 1` (N = `range_usize(0, 6)`,
/// 2h = `range_i64(1, 3)`) and `c = rational(1, 12, 4)`.
pub fn generate(stream: &mut Stream) -> HuberProblem {
    let ogm = stream.range_usize(0, 3) == 3;
    let l = stream.pick(&smoothness_constants()).clone();
    let r = stream.rational(1, 6, 3);
    let dim = stream.range_usize(1, 4);
    let scale = if ogm {
        Scale::OgmThetaSquared(stream.range_usize(1, 6))
    } else if stream.coin() {
        let n = stream.range_usize(0, 6);
        let twice_h = stream.range_i64(1, 3);
        Scale::Rational(
            Rational::from(2u32) * Rational::from(n) * Rational::from((twice_h, 2u64)) + 1u32,
        )
    } else {
        Scale::Rational(stream.rational(1, 12, 4))
    };
    HuberProblem::new(l, r, dim, scale).expect("valid by construction")
}

impl Generated for HuberProblem {
    fn generate(stream: &mut Stream) -> Self {
        generate(stream)
    }
    fn strategy() -> BoxedStrategy<Self> {
        prop_oneof![3 => huber(), 1 => huber_ogm()].boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::Rounding;
    use crate::arith::linalg::QVec;

    fn q(n: i64, d: u64) -> Rational {
        Rational::from((n, d))
    }

    #[test]
    fn gradient_descent_attains_the_drori_teboulle_bound_exactly() {
        for steps in 1..=4 {
            for h in [q(1, 2), q(1, 1), q(3, 2)] {
                let (l, r) = (q(3, 2), q(2, 1));
                let p = HuberProblem::for_gd(l.clone(), r.clone(), steps, h.clone())
                    .unwrap()
                    .with_dim(2)
                    .unwrap();
                let mut oracle = p.exact_oracle().unwrap();
                let mut x = crate::problem::to_vector::<Rational>(&p.initial_point());
                let step = -Rational::from(&h / &l);
                for _ in 0..steps {
                    let g = oracle.gradient(&x).unwrap();
                    x.axpy(&step, &g, Rounding::Naive);
                }
                // LR²/(4Nh + 2), Drori & Teboulle 2014, Theorem 3.1.
                let want = Rational::from(&l * &r) * &r
                    / (Rational::from(4u32) * Rational::from(steps) * &h + 2u32);
                assert_eq!(oracle.value(&x).unwrap(), want, "N = {steps}, h = {h}");
            }
        }
    }

    #[test]
    fn one_step_of_ogm_attains_kim_fesslers_bound_exactly() {
        // N = 1: θ₁ = (1 + √(1 + 8))/2 = 2, c = 4, and OGM's single step is
        // x₁ = y₁ + ((θ₀ − 1)/θ₁)(y₁ − y₀) + (θ₀/θ₁)(y₁ − x₀) with y₀ = x₀, y₁ = x₀ − ∇f(x₀)/L.
        let (l, r) = (q(2, 1), q(3, 1));
        let p = HuberProblem::for_ogm(l.clone(), r.clone(), 1).unwrap();
        let mut oracle = p.exact_oracle().unwrap();
        let x0 = crate::problem::to_vector::<Rational>(&p.initial_point());
        let mut y1 = x0.clone();
        y1.axpy(
            &-Rational::from(1 / &l),
            &oracle.gradient(&x0).unwrap(),
            Rounding::Naive,
        );
        let mut x1 = y1.clone();
        let mut d = y1.clone();
        d.sub_assign(&x0);
        x1.axpy(&q(1, 2), &d, Rounding::Naive);
        let want = Rational::from(&l * &r) * &r / 8u32;
        assert_eq!(oracle.value(&x1).unwrap(), want);
    }

    #[test]
    fn value_and_gradient_are_continuous_at_the_kink() {
        let p = HuberProblem::new(q(3, 1), q(2, 1), 1, Scale::Rational(q(5, 1))).unwrap();
        let mut o = p.oracle::<Rational>().unwrap();
        let rho = p.kink_radius().unwrap();
        // At ‖x‖ = ρ the linear formula applies; it must equal the quadratic one, L x and (L/2)x².
        let at = QVec::from_scalars(std::slice::from_ref(&rho));
        assert_eq!(o.gradient(&at).unwrap().get(0), Rational::from(&rho * 3u32));
        assert_eq!(
            o.value(&at).unwrap(),
            Rational::from(&rho * &rho) * Rational::from((3, 2))
        );
    }

    #[test]
    fn exact_oracle_refuses_irrational_norms_and_scales() {
        let p = HuberProblem::new(q(1, 1), q(1, 1), 2, Scale::Rational(q(1, 1))).unwrap();
        let mut o = p.exact_oracle().unwrap();
        let err = o
            .gradient(&QVec::from_scalars(&[q(1, 1), q(1, 1)]))
            .unwrap_err();
        assert!(
            matches!(err, Error::NotRational { ref detail, .. } if detail.contains("‖x‖² = 2 is"))
        );
        // A Pythagorean point has a rational norm: (3, 4)/5·2 has norm 2.
        let g = o
            .gradient(&QVec::from_scalars(&[q(6, 5), q(8, 5)]))
            .unwrap();
        assert_eq!(g.to_scalars(), vec![q(3, 5), q(4, 5)]);
        let ogm = HuberProblem::for_ogm(q(1, 1), q(1, 1), 3).unwrap();
        assert!(matches!(ogm.exact_oracle(), Err(Error::NotRational { .. })));
        assert!(ogm.f64_oracle().is_ok());
    }

    #[test]
    fn a_wrong_f64_branch_near_the_kink_stays_within_the_bound() {
        // ρ = 1. x = (1 − 2⁻⁵³, 2⁻²⁶(1 − 2⁻³⁰)): ‖x‖² < 1 exactly, but the f64 dot product rounds
        // to 1, so the f64 oracle takes the linear branch while the truth is quadratic.
        let p = HuberProblem::new(q(1, 1), q(1, 1), 2, Scale::Rational(q(1, 1))).unwrap();
        let x = [
            1.0 - f64::EPSILON / 2.0,
            (1.0 - 2f64.powi(-30)) * 2f64.powi(-26),
        ];
        let exact_x: Vec<Rational> = x.iter().map(|v| Rational::from_f64(*v).unwrap()).collect();
        assert!(crate::arith::linalg::norm_sq(&exact_x) < 1);
        assert!(x.to_vec().dot(&x.to_vec()) >= 1.0);
        let g = p.f64_oracle().unwrap().gradient(&x.to_vec()).unwrap();
        let want = p
            .exact_oracle()
            .unwrap()
            .gradient(&QVec::from_scalars(&exact_x))
            .unwrap()
            .to_scalars();
        let bound = p.f64_rounding(&x).unwrap();
        let err_sq = g.iter().zip(&want).fold(Rational::new(), |acc, (a, b)| {
            let d = Rational::from_f64(*a).unwrap() - b;
            acc + Rational::from(&d * &d)
        });
        let b = Rational::from_f64(bound.gradient).unwrap();
        assert!(err_sq <= Rational::from(&b * &b));
    }

    #[test]
    fn bad_parameters_are_typed_errors() {
        for spec in [
            "huber:L=0",
            "huber:R=-1",
            "huber:dim=0",
            "huber:c=0",
            "huber:h=0",
            "huber:ogm=0",
            "huber:c=2,steps=3",
            "huber:ogm=2,h=1",
            "huber:c=2,ogm=2",
        ] {
            let err = crate::problem::from_spec(spec).unwrap_err();
            assert!(
                matches!(err, Error::InvalidHyperParameter { .. }),
                "{spec}: {err}"
            );
        }
        assert!(matches!(
            crate::problem::from_spec("huber:steps=x"),
            Err(Error::Parse { .. })
        ));
    }

    #[test]
    fn default_spec_is_the_ten_step_gd_worst_case() {
        let p = HuberProblem::from_spec(&Spec::parse("huber").unwrap()).unwrap();
        assert_eq!(p.spec(), "huber:L=1/1,R=1/1,dim=2,c=21/1");
    }
}
