"""The base class of every monthly process, and the process registry."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..registry import Registry

if TYPE_CHECKING:
    from ..model import SystemModel

__all__ = ["Process", "PROCESSES"]


class Process:
    """One step of the month (economy, benefits, housing, ...), vectorised over all families.

    Life cycle, driven by the model: ``setup()`` once after the population is built, ``step(month)``
    every month in the schedule's order, ``finish()`` once after the last month. Subclasses override
    ``step`` (and ``setup``/``finish`` if they need them); they draw random numbers only through
    :meth:`uniform` and :meth:`normal`, which use this process's own named stream.
    """

    name: ClassVar[str] = "process"
    #: One line for ``sysmodel processes``.
    summary: ClassVar[str] = ""
    #: The housing moves this process makes, ``(from state, to state) -> route`` (state names as in
    #: :data:`sysmodel.params.HOUSING_STATES`); the housing history names each move by its route, and a
    #: move not declared here fails the run (:mod:`sysmodel.history`).
    housing_routes: ClassVar[dict[tuple[str, str], str]] = {}

    def __init__(self, model: SystemModel):
        self.model = model
        self.pop = model.population
        self.params = model.params
        self.month = 0
        self._route_table: np.ndarray | None = None  # housing_routes as codes, built on first use

    def setup(self) -> None:
        """Called once after the population and agents exist."""

    def step(self, month: int) -> None:
        """Advance every family by one month."""
        raise NotImplementedError

    def finish(self) -> None:
        """Called once after the last month."""

    def run_month(self, month: int) -> None:
        """Template method the model calls: sets the month for the named streams, then ``step``."""
        self.month = month
        self.step(month)

    # --- helpers for subclasses --------------------------------------------------------------
    def uniform(self, draw: str) -> np.ndarray:
        """One uniform per family row from stream (seed, this process, month, draw)."""
        return self.model.streams.uniform(self.name, self.month, draw)

    def normal(self, draw: str) -> np.ndarray:
        """One standard normal per family row from stream (seed, this process, month, draw)."""
        return self.model.streams.normal(self.name, self.month, draw)

    def move_housing(self, rows: np.ndarray, states: np.ndarray | int) -> None:
        """Move the families in ``rows`` (indices) to ``states`` (one per row, or one for all).

        The only way a process changes ``housing``: the model's housing history records each move with
        the route this process declares for it in :attr:`housing_routes`.
        """
        rows = np.asarray(rows, dtype=np.int64)
        states = np.broadcast_to(np.asarray(states, dtype=self.pop.housing.dtype), rows.shape)
        history = self.model.history
        if self._route_table is None:
            self._route_table = history.route_table(self.housing_routes)
        history.record(self.pop, rows, states, self._route_table, self.name, self.month)
        self.pop.housing[rows] = states

    def count(self, event: str, n: int | np.integer) -> None:
        """Add ``n`` to this month's count of ``event`` (reported in the monthly table)."""
        self.model.events[event] = self.model.events.get(event, 0) + int(n)

    def spend(self, line: str, usd: float) -> None:
        """Add ``usd`` to this month's money on ``line`` (reported in the monthly table)."""
        self.model.ledger[line] = self.model.ledger.get(line, 0.0) + float(usd)


PROCESSES: Registry[Process] = Registry("process")
