"""Rebuild the asset graph the way Dagster loads it, from the modules' facts.

Dagster does not load functions, it loads objects: its module loaders take every
module-level name of the modules they are given whose value is an asset (or a list of
assets), and the definitions may set a key prefix and a group on what a loader returns.
So the graph starts from the definitions module (``definitions-module``): which modules
its ``Definitions`` load, and how; an asset module that they never load is not part of
the graph. Without a definitions module the linter can read, every asset module is
loaded as the generated project's definitions do (``load_assets_from_package_module``
on the assets package, no prefix, no group).

Then, as Dagster does:

* references that name symbols (``deps=[orders]``, ``deps=[m.orders]``, an imported
  ``AssetSpec``) are followed through the modules' imports to the keys they stand for;
* a function parameter is an upstream asset unless Dagster takes it for the context, the
  config or a resource, which depends on its annotation's class, wherever it is defined
  (:mod:`polster_lint.domain.dagster_api`);
* a load-time ``key_prefix`` prefixes the loaded assets' keys and the dependencies among
  them; a load-time ``group_name`` sets their group;
* a one-part dependency key that names no asset is resolved to the one asset of that name
  in the downstream asset's group (``resolve_assets_def_deps``).

What the linter cannot see is said once where it starts (``blind``, ``unkeyed``,
``unresolved``); what Dagster would refuse to load is listed in ``refused``.
"""

import builtins
import sys
from dataclasses import dataclass, field, replace

from polster_lint.domain.dagster_api import (
    CONFIG,
    CONFIG_BUILTINS,
    CONTEXT_TYPES,
    PUBLIC_NAMES,
    RESERVED_INPUT_NAMES,
    is_resource,
    marks_of_library_type,
    refused_as_resource,
)
from polster_lint.domain.medallion import LAYERS
from polster_lint.domain.model import (
    DYNAMIC_GROUP,
    AssetDecl,
    Key,
    ModuleFacts,
    Parameter,
    Reference,
    SourceFile,
    key_string,
)

_MAX_IMPORT_HOPS = 20
_DEFAULT_GROUP = "default"
_BUILTINS = frozenset(dir(builtins))


@dataclass
class Asset:
    """An asset as Dagster loads it: ``decl`` carries its final key, group and deps."""

    key: Key
    decl: AssetDecl
    file: SourceFile
    layer: str | None = None
    """Its layer, from where the project marks layers (``layer-source``): its folder by
    default, or its module, key prefix or group."""


@dataclass
class Edge:
    """``downstream`` depends on ``upstream`` through ``reference`` (in ``file``)."""

    upstream: Key
    downstream: Asset
    reference: Reference


@dataclass
class Remark:
    """Something the graph says about a place: ``anchor`` in ``file`` (or line 1 when
    None). In ``blind``: where the linter stops seeing (POL010); ``hides_assets`` when
    assets may be made there, so that an unknown upstream key is not claimed unknown. In
    ``refused``: why Dagster would refuse to load the definitions."""

    file: SourceFile
    anchor: int | None
    message: str
    asset: Key | None = None
    hides_assets: bool = False


@dataclass
class AssetGraph:
    assets: dict[Key, Asset] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    unresolved: list[tuple[SourceFile, Reference, AssetDecl]] = field(default_factory=list)
    duplicates: list[Asset] = field(default_factory=list)
    unkeyed: list[tuple[SourceFile, AssetDecl]] = field(default_factory=list)
    external: dict[Key, Asset] = field(default_factory=dict)
    """Assets declared as inputs from outside (``SourceAsset``, ``AssetSpec``, observable
    source assets): an upstream, never built; a dependency on one is not unknown."""
    blind: list[Remark] = field(default_factory=list)
    refused: list[Remark] = field(default_factory=list)
    unloaded: list[SourceFile] = field(default_factory=list)
    """Asset modules with assets that the definitions never load (not in the graph)."""
    checked: set[Key] = field(default_factory=set)
    """The keys that asset checks defined in the project's modules target (whether the
    definitions load those checks is not modelled: a check anywhere counts)."""
    checks_known: bool = True
    """False when some check's target cannot be resolved statically (said in ``blind``):
    any asset may then be the one it checks."""

    def is_checked(self, key: Key) -> bool:
        """Whether an asset check targets ``key``: a check target written without the
        key prefix the definitions load the asset with counts too."""
        return any(key[len(key) - len(target) :] == target for target in self.checked)

    @property
    def complete(self) -> bool:
        """Whether every asset Dagster would load is in the graph (with its key)."""
        return not self.unkeyed and not any(remark.hides_assets for remark in self.blind)

    def knows(self, key: Key) -> bool:
        """Whether ``key`` is an asset of the project or a declared external input."""
        return key in self.assets or key in self.external


# --- loading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Transform:
    key_prefix: Key = ()
    source_key_prefix: Key = ()
    group: str | None = None


