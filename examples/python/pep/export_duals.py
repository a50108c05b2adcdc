"""Writes numeric duals (cvxpy + Clarabel, Python) of the crate's PEP for each exported table as
fixtures/pep/numeric/<name>.json: the input of the crate's exact repair (src/pep/repair.rs)."""
import json, sys, platform
import cvxpy, clarabel
from duals import load, solve

out = sys.argv[1]
names = sys.argv[2:]
for name in names:
    h = load(f"tables/{name}.json")
    val, tau, lam = solve(h)
    doc = {
        "schema": "momentum-oracle/pep-numeric-dual/1",
        "source": f"cvxpy {cvxpy.__version__} + Clarabel {clarabel.__version__} (Python), tolerances 1e-12, "
                  "on the PEP of the crate's step table (research-pep/duals.py)",
        "method": name,
        "steps": len(h) - 1,
        "bound": repr(tau),
        "multipliers": [
            {"i": "*" if i is None else str(i), "j": "*" if j is None else str(j), "value": repr(v)}
            for (i, j), v in lam
        ],
    }
    with open(f"{out}/{name}.json", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(name, val, tau)
