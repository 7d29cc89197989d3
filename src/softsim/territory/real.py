"""Real territories from the bundled French communes file, or from a user's CSV."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from softsim.config import TerritoryConfig, TravelConfig
from softsim.errors import TerritoryError
from softsim.territory.core import Territory, assemble

__all__ = ["ATTRIBUTION", "communes_table", "from_department", "from_epci", "from_csv"]

ATTRIBUTION = "Source: INSEE, IGN, DILA — Licence Ouverte (communes_fr.csv.gz)"
REQUIRED = ("code", "name", "population", "lon", "lat")
EARTH_RADIUS_KM = 6371.0


@cache
def communes_table() -> pd.DataFrame:
    """All 34,852 French communes shipped with the package (read once per process)."""
    with resources.files("softsim.data").joinpath("communes_fr.csv.gz").open("rb") as fh:
        return pd.read_csv(
            fh, compression="gzip", dtype={"code": str, "dep": str, "epci": str, "name": str}
        )


def _project(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equirectangular projection around the centroid, in km (error < 1 % at this scale)."""
    lat0 = np.radians(lat.mean())
    x = np.radians(lon - lon.mean()) * np.cos(lat0) * EARTH_RADIUS_KM
    y = np.radians(lat - lat.mean()) * EARTH_RADIUS_KM
    return x - x.min(), y - y.min()


def _validate(df: pd.DataFrame, source: str) -> pd.DataFrame:
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise TerritoryError(
            f"{source}: missing column(s) {', '.join(missing)} (expected {','.join(REQUIRED)})"
        )
    if len(df) == 0:
        raise TerritoryError(f"{source}: no commune")
    dup = df["code"].astype(str).duplicated()
    if dup.any():
        row = int(np.argmax(dup.to_numpy()))
        raise TerritoryError(f"{source}: row {row + 2}: duplicate code {df['code'].iloc[row]!r}")
    for col in ("population", "lon", "lat") + (("area_km2",) if "area_km2" in df else ()):
        values = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values) | ((values < 0) if col in ("population", "area_km2") else False)
        if bad.any():
            row = int(np.argmax(bad))
            raise TerritoryError(
                f"{source}: row {row + 2}: {col} = {str(df[col].iloc[row])!r}, expected a "
                f"{'non-negative ' if col in ('population', 'area_km2') else ''}number"
            )
        df[col] = values
    return df


def _from_frame(
    df: pd.DataFrame, label: str, cfg: TerritoryConfig, travel: TravelConfig, attribution: str
) -> Territory:
    df = df.reset_index(drop=True)
    lon, lat = df["lon"].to_numpy(float), df["lat"].to_numpy(float)
    x, y = _project(lon, lat)
    if "area_km2" in df:
        area = df["area_km2"].to_numpy(float)
    else:
        span = max(np.ptp(x) * np.ptp(y), 1.0)
        area = np.full(len(df), span / len(df))
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
    )


def from_department(code: str, cfg: TerritoryConfig, travel: TravelConfig) -> Territory:
    """The communes of one département (``23`` is Creuse, ``2A`` Corse-du-Sud)."""
    table = communes_table()
    code = code.strip().upper()
    wanted = code.zfill(2) if code.isdigit() else code
    df = table[table["dep"] == wanted]
    if df.empty:
        raise TerritoryError(
            f"territory dep:{code}: unknown département code (expected e.g. 23, 2A, 971)"
        )
    return _from_frame(df.copy(), f"dep:{wanted}", cfg, travel, ATTRIBUTION)


def from_epci(siren: str, cfg: TerritoryConfig, travel: TravelConfig) -> Territory:
    """The communes of one intercommunality (EPCI), by its SIREN."""
    table = communes_table()
    df = table[table["epci"] == siren.strip()]
    if df.empty:
        raise TerritoryError(f"territory epci:{siren}: unknown EPCI SIREN (expected 9 digits)")
    return _from_frame(df.copy(), f"epci:{siren.strip()}", cfg, travel, ATTRIBUTION)


def from_csv(path: str | Path, cfg: TerritoryConfig, travel: TravelConfig) -> Territory:
    """A user's territory: a CSV with columns code,name,population,lon,lat (area_km2 optional)."""
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype={"code": str, "name": str})
    except FileNotFoundError:
        raise TerritoryError(f"{path}: file not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise TerritoryError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    df = _validate(df, str(path))
    return _from_frame(df, str(path), cfg, travel, attribution="")
