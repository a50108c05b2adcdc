"""A strictly feasible dual point of the crate's PEP (smooth convex, f(x_N) - f*): maximise the
margin t of the gradient block, S - t diag(0, 1, ..., 1) >= 0, with tau <= 2 tau_numeric. Mixed
with the optimal dual in a small proportion, it restores a positive-definite gradient block
after rounding (src/pep/repair.rs, `repair_with_interior`)."""
import json, sys
import numpy as np
import cvxpy as cp
import clarabel
from duals import load

def interior(h, tau_cap):
    N = len(h) - 1; n = N + 2
    hf = [[float(c) for c in row] for row in h]
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
    S = tau * np.outer(g(None) + np.eye(n)[0], np.eye(n)[0])  # tau e0 e0^T
    S = tau * np.outer(np.eye(n)[0], np.eye(n)[0])
    Fsum = 0
    for idx, (i, j) in enumerate(pairs):
        dx, dg, gj = x(i) - x(j), g(i) - g(j), g(j)
        A = 0.5 * (np.outer(gj, dx) + np.outer(dx, gj)) + 0.5 * np.outer(dg, dg)
        S = S + lam[idx] * A
        Fsum = Fsum + lam[idx] * (e(j) - e(i))
    D = np.diag([0.0] + [1.0] * (n - 1))
    cons = [Fsum == e(N), S - t * D >> 0, tau <= tau_cap, lam <= 10]
    prob = cp.Problem(cp.Maximize(t), cons)
    prob.solve(solver=cp.CLARABEL)
    return t.value, tau.value, list(zip(pairs, lam.value))

out = sys.argv[1]
for name in sys.argv[2:]:
    h = load(f"tables/{name}.json")
    dual = json.load(open(f"{out}/{name}.json"))
    cap = 2 * float(dual["bound"])
    t, tau, lam = interior(h, cap)
    doc = {
        "schema": "momentum-oracle/pep-numeric-dual/1",
        "source": f"interior point: max margin t of the gradient block, tau <= {cap!r}, lambda <= 10; "
                  f"cvxpy + Clarabel {clarabel.__version__} (Python), research-pep/interior.py; t = {t!r}",
        "method": name, "steps": len(h) - 1, "bound": repr(float(tau)),
        "multipliers": [{"i": "*" if i is None else str(i), "j": "*" if j is None else str(j),
                         "value": repr(float(max(v, 0.0)))} for (i, j), v in lam if v > 1e-14],
    }
    with open(f"{out}/{name}.interior.json", "w") as f:
        json.dump(doc, f, indent=1); f.write("\n")
    print(name, "margin", t, "tau", tau)
