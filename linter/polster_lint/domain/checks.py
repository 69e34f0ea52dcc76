"""Apply the medallion rules to the asset graph and the core modules' table reads.

Checks return :class:`Violation` objects that point at an anchor in a file; the engine
turns anchors into line and column only for the violations that survive filtering.
"""

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from polster_lint.domain.config import LintConfig
from polster_lint.domain.graph import AssetGraph, Edge
from polster_lint.domain.medallion import LAYERS, layer_rank, upstream_layers
from polster_lint.domain.model import DYNAMIC_GROUP, Key, ModuleFacts, SourceFile, key_string


@dataclass(frozen=True)
class Violation:
    file: SourceFile
    anchor: int | None
    code: str
    message: str
    asset: Key | None = None
    dependency: Key | None = None
    line: int | None = None
    column: int | None = None


def check_all(
    graph: AssetGraph, modules: list[tuple[SourceFile, ModuleFacts]], config: LintConfig
) -> list[Violation]:
    violations: list[Violation] = []
    for file, facts in modules:
        if facts.syntax_error is not None:
            message, position = facts.syntax_error
            violations.append(
                Violation(
                    file,
                    None,
                    "POL000",
                    f"cannot parse: {message}",
                    line=position.line,
                    column=position.column,
                )
            )
    violations += _asset_layers(graph)
    violations += _edges(graph, config)
    violations += _cycles(graph)
    violations += _hidden_reads(graph, modules, config)
    return violations


def _asset_layers(graph: AssetGraph) -> list[Violation]:
    found: list[Violation] = []
    for file, decl in graph.unkeyed:
        found.append(
            Violation(file, decl.anchor, "POL010", "asset key cannot be resolved statically")
        )
    for asset in graph.duplicates:
        found.append(
            Violation(
                asset.file,
                asset.decl.anchor,
                "POL007",
                f"asset {key_string(asset.key)} is defined more than once",
                asset=asset.key,
            )
        )
    for asset in graph.assets.values():
        name = key_string(asset.key)
        decl = asset.decl
        if asset.layer is None:
            found.append(
                Violation(
                    asset.file,
                    decl.anchor,
                    "POL007",
                    f"asset {name} is outside the layer folders ({', '.join(LAYERS)})",
                    asset=asset.key,
                )
            )
            continue
        if decl.group is None:
            found.append(
                Violation(
                    asset.file,
                    decl.anchor,
                    "POL007",
                    f"asset {name} has no group_name; expected {asset.layer!r} from its folder",
                    asset=asset.key,
                )
            )
        elif decl.group not in (asset.layer, DYNAMIC_GROUP):
            found.append(
                Violation(
                    asset.file,
                    decl.group_anchor,
                    "POL007",
                    f"asset {name} has group_name {decl.group!r} but sits in the "
                    f"{asset.layer} folder",
                    asset=asset.key,
                )
            )
        if len(asset.key) > 1 and asset.key[0] in LAYERS and asset.key[0] != asset.layer:
            found.append(
                Violation(
                    asset.file,
                    decl.anchor,
                    "POL007",
                    f"asset key {name} names layer {asset.key[0]!r} but the asset sits in "
                    f"the {asset.layer} folder",
                    asset=asset.key,
                )
            )
        if asset.layer != "bronze" and not decl.deps:
            found.append(
                Violation(
                    asset.file,
                    decl.anchor,
                    "POL009",
                    f"{asset.layer} asset {name} has no upstream asset",
                    asset=asset.key,
                )
            )
    return found


def _edges(graph: AssetGraph, config: LintConfig) -> list[Violation]:
    found: list[Violation] = []
    for file, reference, decl in graph.unresolved:
        found.append(
            Violation(
                file,
                reference.anchor,
                "POL010",
                f"cannot resolve dependency {reference.text!r} statically",
                asset=decl.key,
            )
        )
    suggestions = _Suggestions(graph.assets)
    for edge in graph.edges:
        violation = _edge_violation(edge, graph, config, suggestions)
        if violation is not None:
            found.append(violation)
    return found


def _edge_violation(
    edge: Edge, graph: AssetGraph, config: LintConfig, suggestions: "_Suggestions"
) -> Violation | None:
    asset = edge.downstream
    upstream = graph.assets.get(edge.upstream)

    def violation(code: str, message: str) -> Violation:
        return Violation(
            asset.file,
            edge.reference.anchor,
            code,
            message,
            asset=asset.key,
            dependency=edge.upstream,
        )

    down, up = key_string(asset.key), key_string(edge.upstream)
    if upstream is None:
        if edge.upstream in config.external:
            return None
        close = suggestions.closest(edge.upstream)
        hint = f"; did you mean {close}?" if close else ""
        return violation(
            "POL005", f"{down} depends on {up}, which is not an asset of the project{hint}"
        )
    message = _layer_rule(asset.layer, upstream.layer, config)
    if message is None:
        return None
    code, reason = message
    return violation(code, f"{down} depends on {up}: {reason}")


_Probe = tuple[Key | str, ...]
"""A feature of a key that a typo of it probably keeps (see :class:`_Suggestions`)."""


