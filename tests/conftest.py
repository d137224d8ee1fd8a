"""Shared fixtures: small, fast parameter sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from sysmodel.params import Params

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def small_params() -> Params:
    """A small population and short horizon, for tests that run the model many times."""
    return Params().with_overrides(
        {"population.n_families": 500, "time.months": 24, "time.burn_in_months": 6}
    )
