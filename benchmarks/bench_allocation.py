"""The allocation step: the compiled kernel against two per-agent Mesa implementations.

All three run the same rule, random serial dictatorship as documented in
:mod:`softsim.allocation`, on the same week of the same ``hard`` model:

* **kernel**: :func:`softsim.allocation.allocate`, called with exactly the arguments
  ``SoftTerritory.phase_allocate`` passed it that week (recorded while the phase runs), from full
  capacities; compiled (or loaded from numba's disk cache) in a warm-up call that is not timed;
* **Mesa, hand-optimised loops**: residents and sites are ``mesa.Agent`` objects, each need is a
  Python object held by its resident, and every need in priority order asks its resident to pick
  the best feasible option; the chosen site's ``remaining`` capacity goes down at once. The loops
  are tuned by hand: per-type site lists built in advance, travel times as nested lists of Python
  floats, tolerances precomputed;
* **Mesa, AgentSet idiom**: the same agents and needs written the way Mesa's own API invites.
  Sites carry the set of ``types`` they offer; each need gets its candidate sites with
  ``model.agents_by_type[Site].select(...)`` (offers the type or the alternative type, capacity
  left), takes them own-type first and then by increasing site index (the rule's tie-breaking),
  and weighs the anchors, slots and tolerance on the model's numpy data.

The instance is real: the model is stepped a few weeks so that the pending pool holds carried-over
needs, then the next week runs up to its allocation phase. All sides get that week's priority
order, so their assignments must be identical (``identical: True``); that is what makes the
timing comparison fair.

Both Mesa sides are built before the clock starts and receive the flat list of needs, as the
kernel receives the pool arrays. Times are medians over repeats. Figures are printed, never
asserted.

Usage::

    .venv/bin/python benchmarks/bench_allocation.py [--quick] [--repeat N] [--seed S]
"""

from __future__ import annotations

import argparse
import inspect
import math
import os
import statistics
import time
from collections.abc import Callable
from unittest import mock

import mesa
import numpy as np

import softsim.model
from softsim.allocation import DIGITAL, NONE, SLOT_OFF_WORK, allocate
from softsim.config import load_config
from softsim.model import SCHEDULE, SoftTerritory
from softsim.territory.travel import site_columns

SIZES = (10_000, 100_000)
QUICK_SIZES = (10_000,)
GOAL_RATIO = 300.0
GOAL_RESIDENTS = 100_000
KERNEL_REPEAT_FACTOR = 25
"""The kernel is timed this many times more often than Mesa (it is much shorter)."""


# ---------------------------------------------------------------- the week to allocate


def allocation_week(population: int, warm_weeks: int, seed: int) -> dict:
    """The arguments of the kernel call of week ``warm_weeks`` of a ``hard`` model.

    The model runs ``warm_weeks`` full steps, then the phases of the next week up to
    ``allocate``, whose call of the kernel is recorded: a dict of :func:`allocate`'s parameters
    by name (defaults included) where ``remaining`` holds the capacities before the call.
    """
    model = SoftTerritory(load_config("hard", [f"territory.population={population}"]), seed)
    for _ in range(warm_weeks):
        model.step()
    calls = []

    def recording(*args, **kwargs):
        bound = inspect.signature(allocate).bind(*args, **kwargs)
        bound.apply_defaults()
        calls.append({**bound.arguments, "remaining": bound.arguments["remaining"].copy()})
        return allocate(*args, **kwargs)

    with mock.patch.object(softsim.model, "allocate", recording):
        for phase in SCHEDULE:
            getattr(model, f"phase_{phase.name}")()
            if phase.name == "allocate":
                break
    (inputs,) = calls
    return inputs


def dense_minutes(minutes) -> np.ndarray:
    """Travel minutes ``(modes, communes, communes)`` as the kernel reads them.

    The model passes CSR neighbour lists; a pair not listed is out of reach (``inf``).
    """
    if isinstance(minutes, np.ndarray):
        return minutes
    ptr, idx, values = minutes
    return site_columns(ptr, idx, values, np.arange(len(ptr) - 1))