class _Suggestions:
    """ "Did you mean" candidates for an unknown key, found without comparing every key.

    difflib against all keys of a 10,000-asset project costs seconds per typo. A typo
    nearly always keeps the start or the end of the name, so only keys of the same layer
    (first part) that share the name's first or last three characters, and keys with the
    very same name under another prefix, are compared.
    """

    def __init__(self, keys: Iterable[Key]) -> None:
        self._index: dict[_Probe, list[str]] = {}
        for key in keys:
            for probe in self._probes(key):
                self._index.setdefault(probe, []).append(key_string(key))

    @staticmethod
    def _probes(key: Key) -> list[_Probe]:
        prefix, name = key[:-1], key[-1]
        # The last probe finds the same name under another prefix: orders -> silver/orders.
        return [(prefix, "start", name[:3]), (prefix, "end", name[-3:]), ("name", name)]

    def closest(self, key: Key) -> str | None:
        candidates = {text for probe in self._probes(key) for text in self._index.get(probe, ())}
        close = difflib.get_close_matches(key_string(key), sorted(candidates), n=1)
        return close[0] if close else None


def _layer_rule(down: str | None, up: str | None, config: LintConfig) -> tuple[str, str] | None:
    """The code and reason a ``down`` -> ``up`` edge between layers breaks, if any.

    Whether the edge is allowed comes from the medallion policy; the code only says how
    it breaks it, so that each kind of mistake can be selected or silenced on its own.
    """
    if down is None or up is None:
        return None
    allowed = upstream_layers(down, down in config.same_layer_allowed)
    if up in allowed:
        return None
    if not allowed:
        return "POL001", f"{down} assets take no upstream assets"
    if down == up:
        return "POL004", f"{down} may not depend on {up} (same layer)"
    if layer_rank(up) > layer_rank(down):
        return "POL003", f"{down} may not depend on the later layer {up}"
    return "POL002", f"{down} must read {' or '.join(allowed)}, not {up}"


def _cycles(graph: AssetGraph) -> list[Violation]:
    successors: dict[Key, list[Edge]] = {}
    for edge in graph.edges:
        if edge.upstream in graph.assets:
            successors.setdefault(edge.downstream.key, []).append(edge)
    found: list[Violation] = []
    for component in _strongly_connected(successors):
        members = set(component)
        if len(component) == 1:
            key = component[0]
            if not any(edge.upstream == key for edge in successors.get(key, [])):
                continue
        start = min(members)
        edge = min(
            (edge for edge in successors[start] if edge.upstream in members),
            key=lambda edge: edge.upstream,
        )
        path = " -> ".join(key_string(k) for k in [*_cycle_path(start, members, successors), start])
        found.append(
            Violation(
                edge.downstream.file,
                edge.reference.anchor,
                "POL006",
                f"dependency cycle: {path}",
                asset=start,
                dependency=edge.upstream,
            )
        )
    return found


def _cycle_path(start: Key, members: set[Key], successors: dict[Key, list[Edge]]) -> list[Key]:
    """One cycle through ``start`` inside the component, by breadth-first search."""
    previous: dict[Key, Key] = {}
    frontier = [start]
    while frontier:
        next_frontier = []
        for node in frontier:
            for edge in sorted(successors.get(node, []), key=lambda e: e.upstream):
                target = edge.upstream
                if target not in members:
                    continue
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return list(reversed(path))
                if target not in previous:
                    previous[target] = node
                    next_frontier.append(target)
        frontier = next_frontier
    return [start]


def _strongly_connected(successors: dict[Key, list[Edge]]) -> list[list[Key]]:
    """Tarjan's algorithm, iterative so that deep graphs cannot overflow the stack."""
    index: dict[Key, int] = {}
    low: dict[Key, int] = {}
    stack: list[Key] = []
    on_stack: set[Key] = set()
    components: list[list[Key]] = []
    for root in sorted(successors):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            targets = [edge.upstream for edge in successors.get(node, [])]
            if position < len(targets):
                work.append((node, position + 1))
                target = targets[position]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def _hidden_reads(
    graph: AssetGraph, modules: list[tuple[SourceFile, ModuleFacts]], config: LintConfig
) -> list[Violation]:
    declared: dict[Key, set[Key]] = {}
    for edge in graph.edges:
        declared.setdefault(edge.downstream.key, set()).add(edge.upstream)
    found: list[Violation] = []
    for file, facts in modules:
        if file.owner is None or file.is_asset_module:
            continue
        owner = file.owner
        for read in facts.reads:
            if read.key is None:
                found.append(
                    Violation(
                        file,
                        read.anchor,
                        "POL010",
                        f"cannot resolve the table of {read.text!r} statically",
                        asset=owner,
                    )
                )
                continue
            table = key_string(read.key)
            broken = _layer_rule(owner[0], read.key[0] if read.key[0] in LAYERS else None, config)
            if broken is not None:
                found.append(
                    Violation(
                        file,
                        read.anchor,
                        "POL008",
                        f"{key_string(owner)} reads table {table}: {broken[1]}",
                        asset=owner,
                        dependency=read.key,
                    )
                )
            elif owner in graph.assets and read.key not in declared.get(owner, set()):
                found.append(
                    Violation(
                        file,
                        read.anchor,
                        "POL008",
                        f"{key_string(owner)} reads table {table} but its asset does not "
                        f"declare it in deps",
                        asset=owner,
                        dependency=read.key,
                    )
                )
    return found
