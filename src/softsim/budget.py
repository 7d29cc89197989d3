"""Governance and budget: postures split a budget that is never exceeded.

With ``budget.per_1000_per_week`` set, the weekly budget is that amount per 1,000 residents,
times the future's trend ``(1 + budget_trend_per_year)^(week/52)`` and any budget-cut shock.
The postures split it:

* **faire** (public provision) pays the running costs of fixed sites, pop-up modules, mobile
  agents, buses, demand-responsive transport and information spending. When the envelope
  (less the orchestrator's ``reconfiguration_share``) is below their planned cost, all of them
  run at the *funding factor* ``envelope / planned`` (capacity, hours, trips and spending scale
  down together). The reconfiguration share accumulates in a reserve the orchestrator draws on.
* **faire faire** (delegation) buys delegated capacity at ``delegation_efficiency`` contacts per
  contact paid.
* **faire avec** (co-production) co-funds associations: ``cofunding = cofunding_effect × (€ per
  association per week) / 100``.
* **inciter** (calls for projects): ``incentives = incentive_effect × (€ per 1,000 residents per
  week) / 10``.
* **laisser faire**: unspent.

Without ``per_1000_per_week`` nothing is capped (funding factor 1, unlimited reserve): costs are
reported only, as for the rigid baseline.
"""

from __future__ import annotations

from softsim.config import BudgetConfig

__all__ = ["Budget"]


class Budget:
    """The weekly budget and its envelopes.

    Args:
        cfg: Budget parameters.
        residents: Number of simulated residents.
        reconfiguration_share: Share of *faire* kept for reconfiguration.
    """

    def __init__(self, cfg: BudgetConfig, residents: int, reconfiguration_share: float) -> None:
        self.cfg = cfg
        self.residents = residents
        self.reconfiguration_share = reconfiguration_share
        self.capped = cfg.per_1000_per_week is not None
        self.multiplier = 1.0  # trends and cuts
        self.reserve = 0.0 if self.capped else float("inf")
        self.available_total = 0.0

    def weekly(self) -> float:
        """This week's budget (inf when uncapped)."""
        if not self.capped:
            return float("inf")
        return self.cfg.per_1000_per_week * self.residents / 1000.0 * self.multiplier

    def envelope(self, posture: str) -> float:
        """This week's money for one posture."""
        return self.weekly() * getattr(self.cfg, posture) if self.capped else 0.0

    def funding_factor(self, planned_faire: float) -> float:
        """Share of planned public provision the faire envelope pays for this week."""
        if not self.capped or planned_faire <= 0:
            return 1.0
        running = self.envelope("faire") * (1.0 - self.reconfiguration_share)
        return min(1.0, running / planned_faire)

    def start_week(self) -> None:
        """Credit this week's reconfiguration share to the reserve."""
        if self.capped:
            self.reserve += self.envelope("faire") * self.reconfiguration_share
            self.available_total += self.weekly()

    def spend_reserve(self, amount: float) -> None:
        """Pay a reconfiguration from the reserve (never below zero)."""
        if amount > self.reserve + 1e-9:
            raise ValueError("reconfiguration spending above the reserve")
        self.reserve -= amount

    def cofunding(self, n_associations: int) -> float:
        """Relative boost of associations from co-funding this week."""
        if not self.capped or n_associations == 0:
            return 0.0
        per = self.envelope("faire_avec") / n_associations
        return self.cfg.cofunding_effect * per / 100.0

    def incentives(self) -> float:
        """Relative boost of association emergence from calls for projects this week."""
        if not self.capped:
            return 0.0
        per_1000 = self.envelope("inciter") / max(self.residents / 1000.0, 1e-9)
        return self.cfg.incentive_effect * per_1000 / 10.0

    def transfers(self, delegating: bool, co_producing: bool) -> float:
        """Money passed this week to other postures, each only if someone receives it.

        Delegates receive *faire faire*; associations receive *faire avec* and *inciter*.
        """
        out = self.envelope("faire_faire") if delegating else 0.0
        if co_producing:
            out += self.envelope("faire_avec") + self.envelope("inciter")
        return out

    def delegated_capacity(self) -> float:
        """Contacts per week the delegation envelope buys."""
        if not self.capped:
            return 0.0
        return (
            self.envelope("faire_faire")
            * self.cfg.delegation_efficiency
            / self.cfg.delegated_cost_per_capacity
        )
