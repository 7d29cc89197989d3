"""Sweep files and experiment designs: which runs a sweep makes, before any of them runs.

A sweep file (``configs/sweeps/*.toml``) names base scenarios, futures, parameters by dotted
config path (any key ``--set`` accepts, ``territory.spec`` included) with a range or a list of
values, replicates, a root seed and a design:

* ``grid``: every combination of the parameters' values (a range gives ``steps`` values);
* ``lhs``: a Latin hypercube of ``samples`` points (:class:`scipy.stats.qmc.LatinHypercube`);
* ``sobol``: Saltelli's extension of the Sobol' sequence for Sobol indices
  (:func:`SALib.sample.sobol.sample`), ``samples × (D + 2)`` points, or ``× (2D + 2)`` with
  ``second_order``; ``samples`` must be a power of two;
* ``morris``: ``samples`` Morris trajectories of ``D + 1`` points on ``levels`` levels
  (:func:`SALib.sample.morris.sample`), for elementary effects.

The sweep is the product *design point × base scenario × future × replicate*; run ``i`` is
numbered in that order (the replicate varies fastest). The seed of a run derives from the root
seed through the seed tree: with ``common_random_numbers`` (the default) replicate ``r`` of
every point, scenario and future gets ``SeedTree(seed).child("replicate-r")``, as in
:func:`softsim.compare`, so differences between scenarios, futures and points are paired;
without it, run ``i`` gets ``SeedTree(seed).child("run-i")``. The territory of every run is
drawn from the root seed. Nothing here runs a simulation or writes a file.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from softsim.config import check_runnable, load_config, read_toml
from softsim.errors import ConfigError, SoftsimError
from softsim.rng import SeedTree

__all__ = [
    "Design",
    "Parameter",
    "Run",
    "SweepPlan",
    "SweepSpec",
    "load_sweep",
    "sweeps_dir",
]

NO_FUTURE = "none"
"""The future name that keeps each scenario's own ``[futures]`` section."""

Scalar = bool | int | float | str


def sweeps_dir() -> Path:
    """Folder of the bundled sweep files."""
    return Path(__file__).parent / "configs" / "sweeps"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class Parameter(_Model):
    """One swept parameter: a ``range`` (continuous, or ``integer``) or a list of ``values``.

    In a ``grid`` a range gives ``steps`` evenly spaced values; in the sampled designs a list
    of values is a categorical factor (the unit interval cut into equal parts).
    """

    range: list[float] | None = Field(None, min_length=2, max_length=2)
    values: list[Scalar] | None = Field(None, min_length=1)
    integer: bool = False
    steps: int | None = Field(None, ge=2, le=10_000)

    @model_validator(mode="after")
    def _one_kind(self) -> Parameter:
        if (self.range is None) == (self.values is None):
            raise ValueError("expected either range = [low, high] or values = [...]")
        if self.range is not None:
            low, high = self.range
            if not low < high:
                raise ValueError(
                    f"range [{low:g}, {high:g}] is empty or inverted (expected low < high)"
                )
            if self.integer and math.floor(high) < math.ceil(low):
                raise ValueError(f"range [{low:g}, {high:g}] holds no integer")
        elif self.integer or self.steps is not None:
            raise ValueError("integer and steps apply to a range, not to values")
        return self

    def grid_values(self, name: str) -> list[Scalar]:
        """The values a grid takes."""
        if self.values is not None:
            return list(self.values)
        if self.steps is None:
            raise ConfigError(f"parameters.{name}: a grid needs steps = N for a range")
        low, high = self.range
        if self.integer:
            return sorted({int(v) for v in np.rint(np.linspace(low, high, self.steps))})
        return [float(v) for v in np.linspace(low, high, self.steps)]

    def from_unit(self, u: np.ndarray) -> list[Scalar]:
        """Map points of the unit interval to the parameter's values."""
        if self.values is not None:
            k = len(self.values)
            idx = np.minimum((np.asarray(u) * k).astype(np.int64), k - 1)
            return [self.values[i] for i in idx]
        low, high = self.range
        x = low + np.asarray(u) * (high - low)
        if self.integer:
            return [int(v) for v in np.clip(np.rint(x), math.ceil(low), math.floor(high))]
        return [float(v) for v in x]

    def dtype(self) -> str:
        """The column type of its values in the run store."""
        if self.range is not None:
            return "int64" if self.integer else "float64"
        kinds = {type(v) for v in self.values}
        if kinds == {bool}:
            return "bool"
        if kinds <= {int}:
            return "int64"
        if kinds <= {int, float}:
            return "float64"
        return "string"


