"""Where things start: sites, modules, mobile bases, delegated providers, buses, plant area.

Set-up only: these run once, when the model is built. Where a location strategy is involved
(``location.strategy``), it decides *where* sites go.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import networkx as nx
import numpy as np
from mesa.discrete_space import Network

from softsim.config import Config
from softsim.population import Residents
from softsim.service_types import ServiceTypes
from softsim.services import AssociationSector, Bus, FixedSite, MobileAgent, PopUpModule
from softsim.slots import slot_class, slot_mask
from softsim.territory import Territory
from softsim.territory.core import BOURG, POLE, VILLAGE

__all__ = [
    "Actors",
    "bus_count",
    "candidate_communes",
    "commune_network",
    "delegated_communes",
    "mobile_base",
    "place_actors",
    "place_sites",
    "plant_area",
    "spread_communes",
]

_WHERE = {
    "poles": (POLE,),
    "bourgs": (BOURG,),
    "poles_and_bourgs": (POLE, BOURG),
    "all": None,
}


def commune_network(territory: Territory, rng: random.Random) -> Network:
    """The Mesa network of communes (cells) joined by the territory's roads."""
    t = territory
    graph = nx.Graph()
    graph.add_nodes_from(range(t.n))
    graph.add_edges_from(map(tuple, t.edges.tolist()))
    # an explicit layout: without one Mesa computes a spring layout (slow for 1,000s of nodes)
    return Network(graph, random=rng, layout={i: (t.x_km[i], t.y_km[i]) for i in range(t.n)})


def candidate_communes(where: str, count: int, territory: Territory) -> np.ndarray:
    """The ``count`` largest communes of the ``where`` classes, topped up by the next largest."""
    by_size = np.argsort(-territory.population, kind="stable")
    classes = _WHERE[where]
    if classes is None:
        return by_size[:count]
    inside = np.isin(territory.cls[by_size], classes)
    return np.concatenate([by_size[inside], by_size[~inside]])[:count]


def _placements(cfg: Config, territory: Territory) -> dict[str, np.ndarray]:
    """Communes of each site group under the configured location strategy.

    ``as_configured``: each group's own ``where``/``count``; ``single_pole``: every group in
    the largest commune; ``multi_bourg``: every group in every pole and bourg;
    ``specialised_poles``: group i in the i-th largest pole or bourg only; ``itinerance``: as
    configured (:func:`bus_count` then turns the sites' money into buses).
    """
    strategy = cfg.location.strategy
    centres = candidate_communes("poles_and_bourgs", int((territory.cls <= BOURG).sum()), territory)
    out = {}
    for i, (name, group) in enumerate(cfg.sites.items()):
        if group.count == 0:
            out[name] = np.zeros(0, np.int64)
        elif strategy == "single_pole":
            out[name] = centres[:1]
        elif strategy == "multi_bourg":
            out[name] = centres
        elif strategy == "specialised_poles":
            out[name] = centres[i % len(centres) : i % len(centres) + 1]
        else:
            out[name] = candidate_communes(group.where, group.count, territory)
    return out


def place_sites(
    model, territory: Territory, cfg: Config, types: ServiceTypes, n_residents: int
) -> list[FixedSite]:
    """Create the fixed sites of every site group of the config.

    A group's capacity is ``capacity_per_1000 × simulated residents / 1000`` contacts per week,
    shared equally among its sites (rounded, at least 1), so ``--scale`` keeps the ratio of
    capacity to demand and the location strategy moves capacity without changing its total.
    """
    sites = []
    for name, communes in _placements(cfg, territory).items():
        group = cfg.sites[name]
        if len(communes) == 0:
            continue
        each = max(1, round(group.capacity_per_1000 * n_residents / 1000 / len(communes)))
        for c in communes:
            sites.append(
                FixedSite(
                    model,
                    model.space[int(c)],
                    name,
                    types.ids(group.types, f"sites.{name}.types"),
                    each,
                    slot_mask(group.slots),
                    group.fixed_cost_per_week + each * group.cost_per_capacity,
                )
            )
    return sites


