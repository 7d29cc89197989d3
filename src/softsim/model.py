"""SoftTerritory: the Mesa model that wires territory, residents, channels and the weekly step.

Arrays (residents, pending needs, per-step series) live in :mod:`softsim.population`,
:mod:`softsim.demand` and ``series``; actors (fixed sites, pop-up modules, mobile agents, buses,
associations) are Mesa agents on the commune network. One :meth:`SoftTerritory.step` is one week
and runs :data:`SCHEDULE` in order. Every mechanism is always wired; a scenario only sets levers
(a mechanism with no lever set simply has nothing to do).
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import networkx as nx
import numpy as np
from mesa.discrete_space import Network

from softsim.allocation import DIGITAL, NONE, allocate
from softsim.budget import Budget
from softsim.config import Config, scale_actors
from softsim.demand import NeedArrivals, NeedPool
from softsim.futures import Futures
from softsim.information import Awareness
from softsim.orchestrator import Orchestrator, slot_class
from softsim.population import AGE_75PLUS, build_residents
from softsim.rng import SeedTree
from softsim.scatter import add_at
from softsim.services import (
    AssociationSector,
    Bus,
    MobileAgent,
    PopUpModule,
    Provider,
    SiteArrays,
    candidate_communes,
    digital_attempts,
    place_sites,
    plan_tours,
    slot_mask,
)
from softsim.territory import Territory, build_territory
from softsim.territory.core import VILLAGE
from softsim.transport import MODE_CAR, MODE_TAD, Transport

__all__ = ["SCHEDULE", "SERIES", "Phase", "SoftTerritory", "plan"]



@dataclass(frozen=True)
class Phase:
    """One phase of the weekly step: its name (the method ``phase_<name>``) and what it does."""

    name: str
    does: str


SCHEDULE: tuple[Phase, ...] = (
    Phase(
        "futures",
        "trends and shocks; budget and funding factor; broadband rollout; the "
        "week's capacity (sites, modules, bus stops, associations)",
    ),
    Phase(
        "needs",
        "latent needs arise (Poisson per type x age band, shocks); awareness is "
        "brought up to date; unaware residents do not express them (non-take-up)",
    ),
    Phase(
        "options",
        "digital attempts (skill, broadband), mediation of failures, car-pool "
        "lifts and demand-responsive transport for residents without a car",
    ),
    Phase(
        "allocate",
        "random serial dictatorship: needs in (weighted) random order take their "
        "best feasible option with capacity left (compiled kernel)",
    ),
    Phase("mobile", "mobile agents tour pending home-visit requests (nearest neighbour)"),
    Phase(
        "outcomes",
        "served needs leave the pool (travel, wait, km, cost, orientation, skills); "
        "needs past their patience are abandoned",
    ),
    Phase(
        "adapt",
        "associations recruit, burn out, dissolve, emerge; the orchestrator reads "
        "lagged, noisy unmet demand and reconfigures modules every review_weeks",
    ),
    Phase("record", "this week's counts go into the preallocated series"),
)
"""The weekly step, in order. ``softsim run --plan`` prints it."""

SERIES: tuple[str, ...] = (
    "latent",
    "expressed",
    "not_taken_up",
    "served",
    "served_digital",
    "served_site",
    "served_home_visit",
    "served_mediated",
    "abandoned",
    "pending",
    "digital_failures",
    "travel_min_sum",
    "wait_weeks_sum",
    "vehicle_km",
    "resident_km",
    "service_km",
    "cost",
    "cost_budgeted",
    "budget",
    "funding_factor",
    "capacity",
    "capacity_used",
    "volunteers",
    "volunteer_hours",
    "associations",
    "modules_moved",
    "modules_retyped",
    "reconfiguration_cost",
    "tad_trips",
    "carpool_lifts",
    "mobile_km",
    "rollout_cost",
    "broadband_share",
    "aware_share",
)
"""Per-week counters recorded by the ``record`` phase."""


def plan() -> str:
    """The schedule as printable text."""
    return "\n".join(f"{i}. {p.name:<9} {p.does}" for i, p in enumerate(SCHEDULE, 1))


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
        self.seeds = seeds
        self.seed_root = seed
        self.territory = t = territory or build_territory(cfg.territory, cfg.travel, seeds)
        graph = nx.Graph()
        graph.add_nodes_from(range(t.n))
        graph.add_edges_from(map(tuple, t.edges.tolist()))
        self.space = Network(
            graph,
            random=seeds.python_random("space"),
            layout={i: (t.x_km[i], t.y_km[i]) for i in range(t.n)},
        )
        self.residents = res = build_residents(t, cfg, seeds.generator("residents"))
        self.type_id = {name: k for k, name in enumerate(cfg.service_names)}
        n_types = len(self.type_id)
        self.tolerance = np.array([s.tolerance_min for s in cfg.services.values()], np.float32)
        self.patience = np.array([s.patience_weeks for s in cfg.services.values()], np.int32)
        self.home_visit = np.array([s.home_visit for s in cfg.services.values()], bool)
        self.type_weight = np.array([cfg.priorities.types.get(n, 1.0) for n in self.type_id])
        self.resident_weight = self._public_weights()
        self.mediation = (
            self.type_id[cfg.digital.mediation_type]
            if cfg.digital.mediation_type is not None
            else -1
        )

        self.residents_c = np.bincount(res.home, minlength=t.n)
        self.transport = Transport(t, cfg.transport, self.residents_c)

        # actors
        self.sites = place_sites(self, t, cfg, res.n)
        self.delegated = self._delegated_communes()
        m = cfg.modules
        self.modules = [
            PopUpModule(
                self,
                self.space[int(c)],
                [self.type_id[x] for x in m.types],
                slot_class(slot_mask(m.slots)),
                m.capacity,
                m.fixed_cost_per_week + m.capacity * m.cost_per_capacity,
            )
            for c in self._spread_communes(m.count)
        ]
        base = self.space[int(np.argmax(t.population))]
        self.mobile_agents = [
            MobileAgent(self, base, cfg.mobile.hours_per_week) for _ in range(cfg.mobile.agents)
        ]
        bus_types = [self.type_id[x] for x in cfg.bus.types]
        visits: dict[int, int] = {}
        self.buses = [Bus(self, base, bus_types, visits) for _ in range(self._bus_count())]
        adults = np.bincount(res.home, weights=res.age > 0, minlength=t.n)
        self.associations = (
            AssociationSector(
                self,
                cfg.associations,
                adults,
                [self.type_id[x] for x in cfg.associations.types],
                slot_mask(cfg.associations.slots),
                seeds.generator("associations"),
            )
            if cfg.associations.enabled
            else None
        )

        # processes
        self.futures = Futures(cfg.futures, self.type_id, cfg.simulation.weeks_per_year)
        self.budget = Budget(
            cfg.budget,
            res.n,
            cfg.orchestrator.reconfiguration_share
            if cfg.orchestrator.enabled and self.modules
            else 0.0,
        )
        self.orchestrator = (
            Orchestrator(
                cfg.orchestrator,
                cfg.modules,
                t.car_min,
                [self.type_id[x] for x in cfg.modules.types],
                n_types,
                seeds.generator("orchestrator"),
            )
            if cfg.orchestrator.enabled
            else None
        )
        self.awareness = Awareness(
            cfg.information,
            res,
            [s.awareness for s in cfg.services.values()],
            t.n,
            seeds.generator("information"),
        )
        self.arrivals = NeedArrivals(res, cfg)
        pb = cfg.population.broadband
        self.broadband = np.array([pb.pole, pb.bourg, pb.village])[t.cls].astype(np.float32)
        self.plant_area = self._plant_area()

        self.pool = NeedPool.empty()
        self._rng_needs = seeds.generator("needs")
        self._rng_digital = seeds.generator("digital")
        self._rng_priority = seeds.generator("priority")
        self._rng_transport = seeds.generator("transport")
        self._rng_outcomes = seeds.generator("outcomes")
        self.week = 0
        self.series = {name: np.zeros(cfg.weeks, dtype=np.float64) for name in SERIES}
        self.travel_hist = np.zeros(301, dtype=np.int64)  # served in person, by whole minute
        self.capacity_by_kind: dict[str, float] = {}
        self._w: dict[str, float] = {}
        self._phases = [getattr(self, f"phase_{p.name}") for p in SCHEDULE]
        self.site_arrays = SiteArrays.of(self._providers(1.0), n_types)

    # ------------------------------------------------------------------ set-up helpers

    def _public_weights(self) -> np.ndarray:
        res, t, pr = self.residents, self.territory, self.cfg.priorities.publics
        w = np.ones(res.n)
        masks = {
            "age_75plus": res.age == AGE_75PLUS,
            "no_car": ~res.car,
            "low_digital_skill": res.low_skill,
            "workers": res.employed,
            "dependent": res.dependent,
            "rural": t.cls[res.home] == VILLAGE,
        }
        for group, weight in pr.items():
            w[masks[group]] *= weight
        return w

    def _ranked_communes(self) -> np.ndarray:
        """Poles and bourgs first, then villages, each by population."""
        t = self.territory
        by_size = np.argsort(-t.population, kind="stable")
        return np.concatenate(
            [by_size[t.cls[by_size] != VILLAGE], by_size[t.cls[by_size] == VILLAGE]]
        )

    def _spread_communes(self, k: int) -> list[int]:
        """``k`` starting communes for modules: the poles and bourgs, then villages, cycling."""
        ranked = self._ranked_communes()
        return [int(ranked[i % len(ranked)]) for i in range(k)]

    def _delegated_communes(self) -> list[int]:
        if not self.budget_capped_share("faire_faire"):
            return []
        b = self.cfg.budget
        return [
            int(c) for c in candidate_communes(b.delegated_where, b.delegated_count, self.territory)
        ]

    def budget_capped_share(self, posture: str) -> bool:
        """Whether a posture receives money (budget capped and share > 0)."""
        b = self.cfg.budget
        return b.per_1000_per_week is not None and getattr(b, posture) > 0

    def _bus_count(self) -> int:
        """Configured buses; under ``itinerance`` the fixed sites' money buys more buses."""
        count = self.cfg.bus.count
        if self.cfg.location.strategy == "itinerance":
            fixed_cost = sum(s.weekly_cost for s in self.sites)
            for site in self.sites:
                site.remove()
            self.sites = []
            count += int(round(fixed_cost / max(self.cfg.bus.cost_per_week, 1.0)))
        return count

    def _plant_area(self) -> np.ndarray:
        """Residents hit by a plant closure: working age, within radius of the largest bourg."""
        t, res = self.territory, self.residents
        shocks = [s for s in self.cfg.futures.shocks if s.kind == "plant_closure"]
        if not shocks:
            return np.zeros(0, np.int32)
        bourgs = np.flatnonzero(t.cls == 1)
        site = (
            int(bourgs[np.argmax(t.population[bourgs])])
            if len(bourgs)
            else int(np.argmax(t.population))
        )
        near = np.hypot(t.x_km - t.x_km[site], t.y_km - t.y_km[site]) <= shocks[0].radius_km
        working = (res.age >= 1) & (res.age <= 4)
        return np.flatnonzero(near[res.home] & working).astype(np.int32)

    # ------------------------------------------------------------------ providers

    def _providers(self, factor: float) -> list[Provider]:
        """Everything that can serve someone this week, as sites for the allocation kernel."""
        out = [
            Provider(s.commune, s.types, s.slots, int(s.capacity * factor), "fixed", s)
            for s in self.sites
        ]
        if self.delegated:
            each = int(self.budget.delegated_capacity() / len(self.delegated))
            types = sorted(self.type_id[x] for x in self.cfg.budget.delegated_types)
            out += [Provider(c, types, 0b001, each, "delegated", None) for c in self.delegated]
        out += [
            Provider(m.commune, m.types, m.slots, m.capacity_now(factor), "module", m)
            for m in self.modules
        ]
        for bus in self.buses:
            out += [
                Provider(c, bus.types, 0b001, self.cfg.bus.users_per_stop, "bus", bus)
                for c in bus.stops
            ]
        if self.associations is not None:
            reach = self.cfg.associations.reach_min
            out += [
                Provider(
                    a.commune,
                    a.types,
                    a.slots,
                    self.associations.capacity(a),
                    "association",
                    a,
                    reach,
                )
                for a in self.associations.associations
            ]
        return out

    def _planned_faire(self) -> float:
        """Upper bound of this week's public-provision cost at full funding."""
        cfg, t = self.cfg, self.territory
        cost = sum(s.weekly_cost for s in self.sites) + sum(m.weekly_cost for m in self.modules)
        mob = cfg.mobile
        cost += (
            len(self.mobile_agents)
            * mob.hours_per_week
            * (mob.cost_per_hour + cfg.travel.road_speed_kmh * mob.cost_per_km)
        )
        if self.buses:  # a stop adds at most a return trip to the farthest commune
            base = int(self.buses[0].base.coordinate)
            per_stop = 2.0 * float(t.road_km[base].max()) * cfg.bus.cost_per_km
            cost += len(self.buses) * (cfg.bus.cost_per_week + cfg.bus.stops_per_week * per_stop)
        cost += self.transport.planned_cost()
        cost += cfg.information.spending_per_1000_per_week * self.residents.n / 1000.0
        cost += cfg.digital.rollout_per_1000_per_week * self.residents.n / 1000.0
        return cost

    # ------------------------------------------------------------------ the step

    def step(self) -> None:
        """Advance one week: run every phase of :data:`SCHEDULE` in order."""
        self._w = dict.fromkeys(SERIES, 0.0)
        for phase in self._phases:
            phase()
        self.week += 1

    def phase_futures(self) -> None:
        """Trends and shocks, budget, broadband rollout, bus stops; this week's capacity."""
        f, b, w = self.futures, self.budget, self._w
        b.multiplier = f.budget_multiplier(self.week)
        b.start_week()
        self.factor = b.funding_factor(self._planned_faire())
        self.broadband += (1.0 - self.broadband) * f.broadband_step()
        self._w["rollout_cost"] = self._roll_out_broadband()
        if self.buses:
            self._plan_buses()
        self.providers = self._providers(self.factor)
        self.site_arrays = SiteArrays.of(self.providers, len(self.type_id))
        w["budget"] = b.weekly() if b.capped else float("nan")
        w["funding_factor"] = self.factor

    def _roll_out_broadband(self) -> float:
        """Connect residents with this week's rollout money; returns the money spent."""
        d = self.cfg.digital
        if d.rollout_per_1000_per_week <= 0:
            return 0.0
        uncovered = (1.0 - self.broadband) * self.residents_c
        total = uncovered.sum()
        if total <= 0:
            return 0.0
        money = d.rollout_per_1000_per_week * self.residents.n / 1000.0 * self.factor
        connected = min(total, money / d.connection_cost)
        self.broadband += (connected * uncovered / total / np.maximum(self.residents_c, 1)).astype(
            np.float32
        )
        np.minimum(self.broadband, 1.0, out=self.broadband)
        return connected * d.connection_cost

    def _plan_buses(self) -> None:
        t = self.territory
        villages = np.flatnonzero(t.cls == VILLAGE)
        if self.orchestrator is not None:
            seen = self.orchestrator.observe()
            ranking = seen[:, self.buses[0].types, :].sum(axis=(1, 2))
        else:  # farthest from any fixed site first
            fixed = np.array([s.commune for s in self.sites], dtype=np.int64)
            ranking = t.car_min[:, fixed].min(axis=1) if len(fixed) else np.zeros(t.n, np.float32)
        stops = int(np.floor(self.cfg.bus.stops_per_week * self.factor + 1e-9))
        taken: set[int] = set()
        for bus in self.buses:
            bus.plan_week(self.week, villages, ranking, stops, self.cfg.bus.revisit_weeks, taken)

    def phase_needs(self) -> None:
        """Latent needs arise; aware residents express them, the others do not take them up."""
        r, k, dig = self.arrivals.draw(self._rng_needs, self.futures.need_multipliers(self.week))
        for shock in self.futures.plant_closures(self.week):
            r2, k2, d2 = self.arrivals.draw_extra(
                self._rng_needs, self.plant_area, self.type_id.get("employment", 0), shock.magnitude
            )
            r, k, dig = np.concatenate([r, r2]), np.concatenate([k, k2]), np.concatenate([dig, d2])
        res = self.residents
        self.awareness.refresh(r, self.week, self._info_spending())
        add_at(res.latent, r, 1)
        aware = ((res.awareness[r] >> k.astype(np.uint16)) & 1).astype(bool)
        add_at(res.not_taken_up, r[~aware], 1)
        self.pool.add(r[aware], k[aware], self.week, dig[aware])
        w = self._w
        w["latent"] = len(r)
        w["expressed"] = int(aware.sum())
        w["not_taken_up"] = len(r) - w["expressed"]

    def _info_spending(self) -> float:
        return self.cfg.information.spending_per_1000_per_week * self.factor

    def phase_options(self) -> None:
        """Digital attempts and mediation; lifts and demand-responsive trips for no-car needs."""
        pool, res = self.pool, self.residents
        self._digital_ok, self._digital_failed = digital_attempts(
            pool.resident,
            pool.digitisable,
            res,
            self.broadband,
            self.cfg.digital,
            self._rng_digital,
        )
        self._w["digital_failures"] = int(self._digital_failed.sum())
        self._alt_type = np.where(self._digital_failed, self.mediation, -1).astype(np.int8)
        lifts = np.zeros(self.territory.n, np.int64)
        if self.associations is not None:
            for a in self.associations.associations:
                lifts[a.commune] = self.associations.lifts(a)
        self._mode = self.transport.assign(pool.resident, res, lifts, self.factor,
                                           self._rng_transport)

    def phase_allocate(self) -> None:
        """Exact sequential greedy over the pending needs, in (weighted) random priority order."""
        pool, sa = self.pool, self.site_arrays
        u = self._rng_priority.random(len(pool))
        weight = self.type_weight[pool.type] * self.resident_weight[pool.resident]
        key = np.log(u) / weight  # Efraimidis-Spirakis: weighted random order, largest first
        order = np.argsort(-key, kind="stable")
        if self.cfg.residents.priority == "oldest_first":
            order = order[np.argsort(pool.arrival[order], kind="stable")]
        self._remaining = sa.capacity.copy()
        self._choice, self._anchor, self._travel = allocate(
            order,
            pool.resident,
            pool.type,
            self._digital_ok,
            self.residents,
            self.territory.car_min,
            self.territory.nocar_min,
            sa.commune,
            sa.slots,
            self._remaining,
            sa.type_ptr,
            sa.type_sites,
            self.tolerance,
            self.cfg.residents.dependent_tolerance_factor,
            self.cfg.digital.effort_min,
            self.cfg.residents.work_break_min,
            need_mode=self._mode,
            minutes=self.transport.minutes,
            need_alt_type=self._alt_type,
            site_reach=sa.reach,
        )

    def phase_mobile(self) -> None:
        """Home visits: mobile agents tour the pending requests of residents who cannot travel."""
        self._visited = np.zeros(len(self.pool), bool)
        self._tour_legs = (np.zeros(0, np.int32), np.zeros(0, np.int32))
        self._w["mobile_km"] = 0.0
        if not self.mobile_agents:
            return
        pool, res = self.pool, self.residents
        eligible = res.dependent[pool.resident]
        if self.cfg.mobile.eligible == "dependent_or_no_car_75plus":
            eligible |= (~res.car & (res.age == AGE_75PLUS))[pool.resident]
        req = np.flatnonzero((self._choice == NONE) & eligible & self.home_visit[pool.type])
        req = req[np.argsort(pool.arrival[req], kind="stable")]  # oldest first
        t = self.territory
        minutes = np.full(
            len(self.mobile_agents), self.cfg.mobile.hours_per_week * 60.0 * self.factor
        )
        base = [int(a.base.coordinate) for a in self.mobile_agents]
        served_by, km, _, legs_from, legs_to, _ = plan_tours(
            res.home[pool.resident[req]],
            base,
            minutes,
            self.cfg.mobile.visit_min,
            t.car_min,
            t.road_km,
        )
        self._visited[req[served_by >= 0]] = True
        self._tour_legs = (legs_from, legs_to)
        for a, agent in enumerate(self.mobile_agents):
            agent.km_total += float(km[a])
            agent.visits_total += int((served_by == a).sum())
        self._w["mobile_km"] = float(km.sum())

    def phase_outcomes(self) -> None:
        """Book served needs, drop them, then abandon needs that ran out of patience."""
        pool, res, sa, w, cfg = self.pool, self.residents, self.site_arrays, self._w, self.cfg
        choice = self._choice
        at_site = choice >= 0
        served = at_site | (choice == DIGITAL) | self._visited
        r_served = pool.resident[served]
        wait = (self.week - pool.arrival[served]).astype(np.float32)
        add_at(res.served, r_served, 1)
        add_at(res.wait_weeks_sum, r_served, wait)
        r_site = pool.resident[at_site]
        travel = self._travel[at_site]
        add_at(res.served_in_person, r_site, 1)
        add_at(res.travel_min_sum, r_site, travel)
        self.travel_hist += np.bincount(np.minimum(travel, 300).astype(np.int64), minlength=301)

        # who travelled how: residents' own car km (a car-pool lift is a car trip too)
        mode = self._mode[at_site]
        km = self.territory.road_km[self._anchor[at_site], sa.commune[choice[at_site]]]
        resident_km = 2.0 * float(km[mode == MODE_CAR].sum())
        tad_used = int((mode == MODE_TAD).sum())
        self.transport.consume(res.home[r_site[mode == MODE_TAD]])
        lifts_used = int(((mode == MODE_CAR) & ~res.car[r_site]).sum())
        bus_km = sum(b.week_km(self.territory.road_km) for b in self.buses)
        tad_km = 2.0 * float(km[mode == MODE_TAD].sum())  # the minibus drives there and back
        service_km = w["mobile_km"] + bus_km + tad_km

        # mediation: a failed online attempt served at a site that does not offer the type
        offers = sa.offers()
        mediated = at_site & self._digital_failed & ~offers[np.maximum(choice, 0), pool.type]
        low = mediated & res.low_skill[pool.resident]
        learn = self._rng_outcomes.random(int(low.sum())) < cfg.digital.skill_gain
        res.low_skill[pool.resident[low][learn]] = False
        self.awareness.orient(r_served)

        used = sa.capacity - self._remaining
        for p, u in zip(self.providers, used, strict=True):
            if p.kind == "association":
                p.owner.used += int(u)
        self._book_costs(tad_used, int((choice == DIGITAL).sum()), w["mobile_km"], bus_km)
        w["served"] = int(served.sum())
        w["served_site"] = int(at_site.sum())
        w["served_digital"] = int((choice == DIGITAL).sum())
        w["served_home_visit"] = int(self._visited.sum())
        w["served_mediated"] = int(mediated.sum())
        w["travel_min_sum"] = float(travel.sum())
        w["wait_weeks_sum"] = float(wait.sum())
        w["resident_km"] = resident_km
        w["service_km"] = service_km
        w["vehicle_km"] = resident_km + service_km
        w["tad_trips"] = tad_used
        w["carpool_lifts"] = lifts_used
        w["capacity"] = float(sa.capacity.sum())
        w["capacity_used"] = float(used.sum())

        # the orchestrator observes what was expressed this week and not served
        new_unserved = ~served & (pool.arrival == self.week)
        self._unmet = self._unmet_map(new_unserved)
        pool.keep(~served)
        expired = self.week - pool.arrival + 1 >= self.patience[pool.type]
        add_at(res.abandoned, pool.resident[expired], 1)
        w["abandoned"] = int(expired.sum())
        pool.keep(~expired)
        w["pending"] = len(pool)

    def _unmet_map(self, mask: np.ndarray) -> np.ndarray:
        """Unserved needs by home commune × type × slot class (workers: off-work hours).

        Each counts with the priority weights of its type and public, as the orchestrator
        weighs them.
        """
        res, pool = self.residents, self.pool
        r, k = pool.resident[mask], pool.type[mask]
        out = np.zeros((self.territory.n, len(self.type_id), 2), np.float32)
        cell = (res.home[r].astype(np.int64) * len(self.type_id) + k) * 2 + res.employed[r]
        add_at(out.reshape(-1), cell, (self.type_weight[k] * self.resident_weight[r]))
        return out

    def _book_costs(
        self, tad_used: int, digital_uses: int, mobile_km: float, bus_km: float
    ) -> None:
        """This week's spending: running costs at the funding factor, km, trips, envelopes."""
        cfg, w = self.cfg, self._w
        running = (
            sum(s.weekly_cost for s in self.sites)
            + sum(m.weekly_cost for m in self.modules)
            + len(self.mobile_agents) * cfg.mobile.hours_per_week * cfg.mobile.cost_per_hour
            + len(self.buses) * cfg.bus.cost_per_week
            + cfg.information.spending_per_1000_per_week * self.residents.n / 1000.0
        )
        budgeted = (
            running * self.factor
            + mobile_km * cfg.mobile.cost_per_km
            + bus_km * cfg.bus.cost_per_km
            + tad_used * cfg.transport.cost_per_trip
            + w["rollout_cost"]
            + (self.budget.envelope("faire_faire") if self.delegated else 0.0)
        )
        if self.associations is not None:
            budgeted += self.budget.envelope("faire_avec") + self.budget.envelope("inciter")
        w["cost_budgeted"] = budgeted
        w["cost"] = budgeted + digital_uses * cfg.digital.cost_per_use

    def phase_adapt(self) -> None:
        """Associations update; every ``review_weeks`` the orchestrator reconfigures modules."""
        w, b = self._w, self.budget
        if self.associations is not None:
            s = self.associations
            w["volunteer_hours"] = s.update(
                self.futures.engagement(self.week), b.cofunding(len(s.by_commune)), b.incentives()
            )
            w["volunteers"] = s.volunteers_total()
            w["associations"] = len(s.by_commune)
        for m in self.modules:  # a module reconfigured now stays closed move/retype_weeks
            m.tick()
        if self.orchestrator is not None:
            o = self.orchestrator
            o.record(self._unmet)
            if self.modules and (self.week + 1) % self.cfg.orchestrator.review_weeks == 0:
                moves, retypes = o.moves, o.retypes
                spent = o.review(self.modules, self.space, b.reserve, self.factor)
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
        for name, value in self._w.items():
            self.series[name][self.week] = value
