"""Commune outlines of real territories, in the territory's projected km.

The outlines come from ``softsim/data/communes_fr_outlines.parquet`` (IGN Admin Express,
simplified to about 200 m; see ``ATTRIBUTION.md``), read with pyarrow and shapely. Figures and
any other map (a web page) draw them through :func:`outlines`, in the same km frame as the
territory's ``x_km`` / ``y_km``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np

from softsim.territory.core import Territory

__all__ = ["outlines"]

BUNDLED_PREFIXES = ("dep:", "epci:", "reg:")


@cache
def _outline_table() -> tuple[dict[str, int], np.ndarray]:
    """The outlines file: row of each INSEE code, and the WKB geometries (read once)."""
    import pyarrow.parquet as pq

    with resources.files("softsim.data").joinpath("communes_fr_outlines.parquet").open("rb") as fh:
        table = pq.read_table(fh, columns=["code", "geometry"])
    codes = table.column("code").to_pylist()
    wkb = table.column("geometry").to_numpy(zero_copy_only=False)
    return {c: i for i, c in enumerate(codes)}, wkb


def outlines(territory: Territory | str) -> list[list[np.ndarray] | None] | None:
    """The outline of each commune of a real territory, in the territory's projected km.

    Args:
        territory: A territory, or the label of one built from the bundled communes table
            (``dep:23``, ``epci:200069193``).

    Returns:
        ``None`` for territories without outlines (``synthetic``, ``grid``, a user's CSV).
        Otherwise one entry per commune, in the territory's order: a list of closed rings, each
        an ``(k, 2)`` array of km in the same frame as ``x_km`` / ``y_km``, exteriors
        counter-clockwise and holes clockwise (so both the non-zero and the even-odd fill rules
        draw holes); ``None`` for a commune the outlines file lacks (three communes have no
        polygon: 12218, 49126, 69114).
    """
    from softsim.territory.real import _projector, bundled_selection

    label = territory if isinstance(territory, str) else territory.label
    if not label.startswith(BUNDLED_PREFIXES):
        return None
    _, df = bundled_selection(label)
    if not isinstance(territory, str) and df["code"].astype(str).tolist() != list(
        territory.code
    ):
        return None  # not built from this table (a territory rebuilt by hand)
    import shapely

    index, wkb = _outline_table()
    rows = [index.get(c, -1) for c in df["code"].astype(str)]
    have = np.array([r >= 0 for r in rows], dtype=bool)
    geoms = shapely.orient_polygons(
        shapely.from_wkb(wkb[[r for r in rows if r >= 0]]), exterior_cw=False
    )
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    owner = part_owner[ring_part]
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    project = _projector(df["lon"].to_numpy(float), df["lat"].to_numpy(float))
    x, y = project(coords[:, 0], coords[:, 1])
    xy = np.column_stack([x, y])
    bounds = np.searchsorted(ring_of, np.arange(len(rings) + 1))
    per_geom: list[list[np.ndarray]] = [[] for _ in range(len(geoms))]
    for r, g in enumerate(owner.tolist()):
        per_geom[g].append(xy[bounds[r] : bounds[r + 1]])
    out: list[list[np.ndarray] | None] = []
    k = 0
    for ok in have.tolist():
        if ok:
            out.append(per_geom[k])
            k += 1
        else:
            out.append(None)
    return out
