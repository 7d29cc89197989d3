"""The command line, end to end, in-process: outputs, determinism and bad input."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from softsim.cli import main
from softsim.model import SCHEDULE
from softsim.outcomes import COUNT_KEYS, SUMMARY_METRICS
from softsim.store import RUN_FILES

SMALL = ["--set", "territory.population=3000", "--set", "territory.n_communes=30", "--years", "1"]


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_writes_the_contracted_files(tmp_path, capsys):
    out = tmp_path / "run"
    code, stdout, _ = run_cli(capsys, "run", "hard", *SMALL, "--out", str(out))
    assert code == 0
    for name in RUN_FILES:
        assert (out / name).is_file(), name
    for fig in ("coverage_map", "lorenz", "coverage_over_time"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 1000
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "hard"
    assert summary["seed"] == 1
    assert set(COUNT_KEYS) == set(summary["counts"])
    assert set(SUMMARY_METRICS) <= set(summary["metrics"])
    assert {"age_75plus", "no_car", "low_digital_skill", "workers", "rural"} <= set(
        summary["groups"]
    )
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 52
    assert ts["served"].sum() == summary["counts"]["served"]
    communes = pd.read_parquet(out / "communes.parquet")
    assert len(communes) == 30
    assert communes["latent"].sum() == summary["counts"]["latent"]
    assert "coverage_latent" in stdout


def test_same_seed_gives_byte_identical_summary(tmp_path, capsys):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for out, seed in ((a, "7"), (b, "7"), (c, "8")):
        assert run_cli(capsys, "run", "hard", *SMALL, "--seed", seed, "--no-figures",
                       "--quiet", "--out", str(out))[0] == 0
    assert (a / "summary.json").read_bytes() == (b / "summary.json").read_bytes()
    assert (a / "summary.json").read_bytes() != (c / "summary.json").read_bytes()


def test_plan_prints_the_schedule_in_order(capsys):
    code, out, _ = run_cli(capsys, "run", "hard", "--plan")
    assert code == 0
    positions = [out.index(f" {p.name} ") for p in SCHEDULE]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["run", "nosuch"], "unknown scenario 'nosuch'"),
        (["run", "hard", "--set", "population.scael=0.5"], "population.scael: unknown key"),
        (["run", "hard", "--set", "population.scale=2"], "population.scale"),
        (["run", "hard", "--set", "simulation.years=ten"], "simulation.years"),
        (["run", "hard", "--territory", "dep:999"], "dep:999"),
        (["run", "hard", "--scale", "0"], "population.scale"),
        (["territory", "show", "dep:00"], "dep:00"),
    ],
)
def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path, capsys, argv, needle):
    out = tmp_path / "never"
    code, _, err = run_cli(capsys, *argv, *(["--out", str(out)] if argv[0] == "run" else []))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert needle in lines[0]
    assert "Traceback" not in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_bad_csv_territory_names_the_row(tmp_path, capsys):
    csv = tmp_path / "t.csv"
    csv.write_text("code,name,population,lon,lat\nA,a,100,2.0,45.0\nB,b,-5,2.1,45.1\n"
                   "C,c,50,2.0,45.2\n")
    code, _, err = run_cli(capsys, "run", "hard", "--territory", str(csv), "--out",
                           str(tmp_path / "x"))
    assert code == 2
    assert "row 3" in err and "population" in err
    assert not (tmp_path / "x").exists()


def test_existing_results_folder_is_not_overwritten(tmp_path, capsys):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code, _, err = run_cli(capsys, "run", "hard", *SMALL, "--out", str(out))
    assert code == 2
    assert "already exists" in err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_user_csv_territory_runs(tmp_path, capsys):
    csv = tmp_path / "t.csv"
    rows = [f"C{i},c{i},{200 + 37 * i},{2 + 0.05 * (i % 5)},{45 + 0.04 * (i // 5)}"
            for i in range(20)]
    csv.write_text("code,name,population,lon,lat\n" + "\n".join(rows) + "\n")
    out = tmp_path / "run"
    code, _, _ = run_cli(capsys, "run", "hard", "--territory", str(csv), "--years", "1",
                         "--no-figures", "--quiet", "--out", str(out))
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["residents"] == sum(200 + 37 * i for i in range(20))


def test_territory_show_draws_a_map(tmp_path, capsys):
    png = tmp_path / "map.png"
    code, out, _ = run_cli(capsys, "territory", "show", "dep:23", "--out", str(png))
    assert code == 0
    assert "255" in out  # Creuse has 255 communes
    assert png.stat().st_size > 1000
    assert "Licence Ouverte" in out


def test_scenarios_lists_hard(capsys):
    code, out, _ = run_cli(capsys, "scenarios")
    assert code == 0
    assert "hard" in out