_ObjectId = tuple[str, int]
"""An asset object: the module that made it and its number there (``AssetDecl.obj``)."""


@dataclass
class _Batch:
    """What one loader call returns: objects, and how it transforms them."""

    objects: list[_ObjectId]
    transform: _Transform
    include_specs: bool = False
    modules: tuple[str, ...] = ()
    """The modules the call loads (for telling which asset modules are never loaded)."""


class _Project:
    """The modules, and lookups over them, for building the graph."""

    def __init__(self, modules: list[tuple[SourceFile, ModuleFacts]]) -> None:
        self.files: dict[str, SourceFile] = {}
        self.facts: dict[str, ModuleFacts] = {}
        for file, facts in modules:
            self.files.setdefault(facts.module, file)
            self.facts.setdefault(facts.module, facts)
        self.decls: dict[_ObjectId, list[AssetDecl]] = {}
        self.built: set[_ObjectId] = set()
        """Objects with a key built from constants of other modules (``key_parts``)."""
        for module, facts in self.facts.items():
            for decl in facts.assets:
                if decl.key is None and decl.key_parts:
                    decl = replace(decl, key=self.key_from(decl.key_parts))
                    self.built.add((module, decl.obj))
                self.decls.setdefault((module, decl.obj), []).append(decl)

    def key_from(self, parts: tuple[tuple[str, str, str], ...]) -> Key | None:
        """The key ``AssetDecl.key_parts`` stand for; None when some constant is unknown
        or is not what its place needs (a key part must be a string)."""
        key: list[str] = []
        for how, module, name in parts:
            if how == "text":
                key.append(module)
                continue
            found = self.follow(module, name)
            facts = self.facts.get(found[0]) if found is not None else None
            symbol = facts.symbols.get(found[1]) if found is not None and facts else None
            constant = symbol.constant if symbol is not None else None
            if constant is None:
                return None
            kind, values = constant
            if how == "part" and kind != "str":
                return None
            if how == "parts" and kind == "key":
                return None
            key.extend(values)
        return tuple(key) or None

    # symbols ---------------------------------------------------------------------------

    def follow(self, module: str, name: str) -> tuple[str, str] | None:
        """Where ``module.name`` is defined: follows imports, re-exports and star imports."""
        for _ in range(_MAX_IMPORT_HOPS):
            facts = self.facts.get(module)
            if facts is None:
                return None
            symbol = facts.symbols.get(name)
            if symbol is None:
                origin = self._star_origin(facts, name)
                if origin is None:
                    return (module, name)
                module = origin
                continue
            if symbol.target is None:
                return (module, name)
            target, attribute = symbol.target
            if attribute is None:  # the name is a module
                return (target, "")
            module, name = target, attribute
        return None

    def _star_origin(self, facts: ModuleFacts, name: str) -> str | None:
        """The project module a star import brings ``name`` from, if any."""
        for module, _ in reversed(facts.star_imports):
            other = self.facts.get(module)
            if other is not None and (name in other.symbols or self._star_origin(other, name)):
                return module
        return None

    def keys_of(self, module: str, name: str) -> tuple[Key, ...] | None:
        """The keys a module-level name stands for, or None when unknown."""
        found = self.follow(module, name)
        if found is None:
            return None
        module, name = found
        facts = self.facts.get(module)
        symbol = facts.symbols.get(name) if facts is not None else None
        if symbol is not None and self.built and symbol.objects:
            objects = [(module, obj) for obj in symbol.objects]
            if any(each in self.built for each in objects):
                keys = [
                    decl.key
                    for each in objects
                    for decl in self.decls.get(each, [])
                    if decl.key is not None
                ]
                return tuple(keys) or None
        if symbol is None or not symbol.keys:
            return None
        return symbol.keys

    def spread_keys(self, module: str, name: str) -> tuple[Key, ...] | None:
        """The keys of the dependencies a list constant holds (``deps=SILVER_DEPS``), or
        None when they are unknown."""
        found = self.follow(module, name)
        facts = self.facts.get(found[0]) if found is not None else None
        symbol = facts.symbols.get(found[1]) if found is not None and facts else None
        if symbol is None:
            return None
        if symbol.constant is not None:
            kind, parts = symbol.constant
            # a list of strings: each is a key of one part
            return tuple((part,) for part in parts) if kind == "strs" else None
        if symbol.objects:
            return self.keys_of(module, name)
        if symbol.deps is None:
            return None
        keys: list[Key] = []
        for element in symbol.deps:
            if element[0] == "key":
                keys.append(element[1:])
                continue
            held = self.keys_of(element[1], element[2])
            if held is None:
                return None
            keys.extend(held)
        return tuple(keys)

    def objects_of(self, module: str, name: str) -> list[_ObjectId]:
        found = self.follow(module, name)
        if found is None:
            return []
        module, name = found
        facts = self.facts.get(module)
        symbol = facts.symbols.get(name) if facts is not None else None
        if symbol is None:
            return []
        return [(module, obj) for obj in symbol.objects]

    def unknown_stars(self, module: str) -> list[tuple[str, int]]:
        """The star imports of ``module`` from modules the linter does not read."""
        facts = self.facts.get(module)
        if facts is None:
            return []
        return [
            (origin, anchor)
            for origin, anchor in facts.star_imports
            if origin != "dagster"
            and origin not in self.facts
            and origin.split(".")[0] not in sys.stdlib_module_names
        ]

    # types -----------------------------------------------------------------------------

    def type_marks(self, dotted: str, depth: int = 0) -> frozenset[str] | None:
        """What the class named ``dotted`` is (see ``dagster_api``); None when unknown."""
        if depth > _MAX_IMPORT_HOPS or not dotted or dotted == "?":
            return None
        module, _, name = dotted.rpartition(".")
        if module not in self.facts:
            parent, _, last = module.rpartition(".")
            if parent in self.facts and self.follow(parent, last) is not None:
                found = self.follow(parent, last)
                assert found is not None
                if found[1] == "":  # an imported module: module.Class
                    return self.type_marks(f"{found[0]}.{name}", depth + 1)
            return marks_of_library_type(dotted)
        facts = self.facts[module]
        symbol = facts.symbols.get(name)
        if symbol is None:
            origin = self._star_origin(facts, name)
            if origin is not None:
                return self.type_marks(f"{origin}.{name}", depth + 1)
            if any(star == "dagster" for star, _ in facts.star_imports) and name in PUBLIC_NAMES:
                return marks_of_library_type(f"dagster.{name}")
            if self.unknown_stars(module):
                return None
            return frozenset() if name in _BUILTINS else None
        if symbol.target is not None:
            imported, attribute = symbol.target
            if attribute is None:
                return frozenset()  # a module, not a class
            return self.type_marks(f"{imported}.{attribute}", depth + 1)
        if symbol.alias is not None:
            return self.type_marks(symbol.alias, depth + 1)
        if symbol.bases is None:
            return frozenset()  # a function or a constant: not a class
        marks: set[str] = set()
        unknown = False
        for base in symbol.bases:
            base_marks = self.type_marks(base, depth + 1)
            if base_marks is None:
                unknown = True
            else:
                marks |= base_marks
        if unknown and not is_resource(frozenset(marks)):
            return None
        return frozenset(marks)

    def resolve_alias(self, dotted: str) -> str:
        """The dotted name an alias or import chain ends at (for the context's class)."""
        for _ in range(_MAX_IMPORT_HOPS):
            module, _, name = dotted.rpartition(".")
            facts = self.facts.get(module)
            if facts is None:
                return dotted
            symbol = facts.symbols.get(name)
            if symbol is None:
                if any(star == "dagster" for star, _ in facts.star_imports) and (
                    name in PUBLIC_NAMES
                ):
                    return f"dagster.{name}"
                origin = self._star_origin(facts, name)
                if origin is None:
                    return dotted
                dotted = f"{origin}.{name}"
            elif symbol.target is not None and symbol.target[1] is not None:
                dotted = f"{symbol.target[0]}.{symbol.target[1]}"
            elif symbol.alias is not None:
                dotted = symbol.alias
            else:
                return dotted
        return dotted

    # loading ---------------------------------------------------------------------------

    def package_modules(self, package: str) -> list[str]:
        """The modules ``load_assets_from_package_module`` finds in ``package``: those
        below it through folders that are packages (``pkgutil.walk_packages``)."""
        found = []
        prefix = package + "."
        for module in self.facts:
            if module != package and not module.startswith(prefix):
                continue
            parts = module[len(prefix) :].split(".") if module != package else []
            parents = [".".join([package, *parts[:end]]) for end in range(1, len(parts))]
            if all(self._is_package(parent) for parent in parents):
                found.append(module)
        return sorted(found)

    def _is_package(self, module: str) -> bool:
        file = self.files.get(module)
        return file is not None and file.is_package

    def module_objects(self, module: str) -> list[_ObjectId]:
        """The asset objects Dagster's loader finds in ``module``: every module-level name
        holding assets, imported ones included."""
        facts = self.facts.get(module)
        if facts is None:
            return []
        found: list[_ObjectId] = []
        for symbol in facts.symbols.values():
            if symbol.objects:
                found.extend((module, obj) for obj in symbol.objects)
            elif symbol.target is not None:
                target, attribute = symbol.target
                if attribute is not None:
                    found.extend(self.objects_of(target, attribute))
        return found


