"""The orchestrator: the soft territory's capacity manager.

Every ``review_weeks`` it reads the *observed* unmet demand by commune × service type × slot class
(weekday / off-work hours) and re-places, re-types and re-times the pop-up modules.

Observation: the needs that were expressed but not served in their first week, summed over the
last ``review_weeks`` weeks available after a reporting lag of ``lag_weeks``, each cell multiplied
by a mean-one log-normal noise of standard deviation ``noise_sd × (1 − data_quality) ×
(1 − citizen_feedback)``.

Decision rule — a greedy-adding heuristic for the *maximal covering location problem* (Church &
ReVelle 1974), with each module's capacity capping the demand it can cover: modules are taken
one at a time (types among ``modules.types``, slots weekday or evenings + Saturday); for
each, every (commune j, slot class s) is scored by the observed unmet demand of its best
``types_per_module`` types that lies within ``reach_min`` car minutes of j, capped at the
module's capacity over the review period, divided by the module's cost over the period plus the
reconfiguration cost of going there. The module takes the best-scoring configuration it can pay
for from the reconfiguration reserve, and the demand it covers is removed from the observed map
before the next module chooses (so two modules do not chase the same demand). Under a CO₂ cap
(:mod:`softsim.co2cap`) a move must also fit in the km allowance left.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from scipy.sparse import csr_matrix

from softsim.config import ModulesConfig, OrchestratorConfig
from softsim.orchestrator_kernels import best_place, remove_covered, rerank
from softsim.orchestrator_kernels import best_types as rank_types
from softsim.slots import SLOT_CLASSES
from softsim.territory.travel import Travel

__all__ = ["Orchestrator"]


def _reach(car_min: Travel | np.ndarray, reach_min: float) -> csr_matrix:
    """Which destinations each origin reaches within ``reach_min`` car minutes (CSR of 1.0)."""
    if isinstance(car_min, np.ndarray):
        return csr_matrix((car_min <= reach_min).astype(np.float32))
    ptr, idx, car = car_min.csr("car")
    rows = np.repeat(np.arange(car_min.n), np.diff(ptr))
    n = car_min.n_inside  # modules stay inside the territory
    ok = (car <= reach_min) & (rows < n) & (idx < n)
    return csr_matrix(
        (np.ones(int(ok.sum()), np.float32), (rows[ok], idx[ok])), shape=(n, n)
    )


class Orchestrator:
    """Reads observed unmet demand and reconfigures modules (see the module docstring).

    Args:
        cfg: The orchestrator's parameters.
        modules_cfg: The modules' parameters (capacity, costs, delays).
        car_min: Car minutes between communes: the run's sparse
            :class:`~softsim.territory.travel.Travel` or a dense matrix.
        allowed_types: Type ids a module may offer (``modules.types``).
        n_types: Number of service types.
        rng: The ``orchestrator`` stream (observation noise).
        road_km: Road km between communes (a move's km under a CO₂ cap); by default the
            ``car_min`` travel times when they are a :class:`Travel` (which has km too).
    """

    def __init__(
        self,
        cfg: OrchestratorConfig,
        modules_cfg: ModulesConfig,
        car_min: Travel | np.ndarray,
        allowed_types: list[int],
        n_types: int,
        rng: np.random.Generator,
        road_km: Travel | np.ndarray | None = None,
    ) -> None:
        self.allowed_types = np.isin(np.arange(n_types), allowed_types)
        self.cfg = cfg
        self.mcfg = modules_cfg
        self.reach = _reach(car_min, cfg.reach_min)  # (origin, destination), sparse 0/1
        self._reach_by_destination = self.reach.tocsc()
        self.n_types = n_types
        self.rng = rng
        self.history: deque[np.ndarray] = deque(maxlen=cfg.lag_weeks + cfg.review_weeks)
        self.moves = 0
        self.retypes = 0
        # a Travel answers km too; a dense car-minute matrix needs its km matrix beside it
        self.road_km = road_km if road_km is not None or not isinstance(car_min, Travel) \
            else car_min
        self.last_move_km = 0.0

    def _km_from(self, commune: int) -> np.ndarray:
        """Road km from ``commune`` to every commune (exact, beyond the travel cutoff too)."""
        if isinstance(self.road_km, Travel):
            return self.road_km.rows("km", [commune])[0]
        return self.road_km[commune]

    @property
    def noise_sd(self) -> float:
        """Standard deviation of the log-normal observation noise."""
        c = self.cfg
        return c.noise_sd * (1.0 - c.data_quality) * (1.0 - c.citizen_feedback)

    def record(self, unmet_week: np.ndarray) -> None:
        """Store one week of true unmet demand, shape (communes, types, 2 slot classes)."""
        self.history.append(unmet_week.astype(np.float32))

    def observe(self) -> np.ndarray:
        """The demand the orchestrator sees now: lagged window, with noise."""
        usable = list(self.history)[: max(0, len(self.history) - self.cfg.lag_weeks)]
        if not usable:
            return np.zeros((self.reach.shape[0], self.n_types, 2), np.float32)
        true = np.sum(usable, axis=0)
        sd = self.noise_sd
        noise = np.exp(self.rng.normal(-0.5 * sd * sd, sd, size=true.shape)) if sd > 0 else 1.0
        return (true * noise).astype(np.float32)

    def review(
        self, modules: list, space, reserve: float, factor: float, km_left: float | None = None
    ) -> float:
        """Reconfigure the modules; returns the reconfiguration cost spent (≤ ``reserve``).

        Args:
            modules: The pop-up modules (reconfigured in place).
            space: The commune network (to find the destination cell).
            reserve: Money available for reconfiguration now.
            factor: Funding factor of module capacity.
            km_left: Under a CO₂ cap, the road km the moves may drive in all (a move farther
                than what is left is not an option); None: no cap. The km driven are left in
                ``last_move_km``.
        """
        self.last_move_km = 0.0
        u = self.observe()  # (n, K, 2)
        u[:, ~self.allowed_types, :] = 0.0  # modules can only be configured for these types
        n, k_types, _ = u.shape
        flat = u.reshape(n, k_types * 2)
        score_map = self.reach.T @ flat  # demand reachable from each destination
        per_period = self.cfg.review_weeks
        spent = 0.0
        top = min(self.mcfg.types_per_module, int(self.allowed_types.sum()))
        none_far = np.zeros(n, bool)  # no km allowance: every commune within reach
        s3 = score_map.reshape(n, k_types, 2)
        best_types, reach_top = rank_types(s3, self.allowed_types, top)  # (n, top, 2), (n, 2)
        for module in sorted(modules, key=lambda m: m.unique_id):
            cap = max(module.nominal_capacity * factor, 1e-9) * per_period
            running = max(module.weekly_cost * per_period, 1e-9)  # a free module still scores
            here = module.commune
            change_here = np.array([  # nothing to pay if the types and slots stay, else a retype
                0.0 if sorted(best_types[here, :, s].tolist()) == module.types
                and mask == module.slots else self.mcfg.retype_cost
                for s, mask in enumerate(SLOT_CLASSES)
            ])
            slot_ok = np.array([self.cfg.retime or mask == module.slots for mask in SLOT_CLASSES])
            far = none_far
            if km_left is not None:  # a move must fit in the CO2 allowance left
                far = self._km_from(module.commune) > km_left - self.last_move_km
                far[module.commune] = False
            j, s, best = best_place(
                reach_top, np.float32(cap), running, self.mcfg.move_cost, here, change_here,
                slot_ok, reserve - spent, far,
            )
            # staying as it is (its own types and slots, no cost) is always an option
            s_here = SLOT_CLASSES.index(module.slots)
            stay = min(float(s3[here, module.types, s_here].sum()), cap) / running
            if best <= max(stay, 0.0):
                j, s, types = here, s_here, list(module.types)
            else:
                types = best_types[j, :, s].tolist()
            what = module.reconfigure(
                space[int(j)], types, SLOT_CLASSES[s], self.mcfg.move_weeks, self.mcfg.retype_weeks
            )
            if what is not None:
                if what == "move" and self.road_km is not None:
                    self.last_move_km += float(self._km_from(here)[int(j)])
                spent += float(change_here[s] if j == here else self.mcfg.move_cost)
                self.moves += what == "move"
                self.retypes += what == "retype"
            # remove the demand this module will cover from the observed map
            covered = s3[j, types, s]
            total = covered.sum()
            if total <= 0:
                continue
            keep = np.clip(1.0 - cap / total, 0.0, 1.0)
            by_j, by_origin = self._reach_by_destination, self.reach
            touched = remove_covered(
                flat, score_map, by_j.indptr, by_j.indices,
                by_origin.indptr, by_origin.indices, by_origin.data,
                int(j), np.array(types, np.int64) * 2 + s, np.float32(1.0 - keep),
            )
            rerank(s3, self.allowed_types, top, best_types, reach_top, touched)
        return spent
