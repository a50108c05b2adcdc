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
import sys
from fractions import Fraction as Fr
import cvxpy as cp
import clarabel
import pep_common
from pep_common import dual_doc, interior_doc, write_json


def heavy_ball_table(n, gamma, mu):
    return [[gamma * (1 - mu ** (k - i)) / (1 - mu) for i in range(k)] for k in range(n + 1)]


out, gamma, mu, q, n = sys.argv[1], Fr(sys.argv[2]), Fr(sys.argv[3]), Fr(sys.argv[4]), int(sys.argv[5])
r = lambda x: str(x.numerator) if x.denominator == 1 else f"{x.numerator}_{x.denominator}"
name = f"heavy-ball-g{r(gamma)}-m{r(mu)}-sc-q{r(q)}-n{n}-distance"
val, tau, lam, _, _ = pep_common.solve(heavy_ball_table(n, gamma, mu), q, "distance-squared")
doc = dual_doc(f"cvxpy {cp.__version__} + Clarabel {clarabel.__version__} (Python), tolerances 1e-12, "
               f"heavy ball gamma = {gamma}, mu = {mu} on 1-smooth {q}-strongly convex functions, "
               "measure |x_N - x*|^2 (examples/python/pep/strongly_convex.py)",
               name, n, tau, lam)
write_json(f"{out}/{name}.json", doc)
print(name, "primal", val, "dual", tau)

cap = 2 * tau
t, itau, ilam = pep_common.interior(heavy_ball_table(n, gamma, mu), cap, q, "distance-squared")
doc = interior_doc(f"interior point: max margin t of the gradient block, tau <= {cap!r}, lambda <= 10; "
                   f"cvxpy + Clarabel {clarabel.__version__} (Python), examples/python/pep/strongly_convex.py; t = {t!r}",
                   name, n, itau, ilam)
write_json(f"{out}/{name}.interior.json", doc)
print(name, "interior margin", t, "tau", itau)
