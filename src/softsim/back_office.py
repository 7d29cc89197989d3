"""A back office shared by pooled sites: a cost curve with economies of scale.

A standalone site carries its own back office (case files, instruction, supervision): the
share ``back_office.share`` of its capacity cost, so ``share × c`` per weekly contact of
capacity, whatever the volume. The sites of the ``pooled`` groups share one back office whose
weekly cost is

    B(V) = F + (1 − g) × share × c × V

for the pooled volume ``V`` (weekly contacts of capacity of those sites, ``c`` their cost per
contact), with ``F = fixed_cost_per_week`` and ``g = marginal_saving``. Its cost per contact
``F / V + (1 − g) × share × c`` falls with the pooled volume; it is below the standalone
``share × c`` once ``V > F / (g × share × c)`` (the break-even volume). The sites' running cost
(:meth:`softsim.costs.CostModel.site_running`) carries the difference ``B(V) − share × c × V``,
which is negative above the break-even volume: at equal money, the budget then buys the sites
more capacity (``site_factor``).
"""

from __future__ import annotations

from collections.abc import Sequence

from softsim.config.sections import BackOfficeConfig

__all__ = ["back_office_difference", "break_even_volume", "cost_per_contact"]


def cost_per_contact(volume: float, cost_per_capacity: float, cfg: BackOfficeConfig,
                     pooled: bool) -> float:
    """Back-office cost per weekly contact of capacity, pooled at ``volume`` or standalone."""
    standalone = cfg.share * cost_per_capacity
    if not pooled:
        return standalone
    return cfg.fixed_cost_per_week / volume + (1.0 - cfg.marginal_saving) * standalone


def break_even_volume(cost_per_capacity: float, cfg: BackOfficeConfig) -> float:
    """Pooled volume (weekly contacts) above which pooling costs less than standalone."""
    saving = cfg.marginal_saving * cfg.share * cost_per_capacity
    return float("inf") if saving <= 0 else cfg.fixed_cost_per_week / saving


def back_office_difference(sites: Sequence, fixed_cost: dict[str, float],
                           cfg: BackOfficeConfig) -> float:
    """Weekly cost of the pooled back office less the standalone back offices it replaces.

    Args:
        sites: The fixed sites (``group`` and ``weekly_cost``: fixed part + capacity cost).
        fixed_cost: Each site group's fixed cost per site and week.
        cfg: The ``back_office`` section (``fixed_cost_per_week`` already scaled).

    Returns:
        0 without pooled sites; else ``F − g × share × (capacity cost of the pooled sites)``.
    """
    if not cfg.pooled:
        return 0.0
    pooled = [s for s in sites if s.group in cfg.pooled]
    if not pooled:
        return 0.0
    capacity_cost = sum(s.weekly_cost - fixed_cost[s.group] for s in pooled)
    return cfg.fixed_cost_per_week - cfg.marginal_saving * cfg.share * capacity_cost
