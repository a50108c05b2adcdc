"""PyTorch's scalar tail, element by element, against the crate's PyTorch models.

PyTorch's CPU kernels run a `Vectorized` body and a scalar loop for the last elements of a
tensor (pytorch `aten/src/ATen/native/cpu/Loops.h` `vectorized_loop`: the last
`numel mod 2·Vectorized::size()` elements through `basic_loop`; `FusedSGDKernel.cpp` `sgd_math`:
the last `numel mod Vectorized::size()` through its scalar `for`). This script runs
`torch.optim.SGD` (foreach=False, foreach=True, fused=True) on float32, bfloat16 and float16
tensors of 1, 7, 31, 33, 47 elements (all tail or body + tail on AVX-512 and AVX2: 16 or 8
binary32, 32 or 16 bfloat16/binary16 lanes) for four configurations (momentum; nesterov + weight decay;
dampening + weight decay; weight decay without momentum; PyTorch refuses nesterov with
dampening), three steps each, with random
normal inputs (whose products are inexact, so that an FMA and a rounded product + sum differ),
one thread. The crate's predictions come from `cargo run --release --example torch_tail_model`:
`vector` (every element on the vector body's model, `kernel::run`) and `tensor` (the tail on the
scalar path, `kernel::run_tensor` with the `Capability` torch reports: AVX512 or AVX2). Printed per (format, kernel,
configuration): mismatching values of body and tail elements under each prediction.

Run by hand (not part of `cargo test`):

    /work/research/.venv/bin/python examples/python/torch_tail.py [--trials 20]
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DTYPES = {"binary32": torch.float32, "bfloat16": torch.bfloat16, "binary16": torch.float16}
INT = {"binary32": torch.int32, "bfloat16": torch.int16, "binary16": torch.int16}
MASK = {"binary32": 0xFFFFFFFF, "bfloat16": 0xFFFF, "binary16": 0xFFFF}
KERNELS = {"single": dict(foreach=False), "foreach": dict(foreach=True), "fused": dict(fused=True)}
CONFIGS = {
    "momentum": dict(momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False),
    "nesterov+wd": dict(momentum=0.9, dampening=0.0, weight_decay=0.01, nesterov=True),
    "damp+wd": dict(momentum=0.9, dampening=0.1, weight_decay=0.01, nesterov=False),
    "wd, no momentum": dict(momentum=0.0, dampening=0.0, weight_decay=0.01, nesterov=False),
}
SIZES = (1, 7, 31, 33, 47)
STEPS = 3
LR = 0.1


def bits(t, fmt):
    return [int(v) & MASK[fmt] for v in t.detach().view(INT[fmt]).tolist()]


def from_bits(b, fmt):
    ints = torch.tensor([v if v < (MASK[fmt] + 1) // 2 else v - MASK[fmt] - 1 for v in b],
                        dtype=INT[fmt])
    return ints.view(DTYPES[fmt])


def torch_run(fmt, kernel, cfg, initial, grads):
    p = torch.nn.Parameter(from_bits(initial, fmt).clone())
    opt = torch.optim.SGD([p], lr=LR, **cfg, **KERNELS[kernel])
    out = []
    for g in grads:
        p.grad = from_bits(g, fmt).clone()
        opt.step()
        st = opt.state[p].get("momentum_buffer")
        out.append({"params": bits(p, fmt), "state": None if st is None else bits(st, fmt)})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--formats", default=",".join(DTYPES))
    ap.add_argument("--kernels", default=",".join(KERNELS))
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}  cpu capability {torch.backends.cpu.get_cpu_capability()}"
          f"  threads {torch.get_num_threads()}  trials {args.trials}  steps {STEPS}")
    capability = torch.backends.cpu.get_cpu_capability()
    width = {"AVX512": 512, "AVX2": 256}[capability]
    rng = np.random.default_rng(15)
    cases, runs = [], []
    for fmt in args.formats.split(","):
        for kernel in args.kernels.split(","):
            for cname, cfg in CONFIGS.items():
                for n in SIZES:
                    for _ in range(args.trials):
                        mk = lambda: bits(torch.from_numpy(rng.standard_normal(n)).to(DTYPES[fmt]), fmt)
                        initial, grads = mk(), [mk() for _ in range(STEPS)]
                        cases.append(dict(kernel=kernel, storage=fmt, lr=LR, initial=initial,
                                          gradients=grads, capability=capability, **cfg))
                        runs.append((fmt, kernel, cname, n, torch_run(fmt, kernel, cfg, initial, grads)))
    env = dict(os.environ)
    res = subprocess.run(
        ["cargo", "run", "--quiet", "--release", "--example", "torch_tail_model"],
        input="\n".join(json.dumps(c) for c in cases) + "\n", capture_output=True, text=True,
        cwd=ROOT, env=env, check=True)
    preds = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(preds) == len(runs)
    # (fmt, kernel, config) -> per prediction: [body mismatches, body values, tail mismatches, tail values]
    table = {}
    per_pos = {}
    for (fmt, kernel, cname, n, real), pred in zip(runs, preds):
        for which in ("vector", "tensor"):
            row = table.setdefault((fmt, kernel, cname), {}).setdefault(which, [0, 0, 0, 0])
            # The body as kernel::path_of has it (fused on AVX-512: its 256-bit epilogue counted
            # as tail here).
            lanes = width // (32 if fmt == "binary32" else 16)
            period = 2 * width // 32 if fmt == "binary32" else 32
            body = n - n % lanes if kernel == "fused" else n - n % period
            for k in range(STEPS):
                for key in ("params", "state"):
                    r, m = real[k][key], pred[which][k][key]
                    if r is None and m is None:
                        continue
                    if (r is None) != (m is None):
                        # One side has a momentum buffer and the other none: a mismatch of
                        # every element, not a case to skip.
                        row[1] += n
                        row[0] += n
                        continue
                    for i in range(n):
                        tail = i >= body
                        row[2 * tail + 1] += 1
                        bad = r[i] != m[i]
                        row[2 * tail] += bad
                        if bad:
                            per_pos.setdefault((which, fmt, kernel, cname, n), set()).add(i)
    print("format | kernel | config | vector model: body, tail mismatches/values "
          "| tensor model (scalar tail): body, tail")
    total, compared = 0, 0
    for (fmt, kernel, cname), row in table.items():
        v, t = row["vector"], row["tensor"]
        total += t[0] + t[2]
        compared += t[1] + t[3]
        print(f"{fmt} | {kernel} | {cname} | {v[0]}/{v[1]}, {v[2]}/{v[3]} | {t[0]}/{t[1]}, {t[2]}/{t[3]}")
    for key, pos in sorted(per_pos.items()):
        print("mismatch positions", key, sorted(pos))
    print(f"tensor model: {total} mismatching values of {compared} compared")
    if compared == 0:
        print("nothing was compared (no format, kernel or trial selected): no verdict")
        return 1
    return 0 if total == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
