//! Proof obligations: the inequalities of the convergence proofs, checked step by step on a trace.
//!
//! Each function takes a recorded [`Trace`] (every step kept), the problem's constants in the
//! trace's arithmetic ([`Instance`]) and, where a proof uses a gradient the trace did not record,
//! the problem's oracle. It returns one [`Check`] per obligation and step: the obligation, the
//! step, both sides. A check *fails* when `lhs ≤ rhs` is certainly false
//! ([`Number::certainly_greater`]): exactly in ℚ, with certified enclosures in bounded arithmetic
//! ([`crate::arith::bounded`]), and by plain comparison in plain floating point (uncertified — use a bounded
//! arithmetic where a constant is irrational and the inequality may be tight).
//!
//! Users can run these on their own traces: record a trace with [`crate::trace::run_with_oracle`]
//! (or build a [`Trace`] from their own iterates), then call the function of their method.
//!
//! | method | obligations (`lhs ≤ rhs`) | source |
//! |---|---|---|
//! | GD, step γ ≤ 1/L | descent lemma, convexity at x*, distance recursion, telescoped sum, final bound, potential `k·gap_k + ‖x_k − x*‖²/(2γ)` | Nesterov (2004) Lemma 1.2.3 and (2.1.2); Beck & Teboulle (2009) Lemma 2.3 and Thm 3.1 |
//! | FISTA (t-sequence or `t_k = (k+1)/2`), step γ ≤ 1/L | `t_{k+1}² − t_{k+1} ≤ t_k²`, `E_1 ≤ R²/(2γ)`, `E_{k+1} ≤ E_k` with `E_k = t_k² gap_k + ‖z_k − x*‖²/(2γ)`, `z_k = x_{k−1} + t_k(x_k − x_{k−1})` | Beck & Teboulle (2009) Lemma 4.1, Thm 4.4 |
//! | strongly convex NAG, β = (√κ−1)/(√κ+1), step 1/L | `Φ_{k+1} ≤ (1 − 1/√κ)Φ_k`, `Φ_k = gap_k + (m/2)‖v_k − x*‖²`, `v_k = x_{k−1} + √κ(x_k − x_{k−1})` | Wilson, Recht & Jordan, JMLR 22 (2021), strongly convex Lyapunov analysis; `v_k` derived in [`strongly_convex_nag`] |
//! | OGM1, step 1/L | `ψ_0 ≤ (L/2)R²`, `ψ_{i+1} ≤ ψ_i`, `Ψ_N ≤ ψ_{N−1}` (see [`ogm`]) | derived in [`ogm`] from the interpolation inequalities, following Kim & Fessler (2016), proof of Thm 2 |

use std::fmt;

use rug::Rational;

use crate::arith::linalg::Vector;
use crate::arith::{Number, Scalar};
use crate::error::{Error, Result};
use crate::problem::{Oracle, Problem, to_vector};
use crate::trace::{StepRecord, Trace};

/// A named inequality of a convergence proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Obligation {
    /// `gap_{k+1} ≤ gap_k − γ(1 − Lγ/2)‖g_k‖²` (L-smoothness along the step).
    DescentLemma,
    /// `gap_k ≤ ⟨g_k, x_k − x*⟩` (convexity between x_k and x*).
    ConvexityAtMinimizer,
    /// `gap_{k+1} ≤ (‖x_k − x*‖² − ‖x_{k+1} − x*‖²)/(2γ)`.
    DistanceRecursion,
    /// `Σ_{i≤k} gap_i ≤ (‖x_0 − x*‖² − ‖x_k − x*‖²)/(2γ)`.
    TelescopedSum,
    /// `k·gap_k ≤ Σ_{i≤k} gap_i` (gaps do not increase), hence `gap_k ≤ R²/(2γk)`.
    FinalBound,
    /// `V_{k+1} ≤ V_k`, `V_k = k·gap_k + ‖x_k − x*‖²/(2γ)`.
    GdPotential,
    /// `t_{k+1}² − t_{k+1} ≤ t_k²` (with `t_1 = 1`).
    FistaSequenceCondition,
    /// `E_1 ≤ ‖x_0 − x*‖²/(2γ)`.
    FistaInitialPotential,
    /// `E_{k+1} ≤ E_k`.
    FistaPotential,
    /// `Φ_{k+1} ≤ (1 − 1/√κ)Φ_k`.
    StronglyConvexPotential,
    /// `ψ_0 ≤ (L/2)‖x_0 − x*‖²`.
    OgmInitialPotential,
    /// `ψ_{i+1} ≤ ψ_i` for `i + 1 ≤ N − 1`.
    OgmPotential,
    /// `Ψ_N ≤ ψ_{N−1}` (the last step, with θ_N from `8θ²`).
    OgmFinalPotential,
}

