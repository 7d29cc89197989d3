"""Each soft mechanism's rule, on its class where possible, with expected values derived by hand.

Pop-up modules, the orchestrator, home-visit tours, buses, associations, awareness, the budget,
futures and bad input. Statistical checks use fixed seeds and say where their tolerance comes
from; a tolerance is never read off the code under test.
"""

from __future__ import annotations

import math
import random
from types import SimpleNamespace

import mesa
import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mesa.discrete_space import Network

from softsim.budget import Budget
from softsim.cli import main
from softsim.config import (
    AssociationsConfig,
    BudgetConfig,
    ConfigError,
    FuturesConfig,
    InformationConfig,
    ModulesConfig,
    OrchestratorConfig,
    Shock,
    load_config,
)
from softsim.futures import Futures, resilience
from softsim.information import Awareness
from softsim.model import SoftTerritory
from softsim.orchestrator import SLOT_CLASSES, Orchestrator
from softsim.services import AssociationSector, Bus, PopUpModule, plan_tours

SMALL = ["territory.population=4000", "territory.n_communes=40", "simulation.years=1"]
FUNDED = ["budget.per_1000_per_week=8000"]
"""Enough for the small soft territory to run every actor at funding factor 1 (checked where
it matters), without the absurd association incentives a far larger budget would buy."""

WEEKDAY, OFF_HOURS = SLOT_CLASSES  # 0b001, 0b110


class Tiny(mesa.Model):
    """A bare Mesa model on ``n`` isolated communes: a home for agents tested on their own."""

    def __init__(self, n: int) -> None:
        super().__init__(rng=np.random.default_rng(0))
        graph = nx.Graph()
        graph.add_nodes_from(range(n))
        # an explicit layout: without one Mesa computes a spring layout (slow for 1,000s of nodes)
        self.space = Network(graph, random=random.Random(0),
                             layout={i: (float(i), 0.0) for i in range(n)})


# ================================================================== pop-up modules


def test_module_move_retype_and_unchanged():
    m = Tiny(3)
    module = PopUpModule(m, m.space[0], [2, 0], WEEKDAY, 30, 840.0)
    assert module.types == [0, 2] and module.commune == 0 and not module.in_transit

    # same commune, same types given in another order, same slots: nothing to do
    assert module.reconfigure(m.space[0], [2, 0], WEEKDAY, 3, 2) is None
    assert module.transit_weeks == 0 and module.moves == 0 and module.retypes == 0

    # same commune, other slots: a retype, closed retype_weeks
    assert module.reconfigure(m.space[0], [0, 2], OFF_HOURS, 3, 2) == "retype"
    assert module.transit_weeks == 2 and module.slots == OFF_HOURS and module.retypes == 1
    module.tick()
    module.tick()
    assert not module.in_transit

    # same commune, other types: a retype too
    assert module.reconfigure(m.space[0], [1, 0], OFF_HOURS, 3, 2) == "retype"
    assert module.types == [0, 1] and module.transit_weeks == 2 and module.retypes == 2

    # another commune: a move (types and slots follow), closed move_weeks
    assert module.reconfigure(m.space[2], [2, 1], WEEKDAY, 3, 2) == "move"
    assert module.commune == 2 and module.types == [1, 2] and module.slots == WEEKDAY
    assert module.transit_weeks == 3 and module.moves == 1 and module.retypes == 2


def test_module_transit_counts_down_to_zero_and_capacity_is_zero_meanwhile():
    m = Tiny(2)
    module = PopUpModule(m, m.space[0], [0], WEEKDAY, 30, 840.0)
    assert module.capacity_now() == 30
    assert module.capacity_now(0.5) == 15
    assert module.capacity_now(0.04) == 1  # whole contacts: int(1.2)
    assert module.capacity_now(0.01) == 0
    module.reconfigure(m.space[1], [0], WEEKDAY, 3, 1)
    seen = []
    for _ in range(5):
        seen.append((module.transit_weeks, module.capacity_now(), module.capacity_now(0.5)))
        module.tick()
    assert seen == [(3, 0, 0), (2, 0, 0), (1, 0, 0), (0, 30, 15), (0, 30, 15)]


