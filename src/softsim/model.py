"""SoftTerritory: the Mesa model that wires territory, residents, channels and the weekly step.

Arrays (residents, pending needs, series) live in :mod:`softsim.population`,
:mod:`softsim.demand` and ``series``; actors (fixed sites, pop-up modules, mobile agents, buses,
associations) are Mesa agents on the commune network, placed by :mod:`softsim.placement`. One
:meth:`SoftTerritory.step` is one week and runs :data:`SCHEDULE` in order; what a week computes
lives in a :class:`~softsim.week.WeekState` (``model.now``). Every mechanism is always wired; a
scenario only sets levers (a mechanism with no lever set simply has nothing to do).
"""

from __future__ import annotations

import numpy as np

from softsim import mesa_loader  # first: it imports Mesa without its call-stack walk
from softsim.accessibility import accessibility_weight
from softsim.allocation import NONE, WeekTables, allocate
from softsim.border import border_providers
from softsim.budget import Budget
from softsim.co2cap import Co2Cap, cap_bus_km
from softsim.config import Config, check_runnable, check_territory, scale_actors
from softsim.costs import Activity, CostModel
from softsim.demand import NeedArrivals, NeedPool
from softsim.edits import Editor
from softsim.futures import Futures
from softsim.groups import public_weights
from softsim.information import Awareness
from softsim.interoperability import Interoperability
from softsim.orchestrator import Orchestrator
from softsim.outcome_kernels import book_week, close_week
from softsim.placement import buy_capacity, commune_network, place_actors, plant_area
from softsim.population import AGE_75PLUS, build_residents, draw_exclusion
from softsim.priority_order import descending
from softsim.providers import week_providers
from softsim.reception import Reception
from softsim.rng import SeedTree
from softsim.schedule import SCHEDULE, Phase, plan
from softsim.service_types import ServiceTypes
from softsim.services import (
    HomeVisits,
    buses_week_km,
    digital_attempts,
    home_visits,
    learn_skills,
    plan_bus_stops,
    roll_out_broadband,
)
from softsim.site_quality import apply_site_quality
from softsim.territory import Territory, build_territory
from softsim.territory.travel import travel_cutoff
from softsim.transport import Transport
from softsim.week import SERIES, WeekState

mesa = mesa_loader.mesa

__all__ = ["SCHEDULE", "SERIES", "Phase", "SoftTerritory", "plan"]


