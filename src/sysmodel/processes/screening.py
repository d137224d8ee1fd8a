"""Upstream screening: find families at risk before they reach a crisis.

Each month a share of families (``screening.reach_per_month``) is screened; each gets a score, a noisy
view of its true risk (``policies.risk``) with correlation ``screening.accuracy``. The screened families
with the highest scores (``flag_share``) are flagged and offered help: early career and financial
coaching, and the housing hub when they already owe rent. Referrals travel from the benefits office over
the agency network like any other.
"""

from __future__ import annotations

import numpy as np

from ..policies.risk import noisy_score, true_risk
from ..population import FAMILY_WAGE
from .base import PROCESSES, Process


@PROCESSES.register("screening")
class Screening(Process):
    """Scores a share of families for risk each month and refers the highest-scoring ones upstream."""

    summary = (
        "upstream risk screening (noisy score, reach, flag share) and referrals of flagged families"
    )

    def step(self, month: int) -> None:
        pop, sc = self.pop, self.params.screening
        if sc.reach_per_month <= 0 or sc.flag_share <= 0:
            return
        screened = np.flatnonzero(self.uniform("screened") < sc.reach_per_month)
        if screened.size == 0:
            return
        score = noisy_score(
            true_risk(pop)[screened], sc.accuracy, self.normal("score_noise")[screened]
        )
        pop.risk_score[screened] = score
        cut = np.quantile(score, 1.0 - sc.flag_share)
        flagged = np.zeros(pop.n, dtype=bool)
        flagged[screened[score >= cut]] = True
        pop.flagged_month[flagged] = month
        self.count("screened", screened.size)
        self.count("flagged", flagged.sum())

        intake = next((p for p in self.model.processes if p.name == "intake"), None)
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
