"""Normative search: strategies not dominated on coverage, inequality and cost.

The search moves a documented set of levers (:data:`LEVERS`) of one base scenario, at the
base's budget, and evaluates each candidate strategy over several futures and replicates with
common random numbers: replicate ``r`` of every candidate and future has the seed of
replicate ``r`` of :func:`softsim.compare` (``SeedTree(seed).child("replicate-r")``), and every
run is on the territory drawn from the root seed. A candidate's objectives are the means over
futures and replicates of three metrics of :mod:`softsim.metric_registry` (:data:`OBJECTIVES`).

The many-objective search is NSGA-II from Platypus (the library EMA Workbench's
``optimize`` runs on); its random draws come from the seed tree's ``normative-search``
stream, so the same seed gives the same front whatever the executor and the number of
workers. The runs of a generation go to the sweep executors of :mod:`softsim.sweep_run`
(local processes or Dask).
Every lever is encoded on the unit interval and decoded to a config value; a candidate already
evaluated (same decoded levers) is not run again. Nothing here writes a file.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from softsim.channels import CHANNELS
from softsim.errors import ConfigError, SoftsimError
from softsim.rng import SeedTree

if TYPE_CHECKING:  # pandas is imported where a table is built (the CLI's help stays light)
    import pandas as pd

__all__ = [
    "LEVERS",
    "OBJECTIVES",
    "Lever",
    "SearchResult",
    "SearchSpec",
    "check_search",
    "compromise",
    "non_dominated",
    "search",
]

Scalar = bool | int | float | str

OBJECTIVES: tuple[tuple[str, Literal["higher", "lower"]], ...] = (
    ("coverage_latent", "higher"),
    ("theil_between_communes", "lower"),
    ("cost_per_served", "lower"),
)
"""The objectives (metric key, direction): coverage of latent needs, Theil T between
communes, cost per served need. Directions are those of the metric registry."""

REPORTED = ("budget_spent_share",)
"""Metrics reported beside the objectives (means), not searched on: the share of the budget
spent says whether a candidate could use its money (docs/scenarios.md, the budget rule)."""

MIN_SPENT_NET = 0.97
"""The budget rule (docs/scenarios.md): a candidate spends at least this share of its envelope,
net of what *laisser faire* leaves unspent on purpose; a candidate that spends less is
infeasible (a Platypus constraint) and never on the front, so that the front compares
strategies that spend the same money."""

SEARCH_STREAM = "normative-search"
"""The seed tree's stream that seeds the optimiser."""


@dataclass(frozen=True)
class Lever:
    """A lever of the search: config keys, how unit-interval genes map to their values.

    Attributes:
        name: Its name on the command line (``--levers``).
        keys: The config paths it sets.
        kind: ``mix`` (shares of the channels, normalised to sum to 1, to the hundredth),
            ``posture`` (*faire avec* and *inciter* shares up to ``high``, *faire* takes the
            rest), ``choice`` (one of ``values``) or ``integer`` (``low`` … ``high``).
        values: The choices of a ``choice`` lever.
        low: Lowest value of an ``integer`` lever.
        high: Highest value (``integer``), or the largest shares (``posture``).
        doc: What it means.
    """

    name: str
    keys: tuple[str, ...]
    kind: Literal["mix", "posture", "choice", "integer"]
    values: tuple[Scalar, ...] = ()
    low: int = 0
    high: tuple[float, ...] | int = 0
    doc: str = ""

    @property
    def width(self) -> int:
        """How many unit-interval genes encode it."""
        return {"mix": len(self.keys), "posture": 2}.get(self.kind, 1)

    def decode(self, genes: Sequence[float], rest: float) -> dict[str, Scalar]:
        """Config values of these genes (``rest``: the posture shares left to share)."""
        if self.kind == "mix":
            return dict(zip(self.keys, _hundredths(genes), strict=True))
        if self.kind == "posture":
            avec, inciter = (round(min(max(float(g), 0.0), 1.0) * h, 2)
                             for g, h in zip(genes, self.high, strict=True))
            return {self.keys[0]: round(float(rest) - avec - inciter, 6), self.keys[1]: avec,
                    self.keys[2]: inciter}
        g = min(max(float(genes[0]), 0.0), 1.0)
        if self.kind == "choice":
            return {self.keys[0]: self.values[min(int(g * len(self.values)),
                                                  len(self.values) - 1)]}
        n = self.high - self.low + 1
        return {self.keys[0]: self.low + min(int(g * n), n - 1)}