def test_a_zero_delay_move_reopens_at_once():
    m = Tiny(2)
    module = PopUpModule(m, m.space[0], [0], WEEKDAY, 30, 840.0)
    assert module.reconfigure(m.space[1], [0], WEEKDAY, 0, 0) == "move"
    assert not module.in_transit and module.capacity_now() == 30


def test_modules_in_transit_serve_nobody_in_a_run():
    # Closed for move_weeks (retype_weeks) full weeks after the review that reconfigured it:
    # the review runs at the end of week w, so weeks w+1 .. w+delay offer 0 places.
    cfg = load_config("soft", [*SMALL, *FUNDED, "modules.move_weeks=3",
                               "modules.retype_weeks=2", "orchestrator.data_quality=1"])
    model = SoftTerritory(cfg, 5)
    closed_after: dict[int, list[tuple[int, int]]] = {}  # module id -> (week, delay) of changes
    open_weeks: dict[int, list[int]] = {m.unique_id: [] for m in model.modules}
    closed_weeks: dict[int, list[int]] = {m.unique_id: [] for m in model.modules}
    for week in range(cfg.weeks):
        before = {m.unique_id: (m.transit_weeks, m.moves, m.retypes) for m in model.modules}
        model.step()
        assert model.series["funding_factor"][week] == 1.0
        used = model.site_arrays.capacity - model._remaining
        module_rows = [i for i, p in enumerate(model.providers) if p.kind == "module"]
        assert len(module_rows) == len(model.modules)
        for i in module_rows:
            p = model.providers[i]
            uid = p.owner.unique_id
            if before[uid][0] > 0:
                assert p.capacity == 0 and used[i] == 0
                closed_weeks[uid].append(week)
            else:
                assert p.capacity == p.owner.nominal_capacity > 0
                open_weeks[uid].append(week)
        for m in model.modules:
            _, moves, retypes = before[m.unique_id]
            if m.moves > moves:
                closed_after.setdefault(m.unique_id, []).append((week, 3))
            elif m.retypes > retypes:
                closed_after.setdefault(m.unique_id, []).append((week, 2))
    assert sum(len(v) for v in closed_after.values()) >= 3  # the orchestrator did act
    for uid, changes in closed_after.items():
        expected = {w + d for w, delay in changes for d in range(1, delay + 1)}
        expected = {w for w in expected if w < cfg.weeks}
        assert set(closed_weeks[uid]) == expected, uid
    assert sum(map(len, open_weeks.values())) > 0


# ================================================================== orchestrator


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


# ================================================================== home-visit tours

# Three communes: base 0, and 1, 2. Car minutes / road km (diagonal 0):
#        0    1    2              0    1    2
#   0 [  0,  10,  30]        0 [  0,   8,  25]
#   1 [ 10,   0,  15]        1 [  8,   0,  12]
#   2 [ 30,  15,   0]        2 [ 25,  12,   0]
CAR = np.array([[0, 10, 30], [10, 0, 15], [30, 15, 0]], np.float32)
KM = np.array([[0, 8, 25], [8, 0, 12], [25, 12, 0]], np.float32)
REQUESTS = [2, 1, 2]  # communes of requests 0, 1, 2, in priority order


def test_tour_by_hand_with_time_to_spare():
    # 200 min, 45 min a visit. From 0 the nearest request is #1 (10 min; 10+45+10 <= 200):
    # left 145 at commune 1. Then #0 and #2 are both 15 min away; #0 comes first in priority
    # (15+45+30 = 90 <= 145): left 85 at commune 2. Then #2 is 0 min away (0+45+30 = 75 <= 85):
    # left 40. Nothing left: drive back (30 min), 10 min unused. Legs 0-1, 1-2, 2-2, 2-0.
    served_by, km, used, legs_from, legs_to, legs_agent = plan_tours(
        REQUESTS, [0], [200.0], 45.0, CAR, KM)
    assert served_by.tolist() == [0, 0, 0]
    assert list(zip(legs_from.tolist(), legs_to.tolist(), strict=True)) == [
        (0, 1), (1, 2), (2, 2), (2, 0)]
    assert legs_agent.tolist() == [0, 0, 0, 0]
    assert km.tolist() == [8 + 12 + 0 + 25]
    assert used.tolist() == [190.0]


