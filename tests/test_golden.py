"""Regression: the golden runs' summaries have not changed (see tests/golden_run.py to update)."""

from __future__ import annotations

import json
import math

import pytest

from golden_run import GOLDEN_DIR, GOLDEN_RUNS, golden_summary


def _compare(expected, actual, path="summary"):
    if isinstance(expected, dict):
        assert set(expected) == set(actual), f"{path}: keys differ"
        for k in expected:
            _compare(expected[k], actual[k], f"{path}.{k}")
    elif isinstance(expected, float) and isinstance(actual, float):
        assert math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-12), (
            f"{path}: golden {expected}, now {actual}"
        )
    else:
        assert expected == actual, f"{path}: golden {expected!r}, now {actual!r}"


@pytest.mark.parametrize("scenario", sorted(GOLDEN_RUNS))
def test_golden_summary_unchanged(scenario):
    expected = json.loads((GOLDEN_DIR / GOLDEN_RUNS[scenario]).read_text())
    _compare(expected, golden_summary(scenario))