def _hundredths(weights: Sequence[float]) -> list[float]:
    """Weights as shares in hundredths summing to exactly 1 (largest remainders)."""
    w = np.clip(np.asarray(weights, dtype=np.float64), 0.0, 1.0)
    if w.sum() <= 0.0:
        w = np.zeros_like(w)
        w[0] = 1.0
    exact = 100.0 * w / w.sum()
    units = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - units), kind="stable")
    units[order[: 100 - int(units.sum())]] += 1
    return [int(u) / 100 for u in units]


LEVERS: tuple[Lever, ...] = (
    Lever("mix", tuple(f"budget.mix.{c}" for c in CHANNELS), "mix",
          doc="shares of the faire envelope by channel (sites, modules, mobile, bus, tad, "
              "information, rollout), each from 0 to 1, in hundredths summing to 1"),
    Lever("posture", ("budget.faire", "budget.faire_avec", "budget.inciter"), "posture",
          high=(0.2, 0.1),
          doc="faire_avec from 0 to 0.2 and inciter from 0 to 0.1 (the range from `hard` to "
              "`local`), in hundredths; faire takes the rest (laisser_faire and faire_faire "
              "stay the base's)"),
    Lever("location", ("location.strategy",), "choice",
          values=("as_configured", "single_pole", "multi_bourg", "specialised_poles",
                  "itinerance"),
          doc="where the fixed sites go (odd.md, location strategies)"),
    Lever("review", ("orchestrator.review_weeks",), "integer", low=1, high=13,
          doc="weeks between two reviews of the orchestrator, 1 to 13 (a quarter)"),
    Lever("priority", ("residents.priority",), "choice", values=("random", "oldest_first"),
          doc="order in which waiting needs are served"),
)
"""The lever space, in gene order (``softsim normative --levers`` picks a subset)."""


@dataclass(frozen=True)
class SearchSpec:
    """What a normative search explores and with how much effort.

    Attributes:
        base: The base scenario (bundled name or .toml path); its other values are kept.
        futures: Futures every candidate is evaluated under (bundled names, .toml paths, or
            ``none`` for the base's own).
        levers: Names of the levers searched (see :data:`LEVERS`).
        budget: ``None``: the base's budget; else a budget in € per 1,000 residents a week,
            the same for every candidate.
        evaluations: Candidate evaluations the optimiser makes (it stops at the end of the
            generation that reaches it).
        population: The optimiser's population size.
        replicates: Seeded replicates of every candidate under every future.
        seed: Root seed (territory, replicates, optimiser).
        overrides: Run settings applied to every run (scale, years, territory), not part of
            the strategy.
        sets: ``section.key=value`` values of the strategy applied to every candidate
            (``--set``), written into the scenario file with the levers.
    """

    base: str = "soft"
    futures: tuple[str, ...] = ("trend", "shock")
    levers: tuple[str, ...] = tuple(lv.name for lv in LEVERS)
    budget: float | None = None
    evaluations: int = 200
    population: int = 20
    replicates: int = 3
    seed: int = 1
    overrides: tuple[str, ...] = ()
    sets: tuple[str, ...] = ()

    def space(self) -> tuple[Lever, ...]:
        """The levers searched, in :data:`LEVERS` order."""
        return tuple(lv for lv in LEVERS if lv.name in self.levers)

    def run_overrides(self) -> list[str]:
        """Overrides of every run, before the levers."""
        over = [*self.overrides, *self.sets]
        if self.budget is not None:
            over.append(f"budget.per_1000_per_week={float(self.budget)!r}")
        if "mix" in self.levers:
            over.append("budget.mix.enabled=true")
        return over


