"""The service system's shared state: staff by role, rent-assistance funds, agency relationships.

Processes (intake, rationing, service delivery, accounting) read and change this state; families'
links to staff live in the family arrays (``coach``, ``fin_coach``, ``coordinator`` hold indices into
:attr:`ServiceSystem.staff`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .agents import Agency, CareerCoach, FinancialCoach, RentAssistanceCoordinator, StaffMember

if TYPE_CHECKING:
    from .model import SystemModel
    from .params import AssistanceParams

__all__ = [
    "ServiceSystem",
    "ROLES",
    "AGENCY_BITS",
    "budget_split",
    "voucher_budget",
]

# Staff roles -> (agent class, family column holding the staff index).
ROLES: dict[str, tuple[type[StaffMember], str]] = {
    "coach": (CareerCoach, "coach"),
    "financial": (FinancialCoach, "fin_coach"),
    "coordinator": (RentAssistanceCoordinator, "coordinator"),
}
# Bits of the family column ``known``: which kinds of agency know the family.
AGENCY_BITS = {
    "front_door": 1,
    "housing_hub": 2,
    "employment_provider": 4,
    "financial_coaching": 8,
    "benefits_office": 16,
    "child_welfare": 32,
}


def budget_split(ap: AssistanceParams, staff_usd: float) -> tuple[int, float, float]:
    """The hub budget's yearly split: (staff hired, prevention USD/year, re-housing USD/year).

    ``share_staff`` of the budget hires whole staff of ``ap.staff_role`` at ``staff_usd`` a month each;
    what it cannot buy a whole staff member with stays cash. The cash is split by ``share_prevention``;
    what is left after prevention goes to re-housing, except the ``share_vouchers`` of it that pays for
    hub vouchers (:func:`voucher_budget`; not part of this tuple).
    """
    hired, cash = _staff_and_cash(ap, staff_usd)
    rest = cash * (1.0 - ap.share_prevention)
    if ap.share_vouchers > 0:
        rest -= rest * ap.share_vouchers
    return hired, cash * ap.share_prevention, rest


def _staff_and_cash(ap: AssistanceParams, staff_usd: float) -> tuple[int, float]:
    staff_budget = ap.annual_budget_usd * ap.share_staff
    hired = int(staff_budget / (12.0 * staff_usd) + 1e-9) if staff_usd > 0 else 0
    return hired, ap.annual_budget_usd - hired * 12.0 * staff_usd


def voucher_budget(ap: AssistanceParams, staff_usd: float) -> float:
    """The hub's yearly money for long-term vouchers: ``share_vouchers`` of the cash left after prevention."""
    _, cash = _staff_and_cash(ap, staff_usd)
    return cash * (1.0 - ap.share_prevention) * ap.share_vouchers




class ServiceSystem:
    """Staff arrays, funds and relationship strengths of one model."""

    def __init__(self, model: SystemModel):
        self.model = model
        self.staff: dict[str, list[StaffMember]] = {
            role: model.agents_by_type[cls].to_list() if cls in model.agents_by_type else []
            for role, (cls, _) in ROLES.items()
        }
        for members in self.staff.values():
            for m in members:
                m.months_over = 0
        # Rent-assistance pots; "braided" holds child-welfare money braided in (partnership only).
        # "vouchers" pays the hub's long-term vouchers month by month (rationing.award_vouchers keeps a
        # reserve of the committed subsidies before it awards another).
        self.funds = {"prevention": 0.0, "rehousing": 0.0, "braided": 0.0, "vouchers": 0.0}
        self.graph = model.agency_network.G
        self.agency_by_kind: dict[str, list[Agency]] = {}
        for agency in model.agencies:
            self.agency_by_kind.setdefault(agency.kind, []).append(agency)
        # Which employment provider each coach works at (index into agency_by_kind["employment_provider"]).
        providers = self.agency_by_kind.get("employment_provider", [])
        self.coach_provider = np.array(
            [providers.index(c.agency) for c in self.staff["coach"]], dtype=np.int64
        )

    def capacity(self, role: str) -> np.ndarray:
        """Case slots per staff member of ``role`` after coordination time."""
        members = self.staff[role]
        factor = self.model.service_model.capacity_factor()
        return np.array([int(m.capacity * factor) for m in members], dtype=np.int64)

    def effectiveness(self, role: str) -> np.ndarray:
        """Effectiveness per staff member of ``role`` (falls while burned out)."""
        return np.array([m.effectiveness for m in self.staff[role]], dtype=float)

    def caseload(self, role: str) -> np.ndarray:
        """Current number of families per staff member of ``role``."""
        column = getattr(self.model.population, ROLES[role][1])
        assigned = column[column >= 0]
        return np.bincount(assigned, minlength=len(self.staff[role]))

    def give_back(self, pot: str, usd: float) -> None:
        """Money committed from ``pot`` comes back unspent: the pot grows and the month's spending on
        the pot's line (``<pot>_usd`` in the ledger) falls by ``usd``."""
        ledger = self.model.ledger
        self.funds[pot] += usd
        ledger[f"{pot}_usd"] = ledger.get(f"{pot}_usd", 0.0) - usd

    def refund_subsidies(self, rows: np.ndarray, months_unused: np.ndarray, month: int) -> None:
        """Return unused months of hub re-housing subsidies to the re-housing pot.

        A subsidy is committed in full at lease-up; when a family in ``rows`` (hub-subsidised families)
        loses its unit to a filing or leaves the area before the subsidy ends, ``months_unused`` months
        of it come back. The refund is booked as negative re-housing spending, on the family's record
        and as a row of the spell table.
        """
        if rows.size == 0:
            return
        model, pop = self.model, self.model.population
        usd = np.maximum(months_unused, 0) * pop.hub_subsidy_usd[rows]
        self.give_back("rehousing", float(usd.sum()))
        model.events["subsidies_refunded"] = model.events.get("subsidies_refunded", 0) + rows.size
        pop.rehousing_usd[rows] -= usd
        model.spells.refund(pop, rows, month, usd)
        pop.hub_subsidy_usd[rows] = 0.0

    def strength(self, kind_a: str, kind_b: str) -> float:
        """Mean relationship strength of the edges between two kinds of agency (0 if none)."""
        values = [
            self.graph.edges[a.node, b.node]["strength"]
            for a in self.agency_by_kind.get(kind_a, [])
            for b in self.agency_by_kind.get(kind_b, [])
            if self.graph.has_edge(a.node, b.node)
        ]
        return float(np.mean(values)) if values else 0.0
