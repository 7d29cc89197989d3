"""Shared fixtures and hypothesis settings of the softsim test suite."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from softsim.config import Config, load_config

# Simulations are deterministic but not instantaneous (the first call may load the compiled
# kernel), so no per-example deadline; "ci" runs more examples for the cheap properties.
settings.register_profile(
    "softsim",
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("ci", parent=settings.get_profile("softsim"), max_examples=300)
settings.register_profile("fast", parent=settings.get_profile("softsim"), max_examples=25)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "softsim"))


def pytest_configure(config):
    """The fast loop (``-m "not slow"``) runs a quarter of every property's examples.

    The full suite (the README's test command) runs them all.
    """
    fast_loop = config.option.markexpr.replace(" ", "") == "notslow"
    if fast_loop and "HYPOTHESIS_PROFILE" not in os.environ:
        settings.load_profile("fast")


def examples(n: int) -> int:
    """``n`` examples under the default profile, scaled as the loaded profile scales its own."""
    return max(1, n * settings.default.max_examples // 100)


@pytest.fixture(autouse=True)
def _close_figures():
    """Figures a test draws are closed after it (matplotlib keeps them otherwise)."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


SMALL = ["territory.population=3000", "territory.n_communes=30", "simulation.years=1"]
"""Overrides of a small, fast territory: 3,000 residents, 30 communes, 52 weeks."""


FUNDED = ["budget.per_1000_per_week=100000", "budget.mix.enabled=false"]
"""A budget far above the running costs: funding factor 1, every site at full capacity.

Small territories need it: the hard budget is per resident (215 per 1,000 per week) while every
site has a fixed weekly cost, so at 3,000 residents the hard baseline funds ~10 % of its sites'
costs and their capacity rounds down to 0.
"""


def small_config(*extra: str, **sections: dict) -> Config:
    """The small config, with more ``section.key=value`` overrides applied after it."""
    return load_config("hard", [*SMALL, *extra], **sections)


@pytest.fixture
def small_cfg() -> Config:
    """A small 'hard' config (3,000 residents, 30 communes, one year)."""
    return small_config()


@pytest.fixture
def funded_cfg() -> Config:
    """The small config with a budget that funds every site fully."""
    return small_config(*FUNDED)
