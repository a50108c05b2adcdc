#!/usr/bin/env python3
"""Optax on bfloat16/binary16 parameters, run for real and explained (a hand check, not part of
cargo test).

Two ways people drive optax.sgd, on every Optax fixture of fixtures/replay-bfloat16/ and
fixtures/replay-binary16/, eagerly, with `update` jitted, and with update + apply_updates jitted:

1. A binary32 learning rate: replay_formats.py's run (optax.inject_hyperparams, the learning rate
   a float32 array set before each step), which is also what any optax schedule gives. JAX
   promotes float32 x bfloat16 to float32 (optax/_src/transform.py `scale`: `step_size * g`), and
   optax/_src/update.py `apply_updates` adds in binary32 and rounds once. Under jit, XLA:CPU
   computes bfloat16 in binary32 and, allowed excess precision, drops the rounding of the sum
   that meets the learning rate; binary16 keeps every rounding (the optimised HLO, printed by
   --hlo, shows both). `emulate` below is that sequence in exact rationals with x86 FTZ+DAZ
   (signed zeros kept), written from the HLO independently of the crate; the crate's model is
   `Model::promotes_update` (src/optim/kernel/mod.rs). With OUTDIR the real traces are written
   for `check`, which passes each as `optax <kernel> in <format> with its learning rate a
   binary32 array ...` (accepted):

       KERAS_BACKEND=jax .venv/bin/python examples/python/optax_lowprec.py /tmp/optax-lowprec
       cargo run --release -- check fixtures/replay-bfloat16/optax-trace.json \\
           /tmp/optax-lowprec/bfloat16-jit-optax-trace.json

2. A constant Python-float learning rate (optax.sgd(lr) rebuilt each step with that step's
   rate, the trace carried over): weakly typed, converted to the parameters' dtype, no
   promotion. Compared with the models the fixture stores (replay_formats.verdict).

Exits 1 if a real run differs from the emulation or nothing was compared.
"""

import glob
import json
import os
import sys
from fractions import Fraction as Q

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import replay_formats as R  # noqa: E402

TINY = Q(2) ** -126


def r32(q):
    """Round a rational to binary32, nearest-even, gradual underflow (no overflow here)."""
    if q == 0:
        return 0.0
    a = abs(q)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    while a >= Q(2) ** (e + 1):
        e += 1
    while a < Q(2) ** e:
        e -= 1
    quantum = Q(2) ** max(e - 23, -149)
    m = a / quantum
    n = m.numerator // m.denominator
    rest = m - n
    if rest > Q(1, 2) or (rest == Q(1, 2) and n % 2 == 1):
        n += 1
    return float((1 if q > 0 else -1) * n * quantum)


def flush(x):
    """x86 DAZ on an operand, FTZ on a result: a binary32-subnormal becomes a zero of its sign."""
    return float(np.copysign(0.0, x)) if x != 0 and abs(Q(x)) < TINY else x


def op(exact, *xs):
    """One binary32 operation under FTZ+DAZ; an exact zero takes IEEE's sign (from numpy)."""
    xs = [flush(x) for x in xs]
    q = exact(*[Q(x) for x in xs])
    if q == 0:
        return float(exact(*[np.float32(x) for x in xs]))
    return flush(r32(q))


add = lambda a, b: op(lambda x, y: x + y, a, b)
mul = lambda a, b: op(lambda x, y: x * y, a, b)
fma = lambda a, b, c: op(lambda x, y, z: x * y + z, a, b, c)


def emulate(d, mode):
    fmt = d["fmt"]
    st = lambda x: float(R.NP[fmt](np.float32(x)))
    excess = fmt == "bfloat16" and mode != "eager"
    theta = [st(x) for x in d["theta"]]
    trace = [0.0] * len(theta)
    mu = st(np.float32(d["mu"]))
    out = []
    for k, g in enumerate(d["grads"]):
        minus_lr = -float(np.float32(d["lrs"][k]))
        for i in range(len(theta)):
            gi = st(g[i])
            s = lambda t: add(gi, st(mul(mu, t)))
            unrounded = s(trace[i])
            trace[i] = st(unrounded)
            if d["nesterov"]:
                u = s(trace[i]) if excess else st(s(trace[i]))
            else:
                u = unrounded if excess else trace[i]
            if mode == "jit":
                theta[i] = st(fma(minus_lr, u, theta[i]))
            else:
                theta[i] = st(add(theta[i], mul(minus_lr, u)))
        out.append(list(theta))
    return out


