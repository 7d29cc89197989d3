"""Real territories from the bundled French communes file, or from a user's CSV.

Every commune table goes through the same checks (:func:`table_problems`): finite values in the
columns used, populations in ``[0, MAX_POPULATION]``, longitudes in ``[-180, 180]``, latitudes in
``[-90, 90]``, and no commune far from all others (:func:`far_communes`). The bundled table passes
them by construction (``tests/test_data.py``); a user's CSV is checked at load time: an impossible
value is a :class:`~softsim.errors.TerritoryError` naming the file, row and column; a commune far
from all others is plausible (an island) and is reported as a warning on the ``softsim`` logger.
"""

from __future__ import annotations

import csv
import logging
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from softsim.config import TerritoryConfig, TravelConfig
from softsim.errors import TerritoryError
from softsim.territory.core import Territory, assemble
from softsim.territory.regions import REGIONS

__all__ = [
    "ATTRIBUTION",
    "MAX_POPULATION",
    "border_ring",
    "communes_table",
    "far_communes",
    "table_problems",
    "from_bundled",
    "from_department",
    "from_epci",
    "from_csv",
]

ATTRIBUTION = "Source: INSEE, IGN, DILA — Licence Ouverte (communes_fr.csv.gz)"
REQUIRED = ("code", "name", "population", "lon", "lat")
EARTH_RADIUS_KM = 6371.0
MAX_POPULATION = 3_000_000
"""Largest population accepted for one commune (Paris has 2.1 M inhabitants)."""
MAX_AREA_KM2 = 100_000.0
"""Largest area accepted for one commune (the largest French commune is about 18,400 km²)."""
RANGES: dict[str, tuple[float, float]] = {
    "population": (0.0, float(MAX_POPULATION)),
    "lon": (-180.0, 180.0),
    "lat": (-90.0, 90.0),
    "area_km2": (0.0, MAX_AREA_KM2),
}
FAR_FACTOR, FAR_MARGIN_KM = 3.0, 5.0
"""A commune is *far* when its nearest neighbour is more than ``3·√area + 5`` km away."""

log = logging.getLogger("softsim")


@cache
def communes_table() -> pd.DataFrame:
    """All 34,852 French communes shipped with the package (read once per process)."""
    with resources.files("softsim.data").joinpath("communes_fr.csv.gz").open("rb") as fh:
        return pd.read_csv(
            fh, compression="gzip", dtype={"code": str, "dep": str, "epci": str, "name": str}
        )