def build_graph(
    modules: list[tuple[SourceFile, ModuleFacts]],
    definitions_module: str | None = None,
    layer_source: str = "folder",
    layer_names: tuple[tuple[str, str], ...] | None = None,
) -> AssetGraph:
    """The graph of what the definitions load; each asset's layer read from
    ``layer_source`` (see ``LintConfig.layer_source``), ``layer_names`` mapping each layer
    to the name that marks it (default: the layer's own name)."""
    project = _Project(modules)
    graph = AssetGraph()
    batches = _plan(project, definitions_module, graph)
    layers = _Layers(layer_source, layer_names or tuple((layer, layer) for layer in LAYERS))
    _Builder(project, graph, layers).build(batches)
    return graph


@dataclass(frozen=True)
class _Layers:
    source: str
    names: tuple[tuple[str, str], ...]

    def of(self, file: SourceFile, key: Key, group: str | None) -> str | None:
        if self.source == "folder":
            return file.layer
        by_name = {name: layer for layer, name in self.names}
        if self.source == "module":
            return by_name.get(file.module.rpartition(".")[2])
        if self.source == "key-prefix":
            return by_name.get(key[0]) if len(key) > 1 else None
        return by_name.get(group) if group is not None else None


def _plan(project: _Project, definitions_module: str | None, graph: AssetGraph) -> list[_Batch]:
    """What the definitions load, as batches of objects with their transforms."""
    facts = project.facts.get(definitions_module) if definitions_module else None
    if facts is None or facts.definitions is None:
        if facts is not None and facts.syntax_error is None:
            graph.blind.append(
                Remark(
                    project.files[facts.module],
                    None,
                    f"no Definitions found in {facts.module}; every asset module is taken as "
                    "loaded",
                    hides_assets=True,
                )
            )
        return _everything(project)
    batches: list[_Batch] = []
    file = project.files[facts.module]
    blind_before = len(graph.blind)
    for index in dict.fromkeys(facts.definitions):
        _load_batches(project, facts.module, index, batches, graph, file, depth=0)
    loaded = {module for batch in batches for module in batch.modules}
    loaded |= {module for batch in batches for module, _ in batch.objects}
    unloaded = [
        project.files[module]
        for module, module_facts in project.facts.items()
        if project.files[module].is_asset_module
        and module not in loaded
        and any(decl.kind == "asset" for decl in module_facts.assets)
    ]
    if len(graph.blind) > blind_before:
        # Some load cannot be read: the asset modules it does not visibly cover are taken
        # as loaded as they are (said once, where the load is), not called unloaded.
        for source in unloaded:
            batches.append(
                _Batch(
                    project.module_objects(source.module), _Transform(), modules=(source.module,)
                )
            )
    else:
        graph.unloaded.extend(unloaded)
    return batches


