"""Reception levels: first-level sites resolve a share of requests and orient the others.

A first-level site (a generalist front desk, e.g. a France Services counter) receives the
requests of ``reception.types``. Each one it serves is resolved there with the type's
``resolve_share`` (times the site's quality by local dynamism, :mod:`softsim.site_quality`);
the others are *oriented*: the need stays in the pending pool as a second-level request that
only the sites of the ``second_level`` groups (the specialists) serve, from the next week at
the earliest, with their own travel. The first contact used the front desk's capacity and the
resident's trip, but the need is served only once, by the specialist, or abandoned when its
patience (counted from the first request) runs out.

The allocation kernel is unchanged: a second-level request is given a type id of its own
(``type + n_types``) whose providers are the specialists offering ``type``; a request not yet
ready gets an id with no provider (``2 × n_types``).
"""

from __future__ import annotations

import numpy as np

from softsim.config import Config
from softsim.config.network import first_level_types
from softsim.demand import NeedPool
from softsim.providers import SiteArrays
from softsim.service_types import ServiceTypes

__all__ = ["Reception"]


class Reception:
    """The reception levels of a run (inactive when ``reception.first_level`` is empty).

    Args:
        cfg: The resolved config.
        types: The run's service types.
    """

    def __init__(self, cfg: Config, types: ServiceTypes) -> None:
        r = cfg.reception
        self.on = bool(r.first_level)
        self.n_types = n = len(types)
        self.first_groups = frozenset(r.first_level)
        self.second_groups = frozenset(r.second_level)
        self.first_type = np.zeros(n, bool)
        if self.on:
            self.first_type[types.ids(first_level_types(cfg), "reception.types")] = True
        self.share = np.array(
            [r.resolve_share.get(name, r.default_resolve_share) for name in cfg.service_names]
        )
        self.delay = r.delay_weeks
        self.tolerance_factor = r.tolerance_factor
        self.quality_resolution = cfg.site_quality.affects in ("resolution", "both")

    def kernel_types(
        self, pool: NeedPool, week: int, sa: SiteArrays, providers: list, tolerance: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The allocation kernel's ``(need_type, type_ptr, type_sites, tolerance)`` this week.

        Unchanged arrays when the reception levels are off; else extended with the
        second-level type ids (see the module's docstring).
        """
        if not self.on:
            return pool.type, sa.type_ptr, sa.type_sites, tolerance
        n = self.n_types
        firsts = [sa.type_sites[sa.type_ptr[k] : sa.type_ptr[k + 1]] for k in range(n)]
        special = np.array(
            [p.kind == "fixed" and p.owner.group in self.second_groups for p in providers], bool
        )
        seconds = [s[special[s]] if len(special) else s for s in firsts]
        lists = [*firsts, *seconds, np.zeros(0, np.int32)]
        ptr = np.concatenate([[0], np.cumsum([len(x) for x in lists])]).astype(np.int64)
        flat = np.concatenate(lists).astype(np.int32)
        tol = np.concatenate(
            [tolerance, tolerance * self.tolerance_factor, np.zeros(1)]
        ).astype(tolerance.dtype)
        second = np.where(pool.ready <= week, pool.type.astype(np.int64) + n, 2 * n)
        need_type = np.where(pool.level == 0, pool.type, second).astype(np.int8)
        return need_type, ptr, flat, tol

    def orient(
        self, pool: NeedPool, choice: np.ndarray, providers: list, rng: np.random.Generator
    ) -> tuple[np.ndarray, int]:
        """Which needs served at a first-level site this week are oriented, not resolved.

        Args:
            pool: The pending needs.
            choice: The allocation's choice per need (a provider index when at a site).
            providers: This week's providers.
            rng: The ``reception`` stream (one uniform draw per first-level contact).

        Returns:
            ``(oriented, contacts)``: the mask of oriented needs and the number of first-level
            contacts (resolved there = contacts − oriented).
        """
        oriented = np.zeros(len(pool), bool)
        if not self.on or len(pool) == 0:
            return oriented, 0
        first = np.array(
            [p.kind == "fixed" and p.owner.group in self.first_groups for p in providers], bool
        )
        quality = np.array(
            [getattr(p.owner, "quality", 1.0) if p.kind == "fixed" else 1.0 for p in providers]
        )
        at = np.flatnonzero(choice >= 0)
        site = choice[at]
        cand = at[first[site] & self.first_type[pool.type[at]] & (pool.level[at] == 0)]
        p = self.share[pool.type[cand]]
        if self.quality_resolution:
            p = np.minimum(1.0, p * quality[choice[cand]])
        oriented[cand[rng.random(len(cand)) >= p]] = True
        return oriented, len(cand)

    def requeue(self, pool: NeedPool, oriented: np.ndarray, week: int) -> None:
        """Turn the oriented needs into second-level requests, ready ``delay_weeks`` later."""
        pool.level[oriented] = 1
        pool.ready[oriented] = week + self.delay
        pool.digitisable[oriented] = False
