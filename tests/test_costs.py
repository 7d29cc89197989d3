"""The one cost formula: planned and booked cost of a week, worked out by hand."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import FUNDED, small_config
from softsim.costs import Activity, CostModel
from softsim.model import SoftTerritory

PRICES = [
    "mobile.hours_per_week=10",
    "mobile.cost_per_hour=30",
    "mobile.cost_per_km=0.5",
    "bus.cost_per_week=500",
    "bus.cost_per_km=1.0",
    "bus.stops_per_week=4",
    "transport.cost_per_trip=20",
    "information.spending_per_1000_per_week=5",
    "digital.rollout_per_1000_per_week=10",
    "digital.cost_per_use=2",
    "travel.road_speed_kmh=80",
]
SITES = [SimpleNamespace(weekly_cost=100.0), SimpleNamespace(weekly_cost=200.0)]
MODULES = [SimpleNamespace(weekly_cost=50.0)]


@pytest.fixture(scope="module")
def costs():
    return CostModel(small_config(*PRICES), residents=2000)


def test_running_cost_by_hand(costs):
    # sites 300 + module 50 + 2 agents x 10 h x 30 + 1 bus x 500 + 5 EUR x 2 (thousands)
    assert costs.running(SITES, MODULES, n_mobile=2, n_buses=1) == pytest.approx(1460.0)


def test_variable_cost_by_hand(costs):
    activity = Activity(mobile_km=100, bus_km=50, tad_trips=4, rollout=70)
    assert costs.variable(activity) == pytest.approx(100 * 0.5 + 50 * 1.0 + 4 * 20 + 70)


def test_worst_case_by_hand(costs):
    worst = costs.worst_case(n_mobile=2, n_buses=1, bus_base_max_km=30.0, tad_trips=3.5)
    assert worst == Activity(
        mobile_km=2 * 10 * 80,  # every hour driven at road speed
        bus_km=1 * 4 * 2 * 30,  # every stop a return trip to the farthest commune
        tad_trips=3.5,
        rollout=10 * 2,
    )


def test_public_cost_scales_running_costs_only(costs):
    activity = Activity(mobile_km=10, tad_trips=1)
    assert costs.public(1000.0, 0.5, activity) == pytest.approx(500.0 + 5.0 + 20.0)
    assert costs.digital(7) == 14.0


@given(
    factor=st.floats(0.0, 1.0),
    shares=st.tuples(*[st.floats(0.0, 1.0)] * 4),
    n_mobile=st.integers(0, 5),
    n_buses=st.integers(0, 3),
)
def test_booked_never_exceeds_planned(costs, factor, shares, n_mobile, n_buses):
    running = costs.running(SITES, MODULES, n_mobile, n_buses)
    worst = costs.worst_case(n_mobile, n_buses, 40.0, 6.0)
    done = Activity(
        mobile_km=worst.mobile_km * shares[0] * factor,
        bus_km=worst.bus_km * shares[1],
        tad_trips=worst.tad_trips * shares[2],
        rollout=worst.rollout * shares[3] * factor,
    )
    planned = costs.public(running, 1.0, worst)
    assert costs.public(running, factor, done) <= planned * (1 + 1e-12)


def test_a_week_books_its_running_costs_and_activity():
    cfg = small_config(*FUNDED, *PRICES)
    model = SoftTerritory(cfg, 3)
    model.step()
    w = model.now.counters
    assert not model.buses and not model.delegated and model.associations is None
    running = (
        sum(s.weekly_cost for s in model.sites)
        + sum(m.weekly_cost for m in model.modules)
        + len(model.mobile_agents) * 10 * 30
        + 5 * model.residents.n / 1000
    )
    variable = w["mobile_km"] * 0.5 + w["tad_trips"] * 20 + w["rollout_cost"]
    assert model.now.factor == 1.0
    assert w["cost_budgeted"] == pytest.approx(running + variable, rel=1e-12)
    assert w["cost"] == pytest.approx(running + variable + 2.0 * w["served_digital"], rel=1e-12)
