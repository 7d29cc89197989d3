"""The workshop page's state logic, without a browser (softsim.app.state, figures, texts)."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import tempfile
import tomllib
from pathlib import Path

import numpy as np
import pytest

from softsim.app.state import LAYERS, LEVERS, Session
from softsim.config import config_sha256, load_config
from softsim.groups import GROUPS
from softsim.model import SoftTerritory
from softsim.texts import LANGS, flat, mechanisms, text

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["population.scale=0.05"]  # 6,000 residents on the default territory


def small(scenario: str = "hard", **kw) -> Session:
    kw.setdefault("extra", SMALL)
    return Session(scenario=scenario, **kw)


def stepped(cfg, seed: int, weeks: int, territory=None) -> SoftTerritory:
    model = SoftTerritory(cfg, seed, territory=territory)
    for _ in range(weeks):
        model.step()
    return model


# ---------------------------------------------------------------- a session and its runs


def test_unstepped_session_is_complete():
    s = small()
    assert s.week == 0 and s.year == 1 and not s.at_horizon
    ind = s.run.indicators()
    assert all(math.isnan(v) for v in ind.values())
    assert s.run.monitors() == {"served_week": 0.0, "pending": 0.0, "spent": 0.0, "budget": 0.0}
    assert [row["group"] for row in s.run.groups()] == list(GROUPS)
    n = s.run.model.territory.n
    for layer in LAYERS:
        assert s.run.commune_values(layer).shape == (n,)
    # the hard scenario's sites, every one of them on the map
    assert len(s.run.actors()["site"]) == len(s.run.model.sites) > 0


def test_step_is_the_model_step_and_the_charts_follow_the_residents():
    s = small()
    assert s.step(3) is None
    assert s.week == 3 and s.run.history["week"] == [1, 2, 3]
    alone = stepped(s.run.config, s.seed, 3)
    for name, values in alone.series.items():
        np.testing.assert_array_equal(s.run.model.series[name], values, err_msg=name)
    res = alone.residents
    assert s.run.history["coverage"][-1] == pytest.approx(res.served.sum() / res.latent.sum())
    assert s.run.history["non_take_up"][-1] == pytest.approx(
        res.not_taken_up.sum() / res.latent.sum()
    )
    mon = s.run.monitors()
    assert mon["served_week"] == alone.series["served"][2]
    assert mon["pending"] == len(alone.pool)
    assert mon["spent"] == pytest.approx(alone.series["cost_budgeted"][:3].sum())
    assert mon["budget"] == pytest.approx(alone.series["budget"][:3].sum())
    assert 0 < mon["spent"] <= mon["budget"] * (1 + 1e-9)


def test_commune_values_by_home_commune():
    s = small()
    s.step(2)
    res, n = s.run.model.residents, s.run.model.territory.n
    cov = s.run.commune_values("coverage")
    c = int(np.bincount(res.home, weights=res.latent, minlength=n).argmax())
    mine = res.home == c
    assert cov[c] == pytest.approx(res.served[mine].sum() / res.latent[mine].sum())
    ntu = s.run.commune_values("non_take_up")
    assert ntu[c] == pytest.approx(res.not_taken_up[mine].sum() / res.latent[mine].sum())
    unmet = s.run.commune_values("unmet")
    assert np.nanmax(unmet) > 0
    with pytest.raises(ValueError, match="unknown map layer"):
        s.run.commune_values("nope")


def test_groups_panel():
    s = small()
    s.step(2)
    res = s.run.model.residents
    rows = {r["group"]: r for r in s.run.groups()}
    old = res.age == 5
    assert rows["age_75plus"]["residents"] == int(old.sum())
    cov_old = res.served[old].sum() / res.latent[old].sum()
    cov_rest = res.served[~old].sum() / res.latent[~old].sum()
    assert rows["age_75plus"]["coverage"] == pytest.approx(cov_old)
    assert rows["age_75plus"]["gap"] == pytest.approx(cov_old - cov_rest)
    assert math.isnan(rows["all"]["gap"])


def test_reset_replays_the_same_weeks():
    s = small("soft")
    s.step(3)
    first = {k: v.copy() for k, v in s.run.model.series.items()}
    s.reset()
    assert s.week == 0 and s.run.history["week"] == []
    s.step(3)
    for name, values in first.items():
        np.testing.assert_array_equal(s.run.model.series[name], values, err_msg=name)


def test_horizon_stops_with_a_message():
    s = small(extra=[*SMALL, "simulation.years=1", "simulation.weeks_per_year=3"])
    assert s.step(2) is None
    message = s.step(5)
    assert s.week == 3 and s.at_horizon
    assert message is not None and "3" in message
    assert s.run.step() is False


def test_sessions_are_independent():
    a, b = small(), small()
    a.step(2)
    assert a.week == 2 and b.week == 0
    assert b.run.model is not a.run.model
    assert b.run.model.territory is a.run.model.territory  # read-only, shared
    b.step(1)
    assert a.week == 2 and b.week == 1


# ---------------------------------------------------------------- side by side


def test_side_by_side_runs_on_the_same_seed():
    s = small("hard")
    assert s.set_compare("soft") is None
    assert [r.config.name for r in s.runs] == ["hard", "soft"]
    s.step(3)
    assert [r.week for r in s.runs] == [3, 3]
    for run in s.runs:  # each is the scenario alone on the seed: the comparison changes neither
        alone = stepped(run.config, s.seed, 3)
        np.testing.assert_array_equal(run.model.series["served"], alone.series["served"])
    # common random numbers: the same residents, the same needs arose
    left, right = (r.model for r in s.runs)
    np.testing.assert_array_equal(left.residents.home, right.residents.home)
    np.testing.assert_array_equal(left.series["latent"], right.series["latent"])
    assert s.set_compare(None) is None and len(s.runs) == 1
    assert s.set_compare("nope") is not None and len(s.runs) == 1


def test_futures_apply_to_both_sides_levers_to_the_main_one():
    s = small("hard")
    s.set_compare("soft")
    assert s.set_lever("modules", 0.3) is None
    assert s.set_lever("need_growth", 0.05) is None
    hard, soft = (r.config for r in s.runs)
    assert hard.budget.mix.modules == 0.3 and hard.budget.mix.sites == pytest.approx(0.7)
    assert soft.budget.mix == load_config("soft").budget.mix
    assert hard.futures.need_growth_per_year == soft.futures.need_growth_per_year == 0.05


# ---------------------------------------------------------------- levers


@pytest.mark.parametrize(
    "name, raw, needle",
    [
        ("modules", 31, "0 – 0.4"),
        ("modules", -1, "0 – 0.4"),
        ("modules", "abc", "abc"),
        ("modules", 2.5, "2.5"),
        ("budget_per_1000", float("nan"), "nan"),
        ("budget_per_1000", float("inf"), "inf"),
        ("budget_per_1000", "1e400", "1e400"),
        ("budget_per_1000", None, "None"),
        ("budget_per_1000", True, "True"),
        ("budget_per_1000", [1], "[1]"),
        ("site_slots", "night", "night"),
        ("shock_kind", "meteor", "meteor"),
        ("shock_week", 10_000, "10000"),
        ("no_such_lever", 1, "no_such_lever"),
    ],
)
def test_bad_lever_values_are_refused_and_change_nothing(name, raw, needle):
    s = small()
    s.step(2)
    before = dict(s.values)
    model = s.run.model
    message = s.set_lever(name, raw)
    assert message is not None and needle in message
    assert s.message == message
    assert s.values == before and s.run.model is model and s.week == 2


def test_budget_shares_over_one_are_refused():
    s = small("soft")  # laisser_faire 0.04 is the scenario's
    assert s.set_lever("faire_faire", 0.5) is None
    message = s.set_lever("faire_avec", 0.5)
    assert message is not None and "1" in message
    assert s.values["faire_avec"] == pytest.approx(0.04)
    b = s.run.config.budget
    assert b.faire_faire == 0.5
    assert b.faire == pytest.approx(1 - 0.5 - 0.04 - 0.02 - 0.04)


def test_messages_in_the_page_language():
    s = small(lang="fr")
    assert "hors de l'intervalle" in s.set_lever("modules", 99)
    s.set_lang("en")
    assert "outside" in s.set_lever("modules", 99)
    assert s.set_lang("de") is not None and s.lang == "en"


def test_levers_reach_the_config_and_reset_to_week_zero():
    s = small()
    s.step(2)
    assert s.set_lever("modules", "0.25") is None
    assert s.week == 0
    assert s.set_lever("budget_per_1000", 250) is None
    assert s.set_lever("information", 0.05) is None
    assert s.set_lever("site_slots", "weekday_evening") is None
    assert s.set_lever("shock_kind", "epidemic") is None
    assert s.set_lever("shock_week", 20) is None
    cfg = s.run.config
    assert cfg.budget.mix.modules == 0.25 and len(s.run.model.modules) >= 1
    assert cfg.budget.per_1000_per_week == 250
    assert cfg.budget.mix.information == 0.05
    others = sum(getattr(cfg.budget.mix, c) for c in ("modules", "mobile", "bus", "tad",
                                                       "information", "rollout"))
    assert cfg.budget.mix.sites == pytest.approx(1.0 - others)  # the sites get the rest
    assert all(g.slots == ["weekday", "evening"] for g in cfg.sites.values())
    assert [(x.kind, x.week) for x in cfg.futures.shocks] == [("epidemic", 20)]
    assert s.set_lever("shock_kind", "none") is None
    assert s.run.config.futures.shocks == []


def test_the_priority_and_ramp_up_levers_are_the_scenario_file_settings():
    s = small("soft")
    assert s.set_lever("accessibility", 2.0) is None
    assert s.set_lever("information_ramp_up", 4) is None
    cfg = s.run.config
    assert cfg.priorities.accessibility == 2.0 and cfg.information.years_to_full_effect == 4.0
    s.step(3)
    direct = small("soft", extra=[*SMALL, "priorities.accessibility=2",
                                  "information.years_to_full_effect=4"])
    direct.step(3)
    np.testing.assert_array_equal(s.run.model.series["served"], direct.run.model.series["served"])
    plain = small("soft")
    plain.step(3)
    assert not np.array_equal(s.run.model.series["aware_share"][:3],
                              plain.run.model.series["aware_share"][:3])


def test_every_lever_moves_within_its_range():
    for lv in LEVERS:
        s = small("soft")
        if lv.kind == "choice":
            values = lv.choices
        else:
            hi = s.run.weeks - 1 if lv.name == "shock_week" else lv.hi
            values = (lv.lo, hi)
        for v in values:
            if lv.name in ("faire_faire", "faire_avec", "inciter") and v == lv.hi:
                continue  # with the other shares, may exceed 1: refused (tested above)
            assert s.set_lever(lv.name, v) is None, (lv.name, v, s.message)
            s.step(1)
            assert s.week == 1


def test_scenario_switch_keeps_the_futures():
    s = small("hard")
    s.set_lever("budget_trend", -0.05)
    s.set_lever("modules", 0.3)
    assert s.set_scenario("soft") is None
    assert s.run.config.name == "soft"
    assert s.values["modules"] == load_config("soft").budget.mix.modules
    assert s.run.config.futures.budget_trend_per_year == -0.05
    assert s.set_scenario("nope") is not None and s.scenario == "soft"


# ---------------------------------------------------------------- take it home


def test_saved_scenario_reproduces_the_page(tmp_path):
    s = small("soft")
    s.set_lever("modules", 0.3)
    s.set_lever("faire_faire", 0.1)
    s.set_lever("need_growth", 0.02)
    s.set_lever("shock_kind", "budget_cut")
    s.set_lever("shock_week", 5)
    s.step(6)
    path = tmp_path / "atelier.toml"
    path.write_text(s.scenario_toml(), encoding="utf-8")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert "extends" not in data and data["simulation"]["seed"] == s.seed
    cfg = load_config(str(path))
    assert cfg.name == "soft-atelier"
    same = cfg.model_copy(update={"name": s.run.config.name,
                                  "description": s.run.config.description})
    assert config_sha256(same) == config_sha256(s.run.config)
    assert cfg.budget.mix.modules == 0.3 and cfg.budget.faire_faire == 0.1
    assert cfg.population.scale == 0.05
    replay = stepped(cfg, cfg.simulation.seed, 6)
    for name, values in replay.series.items():
        np.testing.assert_array_equal(s.run.model.series[name], values, err_msg=name)


def test_saved_scenario_runs_with_the_cli(tmp_path):
    from softsim.cli import main

    s = small("network")
    s.set_lever("buses", 0.2)
    path = tmp_path / "atelier.toml"
    path.write_text(s.scenario_toml(), encoding="utf-8")
    out = tmp_path / "run"
    assert main(["run", str(path), "--years", "1", "--quiet", "--no-figures",
                 "--out", str(out)]) == 0
    assert (out / "summary.json").exists()


def test_results_csv():
    s = small("hard")
    s.set_compare("local")
    s.step(3)
    summary, series = s.results_csv()
    rows = list(csv.DictReader(io.StringIO(summary)))
    by = {(r["scenario"], r["metric"]): r["value"] for r in rows}
    for run in s.runs:
        res = run.model.residents
        name = run.config.name
        assert float(by[(name, "coverage_latent")]) == pytest.approx(
            res.served.sum() / res.latent.sum(), rel=1e-9)
        assert int(by[(name, "needs_served")]) == res.served.sum()
        assert by[(name, "weeks")] == "3"
    table = list(csv.DictReader(io.StringIO(series)))
    assert [(r["scenario"], r["week"]) for r in table] == [
        (n, str(w)) for n in ("hard", "local") for w in (1, 2, 3)]
    for r, run in zip(table[3:], [s.runs[1]] * 3, strict=True):
        w = int(r["week"]) - 1
        assert float(r["served"]) == run.model.series["served"][w]
        assert float(r["coverage"]) == run.history["coverage"][w]


# ---------------------------------------------------------------- texts, docs, figures


def test_the_workshop_guide_lists_every_lever_with_its_setting_and_range():
    rows = [line.split(" | ") for line in (ROOT / "docs/workshop.md").read_text().splitlines()
            if line.startswith("| ") and line.count(" | ") == 4]
    en, fr = flat("en"), flat("fr")
    table = {r[0][2:]: r for r in rows}
    for lv in LEVERS:
        row = table.get(en[f"lever.{lv.name}"])
        assert row is not None, lv.name
        assert row[1] == fr[f"lever.{lv.name}"]
        if lv.path:
            assert row[2] == f"`{lv.path}`"
        if lv.kind != "choice" and lv.name != "shock_week":
            assert row[3] == f"{lv.lo:g} – {lv.hi:g} (step {lv.step:g})"


def test_both_languages_have_every_text():
    fr, en = flat("fr"), flat("en")
    assert set(fr) == set(en)
    assert [k for k in fr if fr[k].strip() == ""] == []
    needed = [f"lever.{lv.name}" for lv in LEVERS]
    needed += [f"choice.{c}" for lv in LEVERS for c in lv.choices]
    needed += [f"group.{g}" for g in GROUPS]
    needed += [f"layer.{x}" for x in LAYERS] + [f"layer_button.{x}" for x in LAYERS]
    s = small()
    needed += [f"scenario.{n}.{part}" for n in s.scenarios for part in ("title", "idea")]
    page = (ROOT / "src/softsim/app/page.py").read_text() + (
        ROOT / "src/softsim/app/figures.py").read_text()
    needed += re.findall(r"""t\(["']((?:ui|chart|actor)\.[a-z_]+)["']""", page)
    assert [k for k in needed if k not in fr] == []
    assert len(mechanisms("fr")) == len(mechanisms("en")) >= 8
    assert text("fr", "ui.week", week=3, weeks=312) == "Semaine 3 / 312"
    assert text("en", "ui.week", week=3, weeks=312) == "Week 3 / 312"
    with pytest.raises(ValueError):
        flat("de")


def test_docs_quote_the_scenario_texts():
    doc = (ROOT / "docs/workshop.md").read_text(encoding="utf-8")
    for lang in LANGS:
        for key, value in flat(lang).items():
            if key.startswith(("scenario.", "mechanism.")) and key.endswith((".idea", ".title")):
                assert value in doc, (lang, key)


def test_map_and_charts_draw_the_session():
    import xml.etree.ElementTree as ET

    from softsim.app.figures import MISSING, charts_svg, map_svg

    s = small("soft")
    s.step(2)
    t = s.t
    ns = {"s": "http://www.w3.org/2000/svg"}
    n = s.run.model.territory.n
    for layer in LAYERS:
        root = ET.fromstring(map_svg(s.run, layer, t))
        cells = root.findall(".//s:path[@class='commune']", ns)
        assert len(cells) == n
        values = s.run.commune_values(layer)
        shown = np.array([float(c.get("data-value") or "nan") for c in cells])
        np.testing.assert_allclose(shown, values, rtol=1e-5)
        fills = [c.get("fill") for c in cells]
        assert [f == MISSING for f in fills] == list(np.isnan(values))
        finite = np.flatnonzero(np.isfinite(values))
        lo, hi = finite[values[finite].argmin()], finite[values[finite].argmax()]
        if values[hi] > values[lo]:
            assert fills[lo] != fills[hi]
        names = [c.find("s:title", ns).text for c in cells]
        assert names[0].startswith(str(s.run.model.territory.name[0]))
        sites = root.findall(".//*[@class='actor site']", ns)
        assert len(sites) == len(s.run.model.sites) + 1  # and one in the legend
        text = "".join(root.itertext())
        assert t("actor.site") in text and t(f"layer.{layer}") in text
    root = ET.fromstring(charts_svg(s.runs, t))
    lines = {p.get("data-key"): p for p in root.findall(".//s:polyline", ns)}
    assert set(lines) == {"coverage", "non_take_up", "gini"}
    for key, line in lines.items():
        pts = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
        assert len(pts) == 2
        xs = [x for x, _ in pts]
        assert xs[0] < xs[1]
        a, b = s.run.history[key]
        # SVG y grows downwards
        assert (pts[0][1] > pts[1][1]) == (a < b) or a == b


# ---------------------------------------------------------------- refusals before serving


def _demo(capsys, monkeypatch, *args) -> tuple[int, str]:
    """``softsim demo`` in this process, its exit code and stderr; serving fails the test."""
    import softsim.app.server
    from softsim.cli import main

    def serve(*args, **kwargs):
        raise AssertionError("served before refusing the options")

    monkeypatch.setattr(softsim.app.server, "serve", serve)
    try:
        code = main(["demo", *args])
    except SystemExit as exc:  # argparse's refusals
        code = exc.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--territory", "dep:999"], "999"),
        (["--port", "0"], "port"),
        (["--port", "70000"], "port"),
        (["--lang", "de"], "lang"),
        (["--scale", "2"], "scale"),
    ],
)
def test_demo_bad_options_one_line_exit_2(capsys, monkeypatch, args, needle):
    code, err = _demo(capsys, monkeypatch, *args)
    assert code == 2
    assert needle in err


