"""`softsim compare`: the report, its independence from the number of workers, bad input."""

from __future__ import annotations

import pandas as pd
import pytest

import softsim.experiment
from softsim.cli import main
from softsim.comparison import COLUMNS

SMALL = ["--set", "territory.population=4000", "--set", "territory.n_communes=30",
         "--set", "budget.per_1000_per_week=100000", "--years", "1"]


def compare(capsys, *argv):
    code = main(["compare", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_report_files_and_paired_replicates(tmp_path, capsys):
    out = tmp_path / "cmp"
    code, stdout, _ = compare(capsys, "hard", "soft", *SMALL, "--replicates", "2",
                              "--workers", "1", "--out", str(out))
    assert code == 0
    for name in ("report.md", "comparison.csv", "comparison.md", "runs.parquet", "runs.csv",
                 "manifest.json"):
        assert (out / name).is_file(), name
    for fig in ("tradeoff", "coverage_over_time", "lorenz", "maps", "group_gaps"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 1000, fig
    runs = pd.read_parquet(out / "runs.parquet")
    assert sorted(runs["scenario"].unique()) == ["hard", "soft"]
    # common random numbers: replicate r has the same seed in every scenario
    seeds = runs.pivot(index="replicate", columns="scenario", values="seed")
    assert (seeds["hard"] == seeds["soft"]).all()
    assert seeds["hard"].nunique() == 2
    table = pd.read_csv(out / "comparison.csv")
    assert table["scenario"].tolist() == ["hard", "soft"]
    for key in COLUMNS:
        mean = runs.groupby("scenario")[key].mean()
        assert table.set_index("scenario")[f"{key}_mean"].to_dict() == pytest.approx(
            mean.to_dict(), nan_ok=True)
    report = (out / "report.md").read_text()
    assert "**soft**" in report and "relative to `hard`".lower() in report.lower()
    assert "![tradeoff](figures/tradeoff.png)" in report
    assert "coverage" in stdout


@pytest.mark.slow  # spawns worker processes (each loads the compiled kernels)
def test_results_do_not_depend_on_the_number_of_workers(tmp_path, capsys):
    a, b = tmp_path / "one", tmp_path / "two"
    for out, workers in ((a, "1"), (b, "2")):
        assert compare(capsys, "hard", "information", *SMALL, "--replicates", "2",
                       "--workers", workers, "--quiet", "--out", str(out))[0] == 0
    assert (a / "runs.csv").read_bytes() == (b / "runs.csv").read_bytes()
    assert (a / "comparison.csv").read_bytes() == (b / "comparison.csv").read_bytes()


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["nosuch"], "unknown scenario 'nosuch'"),
        (["hard", "hard"], "each scenario may appear once"),
        (["hard", "--future", "nosuch"], "unknown future 'nosuch'"),
    ],
)
def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path, capsys, argv, needle):
    out = tmp_path / "never"
    code, _, err = compare(capsys, *argv, "--out", str(out))
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert needle in err
    assert not out.exists()


def test_zero_replicates_is_refused(tmp_path, capsys):
    out = tmp_path / "never"
    with pytest.raises(SystemExit) as exit_:
        main(["compare", "hard", "--replicates", "0", "--out", str(out)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--replicates" in err and "at least 1" in err
    assert not out.exists()


def test_future_file_with_an_unknown_key(tmp_path, capsys):
    future = tmp_path / "odd.toml"
    future.write_text('name = "odd"\nneed_growth_per_yaer = 0.1\n')
    out = tmp_path / "never"
    code, _, err = compare(capsys, "hard", "--future", str(future), "--out", str(out))
    assert code == 2
    assert "futures.need_growth_per_yaer: unknown key" in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_interrupted_compare_leaves_nothing(tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(softsim.experiment, "run_replicates", interrupted)
    out = tmp_path / "cmp"
    code, _, err = compare(capsys, "hard", *SMALL, "--replicates", "1", "--out", str(out))
    assert code == 130
    assert "nothing was written" in err
    assert list(tmp_path.iterdir()) == []


SETS = ["territory.population=4000", "territory.n_communes=30",
        "budget.per_1000_per_week=100000", "simulation.years=1"]


def test_compare_from_python_is_what_the_cli_writes(tmp_path, capsys):
    import matplotlib.pyplot as plt

    import softsim
    from softsim.comparison import Comparison

    result = softsim.compare(["hard", "soft"], replicates=2, overrides=SETS, seed=3)
    assert isinstance(result, Comparison) and softsim.Comparison is Comparison
    assert result.order == ["hard", "soft"] and result.reference == "hard"
    assert [(r.scenario, r.replicate) for r in result.results] == [
        ("hard", 0), ("hard", 1), ("soft", 0), ("soft", 1)]
    assert result.table["scenario"].tolist() == ["hard", "soft"]
    runs = result.runs.set_index(["scenario", "replicate"])["coverage_latent"]
    paired = (runs["soft"] - runs["hard"]).mean()
    assert result.differences["soft"]["coverage_latent"][0] == pytest.approx(paired)
    assert set(result.differences) == {"soft"}
    assert result.paragraphs[0].startswith("**hard** (the reference)")
    assert result.paragraphs[1].startswith("**soft**")
    assert "## Figures" not in result.report()
    assert "![tradeoff](figures/tradeoff.png)" in result.report(["tradeoff"])
    assert "| hard |" in result.headline()
    figures = result.figures()
    try:
        assert set(figures) == {"tradeoff", "coverage_over_time", "lorenz", "maps", "group_gaps"}
    finally:
        plt.close("all")

    out = tmp_path / "cmp"
    code, _, _ = compare(capsys, "hard", "soft", *SMALL, "--replicates", "2", "--seed", "3",
                         "--workers", "1", "--quiet", "--out", str(out))
    assert code == 0
    assert (out / "runs.csv").read_text() == result.runs.to_csv(index=False)
    assert (out / "comparison.csv").read_text() == result.table.to_csv(index=False)
    report = (out / "report.md").read_text()
    assert report == result.report(list(figures))


def test_compare_from_python_refuses_bad_input_before_any_run(monkeypatch):
    import softsim
    from softsim.config import load_config
    from softsim.errors import SoftsimError

    def fail(*args, **kwargs):
        raise AssertionError("ran")

    monkeypatch.setattr(softsim.experiment, "run_replicates", fail)
    hard = load_config("hard", SETS)
    with pytest.raises(SoftsimError, match="each scenario may appear once"):
        softsim.compare([hard, "hard"], overrides=SETS)
    with pytest.raises(SoftsimError, match="unknown scenario 'nosuch'"):
        softsim.compare(["hard", "nosuch"])
    with pytest.raises(SoftsimError, match="replicates"):
        softsim.compare(["hard"], replicates=0)
    with pytest.raises(SoftsimError, match="at least one scenario"):
        softsim.compare([])


def test_a_report_below_scale_1_says_it_is_a_quick_check():
    from softsim.comparison import report_markdown

    table = pd.DataFrame(columns=COLUMNS)
    small = report_markdown({"population scale": 0.02}, table, [], [])
    assert "> Population scale 0.02: the model's whole numbers do not follow the scale" in small
    assert "use scale 1 for results" in small
    assert "whole numbers" not in report_markdown({"population scale": 1.0}, table, [], [])