class Design(_Model):
    """How the parameter space is explored."""

    kind: Literal["grid", "lhs", "sobol", "morris"] = "grid"
    samples: int | None = Field(None, ge=1, le=1_000_000)
    levels: int = Field(4, ge=2, le=100)
    second_order: bool = False


class SweepSpec(_Model):
    """A sweep file, validated.

    Attributes:
        name: Label of the sweep (default: the file's stem).
        description: What the sweep explores.
        scenarios: Base scenarios (bundled names or .toml paths relative to the file).
        futures: Futures (bundled names, .toml paths, or ``none`` for the scenario's own).
        parameters: Swept parameters by dotted config path.
        replicates: Seeded replicates of every point, scenario and future.
        seed: Root seed.
        common_random_numbers: Replicate ``r`` shares its seed across points, scenarios
            and futures (paired differences); otherwise each run has its own seed.
        set: Fixed ``section.key=value`` overrides applied to every run, before the parameters.
        design: The experiment design.
        uncertainties: Swept parameters that describe the future rather than a choice (for
            ``softsim analyze --robustness``; parameters under ``futures.`` always do).
        remainder: A share that takes what the swept shares of its section leave, e.g.
            ``"budget.mix.sites"``: each run sets it to 1 minus the swept ``budget.mix.*``
            values, so that shares which must sum to 1 can be swept independently.
    """

    name: str = Field("", max_length=200)
    description: str = ""
    scenarios: list[str] = Field(min_length=1)
    futures: list[str] = Field([NO_FUTURE], min_length=1)
    parameters: dict[str, Parameter] = {}
    replicates: int = Field(1, ge=1, le=100_000)
    seed: int = Field(1, ge=0, lt=2**63)
    common_random_numbers: bool = True
    set: list[str] = []
    design: Design = Design()
    uncertainties: list[str] = []
    remainder: str | None = None

    @model_validator(mode="after")
    def _uncertainties_swept(self) -> SweepSpec:
        for name in self.uncertainties:
            if name not in self.parameters:
                raise ValueError(f"{name!r} is not a swept parameter (expected one of "
                                 f"[parameters.*])")
        return self

    @model_validator(mode="after")
    def _remainder_fits(self) -> SweepSpec:
        if self.remainder is None:
            return self
        if self.remainder in self.parameters:
            raise ValueError(f"remainder: {self.remainder!r} is also swept (expected a share "
                             f"that only takes what the swept ones leave)")
        shares = self.shares()
        if not shares:
            raise ValueError(f"remainder: no swept parameter shares its section "
                             f"{self.remainder.rpartition('.')[0]!r}")
        top = 0.0
        for name in shares:
            p = self.parameters[name]
            values = p.range if p.range is not None else p.values
            if any(isinstance(v, bool | str) or v < 0 for v in values):
                raise ValueError(f"parameters.{name}: a share swept with a remainder takes "
                                 f"non-negative numbers")
            top += max(values)
        if top > 1:
            raise ValueError(f"remainder: the swept shares of "
                             f"{self.remainder.rpartition('.')[0]!r} can sum to {top:g} "
                             f"(expected at most 1, so that {self.remainder} stays >= 0)")
        return self

    def shares(self) -> list[str]:
        """The swept parameters whose section is the remainder's (empty without one)."""
        if self.remainder is None:
            return []
        section = self.remainder.rpartition(".")[0] + "."
        return [k for k in self.parameters if k.startswith(section)]


@dataclass(frozen=True)
class Run:
    """One run of a sweep: what a worker needs to make it (small: it crosses processes)."""

    run_id: int
    point: int
    scenario: str
    future: str
    replicate: int
    seed: int
    root_seed: int
    overrides: tuple[str, ...]
    params: tuple[tuple[str, Scalar], ...]
    scenario_ref: str
    future_ref: str


