"""Dated edits of the territory: checked before the run, applied from their week, no money added.

Expected numbers are derived by hand from the config's prices and the sites as built (a
group's money is what its sites cost; ``floor((money / n − fixed) / cost per contact)``
contacts each after an edit), never read off the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mechanism_helpers import SMALL
from softsim.cli import main
from softsim.config import ConfigError, load_config
from softsim.model import SoftTerritory
from softsim.schedule import SCHEDULE

BASE = [*SMALL, "territory.population=40000", "population.scale=0.1"]
"""Small and fast, with sites large enough that a group can pay one site more."""


def _cfg(scenario="hard", edits=(), extra=()):
    return load_config(scenario, [*BASE, *extra], edits=[dict(e) for e in edits])


@pytest.fixture(scope="module")
def hard():
    """The small hard territory as built, without edits."""
    return SoftTerritory(_cfg(), 1)


def _code(model, commune: int) -> str:
    return str(model.territory.code[commune])


def _group_sites(model, group):
    return [s for s in model.sites if s.group == group]


def _richest(model) -> list[str]:
    """Site groups by their money, the richest first."""
    money = {}
    for s in model.sites:
        money[s.group] = money.get(s.group, 0.0) + s.weekly_cost
    return sorted(money, key=lambda g: -money[g])


def _free_commune(model) -> int:
    taken = {s.commune for s in model.sites}
    return next(c for c in range(model.territory.n) if c not in taken)


def test_edits_is_the_first_phase_of_the_week():
    assert SCHEDULE[0].name == "edits"


def test_no_edit_keeps_the_config_dict_and_hash_as_before():
    from softsim.config import config_sha256, config_to_dict

    cfg = _cfg()
    assert "edits" not in config_to_dict(cfg)
    assert config_sha256(cfg) == config_sha256(load_config("hard", BASE))


def test_unknown_commune_is_a_config_error_naming_the_edit():
    cfg = _cfg(edits=[{"week": 0, "action": "module", "commune": "S0001"},
                      {"week": 2, "action": "add_site", "commune": "nowhere"}])
    with pytest.raises(ConfigError, match=r"^edits\.1\.commune: .*'nowhere'"):
        SoftTerritory(cfg, 1)


def test_edit_after_the_horizon_or_unknown_group_is_refused_by_the_config():
    with pytest.raises(ConfigError, match=r"edits\.0\.week"):
        _cfg(edits=[{"week": 52, "action": "add_site", "commune": "S0001"}])
    with pytest.raises(ConfigError, match=r"edits\.0\.group"):
        _cfg(edits=[{"week": 1, "action": "add_site", "commune": "S0001", "group": "nope"}])
    with pytest.raises(ConfigError, match=r"edits\.0\.action"):
        _cfg(edits=[{"week": 1, "action": "build_a_castle", "commune": "S0001"}])


def test_bad_edit_on_the_command_line_exits_2_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "edited.toml"
    path.write_text('extends = "hard"\n[[edits]]\nweek = 1\naction = "add_site"\n'
                    'commune = "XX999"\n')
    out = tmp_path / "results" / "never"
    argv = ["run", str(path), "--years", "1", "--quiet", "--no-figures", "--out", str(out)]
    for text in BASE:
        argv += ["--set", text]
    code = main(argv)
    _, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, err
    assert "edits.0.commune" in lines[0] and "XX999" in lines[0] and "Traceback" not in err
    assert not (tmp_path / "results").exists()


def test_removing_a_site_that_is_not_there_or_the_last_of_its_group(hard):
    empty = _code(hard, _free_commune(hard))
    with pytest.raises(ConfigError, match=r"^edits\.0\.commune: no fixed site"):
        SoftTerritory(_cfg(edits=[{"week": 3, "action": "remove_site", "commune": empty}]), 1)
    single = [g for g in hard.cfg.sites if len(_group_sites(hard, g)) == 1]
    assert single, "the hard scenario has a group with one site"
    site = _group_sites(hard, single[0])[0]
    edit = {"week": 1, "action": "remove_site", "commune": _code(hard, site.commune),
            "group": single[0]}
    with pytest.raises(ConfigError, match="last site"):
        SoftTerritory(_cfg(edits=[edit]), 1)


def test_module_edit_without_modules_is_refused(hard):
    assert not hard.modules
    with pytest.raises(ConfigError, match=r"edits\.0\.action: 'module'"):
        SoftTerritory(_cfg(edits=[{"week": 0, "action": "module", "commune": "S0001"}]), 1)


def test_adding_a_site_re_divides_its_groups_money(hard):
    group = next(iter(hard.cfg.sites))
    g = hard.cfg.sites[group]
    before = _group_sites(hard, group)
    money = sum(s.weekly_cost for s in before)
    n = len(before)
    # by hand: the same money over one site more
    each = math.floor((money / (n + 1) - g.fixed_cost_per_week) / g.cost_per_capacity)
    assert 1 <= each < before[0].capacity
    c = _free_commune(hard)
    model = SoftTerritory(_cfg(edits=[{"week": 0, "action": "add_site",
                                       "commune": _code(hard, c)}]), 1)
    after = _group_sites(model, group)
    assert len(after) == n + 1 and c in [s.commune for s in after]
    assert [s.capacity for s in after] == [each] * (n + 1)
    assert sum(s.weekly_cost for s in after) <= money + 1e-9
    # other groups are untouched
    others = [(s.group, s.commune, s.capacity) for s in hard.sites if s.group != group]
    assert [(s.group, s.commune, s.capacity) for s in model.sites if s.group != group] == others
    report = model.editor.report()[0]
    assert report["contacts_per_site_before"] == before[0].capacity
    assert report["contacts_per_site_after"] == each
    assert report["group_contacts_after"] == each * (n + 1)
    assert report["cost"] == g.fixed_cost_per_week


def test_a_group_cannot_open_more_sites_than_its_money_pays(hard):
    group = next(iter(hard.cfg.sites))
    g = hard.cfg.sites[group]
    money = sum(s.weekly_cost for s in _group_sites(hard, group))
    most = int(money // (g.fixed_cost_per_week + g.cost_per_capacity))
    n = len(_group_sites(hard, group))
    free = [c for c in range(hard.territory.n) if c not in {s.commune for s in hard.sites}]
    edits = [{"week": 1, "action": "add_site", "commune": _code(hard, c), "group": group}
             for c in free[: most - n + 1]]
    with pytest.raises(ConfigError, match=rf"^edits\.{most - n}\.commune: the money of"):
        SoftTerritory(_cfg(edits=edits), 1)
    SoftTerritory(_cfg(edits=edits[:-1]), 1)  # one fewer fits


def test_edits_apply_from_their_week_and_no_earlier(hard):
    group = next(iter(hard.cfg.sites))
    c = _free_commune(hard)
    model = SoftTerritory(_cfg(edits=[{"week": 3, "action": "add_site",
                                       "commune": _code(hard, c)}]), 1)
    for week in range(5):
        assert (c in [s.commune for s in model.sites]) == (week > 3), week
        model.step()
        assert (c in [s.commune for s in model.sites]) == (week >= 3), week
        on = [p for p in model.now.providers if p.kind == "fixed" and p.commune == c]
        assert bool(on) == (week >= 3) and all(p.owner.group == group for p in on)


def test_sites_running_cost_never_grows_with_sites_added(hard):
    """The sites' running cost at full funding is what opening a site could add."""
    free = [c for c in range(hard.territory.n) if c not in {s.commune for s in hard.sites}]
    rich = _richest(hard)
    edits = [{"week": w, "action": "add_site", "commune": _code(hard, c), "group": g}
             for w, c, g in [(0, free[0], rich[0]), (5, free[1], rich[1])]]
    base, edited = SoftTerritory(_cfg(), 1), SoftTerritory(_cfg(edits=edits), 1)
    for _ in range(10):
        base.step()
        edited.step()
        assert edited.costs.site_running(edited.sites) <= base.costs.site_running(base.sites)
        assert len(edited.sites) == len(base.sites) + 1 + (edited.week > 5)
    assert edited.series["cost_budgeted"].sum() <= edited.series["budget"].sum() * (1 + 1e-9)


