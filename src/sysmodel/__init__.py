"""sysmodel: an agent-based model (Mesa 3) of a local human-services system.

Quick use::

    from sysmodel import run_scenario
    result = run_scenario("scenarios/baseline.yaml", seed=1)
    result.monthly      # one row per month
    result.families     # one row per family
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The one place the version is written: pyproject.toml reads it from here.
__version__ = "0.1.0"

# Public names and the module each comes from. They are imported on first use (PEP 562), not here:
# importing the model pulls in mesa, pandas and scipy (about a second), which `sysmodel --help`,
# `--version` and `validate` never need.
_EXPORTS = {
    "SystemModel": "model",
    "Params": "params",
    "param_specs": "params",
    "RunResult": "runner",
    "run_scenario": "runner",
    "Scenario": "scenario",
    "ScenarioError": "scenario",
    "load_scenario": "scenario",
}

__all__ = [
    "SystemModel",
    "Params",
    "param_specs",
    "RunResult",
    "run_scenario",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "__version__",
]

if TYPE_CHECKING:
    from .model import SystemModel
    from .params import Params, param_specs
    from .runner import RunResult, run_scenario
    from .scenario import Scenario, ScenarioError, load_scenario


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sysmodel' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
