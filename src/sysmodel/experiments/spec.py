"""RunSpec: everything a worker needs to build and run one simulation (small and picklable)."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from ..runner import RunResult, code_revision, run_scenario
from ..scenario import Scenario, resolve

__all__ = ["RunSpec"]


@dataclass(frozen=True)
class RunSpec:
    """One run: a scenario (name and nested overrides), a seed, and a label for the design it belongs to.

    Workers rebuild the scenario from ``overrides`` (validated again there), so a spec never carries live
    model objects.
    """

    scenario_name: str
    overrides: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    description: str = ""
    path: str | None = None
    labels: dict[str, Any] = field(default_factory=dict)  # e.g. {"rep": 3, "arm": "B"}

    @classmethod
    def from_scenario(cls, scenario: Scenario, seed: int, **labels: Any) -> RunSpec:
        """A spec for ``scenario`` on ``seed``."""
        return cls(
            scenario_name=scenario.name,
            overrides=scenario.overrides,
            seed=seed,
            description=scenario.description,
            path=scenario.path,
            labels=labels,
        )

    @functools.cached_property
    def run_id(self) -> str:
        """A stable id from the scenario, its resolved parameters, the seed and the code.

        The same spec on the same code always maps to the same id, so a results store can resume an
        interrupted design. Runs stored by other code (another sysmodel version or git commit) or with
        other parameter defaults get other ids and are never reused.
        """
        payload = json.dumps(
            {
                "name": self.scenario_name,
                "overrides": self.overrides,
                "seed": self.seed,
                "parameters": self.scenario().params.model_dump(mode="json"),
                "code": _code_identity(),
            },
            sort_keys=True,
            default=str,
        )
        digest = hashlib.sha1(payload.encode()).hexdigest()[:10]
        return f"{self.scenario_name}-s{self.seed}-{digest}"

    def scenario(self) -> Scenario:
        """Rebuild and validate the scenario."""
        params = resolve(self.overrides, origin=self.path or self.scenario_name)
        return Scenario(
            name=self.scenario_name,
            description=self.description,
            overrides=self.overrides,
            path=self.path,
            params=params,
        )

    def run(self) -> RunResult:
        """Build the model and run it (this is what a worker executes)."""
        return run_scenario(self.scenario(), seed=self.seed)


@functools.cache
def _code_identity() -> str:
    """The sysmodel version and git revision of this process's code (looked up once)."""
    from .. import __version__

    return f"{__version__}:{code_revision()}"
