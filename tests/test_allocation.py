"""The compiled allocation kernel against the plain-Python reference, plus hand-solved cases."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import examples
from reference_greedy import DIGITAL, EVENING, NONE, SATURDAY, WEEKDAY, reference_allocate
from softsim.allocation import DIGITAL as K_DIGITAL
from softsim.allocation import NONE as K_NONE
from softsim.allocation import WeekTables, allocate
from softsim.slots import slot_mask

# Every time, tolerance, reach, break and effort below is a multiple of 1/4 below 256 (or
# infinite) and every dependent factor a multiple of 1/4: float32 and float64 hold them and their
# products exactly, so the kernel (float32) and the reference (float64) must agree bit for bit,
# ties included. A few round values make ties frequent.
QUARTERS = st.one_of(
    st.sampled_from([0.0, 5.0, 10.0, 15.0]),
    st.integers(0, 4 * 40).map(lambda v: v / 4),
)
LIMIT = st.one_of(st.just(math.inf), QUARTERS)
ALL_SLOTS = WEEKDAY | EVENING | SATURDAY


def _residents(home, work, shop, employed, car, dependent):
    return SimpleNamespace(
        home=np.array(home, np.int32),
        work=np.array(work, np.int32),
        shop=np.array(shop, np.int32),
        employed=np.array(employed, bool),
        car=np.array(car, bool),
        dependent=np.array(dependent, bool),
    )


def _csr(site_types: list[set[int]], n_types: int) -> tuple[np.ndarray, np.ndarray]:
    """type_ptr / type_sites of the kernel, sites of each type in increasing index."""
    lists = [[s for s, types in enumerate(site_types) if k in types] for k in range(n_types)]
    ptr = np.zeros(n_types + 1, np.int64)
    for k, sites in enumerate(lists):
        ptr[k + 1] = ptr[k] + len(sites)
    flat = np.array([s for sites in lists for s in sites], np.int32)
    return ptr, flat


def run_kernel(inst: dict, lists: bool | None = None):
    """Call the kernel with the dtypes the model uses; returns outputs and remaining capacity.

    ``lists``: force the sorted option lists (``True``) or the scan of every site (``False``).
    """
    nc = inst["n_communes"]
    minutes = np.array(inst["minutes"], np.float32).reshape(-1, nc, nc)
    remaining = np.array(inst["capacity"], np.int64)
    ptr, flat = _csr(inst["site_types"], len(inst["tolerance"]))
    choice, anchor, travel = allocate(
        order=np.array(inst["order"], np.int64),
        need_resident=np.array(inst["need_resident"], np.int32),
        need_type=np.array(inst["need_type"], np.int8),
        need_alt_type=np.array(inst["need_alt_type"], np.int8),
        need_mode=np.array(inst["need_mode"], np.int8),
        digital_ok=np.array(inst["digital_ok"], bool),
        residents=inst["residents"],
        minutes=minutes,
        site_commune=np.array(inst["site_commune"], np.int32),
        site_slots=np.array(inst["site_slots"], np.int8),
        site_reach=np.array(inst["site_reach"], np.float32),
        remaining=remaining,
        type_ptr=ptr,
        type_sites=flat,
        tolerance=np.array(inst["tolerance"], np.float32),
        dependent_factor=inst["dependent_factor"],
        digital_effort=inst["digital_effort"],
        work_break_min=inst["work_break_min"],
        lists=lists,
    )
    return choice, anchor, travel, remaining


def run_reference(inst: dict, mediation_ties: str = "own_type_first"):
    return reference_allocate(
        inst["order"],
        inst["need_resident"],
        inst["need_type"],
        inst["digital_ok"],
        inst["residents"],
        inst["minutes"],
        inst["need_mode"],
        inst["site_commune"],
        inst["site_slots"],
        inst["site_types"],
        inst["capacity"],
        inst["tolerance"],
        inst["dependent_factor"],
        inst["digital_effort"],
        inst["work_break_min"],
        inst["need_alt_type"],
        inst["site_reach"],
        mediation_ties=mediation_ties,
    )


@st.composite
def instances(draw, basic: bool = False, mediation: bool = True):
    nc = draw(st.integers(1, 4))
    n_types = draw(st.integers(1, 3))
    n_sites = draw(st.integers(0, 6))
    n_res = draw(st.integers(1, 6))
    n_needs = draw(st.integers(0, 14))
    n_modes = 2 if basic else draw(st.integers(1, 3))
    commune = st.integers(0, nc - 1)
    matrix = st.lists(st.lists(QUARTERS, min_size=nc, max_size=nc), min_size=nc, max_size=nc)

    def per(n, strategy):
        return draw(st.lists(strategy, min_size=n, max_size=n))

    residents = _residents(
        per(n_res, commune), per(n_res, commune), per(n_res, commune),
        per(n_res, st.booleans()), per(n_res, st.booleans()), per(n_res, st.booleans()),
    )
    need_resident = per(n_needs, st.integers(0, n_res - 1))
    if basic:
        need_mode = [0 if residents.car[r] else 1 for r in need_resident]
    else:
        need_mode = per(n_needs, st.integers(0, n_modes - 1))
    if basic or not mediation:
        need_alt_type = [-1] * n_needs
    else:
        need_alt_type = per(n_needs, st.integers(-1, n_types - 1))
    return {
        "n_communes": nc,
        "minutes": [draw(matrix) for _ in range(n_modes)],
        "need_mode": need_mode,
        "site_commune": per(n_sites, commune),
        "site_slots": per(n_sites, st.integers(1, 7)),
        "site_types": per(n_sites, st.sets(st.integers(0, n_types - 1))),
        "site_reach": [math.inf] * n_sites if basic else per(n_sites, LIMIT),
        "capacity": per(n_sites, st.integers(0, 3)),
        "tolerance": per(n_types, QUARTERS),
        "dependent_factor": draw(st.sampled_from([0.25, 0.5, 0.75, 1.0])),
        "digital_effort": draw(QUARTERS),
        "work_break_min": math.inf if basic else draw(LIMIT),
        "residents": residents,
        "need_resident": need_resident,
        "need_type": per(n_needs, st.integers(0, n_types - 1)),
        "need_alt_type": need_alt_type,
        "digital_ok": per(n_needs, st.booleans()),
        "order": draw(st.permutations(range(n_needs))),
    }


def _same(kernel, reference):
    choice, anchor, travel, remaining = kernel
    r_choice, r_anchor, r_travel, r_remaining = reference
    assert choice.tolist() == r_choice
    assert anchor.tolist() == r_anchor
    assert travel.tolist() == r_travel
    assert remaining.tolist() == r_remaining


def test_constants_agree_with_reference():
    assert (K_NONE, K_DIGITAL) == (NONE, DIGITAL)
    assert slot_mask(["weekday"]) == WEEKDAY
    assert slot_mask(["evening"]) == EVENING
    assert slot_mask(["saturday"]) == SATURDAY


@settings(max_examples=examples(400))
@given(instances(mediation=False))
def test_kernel_matches_reference(inst):
    _same(run_kernel(inst), run_reference(inst))


@settings(max_examples=examples(400))
@given(instances(mediation=False))
def test_sorted_lists_match_reference(inst):
    _same(run_kernel(inst, lists=True), run_reference(inst))


@settings(max_examples=examples(300))
@given(instances(mediation=True))
def test_sorted_lists_with_mediation_match_reference(inst):
    _same(run_kernel(inst, lists=True), run_reference(inst))


@settings(max_examples=examples(100))
@given(instances(mediation=True))
def test_site_scan_with_mediation_matches_reference(inst):
    _same(run_kernel(inst, lists=False), run_reference(inst))


@settings(max_examples=examples(200))
@given(instances(basic=True))
def test_kernel_matches_reference_with_car_modes_only(inst):
    _same(run_kernel(inst), run_reference(inst))


@settings(max_examples=examples(300))
@given(instances(mediation=True))
def test_kernel_with_mediation_matches_reference(inst):
    # with mediation, ties between an own-type site and a mediation-only site go to the former
    _same(run_kernel(inst), run_reference(inst))


@given(instances(mediation=True))
def test_kernel_respects_capacity_offer_and_limits(inst):
    choice, anchor, travel, remaining = run_kernel(inst)
    cap = inst["capacity"]
    res = inst["residents"]
    for s in range(len(cap)):
        taken = int(np.sum(choice == s))
        assert taken <= cap[s]
        assert remaining[s] == cap[s] - taken
    for i, c in enumerate(choice.tolist()):
        r, k, alt = inst["need_resident"][i], inst["need_type"][i], inst["need_alt_type"][i]
        if c >= 0:
            assert k in inst["site_types"][c] or (alt >= 0 and alt in inst["site_types"][c])
            limit = inst["tolerance"][k] * (inst["dependent_factor"] if res.dependent[r] else 1)
            assert travel[i] <= limit
            assert travel[i] <= inst["site_reach"][c]
            assert anchor[i] in (res.home[r], res.work[r], res.shop[r])
            times = inst["minutes"][inst["need_mode"][i]]
            assert travel[i] == times[anchor[i]][inst["site_commune"][c]]
        else:
            assert anchor[i] == -1
            assert travel[i] == 0.0
            if c == DIGITAL:
                assert inst["digital_ok"][i]
            else:
                assert c == NONE


# ----------------------------------------------------------------- hand-solved cases


def _case(**over):
    """One commune; two non-working residents with a car; one site 5 min away, capacity 1."""
    inst = {
        "n_communes": 1,
        "minutes": [[[5.0]], [[30.0]]],
        "need_mode": [0, 0],
        "site_commune": [0],
        "site_slots": [WEEKDAY],
        "site_types": [{0}],
        "site_reach": [math.inf],
        "capacity": [1],
        "tolerance": [45.0],
        "dependent_factor": 0.5,
        "digital_effort": 10.0,
        "work_break_min": 15.0,
        "residents": _residents([0, 0], [0, 0], [0, 0], [False, False], [True, True],
                                [False, False]),
        "need_resident": [0, 1],
        "need_type": [0, 0],
        "need_alt_type": [-1, -1],
        "digital_ok": [False, False],
        "order": [0, 1],
    }
    inst.update(over)
    return inst


def _one_need(**over):
    base = {"need_resident": [0], "need_type": [0], "need_alt_type": [-1], "need_mode": [0],
            "digital_ok": [False], "order": [0]}
    base.update(over)
    return _case(**base)


@pytest.mark.parametrize("order", [[0, 1], [1, 0]])
def test_one_seat_goes_to_the_first_in_order(order):
    choice, anchor, travel, remaining = run_kernel(_case(order=order))
    first, second = order
    assert choice[first] == 0 and choice[second] == NONE
    assert travel[first] == 5.0 and anchor[first] == 0
    assert remaining.tolist() == [0]


def test_second_need_falls_back_to_digital_when_the_seat_is_taken():
    choice, _, travel, _ = run_kernel(_case(digital_ok=[True, True]))
    # Site (5 min) beats digital (10 min) for the first; the second only has digital left.
    assert choice.tolist() == [0, DIGITAL]
    assert travel.tolist() == [5.0, 0.0]


def test_tie_between_digital_and_site_goes_to_digital():
    choice, anchor, _, remaining = run_kernel(_case(digital_ok=[True, False], digital_effort=5.0))
    assert choice.tolist() == [DIGITAL, 0]
    assert anchor.tolist() == [-1, 0]
    assert remaining.tolist() == [0]


def test_tie_between_sites_goes_to_the_lowest_index():
    inst = _case(
        n_communes=2,
        minutes=[[[0.0, 7.0], [7.0, 0.0]]],
        site_commune=[1, 1, 1],
        site_slots=[ALL_SLOTS] * 3,
        site_types=[{1}, {0}, {0}],  # site 0 does not offer type 0
        site_reach=[math.inf] * 3,
        capacity=[5, 1, 1],
        tolerance=[45.0, 45.0],
    )
    choice, _, travel, remaining = run_kernel(inst)
    assert choice.tolist() == [1, 2]
    assert travel.tolist() == [7.0, 7.0]
    assert remaining.tolist() == [5, 0, 0]


def test_nearer_site_wins_over_lower_index():
    inst = _case(
        n_communes=2,
        minutes=[[[0.0, 20.0], [20.0, 0.0]]],
        site_commune=[1, 0],
        site_slots=[ALL_SLOTS, ALL_SLOTS],
        site_types=[{0}, {0}],
        site_reach=[math.inf, math.inf],
        capacity=[1, 1],
    )
    choice, anchor, travel, _ = run_kernel(inst)
    assert choice.tolist() == [1, 0]  # first takes the 0-minute site, second the 20-minute one
    assert travel.tolist() == [0.0, 20.0]
    assert anchor.tolist() == [0, 0]


# Home in commune 0, work in commune 1, shop in commune 2; the site is in commune 1. From home
# the site is 60 minutes away (beyond the 45-minute tolerance), from the shop 10 minutes, from
# work `at_work` minutes.
def _worker(slots, employed=True, at_work=0.0, work_break=15.0):
    minutes = [[[0.0, 60.0, 50.0], [60.0, at_work, 10.0], [50.0, 10.0, 0.0]]]
    return _one_need(
        n_communes=3,
        minutes=minutes,
        site_commune=[1],
        site_slots=[slots],
        work_break_min=work_break,
        residents=_residents([0], [1], [2], [employed], [True], [False]),
    )


def _result(inst):
    choice, anchor, travel, _ = run_kernel(inst)
    return int(choice[0]), int(anchor[0]), float(travel[0])


def test_worker_reaches_a_weekday_site_from_work_within_the_break():
    assert _result(_worker(WEEKDAY, at_work=15.0)) == (0, 1, 15.0)  # break is inclusive


def test_worker_cannot_reach_a_weekday_site_beyond_the_break():
    assert _result(_worker(WEEKDAY, at_work=20.0))[0] == NONE


def test_worker_cannot_use_a_weekday_site_from_the_shop():
    # 10 minutes from the shop, but on weekday daytime a worker is only free from work.
    assert _result(_worker(WEEKDAY, at_work=30.0))[0] == NONE


def test_worker_reaches_an_evening_site_from_any_anchor():
    assert _result(_worker(EVENING, at_work=30.0)) == (0, 2, 10.0)  # from the shop


def test_off_work_slot_lifts_the_break_limit_from_work():
    inst = _worker(WEEKDAY | SATURDAY, at_work=30.0)
    inst["minutes"][0][2][1] = 40.0  # shop now farther than work
    assert _result(inst) == (0, 1, 30.0)  # 30 > break, but Saturday from work is allowed


def test_non_worker_is_free_on_weekdays_from_anywhere():
    assert _result(_worker(WEEKDAY, employed=False, at_work=30.0)) == (0, 2, 10.0)


def test_dependent_tolerance_factor():
    # Site 30 minutes away, tolerance 45: fine, except for a dependent resident (45 × 0.5 = 22.5).
    inst = _case(
        minutes=[[[30.0]]],
        capacity=[5],
        residents=_residents([0, 0], [0, 0], [0, 0], [False, False], [True, True],
                             [False, True]),
    )
    assert run_kernel(inst)[0].tolist() == [0, NONE]


def test_tolerance_is_inclusive():
    inst = _case(minutes=[[[45.0]]], capacity=[2])
    assert run_kernel(inst)[0].tolist() == [0, 0]


def test_site_reach_caps_the_tolerance():
    inst = _case(minutes=[[[20.0]]], capacity=[5], site_reach=[19.75])
    assert run_kernel(inst)[0].tolist() == [NONE, NONE]
    inst = _case(minutes=[[[20.0]]], capacity=[5], site_reach=[20.0])
    assert run_kernel(inst)[0].tolist() == [0, 0]


def test_each_need_travels_by_its_own_mode():
    # mode 0: 5 min; mode 1: 50 min (beyond the tolerance); mode 2: 44 min.
    inst = _case(minutes=[[[5.0]], [[50.0]], [[44.0]]], capacity=[5],
                 need_resident=[0, 0, 0], need_type=[0, 0, 0], need_alt_type=[-1, -1, -1],
                 need_mode=[1, 2, 0], digital_ok=[False] * 3, order=[0, 1, 2])
    choice, _, travel, _ = run_kernel(inst)
    assert choice.tolist() == [NONE, 0, 0]
    assert travel.tolist() == [0.0, 44.0, 5.0]


def test_site_without_capacity_or_the_type_is_never_chosen():
    inst = _case(
        site_commune=[0, 0],
        site_slots=[ALL_SLOTS, ALL_SLOTS],
        site_types=[{0}, {1}],
        site_reach=[math.inf, math.inf],
        capacity=[0, 9],
        tolerance=[45.0, 45.0],
    )
    choice, _, _, remaining = run_kernel(inst)
    assert choice.tolist() == [NONE, NONE]
    assert remaining.tolist() == [0, 9]


def test_mediation_site_serves_a_need_with_that_alternative_type():
    inst = _case(site_types=[{1}], tolerance=[45.0, 45.0], capacity=[5], need_alt_type=[1, -1])
    assert run_kernel(inst)[0].tolist() == [0, NONE]


def _mediation_tie():
    """Site 0 offers only the mediation type 1, site 1 the need's own type 0; both 5 min away."""
    return _one_need(
        site_commune=[0, 0],
        site_slots=[ALL_SLOTS, ALL_SLOTS],
        site_types=[{1}, {0}],
        site_reach=[math.inf, math.inf],
        capacity=[1, 1],
        tolerance=[45.0, 45.0],
        need_alt_type=[1],
    )


