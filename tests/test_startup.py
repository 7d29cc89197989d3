"""A run's fixed cost: what the command line imports, and figures saved in parallel processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from softsim import store  # noqa: E402
from softsim.cli import main  # noqa: E402

HEAVY = ("matplotlib", "pandas", "mesa", "numba", "scipy", "pyarrow", "importlib.metadata")
"""Modules the command line must not import before it needs them."""


def _imported_by(argv: list[str]) -> tuple[int, list[str]]:
    """Run ``main(argv)`` in a fresh interpreter; its exit code and the heavy modules loaded."""
    code = (
        "import json, sys\n"
        "from softsim.cli import main\n"
        "try:\n"
        f"    rc = main({argv!r})\n"
        "except SystemExit as e:\n"
        "    rc = e.code\n"
        f"print(json.dumps([rc, [m for m in {HEAVY!r} if m in sys.modules]]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    rc, heavy = json.loads(done.stdout.strip().splitlines()[-1])
    return rc, heavy


@pytest.mark.slow  # starts fresh interpreters
@pytest.mark.parametrize(
    ("argv", "rc", "allowed"),
    [
        (["--help"], 0, []),
        (["run", "--help"], 0, []),
        # reading a config loads pydantic, whose plugin loader imports importlib.metadata
        (["run", "no-such-scenario"], 2, ["importlib.metadata"]),
        (["run", "hard", "--set", "nosuch.key=1"], 2, ["importlib.metadata"]),
        (["scenarios"], 0, ["importlib.metadata"]),
    ],
)
def test_help_and_errors_before_the_work_import_nothing_heavy(argv, rc, allowed):
    code, heavy = _imported_by(argv)
    assert code == rc
    assert [m for m in heavy if m not in allowed] == []


def test_version_is_still_printed(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"softsim {version('softsim')}\n"


def _bars(k: int):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.bar(range(k + 2), range(k + 2))
    ax.set_title(f"figure {k}")
    return fig


def _builders(n: int) -> dict:
    return {f"f{k}": (lambda k=k: _bars(k)) for k in range(n)}


def test_figures_saved_in_parallel_are_the_bytes_saved_one_by_one(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    serial = store.write_figures(_builders(5), one, workers=1)
    parallel = store.write_figures(_builders(5), two, workers=2)
    assert [p.name for p in serial] == [p.name for p in parallel] == [f"f{k}.png" for k in range(5)]
    for a, b in zip(serial, parallel, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert sorted(p.name for p in two.iterdir()) == [f"f{k}.png" for k in range(5)]
    plt.close("all")


def test_figures_are_saved_in_this_process_while_another_thread_runs(tmp_path, monkeypatch):
    import threading

    def no_fork():
        raise AssertionError("forked while another thread runs")

    monkeypatch.setattr(os, "fork", no_fork)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        paths = store.write_figures(_builders(3), tmp_path, workers=2)
    finally:
        stop.set()
        thread.join()
    assert [p.name for p in paths] == ["f0.png", "f1.png", "f2.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in paths)
    plt.close("all")


def _fails():
    raise ValueError("a figure that cannot be drawn")


_FAILING_CHILD = """
import sys
from pathlib import Path
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from softsim import store

def bars():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.bar([0, 1], [1, 2])
    return fig

def fails():
    raise ValueError("a figure that cannot be drawn")

root = Path(sys.argv[1])
figures = {"ok": bars, "bad": fails}  # "bad" goes to the child
try:
    with store.atomic_dir(root / "out") as out:
        (out.tmp / "figures").mkdir()
        with store._figure_children(figures, out.tmp / "figures", 2) as mine:
            print("mine", mine)
            store.write_figure(figures["ok"](), out.tmp / "figures" / "ok.png")
except RuntimeError as exc:
    print("raised", exc)
