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

    location: str
    """Where the file is: the project root joined with ``relative``. Text, not a
    ``Path``: a run makes one of these per file, tens of thousands of them, and making a
    ``Path`` costs more than everything else here together."""
    relative: str
    module: str
    is_package: bool
    layer: str | None = None
    """For asset modules: the layer of the folder; None when outside any layer folder."""
    is_asset_module: bool = False
    owner: Key | None = None
    """For core modules named ``<layer>_<name>.py``: the asset whose logic they hold."""
    is_support: bool = False
    """A module outside the asset and core folders that the linter reads for what it tells
    about the assets: the definitions module (which modules are loaded, with which key
    prefix and group), or a module that asset modules import from (resource classes,
    shared decorator options, factories). Read like an asset module."""

    @property
    def path(self) -> Path:
        return Path(self.location)


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
    spread: bool = False
    """``symbol`` names a list of dependencies kept in another module (``deps=SILVER_DEPS``,
    ``deps=[*SILVER_DEPS]``): the reference stands for each of its elements."""
    partition_mapping: bool = False
    """Given with an explicit ``partition_mapping=`` (``AssetIn``, ``AssetDep``): how the
    partitions of the two assets correspond is then the author's decision."""


@dataclass(frozen=True)
class Partitions:
    """An asset's ``partitions_def=``, as far as the source says what it is.

    ``kind`` is ``time`` (a ``TimeWindowPartitionsDefinition`` or one of its daily, hourly,
    weekly, monthly forms), ``static`` (``StaticPartitionsDefinition`` of literal keys),
    ``named`` (a module-level name the linter does not follow, such as an imported
    constant) or ``unknown`` (anything else: multi, dynamic, computed). ``text`` is a
    canonical form: two definitions with the same non-empty text are the same one; it is
    empty when the definition cannot be written out statically.
    """

    kind: str
    text: str = ""
    start: str | None = None
    """For ``time``: the literal start date, when given as one."""
    keys: tuple[str, ...] = ()
    """For ``static``: the partition keys."""
    cron: str = ""
    """For ``time``: the cron schedule Dagster makes of the definition (``0 0 * * 0`` for
    weekly), when every argument it depends on is literal and there are no exclusions;
    empty when not known."""
    fmt: str = ""
    """For ``time``: the partition key format (Dagster's default for the class if none)."""
    timezone: str = ""
    """For ``time``: the timezone (``UTC`` when none is given); empty when not known."""


@dataclass
class Parameter:
    """A parameter of an asset's function, as Dagster will classify it when it loads.

    Whether a parameter is an upstream asset depends on its annotation's *type* (a
    resource class is not an input), which may be defined in another module: the graph
    decides, with :mod:`polster_lint.domain.dagster_api`. ``role`` is what its place and
    name say: ``context`` (the first parameter, named like the context), ``config`` (named
    ``config``), ``input`` (positional-or-keyword: an upstream asset unless a resource),
    ``other`` (keyword-only, positional-only, ``**kwargs``: never an input), ``varargs``
    (``*args``, which Dagster refuses).
    """

    name: str
    anchor: int
    role: str
    annotation: str | None = None
    """The dotted name the annotation refers to (through the module's imports); None when
    there is no annotation, "" when it is not a plain name (``Optional[X]``, ``X | None``,
    ``list[int]``: not a class, so never a resource)."""
    text: str = ""
    """The annotation as written, for messages."""
    raw_string: bool = False
    """The annotation is a string at run time (quoted, or ``from __future__ import
    annotations``): Dagster compares the context's and config's annotations unevaluated."""
    resource_marker: bool = False
    """Annotated as ``ResourceParam[...]`` (or ``Annotated[..., "resource_param"]``)."""
    has_default: bool = False


@dataclass
class Note:
    """Something said about a place in a module: why the linter cannot see past it, or
    why Dagster would refuse to load it."""

    anchor: int
    message: str


@dataclass
class AssetDecl:
    """An asset defined in a module (one per key; a multi-asset gives several)."""

    key: Key | None
    anchor: int
    function: str | None
    group: str | None
    group_anchor: int | None = None
    deps: list[Reference] = field(default_factory=list)
    obj: int = 0
    """Which asset object of the module this key belongs to: the decls of one multi-asset
    share it. Dagster loads objects (what module-level names hold), not functions."""
    kind: str = "asset"
    """``asset`` (materialised by the project), ``source`` (a ``SourceAsset``: an external
    input, loaded but never built) or ``spec`` (an ``AssetSpec`` given to the definitions
    or loaded with ``include_specs``: also external)."""
    parameters: list[Parameter] = field(default_factory=list)
    """Function parameters that Dagster may take as inputs; the graph adds the inputs to
    ``deps`` once it knows which annotations are resources."""
    problems: list[Note] = field(default_factory=list)
    """Why Dagster refuses this asset at load time (found without other modules)."""
    defaults: tuple[str, str] | None = None
    """``**NAME`` in the decorator, NAME imported (module, name): its ``group_name`` is read
    from that module by the graph."""
    inputs_known: bool = True
    """False when ``ins=`` could not be read: the parameters' keys are then unknown."""
    described: bool = True
    """False only when the declaration was read whole and has neither ``description=``
    nor a docstring that Dagster would use as its description."""
    has_check_specs: bool = True
    """False only when the declaration was read whole and has no ``check_specs=``."""
    partitions: Partitions | None = None
    """Its ``partitions_def``; None when it has none."""
    key_parts: tuple[tuple[str, str, str], ...] = ()
    """When ``key`` is None because the key is built from constants of other modules
    (``key=SILVER_ORDERS``, ``key=[LAYER, "x"]``, ``key_prefix=LAYER``): the key's parts,
    for the graph to resolve. Each is ``("text", part, "")``, or a constant ``(how,
    module, name)`` where ``how`` is ``key`` (the whole key: a string, a list of strings
    or an ``AssetKey``), ``parts`` (a key prefix: a string or a list of strings) or
    ``part`` (one string)."""
    wrapped: Note | None = None
    """A decorator beneath Dagster's that the linter cannot follow (imported, or not a
    plain ``functools.wraps`` wrapper): which parameters Dagster sees is unknown, so
    ``parameters`` is empty and no dependency or violation is claimed from them."""


