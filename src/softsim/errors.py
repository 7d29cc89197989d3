"""User-facing errors: the CLI prints their one-line message and exits with code 2."""

__all__ = ["SoftsimError", "ConfigError", "TerritoryError"]


class SoftsimError(Exception):
    """An error caused by the user's input (not a bug): reported in one line, no traceback."""


class ConfigError(SoftsimError):
    """A scenario file, a future or an override is invalid."""


class TerritoryError(SoftsimError):
    """A territory specification or a communes file is invalid."""
