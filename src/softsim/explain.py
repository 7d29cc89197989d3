"""What a scenario, a mechanism or a metric is, in a few lines, for ``softsim explain``.

The words come from one source, the page's texts (``texts/fr.toml`` and ``en.toml``): the
``scenario.*`` and ``mechanism.*`` paragraphs that the workshop page shows and docs/workshop.md
quotes, and one ``metric.*`` entry per metric of :data:`softsim.metric_registry.METRICS`
(label, how it is computed, its source: a section of docs/metrics.md). This module only adds
where each mechanism acts in the week (:data:`PHASE_MECHANISMS`, checked against
:data:`softsim.schedule.SCHEDULE`) and which sections of docs/odd.md detail it.
"""

from __future__ import annotations

import difflib

from softsim.config import list_scenarios
from softsim.errors import SoftsimError
from softsim.metric_registry import METRICS
from softsim.schedule import SCHEDULE
from softsim.texts import DEFAULT_LANG, flat

__all__ = [
    "KINDS",
    "AFTER_RUN",
    "MECHANISM_SOURCES",
    "OTHER_PHASES",
    "PHASE_MECHANISMS",
    "explain",
    "explainable",
    "listing",
    "mechanism_names",
]

KINDS: tuple[str, ...] = ("scenario", "mechanism", "metric")
"""What can be explained, in the order ``softsim explain`` lists them."""

PHASE_MECHANISMS: dict[str, tuple[str, ...]] = {
    "edits": ("edits",),
    "futures": ("futures", "budget", "digital", "mobile", "back_office", "co2_cap"),
    "needs": ("needs", "rampup"),
    "options": ("digital", "transport", "exclusion"),
    "allocate": ("allocation", "reception", "site_quality", "accessibility"),
    "mobile": ("mobile",),
    "outcomes": ("allocation", "needs", "digital", "reception", "site_quality"),
    "adapt": ("associations", "modules", "accessibility", "co2_cap", "durability",
              "transfer_kits", "missions"),
    "record": (),
}
"""The mechanisms at work in each phase of :data:`~softsim.schedule.SCHEDULE` (docs/odd.md §3):
budget, rollout and the back office's cost in ``futures``, bus stops chosen there too (within
the CO₂ allowance); orientation, skills gained by mediation and abandonment in ``outcomes``;
the site quality drawn at initialisation acts through capacity (``allocate``) and resolution
(``outcomes``). One phase is no mechanism of the model (:data:`OTHER_PHASES`), and objectives
act in no phase (:data:`AFTER_RUN`)."""

OTHER_PHASES: dict[str, str] = {
    "record": "writes the week's counters into the series",
}
"""Phases that carry out bookkeeping rather than a mechanism of the model."""

AFTER_RUN: tuple[str, ...] = ("objectives",)
"""Mechanisms judged once the run is over, in no phase of the week: they never act on it."""

MECHANISM_SOURCES: dict[str, str] = {
    "needs": "docs/odd.md §7.1, §7.2",
    "allocation": "docs/odd.md §7.7, §7.15, §7.17",
    "digital": "docs/odd.md §7.3, §7.4, §7.5",
    "modules": "docs/odd.md §7.8, §7.9",
    "mobile": "docs/odd.md §7.10, §7.11",
    "associations": "docs/odd.md §7.12",
    "transport": "docs/odd.md §7.6",
    "budget": "docs/odd.md §7.13",
    "futures": "docs/odd.md §7.16, §7.18",
    "reception": "docs/odd.md §7.20",
    "site_quality": "docs/odd.md §7.21",
    "back_office": "docs/odd.md §7.22, §7.13",
    "edits": "docs/odd.md §3; docs/workshop.md",
    "objectives": "docs/odd.md §7.17; docs/metrics.md §14",
    "accessibility": "docs/odd.md §7.15",
    "rampup": "docs/odd.md §7.2",
    "co2_cap": "docs/odd.md §7.9, §7.11",
    "durability": "docs/odd.md §7.12",
    "transfer_kits": "docs/odd.md §7.12",
    "missions": "docs/odd.md §7.12",
    "exclusion": "docs/odd.md §7.3, §5.2",
}
"""Where docs/odd.md details each mechanism of the texts' ``mechanism.*`` paragraphs."""