def test_tour_by_hand_cut_by_the_time_budget():
    # 150 min: #1 (left 95), #0 (15+45+30 = 90 <= 95: left 35), #2 needs 0+45+30 = 75 > 35.
    # Back to base: left 5. Legs 0-1, 1-2, 2-0.
    served_by, km, used, legs_from, legs_to, _ = plan_tours(
        REQUESTS, [0], [150.0], 45.0, CAR, KM)
    assert served_by.tolist() == [0, 0, -1]
    assert list(zip(legs_from.tolist(), legs_to.tolist(), strict=True)) == [
        (0, 1), (1, 2), (2, 0)]
    assert km.tolist() == [8 + 12 + 25]
    assert used.tolist() == [145.0]


def test_tours_of_two_agents_by_hand():
    # Agent 0 (base 0, 60 min) cannot fit any visit: 10+45+10 = 65 > 60, 30+45+30 > 60; no
    # legs. Agent 1 (base 2, 200 min): #0 at its base (0+45+0: left 155), #2 likewise (left
    # 110), then #1 at commune 1 (15+45+15 = 75 <= 110: left 50), back to 2 (left 35).
    served_by, km, used, legs_from, legs_to, legs_agent = plan_tours(
        REQUESTS, [0, 2], [60.0, 200.0], 45.0, CAR, KM)
    assert served_by.tolist() == [1, 1, 1]
    assert km.tolist() == [0.0, 0 + 0 + 12 + 12]
    assert used.tolist() == [0.0, 165.0]
    assert list(zip(legs_from.tolist(), legs_to.tolist(), strict=True)) == [
        (2, 2), (2, 2), (2, 1), (1, 2)]
    assert legs_agent.tolist() == [1, 1, 1, 1]


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    n=st.integers(1, 8),
    n_req=st.integers(0, 25),
    n_agents=st.integers(1, 3),
    visit=st.sampled_from([10.0, 30.0, 45.0]),
)
def test_tours_add_up(data, n, n_req, n_agents, visit):
    # asymmetric matrices with positive diagonals, as on a real territory (in-commune access)
    car = np.array(data.draw(st.lists(st.integers(1, 90), min_size=n * n, max_size=n * n)),
                   np.float32).reshape(n, n)
    km = np.array(data.draw(st.lists(st.integers(1, 120), min_size=n * n, max_size=n * n)),
                  np.float32).reshape(n, n)
    req = data.draw(st.lists(st.integers(0, n - 1), min_size=n_req, max_size=n_req))
    base = data.draw(st.lists(st.integers(0, n - 1), min_size=n_agents, max_size=n_agents))
    minutes = data.draw(st.lists(st.floats(0.0, 600.0), min_size=n_agents, max_size=n_agents))
    served_by, km_a, used, lf, lt, la = plan_tours(req, base, minutes, visit, car, km)
    for a in range(n_agents):
        legs = [(f, t) for f, t, g in zip(lf.tolist(), lt.tolist(), la.tolist(), strict=True)
                if g == a]
        visits = int((served_by == a).sum())
        assert km_a[a] == pytest.approx(sum(float(km[f, t]) for f, t in legs), rel=1e-9)
        drive = sum(float(car[f, t]) for f, t in legs)
        assert used[a] == pytest.approx(drive + visits * visit, rel=1e-9, abs=1e-9)
        assert used[a] <= minutes[a] + 1e-9  # no agent works beyond its minutes
        if visits == 0:
            assert legs == []
            continue
        # a closed tour from the base: one leg per visit plus the way back (if not at base)
        assert legs[0][0] == base[a] and legs[-1][1] == base[a]
        assert all(legs[i][1] == legs[i + 1][0] for i in range(len(legs) - 1))
        assert len(legs) in (visits, visits + 1)
        visited = sorted(t for f, t in legs[:visits])
        assert visited == sorted(req[i] for i in np.flatnonzero(served_by == a))


