"""The EMA Workbench bridge: softsim.ema.model(base) runs EMA's experiments unchanged."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from softsim import metric_registry as reg
from softsim.config.sections import CHANNELS

TINY = ("territory.population=400", "territory.n_communes=6", "simulation.years=1",
        "simulation.weeks_per_year=8")
"""Tiny runs: 400 residents, 6 communes, 8 weeks."""

SMALL = ("population.scale=0.02", "simulation.years=1", "simulation.weeks_per_year=8")
"""Small runs on the default territory, where the money of each channel buys something."""


def test_perform_experiments_runs_ten_experiments():
    from softsim.ema import DEFAULT_OUTCOMES, model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench import perform_experiments

    m = model("soft", fixed=TINY, shocks=False)
    experiments, outcomes = perform_experiments(m, scenarios=5, policies=2)
    assert len(experiments) == 10
    assert set(outcomes) == set(DEFAULT_OUTCOMES)
    for key in DEFAULT_OUTCOMES:
        assert outcomes[key].shape == (10,) and np.isfinite(outcomes[key]).all(), key
    assert 0.0 < outcomes["coverage_latent"].min() <= outcomes["coverage_latent"].max() < 1.0
    # two policies (mixes) met five futures each: the levers vary between the two blocks
    assert experiments["budget.mix.sites"].nunique() == 2
    assert experiments["futures.need_growth_per_year"].nunique() == 5


def test_outcome_kinds_follow_the_registry_and_levers_cover_the_mix():
    from softsim.ema import model

    m = model("soft", fixed=TINY, shocks=False)
    kinds = {o.name: o.kind for o in m.outcomes}
    expected = {"higher": 1, "lower": -1, "neither": 0}
    assert kinds == {k: expected[reg.get(k).direction] for k in kinds}
    assert {f"budget.mix.{c}" for c in CHANNELS} <= {p.name for p in m.levers}
    assert "futures.budget_trend_per_year" in {p.name for p in m.uncertainties}


def test_mix_weights_are_normalised_to_shares_that_sum_to_one():
    from softsim.ema import evaluate

    weights = {"sites": 0.5, "modules": 0.2, "mobile": 0.2, "bus": 0.1}
    a = evaluate("soft", SMALL, **{f"budget.mix.{c}": w for c, w in weights.items()})
    b = evaluate("soft", SMALL, **{f"budget.mix.{c}": 3 * w for c, w in weights.items()})
    c = evaluate("soft", SMALL, **{"budget.mix.sites": 1.0, "budget.mix.modules": 0.0})
    assert a == b
    assert a != c


def test_a_bad_model_is_refused_before_any_experiment():
    from softsim.ema import model
    from softsim.errors import SoftsimError

    with pytest.raises(SoftsimError, match="outcomes: unknown metric 'coverage'"):
        model("soft", outcomes=["coverage"])
    with pytest.raises(SoftsimError, match="shocks: the 'shock' future does not fit"):
        model("soft", fixed=TINY)




def test_optimize_searches_the_levers(tmp_path):
    from softsim.ema import model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench import optimize

    m = model("soft", fixed=TINY, shocks=False, outcomes=["coverage_latent", "gini"])
    front, _ = optimize(m, nfe=40, searchover="levers", epsilons=[0.01, 0.01], rng=1,
                        filename="front.tar.gz", directory=str(tmp_path))
    assert len(front) >= 1
    assert {"coverage_latent", "gini", "budget.mix.sites"} <= set(front.columns)
    assert np.isfinite(front[["coverage_latent", "gini"]].to_numpy()).all()
