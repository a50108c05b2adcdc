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
import sys
from fractions import Fraction as Fr
import cvxpy as cp
import clarabel
import pep_common
from pep_common import dual_doc, write_json


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


if __name__ == "__main__":
    out, s, n = sys.argv[1], Fr(sys.argv[2]), int(sys.argv[3])
    q = 1 / (s * s)
    h = table(n, s)
    val, tau, lam, _, _ = pep_common.solve(h, q)
    name = f"nesterov-sc-s{str(s).replace('/', '_')}-n{n}"
    doc = dual_doc(f"cvxpy {cp.__version__} + Clarabel {clarabel.__version__} (Python), tolerances 1e-12, "
                   f"Nesterov strongly convex, sqrt(kappa) = {s}, q = {q}, f(x_N) - f* "
                   "(examples/python/pep/nesterov_strongly_convex.py)",
                   name, n, tau, lam)
    write_json(f"{out}/{name}.json", doc)
    print(name, "primal", val, "dual", tau, "classical", float((1 - 1 / s) ** n * (1 + q) / 2))