# ================================================================== buses


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
    # 300 per 1,000 funds ~10 % of the small soft territory's planned provision, so
    # floor(8 stops x factor) = 0: the bus should make no stop at all
    cfg = load_config("soft", [*SMALL, "budget.per_1000_per_week=300", "bus.count=1"])
    model = SoftTerritory(cfg, 0)
    model.step()
    assert int(np.floor(cfg.bus.stops_per_week * model.series["funding_factor"][0])) == 0
    assert model.series["cost_budgeted"][0] <= model.series["budget"][0]
    assert model.buses[0].stops == []


# ================================================================== associations


def sector(n, adults, seed=0, **kw):
    cfg = AssociationsConfig(enabled=True, **kw)
    m = Tiny(n)
    return m, AssociationSector(m, cfg, np.asarray(adults, float), [0, 1], 0b110,
                                np.random.default_rng(seed))


def test_volunteers_never_negative_and_active_associations_keep_the_minimum():
    m, s = sector(60, np.full(60, 800.0), seed=3, initial_share=1.0, dynamism_sd=1.0,
                  quit_per_year=40.0, overload_quit_per_week=0.5, recruit_per_year=5.0,
                  emergence_per_year=10.0)
    assert len(s.by_commune) > 0
    for week in range(30):
        for a in s.associations:
            a.used = s.capacity(a) if week % 2 else 0  # overloaded every other week
        s.update(engagement=1.0, cofunding=0.0, incentives=0.0)
        assert all(a.volunteers >= s.cfg.min_volunteers for a in s.by_commune.values())
        assert s.volunteers_total() >= 0
        assert s.created - s.dissolved == len(s.by_commune)
        live = {a.unique_id for a in s.by_commune.values()}
        in_model = {a.unique_id for a in m.agents}
        assert live == in_model  # dissolved associations left the model
    assert s.dissolved > 0


def test_an_association_below_min_volunteers_dissolves():
    # no recruitment, no quits, no emergence: only the minimum decides
    m, s = sector(3, [1000, 1000, 1000], initial_share=1.0, dynamism_sd=0.0,
                  recruit_per_year=0.0, quit_per_year=0.0, overload_quit_per_week=0.0,
                  emergence_per_year=0.0, min_volunteers=3)
    assert sorted(s.by_commune) == [0, 1, 2]
    s.by_commune[0].volunteers = 2  # below the minimum
    s.by_commune[1].volunteers = 3  # at the minimum
    gone = s.by_commune[0]
    s.update(engagement=1.0, cofunding=0.0, incentives=0.0)
    assert sorted(s.by_commune) == [1, 2]
    assert s.dissolved == 1 and gone not in list(m.agents)
    assert s.by_commune[1].volunteers == 3


def test_emergence_rises_with_incentives():
    # d_c = 1 everywhere (dynamism_sd 0), no initial association: the weekly emergence
    # probability is 5.2 / 52 x (1 + incentives) = 0.1 or 0.2. Over 3,000 communes the counts
    # are Binomial(3000, 0.1) (mean 300, SD 16.4) and Binomial(3000, 0.2) (mean 600, SD 21.9);
    # 5 SD either way. Same seed: same uniforms, so incentives can only add communes.
    n = 3000
    counts, sets = [], []
    for incentives in (0.0, 1.0):
        _, s = sector(n, np.full(n, 500.0), seed=11, initial_share=0.0, dynamism_sd=0.0,
                      emergence_per_year=5.2)
        assert not s.by_commune
        s.update(engagement=1.0, cofunding=0.0, incentives=incentives)
        counts.append(len(s.by_commune))
        sets.append(set(s.by_commune))
        assert all(a.volunteers == s.cfg.min_volunteers + 1 for a in s.by_commune.values())
    for count, p in zip(counts, (0.1, 0.2), strict=True):
        assert abs(count - n * p) <= 5 * math.sqrt(n * p * (1 - p))
    assert counts[1] > counts[0] and sets[0] <= sets[1]


