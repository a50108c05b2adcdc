#!/usr/bin/env python3
"""Replay momentum-oracle's fixtures through real frameworks and say which rounding model each
matches.

Documentation, run by hand (CI does not need Python packages):

    python3 -m venv .venv && .venv/bin/pip install numpy torch optax jax
    .venv/bin/python examples/python/replay.py            # every replay fixture
    .venv/bin/python examples/python/replay.py --fixtures fixtures/replay/pytorch-dampening.json

For each fixture of the framework's convention it feeds the fixture's gradients and per-step
learning rates to the framework's optimizer in float64 and reports, per fixture:

  * "bit-exact fused" / "bit-exact naive": every parameter after every step has the bits of
    this crate's f64 program under that rounding model (fixtures/README.md gives the operation
    order of each);
  * "within envelope": not bit-exact, but every value within the fixture's order-independent
    error envelope of the exact trace (max error in ulps shown);
  * "MISMATCH": the first step and coordinate outside the envelope.

PyTorch runs both its single-tensor and its foreach (multi-tensor) path; Optax runs eagerly and
under jax.jit.
"""

import argparse
import glob
import json
import math
import os
import sys
from fractions import Fraction

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


def f64(v):
    """An f64 input {dec, bits} -> float (the bits decide)."""
    return float(np.uint64(int(v["bits"], 16)).view(np.float64))


def from_bits(h):
    return float(np.uint64(int(h, 16)).view(np.float64))


def bits(x):
    return "%016x" % int(np.float64(x).view(np.uint64))


def ulps(x, exact):
    """|x - exact| in ulps of the nearest f64 to exact."""
    near = float(exact)
    ulp = math.ulp(near) if near != 0 else math.ulp(0.0)
    return float(abs(Fraction(x) - exact) / Fraction(ulp))


SUBNORMAL_REACH = 2.0 ** -969  # below this, a product with a factor < 2^53 can be subnormal


def subnormal_coordinates(fixture):
    """Coordinates whose inputs are small enough for an intermediate to be subnormal."""
    n = fixture["dimension"]
    small = set()
    for i in range(n):
        values = [f64(fixture["initial_params"][i])] + [f64(g[i]) for g in fixture["gradients"]]
        if any(v != 0 and abs(v) < SUBNORMAL_REACH for v in values):
            small.add(i)
    return small


def verdict(fixture, params_by_step):
    """Compare a framework's parameters after each step with the fixture."""
    mismatches = {"naive": [], "fused": []}
    worst_ulps = 0.0
    for k, (params, step) in enumerate(zip(params_by_step, fixture["trace"]), start=1):
        for model in ("naive", "fused"):
            mismatches[model] += [i for i, p in enumerate(params) if bits(p) != step[model]["params"][i]]
        for i, (p, q, b) in enumerate(zip(params, step["exact"]["params"], step["envelope"]["params"])):
            if not math.isfinite(p):
                return "MISMATCH at step %d, params[%d]: %r" % (k, i, p)
            exact = Fraction(q)
            err = abs(Fraction(p) - exact)
            worst_ulps = max(worst_ulps, ulps(p, exact))
            if err > Fraction(float(b)):
                return "MISMATCH at step %d, params[%d]: %r vs exact %.17g (error %.3g > bound %s)" % (
                    k, i, p, float(exact), float(err), b)
    models = [m for m in ("fused", "naive") if not mismatches[m]]
    if models:
        return "bit-exact " + " and ".join(models)
    # Not bit-exact: is every difference confined to coordinates that reach the subnormal range
    # (a backend that flushes subnormals to zero, as XLA on CPU does)?
    small = subnormal_coordinates(fixture)
    for m in ("fused", "naive"):
        if mismatches[m] and set(mismatches[m]) <= small:
            return ("bit-exact %s except %d values on %d coordinates that reach the subnormal range "
                    "(flush-to-zero); within envelope" % (m, len(mismatches[m]), len(set(mismatches[m]))))
    best = min(("fused", "naive"), key=lambda m: len(mismatches[m]))
    return "within envelope (max %.2f ulps; %d values differ from %s)" % (worst_ulps, len(mismatches[best]), best)


def hyper(fixture):
    h = fixture["optimizer"]["hyperparameters"]
    num = lambda k: f64(h[k]) if k in h else 0.0
    flag = lambda k: bool(h.get(k, False))
    return num("momentum"), num("dampening"), num("weight_decay"), flag("nesterov"), flag("maximize")


def inputs(fixture):
    x0 = [f64(v) for v in fixture["initial_params"]]
    grads = [[f64(v) for v in g] for g in fixture["gradients"]]
    lrs = [f64(v) for v in fixture["schedule"]["learning_rates"]]
    return x0, grads, lrs


def run_torch(fixture, foreach):
    import torch

    mu, tau, wd, nesterov, maximize = hyper(fixture)
    x0, grads, lrs = inputs(fixture)
    p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lrs[0], momentum=mu, dampening=tau, weight_decay=wd,
                          nesterov=nesterov, maximize=maximize, foreach=foreach)
    out = []
    for g, lr in zip(grads, lrs):
        for group in opt.param_groups:
            group["lr"] = lr
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append(p.detach().tolist())
    return out


def run_optax(fixture, jit):
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import optax

    mu, _, _, nesterov, _ = hyper(fixture)
    x0, grads, lrs = inputs(fixture)
    # optax.sgd(lr, momentum, nesterov) = chain(trace(decay=momentum, nesterov), scale_by_learning_rate(lr));
    # the per-step rates go through a schedule indexed by the step count.
    schedule = lambda count: jnp.asarray(lrs, dtype=jnp.float64)[count]
    tx = optax.sgd(learning_rate=schedule, momentum=mu, nesterov=nesterov)
    params = jnp.asarray(x0, dtype=jnp.float64)
    state = tx.init(params)

    def step(params, state, g):
        updates, state = tx.update(g, state, params)
        return optax.apply_updates(params, updates), state

    if jit:
        step = jax.jit(step)
    out = []
    for g in grads:
        params, state = step(params, state, jnp.asarray(g, dtype=jnp.float64))
        out.append([float(x) for x in np.asarray(params)])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixtures", nargs="*", default=sorted(glob.glob(os.path.join(ROOT, "fixtures", "replay", "*.json"))))
    args = ap.parse_args()
    versions = []
    try:
        import torch
        versions.append("torch " + torch.__version__)
    except ImportError:
        torch = None
    try:
        import jax
        import optax
        versions.append("jax " + jax.__version__)
        versions.append("optax " + optax.__version__)
    except ImportError:
        optax = None
    print("python %s, numpy %s, %s" % (sys.version.split()[0], np.__version__, ", ".join(versions) or "no frameworks"))
    for path in args.fixtures:
        fixture = json.load(open(path))
        name, conv = fixture["name"], fixture["optimizer"]["convention"]
        runs = []
        if conv == "pytorch" and torch is not None:
            runs += [("torch single-tensor", lambda: run_torch(fixture, foreach=False)),
                     ("torch foreach", lambda: run_torch(fixture, foreach=True))]
        if conv == "optax" and optax is not None:
            runs += [("optax eager", lambda: run_optax(fixture, jit=False)),
                     ("optax jit", lambda: run_optax(fixture, jit=True))]
        for label, run in runs:
            print("%-40s %-20s %s" % (name, label, verdict(fixture, run())))


if __name__ == "__main__":
    main()
