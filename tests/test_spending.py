"""Equal money: every bundled scenario spends its envelope, and as much as `hard`.

The issue's acceptance thresholds, on the default territory and on a real département (Creuse,
dep:23), at reduced scale to stay fast: every scenario spends at least 97 % of its budget less
what it leaves unspent on purpose (*laisser faire*), and within ±3 % of `hard` on the same
basis. The thresholds are the issue's, not read off these runs.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from softsim.config import load_config
from softsim.model import SoftTerritory

SCENARIOS = ("hard", "soft", "digital", "network", "information", "local", "normative")
TERRITORIES = {
    "default": ("population.scale=0.5",),
    "dep23": ('territory.spec="dep:23"', "population.scale=0.25"),
}
YEARS = ("simulation.years=2",)  # two budget years: the carry lapses once in between


@functools.cache
def spent(scenario: str, territory: str) -> float:
    """Share of the budget spent, over the share the scenario does not leave unspent."""
    cfg = load_config(scenario, [*YEARS, *TERRITORIES[territory]])
    model = SoftTerritory(cfg, 7)
    for _ in range(cfg.weeks):
        model.step()
    s = model.series
    share = float(s["cost_budgeted"].sum() / np.nansum(s["budget"]))
    return share / (1.0 - cfg.budget.laisser_faire)


@pytest.mark.parametrize("territory", TERRITORIES)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_spends_its_envelope(scenario, territory):
    assert 0.97 <= spent(scenario, territory) <= 1.0 + 1e-9


@pytest.mark.parametrize("territory", TERRITORIES)
@pytest.mark.parametrize("scenario", SCENARIOS[1:])
def test_every_scenario_spends_as_much_as_hard(scenario, territory):
    assert spent(scenario, territory) == pytest.approx(spent("hard", territory), rel=0.03)
