"""Fingerprints of small runs for the uncapped-model identity test (tests/test_capacity.py).

Made once with the code before capacities existed (commit 70823bf), so the test shows that with every
capacity null the model reproduces that code exactly:

    git worktree add /tmp/old 70823bf
    PYTHONPATH=/tmp/old/src .venv/bin/python tests/golden/make_uncapped.py tests/golden/uncapped.json
"""

import hashlib
import json
import sys

import numpy as np

from sysmodel import Params, SystemModel
from sysmodel.params import FAMILY_SCHEDULE

RUNS = {
    "services": {
        "population.n_families": 800,
        "time.burn_in_months": 12,
        "time.months": 36,
        "assistance.annual_budget_usd": 300000.0,
        # Hub vouchers off: their rationing changed after 70823bf (a pot, not slots; issue 8).
        "assistance.share_vouchers": 0.0,
        "housing.p_placement_conflict_per_month": 0.01,
        "housing.p_voucher_per_month": 0.03,
    },
    "family": {
        "population.n_families": 800,
        "time.burn_in_months": 12,
        "time.months": 36,
        "schedule.processes": FAMILY_SCHEDULE,
        "housing.p_nonrenewal_at_lease_end": 0.2,
        "housing.p_breakdown_per_unit_rent_burden_per_month": 0.1,
    },
}
out = {}
full = {}
for name, over in RUNS.items():
    params = Params().with_overrides(over)
    full[name] = params.flat()
    m = SystemModel(params, rng=11).run()
    t = m.monthly_table()
    cols = sorted(c for c in t.columns)
    out[name] = {
        c: hashlib.sha256(np.ascontiguousarray(t[c].to_numpy(dtype=float)).tobytes()).hexdigest()[
            :16
        ]
        for c in cols
    }
    f = m.family_table()
    for c in f.columns:
        out[name][f"family.{c}"] = hashlib.sha256(
            f[c].astype(str).str.cat(sep="|").encode()
        ).hexdigest()[:16]
record = {
    "made_with": "sysmodel commit 70823bf (before capacities)",
    "seed": 11,
    "params": full,
    "fingerprints": out,
}
with open(sys.argv[1], "w") as f:
    json.dump(record, f, indent=1, sort_keys=True)
