"""First N learning-rate values (exact bits) of common schedulers, with
pure-Python / numpy emulations of the arithmetic as evaluated.

PyTorch schedulers are evaluated in Python doubles via the *recursive*
(chainable) get_lr(); the closed forms are shown for comparison.
Optax schedules are evaluated by jnp (float32 unless x64).  Keras
schedules are evaluated by keras.ops in float32 (floatx).

usage: python schedulers.py [--n 10]
"""
import argparse
import math
import os
import struct
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np  # noqa: E402
import torch  # noqa: E402


def hb(x):
    if isinstance(x, (float, np.float64)):
        return struct.pack(">d", float(x)).hex()
    return np.asarray(x).tobytes()[::-1].hex()  # little-endian -> big-endian hex


def torch_lrs(make, n, lr=0.1):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr)
    s = make(opt)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        s.step()
    return out


def emu_recursive(kind, n, lr=0.1):
    out, cur = [], lr
    if kind == "ExponentialLR(gamma=0.9)":
        for k in range(n):
            out.append(cur)
            cur = cur * 0.9
    elif kind == "StepLR(step=3,gamma=0.5)":
        for k in range(n):
            out.append(cur)
            if (k + 1) % 3 == 0:
                cur = cur * 0.5
    elif kind == "MultiStepLR([2,5],0.1)":
        for k in range(n):
            out.append(cur)
            if k + 1 in (2, 5):
                cur = cur * 0.1 ** 1
    elif kind == "CosineAnnealingLR(T_max=10,eta_min=0.001)":
        T, em, base = 10, 0.001, lr
        for e in range(n):
            out.append(cur)
            e1 = e + 1
            if (e1 - 1 - T) % (2 * T) == 0:
                cur = cur + (base - em) * (1 - math.cos(math.pi / T)) / 2
            else:
                cur = (1 + math.cos(math.pi * e1 / T)) / (1 + math.cos(math.pi * (e1 - 1) / T)) * (cur - em) + em
    elif kind == "LinearLR(0.25,1.0,total=4)":
        sf, ef, T = 0.25, 1.0, 4
        cur = lr * sf
        for e in range(n):
            out.append(cur)
            e1 = e + 1
            if e1 <= T:
                cur = cur * (1.0 + (ef - sf) / (T * sf + (e1 - 1) * (ef - sf)))
    return out


def emu_closed(kind, n, lr=0.1):
    if kind == "ExponentialLR(gamma=0.9)":
        return [lr * 0.9 ** k for k in range(n)]
    if kind == "CosineAnnealingLR(T_max=10,eta_min=0.001)":
        return [0.001 + (lr - 0.001) * (1 + math.cos(math.pi * k / 10)) / 2 for k in range(n)]
    if kind == "LinearLR(0.25,1.0,total=4)":
        return [lr * (0.25 + (1.0 - 0.25) * min(4, k) / 4) for k in range(n)]
    if kind == "StepLR(step=3,gamma=0.5)":
        return [lr * 0.5 ** (k // 3) for k in range(n)]
    if kind == "MultiStepLR([2,5],0.1)":
        return [lr * 0.1 ** sum(k >= m for m in (2, 5)) for k in range(n)]
    return None


TORCH = {
    "ExponentialLR(gamma=0.9)": lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.9),
    "StepLR(step=3,gamma=0.5)": lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5),
    "MultiStepLR([2,5],0.1)": lambda o: torch.optim.lr_scheduler.MultiStepLR(o, [2, 5], 0.1),
    "CosineAnnealingLR(T_max=10,eta_min=0.001)": lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 10, 0.001),
    "LinearLR(0.25,1.0,total=4)": lambda o: torch.optim.lr_scheduler.LinearLR(o, 0.25, 1.0, 4),
}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10)
    a = ap.parse_args(argv)
    n = a.n
    print(f"torch {torch.__version__}; lr0 = 0.1")
    for k, mk in TORCH.items():
        got = torch_lrs(mk, n)
        rec = emu_recursive(k, n)
        clo = emu_closed(k, n)
        mr = sum(hb(x) != hb(y) for x, y in zip(got, rec))
        mc = sum(hb(x) != hb(y) for x, y in zip(got, clo))
        print(f"\n{k}: recursive-emulation mismatches {mr}/{n}, closed-form mismatches {mc}/{n}")
        print("  " + " ".join(hb(x) for x in got))
    # SequentialLR: LinearLR warmup 3 then ExponentialLR
    def mkseq(o):
        s1 = torch.optim.lr_scheduler.LinearLR(o, 0.25, 1.0, 3)
        s2 = torch.optim.lr_scheduler.ExponentialLR(o, 0.9)
        return torch.optim.lr_scheduler.SequentialLR(o, [s1, s2], milestones=[3])
    got = torch_lrs(mkseq, n)
    print("\nSequentialLR(LinearLR(0.25,1,3), ExponentialLR(0.9), milestones=[3]):")
    print("  " + " ".join(hb(x) for x in got))
    print("  values", got)

    import jax
    import jax.numpy as jnp
    import optax
    print(f"\noptax {optax.__version__} (jax x64={jax.config.jax_enable_x64})")
    sch = {
        "exponential_decay(0.1, 1, 0.9)": optax.exponential_decay(0.1, 1, 0.9),
        "cosine_decay_schedule(0.1, 10, alpha=0.01)": optax.cosine_decay_schedule(0.1, 10, alpha=0.01),
        "warmup_cosine_decay_schedule(0, 0.1, 3, 10, 0.001)": optax.warmup_cosine_decay_schedule(0.0, 0.1, 3, 10, 0.001),
        "piecewise_constant_schedule(0.1, {2:0.5, 5:0.1})": optax.piecewise_constant_schedule(0.1, {2: 0.5, 5: 0.1}),
    }
    f32 = np.float32
    emu = {
        # init * decay**(count/transition_steps), all float32
        "exponential_decay(0.1, 1, 0.9)": [f32(0.1) * np.power(f32(0.9), f32(c) / f32(1)) for c in range(n)],
    }
    for k, s in sch.items():
        vals = [s(jnp.asarray(c)) for c in range(n)]
        line = " ".join(hb(np.asarray(v)) for v in vals)
        extra = ""
        if k in emu:
            extra = f" numpy-f32-emulation mismatches {sum(hb(np.asarray(v)) != hb(np.asarray(e, f32)) for v, e in zip(vals, emu[k]))}/{n}"
        print(f"\n{k}: dtype {vals[0].dtype}{extra}\n  {line}")

    import keras
    print(f"\nkeras {keras.__version__} floatx {keras.backend.floatx()}")
    ks = {
        "ExponentialDecay(0.1, 1, 0.9)": keras.optimizers.schedules.ExponentialDecay(0.1, 1, 0.9),
        "CosineDecay(0.0, 10, alpha=0.01, warmup_target=0.1, warmup_steps=3)":
            keras.optimizers.schedules.CosineDecay(0.0, 10, alpha=0.01, warmup_target=0.1, warmup_steps=3),
        "PiecewiseConstantDecay([2,5],[0.1,0.05,0.01])":
            keras.optimizers.schedules.PiecewiseConstantDecay([2, 5], [0.1, 0.05, 0.01]),
    }
    for k, s in ks.items():
        vals = [np.asarray(s(c)) for c in range(n)]
        print(f"\n{k}: dtype {vals[0].dtype}\n  " + " ".join(hb(v) for v in vals))


if __name__ == "__main__":
    sys.exit(main())
