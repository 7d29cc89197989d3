"""Needs: weekly arrivals (drawn in O(needs)), awareness filter, and the pool of pending needs."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from softsim.config import AGE_BANDS, Config
from softsim.demand_kernels import place_needs
from softsim.population import Residents

__all__ = ["NeedArrivals", "NeedPool"]


class NeedArrivals:
    """Draws each week's latent needs for the whole population.

    For every (service type, age band) the number of new needs is Poisson with mean
    ``rate × residents in band / weeks_per_year`` and each need falls on a resident of the band
    drawn uniformly. This costs O(needs) per week, never one draw per resident.
    """

    def __init__(self, residents: Residents, cfg: Config) -> None:
        bands = len(AGE_BANDS)
        self.by_band = np.argsort(residents.age, kind="stable").astype(np.int32)
        self.band_size = np.bincount(residents.age, minlength=bands).astype(np.int64)
        self.band_start = np.concatenate([[0], np.cumsum(self.band_size)[:-1]])
        rates = np.array([s.rate_per_year for s in cfg.services.values()], dtype=np.float64)
        self.base_weekly_mean = rates * self.band_size[None, :] / cfg.simulation.weeks_per_year
        self.digitisable = np.array([s.digitisable for s in cfg.services.values()])

    def draw(
        self, rng: np.random.Generator, multipliers: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One week of latent needs: resident ids, type ids, and whether each is digitisable.

        Args:
            rng: The ``needs`` stream.
            multipliers: Optional per-type multiplier of the rates (trends, epidemics).
        """
        mean = self.base_weekly_mean
        if multipliers is not None:
            mean = mean * multipliers[:, None]
        counts = rng.poisson(mean)  # (types, bands)
        total = int(counts.sum())
        u = rng.random(total)  # where each need falls in its band
        v = rng.random(total)  # whether it is digitisable
        return place_needs(counts, self.band_start, self.band_size, self.by_band,
                           self.digitisable, u, v)

    def draw_extra(
        self, rng: np.random.Generator, among: np.ndarray, type_id: int, magnitude: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Extra needs of one type among some residents (a shock).

        Their number is Poisson with mean ``magnitude`` × the population's mean weekly rate of
        that type × the number of residents hit; each falls on one of them, uniformly.
        """
        if len(among) == 0:
            return np.zeros(0, np.int32), np.zeros(0, np.int8), np.zeros(0, bool)
        rate = self.base_weekly_mean[type_id].sum() / max(self.band_size.sum(), 1)
        n = int(rng.poisson(magnitude * rate * len(among)))
        residents = among[rng.integers(0, len(among), size=n)]
        types = np.full(n, type_id, np.int8)
        return residents, types, rng.random(n) < self.digitisable[type_id]


@dataclass
class NeedPool:
    """Expressed needs waiting for service (one row each).

    ``level`` is 0 for a first request and 1 for a second-level request oriented by a
    first-level site (:mod:`softsim.reception`), which waits until week ``ready``.
    """

    resident: np.ndarray
    type: np.ndarray
    arrival: np.ndarray
    digitisable: np.ndarray
    level: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    ready: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))

    @classmethod
    def empty(cls) -> NeedPool:
        """A pool with no need."""
        return cls(
            np.zeros(0, np.int32), np.zeros(0, np.int8), np.zeros(0, np.int32), np.zeros(0, bool)
        )

    def __len__(self) -> int:
        return len(self.resident)

    def add(self, resident, type_, week: int, digitisable) -> None:
        """Append newly expressed needs, arrived in ``week``."""
        self.resident = np.concatenate([self.resident, resident.astype(np.int32, copy=False)])
        self.type = np.concatenate([self.type, type_.astype(np.int8, copy=False)])
        self.arrival = np.concatenate([self.arrival, np.full(len(resident), week, np.int32)])
        self.digitisable = np.concatenate([self.digitisable, digitisable])
        self.level = np.concatenate([self.level, np.zeros(len(resident), np.int8)])
        self.ready = np.concatenate([self.ready, np.full(len(resident), week, np.int32)])

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the needs where ``mask`` is true."""
        if len(mask) != len(self):
            raise IndexError(f"mask of {len(mask)} for a pool of {len(self)} needs")
        kept = np.flatnonzero(mask)  # found once: indexing six columns by it beats six masks
        self.resident = self.resident[kept]
        self.type = self.type[kept]
        self.arrival = self.arrival[kept]
        self.digitisable = self.digitisable[kept]
        self.level = self.level[kept]
        self.ready = self.ready[kept]
