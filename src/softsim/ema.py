"""softsim as an EMA Workbench model: ``softsim.ema.model(base="soft")``.

The returned :class:`ema_workbench.Model` wraps :func:`softsim.run` so that EMA Workbench's
``perform_experiments``, ``optimize`` and analysis (PRIM, feature scoring, …) work unchanged:

* **uncertainties** (the future): the trends of the ``[futures]`` section
  (:data:`FUTURE_RANGES`) and whether the bundled ``shock`` future's dated shocks happen;
* **levers** (the strategy): the shares of the *faire* envelope among the channels of
  ``budget.mix`` and a few scenario keys (:data:`SCENARIO_LEVERS`). EMA samples each channel's
  weight in [0, 1]; the model divides them by their sum, so the shares always sum to 1 as the
  config requires (all weights 0: the base scenario's own mix) and every strategy spends the
  same budget;
* **outcomes**: metrics of :data:`softsim.metric_registry.METRICS`, each a
  :class:`ema_workbench.ScalarOutcome` whose kind follows the metric's direction
  (``higher``: MAXIMIZE, ``lower``: MINIMIZE, ``neither``: INFO).

Each experiment runs ``replicates`` seeded replicates with common random numbers (replicate
``r`` has the seed of ``softsim compare``'s replicate ``r``) and returns their mean. This module
imports EMA Workbench; the core never imports it (``pip install 'softsim[explore]'``).
"""

from __future__ import annotations

import re
import warnings

import numpy as np

from softsim import metric_registry as reg
from softsim.config.sections import CHANNELS

__all__ = ["DEFAULT_OUTCOMES", "FUTURE_RANGES", "SCENARIO_LEVERS", "evaluate", "model"]

FUTURE_RANGES = {
    "futures.need_growth_per_year": (0.0, 0.04),
    "futures.budget_trend_per_year": (-0.06, 0.0),
    "futures.volunteer_trend_per_year": (-0.04, 0.0),
    "futures.broadband_rollout_per_year": (0.0, 0.3),
}
"""Ranges of the future's trends (assumption: from no change to twice the bundled ``trend``
future's rates: needs +2 %/year, budget −3 %/year, volunteering −2 %/year, rollout 15 %/year)."""

SCENARIO_LEVERS = {
    "orchestrator.review_weeks": ("int", (1, 12)),
    "orchestrator.data_quality": ("real", (0.2, 1.0)),
}
"""Scenario keys offered as levers besides the mix (the ranges of ``configs/sweeps/``).
Numeric only: EMA Workbench 3.0's ``optimize`` fails on a categorical lever."""

DEFAULT_OUTCOMES = ("coverage_latent", "gini", "theil_between_communes", "cost_per_served",
                    "budget_spent_share")
"""Outcomes unless ``outcomes=`` names others: coverage, inequality, cost."""

SHOCK_FUTURE = "shock"
"""The bundled future whose dated shocks the ``futures.shocks`` uncertainty switches on."""

_KIND = {"higher": 1, "lower": -1, "neither": 0}  # ScalarOutcome.MAXIMIZE, MINIMIZE, INFO


def evaluate(base: str = "soft", fixed: tuple[str, ...] = (), seed: int = 1,
             replicates: int = 1, outcomes: tuple[str, ...] = DEFAULT_OUTCOMES,
             **params) -> dict[str, float]:
    """One experiment: ``base`` with the uncertainties and levers ``params``, mean outcomes.

    Args:
        base: The base scenario (bundled name or .toml).
        fixed: ``section.key=value`` overrides applied first (scale, years, territory …).
        seed: Root seed of the replicates' seed tree.
        replicates: Seeded replicates (common random numbers), averaged.
        outcomes: Metric keys returned.
        **params: Values by dotted config path (``budget.mix.<channel>`` are weights,
            normalised), and ``futures.shocks`` (``"none"`` or ``"shock"``).

    Returns:
        The mean of each outcome over the replicates.
    """
    from softsim.config import load_config
    from softsim.engine import run
    from softsim.futures import load_future
    from softsim.rng import SeedTree

    weights = {c: float(params.pop(f"budget.mix.{c}")) for c in CHANNELS
               if f"budget.mix.{c}" in params}
    overrides = list(fixed)
    total = sum(weights.values())
    if weights and total > 0:
        shares = {c: w / total for c, w in weights.items()}
        shares[next(iter(shares))] += 1.0 - sum(shares.values())  # exact sum after rounding
        overrides += ["budget.mix.enabled=true",
                      *(f"budget.mix.{c}={shares.get(c, 0.0)!r}" for c in CHANNELS)]
    shocks = params.pop("futures.shocks", None)
    sections = {}
    if shocks is not None:
        sections["futures"] = {"shocks": [] if shocks == "none"
                               else load_future(SHOCK_FUTURE).get("shocks", [])}
    for key, value in params.items():
        if isinstance(value, str):
            overrides.append(f'{key}="{value}"')
        elif isinstance(value, (bool, np.bool_)):
            overrides.append(f"{key}={'true' if value else 'false'}")
        elif isinstance(value, (int, np.integer)):
            overrides.append(f"{key}={int(value)}")
        else:
            overrides.append(f"{key}={float(value)!r}")
    cfg = load_config(base, overrides, **sections)
    tree = SeedTree(seed)
    values = {k: [] for k in outcomes}
    for r in range(replicates):
        summary = run(cfg, tree.child(f"replicate-{r}").seed).summary
        for k in outcomes:
            values[k].append(reg.get(k).read(summary))
    return {k: float(np.mean(v)) for k, v in values.items()}


