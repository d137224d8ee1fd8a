"""Benefit schedules: benefits as a function of earnings and household composition.

``cliff`` is the status quo: tapered benefits (SNAP-like) plus a benefit that is lost all at once when
earnings pass a multiple of the poverty line (childcare subsidy, Medicaid-like), so a raise can lower a
family's net resources. ``flexible`` is the Flexible Benefit Set (docs/sources.md: Pathways to Prosperity (Dakota/Olmsted)): the same benefits, but the
cliff benefit phases out linearly over a band, so net resources rise with every dollar earned (as long as
the combined phase-out rate stays below 1).
"""

from __future__ import annotations

import numpy as np

from ..params import BenefitParams
from ..registry import Registry

__all__ = ["BenefitSchedule", "CliffSchedule", "FlexibleSchedule", "BENEFIT_SCHEDULES"]


class BenefitSchedule:
    """Base class: ``amount(earnings, size, children)`` returns monthly benefits, vectorised."""

    name = "base"

    def __init__(self, params: BenefitParams):
        self.p = params

    def poverty_line(self, size: np.ndarray) -> np.ndarray:
        """Monthly federal poverty line for households of ``size`` people."""
        return self.p.fpl_first_person_usd + self.p.fpl_per_extra_person_usd * (size - 1)

    def tapered(self, earnings: np.ndarray, size: np.ndarray) -> np.ndarray:
        """SNAP-like benefit: a maximum per person, reduced by the taper per dollar earned."""
        return np.maximum(
            0.0, self.p.max_benefit_per_person_usd * size - self.p.benefit_taper * earnings
        )

    def cliff_part(
        self, earnings: np.ndarray, size: np.ndarray, children: np.ndarray
    ) -> np.ndarray:
        """The benefit that depends on the earnings threshold (override to change its shape)."""
        raise NotImplementedError

    def amount(self, earnings: np.ndarray, size: np.ndarray, children: np.ndarray) -> np.ndarray:
        """Total monthly benefits."""
        return self.tapered(earnings, size) + self.cliff_part(earnings, size, children)


BENEFIT_SCHEDULES: Registry[BenefitSchedule] = Registry("benefit schedule")


@BENEFIT_SCHEDULES.register("cliff")
class CliffSchedule(BenefitSchedule):
    """Status quo: the cliff benefit is lost entirely above the threshold."""

    def cliff_part(self, earnings, size, children):
        threshold = self.p.cliff_threshold_fpl * self.poverty_line(size)
        return np.where(earnings <= threshold, self.p.cliff_benefit_per_child_usd * children, 0.0)


@BENEFIT_SCHEDULES.register("flexible")
class FlexibleSchedule(BenefitSchedule):
    """Flexible Benefit Set: the cliff benefit phases out linearly over a band above the threshold."""

    def cliff_part(self, earnings, size, children):
        fpl = self.poverty_line(size)
        start = self.p.cliff_threshold_fpl * fpl
        band = self.p.flexible_phaseout_band_fpl * fpl
        # A zero-width band (poverty line 0) degenerates to the cliff itself instead of 0/0.
        safe_band = np.where(band > 0, band, 1.0)
        kept = np.where(
            band > 0, np.clip(1.0 - (earnings - start) / safe_band, 0.0, 1.0), earnings <= start
        )
        return self.p.cliff_benefit_per_child_usd * children * kept
