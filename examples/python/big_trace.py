"""Large traces for measuring `check`'s memory (README, "check streams its trace").

    python3 examples/python/big_trace.py FIXTURE OUT.json longest   # the largest valid trace
    python3 examples/python/big_trace.py FIXTURE OUT.json runaway GB  # valid steps, then more, to GB
    python3 examples/python/big_trace.py FIXTURE OUT.json padded GB   # valid, GB gigabytes in all

`longest`: the fixture's fused model, params and state, every value written as its exact decimal
expansion padded with zeros to 2000 characters (a valid trace close to the size limit `check`
derives from the fixture). `runaway`: the same steps in hex bits, then copies of the last step
until the file has GB gigabytes (an implementation that does not stop). `padded`: the fused
model's steps in hex bits, each followed by spaces so that the file has GB gigabytes, every step
within `check`'s step limit (64 KiB + (1 + state vectors) × dimension × 2056 bytes): a valid trace
that `check` reads in full; it needs a fixture with enough steps (`cargo run --release --example
long_replay`). Not used by `cargo test`.
"""

import json
import struct
import sys
from decimal import Decimal


def value(bits_hex: str, width: int) -> str:
    x = struct.unpack(">d", bytes.fromhex(bits_hex))[0]
    d = format(Decimal(x), "f")
    if "." not in d:
        d += "."
    return d + "0" * max(0, width - len(d))


def main() -> None:
    fixture, out, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    fx = json.load(open(fixture))
    with open(out, "w") as f:
        f.write('{"steps": [')
        steps = fx["trace"]
        if mode == "longest":
            for k, s in enumerate(steps):
                fused = s["fused"]
                step = {
                    "params": [value(b, 2000) for b in fused["params"]],
                    "state": {n: [value(b, 2000) for b in v] for n, v in fused["state"].items()},
                }
                f.write(("," if k else "") + json.dumps(step))
        elif mode == "padded":
            target = float(sys.argv[4]) * 1e9
            dim = len(steps[0]["fused"]["params"])
            vectors = len(steps[0]["fused"]["state"])
            limit = (64 << 10) + (1 + vectors) * dim * 2056
            for k, s in enumerate(steps):
                fused = s["fused"]
                step = {
                    "params": ["0x" + b for b in fused["params"]],
                    "state": {n: ["0x" + b for b in v] for n, v in fused["state"].items()},
                }
                text = ("," if k else "") + json.dumps(step)
                # The file's share per step, never past the step limit (minus 64 bytes of margin
                # for the separator and the closing brackets).
                pad = min(int(target / len(steps)), limit - 64) - len(text)
                f.write(text + " " * max(0, pad))
        else:
            target = float(sys.argv[4]) * 1e9
            written = 0
            k = 0
            while written < target:
                fused = steps[min(k, len(steps) - 1)]["fused"]
                step = {
                    "params": ["0x" + b for b in fused["params"]],
                    "state": {n: ["0x" + b for b in v] for n, v in fused["state"].items()},
                }
                text = ("," if k else "") + json.dumps(step)
                f.write(text)
                written += len(text)
                k += 1
        f.write("]}\n")


if __name__ == "__main__":
    main()