class SweepPlan:
    """The runs of a sweep, derived from its file; nothing is run.

    Args:
        spec: The validated sweep file.
        path: Where it was read from (relative scenario and future paths start there).
        sha256: Hash of the file's bytes (a results folder records it).
    """

    def __init__(self, spec: SweepSpec, path: Path | None = None, sha256: str = "") -> None:
        self.spec = spec
        self.path = path
        self.sha256 = sha256
        self.name = spec.name or (path.stem if path else "sweep")
        folder = path.parent if path else Path.cwd()
        self.scenarios = [_relative(s, folder) for s in spec.scenarios]
        self.futures = [_relative(f, folder) for f in spec.futures]
        self.param_names = list(spec.parameters)
        self.points, self.unit = _design_points(spec)
        r = spec.replicates
        self.n_runs = len(self.points) * len(self.scenarios) * len(self.futures) * r
        root = SeedTree(spec.seed)
        self._replicate_seeds = [root.child(f"replicate-{i}").seed for i in range(r)]
        self._root = root
        self._fixed: dict[str, float] = {}

    def seed_of(self, run_id: int) -> int:
        """The seed of run ``run_id``."""
        if self.spec.common_random_numbers:
            return self._replicate_seeds[run_id % self.spec.replicates]
        return self._root.child(f"run-{run_id}").seed

    def run(self, run_id: int) -> Run:
        """Run ``run_id`` (0 ≤ run_id < n_runs)."""
        r = self.spec.replicates
        nf, ns = len(self.futures), len(self.scenarios)
        rest, replicate = divmod(run_id, r)
        rest, f = divmod(rest, nf)
        point, s = divmod(rest, ns)
        params = tuple(zip(self.param_names, self.points[point], strict=True))
        overrides = (*self.spec.set, *(f"{k}={_toml_value(v)}" for k, v in params),
                     *self._remainder(self.scenarios[s], dict(params)))
        return Run(run_id, point, self.spec.scenarios[s], self.spec.futures[f], replicate,
                   self.seed_of(run_id), self.spec.seed, overrides, params,
                   self.scenarios[s], self.futures[f])

    def _fixed_shares(self, scenario: str) -> float:
        """The sum of the remainder's section's other shares that the sweep does not vary."""
        if scenario not in self._fixed:
            section, _, leaf = self.spec.remainder.rpartition(".")
            values = load_config(scenario, list(self.spec.set)).model_dump()
            for key in section.split("."):
                values = values[key]
            swept = {k.rpartition(".")[2] for k in self.spec.shares()}
            self._fixed[scenario] = math.fsum(
                v for k, v in values.items()
                if k != leaf and k not in swept and isinstance(v, float))
        return self._fixed[scenario]

    def _remainder(self, scenario: str, params: dict[str, Scalar]) -> tuple[str, ...]:
        if self.spec.remainder is None:
            return ()
        rest = 1.0 - self._fixed_shares(scenario) - math.fsum(
            params[k] for k in self.spec.shares())
        return (f"{self.spec.remainder}={_toml_value(max(0.0, rest))}",)

    def table(self, limit: int | None = None) -> pd.DataFrame:
        """The runs as a table: run id, point, scenario, future, replicate, seed, parameters."""
        n = self.n_runs if limit is None else min(limit, self.n_runs)
        rows = []
        for i in range(n):
            run = self.run(i)
            rows.append({"run_id": run.run_id, "point": run.point, "scenario": run.scenario,
                         "future": run.future, "replicate": run.replicate, "seed": run.seed,
                         **dict(run.params)})
        return pd.DataFrame(rows)

    def param_dtypes(self) -> dict[str, str]:
        """Column type of each parameter in the run store."""
        return {k: p.dtype() for k, p in self.spec.parameters.items()}

    def describe(self) -> dict:
        """The design as the manifest and the report record it."""
        d = self.spec.design
        return {
            "kind": d.kind,
            "samples": d.samples,
            "levels": d.levels if d.kind == "morris" else None,
            "second_order": d.second_order if d.kind == "sobol" else None,
            "points": len(self.points),
            "scenarios": list(self.spec.scenarios),
            "futures": list(self.spec.futures),
            "replicates": self.spec.replicates,
            "runs": self.n_runs,
            "seed": self.spec.seed,
            "common_random_numbers": self.spec.common_random_numbers,
            "parameters": {k: p.model_dump(exclude_none=True)
                           for k, p in self.spec.parameters.items()},
            "remainder": self.spec.remainder,
        }

    def check(self) -> None:
        """Check, before any work, that every run of the sweep can be configured.

        Each scenario and future is loaded with the fixed overrides and, for each parameter,
        each of its list values and both ends of its range (the other parameters at the first
        point): unknown paths and out-of-range values fail here, not in run 7,000. Territory
        codes are looked up in the bundled table.

        Raises:
            ConfigError: One line naming the sweep file and the field.
        """
        from softsim.futures import load_future

        where = str(self.path) if self.path else self.name
        if self.spec.remainder is not None:
            top = math.fsum(max(p.range or p.values)
                            for k, p in self.spec.parameters.items() if k in self.spec.shares())
            for scenario in self.scenarios:
                fixed = self._fixed_shares(scenario)
                if fixed + top > 1 + 1e-9:
                    raise ConfigError(
                        f"{where}: remainder: with {scenario}'s other shares ({fixed:g}) the "
                        f"swept shares can sum to {fixed + top:g} (expected at most 1, so that "
                        f"{self.spec.remainder} stays >= 0)")
        first = dict(zip(self.param_names, self.points[0], strict=True))
        probes = [first]
        for k, p in self.spec.parameters.items():
            for v in (p.values if p.values is not None else p.from_unit(np.array([0.0, 1.0]))):
                probes.append({**first, k: v})
        for future in self.futures:
            sections = {} if future == NO_FUTURE else {"futures": load_future(future)}
            for scenario in self.scenarios:
                for probe in probes:
                    try:
                        overrides = [*self.spec.set, *(f"{k}={_toml_value(v)}"
                                                       for k, v in probe.items()),
                                     *self._remainder(scenario, probe)]
                        cfg = load_config(scenario, overrides, **sections)
                        check_runnable(cfg)
                        _check_territory_spec(cfg.territory.spec)
                    except SoftsimError as exc:
                        raise ConfigError(f"{where}: {exc}") from None


