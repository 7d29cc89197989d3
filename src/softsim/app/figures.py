"""The page's map and charts, drawn as SVG text from a :class:`~softsim.app.state.Run`.

Plain Python (no Solara, no browser): the page puts the SVG in the document, the tests read it.
SVG rather than matplotlib images because a week must redraw well under a second on a
projector laptop: the commune shapes (real outlines, or Voronoi cells of a generated territory)
are turned into SVG paths once per territory, and each week only their colours, the actors and
the chart lines are written again (a few milliseconds instead of a few hundred for a PNG).
Each commune carries its name and value as a tooltip.
"""

from __future__ import annotations

import html
import math
import threading
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.colors import Normalize

from softsim.app.state import Run
from softsim.report import _voronoi_cells
from softsim.territory import Territory, outlines

__all__ = ["ACTOR_STYLE", "LAYER_STYLE", "MISSING", "charts_svg", "colours", "map_svg"]

LAYER_STYLE: dict[str, tuple[str, float | None]] = {
    "coverage": ("RdYlGn", 1.0),
    "non_take_up": ("YlOrRd", 0.5),
    "unmet": ("Reds", None),
}
"""Colour map and upper bound (None: the week's maximum, at least 1) of each map layer."""

MISSING = "#d9d9d9"
"""Colour of a commune whose value is undefined (no need arose there yet)."""

ACTOR_STYLE: dict[str, tuple[str, str, str]] = {
    "site": ("square", "#000000", "#ffffff"),
    "module": ("triangle", "#1f5fbf", "#ffffff"),
    "module_transit": ("triangle", "none", "#1f5fbf"),
    "mobile": ("diamond", "#7b2d8e", "#ffffff"),
    "bus_stop": ("circle", "#f08c00", "#000000"),
    "association": ("dot", "#2b8a3e", "none"),
}
"""Shape, fill and stroke of each kind of actor (texts under ``actor.``)."""

WIDTH = 560.0  # map drawing width in SVG units (the SVG scales to its box)
PAD = 8.0
SERIES_COLOURS = ("#1f5fbf", "#d9480f")


@dataclass(frozen=True)
class _Geometry:
    """A territory turned into SVG once: commune paths (or points), roads, the frame."""

    xy: np.ndarray  # commune centres in SVG units
    paths: list[str] | None  # one ``d`` per commune, or None: draw points
    radius: np.ndarray  # point radius by population (for territories without shapes)
    roads: str
    width: float
    height: float


_lock = threading.Lock()
_cache: dict[int, tuple[Territory, _Geometry]] = {}


def _geometry(territory: Territory) -> _Geometry:
    # keyed by identity: sessions share one territory object (see state.shared_territory)
    with _lock:
        hit = _cache.get(id(territory))
        if hit is None or hit[0] is not territory:
            if len(_cache) >= 8:
                _cache.clear()
            hit = _cache[id(territory)] = (territory, _build_geometry(territory))
        return hit[1]


