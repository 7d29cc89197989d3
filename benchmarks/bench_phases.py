"""Seconds of each phase of the weekly step, this source against others, run after run.

Each round runs this tree's softsim and then each ``--against`` tree's, every one in a fresh
process: a small warm-up run first loads the compiled kernels from numba's cache (the serial
and the parallel compilations), then ``--scenario`` with ``--size`` residents runs ``--years``
week by week with every phase of the schedule timed three ways:

* **thread**: CPU seconds of the main thread (``time.thread_time``, the default): only what the
  run computes, so phase costs of two trees compare even while other jobs use the cores (cache
  sharing still inflates both);
* **process**: CPU seconds of the whole process (``time.process_time``), the kernels' worker
  threads included: what a parallel kernel costs in all;
* **wall**: elapsed seconds (``time.perf_counter``), which a busy machine inflates.

The table gives, for the chosen ``--clock``, the median over the rounds of each phase and of
the weekly loop, and the ratio this / other round by round: median (min–max). Pairing each
round cancels slow drifts of a shared machine's speed.

``--threads 1,2`` repeats the rounds for each ``NUMBA_NUM_THREADS`` value; ``--always-parallel``
runs this tree's parallel kernels even without a spare core (:mod:`softsim.threads`).
``--allocate-parts`` adds the parts of the ``allocate`` phase: the call of the compiled greedy
with what it prepares (``kernel call``: the week's travel minutes to the sites, the needs'
rows), ``Reception.kernel_types``, and the rest (``order and keys``: priority draws, keys, their
order, the copy of the capacities).

Figures are printed, never asserted.

Usage::

    .venv/bin/python benchmarks/bench_phases.py --scenario soft --size 1000000 --years 1 \\
        --against /path/to/other/src [--rounds 2] [--clock thread|process|wall] \\
        [--threads 1,2] [--always-parallel] [--allocate-parts]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from unittest import mock

CLOCKS = {"thread": time.thread_time, "process": time.process_time, "wall": time.perf_counter}
ALLOCATE_PARTS = ("kernel call", "kernel types", "order and keys")
WARM_UP_WEEKS = 16
"""Weeks of the warm-up run: four orchestrator reviews, so every weekly kernel is loaded."""


def _warm_up(scenario: str, always_parallel: bool) -> None:
    """Load every weekly kernel, serial and parallel, from numba's cache (any source)."""
    from softsim.config import load_config
    from softsim.model import SoftTerritory

    try:
        import softsim.threads as threads
    except ImportError:  # a source from before the parallel kernels
        threads = None
    least = threads.PARALLEL_MIN if threads else None
    warm = SoftTerritory(load_config(scenario, ["territory.population=2000",
                                                "simulation.years=1"]), 1)
    for week in range(WARM_UP_WEEKS):  # serial compilations, then parallel ones
        if threads:
            threads.PARALLEL_MIN = least if week < WARM_UP_WEEKS // 2 else 0
            threads.ONLY_SPARE_CORES = week < WARM_UP_WEEKS // 2
        warm.step()
    if threads:
        threads.PARALLEL_MIN = least
        threads.ONLY_SPARE_CORES = not always_parallel


def _allocate_timers(seconds: dict) -> contextlib.ExitStack:
    """Patches adding the seconds of the allocate phase's parts to ``seconds`` (all clocks)."""
    import softsim.model
    from softsim.reception import Reception

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            start = {c: clock() for c, clock in CLOCKS.items()}
            try:
                return fn(*args, **kwargs)
            finally:
                for c, clock in CLOCKS.items():
                    seconds[c][name] = seconds[c].get(name, 0.0) + clock() - start[c]

        return wrapper

    stack = contextlib.ExitStack()
    stack.enter_context(mock.patch.object(softsim.model, "allocate",
                                          timed("kernel call", softsim.model.allocate)))
    stack.enter_context(mock.patch.object(Reception, "kernel_types",
                                          timed("kernel types", Reception.kernel_types)))
    return stack


