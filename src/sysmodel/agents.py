"""Mesa agents: families (thin views of the family arrays), staff and agencies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mesa import Agent
from mesa.discrete_space import FixedAgent

from .params import EMPLOYMENT_STATES, HOUSING_STATES

if TYPE_CHECKING:
    from .model import SystemModel

__all__ = [
    "Family",
    "Agency",
    "StaffMember",
    "CareerCoach",
    "FinancialCoach",
    "RentAssistanceCoordinator",
]


class FamilyColumn:
    """Descriptor: a Family attribute that reads and writes its row of a population column."""

    def __init__(self, column: str | None = None):
        self.column = column

    def __set_name__(self, owner: type, name: str) -> None:
        self.column = self.column or name

    def __get__(self, family: Family | None, owner: type) -> Any:
        if family is None:
            return self
        return getattr(family.model.population, self.column)[family.row].item()

    def __set__(self, family: Family, value: Any) -> None:
        getattr(family.model.population, self.column)[family.row] = value


class Family(Agent):
    """A low-income renter household: a Mesa agent whose state lives in row ``row`` of the model's arrays.

    ``family.savings += 100`` changes the array the monthly processes read, so researchers and the
    dashboard can treat families as ordinary Mesa agents. With turnover a newcomer can take over the row;
    ``family_id`` is the current occupant's id.
    """

    family_id = FamilyColumn("fid")
    group = FamilyColumn()
    adults = FamilyColumn()
    children = FamilyColumn()
    high_barrier = FamilyColumn()
    emp = FamilyColumn()
    earnings = FamilyColumn()
    skill = FamilyColumn()
    training_left = FamilyColumn()
    benefits = FamilyColumn()
    rent = FamilyColumn()
    savings = FamilyColumn()
    arrears = FamilyColumn()
    debt = FamilyColumn()
    housing = FamilyColumn()
    months_in_state = FamilyColumn()
    engagement = FamilyColumn()
    intakes = FamilyColumn()
    episodes = FamilyColumn()
    months_homeless = FamilyColumn()
    evictions = FamilyColumn()

    def __init__(self, model: SystemModel, row: int):
        super().__init__(model)
        self.row = int(row)

    @property
    def housing_state(self) -> str:
        """The housing state's name (e.g. ``"shelter"``)."""
        return HOUSING_STATES[self.housing]

    @property
    def employment_state(self) -> str:
        """The main earner's employment state's name."""
        return EMPLOYMENT_STATES[self.emp]

    @property
    def income(self) -> float:
        """Earnings plus benefits, USD/month."""
        return self.earnings + self.benefits

    def __repr__(self) -> str:
        return f"Family(id={self.family_id}, row={self.row}, {self.housing_state}, {self.employment_state})"


class Agency(FixedAgent):
    """An organisation in the service network, fixed to its node of the agency network."""

    def __init__(self, model: SystemModel, kind: str, label: str, cell: Any):
        super().__init__(model)
        self.kind = kind  # housing_hub, employment_provider, financial_coaching, benefits_office, child_welfare, front_door
        self.label = label
        self.cell = cell
        self.staff: list[StaffMember] = []

    def __repr__(self) -> str:
        return f"Agency({self.label!r}, staff={len(self.staff)})"


class StaffMember(Agent):
    """A caseworker at an agency: caseload capacity, effectiveness, workload and burnout."""

    role = "staff"

    def __init__(
        self, model: SystemModel, agency: Agency, capacity: int, effectiveness: float = 1.0
    ):
        super().__init__(model)
        self.agency = agency
        self.capacity = int(capacity)
        self.effectiveness = float(effectiveness)
        self.caseload = 0
        self.burned_out = False
        agency.staff.append(self)

    @property
    def over_capacity(self) -> bool:
        """True while the caseload exceeds capacity."""
        return self.caseload > self.capacity


class CareerCoach(StaffMember):
    """Career coach at a community employment provider."""

    role = "career_coach"


class FinancialCoach(StaffMember):
    """Financial coach at the financial-coaching organisation."""

    role = "financial_coach"


class RentAssistanceCoordinator(StaffMember):
    """Rent-assistance coordinator at the housing hub (landlord relationships, market knowledge)."""

    role = "rent_assistance_coordinator"
