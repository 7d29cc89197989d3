"""Fixed sites: counters at a commune, with service types, weekly capacity, slots and cost."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mesa.discrete_space import FixedAgent

from softsim.config import SLOTS, Config, SiteGroup
from softsim.territory import Territory
from softsim.territory.core import BOURG, POLE

__all__ = ["FixedSite", "SiteArrays", "place_sites", "slot_mask"]

_WHERE = {
    "poles": (POLE,),
    "bourgs": (BOURG,),
    "poles_and_bourgs": (POLE, BOURG),
    "all": None,
}


def slot_mask(slots: list[str]) -> int:
    """Bit mask of named slots (bit i is ``SLOTS[i]``)."""
    return sum(1 << SLOTS.index(s) for s in set(slots))


class FixedSite(FixedAgent):
    """A counter that stays where it is built (CAF office, employment agency, town services…).

    Attributes:
        group: Name of the site group of the config it comes from.
        commune: Index of its commune (the Mesa cell it stands in).
        types: Service type ids it offers.
        capacity: Contacts it can handle per week (all its types together).
        slots: Opening slot mask.
        weekly_cost: Running cost per week (fixed part + cost of the capacity).
    """

    def __init__(self, model, cell, group: str, types: list[int], capacity: int, slots: int,
                 weekly_cost: float) -> None:
        super().__init__(model)
        self.cell = cell
        self.group = group
        self.commune = int(cell.coordinate)
        self.types = types
        self.capacity = capacity
        self.slots = slots
        self.weekly_cost = weekly_cost


def _site_communes(group: SiteGroup, territory: Territory) -> np.ndarray:
    """The ``count`` largest communes of the group's classes, topped up by the next largest."""
    by_size = np.argsort(-territory.population, kind="stable")
    classes = _WHERE[group.where]
    if classes is None:
        return by_size[: group.count]
    eligible = by_size[np.isin(territory.cls[by_size], classes)]
    rest = by_size[~np.isin(territory.cls[by_size], classes)]
    return np.concatenate([eligible, rest])[: group.count]


def place_sites(model, territory: Territory, cfg: Config, n_residents: int) -> list[FixedSite]:
    """Create the fixed sites of every site group of the config.

    A group's capacity is ``capacity_per_1000 × simulated residents / 1000`` contacts per week,
    shared equally among its sites (rounded, at least 1), so ``--scale`` keeps the ratio of
    capacity to demand.
    """
    type_id = {name: k for k, name in enumerate(cfg.service_names)}
    sites = []
    for name, group in cfg.sites.items():
        communes = _site_communes(group, territory)
        if len(communes) == 0:
            continue
        each = max(1, round(group.capacity_per_1000 * n_residents / 1000 / len(communes)))
        for c in communes:
            sites.append(
                FixedSite(
                    model,
                    model.space[int(c)],
                    name,
                    sorted(type_id[t] for t in group.types),
                    each,
                    slot_mask(group.slots),
                    group.fixed_cost_per_week + each * group.cost_per_capacity,
                )
            )
    return sites


@dataclass(frozen=True)
class SiteArrays:
    """Array view of the sites for the allocation kernel (rebuilt when sites change)."""

    commune: np.ndarray
    slots: np.ndarray
    capacity: np.ndarray
    weekly_cost: np.ndarray
    type_ptr: np.ndarray
    type_sites: np.ndarray

    @classmethod
    def of(cls, sites: list[FixedSite], n_types: int) -> SiteArrays:
        """Arrays of the given sites; sites offering type ``k`` listed in increasing index."""
        lists = [[s for s, site in enumerate(sites) if k in site.types] for k in range(n_types)]
        ptr = np.concatenate([[0], np.cumsum([len(x) for x in lists])]).astype(np.int64)
        flat = np.array([s for x in lists for s in x], dtype=np.int32)
        return cls(
            commune=np.array([s.commune for s in sites], dtype=np.int32),
            slots=np.array([s.slots for s in sites], dtype=np.int8),
            capacity=np.array([s.capacity for s in sites], dtype=np.int64),
            weekly_cost=np.array([s.weekly_cost for s in sites], dtype=np.float64),
            type_ptr=ptr,
            type_sites=flat,
        )
