"""Robustness of strategies across futures: regret and satisficing (Savage; Simon).

A sweep crosses *strategies* with *futures*. A strategy is a base scenario with the values of
the swept levers; a future is a future of the sweep's ``futures`` list with the values of the
swept uncertainties (parameters under ``futures.``, and those the sweep file names in
``uncertainties``). Each strategy × future cell is the mean over its replicates.

* Regret of a strategy in a future, for one metric: its distance to the best strategy in that
  future, in the metric's better direction (:data:`softsim.metric_registry.METRICS`); 0 for
  the best. A strategy's regret is its maximum (and mean) over the futures.
* Satisficing: the share of futures in which the strategy meets every objective (thresholds
  per metric), and each objective alone.

Strategies are ranked by satisficing (when objectives are given), then by the sum over the
metrics of the maximum regret divided by the metric's spread over all cells. Computes and draws
only; nothing is written here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from softsim import metric_registry as reg
from softsim.discovery import Condition
from softsim.errors import SoftsimError
from softsim.sweep import SweepPlan

__all__ = ["Robustness", "cells", "robustness", "robustness_figure", "split_parameters"]


def split_parameters(plan: SweepPlan) -> tuple[list[str], list[str]]:
    """The sweep's levers and uncertainties (``futures.*`` paths and ``uncertainties``)."""
    marked = set(plan.spec.uncertainties)
    unc = [p for p in plan.param_names if p.startswith("futures.") or p in marked]
    return [p for p in plan.param_names if p not in unc], unc


def _label(row: pd.Series, cols: list[str]) -> str:
    return ", ".join(str(row[c]) if c in ("scenario", "future") else f"{c}={row[c]}"
                     for c in cols)


def cells(runs: pd.DataFrame, levers: list[str], uncertainties: list[str],
          metrics: list[str]) -> pd.DataFrame:
    """Mean of each metric per strategy × future, with ``strategy`` and ``world`` labels.

    Raises:
        SoftsimError: Fewer than two strategies or two futures, or a strategy missing a future
            (the sweep does not cross them: use a ``grid`` design).
    """
    ok = runs[runs["status"] == "ok"]
    s_cols, f_cols = ["scenario", *levers], ["future", *uncertainties]
    if not len(ok):
        raise SoftsimError("robustness: the sweep has no finished run")
    mean = ok.groupby(s_cols + f_cols, sort=False, dropna=False)[metrics].mean().reset_index()
    mean["strategy"] = mean.apply(_label, axis=1, cols=s_cols)
    mean["world"] = mean.apply(_label, axis=1, cols=f_cols)
    n_s, n_f = mean["strategy"].nunique(), mean["world"].nunique()
    if n_s < 2 or n_f < 2:
        raise SoftsimError(f"robustness: the sweep has {n_s} strateg{'y' if n_s == 1 else 'ies'} "
                           f"and {n_f} future{'' if n_f == 1 else 's'}; it needs at least two "
                           "of each (levers and base scenarios × futures and uncertainties)")
    if len(mean) != n_s * n_f:
        counts = mean.groupby("strategy")["world"].nunique()
        short = counts[counts < n_f].index[0]
        raise SoftsimError(f"robustness: strategy {short!r} was run in {counts[short]} of the "
                           f"{n_f} futures; every strategy must meet every future (a grid "
                           "design crosses them)")
    return mean


@dataclass
class Robustness:
    """Regret and satisficing of each strategy.

    Attributes:
        regret: Per strategy × future × metric: ``value``, ``best``, ``regret``.
        table: Per strategy, ranked: ``max_regret:<metric>``, ``mean_regret:<metric>``,
            ``satisficing`` and ``satisficing:<objective>`` (with objectives), ``rank``.
        metrics: The metrics.
        objectives: The objectives.
    """

    regret: pd.DataFrame
    table: pd.DataFrame
    metrics: list[str]
    objectives: list[Condition]


def robustness(mean: pd.DataFrame, metrics: list[str], objectives: list[Condition]
               ) -> Robustness:
    """Regret and satisficing from the strategy × future cells (see :func:`cells`).

    Raises:
        SoftsimError: A metric has no better direction (``neither``).
    """
    rows = []
    for key in metrics:
        direction = reg.get(key).direction
        if direction not in ("higher", "lower"):
            raise SoftsimError(f"--metrics: {key} has no better direction; regret needs a "
                               "metric to maximise or minimise")
        v = mean[["strategy", "world", key]].rename(columns={key: "value"})
        best = v.groupby("world")["value"].transform("max" if direction == "higher" else "min")
        r = (best - v["value"]) if direction == "higher" else (v["value"] - best)
        rows.append(v.assign(metric=key, best=best, regret=r))
    regret = pd.concat(rows, ignore_index=True)
    table = pd.DataFrame({"strategy": list(dict.fromkeys(mean["strategy"]))})
    score = np.zeros(len(table))
    for key in metrics:
        r = regret[regret["metric"] == key].groupby("strategy", sort=False)["regret"]
        table[f"max_regret:{key}"] = table["strategy"].map(r.max())
        table[f"mean_regret:{key}"] = table["strategy"].map(r.mean())
        spread = float(np.nanmax(mean[key]) - np.nanmin(mean[key]))
        score += table[f"max_regret:{key}"].to_numpy(float) / (spread if spread > 0 else 1.0)
    sort = ["score"]
    ascending = [True]
    if objectives:
        met = np.ones(len(mean), bool)
        for c in objectives:
            ok = c.holds(mean[c.metric])
            met &= ok
            table[f"satisficing:{c}"] = table["strategy"].map(
                pd.Series(ok, index=mean.index).groupby(mean["strategy"]).mean())
        table["satisficing"] = table["strategy"].map(
            pd.Series(met, index=mean.index).groupby(mean["strategy"]).mean())
        sort, ascending = ["satisficing", "score"], [False, True]
    table["score"] = score
    table = table.sort_values(sort, ascending=ascending, kind="stable", ignore_index=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return Robustness(regret, table, list(metrics), list(objectives))


def robustness_figure(r: Robustness):
    """Strategies in rank order: maximum regret per metric, and satisficing."""
    import matplotlib.pyplot as plt

    n = len(r.metrics) + (1 if r.objectives else 0)
    t = r.table
    fig, axes = plt.subplots(1, n, figsize=(3.6 * n + 2.5, 0.9 + 0.38 * len(t)), sharey=True,
                             squeeze=False)
    ypos = np.arange(len(t))
    for ax, key in zip(axes[0], r.metrics, strict=False):
        ax.barh(ypos, t[f"max_regret:{key}"], color="C3", alpha=0.8, label="max")
        ax.scatter(t[f"mean_regret:{key}"], ypos, color="k", s=12, zorder=3, label="mean")
        ax.set_title(f"regret: {reg.get(key).label}", fontsize=9)
        ax.legend(fontsize=7)
    if r.objectives:
        ax = axes[0][-1]
        ax.barh(ypos, t["satisficing"], color="C2")
        ax.set_xlim(0, 1)
        ax.set_title("share of futures meeting\n" + "; ".join(map(str, r.objectives)),
                     fontsize=8)
    axes[0][0].set_yticks(ypos, [f"{k}. {s}" for k, s in zip(t["rank"], t["strategy"],
                                                             strict=True)], fontsize=7)
    axes[0][0].invert_yaxis()
    fig.tight_layout()
    return fig
