"""Groups of residents: reported side by side, and given priority weights by scenarios.

Each group is defined once here, as a mask over the residents; outcomes, the comparison, the
priorities of the allocation and the orchestrator all read these definitions.
"""

from __future__ import annotations

import numpy as np

from softsim.population import AGE_75PLUS, Residents
from softsim.territory import Territory
from softsim.territory.core import POLE, VILLAGE

__all__ = ["GROUPS", "GROUP_LABELS", "PRIORITY_GROUPS", "group_masks", "public_weights"]

GROUP_LABELS: dict[str, str] = {
    "all": "all residents",
    "age_75plus": "75+",
    "no_car": "no car",
    "low_digital_skill": "low digital skill",
    "workers": "workers",
    "dependent": "dependent residents",
    "rural": "rural",
    "urban": "urban",
}
"""Each group and its label in tables and reports."""

GROUPS: tuple[str, ...] = tuple(GROUP_LABELS)
"""Groups of residents whose outcomes are reported side by side."""

PRIORITY_GROUPS: tuple[str, ...] = (
    "age_75plus",
    "no_car",
    "low_digital_skill",
    "workers",
    "dependent",
    "rural",
)
"""Groups a scenario may give a priority weight to (``priorities.publics``)."""


def group_masks(residents: Residents, territory: Territory) -> dict[str, np.ndarray]:
    """Boolean mask over the residents of every group of :data:`GROUPS`."""
    res = residents
    home_cls = territory.cls[res.home]
    return {
        "all": np.ones(res.n, bool),
        "age_75plus": res.age == AGE_75PLUS,
        "no_car": ~res.car,
        "low_digital_skill": res.low_skill,
        "workers": res.employed,
        "dependent": res.dependent,
        "rural": home_cls == VILLAGE,
        "urban": home_cls == POLE,
    }


def public_weights(
    residents: Residents, territory: Territory, publics: dict[str, float]
) -> np.ndarray:
    """Each resident's priority weight: the product of the weights of the groups they are in."""
    masks = group_masks(residents, territory)
    w = np.ones(residents.n)
    for group, weight in publics.items():
        w[masks[group]] *= weight
    return w
