"""Intake and referral over the agency network, waitlists, and assignment to staff.

Families reach services three ways: through the front door when they ask for help in a housing crisis
(referred on to the housing hub), by walking in to an employment provider when looking for (better)
work, and through their coach or coordinator (cross-referrals). The service model decides how referrals
travel: siloed referrals are cold (low success, a delay, a new intake); aligned ones are warm hand-offs
(high success, no delay, the shared assessment is reused). Every new intake adds to the family's
administrative burden and lowers its engagement.
"""

from __future__ import annotations

import numpy as np

from ..population import (
    BEHIND,
    DOUBLED_UP,
    FAMILY_WAGE,
    FILED,
    NEVER,
    SHELTER,
    UNEMPLOYED,
    UNSHELTERED,
    state_mask,
)
from ..services import AGENCY_BITS, ROLES
from .base import PROCESSES, Process

CRISIS = state_mask((BEHIND, FILED, DOUBLED_UP, SHELTER, UNSHELTERED))

# role -> (referral column, waitlist column, agency kind)
_QUEUES = {
    "coach": ("ref_coach", "wait_coach", "employment_provider"),
    "financial": ("ref_fin", "wait_fin", "financial_coaching"),
    "coordinator": ("ref_coord", "wait_coord", "housing_hub"),
}