def mechanism_names(lang: str = DEFAULT_LANG) -> list[str]:
    """The mechanisms of the texts, in file order."""
    return list(dict.fromkeys(k.split(".")[1] for k in flat(lang) if k.startswith("mechanism.")))


def explainable() -> dict[str, list[str]]:
    """What can be explained: kind -> names (bundled scenarios, mechanisms, metrics)."""
    return {
        "scenario": list(list_scenarios()),
        "mechanism": mechanism_names(),
        "metric": [m.key for m in METRICS],
    }


def listing(lang: str = DEFAULT_LANG) -> str:
    """Everything ``softsim explain`` can explain, grouped by kind, with titles or labels."""
    t = flat(lang)
    names = explainable()
    lines: list[str] = []
    for kind, field in (("scenario", "title"), ("mechanism", "title"), ("metric", "label")):
        lines.append(f"{t[f'explain.{kind}s']}:")
        width = max(len(n) for n in names[kind])
        lines += [f"  {n:<{width}}  {t.get(f'{kind}.{n}.{field}', '')}" for n in names[kind]]
        lines.append("")
    lines.append(t["explain.more"])
    return "\n".join(lines)


def explain(name: str, lang: str = DEFAULT_LANG) -> str:
    """A short explanation of a scenario, mechanism or metric, in ``lang``.

    ``name`` may be qualified (``mechanism:digital``, ``metric.gini``); a bare name that is
    both a scenario and a mechanism (``digital``) explains both.

    Raises:
        SoftsimError: ``name`` is none of :func:`explainable`, with the closest names.
        ValueError: ``lang`` is not a language of the texts.
    """
    t = flat(lang)
    names = explainable()
    kind, _, bare = name.replace(":", ".", 1).partition(".")
    if bare and kind in KINDS:
        found = [(kind, bare)] if bare in names[kind] else []
    else:
        found = [(k, name) for k in KINDS if name in names[k]]
    if not found:
        everything = list(dict.fromkeys(n for k in KINDS for n in names[k]))
        close = difflib.get_close_matches(bare or name, everything, n=4, cutoff=0.5)
        hint = f"did you mean: {', '.join(close)}? " if close else ""
        raise SoftsimError(
            f"explain: unknown scenario, mechanism or metric {name!r} ({hint}"
            "`softsim explain` lists them)"
        )
    return "\n\n".join(_explain_one(t, k, n) for k, n in found)


def _explain_one(t: dict[str, str], kind: str, name: str) -> str:
    head = f"{name} ({t[f'explain.{kind}']})"
    if kind == "metric":
        return "\n".join([
            f"{head}: {t[f'metric.{name}.label']}",
            t[f"metric.{name}.how"],
            f"{t['explain.source']}: {t[f'metric.{name}.source']}",
        ])
    lines = [f"{head}: {t[f'{kind}.{name}.title']}", t[f"{kind}.{name}.idea"]]
    if kind == "scenario":
        lines.append(f"{t['explain.levers']}: configs/scenarios/{name}.toml "
                     f"(softsim run {name} --plan)")
        lines.append(f"{t['explain.source']}: docs/scenarios.md")
    else:
        phases = [p.name for p in SCHEDULE if name in PHASE_MECHANISMS.get(p.name, ())]
        if name in AFTER_RUN:
            lines.append(f"{t['explain.phases']}: {t['explain.after_run']}")
        else:
            lines.append(f"{t['explain.phases']}: {', '.join(phases)} (softsim run hard --plan)")
        lines.append(f"{t['explain.source']}: {MECHANISM_SOURCES[name]}")
    return "\n".join(lines)
