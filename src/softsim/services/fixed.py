"""Fixed sites: counters at a commune, with service types, weekly capacity, slots and cost."""

from __future__ import annotations

from mesa.discrete_space import FixedAgent

__all__ = ["FixedSite"]


class FixedSite(FixedAgent):
    """A counter that stays where it is built (CAF office, employment agency, town services…).

    Attributes:
        group: Name of the site group of the config it comes from.
        commune: Index of its commune (the Mesa cell it stands in).
        types: Service type ids it offers.
        capacity: Contacts it can handle per week (all its types together).
        slots: Opening slot mask.
        weekly_cost: Running cost per week (fixed part + cost of the capacity).
        quality: Its quality by local dynamism (1 unless ``site_quality`` spreads it).
    """

    def __init__(
        self,
        model,
        cell,
        group: str,
        types: list[int],
        capacity: int,
        slots: int,
        weekly_cost: float,
    ) -> None:
        super().__init__(model)
        self.cell = cell
        self.group = group
        self.commune = int(cell.coordinate)
        self.types = types
        self.capacity = capacity
        self.slots = slots
        self.weekly_cost = weekly_cost
        self.quality = 1.0
