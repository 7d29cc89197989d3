"""Sweeps: sweep files and designs, the run store, resume after SIGKILL, executors, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from softsim import metric_registry as reg
from softsim.cli import main
from softsim.errors import ConfigError
from softsim.rng import SeedTree
from softsim.sweep import load_sweep, sweeps_dir

SOFTSIM = Path(sys.executable).with_name("softsim")

TINY = """
scenarios = ["hard", "soft"]
futures = ["none"]
replicates = {replicates}
seed = 7
set = ["territory.population = 400", "territory.n_communes = 6", "simulation.years = 1",
       "simulation.weeks_per_year = {weeks}", "budget.per_1000_per_week = 100000"]

[design]
kind = "grid"

[parameters."services.social.awareness"]
values = {values}
"""
"""A sweep of tiny runs (400 residents, 6 communes, a few weeks): 2 × len(values) × R runs."""

VOLATILE = ["wall_s", "worker", "finished_at"]
"""Columns that say how and when a run was made, not what it gave."""


def tiny(tmp_path: Path, name: str = "tiny.toml", *, replicates: int = 1, weeks: int = 8,
         values: str = "[0.4, 0.6, 0.8]", extra: str = "") -> Path:
    path = tmp_path / name
    path.write_text(TINY.format(replicates=replicates, weeks=weeks, values=values) + extra)
    return path


def write(tmp_path: Path, text: str, name: str = "sweep.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def stored(folder: Path) -> pd.DataFrame:
    """The run store as pandas reads a Parquet dataset folder, sorted by run id."""
    runs = pd.read_parquet(folder / "runs")
    return runs.sort_values("run_id", ignore_index=True).drop(columns=VOLATILE)


def sweep(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["sweep", *argv])
    out, err = capsys.readouterr()
    return code, out, err


# --- designs ------------------------------------------------------------------------------


SPACE = """
scenarios = ["hard"]
[parameters."services.social.awareness"]
range = [0.2, 0.8]
[parameters."sites.town_services.count"]
range = [2, 9]
integer = true
[parameters."information.orientation"]
range = [0.0, 0.5]
"""


@pytest.mark.parametrize(
    ("design", "points"),
    [
        ('kind = "lhs"\nsamples = 10', 10),
        ('kind = "sobol"\nsamples = 8', 8 * (3 + 2)),
        ('kind = "sobol"\nsamples = 8\nsecond_order = true', 8 * (2 * 3 + 2)),
        ('kind = "morris"\nsamples = 5\nlevels = 4', 5 * (3 + 1)),
    ],
)
def test_sampled_designs_have_their_textbook_size(tmp_path, design, points):
    plan = load_sweep(write(tmp_path, SPACE + f"\n[design]\n{design}\n"))
    assert len(plan.points) == points
    assert plan.n_runs == points
    for awareness, count, share in plan.points:
        assert 0.2 <= awareness <= 0.8
        assert isinstance(count, int) and 2 <= count <= 9
        assert 0.0 <= share <= 0.5


def test_lhs_puts_one_point_in_each_stratum_of_each_parameter(tmp_path):
    plan = load_sweep(write(tmp_path, SPACE + '\n[design]\nkind = "lhs"\nsamples = 12\n'))
    awareness = np.array([p[0] for p in plan.points])
    strata = np.floor((awareness - 0.2) / 0.6 * 12).astype(int)
    assert sorted(strata) == list(range(12))


def test_grid_crosses_every_value_and_numbers_runs_replicate_fastest(tmp_path):
    plan = load_sweep(write(tmp_path, """
