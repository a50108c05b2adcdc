"""Numeric dual (cvxpy + Clarabel, Python) of the crate's PEP for heavy ball on the class of
1-smooth q-strongly convex functions, measure ||x_N - x*||^2 given ||x0 - x*||^2 <= 1, written
as fixtures/pep/numeric/<name>.json for the crate's exact repair (theory::pep::repair).

The interpolation inequality of pair (i, j) is the crate's (fixtures/pep/README.md, THG 2017
Thm 4 with L = 1, mu = q):
    f_i >= f_j + <g_j, x_i - x_j> + 1/(2(1-q)) (|g_i - g_j|^2 + q|x_i - x_j|^2 - 2q<g_i - g_j, x_i - x_j>)
and the heavy-ball table is h_{k,i} = gamma (1 - mu^(k-i)) / (1 - mu) (theory::pep::method,
Method::heavy_ball). Not part of the build:

    python strongly_convex.py OUT_DIR GAMMA MU Q N      (fractions as p/q)

It also writes <name>.interior.json: a strictly feasible dual (maximum margin t of the gradient
block, S - t diag(0, 1, ..., 1) >= 0, tau <= 2 tau_numeric, lambda <= 10, as interior.py does for
the smooth convex class), which the repair mixes in where the optimal slack is singular on the
gradient block (theory::pep::repair::repair_with_interior).
"""
import json, sys
from fractions import Fraction as Fr
import numpy as np
import cvxpy as cp
import clarabel


def heavy_ball_table(n, gamma, mu):
    return [[gamma * (1 - mu ** (k - i)) / (1 - mu) for i in range(k)] for k in range(n + 1)]


def solve(h, q):
    N = len(h) - 1; n = N + 2
    hf = [[float(c) for c in row] for row in h]
    q = float(q)
    G = cp.Variable((n, n), PSD=True); F = cp.Variable(N + 1)
    def x(k):
        v = np.zeros(n)
        if k is None: return v
        v[0] = 1
        for i, c in enumerate(hf[k]): v[1 + i] -= c
        return v
    def g(k):
        v = np.zeros(n)
        if k is not None: v[1 + k] = 1
        return v
    def f(k): return 0 if k is None else F[k]
    pts = [None] + list(range(N + 1))
    pairs, cons = [], []
    for i in pts:
        for j in pts:
            if i == j: continue
            dx, dg, gj = x(i) - x(j), g(i) - g(j), g(j)
            A = 0.5 * (np.outer(gj, dx) + np.outer(dx, gj)) + (
                np.outer(dg, dg) + q * np.outer(dx, dx) - q * (np.outer(dg, dx) + np.outer(dx, dg))
            ) / (2 * (1 - q))
            pairs.append((i, j)); cons.append(f(j) - f(i) + cp.trace(A @ G) <= 0)
    init = G[0, 0] <= 1
    xN = x(N)
    prob = cp.Problem(cp.Maximize(cp.trace(np.outer(xN, xN) @ G)), cons + [init])
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12,
               max_iter=500)
    return prob.value, float(init.dual_value), [(p, float(c.dual_value)) for p, c in zip(pairs, cons)]


def interior(h, q, tau_cap):
    N = len(h) - 1; n = N + 2
    hf = [[float(c) for c in row] for row in h]
    q = float(q)
    def x(k):
        v = np.zeros(n)
        if k is None: return v
        v[0] = 1
        for i, c in enumerate(hf[k]): v[1 + i] -= c
        return v
    def g(k):
        v = np.zeros(n)
        if k is not None: v[1 + k] = 1
        return v
    def e(k):
        v = np.zeros(N + 1)
        if k is not None: v[k] = 1
        return v
    pts = [None] + list(range(N + 1))
    pairs = [(i, j) for i in pts for j in pts if i != j]
    lam = cp.Variable(len(pairs), nonneg=True); tau = cp.Variable(nonneg=True); t = cp.Variable()
    xN = x(N)
    S = tau * np.outer(np.eye(n)[0], np.eye(n)[0]) - np.outer(xN, xN)
    Fsum = 0
    for idx, (i, j) in enumerate(pairs):
        dx, dg, gj = x(i) - x(j), g(i) - g(j), g(j)
        A = 0.5 * (np.outer(gj, dx) + np.outer(dx, gj)) + (
            np.outer(dg, dg) + q * np.outer(dx, dx) - q * (np.outer(dg, dx) + np.outer(dx, dg))
        ) / (2 * (1 - q))
        S = S + lam[idx] * A
        Fsum = Fsum + lam[idx] * (e(j) - e(i))
    D = np.diag([0.0] + [1.0] * (n - 1))
    cons = [Fsum == 0, S - t * D >> 0, tau <= tau_cap, lam <= 10]
    prob = cp.Problem(cp.Maximize(t), cons)
    prob.solve(solver=cp.CLARABEL)
    return t.value, tau.value, list(zip(pairs, lam.value))


out, gamma, mu, q, n = sys.argv[1], Fr(sys.argv[2]), Fr(sys.argv[3]), Fr(sys.argv[4]), int(sys.argv[5])
r = lambda x: str(x.numerator) if x.denominator == 1 else f"{x.numerator}_{x.denominator}"
name = f"heavy-ball-g{r(gamma)}-m{r(mu)}-sc-q{r(q)}-n{n}-distance"
val, tau, lam = solve(heavy_ball_table(n, gamma, mu), q)
doc = {
    "schema": "momentum-oracle/pep-numeric-dual/1",
    "source": f"cvxpy {cp.__version__} + Clarabel {clarabel.__version__} (Python), tolerances 1e-12, "
              f"heavy ball gamma = {gamma}, mu = {mu} on 1-smooth {q}-strongly convex functions, "
              "measure |x_N - x*|^2 (examples/python/pep/strongly_convex.py)",
    "method": name,
    "steps": n,
    "bound": repr(tau),
    "multipliers": [
        {"i": "*" if i is None else str(i), "j": "*" if j is None else str(j), "value": repr(v)}
        for (i, j), v in lam
    ],
}
with open(f"{out}/{name}.json", "w") as fh:
    json.dump(doc, fh, indent=1)
    fh.write("\n")
print(name, "primal", val, "dual", tau)

cap = 2 * tau
t, itau, ilam = interior(heavy_ball_table(n, gamma, mu), q, cap)
doc = {
    "schema": "momentum-oracle/pep-numeric-dual/1",
    "source": f"interior point: max margin t of the gradient block, tau <= {cap!r}, lambda <= 10; "
              f"cvxpy + Clarabel {clarabel.__version__} (Python), examples/python/pep/strongly_convex.py; t = {t!r}",
    "method": name, "steps": n, "bound": repr(float(itau)),
    "multipliers": [{"i": "*" if i is None else str(i), "j": "*" if j is None else str(j),
                     "value": repr(float(max(v, 0.0)))} for (i, j), v in ilam if v > 1e-14],
}
with open(f"{out}/{name}.interior.json", "w") as fh:
    json.dump(doc, fh, indent=1)
    fh.write("\n")
print(name, "interior margin", t, "tau", itau)
