"""Where things start: sites, modules, mobile bases, delegated providers, buses, plant area.

Set-up only: these run once, when the model is built. Where a location strategy is involved
(``location.strategy``), it decides *where* sites go.
"""

from __future__ import annotations

import numpy as np

from softsim.config import Config
from softsim.population import Residents
from softsim.service_types import ServiceTypes
from softsim.services.fixed import FixedSite
from softsim.slots import slot_mask
from softsim.territory import Territory
from softsim.territory.core import BOURG, POLE, VILLAGE

__all__ = [
    "bus_count",
    "candidate_communes",
    "delegated_communes",
    "mobile_base",
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
