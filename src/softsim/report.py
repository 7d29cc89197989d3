"""Figures and terminal tables of a run. Builds matplotlib figures; never writes files."""

from __future__ import annotations

import textwrap
import warnings
from functools import partial

import matplotlib

from softsim.pyplot_loader import import_pyplot

matplotlib.use("Agg")
import_pyplot()  # before the imports below: pyplot without its docstrings' property tables

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import patheffects  # noqa: E402
from matplotlib.collections import LineCollection, PathCollection  # noqa: E402
from matplotlib.colors import LogNorm, Normalize  # noqa: E402
from matplotlib.path import Path  # noqa: E402

from softsim import metrics as m  # noqa: E402
from softsim.outcomes import Outcomes  # noqa: E402
from softsim.territory import Territory, outlines  # noqa: E402

__all__ = [
    "run_figures",
    "run_figure_builders",
    "territory_map",
    "coverage_map",
    "commune_map",
    "site_communes",
    "lorenz_figure",
    "coverage_figure",
    "comparison_figures",
]


SOURCE_LINE = "Source: INSEE, IGN, DILA — Licence Ouverte"
"""The attribution line drawn under every map of real communes."""

GENERATED_LINE = "Generated territory: cells are the areas nearest each commune centre"
"""The line under maps of generated territories (no real outline)."""

NO_OUTLINE_RADIUS_KM = 1.0
"""Communes without a polygon in the outlines file are drawn as a disc of this radius."""


def _roads(ax, t: Territory) -> None:
    segs = np.stack(
        [np.column_stack([t.x_km[t.edges[:, i]], t.y_km[t.edges[:, i]]]) for i in (0, 1)], axis=1
    )
    ax.add_collection(LineCollection(segs, colors="0.8", linewidths=0.5, zorder=0))


def _sizes(population: np.ndarray) -> np.ndarray:
    return 4 + 60 * np.sqrt(population / max(population.max(), 1))


def _commune_paths(rings_per_commune, xy: np.ndarray) -> list[Path]:
    """One compound path per commune (every part and hole); a disc where there is no outline."""
    paths = []
    for i, rings in enumerate(rings_per_commune):
        if not rings:
            circle = Path.circle(tuple(xy[i]), NO_OUTLINE_RADIUS_KM)
            paths.append(circle)
            continue
        verts = np.concatenate(rings)
        codes = np.full(len(verts), Path.LINETO, dtype=Path.code_type)
        start = 0
        for ring in rings:
            codes[start] = Path.MOVETO
            codes[start + len(ring) - 1] = Path.CLOSEPOLY
            start += len(ring)
        paths.append(Path(verts, codes))
    return paths


def _voronoi_cells(xy: np.ndarray) -> list[list[np.ndarray]] | None:
    """Cells of a generated territory: each commune's nearest-centre region, clipped to the hull.

    Generated communes have no outline; their Voronoi cells, clipped to the convex hull of the
    centres (widened by half the median spacing), make a readable choropleth. Maps say so.
    """
    import shapely

    if len(xy) < 3 or np.ptp(xy[:, 0]) == 0 or np.ptp(xy[:, 1]) == 0:
        return None
    points = shapely.multipoints(xy)
    spacing = float(np.median(np.sqrt(np.ptp(xy[:, 0]) * np.ptp(xy[:, 1]) / len(xy))))
    hull = shapely.buffer(shapely.convex_hull(points), spacing / 2, join_style="mitre")
    try:
        cells = shapely.get_parts(shapely.voronoi_polygons(points, extend_to=hull, ordered=True))
    except shapely.errors.GEOSException:
        return None
    if len(cells) != len(xy):  # duplicate positions share one cell
        return None
    cells = shapely.orient_polygons(shapely.intersection(cells, hull), exterior_cw=False)
    out = []
    for cell in cells:
        rings = []
        for part in shapely.get_parts(cell):
            rings += [np.asarray(r.coords) for r in shapely.get_rings(part)]
        out.append(rings)
    return out


def _nice_length(span_km: float) -> float:
    """A round scale-bar length of about a fifth of the map's width."""
    target = max(span_km / 5.0, 1e-3)
    base = 10.0 ** np.floor(np.log10(target))
    for k in (5.0, 2.0, 1.0):
        if k * base <= target:
            return float(k * base)
    return float(base)