scenarios = ["hard", "soft"]
futures = ["none", "trend"]
replicates = 3
seed = 5
[parameters."services.social.awareness"]
range = [0.2, 0.8]
steps = 4
[parameters."sites.town_services.count"]
values = [3, 6]
"""))
    assert len(plan.points) == 4 * 2
    assert plan.n_runs == 8 * 2 * 2 * 3
    assert plan.points[0] == (0.2, 3) and plan.points[1] == (0.2, 6)
    assert plan.points[-1] == (0.8, 6)
    # run ((p·S + s)·F + f)·R + r
    run = plan.run(((5 * 2 + 1) * 2 + 0) * 3 + 2)
    assert (run.point, run.scenario, run.future, run.replicate) == (5, "soft", "none", 2)
    assert dict(run.params) == {"services.social.awareness": pytest.approx(0.6),
                                "sites.town_services.count": 6}


def test_seeds_derive_from_the_root_seed_and_the_run(tmp_path):
    text = tiny(tmp_path, replicates=3).read_text()
    plan = load_sweep(write(tmp_path, text, "crn.toml"))
    root = SeedTree(7)
    crn = [root.child(f"replicate-{r}").seed for r in range(3)]
    assert [plan.run(i).seed for i in range(plan.n_runs)] == crn * (plan.n_runs // 3)
    plan = load_sweep(write(tmp_path, "common_random_numbers = false\n" + text, "own.toml"))
    seeds = [plan.run(i).seed for i in range(plan.n_runs)]
    assert seeds == [root.child(f"run-{i}").seed for i in range(plan.n_runs)]


def test_the_same_file_gives_the_same_design(tmp_path):
    path = write(tmp_path, SPACE + '\n[design]\nkind = "sobol"\nsamples = 4\n')
    assert load_sweep(path).points == load_sweep(path).points


def test_the_remainder_share_takes_what_the_swept_shares_leave(tmp_path):
    path = write(tmp_path, 'scenarios = ["soft"]\nremainder = "budget.mix.sites"\n'
                 '[parameters."budget.mix.modules"]\nvalues = [0.1, 0.3]\n'
                 '[parameters."budget.mix.bus"]\nvalues = [0.05, 0.2]\n'
                 '[parameters."orchestrator.review_weeks"]\nvalues = [2]\n')
    plan = load_sweep(path)
    plan.check()
    seen = set()
    for i in range(plan.n_runs):
        o = dict(x.split("=", 1) for x in plan.run(i).overrides)
        seen.add((o["budget.mix.modules"], o["budget.mix.bus"], o["budget.mix.sites"]))
    # by hand: soft keeps mobile 0.11, tad 0.03, information 0.01 (0.15 in all), so
    # sites = 0.85 - modules - bus (the review period is not a share)
    assert {(m, b, round(float(s), 12)) for m, b, s in seen} == {
        ("0.1", "0.05", 0.7), ("0.1", "0.2", 0.55), ("0.3", "0.05", 0.5), ("0.3", "0.2", 0.35)}


def test_bundled_sweeps_are_valid():
    for path in sorted(sweeps_dir().glob("*.toml")):
        plan = load_sweep(path)
        assert plan.n_runs > 0, path.name


def test_plan_prints_size_and_first_runs_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = sweep(capsys, str(tiny(tmp_path, replicates=2)), "--plan", "--rows", "3")
    assert code == 0
    assert "3 points × 2 scenarios × 1 futures × 2 replicates = 12 runs" in out
    assert "first 3 runs of 12" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.toml"]


@pytest.mark.parametrize(("fixed", "swept", "caveat"), [
    ("", "", False),
    (', "population.scale = 0.5"', "", True),
    ("", '\n[parameters."population.scale"]\nvalues = [0.25, 1.0]\n', True),
])
def test_a_sweep_report_below_scale_1_says_it_is_a_quick_check(tmp_path, fixed, swept, caveat):
    from softsim.sweep_report import sweep_report

    text = TINY.format(replicates=1, weeks=8, values="[0.5]")
    text = text.replace('"budget.per_1000_per_week = 100000"',
                        '"budget.per_1000_per_week = 100000"' + fixed) + swept
    plan = load_sweep(write(tmp_path, text))
    report, _ = sweep_report(plan, pd.DataFrame(), {})
    assert ("> Population scale" in report) == caveat
    if swept:
        assert "> Population scale 0.25:" in report


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ('scenarios = ["hard"]\n[parameters."services.social.awarenes"]\nrange = [0.1, 0.2]',
         "awarenes"),
        ('scenarios = ["hard"]\n[parameters."services.social.awareness"]\nrange = [0.8, 0.2]',
         "empty or inverted"),
        ('scenarios = ["hard"]\n[parameters."services.social.awareness"]\nrange = [0.2, 1.7]',
         "services.social.awareness"),
        ('scenarios = ["hard"]\n[parameters."territory.spec"]\nvalues = ["dep:23", "dep:999"]',
         "dep:999"),
        ('scenarios = ["hard"]\n[parameters."services.social.awareness"]\nrange = [0.1, 0.2]\n'
         '[parameters."information.orientation"]\nrange = [0.0, 0.5]\n'
         '[design]\nkind = "sobol"\nsamples = 100',
         "power of two, got 100 (for example 64 or 128)"),
        ('scenarios = ["hard"]\nreplicate = 3', "replicate: unknown key"),
        ('scenarios = ["nowhere"]', "unknown scenario 'nowhere'"),
        ('scenarios = ["hard"]\nfutures = ["bright"]', "unknown future 'bright'"),
        ('scenarios = ["hard"]\n[design]\nkind = "lhs"\n'
         '[parameters."services.social.awareness"]\nrange = [0.1, 0.2]', "design.samples"),
        ('scenarios = ["hard"]\n[design]\nkind = "factorial"', "design.kind"),
        ('scenarios = ["soft"]\nremainder = "budget.mix.sites"\n'
         '[parameters."budget.mix.modules"]\nrange = [0.0, 0.7]\n'
         '[parameters."budget.mix.bus"]\nrange = [0.0, 0.4]',
         "can sum to 1.1 (expected at most 1"),
        ('scenarios = ["soft"]\nremainder = "budget.mix.sites"\n'
         '[parameters."budget.mix.modules"]\nvalues = [0.0, 0.6]\n'
         '[parameters."budget.mix.bus"]\nvalues = [0.0, 0.3]',
         "with soft's other shares (0.15) the swept shares can sum to 1.05"),
        ('scenarios = ["soft"]\nremainder = "budget.mix.sites"\n'
         '[parameters."budget.mix.sites"]\nrange = [0.0, 0.5]', "is also swept"),
        ('scenarios = ["soft"]\nremainder = "budget.mix.sites"\n'
         '[parameters."orchestrator.review_weeks"]\nrange = [1, 4]', "no swept parameter"),
    ],
)
def test_bad_sweep_file_is_one_line_exit_2_nothing_written(tmp_path, capsys, body, needle):
    path = write(tmp_path, body)
    out = tmp_path / "out"
    code, stdout, err = sweep(capsys, str(path), "--out", str(out))
    assert code == 2
    assert needle in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_resume_of_a_folder_made_by_another_sweep_file_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    assert sweep(capsys, str(tiny(tmp_path, values="[0.5]")), "--out", str(out),
                 "--workers", "1", "--quiet")[0] == 0
    before = sorted(p.name for p in (out / "runs").iterdir())
    other = tiny(tmp_path, "other.toml", values="[0.6]")
    code, _, err = sweep(capsys, str(other), "--out", str(out), "--resume")
    assert code == 2
    assert "made by another sweep file" in err and "refused" in err
    sha = json.loads((out / "manifest.json").read_text())["sweep_sha256"]
    assert sha[:12] in err
    assert sorted(p.name for p in (out / "runs").iterdir()) == before


def test_existing_folder_without_resume_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    code, _, err = sweep(capsys, str(tiny(tmp_path)), "--out", str(out))
    assert code == 2 and "not empty" in err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_a_scheduler_that_does_not_answer_is_one_line_exit_2(tmp_path, capsys, monkeypatch):
    from softsim import sweep_run

    monkeypatch.setattr(sweep_run, "DASK_CONNECT_TIMEOUT_S", 2)
    out = tmp_path / "out"
    start = time.monotonic()
    code, _, err = sweep(capsys, str(tiny(tmp_path)), "--out", str(out),
                         "--scheduler", "tcp://127.0.0.1:9")
    assert code == 2
    assert "--scheduler tcp://127.0.0.1:9: no Dask scheduler answered within 2 s" in err
    assert len(err.strip().splitlines()) == 1
    assert time.monotonic() - start < 30
    assert not out.exists()


# --- the run store ------------------------------------------------------------------------


def test_store_has_one_row_per_run_with_parameters_and_every_metric(tmp_path, capsys):
    out = tmp_path / "out"
    path = tiny(tmp_path, replicates=2)
    code, stdout, _ = sweep(capsys, str(path), "--out", str(out), "--workers", "1",
                            "--keep", "series", "--quiet")
    assert code == 0
    assert "12 done, 0 failed, 0 remaining" in stdout
    runs = pd.read_parquet(out / "runs")
    assert sorted(runs["run_id"]) == list(range(12))
    assert set(runs["status"]) == {"ok"}
    for key in (x.key for x in reg.METRICS):
        assert runs[key].notna().any(), key
    assert sorted(set(runs["services.social.awareness"])) == [0.4, 0.6, 0.8]
    root = SeedTree(7)
    assert set(runs.loc[runs["replicate"] == 1, "seed"]) == {root.child("replicate-1").seed}
    # a run's values are those of softsim.run with the same config and seed
    from softsim import run
    from softsim.config import load_config
    from softsim.rng import SeedTree as Tree
    from softsim.territory import build_territory

    row = runs[runs["run_id"] == 9].iloc[0]
    cfg = load_config(row["scenario"], [
        "territory.population = 400", "territory.n_communes = 6", "simulation.years = 1",
        "simulation.weeks_per_year = 8", "budget.per_1000_per_week = 100000",
        f"services.social.awareness = {row['services.social.awareness']}"])
    territory = build_territory(cfg.territory, cfg.travel, Tree(7))
    summary = run(cfg, int(row["seed"]), territory=territory).summary
    assert row["coverage_latent"] == summary["metrics"]["coverage_latent"]
    assert row["gini"] == summary["metrics"]["gini"]
    series = pd.read_parquet(out / "series")
    assert sorted(set(series["run_id"])) == list(range(12))
    assert len(series) == 12 * 8
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["total_runs"] == 12 and manifest["finished"]
    assert manifest["sweep_sha256"] == __import__("hashlib").sha256(path.read_bytes()).hexdigest()
    assert manifest["design"]["kind"] == "grid"
    assert (out / "sweep.toml").read_bytes() == path.read_bytes()
    assert len(list((out / "runs").iterdir())) == 1, "batches merged once the sweep is done"
    report = (out / "sweep.md").read_text()
    assert "| hard | none | 6 |" in report
    assert (out / "figures" / "heatmap.png").stat().st_size > 0
    assert (out / "figures" / "param_services_social_awareness.png").exists()
    umask = os.umask(0o022)
    os.umask(umask)
    assert (out / "manifest.json").stat().st_mode & 0o777 == 0o666 & ~umask
    assert not [p for p in out.rglob(".*")], "no temporary file left"


def test_a_run_that_raises_is_recorded_and_the_sweep_completes(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,population,lon,lat\n1,a,not-a-number,1,45\n")
    path = write(tmp_path, f"""