def spread_communes(territory: Territory, k: int) -> list[int]:
    """``k`` starting communes for modules: poles and bourgs, then villages, cycling.

    Each class is ranked by population.
    """
    t = territory
    by_size = np.argsort(-t.population, kind="stable")
    ranked = np.concatenate(
        [by_size[t.cls[by_size] != VILLAGE], by_size[t.cls[by_size] == VILLAGE]]
    )
    return [int(ranked[i % len(ranked)]) for i in range(k)]


def mobile_base(territory: Territory) -> int:
    """The commune mobile agents and buses start from: the most populated."""
    return int(np.argmax(territory.population))


def delegated_communes(cfg: Config, territory: Territory) -> list[int]:
    """Communes of delegated providers (none unless *faire faire* receives money)."""
    b = cfg.budget
    if b.per_1000_per_week is None or b.faire_faire <= 0:
        return []
    return [int(c) for c in candidate_communes(b.delegated_where, b.delegated_count, territory)]


def bus_count(cfg: Config, sites_weekly_cost: float) -> int:
    """Configured buses; under ``itinerance`` the fixed sites' money buys more buses."""
    count = cfg.bus.count
    if cfg.location.strategy == "itinerance":
        count += int(round(sites_weekly_cost / max(cfg.bus.cost_per_week, 1.0)))
    return count


def plant_area(cfg: Config, territory: Territory, residents: Residents) -> np.ndarray:
    """Residents hit by a plant closure: working age, within radius of the largest bourg."""
    t, res = territory, residents
    shocks = [s for s in cfg.futures.shocks if s.kind == "plant_closure"]
    if not shocks:
        return np.zeros(0, np.int32)
    bourgs = np.flatnonzero(t.cls == BOURG)
    site = (
        int(bourgs[np.argmax(t.population[bourgs])])
        if len(bourgs)
        else int(np.argmax(t.population))
    )
    near = np.hypot(t.x_km - t.x_km[site], t.y_km - t.y_km[site]) <= shocks[0].radius_km
    working = (res.age >= 1) & (res.age <= 4)
    return np.flatnonzero(near[res.home] & working).astype(np.int32)


@dataclass(eq=False)
class Actors:
    """The model's Mesa agents and delegated providers, as placed at the start."""

    sites: list[FixedSite]
    delegated: list[int]
    modules: list[PopUpModule]
    mobile_agents: list[MobileAgent]
    buses: list[Bus]
    associations: AssociationSector | None


def place_actors(
    model,
    cfg: Config,
    territory: Territory,
    residents: Residents,
    types: ServiceTypes,
    rng_associations: np.random.Generator,
) -> Actors:
    """Create every actor of the config on the model's commune network.

    They are created in a fixed order (sites, modules, mobile agents, buses, associations):
    their Mesa ids order the orchestrator's reviews. Under ``itinerance`` the fixed sites'
    money buys buses and no site remains.
    """
    t, res, m = territory, residents, cfg.modules
    sites = place_sites(model, t, cfg, types, res.n)
    modules = [
        PopUpModule(
            model,
            model.space[c],
            types.ids(m.types, "modules.types"),
            slot_class(slot_mask(m.slots)),
            m.capacity,
            m.fixed_cost_per_week + m.capacity * m.cost_per_capacity,
        )
        for c in spread_communes(t, m.count)
    ]
    base = model.space[mobile_base(t)]
    mobile = [MobileAgent(model, base, cfg.mobile.hours_per_week) for _ in range(cfg.mobile.agents)]
    n_buses = bus_count(cfg, sum(s.weekly_cost for s in sites))
    if cfg.location.strategy == "itinerance":
        for site in sites:
            site.remove()
        sites = []
    bus_types = types.ids(cfg.bus.types, "bus.types")
    visits: dict[int, int] = {}  # shared: no bus revisits a village too soon
    buses = [Bus(model, base, bus_types, visits) for _ in range(n_buses)]
    associations = None
    if cfg.associations.enabled:
        associations = AssociationSector(
            model,
            cfg.associations,
            np.bincount(res.home, weights=res.age > 0, minlength=t.n),
            types.ids(cfg.associations.types, "associations.types"),
            slot_mask(cfg.associations.slots),
            rng_associations,
            cfg.simulation.weeks_per_year,
        )
    return Actors(sites, delegated_communes(cfg, t), modules, mobile, buses, associations)