def _build_geometry(t: Territory) -> _Geometry:
    xy_km = np.column_stack([t.x_km, t.y_km]).astype(float)
    rings = outlines(t)
    if rings is None:
        rings = _voronoi_cells(xy_km)
    pts = [np.concatenate(r) for r in rings if r] if rings is not None else []
    every = np.concatenate([xy_km, *pts]) if pts else xy_km
    lo, hi = every.min(axis=0), every.max(axis=0)
    span = max(float((hi - lo).max()), 1e-6)
    k = (WIDTH - 2 * PAD) / span
    height = float((hi[1] - lo[1]) * k + 2 * PAD)
    width = float((hi[0] - lo[0]) * k + 2 * PAD)

    def to_svg(p: np.ndarray) -> np.ndarray:
        return np.column_stack([(p[:, 0] - lo[0]) * k + PAD, (hi[1] - p[:, 1]) * k + PAD])

    paths = None
    if rings is not None:
        tolerance = 0.6 / k  # about half an SVG unit: invisible, and far fewer points
        paths = []
        for i, commune in enumerate(rings):
            if not commune:
                c = to_svg(xy_km[i : i + 1])[0]
                paths.append(f"M{c[0] - 2:.1f} {c[1]:.1f}a2 2 0 1 0 4 0a2 2 0 1 0 -4 0Z")
                continue
            parts = []
            for ring in commune:
                ring = _simplify(np.asarray(ring, float), tolerance)
                s = to_svg(ring)
                parts.append("M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in s) + "Z")
            paths.append("".join(parts))
    xy = to_svg(xy_km)
    pop = np.asarray(t.population, float)
    radius = 1.5 + 7.0 * np.sqrt(pop / max(pop.max(), 1.0))
    e = np.asarray(t.edges, dtype=np.int64).reshape(-1, 2)
    roads = "".join(
        f"M{xy[a, 0]:.1f} {xy[a, 1]:.1f}L{xy[b, 0]:.1f} {xy[b, 1]:.1f}" for a, b in e
    )
    return _Geometry(xy, paths, radius, roads, width, height)


def _simplify(ring: np.ndarray, tolerance: float) -> np.ndarray:
    if len(ring) <= 8:
        return ring
    import shapely

    line = shapely.simplify(shapely.linestrings(ring), tolerance, preserve_topology=False)
    out = np.asarray(shapely.get_coordinates(line))
    return out if len(out) >= 4 else ring


def colours(values: np.ndarray, layer: str) -> tuple[list[str], float]:
    """Hex colour of each value on ``layer``'s colour map, and the map's upper bound.

    Undefined values (NaN) are :data:`MISSING`.
    """
    name, top = LAYER_STYLE[layer]
    finite = values[np.isfinite(values)]
    if top is None:
        top = max(float(finite.max()) if len(finite) else 0.0, 1.0)
    rgba = matplotlib.colormaps[name](Normalize(0.0, top, clip=True)(np.nan_to_num(values)))
    rgb = np.round(rgba[:, :3] * 255).astype(int)
    out = [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in rgb]
    return [MISSING if not math.isfinite(v) else c for v, c in zip(values, out, strict=True)], top


def _marker(kind: str, x: float, y: float, size: float = 5.0) -> str:
    shape, fill, stroke = ACTOR_STYLE[kind]
    attrs = f'fill="{fill}" stroke="{stroke}" stroke-width="1.2" class="actor {kind}"'
    if shape == "square":
        return f'<rect x="{x - size:.1f}" y="{y - size:.1f}" width="{2 * size:.1f}" ' \
               f'height="{2 * size:.1f}" {attrs}/>'
    if shape == "triangle":
        return (f'<path d="M{x:.1f} {y - size * 1.2:.1f}L{x + size:.1f} {y + size * 0.8:.1f}'
                f'L{x - size:.1f} {y + size * 0.8:.1f}Z" {attrs}/>')
    if shape == "diamond":
        return (f'<path d="M{x:.1f} {y - size * 1.2:.1f}L{x + size:.1f} {y:.1f}'
                f'L{x:.1f} {y + size * 1.2:.1f}L{x - size:.1f} {y:.1f}Z" {attrs}/>')
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size:.1f}" {attrs}/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.2" {attrs}/>'


def _fmt(v: float, layer: str) -> str:
    if not math.isfinite(v):
        return "–"
    return f"{v:.1f}" if layer == "unmet" else f"{100 * v:.1f} %"


