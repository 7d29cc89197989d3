"""Itinerant buses: stops, revisits, and a starved bus.

Expected values are derived by hand; a tolerance is never read off the code under test.
"""

from __future__ import annotations

import numpy as np

from mechanism_helpers import SMALL, Tiny
from softsim.config import load_config
from softsim.model import SoftTerritory
from softsim.services import Bus


def plan_buses(n_villages=12, n_buses=2, n_stops=3, revisit=4, weeks=20):
    m = Tiny(n_villages + 1)
    villages = np.arange(1, n_villages + 1)
    ranking = np.zeros(n_villages + 1)
    ranking[villages] = np.arange(n_villages, 0, -1)  # village 1 first
    visits: dict[int, int] = {}  # shared, as SoftTerritory shares it among its buses
    buses = [Bus(m, m.space[0], [0], visits) for _ in range(n_buses)]
    stops = []  # (week, bus, village)
    for week in range(weeks):
        taken: set[int] = set()
        for b, bus in enumerate(buses):
            out = bus.plan_week(week, villages, ranking, n_stops, revisit, taken)
            assert out == bus.stops
            assert len(out) == len(set(out)) <= n_stops
            stops += [(week, b, v) for v in out]
    return stops


def test_a_bus_does_not_return_to_a_village_before_revisit_weeks():
    for b in (0, 1):
        for v in range(1, 13):
            weeks = [w for w, bb, vv in plan_buses() if bb == b and vv == v]
            assert np.all(np.diff(weeks) >= 4), (b, v, weeks)


def test_no_two_buses_at_the_same_village_the_same_week():
    stops = plan_buses()
    per_week = {}
    for w, _, v in stops:
        per_week.setdefault(w, []).append(v)
    assert all(len(vs) == len(set(vs)) for vs in per_week.values())
    # 12 villages, 6 stops a week, revisit every 4 weeks: capacity to spare, so all stops made
    assert all(len(vs) == 6 for vs in per_week.values())


def test_a_single_bus_stops_at_the_best_ranked_villages_it_may_visit():
    stops = plan_buses(n_buses=1, n_stops=3, revisit=2, weeks=4)
    by_week = [[v for w, _, v in stops if w == week] for week in range(4)]
    assert by_week == [[1, 2, 3], [4, 5, 6], [1, 2, 3], [4, 5, 6]]


def test_a_village_is_not_revisited_by_any_bus_before_revisit_weeks():
    # mobile.py: buses stop "in villages not visited during the last revisit_weeks weeks"
    stops = plan_buses()
    for v in range(1, 13):
        weeks = sorted(w for w, _, vv in stops if vv == v)
        assert np.all(np.diff(weeks) >= 4), (v, weeks)


def test_a_starved_bus_makes_no_stop():
    m = Tiny(13)
    villages = np.arange(1, 13)
    bus = Bus(m, m.space[0], [0])
    assert bus.plan_week(0, villages, np.ones(13), 0, 5, set()) == []


def test_the_budget_is_not_exceeded_when_the_bus_is_starved():
    # 300 per 1,000 funds ~10 % of the small soft territory's planned provision (the mix
    # off: its counts are the override), so
    # floor(8 stops x factor) = 0: the bus should make no stop at all
    cfg = load_config("soft", [*SMALL, "budget.per_1000_per_week=300", "budget.mix.enabled=false",
                                "bus.count=1"])
    model = SoftTerritory(cfg, 0)
    model.step()
    assert int(np.floor(cfg.bus.stops_per_week * model.series["funding_factor"][0])) == 0
    assert model.series["cost_budgeted"][0] <= model.series["budget"][0]
    assert model.buses[0].stops == []


def test_week_km_is_a_pure_function_of_the_week():
    m = Tiny(4)
    bus = Bus(m, m.space[0], [0])
    bus.stops = [1, 2, 3]
    road_km = np.array(
        [[0, 10, 20, 30], [10, 0, 5, 25], [20, 5, 0, 12], [30, 25, 12, 0]], float
    )
    # two stops a day: 0 → 1 → 2 → 0, then 0 → 3 → 0
    expected = (10 + 5 + 20) + (30 + 30)
    assert bus.week_km(road_km) == expected
    assert bus.week_km(road_km) == expected  # asking twice does not count twice
