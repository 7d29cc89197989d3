"""Residents as a struct of arrays (one row per simulated inhabitant), and their bassin de vie.

No Python object per resident: every attribute is a numpy array indexed by resident id. Each
resident has three anchors — home, work (workers; home otherwise) and usual shopping commune —
drawn by gravity over travel times, so two neighbours can belong to different bassins de vie.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from softsim.config import AGE_BANDS, Config
from softsim.gravity import gravity_draws
from softsim.territory import Territory

__all__ = [
    "Residents", "build_residents", "draw_exclusion", "AGE_75PLUS", "DISABILITY", "PRECARITY"
]

AGE_75PLUS = AGE_BANDS.index("75+")
DISABILITY = np.uint8(1)
"""Bit of ``Residents.exclusion``: a disability (severe functional limitation)."""
PRECARITY = np.uint8(2)
"""Bit of ``Residents.exclusion``: great precarity (grande pauvreté)."""


@dataclass(eq=False)
class Residents:
    """All residents; attributes are arrays of length ``n``.

    Attributes:
        home, work, shop: Commune index of each anchor of the bassin de vie.
        age: Age band index (see ``AGE_BANDS``).
        employed, car, low_skill, dependent: Boolean traits.
        exclusion: Bit flags (one byte per resident): :data:`DISABILITY`, :data:`PRECARITY`.
        broadband_rank: Uniform rank in [0, 1) of the home's broadband connection: the home
            has broadband while ``rank < coverage`` of its commune (rollout keeps it monotone).
        awareness: Bit ``k`` set when the resident knows service type ``k``.
        latent, not_taken_up, served, abandoned: Counts of the resident's needs so far.
        served_in_person: Needs served at a site (travel was needed).
        travel_min_sum, wait_weeks_sum: Sums over served needs (for group means).
    """

    home: np.ndarray
    work: np.ndarray
    shop: np.ndarray
    age: np.ndarray
    employed: np.ndarray
    car: np.ndarray
    low_skill: np.ndarray
    broadband_rank: np.ndarray
    dependent: np.ndarray
    exclusion: np.ndarray
    awareness: np.ndarray
    latent: np.ndarray
    not_taken_up: np.ndarray
    served: np.ndarray
    abandoned: np.ndarray
    served_in_person: np.ndarray
    travel_min_sum: np.ndarray
    wait_weeks_sum: np.ndarray

    @property
    def n(self) -> int:
        """Number of residents."""
        return len(self.home)

    def nbytes(self) -> int:
        """Memory held by the population arrays."""
        return sum(getattr(self, f.name).nbytes for f in fields(self))


def build_residents(territory: Territory, cfg: Config, rng: np.random.Generator) -> Residents:
    """Draw the residents of a territory (one per inhabitant × ``population.scale``).

    With ``scale < 1`` each commune keeps ``round(population × scale)`` residents, so the
    spatial distribution is preserved while the run gets cheaper.
    """
    pc = cfg.population
    counts = np.rint(territory.population * pc.scale).astype(np.int64)
    home = np.repeat(np.arange(territory.n, dtype=np.int32), counts)
    n = len(home)
    age = rng.choice(len(AGE_BANDS), size=n, p=np.asarray(pc.age_shares)).astype(np.int8)
    employed = rng.random(n) < np.asarray(pc.employment_rate)[age]
    home_cls = territory.cls[home]
    no_car_p = np.array([pc.no_car.pole, pc.no_car.bourg, pc.no_car.village])[home_cls]
    older = age == AGE_75PLUS
    no_car_p = np.where(older, np.minimum(no_car_p * pc.no_car_factor_75plus, 1.0), no_car_p)
    car = rng.random(n) >= no_car_p
    low_skill = rng.random(n) < np.asarray(pc.low_digital_skill)[age]
    broadband_rank = rng.random(n).astype(np.float32)
    dependent = rng.random(n) < np.asarray(pc.dependency)[age]
    employed &= ~dependent

    mass = territory.population.astype(np.float64) + 1.0
    work = home.copy()
    w = np.flatnonzero(employed)
    shop = np.empty(n, dtype=np.int32)
    shop_mass = mass**1.5  # larger communes have more shops, more than in proportion
    by_car = [np.flatnonzero(car == has_car) for has_car in (True, False)]
    work[w], shop[by_car[0]], shop[by_car[1]] = gravity_draws(
        territory,
        [
            (home[w], 0, mass, pc.commute_decay_min),
            (home[by_car[0]], 0, shop_mass, pc.shop_decay_min),
            (home[by_car[1]], 1, shop_mass, pc.shop_decay_min),
        ],
        rng,
    )

    awareness = np.zeros(n, dtype=np.uint16)
    for k, service in enumerate(cfg.services.values()):
        awareness |= ((rng.random(n) < service.awareness).astype(np.uint16) << k).astype(np.uint16)

    def zeros(dtype):
        return np.zeros(n, dtype=dtype)

    return Residents(
        home=home,
        work=work,
        shop=shop,
        age=age,
        employed=employed,
        car=car,
        low_skill=low_skill,
        broadband_rank=broadband_rank,
        dependent=dependent,
        exclusion=zeros(np.uint8),  # filled by draw_exclusion, from its own stream
        awareness=awareness,
        latent=zeros(np.uint16),
        not_taken_up=zeros(np.uint16),
        served=zeros(np.uint16),
        abandoned=zeros(np.uint16),
        served_in_person=zeros(np.uint16),
        travel_min_sum=zeros(np.float32),
        wait_weeks_sum=zeros(np.float32),
    )


def draw_exclusion(residents: Residents, cfg: Config, rng: np.random.Generator) -> None:
    """Draw the disability and great-precarity traits into ``residents.exclusion``.

    Each trait is drawn independently with its share per age band (``population.disability``,
    ``population.precarity``). They come from their own stream (``exclusion``), after the other
    traits, so adding them leaves every other draw of a run as it was.
    """
    pc = cfg.population
    age = residents.age
    disabled = rng.random(residents.n) < np.asarray(pc.disability)[age]
    precarious = rng.random(residents.n) < np.asarray(pc.precarity)[age]
    residents.exclusion[:] = disabled * DISABILITY | precarious * PRECARITY
