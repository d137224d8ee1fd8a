"""Upstream screening: find families at risk before they reach a crisis.

Each month a share of families (``screening.reach_per_month``) is screened; each gets a score, a noisy
view of its true risk (``policies.risk``). The screened families with the highest scores (``flag_share``)
are flagged and offered help: early career and financial coaching, and the housing hub when they already
owe rent. Referrals travel from the benefits office over the agency network like any other.

How noisy the score is comes from ``screening.target_auc``. The score's *AUC against true risk* is its
AUC (Mann-Whitney, ties halved) for telling apart the month's screened families whose true risk
(``policies.risk.true_risk``) is in the top ``flag_share`` of the screened (at or above the
``1 - flag_share`` quantile: ties at the cut count as positives; if that takes everyone, the families
tied at the lowest risk are the negatives) from the other screened families. The score is
``w * standardised risk + sqrt(1 - w^2) * noise`` with the month's fixed noise draws; each month the
weight ``w`` is found by bisection (``policies.risk.weight_for_auc``) so that this AUC matches the
target, as nearly as a finite sample allows. No extra random draws are made, so the same seed gives the
same scores. The achieved AUC is the monthly column ``screening_auc``.

The *realised* AUC (``summary.json``: ``screening_auc_realised``) is the score against what happened:
whether the family lost housing (an eviction or a shelter entry) within 12 months after its latest
screening. For it the process stamps ``screened_month`` and restarts the family's ``lost_housing_month``
(which ``housing`` and ``help_seeking`` set at the first loss after that).
"""

from __future__ import annotations

import math

import numpy as np

from ..policies.risk import noisy_score, top_share, true_risk, weight_for_auc
from ..population import FAMILY_WAGE, NEVER
from .base import PROCESSES, Process


@PROCESSES.register("screening")
class Screening(Process):
    """Scores a share of families for risk each month and refers the highest-scoring ones upstream."""

    summary = (
        "upstream risk screening (noisy score, reach, flag share) and referrals of flagged families"
    )

    #: This month's noise weight and achieved AUC against true risk (NaN in a month without screening);
    #: the monthly record reads the AUC.
    weight: float = math.nan
    auc_vs_true_risk: float = math.nan

    def step(self, month: int) -> None:
        pop, sc = self.pop, self.params.screening
        self.weight = self.auc_vs_true_risk = math.nan
        if sc.reach_per_month <= 0 or sc.flag_share <= 0:
            return
        screened = np.flatnonzero(self.uniform("screened") < sc.reach_per_month)
        if screened.size == 0:
            return
        risk = true_risk(pop)[screened]
        z = self.normal("score_noise")[screened]
        self.weight, self.auc_vs_true_risk = weight_for_auc(
            risk, z, top_share(risk, sc.flag_share), sc.target_auc
        )
        score = noisy_score(risk, self.weight, z)
        pop.risk_score[screened] = score
        pop.screened_month[screened] = month
        # The outcome clock restarts: a loss of housing counts from this screening on.
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
