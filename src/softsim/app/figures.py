"""The page's map and charts as matplotlib figures, drawn from a :class:`~softsim.app.state.Run`.

Plain matplotlib (no Solara): the page shows these figures as images, and the tests draw them
without a browser. The commune shapes (real outlines, or Voronoi cells of a generated territory)
are computed once per territory and reused at every redraw.
"""

from __future__ import annotations

import math
import threading

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from softsim.app.state import Run  # noqa: E402
from softsim.report import _commune_paths, _roads, _sizes, _voronoi_cells  # noqa: E402
from softsim.territory import Territory, outlines  # noqa: E402

__all__ = ["ACTOR_STYLE", "LAYER_STYLE", "charts_figure", "map_figure"]

LAYER_STYLE: dict[str, tuple[str, float | None]] = {
    "coverage": ("RdYlGn", 1.0),
    "non_take_up": ("YlOrRd", 0.5),
    "unmet": ("Reds", None),
}
"""Colour map and upper bound (None: the week's maximum) of each map layer."""

ACTOR_STYLE: dict[str, dict] = {
    "site": dict(marker="s", s=46, facecolor="black", edgecolor="white"),
    "module": dict(marker="^", s=60, facecolor="#1f5fbf", edgecolor="white"),
    "module_transit": dict(marker="^", s=60, facecolor="none", edgecolor="#1f5fbf"),
    "mobile": dict(marker="D", s=46, facecolor="#7b2d8e", edgecolor="white"),
    "bus_stop": dict(marker="o", s=40, facecolor="#f08c00", edgecolor="black"),
    "association": dict(marker=".", s=30, facecolor="#2b8a3e", edgecolor="none"),
}
"""How each kind of actor is drawn on the map (texts under ``actor.``)."""

_shape_lock = threading.Lock()
_shape_cache: dict[int, tuple[Territory, list | None]] = {}


def _shapes(territory: Territory):
    """Commune paths of a territory (outlines, or Voronoi cells), or None (draw points)."""
    xy = np.column_stack([territory.x_km, territory.y_km])
    rings = outlines(territory)
    if rings is None:
        rings = _voronoi_cells(xy)
    return None if rings is None else _commune_paths(rings, xy)


def _paths(territory: Territory):
    # keyed by identity: sessions share one territory object (see state.shared_territory)
    with _shape_lock:
        hit = _shape_cache.get(id(territory))
        if hit is None or hit[0] is not territory:
            if len(_shape_cache) >= 8:
                _shape_cache.clear()
            hit = _shape_cache[id(territory)] = (territory, _shapes(territory))
        return hit[1]


def map_figure(run: Run, layer: str, t, title: str | None = None) -> Figure:
    """The map of a run this week: communes coloured by ``layer``, roads and actors, a legend.

    Args:
        run: The run to draw.
        layer: One of :data:`~softsim.app.state.LAYERS`.
        t: ``t(key)`` gives a text of the page in its language.
        title: Drawn above the map (e.g. the scenario's name in a comparison).
    """
    territory = run.model.territory
    values = run.commune_values(layer)
    xy = np.column_stack([territory.x_km, territory.y_km])
    cmap_name, top = LAYER_STYLE[layer]
    finite = values[np.isfinite(values)]
    if top is None:
        top = max(float(finite.max()) if len(finite) else 0.0, 1.0)
    norm = Normalize(0.0, top)
    cmap = matplotlib.colormaps[cmap_name].with_extremes(bad="0.85")

    fig = Figure(figsize=(7.2, 6.0), dpi=80)
    fig.subplots_adjust(left=0.01, right=0.93, top=0.95, bottom=0.12)
    ax = fig.add_subplot()
    paths = _paths(territory)
    _roads(ax, territory)
    ax.collections[-1].set(zorder=2, alpha=0.6)  # roads over the cells, under the actors
    if paths is not None:
        coll = PathCollection(paths, array=np.ma.masked_invalid(values), cmap=cmap, norm=norm,
                              edgecolors="white", linewidths=0.3, zorder=1)
        ax.add_collection(coll)
        ax.autoscale_view()
    else:
        coll = ax.scatter(xy[:, 0], xy[:, 1], c=values, s=_sizes(territory.population),
                          cmap=cmap, norm=norm, plotnonfinite=True, linewidths=0.3,
                          edgecolors="0.45", zorder=1)
    handles = []
    for kind, communes in run.actors().items():
        if len(communes) == 0:
            continue
        style = ACTOR_STYLE[kind]
        jitter = 0.0 if kind == "site" else 0.6  # actors of one commune stay visible
        ax.scatter(xy[communes, 0] + jitter, xy[communes, 1] + jitter, zorder=4,
                   linewidths=0.8, **style)
        handles.append(Line2D([], [], linestyle="none", marker=style["marker"],
                              markerfacecolor=style["facecolor"],
                              markeredgecolor=style["edgecolor"], markersize=7,
                              label=t(f"actor.{kind}")))
    cbar = fig.colorbar(coll, ax=ax, shrink=0.7, pad=0.01)
    cbar.set_label(t(f"layer.{layer}"), fontsize=9)
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.01), ncol=3,
                  fontsize=8, frameon=False, borderaxespad=0.0, handletextpad=0.2)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def charts_figure(runs: list[Run], t) -> Figure:
    """Coverage, non-take-up and Gini of fulfilment over the weeks, one line per run."""
    fig = Figure(figsize=(6.4, 4.6), dpi=80)
    fig.subplots_adjust(left=0.11, right=0.98, top=0.97, bottom=0.1, hspace=0.12)
    axes = fig.subplots(3, 1, sharex=True)
    colours = ("#1f5fbf", "#d9480f")
    weeks = max(r.weeks for r in runs)
    for ax, key in zip(axes, ("coverage", "non_take_up", "gini"), strict=True):
        for r, colour in zip(runs, colours, strict=False):
            ax.plot(r.history["week"], r.history[key], color=colour, lw=1.6,
                    marker="o" if len(r.history["week"]) < 30 else None, ms=3,
                    label=r.config.name)
        ax.set_ylabel(t(f"chart.{key}"), fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        last = [r.history[key][-1] for r in runs if r.history[key]]
        finite = [v for v in last if not math.isnan(v)]
        if not finite:
            ax.set_ylim(0, 1)
    axes[-1].set_xlim(0, weeks)
    axes[-1].set_xlabel(t("chart.week"), fontsize=8)
    if len(runs) > 1:
        axes[0].legend(fontsize=7, loc="lower right")
    return fig
