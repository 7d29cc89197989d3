"""Checks that a valid config can make a meaningful run, made before any work starts.

A config can be valid field by field and still describe a run with nothing to simulate: no
resident (a population scaled down to nothing) or no possible need (every age band that has
residents has zero need rates). Such a run is refused with one line saying why, rather than
run into metrics that are all undefined.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from softsim.config.sections import Config
from softsim.config.types import AGE_BANDS
from softsim.errors import ConfigError

if TYPE_CHECKING:
    from softsim.territory import Territory

__all__ = ["check_runnable", "check_territory"]

_GENERATED = ("synthetic", "grid")


def check_runnable(cfg: Config) -> None:
    """Refuse a config whose run cannot have a resident or a need (no territory needed).

    Args:
        cfg: A validated config.

    Raises:
        ConfigError: One line saying why the run would be empty.
    """
    spec = cfg.territory.spec.strip()
    if spec in _GENERATED:
        population = (
            cfg.territory.population
            if spec == "synthetic"
            else None  # a grid's commune sizes are drawn: checked on the built territory
        )
        # each commune keeps round-half-even(population × scale) residents, and communes share the
        # population, so at most one half in total no commune keeps anyone
        if population is not None and population * cfg.population.scale <= 0.5:
            raise ConfigError(
                f"population.scale: {cfg.population.scale:g} × {population:,} inhabitants "
                "leaves no resident to simulate (expected at least one)"
            )
    bands = [
        AGE_BANDS[b]
        for b, share in enumerate(cfg.population.age_shares)
        if share > 0 and any(s.rate_per_year[b] > 0 for s in cfg.services.values())
    ]
    if not bands:
        raise ConfigError(
            "services.*.rate_per_year: no resident can have a need (every age band of "
            "population.age_shares with residents has zero need rates); expected a rate > 0 "
            "in a band with residents"
        )


def check_territory(cfg: Config, territory: Territory) -> None:
    """Refuse a run with no resident at ``population.scale`` or an edit of an unknown commune.

    Residents are drawn as ``round(population × scale)`` per commune, so this is exact.

    Args:
        cfg: A validated config.
        territory: The territory built from ``cfg.territory``.

    Raises:
        ConfigError: One line saying why the run would be empty.
    """
    population = np.asarray(territory.population, dtype=np.float64)
    residents = int(np.rint(population * cfg.population.scale).sum())
    if residents == 0:
        raise ConfigError(
            f"population.scale: {cfg.population.scale:g} × {int(population.sum()):,} "
            f"inhabitants of territory {territory.label} leaves no resident to simulate "
            "(expected at least one)"
        )
    if cfg.edits:
        codes = {str(c) for c in territory.code}
        for i, e in enumerate(cfg.edits):
            if e.commune not in codes:
                raise ConfigError(
                    f"edits.{i}.commune: no commune coded {e.commune!r} on territory "
                    f"{territory.label} (expected a commune code such as {territory.code[0]!s})"
                )
