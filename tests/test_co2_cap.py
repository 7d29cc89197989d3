"""The CO2 cap on module moves and bus tours: the allowance, the trimmed tours, the moves.

Expected values are derived by hand from small hand-made distance matrices.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from mechanism_helpers import FUNDED, SMALL, WEEKDAY, Tiny
from softsim.co2cap import Co2Cap, cap_bus_km
from softsim.config import ConfigError, ModulesConfig, OrchestratorConfig, load_config
from softsim.metric_registry import CO2_KG_PER_KM
from softsim.model import SoftTerritory
from softsim.orchestrator import Orchestrator
from softsim.services import PopUpModule
from softsim.services.mobile import Bus


def test_allowance_accrues_weekly_up_to_one_review_period():
    cap = Co2Cap(20.0, bank_weeks=4)
    assert cap.km_per_week == pytest.approx(20.0 / CO2_KG_PER_KM)
    for _ in range(6):
        cap.accrue()
    assert cap.bank == pytest.approx(4 * 20.0 / CO2_KG_PER_KM)  # no hoarding beyond 4 weeks
    cap.spend(1e9)
    assert cap.bank == 0.0


def _line_km(n: int, step: float) -> np.ndarray:
    x = np.arange(n, dtype=float) * step
    return np.abs(x[:, None] - x[None, :])


def _bus(base: int, stops: list[int], last_visit: dict) -> SimpleNamespace:
    bus = SimpleNamespace(base=SimpleNamespace(coordinate=base), stops=list(stops),
                          last_visit=last_visit)
    bus.week_km = lambda road_km, b=bus: Bus.week_km(b, road_km)
    return bus


def test_bus_tours_are_trimmed_from_the_longest_and_visits_restored():
    road = _line_km(6, 10.0)
    before = {4: 1}
    last = {1: 9, 2: 9, 4: 9, 5: 9}  # this week (9) planned 1, 2 (bus a) and 4, 5 (bus b)
    a, b = _bus(0, [1, 2], last), _bus(0, [4, 5], last)
    # a: 0→1→2→0 = 40 km; b: 0→4→5→0 = 100 km
    assert cap_bus_km([a, b], road, 130.0, before) == pytest.approx(40 + 80)
    assert b.stops == [4] and a.stops == [1, 2]  # b's 5 dropped: 0→4→0 = 80 km
    assert 5 not in last and last[4] == 9
    # 100 km: b's 4 goes too (b was still the longest), 40 km are left
    assert cap_bus_km([a, b], road, 100.0, before) == pytest.approx(40.0)
    assert b.stops == [] and a.stops == [1, 2] and last[4] == 1
    # 30 km: a's 2 goes (0→1→0 = 20 km)
    assert cap_bus_km([a, b], road, 30.0, before) == pytest.approx(20.0)
    assert a.stops == [1] and 2 not in last
    assert cap_bus_km([a, b], road, 0.0, before) == 0.0


def test_a_move_must_fit_in_the_allowance():
    # 5 communes on a line 100 min and 100 km apart; unmet demand only at commune 4
    n = 5
    car = np.full((n, n), 100.0, np.float32)
    np.fill_diagonal(car, 0.0)
    road = _line_km(n, 100.0)
    mcfg = ModulesConfig(count=1, capacity=30, types_per_module=2)
    running = mcfg.fixed_cost_per_week + mcfg.capacity * mcfg.cost_per_capacity

    def review(km_left):
        o = Orchestrator(OrchestratorConfig(enabled=True, lag_weeks=0, data_quality=1.0),
                         mcfg, car, [0, 1, 2], 3, np.random.default_rng(0), road_km=road)
        week = np.zeros((n, 3, 2), np.float32)
        week[4, 2, 1] = 50.0
        o.record(week)
        m = Tiny(n)
        module = PopUpModule(m, m.space[0], [0, 1], WEEKDAY, 30, running)
        o.review([module], m.space, reserve=10_000.0, factor=1.0, km_left=km_left)
        return module.commune, o.last_move_km

    assert review(None) == (4, 400.0)  # no cap: it goes 400 km to the demand
    assert review(400.0) == (4, 400.0)
    assert review(399.0)[0] != 4  # cannot afford the trip
    assert review(0.0) == (0, 0.0)  # stays (may still re-type in place)


def test_cap_is_optional_and_bounded():
    assert load_config("soft").orchestrator.co2_cap_kg_per_week is None
    with pytest.raises(ConfigError, match="orchestrator.co2_cap_kg_per_week"):
        load_config("soft", ["orchestrator.co2_cap_kg_per_week=-1"])


def _run(extra: list[str]) -> dict:
    model = SoftTerritory(load_config("soft", [*SMALL, *FUNDED, *extra]), seed=5)
    for _ in range(16):
        model.step()
    bus_km = model.series["service_km"] - model.series["mobile_km"]  # buses + booked rides
    return {"moves": model.series["modules_moved"].sum(), "bus_km": bus_km.sum(),
            "tad": model.series["tad_trips"].sum()}


def test_zero_cap_stops_moves_and_tours():
    free, capped = _run([]), _run(["orchestrator.co2_cap_kg_per_week=0"])
    assert free["moves"] > 0 and free["bus_km"] > 0
    assert capped["moves"] == 0
    assert capped["bus_km"] < free["bus_km"]
