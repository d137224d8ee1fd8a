"""The service-spell table: which family received which service, when, and from which staff member.

A *spell* runs from the month a family is assigned a staff member (``intake``) to the month the case
ends (``services``) or the family leaves the area (``turnover``); a rent-assistance award is a spell
from the award to the month the family leases a unit, no longer needs it or lets it lapse (a prevention
award is paid at once). Processes tell the model's :class:`SpellRecorder` as spells start and end; only
a handful of families change each month, so each call stores a few small arrays and the table is built
once, after the run.

Burn-in is treated like the family table treats it: spells that ended during burn-in are not kept;
a spell still open when recording starts is kept with its true (negative) start month.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .population import NEVER
from .services import ROLES

if TYPE_CHECKING:
    from .model import SystemModel
    from .population import Population

__all__ = [
    "SERVICES",
    "END_REASONS",
    "SPELL_COLUMNS",
    "SpellRecorder",
    "empty_spell_table",
    "family_spell_summary",
]

# Staff role (sysmodel.services.ROLES) -> name of the service its spells record.
ROLE_SERVICE = {
    "coach": "career_coaching",
    "financial": "financial_coaching",
    "coordinator": "rent_assistance_coordination",
}
SERVICES = (*ROLE_SERVICE.values(), "prevention_award", "rehousing_award", "hub_voucher")
# Why a spell ended. Staff spells: "completed" (coaching or financial coaching ran its course),
# "lost_in_crisis" (a siloed coach lost a client whose housing broke down), "disengaged" (a coached
# family out of work stopped coming), "closed" (the coordinator closed the case after months without
# assistance). Awards: "paid" (prevention), "leased" (re-housing award used for a lease), "withdrawn"
# (the family was housed some other way), "lapsed" (not used in time), "refunded" (a one-month row with
# a negative amount: the unused months of a hub subsidy came back when the family lost or left its unit
# early). Hub vouchers (from the award, through the lease, to the end of the voucher): "withdrawn" and
# "lapsed" as awards, "ended" (the holder left the voucher, was filed on or lost the placement). Any
# spell: "moved_out" (the family left the area), "open" (still running when the run ended).
END_REASONS = (
    "completed",
    "lost_in_crisis",
    "disengaged",
    "closed",
    "paid",
    "leased",
    "withdrawn",
    "lapsed",
    "moved_out",
    "open",
    "refunded",
    "ended",
)
SPELL_COLUMNS = (
    "family_id",
    "service",
    "staff_id",
    "agency",
    "start_month",
    "end_month",
    "end_reason",
    "amount_usd",
)
_SERVICE_CODE = {name: i for i, name in enumerate(SERVICES)}
_REASON_CODE = {name: i for i, name in enumerate(END_REASONS)}
# Awards are handled by the family's rent-assistance coordinator.
_SERVICE_ROLE = {
    **{service: role for role, service in ROLE_SERVICE.items()},
    "prevention_award": "coordinator",
    "rehousing_award": "coordinator",
    "hub_voucher": "coordinator",
}


@dataclass(frozen=True)
class _Chunk:
    """Spells of one service that ended (or were still open) in one call: parallel arrays."""

    service: int
    fid: np.ndarray
    staff: np.ndarray  # index into ServiceSystem.staff[role] (-1 none)
    start: np.ndarray  # NEVER: the recorder did not see the start
    end: np.ndarray  # NEVER: still open
    reason: int
    amount: np.ndarray | None  # awards only


class SpellRecorder:
    """Collects service spells as processes start and end them; :meth:`table` builds the tidy table.

    Per family row it keeps only the start month of each open staff spell; everything else is read from
    the family arrays (the staff index, an open award's month and commitment) when the spell ends.
    """

    def __init__(self, n_rows: int):
        self.start_month = {role: np.full(n_rows, NEVER, dtype=np.int32) for role in ROLES}
        # Hub vouchers: the award month, and the family's hub_voucher_usd then (the spell's amount is
        # what was paid since).
        self.voucher_start = np.full(n_rows, NEVER, dtype=np.int32)
        self.voucher_paid = np.zeros(n_rows)
        self.voucher_staff = np.full(n_rows, -1, dtype=np.int64)
        self._chunks: list[_Chunk] = []

    def start_recording(self) -> None:
        """Recording starts: the family records (``hub_voucher_usd``) restart from 0."""
        self.voucher_paid[:] = 0.0

    # --- hooks the processes call --------------------------------------------------------------
    def start(self, role: str, rows: np.ndarray, month: int) -> None:
        """Families in ``rows`` were just assigned a staff member of ``role``."""
        self.start_month[role][rows] = month

    def end(self, pop: Population, role: str, rows: np.ndarray, month: int, reason: str) -> None:
        """Spells of ``role`` end for ``rows``; call before the staff column is reset."""
        if rows.size and month >= 0:  # spells that ended in burn-in are not kept
            self._chunks.append(
                _Chunk(
                    _SERVICE_CODE[ROLE_SERVICE[role]],
                    pop.fid[rows].copy(),
                    getattr(pop, ROLES[role][1])[rows].astype(np.int64),
                    self.start_month[role][rows].copy(),
                    np.full(rows.size, month, dtype=np.int32),
                    _REASON_CODE[reason],
                    None,
                )
            )
        self.start_month[role][rows] = NEVER

    def _award_rows(
        self,
        pop: Population,
        rows: np.ndarray,
        service: str,
        start: np.ndarray,
        month: int,
        reason: str,
        amount: np.ndarray,
    ) -> None:
        """Award rows for ``rows`` (handled by the family's coordinator) that end in ``month``."""
        if rows.size and month >= 0:  # awards that ended in burn-in are not kept
            self._chunks.append(
                _Chunk(
                    _SERVICE_CODE[service],
                    pop.fid[rows].copy(),
                    pop.coordinator[rows].astype(np.int64),
                    np.asarray(start, dtype=np.int32).copy(),
                    np.full(rows.size, month, dtype=np.int32),
                    _REASON_CODE[reason],
                    np.asarray(amount, dtype=float).copy(),
                )
            )

    def prevention(self, pop: Population, rows: np.ndarray, month: int, paid: np.ndarray) -> None:
        """Prevention awards paid this month (a spell of one month)."""
        at = np.full(rows.size, month)
        self._award_rows(pop, rows, "prevention_award", at, month, "paid", paid)

    def award_ends(
        self, pop: Population, rows: np.ndarray, month: int, reason: str, spent: np.ndarray | None
    ) -> None:
        """Open re-housing awards of ``rows`` end; ``spent`` is what each finally cost (None: nothing,
        the commitment went back to the pot). Call before ``award_month`` is reset."""
        amount = np.zeros(rows.size) if spent is None else spent
        self._award_rows(pop, rows, "rehousing_award", pop.award_month[rows], month, reason, amount)

    def refund(self, pop: Population, rows: np.ndarray, month: int, usd: np.ndarray) -> None:
        """Unused hub subsidy returned for ``rows``: a one-month re-housing row of ``-usd``."""
        at = np.full(rows.size, month)
        self._award_rows(pop, rows, "rehousing_award", at, month, "refunded", -np.asarray(usd))

    def voucher_awarded(self, pop: Population, rows: np.ndarray, month: int) -> None:
        """Hub vouchers awarded to ``rows``: their spells start, with the coordinator who had the case."""
        self.voucher_start[rows] = month
        self.voucher_paid[rows] = pop.hub_voucher_usd[rows]
        self.voucher_staff[rows] = pop.coordinator[rows]

    def voucher_ends(self, pop: Population, rows: np.ndarray, month: int, reason: str) -> None:
        """The hub voucher spells of ``rows`` (those that have one) end; the amount is the subsidy paid."""
        rows = rows[self.voucher_start[rows] != NEVER]
        if rows.size and month >= 0:  # spells that ended in burn-in are not kept
            self._chunks.append(self._voucher_chunk(pop, rows, month, reason))
        self.voucher_start[rows] = NEVER

    def _voucher_chunk(self, pop: Population, rows: np.ndarray, end: int, reason: str) -> _Chunk:
        return _Chunk(
            _SERVICE_CODE["hub_voucher"],
            pop.fid[rows].copy(),
            self.voucher_staff[rows].astype(np.int64),
            self.voucher_start[rows].copy(),
            np.full(rows.size, end, dtype=np.int32),
            _REASON_CODE[reason],
            pop.hub_voucher_usd[rows] - self.voucher_paid[rows],
        )

    def move_out(self, pop: Population, rows: np.ndarray, month: int) -> None:
        """Families in ``rows`` leave the area: their open spells end ("moved_out")."""
        for role, (_, column) in ROLES.items():
            held = rows[getattr(pop, column)[rows] >= 0]
            self.end(pop, role, held, month, "moved_out")
            self.start_month[role][rows] = NEVER  # the row's newcomer starts with no spell
        awards = rows[pop.award_month[rows] != NEVER]
        self.award_ends(pop, awards, month, "moved_out", None)
        self.voucher_ends(pop, rows, month, "moved_out")

    # --- the table -----------------------------------------------------------------------------
    def _open_chunks(self, pop: Population) -> list[_Chunk]:
        """Spells still running: staff spells the recorder saw start, and open re-housing awards."""
        chunks = []
        for role, (_, column) in ROLES.items():
            rows = np.flatnonzero(self.start_month[role] != NEVER)
            chunks.append(
                _Chunk(
                    _SERVICE_CODE[ROLE_SERVICE[role]],
                    pop.fid[rows].copy(),
                    getattr(pop, column)[rows].astype(np.int64),
                    self.start_month[role][rows].copy(),
                    np.full(rows.size, NEVER, dtype=np.int32),
                    _REASON_CODE["open"],
                    None,
                )
            )
        rows = np.flatnonzero(pop.award_month != NEVER)
        chunks.append(
            _Chunk(
                _SERVICE_CODE["rehousing_award"],
                pop.fid[rows].copy(),
                pop.coordinator[rows].astype(np.int64),
                pop.award_month[rows].copy(),
                np.full(rows.size, NEVER, dtype=np.int32),
                _REASON_CODE["open"],
                pop.award_usd[rows].copy(),  # still committed, so still counted as spent
            )
        )
        rows = np.flatnonzero(self.voucher_start != NEVER)
        chunks.append(self._voucher_chunk(pop, rows, NEVER, "open"))
        return chunks

    def table(self, model: SystemModel) -> pd.DataFrame:
        """The service-spell table (see :data:`SPELL_COLUMNS`), sorted by family, service and start."""
        chunks = [*self._chunks, *self._open_chunks(model.population)]

        def cat(get, dtype) -> np.ndarray:
            parts = [np.asarray(get(c), dtype=dtype) for c in chunks]
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        sizes = [c.fid.size for c in chunks]
        service = np.repeat([c.service for c in chunks], sizes).astype(np.int64)
        reason = np.repeat([c.reason for c in chunks], sizes).astype(np.int64)
        fid = cat(lambda c: c.fid, np.int64)
        staff = cat(lambda c: c.staff, np.int64)
        start = cat(lambda c: c.start, np.int64)
        end = cat(lambda c: c.end, np.int64)
        amount = cat(lambda c: np.full(c.fid.size, np.nan) if c.amount is None else c.amount, float)
        # Open spells (end NEVER) sort after closed ones; unseen starts (NEVER) first.
        order = np.lexsort(
            (np.where(end == NEVER, np.iinfo(np.int64).max, end), start, service, fid)
        )
        fid, staff, start, end = fid[order], staff[order], start[order], end[order]
        service, reason, amount = service[order], reason[order], amount[order]

        # Staff index -> Mesa unique_id and agency, per role (the last entry answers index -1).
        staff_id = np.full(fid.size, -1, dtype=np.int64)
        agency = np.full(fid.size, None, dtype=object)
        system = model.services
        hub = system.agency_by_kind.get("housing_hub", [])
        for name, code in _SERVICE_CODE.items():
            members = system.staff[_SERVICE_ROLE[name]]
            uids = np.array([m.unique_id for m in members] + [-1], dtype=np.int64)
            # Awards belong to the hub even if no coordinator is known.
            none = (
                hub[0].label
                if hub and name in ("prevention_award", "rehousing_award", "hub_voucher")
                else None
            )
            labels = np.array([m.agency.label for m in members] + [none], dtype=object)
            here = service == code
            staff_id[here] = uids[staff[here]]
            agency[here] = labels[staff[here]]
        labels = sorted({a.label for a in model.agencies})
        return pd.DataFrame(
            {
                "family_id": fid,
                "service": pd.Categorical.from_codes(service, categories=SERVICES),
                "staff_id": staff_id,
                "agency": pd.Categorical(agency, categories=labels),
                "start_month": pd.arrays.IntegerArray(start, start == NEVER),
                "end_month": pd.arrays.IntegerArray(end, end == NEVER),
                "end_reason": pd.Categorical.from_codes(reason, categories=END_REASONS),
                "amount_usd": amount,
            }
        )


def empty_spell_table() -> pd.DataFrame:
    """A spell table with no rows and the full schema (for results made without one)."""
    return pd.DataFrame(
        {
            "family_id": np.zeros(0, dtype=np.int64),
            "service": pd.Categorical([], categories=SERVICES),
            "staff_id": np.zeros(0, dtype=np.int64),
            "agency": pd.Categorical([]),
            "start_month": pd.array([], dtype="Int64"),
            "end_month": pd.array([], dtype="Int64"),
            "end_reason": pd.Categorical([], categories=END_REASONS),
            "amount_usd": np.zeros(0),
        }
    )


# Family-table columns summarising a family's staff spells: service -> column of the last staff id.
LAST_STAFF_COLUMNS = {
    "career_coaching": "last_coach_id",
    "financial_coaching": "last_financial_coach_id",
    "rent_assistance_coordination": "last_coordinator_id",
}


def family_spell_summary(spells: pd.DataFrame, family_id: np.ndarray) -> dict[str, np.ndarray]:
    """Per family (in the order of ``family_id``): ``n_coaches`` (distinct career coaches) and the
    staff id of the last career coach, financial coach and coordinator (-1 none).

    ``spells`` must be sorted as :meth:`SpellRecorder.table` sorts it (by family, service, start), so
    the last row of a family's service is its latest spell.
    """
    index = pd.Index(family_id)
    out: dict[str, np.ndarray] = {}
    coaching = spells[spells["service"] == "career_coaching"]
    distinct = coaching.drop_duplicates(["family_id", "staff_id"])["family_id"].value_counts()
    out["n_coaches"] = distinct.reindex(index, fill_value=0).to_numpy(np.int64)
    for service, column in LAST_STAFF_COLUMNS.items():
        last = spells[spells["service"] == service].drop_duplicates("family_id", keep="last")
        ids = pd.Series(last["staff_id"].to_numpy(), index=last["family_id"].to_numpy())
        out[column] = ids.reindex(index, fill_value=-1).to_numpy(np.int64)
    return out
