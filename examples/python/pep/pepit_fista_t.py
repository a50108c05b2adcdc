import time, sys, cvxpy as cp
from PEPit.examples.unconstrained_convex_minimization.accelerated_gradient_convex import wc_accelerated_gradient_convex
n = int(sys.argv[1])
t0 = time.perf_counter()
tau, theory = wc_accelerated_gradient_convex(mu=0, L=1, n=n, wrapper="cvxpy", solver=cp.CLARABEL, verbose=-1)
print(f"N={n} PEPit {tau!r} L/(2 t_N^2) {theory!r} 2/(N+1)^2 {2/(n+1)**2!r} time {time.perf_counter()-t0:.2f}s")
