"""The pure entry point: ``run(config, seed) -> Outcomes``. No global state, no file written."""

from __future__ import annotations

from collections.abc import Callable

from softsim.config import Config
from softsim.model import SoftTerritory
from softsim.outcomes import Outcomes, collect
from softsim.territory import Territory

__all__ = ["run", "Outcomes"]


def run(
    config: Config,
    seed: int,
    *,
    territory: Territory | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Outcomes:
    """Simulate one scenario for its whole horizon and return what it produced.

    Args:
        config: A validated config (see :func:`softsim.config.load_config`).
        seed: Root seed; the same seed and config give identical outcomes.
        territory: Optional prebuilt territory (it must match ``config.territory``).
        progress: Called as ``progress(week_done, weeks)`` after every week.

    Returns:
        The run's :class:`~softsim.outcomes.Outcomes`.
    """
    model = SoftTerritory(config, seed, territory=territory)
    weeks = config.weeks
    for _ in range(weeks):
        model.step()
        if progress is not None:
            progress(model.week, weeks)
    return collect(model)