@dataclass
class Load:
    """One way a ``Definitions`` object takes assets.

    ``kind`` is ``package`` (``load_assets_from_package_module``/``_name``: the modules in
    ``targets`` and all their submodules), ``modules`` (``load_assets_from_modules``: just
    those), or ``names`` (objects given directly, ``Definitions(assets=[a, b])``, or a
    name holding loads: ``symbols``).
    """

    anchor: int
    kind: str
    targets: tuple[str, ...] = ()
    symbols: tuple[tuple[str, str], ...] = ()
    key_prefix: Key = ()
    source_key_prefix: Key = ()
    group: str | None = None
    include_specs: bool = False


@dataclass
class TableRead:
    """A ``read_table(layer, name)`` call in a core module: a data dependency in disguise."""

    key: Key | None
    text: str
    anchor: int


@dataclass
class StorageUse:
    """A read or write of storage that bypasses the storage module, found in a module.

    ``kind`` is ``call`` (a pandas or polars reader, a DataFrame writer, a call into a
    storage library), ``uri`` (an ``abfs://``-style URI literal outside text for people)
    or ``open`` (``open()`` of a literal path) or ``open:<method>`` (``Path(...).<method>()``,
    such as ``open:read_text``); whether the path is in the data folder is the rule's
    decision, since the folder is a setting. ``text`` is what to name: the call, the URI
    or the path.
    """

    kind: str
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
    star_imports: list[tuple[str, int]] = field(default_factory=list)
    """``from X import *``: (X, anchor), in order."""
    loads: list[Load] = field(default_factory=list)
    """Every module-level way of loading assets (``Symbol.loads`` points into it)."""
    definitions: list[int] | None = None
    """The loads making up this module's ``Definitions`` (indexes into ``loads``); None
    when the module defines no ``Definitions``."""
    blind: list[Note] = field(default_factory=list)
    """Places where assets or their dependencies are made in a way the linter cannot
    follow (POL010): reported only when the module is loaded."""
    calls: list["Call"] = field(default_factory=list)
    """Module-level calls of functions from other modules whose result the module keeps:
    a factory there may make assets here."""
    storage: list[StorageUse] = field(default_factory=list)
    """Storage reads and writes written out in the module instead of through the storage
    module (see :class:`StorageUse`)."""
    checks: list[Reference] = field(default_factory=list)
    """The target asset of every asset check the module defines (``@asset_check``,
    ``@multi_asset_check`` specs, ``build_*_checks``); a target the linter cannot read
    has neither ``key`` nor ``symbol``."""


@dataclass(frozen=True)
class Symbol:
    """What a module-level name stands for, as far as dependencies are concerned.

    ``keys`` for an asset function, an ``AssetSpec`` or a key constant; ``target`` for an
    imported name (module, attribute; attribute None when the name is a module).
    """

    keys: tuple[Key, ...] = ()
    target: tuple[str, str | None] | None = None
    objects: tuple[int, ...] = ()
    """The asset objects (``AssetDecl.obj``) the name holds: a decorated function, a list."""
    bases: tuple[str, ...] | None = None
    """For a class: the dotted names of its bases (through the module's imports)."""
    factory: bool = False
    """A function that makes assets when called (its body declares some)."""
    loads: tuple[int, ...] = ()
    """Indexes into ``ModuleFacts.loads`` of the loads the name holds."""
    options: tuple[tuple[str, str | None], ...] | None = None
    """For a dict constant (``**NAME`` in a decorator): its string keys, with the value
    when it is a literal string (None otherwise)."""
    constant: tuple[str, tuple[str, ...]] | None = None
    """For a key constant (``keys`` holds its key): what it is written as, ``str`` (one
    string), ``strs`` (a list or tuple of strings) or ``key`` (an ``AssetKey``), with its
    parts; how another module may use it depends on it (a key part must be a string)."""
    deps: tuple[tuple[str, ...], ...] | None = None
    """For a list or tuple constant that is not a key and holds no asset: its elements as
    dependencies, each ``("key", *parts)`` or ``("symbol", module, name)`` (an asset
    function or spec elsewhere); None when some element is neither."""
    alias: str | None = None
    """A module-level name bound to another name (``Ctx = dg.AssetExecutionContext``): the
    dotted name it stands for."""


@dataclass(frozen=True)
class Call:
    """A module-level call ``function(...)`` whose result the module keeps."""

    anchor: int
    function: str
    """The dotted name called (through the module's imports)."""
    text: str


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
