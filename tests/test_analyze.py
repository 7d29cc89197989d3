"""softsim analyze: Sobol and Morris indices, PRIM boxes, regret and satisficing, bad input.

The indices and boxes are checked on functions whose answer is known analytically (Ishigami,
a model with a null lever, a planted box), fed through the same code path as a real sweep: a
run store written by :class:`softsim.store.RunStore` from a sweep file, read back by
``softsim analyze``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from softsim import metric_registry as reg
from softsim.cli import main
from softsim.sweep import load_sweep

ISHIGAMI_A, ISHIGAMI_B = 7.0, 0.1


def ishigami(x1, x2, x3):
    return np.sin(x1) + ISHIGAMI_A * np.sin(x2) ** 2 + ISHIGAMI_B * x3 ** 4 * np.sin(x1)


def ishigami_indices() -> tuple[list[float], list[float]]:
    """First-order and total indices of the Ishigami function (Sobol' and Levitan, 1999)."""
    a, b, pi = ISHIGAMI_A, ISHIGAMI_B, math.pi
    v1 = 0.5 * (1 + b * pi ** 4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * pi ** 8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return [v1 / v, v2 / v, 0.0], [(v1 + v13) / v, v2 / v, v13 / v]


def sweep_file(tmp_path: Path, design: str, params: dict[str, str], *,
               scenarios: str = '["soft"]', futures: str = '["none"]', extra: str = "") -> Path:
    lines = [f"scenarios = {scenarios}", f"futures = {futures}", "seed = 3", extra,
             "[design]", design]
    for name, spec in params.items():
        lines += [f'[parameters."{name}"]', spec]
    path = tmp_path / "sweep.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def fake_store(tmp_path: Path, sweep: Path, outputs) -> Path:
    """A run store of ``sweep`` whose metrics are ``outputs(run_params) -> {metric: value}``."""
    from softsim.store import RunStore
    from softsim.sweep_run import METRIC_KEYS, _manifest, runs_schema

    plan = load_sweep(sweep)
    store = RunStore.create(tmp_path / "out", _manifest(plan, None), sweep.read_bytes(),
                            runs_schema(plan), batch_runs=10_000, batch_seconds=1e9)
    for i in range(plan.n_runs):
        run = plan.run(i)
        values = outputs({**dict(run.params), "scenario": run.scenario, "future": run.future})
        store.add({"run_id": i, "point": run.point, "scenario": run.scenario,
                   "future": run.future, "replicate": run.replicate, "seed": run.seed,
                   **dict(run.params), **dict.fromkeys(METRIC_KEYS, float("nan")), **values,
                   "status": "ok", "error": None, "wall_s": 0.0, "worker": "test",
                   "finished_at": 0.0})
    store.flush()
    return tmp_path / "out"


def analyze(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["analyze", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_sobol_indices_of_ishigami_match_the_analytic_values(tmp_path, capsys):
    sweep = sweep_file(tmp_path, "kind = \"sobol\"\nsamples = 1024",
                       {"services.social.awareness": "range = [0.0, 1.0]",
                        "orchestrator.data_quality": "range = [0.0, 1.0]",
                        "services.admin.awareness": "range = [0.0, 1.0]"})
    def to_pi(u):  # the swept shares, in [0, 1], mapped to Ishigami's [-π, π]
        return -math.pi + 2 * math.pi * u

    out = fake_store(tmp_path, sweep, lambda p: {"coverage_latent": ishigami(
        to_pi(p["services.social.awareness"]), to_pi(p["orchestrator.data_quality"]),
        to_pi(p["services.admin.awareness"]))})
    code, stdout, err = analyze(capsys, out, "--sobol", "--metrics", "coverage_latent")
    assert code == 0, err
    table = pd.read_csv(out / "analysis-sobol" / "indices.csv")
    s1, st = ishigami_indices()
    assert np.allclose(table["S1"], s1, atol=0.05), table
    assert np.allclose(table["ST"], st, atol=0.05), table
    assert not table["null"].any()
    assert (out / "analysis-sobol" / "figures" / "sobol_soft_none.png").stat().st_size > 1000
    text = (out / "analysis-sobol" / "analysis.md").read_text()
    assert "No parameter is indistinguishable from zero" in text


def test_bootstrap_intervals_come_from_the_sweeps_seed_tree():
    from softsim.rng import SeedTree
    from softsim.sensitivity import bootstrap_seed, design_indices

    expected = int(SeedTree(7).sequence("sensitivity-bootstrap").generate_state(1)[0])
    assert bootstrap_seed(7) == expected and bootstrap_seed(8) != expected
    rng = np.random.default_rng(0)
    y = rng.normal(size=8 * 4)  # a Sobol design of N = 8 over two parameters, no second order
    def conf(seed):
        return design_indices("sobol", ["a", "b"], y, seed=seed)["ST_conf"].to_numpy()
    assert np.array_equal(conf(bootstrap_seed(7)), conf(bootstrap_seed(7)))
    assert not np.array_equal(conf(bootstrap_seed(7)), conf(bootstrap_seed(8)))


def test_morris_ranks_a_null_lever_last_and_names_it(tmp_path, capsys):
    sweep = sweep_file(tmp_path, "kind = \"morris\"\nsamples = 20",
                       {"services.social.awareness": "range = [0.0, 1.0]",
                        "orchestrator.data_quality": "range = [0.0, 1.0]",
                        "services.admin.awareness": "range = [0.0, 1.0]"})
    out = fake_store(tmp_path, sweep, lambda p: {
        "gini": 3 * p["services.social.awareness"] + p["orchestrator.data_quality"] ** 2})
    code, stdout, err = analyze(capsys, out, "--morris", "--metrics", "gini")
    assert code == 0, err
    t = pd.read_csv(out / "analysis-morris" / "indices.csv").sort_values(
        "mu_star", ascending=False)
    assert list(t["parameter"]) == ["services.social.awareness", "orchestrator.data_quality",
                                    "services.admin.awareness"]
    assert list(t["null"]) == [False, False, True]
    assert "Indistinguishable from zero: `services.admin.awareness`" in (
        out / "analysis-morris" / "analysis.md").read_text()


def test_prim_finds_a_planted_box():
    from softsim.discovery import discover

    rng = np.random.default_rng(5)
    x = pd.DataFrame({"a": rng.random(1000), "b": rng.random(1000), "c": rng.random(1000)})
    y = ((x["a"] > 0.6) & (x["b"] < 0.3)).to_numpy()
    boxes = discover(x, y, density=0.95)
    first = boxes[0]
    lim = first.limits.set_index("input")
    assert set(lim.index) <= {"a", "b"} and "a" in lim.index and "b" in lim.index
    assert abs(lim.loc["a", "low"] - 0.6) < 0.05
    assert abs(lim.loc["b", "high"] - 0.3) < 0.05
    assert first.stats["density"] >= 0.95 and first.stats["coverage"] >= 0.9


def test_prim_on_a_store_writes_boxes_and_figures(tmp_path, capsys):
    sweep = sweep_file(tmp_path, "kind = \"lhs\"\nsamples = 400",
                       {"services.social.awareness": "range = [0.0, 1.0]",
                        "orchestrator.data_quality": "range = [0.0, 1.0]"})
    out = fake_store(tmp_path, sweep, lambda p: {"coverage_latent": 0.7 - 0.3 * (
        (p["services.social.awareness"] < 0.4) and (p["orchestrator.data_quality"] > 0.5))})
    code, stdout, err = analyze(capsys, out, "--prim", "coverage_latent<0.55", "--density", "0.95")
    assert code == 0, err
    boxes = pd.read_csv(out / "analysis-prim" / "boxes.csv")
    first = boxes[boxes["box"] == 1].set_index("input")
    assert abs(first.loc["services.social.awareness", "high"] - 0.4) < 0.05
    assert abs(first.loc["orchestrator.data_quality", "low"] - 0.5) < 0.05
    for name in ("prim_trajectory", "prim_boxes"):
        assert (out / "analysis-prim" / "figures" / f"{name}.png").exists()
    assert "box 1: coverage" in stdout


def _cells(values: dict[str, list[float]], key: str = "coverage_latent") -> pd.DataFrame:
    rows = [{"strategy": s, "world": f"f{j}", key: v}
            for s, vs in values.items() for j, v in enumerate(vs)]
    return pd.DataFrame(rows)


def test_regret_is_zero_for_the_strategy_best_in_every_future():
    from softsim.discovery import parse_condition
    from softsim.robustness import robustness

    mean = _cells({"A": [0.7, 0.65, 0.8], "B": [0.6, 0.5, 0.75], "C": [0.65, 0.62, 0.5]})
    mean["gini"] = [0.1, 0.2, 0.1, 0.2, 0.3, 0.25, 0.15, 0.1, 0.3]
    objectives = [parse_condition("coverage_latent>=0.6", "--satisfice")]
    r = robustness(mean, ["coverage_latent"], objectives)
    t = r.table.set_index("strategy")
    assert t.loc["A", "max_regret:coverage_latent"] == 0.0
    assert t.loc["B", "max_regret:coverage_latent"] == pytest.approx(0.15)
    assert t.loc["C", "max_regret:coverage_latent"] == pytest.approx(0.3)
    reg_ = r.regret.set_index(["strategy", "world"])["regret"]
    assert (reg_["A"] == 0.0).all() and reg_[("C", "f1")] == pytest.approx(0.03)
    assert t.loc["A", "satisficing"] == 1.0
    assert t.loc["B", "satisficing"] == pytest.approx(2 / 3)
    assert t.loc["C", "satisficing"] == pytest.approx(2 / 3)
    assert r.table["strategy"].iloc[0] == "A"
    # a metric to minimise: the lowest value is the best
    g = robustness(mean, ["gini"], []).table.set_index("strategy")
    assert g.loc["A", "max_regret:gini"] == pytest.approx(0.1)  # f2: 0.1 vs 0.1; f1: 0.2 vs 0.1
    assert g.loc["C", "max_regret:gini"] == pytest.approx(0.2)


def test_robustness_on_a_store_crossing_levers_and_futures(tmp_path, capsys):
    sweep = sweep_file(tmp_path, 'kind = "grid"',
                       {"orchestrator.review_weeks": "values = [2, 8]",
                        "futures.need_growth_per_year": "values = [0.0, 0.04]"},
                       scenarios='["hard", "soft"]', futures='["none", "trend"]')
    # soft with a review every 2 weeks is best everywhere; growth lowers every strategy
    out = fake_store(tmp_path, sweep, lambda p: {
        "coverage_latent": 0.5 + 0.1 * (p["scenario"] == "soft")
        + 0.05 * (p["orchestrator.review_weeks"] == 2) - p["futures.need_growth_per_year"]
        - 0.02 * (p["future"] == "trend"), "gini": 0.2})
    code, stdout, err = analyze(capsys, out, "--robustness", "--metrics", "coverage_latent",
                                "--satisfice", "coverage_latent>=0.6")
    assert code == 0, err
    t = pd.read_csv(out / "analysis-robustness" / "strategies.csv")
    assert t.loc[0, "strategy"] == "soft, orchestrator.review_weeks=2"
    assert t.loc[0, "max_regret:coverage_latent"] == 0.0
    # 0.65, 0.63 (trend), 0.61 (growth), 0.59 (both): 3 of 4 futures reach 0.6
    assert t.loc[0, "satisficing"] == 0.75
    assert t["max_regret:coverage_latent"].iloc[-1] == pytest.approx(0.15)
    assert (out / "analysis-robustness" / "figures" / "robustness.png").exists()


def test_uncertainties_must_be_swept_parameters(tmp_path):
    from softsim.errors import ConfigError

    sweep = sweep_file(tmp_path, 'kind = "grid"', {"orchestrator.review_weeks": "values = [2]"},
                       extra='uncertainties = ["futures.need_growth_per_year"]')
    with pytest.raises(ConfigError, match="uncertainties.*not a swept parameter"):
        load_sweep(sweep)


def test_bundled_robustness_sweep_crosses_strategies_and_futures():
    from softsim.robustness import split_parameters

    plan = load_sweep("robustness")
    assert split_parameters(plan) == (["orchestrator.review_weeks"],
                                      ["futures.need_growth_per_year"])
    assert plan.spec.design.kind == "grid" and plan.n_runs == 16


@pytest.fixture
def grid_store(tmp_path):
    sweep = sweep_file(tmp_path, 'kind = "grid"',
                       {"orchestrator.review_weeks": "values = [2, 8]"})
    return fake_store(tmp_path, sweep, lambda p: {"coverage_latent": 0.5})


@pytest.mark.parametrize(("args", "expected"), [
    (["--sobol"], 'needs a sweep made with kind = "sobol"'),
    (["--morris"], 'needs a sweep made with kind = "morris"'),
    (["--prim", "coverage_latent<<0.5"], "expected METRIC<VALUE"),
    (["--prim", "coverage_latent<abc"], "expected METRIC<VALUE"),
    (["--prim", "nonsense<0.5"], "unknown metric 'nonsense'"),
    (["--prim", "coverage_latent<0.9"], "PRIM needs some runs that do and some that do not"),
    (["--robustness"], "at least two of each"),
    (["--robustness", "--satisfice", "gini"], "--satisfice 'gini': expected METRIC<VALUE"),
    (["--sobol", "--metrics", "coverage,gini"], "--metrics: unknown metric 'coverage'"),
    (["--sobol", "--satisfice", "gini<0.3"], "--satisfice: applies to --robustness only"),
])
def test_bad_input_is_one_line_and_writes_nothing(grid_store, capsys, args, expected):
    before = sorted(p.name for p in grid_store.iterdir())
    code, stdout, err = analyze(capsys, grid_store, *args)
    assert code == 2
    assert expected in err and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert sorted(p.name for p in grid_store.iterdir()) == before


def test_not_a_sweep_folder_and_unwritable_out(tmp_path, grid_store, capsys):
    code, _, err = analyze(capsys, tmp_path / "nowhere", "--sobol")
    assert code == 2 and "not a sweep results folder" in err
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "x").write_text("x")
    code, _, err = analyze(capsys, grid_store, "--robustness", "--out", taken)
    assert code == 2 and "already exists and is not empty" in err
    assert [p.name for p in taken.iterdir()] == ["x"]


def test_metric_directions_are_those_of_the_registry():
    from softsim.analysis import DEFAULT_METRICS

    assert [reg.get(k).direction for k in DEFAULT_METRICS] == ["higher", "lower", "lower"]


def test_noise_floor_of_replicates_names_a_null_lever_in_a_noisy_model(tmp_path, capsys):
    sweep = sweep_file(tmp_path, "kind = \"morris\"\nsamples = 30",
                       {"services.social.awareness": "range = [0.0, 1.0]",
                        "orchestrator.data_quality": "range = [0.0, 1.0]"},
                       extra="replicates = 4\ncommon_random_numbers = false")
    noise = np.random.default_rng(11)
    out = fake_store(tmp_path, sweep, lambda p: {
        "gini": p["services.social.awareness"] + noise.normal(0.0, 0.05)})
    code, _, err = analyze(capsys, out, "--morris", "--metrics", "gini")
    assert code == 0, err
    t = pd.read_csv(out / "analysis-morris" / "indices.csv").set_index("parameter")
    # the noise of a mean of 4 runs (sd 0.05 / 2) over the step 2/3, as documented
    delta = 4 / (2 * 3)
    floor = math.sqrt(2 * 0.05 ** 2 / 4) * math.sqrt(2 / math.pi) / delta
    assert t["noise_floor"].iloc[0] == pytest.approx(floor, rel=0.25)
    assert t.loc["orchestrator.data_quality", "null"]
    assert not t.loc["services.social.awareness", "null"]


def test_robustness_of_a_real_sweep_of_tiny_runs(tmp_path, capsys):
    from softsim.sweep_run import run_sweep

    sweep = sweep_file(
        tmp_path, 'kind = "grid"',
        {"orchestrator.review_weeks": "values = [1, 8]",
         "futures.need_growth_per_year": "values = [0.0, 0.2]"},
        scenarios='["hard", "soft"]', futures='["none", "trend"]',
        extra='set = ["territory.population = 400", "territory.n_communes = 6", '
              '"simulation.years = 1", "simulation.weeks_per_year = 8"]')
    result = run_sweep(load_sweep(sweep), tmp_path / "runs", write_report=False)
    assert result.progress.done == 16
    code, stdout, err = analyze(capsys, tmp_path / "runs", "--robustness", "--satisfice",
                                "coverage_latent>=0.3")
    assert code == 0, err
    assert err == ""
    t = pd.read_csv(tmp_path / "runs" / "analysis-robustness" / "strategies.csv")
    regret = pd.read_csv(tmp_path / "runs" / "analysis-robustness" / "regret.csv")
    assert len(t) == 4 and len(regret) == 4 * 4 * 3
    # in each future and metric some strategy is the best: its regret there is zero
    assert (regret.groupby(["world", "metric"])["regret"].min() == 0).all()
    assert (regret["regret"] >= 0).all()


def test_prim_finds_two_planted_boxes_one_after_the_other():
    from softsim.discovery import discover

    rng = np.random.default_rng(8)
    x = pd.DataFrame({"a": rng.random(1500), "b": rng.random(1500)})
    y = (((x["a"] > 0.5) & (x["b"] < 0.4)) | ((x["a"] < 0.2) & (x["b"] > 0.8))).to_numpy()
    boxes = discover(x, y, density=0.95)
    assert len(boxes) == 2
    first, second = (b.limits.set_index("input") for b in boxes)
    assert boxes[0].stats["density"] >= 0.95
    assert abs(first.loc["a", "low"] - 0.5) < 0.05 and abs(first.loc["b", "high"] - 0.4) < 0.05
    # the second box holds 4 % of the runs: PRIM stops peeling at a mass of 5 %
    assert abs(second.loc["a", "high"] - 0.2) < 0.05 and 0.7 < second.loc["b", "low"] <= 0.8


def test_prim_on_an_integer_lever_of_a_small_design():
    """An ``integer = true`` lever: PRIM pastes limits half-way between integers."""
    from softsim.discovery import discover, prim_inputs

    runs = pd.DataFrame({
        "scenario": "hard", "future": "none",
        "a": [0.3, 0.7, 0.7, 0.3, 0.3, 0.7],
        "n": np.array([7, 7, 2, 2, 7, 7], dtype=np.int64),
    })
    y = np.array([True, False, False, False, True, False])
    box = discover(prim_inputs(runs, ["a", "n"]), y)[0]
    lim = box.limits.set_index("input")
    assert box.stats["density"] == 1.0 and box.stats["coverage"] == 1.0
    assert lim.loc["a", "high"] < 0.7 and lim.loc["n", "low"] > 2