def _scale_bar(ax, xy: np.ndarray, fontsize: float = 7) -> None:
    """A black-and-white scale bar in km at the lower left of the map."""
    x0, y0 = xy.min(axis=0)
    x1, y1 = xy.max(axis=0)
    length = _nice_length(x1 - x0)
    pad = 0.04 * max(x1 - x0, y1 - y0, 1e-3)
    bx, by = x0, y0 - 1.6 * pad
    ax.plot([bx, bx + length], [by, by], color="k", lw=2.5, solid_capstyle="butt", zorder=5)
    ax.plot([bx, bx + length / 2], [by, by], color="w", lw=1.2, solid_capstyle="butt", zorder=6)
    ax.text(bx + length + pad * 0.3, by, f"{length:g} km", va="center", fontsize=fontsize,
            zorder=6)
    ax.set_ylim(min(y0 - 2.6 * pad, ax.get_ylim()[0]), ax.get_ylim()[1])


def _place_names(ax, xy, names, population, cls, max_labels: int, fontsize: float = 7) -> None:
    """Name the poles, then the largest bourgs, up to ``max_labels`` names that do not overlap.

    Each name tries four positions around its commune and is dropped if all overlap a name
    already placed (the renderer measures the text, so this holds at any font size).
    """
    order = np.lexsort((-population, cls))  # poles first, each class by population
    chosen = [i for i in order if cls[i] <= 1][: max_labels * 2] or [int(np.argmax(population))]
    halo = [patheffects.withStroke(linewidth=2.0, foreground="white")]
    renderer = ax.figure.canvas.get_renderer()
    ax.apply_aspect()
    frame = ax.get_window_extent(renderer)
    placed: list = []
    offsets = (((3, 2), "left", "bottom"), ((-3, 2), "right", "bottom"),
               ((3, -2), "left", "top"), ((-3, -2), "right", "top"))
    for i in chosen:
        if len(placed) >= max_labels:
            break
        for offset, ha, va in offsets:
            text = ax.annotate(str(names[i]), xy[i], textcoords="offset points", xytext=offset,
                               ha=ha, va=va, fontsize=fontsize, zorder=8, path_effects=halo)
            box = text.get_window_extent(renderer).expanded(1.05, 1.1)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and box.y1 <= frame.y1
            if inside and not any(box.overlaps(other) for other in placed):
                placed.append(box)
                ax.plot(*xy[i], marker="o", ms=2.5, color="k", zorder=7)
                break
            text.remove()


def _draw_communes(ax, xy, population, values, *, rings, cmap, norm, point_scale=1.0):
    """Communes as coloured outlines (real territories) or as sized points (generated ones)."""
    cmap = matplotlib.colormaps[cmap] if isinstance(cmap, str) else cmap
    cmap = cmap.with_extremes(bad="0.85")
    if rings is not None:
        coll = PathCollection(
            _commune_paths(rings, xy),
            array=np.ma.masked_invalid(np.asarray(values, float)),
            cmap=cmap,
            norm=norm,
            edgecolors="white",
            linewidths=0.25,
            zorder=1,
        )
        ax.add_collection(coll)
        ax.autoscale_view()
        return coll
    return ax.scatter(
        xy[:, 0],
        xy[:, 1],
        c=np.asarray(values, float),
        s=_sizes(population) * point_scale,
        cmap=cmap,
        norm=norm,
        plotnonfinite=True,
        linewidths=0.3,
        edgecolors="0.45",
        zorder=1,
    )


def _finish_map(ax) -> None:
    ax.margins(0.04)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)


def _attribution(ax, text: str, rings, fontsize: float = 6.5) -> None:
    """The data source line, under the map (on every map of real communes)."""
    line = text or (SOURCE_LINE if rings is not None else GENERATED_LINE)
    if line:
        ax.annotate(line, (0, 0), xycoords="axes fraction", xytext=(0, -4),
                    textcoords="offset points", ha="left", va="top", fontsize=fontsize,
                    color="0.35")


def _sites_legend(ax, handles) -> None:
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.035), fontsize=7,
                  frameon=False, borderaxespad=0.0, handletextpad=0.3)


def territory_map(t: Territory, site_communes: np.ndarray | None = None):
    """Map of a territory's communes coloured by population density, with named poles.

    Real territories (``dep:``, ``epci:``) are drawn as commune outlines; generated ones as
    points sized by population over their roads. Sites, if given, are drawn as squares.
    """
    rings = outlines(t)
    xy = np.column_stack([t.x_km, t.y_km])
    cells = rings if rings is not None else _voronoi_cells(xy)
    fig, ax = plt.subplots(figsize=(6.6, 6.2))
    density = t.population / np.maximum(t.area_km2, 0.1)
    norm = LogNorm(vmin=max(np.nanmin(density), 1.0), vmax=max(np.nanmax(density), 10.0))
    art = _draw_communes(ax, xy, t.population, density, rings=cells, cmap="YlOrBr", norm=norm)
    fig.colorbar(art, ax=ax, shrink=0.7, label="inhabitants per km²")
    handles = []
    if site_communes is not None and len(site_communes):
        handles.append(
            ax.scatter(*xy[site_communes].T, marker="s", s=26, facecolors="none",
                       edgecolors="k", lw=1.0, zorder=6, label="fixed site")
        )
    _sites_legend(ax, handles)
    _scale_bar(ax, xy)
    _finish_map(ax)
    _place_names(ax, xy, t.name, t.population, t.cls, max_labels=8)
    stats = t.stats()
    ax.set_title(
        f"{t.label}: {stats['communes']} communes, {stats['population']:,} inhabitants\n"
        f"poles {stats['poles']}, bourgs {stats['bourgs']}, villages {stats['villages']}",
        fontsize=10,
    )
    _attribution(ax, t.attribution, rings)
    return fig


