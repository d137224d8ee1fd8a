"""Policies: registered strategies that scenario files select by name."""

from .benefit_schedules import BENEFIT_SCHEDULES, BenefitSchedule, CliffSchedule, FlexibleSchedule
from .rationing import RATIONING_RULES, Predictions, RationingRule
from .service_models import SERVICE_MODELS, Aligned, ServiceModel, Siloed

__all__ = [
    "BENEFIT_SCHEDULES",
    "BenefitSchedule",
    "CliffSchedule",
    "FlexibleSchedule",
    "RATIONING_RULES",
    "RationingRule",
    "Predictions",
    "SERVICE_MODELS",
    "ServiceModel",
    "Siloed",
    "Aligned",
]
