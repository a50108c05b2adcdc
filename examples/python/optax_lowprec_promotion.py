#!/usr/bin/env python3
"""Why no stored model reproduces optax.sgd on bfloat16/binary16 parameters (a hand check, not
part of cargo test).

replay_formats.py drives optax.sgd through optax.inject_hyperparams, so the learning rate is a
float32 array, not a weakly typed Python float. Then (optax 0.2.8 sources):

  * optax/_src/transform.py `scale_by_learning_rate` -> `scale(m * learning_rate)`, and `scale`
    computes `step_size * g`: a float32 array times a bf16/f16 array promotes to float32, so the
    update u32 = f32(-lr) * t is a binary32 product, not rounded to storage;
  * optax/_src/update.py `apply_updates`: `jnp.asarray(p + u).astype(p.dtype)`: p + u in
    binary32, rounded to storage once.

The momentum trace t = g + mu*t stays in the storage dtype (mu a weak Python float, c_S(mu)),
every operation computed in binary32 and rounded to storage, with XLA's FTZ+DAZ. This script
emulates that sequence in numpy (float32 operations are correctly rounded, so the emulation is
exact) and compares it with the real runs of every Optax fixture of fixtures/replay-<format>/.

    KERAS_BACKEND=jax .venv/bin/python examples/python/optax_lowprec_promotion.py
"""

import glob
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import replay_formats as R  # noqa: E402

TINY = np.float32(np.finfo(np.float32).tiny)


def ftz(x):
    x = np.float32(x)
    return np.float32(0) if abs(x) < TINY else x


def emulate(d):
    S = R.NP[d["fmt"]]
    theta = d["theta"].astype(S)
    trace = np.zeros_like(theta)
    mu = np.float32(S(np.float32(d["mu"])))
    out = []
    for k, g in enumerate(d["grads"]):
        minus_lr = np.float32(-np.float32(d["lrs"][k]))
        new_t, new_p = [], []
        for i in range(len(theta)):
            gi = np.float32(g[i])

            def accumulate(t):
                return S(ftz(gi + np.float32(S(ftz(mu * np.float32(t))))))

            t = accumulate(trace[i])
            u = accumulate(t) if d["nesterov"] else t
            u32 = ftz(np.float32(u) * minus_lr)
            new_p.append(S(ftz(np.float32(theta[i]) + u32)))
            new_t.append(t)
        trace = np.array(new_t, dtype=S)
        theta = np.array(new_p, dtype=S)
        out.append(theta)
    return out


def main():
    for fmt in ("bfloat16", "binary16"):
        counts = {}
        for path in sorted(glob.glob(os.path.join(R.ROOT, "fixtures", "replay-" + fmt, "*.json"))):
            d = R.load(path)
            if d["f"]["optimizer"]["convention"] != "optax":
                continue
            emu = [R.encode(fmt, p) for p in emulate(d)]
            for mode in ("eager", "jit-update", "jit"):
                real = [R.encode(fmt, p) for p in R.run_optax(d, mode)]
                same = real == emu
                c = counts.setdefault(mode, [0, 0])
                c[0] += same
                c[1] += 1
                print("%-9s %-40s optax %-10s %s" % (fmt, d["f"]["name"], mode,
                                                     "= promotion emulation" if same else "differs"), flush=True)
        for mode, (n, total) in counts.items():
            print("%-9s optax %-10s %d/%d equal to the promotion emulation" % (fmt, mode, n, total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
