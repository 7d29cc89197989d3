"""CPU seconds of each phase of the weekly step, this source against others, run after run.

On a shared machine wall times of a phase swing with the load; the CPU time of the thread
(``time.thread_time``) counts only what the run itself computes, so phase costs of two source
trees can be compared while others use the CPUs (cache sharing still inflates both). Each
round runs this tree's softsim and then each ``--against`` tree's, every one in a fresh
process (its numba cache loaded by a small warm-up run first); the table gives the median
over the rounds of each phase's CPU seconds and the ratio this / other of the medians.

Usage::

    .venv/bin/python benchmarks/bench_phases.py --scenario soft --size 1000000 --years 2 \\
        --against /path/to/other/src [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def child(scenario: str, population: int, years: int, seed: int) -> None:
    """In a fresh process: a warm-up run, then one timed run; print CPU and wall s per phase."""
    from softsim.config import load_config
    from softsim.model import SoftTerritory

    def overrides(n, y):
        return [f"territory.population={n}", f"simulation.years={y}"]

    warm = SoftTerritory(load_config(scenario, overrides(1_000, 1)), seed)
    for _ in range(4):
        warm.step()
    cfg = load_config(scenario, overrides(population, years))
    model = SoftTerritory(cfg, seed)
    cpu: dict[str, float] = {}
    wall: dict[str, float] = {}
    for _ in range(cfg.weeks):
        for phase in model._phases:
            name = phase.__name__.removeprefix("phase_")
            t, c = time.perf_counter(), time.thread_time()
            phase()
            cpu[name] = cpu.get(name, 0.0) + time.thread_time() - c
            wall[name] = wall.get(name, 0.0) + time.perf_counter() - t
        model.week += 1
    print(json.dumps({"cpu": cpu, "wall": wall}))


def measure(src: str | None, args) -> dict:
    """One fresh run of the softsim of ``src`` (None: the installed one)."""
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--scenario", args.scenario,
           "--size", str(args.size), "--years", str(args.years), "--seed", str(args.seed)]
    env = None if src is None else {**os.environ, "PYTHONPATH": src}
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Run the rounds and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="soft")
    parser.add_argument("--size", type=int, default=100_000, help="residents")
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--against", action="append", default=[], metavar="SRC")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.scenario, args.size, args.years, args.seed)
        return 0
    trees = [None, *args.against]
    load = os.getloadavg()[0]
    runs = {i: [] for i in range(len(trees))}
    for _ in range(args.rounds):
        for i, src in enumerate(trees):
            runs[i].append(measure(src, args))
    phases = list(runs[0][0]["cpu"])
    med = {i: {p: statistics.median(r["cpu"].get(p, 0.0) for r in runs[i]) for p in phases}
           for i in runs}
    print(f"{args.scenario}, {args.size:,} residents, {args.years} year(s), seed {args.seed}; "
          f"CPU s per phase (thread_time), median of {args.rounds} round(s); load average "
          f"{load:.2f} at start, {os.getloadavg()[0]:.2f} at end")
    head = f"{'phase':<10}{'this':>9}" + "".join(
        f"{'other ' + str(i):>10}{'ratio':>7}" for i in range(1, len(trees))
    )
    print(head)
    for p in [*phases, "total"]:
        this = sum(med[0].values()) if p == "total" else med[0][p]
        row = f"{p:<10}{this:>9.3f}"
        for i in range(1, len(trees)):
            other = sum(med[i].values()) if p == "total" else med[i].get(p, 0.0)
            row += f"{other:>10.3f}{this / other if other else float('nan'):>7.2f}"
        print(row)
    for i, src in enumerate(args.against, 1):
        print(f"other {i}: {src}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
