"""The digital channel: open 24/7, never full; an attempt succeeds with a skill-dependent chance."""

from __future__ import annotations

import numpy as np

from softsim.config import DigitalConfig
from softsim.population import DISABILITY, PRECARITY, Residents
from softsim.services.digital_kernels import attempts

__all__ = [
    "digital_attempts",
    "exclusion_factor",
    "has_broadband",
    "in_person_share",
    "learn_skills",
    "roll_out_broadband",
]


def has_broadband(resident: np.ndarray, residents: Residents, coverage: np.ndarray) -> np.ndarray:
    """Whether each resident's home has broadband, given the communes' coverage now."""
    return residents.broadband_rank[resident] < coverage[residents.home[resident]]


def digital_attempts(
    resident: np.ndarray,
    digitisable: np.ndarray,
    residents: Residents,
    coverage: np.ndarray,
    cfg: DigitalConfig,
    rng: np.random.Generator,
    exclusion_rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """This week's digital attempts of the pending needs.

    A resident tries online when the need is digitisable and the home has broadband (commune
    ``coverage``); the attempt succeeds with probability ``success_skilled`` or
    ``success_low_skill``, times :func:`exclusion_factor` (disability, great precarity).
    A resident with a disability (great precarity) does not try online at all for a share
    ``disability_in_person_share`` (``precarity_in_person_share``) of the needs: they go
    straight to human reception. Those draws come from ``exclusion_rng``, only when a share
    is set, so the ``digital`` stream is the same with or without them.

    Returns:
        ``(success, failed)`` boolean arrays over the needs.
    """
    u = rng.random(len(resident))  # drawn for every need so the stream does not depend on cfg
    if not cfg.enabled:
        none = np.zeros(len(resident), bool)
        return none, none
    in_person = cfg.disability_in_person_share > 0 or cfg.precarity_in_person_share > 0
    factors = cfg.disability_success_factor != 1 or cfg.precarity_success_factor != 1
    if not (in_person or factors):  # the exclusion traits are neutral (the default): one pass
        return attempts(
            resident, digitisable, residents.home, residents.broadband_rank, coverage,
            residents.low_skill, float(cfg.success_skilled), float(cfg.success_low_skill), u,
        )
    tried = digitisable & has_broadband(resident, residents, coverage)
    p = np.where(residents.low_skill[resident], cfg.success_low_skill, cfg.success_skilled)
    flags = residents.exclusion[resident]  # the exclusion traits act
    skip = in_person_share(flags, cfg)
    if exclusion_rng is not None and skip.any():
        tried &= ~(exclusion_rng.random(len(resident)) < skip)
    p = p * exclusion_factor(flags, cfg)
    success = tried & (u < p)
    return success, tried & ~success


def exclusion_factor(flags: np.ndarray, cfg: DigitalConfig) -> np.ndarray:
    """Multiplier of the online success chance: the product of the factors of the traits held.

    ``disability_success_factor`` for :data:`~softsim.population.DISABILITY` and
    ``precarity_success_factor`` for :data:`~softsim.population.PRECARITY` (1 without).
    """
    f = np.ones(len(flags))
    f[(flags & DISABILITY) != 0] *= cfg.disability_success_factor
    f[(flags & PRECARITY) != 0] *= cfg.precarity_success_factor
    return f


def in_person_share(flags: np.ndarray, cfg: DigitalConfig) -> np.ndarray:
    """Chance that a need is taken straight to human reception: ``1 - Π(1 - share)`` over traits."""
    keep = np.ones(len(flags))
    keep[(flags & DISABILITY) != 0] *= 1.0 - cfg.disability_in_person_share
    keep[(flags & PRECARITY) != 0] *= 1.0 - cfg.precarity_in_person_share
    return 1.0 - keep


def roll_out_broadband(
    coverage: np.ndarray, residents_c: np.ndarray, money: float, connection_cost: float
) -> float:
    """Connect homes with ``money``, in proportion to each commune's homes still unconnected.

    Args:
        coverage: Broadband coverage of each commune (updated in place).
        residents_c: Simulated residents of each commune.
        money: This week's rollout money.
        connection_cost: Cost of connecting one resident.

    Returns:
        The money spent.
    """
    if money <= 0:
        return 0.0
    uncovered = (1.0 - coverage) * residents_c
    total = uncovered.sum()
    if total <= 0:
        return 0.0
    connected = min(total, money / connection_cost)
    coverage += (connected * uncovered / total / np.maximum(residents_c, 1)).astype(np.float32)
    np.minimum(coverage, 1.0, out=coverage)
    return connected * connection_cost


def learn_skills(
    low: np.ndarray, residents: Residents, skill_gain: float, rng: np.random.Generator
) -> None:
    """Each of ``low`` (low-skill residents whose need was mediated) learns w.p. ``skill_gain``.

    One uniform of the ``outcomes`` stream per entry, in order.
    """
    learn = rng.random(len(low)) < skill_gain
    residents.low_skill[low[learn]] = False
