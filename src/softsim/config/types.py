"""Shared vocabularies and the annotated number types of the config sections.

Every number of a config is finite and bounded on both sides: the helpers below make the
bounds part of the field's type, so that each section states its plausible range next to the
field (and ``docs/parameters.md`` lists them).
"""

from typing import Annotated, Any, Literal

from pydantic import Field

__all__ = [
    "AGE_BANDS",
    "SLOTS",
    "CLASSES",
    "MAX_NEEDS_PER_YEAR",
    "SlotName",
    "Share",
    "Weeks",
    "Real",
    "Count",
    "PerBand",
    "SharePerBand",
    "Name",
    "TypeList",
]

AGE_BANDS: tuple[str, ...] = ("0-14", "15-29", "30-44", "45-59", "60-74", "75+")
"""Age bands of residents; every per-band list in the config follows this order."""

SLOTS: tuple[str, ...] = ("weekday", "evening", "saturday")
"""Time slots of the week (bit i of a slot mask is ``SLOTS[i]``)."""

CLASSES: tuple[str, ...] = ("pole", "bourg", "village")
"""Commune classes, from the population thresholds of the territory section."""

MAX_NEEDS_PER_YEAR = 52.0
"""Most latent needs a resident may have per year, all types together (one a week).

It bounds ``services.<type>.rate_per_year`` (summed over types, grown by the future's
``need_growth_per_year`` over the horizon), so that no run takes minutes: the defaults give at
most 1.45 a year.
"""

SlotName = Literal["weekday", "evening", "saturday"]


def Real(ge: float | None = None, le: float | None = None, *, gt: float | None = None) -> Any:
    """A finite float in ``[ge, le]`` (or ``(gt, le]``); an int is accepted and converted."""
    return Annotated[float, Field(ge=ge, gt=gt, le=le)]


def Count(ge: int, le: int) -> Any:
    """An int in ``[ge, le]`` (a float, a bool or a string is refused)."""
    return Annotated[int, Field(ge=ge, le=le)]


Share = Annotated[float, Field(ge=0.0, le=1.0)]
"""A probability or a share, in [0, 1]."""

Weeks = Annotated[int, Field(ge=0, le=1560)]
"""A number of weeks, at most 30 years."""

PerBand = Annotated[
    list[Annotated[float, Field(ge=0.0, le=MAX_NEEDS_PER_YEAR)]], Field(min_length=6, max_length=6)
]
"""A yearly rate for each age band of :data:`AGE_BANDS`, in [0, 52]."""

SharePerBand = Annotated[list[Share], Field(min_length=6, max_length=6)]
"""A share for each age band of :data:`AGE_BANDS`."""

Name = Annotated[str, Field(min_length=1, max_length=64)]
"""The name of a service type, a site group or a future."""

TypeList = Annotated[list[Name], Field(max_length=16)]
"""Service type names (each must be a key of ``services``)."""
