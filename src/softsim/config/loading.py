"""How scenario TOML files, ``extends`` chains and ``--set`` overrides become a :class:`Config`.

A scenario file is a partial config: it may ``extends = "<name or path>"`` another scenario and
only state what differs. ``extends`` is resolved when the file is read and never reaches the
config, so the resolved config (and its hash) does not depend on how it was assembled. Relative
paths are made absolute: a relative ``extends`` from the folder of the file naming it, a CSV
territory spec from the folder of the file naming it (or else the working folder), and a spec
given by an override from the working folder. Unknown keys, wrong types and out-of-range values
raise :class:`ConfigError` with one line that names the field.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import tomllib
from pathlib import Path

from pydantic import ValidationError

from softsim.config.sections import Config
from softsim.errors import ConfigError

__all__ = [
    "scenario_dir",
    "list_scenarios",
    "read_toml",
    "parse_override",
    "load_config",
    "with_seed",
    "resolve_seed",
    "config_to_dict",
    "config_sha256",
]

DEFAULT_SEED = 1
"""Root seed of a run when neither the command line nor the config gives one."""


def scenario_dir() -> Path:
    """Folder of the bundled scenario files."""
    return Path(__file__).parent.parent / "configs" / "scenarios"


def list_scenarios() -> dict[str, str]:
    """Bundled scenarios: name -> one-line description."""
    out = {}
    for path in sorted(scenario_dir().glob("*.toml")):
        desc = str(read_toml(path).get("description", "")).strip()
        out[path.stem] = desc.splitlines()[0] if desc else ""
    return out


def read_toml(path: Path) -> dict:
    """Read a TOML file (UTF-8) into a dict.

    Args:
        path: The file.

    Returns:
        Its tables and values.

    Raises:
        ConfigError: One line naming the file: missing, a folder, unreadable, not UTF-8 or not
            valid TOML.
    """
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, expected a TOML file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.start}), expected a UTF-8 TOML file"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({_one_line(str(exc))})") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"{path}: cannot be read ({reason})") from None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _resolve_path(name_or_path: str) -> Path:
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        return path
    candidate = scenario_dir() / f"{name_or_path}.toml"
    if not candidate.exists():
        known = ", ".join(sorted(p.stem for p in scenario_dir().glob("*.toml")))
        raise ConfigError(f"unknown scenario {name_or_path!r} (expected one of: {known})")
    return candidate


def _deep_merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _is_csv_path(spec: object) -> bool:
    return isinstance(spec, str) and spec.strip().endswith((".csv", ".csv.gz"))


def _absolute_spec(raw: dict, folder: Path | None) -> None:
    """Make a relative CSV territory spec absolute: from ``folder`` if it is there, else cwd."""
    territory = raw.get("territory")
    if not isinstance(territory, dict) or not _is_csv_path(territory.get("spec")):
        return
    spec = Path(territory["spec"].strip())
    if spec.is_absolute():
        return
    if folder is not None and (folder / spec).exists():
        spec = folder / spec
    territory["spec"] = os.path.abspath(spec)


def _raw_scenario(
    name_or_path: str, seen: tuple[Path, ...] = (), base_dir: Path | None = None
) -> dict:
    """A scenario file merged over its ``extends`` chain (parents first); its name is its own."""
    target = Path(name_or_path)
    if base_dir is not None and target.suffix == ".toml" and not target.is_absolute():
        target = base_dir / target
    path = _resolve_path(str(target))
    key = path.resolve()
    if key in seen:
        raise ConfigError(f"{path}: extends: cycle back to {path.name}")
    raw = read_toml(path)
    _absolute_spec(raw, path.parent)
    return _with_parents(raw, path.stem, str(path), (*seen, key), path.parent)


def _with_parents(raw: dict, default_name: str, source: str, seen: tuple[Path, ...],
                  folder: Path | None) -> dict:
    """``raw`` merged over its ``extends`` chain; ``source`` names it in errors."""
    own_name = raw.get("name", default_name)
    parent = raw.pop("extends", None)
    if parent is not None:
        if not isinstance(parent, str) or not parent.strip():
            raise ConfigError(f"{source}: extends: expected a scenario name or .toml path")
        raw = _deep_merge(_raw_scenario(parent, seen, folder), raw)
    raw["name"] = own_name
    return raw


def parse_override(text: str) -> tuple[list[str], object]:
    """Parse one ``section.key=value`` override; the value is read as TOML, else as a string.

    Args:
        text: The override, e.g. ``sites.town_services.count=8``.

    Returns:
        The key path and the value.

    Raises:
        ConfigError: The text is not ``section.key=value``.
    """
    if "=" not in text:
        raise ConfigError(f"--set {text!r}: expected section.key=value")
    key, value = text.split("=", 1)
    path = [p for p in key.strip().split(".") if p]
    if not path:
        raise ConfigError(f"--set {text!r}: expected section.key=value")
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()
    return path, parsed


def _apply_override(raw: dict, path: list[str], value: object) -> None:
    if path[0] == "extends":
        raise ConfigError(
            "--set extends: refused (a parent is named in a scenario file; "
            "run that scenario instead, with --set on top)"
        )
    node = raw
    for part in path[:-1]:
        nxt = node.setdefault(part, {})
        if not isinstance(nxt, dict):
            raise ConfigError(f"--set {'.'.join(path)}: {part!r} is not a section")
        node = nxt
    node[path[-1]] = value


def _format_validation_error(exc: ValidationError, source: str) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    if loc and not msg.startswith(loc):
        msg = f"{loc}: {msg}"
    more = f" (+{len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return _one_line(f"{source}: {msg}{more}")


def load_config(
    scenario: str | dict = "hard",
    overrides: list[str] | None = None,
    **sections: dict,
) -> Config:
    """Resolve a scenario (bundled name, TOML path or parsed TOML), apply overrides, validate.

    Args:
        scenario: Name of a bundled scenario, path of a TOML file, or the tables of a scenario
            file already read (e.g. uploaded to the page; it must have a ``name``, and its
            ``extends`` and territory paths are resolved from the working folder).
        overrides: ``section.key=value`` strings (the CLI's ``--set``), applied last.
            ``extends`` cannot be overridden.
        **sections: Extra partial sections merged after the file, e.g. ``territory={...}``.

    Returns:
        The validated config: no ``extends`` left, paths absolute.

    Raises:
        ConfigError: One line naming the offending file or field.
    """
    if "extends" in sections:
        raise ConfigError("extends: refused as a section (name the parent in a scenario file)")
    defaults = Config().model_dump(mode="json", exclude_none=True)
    for key in ("name", "description"):
        defaults.pop(key, None)
    # merged over the full defaults, so that a file or an override that sets one key of a
    # section keeps the section's other defaults
    if isinstance(scenario, dict):
        name = scenario.get("name")
        own = _with_parents(copy.deepcopy(scenario), name, f"scenario {name!r}", (), None)
        scenario = str(name)
    else:
        own = _raw_scenario(scenario)
    raw = _deep_merge(_deep_merge(defaults, own), sections)
    for text in overrides or []:
        path, value = parse_override(text)
        _apply_override(raw, path, value)
    _absolute_spec(raw, None)
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, f"config {scenario!r}")) from None


def with_seed(cfg: Config, seed: int) -> Config:
    """The config with ``simulation.seed`` set, as a result's ``config.toml`` records it.

    Args:
        cfg: A validated config.
        seed: The root seed of the run (non-negative).

    Returns:
        A copy of ``cfg`` (``cfg`` itself is not changed).

    Raises:
        ConfigError: The seed is not a non-negative 64-bit integer.
    """
    out = cfg.model_copy(deep=True)
    try:
        out.simulation.seed = seed
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, "--seed")) from None
    return out


def resolve_seed(cfg: Config, seed: int | None, default: int = DEFAULT_SEED) -> tuple[Config, int]:
    """The seed of a run and the config that records it.

    An explicit ``seed`` (the command line's ``--seed``) wins over ``simulation.seed`` of the
    config, which wins over ``default``.

    Args:
        cfg: A validated config.
        seed: The seed asked for explicitly, or None.
        default: The seed when neither gives one.

    Returns:
        ``(config with simulation.seed set, seed)``.
    """
    chosen = seed if seed is not None else cfg.simulation.seed
    chosen = default if chosen is None else chosen
    return with_seed(cfg, chosen), chosen


def config_to_dict(cfg: Config) -> dict:
    """Plain dict of a config (TOML/JSON-ready, no None values).

    Written as a result's ``config.toml``, it re-runs to the same result: it holds no
    ``extends``, its paths are absolute and it records ``simulation.seed`` when the run set it
    (see :func:`resolve_seed`). A config without edits has no ``edits`` key (its hash is
    unchanged by the section's existence).
    """
    data = cfg.model_dump(mode="json", exclude_none=True)
    if not data.get("edits"):
        data.pop("edits", None)
    return data


def config_sha256(cfg: Config) -> str:
    """Hash of the resolved config (canonical JSON), stable across runs and machines.

    ``simulation.seed`` is left out: the hash names the scenario, the seed is recorded next
    to it.
    """
    data = config_to_dict(cfg)
    data["simulation"].pop("seed", None)
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()
