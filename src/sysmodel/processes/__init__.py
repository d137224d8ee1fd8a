"""Monthly processes. Importing this package registers the built-in ones in :data:`PROCESSES`."""

from . import (  # noqa: F401  (registration)
    accounting,
    benefits,
    budget,
    children,
    economy,
    help_seeking,
    housing,
    intake,
    placements,
    rationing,
    screening,
    services,
    turnover,
)
from .base import PROCESSES, Process

__all__ = ["PROCESSES", "Process"]
