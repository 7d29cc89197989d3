"""Normative search: a non-dominated front (checked by brute force), a scenario file that loads
and runs, determinism, bad options."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from softsim.cli import main
from softsim.config import load_config
from softsim.normative import LEVERS, OBJECTIVES, SearchSpec, compromise, decode, non_dominated

TINY = ("population.scale=0.02", "simulation.years=1")
TINY_FLAGS = ["--scale", "0.02", "--years", "1", "--replicates", "1", "--quiet"]


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def dominates(a, b) -> bool:
    """a dominates b: at least as good on every objective, better on one (plain loop)."""
    at_least, better = True, False
    for (_, direction), x, y in zip(OBJECTIVES, a, b, strict=True):
        if direction == "lower":
            x, y = -x, -y
        if x < y:
            at_least = False
        if x > y:
            better = True
    return at_least and better


def pareto(points: dict) -> set:
    return {k for k, v in points.items() if not any(dominates(w, v) for w in points.values())}


# --- pure parts -----------------------------------------------------------------------------


def test_non_dominated_matches_a_plain_loop():
    rng = np.random.default_rng(3)
    x = np.round(rng.random((60, 3)), 1)  # ties on purpose
    mask = non_dominated(x, [d for _, d in OBJECTIVES])
    expected = pareto({i: tuple(row) for i, row in enumerate(x)})
    assert set(np.flatnonzero(mask)) == expected


def test_compromise_is_closest_to_the_ideal_point():
    front = pd.DataFrame({
        "candidate": [0, 1, 2],
        # best coverage, worst Theil and cost / worst coverage, best Theil, best cost /
        # a middle point: rescaled (0.2, 0.2, 0.2) from the ideal, distance 0.35 < 1
        "coverage_latent": [0.80, 0.70, 0.78],
        "theil_between_communes": [0.020, 0.010, 0.012],
        "cost_per_served": [12.0, 10.0, 10.4],
    })
    chosen, distance = compromise(front)
    assert chosen == 2
    assert distance[2] == pytest.approx(math.sqrt(3 * 0.2**2))
    assert distance[0] == pytest.approx(math.sqrt(2))


def test_decoded_candidates_satisfy_the_budget_constraints():
    base = load_config("soft")
    rng = np.random.default_rng(0)
    width = sum(lv.width for lv in LEVERS)
    for genes in [np.zeros(width), np.ones(width), *rng.random((200, width))]:
        values = decode(LEVERS, genes, base)
        mix = [values[f"budget.mix.{c}"] for c in
               ("sites", "modules", "mobile", "bus", "tad", "information", "rollout")]
        assert sum(round(s * 100) for s in mix) == 100
        assert all(abs(s * 100 - round(s * 100)) < 1e-9 for s in mix)
        postures = (values["budget.faire"] + values["budget.faire_avec"]
                    + values["budget.inciter"] + base.budget.laisser_faire)
        assert postures == pytest.approx(1.0, abs=1e-6)
        assert 1 <= values["orchestrator.review_weeks"] <= 13
        # the config accepts it (shares sum to 1, values in range)
        load_config("soft", [*TINY, *(f"{k}={v!r}" if not isinstance(v, str) else f'{k}="{v}"'
                                       for k, v in values.items())])


def test_choices_reach_every_value():
    base = load_config("soft")
    location = next(lv for lv in LEVERS if lv.name == "location")
    seen = {decode([location], [g], base)["location.strategy"] for g in np.linspace(0, 1, 101)}
    assert seen == set(location.values)


# --- bad options ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--budget", "lots"], "--budget"),
        (["--budget", "-5"], "--budget"),
        (["--levers", "mix,colour"], "--levers"),
        (["--levers", ""], "--levers"),
        (["--futures", "trend,,shock"], "--futures"),
        (["--futures", "nosuch"], "nosuch"),
        (["--futures", "shock"], "futures.shocks.0.week"),
        (["--evaluations", "0"], "--evaluations"),
        (["--population", "1"], "--population"),
        (["--replicates", "two"], "--replicates"),
        (["--workers", "0"], "--workers"),
        (["--scale", "big"], "--scale"),
        (["--scale", "2"], "population.scale"),
        (["--base", "nosuch"], "nosuch"),
        (["--set", "orchestrator.review_weeks=99"], "orchestrator.review_weeks"),
        (["--out", "{tmp}/searched.txt"], "expected a .toml file name"),
        (["--out", "{tmp}/existing.toml"], "already exists"),
        (["--front", "{tmp}/full"], "already exists"),
    ],
)
def test_bad_options_are_one_line_exit_2_nothing_written(tmp_path, capsys, argv, needle):
    (tmp_path / "existing.toml").write_text("name = 'x'\n")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    argv = [a.format(tmp=tmp_path) for a in argv]
    defaults = {"--out": str(tmp_path / "s.toml"), "--front": str(tmp_path / "front"),
                "--futures": "trend"}
    extra = [x for k, v in defaults.items() if k not in argv for x in (k, v)]
    code, _, err = run_cli(capsys, "normative", *TINY_FLAGS, *extra, *argv)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert needle in lines[0]
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


# --- the search -----------------------------------------------------------------------------


@pytest.mark.slow
def test_the_front_is_the_brute_force_front_of_a_small_grid():
    """Location × priority (10 strategies): no strategy of the grid dominates the front."""
    from softsim.engine import run
    from softsim.futures import load_future
    from softsim.metric_registry import get
    from softsim.normative import search
    from softsim.rng import SeedTree
    from softsim.sweep_run import make_executor
    from softsim.territory import build_territory

    spec = SearchSpec(futures=("trend",), levers=("location", "priority"), evaluations=60,
                      population=10, replicates=1, seed=1, overrides=TINY)
    result = search(spec, make_executor(1))

    location = next(lv for lv in LEVERS if lv.name == "location").values
    priority = next(lv for lv in LEVERS if lv.name == "priority").values
    seed = SeedTree(1).child("replicate-0").seed
    brute = {}
    for loc, pri in itertools.product(location, priority):
        cfg = load_config("soft", [*TINY, f'location.strategy="{loc}"',
                                   f'residents.priority="{pri}"'],
                          futures=load_future("trend"))
        territory = build_territory(cfg.territory, cfg.travel, SeedTree(1))
        summary = run(cfg, seed, territory=territory).summary
        spent = get("budget_spent_share").read(summary) / (1 - cfg.budget.laisser_faire)
        if spent >= 0.97:  # the budget rule: only strategies that spend their money compete
            brute[(loc, pri)] = tuple(get(k).read(summary) for k, _ in OBJECTIVES)

    keys = [k for k, _ in OBJECTIVES]
    found = {(r["location.strategy"], r["residents.priority"]): tuple(r[k] for k in keys)
             for _, r in result.candidates.iterrows() if r["meets_budget_rule"]}
    for strategy, objectives in found.items():  # the search evaluates what a plain run gives
        assert objectives == pytest.approx(brute[strategy], rel=1e-12), strategy
    front = {(r["location.strategy"], r["residents.priority"])
             for _, r in result.front.iterrows()}
    assert front == pareto(found)  # the front is what no evaluated candidate dominates
    assert front <= pareto(brute)  # and no strategy of the whole grid dominates it
    assert result.chosen in set(result.front["candidate"])


@pytest.mark.slow
def test_cli_writes_a_scenario_that_loads_runs_and_compares_and_is_deterministic(
        tmp_path, capsys):
    """Same seed, one worker or two: the same front and the same scenario file."""
    outs = []
    for workers, name in ((1, "a"), (2, "b")):
        code, stdout, err = run_cli(
            capsys, "normative", "--futures", "none", "--levers", "mix,review",
            "--evaluations", "4", "--population", "2", "--seed", "7", "--workers",
            str(workers), "--out", str(tmp_path / f"{name}.toml"), "--front",
            str(tmp_path / f"front-{name}"), *TINY_FLAGS)
        assert code == 0, err
        assert "compromise" in stdout
        outs.append(name)
    a, b = (tmp_path / "front-a", tmp_path / "front-b")
    assert (a / "front.csv").read_bytes() == (b / "front.csv").read_bytes()
    assert (a / "candidates.csv").read_bytes() == (b / "candidates.csv").read_bytes()
    assert (tmp_path / "a.toml").read_text() == (tmp_path / "b.toml").read_text()
    for f in ("front.md", "manifest.json", "figures/front.png"):
        assert (a / f).is_file(), f

    cfg = load_config(str(tmp_path / "a.toml"))
    assert cfg.name == "normative-searched"
    assert cfg.budget.per_1000_per_week == load_config("soft").budget.per_1000_per_week
    assert sum(getattr(cfg.budget.mix, c) for c in
               ("sites", "modules", "mobile", "bus", "tad", "information", "rollout")) \
        == pytest.approx(1.0)
    front = pd.read_csv(a / "front.csv")
    chosen = front.loc[front["distance"].idxmin()]
    assert cfg.orchestrator.review_weeks == chosen["orchestrator.review_weeks"]
    assert cfg.budget.mix.modules == pytest.approx(chosen["budget.mix.modules"])

    code, _, err = run_cli(capsys, "run", str(tmp_path / "a.toml"), "--scale", "0.02",
                           "--years", "1", "--out", str(tmp_path / "run"))
    assert code == 0, err
    code, _, err = run_cli(capsys, "compare", "hard", str(tmp_path / "a.toml"), "--scale",
                           "0.02", "--years", "1", "--replicates", "1", "--workers", "1",
                           "--quiet", "--out", str(tmp_path / "cmp"))
    assert code == 0, err
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    assert list(table["scenario"]) == ["hard", "normative-searched"]


def test_the_scenario_file_may_go_inside_the_front_folder(tmp_path, capsys):
    front = tmp_path / "example"
    code, _, err = run_cli(capsys, "normative", "--futures", "none", "--levers", "review",
                           "--evaluations", "2", "--population", "2", "--workers", "1",
                           "--front", str(front), "--out", str(front / "searched.toml"),
                           *TINY_FLAGS)
    assert code == 0, err
    assert sorted(p.name for p in front.iterdir()) == [
        "candidates.csv", "figures", "front.csv", "front.md", "manifest.json", "searched.toml"]
    assert load_config(str(front / "searched.toml")).name == "normative-searched"


def test_the_search_does_not_depend_on_other_draws_from_the_random_module():
    """A Dask client's threads draw from the `random` module; the search must not see them."""
    import random

    from softsim.normative import search
    from softsim.sweep_run import make_executor

    class Noisy:
        """This process's executor, drawing from the global random state at every run."""

        def __init__(self) -> None:
            self.inner = make_executor(1)

        def submit(self, run, keep):
            random.random()
            return self.inner.submit(run, keep)

        def __getattr__(self, name):
            return getattr(self.inner, name)

    spec = SearchSpec(futures=("none",), levers=("review", "priority"), evaluations=6,
                      population=3, replicates=1, seed=2, overrides=TINY)
    plain = search(spec, make_executor(1))
    noisy = search(spec, Noisy())
    pd.testing.assert_frame_equal(plain.candidates, noisy.candidates)
    assert plain.chosen == noisy.chosen
