"""Drive the real schedulers named by fixtures/schedule/*.json and compare their learning rates
with the fixtures, bit for bit (or within the fixture's libm range where an elementary function
enters the rate). Run by hand; not needed by `cargo test`.

    python examples/python/schedulers.py [--jit] > table.md

PyTorch: the rate of step k is optimizer.param_groups[0]["lr"] after k - 1 calls of
scheduler.step() (each after optimizer.step()). Optax: schedule(count) with count = k - 1 as an
int32 array (what scale_by_schedule passes). Keras: schedule(k - 1), what optimizer.iterations
holds at step k. Prints one Markdown row per fixture.
"""
import argparse
import json
import os
import pathlib
import struct
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2] / "fixtures" / "schedule"


def bits_of(x, dtype):
    if dtype == "float64":
        return struct.pack(">d", float(x)).hex()
    return struct.pack(">f", np.float32(np.asarray(x))).hex()


def torch_rates(name, n):
    import torch
    from torch.optim import lr_scheduler as L

    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    make = {
        "pytorch-steplr": lambda: L.StepLR(opt, step_size=3, gamma=0.5),
        "pytorch-multisteplr": lambda: L.MultiStepLR(opt, milestones=[2, 5], gamma=0.1),
        "pytorch-exponentiallr": lambda: L.ExponentialLR(opt, gamma=0.9),
        "pytorch-exponentiallr-long": lambda: L.ExponentialLR(opt, gamma=0.95),
        "pytorch-cosineannealinglr": lambda: L.CosineAnnealingLR(opt, T_max=10, eta_min=0.001),
        "pytorch-cosineannealinglr-periodic": lambda: L.CosineAnnealingLR(opt, T_max=6, eta_min=0.01),
        "pytorch-linearlr": lambda: L.LinearLR(opt, start_factor=0.25, end_factor=1.0, total_iters=4),
        "pytorch-sequentiallr": lambda: L.SequentialLR(
            opt,
            [L.LinearLR(opt, start_factor=0.25, end_factor=1.0, total_iters=3), L.ExponentialLR(opt, gamma=0.9)],
            milestones=[3],
        ),
    }[name]
    s = make()
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        s.step()
    return out, f"torch {torch.__version__}"


def optax_rates(name, n, jit):
    import jax
    import jax.numpy as jnp
    import optax

    f = {
        "optax-exponential-decay": optax.exponential_decay(init_value=0.1, transition_steps=1, decay_rate=0.9),
        "optax-cosine-decay-schedule": optax.cosine_decay_schedule(init_value=0.1, decay_steps=10, alpha=0.01),
        "optax-warmup-cosine-decay-schedule": optax.warmup_cosine_decay_schedule(
            init_value=0.0, peak_value=0.1, warmup_steps=3, decay_steps=10, end_value=0.001),
        "optax-piecewise-constant-schedule": optax.piecewise_constant_schedule(
            init_value=0.1, boundaries_and_scales={2: 0.5, 5: 0.1}),
    }[name]
    if jit:
        f = jax.jit(f)
    return [f(jnp.asarray(c, dtype=jnp.int32)) for c in range(n)], f"optax {optax.__version__}{' jit' if jit else ''}"


def keras_rates(name, n, jit):
    import keras

    S = keras.optimizers.schedules
    f = {
        "keras-exponential-decay": S.ExponentialDecay(initial_learning_rate=0.1, decay_steps=1, decay_rate=0.9),
        "keras-cosine-decay-warmup": S.CosineDecay(
            initial_learning_rate=0.0, decay_steps=10, alpha=0.01, warmup_target=0.1, warmup_steps=3),
        "keras-piecewise-constant-decay": S.PiecewiseConstantDecay(boundaries=[2, 5], values=[0.1, 0.05, 0.01]),
    }[name]
    if jit:
        import jax
        f = jax.jit(f)
    return [f(c) for c in range(n)], f"keras {keras.__version__}{' jit' if jit else ''}"


def in_range(got_bits, lo_bits, hi_bits, dtype):
    def val(b):
        return struct.unpack(">d" if dtype == "float64" else ">f", bytes.fromhex(b))[0]
    return val(lo_bits) <= val(got_bits) <= val(hi_bits)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--jit", action="store_true", help="jit the Optax and Keras schedules")
    a = ap.parse_args(argv)
    print("| fixture | library | rates | bit-exact | within libm range | differs | largest deviation (ulps) |")
    print("|---|---|---|---|---|---|---|")
    failed = 0
    for path in sorted(ROOT.glob("*.json")):
        fx = json.loads(path.read_text())
        name, n, dtype = fx["name"], fx["steps"], fx["dtype"]
        try:
            if fx["framework"] == "pytorch":
                got, lib = torch_rates(name, n)
            elif fx["framework"] == "optax":
                got, lib = optax_rates(name, n, a.jit)
            else:
                got, lib = keras_rates(name, n, a.jit)
        except ImportError as e:
            print(f"| {name} | not installed ({e.name}) | | | | | |")
            continue
        exact = within = differs = 0
        worst = 0
        for r, g in zip(fx["learning_rates"], got):
            gb = bits_of(g, dtype)
            if gb == r["bits"]:
                exact += 1
            elif r["libm"] and in_range(gb, r["min_bits"], r["max_bits"], dtype):
                within += 1
                worst = max(worst, abs(int(gb, 16) - int(r["bits"], 16)))
            else:
                differs += 1
                worst = max(worst, abs(int(gb, 16) - int(r["bits"], 16)))
                print(f"  {name} k={r['k']}: library {gb}, fixture {r['bits']}", file=sys.stderr)
        failed += differs
        print(f"| {name} | {lib} | {n} | {exact} | {within} | {differs} | {worst} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
