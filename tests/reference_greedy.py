"""A plain-Python reference of the allocation rule documented in ``softsim/allocation.py``.

Random serial dictatorship: needs are served one by one in the given order. Each takes, among its
feasible options, the one with the least effort, and a site it takes loses one unit of capacity
at once. Options:

* digital, when the need's digital attempt succeeded this week; effort = ``digital_effort``;
* a site with capacity left that offers the need's type, or its alternative type (mediation of a
  failed online attempt) when it has one, reached from one anchor of the resident (home, work,
  shop) by the need's travel mode, within the limit of a slot the site is open in and the
  resident is free in from that anchor. The base limit is the type's tolerance (× the dependent
  factor for a dependent resident), capped by the site's own reach. Non-workers are free in
  every slot. Workers are free on evenings and Saturdays from any anchor, and on weekday daytime
  only from work and only within ``work_break_min``.

Ties: digital first, then a site offering the need's own type before a site reached only
through the mediation type, then the lowest site index, then the first anchor in the order home,
work, shop — written as tuples compared by ``min`` so the tie rule is visible in one line.
``mediation_ties="lowest_index"`` drops the own-type preference (a variant rule, kept to show
that the tests tell the two apart).

Plain loops over Python values: no numpy, nothing shared with the kernel.
"""

from __future__ import annotations

import math

NONE = -1
DIGITAL = -2
WEEKDAY, EVENING, SATURDAY = 1, 2, 4  # bit i of a slot mask is the i-th of these
SLOT_BITS = ((WEEKDAY, "weekday"), (EVENING, "evening"), (SATURDAY, "saturday"))
ANCHORS = ("home", "work", "shop")


def slot_limit(employed: bool, anchor_name: str, slots: int, base: float, work_break: float):
    """Farthest one-way minutes allowed from this anchor to a site open in ``slots``.

    None when the resident is free in none of the site's slots from this anchor.
    """
    limits = []
    for bit, slot in SLOT_BITS:
        if not slots & bit:
            continue
        if not employed or slot != "weekday":
            limits.append(base)
        elif anchor_name == "work":
            limits.append(min(base, work_break))
    return max(limits) if limits else None


def reference_allocate(
    order,
    need_resident,
    need_type,
    digital_ok,
    residents,
    minutes,
    need_mode,
    site_commune,
    site_slots,
    site_types,
    capacity,
    tolerance,
    dependent_factor,
    digital_effort,
    work_break_min=math.inf,
    need_alt_type=None,
    site_reach=None,
    mediation_ties="own_type_first",
):
    """Allocate needs in ``order``.

    ``minutes[m][a][b]`` is the travel time of mode ``m`` from commune ``a`` to ``b``;
    ``site_types[s]`` is the set of types site ``s`` offers.

    Returns:
        ``(choice, anchor, travel, remaining)`` as Python lists: the site index, ``DIGITAL`` or
        ``NONE`` per need; the commune travelled from (-1 if none); one-way travel minutes (0.0
        unless at a site); the capacity left at each site.
    """
    n = len(need_resident)
    n_sites = len(site_commune)
    alt_types = [-1] * n if need_alt_type is None else [int(a) for a in need_alt_type]
    reach = [math.inf] * n_sites if site_reach is None else [float(x) for x in site_reach]
    remaining = [int(c) for c in capacity]
    choice = [NONE] * n
    anchor = [-1] * n
    travel = [0.0] * n
    for i in order:
        i = int(i)
        r = int(need_resident[i])
        k = int(need_type[i])
        alt = alt_types[i]
        times = minutes[int(need_mode[i])]
        employed = bool(residents.employed[r])
        tol = float(tolerance[k])
        if bool(residents.dependent[r]):
            tol = tol * float(dependent_factor)
        origins = [int(residents.home[r]), int(residents.work[r]), int(residents.shop[r])]
        # (effort, 0 = digital / 1 = site, tie group, site index, anchor rank, anchor commune)
        options = []
        if bool(digital_ok[i]):
            options.append((float(digital_effort), 0, 0, DIGITAL, -1, -1))
        for s in range(n_sites):
            own = k in site_types[s]
            if remaining[s] <= 0 or not (own or (alt >= 0 and alt in site_types[s])):
                continue
            group = 0 if (own or mediation_ties == "lowest_index") else 1
            base = min(tol, reach[s])
            for rank, name in enumerate(ANCHORS):
                limit = slot_limit(employed, name, int(site_slots[s]), base,
                                   float(work_break_min))
                if limit is None:
                    continue
                t = float(times[origins[rank]][int(site_commune[s])])
                if t <= limit:
                    options.append((t, 1, group, s, rank, origins[rank]))
        if not options:
            continue
        effort, _, _, site, _, origin = min(options)
        choice[i] = site
        if site != DIGITAL:
            remaining[site] -= 1
            anchor[i] = origin
            travel[i] = effort
    return choice, anchor, travel, remaining
