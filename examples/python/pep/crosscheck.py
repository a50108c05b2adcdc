"""Numerical cross-check of the crate's PEP (step tables exported by
`cargo test --release --test pep export -- --ignored` with PEP_EXPORT_DIR=tables) against
(a) a third, independent Python formulation solved with cvxpy + Clarabel, from the table alone,
(b) PEPit with the method written in PEPit's own primitives,
(c) the known values (DT 2014, THG 2017 Table 1, Kim-Fessler 2016)."""
import math
import cvxpy as cp
from PEPit import PEP
from PEPit.functions import SmoothConvexFunction
from pep_common import load, primal

def table(name):
    return load(f"tables/{name}.json")

def pep_from_table(h):
    b, G, F, cons, init = primal(h)
    prob = cp.Problem(cp.Maximize(F[b.N]), [init] + cons)
    prob.solve(solver=cp.CLARABEL)
    return prob.value

def pepit(step_fn, N):
    problem = PEP()
    func = problem.declare_function(SmoothConvexFunction, L=1)
    xs = func.stationary_point(); fs = func(xs)
    x0 = problem.set_initial_point()
    problem.set_initial_condition((x0 - xs) ** 2 <= 1)
    xN = step_fn(func, x0, N)
    problem.set_performance_metric(func(xN) - fs)
    return problem.solve(verbose=0, wrapper="cvxpy", solver=cp.CLARABEL)

def gd(func, x0, N):
    x = x0
    for _ in range(N): x = x - func.gradient(x)
    return x

def fista(func, x0, N):
    y, x_prev = x0, x0
    for k in range(1, N + 1):
        x = y - func.gradient(y)
        if k < N: y = x + (k - 1) / (k + 2) * (x - x_prev)
        x_prev = x
    return x

def heavy_ball(gamma, mu):
    def run(func, x0, N):
        x_prev, x = x0, x0
        for _ in range(N):
            x, x_prev = x - gamma * func.gradient(x) + mu * (x - x_prev), x
        return x
    return run

def ogm_theta(N):
    t = [1.0]
    for i in range(N):
        t.append((1 + math.sqrt(1 + (8 if i + 1 == N else 4) * t[-1] ** 2)) / 2)
    return t

def ogm(func, x0, N):
    t = ogm_theta(N)
    x, y_prev = x0, x0
    for i in range(N):
        y = x - func.gradient(x)
        x = y + (t[i] - 1) / t[i + 1] * (y - y_prev) + t[i] / t[i + 1] * (y - x)
        y_prev = y
    return x

cases = [
    ("gd-h1-n5", gd, 5, 1 / 22, "DT 2014: 1/(4N+2)"),
    ("fista-n10", fista, 10, 2 / (100 + 50 + 6), "THG 2017 Table 1 (numerical): 2/(N^2+5N+6)"),
    ("heavy-ball-g1-m1_2-n5", heavy_ball(1, 0.5), 5, None, ""),
    ("heavy-ball-g1_2-m1_4-n10", heavy_ball(0.5, 0.25), 10, None, ""),
] + [(f"ogm-n{n}", ogm, n, 1 / (2 * ogm_theta(n)[-1] ** 2), "Kim-Fessler: 1/(2 theta_N^2)")
     for n in (1, 2, 5, 10)]
print(f"{'case':28} {'table+Clarabel':>16} {'PEPit':>16} {'known':>16}  rel(table,known)")
for name, fn, N, known, src in cases:
    a = pep_from_table(table(name))
    b = pepit(fn, N)
    rel = "" if known is None else f"{abs(a - known) / known:.1e}"
    ks = "" if known is None else f"{known:.10f}"
    print(f"{name:28} {a:16.10f} {b:16.10f} {ks:>16}  {rel} {src}")