@dataclass
class SearchResult:
    """A finished search.

    Attributes:
        spec: What was searched.
        candidates: One row per distinct candidate evaluated, in order of first evaluation
            (candidate 0 is the base's own levers): ``candidate``, ``origin`` (``base`` or
            ``search``), the lever values by config key, the objectives (means over futures
            and replicates), :data:`REPORTED`, the objectives by future (``key@future``),
            ``runs``.
        front: The candidates no other candidate dominates (same columns, plus ``distance``
            to the ideal point after normalisation), by candidate.
        chosen: The compromise's ``candidate`` id.
        evaluations: Evaluations the optimiser made (repeated candidates included).
        runs: Simulation runs made.
        wall_s: Wall time of the search.
        base_values: The base's values of the searched keys.
    """

    spec: SearchSpec
    candidates: pd.DataFrame
    front: pd.DataFrame
    chosen: int
    evaluations: int
    runs: int
    wall_s: float
    base_values: dict[str, Scalar] = field(default_factory=dict)

    def choice(self) -> dict[str, Scalar]:
        """The compromise's lever values by config key."""
        row = self.front.set_index("candidate").loc[self.chosen]
        return {k: _plain(row[k]) for k in self.lever_keys()}

    def lever_keys(self) -> list[str]:
        """The config keys searched, in gene order."""
        return [k for lv in self.spec.space() for k in lv.keys]


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def _resolve(ref: str) -> str:
    path = Path(ref)
    return str(path.resolve()) if path.suffix == ".toml" else ref


def check_search(spec: SearchSpec) -> dict[str, Scalar]:
    """Check, before any run, that every candidate can be configured.

    The base is loaded under each future with the lowest and highest genes of every lever
    and each value of a choice.

    Returns:
        The base's values of the searched keys.

    Raises:
        SoftsimError: One line naming the option or field.
    """
    from softsim.config import check_runnable, load_config
    from softsim.futures import load_future

    known = [lv.name for lv in LEVERS]
    unknown = [n for n in spec.levers if n not in known]
    if unknown or not spec.levers:
        raise ConfigError(f"--levers: expected names among {', '.join(known)}, "
                          f"got {','.join(spec.levers) or 'nothing'}")
    if not spec.futures:
        raise ConfigError("--futures: expected at least one future")
    if spec.evaluations < 1 or spec.population < 2 or spec.replicates < 1:
        raise ConfigError("--evaluations, --replicates: at least 1; --population: at least 2")
    base = load_config(spec.base, spec.run_overrides())
    if base.budget.per_1000_per_week is None:
        raise ConfigError(f"--budget same: the base scenario {base.name!r} has no budget "
                          "(budget.per_1000_per_week); give --budget EUR")
    space = spec.space()
    probes = [np.zeros(sum(lv.width for lv in space)), np.ones(sum(lv.width for lv in space))]
    for i, lv in enumerate(space):
        if lv.kind == "choice":
            start = sum(x.width for x in space[:i])
            for j in range(len(lv.values)):
                genes = np.zeros(len(probes[0]))
                genes[start] = (j + 0.5) / len(lv.values)
                probes.append(genes)
    for future in spec.futures:
        sections = {} if future == "none" else {"futures": load_future(future)}
        for genes in probes:
            values = decode(space, genes, base)
            cfg = load_config(spec.base, [*spec.run_overrides(), *_overrides(values)],
                              **sections)
            check_runnable(cfg)
    return {k: _plain(_get(base, k)) for lv in space for k in lv.keys}


def _get(cfg, dotted: str):
    obj = cfg
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def decode(space: Sequence[Lever], genes: Sequence[float], base) -> dict[str, Scalar]:
    """The config values of a candidate's genes (``base``: the base config)."""
    rest = 1.0 - base.budget.laisser_faire - base.budget.faire_faire
    values: dict[str, Scalar] = {}
    start = 0
    for lv in space:
        values.update(lv.decode(genes[start:start + lv.width], rest))
        start += lv.width
    return values


def _toml(v: Scalar) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _overrides(values: dict[str, Scalar]) -> list[str]:
    return [f"{k}={_toml(v)}" for k, v in values.items()]


def non_dominated(objectives: np.ndarray, directions: Sequence[str]) -> np.ndarray:
    """Mask of the rows no other row dominates (at least as good on all, better on one)."""
    x = np.asarray(objectives, dtype=np.float64)
    x = np.where(np.asarray(directions) == "higher", -x, x)  # all minimised
    better_eq = (x[:, None, :] <= x[None, :, :]).all(axis=2)
    strictly = (x[:, None, :] < x[None, :, :]).any(axis=2)
    dominated = (better_eq & strictly).any(axis=0)
    return ~dominated


