"""A sweep's report: ``sweep.md`` text and its figures, computed from the run store's table.

Distributions of the headline metrics (:data:`softsim.metric_registry.HEADLINE`) per base
scenario and future; each metric against each swept parameter; a scenario × future heat map;
and, for ``sobol`` and ``morris`` designs, the sensitivity indices (SALib). Computes and draws
only; :class:`softsim.store.RunStore` writes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from softsim import metric_registry as reg
from softsim.sweep import SweepPlan

__all__ = ["distribution_table", "sweep_report", "FIGURE_METRICS"]

FIGURE_METRICS = ("coverage_latent", "gini", "cost_per_served")
"""The metrics drawn against each parameter and in the heat maps: coverage, inequality, cost."""


def _fmt(key: str, v: float) -> str:
    return reg.format_value(reg.get(key), v)


def distribution_table(runs: pd.DataFrame, key: str) -> pd.DataFrame:
    """Distribution of one metric over the finished runs, per base scenario and future.

    Returns:
        One row per (scenario, future) in order of first appearance: runs, mean, standard
        deviation, 5th, 50th and 95th percentiles.
    """
    ok = runs[runs["status"] == "ok"]
    rows = []
    for (scenario, future), sub in ok.groupby(["scenario", "future"], sort=False):
        v = sub[key].to_numpy(float)
        v = v[np.isfinite(v)]
        q = np.percentile(v, [5, 50, 95]) if len(v) else [np.nan] * 3
        rows.append({"scenario": scenario, "future": future, "runs": len(v),
                     "mean": v.mean() if len(v) else np.nan,
                     "sd": v.std(ddof=1) if len(v) > 1 else np.nan,
                     "p5": q[0], "p50": q[1], "p95": q[2]})
    return pd.DataFrame(rows)


def _markdown_distribution(runs: pd.DataFrame, key: str) -> list[str]:
    t = distribution_table(runs, key)
    lines = [f"### {reg.get(key).label}", "",
             "| scenario | future | runs | mean | sd | p5 | median | p95 |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for _, r in t.iterrows():
        cells = [_fmt(key, r[c]) for c in ("mean", "sd", "p5", "p50", "p95")]
        lines.append(f"| {r['scenario']} | {r['future']} | {r['runs']} | " + " | ".join(cells)
                     + " |")
    return [*lines, ""]


def _sensitivity(plan: SweepPlan, runs: pd.DataFrame) -> list[str]:
    """Sobol or Morris indices per scenario × future for the figure metrics (SALib)."""
    kind = plan.spec.design.kind
    if kind not in ("sobol", "morris") or plan.unit is None:
        return []
    ok = runs[runs["status"] == "ok"]
    if len(ok) != len(runs) or len(runs) != plan.n_runs:
        return ["## Sensitivity", "", "Not computed: the indices need every run of the design "
                f"to have finished ({len(ok)} of {plan.n_runs}).", ""]
    from SALib.analyze import morris, sobol

    names = plan.param_names
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    head = ("S1 (first order) and ST (total)" if kind == "sobol"
            else "μ* (mean absolute elementary effect, on the unit scale) and σ")
    lines = ["## Sensitivity", "",
             f"{head} of each parameter, on the mean over replicates of each design point.", ""]
    for (scenario, future), sub in ok.groupby(["scenario", "future"], sort=False):
        for key in FIGURE_METRICS:
            y = sub.groupby("point")[key].mean().sort_index().to_numpy(float)
            if len(y) != len(plan.points) or not np.isfinite(y).all():
                continue
            if kind == "sobol":
                si = sobol.analyze(problem, y, calc_second_order=plan.spec.design.second_order,
                                   seed=1)
                a, b = si["S1"], si["ST"]
                cols = ("S1", "ST")
            else:
                si = morris.analyze(problem, plan.unit, y, num_levels=plan.spec.design.levels,
                                    seed=1)
                a, b = si["mu_star"], si["sigma"]
                cols = ("μ*", "σ")
            lines += [f"**{scenario} × {future}, {reg.get(key).label}**", "",
                      f"| parameter | {cols[0]} | {cols[1]} |", "|---|---:|---:|"]
            lines += [f"| `{n}` | {x:.3f} | {z:.3f} |" for n, x, z in zip(names, a, b,
                                                                         strict=True)]
            lines.append("")
    return lines


def _param_figure(runs: pd.DataFrame, param: str):
    import matplotlib.pyplot as plt

    ok = runs[runs["status"] == "ok"]
    fig, axes = plt.subplots(1, len(FIGURE_METRICS), figsize=(4.2 * len(FIGURE_METRICS), 3.4))
    x = ok[param]
    numeric = pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x)
    if not numeric:
        cats = list(dict.fromkeys(x.astype(str)))
        x = x.astype(str).map({c: i for i, c in enumerate(cats)})
    groups = list(ok.groupby(["scenario", "future"], sort=False).groups)
    for ax, key in zip(axes, FIGURE_METRICS, strict=True):
        for g in groups:
            sel = (ok["scenario"] == g[0]) & (ok["future"] == g[1])
            ax.scatter(x[sel], ok.loc[sel, key], s=10, alpha=0.6, label=f"{g[0]} × {g[1]}")
        ax.set_xlabel(param)
        ax.set_ylabel(reg.get(key).label)
        if not numeric:
            ax.set_xticks(range(len(cats)), cats, rotation=60, fontsize=7)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def _heatmap(runs: pd.DataFrame):
    import matplotlib.pyplot as plt

    ok = runs[runs["status"] == "ok"]
    scenarios = list(dict.fromkeys(ok["scenario"]))
    futures = list(dict.fromkeys(ok["future"]))
    fig, axes = plt.subplots(1, len(FIGURE_METRICS),
                             figsize=(3.2 + 1.1 * len(futures) * len(FIGURE_METRICS),
                                      1.5 + 0.5 * len(scenarios)))
    for ax, key in zip(axes, FIGURE_METRICS, strict=True):
        means = ok.groupby(["scenario", "future"])[key].mean()
        grid = np.array([[means.get((s, f), np.nan) for f in futures] for s in scenarios])
        cmap = "viridis" if reg.get(key).direction == "higher" else "viridis_r"
        im = ax.imshow(grid, cmap=cmap, aspect="auto")
        ax.set_xticks(range(len(futures)), futures)
        ax.set_yticks(range(len(scenarios)), scenarios)
        for (i, j), v in np.ndenumerate(grid):
            ax.text(j, i, _fmt(key, v), ha="center", va="center", fontsize=8, color="white")
        ax.set_title(f"{reg.get(key).label} (mean)", fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.8)
    fig.tight_layout()
    return fig


def sweep_report(plan: SweepPlan, runs: pd.DataFrame, manifest: dict) -> tuple[str, dict]:
    """The text of ``sweep.md`` and its figures.

    Args:
        plan: The sweep.
        runs: The run store's table (see :meth:`softsim.store.RunStore.read_runs`).
        manifest: The run store's manifest.

    Returns:
        ``(markdown, {name: matplotlib Figure})``; figures are referenced as
        ``figures/<name>.png``.
    """
    d = plan.describe()
    ok = runs[runs["status"] == "ok"] if len(runs) else runs
    failed = runs[runs["status"] != "ok"] if len(runs) else runs
    lines = [f"# Sweep {plan.name}", ""]
    if plan.spec.description:
        lines += [plan.spec.description.strip(), ""]
    lines += [
        "## Design", "",
        f"- design: **{d['kind']}**, {d['points']} points × {len(d['scenarios'])} scenarios × "
        f"{len(d['futures'])} futures × {d['replicates']} replicates = {d['runs']} runs",
        f"- scenarios: {', '.join(d['scenarios'])}; futures: {', '.join(d['futures'])}",
        f"- root seed {d['seed']}, common random numbers: "
        f"{'yes' if d['common_random_numbers'] else 'no'}",
        f"- fixed settings: {', '.join(f'`{s}`' for s in plan.spec.set) or 'none'}",
        f"- sweep file sha256 `{plan.sha256}`; softsim {manifest.get('softsim_version')}, "
        f"commit `{manifest.get('git_sha')}`",
        "",
    ]
    if plan.param_names:
        lines += ["| parameter | explored |", "|---|---|"]
        for k, p in plan.spec.parameters.items():
            what = (", ".join(map(str, p.values)) if p.values is not None
                    else f"[{p.range[0]:g}, {p.range[1]:g}]" + (" (integers)" if p.integer
                                                                 else ""))
            lines.append(f"| `{k}` | {what} |")
        lines.append("")
    lines += ["## Runs", "",
              f"{len(ok)} finished, {len(failed)} failed, {plan.n_runs - len(runs)} missing, "
              f"of {plan.n_runs}.", ""]
    if len(failed):
        lines += ["| run | scenario | future | error |", "|---:|---|---|---|"]
        for _, r in failed.head(10).iterrows():
            err = str(r["error"]).replace("|", "\\|")
            lines.append(f"| {r['run_id']} | {r['scenario']} | {r['future']} | {err} |")
        if len(failed) > 10:
            lines.append(f"| … | | | {len(failed) - 10} more in runs/ |")
        lines.append("")
    figures: dict = {}
    if len(ok):
        lines += ["## Distributions per scenario and future", ""]
        for key in reg.HEADLINE:
            lines += _markdown_distribution(runs, key)
        figures["heatmap"] = _heatmap(runs)
        lines += ["## Scenario × future", "", "![scenario × future](figures/heatmap.png)", ""]
        if plan.param_names:
            lines += ["## Metrics against each parameter", ""]
            for k in plan.param_names:
                name = "param_" + "".join(c if c.isalnum() else "_" for c in k)
                figures[name] = _param_figure(runs, k)
                lines += [f"![{k}](figures/{name}.png)", ""]
        lines += _sensitivity(plan, runs)
    lines += ["## Reading the runs", "",
              "```python", "import pandas as pd", 'runs = pd.read_parquet("runs")', "```",
              "", "or in DuckDB: `SELECT * FROM 'runs/*.parquet'`.", ""]
    return "\n".join(lines), figures
