"""Cross-checks of the network levers: reception levels, site quality, pooled back office.

They name site groups and service types of the same config, so they are checked once the
whole config is read (one line naming the field, before any work).
"""

from __future__ import annotations

__all__ = ["check_network", "first_level_types"]


def first_level_types(cfg) -> list[str]:
    """The types first-level sites receive: ``reception.types``, else every type they offer."""
    r = cfg.reception
    if r.types:
        return list(r.types)
    offered = [t for g in r.first_level if g in cfg.sites for t in cfg.sites[g].types]
    return list(dict.fromkeys(offered))


def check_network(cfg) -> None:
    """Raise ValueError (one line, naming the field) if the network levers do not fit."""
    groups = list(cfg.sites)
    named = [
        ("reception.first_level", cfg.reception.first_level),
        ("reception.second_level", cfg.reception.second_level),
        ("site_quality.groups", cfg.site_quality.groups),
        ("back_office.pooled", cfg.back_office.pooled),
    ]
    for field_name, names in named:
        for g in names:
            if g not in cfg.sites:
                raise ValueError(
                    f"{field_name}: unknown site group {g!r} (expected one of {', '.join(groups)})"
                )
    r = cfg.reception
    for field_name, types in (("reception.types", r.types),
                              ("reception.resolve_share", list(r.resolve_share))):
        for t in types:
            if t not in cfg.services:
                raise ValueError(
                    f"{field_name}: unknown service type {t!r} "
                    f"(expected one of {', '.join(cfg.services)})"
                )
    both = set(r.first_level) & set(r.second_level)
    if both:
        raise ValueError(
            f"reception.second_level: {sorted(both)[0]!r} is also first-level "
            "(expected distinct groups)"
        )
    if not r.first_level:
        return
    for t in first_level_types(cfg):
        if not any(t in cfg.sites[g].types for g in r.first_level):
            raise ValueError(
                f"reception.types: no first-level group offers {t!r} "
                f"(expected a type of {', '.join(r.first_level)})"
            )
        if not any(t in cfg.sites[g].types for g in r.second_level):
            raise ValueError(
                f"reception.second_level: no group offers {t!r}, which first-level sites "
                "orient (expected a second-level group offering it)"
            )
