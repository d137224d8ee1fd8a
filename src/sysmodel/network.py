"""The agency network: a networkx graph of referral relationships placed in Mesa's Network space."""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
from mesa.discrete_space import Network

from .agents import Agency, CareerCoach, FinancialCoach, RentAssistanceCoordinator
from .services import budget_split

if TYPE_CHECKING:
    from .model import SystemModel

__all__ = ["build_agency_graph", "place_agencies"]


def build_agency_graph(n_employment_providers: int, strength: float) -> nx.Graph:
    """The service area's agencies (nodes with ``kind`` and ``label``) and referral edges (``strength`` 0-1).

    The housing hub links to every agency; the front door links to the hub, benefits office and child
    welfare; each employment provider links to the hub, the financial coach and the benefits office.
    """
    g = nx.Graph()
    nodes = [
        ("housing_hub", "Housing hub"),
        ("front_door", "Shelter front door"),
        ("benefits_office", "Benefits office"),
        ("child_welfare", "Child welfare"),
        ("financial_coaching", "Financial coaching"),
    ]
    nodes += [
        ("employment_provider", f"Employment provider {i + 1}")
        for i in range(n_employment_providers)
    ]
    for i, (kind, label) in enumerate(nodes):
        g.add_node(i, kind=kind, label=label)
    by_kind: dict[str, list[int]] = {}
    for i, data in g.nodes(data=True):
        by_kind.setdefault(data["kind"], []).append(i)
    hub = by_kind["housing_hub"][0]
    for i in g.nodes:
        if i != hub:
            g.add_edge(hub, i, strength=strength)
    for other in ("benefits_office", "child_welfare"):
        g.add_edge(by_kind["front_door"][0], by_kind[other][0], strength=strength)
    for e in by_kind["employment_provider"]:
        g.add_edge(e, by_kind["financial_coaching"][0], strength=strength)
        g.add_edge(e, by_kind["benefits_office"][0], strength=strength)
    return g


def place_agencies(model: SystemModel, seed: int) -> tuple[Network, list[Agency]]:
    """Build the graph, place it in a Mesa Network with a seeded layout, and create agencies and staff."""
    ap = model.params.agencies
    # Staff the hub's budget pays for (assistance.share_staff), on top of the agencies' own staff.
    hired, _, _ = budget_split(model.params.assistance, model.params.costs.staff_usd)
    role = model.params.assistance.staff_role
    extra = {"coach": 0, "financial": 0, "coordinator": 0, role: hired}
    # Hired coaches are spread over the providers: the first ``hired % n`` get one more.
    per_provider, spare = divmod(extra["coach"], ap.n_employment_providers)
    providers_seen = 0
    g = build_agency_graph(ap.n_employment_providers, ap.base_relationship_strength)
    layout = nx.spring_layout(g, seed=seed % (2**32))
    space = Network(g, random=model.random, layout=layout)
    agencies = []
    for node, data in g.nodes(data=True):
        agency = Agency(model, data["kind"], data["label"], space[node])
        agency.node = node
        agencies.append(agency)
        if data["kind"] == "employment_provider":
            coaches = ap.career_coaches_per_provider + per_provider + (providers_seen < spare)
            providers_seen += 1
            for _ in range(coaches):
                CareerCoach(model, agency, ap.caseload_cap)
        elif data["kind"] == "financial_coaching":
            for _ in range(ap.financial_coaches + extra["financial"]):
                FinancialCoach(model, agency, ap.caseload_cap)
        elif data["kind"] == "housing_hub":
            for _ in range(ap.rent_assistance_coordinators + extra["coordinator"]):
                RentAssistanceCoordinator(model, agency, ap.caseload_cap)
    return space, agencies
