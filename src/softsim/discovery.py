"""Scenario discovery: the regions of a sweep's inputs where a condition on a metric holds.

PRIM (Friedman and Fisher's patient rule induction method) as EMA Workbench implements it
(:class:`ema_workbench.analysis.prim.Prim`): each box is peeled from the whole input space
towards the runs of interest; along that peeling trajectory *coverage* (share of the runs of
interest inside the box) falls while *density* (share of the box's runs that are of
interest) rises. The chosen box of a trajectory is the one with the highest coverage among
those whose density reaches ``density`` (the densest if none does); further boxes are searched
in the runs left outside the chosen ones. Computes and draws only; nothing is written here.
"""

from __future__ import annotations

import operator
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from softsim import metric_registry as reg
from softsim.errors import SoftsimError

__all__ = [
    "Condition",
    "PrimBox",
    "box_figure",
    "discover",
    "parse_condition",
    "prim_inputs",
    "trajectory_figure",
]

_OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}
_CONDITION = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|<|>)\s*(\S+)\s*$")


@dataclass(frozen=True)
class Condition:
    """``metric op value``, e.g. ``coverage_latent<0.55``."""

    metric: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"

    def holds(self, values) -> np.ndarray:
        """Where the condition holds (never where the metric is missing)."""
        v = np.asarray(values, float)
        return np.isfinite(v) & _OPS[self.op](v, self.value)


def parse_condition(text: str, option: str = "--prim") -> Condition:
    """Read ``metric<value`` (``<``, ``<=``, ``>``, ``>=``) on a metric of the registry.

    Raises:
        SoftsimError: One line naming the option and what was expected.
    """
    m = _CONDITION.match(text)
    try:
        value = float(m.group(3)) if m else float("nan")
    except ValueError:
        value = float("nan")
    if m is None or not np.isfinite(value):
        raise SoftsimError(f"{option} {text!r}: expected METRIC<VALUE, METRIC<=VALUE, "
                           "METRIC>VALUE or METRIC>=VALUE, e.g. coverage_latent<0.55")
    try:
        reg.get(m.group(1))
    except KeyError:
        raise SoftsimError(f"{option} {text!r}: unknown metric {m.group(1)!r} (expected a key "
                           "of docs/metrics.md, e.g. coverage_latent, gini, cost_per_served)"
                           ) from None
    return Condition(m.group(1), m.group(2), value)


def prim_inputs(runs: pd.DataFrame, params: list[str]) -> pd.DataFrame:
    """PRIM's inputs: the swept parameters, and the base scenario and future if they vary.

    Booleans and strings become categories. The base scenario's column is named
    ``base_scenario`` (EMA Workbench drops a column called ``scenario``).
    """
    x = pd.DataFrame(index=runs.index)
    for col, name in (("scenario", "base_scenario"), ("future", "future")):
        if runs[col].nunique() > 1:
            x[name] = runs[col].astype(str).astype("category")
    for p in params:
        v = runs[p]
        if pd.api.types.is_bool_dtype(v) or not pd.api.types.is_numeric_dtype(v):
            x[p] = v.astype(str).astype("category")
        else:
            # integers too: EMA Workbench pastes a box limit half-way between two integers
            # into the column, which pandas refuses for an integer column
            x[p] = v.astype(np.float64)
    return x.reset_index(drop=True)


@dataclass
class PrimBox:
    """One box found by PRIM.

    Attributes:
        trajectory: The peeling trajectory: ``coverage``, ``density``, ``mass``, ``res_dim``
            per step.
        chosen: Index of the chosen step on the trajectory.
        limits: The chosen box's restricted inputs: ``input``, ``low``, ``high`` (numbers) or
            ``values`` (categories), and the input's full range ``min``, ``max``.
    """

    trajectory: pd.DataFrame
    chosen: int
    limits: pd.DataFrame

    @property
    def stats(self) -> dict:
        """Coverage, density, mass and restricted dimensions of the chosen box."""
        row = self.trajectory.loc[self.chosen]
        return {k: row[k] for k in ("coverage", "density", "mass", "res_dim")}


