"""Awareness of services: who knows that a service exists (and so can express a need for it).

Each resident's awareness of each service type ``k`` is a two-state Markov chain in continuous
time. An aware resident forgets at rate ``μ = forget_per_year / 52``. An unaware one learns at
rate ``λ = λ0_k × s_ck / a_k + learn_per_euro × S``, where ``s_ck`` is the share of aware
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

import numpy as np

from softsim.population import Residents
from softsim.scatter import add_rows_at
from softsim.sections import InformationConfig

__all__ = ["Awareness"]


class Awareness:
    """Awareness dynamics over the residents' ``awareness`` bit masks.

    Args:
        cfg: Parameters.
        residents: The population (its ``awareness`` is updated in place).
        awareness: Configured awareness of each type (the stationary level without spending).
        n_communes: Number of communes.
        rng: The ``information`` stream.
    """

    def __init__(self, cfg: InformationConfig, residents: Residents, awareness: np.ndarray,
                 n_communes: int, rng: np.random.Generator) -> None:
        self.cfg = cfg
        n_types = len(awareness)
        a = np.clip(np.asarray(awareness, dtype=np.float64), 1e-6, 1 - 1e-6)
        self.configured = a
        self.ambient = cfg.forget_per_year / 52.0 * a / (1.0 - a)
        self.res = residents
        self.rng = rng
        self.n_types = n_types
        self.updated = np.zeros(residents.n, dtype=np.int16)
        self.per_commune = np.bincount(residents.home, minlength=n_communes).astype(np.float64)
        bits = self._bits(np.arange(residents.n))
        self.aware_count = np.stack(
            [np.bincount(residents.home, weights=bits[:, k], minlength=n_communes)
             for k in range(n_types)], axis=1)  # (communes, types)
        self.active = cfg.forget_per_year > 0 or (
            cfg.learn_per_euro > 0 and cfg.spending_per_1000_per_week > 0)

    def _bits(self, r: np.ndarray) -> np.ndarray:
        k = np.arange(self.n_types, dtype=np.uint16)
        return ((self.res.awareness[r][:, None] >> k) & 1).astype(bool)

    def _set(self, r: np.ndarray, new_bits: np.ndarray) -> None:
        old = self._bits(r)
        delta = new_bits.astype(np.int64) - old.astype(np.int64)
        add_rows_at(self.aware_count, self.res.home[r], delta)
        weights = (1 << np.arange(self.n_types)).astype(np.uint16)
        self.res.awareness[r] = (new_bits.astype(np.uint16) * weights).sum(axis=1).astype(np.uint16)

    def refresh(self, r: np.ndarray, week: int, spending_per_1000: float) -> None:
        """Advance the awareness of residents ``r`` (with a need now) to ``week``."""
        if not self.active or len(r) == 0:
            return
        r = np.unique(r)
        dt = (week - self.updated[r]).astype(np.float64)[:, None]
        self.updated[r] = week
        c = self.cfg
        share = self.aware_count[self.res.home[r]] / np.maximum(
            self.per_commune[self.res.home[r]], 1.0)[:, None]
        lam = self.ambient * share / self.configured + c.learn_per_euro * spending_per_1000
        mu = c.forget_per_year / 52.0
        total = lam + mu
        with np.errstate(invalid="ignore", divide="ignore"):
            pi = np.where(total > 0, lam / total, 0.0)
        s0 = self._bits(r).astype(np.float64)
        p_aware = pi + (s0 - pi) * np.exp(-total * dt)
        p_aware = np.where(total > 0, p_aware, s0)
        self._set(r, self.rng.random(p_aware.shape) < p_aware)

    def orient(self, r_served: np.ndarray) -> None:
        """Served residents learn each other service with probability ``orientation``."""
        if self.cfg.orientation <= 0 or len(r_served) == 0:
            return
        r = np.unique(r_served)
        learn = self.rng.random((len(r), self.n_types)) < self.cfg.orientation
        self._set(r, self._bits(r) | learn)

    def share_aware(self) -> np.ndarray:
        """Share of residents aware of each type (from the commune counts)."""
        return self.aware_count.sum(axis=0) / max(self.per_commune.sum(), 1.0)
