"""Output paths are checked before the work; writes are atomic, unique and honour the umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import softsim.cli  # noqa: E402
import softsim.engine  # noqa: E402
import softsim.experiment  # noqa: E402
from softsim import store  # noqa: E402
from softsim.cli import main  # noqa: E402
from softsim.errors import SoftsimError  # noqa: E402

SMALL = ["--set", "territory.population=3000", "--set", "territory.n_communes=30", "--years", "1"]


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def no_simulation(monkeypatch):
    """Any simulation fails the test: the checks must come before the work."""

    def fail(*args, **kwargs):
        raise AssertionError("simulated before checking the output")

    monkeypatch.setattr(softsim.engine, "run", fail)
    monkeypatch.setattr(softsim.experiment, "run_replicates", fail)


@pytest.fixture
def umask():
    previous = os.umask(0o022)
    yield os.umask
    os.umask(previous)


def _one_line_exit_2(code: int, err: str, needle: str) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert needle in lines[0]
    assert "Traceback" not in err


def _bad_outs(tmp_path: Path) -> list[tuple[Path, str]]:
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    empty = tmp_path / "empty"
    empty.mkdir()
    link = tmp_path / "link"
    link.symlink_to(empty)
    return [
        (a_file / "out", "is a file, not a folder"),
        (a_file / "deeper" / "out", "is a file, not a folder"),
        (Path("/proc/softsim-nowhere/out"), "cannot write in /proc"),
        (a_file, "already exists"),
        (full, "already exists and is not empty"),
        (link, "symbolic link"),
    ]


@pytest.mark.parametrize("command", ["run", "compare"])
def test_bad_out_is_refused_before_the_work(tmp_path, capsys, no_simulation, command):
    for out, needle in _bad_outs(tmp_path):
        before = sorted(p.name for p in tmp_path.rglob("*"))
        code, _, err = run_cli(capsys, command, "hard", *SMALL, "--out", str(out))
        _one_line_exit_2(code, err, needle)
        assert str(out) in err
        assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written


def test_unwritable_default_results_parent_is_refused_before_the_work(
    tmp_path, capsys, no_simulation, monkeypatch
):
    (tmp_path / "results").write_text("a file where the results folder would go")
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "run", "hard", *SMALL)
    _one_line_exit_2(code, err, "is a file, not a folder")


def test_an_empty_existing_out_folder_is_used_and_keeps_its_mode(tmp_path, capsys, umask):
    out = tmp_path / "empty"
    out.mkdir()
    out.chmod(0o750)
    code, _, _ = run_cli(capsys, "run", "hard", *SMALL, "--no-figures", "--quiet",
                         "--out", str(out))
    assert code == 0
    assert (out / "summary.json").is_file()
    assert stat.S_IMODE(out.stat().st_mode) == 0o750


def test_two_runs_in_the_same_second_get_two_default_folders(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(softsim.cli.time, "strftime", lambda fmt: "20261201-120000")
    for _ in range(2):
        code, _, _ = run_cli(capsys, "run", "hard", *SMALL, "--no-figures", "--quiet")
        assert code == 0
    folders = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert folders == ["hard-20261201-120000", "hard-20261201-120000-2"]
    for name in folders:
        assert (tmp_path / "results" / name / "summary.json").is_file()


def test_default_names_are_reserved_atomically(tmp_path):
    target = tmp_path / "compare-20261201-120000"
    with store.atomic_dir(target, unique=True) as a, store.atomic_dir(target, unique=True) as b:
        (a.tmp / "x").write_text("a")
        (b.tmp / "x").write_text("b")
    assert {a.path.name, b.path.name} == {target.name, f"{target.name}-2"}
    assert (a.path / "x").read_text() == "a" and (b.path / "x").read_text() == "b"
    with store.atomic_dir(target, unique=True) as c:
        pass
    assert c.path.name == f"{target.name}-3"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [target.name, f"{target.name}-2", f"{target.name}-3"])


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_leftovers_of_dead_writers_are_removed_by_the_next_write(tmp_path):
    host = store._HOST
    dead = tmp_path / f".run.{host}-{_dead_pid()}.abcd_123.partial"
    dead.mkdir()
    (dead / "timeseries.parquet").write_bytes(b"trunc")
    dead_png = tmp_path / f".map.png.{host}-{_dead_pid()}.zz99yy00.partial.png"
    dead_png.write_bytes(b"trunc")
    live = tmp_path / f".other.{host}-{os.getpid()}.abcdefgh.partial"
    live.mkdir()
    foreign = tmp_path / f".run.{'0' * 6 if host != '0' * 6 else '1' * 6}-{_dead_pid()}" \
        ".abcdefgh.partial"
    foreign.mkdir()
    unrelated = tmp_path / ".mine.partial"
    unrelated.mkdir()
    with store.atomic_dir(tmp_path / "new") as out:
        (out.tmp / "f").write_text("x")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["new", live.name, foreign.name, unrelated.name])


@pytest.mark.parametrize("error", [KeyboardInterrupt, SoftsimError, OSError])
def test_an_interrupted_write_leaves_nothing(tmp_path, error):
    with pytest.raises(error), store.atomic_dir(tmp_path / "out") as out:
        (out.tmp / "half.parquet").write_bytes(b"half")
        raise error("stop")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("mask", "dirs", "files"), [(0o022, 0o755, 0o644), (0o027, 0o750, 0o640)])
def test_folders_and_figures_honour_the_umask(tmp_path, umask, mask, dirs, files):
    umask(mask)
    fig = plt.figure()
    try:
        with store.atomic_dir(tmp_path / "out") as out:
            (out.tmp / "figures").mkdir()
            store.write_figure(fig, out.tmp / "figures" / "f.png")
            (out.tmp / "a.txt").write_text("a")
        png = store.write_figure(fig, tmp_path / "map.png")
    finally:
        plt.close(fig)
    assert stat.S_IMODE(out.path.stat().st_mode) == dirs
    assert stat.S_IMODE((out.path / "figures").stat().st_mode) == dirs
    assert stat.S_IMODE((out.path / "figures" / "f.png").stat().st_mode) == files
    assert stat.S_IMODE((out.path / "a.txt").stat().st_mode) == files
    assert stat.S_IMODE(png.stat().st_mode) == files


def test_a_run_folder_honours_the_umask(tmp_path, capsys, umask):
    umask(0o027)
    out = tmp_path / "run"
    code, _, _ = run_cli(capsys, "run", "hard", *SMALL, "--quiet", "--out", str(out))
    assert code == 0
    paths = [out, *out.rglob("*")]
    assert any(p.suffix == ".png" for p in paths)
    for p in paths:
        expected = 0o750 if p.is_dir() else 0o640
        assert stat.S_IMODE(p.stat().st_mode) == expected, p


def test_territory_show_does_not_overwrite_without_force(tmp_path, capsys):
    png = tmp_path / "important.png"
    png.write_bytes(b"precious")
    code, _, err = run_cli(capsys, "territory", "show", "grid", "--out", str(png))
    _one_line_exit_2(code, err, "already exists (use --force")
    assert png.read_bytes() == b"precious"
    code, _, _ = run_cli(capsys, "territory", "show", "grid", "--out", str(png), "--force")
    assert code == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["important.png"]


@pytest.mark.parametrize(
    ("name", "needle"),
    [("a_file/map.png", "is a file, not a folder"), ("map.txt", "expected a .png"),
     ("folder", "expected a .png"), ("folder.png", "is a folder")],
)
def test_territory_show_bad_out_is_one_line(tmp_path, capsys, name, needle):
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder.png").mkdir()
    before = sorted(p.name for p in tmp_path.rglob("*"))
    code, out, err = run_cli(capsys, "territory", "show", "grid", "--out", str(tmp_path / name))
    _one_line_exit_2(code, err, needle)
    assert out == ""  # refused before the territory is built
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_territory_show_under_proc_is_one_line(capsys):
    code, _, err = run_cli(capsys, "territory", "show", "grid", "--out", "/proc/nowhere/map.png")
    _one_line_exit_2(code, err, "cannot write in /proc")
