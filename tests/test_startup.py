"""Start-up cost of the command line: ``--help``, ``--version`` and ``validate`` import no heavy modules.

Timing is not asserted (it depends on the machine); what is checked is which modules a fresh
interpreter has imported after the command ran, since mesa, pandas and scipy.stats are what made
``sysmodel --help`` take over a second.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import rankdata

from sysmodel.params import SERVICE_SCHEDULE, registered_names
from sysmodel.policies.risk import auc, average_ranks
from sysmodel.processes import PROCESSES
from sysmodel.scenario import BUILTIN_NAMES

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("mesa", "pandas", "scipy.stats", "matplotlib", "networkx", "sysmodel.model")


def modules_after(*argv: str) -> set[str]:
    """Heavy modules imported by a fresh interpreter that runs ``sysmodel *argv`` in-process."""
    code = (
        "import json, sys\n"
        "from sysmodel import cli\n"
        "try:\n"
        f"    cli.app({list(argv)!r}, standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "argv",
    [
        ("--help",),
        ("run", "--help"),
        ("validate", str(ROOT / "scenarios" / "baseline.yaml")),
        ("validate", str(ROOT / "scenarios" / "aligned_housing_hub.yaml")),
    ],
    ids=["help", "run_help", "validate_baseline", "validate_aligned"],
)
def test_light_commands_import_no_heavy_modules(argv):
    assert modules_after(*argv) == set()


def test_importing_sysmodel_imports_no_heavy_modules():
    code = f"import sys, sysmodel; print([m for m in {HEAVY!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_package_attributes_still_load_on_first_use():
    import sysmodel

    assert sysmodel.SystemModel.__name__ == "SystemModel"
    assert callable(sysmodel.run_scenario)
    with pytest.raises(AttributeError):
        _ = sysmodel.no_such_thing


def test_builtin_names_match_the_registries():
    # validate checks names against this light list first; it must not drift from the registries.
    assert set(BUILTIN_NAMES["schedule.processes"]) == set(PROCESSES.names())
    assert set(BUILTIN_NAMES["schedule.processes"]) == set(SERVICE_SCHEDULE)
    for path, names in BUILTIN_NAMES.items():
        if path != "schedule.processes":
            assert set(names) == set(registered_names(path)), path


@pytest.mark.parametrize("seed", range(5))
def test_average_ranks_equal_scipy_rankdata_with_ties(seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 6, size=200).astype(float)  # many ties
    assert np.array_equal(average_ranks(x), rankdata(x))
    y = rng.normal(size=101)
    assert np.array_equal(average_ranks(y), rankdata(y))
    assert average_ranks(np.zeros(0)).shape == (0,)


def test_auc_halves_ties():
    assert auc(np.array([1.0, 1.0]), np.array([True, False])) == 0.5
    assert auc(np.array([0.0, 1.0, 1.0, 2.0]), np.array([False, True, False, True])) == 0.875


def test_every_lazy_export_is_in_all():
    import sysmodel

    assert set(sysmodel.__all__) == {*sysmodel._EXPORTS, "__version__"}