def _project(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equirectangular projection around the centroid, in km (error < 1 % at this scale)."""
    x, y = _projector(lon, lat)(lon, lat)
    return x, y


def _projector(lon: np.ndarray, lat: np.ndarray):
    """The projection of a territory whose communes are at ``lon``, ``lat`` (degrees).

    Returns a function mapping any degrees to the territory's km, so that outlines and positions
    share one frame: origin at the communes' lower-left corner.
    """
    lon0, lat0 = float(np.mean(lon)), float(np.mean(lat))
    k = np.cos(np.radians(lat0))

    def raw(lo, la):
        return (
            np.radians(np.asarray(lo, float) - lon0) * k * EARTH_RADIUS_KM,
            np.radians(np.asarray(la, float) - lat0) * EARTH_RADIUS_KM,
        )

    x, y = raw(lon, lat)
    x_min, y_min = float(x.min()), float(y.min())

    def project(lo, la):
        px, py = raw(lo, la)
        return px - x_min, py - y_min

    return project


def far_communes(x_km: np.ndarray, y_km: np.ndarray, area_km2: np.ndarray) -> np.ndarray:
    """Which communes are far from all others: nearest neighbour beyond ``3·√area + 5`` km.

    A commune of area ``A`` normally has a neighbour within about ``√A`` (the median ratio is 0.7
    in the bundled table, the 99.9th percentile 2.5), so the bound leaves room for odd shapes
    and flags positions that are wrong by tens of km or more. Areas below 1 km² count as 1 km².

    Args:
        x_km: Planar abscissa of each commune (km).
        y_km: Planar ordinate of each commune (km).
        area_km2: Area of each commune.

    Returns:
        A boolean mask, true for communes whose nearest neighbour is beyond the bound (all false
        when there are fewer than two communes).
    """
    n = len(x_km)
    if n < 2:
        return np.zeros(n, dtype=bool)
    pts = np.column_stack([x_km, y_km])
    dist, _ = cKDTree(pts).query(pts, k=2)
    bound = FAR_FACTOR * np.sqrt(np.maximum(np.asarray(area_km2, float), 1.0)) + FAR_MARGIN_KM
    return dist[:, 1] > bound


def table_problems(table: pd.DataFrame) -> pd.DataFrame:
    """Check a communes table with a ``dep`` column (the bundled table's layout).

    Looks for missing or non-finite values in the columns the model uses, values out of
    :data:`RANGES`, empty codes or names, duplicate codes, and communes far from every other
    commune of their département (:func:`far_communes`).

    Args:
        table: Rows with at least ``code``, ``name``, ``dep``, ``population``, ``lon``, ``lat``,
            ``area_km2``.

    Returns:
        One row per problem: ``code``, ``column``, ``problem`` (empty when the table is sound).
    """
    rows: list[tuple[str, str, str]] = []
    codes = table["code"].astype(str)
    for col in ("code", "name", "dep"):
        blank = table[col].isna() | (table[col].astype(str).str.strip() == "")
        rows += [(c, col, "empty") for c in codes[blank]]
    rows += [(c, "code", "duplicate") for c in codes[codes.duplicated()]]
    ok = pd.Series(True, index=table.index)
    for col, (lo, hi) in RANGES.items():
        values = pd.to_numeric(table[col], errors="coerce").to_numpy(float)
        bad = ~np.isfinite(values)
        rows += [(c, col, "missing or not finite") for c in codes[bad]]
        out = ~bad & ((values < lo) | (values > hi))
        rows += [(c, col, f"outside [{lo:g}, {hi:g}]") for c in codes[out]]
        ok &= ~(bad | out)
    good = table[ok]
    for _, dep in good.groupby("dep"):
        x, y = _project(dep["lon"].to_numpy(float), dep["lat"].to_numpy(float))
        far = far_communes(x, y, dep["area_km2"].to_numpy(float))
        rows += [(c, "lon/lat", "far from its département") for c in dep["code"].astype(str)[far]]
    return pd.DataFrame(rows, columns=["code", "column", "problem"])


def _validate(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """Check a user's table; raise a one-line :class:`TerritoryError` on the first bad cell."""
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise TerritoryError(
            f"{source}: missing column(s) {', '.join(missing)} (expected {','.join(REQUIRED)})"
        )
    if len(df) == 0:
        raise TerritoryError(f"{source}: no commune")
    code = df["code"].astype("string").str.strip()
    empty = code.isna() | (code == "")
    if empty.any():
        row = int(np.argmax(empty.to_numpy()))
        raise TerritoryError(f"{source}: row {row + 2}: code is empty, expected a commune code")
    dup = code.duplicated()
    if dup.any():
        row = int(np.argmax(dup.to_numpy()))
        raise TerritoryError(f"{source}: row {row + 2}: duplicate code {code.iloc[row]!r}")
    df["code"] = code.astype(str).to_numpy(object)
    name = df["name"].astype("string").str.strip()
    df["name"] = name.where(name.notna() & (name != ""), df["code"]).astype(str).to_numpy(object)
    for col in ("population", "lon", "lat") + (("area_km2",) if "area_km2" in df else ()):
        lo, hi = RANGES[col]
        values = pd.to_numeric(df[col].astype(str).str.strip(), errors="coerce").to_numpy(
            dtype=float
        )
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(values) | (values < lo) | (values > hi)
        if bad.any():
            row = int(np.argmax(bad))
            raw = df[col].iloc[row]
            shown = "" if pd.isna(raw) else str(raw).strip()
            raise TerritoryError(
                f"{source}: row {row + 2}: {col} = {shown!r}, expected a number in "
                f"[{lo:g}, {hi:g}]"
            )
        df[col] = values
    if df["population"].sum() < 0.5:
        raise TerritoryError(f"{source}: every population is 0, expected at least 1 inhabitant")
    return df


def _typical_area(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A commune area for the far-commune check when the file gives none.

    The bounding box would be inflated by the very commune to be found, so the area comes from
    the median nearest-neighbour distance (about 0.7·√area in the bundled table).
    """
    if len(x) < 2:
        return np.ones(len(x))
    pts = np.column_stack([x, y])
    nn = cKDTree(pts).query(pts, k=2)[0][:, 1]
    return np.full(len(x), (float(np.median(nn)) / 0.7) ** 2)


_reported: set[str] = set()


def _warn_far(df: pd.DataFrame, x: np.ndarray, y: np.ndarray, area: np.ndarray, source: str):
    """Log each commune far from all others once per process, with its row and distance."""
    far = far_communes(x, y, area)
    if not far.any():
        return
    pts = np.column_stack([x, y])
    nn = cKDTree(pts).query(pts, k=2)[0][:, 1]
    for row in np.flatnonzero(far):
        msg = (
            f"{source}: row {row + 2}: commune {df['code'].iloc[row]} is {nn[row]:.0f} km from "
            "the nearest other commune (check lon/lat; an island is fine)"
        )
        if msg not in _reported:
            _reported.add(msg)
            log.warning(msg)


def _from_frame(
    df: pd.DataFrame,
    label: str,
    cfg: TerritoryConfig,
    travel: TravelConfig,
    attribution: str,
    check_far: bool = False,
    bundled: bool = False,
) -> Territory:
    df = df.reset_index(drop=True)
    lon, lat = df["lon"].to_numpy(float), df["lat"].to_numpy(float)
    x, y = _project(lon, lat)
    if "area_km2" in df:
        area = df["area_km2"].to_numpy(float)
    else:
        span = max(np.ptp(x) * np.ptp(y), 1.0)
        area = np.full(len(df), span / len(df))
    if check_far:
        _warn_far(df, x, y, area if "area_km2" in df else _typical_area(x, y), label)
    return assemble(
        label=label,
        code=df["code"].astype(str).to_numpy(object),
        name=df["name"].astype(str).to_numpy(object),
        population=np.rint(df["population"].to_numpy(float)).astype(np.int64),
        x_km=x,
        y_km=y,
        area_km2=area,
        cfg=cfg,
        travel=travel,
        attribution=attribution,
        border=border_ring(df, cfg.border_km) if bundled and cfg.border_km > 0 else None,
    )


def border_ring(selected: pd.DataFrame, border_km: float) -> dict:
    """The bundled communes outside ``selected`` within ``border_km`` of one of its communes.

    Distances are straight lines between commune positions, in the selection's projection.

    Returns:
        Columns ``code``, ``name``, ``dep``, ``population``, ``x_km``, ``y_km``, ``area_km2``
        of the ring's communes, in table order.
    """
    table = communes_table()
    project = _projector(selected["lon"].to_numpy(float), selected["lat"].to_numpy(float))
    sx, sy = project(selected["lon"].to_numpy(float), selected["lat"].to_numpy(float))
    outside = table[~table["code"].isin(selected["code"])]
    ox, oy = project(outside["lon"].to_numpy(float), outside["lat"].to_numpy(float))
    dist, _ = cKDTree(np.column_stack([sx, sy])).query(np.column_stack([ox, oy]))
    near = dist <= border_km
    ring = outside[near]
    return {
        "code": ring["code"].astype(str).to_numpy(object),
        "name": ring["name"].astype(str).to_numpy(object),
        "dep": ring["dep"].astype(str).to_numpy(object),
        "population": ring["population"].to_numpy(np.int64),
        "x_km": ox[near],
        "y_km": oy[near],
        "area_km2": ring["area_km2"].to_numpy(float),
    }


def bundled_selection(spec: str) -> tuple[str, pd.DataFrame]:
    """The rows of the bundled table named by a spec.

    The spec is ``dep:<code>``, ``epci:<siren>``, ``reg:<code>`` (INSEE region code, see
    :data:`~softsim.territory.regions.REGIONS`) or a comma-separated list of those
    (``dep:23,dep:87,dep:19``).

    Returns:
        The normalised label (``dep:01`` for ``dep:1``; a list's labels joined by commas) and
        the rows, in table order (the order of the territory's communes, whatever the order of
        the list; a commune named twice is taken once).

    Raises:
        TerritoryError: Unknown département, EPCI or région, or an empty item in a list.
    """
    items = [p.strip() for p in spec.split(",")]
    if len(items) == 1:
        return _selection(items[0])
    if not all(items):
        raise TerritoryError(
            f"territory {spec!r}: an empty item in the list (expected e.g. dep:23,dep:87)"
        )
    picked = [_selection(item) for item in items]
    labels = list(dict.fromkeys(label for label, _ in picked))
    index = pd.Index([]).append([df.index for _, df in picked])
    table = communes_table()
    return ",".join(labels), table[table.index.isin(index)]


def _selection(spec: str) -> tuple[str, pd.DataFrame]:
    table = communes_table()
    kind, _, value = spec.strip().partition(":")
    if kind == "dep":
        code = value.strip().upper()
        wanted = code.zfill(2) if code.isdigit() else code
        df = table[table["dep"] == wanted]
        if df.empty:
            raise TerritoryError(
                f"territory dep:{code}: unknown département code (expected e.g. 23, 2A, 971)"
            )
        return f"dep:{wanted}", df
    if kind == "epci":
        siren = value.strip()
        df = table[table["epci"] == siren]
        if df.empty:
            raise TerritoryError(
                f"territory epci:{siren}: unknown EPCI SIREN (expected 9 digits)"
            )
        return f"epci:{siren}", df
    if kind == "reg":
        code = value.strip()
        if code not in REGIONS:
            raise TerritoryError(
                f"territory reg:{code}: unknown région code (expected one of "
                f"{', '.join(REGIONS)}: INSEE codes of the metropolitan régions)"
            )
        return f"reg:{code}", table[table["dep"].isin(REGIONS[code][1])]
    raise TerritoryError(
        f"territory {spec!r}: expected dep:<code>, epci:<siren> or reg:<code>"
    )


def from_department(code: str, cfg: TerritoryConfig, travel: TravelConfig) -> Territory:
    """The communes of one département (``23`` is Creuse, ``2A`` Corse-du-Sud)."""
    label, df = bundled_selection(f"dep:{code}")
    return _from_frame(df.copy(), label, cfg, travel, ATTRIBUTION, bundled=True)


def from_epci(siren: str, cfg: TerritoryConfig, travel: TravelConfig) -> Territory:
    """The communes of one intercommunality (EPCI), by its SIREN."""
    label, df = bundled_selection(f"epci:{siren}")
    return _from_frame(df.copy(), label, cfg, travel, ATTRIBUTION, bundled=True)


def from_bundled(spec: str, cfg: TerritoryConfig, travel: TravelConfig) -> Territory:
    """The communes of a région (``reg:75``) or of a list (``dep:23,dep:87,dep:19``)."""
    label, df = bundled_selection(spec)
    return _from_frame(df.copy(), label, cfg, travel, ATTRIBUTION, bundled=True)


def from_csv(path: str | Path, cfg: TerritoryConfig, travel: TravelConfig) -> Territory:
    """A user's territory: a CSV with columns code,name,population,lon,lat (area_km2 optional).

    Raises:
        TerritoryError: Unreadable file, missing column, empty or duplicate code, or a value
            that is missing, not finite or out of range (one line naming the file, row and
            column; rows are file lines, the header being row 1).
    """
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)  # values shown as written
    except FileNotFoundError:
        raise TerritoryError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise TerritoryError(f"{path}: is a folder, expected a CSV file") from None
    except (OSError, ValueError, EOFError, csv.Error) as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise TerritoryError(f"{path}: not a readable CSV ({first})") from None
    df = _validate(df, str(path))
    return _from_frame(df, str(path), cfg, travel, attribution="", check_far=True)