def _everything(project: _Project) -> list[_Batch]:
    objects = []
    modules = []
    for module, file in project.files.items():
        if file.is_asset_module:
            objects.extend(project.module_objects(module))
            modules.append(module)
    return [_Batch(objects, _Transform(), modules=tuple(modules))]


def _load_batches(
    project: _Project,
    module: str,
    index: int,
    batches: list[_Batch],
    graph: AssetGraph,
    file: SourceFile,
    depth: int,
) -> None:
    facts = project.facts[module]
    if index >= len(facts.loads) or depth > _MAX_IMPORT_HOPS:
        return
    load = facts.loads[index]
    here = project.files[module]
    if load.kind == "unknown":
        graph.blind.append(
            Remark(
                here,
                load.anchor,
                "cannot tell statically which assets the definitions load here",
                hides_assets=True,
            )
        )
        return
    transform = _Transform(load.key_prefix, load.source_key_prefix, load.group)
    if load.kind in ("package", "modules"):
        objects: list[_ObjectId] = []
        covered: list[str] = []
        for target in load.targets:
            targets = project.package_modules(target) if load.kind == "package" else [target]
            if target not in project.facts:
                graph.blind.append(
                    Remark(
                        here,
                        load.anchor,
                        f"the definitions load {target}, which the linter cannot read",
                        hides_assets=True,
                    )
                )
            for each in targets:
                objects.extend(project.module_objects(each))
            covered.extend(targets)
        batches.append(_Batch(objects, transform, load.include_specs, tuple(covered)))
        return
    for symbol_module, name in load.symbols:
        found = project.follow(symbol_module, name)
        symbol_facts = project.facts.get(found[0]) if found else None
        symbol = symbol_facts.symbols.get(found[1]) if found and symbol_facts else None
        if found is not None and symbol is not None and symbol.loads:
            for inner in symbol.loads:
                _load_batches(project, found[0], inner, batches, graph, file, depth + 1)
        elif found is not None and symbol is not None and symbol.objects:
            objects = [(found[0], obj) for obj in symbol.objects]
            batches.append(_Batch(objects, transform, include_specs=True))
        else:
            graph.blind.append(
                Remark(
                    here,
                    load.anchor,
                    f"cannot tell statically what {name} gives the definitions",
                    hides_assets=True,
                )
            )


# --- building ----------------------------------------------------------------------------


