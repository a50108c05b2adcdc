//! The primal side made exact: from a solver's worst-case Gram matrix to rational interpolation
//! data on which the method attains (nearly) the certified bound.
//!
//! A numeric primal `(G, F)` (Gram matrix of `[x₀ − x*, g₀, …, g_N]` and function values, see
//! [`super::solve`]) is only approximately feasible. The construction:
//!
//! 1. factor `G ≈ V Vᵀ` in f64 (pivoted Cholesky, stopping at pivots below `10⁻¹²` of the
//!    largest), round `V` to multiples of `2⁻⁴⁰`: vectors `u₀ = x₀ − x*`, `u_{1+k} = g_k` in `ℚ^r`;
//!    the points follow exactly from the method's table, `x_k = x₀ − Σ h_{k,i} g_i`, and the values
//!    are the solver's `F` rounded the same way;
//! 2. those data violate the interpolation conditions by about the solver's tolerance, so a
//!    strictly interpolable companion run is mixed in on an extra coordinate: the method on the
//!    one-dimensional quadratic `a x²/2`, `a = (1 + q)/2` (strictly inside the class), from
//!    `x₀ = 1`. With a rational point of the unit circle `(c, s) = ((m² − 1), 2m)/(m² + 1)`, the
//!    points and gradients `(c·run₁, s·run₂)` and values `c² F₁ + s² F₂` are again a run of the
//!    method (it is linear in the gradients), and every interpolation slack is
//!    `c²·slack₁ + s²·slack₂` (the inequalities are linear in the Gram matrix and `F`). The
//!    values are then replaced by the largest ones the points and gradients allow (shortest
//!    paths from `x*`, see `largest_values`), and the largest `m = 2^k`, `k = 30 … 1`, whose
//!    data pass [`InterpolationData::check`] is kept;
//! 3. the attained value is the measure at `x_N` divided by `‖x₀ − x*‖²` (both exact), to be
//!    compared with the certified `τ`: a certificate proves `attained ≤ τ`, and `τ − attained` is
//!    the reported gap between the two sides.

use rug::{Integer, Rational};

use super::interpolation::InterpolationData;
use super::problem::{FunctionClass, Measure, Pep};
use super::repair::NumericPrimal;
use crate::error::{Error, Result};

/// Exact worst-case data for a PEP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorstCase {
    /// Index 0 is `x*` (the origin, `g* = 0`, `f* = 0`), index `1 + k` is `p_k`.
    pub data: InterpolationData,
    /// `‖x₀ − x*‖²`.
    pub distance_sq: Rational,
    /// The measure at `p_N` divided by `‖x₀ − x*‖²` (the normalised value a certificate bounds).
    pub attained: Rational,
    /// The exponent `k` of the mixing parameter `m = 2^k` that was kept.
    pub mixing_exponent: u32,
}

/// Pivoted Cholesky in f64: rows of the result are the basis vectors' coordinates.
fn factor(gram: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = gram.len();
    let mut a: Vec<Vec<f64>> = gram.to_vec();
    let mut rows = vec![Vec::new(); n];
    let largest = (0..n).map(|i| a[i][i]).fold(0.0, f64::max);
    let mut used = vec![false; n];
    loop {
        let pivot = (0..n)
            .filter(|i| !used[*i])
            .max_by(|x, y| a[*x][*x].total_cmp(&a[*y][*y]));
        let Some(p) = pivot else { break };
        if a[p][p] <= 1e-12 * largest {
            break;
        }
        let root = a[p][p].sqrt();
        let column: Vec<f64> = (0..n)
            .map(|i| if used[i] { 0.0 } else { a[i][p] / root })
            .collect();
        for i in 0..n {
            for j in 0..n {
                a[i][j] -= column[i] * column[j];
            }
            rows[i].push(column[i]);
        }
        used[p] = true;
    }
    rows
}

fn round(x: f64) -> Rational {
    let scale = Integer::from(1u64 << 40);
    let exact = Rational::from_f64(x).unwrap_or_default();
    let nearest = Rational::from(&exact * &scale).round();
    Rational::from((nearest.numer().clone(), scale))
}

fn dot(a: &[Rational], b: &[Rational]) -> Rational {
    a.iter()
        .zip(b)
        .fold(Rational::new(), |acc, (x, y)| acc + Rational::from(x * y))
}

/// Positions of the method's points from `x₀ − x*` and the gradients (exact).
fn positions(pep: &Pep, x0: &[Rational], gradients: &[Vec<Rational>]) -> Vec<Vec<Rational>> {
    pep.method()
        .coefficients()
        .iter()
        .map(|row| {
            let mut p = x0.to_vec();
            for (h, g) in row.iter().zip(gradients) {
                for (pi, gi) in p.iter_mut().zip(g) {
                    *pi -= Rational::from(h * gi);
                }
            }
            p
        })
        .collect()
}

