"""Writes numeric duals (cvxpy + Clarabel, Python) of the crate's PEP for each exported table as
fixtures/pep/numeric/<name>.json: the input of the crate's exact repair (src/pep/repair.rs)."""
import sys
import cvxpy, clarabel
from pep_common import load, solve, dual_doc, write_json

out = sys.argv[1]
names = sys.argv[2:]
for name in names:
    h = load(f"tables/{name}.json")
    val, tau, lam, _, _ = solve(h)
    doc = dual_doc(f"cvxpy {cvxpy.__version__} + Clarabel {clarabel.__version__} (Python), tolerances 1e-12, "
                   "on the PEP of the crate's step table (research-pep/duals.py)",
                   name, len(h) - 1, tau, lam)
    write_json(f"{out}/{name}.json", doc)
    print(name, val, tau)
