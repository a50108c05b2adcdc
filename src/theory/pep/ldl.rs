//! Exact positive-semidefiniteness: `P S Pᵀ = L D Lᵀ` in ℚ with symmetric pivoting, or a vector
//! `z` with `zᵀ S z < 0`.
//!
//! In exact arithmetic a symmetric matrix is positive semidefinite iff Gaussian elimination with
//! symmetric pivoting never meets a negative pivot, and every zero pivot has a zero row in the
//! remaining Schur complement (a PSD matrix with `s_kk = 0` has `s_kj = 0` for all `j`, since the
//! 2×2 minor `s_kk s_jj − s_kj²` must be nonnegative). Pivoting on the largest remaining diagonal
//! entry is not needed for correctness in ℚ; it reaches a zero pivot only when the whole remaining
//! diagonal is zero, which keeps the zero-pivot rule a single check, and it tends to keep the
//! entries small.

// The elimination loops index rows and columns symmetrically ((a, b) and (b, a)); iterator forms
// would hide that symmetry, so clippy's range-loop suggestion is declined here.
#![allow(clippy::needless_range_loop)]

use rug::Rational;

use crate::error::{Error, Result};

/// A factorisation `P S Pᵀ = L D Lᵀ` with `(P S Pᵀ)_{ab} = S[permutation[a]][permutation[b]]`,
/// `L` unit lower triangular and `D = diag(diagonal) ≥ 0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ldl {
    /// Position `a` of the permuted matrix holds original index `permutation[a]`.
    pub permutation: Vec<usize>,
    /// The strictly lower part of `L`: row `a` has the `a` entries `L_{a,0} … L_{a,a−1}`.
    pub lower: Vec<Vec<Rational>>,
    /// The pivots `D_{aa}`, all nonnegative.
    pub diagonal: Vec<Rational>,
}

/// The outcome of [`decompose`]: a proof either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Psd {
    /// `S ⪰ 0`, with the factors that show it.
    Proved(Ldl),
    /// `S` is not PSD: `witnessᵀ S witness < 0` (in the original, unpermuted coordinates).
    Indefinite {
        /// A direction of negative curvature.
        witness: Vec<Rational>,
    },
}

/// Checks that `matrix` is square and symmetric; the factorisation is only defined for those.
fn check_symmetric(matrix: &[Vec<Rational>]) -> Result<()> {
    let n = matrix.len();
    for (r, row) in matrix.iter().enumerate() {
        if row.len() != n {
            return Err(Error::dims(
                format!("row {r} of a square matrix"),
                n,
                row.len(),
            ));
        }
    }
    for r in 0..n {
        for c in 0..r {
            if matrix[r][c] != matrix[c][r] {
                return Err(Error::InvalidDocument {
                    document: "symmetric matrix",
                    reason: format!("entries ({r}, {c}) and ({c}, {r}) differ"),
                });
            }
        }
    }
    Ok(())
}

/// Decides `matrix ⪰ 0` exactly and returns the evidence.
///
/// # Errors
/// [`Error::DimensionMismatch`] for a non-square matrix, [`Error::InvalidDocument`] for a
/// non-symmetric one.
pub fn decompose(matrix: &[Vec<Rational>]) -> Result<Psd> {
    check_symmetric(matrix)?;
    let n = matrix.len();
    let mut work: Vec<Vec<Rational>> = matrix.to_vec();
    let mut permutation: Vec<usize> = (0..n).collect();
    let mut lower: Vec<Vec<Rational>> = (0..n).map(|a| vec![Rational::new(); a]).collect();
    let mut diagonal: Vec<Rational> = Vec::with_capacity(n);
    for k in 0..n {
        // The largest remaining diagonal entry of the Schur complement (rows/columns k..n).
        let p = (k..n)
            .max_by(|&a, &b| work[a][a].cmp(&work[b][b]).then(b.cmp(&a)))
            .unwrap_or(k);
        if work[p][p] < 0 {
            let witness = unit(n, p);
            return Ok(Psd::Indefinite {
                witness: lift(&lower, &permutation, k, &witness),
            });
        }
        if work[p][p] == 0 {
            // Every remaining diagonal entry is 0 (p is the largest and none is negative):
            // PSD iff the whole remaining block is 0.
            for a in k..n {
                for b in k..n {
                    if work[a][b] != 0 {
                        // (t e_a + e_b)ᵀ C (t e_a + e_b) = 2 t c_ab (c_aa = c_bb = 0) = −1.
                        let t = Rational::from(-1) / Rational::from(2 * &work[a][b]);
                        let mut u = unit(n, b);
                        u[a] = t;
                        return Ok(Psd::Indefinite {
                            witness: lift(&lower, &permutation, k, &u),
                        });
                    }
                }
            }
            diagonal.extend((k..n).map(|_| Rational::new()));
            break;
        }
        swap(&mut work, &mut permutation, &mut lower, k, p);
        let pivot = work[k][k].clone();
        for a in k + 1..n {
            lower[a][k] = Rational::from(&work[a][k] / &pivot);
        }
        for a in k + 1..n {
            for b in k + 1..=a {
                let update = Rational::from(&lower[a][k] * &work[k][b]);
                work[a][b] -= update;
                work[b][a] = work[a][b].clone();
            }
        }
        diagonal.push(pivot);
    }
    Ok(Psd::Proved(Ldl {
        permutation,
        lower,
        diagonal,
    }))
}

fn unit(n: usize, i: usize) -> Vec<Rational> {
    let mut e = vec![Rational::new(); n];
    e[i] = Rational::from(1);
    e
}

/// Symmetric swap of positions `k` and `p` in the working matrix, the permutation and the columns
/// of `L` computed so far (columns `0..k`).
fn swap(
    work: &mut [Vec<Rational>],
    permutation: &mut [usize],
    lower: &mut [Vec<Rational>],
    k: usize,
    p: usize,
) {
    if k == p {
        return;
    }
    work.swap(k, p);
    for row in work.iter_mut() {
        row.swap(k, p);
    }
    permutation.swap(k, p);
    for c in 0..k {
        let tmp = std::mem::take(&mut lower[k][c]);
        lower[k][c] = std::mem::replace(&mut lower[p][c], tmp);
    }
}

/// Maps a direction `u` of the Schur complement after `k` eliminations (entries `0..k` zero) to
/// the original coordinates: with `P S Pᵀ = L_k diag(D_k, C) L_kᵀ`, the vector `z' = L_k^{−ᵀ} u`
/// has `z'ᵀ P S Pᵀ z' = uᵀ C u`, and `z = Pᵀ z'`.
fn lift(lower: &[Vec<Rational>], permutation: &[usize], k: usize, u: &[Rational]) -> Vec<Rational> {
    let n = u.len();
    let mut z = u.to_vec();
    // Back substitution with the unit upper-triangular L_kᵀ, whose columns ≥ k are the identity.
    for a in (0..k).rev() {
        let mut s = z[a].clone();
        for (b, zb) in z.iter().enumerate().take(n).skip(a + 1) {
            s -= Rational::from(&lower[b][a] * zb);
        }
        z[a] = s;
    }
    let mut original = vec![Rational::new(); n];
    for (a, value) in z.into_iter().enumerate() {
        original[permutation[a]] = value;
    }
    original
}

/// `zᵀ S z`, for checking a witness.
pub fn quadratic_form(matrix: &[Vec<Rational>], z: &[Rational]) -> Rational {
    let mut total = Rational::new();
    for (row, zr) in matrix.iter().zip(z) {
        for (entry, zc) in row.iter().zip(z) {
            total += Rational::from(entry * zr) * zc;
        }
    }
    total
}