impl Obligation {
    /// A short name (`descent-lemma`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Obligation::DescentLemma => "descent-lemma",
            Obligation::ConvexityAtMinimizer => "convexity-at-minimizer",
            Obligation::DistanceRecursion => "distance-recursion",
            Obligation::TelescopedSum => "telescoped-sum",
            Obligation::FinalBound => "final-bound",
            Obligation::GdPotential => "gd-potential",
            Obligation::FistaSequenceCondition => "fista-sequence-condition",
            Obligation::FistaInitialPotential => "fista-initial-potential",
            Obligation::FistaPotential => "fista-potential",
            Obligation::StronglyConvexPotential => "strongly-convex-potential",
            Obligation::OgmInitialPotential => "ogm-initial-potential",
            Obligation::OgmPotential => "ogm-potential",
            Obligation::OgmFinalPotential => "ogm-final-potential",
        }
    }
}

impl fmt::Display for Obligation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One checked inequality `lhs ≤ rhs` at one step.
#[derive(Clone, Debug, PartialEq)]
pub struct Check<S> {
    /// Which inequality.
    pub obligation: Obligation,
    /// The step it concerns (the larger index of the two states it compares).
    pub step: usize,
    /// The left side.
    pub lhs: S,
    /// The right side.
    pub rhs: S,
}

impl<S: Number> Check<S> {
    /// Whether the inequality is violated (certainly, see the [module documentation](self)).
    pub fn violated(&self) -> bool {
        self.lhs.certainly_greater(&self.rhs)
    }
}

impl<S: Number> fmt::Display for Check<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at step {}: lhs = {} {} rhs = {}",
            self.obligation,
            self.step,
            crate::trace::scalar_json(&self.lhs),
            if self.violated() { ">" } else { "≤" },
            crate::trace::scalar_json(&self.rhs)
        )
    }
}

/// The first violated check, if any.
pub fn first_violation<S: Number>(checks: &[Check<S>]) -> Option<&Check<S>> {
    checks.iter().find(|c| c.violated())
}

/// A problem's constants in arithmetic `S`.
#[derive(Clone, Debug)]
pub struct Instance<S: Scalar> {
    /// L.
    pub smoothness: S,
    /// m (0 if merely convex).
    pub strong_convexity: S,
    /// x*.
    pub minimizer: S::Vector,
}

impl<S: Scalar> Instance<S> {
    /// The constants of `problem` (which must be convex with an exact minimiser).
    ///
    /// # Errors
    /// [`Error::Unavailable`] for problems without L, m or an exact x*.
    pub fn from_problem(problem: &dyn Problem) -> Result<Self> {
        let l = crate::problem::require_smoothness(problem)?;
        let m = problem
            .strong_convexity()
            .ok_or_else(|| Error::Unavailable {
                what: "convexity (proof obligations are for convex problems)",
                subject: problem.spec(),
            })?;
        let xs = crate::problem::require_minimizer(problem)?;
        Ok(Instance {
            smoothness: S::from_rational(&l),
            strong_convexity: S::from_rational(&m),
            minimizer: to_vector::<S>(&xs),
        })
    }
}

fn dist_sq<S: Scalar>(a: &S::Vector, b: &S::Vector) -> S {
    let mut d = a.clone();
    d.sub_assign(b);
    d.dot(&d)
}

