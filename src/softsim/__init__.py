"""softsim: an agent-based simulator of a soft territory.

Under each scenario, who gets served, who does not, and at what cost. The pure entry points are
:func:`softsim.run`, ``run(config, seed) -> Outcomes``, and :func:`softsim.compare`,
``compare(scenarios, replicates=…) -> Comparison``. Neither writes a file
(:mod:`softsim.store` does).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("softsim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["Comparison", "Outcomes", "compare", "run", "__version__"]


def __getattr__(name: str):
    # Lazy, so that `softsim.config` or the CLI's --help do not load numba and mesa.
    if name in ("run", "Outcomes"):
        from softsim import engine

        return getattr(engine, name)
    if name in ("compare", "Comparison"):
        from softsim import comparison

        return getattr(comparison, name)
    raise AttributeError(name)
