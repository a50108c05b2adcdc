"""A strictly feasible dual point of the crate's PEP (smooth convex, f(x_N) - f*): maximise the
margin t of the gradient block, S - t diag(0, 1, ..., 1) >= 0, with tau <= 2 tau_numeric. Mixed
with the optimal dual in a small proportion, it restores a positive-definite gradient block
after rounding (src/pep/repair.rs, `repair_with_interior`)."""
import json, sys
import clarabel
from pep_common import load, interior, interior_doc, write_json

out = sys.argv[1]
for name in sys.argv[2:]:
    h = load(f"tables/{name}.json")
    dual = json.load(open(f"{out}/{name}.json"))
    cap = 2 * float(dual["bound"])
    t, tau, lam = interior(h, cap)
    doc = interior_doc(f"interior point: max margin t of the gradient block, tau <= {cap!r}, lambda <= 10; "
                       f"cvxpy + Clarabel {clarabel.__version__} (Python), research-pep/interior.py; t = {t!r}",
                       name, len(h) - 1, tau, lam)
    write_json(f"{out}/{name}.interior.json", doc)
    print(name, "margin", t, "tau", tau)
