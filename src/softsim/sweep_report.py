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
from softsim.config import load_config, scale_caveat
from softsim.sweep import SweepPlan

__all__ = [
    "FIGURE_METRICS",
    "distribution_table",
    "paired_by_territory",
    "sweep_report",
    "territory_profile",
]

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
    from softsim.sensitivity import sweep_indices

    kind = plan.spec.design.kind
    if kind not in ("sobol", "morris") or plan.unit is None:
        return []
    ok = runs[runs["status"] == "ok"]
    if len(ok) != len(runs) or len(runs) != plan.n_runs:
        return ["## Sensitivity", "", "Not computed: the indices need every run of the design "
                f"to have finished ({len(ok)} of {plan.n_runs}).", ""]
    table = sweep_indices(plan, runs, FIGURE_METRICS)
    head = ("S1 (first order) and ST (total)" if kind == "sobol"
            else "μ* (mean absolute elementary effect, on the unit scale) and σ")
    cols = ("S1", "ST") if kind == "sobol" else ("mu_star", "sigma")
    shown = ("S1", "ST") if kind == "sobol" else ("μ*", "σ")
    lines = ["## Sensitivity", "",
             f"{head} of each parameter, on the mean over replicates of each design point "
             "(`softsim analyze DIR --" + kind + "` adds confidence intervals and a chart).", ""]
    for (scenario, future, key), t in table.groupby(["scenario", "future", "metric"],
                                                    sort=False):
        lines += [f"**{scenario} × {future}, {reg.get(key).label}**", "",
                  f"| parameter | {shown[0]} | {shown[1]} |", "|---|---:|---:|"]
        lines += [f"| `{r['parameter']}` | {r[cols[0]]:.3f} | {r[cols[1]]:.3f} |"
                  for _, r in t.iterrows()]
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


RURAL_COMMUNE = 2000
"""Inhabitants below which a commune counts as rural in the atlas's table (INSEE's historical
threshold of the *unité urbaine*)."""


def territory_profile(spec: str) -> dict:
    """Inhabitants, density and rural share of a bundled territory (``dep:`` or ``epci:``).

    Returns:
        ``population``, ``density`` (inhabitants per km²), ``rural_share`` (share of
        inhabitants in communes under :data:`RURAL_COMMUNE`), ``lon`` and ``lat``
        (population-weighted centre).
    """
    from softsim.territory.real import bundled_selection

    _, df = bundled_selection(spec)
    pop = df["population"].to_numpy(float)
    total = pop.sum()
    return {"population": total, "density": total / df["area_km2"].sum(),
            "rural_share": pop[df["population"].to_numpy() < RURAL_COMMUNE].sum() / total,
            "lon": float(np.average(df["lon"], weights=pop)),
            "lat": float(np.average(df["lat"], weights=pop))}


def paired_by_territory(runs: pd.DataFrame, scenario: str, reference: str) -> pd.DataFrame:
    """Per territory: mean paired difference ``scenario − reference`` of coverage and Gini.

    Runs are paired on design point, future and replicate (common random numbers make the
    pairs share their seeds).

    Returns:
        One row per ``territory.spec`` value: ``d_coverage``, ``d_gini``, ``pairs``.
    """
    ok = runs[runs["status"] == "ok"]
    keys = ["point", "future", "replicate"]
    cols = ["territory.spec", "coverage_latent", "gini"]
    a = ok.loc[ok["scenario"] == scenario, keys + cols]
    b = ok.loc[ok["scenario"] == reference, keys + cols[1:]]
    both = a.merge(b, on=keys, suffixes=("", "_ref"), how="inner")
    both["d_coverage"] = both["coverage_latent"] - both["coverage_latent_ref"]
    both["d_gini"] = both["gini"] - both["gini_ref"]
    out = both.groupby("territory.spec", sort=False).agg(
        d_coverage=("d_coverage", "mean"), d_gini=("d_gini", "mean"),
        pairs=("d_coverage", "size"))
    return out.reset_index()


def _is_bundled(values) -> bool:
    return all(isinstance(v, str) and v.strip().startswith(("dep:", "epci:")) for v in values)