scenarios = ["hard"]
set = ["territory.population = 400", "territory.n_communes = 6", "simulation.years = 1",
       "simulation.weeks_per_year = 4"]
[parameters."territory.spec"]
values = ["grid", "{bad}"]
""")
    out = tmp_path / "out"
    code, stdout, err = sweep(capsys, str(path), "--out", str(out), "--workers", "1", "--quiet")
    assert code == 1
    assert "1 done, 1 failed" in stdout
    runs = stored(out)
    assert list(runs["status"]) == ["ok", "failed"]
    assert "TerritoryError" in runs.loc[1, "error"] and "population" in runs.loc[1, "error"]
    assert np.isnan(runs.loc[1, "coverage_latent"])
    assert "1 finished, 1 failed" in (out / "sweep.md").read_text()


def test_status_reads_the_store_without_running(tmp_path, capsys):
    out = tmp_path / "out"
    assert sweep(capsys, str(tiny(tmp_path)), "--out", str(out), "--workers", "1",
                 "--quiet")[0] == 0
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    code, stdout, _ = sweep(capsys, "--status", str(out))
    assert code == 0
    assert "finished" in stdout and "6/6 runs: 6 done, 0 failed, 0 remaining" in stdout
    assert "runs/min" in stdout
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before
    code, _, err = sweep(capsys, "--status", str(tmp_path))
    assert code == 2 and "not a sweep results folder" in err


def test_status_of_a_partial_store_counts_what_remains(tmp_path, capsys):
    from softsim.store import RunStore
    from softsim.sweep_run import _execute, _InProcess, _manifest, runs_schema

    plan = load_sweep(tiny(tmp_path))
    store = RunStore.create(tmp_path / "out", _manifest(plan, None), b"", runs_schema(plan))
    from softsim.sweep_run import SweepProgress

    _execute(plan, store, _InProcess(), [0, 2, 4], False, SweepProgress(plan.n_runs), None)
    code, stdout, _ = sweep(capsys, "--status", str(tmp_path / "out"))
    assert "not finished" in stdout
    assert "3/6 runs: 3 done, 0 failed, 3 remaining" in stdout




# --- executors ----------------------------------------------------------------------------


@pytest.mark.slow
def test_same_store_with_1_and_2_workers_and_on_a_dask_local_cluster(tmp_path, capsys):
    path = tiny(tmp_path, replicates=2)
    stores = {}
    for name, argv in {"one": ["--workers", "1"], "two": ["--workers", "2"],
                       "dask": ["--dask-local", "2"]}.items():
        code, _, err = sweep(capsys, str(path), "--out", str(tmp_path / name), *argv, "--quiet")
        assert code == 0, err
        stores[name] = stored(tmp_path / name)
    assert len(stores["one"]) == 12
    pd.testing.assert_frame_equal(stores["one"], stores["two"])
    pd.testing.assert_frame_equal(stores["one"], stores["dask"])
    workers = set(pd.read_parquet(tmp_path / "two" / "runs")["worker"])
    assert len(workers) == 2, "two processes, each reused across runs"




def _wait_for_a_batch(proc: subprocess.Popen, out: Path, timeout: float = 120) -> None:
    """Wait until the sweep in ``out`` has stored its first batch of runs."""
    deadline = time.monotonic() + timeout
    while not list(out.glob("runs/part-*.parquet")):
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "no batch stored in time"
        time.sleep(0.05)


@pytest.mark.slow
def test_kill_9_mid_sweep_then_resume_loses_and_duplicates_nothing(tmp_path, capsys):
    path = tiny(tmp_path, weeks=52, values=str([round(0.3 + 0.02 * i, 2) for i in range(30)]))
    out = tmp_path / "killed"
    proc = subprocess.Popen([str(SOFTSIM), "sweep", str(path), "--out", str(out),
                             "--workers", "2", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    _wait_for_a_batch(proc, out)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = pd.read_parquet(out / "runs")
    assert 0 < len(partial) < 60, "killed mid-sweep"
    assert not (out / "sweep.md").exists()

    code, stdout, err = sweep(capsys, str(path), "--out", str(out), "--resume", "--workers", "2",
                              "--quiet")
    assert code == 0, err
    resumed = stored(out)
    assert list(resumed["run_id"]) == list(range(60)), "every run exactly once"
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["sessions"]) == 2
    assert manifest["sessions"][1]["runs_stored_before"] == len(partial)

    whole = tmp_path / "whole"
    assert sweep(capsys, str(path), "--out", str(whole), "--workers", "1", "--quiet")[0] == 0
    pd.testing.assert_frame_equal(resumed, stored(whole))


@pytest.mark.slow
def test_parent_memory_stays_flat_over_2000_runs(tmp_path):
    path = tiny(tmp_path, weeks=2, replicates=200,
                values="[0.3, 0.4, 0.5, 0.6, 0.7]")  # 2 × 5 × 200 = 2,000 runs
    script = f"""