def _limits(lims: pd.DataFrame, init: pd.DataFrame, x: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for col in x.columns:
        low, high = lims[col].iloc[0], lims[col].iloc[1]
        full_low, full_high = init[col].iloc[0], init[col].iloc[1]
        if isinstance(low, set):
            if low != full_low:
                rows.append({"input": col, "values": ", ".join(sorted(map(str, low))),
                             "low": np.nan, "high": np.nan, "min": np.nan, "max": np.nan})
        elif low != full_low or high != full_high:
            rows.append({"input": col, "values": "", "low": float(low), "high": float(high),
                         "min": float(full_low), "max": float(full_high)})
    return pd.DataFrame(rows, columns=["input", "low", "high", "values", "min", "max"])


def discover(x: pd.DataFrame, y: np.ndarray, *, density: float = 0.8, max_boxes: int = 3,
             mass_min: float = 0.05) -> list[PrimBox]:
    """Find up to ``max_boxes`` PRIM boxes of the runs where ``y`` is true.

    Boxes are searched while the previous chosen box reached ``density`` and runs of interest
    are left outside the boxes found.

    Args:
        x: The inputs (see :func:`prim_inputs`).
        y: Whether each run is of interest.
        density: Density the chosen box should reach.
        max_boxes: Most boxes searched.
        mass_min: Smallest share of the runs a box may hold (PRIM's stopping rule).

    Raises:
        SoftsimError: No run, or every run, is of interest (there is nothing to discover).
    """
    y = np.asarray(y, bool)
    if not y.any() or y.all():
        raise SoftsimError(f"{int(y.sum())} of {len(y)} runs meet the condition: PRIM needs "
                           "some runs that do and some that do not")
    with warnings.catch_warnings():
        # EMA Workbench warns that the optional ipyparallel is absent, and pandas that PRIM
        # uses a deprecated keyword: neither concerns the result
        warnings.simplefilter("ignore")
        return _discover(x, y, density, max_boxes, mass_min)


def _discover(x: pd.DataFrame, y: np.ndarray, density: float, max_boxes: int,
              mass_min: float) -> list[PrimBox]:
    from ema_workbench.analysis import prim

    p = prim.Prim(x, y.astype(int), mass_min=mass_min)
    boxes: list[PrimBox] = []
    for _ in range(max_boxes):
        box = p.find_box()
        if box is None:
            break
        traj = box.peeling_trajectory.reset_index(drop=True)
        dense = traj[traj["density"] >= density]
        chosen = int(dense["coverage"].idxmax() if len(dense) else traj["density"].idxmax())
        box.select(chosen)
        boxes.append(PrimBox(traj[["coverage", "density", "mass", "res_dim"]].copy(), chosen,
                             _limits(box.box_lims[chosen], p.box_init, p.x)))
        if traj.loc[chosen, "density"] < density:
            break
        outside = np.ones(len(y), bool)
        for b in p._boxes:  # the runs inside the chosen boxes (EMA keeps them there)
            outside[b.yi] = False
        if not y[outside].any():
            break
    return boxes


def trajectory_figure(boxes: list[PrimBox]):
    """Coverage against density along each box's peeling trajectory, the chosen box circled."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(boxes), figsize=(4.6 * len(boxes), 3.8), squeeze=False)
    for k, (ax, b) in enumerate(zip(axes[0], boxes, strict=True)):
        t = b.trajectory
        sc = ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=18)
        ax.scatter([t.loc[b.chosen, "coverage"]], [t.loc[b.chosen, "density"]], s=140,
                   facecolors="none", edgecolors="red", linewidths=1.5, label="chosen box")
        ax.set_xlabel("coverage")
        ax.set_ylabel("density")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_title(f"box {k + 1}: peeling trajectory", fontsize=9)
        ax.legend(fontsize=7, loc="lower left")
        fig.colorbar(sc, ax=ax, shrink=0.8, label="restricted inputs")
    fig.tight_layout()
    return fig


def box_figure(boxes: list[PrimBox]):
    """Each chosen box's limits as a share of each restricted input's full range."""
    import matplotlib.pyplot as plt

    rows = [(k, r) for k, b in enumerate(boxes) for _, r in b.limits.iterrows()]
    fig, ax = plt.subplots(figsize=(7.5, 0.6 + 0.45 * max(1, len(rows))))
    labels = []
    for i, (k, r) in enumerate(rows):
        labels.append(f"box {k + 1}: {r['input']}")
        if r["values"]:
            ax.barh(i, 1.0, left=0.0, color="0.85")
            ax.text(0.5, i, r["values"], ha="center", va="center", fontsize=7)
            continue
        span = (r["max"] - r["min"]) or 1.0
        lo, hi = (r["low"] - r["min"]) / span, (r["high"] - r["min"]) / span
        ax.barh(i, hi - lo, left=lo, color=f"C{k}")
        ax.text(lo, i, f"{r['low']:.3g} ", ha="right", va="center", fontsize=7)
        ax.text(hi, i, f" {r['high']:.3g}", ha="left", va="center", fontsize=7)
    ax.set_yticks(range(len(rows)), labels, fontsize=8)
    ax.set_xlim(-0.15, 1.15)
    ax.set_xlabel("share of the input's explored range")
    ax.invert_yaxis()
    ax.set_title("chosen boxes", fontsize=9)
    fig.tight_layout()
    return fig
