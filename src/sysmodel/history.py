"""The housing history: one row per spell a family spent in a housing state, with how it began and ended.

Every change of a family's ``housing`` goes through :meth:`sysmodel.processes.Process.move_housing`,
which looks the move's *route* up in the process's ``housing_routes`` (``(from, to) -> route``) and
tells the model's :class:`HousingHistory`. Turnover tells it who left and who arrived. Only the few
families that move each month are stored, as small arrays; the table is built once, after the run.

So that no move can go unrecorded, the recorder keeps its own copy of every row's state and family id
and the model compares it with the family arrays at the end of each month (:meth:`HousingHistory.check`):
a process that writes ``housing`` directly fails the run at once. Changes made between months from
outside the processes (a test or a notebook setting a state by hand) are recorded with the route
``set_directly``.

Months are the model's: a spell's ``start_month`` is the month the family moved into the state, its
``end_month`` the last month it was still in the state at the month's end (the monthly table counts
states at the month's end), so consecutive spells of a family chain ``end_month + 1 == start_month``.
A state entered and left within one month (a family re-admitted to shelter the month it left, a
filing cleared by prevention the month it came) is kept as a row with ``end_month == start_month - 1``:
zero month-ends, but its entry and exit are in the history.

Burn-in is treated as in the service-spell table: spells that ended during burn-in are dropped; a spell
still open when recording starts is kept with its true (negative) start month and route in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .params import HOUSING_STATES

if TYPE_CHECKING:
    from .population import Population

__all__ = [
    "HISTORY_COLUMNS",
    "RECORDER_ROUTES",
    "HousingHistory",
    "HousingHistoryError",
    "declared_routes",
    "empty_housing_table",
]

# Routes the recorder itself gives (the processes declare the others in ``housing_routes``):
# "start": in that state when the synthetic population was drawn (the start of burn-in);
# "arrived": a newcomer's state on arrival; "moved_away": the family left the area;
# "end_of_run": the spell was still open when the run ended (its end_month is <NA>);
# "set_directly": set by code outside the month's processes (tests, notebooks), between months.
ROUTES_IN = ("start", "arrived")
ROUTES_OUT = ("moved_away", "end_of_run")
RECORDER_ROUTES = (*ROUTES_IN, *ROUTES_OUT, "set_directly")

HISTORY_COLUMNS = ("family_id", "state", "start_month", "end_month", "route_in", "route_out")


class HousingHistoryError(RuntimeError):
    """A process changed a family's housing without recording the move (a programming error)."""


def declared_routes() -> tuple[str, ...]:
    """Every route name, in table order: the recorder's entry routes, then each registered process's
    routes (registration order), then the recorder's exit routes and ``set_directly``.

    The categories are the same for every run whatever its schedule, so tables of different runs
    concatenate cleanly.
    """
    from .processes import PROCESSES  # the processes import this module's users; import lazily

    names = list(ROUTES_IN)
    for name in PROCESSES.names():
        for route in PROCESSES.get(name).housing_routes.values():
            if route not in names:
                names.append(route)
    names += [r for r in (*ROUTES_OUT, "set_directly") if r not in names]
    return tuple(names)


@dataclass(frozen=True)
class _Chunk:
    """Spells that ended in one call: parallel arrays (route codes index :func:`declared_routes`)."""

    seq: int  # call order: a family's spells in the order they ended
    fid: np.ndarray
    state: np.ndarray
    start: np.ndarray
    end: np.ndarray
    route_in: np.ndarray
    route_out: np.ndarray


