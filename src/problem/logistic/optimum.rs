//! The logistic problem's optimum, certified: Newton's method in MPFR for an approximate
//! minimiser w̃, then rigorous bounds on f* from f(w̃) (upper) and strong convexity (lower,
//! f* ≥ f(w̃) − ‖∇f(w̃)‖²/(2λ)).

use rug::float::Round;
use rug::{Float, Rational};

use super::NEWTON_BITS;

/// A certified approximate solution: `w̃` and an enclosure of `f*`.
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    /// Newton's approximate minimiser (the exact value of its MPFR coordinates).
    pub point: Vec<Rational>,
    /// An upper bound on `‖∇f(w̃)‖²`.
    pub gradient_norm_sq: Rational,
    /// A certified lower bound on f*.
    pub lower: Rational,
    /// A certified upper bound on f* (an upper bound on `f(w̃)`).
    pub upper: Rational,
}

impl Reference {
    /// `upper − lower`: how far the reported gaps can exceed the true ones.
    pub fn width(&self) -> Rational {
        Rational::from(&self.upper - &self.lower)
    }
}

/// Values of one evaluation in MPFR: f, ∇f, and the curvatures σ(z_i)σ(−z_i).
struct Evaluation {
    value: Float,
    gradient: Vec<Float>,
    curvature: Vec<Float>,
}

fn evaluate(a: &[Vec<Float>], labels: &[i8], lambda: &Float, w: &[Float]) -> Evaluation {
    let p = NEWTON_BITS;
    let n = a.len();
    let mut value = Float::new(p);
    let mut gradient: Vec<Float> = w.iter().map(|x| Float::with_val(p, x * lambda)).collect();
    let mut curvature = Vec::with_capacity(n);
    let half_lambda = Float::with_val(p, lambda / 2u32);
    for (row, y) in a.iter().zip(labels) {
        let dot = row
            .iter()
            .zip(w)
            .fold(Float::new(p), |s, (x, v)| s + Float::with_val(p, x * v));
        let z = if *y < 0 { -dot } else { dot };
        // Stable forms: softplus(−z) and σ(−z) with exp of a non-positive number only.
        let (softplus, s) = if z >= 0 {
            let e = Float::with_val(p, -&z).exp();
            let one_e = Float::with_val(p, &e + 1u32);
            (Float::with_val(p, one_e.ln_ref()), e / &one_e)
        } else {
            let e = Float::with_val(p, z.exp_ref());
            let one_e = Float::with_val(p, &e + 1u32);
            let ln = Float::with_val(p, one_e.ln_ref());
            (Float::with_val(p, &ln - &z), one_e.recip())
        };
        value += Float::with_val(p, &softplus / n as u32);
        for (g, x) in gradient.iter_mut().zip(row) {
            let term = Float::with_val(p, x * &s) / n as u32;
            if *y < 0 {
                *g += term;
            } else {
                *g -= term;
            }
        }
        let one_minus = Float::with_val(p, 1u32 - &s);
        curvature.push(s * one_minus);
    }
    let wsq = w
        .iter()
        .fold(Float::new(p), |acc, x| acc + Float::with_val(p, x * x));
    value += half_lambda * wsq;
    Evaluation {
        value,
        gradient,
        curvature,
    }
}

fn norm_sq_f(v: &[Float]) -> Float {
    v.iter().fold(Float::new(NEWTON_BITS), |acc, x| {
        acc + Float::with_val(NEWTON_BITS, x * x)
    })
}

