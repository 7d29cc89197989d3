"""The ``allocate`` phase of a run, timed in parts, against another source folder.

Each side runs in fresh processes (``PYTHONPATH`` = its ``src``), alternating this checkout and
``--against`` (A B A B …) after a warm-up pair that loads the compiled kernels. A child steps a
model of ``--size`` residents through ``--years`` (default 1) with :meth:`SoftTerritory.step`
and times, summed over the weeks:

* **allocate**: the whole ``phase_allocate``;
* **kernel call**: ``softsim.model.allocate`` (the compiled greedy and what it prepares: the
  week's table of travel minutes to the sites, the needs' rows);
* **kernel types**: ``Reception.kernel_types``;
* **order and keys**: the rest of the phase (priority draws, keys, their order, the copy of the
  capacities).

It prints the median of each part per side and the median ratio this / other over the pairs.
Figures are printed, never asserted.

Usage::

    .venv/bin/python benchmarks/bench_allocate_phase.py --against /tmp/base-main/src
        [--size 1000000] [--scenario hard] [--pairs 3] [--years 1]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

PARTS = ("allocate", "kernel call", "kernel types", "order and keys")


def child(scenario: str, population: int, years: int, seed: int) -> dict:
    """One run stepped week by week with the parts of ``phase_allocate`` timed."""
    from unittest import mock

    import softsim.model
    from softsim.config import load_config
    from softsim.model import SoftTerritory
    from softsim.reception import Reception

    seconds = dict.fromkeys(PARTS, 0.0)

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                seconds[name] += time.perf_counter() - start

        return wrapper

    cfg = load_config(
        scenario, [f"territory.population={population}", f"simulation.years={years}"]
    )
    needs = []
    phase = SoftTerritory.phase_allocate

    def counting(model):
        needs.append(len(model.pool))
        phase(model)

    with (
        mock.patch.object(SoftTerritory, "phase_allocate", timed("allocate", counting)),
        mock.patch.object(softsim.model, "allocate", timed("kernel call", softsim.model.allocate)),
        mock.patch.object(
            Reception, "kernel_types", timed("kernel types", Reception.kernel_types)
        ),
    ):
        model = SoftTerritory(cfg, seed)
        for _ in range(cfg.weeks):
            model.step()
    seconds["order and keys"] = (
        seconds["allocate"] - seconds["kernel call"] - seconds["kernel types"]
    )
    return {"seconds": seconds, "weeks": cfg.weeks, "needs_per_week": statistics.mean(needs)}


def measure(src: str | None, scenario: str, population: int, years: int, seed: int) -> dict:
    """:func:`child` in a fresh process, with ``src`` first on the path (``None``: this one)."""
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    env = {**os.environ, "PYTHONPATH": os.path.abspath(src or here)}
    cmd = [sys.executable, os.path.abspath(__file__), "--child", str(population),
           "--scenario", scenario, "--years", str(years), "--seed", str(seed)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", metavar="SRC", help="the other source folder")
    parser.add_argument("--size", type=int, default=1_000_000, metavar="RESIDENTS")
    parser.add_argument("--scenario", action="append", choices=("hard", "soft"))
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", type=int, metavar="RESIDENTS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    scenarios = args.scenario or ["hard", "soft"]
    if args.child is not None:
        print(json.dumps(child(scenarios[0], args.child, args.years, args.seed)))
        return 0
    sides = [None] + ([args.against] if args.against else [])
    print(f"load average at the start: {os.getloadavg()[0]:.2f}")
    for scenario in scenarios:
        for side in sides:  # warm-up: each side loads or compiles its kernels
            measure(side, scenario, 1_000, 1, args.seed)
        runs: dict = {side: [] for side in sides}
        for _ in range(args.pairs):
            for side in sides:
                runs[side].append(measure(side, scenario, args.size, args.years, args.seed))
        first = runs[None][0]
        print(f"\n{scenario}, {args.size:,} residents, {first['weeks']} weeks, "
              f"{first['needs_per_week']:,.0f} pending needs a week; seconds summed over "
              f"the weeks, median of {args.pairs} runs")
        head = f"{'part':<16}{'this s':>9}"
        if args.against:
            head += f"{'other s':>9}{'ratio':>8}"
        print(head)
        for part in PARTS:
            this = [r["seconds"][part] for r in runs[None]]
            line = f"{part:<16}{statistics.median(this):>9.3f}"
            if args.against:
                other = [r["seconds"][part] for r in runs[args.against]]
                ratio = statistics.median(a / b if b else float("nan")
                                          for a, b in zip(this, other, strict=True))
                line += f"{statistics.median(other):>9.3f}{ratio:>8.3f}"
            print(line)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
