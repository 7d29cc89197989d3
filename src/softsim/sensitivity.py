"""Sensitivity indices of a sweep made with a ``sobol`` or ``morris`` design (SALib).

One code path for ``sweep.md`` and ``softsim analyze --sobol/--morris``: the indices of each
swept parameter on the mean over replicates of each design point, per base scenario, future
and metric, with 95 % confidence intervals (SALib's bootstrap).

A parameter is *indistinguishable from zero* when the lower end of the 95 % interval of its total
index (Sobol) or of μ* (Morris) does not exceed the *noise floor*: what replicate noise alone
gives a parameter without effect. With ``R`` replicates, the noise variance of a point's mean
is ``v = mean within-point variance / R``; a parameter without effect then has ST ≈ v / Var(y)
(Jansen's estimator averages squared differences of two noisy means) and μ* ≈ √(2v)·√(2/π) / Δ
(the mean absolute value of a difference of two noisy means over the step Δ). With one
replicate the noise cannot be measured: the floor is 0. Computes only; nothing is written here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from softsim.errors import SoftsimError
from softsim.rng import SeedTree
from softsim.sweep import SweepPlan

__all__ = ["COLUMNS", "bootstrap_seed", "design_indices", "sweep_indices"]

COLUMNS = {
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("mu_star", "mu_star_conf", "sigma"),
}
"""The index columns of each design's table (``*_conf``: half-width of the 95 % interval)."""


def bootstrap_seed(root_seed: int) -> int:
    """Seed of SALib's bootstrap of the confidence intervals, from the sweep's seed tree.

    The stream ``sensitivity-bootstrap`` of the sweep's root seed: the same sweep gives the same
    table, and the bootstrap draws nothing that a run draws.
    """
    return int(SeedTree(root_seed).sequence("sensitivity-bootstrap").generate_state(1)[0])


def design_indices(kind: str, names: list[str], y: np.ndarray, *, unit: np.ndarray | None = None,
                   levels: int = 4, second_order: bool = False,
                   noise_var: float = 0.0, seed: int) -> pd.DataFrame:
    """Indices of one output over a Sobol or Morris design.

    Args:
        kind: ``sobol`` or ``morris``.
        names: The parameters, in the design's order.
        y: The output at each design point, in the design's order.
        unit: The design points on the unit hypercube (Morris needs them).
        levels: Morris grid levels.
        second_order: Whether the Sobol design holds the second-order points.
        noise_var: Noise variance of each value of ``y`` (0 when unknown).
        seed: Seed of the bootstrap of the intervals (:func:`bootstrap_seed` of the sweep).

    Returns:
        One row per parameter: ``parameter``, the columns of :data:`COLUMNS`, ``noise_floor``
        and ``null`` (the 95 % interval of ST, or of μ*, reaches the noise floor).
    """
    from SALib.analyze import morris, sobol

    problem = {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}
    y = np.asarray(y, float)
    if kind == "sobol":
        si = sobol.analyze(problem, y, calc_second_order=second_order, seed=seed)
        total, conf = np.asarray(si["ST"]), np.asarray(si["ST_conf"])
        var = float(np.var(y))
        floor = noise_var / var if var > 0 else 0.0
    elif kind == "morris":
        si = morris.analyze(problem, np.asarray(unit, float), y, num_levels=levels,
                            seed=seed)
        total, conf = np.asarray(si["mu_star"]), np.asarray(si["mu_star_conf"])
        delta = levels / (2.0 * (levels - 1))
        floor = np.sqrt(2.0 * noise_var) * np.sqrt(2.0 / np.pi) / delta
    else:
        raise ValueError(f"no sensitivity indices for design {kind!r}")
    table = pd.DataFrame({"parameter": list(names)})
    for col in COLUMNS[kind]:
        table[col] = np.asarray(si[col], float)
    table["noise_floor"] = floor
    table["null"] = (total - np.nan_to_num(conf, nan=np.inf)) <= floor
    return table


def sweep_indices(plan: SweepPlan, runs: pd.DataFrame, metrics: list[str] | tuple[str, ...]
                  ) -> pd.DataFrame:
    """Indices of every swept parameter per base scenario, future and metric.

    Args:
        plan: The sweep (its design must be ``sobol`` or ``morris``).
        runs: The run store's table; every run of the design must have finished.
        metrics: Columns of ``runs`` to analyse.

    Returns:
        One row per scenario × future × metric × parameter: ``scenario``, ``future``,
        ``metric`` and the columns of :func:`design_indices`. A metric that is not finite at
        every point of a scenario × future is left out.

    Raises:
        SoftsimError: The design is not ``sobol`` or ``morris``, or runs are missing or failed.
    """
    kind = plan.spec.design.kind
    if kind not in COLUMNS or plan.unit is None:
        raise SoftsimError(f"sweep {plan.name}: sensitivity indices need a sweep made with "
                           f'design kind = "sobol" or "morris", this one is "{kind}"')
    ok = runs[runs["status"] == "ok"]
    if len(ok) != plan.n_runs:
        raise SoftsimError(f"sweep {plan.name}: the indices need every run of the design to "
                           f"have finished ({len(ok)} of {plan.n_runs})")
    frames = []
    for (scenario, future), sub in ok.groupby(["scenario", "future"], sort=False):
        for key in metrics:
            by_point = sub.groupby("point")[key]
            y = by_point.mean().sort_index().to_numpy(float)
            if len(y) != len(plan.points) or not np.isfinite(y).all():
                continue
            r = plan.spec.replicates
            noise = float(by_point.var(ddof=1).mean()) / r if r > 1 else 0.0
            t = design_indices(kind, plan.param_names, y, unit=plan.unit,
                               levels=plan.spec.design.levels,
                               second_order=plan.spec.design.second_order, noise_var=noise,
                               seed=bootstrap_seed(plan.spec.seed))
            t.insert(0, "metric", key)
            t.insert(0, "future", future)
            t.insert(0, "scenario", scenario)
            frames.append(t)
    if not frames:
        return pd.DataFrame(columns=["scenario", "future", "metric", "parameter",
                                     *COLUMNS[kind], "noise_floor", "null"])
    return pd.concat(frames, ignore_index=True)
