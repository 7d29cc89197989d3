"""The digital channel: open 24/7, never full; an attempt succeeds with a skill-dependent chance."""

from __future__ import annotations

import numpy as np

from softsim.config import DigitalConfig
from softsim.population import Residents

__all__ = ["digital_attempts", "has_broadband", "learn_from_mediation", "roll_out_broadband"]


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
) -> tuple[np.ndarray, np.ndarray]:
    """This week's digital attempts of the pending needs.

    A resident tries online when the need is digitisable and the home has broadband (commune
    ``coverage``); the attempt succeeds with probability ``success_skilled`` or
    ``success_low_skill``.

    Returns:
        ``(success, failed)`` boolean arrays over the needs.
    """
    u = rng.random(len(resident))  # drawn for every need so the stream does not depend on cfg
    if not cfg.enabled:
        none = np.zeros(len(resident), bool)
        return none, none
    tried = digitisable & has_broadband(resident, residents, coverage)
    p = np.where(residents.low_skill[resident], cfg.success_low_skill, cfg.success_skilled)
    success = tried & (u < p)
    return success, tried & ~success


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


def learn_from_mediation(
    mediated: np.ndarray,
    resident: np.ndarray,
    residents: Residents,
    skill_gain: float,
    rng: np.random.Generator,
) -> None:
    """Low-skill residents whose failed attempt was mediated become skilled w.p. ``skill_gain``.

    Args:
        mediated: Per pending need: served by mediation this week.
        resident: Per pending need: its resident.
        residents: The residents (``low_skill`` is updated).
        skill_gain: Probability of learning.
        rng: The ``outcomes`` stream.
    """
    low = mediated & residents.low_skill[resident]
    learn = rng.random(int(low.sum())) < skill_gain
    residents.low_skill[resident[low][learn]] = False
