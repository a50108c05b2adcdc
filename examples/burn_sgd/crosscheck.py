"""Independent cross-check of the burn traces, without the oracle (python3, standard library only).

For every trace in TRACE_DIR (default /tmp/burn-traces, and its maximize-negated/), recompute the run from the fixture
with PyTorch's update order, binary32-rounded momentum and weight decay (burn's f32 fields),
binary64 dampening and learning rate, in two arithmetics:
  no-fma: every multiply and add rounded to binary64 (what burn-ndarray's separate ops do);
  fma:    torch's binary64 kernel (docs/research/frameworks.md §1), to show the fixtures tell them apart.
Prints, per model, how many traces it reproduces bit for bit; exits 1 when there is no trace to
compare (nothing checked is not a result) or when the no-fma model misses one.  Run from anywhere:
  python3 examples/burn_sgd/crosscheck.py [TRACE_DIR]
"""
import glob, json, math, os, struct, sys
from fractions import Fraction

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "replay")
TRACES = sys.argv[1] if len(sys.argv) > 1 else "/tmp/burn-traces"

def f64(b): return struct.unpack(">d", bytes.fromhex(b))[0]
def f32(x): return struct.unpack("f", struct.pack("f", x))[0]
def hexbits(x): return "0x%016x" % struct.unpack(">Q", struct.pack(">d", x))[0]

def fma(a, b, c):
    if not all(map(math.isfinite, (a, b, c))):
        return a * b + c
    r = Fraction(a) * Fraction(b) + Fraction(c)
    try:
        return float(r)  # int/int division: correctly rounded, subnormals included
    except OverflowError:
        return math.copysign(math.inf, r)

def run(fx, negate, use_fma):
    hp = fx["optimizer"]["hyperparameters"]
    num = lambda k: f64(hp[k]["bits"]) if k in hp else 0.0
    mu, tau, lam = f32(num("momentum")), num("dampening"), f32(num("weight_decay"))
    nesterov = hp.get("nesterov", False)
    madd = fma if use_fma else (lambda a, b, c: a * b + c)  # Python: a*b rounded, then + rounded
    th = [f64(v["bits"]) for v in fx["initial_params"]]
    lrs = [f64(v["bits"]) for v in fx["schedule"]["learning_rates"]]
    v, out = None, []
    for grads, lr in zip(fx["gradients"], lrs):
        g = [(-1.0 if negate else 1.0) * f64(x["bits"]) for x in grads]
        if lam != 0:
            g = [madd(t, lam, gi) for t, gi in zip(th, g)]
        if mu != 0:
            v = list(g) if v is None else [madd(gi, 1.0 - tau, vi * mu) for gi, vi in zip(g, v)]
            g = [madd(vi, mu, gi) for vi, gi in zip(v, g)] if nesterov else list(v)
        th = [madd(gi, -lr, t) for t, gi in zip(th, g)]
        out.append([hexbits(t) for t in th])
    return out

traces = sorted(glob.glob(TRACES + "/*.json") + glob.glob(TRACES + "/maximize-negated/*.json"))
if not traces:
    sys.exit(f"no burn traces under {TRACES}: nothing compared (run burn_sgd first)")
reproduced = {}
for use_fma in (False, True):
    same = 0
    for tr in traces:
        fx = json.load(open(os.path.join(FIXTURES, os.path.basename(tr))))
        got = [s["params"] for s in json.load(open(tr))["steps"]]
        same += got == run(fx, "maximize-negated" in tr, use_fma)
    reproduced[use_fma] = same
    print(f"{'fma' if use_fma else 'no-fma'} model, binary32 momentum/weight decay: "
          f"reproduces {same} of {len(traces)} burn traces bit for bit")
sys.exit(0 if reproduced[False] == len(traces) else 1)