/// `a + s·(b − a)`.
fn lerp<S: Scalar>(
    a: &S::Vector,
    b: &S::Vector,
    s: &S,
    rounding: crate::arith::Rounding,
) -> S::Vector {
    let mut d = b.clone();
    d.sub_assign(a);
    let mut out = a.clone();
    out.axpy(s, &d, rounding);
    out
}

fn gap_of<S: Scalar>(s: &StepRecord<S>) -> Result<S> {
    s.gap.clone().ok_or_else(|| Error::Unavailable {
        what: "the gap f(x_k) − f* at every step",
        subject: format!("step {}", s.step),
    })
}

fn consecutive<S: Scalar>(trace: &Trace<S>) -> Result<()> {
    for (i, s) in trace.steps.iter().enumerate() {
        if s.step != i + 1 {
            return Err(Error::InvalidDocument {
                document: "trace",
                reason: format!(
                    "proof obligations need every step; step {} is missing",
                    i + 1
                ),
            });
        }
    }
    Ok(())
}

fn initial_gap<S: Scalar>(trace: &Trace<S>) -> Result<S> {
    trace.initial_gap.clone().ok_or_else(|| Error::Unavailable {
        what: "the initial gap f(x_0) − f*",
        subject: trace.problem.clone(),
    })
}

fn check<S>(obligation: Obligation, step: usize, lhs: S, rhs: S) -> Check<S> {
    Check {
        obligation,
        step,
        lhs,
        rhs,
    }
}

/// The gradient-descent obligations for a trace with constant step `γ ≤ 1/L` (see the
/// [module table](self)). The gradient at `x_k` is the one recorded by step `k + 1`.
///
/// Derivations: the descent lemma is L-smoothness at `x_{k+1} = x_k − γg_k`; with `γ ≤ 1/L` it
/// gives `gap_{k+1} ≤ gap_k − (γ/2)‖g_k‖²`, and convexity `gap_k ≤ ⟨g_k, x_k − x*⟩` turns that into
/// the distance recursion (expand `‖x_{k+1} − x*‖²`); summing telescopes; the potential's
/// decrease is `k(gap_{k+1} − gap_k) ≤ 0` after the distance recursion.
///
/// # Errors
/// [`Error::InvalidDocument`] if steps are missing; [`Error::Unavailable`] without gaps.
pub fn gradient_descent<S: Scalar>(
    trace: &Trace<S>,
    inst: &Instance<S>,
    learning_rate: &S,
) -> Result<Vec<Check<S>>> {
    consecutive(trace)?;
    let l = &inst.smoothness;
    let two = S::from_ratio(2, 1);
    let inv_2g = S::one() / &(two.clone() * learning_rate);
    let descent_factor = learning_rate.clone() * &(S::one() - &(l.clone() * learning_rate / &two));
    let mut out = Vec::new();
    let xs = &inst.minimizer;
    let mut x_prev = trace.x0.clone();
    let mut gap_prev = initial_gap(trace)?;
    let mut sum = S::zero();
    let d0 = dist_sq::<S>(&trace.x0, xs);
    let mut v_prev = d0.clone() * &inv_2g;
    for (i, s) in trace.steps.iter().enumerate() {
        let k = i + 1;
        let g = &s.gradient; // ∇f(x_{k−1})
        let gap = gap_of(s)?;
        let g2 = g.dot(g);
        let d_prev = dist_sq::<S>(&x_prev, xs);
        let d_cur = dist_sq::<S>(&s.iterate, xs);
        out.push(check(
            Obligation::DescentLemma,
            k,
            gap.clone(),
            gap_prev.clone() - &(descent_factor.clone() * &g2),
        ));
        let mut diff = x_prev.clone();
        diff.sub_assign(xs);
        out.push(check(
            Obligation::ConvexityAtMinimizer,
            k - 1,
            gap_prev.clone(),
            g.dot(&diff),
        ));
        out.push(check(
            Obligation::DistanceRecursion,
            k,
            gap.clone(),
            (d_prev - &d_cur) * &inv_2g,
        ));
        sum += &gap;
        out.push(check(
            Obligation::TelescopedSum,
            k,
            sum.clone(),
            (d0.clone() - &d_cur) * &inv_2g,
        ));
        out.push(check(
            Obligation::FinalBound,
            k,
            S::from_ratio(k as i64, 1) * &gap,
            sum.clone(),
        ));
        let v = S::from_ratio(k as i64, 1) * &gap + &(d_cur * &inv_2g);
        out.push(check(Obligation::GdPotential, k, v.clone(), v_prev));
        v_prev = v;
        x_prev = s.iterate.clone();
        gap_prev = gap;
    }
    Ok(out)
}

