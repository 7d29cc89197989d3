"""Equal money: a yearly envelope spent week by week, and a channel mix that buys capacity.

Expected values are derived by hand from the config and the territory (prices × counts); a
tolerance is never read off the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import examples
from softsim.budget import Budget
from softsim.config import BudgetConfig, load_config
from softsim.model import SoftTerritory
from softsim.placement import SITE_FIXED_SHARE_MAX, mobile_base

SCENARIOS = ["hard", "soft", "digital", "network", "information", "local", "normative"]


# ----------------------------------------------------------------- the budget alone


@settings(max_examples=examples(200), deadline=None)
@given(
    per_1000=st.floats(1.0, 1e4),
    weeks_per_year=st.integers(1, 13),
    reconf=st.floats(0.0, 0.5),
    weeks=st.lists(
        st.tuples(
            st.floats(0.0, 1e5),  # expected cost at full funding
            st.floats(0.0, 1e5),  # worst case on top of it
            st.floats(0.0, 1.0),  # share of the worst case that happens
            st.floats(0.0, 1.0),  # share of the balance the orchestrator then spends
            st.floats(0.0, 1.5),  # budget multiplier (trend and cuts)
        ),
        min_size=1,
        max_size=40,
    ),
    buys_sites=st.booleans(),
)
def test_cumulative_spending_never_exceeds_the_cumulative_envelope(
    per_1000, weeks_per_year, reconf, weeks, buys_sites
):
    b = Budget(BudgetConfig(per_1000_per_week=per_1000), 1000, reconf, weeks_per_year,
               buys_sites=buys_sites)
    credited = spent = 0.0
    for w, (expected, extra, happens, orchestrator, multiplier) in enumerate(weeks):
        b.multiplier = multiplier
        b.start_week(w)
        credited += b.envelope("faire")
        worst = expected + extra
        site_running = expected / 2
        f, site_f = b.plan(expected, worst, 0.0, site_running)
        assert 0.0 <= f <= 1.0 and site_f >= f
        # what is booked: running at the factors, activity up to the worst case at f
        running_other = expected - site_running
        booked = site_running * site_f + running_other * f + happens * extra * f
        b.book(booked)
        reconfiguration = orchestrator * b.reserve
        b.book(reconfiguration)
        spent += booked + reconfiguration
        assert spent <= credited * (1 + 1e-9) + 1e-6
        assert b.balance >= 0.0


# ----------------------------------------------------------------- runs


SMALL = ["simulation.years=2", "simulation.weeks_per_year=13"]


@settings(max_examples=examples(12), deadline=None)
@given(
    scenario=st.sampled_from(SCENARIOS),
    seed=st.integers(0, 2**31 - 1),
    territory=st.sampled_from([
        ["territory.population=3000", "territory.n_communes=25"],
        ["territory.population=6000", "territory.n_communes=50", "territory.n_bourgs=2"],
        ['territory.spec="grid"', "territory.grid_size=5", "territory.population=2500"],
    ]),
    per_1000=st.floats(50.0, 5000.0),
    trend=st.floats(-0.3, 0.2),
    mix=st.booleans(),
)
def test_runs_never_spend_more_than_they_were_given(
    scenario, seed, territory, per_1000, trend, mix
):
    cfg = load_config(scenario, [
        *SMALL, *territory,
        f"budget.per_1000_per_week={per_1000}",
        f"budget.mix.enabled={str(mix).lower()}",
        f"futures.budget_trend_per_year={trend}",
    ])
    model = SoftTerritory(cfg, seed)
    for week in range(cfg.weeks):
        model.step()
        s = model.series
        assert np.sum(s["cost_budgeted"][: week + 1]) <= np.sum(s["budget"][: week + 1]) * (
            1 + 1e-9
        )
        assert model.budget.balance >= 0.0
        assert 0.0 <= s["funding_factor"][week] <= 1.0


# ----------------------------------------------------------------- money buys capacity


def _money(cfg, n, reconf=0.0):
    b = cfg.budget
    return b.per_1000_per_week * n / 1000 * b.faire * (1 - reconf)


def test_the_soft_mix_buys_modules_agents_a_bus_and_rides_by_hand():
    cfg = load_config("soft", ["simulation.years=1"])
    model = SoftTerritory(cfg, 1)
    n, t, c = model.residents.n, model.territory, cfg
    money = _money(cfg, n, c.orchestrator.reconfiguration_share)
    # modules: the nearest whole number of modules at the nominal price; the money resizes them
    unit = c.modules.fixed_cost_per_week + c.modules.capacity * c.modules.cost_per_capacity
    n_mod = math.floor(0.21 * money / unit + 0.5)
    each = math.floor((0.21 * money / n_mod - c.modules.fixed_cost_per_week)
                      / c.modules.cost_per_capacity)
    assert len(model.modules) == n_mod
    assert all(m.nominal_capacity == each for m in model.modules)
    # mobile agents: hours at the staff price plus driving them all at road speed
    hour = c.mobile.cost_per_hour + c.mobile.cost_per_km * c.travel.road_speed_kmh
    hours = 0.11 * money / hour
    agents = max(1, round(hours / c.mobile.hours_per_week))
    assert len(model.mobile_agents) == agents
    assert model.cfg.mobile.hours_per_week == pytest.approx(hours / agents, rel=1e-12)
    # buses: a bus-week plus every stop at the farthest commune and back
    far = float(t.road_km[mobile_base(t)].max())
    unit = c.bus.cost_per_week + c.bus.stops_per_week * 2 * far * c.bus.cost_per_km
    assert len(model.buses) == math.floor(0.14 * money / unit + 0.5)
    # rides and information: money per 1,000 residents
    assert model.cfg.transport.trips_per_1000_per_week == pytest.approx(
        0.03 * money / c.transport.cost_per_trip / (n / 1000), rel=1e-12)
    assert model.cfg.information.spending_per_1000_per_week == pytest.approx(
        0.01 * money / (n / 1000), rel=1e-12)


def test_what_rounding_leaves_is_not_lost():
    # every euro of the mix is either bought by a channel or moved to the fixed sites
    for name in ("soft", "normative"):
        cfg = load_config(name, ["simulation.years=1"])
        model = SoftTerritory(cfg, 1)
        p = model.purchase
        total = _money(cfg, model.residents.n, cfg.orchestrator.reconfiguration_share)
        assert sum(p.money.values()) == pytest.approx(total, rel=1e-12)
        others = sum(v for k, v in p.spent.items() if k != "sites")
        assert others + p.to_sites == pytest.approx(total - p.money["sites"], rel=1e-9)
        # the sites spend their share plus what was moved to them, up to whole contacts
        sites_cost = sum(s.weekly_cost for s in model.sites)
        per_contact = max(g.cost_per_capacity for g in cfg.sites.values())
        assert abs(sites_cost - (p.money["sites"] + p.to_sites)) <= len(model.sites) * per_contact


def test_the_same_mix_spends_its_envelope_on_a_small_and_a_large_territory():
    # absolute counts ate small territories' envelopes and ran everything part-time; shares
    # buy what the money affords (a bus a small territory cannot pay goes to the sites)
    for pop in (15_000, 120_000):
        cfg = load_config("soft", [f"territory.population={pop}", "territory.n_communes=60",
                                   "simulation.years=1"])
        model = SoftTerritory(cfg, 2)
        for _ in range(cfg.weeks):
            model.step()
        s = model.series
        spent = s["cost_budgeted"].sum() / s["budget"].sum()
        assert spent >= 0.97 * (1 - cfg.budget.laisser_faire), pop
    # on the larger one the money runs everything at full funding once the first weeks have
    # shown what the activity costs (at 15,000 residents one site per counter group costs
    # more than the sites' share: SITE_FIXED_SHARE_MAX keeps one, and all run part-time)
    assert np.median(s["funding_factor"]) == 1.0


def test_site_counts_follow_the_money_on_a_small_territory():
    # 10 sites at 600 EUR a week do not fit in 215 EUR per 1,000 for 3,000 residents (645 a
    # week): no group's share pays one site at twice its fixed cost, so the lightest close one
    # by one and the heaviest (social offices) keeps one site with all the money
    cfg = load_config("hard", ["territory.population=3000", "territory.n_communes=30",
                               "simulation.years=1"])
    model = SoftTerritory(cfg, 1)
    money = _money(cfg, model.residents.n)
    assert [s.group for s in model.sites] == ["social_offices"]
    g = cfg.sites["social_offices"]
    contacts = (money - g.fixed_cost_per_week) / g.cost_per_capacity
    assert model.sites[0].capacity == max(1, round(contacts))
    model.step()
    assert model.series["funding_factor"][0] == 1.0


def test_a_large_territory_keeps_every_configured_site():
    cfg = load_config("hard", ["simulation.years=1"])
    model = SoftTerritory(cfg, 1)
    money = _money(cfg, model.residents.n)
    assert len(model.sites) == sum(g.count for g in cfg.sites.values())
    weights = {k: g.capacity_per_1000 for k, g in cfg.sites.items()}
    for name, g in cfg.sites.items():
        mg = money * weights[name] / sum(weights.values())
        assert mg * SITE_FIXED_SHARE_MAX >= g.count * g.fixed_cost_per_week
        cost = sum(s.weekly_cost for s in model.sites if s.group == name)
        assert abs(cost - mg) <= g.count * g.cost_per_capacity  # whole contacts per site


# ----------------------------------------------------------------- location strategies


@pytest.mark.parametrize("count", [2, 5])
def test_multi_bourg_keeps_the_count(count):
    cfg = load_config("network", ["simulation.years=1", "budget.mix.enabled=false",
                                  f"sites.france_services.count={count}"])
    model = SoftTerritory(cfg, 1)
    pooled = [s for s in model.sites if s.group == "france_services"]  # not the specialists
    assert len(pooled) == count
    pops = model.territory.population[[s.commune for s in pooled]]
    centres = np.sort(model.territory.population[model.territory.cls <= 1])[::-1]
    assert sorted(pops, reverse=True) == list(centres[:count])


def test_delegated_sites_pay_their_fixed_cost_before_contacts():
    cfg = load_config("hard", ["simulation.years=1", "population.scale=0.5",
                               "budget.faire=0.8", "budget.faire_faire=0.2"])
    model = SoftTerritory(cfg, 1)
    model.step()
    b, n = cfg.budget, cfg.budget.delegated_count
    envelope = b.per_1000_per_week * model.residents.n / 1000 * b.faire_faire
    fixed = n * b.delegated_fixed_cost_per_week * 0.5  # scaled like a site's fixed cost
    each = int((envelope - fixed) * b.delegation_efficiency / b.delegated_cost_per_capacity / n)
    offered = [p.capacity for p in model.now.providers if p.kind == "delegated"]
    assert offered == [each] * n


def test_a_mix_that_does_not_sum_to_one_is_one_line_naming_the_field():
    from softsim.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        load_config("hard", ["budget.mix.modules=0.5"])
    message = str(info.value)
    assert "\n" not in message and "budget.mix" in message and "sum to 1" in message
    # the shares are not checked when the mix is off (absolute counts hold)
    load_config("hard", ["budget.mix.enabled=false", "budget.mix.modules=0.5"])