def _check_territory_spec(spec: str) -> None:
    spec = spec.strip()
    if spec.startswith(("dep:", "epci:")):
        from softsim.territory.real import bundled_selection

        bundled_selection(spec)


def _relative(name: str, folder: Path) -> str:
    """A scenario or future named by a relative .toml path is read from the sweep's folder."""
    path = Path(name)
    if path.suffix == ".toml" and not path.is_absolute():
        return str((folder / path).resolve())
    return name


def _toml_value(v: Scalar) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _design_seed(spec: SweepSpec) -> int:
    # SALib and scipy take 32-bit seeds; the design stream is a named child of the root
    return SeedTree(spec.seed).child("design").seed % 2**32


def _design_points(spec: SweepSpec) -> tuple[list[tuple[Scalar, ...]], np.ndarray | None]:
    """The design's points and, for sampled designs, the same points on the unit hypercube.

    Points are tuples of parameter values in the design's order; SALib analyses the unit
    hypercube's.
    """
    params = spec.parameters
    d = spec.design
    names = list(params)
    if d.kind == "grid":
        if d.samples is not None:
            raise ConfigError("design.samples: a grid takes every combination; remove samples")
        if not params:
            return [()], None
        return list(itertools.product(*(params[k].grid_values(k) for k in names))), None
    if not params:
        raise ConfigError(f"parameters: design {d.kind!r} needs at least one parameter")
    if d.samples is None:
        raise ConfigError(f"design.samples: design {d.kind!r} needs samples = N")
    k = len(names)
    seed = _design_seed(spec)
    if d.kind == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=k, seed=np.random.default_rng(seed)).random(d.samples)
    else:
        problem = {"num_vars": k, "names": names, "bounds": [[0.0, 1.0]] * k}
        if d.kind == "sobol":
            n = d.samples
            if n & (n - 1):
                low = 1 << (n.bit_length() - 1)
                raise ConfigError(
                    f"design.samples: the sobol design needs a power of two, got {n} "
                    f"(for example {low} or {low * 2})"
                )
            if k < 2:
                raise ConfigError("parameters: the sobol design needs at least 2 parameters")
            from SALib.sample import sobol

            unit = sobol.sample(problem, n, calc_second_order=d.second_order, seed=seed)
        else:
            from SALib.sample import morris

            unit = morris.sample(problem, d.samples, num_levels=d.levels, seed=seed)
    columns = [params[name].from_unit(unit[:, j]) for j, name in enumerate(names)]
    return list(zip(*columns, strict=True)), unit


def _format_error(exc: ValidationError, source: str) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith(("function-after",)))
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    more = f" (+{len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return " ".join(f"{source}: {loc + ': ' if loc else ''}{msg}{more}".split())


def load_sweep(name_or_path: str | Path) -> SweepPlan:
    """Read and validate a sweep file (a path, or a bundled sweep's name) into its plan.

    Every run's config is checked (see :meth:`SweepPlan.check`) before this returns.

    Args:
        name_or_path: A ``.toml`` path, or the name of a file in ``configs/sweeps/``.

    Returns:
        The plan of the sweep.

    Raises:
        ConfigError: One line naming the file and the field.
    """
    path = Path(name_or_path)
    if path.suffix != ".toml" and not path.exists():
        bundled = sweeps_dir() / f"{name_or_path}.toml"
        if not bundled.exists():
            known = ", ".join(sorted(p.stem for p in sweeps_dir().glob("*.toml")))
            raise ConfigError(f"unknown sweep {str(name_or_path)!r} (expected a .toml file "
                              f"or one of: {known})")
        path = bundled
    raw = read_toml(path)
    try:
        spec = SweepSpec.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_error(exc, str(path))) from None
    try:
        plan = SweepPlan(spec, path, hashlib.sha256(path.read_bytes()).hexdigest())
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    plan.check()
    return plan
