"""Objectives a scenario must meet: validation, evaluation, the comparison's table, the CLI.

Expected values are written by hand from the targets and values set in each test.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from softsim.cli import main
from softsim.comparison import report_markdown
from softsim.config import ConfigError, Objective, load_config
from softsim.objectives import evaluate, objectives_markdown, objectives_table
from softsim.outcomes import reception_max_min

SMALL = ["territory.population=3000", "territory.n_communes=30", "simulation.years=1"]


def _obj(name, metric, direction, target) -> list[str]:
    return [f'objectives.{name}.metric="{metric}"', f'objectives.{name}.direction="{direction}"',
            f"objectives.{name}.target={target}"]


def test_unknown_metric_is_one_line_config_error():
    with pytest.raises(ConfigError) as e:
        load_config("hard", _obj("x", "no_such_metric", "at_least", 1))
    msg = str(e.value)
    assert "\n" not in msg
    assert "objectives.x.metric" in msg and "no_such_metric" in msg


@pytest.mark.parametrize("metric", ["age_75plus.no_such_field", "martians.coverage_latent"])
def test_unknown_group_or_field_is_refused(metric):
    with pytest.raises(ConfigError, match="objectives.x.metric"):
        load_config("hard", _obj("x", metric, "at_most", 1))


def test_bad_direction_is_refused():
    with pytest.raises(ConfigError, match="objectives.x.direction"):
        load_config("hard", _obj("x", "co2_tonnes", "below", 1))


def _summary(coverage_75: float | None, co2: float | None, rural_abandonment: float) -> dict:
    return {
        "metrics": {"co2_tonnes": co2},
        "groups": {"age_75plus": {"coverage_latent": coverage_75},
                   "rural": {"abandonment": rural_abandonment}},
    }


OBJECTIVES = {
    "seniors": Objective(metric="coverage_age_75plus", direction="at_least", target=0.7),
    "co2": Objective(metric="co2_tonnes", direction="at_most", target=10.0),
    "rural": Objective(metric="rural.abandonment", direction="at_most", target=0.2),
}


def test_evaluate_by_hand():
    out = evaluate(OBJECTIVES, _summary(0.7, 12.0, 0.1))
    assert out["seniors"] == {"metric": "coverage_age_75plus", "direction": "at_least",
                              "target": 0.7, "value": 0.7, "met": True}  # the bound counts
    assert out["co2"]["met"] is False and out["co2"]["value"] == 12.0
    assert out["rural"]["met"] is True and out["rural"]["value"] == 0.1


def test_undefined_value_does_not_meet():
    out = evaluate(OBJECTIVES, _summary(None, None, 0.1))
    assert out["seniors"]["value"] is None and out["seniors"]["met"] is False
    assert out["co2"]["met"] is False


def test_objectives_table_counts_replicates_meeting_each_target():
    a = load_config("hard", SMALL + _obj("co2", "co2_tonnes", "at_most", 10))
    b = load_config("soft", SMALL)  # states none: judged on a's objective all the same
    runs = [SimpleNamespace(scenario="hard", summary=_summary(0.5, v, 0.1)) for v in (9, 11, 10)]
    runs += [SimpleNamespace(scenario="soft", summary=_summary(0.5, v, 0.1)) for v in (12, None)]
    table = objectives_table([a, b], runs)
    got = {r.scenario: (r.met, r.replicates) for r in table.itertuples()}
    assert got == {"hard": (2, 3), "soft": (0, 2)}
    text = objectives_markdown(table)
    assert "| co2: co2_tonnes ≤ 10.00 | met in 2 of 3 | met in 0 of 2 |" in text


def test_report_has_an_objectives_section_only_with_objectives():
    table = pd.DataFrame({"scenario": ["hard"], "replicates": [1]})
    obj = pd.DataFrame([{"objective": "o: co2_tonnes ≤ 1.00", "scenario": "hard", "met": 1,
                         "replicates": 1, "value_mean": 0.5}])
    with_obj = report_markdown({}, table.iloc[:0], [], [], obj)
    assert "## Objectives" in with_obj and "met in 1 of 1" in with_obj
    assert "## Objectives" not in report_markdown({}, table.iloc[:0], [], [], None)


def test_reception_max_min_by_hand():
    car = np.array([[0, 10, 40, 70], [10, 0, 30, 60], [40, 30, 0, 30], [70, 60, 30, 0]],
                   np.float32)
    model = SimpleNamespace(
        travel=SimpleNamespace(columns=lambda kind, cols: car[:, cols]),
        sites=[SimpleNamespace(commune=0)],
        delegated=[2],
        residents=SimpleNamespace(home=np.array([0, 1, 1, 2])),  # nobody lives in commune 3
    )
    # nearest of {0, 2}: commune 0 → 0, 1 → 10, 2 → 0; commune 3 (30) is uninhabited
    assert reception_max_min(model) == 10.0
    model.residents.home = np.array([3, 0])
    assert reception_max_min(model) == 30.0
    model.sites, model.delegated = [], []
    assert np.isnan(reception_max_min(model))


def test_run_reports_objectives_in_summary_and_table(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["run", "hard", "--no-figures", "--out", str(out)]
    for o in (SMALL + _obj("easy", "coverage_latent", "at_least", 0)
              + _obj("impossible", "coverage_latent", "at_least", 2)):
        argv += ["--set", o]
    assert main(argv) == 0
    stdout = capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert summary["objectives"]["easy"]["met"] is True
    assert summary["objectives"]["impossible"]["met"] is False
    assert summary["objectives"]["easy"]["value"] == summary["metrics"]["coverage_latent"]
    assert "objectives" in stdout and "impossible" in stdout


def test_no_objectives_key_without_objectives(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["run", "soft", "--no-figures", "--out", str(out)]
    for o in SMALL:
        argv += ["--set", o]
    assert main(argv) == 0
    assert "objectives" not in json.loads((out / "summary.json").read_text())
