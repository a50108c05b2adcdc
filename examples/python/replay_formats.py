#!/usr/bin/env python3
"""Replay momentum-oracle's binary32 / bfloat16 / binary16 fixtures through real frameworks and
say which kernel model each matches bit for bit.

Run by hand (not part of cargo test); needs torch, jax, optax, keras (JAX backend), ml_dtypes:

    KERAS_BACKEND=jax .venv/bin/python examples/python/replay_formats.py
    KERAS_BACKEND=jax .venv/bin/python examples/python/replay_formats.py --format binary32

For every fixture in fixtures/replay-<format>/ it runs the fixture's framework:

  * PyTorch torch.optim.SGD in the fixture's dtype: foreach=False, foreach=True, fused=True,
    and mixed precision (float32 master weights, the fixture dtype as model copy);
  * Optax optax.sgd in the fixture's dtype (parameters, gradients and trace; the learning rate
    a float32 hyper-parameter): eager, update jitted, update + apply_updates jitted;
  * Keras 3 keras.optimizers.SGD in the fixture's dtype (default config: floatx float32, so the
    learning-rate variable is float32): eager optimizer.apply and jitted stateless_apply.

--match NAME restricts the run to fixtures whose file name contains NAME (e.g. --match cov-).

and prints, per run, the fixture models whose parameter bits it reproduces at every step, or
the number of (step, element) values outside the envelope. The learning rate of step k is set
before step k (param_group["lr"], the Keras learning-rate variable, optax.inject_hyperparams).
"""

import argparse
import glob
import json
import os
import sys
from fractions import Fraction

import numpy as np
import ml_dtypes

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))

NP = {"binary32": np.float32, "bfloat16": ml_dtypes.bfloat16, "binary16": np.float16}
UINT = {"binary32": np.uint32, "bfloat16": np.uint16, "binary16": np.uint16}


def decode(fmt, hexes):
    return np.array([int(h, 16) for h in hexes], dtype=UINT[fmt]).view(NP[fmt])


def encode(fmt, arr):
    width = 8 if fmt == "binary32" else 4
    a = np.asarray(arr, dtype=NP[fmt]).view(UINT[fmt])
    return ["%0*x" % (width, int(x)) for x in a]


def f64(v):
    return float(np.uint64(int(v["bits"], 16)).view(np.float64))


def load(path):
    f = json.load(open(path))
    fmt = f["format"]
    hp = f["optimizer"]["hyperparameters"]
    num = lambda k: f64(hp[k]) if k in hp else 0.0
    return dict(
        f=f,
        fmt=fmt,
        theta=decode(fmt, f["initial_params"]),
        grads=[decode(fmt, g) for g in f["gradients"]],
        lrs=[f64(v) for v in f["schedule"]["learning_rates"]],
        mu=num("momentum"),
        tau=num("dampening"),
        wd=num("weight_decay"),
        nesterov=bool(hp.get("nesterov", False)),
        maximize=bool(hp.get("maximize", False)),
    )


def verdict(d, params):
    """params[k] = the run's parameters after step k+1 (fixture dtype)."""
    f, fmt = d["f"], d["fmt"]
    got = [encode(fmt, p) for p in params]
    matched = [
        name
        for name in f["models"]
        if all(got[k] == f["trace"][k]["models"][name]["params"] for k in range(len(got)))
    ]
    if matched:
        return "bit-exact: " + ", ".join(matched)
    outside = 0
    for k, p in enumerate(params):
        s = f["trace"][k]
        for x, e, b in zip(np.asarray(p, dtype=np.float64), s["exact"]["params"], s["envelope"]["params"]):
            if not np.isfinite(x) or abs(Fraction(float(x)) - Fraction(e)) > Fraction(float(b)):
                outside += 1
    return "no model; %s" % ("inside the envelope" if outside == 0 else "%d values OUTSIDE the envelope" % outside)


def run_torch(d, impl):
    import torch

    dt = {"binary32": torch.float32, "bfloat16": torch.bfloat16, "binary16": torch.float16}[d["fmt"]]
    master = impl == "mixed"
    p = torch.nn.Parameter(torch.tensor(d["theta"].astype(np.float32)).to(dt))
    opt_param = torch.nn.Parameter(p.detach().float()) if master else p
    kw = dict(lr=d["lrs"][0], momentum=d["mu"], dampening=d["tau"], weight_decay=d["wd"],
              nesterov=d["nesterov"], maximize=d["maximize"])
    if impl == "foreach":
        kw["foreach"] = True
    elif impl == "fused":
        kw["fused"] = True
    else:
        kw["foreach"] = False
    opt = torch.optim.SGD([opt_param], **kw)
    out = []
    for k, g in enumerate(d["grads"]):
        opt.param_groups[0]["lr"] = d["lrs"][k]
        gt = torch.tensor(g.astype(np.float32)).to(dt)
        opt_param.grad = gt.float() if master else gt
        opt.step()
        with torch.no_grad():
            if master:
                p.copy_(opt_param)
        out.append(p.detach().float().numpy().astype(NP[d["fmt"]]))
    return out


