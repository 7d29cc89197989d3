"""Priority by accessibility: serve first those farthest from any service of the type.

The method's third axis of priorities, "par critères d'accessibilité". Each week, for each
pending need, ``m`` is the travel minutes from the resident's home (by car, or without a car
for residents without one) to the nearest of this week's providers offering the need's type
(within the provider's own reach; infinite when there is none). Its weight is

``w(m) = 1 + a × clip((m − m0) / (m1 − m0), 0, 1)``

with ``a = priorities.accessibility``, ``m0 = accessibility_from_min`` and
``m1 = accessibility_full_min``: no extra weight up to ``m0`` minutes, rising linearly to
``1 + a`` at ``m1`` minutes and beyond (capped). The weight multiplies the type and public
weights in the allocation's weighted random order and in the unmet demand the orchestrator
reads. ``a = 0`` (the default) gives weight 1 everywhere, so no result moves.
"""

from __future__ import annotations

import numpy as np

from softsim.config import PrioritiesConfig
from softsim.providers import SiteArrays

__all__ = ["accessibility_weight", "nearest_minutes", "ramp"]


def ramp(minutes: np.ndarray, cfg: PrioritiesConfig) -> np.ndarray:
    """The weight ``w(m)`` of the module docstring for travel minutes ``minutes``."""
    span = cfg.accessibility_full_min - cfg.accessibility_from_min
    x = np.clip((np.asarray(minutes, np.float64) - cfg.accessibility_from_min) / span, 0.0, 1.0)
    return 1.0 + cfg.accessibility * x


def nearest_minutes(
    sa: SiteArrays, car_min, nocar_min
) -> tuple[np.ndarray, np.ndarray]:
    """Minutes from each commune to the nearest provider of each type, by car and without.

    ``car_min`` and ``nocar_min`` are indexed ``[:, communes]``: dense matrices or the
    travel times' views (:meth:`softsim.territory.travel.Travel.view`).

    Returns:
        ``(car, nocar)``, each of shape (communes, types); ``inf`` where no provider of the
        type is within its reach.
    """
    n, n_types = car_min.shape[0], len(sa.type_ptr) - 1
    out = np.full((2, n, n_types), np.inf)
    for k in range(n_types):
        sites = sa.type_sites[sa.type_ptr[k] : sa.type_ptr[k + 1]]
        sites = sites[sa.capacity[sites] > 0]
        if len(sites) == 0:
            continue
        reach = sa.reach[sites][None, :]
        for i, times in enumerate((car_min, nocar_min)):
            t = times[:, sa.commune[sites]]
            out[i, :, k] = np.where(t <= reach, t, np.inf).min(axis=1)
    return out[0], out[1]


def accessibility_weight(
    cfg: PrioritiesConfig,
    sa: SiteArrays,
    travel,
    home: np.ndarray,
    car: np.ndarray,
    need_type: np.ndarray,
) -> np.ndarray:
    """Each need's accessibility weight ``w(m)`` (see the module docstring).

    Args:
        cfg: The priorities (``accessibility``, ``accessibility_from_min``,
            ``accessibility_full_min``).
        sa: This week's providers.
        travel: The travel times (:class:`~softsim.territory.travel.Travel`: its ``car`` and
            ``nocar`` views).
        home: Per need: the resident's home commune.
        car: Per need: whether the resident has a car.
        need_type: Per need: its type id.
    """
    by_car, no_car = nearest_minutes(sa, travel.view("car"), travel.view("nocar"))
    minutes = np.where(car, by_car[home, need_type], no_car[home, need_type])
    return ramp(minutes, cfg)