/// The FISTA obligations for a trace of [`crate::optim::fista::Fista`] with a `t`-sequence
/// (recorded as the state scalar `t`) and constant step γ ≤ 1/L.
///
/// Beck & Teboulle's Lemma 4.1 gives `(2/L)(t_k² v_k − t_{k+1}² v_{k+1}) ≥ ‖u_{k+1}‖² − ‖u_k‖²` with
/// `v_k = gap_k`, `u_k = t_k x_k − (t_k − 1)x_{k−1} − x* = z_k − x*`, when `t_{k+1}² − t_{k+1} = t_k²`;
/// with `≤` the same holds because `v_{k+1} ≥ 0`. Replacing 1/L by γ ≤ 1/L (their L(f) by 1/γ)
/// gives `E_{k+1} ≤ E_k`; `E_1 ≤ R²/(2γ)` is one gradient step from `y_1 = x_0` (their eq. (4.3)).
///
/// # Errors
/// [`Error::Unavailable`] if the trace has no `t` or `previous_iterate` state.
pub fn fista<S: Scalar>(
    trace: &Trace<S>,
    inst: &Instance<S>,
    learning_rate: &S,
) -> Result<Vec<Check<S>>> {
    consecutive(trace)?;
    let r = trace.rounding;
    let inv_2g = S::one() / &(S::from_ratio(2, 1) * learning_rate);
    let xs = &inst.minimizer;
    let mut out = Vec::new();
    let mut previous: Option<(S, S)> = None; // (t_k, E_k)
    for s in &trace.steps {
        let k = s.step;
        let t = s
            .state_scalar("t")
            .cloned()
            .ok_or_else(|| Error::Unavailable {
                what: "FISTA's t_k (state scalar `t`)",
                subject: trace.optimizer.clone(),
            })?;
        let x_prev = s
            .state_vector("previous_iterate")
            .ok_or_else(|| Error::Unavailable {
                what: "FISTA's x_{k−1} (state `previous_iterate`)",
                subject: trace.optimizer.clone(),
            })?;
        let z = lerp::<S>(x_prev, &s.iterate, &t, r);
        let e = t.clone() * &t * &gap_of(s)? + &(dist_sq::<S>(&z, xs) * &inv_2g);
        match &previous {
            None => {
                out.push(check(
                    Obligation::FistaSequenceCondition,
                    k,
                    t.clone(),
                    S::one(),
                ));
                out.push(check(
                    Obligation::FistaInitialPotential,
                    k,
                    e.clone(),
                    dist_sq::<S>(&trace.x0, xs) * &inv_2g,
                ));
            }
            Some((t_prev, e_prev)) => {
                out.push(check(
                    Obligation::FistaSequenceCondition,
                    k,
                    t.clone() * &t - &t,
                    t_prev.clone() * t_prev,
                ));
                out.push(check(
                    Obligation::FistaPotential,
                    k,
                    e.clone(),
                    e_prev.clone(),
                ));
            }
        }
        previous = Some((t, e));
    }
    Ok(out)
}

