"""Bit-exact emulation of Keras 3 (JAX backend) keras.optimizers.SGD.

Compares eager `optimizer.apply` and `jax.jit(optimizer.stateless_apply)`
(what model.fit runs) against numpy candidate models, for float32 and
float64 variables (float64 needs JAX_ENABLE_X64=1; floatx stays float32).

usage: KERAS_BACKEND=jax JAX_ENABLE_X64=1 python keras_sgd.py
"""
from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax  # noqa: E402
import numpy as np  # noqa: E402

from common import F32, F64, Ops, fmt_table, make_data, mismatches  # noqa: E402

CONFIGS = [
    # name, momentum, nesterov, weight_decay
    ("plain", 0.9, False, None),
    ("nesterov", 0.9, True, None),
    ("wd", 0.9, False, 0.01),
    ("nesterov+wd", 0.9, True, 0.01),
    ("no-momentum", 0.0, False, None),
]


def run_keras(dt, cfg, lr, theta0, grads, jit):
    import keras
    _, mu, nest, wd = cfg
    dname = "float64" if dt is F64 else "float32"
    var = keras.Variable(np.array(theta0, dt), dtype=dname, name="w")
    opt = keras.optimizers.SGD(learning_rate=lr, momentum=mu, nesterov=nest, weight_decay=wd)
    opt.build([var])
    info = {v.path if hasattr(v, "path") else v.name: str(v.dtype) for v in opt.variables}
    th, ms = [], []
    if jit:
        step = jax.jit(opt.stateless_apply)
        ov = [v.value for v in opt.variables]
        tv = [var.value]
        mom_idx = [i for i, v in enumerate(opt.variables) if "momentum" in v.name]
        for t in range(grads.shape[0]):
            g = jax.numpy.asarray(np.array(grads[t], dt))
            tv, ov = step(ov, [g], tv)
            th.append(np.asarray(tv[0]).copy())
            ms.append(np.asarray(ov[mom_idx[0]]).copy() if mom_idx else np.zeros_like(th[-1]))
    else:
        for t in range(grads.shape[0]):
            g = jax.numpy.asarray(np.array(grads[t], dt))
            opt.apply([g], [var])
            th.append(np.asarray(var.value).copy())
            ms.append(np.asarray(opt.momentums[0].value).copy() if opt.momentums else np.zeros_like(th[-1]))
    return np.array(th), np.array(ms), info, str(var.dtype)


def model(dt, cfg, lr, theta0, grads, *, m_mode="eager", wd_mode="eager", nest_mode="eager",
          lr_via_f32=True, ftz=False, plain_fma=False):
    """Keras SGD.update_step:
        m = m*mu - g*lr ; var += m   (nesterov: var += m*mu - g*lr)
    preceded by decoupled weight decay var = var - var*wd*lr.
    lr is a floatx (float32) variable cast to the variable dtype."""
    _, mu, nest, wd = cfg
    o = Ops(dt, ftz)
    lr_c = dt(F32(lr)) if lr_via_f32 else dt(lr)
    mu_c = dt(mu)
    th = np.array(theta0, dt)
    m = np.zeros_like(th)
    out_t, out_m = [], []

    def mstep(m, g):
        if m_mode == "eager":
            return o.sub(o.mul(m, mu_c), o.mul(g, lr_c))
        if m_mode == "fma(m,mu,-round(g*lr))":
            return o.fma(m, mu_c, -o.mul(g, lr_c))
        if m_mode == "fma(-g,lr,round(m*mu))":
            return o.fma(-np.asarray(g, dt), lr_c, o.mul(m, mu_c))
        raise ValueError(m_mode)

    for t in range(grads.shape[0]):
        g = np.array(grads[t], dt)
        if wd:
            wd_c = dt(wd)
            if wd_mode == "eager":
                th = o.sub(th, o.mul(o.mul(th, wd_c), lr_c))
            elif wd_mode == "fma":
                th = o.fma(-o.mul(th, wd_c), lr_c, th)
            elif wd_mode == "fma-reassoc":  # XLA: var*wd*lr -> var*(wd*lr), then contracted
                th = o.fma(th, -o.mul(wd_c, lr_c), th)
            else:
                raise ValueError(wd_mode)
        if mu != 0:
            m = mstep(m, g)
            if nest:
                inc = mstep(m, g) if nest_mode == "eager" else mstep(m, g)
                th = o.add(th, inc)
            else:
                th = o.add(th, m)
        else:
            th = o.fma(-g, lr_c, th) if plain_fma else o.sub(th, o.mul(g, lr_c))
        out_t.append(th)
        out_m.append(m)
    return np.array(out_t), np.array(out_m)


MODELS = {
    "EAGER=round each op,ftz": dict(ftz=True),
    "JIT=fma,ftz": dict(m_mode="fma(m,mu,-round(g*lr))", wd_mode="fma-reassoc", plain_fma=True, ftz=True),
    "JIT,wd=fma(-r(th*wd),lr,th)": dict(m_mode="fma(m,mu,-round(g*lr))", wd_mode="fma", plain_fma=True, ftz=True),
    "JIT,no-ftz": dict(m_mode="fma(m,mu,-round(g*lr))", wd_mode="fma-reassoc", plain_fma=True),
    "eager(round each op)": dict(),
    "eager,ftz,lr-not-via-f32": dict(lr_via_f32=False, ftz=True),
    "JIT,ftz,lr-not-via-f32": dict(m_mode="fma(m,mu,-round(g*lr))", wd_mode="fma-reassoc", plain_fma=True, ftz=True, lr_via_f32=False),
    "m=fma(m,mu,-r(g*lr))": dict(m_mode="fma(m,mu,-round(g*lr))"),
    "m=fma(-g,lr,r(m*mu))": dict(m_mode="fma(-g,lr,round(m*mu))"),
    "JIT,ftz,wd-no-fma": dict(m_mode="fma(m,mu,-round(g*lr))", plain_fma=True, ftz=True),
}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    import keras
    print(f"keras {keras.__version__} backend {keras.backend.backend()} floatx {keras.backend.floatx()} "
          f"jax {jax.__version__} x64 {jax.config.jax_enable_x64}")
    rows = []
    for dname in args.dtypes:
        dt = F64 if dname == "float64" else F32
        if dt is F64 and not jax.config.jax_enable_x64:
            print("skipping float64: set JAX_ENABLE_X64=1")
            continue
        theta0, grads = make_data(dt, args.n, args.steps, args.seed)
        for cfg in CONFIGS:
            res = {k: model(dt, cfg, args.lr, theta0, grads, **kw) for k, kw in MODELS.items()}
            for jit in (False, True):
                tt, tm, info, vdt = run_keras(dt, cfg, args.lr, theta0, grads, jit)
                row = [dname, cfg[0], "jit" if jit else "eager"]
                for k in MODELS:
                    mt, mm = res[k]
                    row.append(f"{mismatches(tt, mt, dt)}/{mismatches(tm, mm, dt)}")
                rows.append(row)
                print(" | ".join(row), "| var", vdt, "| opt vars", info, flush=True)
    print(f"\nmismatches param/momentum over {args.steps * args.n} values each\n")
    print(fmt_table(rows, ["dtype", "config", "mode"] + list(MODELS)))


if __name__ == "__main__":
    sys.exit(main())
