"""Figures and terminal tables of a run. Builds matplotlib figures; never writes files."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

from softsim import metrics as m  # noqa: E402
from softsim.outcomes import Outcomes  # noqa: E402
from softsim.territory import Territory  # noqa: E402

__all__ = [
    "run_figures",
    "territory_map",
    "coverage_map",
    "lorenz_figure",
    "coverage_figure",
    "comparison_figures",
]


def _roads(ax, t: Territory) -> None:
    segs = np.stack(
        [np.column_stack([t.x_km[t.edges[:, i]], t.y_km[t.edges[:, i]]]) for i in (0, 1)], axis=1
    )
    ax.add_collection(LineCollection(segs, colors="0.8", linewidths=0.5, zorder=0))


def _sizes(population: np.ndarray) -> np.ndarray:
    return 4 + 60 * np.sqrt(population / max(population.max(), 1))


def territory_map(t: Territory, site_communes: np.ndarray | None = None):
    """Map of communes by class and size, with roads (and sites, if given)."""
    fig, ax = plt.subplots(figsize=(6.4, 6.0))
    _roads(ax, t)
    colours = np.array(["#b2182b", "#ef8a62", "#67a9cf"])[t.cls]
    ax.scatter(t.x_km, t.y_km, s=_sizes(t.population), c=colours, edgecolors="none", zorder=1)
    if site_communes is not None and len(site_communes):
        ax.scatter(
            t.x_km[site_communes],
            t.y_km[site_communes],
            marker="s",
            s=30,
            facecolors="none",
            edgecolors="k",
            zorder=2,
            label="fixed site",
        )
        ax.legend(loc="lower right", fontsize=8)
    for label, colour in zip(
        ("pole", "bourg", "village"), ("#b2182b", "#ef8a62", "#67a9cf"), strict=True
    ):
        ax.scatter([], [], c=colour, s=20, label=label)
    ax.legend(loc="lower right", fontsize=8)
    stats = t.stats()
    ax.set_title(f"{t.label}: {stats['communes']} communes, {stats['population']:,} inhabitants")
    ax.set_xlabel("km")
    ax.set_ylabel("km")
    ax.set_aspect("equal")
    if t.attribution:
        fig.text(0.01, 0.01, t.attribution, fontsize=6, color="0.4")
    return fig


def coverage_map(o: Outcomes):
    """Commune map coloured by coverage of latent needs (size = population)."""
    t, c = o.territory, o.communes
    fig, ax = plt.subplots(figsize=(6.4, 6.0))
    _roads(ax, t)
    sc = ax.scatter(
        c["x_km"],
        c["y_km"],
        s=_sizes(t.population),
        c=c["coverage_latent"],
        cmap="RdYlBu",
        vmin=0.3,
        vmax=0.9,
        edgecolors="none",
        zorder=1,
    )
    fig.colorbar(sc, ax=ax, shrink=0.8, label="coverage of latent needs")
    ax.set_title(f"{o.summary['scenario']} on {t.label}: coverage by commune")
    ax.set_aspect("equal")
    ax.set_xlabel("km")
    if t.attribution:
        fig.text(0.01, 0.01, t.attribution, fontsize=6, color="0.4")
    return fig


def lorenz_figure(o: Outcomes):
    """Lorenz curve of per-resident fulfilment, with its Gini."""
    fig, ax = plt.subplots(figsize=(4.8, 4.8))
    p, share = m.lorenz(o.fulfilment)
    ax.plot(p, share, label=f"{o.summary['scenario']} (Gini {m.gini(o.fulfilment):.3f})")
    ax.plot([0, 1], [0, 1], color="0.6", lw=0.8, ls="--", label="equality")
    ax.set_xlabel("share of residents (by fulfilment)")
    ax.set_ylabel("share of fulfilment")
    ax.legend(loc="upper left")
    ax.set_title("Lorenz curve of fulfilment")
    return fig


def coverage_figure(o: Outcomes):
    """Weekly coverage of resolved expressed needs, with a 13-week rolling mean."""
    ts = o.timeseries
    fig, ax = plt.subplots(figsize=(7.0, 3.6))
    ax.plot(ts["week"] / 52, ts["coverage_expressed_week"], color="0.75", lw=0.8, label="weekly")
    ax.plot(
        ts["week"] / 52,
        ts["coverage_expressed_week"].rolling(13, min_periods=1).mean(),
        lw=1.8,
        label="13-week mean",
    )
    ax.set_xlabel("year")
    ax.set_ylabel("served / (served + abandoned)")
    ax.set_ylim(0, 1)
    ax.legend(loc="lower right")
    ax.set_title(f"{o.summary['scenario']}: coverage over time")
    return fig


def run_figures(o: Outcomes) -> dict:
    """The figures of a run folder, by file stem."""
    figs = {
        "coverage_map": coverage_map(o),
        "lorenz": lorenz_figure(o),
        "coverage_over_time": coverage_figure(o),
    }
    return figs


# ---------------------------------------------------------------- scenario comparison


def tradeoff_figure(table):
    """Coverage vs inequality per scenario, with 95 % confidence bars."""
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    for _, row in table.iterrows():
        ax.errorbar(
            row["coverage_latent_mean"],
            row["gini_mean"],
            xerr=np.nan_to_num(row["coverage_latent_ci95"]),
            yerr=np.nan_to_num(row["gini_ci95"]),
            fmt="o",
            capsize=3,
        )
        ax.annotate(
            row["scenario"],
            (row["coverage_latent_mean"], row["gini_mean"]),
            textcoords="offset points",
            xytext=(6, 4),
            fontsize=9,
        )
    ax.set_xlabel("coverage of latent needs (higher is better)")
    ax.set_ylabel("Gini of fulfilment (lower is fairer)")
    ax.set_title("Who gets served: coverage vs inequality")
    ax.grid(alpha=0.3)
    return fig


def coverage_over_time_figure(results, order):
    """Mean 13-week rolling weekly coverage per scenario."""
    fig, ax = plt.subplots(figsize=(7.2, 4.0))
    for name in order:
        series = np.array([r.coverage_week for r in results if r.scenario == name])
        mean = np.nanmean(series, axis=0)
        smooth = np.convolve(
            np.nan_to_num(mean, nan=np.nanmean(mean)), np.ones(13) / 13, mode="valid"
        )
        weeks = np.arange(12, 12 + len(smooth)) / 52
        ax.plot(weeks, smooth, label=name)
    ax.set_xlabel("year")
    ax.set_ylabel("served / (served + abandoned), 13-week mean")
    ax.legend(fontsize=8, ncol=2)
    ax.set_title("Coverage over time")
    ax.grid(alpha=0.3)
    return fig


def lorenz_comparison_figure(results, order):
    """Mean Lorenz curve of fulfilment per scenario."""
    fig, ax = plt.subplots(figsize=(5.0, 5.0))
    p = np.linspace(0, 1, 101)
    for name in order:
        curves = np.array([r.lorenz for r in results if r.scenario == name])
        ax.plot(p, curves.mean(axis=0), label=name, lw=1.2)
    ax.plot([0, 1], [0, 1], color="0.6", ls="--", lw=0.8)
    ax.set_xlabel("share of residents (by fulfilment)")
    ax.set_ylabel("share of fulfilment")
    ax.legend(fontsize=8)
    ax.set_title("Lorenz curves")
    return fig


def maps_figure(results, order):
    """Small multiples: mean commune coverage per scenario (same territory: common seeds)."""
    cols = min(4, len(order))
    rows = int(np.ceil(len(order) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.2 * rows), squeeze=False)
    first = results[0]
    xy, pop = first.territory_xy, first.territory_population
    values = {
        n: np.nanmean([r.commune_coverage for r in results if r.scenario == n], axis=0)
        for n in order
    }
    all_v = np.concatenate([v[np.isfinite(v)] for v in values.values()])
    lo, hi = np.nanpercentile(all_v, [5, 95]) if len(all_v) else (0.0, 1.0)
    sc = None
    for ax, name in zip(axes.ravel(), order, strict=False):
        sc = ax.scatter(
            xy[:, 0],
            xy[:, 1],
            c=values[name],
            s=_sizes(pop) * 0.5,
            cmap="RdYlBu",
            vmin=lo,
            vmax=hi,
            edgecolors="none",
        )
        ax.set_title(name, fontsize=10)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes.ravel()[len(order) :]:
        ax.axis("off")
    if sc is not None:
        fig.colorbar(sc, ax=axes.ravel().tolist(), shrink=0.7, label="coverage of latent needs")
    fig.suptitle(f"Coverage by commune ({first.territory_label})")
    if first.attribution:
        fig.text(0.01, 0.005, first.attribution, fontsize=6, color="0.4")
    return fig


def group_gaps_figure(table):
    """Grouped bars: coverage gap (group − rest) of each group, per scenario."""
    from softsim.comparison import GAP_GROUPS

    fig, ax = plt.subplots(figsize=(8.0, 4.0))
    n = len(table)
    width = 0.8 / max(n, 1)
    x = np.arange(len(GAP_GROUPS))
    for i, (_, row) in enumerate(table.iterrows()):
        means = [row[f"gap_{g}_mean"] for g in GAP_GROUPS]
        cis = [np.nan_to_num(row[f"gap_{g}_ci95"]) for g in GAP_GROUPS]
        ax.bar(
            x + (i - (n - 1) / 2) * width, means, width, yerr=cis, capsize=2, label=row["scenario"]
        )
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks(x, [g.replace("_", " ") for g in GAP_GROUPS])
    ax.set_ylabel("coverage gap vs the rest")
    ax.legend(fontsize=7, ncol=4)
    ax.set_title("Who is left behind: coverage gap by group")
    return fig


def comparison_figures(results, table, order) -> dict:
    """The figures of a comparison report, by file stem."""
    return {
        "tradeoff": tradeoff_figure(table),
        "coverage_over_time": coverage_over_time_figure(results, order),
        "lorenz": lorenz_comparison_figure(results, order),
        "maps": maps_figure(results, order),
        "group_gaps": group_gaps_figure(table),
    }