# ================================================================== awareness


def residents(home, bits):
    home = np.asarray(home, np.int32)
    return SimpleNamespace(n=len(home), home=home, awareness=np.asarray(bits, np.uint16))


def recount(res, n_communes, n_types):
    k = np.arange(n_types, dtype=np.uint16)
    bits = (res.awareness[:, None] >> k) & 1
    return np.stack([np.bincount(res.home, weights=bits[:, i], minlength=n_communes)
                     for i in range(n_types)], axis=1).astype(np.int64)


def test_awareness_is_stationary_at_the_configured_level_without_spending():
    # 20 communes x 1,000 residents, three types; each week a random 20 % have a need and are
    # brought up to date. Forgetting at 5.2 a year (0.1 a week) mixes the chain in ~10 weeks,
    # so 200 weeks are many mixing times: a learning rate 10 % off drifts beyond the tolerance.
    # Tolerance: 6 SD of the share of 20,000 Bernoulli(a) states, the variance inflated by 1/a
    # for word of mouth (linearised, a commune's share relaxes at rate mu a/(1-a) instead of
    # mu/(1-a) for independent residents: variance x 1/a), plus the finite-commune bias of
    # word of mouth: the drift mu s (a - s)/(1 - a) is concave in s, so noise of variance v in a
    # commune's share pulls its mean to ~ a - v/a, v ~ (1 - a)/per: 0.0023 at a = 0.3.
    rng = np.random.default_rng(7)
    a = np.array([0.3, 0.66, 0.9])
    n_communes, per = 20, 1000
    home = np.repeat(np.arange(n_communes), per)
    n = len(home)
    bits = sum(((rng.random(n) < a[k]).astype(np.uint16) << k) for k in range(3))
    res = residents(home, bits)
    cfg = InformationConfig(spending_per_1000_per_week=0.0, orientation=0.0,
                            forget_per_year=5.2)
    aw = Awareness(cfg, res, a.tolist(), n_communes, np.random.default_rng(8))
    for week in range(1, 201):
        who = np.flatnonzero(rng.random(n) < 0.2).astype(np.int32)
        aw.refresh(who, week, 0.0)
        aw.orient(who)  # orientation 0: a no-op
    assert np.array_equal(aw.aware_count, recount(res, n_communes, 3))
    share = aw.share_aware()
    tol = 6 * np.sqrt(a * (1 - a) / n / a) + (1 - a) / (a * per)
    assert np.all(np.abs(share - a) <= tol), (share, tol)


def test_awareness_refresh_is_the_exact_two_state_transition():
    # Resident 0 shares commune 0 with 9 others that are never refreshed. Type 0: resident
    # unaware, 5 others aware (s = 0.5); type 1: resident aware, 2 others (s = 0.3).
    # P(aware after dt) = pi + (s0 - pi) exp(-(lambda + mu) dt) with pi = lambda/(lambda + mu),
    # lambda = lambda0 s / a + learn_per_euro x S, lambda0 = mu a / (1 - a) (information.py).
    a = np.array([0.6, 0.8])
    mu, learn, spending, dt = 2.6 / 52, 0.002, 10.0, 7
    others0 = [1] * 5 + [0] * 4
    others1 = [1] * 2 + [0] * 7
    bits = [0b10] + [b0 | (b1 << 1) for b0, b1 in zip(others0, others1, strict=True)]
    expected = []
    for k, (s, s0) in enumerate(((0.5, 0), (0.3, 1))):
        lam = mu * a[k] / (1 - a[k]) * s / a[k] + learn * spending
        pi = lam / (lam + mu)
        expected.append(pi + (s0 - pi) * math.exp(-(lam + mu) * dt))
    cfg = InformationConfig(learn_per_euro=learn, orientation=0.0, forget_per_year=mu * 52)
    n_seeds = 4000
    aware = np.zeros(2)
    for seed in range(n_seeds):
        res = residents([0] * 10, bits)
        aw = Awareness(cfg, res, a.tolist(), 1, np.random.default_rng(seed))
        aw.refresh(np.array([0], np.int32), dt, spending)
        aware += [(res.awareness[0] >> k) & 1 for k in range(2)]
        assert aw.updated[0] == dt
        assert np.array_equal(aw.aware_count, recount(res, 1, 2))
        assert np.array_equal(res.awareness[1:], np.asarray(bits[1:], np.uint16))
    # binomial over 4,000 seeds: 4.5 SD (a one-step Euler lambda*dt or dt = 1 are > 10 SD off)
    freq = aware / n_seeds
    for k in range(2):
        sd = math.sqrt(expected[k] * (1 - expected[k]) / n_seeds)
        assert abs(freq[k] - expected[k]) <= 4.5 * sd, (k, freq[k], expected[k])