class SoftTerritory(mesa.Model):
    """A territory, its residents and its service channels, stepped one week at a time.

    Args:
        cfg: The resolved scenario.
        seed: Root of the seed tree; every draw comes from a named stream of it.
        territory: A prebuilt territory (to share one between runs); built from ``cfg`` if None.
    """

    def __init__(self, cfg: Config, seed: int, territory: Territory | None = None) -> None:
        seeds = SeedTree(seed)
        super().__init__(rng=seeds.generator("mesa"))
        self.config = cfg  # as given (outputs record it)
        self.cfg = cfg = scale_actors(cfg)  # as used (actors scaled like residents)
        self.seed_root = seed
        check_runnable(cfg)
        self.territory = t = territory or build_territory(cfg.territory, cfg.travel, seeds)
        check_territory(cfg, t)
        self.space = commune_network(t, seeds.python_random("space"))
        self.residents = res = build_residents(t, cfg, seeds.generator("residents"))
        draw_exclusion(res, cfg, seeds.generator("exclusion"))
        neighbours_cfg = cfg  # the neighbours' sites follow the scenario, not our purchase
        # with a channel mix, the money buys the counts and amounts of the channels
        self.purchase = buy_capacity(cfg, t, res.n)
        if self.purchase is not None:
            self.cfg = cfg = self.purchase.config
        self.types = types = ServiceTypes(cfg)
        self.resident_weight = public_weights(res, t, cfg.priorities.publics)
        self.mediation = (
            types.id(cfg.digital.mediation_type, "digital.mediation_type")
            if cfg.digital.mediation_type is not None
            else -1
        )
        self.residents_c = np.bincount(res.home, minlength=t.n)
        self.travel = t.travel(
            travel_cutoff(cfg), max(cfg.travel.nocar_speed_kmh, cfg.transport.tad_speed_kmh)
        )
        self.transport = Transport(t, cfg.transport, self.residents_c, self.travel)
        self.border = border_providers(neighbours_cfg, t, self.travel.cutoff_min, types)

        actors = place_actors(self, cfg, t, res, types, seeds.generator("associations"))
        self.sites, self.delegated, self.modules = actors.sites, actors.delegated, actors.modules
        self.mobile_agents, self.buses = actors.mobile_agents, actors.buses
        self.associations = actors.associations
        apply_site_quality(self.sites, cfg.site_quality, seeds.generator("site_quality"))
        self.reception = Reception(cfg, types)
        self.editor = Editor(self, cfg.edits)  # checked now; week 0 edits place the actors
        self.editor.apply(self, 0)
        if self.associations is not None:
            self.associations.use_levers(
                t.cls, t.population, seeds.generator("association_missions"),
                seeds.generator("association_durability"),
            )

        # processes
        epidemic = any(s.kind == "epidemic" for s in cfg.futures.shocks)
        self.futures = Futures(
            cfg.futures,
            len(types),
            types.id("health", "futures.shocks (epidemic)") if epidemic else -1,
            cfg.simulation.weeks_per_year,
        )
        self.costs = CostModel(cfg, res.n)
        self.budget = Budget(
            cfg.budget,
            res.n,
            cfg.orchestrator.reconfiguration_share
            if cfg.orchestrator.enabled and self.modules
            else 0.0,
            cfg.simulation.weeks_per_year,
            buys_sites=self.purchase is not None,
        )
        self._booked_activity = 0.0  # variable cost booked so far ...
        self._worst_activity = 0.0  # ... and its worst case at the weeks' factors
        self.orchestrator = (
            Orchestrator(
                cfg.orchestrator,
                cfg.modules,
                self.travel,
                types.ids(cfg.modules.types, "modules.types"),
                len(types),
                seeds.generator("orchestrator"),
            )
            if cfg.orchestrator.enabled
            else None
        )
        cap = cfg.orchestrator.co2_cap_kg_per_week
        self.co2_cap = (
            Co2Cap(cap, cfg.orchestrator.review_weeks)
            if cap is not None and (self.buses or self.orchestrator is not None)
            else None
        )
        self.awareness = Awareness(
            cfg.information,
            res,
            [s.awareness for s in cfg.services.values()],
            t.n,
            seeds.generator("information"),
            cfg.simulation.weeks_per_year,
        )
        self.interoperability = Interoperability(
            cfg.information.years_to_full_effect, cfg.simulation.weeks_per_year
        )
        self.arrivals = NeedArrivals(res, cfg)
        pb = cfg.population.broadband
        self.broadband = np.array([pb.pole, pb.bourg, pb.village])[t.cls].astype(np.float32)
        self.plant_area = plant_area(cfg, t, res)
        self.plant_type = (
            types.id("employment", "futures.shocks (plant_closure)")
            if len(self.plant_area)
            else -1
        )

        self.pool = NeedPool.empty()
        self._allocation_tables = WeekTables()  # the week's site table, kept while sites stay
        self._rng_needs = seeds.generator("needs")
        self._rng_digital = seeds.generator("digital")
        self._rng_digital_exclusion = seeds.generator("digital_exclusion")
        self._rng_priority = seeds.generator("priority")
        self._rng_transport = seeds.generator("transport")
        self._rng_outcomes = seeds.generator("outcomes")
        self._rng_reception = seeds.generator("reception")
        self.week = 0
        self.series = {name: np.zeros(cfg.weeks, dtype=np.float64) for name in SERIES}
        self.travel_hist = np.zeros(301, dtype=np.int64)  # served in person, by whole minute
        self.now = WeekState.start(1.0, self._providers(1.0), len(types), t.n)
        self._phases = [getattr(self, f"phase_{p.name}") for p in SCHEDULE]

    # ------------------------------------------------------------------ the week's offer

    def _providers(self, factor: float, site_factor: float | None = None):
        return week_providers(
            sites=self.sites,
            modules=self.modules,
            buses=self.buses,
            associations=self.associations,
            delegated=self.delegated,
            delegated_types=self.types.ids(self.cfg.budget.delegated_types),
            delegated_capacity=self.budget.delegated_capacity(len(self.delegated)),
            users_per_stop=self.cfg.bus.users_per_stop,
            factor=factor,
            site_factor=site_factor,
            border=self.border,
        )

    @staticmethod
    def _border_mask(providers) -> np.ndarray:
        return np.array([p.kind == "border" for p in providers] or [False], dtype=bool)

    def _running_cost(self) -> float:
        return self.costs.running(
            self.sites, self.modules, len(self.mobile_agents), len(self.buses)
        )

    def worst_activity(self) -> Activity:
        """This week's most activity at full funding (see :meth:`CostModel.worst_case`)."""
        base = [int(self.buses[0].base.coordinate)] if self.buses else []
        far = float(self.travel.rows("km", base)[:, : self.territory.n].max()) if base else 0.0
        return self.costs.worst_case(
            len(self.mobile_agents), len(self.buses), far, self.transport.weekly_trips()
        )

    def activity_ratio(self) -> float:
        """Variable cost booked so far over its worst case at the weeks' factors (1 at first)."""
        if self._worst_activity <= 0:
            return 1.0
        return min(1.0, self._booked_activity / self._worst_activity)

    def planned_cost(self) -> float:
        """This week's public-provision cost at full funding and worst-case activity."""
        return self.costs.public(self._running_cost(), 1.0, self.worst_activity())

    def expected_cost(self) -> float:
        """This week's public-provision cost at full funding and expected activity."""
        return self.costs.expected(
            self._running_cost(), self.worst_activity(), self.activity_ratio()
        )

    # ------------------------------------------------------------------ the step

    def step(self) -> None:
        """Advance one week: run every phase of :data:`SCHEDULE` in order."""
        for phase in self._phases:
            phase()
        self.week += 1

    def phase_edits(self) -> None:
        """The scenario's edits due this week (sites, modules, mobile bases; see edits.py)."""
        self.editor.apply(self, self.week)

    def phase_futures(self) -> None:
        """Trends and shocks, budget, broadband rollout, bus stops; this week's offer."""
        f, b = self.futures, self.budget
        b.multiplier = f.budget_multiplier(self.week)
        b.start_week(self.week)
        # booked rides accrued in earlier weeks may be taken this week on top of its own
        committed = self.transport.credit_on_hand() * self.cfg.transport.cost_per_trip
        factor, site_factor = b.plan(
            self.expected_cost(),
            self.planned_cost(),
            committed,
            self.costs.site_running(self.sites),
        )
        self.broadband += (1.0 - self.broadband) * f.broadband_step()
        d = self.cfg.digital
        rollout = roll_out_broadband(
            self.broadband,
            self.residents_c,
            d.rollout_per_1000_per_week * self.residents.n / 1000.0 * factor,
            d.connection_cost,
        )
        if self.co2_cap is not None:
            self.co2_cap.accrue()
        if self.buses:
            self._plan_buses(factor)
        providers = self._providers(factor, site_factor)
        self.now = WeekState.start(factor, providers, len(self.types), self.territory.n)
        self.now.site_factor = site_factor
        w = self.now.counters
        w["rollout_cost"] = rollout
        w["budget"] = b.weekly() if b.capped else float("nan")
        w["funding_factor"] = factor
        w["site_factor"] = site_factor

    def _plan_buses(self, factor: float) -> None:
        t = self.territory
        if self.orchestrator is not None:
            seen = self.orchestrator.observe()
            ranking = seen[:, self.buses[0].types, :].sum(axis=(1, 2))
        else:  # farthest from any fixed site first
            fixed = np.array([s.commune for s in self.sites], dtype=np.int64)
            ranking = (
                self.travel.columns("car", fixed).min(axis=1)
                if len(fixed)
                else np.zeros(t.n, np.float32)
            )
        stops = int(np.floor(self.cfg.bus.stops_per_week * factor + 1e-9))
        before = dict(self.buses[0].last_visit) if self.co2_cap is not None else {}
        plan_bus_stops(self.buses, self.week, t, ranking, stops, self.cfg.bus.revisit_weeks)
        if self.co2_cap is not None:  # the tours take their km from the CO2 allowance
            cap = self.co2_cap
            cap.spend(cap_bus_km(self.buses, self.travel.view("km"), cap.bank, before))

    def phase_needs(self) -> None:
        """Latent needs arise; aware residents express them, the others do not take them up."""
        r, k, dig = self.arrivals.draw(self._rng_needs, self.futures.need_multipliers(self.week))
        for shock in self.futures.plant_closures(self.week):
            r2, k2, d2 = self.arrivals.draw_extra(
                self._rng_needs, self.plant_area, self.plant_type, shock.magnitude
            )
            r, k, dig = np.concatenate([r, r2]), np.concatenate([k, k2]), np.concatenate([dig, d2])
        info = self.cfg.information.spending_per_1000_per_week * self.now.factor
        if info > 0:  # the effect ramps up with the interoperability level built so far
            info *= self.interoperability.build(self.now.factor)
        aware = self.awareness.express(r, k, self.week, info)  # also tallies latent, not taken up
        e = np.flatnonzero(aware)  # found once: three takes beat three boolean masks
        self.pool.add(r[e], k[e], self.week, dig[e])
        w = self.now.counters
        w["latent"] = len(r)
        w["expressed"] = len(e)
        w["not_taken_up"] = len(r) - w["expressed"]

    def phase_options(self) -> None:
        """Digital attempts and mediation; lifts and demand-responsive trips for no-car needs."""
        pool, res, now = self.pool, self.residents, self.now
        now.digital_ok, now.digital_failed = digital_attempts(
            pool.resident, pool.digitisable, res, self.broadband, self.cfg.digital,
            self._rng_digital, self._rng_digital_exclusion,
        )
        now.counters["digital_failures"] = int(now.digital_failed.sum())
        now.alt_type = np.where(now.digital_failed, self.mediation, -1).astype(np.int8)
        lifts = np.zeros(self.territory.n, np.int64)
        if self.associations is not None:
            for a in self.associations.associations:
                lifts[a.commune] = self.associations.lifts(a)
        now.mode = self.transport.assign(
            pool.resident, res, lifts, now.factor, self._rng_transport
        )

    def phase_allocate(self) -> None:
        """Exact sequential greedy over the pending needs, in (weighted) random priority order."""
        pool, now, cfg = self.pool, self.now, self.cfg
        sa = now.sites
        u = self._rng_priority.random(len(pool))
        weight = self.types.weight[pool.type] * self.resident_weight[pool.resident]
        if cfg.priorities.accessibility > 0:  # serve first those farthest from the type
            res = self.residents
            now.access_weight = accessibility_weight(
                cfg.priorities, sa, self.travel, res.home[pool.resident],
                res.car[pool.resident], pool.type,
            )
            weight = weight * now.access_weight
        key = np.log(u) / weight  # Efraimidis-Spirakis: weighted random order, largest first
        order = descending(key)  # = np.argsort(-key, kind="stable"), faster
        if cfg.residents.priority == "oldest_first":
            order = order[np.argsort(pool.arrival[order], kind="stable")]
        now.remaining = sa.capacity.copy()
        need_type, type_ptr, type_sites, tolerance = self.reception.kernel_types(
            pool, self.week, sa, now.providers, self.types.tolerance
        )
        now.choice, now.anchor, now.travel = allocate(
            order=order,
            need_resident=pool.resident,
            need_type=need_type,
            need_alt_type=now.alt_type,
            need_mode=now.mode,
            digital_ok=now.digital_ok,
            residents=self.residents,
            minutes=self.transport.minutes,
            site_commune=sa.commune,
            site_slots=sa.slots,
            site_reach=sa.reach,
            remaining=now.remaining,
            type_ptr=type_ptr,
            type_sites=type_sites,
            tolerance=tolerance,
            dependent_factor=cfg.residents.dependent_tolerance_factor,
            digital_effort=cfg.digital.effort_min,
            work_break_min=cfg.residents.work_break_min,
            tables=self._allocation_tables,
        )

    def phase_mobile(self) -> None:
        """Home visits: mobile agents tour the pending requests of residents who cannot travel."""
        pool, res, now, mob = self.pool, self.residents, self.now, self.cfg.mobile
        if not self.mobile_agents:  # nobody to tour: skip the passes over the pool
            now.visits = HomeVisits.none(len(pool))
            return
        eligible = res.dependent[pool.resident]
        if mob.eligible == "dependent_or_no_car_75plus":
            eligible |= (~res.car & (res.age == AGE_75PLUS))[pool.resident]
        req = np.flatnonzero((now.choice == NONE) & eligible & self.types.home_visit[pool.type])
        req = req[np.argsort(pool.arrival[req], kind="stable")]  # oldest first
        now.visits = home_visits(
            self.mobile_agents,
            req,
            res.home[pool.resident[req]],
            len(pool),
            mob.hours_per_week * 60.0 * now.factor,
            mob.visit_min,
            self.travel,
        )
        now.counters["mobile_km"] = now.visits.km

    def phase_outcomes(self) -> None:
        """Book served needs, drop them, then abandon needs that ran out of patience."""
        pool, res, now, t = self.pool, self.residents, self.now, self.territory
        sa, w, choice = now.sites, now.counters, now.choice
        # a first-level contact that orients the need travelled and used capacity, unserved
        oriented, first_level = self.reception.orient(
            pool, choice, now.providers, self._rng_reception
        )
        # served (site, online, home visit), booked on the residents; contacts' km; mediation
        b = book_week(pool, now, res, sa.offers(), self.travel, self.week, self.travel_hist,
                      oriented)
        served, at_site, travel, wait = b.served, b.at_site, b.travel, b.wait
        trips = self.transport.book(b.mode, b.km, b.home, b.car)
        bus_km = sum(buses_week_km(self.buses, self.travel.view("km")))
        # mediation: a failed online attempt served at a site that does not offer the type
        learn_skills(b.r_low, res, self.cfg.digital.skill_gain, self._rng_outcomes)
        self.awareness.orient(b.r_served)
        used = sa.capacity - now.remaining
        for p, u in zip(now.providers, used, strict=True):
            if p.kind == "association":
                p.owner.used += int(u)

        activity = Activity(w["mobile_km"], bus_km, trips.tad_trips, w["rollout_cost"])
        public = self.costs.public(
            self._running_cost(),
            now.factor,
            activity,
            self.costs.site_running(self.sites),
            now.site_factor,
        )
        self.budget.book(public)
        self._booked_activity += self.costs.variable(activity)
        self._worst_activity += self.costs.variable(self.worst_activity().scaled(now.factor))
        budgeted = public + self.budget.transfers(
            bool(self.delegated), self.associations is not None
        )
        service_km = w["mobile_km"] + bus_km + trips.tad_km
        w.update(
            cost_budgeted=budgeted,
            cost=budgeted + self.costs.digital(b.online),
            served=len(b.r_served),
            served_site=len(travel),
            served_digital=b.online,
            served_home_visit=b.visited,
            served_mediated=b.mediated,
            served_border=int(self._border_mask(now.providers)[choice[at_site]].sum())
            if self.border else 0,
            travel_min_sum=float(travel.sum()),
            wait_weeks_sum=float(wait.sum()),
            resident_km=trips.resident_km,
            service_km=service_km,
            vehicle_km=trips.resident_km + service_km,
            tad_trips=trips.tad_trips,
            carpool_lifts=trips.lifts,
            capacity=float(sa.capacity.sum()),
            capacity_used=float(used.sum()),
            oriented=int(oriented.sum()),
            resolved_first_level=first_level - int(oriented.sum()),
        )
        # the orchestrator observes what was expressed this week and not served (the map);
        # the served leave the pool, the needs out of patience are abandoned
        self.reception.requeue(pool, oriented, self.week)
        now.unmet, w["abandoned"] = close_week(
            pool, served, oriented, self.week, self.types.weight, self.resident_weight,
            now.access_weight, res, t.n, self.types.patience,
        )
        w["pending"] = len(pool)

    def phase_adapt(self) -> None:
        """Associations update; every ``review_weeks`` the orchestrator reconfigures modules."""
        w, b = self.now.counters, self.budget
        if self.associations is not None:
            s, kits = self.associations, self.cfg.associations.transfer_kit_share
            years = self.week / self.cfg.simulation.weeks_per_year
            w["volunteer_hours"] = s.update(
                self.futures.engagement(self.week),
                b.cofunding(len(s.by_commune)),
                b.incentives() * (1.0 - kits),  # the kits' part of inciter buys no incentive
                support=b.envelope("faire_avec") + b.envelope("inciter"),
                kit_money=b.envelope("inciter") * kits,
                mission_share=s.mission_share(years, self.cfg.futures.mission_shift_per_year),
            )
            w["volunteers"] = s.volunteers_total()
            w["associations"] = len(s.by_commune)
            w["mission_volunteers"] = s.missioners_total()
            w["transfer_kits"] = s.kits
            w["associations_dissolved_by_cut"] = s.dissolved_by_cut
        for m in self.modules:  # a module reconfigured now stays closed move/retype_weeks
            m.tick()
        if self.orchestrator is not None:
            o = self.orchestrator
            o.record(self.now.unmet)
            if self.modules and (self.week + 1) % self.cfg.orchestrator.review_weeks == 0:
                moves, retypes = o.moves, o.retypes
                km_left = None if self.co2_cap is None else self.co2_cap.bank
                spent = o.review(
                    self.modules, self.space, b.reserve, self.now.factor, km_left=km_left
                )
                if self.co2_cap is not None:
                    self.co2_cap.spend(o.last_move_km)
                b.spend_reserve(spent)
                w["reconfiguration_cost"] = spent
                w["modules_moved"] = o.moves - moves
                w["modules_retyped"] = o.retypes - retypes
                w["cost"] += spent
                w["cost_budgeted"] += spent
        w["aware_share"] = float(self.awareness.share_aware().mean())
        w["broadband_share"] = float(self.broadband @ self.residents_c / max(self.residents.n, 1))

    def phase_record(self) -> None:
        """Copy this week's counters into the preallocated series."""
        for name, value in self.now.counters.items():
            self.series[name][self.week] = value
