#!/usr/bin/env python3
"""Write the traces of Keras 3 in its default configuration (floatx float32) on the binary64
Keras replay fixtures, for `check`: float64 variables (JAX_ENABLE_X64), jitted stateless_apply as
model.fit runs it. Run by hand:

    KERAS_BACKEND=jax JAX_ENABLE_X64=1 .venv/bin/python examples/python/keras_f64_traces.py OUTDIR
    cargo run --release -- check fixtures/replay/keras-momentum.json OUTDIR/keras-momentum.json

`check` then says `PASS bit-exact: keras jit in binary64 with its learning rate rounded to
binary32` (README, "Low precision").
"""

import glob
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


def f64(v):
    return float(np.uint64(int(v["bits"], 16)).view(np.float64))


def main(out):
    import jax
    import keras

    os.makedirs(out, exist_ok=True)
    for path in sorted(glob.glob(os.path.join(ROOT, "fixtures", "replay", "keras-*.json"))):
        f = json.load(open(path))
        hp = f["optimizer"]["hyperparameters"]
        theta = np.array([f64(v) for v in f["initial_params"]])
        v = keras.Variable(theta, dtype="float64")
        lrs = [f64(x) for x in f["schedule"]["learning_rates"]]
        opt = keras.optimizers.SGD(learning_rate=lrs[0], momentum=f64(hp["momentum"]) if "momentum" in hp else 0.0,
                                   nesterov=bool(hp.get("nesterov", False)),
                                   weight_decay=f64(hp["weight_decay"]) if "weight_decay" in hp else None)
        opt.build([v])
        step = jax.jit(opt.stateless_apply)
        ov = [x.value for x in opt.variables]
        lr_index = [i for i, x in enumerate(opt.variables) if x.path.endswith("learning_rate")][0]
        tv = [v.value]
        steps = []
        for k, g in enumerate(f["gradients"]):
            ov[lr_index] = jax.numpy.asarray(lrs[k], dtype=ov[lr_index].dtype)
            tv, ov = step(ov, [jax.numpy.asarray(np.array([f64(x) for x in g]), dtype="float64")], tv)
            p = np.asarray(tv[0], dtype=np.float64)
            steps.append({"params": ["0x%016x" % int(x) for x in p.view(np.uint64)]})
        name = os.path.basename(path)
        json.dump({"steps": steps}, open(os.path.join(out, name), "w"))
        print("wrote", os.path.join(out, name), "learning_rate dtype", ov[lr_index].dtype)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/keras-f64-traces"))
