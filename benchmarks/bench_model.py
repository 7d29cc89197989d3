"""Full runs of ``hard`` and ``soft``: wall time, peak memory, bytes per resident, phase shares.

``hard`` is the baseline; ``soft`` has every mechanism on (pop-up modules and the orchestrator,
a mobile agent, a bus, demand-responsive transport, associations, information). Both have the
same goals. For each scenario and size (residents on the default synthetic territory, via
``territory.population``):

* **wall time**: ``softsim.run(cfg, seed)`` over the whole horizon (312 weeks), in this process,
  after a small warm-up run that loads the compiled kernel from numba's on-disk cache; median over
  ``--repeat`` runs. It includes building the territory, residents and sites, and ``collect``.
* **peak RSS**: the same run in a fresh subprocess that reports its own
  ``getrusage(RUSAGE_SELF).ru_maxrss`` once imports are done and after the run (the first figure
  is the interpreter with numpy, numba, mesa and pandas loaded). That child also reports its wall
  time, which includes loading the kernel from the cache. On Linux, ``ru_maxrss`` survives
  ``exec``: a child forked from this (large) process would report at least this process's RSS.
  So the child is started through a tiny launcher process, and it also reports ``VmHWM`` from
  ``/proc/self/status`` as a cross-check.
* **bytes per resident**: ``Residents.nbytes() / n``.
* **phase shares**: one more run, stepped week by week with :meth:`SoftTerritory.step`, with
  each phase of :data:`softsim.model.SCHEDULE` timed (see :func:`timed_phases`); building the
  model and ``collect`` are timed too, outside the weekly loop.

Figures are printed against their goals, never asserted.

Usage::

    .venv/bin/python benchmarks/bench_model.py [--quick] [--repeat N] [--seed S] [--scenario S]
        [--size RESIDENTS] [--against SRC --pairs N]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from unittest import mock

import mesa
import numba
import numpy as np

from softsim.config import Config, load_config
from softsim.engine import run
from softsim.model import SCHEDULE, SoftTerritory
from softsim.outcomes import collect

SCENARIOS = ("hard", "soft")
SIZES = (100_000, 1_000_000)
QUICK_SIZES = (10_000, 30_000)
QUICK_YEARS = 1
WALL_GOAL_S = {100_000: 3.0, 1_000_000: 8.0}  # issue #15: 1M x 312 weeks in <= 8 s
RSS_GOAL_MB = 600.0
BYTES_GOAL = 150.0


def config(scenario: str, population: int, years: int | None) -> Config:
    """``scenario`` with ``population`` residents (and ``years`` if given)."""
    overrides = [f"territory.population={population}"]
    if years is not None:
        overrides.append(f"simulation.years={years}")
    return load_config(scenario, overrides)


def maxrss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def wall_time(cfg: Config, seed: int, repeat: int) -> float:
    """Median wall time of ``run(cfg, seed)`` over ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run(cfg, seed)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@contextlib.contextmanager
def timed_phases(seconds: dict[str, float]) -> Iterator[None]:
    """While active, every ``phase_<name>`` of :class:`SoftTerritory` adds its time to ``seconds``.

    The methods are wrapped on the class, so a model built inside the block runs its real
    :meth:`~SoftTerritory.step` (counters reset, phases of :data:`SCHEDULE` in order, week
    advanced) with each phase timed.
    """

    def timed(name: str, method: Callable[[SoftTerritory], None]):
        @functools.wraps(method)
        def wrapper(model: SoftTerritory) -> None:
            start = time.perf_counter()
            method(model)
            seconds[name] += time.perf_counter() - start

        return wrapper

    with contextlib.ExitStack() as stack:
        for p in SCHEDULE:
            attr = f"phase_{p.name}"
            wrapped = timed(p.name, getattr(SoftTerritory, attr))
            stack.enter_context(mock.patch.object(SoftTerritory, attr, wrapped))
        yield


def phase_profile(cfg: Config, seed: int) -> dict:
    """Seconds spent building the model, in each phase of the weekly step, and in ``collect``.

    ``step`` is the whole weekly loop; what it spends beyond its phases is Mesa's step
    bookkeeping and the reset of the week's counters.
    """
    phases = {p.name: 0.0 for p in SCHEDULE}
    with timed_phases(phases):
        start = time.perf_counter()
        model = SoftTerritory(cfg, seed)
        build = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(cfg.weeks):
            model.step()
        step = time.perf_counter() - start
    start = time.perf_counter()
    collect(model)
    return {
        "build": build,
        "phases": phases,
        "step": step,
        "collect": time.perf_counter() - start,
        "bytes_per_resident": model.residents.nbytes() / model.residents.n,
        "residents": model.residents.n,
    }


