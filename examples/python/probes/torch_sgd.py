"""Bit-exact emulation of PyTorch CPU torch.optim.SGD (momentum) in numpy.

Runs torch.optim.SGD (foreach=False / foreach=True / fused=True) on the same
mixed test data as numpy/ml_dtypes candidate models and counts, over all
steps x elements, how many parameter and momentum-buffer values differ
bit-wise from each model.

usage: python torch_sgd.py [--dtypes float32 bfloat16 float16 float64]
                           [--n 4096] [--steps 10] [--lr 0.1] [--seed 0]
"""
from __future__ import annotations

import argparse
import itertools
import sys

import numpy as np
import torch

from common import (BF16, DTYPES, F16, F32, F64, add, const_to, fma, fmt_table,
                    make_data, mismatches, mul, to_storage)

TORCH_DT = {F32: torch.float32, BF16: torch.bfloat16, F16: torch.float16, F64: torch.float64}

CONFIGS = [
    # name, momentum, dampening, nesterov, weight_decay, maximize
    ("plain", 0.9, 0.0, False, 0.0, False),
    ("damp+wd", 0.9, 0.1, False, 0.01, False),
    ("nesterov+wd", 0.9, 0.0, True, 0.01, False),
    ("damp+wd+max", 0.9, 0.1, False, 0.01, True),
    ("nest+wd+max", 0.9, 0.0, True, 0.01, True),
    ("no-momentum+wd", 0.0, 0.0, False, 0.01, False),
]


def run_torch(dt, impl, cfg, lr, theta0, grads):
    _, mu, tau, nest, wd, maxi = cfg
    tdt = TORCH_DT[dt]
    p = torch.nn.Parameter(torch.from_numpy(np.array(theta0, F64 if dt is F64 else F32)).to(tdt).clone())
    kw = dict(foreach=False)
    if impl == "foreach":
        kw = dict(foreach=True)
    elif impl == "fused":
        kw = dict(fused=True)
    opt = torch.optim.SGD([p], lr=lr, momentum=mu, dampening=tau, nesterov=nest,
                          weight_decay=wd, maximize=maxi, **kw)
    th, bs = [], []
    for t in range(grads.shape[0]):
        p.grad = torch.from_numpy(np.array(grads[t], F64 if dt is F64 else F32)).to(tdt).clone()
        opt.step()
        cast = torch.float64 if dt is F64 else torch.float32
        th.append(p.detach().to(cast).numpy().copy())
        st = opt.state[p].get("momentum_buffer")
        bs.append(st.detach().to(cast).numpy().copy() if st is not None else np.zeros_like(th[-1]))
    return np.array(th), np.array(bs)


# ------------------------------------------------------------------ models
def model_eager(dt, cfg, lr, theta0, grads, *, use_fma=True, alpha_storage=True,
                mul_storage=False, scalar_path=False):
    """torch single-tensor / foreach on CPU: one ATen kernel per op, each
    result rounded to storage; add(x, alpha) = fma(other, alpha, self) in
    opmath (f32 for f32/bf16/f16, f64 for f64) with alpha = alpha.to<scalar_t>()
    (the ufunc codegen converts Scalars to scalar_t); mul by a Python scalar
    uses opmath (iter.original_scalar_value<opmath_t>) for bf16/f16."""
    _, mu, tau, nest, wd, maxi = cfg
    R = lambda x: to_storage(x, dt)
    work = F64 if dt is F64 else F32
    ca = (lambda v: const_to(v, dt)) if alpha_storage else (lambda v: work(v))
    cm = (lambda v: const_to(v, dt)) if mul_storage else (lambda v: work(v))

    def addalpha(self, other, alpha):  # self + alpha*other
        if scalar_path:  # c10::BFloat16/Half operators: round after * and after +
            return R(add(self, R(mul(other, ca(alpha), dt)), dt))
        if use_fma:
            return R(fma(other, ca(alpha), self, dt))
        return R(add(self, mul(other, ca(alpha), dt), dt))

    th = R(np.asarray(theta0, work))
    b = None
    out_t, out_b = [], []
    for t in range(grads.shape[0]):
        g = np.asarray(grads[t], work)
        if maxi:
            g = -g
        if wd != 0:
            g = addalpha(g, th, wd)
        if mu != 0:
            if b is None:
                b = g.copy()
            else:
                b = R(mul(b, cm(mu), dt))
                b = addalpha(b, g, 1 - tau)
            g = addalpha(g, b, mu) if nest else b
        th = addalpha(th, g, -lr)
        out_t.append(th)
        out_b.append(b if b is not None else np.zeros_like(th))
    return np.array(out_t), np.array(out_b)


