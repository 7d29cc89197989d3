"""Replicates and executors: many runs, seeded from one root, in parallel or not.

The territory is drawn once, from the root seed: it is the setting of the experiment, the same
for every scenario and replicate (so commune tables and maps can be averaged). Replicate ``r``
of every scenario gets the same seed (``SeedTree(seed).child("replicate-r")``), so scenarios
share their residents and need streams: *common random numbers*, which make differences between
scenarios far less noisy than independent runs would. Results come
back ordered by (scenario, replicate) whatever the number of workers, so the output does not
depend on it.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np

from softsim import metrics as m
from softsim.config import Config
from softsim.rng import SeedTree

__all__ = ["RunResult", "replicate_seeds", "run_replicates"]


@dataclass(frozen=True)
class RunResult:
    """What a comparison keeps of one run (small: it crosses process boundaries)."""

    scenario: str
    replicate: int
    seed: int
    summary: dict
    coverage_week: np.ndarray
    commune_coverage: np.ndarray
    lorenz: np.ndarray
    territory_xy: np.ndarray
    territory_population: np.ndarray
    territory_label: str
    attribution: str


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """The seeds of replicates ``0 … replicates-1`` (shared by every scenario)."""
    root = SeedTree(seed)
    return [root.child(f"replicate-{r}").seed for r in range(replicates)]


def _run_task(task: tuple[Config, int, int, int]) -> RunResult:
    from softsim.engine import run
    from softsim.territory import build_territory

    cfg, replicate, seed, root = task
    territory = build_territory(cfg.territory, cfg.travel, SeedTree(root))
    o = run(cfg, seed, territory=territory)
    t = o.territory
    return RunResult(
        scenario=cfg.name,
        replicate=replicate,
        seed=seed,
        summary=o.summary,
        coverage_week=o.timeseries["coverage_expressed_week"].to_numpy(np.float64),
        commune_coverage=o.communes["coverage_latent"].to_numpy(np.float64),
        lorenz=m.lorenz(o.fulfilment)[1] if len(o.fulfilment) else np.linspace(0, 1, 101),
        territory_xy=np.column_stack([t.x_km, t.y_km]),
        territory_population=t.population,
        territory_label=t.label,
        attribution=t.attribution,
    )


def run_replicates(
    configs: Sequence[Config],
    seed: int,
    replicates: int,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> list[RunResult]:
    """Run every config ``replicates`` times with common random numbers.

    Args:
        configs: Resolved scenarios (their ``name`` labels the results).
        seed: Root seed of the experiment.
        replicates: Replicates per scenario (≥ 1).
        workers: Local processes (1 runs in this process).
        progress: Called as ``progress(done, total)`` after each run.

    Returns:
        One result per (scenario, replicate), ordered by scenario then replicate.
    """
    if replicates < 1:
        raise ValueError("replicates: expected at least 1")
    seeds = replicate_seeds(seed, replicates)
    tasks = [(cfg, r, s, seed) for cfg in configs for r, s in enumerate(seeds)]
    results: dict[tuple[int, int], RunResult] = {}
    if workers <= 1:
        for i, task in enumerate(tasks):
            results[(i // replicates, task[1])] = _run_task(task)
            if progress:
                progress(len(results), len(tasks))
    else:
        # spawn, not fork: the parent holds threads (numba, BLAS) that fork would not copy
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as pool:
            futures = {pool.submit(_run_task, task): i for i, task in enumerate(tasks)}
            try:
                for fut in as_completed(futures):
                    i = futures[fut]
                    results[(i // replicates, tasks[i][1])] = fut.result()
                    if progress:
                        progress(len(results), len(tasks))
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
    return [results[key] for key in sorted(results)]
