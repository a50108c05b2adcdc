"""Writes a numeric dual *and primal* (cvxpy + Clarabel, Python) of the crate's PEP for each
exported table as <out>/<name>.primal.json: the dual (tau, lambda) as export_duals.py writes it,
plus the primal worst case -- `gram`, the (N + 2) x (N + 2) Gram matrix of [x0 - x*, g0, ..., gN],
and `values`, f(p_k) - f* for k = 0..N -- which theory::pep::worst turns into exact interpolation
data (read by repair::read_numeric_primal). Not part of the build; run from a directory holding
tables/<name>.json (PEP_EXPORT_DIR=<dir>/tables cargo test --release --test it -- --ignored
pep::export):

    python export_primal.py OUT_DIR ogm-n1 ogm-n2 ogm-n5 ogm-n10
"""
import sys
import cvxpy as cp
import clarabel
from pep_common import load, solve, dual_doc, write_json


out = sys.argv[1]
for name in sys.argv[2:]:
    h = load(f"tables/{name}.json")
    val, tau, lam, gram, values = solve(h)
    gram = (gram + gram.T) / 2
    doc = dual_doc(f"cvxpy {cp.__version__} + Clarabel {clarabel.__version__} (Python), tolerances 1e-12, "
                   "on the PEP of the crate's step table, with its primal (examples/python/pep/export_primal.py)",
                   name, len(h) - 1, tau, lam)
    doc["gram"] = [[repr(float(v)) for v in row] for row in gram]
    doc["values"] = [repr(float(v)) for v in values]
    write_json(f"{out}/{name}.primal.json", doc)
    print(name, "primal", val, "dual", tau)
