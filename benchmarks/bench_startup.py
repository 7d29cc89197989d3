"""A run's fixed cost: ``softsim run hard --territory dep:23 --years 1`` as a whole process.

Creuse (dep:23, ~115k residents, one year) is small enough that most of a run's time is not the
simulation but what surrounds it. This script measures the whole process and its parts, each in
a fresh interpreter (nothing warm but the OS file cache and numba's on-disk kernel cache):

* **whole process**: the command above (``--quiet``, into a temporary folder), with and without
  ``--no-figures``; also ``softsim --help`` and ``python -c pass`` (the interpreter alone).
* **parts**, timed in one fresh process that does what the command does, step by step: the
  CLI's imports, the simulation's imports (numpy, numba, mesa, the model), loading and checking
  the config, building the model (territory, residents, sites), the first week (which loads
  the compiled kernels from numba's cache), the other weeks, ``collect``, the figures' imports,
  and building the figures and writing the folder (together, as ``softsim run`` overlaps
  them: the figures are built and saved in parallel processes while the tables are written).

Python's bytecode cache is on for these interpreters (``PYTHONDONTWRITEBYTECODE`` is removed from
their environment), as it is by default: the warm-up run writes it, as a user's first run does.

Each whole process and each part is also given in CPU seconds (user + system, forked children
included; rows ending in "(CPU)"): the work done, which a loaded machine inflates far less than
the wall-clock time, so that a change's effect shows even when other jobs share the cores.

``--against DIR/src`` runs another checkout's source the same way, alternating (A B A B …)
after a warm-up pair, and prints each side's median and the ratio this / other pair by pair
(median, min–max): under a loaded machine only such paired ratios are meaningful.
Nothing is asserted; the goal (whole process with figures ≤ 2 s on a quiet 2-core machine) is
printed next to the figure.

``--pieces`` measures instead, in CPU seconds, three pieces each with what it builds on already
loaded: ``import softsim.engine`` (numpy, pandas, scipy, networkx, numba and the config loaded:
mostly mesa and the model), ``import softsim.report`` (pandas and the outcomes' modules loaded:
mostly matplotlib), and saving the five figures of a Creuse run, already built, with
``softsim.store.write_figure``. Small pieces, alternated, so that a change shows under load.

``--floor`` measures what any run of this design pays before it simulates anything, in fresh
interpreters, each step adding to the one before: the interpreter alone; the compute stack
(numpy, numba, scipy.sparse, pydantic); Mesa (with pandas, scipy.spatial and networkx, which it
imports); numba's one-time set-up, the first time a compiled kernel is loaded from the on-disk
cache (one small softsim kernel); pyplot. The last line is the floor of a run with figures.

``--warm`` measures the same command in a process kept warm, as the workshop page, the sweep
workers and a notebook are: one fresh process calls ``softsim.cli.main`` with the command once
(imports, numba's kernels, the data files: what a fresh process pays), then again with figures
and again with ``--no-figures``, and only these two calls are timed.

Usage::

    .venv/bin/python benchmarks/bench_startup.py [--repeat N] [--against DIR/src --pairs N]
    .venv/bin/python benchmarks/bench_startup.py --pieces [--against DIR/src --pairs N]
    .venv/bin/python benchmarks/bench_startup.py --floor [--repeat N]
    .venv/bin/python benchmarks/bench_startup.py --warm [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_S = 2.0
COMMAND = ["run", "hard", "--territory", "dep:23", "--years", "1", "--quiet"]
PARTS = (
    "cli imports",
    "simulation imports",
    "config",
    "build model",
    "first week",
    "other weeks",
    "collect",
    "figure imports",
    "figures and write",
)


def _parts() -> None:
    """Child: do what ``softsim run`` does, step by step, and print the parts' seconds as JSON."""
    seconds: dict[str, float] = {}
    clock, cpu = time.perf_counter(), _own_cpu()

    def lap(name: str) -> None:
        nonlocal clock, cpu
        now, now_cpu = time.perf_counter(), _own_cpu()
        seconds[name], seconds[f"{name} (CPU)"] = now - clock, now_cpu - cpu
        clock, cpu = now, now_cpu

    import softsim.cli  # noqa: F401

    lap("cli imports")
    from softsim.config import check_runnable, load_config, resolve_seed
    from softsim.model import SoftTerritory
    from softsim.outcomes import collect

    lap("simulation imports")
    cfg = load_config("hard", ['territory.spec="dep:23"', "simulation.years=1"])
    check_runnable(cfg)
    cfg, seed = resolve_seed(cfg, None)
    lap("config")
    model = SoftTerritory(cfg, seed)
    lap("build model")
    model.step()
    lap("first week")
    for _ in range(cfg.weeks - 1):
        model.step()
    lap("other weeks")
    outcomes = collect(model)
    lap("collect")
    from softsim.store import write_run

    try:  # what `softsim run` does: figures built and saved while the tables are written
        from softsim.cli import _figure_workers
        from softsim.report import run_figure_builders

        lap("figure imports")
        figures, options = run_figure_builders(outcomes), {"workers": _figure_workers()}
    except ImportError:  # an older source: figures built first, then saved one by one
        from softsim.report import run_figures

        lap("figure imports")
        figures, options = run_figures(outcomes), {}
    with tempfile.TemporaryDirectory() as tmp:
        write_run(outcomes, Path(tmp) / "out", figures, command=["bench"], **options)
        lap("figures and write")
    print(json.dumps(seconds))