def run_kernel(inputs: dict) -> tuple[np.ndarray, ...]:
    """One week's allocation with the compiled kernel, from full capacities.

    Returns ``(choice, anchor, travel, remaining)``.
    """
    remaining = inputs["remaining"].copy()
    choice, anchor, travel = allocate(**{**inputs, "remaining": remaining})
    return choice, anchor, travel, remaining


# ---------------------------------------------------------------- what both Mesa versions share


class Need:
    """A pending need of a resident, and where the allocation served it.

    Attributes:
        type: Service type; ``alt_type`` is a second type whose sites may also serve it (-1 if
            none). ``mode`` indexes the travel-time matrix of the means of travel this week.
    """

    __slots__ = (
        "resident",
        "type",
        "alt_type",
        "mode",
        "digital_ok",
        "site",
        "online",
        "anchor",
        "travel",
    )

    def __init__(
        self, resident: mesa.Agent, type_: int, alt_type: int, mode: int, digital_ok: bool
    ) -> None:
        self.resident = resident
        self.type = type_
        self.alt_type = alt_type
        self.mode = mode
        self.digital_ok = digital_ok
        self.site = None
        self.online = False
        self.anchor = -1
        self.travel = 0.0


def build_needs(inputs: dict, residents: list) -> list[Need]:
    """The pool's needs in pool order, each appended to its resident's ``needs``."""
    need_columns = (
        inputs["need_resident"],
        inputs["need_type"],
        inputs["need_alt_type"],
        inputs["need_mode"],
        inputs["digital_ok"],
    )
    needs = []
    for r, *rest in zip(*(c.tolist() for c in need_columns), strict=True):
        need = Need(residents[r], *rest)
        residents[r].needs.append(need)
        needs.append(need)
    return needs


def site_types(inputs: dict) -> list[set[int]]:
    """Per site, the set of types it offers (from the kernel's CSR ``type_ptr``/``type_sites``)."""
    ptr, flat = inputs["type_ptr"], inputs["type_sites"]
    types: list[set[int]] = [set() for _ in range(len(inputs["site_commune"]))]
    for k in range(len(ptr) - 1):
        for s in flat[ptr[k] : ptr[k + 1]].tolist():
            types[s].add(k)
    return types


def assignments(needs: list[Need], sites: list) -> tuple[np.ndarray, ...]:
    """``(choice, anchor, travel, remaining)`` in the kernel's encoding, in pool order."""
    choice = np.array(
        [n.site.index if n.site is not None else DIGITAL if n.online else NONE for n in needs],
        dtype=np.int32,
    )
    anchor = np.array([n.anchor for n in needs], dtype=np.int32)
    travel = np.array([n.travel for n in needs], dtype=np.float32)
    remaining = np.array([s.remaining for s in sites], dtype=np.int64)
    return choice, anchor, travel, remaining


# ---------------------------------------------------------------- Mesa, hand-optimised loops


class LoopSite(mesa.Agent):
    """A site: its commune, opening slots, reach, weekly capacity and the capacity left."""

    def __init__(
        self,
        model: LoopModel,
        index: int,
        commune: int,
        slots: int,
        reach: float,
        capacity: int,
    ) -> None:
        super().__init__(model)
        self.index = index
        self.commune = commune
        self.slots = slots
        self.reach = reach
        self.capacity = capacity
        self.remaining = capacity


ANYTIME, OFF_WORK, AT_WORK = 0, 1, 2
"""When a resident can use a site from an anchor: any slot (non-workers); only a slot off work
hours (a worker from home or shop); any slot, but a site open only on weekday daytime no farther
than a break allows (a worker from work)."""