def test_demo_refuses_a_port_in_use(capsys, monkeypatch):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        code, err = _demo(capsys, monkeypatch, "--port", str(port))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0]


# ---------------------------------------------------------------- bringing a scenario in


def test_a_saved_scenario_comes_back_in(tmp_path, monkeypatch):
    s = small("soft")
    s.set_lever("modules", 0.3)
    data = s.scenario_toml().encode()
    other = small("hard")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert other.load_scenario("soft-atelier.toml", data) is None
    assert list(tmp_path.iterdir()) == []  # kept in memory: the page writes no file
    assert other.scenario == "soft-atelier" and "soft-atelier" in other.scenarios
    assert other.run.config.budget.mix.modules == 0.3
    assert other.about() == ("soft-atelier", other.run.config.description)
    other.step(2)
    s.step(2)
    np.testing.assert_array_equal(other.run.model.series["served"], s.run.model.series["served"])
    # levers act on it like on a bundled one; a second upload of the same name is renamed
    assert other.set_lever("modules", 0.1) is None
    assert other.run.config.budget.mix.modules == 0.1
    assert other.load_scenario("again.toml", data) is None
    assert other.scenario == "soft-atelier-2"


@pytest.mark.parametrize(
    "data, needle",
    [
        (b"\xff\xfe\x00", "UTF-8"),
        (b"name = \n", "TOML"),
        (b'extends = "/etc/passwd.toml"\n', "extends"),
        (b"[modules]\ncount = 9999\n", "modules.count"),
        (b"[nope]\nx = 1\n", "nope"),
        (b"x" * 300_000, "200"),
    ],
)
def test_malformed_scenario_files_are_refused(data, needle):
    s = small("hard")
    s.step(1)
    before = (s.scenario, s.scenarios, s.run.model)
    message = s.load_scenario("bad.toml", data)
    assert message is not None and needle in message and "bad.toml" in message
    assert (s.scenario, s.scenarios, s.run.model) == before and s.week == 1