WARM = ("run, figures (warm)", "run, --no-figures (warm)")


def _warm() -> None:
    """Child: the command once cold, then timed again with and without figures (JSON)."""
    from softsim.cli import main

    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, extra in ((None, []), (WARM[0], []), (WARM[1], ["--no-figures"])):
            clock, cpu = time.perf_counter(), _own_cpu()
            folder = str(Path(tmp) / (name or "cold").replace(" ", "_").replace(",", ""))
            if main([*COMMAND, *extra, "--out", folder]) != 0:
                raise SystemExit("bench_startup: the command failed in the warm process")
            if name:
                seconds[name] = time.perf_counter() - clock
                seconds[f"{name} (CPU)"] = _own_cpu() - cpu
    print(json.dumps(seconds))


PIECES = ("import softsim.engine", "import softsim.report", "save the five figures")


def _pieces() -> None:
    """Child: CPU seconds of three pieces, each with what it builds on already loaded."""
    seconds: dict[str, float] = {}
    import networkx  # noqa: F401
    import numba  # noqa: F401
    import numpy as np
    import pandas  # noqa: F401
    import scipy.spatial  # noqa: F401

    import softsim.config  # noqa: F401

    cpu = _own_cpu()
    import softsim.engine  # mostly mesa and the model's own modules

    seconds["import softsim.engine"] = _own_cpu() - cpu
    import softsim.metrics  # noqa: F401
    import softsim.outcomes  # noqa: F401
    import softsim.territory  # noqa: F401

    cpu = _own_cpu()
    from softsim import report  # mostly matplotlib

    seconds["import softsim.report"] = _own_cpu() - cpu
    from softsim.config import check_runnable, load_config, resolve_seed
    from softsim.store import write_figure

    cfg = load_config("hard", ['territory.spec="dep:23"', "simulation.years=1"])
    check_runnable(cfg)
    cfg, seed = resolve_seed(cfg, None)
    outcomes = softsim.engine.run(cfg, seed)
    figures = {name: build() for name, build in report.run_figure_builders(outcomes).items()}
    with tempfile.TemporaryDirectory() as tmp:
        warm, ax = report.plt.subplots()  # fonts and the PNG writer loaded before timing
        ax.plot(np.arange(3))
        write_figure(warm, Path(tmp) / "warm.png")
        cpu = _own_cpu()
        for name, fig in figures.items():
            write_figure(fig, Path(tmp) / f"{name}.png")
        seconds["save the five figures"] = _own_cpu() - cpu
    print(json.dumps(seconds))


