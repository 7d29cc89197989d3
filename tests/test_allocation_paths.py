"""The allocation's two ways to find a need's options give the same runs.

The kernel scans every site of a type when types have few sites and reads sorted per-commune
lists otherwise (:data:`softsim.allocation.SCAN_MAX_SITES`); whichever it uses, a run's results
are the same, bit for bit. Both ways are also checked need by need against the plain-Python
reference in ``test_allocation.py``.
"""

from __future__ import annotations

import pytest

import softsim.allocation
from golden_run import OVERRIDES, SEED, compared_summary


@pytest.mark.parametrize("scenario", ["hard", "soft", "network", "digital"])
def test_lists_and_scan_give_the_same_run(scenario, monkeypatch):
    overrides = [*OVERRIDES, "territory.population=20000", "simulation.years=1"]
    runs = []
    for always_lists in (True, False):
        monkeypatch.setattr(softsim.allocation, "SCAN_MAX_SITES", 0 if always_lists else 10**9)
        runs.append(compared_summary(scenario, overrides, SEED))
    assert runs[0] == runs[1]
    assert runs[0]["counts"]  # a run with needs to compare
