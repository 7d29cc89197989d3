"""The orchestrator: observation (lag, window, noise) and its review rule, checked by hand.

Expected values are derived by hand; a tolerance is never read off the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mechanism_helpers import FUNDED, OFF_HOURS, SMALL, WEEKDAY, Tiny
from softsim.config import (
    ModulesConfig,
    OrchestratorConfig,
    load_config,
)
from softsim.model import SoftTerritory
from softsim.orchestrator import Orchestrator
from softsim.services import PopUpModule
from softsim.slots import SLOT_CLASSES


def line_car_min(n: int, step: float = 20.0) -> np.ndarray:
    """Communes on a line, ``step`` car minutes apart."""
    x = np.arange(n, dtype=np.float32) * step
    return np.abs(x[:, None] - x[None, :]).astype(np.float32)


def orchestrator(car_min, n_types=3, allowed=(0, 1, 2), seed=0, **kw) -> Orchestrator:
    ocfg = {"lag_weeks": 0, "review_weeks": 4, "data_quality": 1.0, "reach_min": 25.0} | kw
    return Orchestrator(
        OrchestratorConfig(enabled=True, **ocfg),
        ModulesConfig(count=1, capacity=30, types_per_module=2),
        car_min,
        list(allowed),
        n_types,
        np.random.default_rng(seed),
    )


def unmet(n, n_types, cells: dict) -> np.ndarray:
    """A week of unmet demand: {(commune, type, slot class index): needs}."""
    out = np.zeros((n, n_types, 2), np.float32)
    for key, value in cells.items():
        out[key] = value
    return out


MCFG = ModulesConfig(count=1, capacity=30, types_per_module=2)
RUNNING = MCFG.fixed_cost_per_week + MCFG.capacity * MCFG.cost_per_capacity


def test_noise_sd_formula():
    c = OrchestratorConfig(noise_sd=2.0, data_quality=0.25, citizen_feedback=0.5)
    o = Orchestrator(c, MCFG, line_car_min(3), [0], 1, np.random.default_rng(0))
    assert o.noise_sd == pytest.approx(2.0 * 0.75 * 0.5, rel=1e-12)
    perfect = OrchestratorConfig(noise_sd=5.0, data_quality=1.0)
    assert Orchestrator(perfect, MCFG, line_car_min(3), [0], 1,
                        np.random.default_rng(0)).noise_sd == 0.0


def test_observe_respects_the_lag_and_the_window():
    # lag 2, window 4: the review reads the 4 weeks that end 2 weeks ago. Week i carries 2**i
    # in every cell (exact in float32), so each sum says which weeks were read.
    o = orchestrator(line_car_min(3), lag_weeks=2, review_weeks=4)
    seen = []
    for week in range(8):
        o.record(np.full((3, 3, 2), 2.0**week, np.float32))
        seen.append(float(o.observe()[0, 0, 0]))
    expected = []
    for week in range(8):  # after recording week `week`: weeks <= week - 2, the last 4 of them
        read = [w for w in range(week + 1) if w <= week - 2][-4:]
        expected.append(float(sum(2.0**w for w in read)))
    assert seen == expected
    assert seen[:2] == [0.0, 0.0] and seen[2] == 1.0 and seen[7] == 4 + 8 + 16 + 32


def test_observation_noise_is_mean_one_lognormal_with_the_configured_sd():
    # 500 communes x 6 types x 2 slot classes = 6,000 cells of true demand 1. Log-normal with
    # sigma 1 and mean 1 has variance e - 1 = 1.718: the mean of 6,000 cells has SE 0.017 and
    # the SD of their logs has SE 1/sqrt(2 x 6000) = 0.009; 5 SE for both.
    n, k = 500, 6
    o = orchestrator(np.zeros((n, n), np.float32), n_types=k, allowed=range(k),
                     noise_sd=1.0, data_quality=0.0, citizen_feedback=0.0)
    o.record(np.ones((n, k, 2), np.float32))
    seen = o.observe()
    assert seen.shape == (n, k, 2)
    assert seen.mean() == pytest.approx(1.0, abs=5 * math.sqrt((math.e - 1) / seen.size))
    assert np.log(seen).std() == pytest.approx(1.0, abs=5 / math.sqrt(2 * seen.size))


def test_review_moves_a_module_to_isolated_demand_and_pays_move_cost():
    # 5 communes 100 min apart: only commune 4 reaches commune 4's demand.
    n = 5
    car = np.full((n, n), 100.0, np.float32)
    np.fill_diagonal(car, 0.0)
    o = orchestrator(car)
    o.record(unmet(n, 3, {(4, 2, 1): 50.0}))
    m = Tiny(n)
    module = PopUpModule(m, m.space[0], [0, 1], WEEKDAY, 30, RUNNING)
    spent = o.review([module], m.space, reserve=10_000.0, factor=1.0)
    assert module.commune == 4
    assert 2 in module.types and len(module.types) == 2
    assert module.slots == OFF_HOURS
    assert spent == MCFG.move_cost
    assert module.transit_weeks == MCFG.move_weeks and o.moves == 1 and o.retypes == 0


def test_review_moves_within_reach_of_the_demand():
    # on a line 20 min apart with reach 25: communes 3 and 4 both reach commune 4's demand
    n = 5
    car = line_car_min(n)
    o = orchestrator(car)
    o.record(unmet(n, 3, {(4, 2, 1): 50.0}))
    m = Tiny(n)
    module = PopUpModule(m, m.space[0], [0, 1], WEEKDAY, 30, RUNNING)
    spent = o.review([module], m.space, reserve=10_000.0, factor=1.0)
    assert car[module.commune, 4] <= 25.0
    assert 2 in module.types and module.slots == OFF_HOURS
    assert spent == MCFG.move_cost


def test_review_never_spends_more_than_the_reserve():
    n = 5
    car = np.full((n, n), 100.0, np.float32)
    np.fill_diagonal(car, 0.0)
    m = Tiny(n)
    # a move costs 1,500 and the reserve is 1,000: the module cannot go
    o = orchestrator(car)
    o.record(unmet(n, 3, {(4, 2, 1): 50.0}))
    module = PopUpModule(m, m.space[0], [0, 1], WEEKDAY, 30, RUNNING)
    assert o.review([module], m.space, reserve=1000.0, factor=1.0) == 0.0
    assert module.commune == 0 and module.types == [0, 1] and module.slots == WEEKDAY
    assert not module.in_transit and o.moves == 0
    # ... but a retype at home (400) it can pay for
    o = orchestrator(car)
    o.record(unmet(n, 3, {(0, 2, 1): 50.0, (4, 2, 1): 50.0}))
    assert o.review([module], m.space, reserve=1000.0, factor=1.0) == MCFG.retype_cost
    assert module.commune == 0 and 2 in module.types and module.slots == OFF_HOURS
    assert module.transit_weeks == MCFG.retype_weeks and o.retypes == 1
    # three modules want to go to three far communes; the reserve pays for two moves
    o = orchestrator(car)
    o.record(unmet(n, 3, {(2, 0, 0): 60.0, (3, 1, 0): 60.0, (4, 2, 0): 60.0}))
    modules = [PopUpModule(m, m.space[0], [0, 1], OFF_HOURS, 30, RUNNING) for _ in range(3)]
    spent = o.review(modules, m.space, reserve=2 * MCFG.move_cost + 100.0, factor=1.0)
    assert spent == 2 * MCFG.move_cost
    assert sorted(mod.commune for mod in modules) == [0, 2, 3]  # best-first, one per demand


def test_review_keeps_a_module_that_already_serves_the_demand():
    n = 5
    car = np.full((n, n), 100.0, np.float32)
    np.fill_diagonal(car, 0.0)
    m = Tiny(n)
    for types in ([0, 2], [1, 2]):  # [1, 2]: re-typing to the other zero-demand type never pays
        o = orchestrator(car)
        o.record(unmet(n, 3, {(4, 2, 1): 50.0}))
        module = PopUpModule(m, m.space[4], types, OFF_HOURS, 30, RUNNING)
        assert o.review([module], m.space, reserve=10_000.0, factor=1.0) == 0.0
        assert module.commune == 4 and module.types == types and module.slots == OFF_HOURS
        assert not module.in_transit and o.moves == 0 and o.retypes == 0


def test_two_modules_do_not_chase_the_same_demand():
    # 50 needs over the period, one module covers 30 x 4 weeks = 120: the second stays home
    n = 5
    car = np.full((n, n), 100.0, np.float32)
    np.fill_diagonal(car, 0.0)
    m = Tiny(n)
    o = orchestrator(car)
    o.record(unmet(n, 3, {(4, 2, 1): 50.0}))
    modules = [PopUpModule(m, m.space[0], [0, 1], WEEKDAY, 30, RUNNING) for _ in range(2)]
    assert o.review(modules, m.space, reserve=10_000.0, factor=1.0) == MCFG.move_cost
    assert sorted(mod.commune for mod in modules) == [0, 4]


def test_review_ignores_types_modules_cannot_offer():
    n = 5
    car = np.full((n, n), 100.0, np.float32)
    np.fill_diagonal(car, 0.0)
    m = Tiny(n)
    o = orchestrator(car, n_types=4, allowed=(0, 1, 2))
    o.record(unmet(n, 4, {(4, 3, 1): 500.0}))  # type 3 is not among modules.types
    module = PopUpModule(m, m.space[0], [0, 1], WEEKDAY, 30, RUNNING)
    assert o.review([module], m.space, reserve=10_000.0, factor=1.0) == 0.0
    assert module.commune == 0 and module.types == [0, 1]


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    n=st.integers(2, 7),
    n_modules=st.integers(1, 4),
    reserve=st.floats(0.0, 6000.0),
    factor=st.sampled_from([0.3, 1.0]),
)
def test_review_pays_exactly_its_changes_within_the_reserve(data, n, n_modules, reserve, factor):
    car = line_car_min(n, step=data.draw(st.sampled_from([5.0, 20.0, 40.0])))
    o = orchestrator(car, n_types=4, allowed=(0, 1, 2))
    demand = data.draw(st.lists(st.integers(0, 80), min_size=n * 8, max_size=n * 8))
    o.record(np.array(demand, np.float32).reshape(n, 4, 2))
    m = Tiny(n)
    modules = []
    for _ in range(n_modules):
        c = data.draw(st.integers(0, n - 1))
        types = data.draw(st.lists(st.integers(0, 2), min_size=2, max_size=2, unique=True))
        slots = data.draw(st.sampled_from(SLOT_CLASSES))
        modules.append(PopUpModule(m, m.space[c], types, slots, 30, RUNNING))
    before = [(mod.commune, list(mod.types), mod.slots) for mod in modules]
    spent = o.review(modules, m.space, reserve=reserve, factor=factor)
    expected = 0.0
    for (c, types, slots), mod in zip(before, modules, strict=True):
        assert set(mod.types) <= {0, 1, 2} and len(mod.types) == 2
        if mod.commune != c:
            expected += MCFG.move_cost
            assert mod.transit_weeks == MCFG.move_weeks
        elif mod.types != types or mod.slots != slots:
            expected += MCFG.retype_cost
            assert mod.transit_weeks == MCFG.retype_weeks
        else:
            assert mod.transit_weeks == 0
    assert spent == pytest.approx(expected, abs=1e-9)
    assert spent <= reserve + 1e-9


def test_modules_with_no_running_cost_can_be_reviewed():
    # modules.fixed_cost_per_week and cost_per_capacity are NonNegative: 0 is a valid config
    # (e.g. volunteer-staffed modules), so a review must not crash on it.
    cfg = load_config("soft", [*SMALL, *FUNDED, "modules.fixed_cost_per_week=0",
                               "modules.cost_per_capacity=0"])
    model = SoftTerritory(cfg, 1)
    for _ in range(8):  # two reviews
        model.step()
    assert model.budget.reserve >= 0.0
    s = model.series
    assert np.all(np.cumsum(s["cost_budgeted"][:8]) <= np.cumsum(s["budget"][:8]))
