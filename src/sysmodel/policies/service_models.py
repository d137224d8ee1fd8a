"""Service models: how the agencies connect (DESIGN.md §4). Same families, staff and money; the wiring differs.

A service model turns a degree of alignment into the few numbers the service processes use. ``siloed``
has alignment 0; ``aligned`` uses ``services.alignment``. Every quantity interpolates linearly between the
siloed and the fully aligned value and is applied by comparing a uniform draw with it, so ``aligned``
with alignment 0 reproduces ``siloed`` exactly on the same seed.
"""

from __future__ import annotations

import numpy as np

from ..params import ServiceParams
from ..registry import Registry

__all__ = ["ServiceModel", "Siloed", "Aligned", "SERVICE_MODELS"]


class ServiceModel:
    """Base class: subclasses set :meth:`degree`; everything else derives from it."""

    name = "base"

    def __init__(self, params: ServiceParams):
        self.p = params

    def degree(self) -> float:
        """Alignment between 0 (siloed) and 1 (fully aligned)."""
        raise NotImplementedError

    def referral_success(self, strength: float) -> float:
        """Chance a referral between two agencies is completed, given their relationship strength."""
        a, p = self.degree(), self.p
        base = p.referral_success_siloed + a * (
            p.referral_success_aligned - p.referral_success_siloed
        )
        return base * (1.0 - p.relationship_effect * (1.0 - strength))

    def referral_delay(self) -> int:
        """Months before a referral arrives (warm hand-offs arrive at once)."""
        return int(np.floor((1.0 - self.degree()) * self.p.referral_delay_siloed_months + 0.5))

    def shared_assessment(self) -> float:
        """Chance a partner agency reuses a family's shared assessment instead of a new intake."""
        return self.degree()

    def co_assignment(self) -> float:
        """Chance a hub client with employment needs is handed to a coach (and a coached family in a
        housing crisis to a coordinator) by the staff themselves, before the family asks."""
        return self.degree()

    def capacity_factor(self) -> float:
        """Share of staff capacity left for cases after coordination time."""
        return 1.0 - self.p.coordination_share * self.degree()

    def bridges_training(self) -> float:
        """Chance a re-housing subsidy is timed to the employment plan (extended to cover training)."""
        return self.degree()

    def p_coach_loses_case_in_crisis(self) -> float:
        """Monthly chance a coach loses a client whose housing is in crisis."""
        return (1.0 - self.degree()) * self.p.p_coach_loses_case_per_month_siloed


SERVICE_MODELS: Registry[ServiceModel] = Registry("service model")


@SERVICE_MODELS.register("siloed")
class Siloed(ServiceModel):
    """Each agency serves its own domain: cold referrals, repeated intakes, no co-assignment."""

    def degree(self) -> float:
        return 0.0


@SERVICE_MODELS.register("aligned")
class Aligned(ServiceModel):
    """Shared customers, shared assessment, warm hand-offs, assistance timed to the employment plan."""

    def degree(self) -> float:
        return self.p.alignment
