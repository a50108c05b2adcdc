"""Bit-exact emulation of optax.sgd(lr, momentum, nesterov) on XLA:CPU.

Modes: eager (each jnp op dispatched alone), jit-update (jax.jit of
opt.update, optax.apply_updates eager), jit-all (update + apply_updates in
one jax.jit).  float64 needs JAX_ENABLE_X64=1.

usage: JAX_ENABLE_X64=1 python optax_sgd.py
"""
from __future__ import annotations

import argparse
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax

from common import F32, F64, Ops, fmt_table, make_data, mismatches

CONFIGS = [("momentum", 0.9, False), ("nesterov", 0.9, True)]


def run_optax(dt, cfg, lr, theta0, grads, mode):
    _, mu, nest = cfg
    opt = optax.sgd(lr, momentum=mu, nesterov=nest)
    p = jnp.asarray(np.array(theta0, dt))
    st = opt.init(p)

    def step(p, st, g):
        u, st = opt.update(g, st, p)
        return optax.apply_updates(p, u), st

    if mode == "jit-all":
        f = jax.jit(step)
    elif mode == "jit-update":
        up = jax.jit(opt.update)

        def f(p, st, g):
            u, st = up(g, st, p)
            return optax.apply_updates(p, u), st
    else:
        f = step
    th, tr = [], []
    for t in range(grads.shape[0]):
        p, st = f(p, st, jnp.asarray(np.array(grads[t], dt)))
        th.append(np.asarray(p).copy())
        tr.append(np.asarray(st[0].trace).copy())
    return np.array(th), np.array(tr), str(p.dtype), str(st[0].trace.dtype)


def model(dt, cfg, lr, theta0, grads, *, trace="eager", update="eager", ftz=True):
    """optax: trace t = g + mu*t ; nesterov u = g + mu*t_new else u = t ;
    u = (-lr) * u ; p = p + u.  Constants are Python floats (weakly typed),
    i.e. rounded once to the parameter dtype."""
    _, mu, nest = cfg
    o = Ops(dt, ftz)
    muc, nlr = dt(mu), dt(-lr)
    p = np.array(theta0, dt)
    t = np.zeros_like(p)
    out_p, out_t = [], []
    for s in range(grads.shape[0]):
        g = np.array(grads[s], dt)
        tf = (lambda t: o.fma(muc, t, g)) if trace == "fma" else (lambda t: o.add(g, o.mul(muc, t)))
        t = tf(t)
        u = tf(t) if nest else t
        if update == "fma":
            p = o.fma(nlr, u, p)
        else:
            p = o.add(p, o.mul(nlr, u))
        out_p.append(p)
        out_t.append(t)
    return np.array(out_p), np.array(out_t)


MODELS = {
    "eager(round each op),ftz": dict(),
    "eager,no-ftz": dict(ftz=False),
    "trace fma, p=p+r(-lr*u),ftz": dict(trace="fma"),
    "trace fma, p=fma(-lr,u,p),ftz": dict(trace="fma", update="fma"),
    "trace fma, p fma, no-ftz": dict(trace="fma", update="fma", ftz=False),
}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    print(f"optax {optax.__version__} jax {jax.__version__} x64 {jax.config.jax_enable_x64} "
          f"devices {jax.devices()}")
    rows = []
    for dname in args.dtypes:
        dt = F64 if dname == "float64" else F32
        if dt is F64 and not jax.config.jax_enable_x64:
            print("skipping float64: set JAX_ENABLE_X64=1")
            continue
        theta0, grads = make_data(dt, args.n, args.steps, args.seed)
        for cfg in CONFIGS:
            res = {k: model(dt, cfg, args.lr, theta0, grads, **kw) for k, kw in MODELS.items()}
            for mode in ("eager", "jit-update", "jit-all"):
                tp, tt, pdt, tdt = run_optax(dt, cfg, args.lr, theta0, grads, mode)
                row = [dname, cfg[0], mode]
                for k in MODELS:
                    mp, mt = res[k]
                    row.append(f"{mismatches(tp, mp, dt)}/{mismatches(tt, mt, dt)}")
                rows.append(row)
                print(" | ".join(row), "| dtypes", pdt, tdt, flush=True)
    print(f"\nmismatches param/trace over {args.steps * args.n} values each\n")
    print(fmt_table(rows, ["dtype", "config", "mode"] + list(MODELS)))


if __name__ == "__main__":
    sys.exit(main())