def site_communes(o: Outcomes) -> np.ndarray:
    """Communes hosting a standing service provider at the end of the run."""
    return np.flatnonzero(o.communes["sites"].to_numpy() > 0)


COMMUNE_METRICS = {
    "coverage_latent": ("coverage of latent needs", "RdYlBu", (None, None)),
    "non_take_up": ("non-take-up (share of latent needs)", "OrRd", (0.0, None)),
    "unmet": ("unmet needs per resident", "OrRd", (0.0, None)),
    "e2sfca": ("E2SFCA accessibility (per 1,000 residents)", "YlGnBu", (0.0, None)),
}
"""The commune metrics a run map can show: column, colour-bar label, colour map, range.

A bound given as ``None`` follows the data (2nd or 98th percentile, rounded outwards to 0.05),
so that the differences between communes stay readable whatever the scenario.
"""


def _metric_values(o: Outcomes, metric: str) -> np.ndarray:
    c = o.communes
    if metric == "unmet":
        residents = c["residents"].to_numpy(float)
        unmet = (c["latent"] - c["served"]).to_numpy(float)
        return np.divide(unmet, residents, out=np.full(len(c), np.nan), where=residents > 0)
    return c[metric].to_numpy(float)


def commune_map(o: Outcomes, metric: str = "coverage_latent"):
    """A run's commune map coloured by one metric of :data:`COMMUNE_METRICS`.

    Real territories are drawn as commune outlines with a scale bar, named poles and bourgs,
    the communes hosting a service site at the end of the run, and the attribution line;
    generated territories as points sized by population.
    """
    t = o.territory
    label, cmap, (lo, hi) = COMMUNE_METRICS[metric]
    values = _metric_values(o, metric)
    finite = values[np.isfinite(values)]
    if lo is None:
        lo = float(np.floor(np.percentile(finite, 2) / 0.05) * 0.05) if len(finite) else 0.0
    if hi is None:
        hi = float(np.ceil(np.percentile(finite, 98) / 0.05) * 0.05) if len(finite) else 1.0
    hi = hi if hi > lo else lo + 0.05
    rings = outlines(t)
    xy = np.column_stack([t.x_km, t.y_km])
    cells = rings if rings is not None else _voronoi_cells(xy)
    fig, ax = plt.subplots(figsize=(6.6, 6.2))
    art = _draw_communes(
        ax, xy, t.population, values, rings=cells, cmap=cmap, norm=Normalize(lo, hi)
    )
    fig.colorbar(art, ax=ax, shrink=0.7, label=label, extend="both" if metric ==
                 "coverage_latent" else "max")
    sites = site_communes(o)
    handles = []
    if len(sites):
        handles.append(
            ax.scatter(*xy[sites].T, marker="s", s=22, facecolors="none", edgecolors="k",
                       lw=0.9, zorder=6, label="commune with a service site")
        )
    bases = np.flatnonzero(o.communes["mobile_bases"].to_numpy() > 0)
    if len(bases):
        handles.append(
            ax.scatter(*xy[bases].T, marker="D", s=26, facecolors="none", edgecolors="purple",
                       lw=1.0, zorder=7, label="base of mobile agents")
        )
    _sites_legend(ax, handles)
    _scale_bar(ax, xy)
    _finish_map(ax)
    _place_names(ax, xy, t.name, t.population, t.cls, max_labels=8)
    ax.set_title(f"{o.summary['scenario']} on {t.label}: {label} by commune", fontsize=10)
    _attribution(ax, t.attribution, rings)
    return fig