class _Builder:
    def __init__(self, project: _Project, graph: AssetGraph, layers: _Layers) -> None:
        self.project = project
        self.graph = graph
        self.layers = layers
        self.owner_keys: dict[int, set[Key]] = {}
        self.group_of: dict[int, str] = {}
        self.pending: list[tuple[Asset, list[tuple[Reference, Key]]]] = []
        self.reported: set[tuple[str, int | None]] = set()
        self.refusals: set[tuple[str, int | None, str]] = set()
        self.loaded_modules: set[str] = set()
        self.specs: dict[Key, Asset] = {}
        """Module-level ``AssetSpec``s that are not loaded: declared external inputs."""

    def build(self, batches: list[_Batch]) -> None:
        seen: set[tuple[_ObjectId, _Transform]] = set()
        for batch in batches:
            self.loaded_modules.update(batch.modules)
            objects = [each for each in dict.fromkeys(batch.objects)]
            replacements = self._replacements(objects, batch)
            for object_id in objects:
                if (object_id, batch.transform) in seen:
                    continue
                seen.add((object_id, batch.transform))
                self._load_object(object_id, batch, replacements)
        for key, spec in self.specs.items():
            if key not in self.graph.assets:
                self.graph.external.setdefault(key, spec)
        self._resolve_one_part_keys()
        for asset, references in self.pending:
            for reference, key in references:
                self.graph.edges.append(Edge(upstream=key, downstream=asset, reference=reference))
        for module in sorted(self.loaded_modules):
            self._module_remarks(module)
        self._check_targets()

    def _check_targets(self) -> None:
        """Resolve every asset check's target, in every module read; say once where one
        cannot be resolved."""
        for module, facts in self.project.facts.items():
            for reference in facts.checks:
                keys = resolve_reference(reference, self.project)
                if keys is None:
                    self.graph.checks_known = False
                    self._blind(
                        self.project.files[module],
                        reference.anchor,
                        f"the asset checked by {reference.text!r} cannot be resolved statically",
                        None,
                    )
                else:
                    self.graph.checked.update(keys)

    def _replacements(self, objects: list[_ObjectId], batch: _Batch) -> dict[Key, Key]:
        """Dagster's key replacements for one loader call: the load-time ``key_prefix`` on
        every asset it loads (so on the dependencies among them), ``source_key_prefix``
        on its source assets."""
        replacements: dict[Key, Key] = {}
        transform = batch.transform
        if not transform.key_prefix and not transform.source_key_prefix:
            return replacements
        for object_id in objects:
            for decl in self.project.decls.get(object_id, []):
                if decl.key is None:
                    continue
                if decl.kind == "asset" and transform.key_prefix:
                    replacements[decl.key] = (*transform.key_prefix, *decl.key)
                elif decl.kind == "source" and transform.source_key_prefix:
                    replacements[decl.key] = (*transform.source_key_prefix, *decl.key)
        return replacements

    def _load_object(
        self, object_id: _ObjectId, batch: _Batch, replacements: dict[Key, Key]
    ) -> None:
        module, _ = object_id
        decls = self.project.decls.get(object_id, [])
        if not decls:
            return
        file = self.project.files[module]
        self.loaded_modules.add(module)
        kinds = {decl.kind for decl in decls}
        if kinds == {"spec"} and not batch.include_specs:
            for decl in decls:  # declared as an input from outside, not loaded
                if decl.key is not None:
                    self.specs.setdefault(decl.key, Asset(decl.key, decl, file))
                    # but made when the module is imported: what AssetSpec refuses counts
                    self._problems(file, decl, decl.key)
            return
        owner = id(decls[0])
        own_keys = self.owner_keys.setdefault(owner, set())
        for decl in decls:
            key = replacements.get(decl.key, decl.key) if decl.key is not None else None
            group = self._group(decl, batch.transform, file)
            if key is None:
                self.graph.unkeyed.append((file, decl))
                continue
            own_keys.add(key)
            loaded = AssetDecl.__new__(AssetDecl)  # a copy: the decl as loaded
            loaded.__dict__.update(decl.__dict__)
            loaded.key, loaded.group, loaded.deps = key, group, list(decl.deps)
            asset = Asset(key, loaded, file, self.layers.of(file, key, group))
            if decl.kind in ("source", "spec"):
                if key in self.graph.assets or key in self.graph.external:
                    self.graph.duplicates.append(asset)
                else:
                    self.graph.external[key] = asset
                self._problems(file, decl, key)
                continue
            if key in self.graph.assets or key in self.graph.external:
                self.graph.duplicates.append(asset)
                continue
            self.graph.assets[key] = asset
            self.group_of[id(asset)] = group if group is not None else _DEFAULT_GROUP
            self._problems(file, decl, key)
            asset.layer = self.layers.of(file, key, asset.decl.group)
            references = self._references(file, decl, loaded, key)
            resolved: list[tuple[Reference, Key]] = []
            for reference in references:
                keys = self._resolve(file, reference, decl)
                for raw in keys or ():
                    resolved.append((reference, replacements.get(raw, raw)))
            self.pending.append((asset, resolved))
            self.owner_keys[id(asset)] = own_keys

    def _group(self, decl: AssetDecl, transform: _Transform, file: SourceFile) -> str | None:
        if transform.group is None:
            return decl.group
        if decl.group not in (None, _DEFAULT_GROUP, transform.group, DYNAMIC_GROUP):
            self._refuse(
                file,
                decl.group_anchor if decl.group_anchor is not None else decl.anchor,
                f"Dagster refuses to load {_shown(decl.key)}: its group_name {decl.group!r} "
                f"conflicts with the group {transform.group!r} the definitions load it with",
                decl.key,
            )
        return transform.group

    def _references(
        self, file: SourceFile, decl: AssetDecl, loaded: AssetDecl, key: Key
    ) -> list[Reference]:
        """The decl's references plus its parameters that are upstream assets; the loaded
        decl's ``deps`` get the same list (rules read ``decl.deps``)."""
        if decl.wrapped is not None:
            # Its parameters are unknown: said once; a stand-in among the deps keeps the
            # rules from claiming it has no upstream (none is resolved from it).
            named = decl.function is not None and key[-1:] == (decl.function,)
            self._blind(file, decl.wrapped.anchor, decl.wrapped.message, key, hides_assets=named)
            found = list(loaded.deps)
            loaded.deps.append(Reference(text=decl.wrapped.message, anchor=decl.wrapped.anchor))
            return found
        for parameter in decl.parameters:
            reference = self._parameter(file, decl, parameter, key)
            if reference is not None:
                loaded.deps.append(reference)
        return loaded.deps

    def _parameter(
        self, file: SourceFile, decl: AssetDecl, parameter: Parameter, key: Key
    ) -> Reference | None:
        """The upstream a parameter stands for (None when it is not one), reporting what
        Dagster refuses and what the linter cannot tell."""
        role, name = parameter.role, parameter.name
        if role in ("context", "graph-context"):
            self._context(file, decl, parameter, role == "graph-context")
            return None
        if role == "input" and parameter.annotation is None and not parameter.resource_marker:
            # The common case: a plain parameter, an upstream asset by its name.
            if name not in RESERVED_INPUT_NAMES and decl.inputs_known:
                return Reference(text=name, anchor=parameter.anchor, key=(name,))
        marks = self._marks(parameter)
        resource = parameter.resource_marker or (marks is not None and is_resource(marks))
        shown = _shown(decl.key)
        if resource:
            if marks is not None and refused_as_resource(marks) and not parameter.raw_string:
                self._refuse(
                    file,
                    parameter.anchor,
                    f"Dagster refuses to load {shown}: parameter {name!r} is annotated with "
                    f"{parameter.text}, a resource definition or I/O manager class that does not "
                    "give its value to the function; annotate it ResourceParam[<its type>]",
                    key,
                )
            elif role == "ins":
                self._refuse(
                    file,
                    parameter.anchor,
                    f"Dagster refuses to load {shown}: ins= names {name!r}, a resource parameter",
                    key,
                )
            return None
        if marks is None and role in ("input", "config"):
            self._blind(
                file,
                parameter.anchor,
                f"cannot tell whether parameter {name!r} of {shown} is a resource or an "
                f"upstream asset: its annotation {parameter.text} is defined where the linter "
                "cannot see",
                key,
                module=file.module,
            )
            return None
        if role == "config":
            self._config(file, decl, parameter, marks, key)
            return None
        if role == "varargs":
            self._refuse(
                file,
                parameter.anchor,
                f"Dagster refuses to load {shown}: *{name} is not allowed in an asset function",
                key,
            )
            return None
        if role != "input":
            return None
        if name in RESERVED_INPUT_NAMES:
            self._refuse(
                file,
                parameter.anchor,
                f"Dagster refuses to load {shown}: {name!r} is a reserved name, not a valid "
                "input name",
                key,
            )
            return None
        if not decl.inputs_known:
            return None  # ins= could not be read: reported there, once
        return Reference(text=name, anchor=parameter.anchor, key=(name,))

    def _marks(self, parameter: Parameter) -> frozenset[str] | None:
        if parameter.resource_marker or not parameter.annotation:
            return frozenset()  # no annotation, or not a plain class: data
        return self.project.type_marks(parameter.annotation)

    def _context(
        self, file: SourceFile, decl: AssetDecl, parameter: Parameter, graph: bool
    ) -> None:
        shown = _shown(decl.key)
        if graph:
            self._refuse(
                file,
                parameter.anchor,
                f"Dagster refuses to load {shown}: a graph asset takes no context parameter "
                f"({parameter.name!r})",
                decl.key,
            )
            return
        if parameter.annotation is None:
            return
        if not parameter.raw_string and parameter.annotation:
            resolved = self.project.resolve_alias(parameter.annotation)
            if resolved in CONTEXT_TYPES:
                return
            module = resolved.rpartition(".")[0]
            if module in self.project.facts and self.project.type_marks(resolved) is None:
                self._blind(
                    file,
                    parameter.anchor,
                    f"cannot tell whether the context of {shown} is annotated with a context "
                    f"class ({parameter.text})",
                    decl.key,
                )
                return
        why = " (a string at run time)" if parameter.raw_string else ""
        self._refuse(
            file,
            parameter.anchor,
            f"Dagster refuses to load {shown}: its context is annotated with "
            f"{parameter.text}{why}; use AssetExecutionContext or OpExecutionContext, "
            "or no annotation",
            decl.key,
        )

    def _config(
        self,
        file: SourceFile,
        decl: AssetDecl,
        parameter: Parameter,
        marks: frozenset[str] | None,
        key: Key,
    ) -> None:
        shown = _shown(decl.key)
        problem = None
        if parameter.annotation is None:
            problem = "has no annotation (a Config class or a plain type)"
        elif parameter.raw_string:
            problem = f"is annotated with {parameter.text}, a string at run time"
        elif parameter.annotation == "":
            return  # Optional[int], list[str]...: Dagster reads these as config types
        elif marks is not None and CONFIG in marks:
            if parameter.has_default:
                problem = "is a Config class with a default value"
        else:
            resolved = self.project.resolve_alias(parameter.annotation)
            module, _, name = resolved.rpartition(".")
            if not (module == "builtins" and name in CONFIG_BUILTINS) and resolved not in (
                "typing.Any",
                "typing.Mapping",
                "typing.Dict",
                "typing.List",
            ):
                problem = f"is annotated with {parameter.text}, not a Config class"
        if problem is not None:
            self._refuse(
                file,
                parameter.anchor,
                f"Dagster refuses to load {shown}: its config parameter {problem}",
                key,
            )

    def _problems(self, file: SourceFile, decl: AssetDecl, key: Key) -> None:
        for note in decl.problems:
            self._refuse(file, note.anchor, f"{note.message} (in {key_string(key)})", key)
        if decl.defaults is not None:
            self._defaults(file, decl, key)

    def _defaults(self, file: SourceFile, decl: AssetDecl, key: Key) -> None:
        """``**NAME`` from another module: its group; what else it may set is unknown."""
        assert decl.defaults is not None
        found = self.project.follow(*decl.defaults)
        facts = self.project.facts.get(found[0]) if found else None
        symbol = facts.symbols.get(found[1]) if found and facts else None
        options = symbol.options if symbol is not None else None
        if options is None:
            self._blind(
                file,
                decl.anchor,
                f"cannot read the decorator options {'.'.join(decl.defaults)} of "
                f"{key_string(key)} statically",
                key,
            )
            return
        names = dict(options)
        hidden = sorted(set(names) & {"key", "key_prefix", "name", "deps", "ins", "**", "?"})
        if hidden:
            self._blind(
                file,
                decl.anchor,
                f"decorator options {'.'.join(decl.defaults)} set {', '.join(hidden)}, which "
                "the linter does not read from another module",
                key,
                hides_assets="key" in hidden or "key_prefix" in hidden or "name" in hidden,
            )
        asset = self.graph.assets[key]
        if "group_name" in names and asset.decl.group is None:
            asset.decl.group = names["group_name"] or DYNAMIC_GROUP
            self.group_of[id(asset)] = asset.decl.group

    def _resolve(
        self, file: SourceFile, reference: Reference, decl: AssetDecl
    ) -> tuple[Key, ...] | None:
        keys = resolve_reference(reference, self.project)
        if keys is None:
            stars = self.project.unknown_stars(file.module)
            if stars and reference.symbol is not None and reference.symbol[0] == file.module:
                self._star_blind(file, stars)
            else:
                self._unresolved(file, reference, decl)
        return keys

    def _unresolved(self, file: SourceFile, reference: Reference, decl: AssetDecl) -> None:
        if (file.module, reference.anchor) in self.reported:
            return
        self.reported.add((file.module, reference.anchor))
        self.graph.unresolved.append((file, reference, decl))

    def _star_blind(self, file: SourceFile, stars: list[tuple[str, int]]) -> None:
        origin, anchor = stars[-1]
        self._blind(
            file,
            anchor,
            f"names imported with * from {origin} cannot be seen statically",
            None,
            hides_assets=True,
        )

    def _blind(
        self,
        file: SourceFile,
        anchor: int | None,
        message: str,
        asset: Key | None,
        hides_assets: bool = False,
        module: str | None = None,
    ) -> None:
        if module is not None:
            stars = self.project.unknown_stars(module)
            if stars:
                self._star_blind(file, stars)
                return
        if (file.module, anchor) in self.reported:
            return
        self.reported.add((file.module, anchor))
        self.graph.blind.append(Remark(file, anchor, message, asset, hides_assets))

    def _refuse(
        self, file: SourceFile, anchor: int | None, message: str, asset: Key | None
    ) -> None:
        if (file.module, anchor, message) in self.refusals:
            return
        self.refusals.add((file.module, anchor, message))
        self.graph.refused.append(Remark(file, anchor, message, asset))

    def _module_remarks(self, module: str) -> None:
        """What a loaded module hides: its blind spots, calls of factories elsewhere."""
        facts = self.project.facts[module]
        file = self.project.files[module]
        for note in facts.blind:
            self._blind(file, note.anchor, note.message, None, hides_assets=True)
        for call in facts.calls:
            called, _, name = call.function.rpartition(".")
            found = self.project.follow(called, name) if called in self.project.facts else None
            facts_there = self.project.facts.get(found[0]) if found else None
            symbol = facts_there.symbols.get(found[1]) if found and facts_there else None
            factory = symbol is not None and symbol.factory
            if factory or called.split(".")[0].startswith("dagster_"):
                self._blind(
                    file,
                    call.anchor,
                    f"assets made by {call.function}() cannot be seen statically",
                    None,
                    hides_assets=True,
                )

    def _resolve_one_part_keys(self) -> None:
        """A one-part key that names no asset is the one asset of that name in the
        downstream asset's group, if there is exactly one (and it is not the asset
        itself): Dagster's ``resolve_assets_def_deps``."""
        by_group_and_name: dict[tuple[str, str], list[Key]] = {}
        for asset in self.graph.assets.values():
            group = self.group_of.get(id(asset), _DEFAULT_GROUP)
            by_group_and_name.setdefault((group, asset.key[-1]), []).append(asset.key)
        for asset in self.graph.external.values():
            group = asset.decl.group or _DEFAULT_GROUP
            by_group_and_name.setdefault((group, asset.key[-1]), []).append(asset.key)
        for asset, references in self.pending:
            group = self.group_of.get(id(asset), _DEFAULT_GROUP)
            own = self.owner_keys.get(id(asset), {asset.key})
            for index, (reference, key) in enumerate(references):
                if len(key) != 1 or self.graph.knows(key):
                    continue
                matches = by_group_and_name.get((group, key[0]), [])
                if len(matches) == 1 and matches[0] not in own:
                    references[index] = (reference, matches[0])


