"""Fixed sites: counters at a commune, with service types, weekly capacity, slots and cost."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from mesa.discrete_space import FixedAgent

from softsim.config import SLOTS, Config
from softsim.territory import Territory
from softsim.territory.core import BOURG, POLE

__all__ = ["FixedSite", "Provider", "SiteArrays", "candidate_communes", "place_sites", "slot_mask"]

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

    def __init__(
        self,
        model,
        cell,
        group: str,
        types: list[int],
        capacity: int,
        slots: int,
        weekly_cost: float,
    ) -> None:
        super().__init__(model)
        self.cell = cell
        self.group = group
        self.commune = int(cell.coordinate)
        self.types = types
        self.capacity = capacity
        self.slots = slots
        self.weekly_cost = weekly_cost


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
    configured (the model then turns the sites' money into buses).
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


def place_sites(model, territory: Territory, cfg: Config, n_residents: int) -> list[FixedSite]:
    """Create the fixed sites of every site group of the config.

    A group's capacity is ``capacity_per_1000 × simulated residents / 1000`` contacts per week,
    shared equally among its sites (rounded, at least 1), so ``--scale`` keeps the ratio of
    capacity to demand and the location strategy moves capacity without changing its total.
    """
    type_id = {name: k for k, name in enumerate(cfg.service_names)}
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
                    sorted(type_id[t] for t in group.types),
                    each,
                    slot_mask(group.slots),
                    group.fixed_cost_per_week + each * group.cost_per_capacity,
                )
            )
    return sites


class Provider(NamedTuple):
    """Anything that serves at a commune this week (site, module, bus stop, association)."""

    commune: int
    types: list[int]
    slots: int
    capacity: int
    kind: str
    owner: object
    reach: float = float("inf")


@dataclass(frozen=True)
class SiteArrays:
    """Array view of this week's providers for the allocation kernel."""

    commune: np.ndarray
    slots: np.ndarray
    capacity: np.ndarray
    reach: np.ndarray
    type_ptr: np.ndarray
    type_sites: np.ndarray

    @classmethod
    def of(cls, providers: list, n_types: int) -> SiteArrays:
        """Arrays of the given providers (objects with commune, types, slots, capacity)."""
        lists = [[] for _ in range(n_types)]
        for s, p in enumerate(providers):
            for k in p.types:
                lists[k].append(s)
        ptr = np.concatenate([[0], np.cumsum([len(x) for x in lists])]).astype(np.int64)
        flat = np.array([s for x in lists for s in x], dtype=np.int32)
        return cls(
            commune=np.array([p.commune for p in providers], dtype=np.int32),
            slots=np.array([p.slots for p in providers], dtype=np.int8),
            capacity=np.array([p.capacity for p in providers], dtype=np.int64),
            reach=np.array([getattr(p, "reach", np.inf) for p in providers], dtype=np.float32),
            type_ptr=ptr,
            type_sites=flat,
        )

    def offers(self) -> np.ndarray:
        """Boolean matrix (providers, types): which provider offers which type."""
        n_types = len(self.type_ptr) - 1
        out = np.zeros((max(len(self.commune), 1), n_types), bool)
        for k in range(n_types):
            out[self.type_sites[self.type_ptr[k] : self.type_ptr[k + 1]], k] = True
        return out
