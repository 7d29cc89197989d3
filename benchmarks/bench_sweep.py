"""Sweep throughput: runs per minute on local processes and on a Dask LocalCluster.

The sweep: ``hard`` on the synthetic territory at 20,000 inhabitants, 312 weeks, ``--runs``
replicates (default 1,000), written to a temporary run store. Prints the elapsed time, runs per
minute, and the per-run overhead: ``workers × elapsed / runs`` minus the bare
``softsim.run`` time of the same runs (measured in this process on ``--bare`` of them), that
is time not spent stepping models (process start, config, territory, IPC, store, report).
Goals (issue "Sweeps at scale"): 1,000 runs in ≤ 10 minutes on 2 cores; Dask within 15 % of
local processes.

    .venv/bin/python benchmarks/bench_sweep.py            # ~20 min: local, then Dask
    .venv/bin/python benchmarks/bench_sweep.py --quick    # 20 runs of 1 year, a smoke check
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

SWEEP = """
scenarios = ["hard"]
replicates = {runs}
seed = 1
set = ["territory.population = 20000", "simulation.years = {years}"]
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=1000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--bare", type=int, default=10, help="runs timed bare, in this process")
    p.add_argument("--no-dask", action="store_true")
    p.add_argument("--quick", action="store_true", help="20 runs of 1 year")
    args = p.parse_args()
    years = 6
    if args.quick:
        args.runs, args.bare, years = 20, 3, 1

    from softsim import run
    from softsim.config import load_config
    from softsim.rng import SeedTree
    from softsim.sweep import load_sweep
    from softsim.sweep_run import run_sweep
    from softsim.territory import build_territory

    print(f"load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.toml"
        path.write_text(SWEEP.format(runs=args.runs, years=years))
        plan = load_sweep(path)
        cfg = load_config("hard", list(plan.spec.set))
        territory = build_territory(cfg.territory, cfg.travel, SeedTree(plan.spec.seed))
        run(cfg, plan.run(0).seed, territory=territory)  # compile / load the kernels
        start = time.perf_counter()
        for i in range(args.bare):
            run(cfg, plan.run(i).seed, territory=territory)
        bare = (time.perf_counter() - start) / args.bare
        print(f"bare softsim.run: {bare:.2f} s per run ({args.bare} runs)")
        executors = {"local processes": {"workers": args.workers}}
        if not args.no_dask:
            executors["Dask LocalCluster"] = {"dask_local": args.workers}
        elapsed = {}
        for name, kwargs in executors.items():
            out = Path(tmp) / name.replace(" ", "-")
            start = time.perf_counter()
            result = run_sweep(plan, out, write_report=False, **kwargs)
            elapsed[name] = time.perf_counter() - start
            assert result.progress.done == args.runs, result.progress.line()
            overhead = args.workers * elapsed[name] / args.runs - bare
            print(f"{name}: {args.runs} runs in {elapsed[name]:.0f} s, "
                  f"{60 * args.runs / elapsed[name]:.1f} runs/min, "
                  f"overhead {overhead:+.2f} s per run ({100 * overhead / bare:+.0f} %)")
        if len(elapsed) == 2:
            ratio = elapsed["Dask LocalCluster"] / elapsed["local processes"]
            print(f"Dask / local: {ratio:.2f} (goal ≤ 1.15)")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