def test_mediation_tie_in_the_reference():
    assert run_reference(_mediation_tie())[0] == [1]
    assert run_reference(_mediation_tie(), mediation_ties="lowest_index")[0] == [0]


def test_mediation_tie_goes_to_the_own_type_site():
    assert run_kernel(_mediation_tie())[0].tolist() == [1]


def test_remaining_is_decremented_in_place():
    assert run_kernel(_case(capacity=[3]))[3].tolist() == [1]


def test_no_needs_gives_empty_outputs():
    choice, anchor, travel, remaining = run_kernel(
        _case(need_resident=[], need_type=[], need_alt_type=[], need_mode=[], digital_ok=[],
              order=[])
    )
    assert len(choice) == len(anchor) == len(travel) == 0
    assert remaining.tolist() == [1]


@pytest.mark.parametrize("seed", range(5))
def test_gather_matches_numpy(seed):
    """The needs' rows in priority order, against numpy's fancy indexing."""
    from softsim.allocation import _gather

    rng = np.random.default_rng(seed)
    n_res, n = 5000, int(rng.integers(0, 3000))
    res = _residents(*(rng.integers(0, 300, n_res) for _ in range(3)),
                     *(rng.random(n_res) < 0.4 for _ in range(3)))
    need_resident = rng.integers(0, n_res, n).astype(np.int32)
    need_type = rng.integers(0, 6, n).astype(np.int8)
    need_alt = rng.integers(-1, 6, n).astype(np.int8)
    need_mode = rng.integers(0, 3, n).astype(np.int8)
    digital_ok = rng.random(n) < 0.3
    order = rng.permutation(n)
    rows = _gather(order, need_resident, need_type, need_alt, need_mode, digital_ok,
                   res.home, res.work, res.shop, res.employed, res.dependent)
    r = need_resident[order]
    flags = res.employed[r] * 1 + res.dependent[r] * 2 + digital_ok[order] * 4
    expected = np.stack([order, need_type[order], need_alt[order], need_mode[order],
                         res.home[r], res.work[r], res.shop[r], flags], axis=1)
    assert rows.dtype == np.int32
    np.testing.assert_array_equal(rows, expected)