@pytest.mark.parametrize("scenario", ["soft", "local"])
def test_edited_capped_runs_spend_within_the_envelope(scenario):
    big = ["territory.population=1000000", "population.scale=0.004"]  # cheaper sites at 4,000
    plain = SoftTerritory(_cfg(scenario, extra=big), 1)
    codes = plain.territory.code
    free = [c for c in range(plain.territory.n) if c not in {s.commune for s in plain.sites}]
    site = next(s for s in plain.sites if len(_group_sites(plain, s.group)) > 1)
    rich = _richest(plain)
    edits = [
        {"week": 0, "action": "add_site", "commune": str(codes[free[0]]), "group": rich[0]},
        {"week": 4, "action": "add_site", "commune": str(codes[free[1]]), "group": rich[1]},
        {"week": 6, "action": "remove_site", "commune": str(codes[site.commune]),
         "group": site.group},
    ]
    if plain.modules:
        edits.append({"week": 2, "action": "module", "commune": str(codes[free[2]])})
    if plain.mobile_agents:
        edits.append({"week": 3, "action": "mobile_base", "commune": str(codes[free[3]])})
    model = SoftTerritory(_cfg(scenario, edits, extra=big), 1)
    assert model.budget.capped
    for _ in range(model.cfg.weeks):
        model.step()
    s = model.series
    spent = s["cost_budgeted"].sum()
    available = s["budget"].sum()
    assert spent <= available * (1 + 1e-9)
    # public provision never above the faire money credited, whatever was edited
    assert model.budget.spent_total <= model.budget.available_total * model.cfg.budget.faire + 1e-6
    assert len(model.editor.report()) == len(edits)


