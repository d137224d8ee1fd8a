"""Accounting: staff workload and burnout, relationship strengths between agencies, and staff cost."""

from __future__ import annotations

import numpy as np

from .base import PROCESSES, Process


@PROCESSES.register("accounting")
class Accounting(Process):
    """Updates staff caseloads and burnout, agency relationships, and books the month's staff cost."""

    summary = "staff caseloads and burnout; relationship strengths grow with shared cases and decay; staff cost"

    def step(self, month: int) -> None:
        pop, sp = self.pop, self.params.services
        sys = self.model.services
        n_staff = 0
        for role, members in sys.staff.items():
            if not members:
                continue
            load = sys.caseload(role)
            capacity = sys.capacity(role)
            for m, n, cap in zip(members, load, capacity, strict=True):
                m.caseload = int(n)
                m.months_over = m.months_over + 1 if n > cap else 0
                m.burned_out = m.months_over >= sp.burnout_after_months_over
                m.effectiveness = sp.burnout_effectiveness if m.burned_out else 1.0
            self.count(f"caseload_{role}", load.sum())
            self.count(f"burned_out_{role}", sum(m.burned_out for m in members))
            n_staff += len(members)
        self.spend("staff_usd", n_staff * self.params.costs.staff_usd)

        # Relationships grow with shared cases and contact time, and decay without them.
        shared = (pop.coach >= 0) & (pop.coordinator >= 0)
        per_provider = np.zeros(len(sys.agency_by_kind.get("employment_provider", [])))
        if shared.any() and per_provider.size:
            per_provider = np.bincount(
                sys.coach_provider[pop.coach[shared]], minlength=per_provider.size
            )
        hubs = sys.agency_by_kind.get("housing_hub", [])
        for u, v, data in sys.graph.edges(data=True):
            cases = 0
            for hub in hubs:
                for i, provider in enumerate(sys.agency_by_kind.get("employment_provider", [])):
                    if {u, v} == {hub.node, provider.node}:
                        cases = int(per_provider[i])
            s = data["strength"]
            s += (
                sp.strength_gain_per_shared_case * cases
                + sp.strength_gain_per_contact_hour * sp.contact_hours_per_month
            )
            s -= sp.strength_decay_per_month * s
            data["strength"] = float(min(max(s, 0.0), 1.0))
        self.count("shared_customers", shared.sum())
