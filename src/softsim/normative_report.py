"""What a normative search produces: the front's tables and figure, the searched scenario file.

Nothing here writes a file (see :func:`softsim.store.write_normative`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w

from softsim import metric_registry as reg
from softsim.normative import LEVERS, MIN_SPENT_NET, OBJECTIVES, REPORTED, SearchResult

__all__ = ["SCENARIO_NAME", "front_figure", "front_markdown", "scenario_text"]

SCENARIO_NAME = "normative-searched"
"""The ``name`` of the scenario file a search writes."""


def _cell(v) -> str:
    if isinstance(v, float | np.floating):
        return f"{v:.4f}" if abs(v) < 10 else f"{v:.2f}"
    return str(v)


def _table(df: pd.DataFrame, columns: list[str]) -> str:
    lines = ["| " + " | ".join(columns) + " |",
             "|" + "|".join("---:" if pd.api.types.is_numeric_dtype(df[c]) else "---"
                            for c in columns) + "|"]
    for _, row in df.iterrows():
        lines.append("| " + " | ".join(_cell(row[c]) for c in columns) + " |")
    return "\n".join(lines)


def _settings(result: SearchResult, wall: bool = True) -> list[str]:
    s = result.spec
    return [
        f"base `{s.base}`, levers {', '.join(lv.name for lv in s.space())}, "
        "budget " + ("the base's" if s.budget is None
                     else f"{s.budget:g} EUR per 1,000 residents a week"),
        f"futures {', '.join(s.futures)}; {s.replicates} replicate(s) with common random "
        f"numbers; seed {s.seed}",
        f"run settings: {', '.join(s.overrides) or "the base's"}"
        + (f"; set: {', '.join(s.sets)}" if s.sets else ""),
        f"NSGA-II (Platypus), population {s.population}, {result.evaluations} evaluations "
        f"({len(result.candidates)} distinct candidates, the base's levers included), "
        f"{result.runs} runs" + (f", {result.wall_s:.0f} s" if wall else ""),
    ]


def front_markdown(result: SearchResult, figure: str | None = "figures/front.png") -> str:
    """The front as a Markdown page: settings, the front's table, the compromise."""
    keys = result.lever_keys()
    objectives = [k for k, _ in OBJECTIVES]
    front = result.front.copy()
    front["chosen"] = np.where(front["candidate"] == result.chosen, "◀", "")
    lines = ["# Normative search: the Pareto front", ""]
    lines += [f"* {line}" for line in _settings(result)]
    lines += ["", "Objectives (means over futures and replicates): "
              + "; ".join(f"{reg.get(k).label} (`{k}`, {d})" for k, d in OBJECTIVES) + ".", ""]
    cands = result.candidates
    lines += [f"## Front: {len(front)} of {len(cands)} candidates not dominated", "",
              f"Only the {int(cands['meets_budget_rule'].sum())} candidates that spend at least "
              f"{MIN_SPENT_NET:.0%} of their envelope net of *laisser faire* (`spent_net`: the "
              "budget rule, docs/scenarios.md) compete: a strategy that leaves money unspent "
              "is not compared with those that spend it.", ""]
    lines.append(_table(front, ["candidate", "origin", *keys, *objectives, *REPORTED,
                                "spent_net", "distance", "chosen"]))
    lines += ["", "## Compromise", "",
              f"Candidate {result.chosen}: the front's member closest to the ideal point once "
              "each objective is rescaled over the front (best 0, worst 1); `distance` is that "
              "Euclidean distance (docs/normative.md).", ""]
    row = front.set_index("candidate").loc[result.chosen]
    lines += [f"* `{k}` = {_cell(row[k])} (base: {_cell(result.base_values[k])})" for k in keys]
    base = result.candidates[result.candidates["origin"] == "base"].iloc[0]
    lines += [f"* {reg.get(k).label}: {_cell(row[k])} (base: {_cell(base[k])})"
              for k in (*objectives, *REPORTED)]
    by_future = [c for c in front.columns if "@" in c]
    if by_future:
        lines += ["", "## Front by future", "", _table(front, ["candidate", *by_future])]
    if figure:
        lines += ["", f"![front]({figure})"]
    return "\n".join(lines) + "\n"


def front_figure(result: SearchResult):
    """The front in two panels: coverage against inequality, and against cost.

    Every candidate in grey, the front coloured by the third objective, the compromise
    starred, the base circled.
    """
    import matplotlib.pyplot as plt

    (cov, _), (ineq, _), (cost, _) = OBJECTIVES
    c, f = result.candidates, result.front
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, x, colour in ((axes[0], ineq, cost), (axes[1], cost, ineq)):
        ax.scatter(c[x], c[cov], s=14, color="0.75", label="evaluated")
        sc = ax.scatter(f[x], f[cov], s=36, c=f[colour], cmap="viridis", label="front")
        fig.colorbar(sc, ax=ax, label=reg.get(colour).label)
        chosen = f[f["candidate"] == result.chosen]
        ax.scatter(chosen[x], chosen[cov], s=220, marker="*", color="crimson",
                   label="compromise")
        base = c[c["origin"] == "base"]
        ax.scatter(base[x], base[cov], s=120, facecolors="none", edgecolors="black",
                   label=f"base ({result.spec.base})")
        ax.set_xlabel(reg.get(x).label)
        ax.set_ylabel(reg.get(cov).label)
    axes[0].legend(loc="best", fontsize=8)
    fig.suptitle("Normative search: candidates and Pareto front (means over futures)")
    fig.tight_layout()
    return fig


def _nest(values: dict) -> dict:
    out: dict = {}
    for dotted, v in values.items():
        *parents, leaf = dotted.split(".")
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = v
    return out


def scenario_text(result: SearchResult, command: list[str] | None = None) -> str:
    """The compromise as a scenario file that ``extends`` the base (header: how it was made)."""
    from softsim.config import parse_override

    s = result.spec
    base = str(Path(s.base).resolve()) if s.base.endswith(".toml") else s.base
    values: dict = {}
    for text in s.sets:
        path, value = parse_override(text)
        values[".".join(path)] = value
    if s.budget is not None:
        values["budget.per_1000_per_week"] = float(s.budget)
    if "mix" in s.levers:
        values["budget.mix.enabled"] = True
    values.update(result.choice())
    row = result.front.set_index("candidate").loc[result.chosen]
    header = [
        f"{SCENARIO_NAME} — the compromise of a normative search (docs/normative.md)",
        "",
        "Produced by: " + (" ".join(command) if command else "softsim.normative.search"),
        *_settings(result, wall=False),
        "Objectives, means over futures and replicates: "
        + ", ".join(f"{k} = {_cell(row[k])}" for k, _ in OBJECTIVES),
        "Compromise: the front's member closest to the ideal point, each objective rescaled "
        "over the front.",
        "Every value not below is the base's. At the base's budget: "
        + ", ".join(lv.name for lv in LEVERS if lv.name in s.levers) + " searched.",
    ]
    body = {"name": SCENARIO_NAME, "extends": base,
            "description": f"Searched strategy: compromise of the Pareto front over "
                          f"{', '.join(s.futures)} (base {s.base}).",
            **_nest(values)}
    return "\n".join(f"# {line}".rstrip() for line in header) + "\n\n" + tomli_w.dumps(body)
