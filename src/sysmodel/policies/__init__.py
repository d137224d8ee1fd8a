"""Policies: registered strategies that scenario files select by name (benefit schedules, ...)."""

from .benefit_schedules import BENEFIT_SCHEDULES, BenefitSchedule, CliffSchedule, FlexibleSchedule

__all__ = ["BENEFIT_SCHEDULES", "BenefitSchedule", "CliffSchedule", "FlexibleSchedule"]
