"""Monthly processes. Importing this package registers the built-in ones in :data:`PROCESSES`."""

from . import benefits, budget, economy, help_seeking, housing, turnover  # noqa: F401  (registration)
from .base import PROCESSES, Process

__all__ = ["PROCESSES", "Process"]