def compromise(front: pd.DataFrame) -> tuple[int, np.ndarray]:
    """The compromise of a front: the candidate closest to the ideal point.

    Each objective is rescaled over the front so that its best value is 0 and its worst 1
    (an objective equal across the front counts 0); the compromise minimises the Euclidean
    distance to the origin, ties going to the first candidate evaluated.

    Returns:
        Its ``candidate`` id, and every front row's distance.
    """
    cols = []
    for key, direction in OBJECTIVES:
        v = front[key].to_numpy(np.float64)
        best, worst = (v.max(), v.min()) if direction == "higher" else (v.min(), v.max())
        span = abs(worst - best)
        cols.append(np.zeros_like(v) if span == 0 else np.abs(v - best) / span)
    distance = np.sqrt(np.sum(np.square(cols), axis=0))
    order = np.lexsort((front["candidate"].to_numpy(), distance))
    return int(front["candidate"].iloc[order[0]]), distance


class _Evaluations:
    """Candidates evaluated so far, and how to evaluate a batch on an executor."""

    def __init__(self, spec: SearchSpec, executor, base,
                 report: Callable[[str], None] | None) -> None:
        from softsim.experiment import replicate_seeds

        self.spec = spec
        self.executor = executor
        self.base = base
        self.space = spec.space()
        self.report = report
        self.seeds = replicate_seeds(spec.seed, spec.replicates)
        self.ids: dict[tuple, int] = {}
        self.rows: list[dict] = []
        self.runs = 0

    def key(self, genes: Sequence[float]) -> tuple:
        return tuple(decode(self.space, genes, self.base).items())

    def objectives(self, key: tuple) -> list[float]:
        row = self.rows[self.ids[key]]
        return [row[k] for k, _ in OBJECTIVES]

    def slack(self, key: tuple) -> float:
        """How far the candidate's net spending is above the budget rule (negative: below)."""
        return self.rows[self.ids[key]]["spent_net"] - MIN_SPENT_NET

    def evaluate(self, batch: Sequence[tuple], origin: str = "search") -> None:
        """Run the candidates of ``batch`` (keys) not evaluated yet (all futures, replicates)."""
        from softsim.experiment import WorkerLost
        from softsim.sweep import Run

        new = []
        for key in batch:
            if key not in self.ids:
                self.ids[key] = len(self.rows)
                self.rows.append({"candidate": len(self.rows), "origin": origin, **dict(key)})
                new.append(key)
        if not new:
            return
        runs = []
        for key in new:
            values = dict(key)
            overrides = (*self.spec.run_overrides(), *_overrides(values))
            for future in self.spec.futures:
                for r, seed in enumerate(self.seeds):
                    runs.append(Run(len(runs), self.ids[key], self.spec.base, future, r, seed,
                                    self.spec.seed, overrides, tuple(values.items()),
                                    _resolve(self.spec.base), _resolve(future)))
        results: dict[int, dict] = {}
        futures: dict = {}
        try:
            for run in runs:
                futures[self.executor.submit(run, False)] = run.run_id
            while futures:
                for fut in self.executor.wait(futures, timeout=1.0):
                    rid = futures.pop(fut)
                    try:
                        row, _ = fut.result()
                    except Exception as exc:
                        if self.executor.lost(exc):
                            raise WorkerLost("a worker process ended abruptly (killed, or out "
                                             "of memory?)") from None
                        raise
                    results[rid] = row
        except BaseException:
            self.executor.stop()
            raise
        self.runs += len(runs)
        for run in runs:
            row = results[run.run_id]
            bad = [k for k, _ in OBJECTIVES
                   if row["status"] != "ok" or row[k] is None or not math.isfinite(row[k])]
            if bad:
                raise SoftsimError(
                    f"candidate {dict(run.params)} under future {run.future!r}: "
                    + (f"run failed ({row['error']})" if row["status"] != "ok"
                       else f"{', '.join(bad)} undefined")
                )
        for key in new:
            cid = self.ids[key]
            mine = [results[run.run_id] for run in runs if run.point == cid]
            out = self.rows[cid]
            for k in (*(k for k, _ in OBJECTIVES), *REPORTED):
                out[k] = float(np.mean([row[k] for row in mine]))
            for future in self.spec.futures:
                for k, _ in OBJECTIVES:
                    out[f"{k}@{future}"] = float(np.mean(
                        [row[k] for row in mine if row["future"] == future]))
            out["spent_net"] = out["budget_spent_share"] / (1.0 - self.base.budget.laisser_faire)
            out["meets_budget_rule"] = out["spent_net"] >= MIN_SPENT_NET
            out["runs"] = len(mine)
        if self.report:
            self.report(f"{len(self.rows)} candidates evaluated, {self.runs} runs")


