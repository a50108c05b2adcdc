"""Large traces for measuring `check`'s memory (README, "check streams its trace").

    python3 examples/python/big_trace.py FIXTURE OUT.json longest   # the largest valid trace
    python3 examples/python/big_trace.py FIXTURE OUT.json runaway GB  # valid steps, then more, to GB

`longest`: the fixture's fused model, params and state, every value written as its exact decimal
expansion padded with zeros to 2000 characters (a valid trace close to the size limit `check`
derives from the fixture). `runaway`: the same steps in hex bits, then copies of the last step
until the file has GB gigabytes (an implementation that does not stop). Not used by `cargo test`.
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
