//! Numeric PEP solutions from Clarabel, the Rust interior-point solver (feature `sdp`).
//!
//! Floating point, hence no proof: the dual goes to [`super::repair`], which makes it exact, and
//! the primal to [`super::worst`], which turns it into an exactly interpolable worst-case
//! function. The default build does not compile this module; its outputs ship as
//! `fixtures/pep/numeric/*.json`, which the default test suite repairs and verifies in ℚ
//! (`cargo run --release --features sdp --example pep_solve` regenerates them).
//!
//! # The dual in Clarabel's form
//! Clarabel solves `min qᵀx s.t. Ax + s = b, s ∈ K` (Goulart & Chen, *Clarabel: an
//! interior-point solver for conic programs with quadratic objectives*, arXiv:2405.12762, §2).
//! With `x = (τ, λ_ij)` over every ordered pair and `q = e_τ`:
//!
//! * `K₁ = {0}^{N+1}`: `Σ λ_ij a_ij = a_obj` (rows `a_ij`, right-hand side `a_obj`);
//! * `K₂ = ℝ₊^{1+#pairs}`: `−x + s = 0`;
//! * `K₃ = 𝕊₊^{N+2}` in Clarabel's scaled upper triangle (`svec`, column by column, off-diagonal
//!   entries times `√2`): `s = svec(τ A_init + Σ λ_ij A_ij − A_obj)`, i.e. columns
//!   `−svec(A_init)`, `−svec(A_ij)` and `b = −svec(A_obj)`.
//!
//! Clarabel's dual variable `z` is the PEP's primal: `Aᵀz + q = 0` reads
//! `⟨A_init, G⟩ ≤ 1` and `a_ijᵀF + ⟨A_ij, G⟩ ≤ 0` with `G = smat(z₃)` and `F = −z₁`
//! (the objective `−bᵀz = a_objᵀF + ⟨A_obj, G⟩`), so one solve gives both sides.

use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettingsBuilder, DefaultSolver, IPSolver, NonnegativeConeT, PSDTriangleConeT,
    SolverStatus, SupportedConeT, ZeroConeT,
};

use super::problem::{Pair, Pep, SymmetricForm};
use super::repair::NumericDual;
use crate::error::{Error, Result};

/// Both sides of a solved PEP, in floating point.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// The dual: `τ` and one multiplier per ordered pair (zeros included).
    pub dual: NumericDual,
    /// The primal Gram matrix `G` on the basis `[x₀ − x*, g₀, …, g_N]`.
    pub gram: Vec<Vec<f64>>,
    /// The primal function values `f(p_k) − f*`, `k = 0 … N`.
    pub values: Vec<f64>,
    /// The primal objective (the numeric worst case from below).
    pub primal_objective: f64,
    /// Clarabel's status, as text (`Solved`, `AlmostSolved`, …).
    pub status: String,
    /// Interior-point iterations.
    pub iterations: u32,
}

/// Position of entry `(r, c)`, `r ≤ c`, in the column-wise upper triangle.
fn svec_index(r: usize, c: usize) -> usize {
    c * (c + 1) / 2 + r
}

/// `svec` entries of a form: `(index, value)` with off-diagonals scaled by `√2`.
fn svec_entries(form: &SymmetricForm) -> Vec<(usize, f64)> {
    form.entries()
        .map(|(r, c, v)| {
            let scale = if r == c {
                1.0
            } else {
                std::f64::consts::SQRT_2
            };
            (svec_index(r, c), v.to_f64() * scale)
        })
        .collect()
}

/// Solves `pep` with Clarabel at tolerances `tolerance` (gap and feasibility).
///
/// # Errors
/// [`Error::Unsupported`] when Clarabel rejects the problem or does not report `Solved` /
/// `AlmostSolved`.
pub fn solve(pep: &Pep, tolerance: f64) -> Result<Solution> {
    run(pep, tolerance, None)
}

/// A strictly feasible dual for [`super::repair::repair_with_interior`]: among duals with
/// `τ ≤ cap` (e.g. twice the optimum), the one maximising the margin `t ≤ 1` of the gradient
/// block, `S − t·diag(0, 1, …, 1) ⪰ 0` (research notes, "Repair": optimal slacks singular on the
/// gradient block round to a tiny negative eigenvalue that no `τ` fixes; mixing in a dual with
/// a positive margin does). The returned [`Solution::dual`] is that dual (its `bound` is its `τ`).
///
/// # Errors
/// As [`solve`].
pub fn solve_interior(pep: &Pep, cap: f64, tolerance: f64) -> Result<Solution> {
    run(pep, tolerance, Some(cap))
}