FLOOR = (
    ("interpreter", "pass"),
    ("+ numpy, numba, scipy.sparse, pydantic", "import numpy, numba, scipy.sparse, pydantic"),
    ("+ mesa (pandas, networkx, scipy.spatial)", "from softsim.mesa_loader import mesa"),
    ("+ numba's first cached kernel load",
     "import numpy as np; from softsim.awareness_kernels import group_by_commune; "
     "group_by_commune(np.zeros(4, np.int64), np.zeros(4, np.int64), 2)"),
    ("+ pyplot", "from softsim.pyplot_loader import import_pyplot; import_pyplot()"),
)


def measure_floor(src: str | None) -> dict[str, float]:
    """Wall and CPU seconds of fresh interpreters, each importing more (see :data:`FLOOR`)."""
    python, env = _python(src)
    out: dict[str, float] = {}
    code = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, line in FLOOR:
            code.append(line)
            out[name], out[f"{name} (CPU)"], _ = _timed([*python, "-c", "; ".join(code)], env, tmp)
    return out


def _python(src: str | None) -> tuple[list[str], dict]:
    env = dict(os.environ)
    # Python's default: modules' bytecode is cached on first import (the warm-up writes it);
    # an environment that turns the cache off would time the compilation of every source
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if src:
        env["PYTHONPATH"] = src
    return [sys.executable], env


def _own_cpu() -> float:
    """CPU seconds (user + system) of this process and of the children it waited for."""
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                   resource.getrusage(resource.RUSAGE_CHILDREN)))


def _children_cpu() -> float:
    """CPU seconds (user + system) of the children waited for so far, theirs included."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(argv: list[str], env: dict, cwd: str) -> tuple[float, float, str]:
    """Wall and CPU seconds of one fresh process (CPU: its forked children included)."""
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"bench_startup: {' '.join(argv[:4])} … failed:\n{done.stderr[-2000:]}")
    return elapsed, _children_cpu() - cpu, done.stdout


def measure_all(src: str | None) -> dict[str, float]:
    """One fresh measurement of every figure for the source at ``src`` (None: this one)."""
    python, env = _python(src)
    cli = [*python, "-c", "import sys; from softsim.cli import main; sys.exit(main())"]
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out["python -c pass"], _, _ = _timed([*python, "-c", "pass"], env, tmp)
        out["softsim --help"], _, _ = _timed([*cli, "--help"], env, tmp)
        out["run, figures"], out["run, figures (CPU)"], _ = _timed(
            [*cli, *COMMAND, "--out", "a"], env, tmp)
        out["run, --no-figures"], out["run, --no-figures (CPU)"], _ = _timed(
            [*cli, *COMMAND, "--no-figures", "--out", "b"], env, tmp)
        _, _, text = _timed([*python, __file__, "--parts"], env, tmp)
    out.update(json.loads(text.strip().splitlines()[-1]))
    return out


def measure_warm(src: str | None) -> dict[str, float]:
    """One fresh process: the command's wall and CPU seconds once warm (see :func:`_warm`)."""
    python, env = _python(src)
    with tempfile.TemporaryDirectory() as tmp:
        _, _, text = _timed([*python, __file__, "--warm-child"], env, tmp)
    return json.loads(text.strip().splitlines()[-1])


def measure_pieces(src: str | None) -> dict[str, float]:
    """One fresh measurement of the pieces (CPU seconds) for the source at ``src``."""
    python, env = _python(src)
    with tempfile.TemporaryDirectory() as tmp:
        _, _, text = _timed([*python, __file__, "--pieces-child"], env, tmp)
    return json.loads(text.strip().splitlines()[-1])


