"""SoftTerritory: the Mesa model that wires territory, residents, channels and the weekly step.

Arrays (residents, pending needs, per-step series) live in :mod:`softsim.population`,
:mod:`softsim.demand` and :class:`Series`; actors (fixed sites) are Mesa agents placed on the
commune network. One call of :meth:`SoftTerritory.step` is one week and runs :data:`SCHEDULE`,
in order.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import networkx as nx
import numpy as np
from mesa.discrete_space import Network

from softsim.allocation import DIGITAL, NONE, allocate
from softsim.config import Config
from softsim.demand import NeedArrivals, NeedPool
from softsim.population import build_residents
from softsim.rng import SeedTree
from softsim.services import SiteArrays, digital_attempts, place_sites
from softsim.territory import Territory, build_territory

__all__ = ["SCHEDULE", "SERIES", "Phase", "SoftTerritory", "plan"]


@dataclass(frozen=True)
class Phase:
    """One phase of the weekly step: its name (the method ``phase_<name>``) and what it does."""

    name: str
    does: str


SCHEDULE: tuple[Phase, ...] = (
    Phase("needs", "latent needs arise (Poisson per type x age band); unaware residents do not "
                   "express them (non-take-up); expressed needs join the pending pool"),
    Phase("options", "digital attempts of pending digitisable needs (skill, broadband)"),
    Phase("allocate", "random serial dictatorship: needs in random order take their best "
                      "feasible option with capacity left (compiled kernel)"),
    Phase("outcomes", "served needs leave the pool (travel, wait, vehicle-km, cost); needs "
                      "past their patience are abandoned"),
    Phase("record", "this week's counts go into the preallocated series"),
)
"""The weekly step, in order. ``softsim run --plan`` prints it."""

SERIES: tuple[str, ...] = (
    "latent", "expressed", "not_taken_up", "served", "served_digital", "served_site",
    "abandoned", "pending", "digital_failures", "travel_min_sum", "wait_weeks_sum",
    "vehicle_km", "cost", "capacity", "capacity_used",
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
        self.cfg = cfg
        self.seeds = seeds
        self.seed_root = seed
        self.territory = territory or build_territory(cfg.territory, cfg.travel, seeds)
        t = self.territory
        graph = nx.Graph()
        graph.add_nodes_from(range(t.n))
        graph.add_edges_from(map(tuple, t.edges.tolist()))
        self.space = Network(
            graph,
            random=seeds.python_random("space"),
            layout={i: (t.x_km[i], t.y_km[i]) for i in range(t.n)},
        )
        self.residents = build_residents(t, cfg, seeds.generator("residents"))
        self.sites = place_sites(self, t, cfg, self.residents.n)
        self.site_arrays = SiteArrays.of(self.sites, len(cfg.services))
        self.arrivals = NeedArrivals(self.residents, cfg)
        self.pool = NeedPool.empty()
        self._rng_needs = seeds.generator("needs")
        self._rng_digital = seeds.generator("digital")
        self._rng_priority = seeds.generator("priority")
        self.tolerance = np.array([s.tolerance_min for s in cfg.services.values()], np.float32)
        self.patience = np.array([s.patience_weeks for s in cfg.services.values()], np.int32)
        self.week = 0
        self.series = {name: np.zeros(cfg.weeks, dtype=np.float64) for name in SERIES}
        self.travel_hist = np.zeros(301, dtype=np.int64)  # served in person, by whole minute
        self._this_week: dict[str, float] = {}
        self._phases = [getattr(self, f"phase_{p.name}") for p in SCHEDULE]

    # ------------------------------------------------------------------ the step

    def step(self) -> None:
        """Advance one week: run every phase of :data:`SCHEDULE` in order."""
        self._this_week = dict.fromkeys(SERIES, 0.0)
        for phase in self._phases:
            phase()
        self.week += 1

    def phase_needs(self) -> None:
        """Latent needs arise; aware residents express them, the others do not take them up."""
        r, k, dig = self.arrivals.draw(self._rng_needs)
        res = self.residents
        np.add.at(res.latent, r, 1)
        aware = ((res.awareness[r] >> k.astype(np.uint16)) & 1).astype(bool)
        np.add.at(res.not_taken_up, r[~aware], 1)
        self.pool.add(r[aware], k[aware], self.week, dig[aware])
        w = self._this_week
        w["latent"] = len(r)
        w["expressed"] = int(aware.sum())
        w["not_taken_up"] = len(r) - w["expressed"]

    def phase_options(self) -> None:
        """Digital attempts of the pending needs (the other options are weighed in allocation)."""
        pool = self.pool
        self._digital_ok, failed = digital_attempts(
            pool.resident, pool.digitisable, self.residents, self.cfg.digital, self._rng_digital
        )
        self._this_week["digital_failures"] = int(failed.sum())

    def phase_allocate(self) -> None:
        """Exact sequential greedy over the pending needs, in priority order."""
        pool, sa = self.pool, self.site_arrays
        order = self._rng_priority.permutation(len(pool))
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
        )

    def phase_outcomes(self) -> None:
        """Book served needs, drop them, then abandon needs that ran out of patience."""
        pool, res, sa, w = self.pool, self.residents, self.site_arrays, self._this_week
        choice = self._choice
        served = choice != NONE
        at_site = choice >= 0
        r_served = pool.resident[served]
        wait = (self.week - pool.arrival[served]).astype(np.float32)
        np.add.at(res.served, r_served, 1)
        np.add.at(res.wait_weeks_sum, r_served, wait)
        r_site = pool.resident[at_site]
        travel = self._travel[at_site]
        np.add.at(res.served_in_person, r_site, 1)
        np.add.at(res.travel_min_sum, r_site, travel)
        self.travel_hist += np.bincount(
            np.minimum(travel, 300).astype(np.int64), minlength=301
        )
        by_car = res.car[r_site]
        km = self.territory.road_km[self._anchor[at_site], sa.commune[choice[at_site]]]
        n_digital = int((choice == DIGITAL).sum())
        w["served"] = int(served.sum())
        w["served_site"] = int(at_site.sum())
        w["served_digital"] = n_digital
        w["travel_min_sum"] = float(travel.sum())
        w["wait_weeks_sum"] = float(wait.sum())
        w["vehicle_km"] = float(2.0 * km[by_car].sum())
        w["cost"] = float(sa.weekly_cost.sum() + n_digital * self.cfg.digital.cost_per_use)
        w["capacity"] = float(sa.capacity.sum())
        w["capacity_used"] = float(sa.capacity.sum() - self._remaining.sum())
        pool.keep(~served)
        expired = self.week - pool.arrival + 1 >= self.patience[pool.type]
        np.add.at(res.abandoned, pool.resident[expired], 1)
        w["abandoned"] = int(expired.sum())
        pool.keep(~expired)
        w["pending"] = len(pool)

    def phase_record(self) -> None:
        """Copy this week's counters into the preallocated series."""
        for name, value in self._this_week.items():
            self.series[name][self.week] = value
