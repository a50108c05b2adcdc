"""Writes a numeric dual *and primal* (cvxpy + Clarabel, Python) of the crate's PEP for each
exported table as <out>/<name>.primal.json: the dual (tau, lambda) as export_duals.py writes it,
plus the primal worst case -- `gram`, the (N + 2) x (N + 2) Gram matrix of [x0 - x*, g0, ..., gN],
and `values`, f(p_k) - f* for k = 0..N -- which theory::pep::worst turns into exact interpolation
data (read by repair::read_numeric_primal). Not part of the build; run from a directory holding
tables/<name>.json (PEP_EXPORT_DIR=<dir>/tables cargo test --release --test it -- --ignored
pep::export):

    python export_primal.py OUT_DIR ogm-n1 ogm-n2 ogm-n5 ogm-n10
"""
import json, sys
import numpy as np
import cvxpy as cp
import clarabel
from duals import load


def solve(h):
    """The PEP of duals.solve, returning the primal (G, F) as well."""
    N = len(h) - 1; n = N + 2
    hf = [[float(c) for c in row] for row in h]
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
            A = 0.5 * (np.outer(gj, dx) + np.outer(dx, gj)) + 0.5 * np.outer(dg, dg)
            pairs.append((i, j)); cons.append(f(j) - f(i) + cp.trace(A @ G) <= 0)
    init = G[0, 0] <= 1
    prob = cp.Problem(cp.Maximize(F[N]), cons + [init])
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12,
               max_iter=500)
    lam = [(p, float(c.dual_value)) for p, c in zip(pairs, cons)]
    return prob.value, float(init.dual_value), lam, G.value, F.value


out = sys.argv[1]
for name in sys.argv[2:]:
    h = load(f"tables/{name}.json")
    val, tau, lam, gram, values = solve(h)
    gram = (gram + gram.T) / 2
    doc = {
        "schema": "momentum-oracle/pep-numeric-dual/1",
        "source": f"cvxpy {cp.__version__} + Clarabel {clarabel.__version__} (Python), tolerances 1e-12, "
                  "on the PEP of the crate's step table, with its primal (examples/python/pep/export_primal.py)",
        "method": name,
        "steps": len(h) - 1,
        "bound": repr(tau),
        "multipliers": [
            {"i": "*" if i is None else str(i), "j": "*" if j is None else str(j), "value": repr(v)}
            for (i, j), v in lam
        ],
        "gram": [[repr(float(v)) for v in row] for row in gram],
        "values": [repr(float(v)) for v in values],
    }
    with open(f"{out}/{name}.primal.json", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(name, "primal", val, "dual", tau)
