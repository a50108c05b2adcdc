"""PEPit's worst case of FISTA with momentum (k - 1)/(k + 2), the method of the crate's
`Method::fista` (src/theory/pep/method.rs): y_1 = x_0, x_k = y_k - grad f(y_k)/L,
y_{k+1} = x_k + (k - 1)/(k + 2) (x_k - x_{k-1}), measure f(x_N) - f*, L = R = 1.

Prints one JSON line with PEPit's value and the wall time of building and solving the PEP (the
imports are timed separately). Used by README, "Worst-case certificates", next to
`cargo run --release --features sdp --example pep_solve -- time 20`.

    python3 -m venv .venv-pep && .venv-pep/bin/pip install pepit cvxpy   # once
    .venv-pep/bin/python examples/python/pepit_fista.py 20
"""
import importlib.metadata
import json
import sys
import time

start = time.perf_counter()
from PEPit import PEP  # noqa: E402
from PEPit.functions import SmoothConvexFunction  # noqa: E402
import PEPit  # noqa: E402
import cvxpy  # noqa: E402

imported = time.perf_counter()

n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
problem = PEP()
f = problem.declare_function(SmoothConvexFunction, L=1)
xs = f.stationary_point()
fs = f(xs)
x0 = problem.set_initial_point()
problem.set_initial_condition((x0 - xs) ** 2 <= 1)
y = x0
x_previous = x0
x = x0
for k in range(1, n + 1):
    x = y - f.gradient(y)
    if k < n:
        y = x + (k - 1) / (k + 2) * (x - x_previous)
        x_previous = x
problem.set_performance_metric(f(x) - fs)
tau = problem.solve(verbose=0)
solved = time.perf_counter()
solver = None
try:
    solver = problem.wrapper.prob.solver_stats.solver_name
except Exception:  # the attribute path differs between PEPit versions
    pass
print(json.dumps({
    "method": "FISTA (k-1)/(k+2)", "steps": n, "pepit": importlib.metadata.version("pepit"),
    "cvxpy": cvxpy.__version__, "solver": solver, "bound": tau,
    "seconds": {"import": round(imported - start, 3), "build_and_solve": round(solved - imported, 3)},
}))
