"""SystemModel: the conductor. It builds the parts and runs the month's processes in order."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from mesa import Model

from .agents import Family
from .capacity import Capacities
from .history import HousingHistory
from .network import place_agencies
from .outputs import MonthlyRecorder, family_table
from .params import Params
from .policies import BENEFIT_SCHEDULES, SERVICE_MODELS, BenefitSchedule, ServiceModel
from .population import SHELTER, UNSHELTERED, Population
from .processes import PROCESSES, Process
from .services import ServiceSystem
from .spells import SpellRecorder
from .streams import Streams

__all__ = ["SystemModel"]


class SystemModel(Model):
    """A local human-services system: families, staff and agencies, advanced one month per ``step()``.

    Args:
        params: all parameters (defaults if None); scenarios produce these.
        rng: the run seed (int). The same params and seed give identical results. None draws a seed,
            which is kept in ``self.seed``.
        processes: the month's process order (names from :data:`sysmodel.processes.PROCESSES`); defaults to
            ``params.schedule.processes``.

    The first ``params.time.burn_in_months`` steps are burn-in (``month < 0``): simulated, not recorded.
    """

    def __init__(
        self,
        params: Params | None = None,
        *,
        rng: int | None = None,
        processes: Sequence[str] | None = None,
    ):
        if rng is None:
            rng = int(np.random.SeedSequence().generate_state(1)[0])
        if not isinstance(rng, int | np.integer) or int(rng) < 0:
            raise ValueError(f"rng must be a non-negative integer seed, got {rng!r}")
        super().__init__(rng=int(rng))
        self.seed = int(rng)
        self.params = params if params is not None else Params()
        pp = self.params.population

        self.streams = Streams(self.seed, pp.n_families)
        self.population = Population(pp.n_families)
        self.month = -self.params.time.burn_in_months
        self.benefit_schedule: BenefitSchedule = BENEFIT_SCHEDULES.get(
            self.params.benefits.schedule
        )(self.params.benefits)
        self.population.fill(
            np.arange(pp.n_families),
            self.params,
            self.streams,
            "population",
            self.month,
            self.benefit_schedule,
        )
        self.housing_at_month_start = self.population.housing.copy()
        self.fid_at_month_start = self.population.fid.copy()
        self.families = [Family(self, row) for row in range(pp.n_families)]
        self.agency_network, self.agencies = place_agencies(self, self.seed)
        self.service_model: ServiceModel = SERVICE_MODELS.get(self.params.services.model)(
            self.params.services
        )
        self.services = ServiceSystem(self)
        # Who served which family, when: processes report spells as they start and end.
        self.spells = SpellRecorder(pp.n_families)
        # Every family's housing states, spell by spell, with the route in and out of each.
        self.history = HousingHistory(self.population, self.month)
        self.ledger: dict[str, float] = {}  # money moved this month, by line (USD)
        # Shelter units, landlords' units and vouchers, and their queues (None: no limit).
        self.capacity = Capacities(self)
        self.queue_stats: dict[str, float] = {}

        names = list(processes) if processes is not None else list(self.params.schedule.processes)
        self.processes: list[Process] = [PROCESSES.get(name)(self) for name in names]
        self.events: dict[str, int] = {}
        self.recorder = MonthlyRecorder()
        self.recording = False
        for process in self.processes:
            process.setup()

    @property
    def process_order(self) -> list[str]:
        """Names of the month's processes, in order."""
        return [p.name for p in self.processes]

    def process(self, name: str) -> Process | None:
        """The month's process called ``name``, or None if the schedule does not run it."""
        return next((p for p in self.processes if p.name == name), None)

    @property
    def total_months(self) -> int:
        """Burn-in plus recorded months."""
        return self.params.time.burn_in_months + self.params.time.months

    def step(self) -> None:
        """Advance one month: every process in order, then record (after burn-in)."""
        if self.month >= 0 and not self.recording:
            self.population.start_recording()
            self.spells.start_recording()
            self.recording = True
        pop = self.population
        housing_before = pop.housing.copy()
        fid_before = pop.fid.copy()
        # Exposed for processes that react to this month's moves (children).
        self.housing_at_month_start = housing_before
        self.fid_at_month_start = fid_before
        self.events = {}
        self.ledger = {}
        self.history.sync(pop, self.month)  # states set by hand since last month (tests, notebooks)
        for process in self.processes:
            process.run_month(self.month)
        # A move that bypassed the history would make its table disagree with the monthly counts.
        self.history.check(pop, self.month)
        # Month-end bookkeeping shared by all processes.
        # A newcomer (new id in the row) starts its months in state at 0 too.
        moved = (pop.housing != housing_before) | (pop.fid != fid_before)
        pop.months_in_state[:] = np.where(moved, 0, pop.months_in_state + 1)
        pop.months_homeless += (pop.housing == SHELTER) | (pop.housing == UNSHELTERED)
        self.queue_stats = self.capacity.month_end(self.month)
        if self.recording:
            self.recorder.collect(self, self.month)
        self.month += 1

    def run(
        self, months: int | None = None, progress: Callable[[int, int], None] | None = None
    ) -> SystemModel:
        """Run burn-in plus ``months`` recorded months (``params.time.months`` if None).

        ``progress(done, total)`` is called after every month (the command line draws a bar with it).
        """
        recorded = self.params.time.months if months is None else months
        total = self.params.time.burn_in_months + recorded if self.month < 0 else recorded
        for done in range(1, total + 1):
            self.step()
            if progress is not None:
                progress(done, total)
        for process in self.processes:
            process.finish()
        self.running = False
        return self

    def monthly_table(self) -> pd.DataFrame:
        """System outcomes, one row per recorded month (tidy)."""
        return self.recorder.table()

    def family_table(self) -> pd.DataFrame:
        """One row per family that lived in the area while recording."""
        return family_table(self)

    def spell_table(self) -> pd.DataFrame:
        """One row per spell of service a family received while recording (see :mod:`sysmodel.spells`)."""
        return self.spells.table(self)

    def housing_table(self) -> pd.DataFrame:
        """One row per spell a family spent in a housing state (see :mod:`sysmodel.history`)."""
        return self.history.table()