/// Solves `h x = b` for a symmetric positive definite `h` by Cholesky, in MPFR.
fn cholesky_solve(mut h: Vec<Vec<Float>>, b: &[Float]) -> Vec<Float> {
    let d = b.len();
    for j in 0..d {
        for k in 0..j {
            let t = Float::with_val(NEWTON_BITS, &h[j][k] * &h[j][k]);
            h[j][j] -= t;
        }
        let diag = Float::with_val(NEWTON_BITS, h[j][j].sqrt_ref());
        h[j][j] = diag;
        for i in j + 1..d {
            for k in 0..j {
                let t = Float::with_val(NEWTON_BITS, &h[i][k] * &h[j][k]);
                h[i][j] -= t;
            }
            let v = Float::with_val(NEWTON_BITS, &h[i][j] / &h[j][j]);
            h[i][j] = v;
        }
    }
    let mut x: Vec<Float> = b.to_vec();
    for i in 0..d {
        for k in 0..i {
            let t = Float::with_val(NEWTON_BITS, &h[i][k] * &x[k]);
            x[i] -= t;
        }
        x[i] /= &h[i][i];
    }
    for i in (0..d).rev() {
        for k in i + 1..d {
            let t = Float::with_val(NEWTON_BITS, &h[k][i] * &x[k]);
            x[i] -= t;
        }
        x[i] /= &h[i][i];
    }
    x
}

/// Newton's method with Armijo backtracking from w = 0, in MPFR; returns the iterate with the
/// smallest gradient norm seen. Its accuracy is not trusted: [`certify`] measures it.
fn newton(features: &[Vec<Rational>], labels: &[i8], lambda: &Rational) -> Vec<Float> {
    let p = NEWTON_BITS;
    let a: Vec<Vec<Float>> = features
        .iter()
        .map(|r| r.iter().map(|q| Float::with_val(p, q)).collect())
        .collect();
    let lam = Float::with_val(p, lambda);
    let (n, d) = (a.len(), features.first().map_or(0, Vec::len));
    let mut w = vec![Float::new(p); d];
    let mut eval = evaluate(&a, labels, &lam, &w);
    let mut best = (norm_sq_f(&eval.gradient), w.clone());
    // Early damped steps may enlarge the gradient, so only a run of steps without a new best one
    // means the precision floor is reached. Quadratic convergence gets there in a handful of steps
    // once close; the cap only guards against pathological data.
    let mut stalled = 0;
    for _ in 0..200 {
        let mut h: Vec<Vec<Float>> = (0..d)
            .map(|j| {
                (0..d)
                    .map(|k| {
                        let s = a
                            .iter()
                            .zip(&eval.curvature)
                            .fold(Float::new(p), |acc, (row, c)| {
                                acc + Float::with_val(p, &row[j] * &row[k]) * c
                            });
                        s / n as u32
                    })
                    .collect()
            })
            .collect();
        for (j, row) in h.iter_mut().enumerate() {
            row[j] += &lam;
        }
        let minus_g: Vec<Float> = eval
            .gradient
            .iter()
            .map(|g| Float::with_val(p, -g))
            .collect();
        let step = cholesky_solve(h, &minus_g);
        let slope = step
            .iter()
            .zip(&eval.gradient)
            .fold(Float::new(p), |acc, (s, g)| acc + Float::with_val(p, s * g));
        let g_norm = norm_sq_f(&eval.gradient);
        let mut t = Float::with_val(p, 1u32);
        let mut accepted = None;
        for _ in 0..64 {
            let trial: Vec<Float> = w
                .iter()
                .zip(&step)
                .map(|(x, s)| Float::with_val(p, x + Float::with_val(p, s * &t)))
                .collect();
            let e = evaluate(&a, labels, &lam, &trial);
            let armijo =
                Float::with_val(p, &eval.value + Float::with_val(p, &slope * &t) / 10_000u32);
            // Near the optimum f no longer resolves the decrease; a full step that shrinks the
            // gradient is then accepted on that ground (Newton's local quadratic convergence).
            let shrinks = norm_sq_f(&e.gradient) < Float::with_val(p, &g_norm / 4u32);
            if e.value <= armijo || shrinks {
                accepted = Some((trial, e));
                break;
            }
            t /= 2u32;
        }
        let Some((trial, e)) = accepted else { break };
        w = trial;
        eval = e;
        let gn = norm_sq_f(&eval.gradient);
        if gn < best.0 {
            best = (gn, w.clone());
            stalled = 0;
        } else {
            stalled += 1;
        }
        if stalled >= 3 || best.0.is_zero() {
            break;
        }
    }
    best.1
}

