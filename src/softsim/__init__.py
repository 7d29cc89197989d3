"""softsim: an agent-based simulator of a soft territory.

Under each scenario, who gets served, who does not, and at what cost. The pure entry points are
:func:`softsim.run`, ``run(config, seed) -> Outcomes``, and :func:`softsim.compare`,
``compare(scenarios, replicates=…) -> Comparison``. Neither writes a file
(:mod:`softsim.store` does).
"""

__all__ = ["Comparison", "Outcomes", "compare", "run", "__version__"]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("softsim")
    except PackageNotFoundError:  # running from a source tree without installation
        return "0.0.0+unknown"


def __getattr__(name: str):
    # Lazy, so that `softsim.config` or the CLI's --help do not load numba and mesa, nor
    # importlib.metadata (slow to import) for the version.
    if name == "__version__":
        globals()["__version__"] = value = _version()
        return value
    if name in ("run", "Outcomes"):
        from softsim import engine

        return getattr(engine, name)
    if name in ("compare", "Comparison"):
        from softsim import comparison

        return getattr(comparison, name)
    raise AttributeError(name)