def test_actors_on_the_map_are_the_model_actors():
    s = small("soft")
    s.step(6)
    model = s.run.model
    actors = s.run.actors()
    assert sorted([*actors["module"], *actors["module_transit"]]) == sorted(
        m.commune for m in model.modules)
    assert len(actors["module_transit"]) == sum(m.in_transit for m in model.modules)
    assert sorted(actors["bus_stop"]) == sorted(c for b in model.buses for c in b.stops)
    assert len(actors["bus_stop"]) > 0
    assert list(actors["mobile"]) == [int(a.base.coordinate) for a in model.mobile_agents]
    assert sorted(actors["association"]) == sorted(
        a.commune for a in model.associations.associations)


# ---------------------------------------------------------------- editing the territory


def _free(s: Session) -> list[int]:
    taken = {x.commune for x in s.run.model.sites} | {m.commune for m in s.run.model.modules}
    return [c for c in range(s.run.model.territory.n) if c not in taken]


def test_an_edit_needs_a_commune_and_a_known_action():
    s = small("soft")
    assert "commune" in s.edit("module")
    assert s.select_commune(10_000) is not None and s.selected is None
    assert s.select_commune("3") is not None and s.selected is None
    s.select_commune(_free(s)[0])
    assert s.edit("castle") is not None
    assert s.edits == [] and s.run.config.edits == []


