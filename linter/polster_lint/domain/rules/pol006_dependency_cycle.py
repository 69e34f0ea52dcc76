from collections.abc import Iterator

from polster_lint.domain.graph import Edge
from polster_lint.domain.model import Key, key_string
from polster_lint.domain.rules.base import (
    BRONZE_ORDERS,
    CheckContext,
    Example,
    Rule,
    asset_path,
    asset_source,
)
from polster_lint.domain.violation import Violation

_BOTH_WAYS = {
    **BRONZE_ORDERS,
    asset_path("silver", "a"): asset_source(
        "silver", "a", 'deps=[dg.AssetKey(["bronze", "orders"]), dg.AssetKey(["silver", "b"])]'
    ),
    asset_path("silver", "b"): asset_source(
        "silver", "b", 'deps=[dg.AssetKey(["bronze", "orders"]), dg.AssetKey(["silver", "a"])]'
    ),
}


class DependencyCycle(Rule):
    code = "POL006"
    name = "dependency-cycle"
    summary = "dependency cycle"
    what = "Assets depend on each other in a cycle."
    why = "Dagster cannot order a cycle; the definitions fail to load."
    fix = "Break the cycle by moving one dependency."
    invalid = (
        Example(
            _BOTH_WAYS,
            (("POL006", asset_path("silver", "a"), 4, 94),),
            settings={"allow-same-layer": ["silver"]},
        ),
    )
    valid = (Example({**BRONZE_ORDERS}),)

    def check(self, context: CheckContext) -> Iterator[Violation]:
        graph = context.graph
        successors: dict[Key, list[Edge]] = {}
        for edge in graph.edges:
            if edge.upstream in graph.assets:
                successors.setdefault(edge.downstream.key, []).append(edge)
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
            path = " -> ".join(
                key_string(k) for k in [*_cycle_path(start, members, successors), start]
            )
            yield Violation(
                edge.downstream.file,
                edge.reference.anchor,
                self.code,
                f"dependency cycle: {path}",
                asset=start,
                dependency=edge.upstream,
            )


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
