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
    expected=st.floats(0.0, 1e9),
    extra=st.floats(0.0, 1e9),
    multiplier=st.floats(0.0, 2.0),
)
def test_funding_factor_is_at_most_one_and_the_worst_case_fits(
    per_1000, residents_n, shares, reconf, expected, extra, multiplier
):
    total = sum(shares)
    cfg = BudgetConfig(per_1000_per_week=per_1000,
                       **{p: s / total for p, s in zip(POSTURES, shares, strict=True)})
    b = Budget(cfg, residents_n, reconf)
    b.multiplier = multiplier
    b.start_week(0)
    worst = expected + extra
    f, site_f = b.plan(expected, worst)
    assert 0.0 <= f <= 1.0 and site_f == f  # sites buy nothing unless asked to
    assert sum(b.envelope(p) for p in POSTURES) == pytest.approx(b.weekly(), rel=1e-9)
    # the first week has no carry: its target is the credit less the orchestrator's share
    target = b.envelope("faire") * (1 - reconf)
    assert b.target() == pytest.approx(target, rel=1e-12)
    if expected > 0:
        assert f == pytest.approx(min(1.0, target / expected, b.envelope("faire") / worst),
                                  rel=1e-12)
    assert f * worst <= b.balance * (1 + 1e-12) + 1e-9  # never more than the money


def test_the_carry_is_spread_over_the_weeks_left_and_lapses_at_the_year_end():
    cfg = BudgetConfig(per_1000_per_week=500.0)  # faire = 1; 2,000 a week for 4,000
    b = Budget(cfg, 4000, 0.0, weeks_per_year=4)
    b.start_week(0)
    assert b.plan(1500.0, 1500.0) == (1.0, 1.0)
    b.book(1500.0)  # 500 left
    b.start_week(1)
    assert b.carry == 500.0 and b.balance == 2500.0 and b.weeks_left == 3
    assert b.target() == pytest.approx(2000.0 + 500.0 / 3)
    f, _ = b.plan(4000.0, 4000.0)
    assert f == pytest.approx((2000.0 + 500.0 / 3) / 4000.0)
    b.book(f * 4000.0)
    b.start_week(2)
    b.book(b.balance - 300.0)
    b.start_week(3)
    assert b.weeks_left == 1 and b.target() == pytest.approx(2300.0)  # the last week: all
    b.start_week(4)  # a new year: the 2,300 left lapse
    assert b.lapsed == pytest.approx(2300.0) and b.balance == 2000.0 and b.carry == 0.0


def test_money_left_over_at_full_funding_buys_sites_only_when_asked():
    cfg = BudgetConfig(per_1000_per_week=500.0)
    for buys in (False, True):
        b = Budget(cfg, 4000, 0.0, buys_sites=buys)
        b.start_week(0)
        # 2,000 to spend; 1,000 expected of which 600 sites; the worst case 1,200
        f, site_f = b.plan(1000.0, 1200.0, committed=0.0, site_running=600.0)
        assert f == 1.0
        # left over: min(2,000 - 1,000, 2,000 - 1,200) = 800 on top of the sites' 600
        assert site_f == (pytest.approx(1.0 + 800.0 / 600.0) if buys else 1.0)


def test_committed_money_is_kept_out_of_the_worst_case():
    b = Budget(BudgetConfig(per_1000_per_week=500.0), 4000, 0.0)
    b.start_week(0)
    f, _ = b.plan(1000.0, 4000.0, committed=1000.0)
    assert f == pytest.approx((2000.0 - 1000.0) / 4000.0)


def test_the_balance_cannot_go_below_zero():
    b = Budget(BudgetConfig(per_1000_per_week=500.0), 4000, 0.05)
    b.start_week(0)
    assert b.reserve == pytest.approx(100.0)  # the orchestrator's 5 % of 2,000
    b.book(1950.0)
    with pytest.raises(ValueError):
        b.book(60.0)
    assert b.reserve == pytest.approx(50.0)  # within the balance left
    with pytest.raises(ValueError):
        b.spend_reserve(51.0)
    b.spend_reserve(50.0)
    assert b.reserve == pytest.approx(0.0, abs=1e-9) and b.balance == pytest.approx(0.0)


def test_an_uncapped_budget_funds_everything_and_reports_no_envelope():
    b = Budget(BudgetConfig(), 4000, 0.05)
    assert not b.capped and b.weekly() == math.inf and b.reserve == math.inf
    b.start_week(0)
    assert b.plan(1e12, 1e12) == (1.0, 1.0)
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
    # delegated sites cost their fixed cost first (600 a week by default: none fits in 200)
    assert b.delegated_capacity(1) == 0.0
    cfg = cfg.model_copy(update={"delegated_fixed_cost_per_week": 50.0})
    b = Budget(cfg, 2000, 0.0)
    assert b.delegated_capacity(2) == pytest.approx((200.0 - 2 * 50.0) * 0.5 / 20.0)