class LoopResident(mesa.Agent):
    """A resident: dependency, the anchors of the bassin de vie, pending needs.

    ``anchors`` pairs each anchor commune (home, work, shop) with when the resident can use a
    site from there (:data:`ANYTIME`, :data:`OFF_WORK` or :data:`AT_WORK`).
    """

    def __init__(
        self,
        model: LoopModel,
        home: int,
        work: int,
        shop: int,
        employed: bool,
        dependent: bool,
    ) -> None:
        super().__init__(model)
        if employed:
            self.anchors = ((home, OFF_WORK), (work, AT_WORK), (shop, OFF_WORK))
        else:
            self.anchors = ((home, ANYTIME), (work, ANYTIME), (shop, ANYTIME))
        self.dependent = dependent
        self.needs: list[Need] = []

    def seek(self, need: Need) -> None:
        """Serve ``need`` by its best feasible option; a chosen site loses one unit of capacity.

        Sites offering the need's type, then those of its ``alt_type``, are weighed within the
        tolerance of the need's type (and the site's reach). Least effort wins; ties go to
        digital, then to the site seen first, then to the first anchor (strict comparisons, as
        in the kernel).
        """
        model = self.model
        best = math.inf
        best_site = None
        best_anchor = -1
        online = False
        if need.digital_ok:
            best = model.digital_effort
            online = True
        tolerance = model.dependent_tolerance if self.dependent else model.tolerance
        tol = tolerance[need.type]
        times = model.minutes[need.mode]
        for kind in (need.type, need.alt_type):
            if kind < 0:
                continue
            for site in model.sites_offering[kind]:
                if site.remaining <= 0:
                    continue
                site_tol = tol if tol <= site.reach else site.reach
                for origin, when in self.anchors:
                    limit = site_tol
                    if when != ANYTIME and not site.slots & SLOT_OFF_WORK:
                        if when == OFF_WORK:
                            continue
                        limit = min(site_tol, model.work_break)
                    t = times[origin][site.commune]
                    if t <= limit and t < best:
                        best = t
                        best_site = site
                        best_anchor = origin
                        online = False
        need.site = best_site
        need.online = online
        if best_site is None:
            need.anchor = -1
            need.travel = 0.0
        else:
            best_site.remaining -= 1
            need.anchor = best_anchor
            need.travel = best


class LoopModel(mesa.Model):
    """One week's allocation inputs as Mesa agents, with hand-tuned Python data structures.

    Each need carries its travel mode this week (an index into the stacked travel-time matrices
    ``minutes``) and its alternative type, as ``phase_allocate`` passes them. Travel times and
    tolerances are the kernel's float32 values held as Python floats (nested lists), so every
    comparison gives the same answer as in the kernel; the sites offering each type are listed
    in advance.
    """

    def __init__(self, inputs: dict, seed: int) -> None:
        super().__init__(rng=seed)
        res = inputs["residents"]
        self.minutes = dense_minutes(inputs["minutes"]).tolist()
        tolerance = inputs["tolerance"]
        self.tolerance = tolerance.tolist()
        self.dependent_tolerance = (tolerance * np.float32(inputs["dependent_factor"])).tolist()
        self.digital_effort = float(np.float32(inputs["digital_effort"]))
        self.work_break = float(np.float32(inputs["work_break_min"]))
        site_columns = (
            inputs["site_commune"],
            inputs["site_slots"],
            inputs["site_reach"],
            inputs["remaining"],
        )
        self.sites = [
            LoopSite(self, s, *row)
            for s, row in enumerate(zip(*(c.tolist() for c in site_columns), strict=True))
        ]
        ptr, flat = inputs["type_ptr"], inputs["type_sites"]
        self.sites_offering = [
            [self.sites[s] for s in flat[ptr[k] : ptr[k + 1]].tolist()] for k in range(len(ptr) - 1)
        ]
        columns = (res.home, res.work, res.shop, res.employed, res.dependent)
        residents = [
            LoopResident(self, *row) for row in zip(*(c.tolist() for c in columns), strict=True)
        ]
        self.needs = build_needs(inputs, residents)

    def allocate(self, order: list[int]) -> None:
        """One week's allocation from full capacities: needs in ``order`` each seek an option."""
        for site in self.sites:
            site.remaining = site.capacity
        needs = self.needs
        for i in order:
            need = needs[i]
            need.resident.seek(need)

    def assignments(self) -> tuple[np.ndarray, ...]:
        """``(choice, anchor, travel, remaining)`` in the kernel's encoding, in pool order."""
        return assignments(self.needs, self.sites)


# ---------------------------------------------------------------- Mesa, AgentSet idiom


class Site(mesa.Agent):
    """A site: its commune, opening slots, the ``types`` it offers, reach and capacity."""

    def __init__(
        self,
        model: AgentSetModel,
        index: int,
        commune: int,
        slots: int,
        types: set[int],
        reach: np.float32,
        capacity: int,
    ) -> None:
        super().__init__(model)
        self.index = index
        self.commune = commune
        self.slots = slots
        self.types = types
        self.reach = reach
        self.capacity = capacity
        self.remaining = capacity


