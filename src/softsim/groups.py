"""Groups of residents: reported side by side, and given priority weights by scenarios.

Each group is defined once here, as a mask over the residents; outcomes, the comparison, the
priorities of the allocation and the orchestrator all read these definitions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the config reads this module's names: no runtime import of the model
    from softsim.population import Residents
    from softsim.territory import Territory

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
    "disability": "disability",
    "precarity": "great precarity",
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
    "disability",
    "precarity",
)
"""Groups a scenario may give a priority weight to (``priorities.publics``)."""


def group_masks(residents: Residents, territory: Territory) -> dict[str, np.ndarray]:
    """Boolean mask over the residents of every group of :data:`GROUPS`."""
    from softsim.population import AGE_75PLUS, DISABILITY, PRECARITY
    from softsim.territory.core import POLE, VILLAGE

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
        "disability": (res.exclusion & DISABILITY) != 0,
        "precarity": (res.exclusion & PRECARITY) != 0,
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
