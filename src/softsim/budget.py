"""Governance and budget: postures split a yearly envelope that is spent week by week.

With ``budget.per_1000_per_week`` set, the weekly budget is that amount per 1,000 residents,
times the future's trend ``(1 + budget_trend_per_year)^(week/52)`` and any budget-cut shock; a
year's envelope is the sum of its weeks' budgets, credited one week at a time. The postures
split it:

* **faire** (public provision) is credited each week to a *balance*. What is not spent is
  carried forward inside the year and lapses at its end (a voted yearly budget). Each week the
  week's credit (less the orchestrator's ``reconfiguration_share``, kept for it) plus the carry
  spread over the weeks left in the year is the week's *target*. Public provision (fixed sites,
  pop-up modules, mobile agents, buses, demand-responsive transport, information, rollout) runs
  at the *funding factor* ``min(1, target / expected, free balance / worst case)``: expected and
  worst-case cost come from :class:`softsim.costs.CostModel` (one formula), so the money spent
  never exceeds the balance. When the channel mix buys capacity (``budget.mix``), money the
  target leaves over at full funding buys fixed sites' capacity (the *site factor* above 1). The
  orchestrator draws on the same balance, up to what its share has accrued this year (its
  *reserve*); what it leaves is part of the carry, so it is not lost but spent on provision.
* **faire faire** (delegation) buys delegated capacity at ``delegation_efficiency`` contacts per
  contact paid.
* **faire avec** (co-production) co-funds associations: ``cofunding = cofunding_effect × (€ per
  association per week) / 100``.
* **inciter** (calls for projects): ``incentives = incentive_effect × (€ per 1,000 residents per
  week) / 10``.
* **laisser faire**: unspent.

Without ``per_1000_per_week`` nothing is capped (funding factor 1, unlimited balance): costs are
reported only, as for the rigid baseline.
"""

from __future__ import annotations

from softsim.config import BudgetConfig

__all__ = ["Budget"]


class Budget:
    """The weekly budget, its envelopes and the yearly *faire* balance.

    Args:
        cfg: Budget parameters.
        residents: Number of simulated residents.
        reconfiguration_share: Share of each week's *faire* credit kept for the orchestrator.
        weeks_per_year: Weeks of a budget year (the balance lapses at its end).
        buys_sites: Whether money left over at full funding buys fixed sites' capacity.
    """

    def __init__(
        self,
        cfg: BudgetConfig,
        residents: int,
        reconfiguration_share: float,
        weeks_per_year: int = 52,
        buys_sites: bool = False,
    ) -> None:
        self.cfg = cfg
        self.residents = residents
        self.reconfiguration_share = reconfiguration_share
        self.weeks_per_year = weeks_per_year
        self.buys_sites = buys_sites
        self.capped = cfg.per_1000_per_week is not None
        self.multiplier = 1.0  # trends and cuts
        self.balance = 0.0 if self.capped else float("inf")
        self.reconfiguration = 0.0 if self.capped else float("inf")
        self.carry = 0.0
        self.credit = 0.0
        self.weeks_left = weeks_per_year
        self.lapsed = 0.0
        self.available_total = 0.0
        self.spent_total = 0.0

    @property
    def reserve(self) -> float:
        """Money the orchestrator may spend now (inf when uncapped).

        What its share has accrued this year and it has not spent, within the balance.
        """
        return min(self.reconfiguration, self.balance)

    def weekly(self) -> float:
        """This week's budget (inf when uncapped)."""
        if not self.capped:
            return float("inf")
        return self.cfg.per_1000_per_week * self.residents / 1000.0 * self.multiplier

    def envelope(self, posture: str) -> float:
        """This week's money for one posture."""
        return self.weekly() * getattr(self.cfg, posture) if self.capped else 0.0

    def start_week(self, week: int = 0) -> None:
        """Credit this week's *faire* money to the balance (after a lapse at a year's start)."""
        if not self.capped:
            return
        if week > 0 and week % self.weeks_per_year == 0:
            self.lapsed += self.balance
            self.balance = self.reconfiguration = 0.0
        self.carry = self.balance
        self.credit = self.envelope("faire")
        self.balance += self.credit
        self.reconfiguration += self.credit * self.reconfiguration_share
        self.weeks_left = self.weeks_per_year - week % self.weeks_per_year
        self.available_total += self.weekly()

    def target(self) -> float:
        """What public provision aims to spend this week.

        The week's credit less the orchestrator's share, plus the carry spread over the weeks
        left in the year.
        """
        return self.credit * (1.0 - self.reconfiguration_share) + self.carry / self.weeks_left

    def plan(
        self, expected: float, worst: float, committed: float = 0.0, site_running: float = 0.0
    ) -> tuple[float, float]:
        """This week's funding factor and site factor.

        Args:
            expected: Public provision at full funding with the expected activity.
            worst: ... with the worst-case activity (an upper bound of what can be booked).
            committed: Money already committed that the week may book on top (booked-ride
                credit accrued in earlier weeks).
            site_running: Fixed sites' running cost at full funding (part of both).

        Returns:
            ``(factor, site_factor)``: every channel runs at ``factor``; fixed sites at
            ``site_factor`` (equal to it unless money left over at full funding buys sites'
            capacity). At these factors the worst case fits in the balance.
        """
        if not self.capped:
            return 1.0, 1.0
        target = self.target()
        free = max(0.0, self.balance - committed)
        factor = 1.0
        if expected > 0:
            factor = min(factor, target / expected)
        if worst > 0:
            factor = min(factor, free / worst)
        factor = max(0.0, factor)
        site_factor = factor
        if self.buys_sites and factor >= 1.0 and site_running > 1e-6:  # above a micro-euro
            spare = max(0.0, min(target - expected, free - worst))
            site_factor = 1.0 + spare / site_running
        return factor, site_factor

    def book(self, amount: float) -> None:
        """Pay public provision or a reconfiguration from the balance (never below zero)."""
        if not self.capped:
            self.spent_total += amount
            return
        if amount > self.balance + 1e-6 * max(1.0, self.credit):
            raise ValueError(f"spending {amount:.2f} above the balance {self.balance:.2f}")
        self.balance = max(0.0, self.balance - amount)
        self.spent_total += amount

    def spend_reserve(self, amount: float) -> None:
        """Pay a reconfiguration from the reserve (never below zero)."""
        if amount > self.reserve + 1e-6 * max(1.0, self.credit):
            raise ValueError(f"reconfiguration {amount:.2f} above the reserve {self.reserve:.2f}")
        self.book(amount)
        if self.capped:
            self.reconfiguration = max(0.0, self.reconfiguration - amount)

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

    def delegated_capacity(self, n_sites: int = 1) -> float:
        """Contacts per week the delegation envelope buys from ``n_sites`` delegated sites.

        Each delegated site costs ``delegated_fixed_cost_per_week`` first (a partner's
        premises and reception, like a public site's fixed cost); the rest buys contacts.
        """
        if not self.capped:
            return 0.0
        fixed = n_sites * self.cfg.delegated_fixed_cost_per_week
        return (
            max(0.0, self.envelope("faire_faire") - fixed)
            * self.cfg.delegation_efficiency
            / self.cfg.delegated_cost_per_capacity
        )