// The Gram matrix is filled symmetrically ((r, c) and (c, r)); as in verify.rs, the index form
// says so more plainly than iterators.
#[allow(clippy::needless_range_loop)]
fn run(pep: &Pep, tolerance: f64, interior_cap: Option<f64>) -> Result<Solution> {
    let n = pep.steps();
    let dimension = pep.dimension();
    let pairs = pep.pairs();
    let duals = 1 + pairs.len();
    // In the interior mode one more variable, the margin t, after τ and the λ.
    let variables = duals + usize::from(interior_cap.is_some());
    let zero_rows = n + 1;
    // −x ≤ 0 for τ and the λ; in the interior mode also τ ≤ cap and t ≤ 1.
    let nonnegative_rows = duals + 2 * usize::from(interior_cap.is_some());
    let psd_rows = dimension * (dimension + 1) / 2;
    let rows = zero_rows + nonnegative_rows + psd_rows;

    // Column-wise triplets of A.
    let mut columns: Vec<Vec<(usize, f64)>> = Vec::with_capacity(variables);
    let psd_column = |form: &SymmetricForm, function_values: &[rug::Rational], column: usize| {
        let mut entries: Vec<(usize, f64)> = function_values
            .iter()
            .enumerate()
            .filter(|(_, a)| **a != 0)
            .map(|(k, a)| (k, a.to_f64()))
            .collect();
        entries.push((zero_rows + column, -1.0));
        entries.extend(
            svec_entries(form)
                .into_iter()
                .map(|(i, v)| (zero_rows + nonnegative_rows + i, -v)),
        );
        entries.sort_by_key(|e| e.0);
        entries
    };
    let initial = pep.initial_condition();
    columns.push(psd_column(&initial.gram, &initial.function_values, 0));
    for (index, pair) in pairs.iter().enumerate() {
        let c = pep.interpolation(*pair)?;
        columns.push(psd_column(&c.gram, &c.function_values, 1 + index));
    }
    if interior_cap.is_some() {
        // τ + s = cap (row duals), and the margin column: t + s = 1 (row duals + 1) and
        // s = svec(S − t D): +1 on the gradient block's diagonal.
        columns[0].push((zero_rows + duals, 1.0));
        columns[0].sort_by_key(|e| e.0);
        let mut margin = vec![(zero_rows + duals + 1, 1.0)];
        for k in 1..dimension {
            margin.push((zero_rows + nonnegative_rows + svec_index(k, k), 1.0));
        }
        columns.push(margin);
    }
    let mut colptr = Vec::with_capacity(variables + 1);
    let mut rowval = Vec::new();
    let mut nzval = Vec::new();
    colptr.push(0);
    for column in &columns {
        for (r, v) in column {
            rowval.push(*r);
            nzval.push(*v);
        }
        colptr.push(rowval.len());
    }
    let a = CscMatrix::new(rows, variables, colptr, rowval, nzval);

    let objective = pep.objective();
    let mut b = vec![0.0; rows];
    for (k, v) in objective.function_values.iter().enumerate() {
        b[k] = v.to_f64();
    }
    for (i, v) in svec_entries(&objective.gram) {
        b[zero_rows + nonnegative_rows + i] = -v;
    }
    let mut q = vec![0.0; variables];
    if let Some(cap) = interior_cap {
        b[zero_rows + duals] = cap;
        b[zero_rows + duals + 1] = 1.0;
        q[duals] = -1.0;
    } else {
        q[0] = 1.0;
    }
    let p = CscMatrix::zeros((variables, variables));
    let cones: Vec<SupportedConeT<f64>> = vec![
        ZeroConeT(zero_rows),
        NonnegativeConeT(nonnegative_rows),
        PSDTriangleConeT(dimension),
    ];
    let settings = DefaultSettingsBuilder::default()
        .verbose(false)
        .tol_gap_abs(tolerance)
        .tol_gap_rel(tolerance)
        .tol_feas(tolerance)
        .max_iter(400)
        .build()
        .map_err(|e| Error::unsupported(format!("Clarabel settings: {e}")))?;
    let mut solver = DefaultSolver::new(&p, &q, &a, &b, &cones, settings)
        .map_err(|e| Error::unsupported(format!("Clarabel rejected the PEP: {e:?}")))?;
    solver.solve();
    let solution = &solver.solution;
    if !matches!(
        solution.status,
        SolverStatus::Solved | SolverStatus::AlmostSolved
    ) {
        return Err(Error::unsupported(format!(
            "Clarabel: {:?} after {} iterations",
            solution.status, solution.iterations
        )));
    }
    let multipliers = pairs
        .iter()
        .enumerate()
        .map(|(index, pair)| (*pair, solution.x[1 + index]))
        .collect::<Vec<(Pair, f64)>>();
    let values = (0..zero_rows).map(|k| -solution.z[k]).collect();
    let mut gram = vec![vec![0.0; dimension]; dimension];
    for c in 0..dimension {
        for r in 0..=c {
            let v = solution.z[zero_rows + nonnegative_rows + svec_index(r, c)];
            let v = if r == c {
                v
            } else {
                v * std::f64::consts::FRAC_1_SQRT_2
            };
            gram[r][c] = v;
            gram[c][r] = v;
        }
    }
    Ok(Solution {
        dual: NumericDual {
            bound: solution.x[0],
            multipliers,
        },
        gram,
        values,
        primal_objective: solution.obj_val_dual,
        status: format!("{:?}", solution.status),
        iterations: solution.iterations,
    })
}
