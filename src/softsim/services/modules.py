"""Pop-up modules: modular capacity on the commune network that can move, re-type and re-time.

A module is a Mesa ``CellAgent``. Reconfiguring it (another commune, other types, other slots)
takes ``move_weeks`` (or ``retype_weeks`` when it stays put) during which it serves nobody, and
costs ``move_cost`` (or ``retype_cost``). Where and how to reconfigure is the orchestrator's call.
"""

from __future__ import annotations

from mesa.discrete_space import CellAgent

__all__ = ["PopUpModule"]


class PopUpModule(CellAgent):
    """One pop-up module.

    Attributes:
        commune: Index of the commune it stands in (its cell).
        types: Service type ids it offers.
        slots: Opening slot mask.
        nominal_capacity: Contacts per week when open and fully funded.
        transit_weeks: Weeks left before it opens again (0 = open).
        weekly_cost: Running cost per week (paid in transit too: staff and lease run on).
    """

    def __init__(
        self, model, cell, types: list[int], slots: int, capacity: int, weekly_cost: float
    ) -> None:
        super().__init__(model)
        self.cell = cell
        self.types = sorted(types)
        self.slots = slots
        self.nominal_capacity = capacity
        self.transit_weeks = 0
        self.weekly_cost = weekly_cost
        self.moves = 0
        self.retypes = 0

    @property
    def commune(self) -> int:
        """Index of the module's commune."""
        return int(self.cell.coordinate)

    @property
    def in_transit(self) -> bool:
        """True while the module is being moved or reconfigured."""
        return self.transit_weeks > 0

    def capacity_now(self, factor: float = 1.0) -> int:
        """Contacts it can take this week (0 in transit), scaled by the funding factor."""
        return 0 if self.in_transit else int(self.nominal_capacity * factor)

    def reconfigure(
        self, cell, types: list[int], slots: int, move_weeks: int, retype_weeks: int
    ) -> str | None:
        """Move and/or re-type/re-time; returns ``"move"``, ``"retype"`` or None if unchanged."""
        types = sorted(types)
        if cell is not self.cell:
            self.cell = cell
            self.types, self.slots = types, slots
            self.transit_weeks = move_weeks
            self.moves += 1
            return "move"
        if types != self.types or slots != self.slots:
            self.types, self.slots = types, slots
            self.transit_weeks = retype_weeks
            self.retypes += 1
            return "retype"
        return None

    def tick(self) -> None:
        """One week passes (transit counts down)."""
        if self.transit_weeks > 0:
            self.transit_weeks -= 1