@contextmanager
def _platypus_random(rng: random.Random) -> Iterator[None]:
    """Give Platypus its own random stream inside the block.

    Platypus draws from the ``random`` module's global state, which other code of this process
    also draws from (a Dask client's threads do): the search would then depend on the
    executor. Its modules' ``random`` name is pointed at ``rng`` (same functions) meanwhile.
    """
    import importlib

    modules = [importlib.import_module(f"platypus.{m}") for m in _PLATYPUS_RANDOM]
    previous = [m.random for m in modules]
    for m in modules:
        m.random = rng
    try:
        yield
    finally:
        for m, prev in zip(modules, previous, strict=True):
            m.random = prev


_PLATYPUS_RANDOM = ("_math", "algorithms", "operators", "types", "weights", "extensions",
                    "problems")
"""Platypus modules that draw from the ``random`` module."""


def search(spec: SearchSpec, executor, report: Callable[[str], None] | None = None
           ) -> SearchResult:
    """Search the lever space for strategies not dominated on the :data:`OBJECTIVES`.

    Args:
        spec: What to search (checked with :func:`check_search` first).
        executor: A sweep executor (:func:`softsim.sweep_run.make_executor`); not closed here.
        report: Called with a line after each generation.

    Returns:
        The candidates, the front and the compromise.
    """
    import platypus

    from softsim.config import load_config

    started = time.perf_counter()
    base_values = check_search(spec)
    base = load_config(spec.base, spec.run_overrides())
    evals = _Evaluations(spec, executor, base, report)
    space = spec.space()
    n_genes = sum(lv.width for lv in space)

    class Problem(platypus.Problem):
        def __init__(self) -> None:
            super().__init__(n_genes, len(OBJECTIVES), 1)
            self.types[:] = platypus.Real(0.0, 1.0)
            self.constraints[:] = ">=0"
            self.directions[:] = [platypus.Direction.MAXIMIZE if d == "higher"
                                  else platypus.Direction.MINIMIZE for _, d in OBJECTIVES]

        def evaluate(self, solution) -> None:
            key = evals.key(solution.variables)
            solution.objectives[:] = evals.objectives(key)
            solution.constraints[:] = [evals.slack(key)]

    class Evaluator(platypus.Evaluator):
        def evaluate_all(self, jobs, **kwargs):
            evals.evaluate([evals.key(job.solution.variables) for job in jobs])
            for job in jobs:
                job.run()
            return jobs

    evals.evaluate([tuple(base_values.items())], origin="base")
    with _platypus_random(SeedTree(spec.seed).python_random(SEARCH_STREAM)):
        algorithm = platypus.NSGAII(Problem(), population_size=spec.population,
                                    evaluator=Evaluator())
        algorithm.run(spec.evaluations)
    import pandas as pd

    candidates = pd.DataFrame(evals.rows)
    keys = [k for k, _ in OBJECTIVES]
    feasible = candidates[candidates["meets_budget_rule"]]
    if feasible.empty:
        raise SoftsimError(
            f"no candidate spends {MIN_SPENT_NET:.0%} of its envelope net of laisser faire "
            f"(the budget rule; the base spends {candidates['spent_net'].iloc[0]:.3f}): "
            f"nothing to compare at equal money")
    mask = non_dominated(feasible[keys].to_numpy(), [d for _, d in OBJECTIVES])
    front = feasible[mask].reset_index(drop=True)
    chosen, distance = compromise(front)
    front.insert(len(front.columns), "distance", distance)
    return SearchResult(spec, candidates, front, chosen, int(algorithm.nfe), evals.runs,
                        time.perf_counter() - started, base_values)
