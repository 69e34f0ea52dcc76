"""The linter's vocabulary: asset keys, layers, the facts read from one module, findings."""

from dataclasses import dataclass, field
from pathlib import Path

Key = tuple[str, ...]
"""An asset key as its parts, e.g. ``("silver", "orders")``."""

DYNAMIC_GROUP = "<dynamic>"
"""Stands for a ``group_name`` computed at run time, which the linter cannot compare."""


def key_string(key: Key) -> str:
    """Dagster's user-facing form of a key: its parts joined with ``/``."""
    return "/".join(key)


@dataclass(frozen=True)
class SourceFile:
    """One Python file of the project, with what its place in the layout says about it.

    A plain value: the adapter that walks the disk creates these; the domain only reads
    them (``path`` identifies the file, nothing here opens it).
    """

    path: Path
    relative: str
    module: str
    is_package: bool
    layer: str | None = None
    """For asset modules: the layer of the folder; None when outside any layer folder."""
    is_asset_module: bool = False
    owner: Key | None = None
    """For core modules named ``<layer>_<name>.py``: the asset whose logic they hold."""


@dataclass(frozen=True)
class Position:
    """1-based line and column of an expression in its file."""

    line: int
    column: int


@dataclass
class Reference:
    """One upstream declared by an asset, as written in the source.

    ``key`` is set when the expression is a literal key. ``symbol`` is set when it names
    something defined elsewhere (an asset function or an ``AssetSpec``), as the module
    that defines it and the name there; ``graph`` resolves it. When neither is known the
    dependency cannot be resolved statically and ``key`` and ``symbol`` are both None.
    """

    text: str
    anchor: int
    key: Key | None = None
    symbol: tuple[str, str] | None = None


@dataclass
class AssetDecl:
    """An asset defined in a module (one per key; a multi-asset gives several)."""

    key: Key | None
    anchor: int
    function: str | None
    group: str | None
    group_anchor: int | None = None
    deps: list[Reference] = field(default_factory=list)


@dataclass
class TableRead:
    """A ``read_table(layer, name)`` call in a core module: a data dependency in disguise."""

    key: Key | None
    text: str
    anchor: int


@dataclass
class ModuleFacts:
    """Everything the linter needs from one Python file, without positions.

    Positions are costly to compute with libcst, so facts refer to source locations by
    ``anchor``: the order in which the extractor met the node. Re-extracting the same
    source with positions yields the same anchors, which is how a finding gets its
    line and column only when one is reported.
    """

    module: str
    assets: list[AssetDecl] = field(default_factory=list)
    reads: list[TableRead] = field(default_factory=list)
    symbols: dict[str, "Symbol"] = field(default_factory=dict)
    syntax_error: tuple[str, Position] | None = None
    noqa: dict[int, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Symbol:
    """What a module-level name stands for, as far as dependencies are concerned.

    ``keys`` for an asset function, an ``AssetSpec`` or a key constant; ``target`` for an
    imported name (module, attribute; attribute None when the name is a module).
    """

    keys: tuple[Key, ...] = ()
    target: tuple[str, str | None] | None = None


@dataclass(frozen=True)
class Finding:
    """One violation, in the form every output format is built from."""

    path: str
    line: int
    column: int
    code: str
    message: str
    asset: str | None = None
    dependency: str | None = None

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.code, self.message)