def test_the_week_table_follows_the_sites():
    """Travel lists reused week after week: a site that moves is read at its new commune."""
    from softsim.territory.travel import Travel

    rng = np.random.default_rng(3)
    nc, n = 12, 400
    dense = rng.integers(0, 80, (2, nc, nc)).astype(np.float32)
    lists = Travel.dense(dense)  # one tuple, as a run's transport holds it
    res = _residents(*(rng.integers(0, nc, 50) for _ in range(3)),
                     *(rng.random(50) < 0.3 for _ in range(3)))
    needs = dict(order=rng.permutation(n), need_resident=rng.integers(0, 50, n).astype(np.int32),
                 need_type=np.zeros(n, np.int8), need_alt_type=np.full(n, -1, np.int8),
                 need_mode=rng.integers(0, 2, n).astype(np.int8), digital_ok=np.zeros(n, bool),
                 residents=res, site_slots=np.full(3, ALL_SLOTS, np.int8),
                 site_reach=np.full(3, np.inf, np.float32), type_ptr=np.array([0, 3]),
                 type_sites=np.arange(3, dtype=np.int32), tolerance=np.array([40.0], np.float32),
                 dependent_factor=0.5, digital_effort=10.0, work_break_min=5.0)
    kept = WeekTables()  # one run's tables, reused week after week
    for communes, sorted_lists in (([0, 1, 2], True), ([0, 1, 2], False), ([5, 1, 9], True),
                                   ([5, 1, 9], False), ([0, 1, 2], False), ([0, 1, 2], True)):
        site_commune = np.array(communes, np.int32)
        got = allocate(**needs, minutes=lists, site_commune=site_commune,
                       remaining=np.full(3, 60, np.int64), lists=sorted_lists, tables=kept)
        fresh = allocate(**needs, minutes=dense, site_commune=site_commune,
                         remaining=np.full(3, 60, np.int64), lists=False)
        for a, b in zip(got, fresh, strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("seed", range(8))
def test_option_lists_match_numpy(seed):
    """Each (mode, commune, type list, class): its entries within the bound, nearest first."""
    from softsim.allocation import _nearest_first, _option_lists

    rng = np.random.default_rng(seed)
    n_modes, nc, n_sites, n_types = 3, 9, 14, 4
    # travel lists: some pairs not stored, many equal minutes (between communes too)
    stored = rng.random((nc, nc)) < 0.8
    ptr = np.concatenate([[0], np.cumsum(stored.sum(axis=1))]).astype(np.int64)
    idx = np.nonzero(stored)[1].astype(np.int32)
    values = rng.integers(0, 12, (n_modes, len(idx))).astype(np.float32) * 5
    table = np.full((n_modes, nc, nc), np.inf, np.float32)  # minutes between communes
    table[:, *np.nonzero(stored)] = values
    site_commune = rng.integers(0, nc, n_sites)  # several sites in a commune
    table = table[:, :, site_commune]  # minutes from each commune to each site
    offers = rng.random((n_sites, n_types)) < 0.5
    type_sites = np.concatenate([np.flatnonzero(offers[:, k]) for k in range(n_types)])
    type_ptr = np.concatenate([[0], np.cumsum(offers.sum(axis=0))]).astype(np.int64)
    off_work = rng.random(n_sites) < 0.5
    bound = 40.0
    near = _nearest_first(ptr, idx, values, bound)
    ptr, entry, minutes = _option_lists(*near, nc, site_commune, type_ptr,
                                        type_sites.astype(np.int64), off_work)
    j = 0
    for m in range(n_modes):
        for c in range(nc):
            for k in range(n_types):
                for cls in (0, 1):
                    p = np.arange(type_ptr[k], type_ptr[k + 1])
                    t = table[m, c, type_sites[p]]
                    keep = (t <= bound) & (off_work[type_sites[p]] == (cls == 0))
                    p, t = p[keep], t[keep]
                    by = np.lexsort((p, t))
                    np.testing.assert_array_equal(entry[ptr[j]:ptr[j + 1]], p[by])
                    np.testing.assert_array_equal(minutes[ptr[j]:ptr[j + 1]], t[by])
                    j += 1
    assert j == len(ptr) - 1