/// The largest values for fixed points and gradients: the interpolation inequalities are
/// difference constraints `f_j ≤ f_i − c_ij` (`c_ij` = the inequality's right-hand side without
/// the values), so with `f* = 0` the shortest-path distances from `x*` (edge `i → j` of weight
/// `−c_ij`, Bellman–Ford in ℚ) are feasible and maximise every value at once — or a negative
/// cycle shows that no values work (`None`).
// Edge weights are indexed by ordered pairs (i, j); the index form keeps them readable.
#[allow(clippy::needless_range_loop)]
fn largest_values(data: &InterpolationData, q: &Rational) -> Option<Vec<Rational>> {
    let n = data.points.len();
    let one = Rational::from(1);
    // c_ij = f_i − f_j − slack_ij, independent of the values.
    let mut weight = vec![vec![Rational::new(); n]; n];
    for i in 0..n {
        for j in 0..n {
            if i != j {
                let slack = data.slack(i, j, &one, q);
                let c = Rational::from(&data.values[i] - &data.values[j]) - slack;
                weight[i][j] = Rational::from(-c);
            }
        }
    }
    let mut distance: Vec<Option<Rational>> = vec![None; n];
    distance[0] = Some(Rational::new());
    for round in 0..=n {
        let mut changed = false;
        for i in 0..n {
            let Some(di) = distance[i].clone() else {
                continue;
            };
            for j in 0..n {
                if i == j {
                    continue;
                }
                let candidate = Rational::from(&di + &weight[i][j]);
                if distance[j].as_ref().is_none_or(|dj| candidate < *dj) {
                    distance[j] = Some(candidate);
                    changed = true;
                }
            }
        }
        if !changed {
            return distance.into_iter().collect();
        }
        if round == n {
            return None;
        }
    }
    None
}

/// Builds exact worst-case data from a numeric primal (module docs).
///
/// # Errors
/// [`Error::DimensionMismatch`] when the primal's sizes do not match the PEP;
/// [`Error::CertificateRejected`] ([`super::interpolation::INTERPOLATION`]) when no mixing
/// weight makes the data interpolable.
pub fn from_primal(pep: &Pep, primal: &NumericPrimal) -> Result<WorstCase> {
    let n = pep.steps();
    if primal.gram.len() != n + 2 || primal.values.len() != n + 1 {
        return Err(Error::dims(
            "numeric primal (Gram size)",
            n + 2,
            primal.gram.len(),
        ));
    }
    let q = match pep.class() {
        FunctionClass::SmoothConvex => Rational::new(),
        FunctionClass::SmoothStronglyConvex { strong_convexity } => strong_convexity.clone(),
    };
    let rows: Vec<Vec<Rational>> = factor(&primal.gram)
        .iter()
        .map(|r| r.iter().map(|x| round(*x)).collect())
        .collect();
    let x0 = rows[0].clone();
    let gradients: Vec<Vec<Rational>> = rows[1..].to_vec();
    let values: Vec<Rational> = primal.values.iter().map(|v| round(*v)).collect();
    let points = positions(pep, &x0, &gradients);

    // The companion run on a x²/2, a = (1 + q)/2, from x₀ = 1.
    let a = Rational::from(Rational::from(1 + q.clone()) / 2u32);
    let mut companion_points: Vec<Rational> = Vec::with_capacity(n + 1);
    let mut companion_gradients: Vec<Rational> = Vec::with_capacity(n + 1);
    for row in pep.method().coefficients() {
        let mut p = Rational::from(1);
        for (h, g) in row.iter().zip(&companion_gradients) {
            p -= Rational::from(h * g);
        }
        companion_gradients.push(Rational::from(&a * &p));
        companion_points.push(p);
    }
    let companion_values: Vec<Rational> = companion_points
        .iter()
        .map(|p| Rational::from(&a * Rational::from(p * p)) / 2u32)
        .collect();

    let mut last = None;
    for k in (1..=30u32).rev() {
        let m = Integer::from(Integer::u_pow_u(2, k));
        let m2 = Integer::from(&m * &m);
        let denominator = Integer::from(&m2 + 1u32);
        let c = Rational::from((Integer::from(&m2 - 1u32), denominator.clone()));
        let s = Rational::from((Integer::from(&m * 2u32), denominator));
        let (c2, s2) = (
            Rational::from(c.clone().square()),
            Rational::from(s.clone().square()),
        );
        let join = |v: &[Rational], w: &Rational| -> Vec<Rational> {
            v.iter()
                .map(|x| Rational::from(&c * x))
                .chain(std::iter::once(Rational::from(&s * w)))
                .collect()
        };
        let dimension = x0.len() + 1;
        let mut data = InterpolationData {
            points: vec![vec![Rational::new(); dimension]],
            gradients: vec![vec![Rational::new(); dimension]],
            values: vec![Rational::new()],
        };
        for k in 0..=n {
            data.points.push(join(&points[k], &companion_points[k]));
            data.gradients
                .push(join(&gradients[k], &companion_gradients[k]));
            data.values.push(
                Rational::from(&c2 * &values[k]) + Rational::from(&s2 * &companion_values[k]),
            );
        }
        if let Some(best) = largest_values(&data, &q) {
            data.values = best;
        }
        match data.check(&Rational::from(1), &q) {
            Ok(_) => {
                let distance_sq = dot(&data.points[1], &data.points[1]);
                let measure = match pep.measure() {
                    Measure::FunctionValue => data.values[n + 1].clone(),
                    Measure::GradientNormSquared => {
                        dot(&data.gradients[n + 1], &data.gradients[n + 1])
                    }
                    Measure::DistanceSquared => dot(&data.points[n + 1], &data.points[n + 1]),
                };
                let attained = Rational::from(&measure / &distance_sq);
                return Ok(WorstCase {
                    data,
                    distance_sq,
                    attained,
                    mixing_exponent: k,
                });
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| Error::unsupported("no mixing weight tried")))
}
