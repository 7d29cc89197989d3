"""Same seed, same numbers, whatever the number of threads of the compiled kernels.

Each case runs a model in two fresh processes, with ``NUMBA_NUM_THREADS=1`` and ``=2``, and
compares the summary and the weekly series. The weekly kernels run their parallel compilation
on every week here (:data:`softsim.threads.PARALLEL_MIN` set to 0, whatever the machine's load),
small as the run is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # whole runs in fresh interpreters

CHILD = """
import json, sys
import softsim.threads
softsim.threads.PARALLEL_MIN = 0
softsim.threads.ONLY_SPARE_CORES = False
from softsim.config import load_config
from softsim.engine import run
scenario, population = sys.argv[1], sys.argv[2]
cfg = load_config(scenario, [f"territory.population={population}", "simulation.years=1"])
out = run(cfg, 7)
print(json.dumps({"summary": out.summary, "weekly": out.timeseries.to_csv(),
                  "latent": int(out.timeseries["latent"].sum())}, default=str))
"""


def _run(scenario: str, threads: int) -> dict:
    env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
    done = subprocess.run([sys.executable, "-c", CHILD, scenario, "20000"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("scenario", ["hard", "soft"])
def test_one_or_two_threads_same_run(scenario):
    one, two = _run(scenario, 1), _run(scenario, 2)
    assert one["latent"] > 10_000  # a year of needs went through the kernels
    assert one["weekly"] == two["weekly"]
    assert one["summary"] == two["summary"]
