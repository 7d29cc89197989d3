"""Awareness of services: who knows that a service exists (and so can express a need for it).

Each resident's awareness of each service type ``k`` is a two-state Markov chain in continuous
time. An aware resident forgets at rate ``μ = forget_per_year / weeks_per_year``. An unaware
one learns at rate
``λ = λ0_k × s_ck / a_k + learn_per_euro × S``, where ``s_ck`` is the share of aware
residents in the home commune (word of mouth), ``a_k`` the type's configured awareness, ``S``
the information spending (€ per 1,000 residents per week), and ``λ0_k = μ a_k / (1 − a_k)``
— chosen so that, without spending, the configured awareness is the stationary state: the
baseline neither drifts up nor down, and communes where fewer people know learn more slowly.

The chain is advanced only for the residents who have a need this week (the only moment
awareness matters), over the weeks since their last update, with the exact two-state transition
``P(aware at t) = π + (s₀ − π)·exp(−(λ + μ)Δt)``, ``π = λ/(λ + μ)``: O(needs), never
O(residents), per week. Contact with any service point also *orients*: a served resident learns
each other service with probability ``orientation``.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from softsim.awareness_kernels import express
from softsim.config import InformationConfig
from softsim.population import Residents

__all__ = ["Awareness"]


_BLOCK = 512
"""Served needs whose residents' rows are loaded together before they are worked on."""


@nb.njit(cache=True, nogil=True)
def _orient(resident, awareness, home, aware_count, u, p):
    """Resident ``resident[j]`` learns type ``k`` when ``u[j, k] < p``; returns a sum nobody reads.

    Block by block: a first pass loads the residents' rows (their cache misses overlap), the
    second sets the bits learnt and counts the new ones in the home commune.
    """
    touched = 0
    n_types = aware_count.shape[1]
    for block in range(0, len(resident), _BLOCK):
        end = min(block + _BLOCK, len(resident))
        for j in range(block, end):
            r = resident[j]
            touched += awareness[r] + home[r]
        for j in range(block, end):
            learnt = 0
            for k in range(n_types):  # without branches: the draws fall at random
                learnt |= (1 if u[j, k] < p else 0) << k
            r = resident[j]
            new = learnt & ~np.int64(awareness[r])
            if new:
                awareness[r] |= new
                c = home[r]
                for k in range(n_types):
                    aware_count[c, k] += (new >> k) & 1
    return touched


class Awareness:
    """Awareness dynamics over the residents' ``awareness`` bit masks.

    Args:
        cfg: Parameters.
        residents: The population (its ``awareness`` is updated in place).
        awareness: Configured awareness of each type (the stationary level without spending).
        n_communes: Number of communes.
        rng: The ``information`` stream.
        weeks_per_year: Weeks in a year (yearly rates become weekly ones).
    """

    def __init__(
        self,
        cfg: InformationConfig,
        residents: Residents,
        awareness: list[float],
        n_communes: int,
        rng: np.random.Generator,
        weeks_per_year: int,
    ) -> None:
        self.cfg = cfg
        self.forget_per_week = cfg.forget_per_year / weeks_per_year
        self.res = residents
        self.rng = rng
        a = np.clip(np.asarray(awareness, dtype=np.float64), 1e-6, 1 - 1e-6)
        self.n_types = len(a)
        self.configured = a
        self.ambient = self.forget_per_week * a / (1.0 - a)
        self.updated = np.zeros(residents.n, dtype=np.int32)
        self.per_commune = np.bincount(residents.home, minlength=n_communes).astype(np.float64)
        k = np.arange(self.n_types, dtype=np.uint16)
        bits = (residents.awareness[:, None] >> k) & 1
        self.aware_count = np.stack(
            [
                np.bincount(residents.home, weights=bits[:, i], minlength=n_communes)
                for i in range(self.n_types)
            ],
            axis=1,
        ).astype(np.int64)  # (communes, types)
        self.active = cfg.forget_per_year > 0 or (
            cfg.learn_per_euro > 0 and cfg.spending_per_1000_per_week > 0
        )

    def express(self, resident: np.ndarray, type_: np.ndarray, week: int,
                spending_per_1000: float) -> np.ndarray:
        """Which needs are expressed, the awareness of their residents advanced to ``week``.

        A need is expressed when its resident knows its type. Also adds each need to its
        resident's ``latent`` count and each unexpressed one to ``not_taken_up``. On large weeks
        the work runs in parallel, commune by commune (the same numbers as in the needs' order).

        Args:
            resident: Resident of each need.
            type_: Service type of each need.
            week: This week.
            spending_per_1000: Information spending (€ per 1,000 residents per week).
        """
        active = self.active and len(resident) > 0
        if active:
            u = self.rng.random((len(resident), self.n_types))
        else:
            u = np.zeros((0, self.n_types))
        return express(
            resident, type_, active, week, self.res.awareness, self.updated, self.res.home,
            self.aware_count, self.per_commune, self.ambient, self.configured,
            self.cfg.learn_per_euro * spending_per_1000, self.forget_per_week, u,
            self.res.latent, self.res.not_taken_up,
        )

    def orient(self, served: np.ndarray) -> None:
        """Served residents learn each other service with probability ``orientation``."""
        if self.cfg.orientation <= 0 or len(served) == 0:
            return
        u = self.rng.random((len(served), self.n_types))
        _orient(
            served, self.res.awareness, self.res.home, self.aware_count, u, self.cfg.orientation
        )

    def share_aware(self) -> np.ndarray:
        """Share of residents aware of each type (from the commune counts)."""
        return self.aware_count.sum(axis=0) / max(self.per_commune.sum(), 1.0)
