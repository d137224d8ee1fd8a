"""Calibrating the hub's predicted-risk score once per scenario, on a status-quo pilot run.

The score's accuracy (``targeting.target_auc``) is its AUC for a family's shelter entry within the next
12 months. To turn that target into a noise weight the model needs pairs of (true risk, what happened),
so it runs a *pilot*: the scenario's family dynamics alone (``params.FAMILY_SCHEDULE``: no hub, no
screening, no rent assistance) for ``targeting.calibration_families`` families, through the scenario's
burn-in and 12 more months. At the end of burn-in it records every family's true risk; a family is a
positive if it enters shelter in the 12 months after, a negative if it does not and stays in the area
for them (a family that leaves first counts only if it entered shelter before leaving).

Why a status-quo pilot: a screening tool is built and validated on past outcomes, before the programme
that acts on it; the run's own outcomes are changed by the help the score directs. The pilot uses a
fixed seed, so the calibration depends on the scenario's parameters only: every seed of a scenario
shares one weight (a one-off calibration curve per scenario), and the pilot is run once per process
and set of family-dynamics parameters (it is cached).

The true risk's own AUC on the pilot pairs is the *best achievable* AUC: a target above it is refused
with :class:`TargetingError` when the model is built, before any month is simulated.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .policies.risk import (
    RiskScore,
    expected_auc,
    fit_logistic,
    pair_differences,
    true_risk,
    weight_for_target,
)
from .scenario import ScenarioError
from .streams import Streams, stable_hash

if TYPE_CHECKING:
    from .params import Params

__all__ = ["TargetingError", "PilotPairs", "pilot_pairs", "calibrated_score", "FOLLOW_UP_MONTHS"]

# Months after scoring in which a shelter entry counts (the outcome the AUC is measured against).
FOLLOW_UP_MONTHS = 12
# Fixed, so that one scenario has one calibration whatever the run's seed.
CALIBRATION_SEED = stable_hash("sysmodel targeting calibration")
# The parameter sections that shape the families' own dynamics: all the pilot depends on.
_PILOT_SECTIONS = (
    "population",
    "economy",
    "benefits",
    "budget",
    "housing",
    "help_seeking",
    "turnover",
)


class TargetingError(ScenarioError):
    """The scenario asks for a score the model cannot give (e.g. a target above the best achievable)."""


@dataclass(frozen=True)
class PilotPairs:
    """What the pilot recorded, one entry per pilot family present at the end of burn-in.

    ``signal`` is the true risk then, ``entered`` whether the family entered shelter in the next 12
    months, ``followed`` whether it counts (stayed 12 months, or entered shelter before leaving) and
    ``z`` the standard-normal noise the logistic calibration uses.
    """

    signal: np.ndarray
    entered: np.ndarray
    followed: np.ndarray
    z: np.ndarray


def _pilot_key(params: Params) -> str:
    data = {name: getattr(params, name).model_dump() for name in _PILOT_SECTIONS}
    data["population"]["n_families"] = params.targeting.calibration_families
    data["burn_in_months"] = params.time.burn_in_months
    return json.dumps(data, sort_keys=True, default=str)


def pilot_pairs(params: Params) -> PilotPairs:
    """The status-quo pilot's (true risk, shelter entry within 12 months) pairs for ``params``."""
    return _run_pilot(_pilot_key(params))


@functools.lru_cache(maxsize=8)
def _run_pilot(key: str) -> PilotPairs:
    # Imported here: the model imports the processes, which import this module.
    from .model import SystemModel
    from .params import FAMILY_SCHEDULE, Params

    data = json.loads(key)
    burn_in = data.pop("burn_in_months")
    params = Params.model_validate(
        {
            **data,
            "time": {"burn_in_months": burn_in, "months": FOLLOW_UP_MONTHS},
            "schedule": {"processes": FAMILY_SCHEDULE},
        }
    )
    model = SystemModel(params, rng=CALIBRATION_SEED)
    for _ in range(burn_in):
        model.step()
    pop = model.population
    signal = true_risk(pop)
    fid = pop.fid.copy()
    entered = np.zeros(pop.n, dtype=bool)
    gone = np.zeros(pop.n, dtype=bool)
    for _ in range(FOLLOW_UP_MONTHS):
        # Episodes (shelter entries) are counted from the first recorded month, which resets them.
        before = pop.episodes.copy() if model.recording else np.zeros_like(pop.episodes)
        model.step()
        here = pop.fid == fid
        # A family that leaves the area is replaced in its row by a newcomer, whose entries are not
        # the leaver's.
        entered |= here & (pop.episodes > before)
        gone |= ~here
    z = Streams(CALIBRATION_SEED, pop.n).normal("targeting", 0, "calibration_noise")
    return PilotPairs(signal=signal, entered=entered, followed=~gone | entered, z=z)


def calibrated_score(params: Params) -> RiskScore:
    """The hub's score for ``params``: the noise weight that gives ``targeting.target_auc``.

    Raises :class:`TargetingError` if the target is above the best achievable AUC, or the pilot saw no
    shelter entries (or only entries) so that no AUC is defined.
    """
    return _calibrate(_pilot_key(params), params.targeting.target_auc)


@functools.lru_cache(maxsize=32)
def _calibrate(key: str, target: float) -> RiskScore:
    pairs = _run_pilot(key)
    n = json.loads(key)["population"]["n_families"]
    signal = pairs.signal[pairs.followed]
    entered = pairs.entered[pairs.followed]
    positives = int(entered.sum())
    if positives == 0 or positives == entered.size:
        raise TargetingError(
            f"the predicted-risk score cannot be calibrated: of the {entered.size:,} families of the "
            f"status-quo pilot ({n:,} families, targeting.calibration_families) followed "
            f"{FOLLOW_UP_MONTHS} months, {positives:,} entered shelter, so no AUC is defined; raise "
            "targeting.calibration_families or check the housing and help-seeking parameters."
        )
    mean, sd = float(pairs.signal.mean()), float(pairs.signal.std())
    if sd <= 0:
        raise TargetingError(
            "the predicted-risk score cannot be calibrated: every pilot family has the same true risk."
        )
    diffs, counts = pair_differences(signal, entered)
    best = expected_auc(diffs, counts, 1.0, sd)
    if target > best:
        raise TargetingError(
            f"targeting.target_auc = {target} is above the best achievable AUC, {best:.3f}: the AUC of "
            f"the model's true risk itself for shelter entry within {FOLLOW_UP_MONTHS} months, measured "
            f"on a status-quo pilot of {n:,} families with this scenario's family dynamics "
            f"({entered.size:,} followed, {positives:,} entered shelter). A score that is a noisy view "
            f"of the true risk cannot do better; set targeting.target_auc to at most {math.floor(best * 1000) / 1000}."
        )
    weight, achieved = weight_for_target(diffs, counts, sd, target)
    draft = RiskScore(target, weight, mean, sd, 0.0, 0.0, best, achieved, entered.size, positives)
    intercept, slope = fit_logistic(draft.score(signal, pairs.z[pairs.followed]), entered)
    return RiskScore(
        target_auc=target,
        weight=weight,
        mean=mean,
        sd=sd,
        intercept=intercept,
        slope=slope,
        best_auc=best,
        pilot_auc=achieved,
        pilot_pairs=int(entered.size),
        pilot_positives=positives,
    )
