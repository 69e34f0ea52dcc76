"""Resolve the extracted references into the project's asset graph.

References that name symbols (``deps=[orders]``, ``deps=[m.orders]``, an imported
``AssetSpec``) are followed through the modules' imports to the asset they stand for,
the way Python would resolve them at import time.
"""

from dataclasses import dataclass, field

from polster_lint.domain.model import AssetDecl, Key, ModuleFacts, Reference, SourceFile

_MAX_IMPORT_HOPS = 20


@dataclass
class Asset:
    key: Key
    decl: AssetDecl
    file: SourceFile

    @property
    def layer(self) -> str | None:
        return self.file.layer


@dataclass
class Edge:
    """``downstream`` depends on ``upstream`` through ``reference`` (in ``file``)."""

    upstream: Key
    downstream: Asset
    reference: Reference


@dataclass
class AssetGraph:
    assets: dict[Key, Asset] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    unresolved: list[tuple[SourceFile, Reference, AssetDecl]] = field(default_factory=list)
    duplicates: list[Asset] = field(default_factory=list)
    unkeyed: list[tuple[SourceFile, AssetDecl]] = field(default_factory=list)


def build_graph(modules: list[tuple[SourceFile, ModuleFacts]]) -> AssetGraph:
    graph = AssetGraph()
    by_module = {facts.module: facts for _, facts in modules}
    for file, facts in modules:
        if not file.is_asset_module:
            continue
        for decl in facts.assets:
            if decl.key is None:
                graph.unkeyed.append((file, decl))
            elif decl.key in graph.assets:
                graph.duplicates.append(Asset(decl.key, decl, file))
            else:
                graph.assets[decl.key] = Asset(decl.key, decl, file)
    for asset in graph.assets.values():
        for reference in asset.decl.deps:
            keys = resolve_reference(reference, by_module)
            if keys is None:
                graph.unresolved.append((asset.file, reference, asset.decl))
            for key in keys or ():
                graph.edges.append(Edge(upstream=key, downstream=asset, reference=reference))
    return graph


def resolve_reference(
    reference: Reference, by_module: dict[str, ModuleFacts]
) -> tuple[Key, ...] | None:
    """The keys a reference stands for, or None when it cannot be known statically."""
    if reference.key is not None:
        return (reference.key,)
    if reference.symbol is None:
        return None
    module, name = reference.symbol
    for _ in range(_MAX_IMPORT_HOPS):
        facts = by_module.get(module)
        symbol = facts.symbols.get(name) if facts is not None else None
        if symbol is None:
            return None
        if symbol.keys:
            return symbol.keys
        if symbol.target is None:
            return None
        module, attribute = symbol.target
        if attribute is None:  # the name is a module, not something in one
            return None
        name = attribute
    return None