class Resident(mesa.Agent):
    """A resident: home, work and shop communes, employment, dependency, pending needs."""

    def __init__(
        self,
        model: AgentSetModel,
        home: int,
        work: int,
        shop: int,
        employed: bool,
        dependent: bool,
    ) -> None:
        super().__init__(model)
        self.home = home
        self.work = work
        self.shop = shop
        self.employed = employed
        self.dependent = dependent
        self.needs: list[Need] = []

    def seek(self, need: Need) -> None:
        """Serve ``need`` by its best feasible option; a chosen site loses one unit of capacity.

        The candidates are the sites that offer the need's type or its alternative type and
        have capacity left, selected from the model's agents. Least effort wins; ties go to
        digital, then to sites of the need's own type before the others, then to the lowest
        site index, then to the first anchor (home, work, shop).
        """
        model = self.model
        best = np.inf
        best_site = None
        best_anchor = -1
        online = False
        if need.digital_ok:
            best = model.digital_effort
            online = True
        tol = model.tolerance[need.type]
        if self.dependent:
            tol = tol * model.dependent_factor
        times = model.minutes[need.mode]
        candidates = model.agents_by_type[Site].select(
            lambda s: (need.type in s.types or need.alt_type in s.types) and s.remaining > 0
        )
        for site in sorted(candidates, key=lambda s: (need.type not in s.types, s.index)):
            site_tol = min(tol, site.reach)
            weekday_only = not site.slots & SLOT_OFF_WORK
            for a, origin in enumerate((self.home, self.work, self.shop)):
                limit = site_tol
                if self.employed and weekday_only:
                    if a != 1:  # weekday daytime: a worker is at work
                        continue
                    limit = min(site_tol, model.work_break)  # only as far as a break allows
                t = times[origin, site.commune]
                if t <= limit and t < best:
                    best = t
                    best_site = site
                    best_anchor = origin
                    online = False
        need.site = best_site
        need.online = online
        if best_site is None:
            need.anchor = -1
            need.travel = 0.0
        else:
            best_site.remaining -= 1
            need.anchor = best_anchor
            need.travel = best


class AgentSetModel(mesa.Model):
    """One week's allocation inputs as Mesa agents, on the model's numpy data.

    Travel times (``minutes[mode][origin, commune]``), tolerances and the other thresholds stay
    numpy float32 values, so the arithmetic and comparisons are those of the kernel.
    """

    def __init__(self, inputs: dict, seed: int) -> None:
        super().__init__(rng=seed)
        res = inputs["residents"]
        self.minutes = dense_minutes(inputs["minutes"])
        self.tolerance = inputs["tolerance"]
        self.dependent_factor = np.float32(inputs["dependent_factor"])
        self.digital_effort = np.float32(inputs["digital_effort"])
        self.work_break = np.float32(inputs["work_break_min"])
        types = site_types(inputs)
        for s in range(len(inputs["site_commune"])):
            Site(
                self,
                s,
                int(inputs["site_commune"][s]),
                int(inputs["site_slots"][s]),
                types[s],
                inputs["site_reach"][s],
                int(inputs["remaining"][s]),
            )
        columns = (res.home, res.work, res.shop, res.employed, res.dependent)
        residents = [
            Resident(self, *row) for row in zip(*(c.tolist() for c in columns), strict=True)
        ]
        self.needs = build_needs(inputs, residents)

    def allocate(self, order: list[int]) -> None:
        """One week's allocation from full capacities: needs in ``order`` each seek an option."""
        for site in self.agents_by_type[Site]:
            site.remaining = site.capacity
        for i in order:
            need = self.needs[i]
            need.resident.seek(need)

    def assignments(self) -> tuple[np.ndarray, ...]:
        """``(choice, anchor, travel, remaining)`` in the kernel's encoding, in pool order."""
        sites = sorted(self.agents_by_type[Site], key=lambda s: s.index)
        return assignments(self.needs, sites)


VARIANTS = (
    ("hand", "Mesa, hand-optimised loops", LoopModel),
    ("agentset", "Mesa, AgentSet idiom", AgentSetModel),
)
"""The per-agent versions: key, label, model class."""


