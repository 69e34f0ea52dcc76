"""What a project can configure about the linter, as one immutable value.

Read from ``[tool.polster.lint]`` by :mod:`polster_lint.adapters.pyproject`; the domain
only ever sees a validated instance.

``max_file_size`` bounds the work one module can cost, so that a pull request cannot stall
a CI job or a commit hook: a module larger than that is reported (POL000) instead of read,
and so is one with more than one token per 16 bytes of it (see ``max_tokens``). Parsing
takes time and memory in proportion to the tokens, not the bytes: libcst needs about 2 KB
of memory and 30 microseconds per token, so 5 MB of ``x = 1`` lines cost it over 8 GB.
"""

from dataclasses import dataclass

from polster_lint.domain.medallion import ASSETS_DIR, CORE_DIR, LAYERS, asset_files
from polster_lint.domain.model import Key
from polster_lint.domain.rules import DEFAULT_CODES

DEFAULT_MAX_UPSTREAMS = 7
"""The most upstreams one asset may have (POL016): dbt-project-evaluator's default for
its "too many joins" check, the same question asked of a dbt model. Past that, an asset
usually does several jobs at once (join, clean, aggregate) that read better as two."""

DEFAULT_MAX_FILE_SIZE = 1024 * 1024
"""1 MB: a hundred times the largest asset module a generated project starts with."""

MAX_FILE_SIZE_RANGE = (1024, 16 * 1024 * 1024)
"""What ``max-file-size`` may be set to: from 1 KB to 16 MB."""

LAYER_SOURCES = ("folder", "module", "key-prefix", "group")
"""The places an asset's layer may be read from (``layer-source``)."""

BYTES_PER_TOKEN = 16
"""The token budget is one token per this many bytes of ``max_file_size`` (65,536 at 1 MB).

Ordinary code has a token every 4 to 6 bytes, so a module near the size limit is refused
for its tokens first. At 65,536 tokens, the most expensive asset modules measured (flat
statements, long chains, nested conditionals) take libcst 2 to 4 s and 230 to 480 MB, and
as much again to place a finding in them; ordinary code of that size takes about 1 s.
"""


@dataclass(frozen=True)
class LintConfig:
    codes: frozenset[str] = DEFAULT_CODES
    """The rules to check: those on by default unless ``select``/``extend-select`` say."""
    same_layer_allowed: frozenset[str] = frozenset()
    external: frozenset[Key] = frozenset()
    assets_dir: str = ASSETS_DIR
    core_dir: str = CORE_DIR
    source_root: str = "src"
    definitions_module: str = "orchestration.definitions"
    layer_folders: tuple[tuple[str, str], ...] = tuple((layer, layer) for layer in LAYERS)
    """Each layer and the name that marks it: its folder under ``assets_dir`` by default,
    or, per ``layer_source``, its module file, key prefix or group."""
    layer_source: str = "folder"
    """Where an asset's layer comes from: ``folder`` (the first folder under the assets
    folder), ``module`` (the module's own name: ``assets/silver.py``), ``key-prefix`` (the
    key's first part) or ``group`` (its group, as Dagster has it once loaded)."""
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    """The largest module, in bytes, the linter reads."""
    storage_module: str = "core.storage"
    """The module (or package) through which the project reads and writes tables: the one
    place where pandas, ``deltalake`` or ADLS may be called directly (POL014)."""
    data_dir: str = "data"
    """The project's data folder, relative: ``open()`` of a literal path in it is a
    hidden read or write (POL014)."""
    max_upstreams: int = DEFAULT_MAX_UPSTREAMS
    """The most upstream assets one asset may have (POL016)."""

    @property
    def max_tokens(self) -> int:
        """The most tokens (as ``estimated_tokens`` counts them) one module may have."""
        return self.max_file_size // BYTES_PER_TOKEN

    def layer_named(self, name: str) -> str | None:
        """The layer ``name`` marks (a folder, module, key prefix or group), if any."""
        return self.folder_layer(name)

    def folder_layer(self, folder: str) -> str | None:
        """The layer whose assets live in ``folder``, if any."""
        for layer, name in self.layer_folders:
            if name == folder:
                return layer
        return None

    def asset_files(self, layer: str, name: str) -> dict[str, str]:
        """The files of the asset ``layer/name`` in this project's layout, by role."""
        return asset_files(
            layer,
            name,
            assets_dir=self.assets_dir,
            core_dir=self.core_dir,
            layer_folder=dict(self.layer_folders)[layer],
        )


def size_text(size: int) -> str:
    """A byte count as people say it: 900 bytes, 12 KB, 5.2 MB (1 KB = 1,024 bytes)."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            value = f"{size / scale:.1f}".removesuffix(".0")
            return f"{value} {unit}"
    return f"{size} bytes"