import json, sys
from pathlib import Path
from softsim.sweep import load_sweep
from softsim.sweep_run import run_sweep

def rss():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

seen = {{}}
def report(p):
    n = p.done + p.failed
    if n in (200, 2000):
        seen[n] = rss()
plan = load_sweep({str(path)!r})
run_sweep(plan, Path({str(tmp_path / 'out')!r}), workers=2, report=report,
          write_report=False)
print(json.dumps(seen))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    seen = {int(k): v for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()}
    assert set(seen) == {200, 2000}
    assert seen[2000] - seen[200] < 40_000, f"RSS grew by {seen[2000] - seen[200]} kB"
    assert len(pd.read_parquet(tmp_path / "out" / "runs")) == 2000


def test_loading_a_sweep_by_bundled_name():
    assert load_sweep("small").name == "small"
    with pytest.raises(ConfigError, match="unknown sweep 'nope'"):
        load_sweep("nope")


def _session_processes(sid: int) -> list[int]:
    """Live processes of session ``sid`` (the sweep leads its own session)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid and fields[0] != "Z":
                out.append(int(entry))
    return out


@pytest.mark.slow
def test_sigterm_keeps_finished_runs_stops_workers_and_says_how_to_resume(tmp_path):
    path = tiny(tmp_path, weeks=52, values=str([round(0.3 + 0.02 * i, 2) for i in range(30)]))
    out = tmp_path / "out"
    proc = subprocess.Popen([str(SOFTSIM), "sweep", str(path), "--out", str(out),
                             "--workers", "2", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    _wait_for_a_batch(proc, out)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 143
    assert len(err.strip().splitlines()) == 1
    assert "stopped by SIGTERM" in err and f"--out {out} --resume" in err
    assert 0 < len(pd.read_parquet(out / "runs")) < 60
    deadline = time.monotonic() + 5
    while _session_processes(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _session_processes(proc.pid) == [], "no worker outlives the sweep"


NULL_LEVER_SWEEP = """
scenarios = ["hard"]
set = ["territory.population = 400", "territory.n_communes = 6", "simulation.years = 1",
       "simulation.weeks_per_year = 4", "budget.per_1000_per_week = 100000",
       "mobile.agents = 0"]
