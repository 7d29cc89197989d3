"""Futures: exogenous trends and dated shocks, and the resilience they reveal.

Trends (per year, compounded weekly): need growth (ageing), budget trend (the "scissors
effect" when needs rise while resources fall), volunteer engagement, broadband rollout.
Shocks: ``plant_closure`` (employment needs of working-age residents within ``radius_km`` of the
largest bourg rise by ``magnitude`` for ``duration_weeks``), ``epidemic`` (health needs of
everyone rise by ``magnitude``), ``budget_cut`` (the budget falls by ``magnitude`` for good).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np

from softsim.config import FuturesConfig
from softsim.errors import ConfigError

__all__ = ["Futures", "futures_dir", "load_future", "resilience"]


def futures_dir() -> Path:
    """Folder of the bundled futures."""
    return Path(__file__).parent / "configs" / "futures"


def load_future(name_or_path: str) -> dict:
    """Read a future file (bundled name or path) as a raw ``[futures]`` section."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = futures_dir() / f"{name_or_path}.toml"
        if not path.exists():
            known = ", ".join(sorted(p.stem for p in futures_dir().glob("*.toml")))
            raise ConfigError(f"unknown future {name_or_path!r} (expected one of: {known})")
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from None
    raw.setdefault("name", path.stem)
    return raw


class Futures:
    """Trends and shocks as weekly multipliers.

    Args:
        cfg: The future.
        n_types: Number of service types.
        health: Type id an epidemic raises (-1 if the future has no epidemic).
        weeks_per_year: Weeks in a year.
    """

    def __init__(self, cfg: FuturesConfig, n_types: int, health: int, weeks_per_year: int) -> None:
        self.cfg = cfg
        self.n_types = n_types
        self.health = health
        self.wpy = weeks_per_year

    def _active(self, kind: str, week: int):
        return [
            s
            for s in self.cfg.shocks
            if s.kind == kind and s.week <= week < s.week + s.duration_weeks
        ]

    def need_multipliers(self, week: int) -> np.ndarray:
        """Multiplier of each type's need rate this week (trend and epidemics)."""
        m = np.full(self.n_types, (1.0 + self.cfg.need_growth_per_year) ** (week / self.wpy))
        for s in self._active("epidemic", week):
            m[self.health] *= 1.0 + s.magnitude
        return m

    def plant_closures(self, week: int):
        """Active plant-closure shocks this week."""
        return self._active("plant_closure", week)

    def budget_multiplier(self, week: int) -> float:
        """Budget trend times every budget cut that has happened."""
        m = (1.0 + self.cfg.budget_trend_per_year) ** (week / self.wpy)
        for s in self.cfg.shocks:
            if s.kind == "budget_cut" and week >= s.week:
                m *= 1.0 - min(s.magnitude, 1.0)
        return m

    def engagement(self, week: int) -> float:
        """Multiplier of volunteer potential."""
        return (1.0 + self.cfg.volunteer_trend_per_year) ** (week / self.wpy)

    def broadband_step(self) -> float:
        """Weekly share of still-uncovered homes that broadband reaches (the trend)."""
        return 1.0 - (1.0 - self.cfg.broadband_rollout_per_year) ** (1.0 / self.wpy)


def resilience(
    coverage_week: np.ndarray, shock_week: int, until: int | None = None, window: int = 13
) -> dict:
    """Depth of the coverage drop after a shock and weeks to recover to 95 % of before.

    Coverage is smoothed by a ``window``-week trailing mean; the pre-shock level is the mean of
    the ``window`` weeks before the shock. Only weeks before ``until`` (the next shock, or the
    end) are read, so that a later shock is not taken for this one's effect; ``None`` for the
    weeks to recover means no recovery within that span.
    """
    x = np.asarray(coverage_week, dtype=np.float64)
    if shock_week < 1 or shock_week >= len(x):
        return {"depth": None, "weeks_to_recover": None}
    kernel = np.ones(window) / window
    smooth = np.convolve(np.nan_to_num(x, nan=np.nanmean(x)), kernel, mode="full")[: len(x)]
    smooth[: window - 1] = np.nan
    pre = np.nanmean(x[max(0, shock_week - window) : shock_week])
    after = smooth[shock_week : until if until is not None else len(x)]
    if not np.isfinite(pre) or pre <= 0 or np.all(np.isnan(after)):
        return {"depth": None, "weeks_to_recover": None}
    low = int(np.nanargmin(after))
    depth = max(0.0, 1.0 - after[low] / pre)
    back = np.flatnonzero(after[low:] >= 0.95 * pre)
    weeks = int(low + back[0]) if len(back) else None
    return {"depth": float(depth), "weeks_to_recover": weeks}
