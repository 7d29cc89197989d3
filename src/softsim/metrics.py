"""Every metric of softsim, in one place. Formulas are in ``docs/metrics.md``.

Inequality indices take a vector of non-negative outcomes (here the per-resident fulfilment)
and are invariant to permutation and to scaling; they are 0 when all outcomes are equal.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "gini",
    "theil",
    "theil_decomposition",
    "atkinson",
    "palma",
    "p90_p10",
    "lorenz",
    "fulfilment",
    "e2sfca",
    "E2SFCA_BANDS",
    "share_within",
    "ratio",
]

E2SFCA_BANDS: tuple[tuple[float, float], ...] = ((10.0, 1.0), (20.0, 0.68), (30.0, 0.22))
"""Stepwise distance-decay weights of the E2SFCA method (Luo & Qi 2009): (upper minutes, w)."""


def ratio(num: float, den: float) -> float:
    """``num / den``, or NaN when ``den`` is 0 (an undefined rate is not a zero rate)."""
    return float(num) / float(den) if den else float("nan")


def _as_array(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or len(x) == 0:
        raise ValueError("expected a non-empty 1-D array")
    if np.any(x < 0) or not np.all(np.isfinite(x)):
        raise ValueError("expected finite non-negative values")
    return x


def gini(x) -> float:
    """Gini coefficient: mean absolute difference over twice the mean (0 = equality)."""
    x = np.sort(_as_array(x))
    n, total = len(x), x.sum()
    if total == 0:
        return 0.0
    i = np.arange(1, n + 1)
    return float((2.0 * np.sum(i * x) / (n * total)) - (n + 1) / n)


def theil(x) -> float:
    """Theil T index: mean of (x/μ)·ln(x/μ), with 0·ln 0 = 0."""
    x = _as_array(x)
    mu = x.mean()
    if mu == 0:
        return 0.0
    s = x / mu
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(s > 0, s * np.log(s), 0.0)
    return float(max(terms.mean(), 0.0))


def theil_decomposition(x, groups) -> tuple[float, float, float]:
    """Theil T split into between-group and within-group parts (they add up to the total).

    ``between = Σ_g s_g ln(μ_g/μ)`` and ``within = Σ_g s_g T_g`` with ``s_g`` the group's share
    of the total outcome.

    Returns:
        ``(total, between, within)``.
    """
    x = _as_array(x)
    groups = np.asarray(groups)
    mu = x.mean()
    if mu == 0:
        return 0.0, 0.0, 0.0
    _, g = np.unique(groups, return_inverse=True)
    n_g = np.bincount(g)
    sum_g = np.bincount(g, weights=x)
    mu_g = sum_g / n_g
    share = sum_g / x.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        between_terms = np.where(share > 0, share * np.log(mu_g / mu), 0.0)
        s = x / mu_g[g]
        t_terms = np.where(s > 0, s * np.log(s), 0.0)
    t_g = np.bincount(g, weights=t_terms) / n_g
    between = float(between_terms.sum())
    within = float(np.sum(share * t_g))
    return theil(x), between, within


def atkinson(x, epsilon: float) -> float:
    """Atkinson index with inequality aversion ``epsilon`` (> 0).

    ``1 - equally-distributed equivalent / mean``. For ``epsilon >= 1`` a zero outcome gives 1.
    """
    x = _as_array(x)
    mu = x.mean()
    if mu == 0:
        return 0.0
    if epsilon == 1.0:
        if np.any(x == 0):
            return 1.0
        return float(1.0 - np.exp(np.mean(np.log(x))) / mu)
    if epsilon > 1.0 and np.any(x == 0):
        return 1.0
    ede = np.mean((x / mu) ** (1.0 - epsilon)) ** (1.0 / (1.0 - epsilon))
    return float(1.0 - ede)


def lorenz(x, points: int = 101) -> tuple[np.ndarray, np.ndarray]:
    """Lorenz curve at ``points`` population shares: (population share, outcome share)."""
    x = np.sort(_as_array(x))
    cum = np.concatenate([[0.0], np.cumsum(x)])
    total = cum[-1] if cum[-1] > 0 else 1.0
    p = np.linspace(0.0, 1.0, points)
    pop = np.arange(len(x) + 1) / len(x)
    return p, np.interp(p, pop, cum / total)


def palma(x) -> float:
    """Palma ratio: outcome share of the top 10 % over that of the bottom 40 %."""
    p, share = lorenz(x, points=11)
    bottom40 = share[4]
    top10 = 1.0 - share[9]
    return ratio(top10, bottom40)


def p90_p10(x) -> float:
    """Ratio of the 90th to the 10th percentile."""
    x = _as_array(x)
    p10, p90 = np.quantile(x, [0.1, 0.9])
    return ratio(p90, p10)


def fulfilment(served: np.ndarray, latent: np.ndarray) -> np.ndarray:
    """Per-resident fulfilment of latent needs, for residents who had at least one.

    The Krichevsky–Trofimov estimate ``(served + 1/2) / (latent + 1)`` is used rather than the
    raw ratio: it stays in (0, 1) so that Theil and Atkinson (ε ≥ 1) are defined, and it shrinks
    residents with very few needs toward 1/2 instead of giving them an extreme 0 or 1.
    """
    has = latent > 0
    return (served[has] + 0.5) / (latent[has] + 1.0)


def e2sfca(
    population: np.ndarray,
    site_commune: np.ndarray,
    site_capacity: np.ndarray,
    minutes: np.ndarray,
    bands: tuple[tuple[float, float], ...] = E2SFCA_BANDS,
) -> np.ndarray:
    """Enhanced two-step floating catchment accessibility of each commune (per 1,000 residents).

    Step 1: each site's ratio ``R_j = S_j / Σ_k P_k W(t_kj)`` over communes within the catchment.
    Step 2: ``A_i = Σ_j R_j W(t_ij)``. ``W`` is stepwise by travel minutes (``bands``).
    """

    def weight(t):
        w = np.zeros_like(t, dtype=np.float64)
        lower = 0.0
        for upper, value in bands:
            w[(t >= lower) & (t < upper) if lower > 0 else (t < upper)] = value
            lower = upper
        return w

    if len(site_commune) == 0:
        return np.zeros(len(population))
    w = weight(minutes[:, site_commune].astype(np.float64))  # (communes, sites)
    demand = population.astype(np.float64) @ w
    r = np.divide(site_capacity, demand, out=np.zeros(len(site_commune)), where=demand > 0)
    return 1000.0 * (w @ r)


def share_within(origin_minutes: np.ndarray, threshold: float) -> float:
    """Share of residents whose nearest option is within ``threshold`` minutes."""
    if len(origin_minutes) == 0:
        return float("nan")
    return float(np.mean(origin_minutes <= threshold))
