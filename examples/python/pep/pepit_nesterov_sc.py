"""PEPit cross-check (by hand, not part of the build) of the certificate for Nesterov's constant
momentum (sqrt(kappa) - 1)/(sqrt(kappa) + 1) on 1-smooth 1/kappa-strongly convex functions, f(x_N) - f*
given ||x0 - x*||^2 <= 1 (PEPit's own example uses another initial condition):

    python pepit_nesterov_sc.py SQRT_KAPPA N
"""
import sys, time
import cvxpy as cp
from PEPit import PEP
from PEPit.functions import SmoothStronglyConvexFunction

s, n = float(sys.argv[1]), int(sys.argv[2])
t0 = time.perf_counter()
problem = PEP()
func = problem.declare_function(SmoothStronglyConvexFunction, mu=1 / s**2, L=1)
xs = func.stationary_point(); fs = func(xs)
x0 = problem.set_initial_point()
problem.set_initial_condition((x0 - xs) ** 2 <= 1)
beta = (s - 1) / (s + 1)
x_new, y = x0, x0
for _ in range(n):
    x_old = x_new
    x_new = y - func.gradient(y)
    y = x_new + beta * (x_new - x_old)
problem.set_performance_metric(func(x_new) - fs)
tau = problem.solve(wrapper="cvxpy", solver=cp.CLARABEL, verbose=0)
print(f"sqrt(kappa)={s} N={n} PEPit {tau!r} time {time.perf_counter() - t0:.2f}s")