def run_optax(d, mode):
    import jax
    import jax.numpy as jnp
    import optax

    dt = jnp.dtype(NP[d["fmt"]])
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=d["lrs"][0], momentum=d["mu"], nesterov=d["nesterov"])
    p = jnp.asarray(d["theta"], dtype=dt)
    state = opt.init(p)

    def update(g, s, p):
        return opt.update(g, s, p)

    def both(g, s, p):
        u, s = opt.update(g, s, p)
        return optax.apply_updates(p, u), s

    ju, jb = jax.jit(update), jax.jit(both)
    out = []
    for k, g in enumerate(d["grads"]):
        state.hyperparams["learning_rate"] = jnp.asarray(d["lrs"][k], dtype=jnp.float32)
        g = jnp.asarray(g, dtype=dt)
        if mode == "jit":
            p, state = jb(g, state, p)
        else:
            u, state = (ju if mode == "jit-update" else update)(g, state, p)
            p = optax.apply_updates(p, u)
        out.append(np.asarray(p))
    return out


def run_keras(d, mode):
    import jax
    import keras

    dtype = {"binary32": "float32", "bfloat16": "bfloat16", "binary16": "float16"}[d["fmt"]]
    v = keras.Variable(np.asarray(d["theta"]), dtype=dtype)
    opt = keras.optimizers.SGD(learning_rate=d["lrs"][0], momentum=d["mu"], nesterov=d["nesterov"],
                               weight_decay=d["wd"] or None)
    opt.build([v])
    out = []
    if mode == "eager":
        for k, g in enumerate(d["grads"]):
            opt.learning_rate.assign(d["lrs"][k])
            opt.apply([keras.ops.convert_to_tensor(np.asarray(g), dtype=dtype)], [v])
            out.append(np.asarray(v.value))
        return out
    step = jax.jit(opt.stateless_apply)
    ov = [x.value for x in opt.variables]
    tv = [v.value]
    lr_index = [i for i, x in enumerate(opt.variables) if x.path.endswith("learning_rate")][0]
    for k, g in enumerate(d["grads"]):
        ov[lr_index] = jax.numpy.asarray(d["lrs"][k], dtype="float32")
        tv, ov = step(ov, [jax.numpy.asarray(np.asarray(g), dtype=dtype)], tv)
        out.append(np.asarray(tv[0]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--format", choices=list(NP), action="append")
    ap.add_argument("--match", default="", help="only fixtures whose name contains this")
    args = ap.parse_args()
    formats = args.format or list(NP)
    rows = []
    for fmt in formats:
        for path in sorted(glob.glob(os.path.join(ROOT, "fixtures", "replay-" + fmt, "*.json"))):
            if args.match not in os.path.basename(path):
                continue
            d = load(path)
            conv = d["f"]["optimizer"]["convention"]
            runs = []
            if conv == "pytorch":
                runs = [("torch " + i, lambda i=i: run_torch(d, i)) for i in ("single", "foreach", "fused", "mixed")]
            elif conv == "optax":
                runs = [("optax " + m, lambda m=m: run_optax(d, m)) for m in ("eager", "jit-update", "jit")]
            elif conv == "keras":
                runs = [("keras " + m, lambda m=m: run_keras(d, m)) for m in ("eager", "jit")]
            for label, fn in runs:
                try:
                    v = verdict(d, fn())
                except Exception as e:  # a framework that refuses a dtype or option
                    v = "error: %s" % str(e).splitlines()[0][:80]
                rows.append((fmt, d["f"]["name"], label, v))
                print("%-9s %-48s %-18s %s" % rows[-1], flush=True)
    # Per format and run: how many fixtures it reproduces bit for bit under which model.
    print()
    summary = {}
    for fmt, _, label, v in rows:
        s = summary.setdefault((fmt, label), {"runs": 0, "bit-exact": 0, "models": set()})
        s["runs"] += 1
        if v.startswith("bit-exact: "):
            s["bit-exact"] += 1
            s["models"].add(v[len("bit-exact: "):])
    for (fmt, label), s in summary.items():
        print("%-9s %-18s %d/%d bit-exact  (%s)" % (fmt, label, s["bit-exact"], s["runs"], "; ".join(sorted(s["models"]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