def coverage_map(o: Outcomes):
    """Commune map coloured by coverage of latent needs (see :func:`commune_map`)."""
    return commune_map(o, "coverage_latent")


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
    years = ts["week"] / o.config.simulation.weeks_per_year
    ax.plot(years, ts["coverage_expressed_week"], color="0.75", lw=0.8, label="weekly")
    ax.plot(
        years,
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


def run_figure_builders(o: Outcomes) -> dict:
    """The figures of a run folder, by file stem, as functions of no argument that build them.

    So that each figure can be built where it is drawn and saved (see
    :func:`softsim.store.write_figures`, which saves them in parallel processes).
    """
    outlines(o.territory)  # read the outlines file once, here, not in every forked process
    return {
        "coverage_map": partial(coverage_map, o),
        "non_take_up_map": partial(commune_map, o, "non_take_up"),
        "access_map": partial(commune_map, o, "e2sfca"),
        "lorenz": partial(lorenz_figure, o),
        "coverage_over_time": partial(coverage_figure, o),
    }


def run_figures(o: Outcomes) -> dict:
    """The figures of a run folder, by file stem."""
    return {name: build() for name, build in run_figure_builders(o).items()}


# ---------------------------------------------------------------- scenario comparison


def _axis_label(key: str) -> str:
    """A metric's label and which way is better, from the registry."""
    from softsim import metric_registry as reg

    x = reg.get(key)
    better = {"higher": " (higher is better)", "lower": " (lower is better)"}
    return x.label + better.get(x.direction, "")


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
    ax.set_xlabel(_axis_label("coverage_latent"))
    ax.set_ylabel(_axis_label("gini"))
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
        weeks = np.arange(12, 12 + len(smooth)) / results[0].weeks_per_year
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
    """Small multiples: mean commune coverage per scenario (same territory: common seeds).

    Real territories are drawn as commune outlines (the three most populous communes named on
    the first map), generated ones as points sized by population; one colour bar, one scale bar.
    """
    cols = min(4, len(order))
    rows = int(np.ceil(len(order) / cols))
    first = results[0]
    xy, pop = first.territory_xy, first.territory_population
    rings = outlines(first.territory_label) if len(xy) else None
    if rings is not None and len(rings) != len(xy):
        rings = None
    cells = rings if rings is not None else _voronoi_cells(xy)
    span = np.ptp(xy, axis=0) if len(xy) else np.ones(2)
    aspect = float(span[1] / span[0]) if span[0] > 0 else 1.0
    fig, axes = plt.subplots(
        rows, cols, figsize=(2.8 * cols + 1.0, 2.8 * rows * min(max(aspect, 0.6), 1.4) + 0.6),
        squeeze=False, layout="constrained",
    )
    with warnings.catch_warnings():
        # a commune without needs in every replicate has no coverage: NaN, drawn light grey
        warnings.simplefilter("ignore", RuntimeWarning)
        values = {
            n: np.nanmean([r.commune_coverage for r in results if r.scenario == n], axis=0)
            for n in order
        }
    all_v = np.concatenate([v[np.isfinite(v)] for v in values.values()])
    lo, hi = np.nanpercentile(all_v, [5, 95]) if len(all_v) else (0.0, 1.0)
    hi = hi if hi > lo else lo + 0.01
    names = None
    if rings is not None:
        from softsim.territory.real import bundled_selection

        names = bundled_selection(first.territory_label)[1]["name"].to_numpy(object)
    art = None
    for k, (ax, name) in enumerate(zip(axes.ravel(), order, strict=False)):
        art = _draw_communes(ax, xy, pop, values[name], rings=cells, cmap="RdYlBu",
                             norm=Normalize(lo, hi), point_scale=0.5)
        if k == 0:
            _scale_bar(ax, xy, fontsize=6)
        _finish_map(ax)
        if k == 0 and names is not None:
            top = np.full(len(pop), 2)
            top[np.argsort(-pop, kind="stable")[:3]] = 0
            _place_names(ax, xy, names, pop, top, max_labels=3, fontsize=6)
        ax.set_title(name, fontsize=10)
    for ax in axes.ravel()[len(order) :]:
        ax.axis("off")
    if art is not None:
        fig.colorbar(art, ax=axes.ravel().tolist(), shrink=0.6, label="coverage of latent needs")
    fig.suptitle(f"Coverage by commune ({first.territory_label}), mean over replicates")
    line = first.attribution or (SOURCE_LINE if rings is not None else GENERATED_LINE)
    if line:
        fig.supxlabel(line, fontsize=6.5, color="0.35", x=0.01, ha="left")
    return fig


def group_gaps_figure(table):
    """Grouped bars: coverage gap (group − rest) of each group, per scenario."""
    from softsim.comparison import GAP_GROUPS
    from softsim.groups import GROUP_LABELS

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
    # long labels on two lines (side by side they run together), the legend beside the bars
    ax.set_xticks(x, [textwrap.fill(GROUP_LABELS[g], 11) for g in GAP_GROUPS])
    ax.set_ylabel("coverage gap vs the rest")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
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
