"""The config as the model uses it when only a fraction of the inhabitants is simulated."""

from softsim.config.sections import Config

__all__ = ["scale_actors", "scale_caveat"]


def scale_actors(cfg: Config) -> Config:
    """The config as the model uses it at ``population.scale`` < 1.

    Scaling samples residents; everything counted per 1,000 residents (site capacity, budget,
    transport, information) follows by itself, but the discrete actors do not. So their
    capacity and cost are scaled by the same fraction: site (and delegated site) fixed costs,
    a pooled back office's fixed cost, module capacity (at least 1) and costs, mobile-agent
    hours, bus places per stop (at least 1) and bus costs.
    The result is not the user's config (outputs record that one).

    Args:
        cfg: The config as given.

    Returns:
        ``cfg`` itself at scale 1, else a scaled copy.
    """
    s = cfg.population.scale
    if s == 1.0:
        return cfg
    out = cfg.model_copy(deep=True)
    for group in out.sites.values():
        group.fixed_cost_per_week *= s
    out.budget.delegated_fixed_cost_per_week *= s
    out.back_office.fixed_cost_per_week *= s
    m = out.modules
    m.capacity = max(1, round(m.capacity * s))
    m.fixed_cost_per_week *= s
    m.move_cost *= s
    m.retype_cost *= s
    out.mobile.hours_per_week *= s
    out.bus.users_per_stop = max(1, round(out.bus.users_per_stop * s))
    out.bus.cost_per_week *= s
    out.bus.cost_per_km *= s
    return out


def scale_caveat(scale: float) -> str | None:
    """What a report on runs at ``population.scale`` < 1 must say (None at scale 1).

    Three whole numbers do not follow the scale (docs/odd.md §2.8,
    ``experiments/scale_rounding.py``), so a report at a small scale is a quick check.
    """
    if scale >= 1.0:
        return None
    return (
        f"Population scale {scale:g}: the model's whole numbers do not follow the scale "
        "(fixed sites' funded capacity is rounded down, a bus stop keeps at least one place, "
        "associations are not scaled; docs/odd.md §2.8), and at a few thousand residents they "
        "change each channel's capacity per resident several-fold. Read this as a quick check; "
        "use scale 1 for results."
    )