def resolve_reference(reference: Reference, project: _Project) -> tuple[Key, ...] | None:
    """The keys a reference stands for, or None when it cannot be known statically."""
    if reference.key is not None:
        return (reference.key,)
    if reference.symbol is None:
        return None
    if reference.spread:
        return project.spread_keys(*reference.symbol)
    return project.keys_of(*reference.symbol)


def referenced_modules(facts: ModuleFacts) -> set[str]:
    """The modules a module's facts point at: where the graph may need to look next (an
    imported resource class, decorator options, a factory, what the definitions load).
    A dotted name ``a.b.c`` may be a module or the name ``c`` in module ``a.b``: both are
    given; ``package.*`` stands for every module of a package the definitions load."""
    found: set[str] = set()
    add = found.add
    for symbol in facts.symbols.values():
        target = symbol.target
        if target is not None:
            add(target[0])
            if target[1] is not None:
                add(f"{target[0]}.{target[1]}")
        if symbol.bases:
            for base in symbol.bases:
                add(base.rpartition(".")[0])
        if symbol.alias is not None:
            add(symbol.alias.rpartition(".")[0])
    for module, _ in facts.star_imports:
        add(module)
    for call in facts.calls:
        add(call.function.rpartition(".")[0])
    for decl in facts.assets:
        if decl.defaults is not None:
            add(decl.defaults[0])
        for parameter in decl.parameters:
            if parameter.annotation:
                module = parameter.annotation.rpartition(".")[0]
                add(module)
                add(module.rpartition(".")[0])  # an imported module: module.Class
    for load in facts.loads:
        for target_module in load.targets:
            add(target_module)
            add(f"{target_module}.*")
        for module, _ in load.symbols:
            add(module)
    found.discard("")
    return found


def _shown(key: Key | None) -> str:
    return key_string(key) if key else "this asset"


def consumers(
    graph: AssetGraph, modules: list[tuple[SourceFile, ModuleFacts]]
) -> dict[Key, set[Key]] | None:
    """Who reads each asset: its downstream assets, and the owners of the core modules
    that ``read_table`` it. A core module no asset owns (``core/helpers.py``) is a reader
    too, as ``("<core>", module)`` (no asset key has a ``<``): some asset may call it, so
    what it reads is read. None when that cannot be known whole (an asset or dependency
    the linter cannot see, a read of a table it cannot resolve): then any asset may have
    a reader the linter does not know of."""
    if not graph.complete or graph.unresolved:
        return None
    found: dict[Key, set[Key]] = {}
    for edge in graph.edges:
        found.setdefault(edge.upstream, set()).add(edge.downstream.key)
    for file, facts in modules:
        for read in facts.reads:
            if read.key is None:
                return None
            reader = file.owner if file.owner is not None else ("<core>", file.module)
            found.setdefault(read.key, set()).add(reader)
    return found
