"""Objectives a scenario must meet: targets on reported metrics, and whether runs meet them.

A departmental scheme is signed as agreements with objectives; a scenario states them in its
``[objectives]`` section (:class:`~softsim.config.Objective`): a metric of
:mod:`softsim.metric_registry` (or ``<group>.<field>`` of a group table), a direction
(``at_least`` / ``at_most``) and a target. :func:`evaluate` gives a run's
``objectives: {name: {metric, direction, target, value, met}}`` (summary.json);
:func:`objectives_table` counts, over a comparison's replicates, in how many each scenario
meets each objective. An undefined value (no need at all, no reception point) does not meet
its objective. Computes only; nothing here writes files.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from softsim.config import Config, Objective
from softsim.metric_registry import format_value, objective_metric

__all__ = ["evaluate", "is_met", "objective_label", "objectives_table", "objectives_markdown"]

_SIGN = {"at_least": "≥", "at_most": "≤"}


def is_met(objective: Objective, value: float) -> bool:
    """Whether ``value`` meets the objective (NaN never does)."""
    if not np.isfinite(value):
        return False
    if objective.direction == "at_least":
        return bool(value >= objective.target)
    return bool(value <= objective.target)


def evaluate(objectives: dict[str, Objective], summary: dict) -> dict[str, dict]:
    """Each objective's target, the run's value and whether it is met.

    Args:
        objectives: The scenario's objectives, by name.
        summary: The run's summary (``metrics`` and ``groups`` are read).
    """
    out = {}
    for name, o in objectives.items():
        value = objective_metric(o.metric).read(summary)
        out[name] = {
            "metric": o.metric,
            "direction": o.direction,
            "target": o.target,
            "value": float(value) if np.isfinite(value) else None,
            "met": is_met(o, value),
        }
    return out


def objective_label(name: str, o: Objective) -> str:
    """How tables name an objective: ``name: metric ≥ target``."""
    metric = objective_metric(o.metric)
    return f"{name}: {o.metric} {_SIGN[o.direction]} {format_value(metric, o.target)}"


def objectives_table(configs: Sequence[Config], results: Sequence) -> pd.DataFrame:
    """Per objective (of any scenario) and scenario: replicates meeting it, out of how many.

    Every scenario is judged on every objective stated by any of them, so scenarios are
    compared on the same targets. Rows: ``objective`` (its label), ``scenario``, ``met``,
    ``replicates``, ``value_mean`` (mean of the defined values).

    Args:
        configs: The resolved scenarios, in order.
        results: The runs (objects with ``scenario`` and ``summary``).
    """
    stated: dict[str, tuple[str, Objective]] = {}
    for c in configs:
        for name, o in c.objectives.items():
            stated.setdefault(objective_label(name, o), (name, o))
    rows = []
    for label, (_, o) in stated.items():
        metric = objective_metric(o.metric)
        for c in configs:
            values = np.array(
                [metric.read(r.summary) for r in results if r.scenario == c.name], float
            )
            rows.append({
                "objective": label,
                "scenario": c.name,
                "met": sum(is_met(o, v) for v in values),
                "replicates": len(values),
                "value_mean": float(np.nanmean(values)) if np.isfinite(values).any()
                else float("nan"),
            })
    return pd.DataFrame(rows, columns=["objective", "scenario", "met", "replicates",
                                       "value_mean"])


def objectives_markdown(table: pd.DataFrame) -> str:
    """The objectives table as Markdown: one row per objective, "met in k of n" per scenario."""
    if table.empty:
        return ""
    scenarios = list(dict.fromkeys(table["scenario"]))
    lines = ["| objective | " + " | ".join(scenarios) + " |",
             "|---|" + "---:|" * len(scenarios)]
    for label, sub in table.groupby("objective", sort=False):
        cells = {r.scenario: f"met in {r.met} of {r.replicates}" for r in sub.itertuples()}
        lines.append(f"| {label} | " + " | ".join(cells[s] for s in scenarios) + " |")
    return "\n".join(lines)
