"""From a sweep's runs to decisions: ``softsim analyze DIR --sobol|--morris|--prim|--robustness``.

Reads a sweep's run store (see :class:`softsim.store.RunStore`) and returns an
:class:`Analysis`: the text of ``analysis.md``, its CSV tables and its figures. The indices
come from :mod:`softsim.sensitivity`, the boxes from :mod:`softsim.discovery` (PRIM), regret
and satisficing from :mod:`softsim.robustness`; :func:`softsim.store.write_analysis` writes.
How each result is read: ``docs/analysis.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from softsim import metric_registry as reg
from softsim.discovery import Condition, parse_condition
from softsim.errors import SoftsimError
from softsim.sweep import SweepPlan

__all__ = [
    "DEFAULT_METRICS",
    "Analysis",
    "analyze",
    "open_sweep",
    "parse_metrics",
    "prim_analysis",
    "robustness_analysis",
    "sensitivity_analysis",
]

DEFAULT_METRICS = ("coverage_latent", "gini", "cost_per_served")
"""Metrics analysed unless ``--metrics`` names others: coverage, inequality, cost."""


@dataclass
class Analysis:
    """One analysis of a sweep.

    Attributes:
        kind: ``sobol``, ``morris``, ``prim`` or ``robustness``.
        markdown: The text of ``analysis.md`` (figures as ``figures/<name>.png``).
        tables: CSV tables by file stem.
        figures: Matplotlib figures by name.
        lines: What the terminal prints.
    """

    kind: str
    markdown: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)


def open_sweep(path: Path) -> tuple[SweepPlan, pd.DataFrame]:
    """The plan and the runs of the sweep stored in ``path`` (its copy of the sweep file).

    Raises:
        SoftsimError: Not a sweep results folder, or its sweep file cannot be read.
    """
    from pydantic import ValidationError

    from softsim.config import read_toml
    from softsim.store import RunStore
    from softsim.sweep import SweepSpec

    store = RunStore.open(path)
    copy = Path(path) / "sweep.toml"
    try:
        spec = SweepSpec.model_validate(read_toml(copy))
    except ValidationError as exc:
        raise SoftsimError(f"{copy}: not a valid sweep file ({exc.errors()[0]['msg']})") from None
    plan = SweepPlan(spec, copy, store.manifest.get("sweep_sha256", ""))
    return plan, store.read_runs()


def parse_metrics(text: str | None) -> list[str]:
    """``--metrics a,b``: keys of the metric registry (default :data:`DEFAULT_METRICS`)."""
    if not text:
        return list(DEFAULT_METRICS)
    keys = [k.strip() for k in text.split(",") if k.strip()]
    for k in keys:
        try:
            reg.get(k)
        except KeyError:
            raise SoftsimError(f"--metrics: unknown metric {k!r} (expected keys of "
                               "docs/metrics.md separated by commas)") from None
    return keys


def _header(plan: SweepPlan, runs: pd.DataFrame, title: str) -> list[str]:
    ok = int((runs["status"] == "ok").sum()) if len(runs) else 0
    d = plan.spec.design
    return [f"# {title}: sweep {plan.name}", "",
            f"Design **{d.kind}**, {len(plan.points)} points; scenarios "
            f"{', '.join(plan.spec.scenarios)}; futures {', '.join(plan.spec.futures)}; "
            f"{plan.spec.replicates} replicate(s); {ok} of {plan.n_runs} runs finished.", ""]


def _fmt(key: str, v: float) -> str:
    try:
        return reg.format_value(reg.get(key), v)
    except KeyError:
        return f"{v:.4g}"


def _label(key: str) -> str:
    try:
        return reg.get(key).label
    except KeyError:
        return key


def sensitivity_analysis(plan: SweepPlan, runs: pd.DataFrame, kind: str,
                         metrics: list[str]) -> Analysis:
    """Sobol (S1, ST) or Morris (μ*, σ) indices with 95 % intervals, per metric.

    Raises:
        SoftsimError: The sweep was not made with the ``kind`` design, or is incomplete.
    """
    from softsim.sensitivity import sweep_indices

    made = plan.spec.design.kind
    if made != kind:
        raise SoftsimError(f"analyze --{kind}: the sweep {plan.name} was made with design kind "
                           f'= "{made}"; --{kind} needs a sweep made with kind = "{kind}"')
    table = sweep_indices(plan, runs, metrics)
    a, b = ("S1", "ST") if kind == "sobol" else ("mu_star", "sigma")
    conf_a = f"{a}_conf"
    conf_b = "ST_conf" if kind == "sobol" else None
    names = ("S1", "ST") if kind == "sobol" else ("μ*", "σ")
    lines = _header(plan, runs, "Sobol indices" if kind == "sobol" else "Morris screening")
    lines += [("First-order (S1) and total (ST) Sobol indices" if kind == "sobol" else
               "Morris μ* (mean absolute elementary effect, on the unit scale of each "
               "parameter's range, in the metric's unit) and σ (spread of the effects: "
               "interactions or non-linearity)")
              + " of each parameter, on the mean over replicates of each design point; "
              "± the half-width of the 95 % bootstrap interval. *null*: the interval of "
              + ("ST" if kind == "sobol" else "μ*") + " reaches the noise floor (what "
              "replicate noise alone gives a parameter without effect; 0 with a single "
              "replicate): the lever's effect is indistinguishable from zero.", ""]
    figures = {}
    out = []
    for (scenario, future), sub in table.groupby(["scenario", "future"], sort=False):
        for key, t in sub.groupby("metric", sort=False):
            lines += [f"## {scenario} × {future}: {_label(key)}", "",
                      f"| parameter | {names[0]} | {names[1]} | effect |", "|---|---:|---:|---|"]
            for _, r in t.sort_values(b if kind == "sobol" else a, ascending=False).iterrows():
                cb = f" ± {r[conf_b]:.3f}" if conf_b else ""
                lines.append(f"| `{r['parameter']}` | {r[a]:.3f} ± {r[conf_a]:.3f} | "
                             f"{r[b]:.3f}{cb} | {'null' if r['null'] else ''} |")
            null = t.loc[t["null"], "parameter"].tolist()
            floor = f"Noise floor: {t['noise_floor'].iloc[0]:.3g}" + (
                " (one replicate: replicate noise not measured)."
                if plan.spec.replicates == 1 else ".")
            verdict = ("Indistinguishable from zero: " + ", ".join(f"`{p}`" for p in null) + "."
                       if null else "No parameter is indistinguishable from zero.")
            lines += ["", floor, "", verdict, ""]
            out.append(f"{scenario} × {future}, {key}: " + ", ".join(
                f"{r['parameter']} {r[b if kind == 'sobol' else a]:.3f}"
                + (" (null)" if r["null"] else "") for _, r in t.iterrows()))
        name = f"{kind}_{scenario}_{future}".replace(" ", "_")
        figures[name] = _indices_figure(sub, kind)
        lines += [f"![{scenario} × {future}](figures/{name}.png)", ""]
    return Analysis(kind, "\n".join(lines), {"indices": table}, figures, out)


def _indices_figure(table: pd.DataFrame, kind: str):
    import matplotlib.pyplot as plt

    metrics = list(dict.fromkeys(table["metric"]))
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.4 * len(metrics), 0.9 + 0.45 *
                                                      table["parameter"].nunique()),
                             squeeze=False)
    for ax, key in zip(axes[0], metrics, strict=True):
        t = table[table["metric"] == key]
        y = np.arange(len(t))
        if kind == "sobol":
            ax.barh(y - 0.2, t["S1"], 0.4, xerr=t["S1_conf"], label="S1", color="C0")
            ax.barh(y + 0.2, t["ST"], 0.4, xerr=t["ST_conf"], label="ST", color="C1")
        else:
            ax.barh(y - 0.2, t["mu_star"], 0.4, xerr=t["mu_star_conf"], label="μ*", color="C0")
            ax.barh(y + 0.2, t["sigma"], 0.4, label="σ", color="C1")
        ax.set_yticks(y, [p + (" (null)" if n else "") for p, n in zip(t["parameter"],
                                                                        t["null"], strict=True)],
                      fontsize=7)
        ax.invert_yaxis()
        ax.axvline(0, color="0.3", linewidth=0.6)
        ax.set_title(_label(key), fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def prim_analysis(plan: SweepPlan, runs: pd.DataFrame, condition: Condition, *,
                  density: float = 0.8, max_boxes: int = 3) -> Analysis:
    """PRIM boxes of the runs where ``condition`` holds (inputs: the swept parameters)."""
    from softsim.discovery import box_figure, discover, prim_inputs, trajectory_figure

    ok = runs[runs["status"] == "ok"].reset_index(drop=True)
    if condition.metric not in ok.columns:
        raise SoftsimError(f"--prim: the sweep {plan.name} has no column {condition.metric!r}")
    x = prim_inputs(ok, plan.param_names)
    if x.shape[1] == 0:
        raise SoftsimError(f"--prim: the sweep {plan.name} varies no parameter, scenario or "
                           "future: there is no input to bound")
    y = condition.holds(ok[condition.metric])
    boxes = discover(x, y, density=density, max_boxes=max_boxes)
    lines = _header(plan, runs, "Scenario discovery (PRIM)")
    lines += [f"Runs of interest: **{condition}**, {int(y.sum())} of {len(y)} finished runs "
              f"({y.mean():.0%}). Inputs: {', '.join(f'`{c}`' for c in x.columns)}. The chosen "
              f"box of each trajectory has the highest coverage among those of density ≥ "
              f"{density:g} (the densest if none)."
              , "", "![peeling trajectories](figures/prim_trajectory.png)", "",
              "![chosen boxes](figures/prim_boxes.png)", ""]
    out, limits, trajectories = [], [], []
    for k, b in enumerate(boxes, start=1):
        s = b.stats
        lines += [f"## Box {k}", "", f"Coverage {s['coverage']:.2f}, density "
                  f"{s['density']:.2f}, mass {s['mass']:.2f}, {int(s['res_dim'])} restricted "
                  "input(s).", "", "| input | box | explored |", "|---|---|---|"]
        out.append(f"box {k}: coverage {s['coverage']:.2f}, density {s['density']:.2f}, "
                   f"mass {s['mass']:.2f}")
        for _, r in b.limits.iterrows():
            box = r["values"] or f"[{r['low']:.3g}, {r['high']:.3g}]"
            full = "" if r["values"] else f"[{r['min']:.3g}, {r['max']:.3g}]"
            lines.append(f"| `{r['input']}` | {box} | {full} |")
            out.append(f"  {r['input']}: {box}")
        if b.limits.empty:
            lines.append("| (none) | whole space | |")
        lines.append("")
        limits.append(b.limits.assign(box=k))
        trajectories.append(b.trajectory.assign(box=k, chosen=lambda t, c=b.chosen:
                                                t.index == c))
    figures = {"prim_trajectory": trajectory_figure(boxes), "prim_boxes": box_figure(boxes)}
    tables = {"boxes": pd.concat(limits, ignore_index=True),
              "trajectory": pd.concat(trajectories).rename_axis("step").reset_index()}
    return Analysis("prim", "\n".join(lines), tables, figures, out)


def robustness_analysis(plan: SweepPlan, runs: pd.DataFrame, metrics: list[str],
                        objectives: list[Condition]) -> Analysis:
    """Regret and satisficing of each strategy across the sweep's futures."""
    from softsim.robustness import cells, robustness, robustness_figure, split_parameters

    levers, uncertainties = split_parameters(plan)
    r = robustness(cells(runs, levers, uncertainties, metrics), metrics, objectives)
    lines = _header(plan, runs, "Robustness across futures")
    lines += [f"Strategies: base scenario × levers ({', '.join(f'`{p}`' for p in levers) or 'none'}"
              f"); futures: future × uncertainties "
              f"({', '.join(f'`{p}`' for p in uncertainties) or 'none'}). Regret: distance to "
              "the best strategy of the same future (0 = best there), maximum and mean over "
              "the futures. " + (f"Satisficing: share of futures meeting "
                                 f"{' and '.join(f'**{c}**' for c in objectives)}. "
                                 if objectives else "")
              + "Ranked by " + ("satisficing, then " if objectives else "")
              + "the sum of maximum regrets, each divided by the metric's spread over all "
              "cells.", "", "![strategies](figures/robustness.png)", ""]
    head = ["rank", "strategy"] + [f"max regret {_label(k)}" for k in metrics]
    if objectives:
        head.append("satisficing")
    lines += ["| " + " | ".join(head) + " |", "|" + "---:|---|" + "---:|" * (len(head) - 2)]
    out = []
    for _, row in r.table.iterrows():
        cellsx = [str(row["rank"]), row["strategy"]]
        cellsx += [_fmt(k, row[f"max_regret:{k}"]) for k in metrics]
        if objectives:
            cellsx.append(f"{row['satisficing']:.0%}")
        lines.append("| " + " | ".join(cellsx) + " |")
        out.append(f"{row['rank']}. {row['strategy']}: " + ", ".join(
            f"max regret {k} {_fmt(k, row[f'max_regret:{k}'])}" for k in metrics)
            + (f", satisficing {row['satisficing']:.0%}" if objectives else ""))
    lines.append("")
    return Analysis("robustness", "\n".join(lines),
                    {"strategies": r.table, "regret": r.regret}, {"robustness":
                                                                  robustness_figure(r)}, out)


