"""sysmodel: an agent-based model (Mesa 3) of a local human-services system.

Quick use::

    from sysmodel import run_scenario
    result = run_scenario("scenarios/baseline.yaml", seed=1)
    result.monthly      # one row per month
    result.families     # one row per family
"""

from .model import SystemModel
from .params import Params, param_specs
from .runner import RunResult, run_scenario
from .scenario import Scenario, ScenarioError, load_scenario

__version__ = "0.1.0"
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
