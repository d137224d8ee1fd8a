"""Service models: how the agencies connect (docs/design.md §4). Same families, staff and money; the wiring differs.

A service model turns a degree of alignment into the few numbers the service processes use. ``siloed``
has alignment 0; ``aligned`` uses ``services.alignment``. Every quantity interpolates linearly between the
siloed and the fully aligned value and is applied by comparing a uniform draw with it, so ``aligned``
with alignment 0 reproduces ``siloed`` exactly on the same seed.
"""

from __future__ import annotations

import numpy as np

from ..params import ServiceParams
from ..registry import Registry

__all__ = ["ServiceModel", "Siloed", "Aligned", "SERVICE_MODELS", "HUB_EMPLOYMENT"]

# The pair whose alignment governs co-assignment, coaches seeing a crisis and bridging training.
HUB_EMPLOYMENT = ("housing_hub", "employment_provider")


class ServiceModel:
    """Base class: subclasses set :meth:`base_degree`; everything else derives from it.

    ``services.pair_alignment`` can set the degree of one pair of agency kinds (e.g.
    ``housing_hub:employment_provider: 0.8``); the rest use the model's degree.
    """

    name = "base"

    def __init__(self, params: ServiceParams):
        self.p = params

    def base_degree(self) -> float:
        """Alignment between 0 (siloed) and 1 (fully aligned) of pairs not set one by one."""
        raise NotImplementedError

    def degree(self, pair: tuple[str, str] | None = None) -> float:
        """Alignment of a pair of agency kinds (the model's degree unless the pair is set)."""
        if pair is not None and self.p.pair_alignment:
            a, b = pair
            for key in (f"{a}:{b}", f"{b}:{a}"):
                if key in self.p.pair_alignment:
                    return self.p.pair_alignment[key]
        return self.base_degree()

    def referral_success(self, strength: float, pair: tuple[str, str] | None = None) -> float:
        """Chance a referral between two agencies is completed, given their relationship strength."""
        a, p = self.degree(pair), self.p
        base = p.referral_success_siloed + a * (
            p.referral_success_aligned - p.referral_success_siloed
        )
        return base * (1.0 - p.relationship_effect * (1.0 - strength))

    def referral_delay(self, pair: tuple[str, str] | None = None) -> int:
        """Months before a referral arrives (warm hand-offs arrive at once)."""
        return int(np.floor((1.0 - self.degree(pair)) * self.p.referral_delay_siloed_months + 0.5))

    def shared_assessment(self) -> float:
        """Chance a partner agency reuses a family's shared assessment instead of a new intake."""
        return self.degree()

    def co_assignment(self) -> float:
        """Chance a hub client with employment needs is handed to a coach (and a coached family in a
        housing crisis to a coordinator) by the staff themselves, before the family asks."""
        return self.degree(HUB_EMPLOYMENT)

    def capacity_factor(self) -> float:
        """Share of staff capacity left for cases after coordination time."""
        return 1.0 - self.p.coordination_share * self.degree()

    def bridges_training(self) -> float:
        """Chance a re-housing subsidy is timed to the employment plan (extended to cover training)."""
        return self.degree(HUB_EMPLOYMENT)

    def p_coach_loses_case_in_crisis(self) -> float:
        """Monthly chance a coach loses a client whose housing is in crisis."""
        return (1.0 - self.degree(HUB_EMPLOYMENT)) * self.p.p_coach_loses_case_per_month_siloed


SERVICE_MODELS: Registry[ServiceModel] = Registry("service model")


@SERVICE_MODELS.register("siloed")
class Siloed(ServiceModel):
    """Each agency serves its own domain: cold referrals, repeated intakes, no co-assignment."""

    def base_degree(self) -> float:
        return 0.0


@SERVICE_MODELS.register("aligned")
class Aligned(ServiceModel):
    """Shared customers, shared assessment, warm hand-offs, assistance timed to the employment plan."""

    def base_degree(self) -> float:
        return self.p.alignment
