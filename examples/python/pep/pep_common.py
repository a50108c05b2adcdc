"""What the PEP scripts of this directory share (not part of the build): reading the crate's step
tables, the Gram basis [x0 - x*, g0, ..., gN], the interpolation inequalities, the primal PEP
solved with cvxpy + Clarabel, the maximum-margin interior dual, and the numeric-dual JSON
(schema momentum-oracle/pep-numeric-dual/1, read by the crate's exact repair, theory::pep::repair).

The interpolation inequality of pair (i, j) is the crate's (fixtures/pep/README.md; Taylor,
Hendrickx & Glineur 2017 Thm 4 with L = 1, mu = q):
    f_i >= f_j + <g_j, x_i - x_j> + 1/(2(1-q)) (|g_i - g_j|^2 + q|x_i - x_j|^2 - 2q<g_i - g_j, x_i - x_j>)
q = None is the smooth convex class (q = 0), written in its own shorter form.
A table h has N + 1 rows; row k holds h_{k,0} ... h_{k,k-1} with p_k = x0 - sum_i h_{k,i} g_i.
"""
import json
from fractions import Fraction as Fr
import numpy as np
import cvxpy as cp

# Clarabel tolerances of every exported numeric dual ("tolerances 1e-12" in their `source`).
TIGHT = dict(tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12, max_iter=500)


def load(path):
    """The step table of an exported method (tables/<name>.json, or any certificate), exact."""
    d = json.load(open(path))
    return [[Fr(c) for c in row] for row in d["method"]["coefficients"]]


class Basis:
    """Coordinates on the Gram basis [x0 - x*, g0, ..., gN]; point None is x*."""

    def __init__(self, h):
        self.N = len(h) - 1
        self.n = self.N + 2
        self.hf = [[float(c) for c in row] for row in h]
        self.points = [None] + list(range(self.N + 1))
        self.pairs = [(i, j) for i in self.points for j in self.points if i != j]

    def x(self, k):
        """x_k - x*."""
        v = np.zeros(self.n)
        if k is None: return v
        v[0] = 1
        for i, c in enumerate(self.hf[k]): v[1 + i] -= c
        return v

    def g(self, k):
        v = np.zeros(self.n)
        if k is not None: v[1 + k] = 1
        return v

    def e(self, k):
        """Unit vector of f_k - f* among the function values f_0 ... f_N (zero for x*)."""
        v = np.zeros(self.N + 1)
        if k is not None: v[k] = 1
        return v

    def interpolation(self, i, j, q=None):
        """A with f_j - f_i + tr(A G) <= 0 the interpolation inequality of pair (i, j)."""
        dx, dg, gj = self.x(i) - self.x(j), self.g(i) - self.g(j), self.g(j)
        if q is None:
            return 0.5 * (np.outer(gj, dx) + np.outer(dx, gj)) + 0.5 * np.outer(dg, dg)
        return 0.5 * (np.outer(gj, dx) + np.outer(dx, gj)) + (
            np.outer(dg, dg) + q * np.outer(dx, dx) - q * (np.outer(dg, dx) + np.outer(dx, dg))
        ) / (2 * (1 - q))


def primal(h, q=None):
    """The primal PEP: Gram matrix G, function values F, the interpolation constraints in
    `basis.pairs` order and the initial condition G[0, 0] <= 1."""
    b = Basis(h)
    q = None if q is None else float(q)
    G = cp.Variable((b.n, b.n), PSD=True); F = cp.Variable(b.N + 1)
    def f(k): return 0 if k is None else F[k]
    cons = [f(j) - f(i) + cp.trace(b.interpolation(i, j, q) @ G) <= 0 for i, j in b.pairs]
    init = G[0, 0] <= 1
    return b, G, F, cons, init


def solve(h, q=None, measure="function-value"):
    """Worst case of `measure` at p_N (function-value: f(p_N) - f*; distance-squared:
    |p_N - x*|^2) with tight tolerances: (primal value, dual tau, [((i, j), lambda_ij)], G, F)."""
    b, G, F, cons, init = primal(h, q)
    if measure == "function-value":
        objective = F[b.N]
    else:
        xN = b.x(b.N)
        objective = cp.trace(np.outer(xN, xN) @ G)
    prob = cp.Problem(cp.Maximize(objective), cons + [init])
    prob.solve(solver=cp.CLARABEL, **TIGHT)
    lam = [(p, float(c.dual_value)) for p, c in zip(b.pairs, cons)]
    return prob.value, float(init.dual_value), lam, G.value, F.value


def interior(h, tau_cap, q=None, measure="function-value"):
    """A strictly feasible dual point: maximise the margin t of the gradient block,
    S - t diag(0, 1, ..., 1) >= 0, with tau <= tau_cap and lambda <= 10 (default tolerances).
    Returns (t, tau, [((i, j), lambda_ij)])."""
    b = Basis(h)
    q = None if q is None else float(q)
    n, N = b.n, b.N
    lam = cp.Variable(len(b.pairs), nonneg=True); tau = cp.Variable(nonneg=True); t = cp.Variable()
    S = tau * np.outer(np.eye(n)[0], np.eye(n)[0])
    if measure == "function-value":
        target = b.e(N)
    else:
        xN = b.x(N)
        S = S - np.outer(xN, xN)
        target = 0
    Fsum = 0
    for idx, (i, j) in enumerate(b.pairs):
        S = S + lam[idx] * b.interpolation(i, j, q)
        Fsum = Fsum + lam[idx] * (b.e(j) - b.e(i))
    D = np.diag([0.0] + [1.0] * (n - 1))
    cons = [Fsum == target, S - t * D >> 0, tau <= tau_cap, lam <= 10]
    prob = cp.Problem(cp.Maximize(t), cons)
    prob.solve(solver=cp.CLARABEL)
    return t.value, tau.value, list(zip(b.pairs, lam.value))


def point(k):
    """A point's name in a certificate: "*" or "0" ... "N"."""
    return "*" if k is None else str(k)


def dual_doc(source, method, steps, bound, lam):
    """A numeric dual (bound tau and multipliers [((i, j), lambda_ij)] as floats)."""
    return {
        "schema": "momentum-oracle/pep-numeric-dual/1",
        "source": source,
        "method": method,
        "steps": steps,
        "bound": repr(bound),
        "multipliers": [{"i": point(i), "j": point(j), "value": repr(v)} for (i, j), v in lam],
    }


def interior_doc(source, method, steps, tau, lam):
    """An interior dual: multipliers below 1e-14 dropped, the rest clipped at 0."""
    return dual_doc(source, method, steps, float(tau),
                    [(p, float(max(v, 0.0))) for p, v in lam if v > 1e-14])


def write_json(path, doc):
    with open(path, "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")
