"""Services across the border: the fixed sites of the communes around a real territory.

With ``territory.border_km > 0`` a bundled territory (``dep:``, ``epci:``, ``reg:``, lists) has a
ring of outside communes in its road graph (:class:`~softsim.territory.core.Border`). Their
inhabitants are not simulated; their fixed sites serve the territory's residents like its own,
at no cost to its budget, with part of their capacity:

* **where**: each neighbouring département gets the scenario's site groups placed by the same
  rule as the territory's own (``where``/``count`` of each group, as configured: a location
  strategy is the territory's policy, not its neighbours'); the sites that fall in the ring are
  kept;
* **how much**: a site has the capacity its département's rule gives it
  (``capacity_per_1000`` × the département's inhabitants × ``population.scale`` / 1000 /
  ``count``), times the share of the inhabitants living around it (within the straight-line
  km a car covers at ``road_speed_kmh`` in the run's travel cutoff, over the detour factor)
  who live in the territory: the rest is left to the neighbours' own residents, who are not
  simulated.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from softsim.config import Config
from softsim.providers import Provider
from softsim.service_types import ServiceTypes
from softsim.slots import slot_mask
from softsim.territory import Territory
from softsim.territory.core import BOURG, POLE

__all__ = ["border_providers"]

_WHERE = {"poles": (POLE,), "bourgs": (BOURG,), "poles_and_bourgs": (POLE, BOURG), "all": None}


def _classes(population: np.ndarray, cfg: Config) -> np.ndarray:
    """Pole / bourg / village of a département's communes (as the territory's own)."""
    tc = cfg.territory
    cls = np.full(len(population), 2, dtype=np.int8)
    cls[population >= tc.bourg_min_population] = BOURG
    cls[population >= tc.pole_min_population] = POLE
    cls[int(np.argmax(population))] = POLE
    return cls


def border_providers(
    cfg: Config, territory: Territory, cutoff_min: float, types: ServiceTypes
) -> list[Provider]:
    """The fixed sites of the border ring, as providers of kind ``border`` (none without one).

    Args:
        cfg: The run's config (site groups, population scale, road speed).
        territory: A territory built with a border ring (``territory.border``).
        cutoff_min: The run's travel cutoff (the catchment used to share a site's capacity).
        types: The run's service types.
    """
    ring = territory.border
    if ring is None or ring.m == 0:
        return []
    from softsim.territory.real import _projector, bundled_selection, communes_table

    _, selected = bundled_selection(territory.label)
    project = _projector(selected["lon"].to_numpy(float), selected["lat"].to_numpy(float))
    table = communes_table()
    tx, ty = project(table["lon"].to_numpy(float), table["lat"].to_numpy(float))
    pop = table["population"].to_numpy(float)
    inside = table["code"].isin(selected["code"]).to_numpy()
    tree = cKDTree(np.column_stack([tx, ty]))
    radius = cutoff_min / 60.0 * cfg.travel.road_speed_kmh / cfg.travel.detour_factor
    ring_index = {c: i for i, c in enumerate(ring.code.tolist())}
    out: list[Provider] = []
    for dep in sorted(set(ring.dep.tolist())):
        rows = np.flatnonzero((table["dep"] == dep).to_numpy())
        cls = _classes(pop[rows], cfg)
        by_size = np.argsort(-pop[rows], kind="stable")
        for name, group in cfg.sites.items():
            if group.count == 0:
                continue
            classes = _WHERE[group.where]
            if classes is None:
                chosen = by_size[: group.count]
            else:
                ok = np.isin(cls[by_size], classes)
                chosen = np.concatenate([by_size[ok], by_size[~ok]])[: group.count]
            each = max(
                1,
                round(group.capacity_per_1000 * pop[rows].sum() * cfg.population.scale / 1000
                      / len(chosen)),
            )
            for r in rows[chosen].tolist():
                code = str(table["code"].iat[r])
                if code not in ring_index:
                    continue
                around = tree.query_ball_point([tx[r], ty[r]], radius)
                share = pop[around][inside[around]].sum() / max(pop[around].sum(), 1.0)
                capacity = int(round(each * share))
                if capacity > 0:
                    out.append(
                        Provider(
                            territory.n + ring_index[code],
                            types.ids(group.types, f"sites.{name}.types"),
                            slot_mask(group.slots),
                            capacity,
                            "border",
                            None,
                        )
                    )
    return out