def test_an_edit_applies_from_the_next_week_and_says_what_gave():
    s = small("hard")
    s.step(2)
    group = s.run.model.sites[0].group
    before = [x.capacity for x in s.run.model.sites if x.group == group]
    money = sum(x.weekly_cost for x in s.run.model.sites if x.group == group)
    c = _free(s)[0]
    s.select_commune(c)
    assert s.edit("add_site", group) is None
    # nothing changes before the next week is stepped
    assert c not in [x.commune for x in s.run.model.sites]
    assert s.edits == [{"week": 2, "action": "add_site",
                        "commune": str(s.run.model.territory.code[c]), "group": group}]
    s.step()
    mine = [x for x in s.run.model.sites if x.group == group]
    assert c in [x.commune for x in mine] and len(mine) == len(before) + 1
    assert sum(x.weekly_cost for x in mine) <= money + 1e-9
    effect = s.edit_effects()[0]
    assert effect.gave["contacts_per_site_before"] == before[0]
    assert effect.gave["contacts_per_site_after"] == mine[0].capacity < before[0]
    line = s.describe(effect)
    assert f"{before[0]} → {mine[0].capacity}" in line and group in line
    s.set_lang("en")
    assert "contacts per site" in s.describe(effect)


def test_a_refused_edit_changes_nothing():
    s = small("hard")
    empty = _free(s)[0]
    s.select_commune(empty)
    msg = s.edit("remove_site")
    assert msg is not None and "edits.0.commune" in msg
    assert s.edits == [] and s.run.model.editor.edits == []
    s.select_commune(empty)
    assert "module" in s.edit("module")  # the hard scenario has no module
    assert "nope" in s.edit("add_site", "nope")
    assert s.edits == [] and s.run.model.editor.edits == []


