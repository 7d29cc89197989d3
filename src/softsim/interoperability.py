"""Information ramp-up: spending builds an interoperability level instead of acting at once.

The method warns that "full interoperability between data producers will probably take longer
than the scheme's 6 years". Information spending therefore acts through a level ``L`` in
[0, 1] that it builds over time: each week adds ``f / (Y × weeks_per_year)``, where ``f`` is
the week's funding factor of information spending (1 at full funding, 0 without spending) and
``Y = information.years_to_full_effect``; ``L`` is capped at 1. The spending's effect on
awareness is the week's spending times ``L`` (after this week's addition), so ``Y`` years of
full funding reach the full effect and a cut stops the build-up (the level reached is kept:
the data links built do not vanish). ``Y = 0`` (the default) makes ``L = 1`` at once: today's
behaviour exactly.
"""

from __future__ import annotations

__all__ = ["Interoperability"]


class Interoperability:
    """The interoperability level built by information spending (see the module docstring).

    Args:
        years_to_full_effect: Years of full funding to reach the full effect (0: immediate).
        weeks_per_year: Weeks in a year.
    """

    def __init__(self, years_to_full_effect: float, weeks_per_year: int) -> None:
        self.step = (
            1.0 / (years_to_full_effect * weeks_per_year) if years_to_full_effect > 0 else None
        )
        self.level = 1.0 if self.step is None else 0.0

    def build(self, funded: float) -> float:
        """Add one week of spending at funding factor ``funded``; return the level now."""
        if self.step is not None and funded > 0:
            self.level = min(1.0, self.level + self.step * funded)
        return self.level
