"""Shared pieces of the mechanism tests: a bare Mesa model and small soft settings."""

from __future__ import annotations

import random

import mesa
import networkx as nx
import numpy as np
from mesa.discrete_space import Network

from softsim.slots import SLOT_CLASSES

SMALL = ["territory.population=4000", "territory.n_communes=40", "simulation.years=1"]
FUNDED = ["budget.per_1000_per_week=8000", "budget.mix.enabled=false"]
"""Enough for the small soft territory to run every actor at funding factor 1 (checked where
it matters), without the absurd association incentives a far larger budget would buy."""

WEEKDAY, OFF_HOURS = SLOT_CLASSES  # 0b001, 0b110


class Tiny(mesa.Model):
    """A bare Mesa model on ``n`` isolated communes: a home for agents tested on their own."""

    def __init__(self, n: int) -> None:
        super().__init__(rng=np.random.default_rng(0))
        graph = nx.Graph()
        graph.add_nodes_from(range(n))
        # an explicit layout: without one Mesa computes a spring layout (slow for 1,000s of nodes)
        self.space = Network(graph, random=random.Random(0),
                             layout={i: (float(i), 0.0) for i in range(n)})