def model(base: str = "soft", *, fixed: list[str] | tuple[str, ...] = (), seed: int = 1,
          replicates: int = 1, outcomes: list[str] | tuple[str, ...] = DEFAULT_OUTCOMES,
          mix: bool = True, scenario_levers: list[str] | tuple[str, ...] | None = None,
          shocks: bool = True):
    """An EMA Workbench model of ``base``.

    Args:
        base: The base scenario (bundled name or .toml path).
        fixed: ``section.key=value`` overrides for every experiment (e.g.
            ``"population.scale=0.05"``, ``"simulation.years=1"``).
        seed: Root seed (replicate ``r`` has the seed of ``softsim compare``'s replicate r).
        replicates: Replicates averaged per experiment.
        outcomes: Metric keys (see docs/metrics.md).
        mix: Offer the channel shares of ``budget.mix`` as levers.
        scenario_levers: Keys of :data:`SCENARIO_LEVERS` offered as levers (default all).
        shocks: Offer the ``shock`` future's shocks as an uncertainty.

    Returns:
        An :class:`ema_workbench.Model` (``uncertainties``, ``levers``, ``outcomes``,
        ``constants`` set).

    Raises:
        SoftsimError: An unknown outcome or lever, or a base that does not load.
    """
    from softsim.config import load_config
    from softsim.errors import SoftsimError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # EMA warns that optional ipyparallel is absent
        from ema_workbench import (
            CategoricalParameter,
            Constant,
            IntegerParameter,
            Model,
            RealParameter,
            ScalarOutcome,
        )
    for k in outcomes:
        try:
            reg.get(k)
        except KeyError:
            raise SoftsimError(f"outcomes: unknown metric {k!r} (see docs/metrics.md)") from None
    chosen = list(SCENARIO_LEVERS) if scenario_levers is None else list(scenario_levers)
    for k in chosen:
        if k not in SCENARIO_LEVERS:
            raise SoftsimError(f"scenario_levers: {k!r} is not one of {list(SCENARIO_LEVERS)}")
    load_config(base, list(fixed))  # a bad base or override fails here, not in experiment 1
    if shocks:
        from softsim.futures import load_future

        try:
            load_config(base, list(fixed),
                        futures={"shocks": load_future(SHOCK_FUTURE).get("shocks", [])})
        except SoftsimError as exc:
            raise SoftsimError(f"shocks: the {SHOCK_FUTURE!r} future does not fit this base "
                               f"({exc}); pass shocks=False") from None

    m = Model("softsim_" + re.sub(r"\W", "_", str(base).rsplit("/", 1)[-1].removesuffix(".toml")),
              function=evaluate)
    m.uncertainties = [RealParameter(k, lo, hi) for k, (lo, hi) in FUTURE_RANGES.items()]
    if shocks:
        m.uncertainties += [CategoricalParameter("futures.shocks", ["none", SHOCK_FUTURE])]
    levers = [RealParameter(f"budget.mix.{c}", 0.0, 1.0) for c in CHANNELS] if mix else []
    for k in chosen:
        kind, spec = SCENARIO_LEVERS[k]
        levers.append(IntegerParameter(k, *spec) if kind == "int" else RealParameter(k, *spec))
    m.levers = levers
    m.outcomes = [ScalarOutcome(k, kind=_KIND[reg.get(k).direction]) for k in outcomes]
    m.constants = [Constant("base", base), Constant("fixed", tuple(fixed)),
                   Constant("seed", seed), Constant("replicates", replicates),
                   Constant("outcomes", tuple(outcomes))]
    return m
