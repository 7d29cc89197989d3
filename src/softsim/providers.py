"""What can serve someone this week: every provider as a site of the allocation kernel.

Fixed sites, delegated capacity, pop-up modules, bus stops and associations all become
:class:`Provider` rows; :class:`SiteArrays` is their array view for the compiled kernel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from softsim.slots import SLOT_WEEKDAY

__all__ = ["Provider", "SiteArrays", "week_providers", "PROVIDER_KINDS"]

PROVIDER_KINDS = ("fixed", "delegated", "module", "bus", "association", "border")
"""Kinds of provider, in the order they are listed each week."""


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
    def of(cls, providers: Sequence, n_types: int) -> SiteArrays:
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


def week_providers(
    *,
    sites: Sequence,
    modules: Sequence,
    buses: Sequence,
    associations,
    delegated: Sequence[int],
    delegated_types: list[int],
    delegated_capacity: float,
    users_per_stop: int,
    factor: float,
    site_factor: float | None = None,
    border: Sequence[Provider] = (),
) -> list[Provider]:
    """This week's providers, at the funding factor ``factor``.

    Args:
        sites: Fixed sites (capacity scaled by ``factor``).
        modules: Pop-up modules (closed in transit; capacity scaled by ``factor``).
        buses: Buses; each of this week's stops is a weekday provider of ``users_per_stop``.
        associations: The association sector, or None.
        delegated: Communes of delegated providers, sharing ``delegated_capacity`` equally.
        delegated_types: Type ids of delegated providers.
        delegated_capacity: Contacts per week bought by delegation.
        users_per_stop: Places at one bus stop.
        factor: This week's funding factor.
        site_factor: Fixed sites' factor (``factor`` if None; above 1 when money left over
            at full funding buys their capacity).
        border: Sites across the border (:mod:`softsim.border`), listed last; not funded by
            the territory, so their capacity does not follow ``factor``.
    """
    sf = factor if site_factor is None else site_factor
    out = [Provider(s.commune, s.types, s.slots, int(s.capacity * sf), "fixed", s) for s in sites]
    if delegated:
        each = int(delegated_capacity / len(delegated))
        out += [
            Provider(c, delegated_types, SLOT_WEEKDAY, each, "delegated", None) for c in delegated
        ]
    out += [
        Provider(m.commune, m.types, m.slots, m.capacity_now(factor), "module", m) for m in modules
    ]
    for bus in buses:
        out += [Provider(c, bus.types, SLOT_WEEKDAY, users_per_stop, "bus", bus) for c in bus.stops]
    if associations is not None:
        reach = associations.cfg.reach_min
        out += [
            Provider(
                a.commune, a.types, a.slots, associations.capacity(a), "association", a, reach
            )
            for a in associations.associations
        ]
    return out + list(border)
