"""f32 master weights + bf16 model copy (the usual manual / autocast pattern).

The bf16 gradient is upcast exactly to f32 (master.grad = g.float()), the
f32 optimizer runs (torch.optim.SGD, f32 model of torch_sgd.py), and the
bf16 model copy is refreshed with model.copy_(master) (f32 -> bf16, RNE).
Checks the bf16 copy against RNE and truncation of the emulated master.

usage: python mixed_precision.py [--impl single|foreach|fused]
"""
import argparse
import sys

import ml_dtypes
import numpy as np
import torch

from common import BF16, F32, make_data, mismatches
from torch_sgd import CONFIGS, model_eager


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--impl", default="single", choices=["single", "foreach", "fused"])
    ap.add_argument("--lr", type=float, default=0.1)
    args = ap.parse_args(argv)
    theta0, grads = make_data(BF16, 4096, 10, 0)  # bf16 data (model precision)
    theta0 = theta0.astype(F32)
    for cfg in CONFIGS:
        _, mu, tau, nest, wd, maxi = cfg
        master = torch.nn.Parameter(torch.from_numpy(theta0.copy()))
        model = master.detach().to(torch.bfloat16)
        kw = {"single": dict(foreach=False), "foreach": dict(foreach=True), "fused": dict(fused=True)}[args.impl]
        opt = torch.optim.SGD([master], lr=args.lr, momentum=mu, dampening=tau, nesterov=nest,
                              weight_decay=wd, maximize=maxi, **kw)
        outs = []
        for t in range(10):
            g_bf16 = torch.from_numpy(grads[t].astype(F32)).to(torch.bfloat16)
            master.grad = g_bf16.float()
            opt.step()
            with torch.no_grad():
                model.copy_(master)
            outs.append(model.float().numpy().copy())
        outs = np.array(outs)
        mt, _ = model_eager(F32, cfg, args.lr, theta0, grads.astype(F32))
        rne = mt.astype(BF16).astype(F32)
        trunc = (mt.view(np.uint32) & 0xFFFF0000).view(F32)
        bf_direct, _ = model_eager(BF16, cfg, args.lr, theta0.astype(BF16), grads)
        print(f"{cfg[0]:15s} {args.impl}: RNE(master model) {mismatches(outs, rne, BF16)}  "
              f"truncate {mismatches(outs, trunc, BF16)}  bf16-only optimizer {mismatches(outs, bf_direct, BF16)}  / 40960")


if __name__ == "__main__":
    sys.exit(main())
