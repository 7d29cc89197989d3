"""Information ramp-up: the interoperability level, and its effect on awareness in a run.

Expected levels are computed by hand from the definition (docs/odd.md).
"""

from __future__ import annotations

import pytest

from mechanism_helpers import FUNDED, SMALL
from softsim.config import ConfigError, load_config
from softsim.interoperability import Interoperability
from softsim.model import SoftTerritory


def test_zero_years_is_immediate():
    ramp = Interoperability(0.0, 52)
    assert ramp.level == 1.0
    assert ramp.build(1.0) == 1.0 and ramp.build(0.0) == 1.0


def test_linear_build_up_by_hand():
    ramp = Interoperability(2.0, 52)  # 104 weeks of full funding to the full effect
    assert ramp.level == 0.0
    levels = [ramp.build(1.0) for _ in range(52)]
    assert levels[0] == pytest.approx(1 / 104)
    assert levels[-1] == pytest.approx(0.5)
    for _ in range(10):
        ramp.build(0.5)  # half funding builds half as fast
    assert ramp.level == pytest.approx(0.5 + 10 * 0.5 / 104)
    ramp.build(0.0)  # no spending: the level reached is kept
    assert ramp.level == pytest.approx(0.5 + 5 / 104)
    for _ in range(200):
        ramp.build(1.0)
    assert ramp.level == 1.0  # capped


def test_years_are_bounded():
    with pytest.raises(ConfigError, match="information.years_to_full_effect"):
        load_config("information", ["information.years_to_full_effect=-1"])


def _aware_after(years_to_full: float, weeks: int) -> float:
    cfg = load_config("hard", [*SMALL, *FUNDED, "information.spending_per_1000_per_week=400",
                               f"information.years_to_full_effect={years_to_full}"])
    model = SoftTerritory(cfg, seed=3)
    for _ in range(weeks):
        model.step()
    return float(model.series["aware_share"][weeks - 1]), model.interoperability.level


def test_ramp_up_slows_the_rise_of_awareness():
    immediate, level_now = _aware_after(0.0, 26)
    slow, level_slow = _aware_after(8.0, 26)
    assert level_now == 1.0
    assert level_slow == pytest.approx(26 / (8 * 52))  # funded in full every week
    assert slow < immediate