def model_fused(dt, cfg, lr, theta0, grads, *, consts_storage=False, param_fma=False,
                wd_fma=True, mom_fma=True, nest_fma=True, mom_tail=False):
    """torch _fused_sgd_ CPU vector path (FusedSGDKernel.cpp sgd_math):
    everything in opmath (f32 for bf16/f16), constants scalar_t(x) (i.e.
    rounded to the storage format, then widened), momentum buffer rounded
    when stored, the unrounded f32 buffer used for the update, param rounded
    once at the end: param + grad * scalar_t(-lr)."""
    _, mu, tau, nest, wd, maxi = cfg
    R = lambda x: to_storage(x, dt)
    work = F64 if dt is F64 else F32
    c = (lambda v: const_to(v, dt)) if consts_storage else (lambda v: work(v))
    th = R(np.asarray(theta0, work))
    b = None
    out_t, out_b = [], []
    for t in range(grads.shape[0]):
        g = np.asarray(grads[t], work)
        if maxi:
            g = -g
        if wd != 0:
            g = fma(th, c(wd), g, dt) if wd_fma else add(g, mul(th, c(wd), dt), dt)
        if mu != 0:
            if b is None:
                bf = g.copy()
            else:
                bm = mul(b, c(mu), dt)
                if mom_tail:  # b*mu + g*(1-tau) contracted as fma(b, mu, round(g*(1-tau)))
                    bf = fma(b, c(mu), mul(g, c(1 - tau), dt), dt)
                else:
                    bf = fma(c(1 - tau), g, bm, dt) if mom_fma else add(bm, mul(g, c(1 - tau), dt), dt)
            b = R(bf)
            if nest:
                g = fma(bf, c(mu), g, dt) if nest_fma else add(g, mul(bf, c(mu), dt), dt)
            else:
                g = bf
        if param_fma:
            th = R(fma(g, c(-lr), th, dt))
        else:
            th = R(add(th, mul(g, c(-lr), dt), dt))
        out_t.append(th)
        out_b.append(b if b is not None else np.zeros_like(th))
    return np.array(out_t), np.array(out_b)


MODELS = {
    "eager": lambda *a: model_eager(*a),
    "eager/no-fma": lambda *a: model_eager(*a, use_fma=False),
    "eager/alpha-f32": lambda *a: model_eager(*a, alpha_storage=False),
    "eager/mul-scalar-in-storage": lambda *a: model_eager(*a, mul_storage=True),
    "foreach": lambda *a: model_eager(*a, mul_storage=True),
    "eager/scalar-path": lambda *a: model_eager(*a, scalar_path=True),
    "foreach/scalar-path": lambda *a: model_eager(*a, scalar_path=True, mul_storage=True),
    "fused": lambda *a: model_fused(*a),
    "fused/no-fma": lambda *a: model_fused(*a, wd_fma=False, mom_fma=False, nest_fma=False),
    "fused/tail-f32": lambda *a: model_fused(*a, param_fma=True, mom_tail=True),
    "fused/param-fma": lambda *a: model_fused(*a, param_fma=True),
    "fused/consts-storage": lambda *a: model_fused(*a, consts_storage=True),
    "fused/wd-no-fma": lambda *a: model_fused(*a, wd_fma=False),
    "fused/mom-no-fma": lambda *a: model_fused(*a, mom_fma=False),
    "fused/nest-no-fma": lambda *a: model_fused(*a, nest_fma=False),
}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dtypes", nargs="+", default=["float32", "bfloat16", "float16", "float64"])
    ap.add_argument("--impls", nargs="+", default=["single", "foreach", "fused"])
    ap.add_argument("--models", nargs="+", default=list(MODELS))
    ap.add_argument("--configs", nargs="+", default=[c[0] for c in CONFIGS])
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tail", type=int, default=0,
                    help="report mismatches only over the last TAIL elements (vector-loop remainder)")
    args = ap.parse_args(argv)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}  cpu capability {torch.backends.cpu.get_cpu_capability()}  "
          f"threads {torch.get_num_threads()}")
    rows = []
    for dname in args.dtypes:
        dt = DTYPES[dname]
        theta0, grads = make_data(dt, args.n, args.steps, args.seed)
        sl = slice(args.n - args.tail, args.n) if args.tail else slice(None)
        for cfg in [c for c in CONFIGS if c[0] in args.configs]:
            cache = {}
            for m in args.models:
                cache[m] = MODELS[m](dt, cfg, args.lr, theta0, grads)
            for impl in args.impls:
                tt, tb = run_torch(dt, impl, cfg, args.lr, theta0, grads)
                row = [dname, cfg[0], impl]
                for m in args.models:
                    mt, mb = cache[m]
                    row.append(f"{mismatches(tt[:, sl], mt[:, sl], dt)}/{mismatches(tb[:, sl], mb[:, sl], dt)}")
                rows.append(row)
                print(" | ".join(row), flush=True)
    total = args.steps * (args.tail or args.n)
    print(f"\nmismatches param/buffer over {total} values each (steps x elements)\n")
    print(fmt_table(rows, ["dtype", "config", "impl"] + args.models))


if __name__ == "__main__":
    sys.exit(main())
