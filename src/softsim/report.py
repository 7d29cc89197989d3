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

__all__ = ["run_figures", "territory_map", "coverage_map", "lorenz_figure", "coverage_figure"]


def _roads(ax, t: Territory) -> None:
    segs = np.stack([np.column_stack([t.x_km[t.edges[:, i]], t.y_km[t.edges[:, i]]])
                     for i in (0, 1)], axis=1)
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
        ax.scatter(t.x_km[site_communes], t.y_km[site_communes], marker="s", s=30,
                   facecolors="none", edgecolors="k", zorder=2, label="fixed site")
        ax.legend(loc="lower right", fontsize=8)
    for label, colour in zip(("pole", "bourg", "village"), ("#b2182b", "#ef8a62", "#67a9cf"),
                             strict=True):
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
    sc = ax.scatter(c["x_km"], c["y_km"], s=_sizes(t.population), c=c["coverage_latent"],
                    cmap="RdYlBu", vmin=0.3, vmax=0.9, edgecolors="none", zorder=1)
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
    ax.plot(ts["week"] / 52, ts["coverage_expressed_week"].rolling(13, min_periods=1).mean(),
            lw=1.8, label="13-week mean")
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