/// The strongly convex obligation `Φ_{k+1} ≤ (1 − 1/√κ)Φ_k` for FISTA's constant-momentum
/// variant with step 1/L, given `√κ` in the trace's arithmetic.
///
/// Why `v_k = x_{k−1} + √κ(x_k − x_{k−1})`: the estimate-sequence form of the method
/// (`y_k = (x_k + τv_k)/(1 + τ)`, `v_{k+1} = (1 − τ)v_k + τ(y_k − ∇f(y_k)/m)`, τ = 1/√κ) has
/// exactly these `v_k` when written with `y_k = x_k + β(x_k − x_{k−1})`, β = (√κ−1)/(√κ+1):
/// substituting `v_k` into `(x_k + τv_k)/(1 + τ)` gives `x_k + β(x_k − x_{k−1})`, and the `v`
/// recursion with `∇f(y_k)/m = κ(y_k − x_{k+1})` returns `x_k + √κ(x_{k+1} − x_k)`.
///
/// # Errors
/// [`Error::Unavailable`] without gaps or the `previous_iterate` state.
pub fn strongly_convex_nag<S: Scalar>(
    trace: &Trace<S>,
    inst: &Instance<S>,
    sqrt_kappa: &S,
) -> Result<Vec<Check<S>>> {
    consecutive(trace)?;
    let r = trace.rounding;
    let xs = &inst.minimizer;
    let half_m = inst.strong_convexity.clone() * &S::from_ratio(1, 2);
    let rate = S::one() - &(S::one() / sqrt_kappa);
    let phi = |gap: S, v: &S::Vector| gap + &(half_m.clone() * &dist_sq::<S>(v, xs));
    let mut phi_prev = phi(initial_gap(trace)?, &trace.x0);
    let mut out = Vec::new();
    for s in &trace.steps {
        let x_prev = s
            .state_vector("previous_iterate")
            .ok_or_else(|| Error::Unavailable {
                what: "x_{k−1} (state `previous_iterate`)",
                subject: trace.optimizer.clone(),
            })?;
        let v = lerp::<S>(x_prev, &s.iterate, sqrt_kappa, r);
        let p = phi(gap_of(s)?, &v);
        out.push(check(
            Obligation::StronglyConvexPotential,
            s.step,
            p.clone(),
            rate.clone() * &phi_prev,
        ));
        phi_prev = p;
    }
    Ok(out)
}

