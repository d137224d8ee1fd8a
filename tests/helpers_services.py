"""Helpers for the service-system tests: quiet parameter sets, hand-made caseloads and a probe.

The service processes act on a few family columns (``coach``, ``coordinator``, ``wait_*``, ``ref_*``,
``award_*``); these helpers set them directly so that each test isolates one mechanism.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers_stats import ECONOMY_OFF, HOUSING_OFF, ONE_GROUP, build_model, two_groups
from sysmodel import SystemModel

__all__ = [
    "ECONOMY_OFF",
    "HOUSING_OFF",
    "ONE_GROUP",
    "Probe",
    "coach_at_provider",
    "service_model",
    "skip_to",
    "two_groups",
]

# Economy switches: everything off, so a test turns on only the hazard it checks.


def service_model(
    overrides: dict, processes: list[str], n: int, seed: int, model: str = "siloed"
) -> SystemModel:
    """A model of ``n`` families (no burn-in) running ``processes`` under service model ``model``.

    Overrides may give ``services.alignment`` for the aligned model.
    """
    return build_model(
        {
            "services.model": model,
            "population.groups": ONE_GROUP,
            # Off unless a test is about it: coached families out of work would otherwise leave.
            "services.p_disengage_unemployed_per_month": 0.0,
            **overrides,
        },
        processes,
        n=n,
        seed=seed,
    )


def coach_at_provider(model: SystemModel, provider: int) -> np.ndarray:
    """Indices of the career coaches who work at employment provider number ``provider``."""
    return np.flatnonzero(model.services.coach_provider == provider)


def skip_to(model: SystemModel, month: int) -> None:
    """Move the model's clock to ``month`` as if the months before had passed quietly.

    Recording starts now (it resets the service records), so records a test sets afterwards stay.
    """
    if not model.recording:
        model.population.start_recording()
        model.recording = True
    model.month = month


class Probe:
    """A stand-in process inserted into ``model.processes`` that calls ``look(model, month)``.

    The model calls ``run_month`` on every entry of its process list, so a probe observes the family
    arrays at an exact point of the month (e.g. just before service delivery).
    """

    name = "probe"

    def __init__(self, model: SystemModel, look: Callable[[SystemModel, int], None]):
        self.model = model
        self.look = look

    def run_month(self, month: int) -> None:
        self.look(self.model, month)

    def finish(self) -> None:
        """Nothing to finish (the model calls this after the last month)."""

    @classmethod
    def insert_before(
        cls, model: SystemModel, process: str, look: Callable[[SystemModel, int], None]
    ) -> Probe:
        """Insert a probe just before the process named ``process``."""
        probe = cls(model, look)
        index = [p.name for p in model.processes].index(process)
        model.processes.insert(index, probe)
        return probe
