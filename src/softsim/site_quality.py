"""Site quality by local dynamism: pooled sites are not all equally good.

The quality of a pooled site depends on the partners and the dynamism of the place that hosts
it (the ``network`` scenario's known limit). Each site of ``site_quality.groups`` draws once,
from its own stream, a dynamism index ``q = exp(σ z)`` with ``z`` standard normal, normalised
to mean 1 over those sites, so the spread moves quality between places without adding any:
``affects`` makes it multiply the site's capacity (rounded, at least 1; the cost is unchanged)
and/or its first-level resolution share (:mod:`softsim.reception`, capped at 1).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from softsim.config.sections import SiteQualityConfig

__all__ = ["apply_site_quality", "dynamism_index"]


def dynamism_index(n: int, sd: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` dynamism indices: lognormal with log-sd ``sd``, normalised to mean 1."""
    q = np.exp(sd * rng.standard_normal(n))
    return q / q.mean() if n else q


def apply_site_quality(sites: Sequence, cfg: SiteQualityConfig, rng: np.random.Generator) -> None:
    """Give each site of ``cfg.groups`` its quality (``site.quality``) and, if so, capacity.

    Args:
        sites: The fixed sites (their ``quality`` and ``capacity`` are set in place).
        cfg: The ``site_quality`` section.
        rng: The ``site_quality`` stream (drawn once, at the start of the run).
    """
    chosen = [s for s in sites if s.group in cfg.groups]
    if not chosen or cfg.dynamism_sd == 0.0:
        return
    q = dynamism_index(len(chosen), cfg.dynamism_sd, rng)
    for site, x in zip(chosen, q, strict=True):
        site.quality = float(x)
        if cfg.affects in ("capacity", "both"):
            site.capacity = max(1, round(site.capacity * x))
