"""A whole région in one run: wall time and peak memory of ``softsim run`` on a large territory.

Runs the command a user runs (default ``softsim run hard --territory reg:75 --years 6``,
Nouvelle-Aquitaine: 4,293 communes, 6.0 M inhabitants, figures included) in a fresh process and
reports its wall time and peak RSS (``getrusage(RUSAGE_CHILDREN).ru_maxrss``), with the load
average before and after (the machine may be shared). With ``--phases`` it also times, in this
process, the parts of a run: building the territory, its sparse travel times, the model (the
residents' commute and shopping draws read exact rows of every commune), the weekly loop and
``collect``.

With ``--setup`` it only times, in this process, the fixed parts this benchmark's région pays
before its first week: the sparse travel times and the residents (their commute and shopping
gravity draws over every pair of communes), in CPU and wall seconds; with ``PYTHONPATH=DIR/src``
it times another checkout the same way (run both in turn for a paired comparison).

Goal (issue #15): a région of >= 4,000 communes and ~6 M residents x 312 weeks in <= 2 minutes
and <= 3 GB on 2 cores.

Usage::

    .venv/bin/python benchmarks/bench_region.py [--territory reg:75] [--scenario hard]
        [--years 6] [--scale 1] [--no-figures] [--phases]
    PYTHONPATH=OTHER/src .venv/bin/python benchmarks/bench_region.py --setup
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WALL_GOAL_S = 120.0
RSS_GOAL_MB = 3 * 1024.0


def run_command(args: argparse.Namespace) -> dict:
    """The user's command in a fresh process: wall seconds and peak RSS (MB)."""
    exe = Path(sys.executable).with_name("softsim")
    shown = ["run", args.scenario, "--territory", args.territory, "--years", str(args.years),
             "--scale", str(args.scale), "--quiet"] + (["--no-figures"] if args.no_figures else [])
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([str(exe), *shown, "--out", str(Path(tmp) / "out")], check=True)
        wall = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    return {"cmd": "softsim " + " ".join(shown), "wall_s": wall, "rss_mb": rss}


def phases(args: argparse.Namespace) -> dict[str, float]:
    """Seconds of each part of one run, in this process."""
    from softsim.config import load_config
    from softsim.model import SoftTerritory
    from softsim.outcomes import collect
    from softsim.rng import SeedTree
    from softsim.territory import build_territory
    from softsim.territory.travel import travel_cutoff

    cfg = load_config(args.scenario, [f"territory.spec={args.territory}",
                                      f"simulation.years={args.years}",
                                      f"population.scale={args.scale}"])
    out = {}
    start = time.perf_counter()
    t = build_territory(cfg.territory, cfg.travel, SeedTree(1))
    out["territory"] = time.perf_counter() - start
    start = time.perf_counter()
    travel = t.travel(travel_cutoff(cfg),
                      max(cfg.travel.nocar_speed_kmh, cfg.transport.tad_speed_kmh))
    out["travel"] = time.perf_counter() - start
    start = time.perf_counter()
    model = SoftTerritory(cfg, 1, territory=t)  # the travel times are cached on t
    out["model"] = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(cfg.weeks):
        model.step()
    out["weeks"] = time.perf_counter() - start
    start = time.perf_counter()
    collect(model)
    out["collect"] = time.perf_counter() - start
    out["_pairs_per_commune"] = len(travel.idx) / t.n
    out["_travel_mb"] = travel.nbytes / 2**20
    out["_communes"] = t.n
    out["_residents"] = model.residents.n
    return out


def setup(args: argparse.Namespace) -> dict[str, tuple[float, float]]:
    """CPU and wall seconds of the sparse travel times and of the residents, in this process."""
    import numpy as np

    from softsim.config import load_config
    from softsim.population import build_residents
    from softsim.rng import SeedTree
    from softsim.territory import build_territory
    from softsim.territory.travel import travel_cutoff

    cfg = load_config(args.scenario, [f"territory.spec={args.territory}",
                                      f"population.scale={args.scale}"])
    t = build_territory(cfg.territory, cfg.travel, SeedTree(1))
    out = {}
    clock = (time.process_time(), time.perf_counter())
    t.travel(travel_cutoff(cfg), max(cfg.travel.nocar_speed_kmh, cfg.transport.tad_speed_kmh))
    now = (time.process_time(), time.perf_counter())
    out["travel"], clock = (now[0] - clock[0], now[1] - clock[1]), now
    build_residents(t, cfg, np.random.default_rng(7))
    now = (time.process_time(), time.perf_counter())
    out["residents"] = (now[0] - clock[0], now[1] - clock[1])
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--territory", default="reg:75")
    parser.add_argument("--scenario", default="hard")
    parser.add_argument("--years", type=int, default=6)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--no-figures", action="store_true")
    parser.add_argument("--phases", action="store_true", help="also time the parts in-process")
    parser.add_argument("--setup", action="store_true",
                        help="only time the travel times and the residents in-process")
    args = parser.parse_args(argv)
    if args.setup:
        import softsim

        print(f"{args.territory} ({Path(softsim.__file__).parent}), load average "
              f"{os.getloadavg()[0]:.2f}")
        for name, (cpu, wall) in setup(args).items():
            print(f"  {name:<10} CPU {cpu:6.2f} s, wall {wall:6.2f} s")
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")
        return 0
    load = os.getloadavg()[0]
    r = run_command(args)
    print(f"{r['cmd']}")
    print(f"load average before {load:.2f}, after {os.getloadavg()[0]:.2f} on {os.cpu_count()} "
          "CPUs (other processes share them when above 0)")
    print(f"wall {r['wall_s']:.1f} s (goal <= {WALL_GOAL_S:.0f} s: "
          f"{'ok' if r['wall_s'] <= WALL_GOAL_S else 'MISSED'}), peak RSS {r['rss_mb']:.0f} MB "
          f"(goal <= {RSS_GOAL_MB:.0f} MB: {'ok' if r['rss_mb'] <= RSS_GOAL_MB else 'MISSED'})")
    if args.phases:
        p = phases(args)
        print(f"{p.pop('_communes'):,} communes, {p.pop('_residents'):,} residents; sparse "
              f"travel times {p.pop('_travel_mb'):.0f} MB, "
              f"{p.pop('_pairs_per_commune'):.0f} pairs per commune")
        total = sum(p.values())
        for name, sec in p.items():
            print(f"  {name:<10} {sec:8.1f} s  {sec / total:6.1%}")
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