@PROCESSES.register("intake")
class Intake(Process):
    """Referrals, arrivals (intakes), waitlists and assignment of families to staff."""

    summary = "front door -> hub, walk-ins at employment providers, cross-referrals, waitlists, staff assignment"

    def free_for(self, role: str) -> np.ndarray:
        """Families with no staff member, referral or waitlist place for ``role``."""
        pop = self.pop
        ref, wait, _ = _QUEUES[role]
        staff_col = ROLES[role][1]
        return (
            (getattr(pop, staff_col) < 0)
            & (getattr(pop, wait) == NEVER)
            & (getattr(pop, ref) == NEVER)
        )

    def refer(
        self,
        role: str,
        who: np.ndarray,
        from_kind: str,
        draw: str,
        month: int,
        stream: Process | None = None,
    ) -> None:
        """Try to refer ``who`` (a mask) to ``role``'s agency; success and delay follow the service model.

        ``stream``: the process whose named stream decides success (default this one), so a process that
        refers through intake keeps its own draws.
        """
        ref, _, to_kind = _QUEUES[role]
        if (
            not who.any()
        ):  # nothing to draw for (draws are keyed by name, so skipping shifts nothing)
            return
        sm, sys = self.model.service_model, self.model.services
        pair = (from_kind, to_kind)
        p_ok = sm.referral_success(sys.strength(from_kind, to_kind), pair)
        ok = who & ((stream or self).uniform(draw) < p_ok)
        getattr(self.pop, ref)[ok] = month + sm.referral_delay(pair)
        self.count("referrals_made", who.sum())
        self.count("referrals_completed", ok.sum())

    def step(self, month: int) -> None:
        pop, sp = self.pop, self.params.services
        sm = self.model.service_model

        # 1. The front door refers families who asked for help to the housing hub.
        pop.known[pop.sought_help] |= AGENCY_BITS["front_door"]
        self.refer(
            "coordinator",
            pop.sought_help & self.free_for("coordinator"),
            "front_door",
            "refer_hub",
            month,
        )

        # 2. Coached families in a housing crisis: aligned coaches see it and refer; siloed ones do not.
        crisis = CRISIS[pop.housing]
        pop.crisis_referred[~crisis] = False
        noticed = (pop.coach >= 0) & crisis & ~pop.crisis_referred & self.free_for("coordinator")
        if sm.co_assignment() > 0:
            noticed &= self.uniform("coach_sees_crisis") < sm.co_assignment()
        else:  # siloed: no draw needed (a uniform is never below 0)
            noticed[:] = False
        pop.crisis_referred |= noticed
        self.refer("coordinator", noticed, "employment_provider", "refer_crisis", month)

        # 3. Walk-ins at employment providers (arrive this month).
        p_seek = (
            sp.p_seek_coaching_per_month
            * pop.engagement
            * np.where(pop.emp == UNEMPLOYED, 1.0, sp.walk_in_employed_multiplier)
        )
        walk_in = (
            self.free_for("coach")
            & (pop.emp != FAMILY_WAGE)
            & (self.uniform("seek_coaching") < p_seek)
        )
        pop.ref_coach[walk_in] = month
        self.count("walk_ins", walk_in.sum())

        # 4. Referrals that arrive this month become intakes (unless the shared assessment is reused).
        # Drawn only where assessments can be shared (aligned); skipping a keyed draw shifts nothing.
        u_share = self.uniform("share_assessment") if sm.shared_assessment() > 0 else None
        for ref, wait, kind in _QUEUES.values():
            ref_col = getattr(pop, ref)
            arrive = (ref_col != NEVER) & (ref_col <= month)
            if not arrive.any():
                continue
            # A shared assessment exists only where agencies are aligned (made with the model's chance).
            reuse = arrive & pop.shared_assessment
            intake = arrive & ~reuse
            pop.intakes += intake
            pop.engagement[intake] *= 1.0 - self.params.help_seeking.engagement_loss_per_intake
            # Aligned agencies complete one shared assessment that partners can reuse.
            if u_share is not None:
                pop.shared_assessment |= intake & (u_share < sm.shared_assessment())
            pop.known[arrive] |= AGENCY_BITS[kind]
            getattr(pop, wait)[arrive] = month
            ref_col[arrive] = NEVER
            self.count("intakes", intake.sum())
            self.count("assessments_reused", reuse.sum())

        # 5. Waitlists: staff take families in order of arrival while they have room.
        for role in _QUEUES:
            newly = self.assign(role, month)
            if role == "coordinator":
                # New hub clients who need work are referred to coaching (warm when aligned).
                need_work = newly & (pop.emp != FAMILY_WAGE) & self.free_for("coach")
                self.refer("coach", need_work, "housing_hub", "refer_coach", month)
            if role in ("coordinator", "coach"):
                to_fin = (
                    newly
                    & self.free_for("financial")
                    & (self.uniform(f"fin_{role}") < sp.p_refer_financial)
                )
                source = "housing_hub" if role == "coordinator" else "employment_provider"
                self.refer("financial", to_fin, source, f"refer_fin_{role}", month)

        # 6. Families waiting too long give up.
        for role, (_, wait, _) in _QUEUES.items():
            wait_col = getattr(pop, wait)
            gave_up = (wait_col != NEVER) & (month - wait_col >= sp.max_wait_months)
            wait_col[gave_up] = NEVER
            pop.engagement[gave_up] *= 1.0 - self.params.help_seeking.engagement_loss_per_intake
            self.count(f"gave_up_waiting_{role}", gave_up.sum())

    def assign(self, role: str, month: int) -> np.ndarray:
        """Offer free slots of ``role`` to waiting families in order; returns the mask of those assigned."""
        pop, sp = self.pop, self.params.services
        sys = self.model.services
        _, wait, _ = _QUEUES[role]
        wait_col = getattr(pop, wait)
        staff_col = getattr(pop, ROLES[role][1])
        assigned = np.zeros(pop.n, dtype=bool)
        waiting = np.flatnonzero(wait_col != NEVER)
        if waiting.size == 0 or not sys.staff[role]:
            return assigned
        # Managers may assign beyond the caseload cap (overload); time over the cap leads to burnout.
        limit = (sys.capacity(role) * (1.0 + sp.overload_share)).astype(np.int64)
        free = np.maximum(limit - sys.caseload(role), 0)
        slots = int(free.sum())
        if slots == 0:
            return assigned
        u_order = self.uniform(f"order_{role}")
        # Order of arrival (ties by a draw); in a child-welfare partnership, involved families first.
        priority = (
            pop.cw_involved[waiting]
            & self.params.children.cw_housing_partnership
            & (role == "coordinator")
        )
        queue = waiting[np.lexsort((u_order[waiting], wait_col[waiting], ~priority))]
        offered = queue[:slots]
        accept = (
            self.uniform(f"take_up_{role}")[offered] < sp.p_accept_offer * pop.engagement[offered]
        )
        taken = offered[accept]
        # Each accepting family fills the next free slot (staff with room, in order).
        staff_col[taken] = np.repeat(np.arange(free.size), free)[: taken.size]
        self.model.spells.start(role, taken, month)
        wait_col[offered] = NEVER
        assigned[taken] = True
        self.count(f"assigned_{role}", taken.size)
        self.count(f"declined_{role}", offered.size - taken.size)
        if role == "coach":
            pop.spell_entry_month[taken] = month  # the current spell (recorded when it ends)
            pop.spell_income_at_entry[taken] = pop.income[taken]
            pop.coach_months[taken] = 0
        elif role == "financial":
            pop.fin_months[taken] = 0
        else:
            pop.coord_idle_months[taken] = 0
        return assigned
