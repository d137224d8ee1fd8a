"""Capacities and queues: shelter units, landlords' units for assisted placements, long-term vouchers.

Each capacity is a parameter of ``params.capacity`` (per 1,000 families; ``null`` means no limit). The
processes that fill a capacity ask :class:`Capacities` whether there is room:

- **Shelter** (``help_seeking`` at the front door, ``placements`` for a breakdown straight to shelter):
  :meth:`Capacities.admit_to_shelter` admits families while units are free, first the shelter's waiting
  list in the order families joined it, then the new arrivals. A family turned away joins the list and
  waits doubled up, or unsheltered (share ``share_turned_away_unsheltered``).
- **Landlords' units** (``housing`` for status-quo rapid re-housing and vouchers, ``services`` for the
  hub's re-housing awards and vouchers): each month every assisted household searching for a unit
  succeeds with its usual chance times the month's *acceptance* ``min(1, units / searchers)``
  (:meth:`Capacities.landlord_acceptance`). More searchers, lower acceptance, longer lease-up;
  coordinators' landlord ties still raise a hub family's own chance.
- **Long-term vouchers** (``housing``): a fixed stock of status-quo vouchers. A shelter family matched
  to a voucher when none is free joins the voucher waiting list; holders leaving free vouchers, which
  go to the list first-come first-served.

Every queue is a set of families marked in the family arrays. :class:`QueueBook` reads each queue at the
end of every month and records its length, the families that joined and left it, and the months the
leavers waited: the monthly table's ``<queue>_queue``, ``<queue>_queue_joined``, ``<queue>_queue_left``
and ``<queue>_queue_wait_months`` columns. Over a long run the mean length equals the arrival rate times
the mean wait (Little's law), which the tests check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .population import DOUBLED_UP, NEVER, SHELTER, SUBSIDIZED, UNSHELTERED, Population

if TYPE_CHECKING:
    from .model import SystemModel
    from .processes.base import Process

__all__ = ["Capacities", "QueueBook", "QUEUES"]

# The queues the monthly table reports, and who is in each.
QUEUES = ("shelter", "landlord", "voucher")


def queue_members(pop: Population, queue: str) -> np.ndarray:
    """Mask of the families in ``queue`` now."""
    if queue == "shelter":
        return pop.shelter_wait_month != NEVER
    if queue == "voucher":
        return pop.voucher_wait_month != NEVER
    if queue == "landlord":
        # Every assisted household looking for a unit: status-quo placements waiting for a landlord,
        # hub re-housing awards and hub voucher awards not yet leased.
        return (
            (pop.landlord_search_month != NEVER)
            | (pop.award_month != NEVER)
            | (pop.voucher_award_month != NEVER)
        )
    raise KeyError(queue)


class QueueBook:
    """Month-end bookkeeping of one queue: length, joins, departures and the departures' waits.

    A family is "in" the queue at a month end if :func:`queue_members` says so. Comparing month ends
    gives joins and departures whatever the path (admitted, housed some other way, moved away); a family
    that joins and leaves within one month waited 0 months and is not seen, which changes neither the
    mean length nor the total months waited, so Little's law still holds for what is recorded.
    """

    def __init__(self, queue: str, n: int):
        self.queue = queue
        self.member = np.zeros(n, dtype=bool)
        self.fid = np.full(n, -1, dtype=np.int64)
        self.since = np.zeros(n, dtype=np.int64)

    def month_end(self, pop: Population, month: int) -> dict[str, float]:
        now = queue_members(pop, self.queue)
        same = pop.fid == self.fid
        stayed = self.member & now & same
        left = self.member & ~stayed
        joined = now & ~stayed
        waited = int((month - self.since[left]).sum())
        self.since[joined] = month
        self.member[:] = now
        self.fid[:] = pop.fid
        return {
            f"{self.queue}_queue": int(now.sum()),
            f"{self.queue}_queue_joined": int(joined.sum()),
            f"{self.queue}_queue_left": int(left.sum()),
            f"{self.queue}_queue_wait_months": waited,
        }


class Capacities:
    """The model's capacities (in whole units for its population) and their queues."""

    def __init__(self, model: SystemModel):
        self.model = model
        cp, n = model.params.capacity, model.params.population.n_families
        #: Shelter units, landlords' units a month, voucher stock; None = no limit.
        self.shelter_units = cp.units(cp.shelter_units_per_1000_families, n)
        self.landlord_units = cp.units(cp.landlord_units_per_1000_families_per_month, n)
        self.voucher_stock = cp.units(cp.voucher_stock_per_1000_families, n)
        self.books = [QueueBook(q, n) for q in QUEUES]
        self._acceptance: tuple[int, float] | None = (
            None  # (month, acceptance), computed once a month
        )

    # --- shelter --------------------------------------------------------------------------------
    def admit_to_shelter(
        self,
        process: Process,
        rows: np.ndarray,
        month: int,
        otherwise: int | None = None,
        serve_waiting: bool = True,
    ) -> np.ndarray:
        """Admit the families in ``rows`` (new arrivals, in the order given) if there is room.

        With a capacity, families already on the waiting list go first (in the order they joined);
        then the new arrivals while units are free. Each admitted family goes through the one shelter
        entry bookkeeping (:func:`sysmodel.processes.help_seeking.record_shelter_entry`) and moves to
        shelter; each new arrival turned away joins the list and sleeps unsheltered (share
        ``share_turned_away_unsheltered``) or moves to ``otherwise`` (None: stays where it is, e.g.
        doubled up). With ``serve_waiting`` False (a placement breaking down straight to shelter,
        before the front door opens) the waiting list is not admitted here but its families keep their
        claim: new arrivals get only the units beyond the list's length. Returns the rows of ``rows``
        admitted.
        """
        from .processes.help_seeking import record_shelter_entry

        pop = self.model.population
        rows = np.asarray(rows, dtype=np.int64)
        if self.shelter_units is None:
            record_shelter_entry(process, rows, month)
            process.move_housing(rows, SHELTER)
            return rows
        free = self.shelter_units - int((pop.housing == SHELTER).sum())
        waiting = self.shelter_waiting_list()
        # A family already waiting that asks again keeps its place; it is not a new arrival.
        rows = rows[pop.shelter_wait_month[rows] == NEVER]
        first = waiting[: max(free, 0)]
        free -= waiting.size if not serve_waiting else first.size
        if not serve_waiting:
            first = first[:0]
        admitted = rows[: max(free, 0)]
        turned_away = rows[admitted.size :]
        both = np.concatenate([first, admitted])
        if both.size:
            wait = month - pop.shelter_wait_month[first].astype(np.int64)
            process.count("shelter_admitted_from_queue", first.size)
            process.count("shelter_wait_months_admitted", int(wait.sum()))
            pop.shelter_wait_month[first] = NEVER
            record_shelter_entry(process, both, month)
            process.move_housing(both, SHELTER)
        if turned_away.size:
            pop.shelter_wait_month[turned_away] = month
            cp = self.model.params.capacity
            outside = process.uniform("turned_away")[turned_away] < cp.share_turned_away_unsheltered
            process.move_housing(turned_away[outside], UNSHELTERED)
            if otherwise is not None:
                process.move_housing(turned_away[~outside], otherwise)
            process.count("shelter_turned_away", turned_away.size)
            process.count("turned_away_unsheltered", int(outside.sum()))
        return admitted

    def shelter_waiting_list(self) -> np.ndarray:
        """Rows on the shelter's waiting list still without a home, first-come first-served (ties by row).

        A family on the list that found a home some other way (or whose row a newcomer took) leaves it here.
        """
        pop = self.model.population
        on_list = pop.shelter_wait_month != NEVER
        homeless = (pop.housing == UNSHELTERED) | (pop.housing == DOUBLED_UP)
        gone = on_list & ~homeless
        pop.shelter_wait_month[gone] = NEVER
        rows = np.flatnonzero(on_list & homeless)
        return rows[np.argsort(pop.shelter_wait_month[rows], kind="stable")]

    # --- landlords ------------------------------------------------------------------------------
    def landlord_acceptance(self, month: int, new_searchers: int = 0) -> float:
        """This month's acceptance of assisted searchers, ``min(1, units / searchers)`` (1 with no limit).

        Searchers: the landlord queue at the start of the month plus ``new_searchers`` (status-quo
        placements matched this month, known to the first caller, ``housing``). Computed once a month,
        so every searcher of the month faces the same market whichever process leases it up.
        """
        if self.landlord_units is None:
            return 1.0
        if self._acceptance is not None and self._acceptance[0] == month:
            return self._acceptance[1]
        pop = self.model.population
        searchers = int(queue_members(pop, "landlord").sum()) + int(new_searchers)
        value = 1.0 if searchers <= self.landlord_units else self.landlord_units / searchers
        self._acceptance = (month, value)
        return value

    # --- vouchers -------------------------------------------------------------------------------
    def vouchers_in_use(self) -> int:
        """Status-quo vouchers held: subsidised families without a hub voucher, and vouchers issued to
        families still looking for a unit."""
        pop = self.model.population
        held = (pop.housing == SUBSIDIZED) & ~pop.hub_voucher
        searching = (pop.landlord_search_month != NEVER) & (pop.landlord_search_kind == 2)
        return int(held.sum() + searching.sum())

    # --- month end ------------------------------------------------------------------------------
    def month_end(self, month: int) -> dict[str, float]:
        """Queue lengths, joins, departures and waits (see :class:`QueueBook`), and capacity use."""
        pop = self.model.population
        # A family housed some other way (a hub award, its own lease) leaves every waiting list.
        h = pop.housing
        homeless = (h == SHELTER) | (h == DOUBLED_UP) | (h == UNSHELTERED)
        pop.shelter_wait_month[(h != DOUBLED_UP) & (h != UNSHELTERED)] = NEVER
        pop.voucher_wait_month[~homeless] = NEVER
        pop.landlord_search_month[~homeless] = NEVER
        pop.landlord_search_kind[~homeless] = 0
        row: dict[str, float] = {}
        for book in self.books:
            row.update(book.month_end(pop, month))
        in_shelter = int((pop.housing == SHELTER).sum())
        row["shelter_capacity"] = np.nan if self.shelter_units is None else self.shelter_units
        row["shelter_utilisation"] = (
            np.nan if not self.shelter_units else in_shelter / self.shelter_units
        )
        row["landlord_units"] = np.nan if self.landlord_units is None else self.landlord_units
        row["landlord_acceptance"] = self.landlord_acceptance(month)
        row["voucher_stock"] = np.nan if self.voucher_stock is None else self.voucher_stock
        row["vouchers_in_use"] = self.vouchers_in_use()
        return row
