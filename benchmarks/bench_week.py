"""The ``needs`` and ``options`` phases of the week, this source against another, paired.

Each measurement is a fresh process that builds ``scenario`` with ``--size`` residents (default
synthetic territory), runs ``--years`` years week by week with every phase timed
and reports the wall seconds of ``needs`` and ``options``, their CPU seconds (process time, all
threads: on a shared machine the wall time also counts the waits for a core), and the wall
seconds of the whole weekly loop. Before timing, a small run with every weekly kernel in its
serial and in its parallel compilation loads the compiled kernels from numba's cache, so the
timed run measures the work. This source's kernels run in parallel only with a core to spare
(:mod:`softsim.threads`) unless ``--always-parallel``.
Runs of this source (for each ``--threads`` value, as ``NUMBA_NUM_THREADS``) and of ``--against``
alternate, ``--pairs`` times; ratios are taken pair by pair (the pairing cancels slow drifts of
a shared machine's speed) and their median reported.

Usage::

    .venv/bin/python benchmarks/bench_week.py --against /tmp/base/src [--size 1000000]
        [--years 1] [--pairs 3] [--threads 1,2] [--scenario hard --scenario soft]
        [--always-parallel]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PHASES = ("needs", "options")


def child(scenario: str, size: int, years: int, always_parallel: bool) -> None:
    """Print the phase seconds of one run as JSON (in a fresh process)."""
    from bench_model import config

    from softsim.model import SoftTerritory

    try:  # this source: warm the parallel compilations too
        import softsim.threads as threads
    except ImportError:  # a source from before the weekly kernels
        threads = None
    least = threads.PARALLEL_MIN if threads else None
    warm = SoftTerritory(config(scenario, 2_000, 1), 1)
    for week in range(4):  # serial compilations, then parallel ones
        if threads:
            threads.PARALLEL_MIN = least if week < 2 else 0
            threads.ONLY_SPARE_CORES = week < 2
        warm.step()
    if threads:
        threads.PARALLEL_MIN = least
        threads.ONLY_SPARE_CORES = not always_parallel
    wall = {p: 0.0 for p in PHASES}
    cpu = {p: 0.0 for p in PHASES}
    for name in PHASES:  # wall and CPU seconds (all threads) of the two phases
        setattr(SoftTerritory, f"phase_{name}", _timed(getattr(SoftTerritory, f"phase_{name}"),
                                                       name, wall, cpu))
    cfg = config(scenario, size, years)
    model = SoftTerritory(cfg, 1)
    start = time.perf_counter()
    for _ in range(cfg.weeks):
        model.step()
    step = time.perf_counter() - start
    print(json.dumps({**wall, **{f"{p}_cpu": cpu[p] for p in PHASES}, "step": step}))


def _timed(method, name: str, wall: dict, cpu: dict):
    """``method`` adding its wall and process CPU seconds to ``wall[name]``, ``cpu[name]``."""

    def phase(model) -> None:
        start, start_cpu = time.perf_counter(), time.process_time()
        method(model)
        wall[name] += time.perf_counter() - start
        cpu[name] += time.process_time() - start_cpu

    return phase


def measure(scenario: str, size: int, years: int, src: str | None, threads: int | None,
            always_parallel: bool = False) -> dict:
    """One fresh run's phase seconds, of this source (``src`` None) or of ``src``."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = src
    if threads is not None:
        env["NUMBA_NUM_THREADS"] = str(threads)
    cmd = [sys.executable, __file__, "--child", scenario, str(size), str(years),
           "always" if always_parallel else "spare"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parent).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Paired runs of each scenario; prints one table row per scenario and thread count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--against", help="src directory of the other source")
    parser.add_argument("--scenario", action="append", help="hard, soft (default both)")
    parser.add_argument("--size", type=int, default=1_000_000, help="residents")
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--threads", default="2", help="NUMBA_NUM_THREADS values, e.g. 1,2")
    parser.add_argument("--always-parallel", action="store_true",
                        help="parallel kernels even when no core is spare (this source)")
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], int(args.child[1]), int(args.child[2]), args.child[3] == "always")
        return 0
    if not args.against:
        parser.error("--against SRC is required")
    threads = [int(t) for t in args.threads.split(",")]
    print(f"{args.size:,} residents × {args.years} year(s), {args.pairs} pairs, "
          f"{'always parallel' if args.always_parallel else 'parallel with a spare core'}; "
          f"load {os.getloadavg()[0]:.1f} at start")
    print("| scenario | threads | needs s (other) | options s (other) | needs+options ratio "
          "(min–max) | CPU ratio (min–max) | weekly loop ratio |")
    print("|---|---|---|---|---|---|---|")
    for scenario in args.scenario or ["hard", "soft"]:
        for t in threads:
            this, other = [], []
            for _ in range(args.pairs):
                this.append(measure(scenario, args.size, args.years, None, t,
                                    args.always_parallel))
                other.append(measure(scenario, args.size, args.years, args.against, t))
            both = [(a["needs"] + a["options"]) / (b["needs"] + b["options"])
                    for a, b in zip(this, other, strict=True)]
            loop = [a["step"] / b["step"] for a, b in zip(this, other, strict=True)]
            cpu = [(a["needs_cpu"] + a["options_cpu"]) / (b["needs_cpu"] + b["options_cpu"])
                   for a, b in zip(this, other, strict=True)]

            def med(runs, key):
                return statistics.median(r[key] for r in runs)

            print(f"| {scenario} | {t} | {med(this, 'needs'):.2f} ({med(other, 'needs'):.2f}) "
                  f"| {med(this, 'options'):.2f} ({med(other, 'options'):.2f}) "
                  f"| {statistics.median(both):.2f} ({min(both):.2f}–{max(both):.2f}) "
                  f"| {statistics.median(cpu):.2f} ({min(cpu):.2f}–{max(cpu):.2f}) "
                  f"| {statistics.median(loop):.2f} |")
    print(f"load {os.getloadavg()[0]:.1f} at end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