# ---------------------------------------------------------------- timing


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``fn()`` over ``repeat`` calls, in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def bench_size(population: int, warm_weeks: int, repeat: int, seed: int) -> dict:
    """Time the kernel and both Mesa versions on one week of a ``population``-resident model."""
    inputs = allocation_week(population, warm_weeks, seed)
    order_list = inputs["order"].tolist()
    kernel_out = run_kernel(inputs)
    row = {
        "residents": inputs["residents"].n,
        "needs": len(order_list),
        "sites": len(inputs["site_commune"]),
        "at_site": int((kernel_out[0] >= 0).sum()),
        "digital": int((kernel_out[0] == DIGITAL).sum()),
        "unserved": int((kernel_out[0] == NONE).sum()),
        "kernel_ms": median_ms(lambda: run_kernel(inputs), repeat * KERNEL_REPEAT_FACTOR),
    }
    for key, _, model_class in VARIANTS:
        model = model_class(inputs, seed)
        model.allocate(order_list)
        out = model.assignments()
        row[f"{key}_identical"] = all(
            np.array_equal(a, b) for a, b in zip(kernel_out, out, strict=True)
        )
        row[f"{key}_ms"] = median_ms(lambda m=model: m.allocate(order_list), repeat)
    return row


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k residents only, few repeats")
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help=f"Mesa repeats (kernel: x{KERNEL_REPEAT_FACTOR}); default 9, quick 3",
    )
    parser.add_argument(
        "--warm-weeks",
        type=int,
        default=12,
        help="full weeks stepped before the timed week (default 12)",
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    sizes = QUICK_SIZES if args.quick else SIZES
    repeat = args.repeat or (3 if args.quick else 9)

    load = os.getloadavg()[0]
    run_kernel(allocation_week(1_000, 2, args.seed))  # compile or load the cache, untimed

    print(
        f"allocation of one week, hard scenario, after {args.warm_weeks} weeks; "
        f"median of {repeat} (Mesa) / {repeat * KERNEL_REPEAT_FACTOR} (kernel) runs"
    )
    print(f"load average at start: {load:.2f} (other processes share the CPUs when above 0)")
    rows = [bench_size(n, args.warm_weeks, repeat, args.seed) for n in sizes]

    print((f"\n{'':29}" + "".join(f"  {label:<29}" for _, label, _ in VARIANTS)).rstrip())
    print(
        f"{'residents':>10} {'needs':>7} {'kernel ms':>10}"
        + f"  {'ms':>8} {'ratio':>7}  {'identical':<9}" * len(VARIANTS)
    )
    for r in rows:
        cells = "".join(
            f"  {r[f'{key}_ms']:>8.2f} {r[f'{key}_ms'] / r['kernel_ms']:>6.0f}x"
            f"  {str(r[f'{key}_identical']):<9}"
            for key, _, _ in VARIANTS
        )
        print((f"{r['residents']:>10,} {r['needs']:>7,} {r['kernel_ms']:>10.3f}" + cells).rstrip())
    print()
    for r in rows:
        per_need = ", ".join(
            f"{label} {r[f'{key}_ms'] * 1e3 / r['needs']:.2f} us/need" for key, label, _ in VARIANTS
        )
        print(
            f"  {r['residents']:,} residents: {r['sites']} sites; needs served at a site "
            f"{r['at_site']:,}, online {r['digital']:,}, not this week {r['unserved']:,}; "
            f"kernel {r['kernel_ms'] * 1e6 / r['needs']:.0f} ns/need, {per_need}"
        )

    print()
    goal = f"goal: ratio >= {GOAL_RATIO:.0f}x at {GOAL_RESIDENTS:,} residents"
    goal_rows = [r for r in rows if r["residents"] == GOAL_RESIDENTS]
    if not goal_rows:
        print(f"{goal}: not measured (--quick)")
        return 0
    r = goal_rows[0]
    for key, label, _ in VARIANTS:
        ratio = r[f"{key}_ms"] / r["kernel_ms"]
        if not r[f"{key}_identical"]:
            verdict = "no verdict: the assignments differ from the kernel's"
        elif ratio >= GOAL_RATIO:
            verdict = "MET"
        else:
            verdict = "NOT met"
        print(f"{goal}, against {label}: {ratio:.0f}x, {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
