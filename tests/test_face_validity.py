"""Face validity: each scenario's known limit (DESIGN §1) emerges from the mechanisms.

Six scenarios run on the default territory with R replicates and common random numbers, so
each comparison is a *paired* one: for every replicate, the difference between two scenarios run
on the same territory, residents and need draws. A pattern is accepted when the mean paired
difference is on the expected side with a one-sided t-test at the 1 % level (t quantile with
R − 1 degrees of freedom): with fixed seeds the test is deterministic, and the 1 % level keeps
it from passing on noise. No threshold below was chosen from these runs' results.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from softsim.comparison import runs_table
from softsim.config import load_config
from softsim.experiment import run_replicates

pytestmark = pytest.mark.slow  # 48 full runs on the default territory (minutes)

REPLICATES = 8
SCENARIOS = ("hard", "soft", "digital", "network", "information", "local")


@pytest.fixture(scope="module")
def runs():
    configs = [load_config(name) for name in SCENARIOS]
    return runs_table(run_replicates(configs, seed=2026, replicates=REPLICATES, workers=2))


def _paired(runs, column: str, a: str, b: str) -> np.ndarray:
    table = runs.pivot(index="replicate", columns="scenario", values=column)
    return (table[a] - table[b]).to_numpy()


def _significantly_positive(d: np.ndarray) -> tuple[bool, str]:
    se = d.std(ddof=1) / np.sqrt(len(d))
    t_crit = stats.t.ppf(0.99, len(d) - 1)
    return d.mean() > t_crit * se, f"mean {d.mean():+.4f}, se {se:.4f}, t_crit {t_crit:.2f}"


def test_digital_widens_the_gap_of_residents_aged_75_plus(runs):
    ok, detail = _significantly_positive(-_paired(runs, "gap_age_75plus", "digital", "hard"))
    assert ok, detail


def test_network_leaves_workers_less_covered_than_soft(runs):
    ok, detail = _significantly_positive(_paired(runs, "coverage_workers", "soft", "network"))
    assert ok, detail


def test_information_lowers_non_take_up_without_adding_capacity(runs):
    ok, detail = _significantly_positive(-_paired(runs, "non_take_up", "information", "hard"))
    assert ok, detail
    # the capacity actually offered (every provider, every week), not the config's counts:
    # information's money comes out of the same envelope, so it offers no more than hard
    assert (_paired(runs, "capacity_offered", "information", "hard") <= 0).all()


@pytest.mark.xfail(strict=True, reason=(
    "finding (docs/scenarios.md, network): since network models its sites' quality by local "
    "dynamism, its between-commune share nears local's and the contrast is no longer "
    "significant; strict, so that the pattern returning is noticed"))
def test_local_has_a_larger_between_commune_share_of_inequality_than_network(runs):
    ok, detail = _significantly_positive(
        _paired(runs, "theil_between_share_communes", "local", "network"))
    assert ok, detail


def test_every_scenario_spends_as_much_as_hard(runs):
    # same budget means same spending: within 3 % of hard's, less laisser faire (issue's bound)
    for name in SCENARIOS:
        net = runs.loc[runs["scenario"] == name, "budget_spent_share"].to_numpy() / (
            1 - load_config(name).budget.laisser_faire)
        hard = runs.loc[runs["scenario"] == "hard", "budget_spent_share"].to_numpy()
        assert np.all(np.abs(net / hard - 1) <= 0.03), (name, net, hard)


def test_soft_serves_dependent_residents_better_than_hard_at_equal_budget(runs):
    ok, detail = _significantly_positive(_paired(runs, "coverage_dependent", "soft", "hard"))
    assert ok, detail
    assert (load_config("soft").budget.per_1000_per_week
            == load_config("hard").budget.per_1000_per_week)