def test_no_refresh_twice_in_a_week():
    res = residents([0] * 10, [0] * 10)
    cfg = InformationConfig(learn_per_euro=1.0, forget_per_year=52.0)
    aw = Awareness(cfg, res, [0.5], 1, np.random.default_rng(0))
    aw.refresh(np.array([0], np.int32), 3, 100.0)
    state = res.awareness.copy()
    for _ in range(20):  # a second need the same week does not advance the chain again
        aw.refresh(np.array([0], np.int32), 3, 100.0)
        assert np.array_equal(res.awareness, state)


def test_orientation_only_adds_awareness():
    # orientation 0.5 on 4,000 served residents x 4 types: every bit set stays set; of the
    # unset bits about half get set (binomial, 5 SD on ~8,000 bits: +- 0.028).
    rng = np.random.default_rng(3)
    n, n_communes = 4000, 20
    home = rng.integers(0, n_communes, n)
    before = rng.integers(0, 16, n).astype(np.uint16)
    res = residents(home, before.copy())
    aw = Awareness(InformationConfig(orientation=0.5), res, [0.5] * 4, n_communes,
                   np.random.default_rng(4))
    served = np.arange(n, dtype=np.int32)
    aw.orient(served)
    after = res.awareness
    assert np.all(after & before == before)
    assert np.array_equal(aw.aware_count, recount(res, n_communes, 4))
    k = np.arange(4, dtype=np.uint16)
    was0 = ((before[:, None] >> k) & 1) == 0
    now1 = ((after[:, None] >> k) & 1) == 1
    frac = now1[was0].mean()
    assert abs(frac - 0.5) <= 5 * math.sqrt(0.25 / was0.sum())
    # orientation 1: every served resident knows every service; 0: nothing changes
    res1 = residents(home, before.copy())
    Awareness(InformationConfig(orientation=1.0), res1, [0.5] * 4, n_communes,
              np.random.default_rng(0)).orient(served[:100])
    assert np.all(res1.awareness[:100] == 0b1111)
    assert np.array_equal(res1.awareness[100:], before[100:])
    res0 = residents(home, before.copy())
    Awareness(InformationConfig(orientation=0.0), res0, [0.5] * 4, n_communes,
              np.random.default_rng(0)).orient(served)
    assert np.array_equal(res0.awareness, before)


# ================================================================== budget

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


# ================================================================== futures

TYPES = {"social": 0, "health": 1, "admin": 2}


def test_need_growth_compounds_per_year():
    f = Futures(FuturesConfig(need_growth_per_year=0.1), TYPES, 52)
    assert f.need_multipliers(0) == pytest.approx([1.0] * 3)
    assert f.need_multipliers(26) == pytest.approx([math.sqrt(1.1)] * 3, rel=1e-12)
    assert f.need_multipliers(52) == pytest.approx([1.1] * 3, rel=1e-12)
    assert f.need_multipliers(104) == pytest.approx([1.21] * 3, rel=1e-12)


