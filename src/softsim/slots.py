"""Time slots of the week: names, bit masks and the two slot classes.

A slot mask is an int whose bit ``i`` is ``SLOTS[i]``. Workers are free in every slot but
weekday daytime (except near their workplace), which is why the orchestrator reads demand by
*slot class*: weekday daytime, or off-work hours (evenings and Saturday).
"""

from __future__ import annotations

__all__ = [
    "SLOTS",
    "SLOT_WEEKDAY",
    "SLOT_EVENING",
    "SLOT_SATURDAY",
    "SLOT_ALL",
    "SLOT_OFF_WORK",
    "SLOT_CLASSES",
    "slot_class",
    "slot_mask",
]

SLOTS: tuple[str, ...] = ("weekday", "evening", "saturday")
"""Time slots of the week (bit i of a slot mask is ``SLOTS[i]``)."""

SLOT_WEEKDAY = 0b001
SLOT_EVENING = 0b010
SLOT_SATURDAY = 0b100
SLOT_ALL = SLOT_WEEKDAY | SLOT_EVENING | SLOT_SATURDAY
SLOT_OFF_WORK = SLOT_ALL & ~SLOT_WEEKDAY

SLOT_CLASSES: tuple[int, int] = (SLOT_WEEKDAY, SLOT_OFF_WORK)
"""Slot masks of the two slot classes: weekday daytime, and evenings + Saturday."""


def slot_mask(slots: list[str]) -> int:
    """Bit mask of named slots (bit i is ``SLOTS[i]``)."""
    return sum(1 << SLOTS.index(s) for s in set(slots))


def slot_class(mask: int) -> int:
    """The slot class mask a configured slot mask falls in (weekday if it opens then)."""
    return SLOT_CLASSES[0] if mask & SLOT_WEEKDAY else SLOT_CLASSES[1]
