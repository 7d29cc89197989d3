"""The budget: envelopes, funding factor, reserve and posture formulas.

Expected values are derived by hand; a tolerance is never read off the code under test.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softsim.budget import Budget
from softsim.config import (
    BudgetConfig,
)

POSTURES = ("faire", "faire_faire", "faire_avec", "inciter", "laisser_faire")


def test_envelopes_sum_to_the_weekly_budget():
    cfg = BudgetConfig(per_1000_per_week=500.0, faire=0.5, faire_faire=0.2, faire_avec=0.1,
                       inciter=0.15, laisser_faire=0.05)
    b = Budget(cfg, 4000, 0.05)
    assert b.weekly() == 2000.0
    env = {p: b.envelope(p) for p in POSTURES}
    assert env == pytest.approx({"faire": 1000.0, "faire_faire": 400.0, "faire_avec": 200.0,
                                 "inciter": 300.0, "laisser_faire": 100.0}, rel=1e-12)
    assert sum(env.values()) == pytest.approx(b.weekly(), rel=1e-12)
    b.multiplier = 0.5  # a cut halves every envelope
    assert sum(b.envelope(p) for p in POSTURES) == pytest.approx(1000.0, rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(
    per_1000=st.floats(0.0, 1e5),
    residents_n=st.integers(1, 10**6),
    shares=st.lists(st.integers(0, 20), min_size=5, max_size=5).filter(lambda x: sum(x) > 0),
    reconf=st.floats(0.0, 1.0),
    planned=st.floats(0.0, 1e9),
    multiplier=st.floats(0.0, 2.0),
)
def test_funding_factor_is_at_most_one(per_1000, residents_n, shares, reconf, planned,
                                       multiplier):
    total = sum(shares)
    cfg = BudgetConfig(per_1000_per_week=per_1000,
                       **{p: s / total for p, s in zip(POSTURES, shares, strict=True)})
    b = Budget(cfg, residents_n, reconf)
    b.multiplier = multiplier
    f = b.funding_factor(planned)
    assert 0.0 <= f <= 1.0
    assert sum(b.envelope(p) for p in POSTURES) == pytest.approx(b.weekly(), rel=1e-9)
    if planned > 0:
        paid = b.envelope("faire") * (1 - reconf)
        assert f == pytest.approx(min(1.0, paid / planned), rel=1e-12)
        assert f * planned <= paid * (1 + 1e-12) + 1e-9  # never more than the envelope


def test_reserve_accumulates_and_cannot_go_below_zero():
    cfg = BudgetConfig(per_1000_per_week=500.0)  # faire = 1
    b = Budget(cfg, 4000, 0.05)
    assert b.reserve == 0.0
    b.start_week()
    b.start_week()
    assert b.reserve == pytest.approx(2 * 2000.0 * 0.05)
    assert b.available_total == pytest.approx(4000.0)
    b.spend_reserve(60.0)
    assert b.reserve == pytest.approx(140.0)
    with pytest.raises(ValueError):
        b.spend_reserve(140.01)
    assert b.reserve == pytest.approx(140.0)  # a refused spending leaves it untouched
    b.spend_reserve(140.0)
    assert b.reserve == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError):
        b.spend_reserve(1.0)


def test_an_uncapped_budget_funds_everything_and_reports_no_envelope():
    b = Budget(BudgetConfig(), 4000, 0.05)
    assert not b.capped and b.weekly() == math.inf and b.reserve == math.inf
    assert b.funding_factor(1e12) == 1.0
    assert all(b.envelope(p) == 0.0 for p in POSTURES)
    assert b.cofunding(3) == 0.0 and b.incentives() == 0.0 and b.delegated_capacity() == 0.0


def test_cofunding_incentives_and_delegation_formulas():
    # budget.py: cofunding = effect x (EUR per association per week) / 100; incentives =
    # effect x (EUR per 1,000 residents per week) / 10; delegated contacts = envelope x
    # efficiency / cost per contact
    cfg = BudgetConfig(per_1000_per_week=1000.0, faire=0.7, faire_faire=0.1, faire_avec=0.1,
                       inciter=0.1, cofunding_effect=2.0, incentive_effect=3.0,
                       delegation_efficiency=0.5, delegated_cost_per_capacity=20.0)
    b = Budget(cfg, 2000, 0.0)  # weekly 2,000; 200 per envelope
    assert b.cofunding(4) == pytest.approx(2.0 * 50.0 / 100.0)
    assert b.cofunding(0) == 0.0
    assert b.incentives() == pytest.approx(3.0 * 100.0 / 10.0)
    assert b.delegated_capacity() == pytest.approx(200.0 * 0.5 / 20.0)