def vmhwm_mb() -> float | None:
    """Peak RSS of this process image from ``/proc/self/status`` (MB), None where unavailable."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def child(scenario: str, population: int, years: int | None, seed: int) -> None:
    """In a fresh process: one run, then print its wall time and RSS figures as JSON."""
    cfg = config(scenario, population, years)
    rss_imports = maxrss_mb()
    start = time.perf_counter()
    run(cfg, seed)
    wall = time.perf_counter() - start
    print(
        json.dumps(
            {
                "fresh_s": wall,
                "rss_imports_mb": rss_imports,
                "rss_peak_mb": maxrss_mb(),
                "vmhwm_mb": vmhwm_mb(),
            }
        )
    )


LAUNCHER = "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)"
"""Run argv[1:] from a small Python process, so that the child does not inherit our ru_maxrss."""


def measure_in_child(
    scenario: str, population: int, years: int | None, seed: int, src: str | None = None
) -> dict:
    """Run :func:`child` in a fresh process (through :data:`LAUNCHER`); return what it printed.

    ``src``: run the ``softsim`` of that source folder instead of the installed one.
    """
    cmd = [
        sys.executable,
        "-c",
        LAUNCHER,
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        str(population),
        "--scenario",
        scenario,
        "--seed",
        str(seed),
    ]
    if years is not None:
        cmd += ["--years", str(years)]
    env = None if src is None else {**os.environ, "PYTHONPATH": src}
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def paired_against(
    src: str, scenario: str, population: int, years: int | None, seed: int, pairs: int
) -> dict:
    """Fresh runs of this source and of ``src`` in turn (A B A B …), after one warm-up pair.

    Returns the median run time of each side and the median, min and max of the ratio
    this / other, pair by pair (the pairing cancels slow drifts of the machine's speed).
    """
    for side in (None, src):  # warm-up: each side loads or compiles its kernels
        measure_in_child(scenario, 1_000, 1, seed, side)
    this, other = [], []
    for _ in range(pairs):
        this.append(measure_in_child(scenario, population, years, seed)["fresh_s"])
        other.append(measure_in_child(scenario, population, years, seed, src)["fresh_s"])
    ratios = [a / b for a, b in zip(this, other, strict=True)]
    return {
        "this_s": statistics.median(this),
        "other_s": statistics.median(other),
        "ratio": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
    }


def verdict(value: float, goal: float | None) -> str:
    """``ok`` / ``MISSED`` against an upper-bound goal, empty when there is none."""
    if goal is None:
        return ""
    return "ok" if value <= goal else "MISSED"


def machine() -> str:
    """One line describing this machine and the library versions."""
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} CPUs, {mem_gb:.0f} GB RAM, {platform.machine()}, "
        f"Python {platform.python_version()}, numpy {np.__version__}, "
        f"numba {numba.__version__}, mesa {mesa.__version__}"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{' and '.join(f'{n:,}' for n in QUICK_SIZES)} residents, "
        f"{QUICK_YEARS} year (smoke check)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="runs per size for the wall time (median); default 3, quick 1",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--scenario",
        action="append",
        choices=SCENARIOS,
        help="scenario to run (repeatable); default: " + " and ".join(SCENARIOS),
    )
    parser.add_argument(
        "--against",
        metavar="SRC",
        help="also time the softsim of another source folder (e.g. an older revision's src/, "
        "from `git archive REV src configs`), alternating fresh runs, and print the ratios",
    )
    parser.add_argument("--pairs", type=int, default=3, help="pairs of runs for --against")
    parser.add_argument(
        "--size",
        type=int,
        action="append",
        metavar="RESIDENTS",
        help="residents of a run (repeatable); default: "
        + " and ".join(f"{n:,}" for n in SIZES),
    )
    parser.add_argument("--child", type=int, metavar="RESIDENTS", help=argparse.SUPPRESS)
    parser.add_argument("--years", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        child((args.scenario or ["hard"])[0], args.child, args.years, args.seed)
        return 0
    scenarios = args.scenario or list(SCENARIOS)
    sizes = tuple(args.size) if args.size else QUICK_SIZES if args.quick else SIZES
    years = QUICK_YEARS if args.quick else None
    repeat = args.repeat or (1 if args.quick else 3)

    load = os.getloadavg()[0]
    for scenario in scenarios:  # warm-up: loads the numba cache (compiles if missing)
        run(config(scenario, 1_000, 1), args.seed)

    rows = []
    for scenario, n in [(sc, n) for sc in scenarios for n in sizes]:
        cfg = config(scenario, n, years)
        rows.append(
            {
                "scenario": scenario,
                "n": n,
                "weeks": cfg.weeks,
                "wall_s": wall_time(cfg, args.seed, repeat),
                **measure_in_child(scenario, n, years, args.seed),
                **phase_profile(cfg, args.seed),
            }
        )

    print(
        f"{' and '.join(scenarios)} scenarios, synthetic territory, seed {args.seed}; {machine()}"
    )
    print(
        f"load average at start: {load:.2f}, at end: {os.getloadavg()[0]:.2f} "
        "(other processes share the CPUs when above 0)"
    )
    print(
        f"\nwall time: median of {repeat} in-process run(s) after a warm-up run; fresh: first "
        "run in a new process (includes loading the numba cache)"
    )
    print(
        f"{'scenario':<9}{'residents':>10} {'weeks':>6} {'wall s':>8} {'goal s':>7} {'':6} "
        f"{'fresh s':>8}"
    )
    for r in rows:
        goal = WALL_GOAL_S.get(r["n"])
        print(
            f"{r['scenario']:<9}{r['residents']:>10,} {r['weeks']:>6} {r['wall_s']:>8.2f} "
            f"{goal if goal else '-':>7} {verdict(r['wall_s'], goal):6} {r['fresh_s']:>8.2f}"
        )

    print(
        f"\nmemory: peak RSS (ru_maxrss) of the fresh process, goal <= {RSS_GOAL_MB:.0f} MB; "
        f"population arrays, goal <= {BYTES_GOAL:.0f} bytes per resident"
    )
    print(
        f"{'scenario':<9}{'residents':>10} {'peak MB':>8} {'':6} {'imports MB':>10} "
        f"{'run MB':>7} {'VmHWM MB':>9} {'B/resident':>11}"
    )
    for r in rows:
        hwm = r["vmhwm_mb"]
        print(
            f"{r['scenario']:<9}{r['residents']:>10,} {r['rss_peak_mb']:>8.0f} "
            f"{verdict(r['rss_peak_mb'], RSS_GOAL_MB):6} {r['rss_imports_mb']:>10.0f} "
            f"{r['rss_peak_mb'] - r['rss_imports_mb']:>7.0f} "
            f"{'-' if hwm is None else f'{hwm:.0f}':>9} {r['bytes_per_resident']:>11.1f} "
            f"{verdict(r['bytes_per_resident'], BYTES_GOAL)}"
        )

    print("\nshare of the weekly loop (step), per phase; seconds in brackets")
    print(f"{'':<10}" + "".join(f"{r['scenario']:>22}" for r in rows))
    print(f"{'phase':<10}" + "".join(f"{r['residents']:>22,}" for r in rows))
    for name in [p.name for p in SCHEDULE] + ["other"]:
        cells = []
        for r in rows:
            sec = r["phases"].get(name, r["step"] - sum(r["phases"].values()))
            cells.append(f"{sec / r['step']:>13.1%} ({sec:5.2f} s)")
        print(f"{name:<10}" + "".join(cells))
    print(f"{'step':<10}" + "".join(f"{'':>13} ({r['step']:5.2f} s)" for r in rows))
    for r in rows:
        print(
            f"{r['scenario']} {r['residents']:,} residents: build {r['build']:.2f} s, "
            f"weekly loop {r['step']:.2f} s, collect {r['collect']:.2f} s"
        )
    if args.against:
        print(
            f"\nagainst {args.against}: fresh runs alternating, {args.pairs} pairs after a "
            "warm-up pair; ratio = this / other, median (min-max) of the pairs"
        )
        print(f"{'scenario':<9}{'residents':>10} {'this s':>8} {'other s':>8} {'ratio':>7}")
        for scenario, n in [(sc, n) for sc in scenarios for n in sizes]:
            p = paired_against(args.against, scenario, n, years, args.seed, args.pairs)
            print(
                f"{scenario:<9}{n:>10,} {p['this_s']:>8.2f} {p['other_s']:>8.2f} "
                f"{p['ratio']:>7.3f} ({p['ratio_min']:.3f}-{p['ratio_max']:.3f})"
            )
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
