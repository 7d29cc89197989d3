"""The weekly kernels of needs, options and outcomes in isolation: CPU ms a call, cold caches.

Builds ``hard`` at ``--size`` residents, steps three weeks, then times, on the same inputs for
every tree: a week's need draw (``NeedArrivals.draw``, the draws included), the awareness
kernel on a week's needs (serial compilation), the orientation of a week's served residents
and the digital attempts of a pool of pending needs. Before each call a 48 MB pass evicts the
caches, as the other phases of a week do; each figure is the median over ``--calls`` calls of
the thread's CPU time. With ``--profile`` it instead runs the model for a year and splits the
thread CPU of its ``needs`` phase: the draw, the awareness uniforms, the awareness kernel
(``express`` less its uniforms), the pool's append, and the rest of the phase (the selection
of the expressed needs, counters); the kernels run serially, so that the thread's CPU is all
of their work. With ``--against SRC`` the same runs in a fresh process on
the softsim of ``SRC``, and the table gives the ratios this / other.

Usage::

    .venv/bin/python benchmarks/bench_needs.py --size 1000000 --against /path/to/other/src
    .venv/bin/python benchmarks/bench_needs.py --profile --against /path/to/other/src
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def child(size: int, calls: int) -> None:
    """In a fresh process: the timings of this process's softsim, as one JSON line."""
    import numpy as np

    import softsim.threads
    from softsim.awareness_kernels import express
    from softsim.config import load_config
    from softsim.information import _orient
    from softsim.model import SoftTerritory
    from softsim.services.digital_kernels import attempts

    softsim.threads.PARALLEL_MIN = 10**12  # the serial compilations: one thread's work
    m = SoftTerritory(load_config("hard", [f"territory.population={size}",
                                           "simulation.years=1"]), 1)
    for _ in range(3):
        m.step()
    aw, res = m.awareness, m.residents
    rng = np.random.default_rng(0)
    weeks = [m.arrivals.draw(rng) for _ in range(20)]
    flush = np.ones(6_000_000)
    times: dict[str, list[float]] = {k: [] for k in ("draw", "express", "orient", "digital")}

    def timed(name, f, *args):
        flush.sum()
        t = time.thread_time()
        f(*args)
        times[name].append(time.thread_time() - t)

    state = [res.awareness.copy(), aw.updated.copy(), aw.aware_count.copy(),
             res.latent.copy(), res.not_taken_up.copy()]
    coverage = np.full(m.territory.n, 0.8, np.float32)
    for i in range(calls + 2):  # the first two calls load the kernels
        r, k, dig = weeks[i % len(weeks)]
        u = rng.random((len(r), aw.n_types))
        timed("draw", m.arrivals.draw, np.random.default_rng(i))
        timed("express", express, r, k, True, 10 + i, state[0], state[1], res.home, state[2],
              aw.per_commune, aw.ambient, aw.configured, 0.0, aw.forget_per_week, u,
              state[3], state[4])
        served = r[: int(0.8 * len(r))]
        timed("orient", _orient, served, state[0], res.home, state[2],
              rng.random((len(served), aw.n_types)), 0.15)
        pending = np.concatenate([r, weeks[(i + 1) % len(weeks)][0][: len(r) * 3 // 4]])
        timed("digital", attempts, pending, rng.random(len(pending)) < 0.6, res.home,
              res.broadband_rank, coverage, res.low_skill, 0.9, 0.6, rng.random(len(pending)))
    out = {k: 1e3 * statistics.median(v[2:]) for k, v in times.items()}
    out["needs"] = float(np.mean([len(w[0]) for w in weeks]))
    print(json.dumps(out))


def profile(size: int) -> None:
    """In a fresh process: a year of ``hard``, the needs phase split, as one JSON line."""
    import softsim.threads
    from softsim.config import load_config
    from softsim.model import SoftTerritory

    softsim.threads.PARALLEL_MIN = 10**12  # the serial compilations: one thread's work

    warm = SoftTerritory(load_config("hard", ["territory.population=1000",
                                              "simulation.years=1"]), 1)
    for _ in range(4):
        warm.step()
    m = SoftTerritory(load_config("hard", [f"territory.population={size}",
                                           "simulation.years=1"]), 1)
    parts = {"draw": 0.0, "uniforms": 0.0, "express": 0.0, "pool add": 0.0, "phase": 0.0}

    def timing(name, f):
        def g(*args, **kwargs):
            t = time.thread_time()
            out = f(*args, **kwargs)
            parts[name] += time.thread_time() - t
            return out
        return g

    class Uniforms:  # the awareness stream, its draws timed
        def __init__(self, rng):
            self.rng = rng

        def random(self, *args, **kwargs):
            return timing("uniforms", self.rng.random)(*args, **kwargs)

    m.arrivals.draw = timing("draw", m.arrivals.draw)
    m.awareness.express = timing("express", m.awareness.express)
    m.awareness.rng = Uniforms(m.awareness.rng)
    for _ in range(m.cfg.weeks):
        for phase in m._phases:
            if phase.__name__ == "phase_needs":
                m.pool.add = timing("pool add", m.pool.add)
                t = time.thread_time()
                phase()
                parts["phase"] += time.thread_time() - t
                del m.pool.add
            else:
                phase()
        m.week += 1
    parts["kernel"] = parts.pop("express") - parts["uniforms"]
    parts["rest"] = parts["phase"] - sum(v for k, v in parts.items() if k != "phase")
    print(json.dumps({k: 1e3 * v / m.cfg.weeks for k, v in parts.items()}))


def measure(src: str | None, args) -> dict:
    """One fresh process on the softsim of ``src`` (None: the installed one)."""
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--size", str(args.size),
           "--calls", str(args.calls)] + (["--profile"] if args.profile else [])
    env = None if src is None else {**os.environ, "PYTHONPATH": src}
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Run this tree (and the other) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="residents")
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--against", metavar="SRC")
    parser.add_argument("--profile", action="store_true", help="split the needs phase")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        profile(args.size) if args.profile else child(args.size, args.calls)
        return 0
    load = os.getloadavg()[0]
    this = measure(None, args)
    other = measure(args.against, args) if args.against else None
    if args.profile:
        print(f"hard, {args.size:,} residents, one year; the needs phase, CPU ms a week; load "
              f"average {load:.2f} at start, {os.getloadavg()[0]:.2f} at end")
        print(f"{'part':<10}{'this':>9}" + (f"{'other':>9}{'ratio':>7}" if other else ""))
        for name in this:
            row = f"{name:<10}{this[name]:>9.2f}"
            if other:
                row += f"{other[name]:>9.2f}{this[name] / other[name]:>7.2f}"
            print(row)
        return 0
    print(f"hard, {args.size:,} residents, ~{this['needs']:,.0f} needs a week; CPU ms a call, "
          f"median of {args.calls}, cold caches; load average {load:.2f} at start, "
          f"{os.getloadavg()[0]:.2f} at end")
    print(f"{'kernel':<10}{'this':>9}" + (f"{'other':>9}{'ratio':>7}" if other else ""))
    for name in ("draw", "express", "orient", "digital"):
        row = f"{name:<10}{this[name]:>9.2f}"
        if other:
            row += f"{other[name]:>9.2f}{this[name] / other[name]:>7.2f}"
        print(row)
    if other:
        print(f"other: {args.against}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