def run_constant(d, mode):
    import jax
    import jax.numpy as jnp
    import optax

    dt = jnp.dtype(R.NP[d["fmt"]])
    p = jnp.asarray(d["theta"], dtype=dt)
    make = lambda lr: optax.sgd(learning_rate=lr, momentum=d["mu"] or None, nesterov=d["nesterov"])
    state = make(d["lrs"][0]).init(p)
    out = []
    for k, g in enumerate(d["grads"]):
        opt = make(float(d["lrs"][k]))
        g = jnp.asarray(g, dtype=dt)
        if mode == "jit":
            def both(g, s, p):
                u, s = opt.update(g, s, p)
                return optax.apply_updates(p, u), s
            p, state = jax.jit(both)(g, state, p)
        else:
            update = jax.jit(opt.update) if mode == "jit-update" else opt.update
            u, state = update(g, state, p)
            p = optax.apply_updates(p, u)
        out.append(np.asarray(p))
    return out


def hlo(fmt):
    import jax
    import jax.numpy as jnp
    import optax

    dt = jnp.dtype(R.NP[fmt])
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=0.1, momentum=0.9, nesterov=True)
    p = jnp.ones(32, dt)
    s = opt.init(p)
    s.hyperparams["learning_rate"] = jnp.asarray(0.1, jnp.float32)

    def both(g, s, p):
        u, s = opt.update(g, s, p)
        return optax.apply_updates(p, u), s

    text = jax.jit(both).lower(p, s, p).compile().as_text()
    print("\n".join(l.split(", metadata=")[0] for l in text.splitlines() if "fused_computation" in l or "= " in l))


def main(argv):
    if argv and argv[0] == "--hlo":
        for fmt in ("bfloat16", "binary16"):
            hlo(fmt)
        return 0
    out = argv[0] if argv else None
    if out:
        os.makedirs(out, exist_ok=True)
    compared = failed = 0
    constant = {}
    for fmt in ("bfloat16", "binary16"):
        for path in sorted(glob.glob(os.path.join(R.ROOT, "fixtures", "replay-" + fmt, "*.json"))):
            d = R.load(path)
            if d["f"]["optimizer"]["convention"] != "optax":
                continue
            name = d["f"]["name"]
            for mode in ("eager", "jit-update", "jit"):
                real = [R.encode(fmt, p) for p in R.run_optax(d, mode)]
                same = real == [R.encode(fmt, p) for p in emulate(d, mode)]
                compared += 1
                failed += not same
                print("%-9s %-36s %-10s binary32 learning rate: %s" % (
                    fmt, name, mode, "= emulation" if same else "DIFFERS from the emulation"), flush=True)
                if out:
                    steps = [{"params": [float(x) for x in R.decode(fmt, row)]} for row in real]
                    with open(os.path.join(out, "%s-%s-%s.json" % (fmt, mode, name)), "w") as fh:
                        json.dump({"steps": steps}, fh)
                v = R.verdict(d, run_constant(d, mode))
                print("%-9s %-36s %-10s constant learning rate: %s" % (fmt, name, mode, v), flush=True)
                key = (fmt, mode, v)
                constant[key] = constant.get(key, 0) + 1
    print()
    print("binary32 learning rate: %d of %d runs equal to the emulation" % (compared - failed, compared))
    for (fmt, mode, v), n in sorted(constant.items()):
        print("constant learning rate: %-9s %-10s %2d x %s" % (fmt, mode, n, v))
    if compared == 0:
        print("no verdict: no Optax fixture found under", os.path.join(R.ROOT, "fixtures"))
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
