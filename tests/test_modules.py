"""Pop-up modules: move, re-type, transit and closure in a run.

Expected values are derived by hand; a tolerance is never read off the code under test.
"""

from __future__ import annotations

from mechanism_helpers import FUNDED, OFF_HOURS, SMALL, WEEKDAY, Tiny
from softsim.config import load_config
from softsim.model import SoftTerritory
from softsim.services import PopUpModule


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
        used = model.now.sites.capacity - model.now.remaining
        module_rows = [i for i, p in enumerate(model.now.providers) if p.kind == "module"]
        assert len(module_rows) == len(model.modules)
        for i in module_rows:
            p = model.now.providers[i]
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