"""


@pytest.mark.slow  # starts fresh interpreters
@pytest.mark.skipif(not hasattr(os, "fork"), reason="figures are saved in one process")
def test_a_failing_figure_in_a_child_fails_the_run_folder_and_writes_nothing(tmp_path):
    # in a fresh interpreter: figures are forked only when no other thread runs, and a test
    # session may have left threads (a Dask client, the page's server)
    done = subprocess.run([sys.executable, "-c", _FAILING_CHILD, str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert "mine ['ok']" in done.stdout, done.stdout + done.stderr
    assert "raised" in done.stdout and "figure process" in done.stdout
    assert "a figure that cannot be drawn" in done.stderr
    assert list(tmp_path.iterdir()) == []


def _slow():
    time.sleep(3)
    return _bars(2)


def _interrupt():
    raise KeyboardInterrupt


@pytest.mark.slow  # forks a figure process, then waits 3.5 s to see that it wrote nothing
@pytest.mark.skipif(not hasattr(os, "fork"), reason="figures are saved in one process")
def test_an_interrupted_parent_stops_its_figure_children(tmp_path):
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        store.write_figures({"mine": _interrupt, "child": _slow}, tmp_path, workers=2)
    assert time.monotonic() - start < 2.5  # the child was killed, not waited for
    time.sleep(3.5)  # had it lived, it would have written child.png by now
    assert list(tmp_path.iterdir()) == []


def test_a_run_folder_from_the_command_line_has_every_figure(tmp_path, capsys):
    out = tmp_path / "run"
    small = ["--set", "territory.population=2000", "--set", "territory.n_communes=20"]
    assert main(["run", "hard", *small, "--years", "1", "--quiet", "--out", str(out)]) == 0
    capsys.readouterr()
    manifest = json.loads((out / "manifest.json").read_text())
    figures = sorted(f for f in manifest["files"] if f.startswith("figures/"))
    assert figures == sorted(f"figures/{n}.png" for n in (
        "coverage_map", "non_take_up_map", "access_map", "lorenz", "coverage_over_time"))
    for f in figures:
        assert (out / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f
    assert not [p for p in out.rglob("*") if "partial" in p.name]


@pytest.mark.parametrize(
    ("cores", "load", "expected"),
    [(2, 0.2, 2), (2, 1.5, 1), (4, 2.5, 2), (1, 0.0, 1), (8, 9.0, 1)],
)
def test_a_second_figure_process_only_on_an_idle_core(monkeypatch, cores, load, expected):
    from softsim import cli

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    assert cli._figure_workers() == expected


@pytest.mark.slow  # starts fresh interpreters
def test_the_model_imports_mesa_without_walking_the_call_stack():
    # inspect.stack() reads every frame's source line through inspect.getframeinfo
    code = (
        "import inspect, json\n"
        "calls = []\n"
        "real = inspect.getframeinfo\n"
        "inspect.getframeinfo = lambda *a, **k: calls.append(a) or real(*a, **k)\n"
        "import softsim.engine\n"
        "import mesa, mesa.model\n"
        "print(json.dumps([len(calls), mesa.model._mesa_logger.name,\n"
        "                  issubclass(softsim.engine.SoftTerritory, mesa.Model),\n"
        "                  inspect.getouterframes.__module__]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=True)
    calls, logger, is_mesa_model, walk_module = json.loads(done.stdout.strip().splitlines()[-1])
    assert calls == 0
    assert logger == "MESA.mesa.model"  # the name Mesa gives it when it walks the stack
    assert is_mesa_model
    assert walk_module == "inspect"  # restored once Mesa is imported


def test_frames_only_gives_the_frames_inspect_gives():
    import inspect

    from softsim.mesa_loader import frames_only

    def both():
        here = inspect.currentframe()
        return frames_only(here), inspect.getouterframes(here)

    quick, full = both()
    assert [f.frame for f in quick] == [f.frame for f in full]
    assert [(f.filename, f.lineno, f.function) for f in quick] == [
        (f.filename, f.lineno, f.function) for f in full]
    assert quick[0].function == "both"


def _png_size(path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as im:
        return im.size


def _labelled(x_label: float = 0.5):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1, 2], [2, 0, 1])
    ax.set_title("a title")
    fig.text(x_label, 0.02, "a label", ha="center")
    return fig


def test_a_figure_is_drawn_once_and_cropped_as_tight_crops_it(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    tight = tmp_path / "tight.png"
    _labelled().savefig(tight, dpi=110, bbox_inches="tight", metadata={"Software": None})
    draws = []
    real = Figure.draw
    monkeypatch.setattr(Figure, "draw", lambda self, r: draws.append(1) or real(self, r))
    saved = store.write_figure(_labelled(), tmp_path / "once.png")
    assert len(draws) == 1  # "tight" draws twice: once to measure, once to save
    (w, h), (tw, th) = _png_size(saved), _png_size(tight)
    assert abs(w - tw) <= 4 and abs(h - th) <= 4, ((w, h), (tw, th))


def test_a_label_past_the_canvas_edge_is_kept_as_tight_keeps_it(tmp_path):
    inside = store.write_figure(_labelled(0.5), tmp_path / "inside.png")
    past = store.write_figure(_labelled(-0.05), tmp_path / "past.png")  # 0.2 inch past the left
    assert _png_size(past)[0] >= _png_size(inside)[0] + 10


@pytest.mark.parametrize("case", ["far past the edge", "transparent"])
def test_a_figure_that_cannot_be_cropped_is_saved_with_tight(tmp_path, case):
    def build():
        # a label across the widened canvas's edge (0.5 inch left of the figure)
        fig = _labelled(-0.12 if case == "far past the edge" else 0.5)
        if case == "transparent":
            fig.patch.set_alpha(0.0)
        return fig

    tight = tmp_path / "tight.png"
    build().savefig(tight, dpi=110, bbox_inches="tight", metadata={"Software": None})
    saved = store.write_figure(build(), tmp_path / "saved.png")
    assert saved.read_bytes() == tight.read_bytes()


@pytest.mark.slow  # starts fresh interpreters
def test_a_run_without_figures_imports_no_figure_or_analysis_library(tmp_path):
    small = ["--set", "territory.population=2000", "--set", "territory.n_communes=20"]
    argv = ["run", "hard", *small, "--years", "1", "--quiet", "--no-figures",
            "--out", str(tmp_path / "run")]
    libraries = ("matplotlib", "PIL", "shapely", "dask", "distributed", "SALib",
                 "ema_workbench", "platypus", "solara")
    code = (
        "import json, sys\n"
        "from softsim.cli import main\n"
        f"rc = main({argv!r})\n"
        f"print(json.dumps([rc, [m for m in {libraries!r} if m in sys.modules]]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=True)
    rc, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert rc == 0
    assert loaded == []
    assert (tmp_path / "run" / "summary.json").exists()


def _fresh(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=True)
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.slow  # starts fresh interpreters
def test_the_figure_code_imports_pyplot_without_its_docstring_tables():
    code = (
        "import inspect, json\n"
        "import softsim.report\n"
        "from matplotlib import artist\n"
        "from matplotlib.lines import Line2D\n"
        "from softsim.pyplot_loader import PLACEHOLDER\n"
        "print(json.dumps([PLACEHOLDER in Line2D.set.__doc__,\n"
        "                  'linewidth' in inspect.signature(Line2D.set).parameters,\n"
        "                  'linewidth' in artist.kwdoc(Line2D)]))\n"
    )
    skipped, signature_kept, kwdoc_restored = json.loads(_fresh(code))
    assert skipped
    assert signature_kept
    assert kwdoc_restored


@pytest.mark.slow  # starts fresh interpreters
def test_pyplot_imported_without_the_tables_draws_the_same_bytes(tmp_path):
    draw = (
        "import matplotlib\n"
        "matplotlib.use('Agg')\n"
        "{importer}\n"
        "fig, ax = plt.subplots(figsize=(3, 2))\n"
        "ax.plot([0, 1, 2], [1, 0, 2], label='a line', lw=1.5)\n"
        "ax.scatter([0.5, 1.5], [1, 1], marker='s', label='points')\n"
        "ax.legend(); ax.set_title('a title'); ax.annotate('a note', (1, 0))\n"
        "fig.savefig({path!r}, dpi=110, metadata={{'Software': None}})\n"
        "print('ok')\n"
    )
    plain, loaded = tmp_path / "plain.png", tmp_path / "loaded.png"
    _fresh(draw.format(importer="import matplotlib.pyplot as plt", path=str(plain)))
    _fresh(draw.format(importer="from softsim.pyplot_loader import import_pyplot\n"
                                "plt = import_pyplot()", path=str(loaded)))
    assert loaded.read_bytes() == plain.read_bytes()
