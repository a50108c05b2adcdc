"""Numeric dual (cvxpy + Clarabel, Python) of the crate's PEP for Nesterov's constant-momentum
method on 1-smooth q-strongly convex functions, q = 1/kappa, measure f(x_N) - f* given
||x0 - x*||^2 <= 1, written as OUT_DIR/<name>.json for the crate's exact repair
(theory::pep::repair). Not part of the build:

    python nesterov_strongly_convex.py OUT_DIR SQRT_KAPPA N

The table is Method::nesterov_strongly_convex's (theory::pep::method): y_1 = x0,
x_k = y_k - g(y_k), y_{k+1} = x_k + beta (x_k - x_{k-1}), x_0 = x0, beta = (s - 1)/(s + 1),
s = sqrt(kappa); points y_1 ... y_N, output x_N. The interpolation inequality of pair (i, j) is
the crate's (fixtures/pep/README.md; THG 2017 Thm 4 with L = 1, mu = q).
"""
import json, sys
from fractions import Fraction as Fr
import numpy as np
import cvxpy as cp
import clarabel


def table(n, s):
    beta = (s - 1) / (s + 1)
    zero = [Fr(0)] * (n + 1)
    points = [zero[:]]
    x_prev = zero[:]
    for k in range(1, n + 1):
        x = points[k - 1][:]
        x[k - 1] += 1
        if k == n:
            points.append(x)
            break
        y = [a + beta * (a - b) for a, b in zip(x, x_prev)]
        x_prev = x
        points.append(y)
    return [p[:k] for k, p in enumerate(points)]


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
    prob = cp.Problem(cp.Maximize(F[N]), cons + [init])
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12,
               max_iter=500)
    return prob.value, float(init.dual_value), [(p, float(c.dual_value)) for p, c in zip(pairs, cons)]


if __name__ == "__main__":
    out, s, n = sys.argv[1], Fr(sys.argv[2]), int(sys.argv[3])
    q = 1 / (s * s)
    h = table(n, s)
    val, tau, lam = solve(h, q)
    name = f"nesterov-sc-s{str(s).replace('/', '_')}-n{n}"
    doc = {
        "schema": "momentum-oracle/pep-numeric-dual/1",
        "source": f"cvxpy {cp.__version__} + Clarabel {clarabel.__version__} (Python), tolerances 1e-12, "
                  f"Nesterov strongly convex, sqrt(kappa) = {s}, q = {q}, f(x_N) - f* "
                  "(examples/python/pep/nesterov_strongly_convex.py)",
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
    print(name, "primal", val, "dual", tau, "classical", float((1 - 1 / s) ** n * (1 + q) / 2))