/// The OGM1 obligations for a complete N-step trace of [`crate::optim::ogm::Ogm`] with step 1/L.
///
/// With `g_i = ∇f(x_i)`, `ε_i = gap(x_i) − ‖g_i‖²/(2L)` and `z_i = θ_i x_i − (θ_i − 1)y_i` (OGM1's
/// momentum form is `x_{i+1} = (1 − 1/θ_{i+1})y_{i+1} + z_{i+1}/θ_{i+1}` with
/// `z_{i+1} = z_i − (2θ_i/L)g_i`, `z_0 = x_0`), the potential
/// `ψ_i = 2θ_i² ε_i + (L/2)‖z_{i+1} − x*‖²` satisfies
///
/// * `ψ_0 ≤ (L/2)R²` (the interpolation inequality between x_0 and x*);
/// * `ψ_{i+1} ≤ ψ_i` whenever `θ_{i+1}² − θ_{i+1} = θ_i²`: expand `‖z_{i+2} − x*‖²`, write
///   `z_{i+1} − x* = (x_{i+1} − x*) + (θ_{i+1} − 1)(x_{i+1} − y_{i+1})`, and bound the two inner
///   products with the interpolation inequalities `f(x*) ≥ f(x_{i+1}) + ⟨g_{i+1}, x* − x_{i+1}⟩ +
///   ‖g_{i+1}‖²/(2L)` (weight 2θ_{i+1}) and `f(x_i) ≥ f(x_{i+1}) + ⟨g_{i+1}, x_i − x_{i+1}⟩ +
///   ‖g_i − g_{i+1}‖²/(2L)` (weight 2θ_i²); every term cancels;
/// * `Ψ_N = θ_N² gap(x_N) + (L/2)‖z_N − (θ_N/L)g_N − x*‖² ≤ ψ_{N−1}` when
///   `θ_N² − θ_N = 2θ_{N−1}²` (the same two inequalities with weights θ_N and θ_N(θ_N − 1)),
///   which yields Kim & Fessler's `gap(x_N) ≤ L R²/(2θ_N²)`.
///
/// `oracle` supplies `g_N`, which no step of the trace queries.
///
/// # Errors
/// [`Error::Unavailable`] without gaps or the `y`/`theta` states.
pub fn ogm<S: Scalar>(
    trace: &Trace<S>,
    inst: &Instance<S>,
    oracle: &mut dyn Oracle<S>,
) -> Result<Vec<Check<S>>> {
    consecutive(trace)?;
    let n = trace.steps.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    let r = trace.rounding;
    let l = &inst.smoothness;
    let xs = &inst.minimizer;
    let half_l = l.clone() * &S::from_ratio(1, 2);
    let inv_2l = S::one() / &(S::from_ratio(2, 1) * l);
    let theta_of = |s: &StepRecord<S>| {
        s.state_scalar("theta")
            .cloned()
            .ok_or_else(|| Error::Unavailable {
                what: "OGM's θ_i (state scalar `theta`)",
                subject: trace.optimizer.clone(),
            })
    };
    let y_of = |s: &StepRecord<S>| {
        s.state_vector("y")
            .cloned()
            .ok_or_else(|| Error::Unavailable {
                what: "OGM's y_i (state `y`)",
                subject: trace.optimizer.clone(),
            })
    };
    // z_i = θ_i x_i − (θ_i − 1) y_i = y_i + θ_i (x_i − y_i).
    let z_of = |s: &StepRecord<S>| -> Result<S::Vector> {
        Ok(lerp::<S>(&y_of(s)?, &s.iterate, &theta_of(s)?, r))
    };
    // ψ_i for i = 0..N−1: needs x_i's gap and gradient (recorded by step i+1), θ_i, and z_{i+1}.
    let mut psi = Vec::with_capacity(n);
    for i in 0..n {
        let next = &trace.steps[i];
        let (theta_i, gap_i) = if i == 0 {
            (S::one(), initial_gap(trace)?)
        } else {
            (theta_of(&trace.steps[i - 1])?, gap_of(&trace.steps[i - 1])?)
        };
        let g = &next.gradient;
        let eps = gap_i - &(g.dot(g) * &inv_2l);
        let z = z_of(next)?;
        psi.push(
            S::from_ratio(2, 1) * &theta_i * &theta_i * &eps
                + &(half_l.clone() * &dist_sq::<S>(&z, xs)),
        );
    }
    let mut out = vec![check(
        Obligation::OgmInitialPotential,
        0,
        psi[0].clone(),
        half_l.clone() * &dist_sq::<S>(&trace.x0, xs),
    )];
    for i in 1..n {
        out.push(check(
            Obligation::OgmPotential,
            i,
            psi[i].clone(),
            psi[i - 1].clone(),
        ));
    }
    let last = &trace.steps[n - 1];
    let theta_n = theta_of(last)?;
    let g_n = oracle.gradient(&last.iterate)?;
    let mut w = z_of(last)?;
    w.axpy(&-(theta_n.clone() / l), &g_n, r);
    let psi_final = theta_n.clone() * &theta_n * &gap_of(last)? + &(half_l * &dist_sq::<S>(&w, xs));
    out.push(check(
        Obligation::OgmFinalPotential,
        n,
        psi_final,
        psi[n - 1].clone(),
    ));
    Ok(out)
}

/// `R² = ‖x_0 − x*‖²` of a trace, in its arithmetic.
pub fn initial_distance_sq<S: Scalar>(trace: &Trace<S>, inst: &Instance<S>) -> S {
    dist_sq::<S>(&trace.x0, &inst.minimizer)
}

/// `R²` as an exact rational (for bounds that are stated in ℚ).
///
/// # Errors
/// [`Error::Unavailable`] without an exact minimiser.
pub fn initial_distance_sq_exact(problem: &dyn Problem, x0: &[Rational]) -> Result<Rational> {
    let xs = crate::problem::require_minimizer(problem)?;
    Ok(x0.iter().zip(&xs).fold(Rational::new(), |acc, (a, b)| {
        let d = Rational::from(a - b);
        acc + Rational::from(&d * &d)
    }))
}
