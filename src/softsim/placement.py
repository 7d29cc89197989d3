"""Where things start: sites, modules, mobile bases, delegated providers, buses, plant area.

Set-up only: these run once, when the model is built. Where a location strategy is involved
(``location.strategy``), it decides *where* sites go; with a channel mix (``budget.mix``),
:func:`buy_capacity` decides *how much* of each channel the money buys.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

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
    "SITE_FIXED_SHARE_MAX",
    "Actors",
    "Purchase",
    "buy_capacity",
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
    the largest commune; ``multi_bourg``: every group in its ``count`` largest poles and
    bourgs (all of them if there are fewer);
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
            out[name] = centres[: group.count]
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


SITE_FIXED_SHARE_MAX = 0.5
"""Most of a site's money its fixed cost may take when the money buys sites (an assumption):
a group gets no more sites than its money pays at twice their fixed cost, so that on a small
territory a few sites open rather than many that can barely open."""


@dataclass(frozen=True)
class Purchase:
    """What a channel mix buys on a territory.

    Attributes:
        config: The config with the counts and amounts bought (the model runs on it).
        money: € per week at full funding by channel, as the mix shares them.
        spent: € per week of running cost (and worst-case activity) each channel bought.
        counts: Discrete actors bought: ``modules``, ``mobile_agents``, ``buses``, ``sites``.
        to_sites: € per week no discrete actor could use, moved to the fixed sites.
    """

    config: Config
    money: dict[str, float]
    spent: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    to_sites: float = 0.0


def buy_capacity(cfg: Config, territory: Territory, n_residents: int) -> Purchase | None:
    """Turn the *faire* envelope into channels through the mix's shares and unit costs.

    Only with ``budget.mix.enabled`` and a budget (else None: the config's absolute counts
    hold). The money is the first week's *faire* envelope, less the orchestrator's
    reconfiguration share. Discrete actors are rounded to the nearest whole number (modules
    and buses at their nominal price; mobile agents sharing the hours bought equally) and the
    difference, positive or negative, goes to the fixed sites, which absorb it as capacity;
    the modules' difference resizes every module instead (nominal ``capacity`` is the size
    that sets their count). Prices at full funding, variable costs at
    their worst case (a mobile hour driven at road speed, a bus stop at the farthest commune,
    every ride credit used).

    Args:
        cfg: The resolved (scaled) config.
        territory: The territory.
        n_residents: Simulated residents.
    """
    b, mix = cfg.budget, cfg.budget.mix
    if not mix.enabled or b.per_1000_per_week is None:
        return None
    t = territory
    per_1000 = n_residents / 1000.0
    reconf = (
        cfg.orchestrator.reconfiguration_share
        if cfg.orchestrator.enabled and mix.modules > 0
        else 0.0
    )
    total = b.per_1000_per_week * per_1000 * b.faire * (1.0 - reconf)
    money = {c: getattr(mix, c) * total for c in ("sites", "modules", "mobile", "bus", "tad",
                                                   "information", "rollout")}
    out = cfg.model_copy(deep=True)
    spent: dict[str, float] = {}
    counts: dict[str, int] = {}
    left = 0.0

    m = out.modules
    unit = m.fixed_cost_per_week + m.capacity * m.cost_per_capacity
    n = min(250, math.floor(money["modules"] / unit + 0.5)) if unit > 0 else 0
    if n > 0 and m.cost_per_capacity > 0:
        each = (money["modules"] / n - m.fixed_cost_per_week) / m.cost_per_capacity
        m.capacity = max(1, min(10_000, math.floor(each)))
    m.count = n
    spent["modules"] = n * (m.fixed_cost_per_week + m.capacity * m.cost_per_capacity)
    counts["modules"] = n

    mob = out.mobile
    hour = mob.cost_per_hour + mob.cost_per_km * cfg.travel.road_speed_kmh
    hours = money["mobile"] / hour if hour > 0 else 0.0
    agents = max(1, round(hours / mob.hours_per_week)) if hours >= 1.0 else 0
    if agents:
        mob.hours_per_week = min(80.0, hours / agents)
    mob.agents = min(500, agents)
    spent["mobile"] = mob.agents * mob.hours_per_week * hour
    counts["mobile_agents"] = mob.agents

    bus = out.bus
    far = float(t.graph.rows([mobile_base(t)])[2, :, : t.n].max())
    unit = bus.cost_per_week + bus.stops_per_week * 2.0 * far * bus.cost_per_km
    nb = min(100, math.floor(money["bus"] / unit + 0.5)) if unit > 0 else 0
    bus.count = nb
    spent["bus"] = nb * unit
    counts["buses"] = nb

    tr = out.transport
    if tr.tad != "none" and tr.cost_per_trip > 0 and per_1000 > 0:
        tr.trips_per_1000_per_week = min(1000.0, money["tad"] / tr.cost_per_trip / per_1000)
        spent["tad"] = money["tad"]
    else:
        tr.trips_per_1000_per_week = 0.0
        spent["tad"] = 0.0
    if per_1000 > 0:
        out.information.spending_per_1000_per_week = money["information"] / per_1000
        out.digital.rollout_per_1000_per_week = money["rollout"] / per_1000
        spent["information"], spent["rollout"] = money["information"], money["rollout"]
    for c in ("modules", "mobile", "bus", "tad", "information", "rollout"):
        left += money[c] - spent.get(c, 0.0)

    spent["sites"] = _buy_sites(out, t, per_1000, money["sites"] + left)
    counts["sites"] = sum(g.count for g in out.sites.values())
    return Purchase(out, money, spent, counts, left)


def _buy_sites(cfg: Config, territory: Territory, per_1000: float, money: float) -> float:
    """Share ``money`` among the site groups and buy each group's sites and contacts.

    A group's share is in proportion to its ``capacity_per_1000``. Its count is at most its
    placements under the location strategy and at most what its share pays at
    ``1 / SITE_FIXED_SHARE_MAX`` times their fixed cost. A group whose share cannot pay one
    site so is closed (count 0) and its share goes to the others, the lightest group first;
    if none can, the heaviest keeps one site with all the money. The rest of a group's share
    buys contacts. Returns the money spent.
    """
    placed = _placements(cfg, territory)
    weights = {
        name: g.capacity_per_1000 if len(placed[name]) else 0.0 for name, g in cfg.sites.items()
    }
    open_ = [name for name in sorted(weights, key=lambda k: -weights[k]) if weights[name] > 0]
    if not open_ or per_1000 <= 0:
        return 0.0

    def share(name: str) -> float:
        return money * weights[name] / sum(weights[k] for k in open_)

    def affordable(name: str) -> int:
        g = cfg.sites[name]
        if g.fixed_cost_per_week <= 0:
            return len(placed[name])
        return min(len(placed[name]),
                   math.floor(share(name) * SITE_FIXED_SHARE_MAX / g.fixed_cost_per_week))

    while len(open_) > 1:
        poor = [k for k in open_ if affordable(k) == 0]
        if not poor:
            break
        open_.remove(poor[-1])  # the lightest group that cannot pay one site closes
    spent = 0.0
    for name, g in cfg.sites.items():
        if name not in open_:
            if g.count > 0 and weights[name] > 0:
                g.count = 0
            continue
        mg = share(name)
        n = max(1, affordable(name))
        capacity = (mg - n * g.fixed_cost_per_week) / g.cost_per_capacity if (
            g.cost_per_capacity > 0
        ) else g.capacity_per_1000 * per_1000
        g.capacity_per_1000 = min(1000.0, max(0.0, capacity) / per_1000)
        g.count = n
        spent += n * g.fixed_cost_per_week + g.capacity_per_1000 * per_1000 * g.cost_per_capacity
    return spent