def child(args: argparse.Namespace) -> None:
    """In a fresh process: the warm-up, then one timed run; print every clock's seconds."""
    from softsim.config import load_config
    from softsim.model import SoftTerritory

    _warm_up(args.scenario, args.always_parallel)
    seconds: dict[str, dict[str, float]] = {c: {} for c in CLOCKS}
    with _allocate_timers(seconds) if args.allocate_parts else contextlib.nullcontext():
        cfg = load_config(args.scenario, [f"territory.population={args.size}",
                                          f"simulation.years={args.years}"])
        model = SoftTerritory(cfg, args.seed)
        loop = {c: clock() for c, clock in CLOCKS.items()}
        for _ in range(cfg.weeks):
            for phase in model._phases:
                name = phase.__name__.removeprefix("phase_")
                start = {c: clock() for c, clock in CLOCKS.items()}
                phase()
                for c, clock in CLOCKS.items():
                    seconds[c][name] = seconds[c].get(name, 0.0) + clock() - start[c]
            model.week += 1
        for c, clock in CLOCKS.items():
            seconds[c]["weekly loop"] = clock() - loop[c]
    if args.allocate_parts:
        for c in CLOCKS:
            parts = seconds[c]
            parts["order and keys"] = (parts["allocate"] - parts.get("kernel call", 0.0)
                                       - parts.get("kernel types", 0.0))
    print(json.dumps(seconds))


def measure(src: str | None, args: argparse.Namespace, threads: int | None) -> dict:
    """One fresh run of the softsim of ``src`` (None: this tree's)."""
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--scenario", args.scenario,
           "--size", str(args.size), "--years", str(args.years), "--seed", str(args.seed)]
    cmd += ["--allocate-parts"] * args.allocate_parts
    cmd += ["--always-parallel"] * (args.always_parallel and src is None)
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    env = {**os.environ, "PYTHONPATH": os.path.abspath(src or here)}
    if threads is not None:
        env["NUMBA_NUM_THREADS"] = str(threads)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def _rows(runs: list[dict], clock: str) -> list[str]:
    """Phases in the schedule's order, the allocate parts after ``allocate``, the loop last."""
    names = [n for n in runs[0][clock] if n not in (*ALLOCATE_PARTS, "weekly loop")]
    if ALLOCATE_PARTS[0] in runs[0][clock]:
        at = names.index("allocate") + 1
        names[at:at] = [f"  {p}" for p in ALLOCATE_PARTS]
    return [*names, "weekly loop"]


def table(runs: dict[int, list[dict]], trees: list, clock: str) -> None:
    """Print the medians of this tree and each other, and the round-by-round ratios."""
    head = f"{'phase':<18}{'this':>9}" + "".join(
        f"{'other ' + str(i):>10}{'ratio':>7}{'min–max':>12}" for i in range(1, len(trees)))
    print(head)
    for row in _rows(runs[0], clock):
        name = row.strip()
        this = [r[clock].get(name, 0.0) for r in runs[0]]
        line = f"{row:<18}{statistics.median(this):>9.3f}"
        for i in range(1, len(trees)):
            other = [r[clock].get(name, 0.0) for r in runs[i]]
            ratios = [a / b for a, b in zip(this, other, strict=True) if b > 0]
            line += f"{statistics.median(other):>10.3f}"
            line += (f"{statistics.median(ratios):>7.2f}{min(ratios):>6.2f}–{max(ratios):.2f}"
                     if ratios else f"{'':>19}")
        print(line)


def main(argv: list[str] | None = None) -> int:
    """Run the rounds and print one table per thread count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="soft")
    parser.add_argument("--size", type=int, default=100_000, help="residents")
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--against", action="append", default=[], metavar="SRC")
    parser.add_argument("--clock", choices=tuple(CLOCKS), default="thread")
    parser.add_argument("--threads", help="NUMBA_NUM_THREADS values, e.g. 1,2 (default: unset)")
    parser.add_argument("--always-parallel", action="store_true",
                        help="this tree's parallel kernels even when no core is spare")
    parser.add_argument("--allocate-parts", action="store_true",
                        help="also time the parts of the allocate phase")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return 0
    trees = [None, *args.against]
    for threads in [int(t) for t in args.threads.split(",")] if args.threads else [None]:
        load = os.getloadavg()[0]
        runs: dict[int, list[dict]] = {i: [] for i in range(len(trees))}
        for _ in range(args.rounds):
            for i, src in enumerate(trees):
                runs[i].append(measure(src, args, threads))
        print(f"\n{args.scenario}, {args.size:,} residents, {args.years} year(s), seed "
              f"{args.seed}, NUMBA_NUM_THREADS {threads or 'unset'}"
              f"{', always parallel' if args.always_parallel else ''}; {args.clock} seconds "
              f"per phase, median of {args.rounds} round(s); load average {load:.2f} at "
              f"start, {os.getloadavg()[0]:.2f} at end")
        table(runs, trees, args.clock)
    for i, src in enumerate(args.against, 1):
        print(f"other {i}: {src}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