def _territory_section(plan: SweepPlan, runs: pd.DataFrame, figures: dict) -> list[str]:
    """The atlas: map and ranked table of paired differences by territory, with profiles."""
    p = plan.spec.parameters.get("territory.spec")
    scenarios = list(plan.spec.scenarios)
    if p is None or p.values is None or not _is_bundled(p.values) or len(scenarios) < 2:
        return []
    from scipy import stats

    profiles = pd.DataFrame([{"territory.spec": v, **territory_profile(v)} for v in p.values])
    reference = scenarios[0]
    lines = ["## Territories", "",
             f"Paired differences with `{reference}` (same point, future and replicate), "
             "mean over the pairs: coverage of latent needs in points, Gini of fulfilment. "
             f"Rural share: inhabitants of communes under {RURAL_COMMUNE:,} inhabitants. Age "
             "shares come from the config, the same everywhere: age cannot explain "
             "differences between territories here.", ""]
    for scenario in scenarios[1:]:
        d = paired_by_territory(runs, scenario, reference).merge(profiles, on="territory.spec")
        if d.empty:
            continue
        d = d.sort_values("d_coverage", ascending=False, ignore_index=True)
        name = f"territories_{scenario}"
        figures[name] = _territory_map(d, scenario, reference)
        lines += [f"### {scenario} − {reference}", "", f"![{scenario} − {reference}]"
                  f"(figures/{name}.png)", ""]
        for col, what in (("density", "density"), ("rural_share", "rural share"),
                          ("population", "inhabitants")):
            if len(d) >= 3:
                rho = stats.spearmanr(d["d_coverage"], d[col]).statistic
                rho_g = stats.spearmanr(d["d_gini"], d[col]).statistic
                lines.append(f"- Spearman correlation with {what}: {rho:+.2f} (coverage), "
                             f"{rho_g:+.2f} (Gini)")
        lines += ["", "| rank | territory | Δ coverage (points) | Δ Gini | inhabitants | "
                  "density (/km²) | rural share | pairs |",
                  "|---:|---|---:|---:|---:|---:|---:|---:|"]
        for i, r in d.iterrows():
            lines.append(f"| {i + 1} | {r['territory.spec']} | {100 * r['d_coverage']:+.1f} | "
                         f"{r['d_gini']:+.3f} | {r['population']:,.0f} | {r['density']:,.0f} | "
                         f"{r['rural_share']:.2f} | {r['pairs']} |")
        lines.append("")
    return lines


def _territory_map(d: pd.DataFrame, scenario: str, reference: str):
    import matplotlib.pyplot as plt
    from matplotlib.colors import TwoSlopeNorm

    from softsim.territory.real import ATTRIBUTION, bundled_selection

    communes = pd.concat([bundled_selection(spec)[1][["lon", "lat"]]
                          for spec in d["territory.spec"]])
    fig, axes = plt.subplots(1, 2, figsize=(11, 5.4))
    for ax, col, label, cmap, scale in (
        (axes[0], "d_coverage", "Δ coverage of latent needs (points)", "RdBu", 100.0),
        (axes[1], "d_gini", "Δ Gini of fulfilment", "RdBu_r", 1.0),
    ):
        v = d[col].to_numpy(float) * scale
        ax.scatter(communes["lon"], communes["lat"], s=1.5, color="0.8", linewidths=0)
        lim = max(float(np.nanmax(np.abs(v))), 1e-9)
        sc = ax.scatter(d["lon"], d["lat"], c=v, cmap=cmap, s=40 + d["population"] / 2e4,
                        norm=TwoSlopeNorm(0.0, -lim, lim), edgecolors="0.3", linewidths=0.4)
        for _, r in d.iterrows():
            ax.annotate(r["territory.spec"].split(":", 1)[1], (r["lon"], r["lat"]),
                        fontsize=5, ha="center", va="center")
        ax.set_aspect(1 / np.cos(np.radians(46.5)))
        ax.set_title(f"{scenario} − {reference}: {label}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(sc, ax=ax, shrink=0.7)
    axes[0].annotate(ATTRIBUTION, (0, 0), xycoords="axes fraction", xytext=(0, -4),
                     textcoords="offset points", ha="left", va="top", fontsize=7, color="0.35")
    return fig


def _smallest_scale(plan: SweepPlan) -> float:
    """The smallest ``population.scale`` of the sweep's runs (swept, set, or the scenarios')."""
    if "population.scale" in plan.param_names:
        k = plan.param_names.index("population.scale")
        return float(min(point[k] for point in plan.points))
    return min(load_config(s, list(plan.spec.set)).population.scale for s in plan.scenarios)


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
    caveat = scale_caveat(_smallest_scale(plan))
    if caveat:
        lines += [f"> {caveat}", ""]
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
        lines += _territory_section(plan, runs, figures)
    lines += ["## Reading the runs", "",
              "```python", "import pandas as pd", 'runs = pd.read_parquet("runs")', "```",
              "", "or in DuckDB: `SELECT * FROM 'runs/*.parquet'`.", ""]
    return "\n".join(lines), figures