class HousingHistory:
    """Collects housing spells as processes move families; :meth:`table` builds the tidy table.

    Per family row it keeps the open spell: the family id, state, start month and route in.

    Args:
        pop: the family arrays (read for the states and ids at start and on arrival).
        month: the model's first month (the start of burn-in).
    """

    def __init__(self, pop: Population, month: int):
        self.routes = declared_routes()
        self.code = {name: i for i, name in enumerate(self.routes)}
        n = pop.n
        self.fid = pop.fid.copy()
        self.state = pop.housing.copy()
        self.start = np.full(n, month, dtype=np.int32)
        self.route_in = np.full(n, self.code["start"], dtype=np.int16)
        self._chunks: list[_Chunk] = []

    # --- what the processes call ---------------------------------------------------------------
    def route_table(self, routes: dict[tuple[str, str], str]) -> np.ndarray:
        """A (from state, to state) lookup of route codes for one process (-1: not declared)."""
        table = np.full((len(HOUSING_STATES),) * 2, -1, dtype=np.int16)
        for (a, b), route in routes.items():
            table[HOUSING_STATES.index(a), HOUSING_STATES.index(b)] = self.code[route]
        return table

    def record(
        self,
        pop: Population,
        rows: np.ndarray,
        states: np.ndarray,
        table: np.ndarray,
        process: str,
        month: int,
    ) -> None:
        """Families in ``rows`` move to ``states`` this month, by the routes ``table`` gives their moves.

        Call just before ``pop.housing[rows]`` is written (:meth:`Process.move_housing` does).
        """
        self._catch_up(pop, rows, month)
        old = self.state[rows]
        moved = old != states
        rows, old, states = rows[moved], old[moved], states[moved]
        if rows.size == 0:
            return
        route = table[old, states]
        if (route < 0).any():
            i = int(np.argmax(route < 0))
            raise HousingHistoryError(
                f"process {process!r} moved a family from {HOUSING_STATES[old[i]]!r} to "
                f"{HOUSING_STATES[states[i]]!r}, a move it declares no route for: add "
                f"('{HOUSING_STATES[old[i]]}', '{HOUSING_STATES[states[i]]}'): '<route>' to its "
                "housing_routes."
            )
        self._move(rows, states, route, month)

    def turnover(self, pop: Population, rows: np.ndarray, month: int) -> None:
        """Families in ``rows`` left the area and newcomers took the rows (call after they are filled)."""
        if rows.size == 0:
            return
        self._end(rows, np.full(rows.size, self.code["moved_away"], dtype=np.int16), month)
        self._open(pop, rows, self.code["arrived"], month)

    def sync(self, pop: Population, month: int) -> None:
        """Take in changes made from outside the processes since the last month (route ``set_directly``).

        The model calls this before each month's processes; it costs two comparisons of the columns.
        """
        self._catch_up(pop, None, month)

    def check(self, pop: Population, month: int) -> None:
        """Raise :class:`HousingHistoryError` if a process changed a family's housing or id without
        telling the recorder this month (the model calls this after each month's processes)."""
        wrong = (self.state != pop.housing) | (self.fid != pop.fid)
        if wrong.any():
            row = int(np.argmax(wrong))
            raise HousingHistoryError(
                f"month {month}: family row {row} is {HOUSING_STATES[pop.housing[row]]!r} (id "
                f"{pop.fid[row]}) but the housing history has {HOUSING_STATES[self.state[row]]!r} (id "
                f"{self.fid[row]}); {int(wrong.sum())} row(s) differ. A process changed housing "
                "without Process.move_housing (or replaced families without HousingHistory.turnover)."
            )

    # --- bookkeeping ---------------------------------------------------------------------------
    def _catch_up(self, pop: Population, rows: np.ndarray | None, month: int) -> None:
        """Record changes of ``rows`` (all if None) that were made behind the recorder's back."""
        if rows is None:
            stale = np.flatnonzero((self.state != pop.housing) | (self.fid != pop.fid))
        else:
            stale = rows[
                (self.state[rows] != pop.housing[rows]) | (self.fid[rows] != pop.fid[rows])
            ]
        if stale.size:
            code = self.code["set_directly"]
            self._end(stale, np.full(stale.size, code, dtype=np.int16), month)
            self._open(pop, stale, code, month)

    def _move(self, rows: np.ndarray, states: np.ndarray, route: np.ndarray, month: int) -> None:
        self._end(rows, route, month)
        self.state[rows] = states
        self.start[rows] = month
        self.route_in[rows] = route

    def _open(self, pop: Population, rows: np.ndarray, route: int, month: int) -> None:
        self.fid[rows] = pop.fid[rows]
        self.state[rows] = pop.housing[rows]
        self.start[rows] = month
        self.route_in[rows] = route

    def _end(self, rows: np.ndarray, route_out: np.ndarray, month: int) -> None:
        """The open spells of ``rows`` end with a move in ``month`` (their last month-end: month - 1)."""
        if month < 0:  # spells that ended during burn-in are not kept
            return
        self._chunks.append(
            _Chunk(
                len(self._chunks),
                self.fid[rows].copy(),
                self.state[rows].copy(),
                self.start[rows].copy(),
                np.full(rows.size, month - 1, dtype=np.int32),
                self.route_in[rows].copy(),
                np.asarray(route_out, dtype=np.int16),
            )
        )

    # --- the table -----------------------------------------------------------------------------
    def table(self) -> pd.DataFrame:
        """The housing-history table (:data:`HISTORY_COLUMNS`), sorted by family and time."""
        n = self.fid.size
        still_open = _Chunk(
            len(self._chunks),
            self.fid,
            self.state,
            self.start,
            np.full(n, np.iinfo(np.int32).min, dtype=np.int32),
            self.route_in,
            np.full(n, self.code["end_of_run"], dtype=np.int16),
        )
        chunks = [*self._chunks, still_open]

        def cat(name: str, dtype) -> np.ndarray:
            return np.concatenate([np.asarray(getattr(c, name), dtype=dtype) for c in chunks])

        seq = np.repeat([c.seq for c in chunks], [c.fid.size for c in chunks])
        fid = cat("fid", np.int64)
        # A family's spells ended in call order, and its open spell is last.
        order = np.lexsort((seq, fid))
        end = cat("end", np.int64)[order]
        return pd.DataFrame(
            {
                "family_id": fid[order],
                "state": pd.Categorical.from_codes(
                    cat("state", np.int64)[order], categories=HOUSING_STATES
                ),
                "start_month": cat("start", np.int64)[order],
                "end_month": pd.arrays.IntegerArray(end, end == np.iinfo(np.int32).min),
                "route_in": pd.Categorical.from_codes(
                    cat("route_in", np.int64)[order], categories=self.routes
                ),
                "route_out": pd.Categorical.from_codes(
                    cat("route_out", np.int64)[order], categories=self.routes
                ),
            }
        )


def empty_housing_table() -> pd.DataFrame:
    """A housing-history table with no rows and the full schema (for results made without one)."""
    routes = declared_routes()
    return pd.DataFrame(
        {
            "family_id": np.zeros(0, dtype=np.int64),
            "state": pd.Categorical([], categories=HOUSING_STATES),
            "start_month": np.zeros(0, dtype=np.int64),
            "end_month": pd.array([], dtype="Int64"),
            "route_in": pd.Categorical([], categories=routes),
            "route_out": pd.Categorical([], categories=routes),
        }
    )
