"""Numeric duals of the crate's PEP (smooth convex, f(x_N) - f*) from a step table, with
cvxpy + Clarabel at tight tolerances, then a prototype of the exact repair in fractions:
round lambda, fix the function-value equation with the (*, k) multipliers, and compute the
smallest tau making S PSD exactly (Schur complement on the x0 - x* row)."""
import json, sys
from fractions import Fraction as Fr
import pep_common
from pep_common import load

def solve(h):
    """(primal value, dual tau, [((i, j), lambda_ij)]) of the smooth convex PEP, f(x_N) - f*."""
    return pep_common.solve(h)[:3]

def slack(h, tau, lam):
    N = len(h) - 1; n = N + 2
    def x(k):
        v = [Fr(0)] * n
        if k is None: return v
        v[0] = Fr(1)
        for i, c in enumerate(h[k]): v[1 + i] -= c
        return v
    def g(k):
        v = [Fr(0)] * n
        if k is not None: v[1 + k] = Fr(1)
        return v
    S = [[Fr(0)] * n for _ in range(n)]
    S[0][0] += tau
    for (i, j), l in lam.items():
        if l == 0: continue
        xi, xj, gi, gj = x(i), x(j), g(i), g(j)
        dx = [a - b for a, b in zip(xi, xj)]; dg = [a - b for a, b in zip(gi, gj)]
        for r in range(n):
            for c in range(n):
                S[r][c] += l * ((gj[r] * dx[c] + dx[r] * gj[c]) / 2 + dg[r] * dg[c] / 2)
    return S

def min_eig_sign(S):
    # exact LDL without pivoting on the g-block; returns smallest pivot
    n = len(S); A = [r[:] for r in S]; piv = []
    for k in range(n):
        p = A[k][k]; piv.append(p)
        if p == 0: continue
        for i in range(k + 1, n):
            f = A[i][k] / p
            for j in range(k + 1, n): A[i][j] -= f * A[k][j]
    return piv

def repair(h, lam_f, denom):
    N = len(h) - 1
    lam = {p: max(Fr(round(v * denom), denom), Fr(0)) for p, v in lam_f}
    # function-value equation: coefficient of f_k is sum over pairs of lam*(e_j - e_i) = [k == N]
    for k in range(N + 1):
        coef = Fr(0)
        for (i, j), l in lam.items():
            if (i, j) == (None, k): continue
            if j == k: coef += l
            if i == k: coef -= l
        lam[(None, k)] = Fr(1 if k == N else 0) - coef
    if any(l < 0 for l in lam.values()): return None, "negative after equation fix"
    S0 = slack(h, Fr(0), lam)
    # tau_min = b^T B^{-1} b - s00 with B the g-block (if B > 0)
    B = [row[1:] for row in S0[1:]]; b = S0[0][1:]
    piv = min_eig_sign(B)
    if any(p <= 0 for p in piv): return None, f"g-block not PD (min pivot {float(min(piv)):.3e})"
    # solve B y = b exactly
    n = len(B); M = [B[r][:] + [b[r]] for r in range(n)]
    for k in range(n):
        for i in range(k + 1, n):
            f = M[i][k] / M[k][k]
            for j in range(k, n + 1): M[i][j] -= f * M[k][j]
    y = [Fr(0)] * n
    for k in reversed(range(n)):
        y[k] = (M[k][n] - sum(M[k][j] * y[j] for j in range(k + 1, n))) / M[k][k]
    tau = sum(bi * yi for bi, yi in zip(b, y)) - S0[0][0]
    return tau, lam

if __name__ == "__main__":
    h = load(sys.argv[1]); known = eval(sys.argv[2]) if len(sys.argv) > 2 else None
    val, tau_f, lam_f = solve(h)
    print(f"primal {val:.15g} dual tau {tau_f:.15g}")
    for denom in [10**6, 10**9, 10**12]:
        tau, info = repair(h, lam_f, denom)
        if tau is None: print(denom, info); continue
        print(f"denominator {denom}: repaired tau = {float(tau):.15g}  gap to dual {float(tau) - tau_f:.3e}"
              + (f"  gap to known {float(tau - Fr(known)):.3e}" if known is not None else ""))
