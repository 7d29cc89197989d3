"""The core imports neither the CLI's optional layers nor the page, Dask or EMA Workbench.

One fresh interpreter imports the core's entry points (the engine, the model, the outcomes,
the comparison, the sweep runner, the analysis and the CLI module) and lists the modules of
each layer the core must not pull in.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # starts fresh interpreters

CORE = ("softsim.engine", "softsim.model", "softsim.outcomes", "softsim.experiment",
        "softsim.comparison", "softsim.sweep_run", "softsim.analysis", "softsim.cli")

FORBIDDEN = {
    "the page": ("solara", "reacton", "ipyvue", "ipyvuetify", "ipywidgets", "playwright",
                 "softsim.app"),
    "Dask": ("dask", "distributed"),
    "EMA Workbench": ("ema_workbench",),
}

# the sweep code and SALib stay out of the single-run path (the sweep runner needs them)
SINGLE_RUN = ("softsim.engine", "softsim.experiment", "softsim.comparison")
SWEEP_ONLY = ("softsim.sweep", "softsim.sweep_run", "softsim.sweep_report", "SALib")


def _imported(modules: tuple[str, ...]) -> list[str]:
    code = (f"import sys, json\nfor m in {list(modules)!r}: __import__(m)\n"
            "print(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout)


def _matching(loaded: list[str], prefixes: tuple[str, ...]) -> list[str]:
    return [m for m in loaded if any(m == p or m.startswith(p + ".") for p in prefixes)]


def test_the_core_imports_neither_the_page_nor_dask_nor_ema_workbench():
    loaded = _imported(CORE)
    assert "softsim.model" in loaded  # the check looks at the right interpreter
    bad = {layer: _matching(loaded, prefixes) for layer, prefixes in FORBIDDEN.items()}
    assert bad == {layer: [] for layer in FORBIDDEN}


def test_a_single_run_imports_neither_the_sweep_code_nor_salib():
    loaded = _imported(SINGLE_RUN)
    assert "softsim.engine" in loaded
    assert _matching(loaded, SWEEP_ONLY) == []
