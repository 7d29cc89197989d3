"""Service types of a run: ids by name and their per-type parameters as arrays.

Type ``k`` is the ``k``-th entry of ``[services]`` in the config; every array below is indexed
by it. Looking up a name that the config does not define is an error, never a fallback.
"""

from __future__ import annotations

import numpy as np

from softsim.config import Config
from softsim.errors import ConfigError

__all__ = ["ServiceTypes"]


class ServiceTypes:
    """The service types of a config.

    Attributes:
        names: Type names, in id order.
        tolerance: Minutes a resident travels at most, per type.
        patience: Weeks a need waits before it is abandoned, per type.
        home_visit: Whether mobile agents serve the type at home.
        weight: Priority weight of each type (``priorities.types``, 1 by default).
    """

    def __init__(self, cfg: Config) -> None:
        self.names: tuple[str, ...] = tuple(cfg.service_names)
        self._ids = {name: k for k, name in enumerate(self.names)}
        services = list(cfg.services.values())
        self.tolerance = np.array([s.tolerance_min for s in services], np.float32)
        self.patience = np.array([s.patience_weeks for s in services], np.int32)
        self.home_visit = np.array([s.home_visit for s in services], bool)
        self.weight = np.array([cfg.priorities.types.get(n, 1.0) for n in self.names])

    def __len__(self) -> int:
        return len(self.names)

    def id(self, name: str, needed_by: str = "a service type") -> int:
        """The id of type ``name``.

        Raises:
            ConfigError: The config has no such service type.
        """
        try:
            return self._ids[name]
        except KeyError:
            raise ConfigError(
                f"{needed_by}: service type {name!r} is not among services "
                f"({', '.join(self.names)})"
            ) from None

    def ids(self, names: list[str], needed_by: str = "a service type") -> list[int]:
        """Ids of several types, sorted."""
        return sorted(self.id(n, needed_by) for n in names)