[design]
kind = "{kind}"
samples = {samples}
[parameters."services.social.awareness"]
range = [0.05, 0.95]
[parameters."mobile.cost_per_km"]
range = [0.1, 2.0]
"""
"""A sweep in which ``mobile.cost_per_km`` has no effect (there is no mobile agent)."""


def _null_lever_indices(tmp_path: Path, capsys, kind: str, samples: int) -> dict:
    """Run :data:`NULL_LEVER_SWEEP` with a design; its report's two index columns by parameter
    (coverage of latent needs)."""
    path = write(tmp_path, NULL_LEVER_SWEEP.format(kind=kind, samples=samples))
    out = tmp_path / "out"
    assert sweep(capsys, str(path), "--out", str(out), "--workers", "1", "--quiet")[0] == 0
    report = (out / "sweep.md").read_text()
    section = report.split("**hard × none, coverage of latent needs**")[1].split("**")[0]
    return {line.split("|")[1].strip(" `"): [float(x) for x in line.split("|")[2:4]]
            for line in section.splitlines() if line.startswith("| `")}


def test_sobol_report_gives_zero_total_index_to_a_parameter_without_effect(tmp_path, capsys):
    # with no mobile agent, their cost per km changes nothing: its total index is exactly 0
    rows = _null_lever_indices(tmp_path, capsys, "sobol", 4)
    assert rows["mobile.cost_per_km"] == [0.0, 0.0]
    assert rows["services.social.awareness"][1] > 0.5


def test_paired_differences_by_territory():
    from softsim.sweep_report import paired_by_territory

    rows = []
    for point, spec in enumerate(["dep:23", "dep:19"]):
        for replicate in range(2):
            for scenario, cov, gini in (("hard", 0.5 + 0.1 * point, 0.20),
                                        ("soft", 0.5 + 0.1 * point + 0.01 * (replicate + 1),
                                         0.25 - 0.1 * point)):
                rows.append({"point": point, "future": "none", "replicate": replicate,
                             "scenario": scenario, "territory.spec": spec, "status": "ok",
                             "coverage_latent": cov, "gini": gini})
    d = paired_by_territory(pd.DataFrame(rows), "soft", "hard").set_index("territory.spec")
    assert d.loc["dep:23", "d_coverage"] == pytest.approx(0.015)
    assert d.loc["dep:19", "d_gini"] == pytest.approx(-0.05)
    assert list(d["pairs"]) == [2, 2]


def test_territory_profile_of_creuse():
    from softsim.sweep_report import territory_profile

    creuse = territory_profile("dep:23")
    assert 110_000 < creuse["population"] < 125_000       # INSEE: about 115,000
    assert 18 < creuse["density"] < 24                    # about 21 inhabitants per km²
    assert creuse["rural_share"] > 0.6
    assert 1.5 < creuse["lon"] < 2.6 and 45.7 < creuse["lat"] < 46.5


def _workers_of(pid: int) -> list[int]:
    """Pool worker processes started by ``pid`` (not multiprocessing's resource tracker)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if ppid == pid and b"spawn_main" in cmdline:
            out.append(int(entry))
    return out


@pytest.mark.slow
def test_a_killed_worker_is_replaced_and_its_runs_retried(tmp_path, capsys):
    path = tiny(tmp_path, weeks=52, values=str([round(0.3 + 0.02 * i, 2) for i in range(30)]))
    out = tmp_path / "out"
    proc = subprocess.Popen([str(SOFTSIM), "sweep", str(path), "--out", str(out),
                             "--workers", "2", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    _wait_for_a_batch(proc, out)
    workers = _workers_of(proc.pid)
    assert len(workers) == 2
    os.kill(workers[0], signal.SIGKILL)
    stdout, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "60 done, 0 failed, 0 remaining" in stdout
    runs = stored(out)
    assert list(runs["run_id"]) == list(range(60))
    assert set(runs["status"]) == {"ok"}
    assert len(set(pd.read_parquet(out / "runs")["worker"])) >= 3, "a new worker took over"


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        ([], "expected a sweep FILE (or --status DIR)"),
        (["{file}", "--resume"], "give the folder to finish with --out DIR"),
        (["{file}", "--status", "{tmp}"], "give no sweep file with it"),
        (["{file}", "--out", "{tmp}/new", "--resume"], "not a sweep results folder"),
    ],
)
def test_sweep_usage_errors_are_one_line_exit_2(tmp_path, capsys, argv, needle):
    path = tiny(tmp_path)
    argv = [a.format(file=path, tmp=tmp_path) for a in argv]
    code, _, err = sweep(capsys, *argv)
    assert code == 2
    assert needle in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.toml"]


def test_batches_are_merged_at_the_end_and_a_merge_cut_short_duplicates_nothing(tmp_path):
    import json as _json

    from softsim.store import RunStore, _merge_parquet
    from softsim.sweep_run import SweepProgress, _execute, _InProcess, _manifest, runs_schema

    plan = load_sweep(tiny(tmp_path))
    store = RunStore.create(tmp_path / "out", _manifest(plan, None), b"", runs_schema(plan),
                            batch_runs=2)
    _execute(plan, store, _InProcess(), range(6), True, SweepProgress(6), None)
    parts = sorted((tmp_path / "out" / "runs").glob("part-*.parquet"))
    assert len(parts) == 3
    # killed after the merged files were renamed into place, before the batches were removed
    replaces = _json.dumps([p.name for p in parts]).encode()
    name = "part-99999999999999999999-000000-1-merged.parquet"
    _merge_parquet([tmp_path / "out" / "series" / p.name for p in parts],
                   tmp_path / "out" / "series" / name, replaces)
    _merge_parquet(parts, tmp_path / "out" / "runs" / name, replaces)
    assert sorted(RunStore.open(tmp_path / "out").read_runs()["run_id"]) == list(range(6))
    RunStore.open(tmp_path / "out").clean()
    assert [p.name for p in (tmp_path / "out" / "runs").iterdir()] == [name]
    assert [p.name for p in (tmp_path / "out" / "series").iterdir()] == [name]
    runs = pd.read_parquet(tmp_path / "out" / "runs")
    assert sorted(runs["run_id"]) == list(range(6))
    assert len(pd.read_parquet(tmp_path / "out" / "series")) == 6 * 8
    # a finished sweep leaves one file per table
    store = RunStore.open(tmp_path / "out")
    store.compact()
    assert len(list((tmp_path / "out" / "runs").iterdir())) == 1


def test_morris_report_gives_no_elementary_effect_to_a_parameter_without_effect(tmp_path,
                                                                                capsys):
    rows = _null_lever_indices(tmp_path, capsys, "morris", 3)
    assert len(pd.read_parquet(tmp_path / "out" / "runs")) == 3 * (2 + 1)
    assert rows["mobile.cost_per_km"] == [0.0, 0.0]
    assert rows["services.social.awareness"][0] > 0.01
