"""The linter's settings, from ``[tool.polster.lint]`` in the project's ``pyproject.toml``.

[tool.polster.lint]
select = ["POL"]                  # codes or prefixes to check (default: every rule on by
                                  # default, which is all but POL017 and POL019)
extend-select = ["POL019"]        # codes or prefixes to check on top of select
ignore = ["POL009"]               # codes or prefixes to leave out
allow-same-layer = ["silver"]     # true, false, or the layers where it is allowed
external = ["raw/stripe_charges"] # assets defined outside the project
assets-dir = "src/orchestration/assets"
core-dir = "src/core"
source-root = "src"               # what Python imports are relative to
max-file-size = "1 MB"            # larger modules are reported (POL000), not read: bytes
                                  # as a number, or a string in bytes, KB or MB (1 KB = 1024)

storage-module = "core.storage"   # the one module that may touch storage directly (POL014)
data-dir = "data"                 # the data folder: open() of a literal path in it (POL014)
max-upstreams = 7                 # the most upstream assets one asset may have (POL016)

layer-source = "folder"            # where an asset's layer comes from: "folder" (under
                                  # assets-dir), "module" (assets/silver.py), "key-prefix"
                                  # (the key's first part) or "group"

[tool.polster.lint.layer-names]   # layer -> the folder, module, key prefix or group
bronze = "bronze"                 # that marks it (also spelled layer-folders)

``max-file-size`` (1 KB to 16 MB, default 1 MB) also sets how many tokens one module may
have: one per 16 bytes of it, 65,536 at 1 MB (see :mod:`polster_lint.domain.config`).
Modules over either limit are reported, with the reason, instead of parsed: what one file
costs the linter stays bounded, whatever a pull request adds.

The values are checked here, at the edge: the rest of the linter receives a valid
:class:`~polster_lint.domain.config.LintConfig` or nothing.
"""

import os
import re
import tomllib
from pathlib import Path

from polster_lint.adapters.project import UnreadableFile, read_module
from polster_lint.domain.config import LAYER_SOURCES, MAX_FILE_SIZE_RANGE, LintConfig, size_text
from polster_lint.domain.medallion import LAYERS
from polster_lint.domain.model import Key
from polster_lint.domain.rules import DEFAULT_CODES, RULES
from polster_lint.errors import ConfigError

_OPTIONS = {
    "select",
    "extend-select",
    "ignore",
    "allow-same-layer",
    "external",
    "assets-dir",
    "core-dir",
    "source-root",
    "definitions-module",
    "layer-folders",
    "layer-names",
    "layer-source",
    "max-file-size",
    "storage-module",
    "data-dir",
    "max-upstreams",
}

_MAX_PYPROJECT_SIZE = 4 * 1024 * 1024
"""A pyproject.toml is a few kilobytes; a larger one is refused rather than read."""


def load_config(project_root: Path) -> LintConfig:
    """Read the project's settings; defaults when there is no ``[tool.polster.lint]``."""
    pyproject = project_root / "pyproject.toml"
    try:
        if os.path.lexists(pyproject):
            text = read_module(pyproject, project_root, _MAX_PYPROJECT_SIZE).decode("utf-8")
            data = tomllib.loads(text)
        else:
            data = {}
    except UnreadableFile as error:
        raise ConfigError(f"{pyproject.name}: {error}") from None
    except ValueError as error:  # bad TOML or UTF-8, or an integer too long to convert
        raise ConfigError(f"{pyproject.name}: {error}") from None
    except RecursionError:
        raise ConfigError(f"{pyproject.name}: nested too deeply to read") from None
    table = data
    for name, header in (
        ("tool", "[tool]"),
        ("polster", "[tool.polster]"),
        ("lint", "[tool.polster.lint]"),
    ):
        inner = table.get(name, {})
        if not isinstance(inner, dict):
            raise ConfigError(f"{header} must be a table")
        table = inner
    return config_from_table(table)


def ruff_line_length(project_root: Path) -> int | None:
    """ruff's ``line-length`` for the project (``[tool.ruff]``; 88, ruff's default, when
    that table does not set it); None when the project does not configure ruff or its
    ``pyproject.toml`` cannot be read (``load_config`` reports that)."""
    try:
        text = read_module(project_root / "pyproject.toml", project_root, _MAX_PYPROJECT_SIZE)
        ruff = tomllib.loads(text.decode("utf-8")).get("tool", {}).get("ruff")
    except (UnreadableFile, ValueError, RecursionError, AttributeError):
        return None
    if not isinstance(ruff, dict):
        return None
    length = ruff.get("line-length", 88)
    return (
        length if isinstance(length, int) and not isinstance(length, bool) and length > 0 else None
    )