def map_svg(run: Run, layer: str, t, title: str | None = None,
            selected: int | None = None) -> str:
    """The map of a run this week: communes coloured by ``layer``, roads, actors, a legend.

    Args:
        run: The run to draw.
        layer: One of :data:`~softsim.app.state.LAYERS`.
        t: ``t(key)`` gives a text of the page in its language.
        title: Drawn above the map (e.g. the scenario's name in a comparison).
        selected: The commune chosen for an edit (drawn with a thick outline).

    Returns:
        An ``<svg>`` element; each commune is a ``path.commune`` (a ``circle.commune`` where
        the territory has no shapes) with ``data-value``, ``data-commune`` (its index, what
        a click on it sends) and a ``<title>`` tooltip.
    """
    territory = run.model.territory
    g = _geometry(territory)
    values = run.commune_values(layer)
    fills, top = colours(values, layer)
    names = territory.name
    top_pad = 22.0 if title else 0.0
    bar_w = 70.0
    actors = {k: v for k, v in run.actors().items() if len(v)}
    legend_rows = math.ceil(len(actors) / 3)
    height = top_pad + g.height + 10 + 18 * legend_rows
    width = g.width + bar_w
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
           f'width="100%" class="ss-map" data-layer="{layer}" '
           f'style="font-family: sans-serif; max-height: 78vh">']
    if title:
        out.append(f'<text x="{g.width / 2:.0f}" y="15" text-anchor="middle" font-size="14" '
                   f'font-weight="600">{html.escape(title)}</text>')
    out.append(f'<g transform="translate(0 {top_pad:.0f})">')
    for i, fill in enumerate(fills):
        tip = f"<title>{html.escape(str(names[i]))}: {_fmt(values[i], layer)}</title>"
        value = "" if not math.isfinite(values[i]) else f"{values[i]:.6g}"
        cls, width = ("commune selected", 2.5) if i == selected else ("commune", None)
        if g.paths is not None:
            out.append(f'<path class="{cls}" d="{g.paths[i]}" fill="{fill}" '
                       f'stroke="{"#000" if width else "#fff"}" stroke-width="{width or 0.5}" '
                       f'data-value="{value}" data-commune="{i}">{tip}</path>')
        else:
            x, y = g.xy[i]
            out.append(f'<circle class="{cls}" cx="{x:.1f}" cy="{y:.1f}" r="{g.radius[i]:.1f}"'
                       f' fill="{fill}" stroke="{"#000" if width else "#777"}" '
                       f'stroke-width="{width or 0.4}" data-value="{value}" '
                       f'data-commune="{i}">{tip}</circle>')
    out.append(f'<path d="{g.roads}" stroke="#666" stroke-opacity="0.35" stroke-width="0.6" '
               'fill="none"/>')
    for kind, communes in actors.items():
        shift = 0.0 if kind == "site" else 4.0  # actors of one commune stay visible
        for c in communes:
            out.append(_marker(kind, g.xy[c, 0] + shift, g.xy[c, 1] + shift))
    # colour bar
    name, _ = LAYER_STYLE[layer]
    cmap = matplotlib.colormaps[name]
    bx, by, bh = g.width + 12, 20.0, g.height * 0.6
    stops = "".join(
        f'<stop offset="{q:.2f}" stop-color="{matplotlib.colors.to_hex(cmap(1 - q))}"/>'
        for q in np.linspace(0, 1, 11)
    )
    out.append(f'<defs><linearGradient id="bar-{layer}" x1="0" y1="0" x2="0" y2="1">{stops}'
               '</linearGradient></defs>')
    out.append(f'<rect x="{bx:.0f}" y="{by:.0f}" width="14" height="{bh:.0f}" '
               f'fill="url(#bar-{layer})" stroke="#555" stroke-width="0.5"/>')
    top_text = f"{top:.0f}" if layer == "unmet" else f"{100 * top:.0f} %"
    bottom_text = "0" if layer == "unmet" else "0 %"
    out.append(f'<text x="{bx + 18:.0f}" y="{by + 8:.0f}" font-size="11">{top_text}</text>')
    out.append(f'<text x="{bx + 18:.0f}" y="{by + bh:.0f}" font-size="11">{bottom_text}</text>')
    label = html.escape(t(f"layer.{layer}"))
    out.append(f'<text transform="translate({bx + 7:.0f} {by + bh + 14:.0f}) rotate(90)" '
               f'font-size="11">{label}</text>')
    out.append("</g>")
    # legend of the actors
    y0 = top_pad + g.height + 14
    for j, kind in enumerate(actors):
        x, y = PAD + 6 + (j % 3) * (g.width / 3), y0 + 18 * (j // 3)
        out.append(_marker(kind, x, y, 4.5))
        out.append(f'<text x="{x + 9:.0f}" y="{y + 4:.0f}" font-size="12">'
                   f'{html.escape(t(f"actor.{kind}"))}</text>')
    out.append("</svg>")
    return "".join(out)


def _ticks(lo: float, hi: float, n: int = 3) -> list[float]:
    if hi <= lo:
        return [lo]
    return list(np.linspace(lo, hi, n))


def charts_svg(runs: list[Run], t) -> str:
    """Coverage, non-take-up and Gini of fulfilment over the weeks, one line per run.

    Returns:
        An ``<svg>`` element with three panels; each run's line is a ``polyline`` with
        ``data-key`` (the indicator) and ``data-run`` (the scenario), one point per week.
    """
    keys = ("coverage", "non_take_up", "gini")
    width, panel, gap, left, right, bottom = 560.0, 120.0, 14.0, 62.0, 12.0, 34.0
    weeks = max(r.weeks for r in runs)
    plot_w = width - left - right
    top = 8.0
    height = top + 3 * panel + 2 * gap + bottom
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
           'width="100%" class="ss-chart" style="font-family: sans-serif">']
    for p, key in enumerate(keys):
        y0 = top + p * (panel + gap)
        values = [v for r in runs for v in r.history[key] if math.isfinite(v)]
        lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
        margin = max((hi - lo) * 0.1, 0.005)
        lo, hi = max(lo - margin, 0.0), hi + margin

        def sy(v: float, y0=y0, lo=lo, hi=hi) -> float:
            return y0 + panel - (v - lo) / (hi - lo) * panel

        out.append(f'<rect x="{left}" y="{y0}" width="{plot_w}" height="{panel}" fill="#fff" '
                   'stroke="#444" stroke-width="0.8"/>')
        for v in _ticks(lo, hi):
            y = sy(v)
            out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
                       'stroke="#ddd" stroke-width="0.6"/>')
            out.append(f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" '
                       f'text-anchor="end">{v:.3f}</text>')
        out.append(f'<text transform="translate(12 {y0 + panel / 2:.0f}) rotate(-90)" '
                   f'font-size="11" text-anchor="middle">{html.escape(t(f"chart.{key}"))}'
                   '</text>')
        for r, colour in zip(runs, SERIES_COLOURS, strict=False):
            pts = [
                f"{left + w / weeks * plot_w:.1f},{sy(v):.1f}"
                for w, v in zip(r.history["week"], r.history[key], strict=True)
                if math.isfinite(v)
            ]
            out.append(f'<polyline points="{" ".join(pts)}" fill="none" stroke="{colour}" '
                       f'stroke-width="2" data-key="{key}" '
                       f'data-run="{html.escape(r.config.name)}"/>')
            if len(pts) == 1:
                x, y = pts[0].split(",")
                out.append(f'<circle cx="{x}" cy="{y}" r="2.5" fill="{colour}"/>')
    base = top + 3 * panel + 2 * gap
    wpy = runs[0].config.simulation.weeks_per_year
    for w in range(0, weeks + 1, wpy):
        x = left + w / weeks * plot_w
        out.append(f'<text x="{x:.1f}" y="{base + 13}" font-size="10" '
                   f'text-anchor="middle">{w}</text>')
    out.append(f'<text x="{left + plot_w / 2:.0f}" y="{base + 28}" font-size="11" '
               f'text-anchor="middle">{html.escape(t("chart.week"))}</text>')
    if len(runs) > 1:
        for j, (r, colour) in enumerate(zip(runs, SERIES_COLOURS, strict=False)):
            x = left + 10 + 120 * j
            out.append(f'<line x1="{x}" x2="{x + 18}" y1="12" y2="12" stroke="{colour}" '
                       'stroke-width="2.5"/>')
            out.append(f'<text x="{x + 22}" y="16" font-size="11">'
                       f'{html.escape(r.config.name)}</text>')
    out.append("</svg>")
    return "".join(out)
