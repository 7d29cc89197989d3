"""How each pending need travels this week: own car, no car, a car-pool lift, or a booked ride.

Residents with a car drive. For residents without a car, needs are taken in random order within
each home commune: the first ones get the car-pool lifts of the commune's association (car
times), the next ones the commune's demand-responsive transport trips (``tad_min``), the rest go
by their own means (no-car times). Trips accrue weekly as a per-commune credit (a small village
gets one every few weeks), capped at four weeks' worth; only trips actually used are consumed
and paid. Inside one's own commune a booked ride is no faster than one's own means.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from softsim.config import TransportConfig
from softsim.territory import Territory
from softsim.territory.core import VILLAGE
from softsim.territory.travel import Travel
from softsim.transport_kernels import own_modes, share_rides

__all__ = ["MODE_CAR", "MODE_NOCAR", "MODE_TAD", "Transport", "Trips"]

MODE_CAR, MODE_NOCAR, MODE_TAD = 0, 1, 2
"""Indices of the travel-time matrices in :attr:`Transport.minutes`."""


@dataclass(frozen=True)
class Trips:
    """A week's trips to sites: residents' own car km, booked rides and their km, lifts."""

    resident_km: float
    tad_trips: int
    tad_km: float
    lifts: int


class Transport:
    """Travel minutes by mode and the demand-responsive transport service.

    Args:
        territory: The territory.
        cfg: Demand-responsive transport parameters.
        residents_per_commune: Simulated residents of each commune.
        travel: The run's sparse travel times (``None``: every pair of the territory).
    """

    def __init__(self, territory: Territory, cfg: TransportConfig,
                 residents_per_commune: np.ndarray, travel: Travel | None = None) -> None:
        t = territory
        self.cfg = cfg
        if travel is None:
            travel = t.travel(float("inf"), cfg.tad_speed_kmh)
        car, nocar, km = travel.values
        tad = cfg.tad_wait_min + km / cfg.tad_speed_kmh * 60.0
        rows = np.repeat(np.arange(travel.n), np.diff(travel.ptr))
        own = travel.idx == rows  # a booked ride inside one's own commune is the no-car trip
        tad[own] = nocar[own]
        self.minutes = (travel.ptr, travel.idx, np.stack([car, nocar, tad.astype(np.float32)]))
        """Minutes by mode (car, no car, booked ride) as CSR ``(ptr, idx, values)``."""
        served = {"none": np.zeros(t.n, bool), "villages": t.cls == VILLAGE,
                  "all": np.ones(t.n, bool)}[cfg.tad]
        self.rate = cfg.trips_per_1000_per_week * residents_per_commune / 1000.0 * served
        self.credit = np.zeros(t.n)

    def weekly_trips(self) -> float:
        """Booked-ride credit accrued in a week at full funding, over all communes."""
        return float(self.rate.sum())

    def credit_on_hand(self) -> float:
        """Booked-ride credit accrued in earlier weeks and not used yet (trips)."""
        return float(self.credit.sum())

    def assign(self, resident: np.ndarray, residents, lifts: np.ndarray, factor: float,
               rng: np.random.Generator) -> np.ndarray:
        """This week's travel mode of each need (``resident`` ids), lifts per commune given."""
        self.credit = np.minimum(self.credit + self.rate * factor,
                                 np.maximum(1.0, 4.0 * self.rate))
        mode = own_modes(resident, residents.car)
        n_nocar = int(np.count_nonzero(mode == MODE_NOCAR))
        if n_nocar == 0:
            return mode
        u = rng.random(n_nocar)
        trips = np.floor(self.credit + 1e-9).astype(np.int64)
        return share_rides(mode, resident, residents.home, u, lifts.astype(np.int64), trips)

    def book(self, mode: np.ndarray, km: np.ndarray, home: np.ndarray,
             has_car: np.ndarray) -> Trips:
        """Tally the week's trips to sites and use up the booked rides taken.

        Args:
            mode: Travel mode of each need served at a site.
            km: One-way road km of each such trip.
            home: Home commune of its resident.
            has_car: Whether its resident has a car (a lift is a car trip without one).
        """
        car, tad = mode == MODE_CAR, mode == MODE_TAD
        self.credit -= np.bincount(home[tad], minlength=len(self.credit))
        return Trips(
            resident_km=2.0 * float(km[car].sum()),
            tad_trips=int(tad.sum()),
            tad_km=2.0 * float(km[tad].sum()),  # the minibus drives there and back
            lifts=int((car & ~has_car).sum()),
        )