def config_from_table(table: dict[str, object]) -> LintConfig:
    """The settings from the ``[tool.polster.lint]`` table, checked option by option."""
    unknown = sorted(set(table) - _OPTIONS)
    if unknown:
        raise ConfigError(
            f"unknown option {unknown[0]!r} in [tool.polster.lint]; "
            f"known options: {', '.join(sorted(_OPTIONS))}"
        )
    selected = _codes(table, "select", default=set(DEFAULT_CODES))
    extended = _codes(table, "extend-select", default=set())
    ignored = _codes(table, "ignore", default=set())
    defaults = LintConfig()
    return LintConfig(
        codes=frozenset((selected | extended) - ignored),
        same_layer_allowed=_same_layer(table.get("allow-same-layer", False)),
        external=frozenset(_external(table.get("external", []))),
        assets_dir=_path_option(table, "assets-dir", defaults.assets_dir),
        core_dir=_path_option(table, "core-dir", defaults.core_dir),
        source_root=_path_option(table, "source-root", defaults.source_root),
        definitions_module=_module_option(table, "definitions-module", defaults.definitions_module),
        layer_folders=_layer_names(table),
        layer_source=_layer_source(table),
        max_file_size=_size_option(table, "max-file-size", defaults.max_file_size),
        storage_module=_module_option(table, "storage-module", defaults.storage_module),
        data_dir=_path_option(table, "data-dir", defaults.data_dir),
        max_upstreams=_count_option(table, "max-upstreams", defaults.max_upstreams),
    )


def parse_codes(values: list[str], option: str) -> set[str]:
    """Expand codes and prefixes (``POL00`` means POL000-POL009); unknown ones are errors."""
    codes: set[str] = set()
    for value in values:
        if not isinstance(value, str):
            raise ConfigError(f"{option}: {value!r} is not a rule code")
        matching = {code for code in RULES if code.startswith(value.strip().upper())}
        if not value.strip() or not matching:
            raise ConfigError(f"{option}: unknown rule code {value!r} (see polster-lint --explain)")
        codes |= matching
    return codes


def _codes(table: dict[str, object], option: str, default: set[str]) -> set[str]:
    if option not in table:
        return default
    values = table[option]
    if not isinstance(values, list):
        raise ConfigError(f"{option} must be a list of rule codes")
    return parse_codes(values, option)


def _same_layer(value: object) -> frozenset[str]:
    if value is True:
        return frozenset(LAYERS)
    if value is False:
        return frozenset()
    if isinstance(value, list) and all(layer in LAYERS for layer in value):
        return frozenset(value)
    raise ConfigError(
        f"allow-same-layer must be true, false or a list of layers ({', '.join(LAYERS)})"
    )


def _external(values: object) -> list[Key]:
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise ConfigError('external must be a list of asset keys such as "raw/orders"')
    return [tuple(value.split("/")) for value in values]


def _path_option(table: dict[str, object], option: str, default: str) -> str:
    value = table.get(option, default)
    if (
        not isinstance(value, str)
        or not value
        or not value.isprintable()
        or "\\" in value
        or Path(value).is_absolute()
        or ".." in Path(value).parts
    ):
        raise ConfigError(f"{option} must be a folder path inside the project, such as {default!r}")
    return value.strip("/")


_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(B|KB|MB)?\s*", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 1024, "mb": 1024 * 1024}


def _size_option(table: dict[str, object], option: str, default: int) -> int:
    """A size in bytes: a whole number of bytes, or a string such as "512 KB" or "2 MB"."""
    value = table.get(option, default)
    low, high = MAX_FILE_SIZE_RANGE
    problem = (
        f"{option} must be a size from {size_text(low)} to {size_text(high)}: a number of "
        f'bytes or a string such as "2 MB" or "512 KB"'
    )
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(problem)
    shown = repr(value) if len(repr(value)) <= 50 else repr(value)[:47] + "..."
    if isinstance(value, str):
        match = _SIZE.fullmatch(value) if len(value) <= 40 else None
        if match is None:
            raise ConfigError(f"{problem}, not {shown}")
        size = int(float(match[1]) * _UNITS[(match[2] or "b").lower()])  # <= 40 characters
    else:
        size = value
    if not low <= size <= high:
        raise ConfigError(f"{problem}, not {shown}")
    return size


def _module_option(table: dict[str, object], option: str, default: str) -> str:
    value = table.get(option, default)
    if not isinstance(value, str) or not all(part.isidentifier() for part in value.split(".")):
        raise ConfigError(f"{option} must be a dotted module name")
    return value


def _count_option(table: dict[str, object], option: str, default: int) -> int:
    value = table.get(option, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{option} must be a whole number of at least 1")
    return value


def _layer_names(table: dict[str, object]) -> tuple[tuple[str, str], ...]:
    """``layer-names`` (layer -> the folder, module, key prefix or group that marks it),
    or its older spelling ``layer-folders``; not both."""
    if "layer-names" in table and "layer-folders" in table:
        raise ConfigError("layer-names and layer-folders are the same setting: give one")
    option = "layer-names" if "layer-names" in table else "layer-folders"
    value = table.get(option, {})
    if not isinstance(value, dict) or not set(value) <= set(LAYERS):
        raise ConfigError(f"{option} must map layers ({', '.join(LAYERS)}) to names")
    folders = {layer: layer for layer in LAYERS} | value
    if not all(_plain_folder_name(name) for name in folders.values()):
        raise ConfigError(f"{option}: each name must be a plain folder, module or group name")
    if len(set(folders.values())) != len(folders):
        raise ConfigError(f"{option}: two layers cannot share a name")
    return tuple((layer, folders[layer]) for layer in LAYERS)


def _layer_source(table: dict[str, object]) -> str:
    value = table.get("layer-source", "folder")
    if value not in LAYER_SOURCES:
        raise ConfigError(f"layer-source must be one of {', '.join(map(repr, LAYER_SOURCES))}")
    assert isinstance(value, str)
    return value


def _plain_folder_name(name: object) -> bool:
    """One folder, named by printable text: no separator, no ``.`` or ``..``."""
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and name.isprintable()
        and not any(separator in name for separator in "/\\")
    )