def test_week_zero_edits_are_the_initial_placement():
    soft = SoftTerritory(_cfg("soft"), 1)
    assert soft.modules and soft.mobile_agents
    codes = soft.territory.code
    target = [c for c in range(soft.territory.n) if c not in {m.commune for m in soft.modules}]
    edits = [{"week": 0, "action": "module", "commune": str(codes[target[0]])},
             {"week": 0, "action": "mobile_base", "commune": str(codes[target[1]])}]
    model = SoftTerritory(_cfg("soft", edits), 1)
    assert model.modules[0].commune == target[0] and not model.modules[0].in_transit
    assert int(model.mobile_agents[0].base.coordinate) == target[1]
    assert [m.commune for m in model.modules[1:]] == [m.commune for m in soft.modules[1:]]


def test_a_module_moved_later_is_closed_for_its_move_weeks():
    soft = SoftTerritory(_cfg("soft", extra=["orchestrator.enabled=false"]), 1)
    codes = soft.territory.code
    target = next(c for c in range(soft.territory.n) if c != soft.modules[0].commune)
    model = SoftTerritory(_cfg("soft", [{"week": 2, "action": "module",
                                         "commune": str(codes[target])}],
                               extra=["orchestrator.enabled=false"]), 1)
    weeks = model.cfg.modules.move_weeks
    assert weeks >= 1
    for week in range(2 + weeks + 1):
        model.step()
        mod = model.modules[0]
        capacity = next(p.capacity for p in model.now.providers if p.owner is mod)
        if week < 2:
            assert mod.commune != target and capacity > 0
        elif week < 2 + weeks:
            assert mod.commune == target and capacity == 0
        else:
            assert mod.commune == target and capacity > 0
    assert model.editor.report()[0]["closed_weeks"] == weeks


def test_an_edit_added_during_the_run_equals_the_same_edit_in_the_file(hard):
    """What the page does (an edit from the next week) is what ``softsim run`` does."""
    c = _code(hard, _free_commune(hard))
    edit = {"week": 4, "action": "add_site", "commune": c}
    from_file = SoftTerritory(_cfg(edits=[edit]), 1)
    live = SoftTerritory(_cfg(), 1)
    for _ in range(4):
        from_file.step()
        live.step()
    from softsim.config.sections import Edit

    live.editor.set_edits([Edit(**edit)])
    for _ in range(6):
        from_file.step()
        live.step()
    for name, values in from_file.series.items():
        np.testing.assert_array_equal(values, live.series[name], err_msg=name)


def test_an_applied_edit_cannot_change(hard):

    c = _code(hard, _free_commune(hard))
    model = SoftTerritory(_cfg(edits=[{"week": 0, "action": "add_site", "commune": c}]), 1)
    with pytest.raises(ConfigError, match="already applied"):
        model.editor.set_edits([])
