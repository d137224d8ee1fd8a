"""Upstream screening: find families at risk before they reach a crisis.

Each month a share of families (``screening.reach_per_month``) is screened; each gets the hub's
predicted-risk score, a noisy view of its true risk (``policies.risk``) whose accuracy is
``targeting.target_auc``: the score's AUC for shelter entry within the next 12 months, calibrated once
per scenario on a status-quo pilot (``sysmodel.targeting``). The screened families with the highest
scores (``flag_share``) are flagged and offered help: early career and financial coaching, and the
housing hub when they already owe rent. Referrals travel from the benefits office over the agency
network like any other.

For the outcomes in ``summary.json`` (``outputs.screening_summary``) the process stamps
``screened_month``, keeps the score (``risk_score``) and the true risk it was a view of
(``risk_signal``), and restarts the family's ``sheltered_month`` and ``lost_housing_month``, which
``help_seeking`` (and ``housing``, for evictions) set at the first shelter entry or loss after it.
"""

from __future__ import annotations

import numpy as np

from ..policies.risk import true_risk
from ..population import FAMILY_WAGE, NEVER
from ..targeting import calibrated_score
from .base import PROCESSES, Process


@PROCESSES.register("screening")
class Screening(Process):
    """Scores a share of families for risk each month and refers the highest-scoring ones upstream."""

    summary = (
        "upstream risk screening (noisy score, reach, flag share) and referrals of flagged families"
    )

    def setup(self) -> None:
        sc = self.params.screening
        self.active = sc.reach_per_month > 0 and sc.flag_share > 0
        # The pilot that calibrates the score runs only if screening does (it refuses a target above
        # the best achievable AUC here, before any month is simulated).
        self.score = calibrated_score(self.params) if self.active else None

    def step(self, month: int) -> None:
        pop, sc = self.pop, self.params.screening
        if not self.active:
            return
        screened = np.flatnonzero(self.uniform("screened") < sc.reach_per_month)
        if screened.size == 0:
            return
        signal = true_risk(pop, screened)
        score = self.score.score(signal, self.normal("score_noise")[screened])
        pop.risk_score[screened] = score
        pop.risk_signal[screened] = signal
        pop.screened_month[screened] = month
        # The outcome clocks restart: a shelter entry (or loss of housing) counts from this screening on.
        pop.sheltered_month[screened] = NEVER
        pop.lost_housing_month[screened] = NEVER
        cut = np.quantile(score, 1.0 - sc.flag_share)
        flagged = np.zeros(pop.n, dtype=bool)
        flagged[screened[score >= cut]] = True
        pop.flagged_month[flagged] = month
        self.count("screened", screened.size)
        self.count("flagged", flagged.sum())

        intake = self.model.process("intake")
        if intake is None:  # nothing to refer to
            return
        owes = pop.arrears > 0.005
        intake.refer(
            "coordinator",
            flagged & owes & intake.free_for("coordinator"),
            "benefits_office",
            "screen_refer_hub",
            month,
            stream=self,
        )
        intake.refer(
            "coach",
            flagged & (pop.emp != FAMILY_WAGE) & intake.free_for("coach"),
            "benefits_office",
            "screen_refer_coach",
            month,
            stream=self,
        )
        intake.refer(
            "financial",
            flagged & intake.free_for("financial"),
            "benefits_office",
            "screen_refer_fin",
            month,
            stream=self,
        )