def analyze(path: Path, kind: str, *, metrics: str | None = None, prim: str | None = None,
            satisfice: list[str] | None = None, density: float = 0.8,
            max_boxes: int = 3) -> Analysis:
    """Analyse the sweep stored in ``path``.

    Args:
        path: A sweep's results folder.
        kind: ``sobol``, ``morris``, ``prim`` or ``robustness``.
        metrics: ``a,b,c`` (default :data:`DEFAULT_METRICS`).
        prim: The condition of the runs of interest (``kind="prim"``).
        satisfice: Objectives ``metric>=value`` (``kind="robustness"``).
        density: The density PRIM's chosen box should reach.
        max_boxes: Most PRIM boxes.

    Raises:
        SoftsimError: One line: a malformed condition, an unknown metric, a sweep made with
            another design, an incomplete sweep.
    """
    keys = parse_metrics(metrics)
    condition = parse_condition(prim) if kind == "prim" else None
    objectives = [parse_condition(s, "--satisfice") for s in satisfice or []]
    plan, runs = open_sweep(path)
    if not len(runs):
        raise SoftsimError(f"{path}: the sweep holds no run yet")
    if kind in ("sobol", "morris"):
        return sensitivity_analysis(plan, runs, kind, keys)
    if kind == "prim":
        return prim_analysis(plan, runs, condition, density=density, max_boxes=max_boxes)
    if kind == "robustness":
        return robustness_analysis(plan, runs, keys, objectives)
    raise ValueError(f"unknown analysis {kind!r}")