def test_edits_on_the_page_are_what_softsim_run_does_with_the_saved_file(tmp_path):
    """Stepping the page N weeks with edits = ``softsim run`` of the saved file, week by week."""
    s = small("soft")
    free = _free(s)
    s.select_commune(free[0])
    assert s.edit("module") is None  # week 0: the initial placement, on the map at once
    assert free[0] in s.run.actors()["module"]
    s.step(2)
    s.select_commune(free[1])
    assert s.edit("add_site") is None
    s.select_commune(free[2])
    assert s.edit("mobile_base") is None
    s.step(3)
    s.select_commune(free[3])
    assert s.edit("module") is None
    s.step(3)
    path = tmp_path / "atelier.toml"
    path.write_text(s.scenario_toml(), encoding="utf-8")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert [(e["week"], e["action"]) for e in data["edits"]] == [
        (0, "module"), (2, "add_site"), (2, "mobile_base"), (5, "module")]
    replay = stepped(load_config(str(path)), s.seed, 8)
    for name, values in replay.series.items():
        np.testing.assert_array_equal(s.run.model.series[name][:8], values[:8], err_msg=name)
    # the example docs/workshop.md quotes is this site's
    doc = " ".join((ROOT / "docs" / "workshop.md").read_text(encoding="utf-8").split())
    site = next(e for e in s.edit_effects() if e.action == "add_site")
    assert f'*"{s.describe(site)}"*' in doc
    # and with the command line: the same weekly series
    from softsim.cli import main

    out = tmp_path / "run"
    assert main(["run", str(path), "--quiet", "--no-figures", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert [e["action"] for e in summary["edits"]] == ["module", "add_site", "mobile_base",
                                                       "module"]
    # reset replays the edits
    s.reset()
    s.step(8)
    for name, values in replay.series.items():
        np.testing.assert_array_equal(s.run.model.series[name][:8], values[:8], err_msg=name)
    # a lever keeps the room's edits; another scenario starts with its own (none)
    assert s.set_lever("need_growth", 0.02) is None and len(s.run.config.edits) == 4
    assert s.set_scenario("hard") is None and s.edits == [] and s.run.config.edits == []


def test_a_saved_scenario_with_edits_comes_back_in(tmp_path):
    s = small("soft")
    s.select_commune(_free(s)[0])
    s.step()
    s.edit("module")
    data = s.scenario_toml().encode()
    other = small("hard")
    assert other.load_scenario("atelier.toml", data) is None
    assert other.edits == s.edits and len(other.run.model.editor.edits) == 1


def test_the_map_says_which_commune_is_which_and_which_is_chosen():
    from softsim.app.figures import map_svg

    s = small("hard")
    s.select_commune(7)
    svg = map_svg(s.run, s.layer, s.t, selected=s.selected)
    n = s.run.model.territory.n
    assert [int(x) for x in re.findall(r'data-commune="(\d+)"', svg)] == list(range(n))
    assert svg.count('class="commune selected"') == 1
    assert re.search(r'class="commune selected"[^>]*data-commune="7"', svg)


def test_an_edited_scenario_runs_in_softsim_compare(tmp_path):
    from softsim.cli import main

    s = small("soft")
    s.step(1)
    s.select_commune(_free(s)[0])
    assert s.edit("add_site") is None
    path = tmp_path / "atelier.toml"
    path.write_text(s.scenario_toml(), encoding="utf-8")
    out = tmp_path / "cmp"
    assert main(["compare", "hard", str(path), "--scale", "0.05", "--replicates", "1",
                 "--workers", "1", "--years", "1", "--quiet", "--out", str(out)]) == 0
    table = (out / "comparison.csv").read_text()
    assert "soft-atelier" in table