/// Bounds `[lo, hi]` on `e^q` (exp rounded down and up at [`NEWTON_BITS`]).
fn exp_enclosure(q: &Rational) -> (Rational, Rational) {
    let bound = |round: Round| {
        let (mut x, _) = Float::with_val_round(NEWTON_BITS, q, round);
        x.exp_round(round);
        x.to_rational().unwrap_or_default()
    };
    (bound(Round::Down), bound(Round::Up))
}

/// Bounds on `ln q` for `q ≥ 1`.
fn ln_enclosure(lo: &Rational, hi: &Rational) -> (Rational, Rational) {
    let bound = |q: &Rational, round: Round| {
        let (mut x, _) = Float::with_val_round(NEWTON_BITS, q, round);
        x.ln_round(round);
        x.to_rational().unwrap_or_default()
    };
    (bound(lo, Round::Down), bound(hi, Round::Up))
}

/// Newton's `w̃` and a rigorous enclosure of f* (see the module documentation).
pub(super) fn certify(features: &[Vec<Rational>], labels: &[i8], lambda: &Rational) -> Reference {
    let w: Vec<Rational> = newton(features, labels, lambda)
        .iter()
        .map(|x| x.to_rational().unwrap_or_default())
        .collect();
    let n = Rational::from(labels.len());
    let (mut f_lo, mut f_hi) = (Rational::new(), Rational::new());
    let mut g_lo: Vec<Rational> = w.iter().map(|x| Rational::from(lambda * x)).collect();
    let mut g_hi = g_lo.clone();
    for (row, y) in features.iter().zip(labels) {
        // z exactly; then softplus(−z) = max(−z, 0) + ln(1 + e^{−|z|}) and σ(−z) enclosed by
        // monotonicity in e^{−|z|} ∈ (0, 1].
        let dot = row
            .iter()
            .zip(&w)
            .fold(Rational::new(), |acc, (a, x)| acc + Rational::from(a * x));
        let z = if *y < 0 { -dot } else { dot };
        let (e_lo, e_hi) = exp_enclosure(&-Rational::from(z.abs_ref()));
        let (one_lo, one_hi) = (Rational::from(&e_lo + 1u32), Rational::from(&e_hi + 1u32));
        let (ln_lo, ln_hi) = ln_enclosure(&one_lo, &one_hi);
        let shift = if z < 0 {
            Rational::from(-&z)
        } else {
            Rational::new()
        };
        f_lo += Rational::from(&shift + &ln_lo) / &n;
        f_hi += Rational::from(&shift + &ln_hi) / &n;
        // σ(−z) = e/(1 + e) (increasing in e) for z ≥ 0, 1/(1 + e) (decreasing) for z < 0.
        let (s_lo, s_hi) = if z >= 0 {
            (e_lo / one_lo, e_hi / one_hi)
        } else {
            (Rational::from(1) / one_hi, Rational::from(1) / one_lo)
        };
        for (j, a) in row.iter().enumerate() {
            // The term −y a σ / n, at both ends of σ's interval.
            let c = Rational::from(a * i32::from(-*y)) / &n;
            let (t1, t2) = (Rational::from(&c * &s_lo), Rational::from(&c * &s_hi));
            let (lo, hi) = if t1 <= t2 { (t1, t2) } else { (t2, t1) };
            g_lo[j] += lo;
            g_hi[j] += hi;
        }
    }
    let reg = crate::arith::linalg::norm_sq(&w) * Rational::from(lambda / 2u32);
    f_lo += &reg;
    f_hi += &reg;
    let gradient_norm_sq = g_lo
        .iter()
        .zip(&g_hi)
        .fold(Rational::new(), |acc, (lo, hi)| {
            let m = if lo.clone().abs() > hi.clone().abs() {
                lo.clone().abs()
            } else {
                hi.clone().abs()
            };
            acc + Rational::from(&m * &m)
        });
    let lower = f_lo - &gradient_norm_sq / Rational::from(lambda * 2u32);
    Reference {
        point: w,
        gradient_norm_sq,
        lower,
        upper: f_hi,
    }
}
