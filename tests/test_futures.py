"""Futures: need growth, epidemics, budget trend and cuts, resilience.

Expected values are derived by hand; a tolerance is never read off the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from softsim.config import (
    FuturesConfig,
    Shock,
)
from softsim.futures import Futures, resilience

N_TYPES, HEALTH = 3, 1  # e.g. social, health, admin


def test_need_growth_compounds_per_year():
    f = Futures(FuturesConfig(need_growth_per_year=0.1), N_TYPES, HEALTH, 52)
    assert f.need_multipliers(0) == pytest.approx([1.0] * 3)
    assert f.need_multipliers(26) == pytest.approx([math.sqrt(1.1)] * 3, rel=1e-12)
    assert f.need_multipliers(52) == pytest.approx([1.1] * 3, rel=1e-12)
    assert f.need_multipliers(104) == pytest.approx([1.21] * 3, rel=1e-12)


def test_an_epidemic_raises_health_needs_during_its_window_only():
    shock = Shock(kind="epidemic", week=10, magnitude=0.5, duration_weeks=5)
    f = Futures(FuturesConfig(shocks=[shock]), N_TYPES, HEALTH, 52)
    for week in range(20):
        expected = [1.0, 1.5 if 10 <= week < 15 else 1.0, 1.0]
        assert f.need_multipliers(week) == pytest.approx(expected, rel=1e-12), week
    # with growth, the epidemic multiplies on top of it
    g = Futures(FuturesConfig(need_growth_per_year=0.2, shocks=[shock]), N_TYPES, HEALTH, 52)
    assert g.need_multipliers(12)[1] == pytest.approx(1.2 ** (12 / 52) * 1.5, rel=1e-12)


def test_budget_multiplier_with_trend_and_a_permanent_cut():
    cut = Shock(kind="budget_cut", week=20, magnitude=0.3, duration_weeks=1)
    f = Futures(FuturesConfig(budget_trend_per_year=-0.1, shocks=[cut]), N_TYPES, HEALTH, 52)
    assert f.budget_multiplier(0) == 1.0
    assert f.budget_multiplier(19) == pytest.approx(0.9 ** (19 / 52), rel=1e-12)
    assert f.budget_multiplier(20) == pytest.approx(0.9 ** (20 / 52) * 0.7, rel=1e-12)
    assert f.budget_multiplier(300) == pytest.approx(0.9 ** (300 / 52) * 0.7, rel=1e-12)
    # a cut of more than 100 % leaves nothing, never a negative budget
    big = Shock(kind="budget_cut", week=5, magnitude=2.0)
    assert Futures(FuturesConfig(shocks=[big]), N_TYPES, HEALTH, 52).budget_multiplier(6) == 0.0


def shocked_series():
    """0.8 for 30 weeks, 0.4 for 10 weeks (the shock at week 30), 0.8 again until week 90."""
    x = np.full(90, 0.8)
    x[30:40] = 0.4
    return x


def test_resilience_of_a_hand_built_series():
    # 13-week trailing mean; pre-shock level 0.8. The smoothed series bottoms out when the
    # window holds all 10 low weeks (first at week 39): 0.8 - 0.4 x 10/13, so the depth is
    # (0.4 x 10/13) / 0.8 = 5/13. It is back to >= 95 % of 0.8 (0.76) when at most one low
    # week is left in the window (0.8 - 0.4/13 = 0.769; two give 0.738): window 39..51, i.e.
    # week 51, 21 weeks after the shock.
    r = resilience(shocked_series(), 30)
    assert r["depth"] == pytest.approx(5 / 13, rel=1e-9)
    assert r["weeks_to_recover"] == 21


def test_resilience_ignores_a_later_shock_beyond_until():
    x = shocked_series()
    x[70:] = 0.1  # a second, deeper shock at week 70
    assert resilience(x, 30)["depth"] > 5 / 13 + 0.1  # read to the end, it is taken in
    r = resilience(x, 30, until=70)
    assert r["depth"] == pytest.approx(5 / 13, rel=1e-9)
    assert r["weeks_to_recover"] == 21


def test_resilience_without_recovery_or_without_a_pre_shock_level():
    x = np.full(60, 0.8)
    x[30:] = 0.4
    r = resilience(x, 30)
    assert r["depth"] == pytest.approx(0.5, rel=1e-9) and r["weeks_to_recover"] is None
    assert resilience(x, 0) == {"depth": None, "weeks_to_recover": None}
    assert resilience(x, 60) == {"depth": None, "weeks_to_recover": None}
    assert resilience(np.zeros(60), 30) == {"depth": None, "weeks_to_recover": None}


# ----------------------------------------------------------------- named futures


def test_trend_is_the_scissors_and_the_digital_rollout_together():
    from softsim.futures import load_future

    scissors, rollout, trend = (load_future(n) for n in ("scissors", "digital_rollout", "trend"))
    keys = ("need_growth_per_year", "budget_trend_per_year", "volunteer_trend_per_year",
            "broadband_rollout_per_year")
    for key in keys:
        # each trend belongs to exactly one component, and trend has it at the same value
        assert (key in scissors) != (key in rollout), key
        assert trend[key] == scissors.get(key, rollout.get(key)), key
    assert scissors["need_growth_per_year"] > 0 and scissors["budget_trend_per_year"] < 0
    assert scissors["volunteer_trend_per_year"] < 0
    assert rollout["broadband_rollout_per_year"] > 0


@pytest.mark.slow
def test_the_scissors_future_lowers_coverage_under_hard():
    # what the scissors effect means: needs up, money down; paired by seed, one-sided t-test
    # at the 1 % level over 6 years (the SDAASP horizon), at reduced scale
    from scipy import stats

    import softsim
    from softsim.config import load_config
    from softsim.futures import load_future

    seeds = range(5)
    overrides = ["population.scale=0.25"]

    def coverage(seed, **sections):
        out = softsim.run(load_config("hard", overrides, **sections), seed)
        return out.summary["metrics"]["coverage_latent"]

    d = np.array([coverage(s, futures=load_future("scissors")) - coverage(s) for s in seeds])
    t_crit = stats.t.ppf(0.99, len(d) - 1)
    assert d.mean() < -t_crit * d.std(ddof=1) / np.sqrt(len(d)), d