def _table(rows: dict[str, list[float]], other: dict[str, list[float]] | None) -> None:
    width = max(30, *(len(name) + 2 for name in rows))
    header = f"{'part':<{width}}{'this (s)':>10}"
    if other is not None:
        header += f"{'other (s)':>11}{'this/other':>12}{'  min–max':>14}"
    print(header)
    for name, values in rows.items():
        line = f"{name:<{width}}{statistics.median(values):>10.3f}"
        if other is not None:
            ratios = [a / b for a, b in zip(values, other[name], strict=True) if b > 0]
            line += f"{statistics.median(other[name]):>11.3f}"
            if ratios:
                line += (f"{statistics.median(ratios):>12.2f}"
                         f"{min(ratios):>7.2f}–{max(ratios):.2f}")
        print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pieces-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pieces", action="store_true",
                        help="only the CPU seconds of three pieces: the model's imports, the "
                             "figure code's imports, saving the five figures")
    parser.add_argument("--floor", action="store_true",
                        help="only what any run pays before simulating: the imports and "
                             "numba's first kernel load, step by step")
    parser.add_argument("--warm-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--warm", action="store_true",
                        help="only the command in a process kept warm: a second call of "
                             "softsim.cli.main, with and without figures")
    parser.add_argument("--repeat", type=int, default=3, help="fresh measurements (default 3)")
    parser.add_argument("--against", help="another checkout's src/ to time side by side")
    parser.add_argument("--pairs", type=int, default=3, help="pairs for --against (default 3)")
    args = parser.parse_args(argv)
    if args.parts:
        _parts()
        return 0
    if args.pieces_child:
        _pieces()
        return 0
    if args.warm_child:
        _warm()
        return 0
    what = ("CPU seconds of the pieces" if args.pieces else
            "fresh interpreters, each step adding to the one before" if args.floor else
            "the command in a process kept warm" if args.warm else
            "whole processes and their parts")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"{what}, seconds (median)")
    n = args.pairs if args.against else args.repeat
    measure = (measure_pieces if args.pieces else measure_floor if args.floor else
               measure_warm if args.warm else measure_all)
    measure(None)  # warm-up: numba's cache, the OS file cache
    if args.against:
        measure(args.against)
    mine: dict[str, list[float]] = {}
    theirs: dict[str, list[float]] | None = {} if args.against else None
    for _ in range(n):
        for name, value in measure(None).items():
            mine.setdefault(name, []).append(value)
        if theirs is not None:
            for name, value in measure(args.against).items():
                theirs.setdefault(name, []).append(value)
    if args.pieces:
        _table({f"{k} (CPU)": mine[k] for k in PIECES},
               {f"{k} (CPU)": theirs[k] for k in PIECES} if theirs is not None else None)
        return 0
    if args.floor:
        _table(mine, theirs)
        print(f"\nthe floor of a run with figures: {statistics.median(mine[FLOOR[-1][0]]):.2f} s "
              f"(goal of the whole process ≤ {GOAL_S:.0f} s)")
        return 0
    if args.warm:
        _table(mine, theirs)
        print(f"\nthe command with figures in a warm process: "
              f"{statistics.median(mine[WARM[0]]):.2f} s (goal ≤ {GOAL_S:.0f} s)")
        return 0
    rows = {k: mine[k] for k in ("python -c pass", "softsim --help", "run, figures",
                                 "run, --no-figures", "run, figures (CPU)",
                                 "run, --no-figures (CPU)")}
    rows.update({k: mine[k] for k in PARTS})
    rows.update({f"{k} (CPU)": mine[f"{k} (CPU)"] for k in PARTS})
    _table(rows, {k: theirs[k] for k in rows} if theirs is not None else None)
    whole = statistics.median(mine["run, figures"])
    print(f"\nwhole process with figures: {whole:.2f} s (goal ≤ {GOAL_S:.0f} s on a quiet "
          f"2-core machine; load average now {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