def test_an_epidemic_raises_health_needs_during_its_window_only():
    shock = Shock(kind="epidemic", week=10, magnitude=0.5, duration_weeks=5)
    f = Futures(FuturesConfig(shocks=[shock]), TYPES, 52)
    for week in range(20):
        expected = [1.0, 1.5 if 10 <= week < 15 else 1.0, 1.0]
        assert f.need_multipliers(week) == pytest.approx(expected, rel=1e-12), week
    # with growth, the epidemic multiplies on top of it
    g = Futures(FuturesConfig(need_growth_per_year=0.2, shocks=[shock]), TYPES, 52)
    assert g.need_multipliers(12)[1] == pytest.approx(1.2 ** (12 / 52) * 1.5, rel=1e-12)
    # a territory without a health service is unaffected
    only_social = Futures(FuturesConfig(shocks=[shock]), {"social": 0}, 52)
    assert only_social.need_multipliers(12).tolist() == [1.0]


def test_budget_multiplier_with_trend_and_a_permanent_cut():
    cut = Shock(kind="budget_cut", week=20, magnitude=0.3, duration_weeks=1)
    f = Futures(FuturesConfig(budget_trend_per_year=-0.1, shocks=[cut]), TYPES, 52)
    assert f.budget_multiplier(0) == 1.0
    assert f.budget_multiplier(19) == pytest.approx(0.9 ** (19 / 52), rel=1e-12)
    assert f.budget_multiplier(20) == pytest.approx(0.9 ** (20 / 52) * 0.7, rel=1e-12)
    assert f.budget_multiplier(300) == pytest.approx(0.9 ** (300 / 52) * 0.7, rel=1e-12)
    # a cut of more than 100 % leaves nothing, never a negative budget
    big = Shock(kind="budget_cut", week=5, magnitude=2.0)
    assert Futures(FuturesConfig(shocks=[big]), TYPES, 52).budget_multiplier(6) == 0.0


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


# ================================================================== bad input

BAD_INPUT = [
    (["modules.move_weeks=-1"], {}, "modules.move_weeks"),
    (["modules.retype_weeks=-2"], {}, "modules.retype_weeks"),
    (['modules.types=["social", "nosuch"]'], {}, "modules.types"),
    (['bus.types=["nosuch"]'], {}, "bus.types"),
    ([], {"futures": {"shocks": [{"kind": "epidemic", "week": 60}]}}, "futures.shocks.0.week"),
    (["budget.faire=0.5"], {}, "budget"),
    (["orchestrator.data_quality=1.5"], {}, "orchestrator.data_quality"),
    (["mobile.agents=-1"], {}, "mobile.agents"),
]


@pytest.mark.parametrize(("overrides", "sections", "field"), BAD_INPUT)
def test_bad_input_is_a_one_line_config_error_naming_the_field(overrides, sections, field):
    with pytest.raises(ConfigError) as info:
        load_config("soft", [*SMALL, *overrides], **sections)
    message = str(info.value)
    assert "\n" not in message
    assert field in message


def test_budget_error_says_the_shares_must_sum_to_one():
    with pytest.raises(ConfigError) as info:
        load_config("soft", ["budget.faire=0.5"])
    assert "budget" in str(info.value) and "sum to 1" in str(info.value)


def test_a_shock_inside_the_horizon_is_accepted():
    cfg = load_config("soft", SMALL, futures={"shocks": [{"kind": "epidemic", "week": 51}]})
    assert cfg.futures.shocks[0].week == 51 == cfg.weeks - 1


@pytest.mark.parametrize(("overrides", "sections", "field"), BAD_INPUT)
def test_bad_input_on_the_command_line_exits_2_and_writes_nothing(
    tmp_path, capsys, overrides, sections, field
):
    out = tmp_path / "results" / "never"
    argv = ["run", "soft", "--years", "1", "--quiet", "--no-figures", "--out", str(out)]
    for text in overrides:
        argv += ["--set", text]
    if sections:
        future = tmp_path / "future.toml"
        future.write_text('[[shocks]]\nkind = "epidemic"\nweek = 60\n')
        argv += ["--future", str(future)]
    code = main(argv)
    stdout, err = capsys.readouterr()
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert field in lines[0] and "Traceback" not in err
    assert not (tmp_path / "results").exists()
