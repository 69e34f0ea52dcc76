from collections.abc import Iterator

from polster_lint.domain.graph import consumers
from polster_lint.domain.model import key_string
from polster_lint.domain.rules.base import (
    BRONZE_ORDERS,
    CheckContext,
    Example,
    Rule,
    asset_path,
    asset_source,
)
from polster_lint.domain.violation import Violation


def _silver(name: str, deps: str) -> dict[str, str]:
    return {asset_path("silver", name): asset_source("silver", name, f"deps=[{deps}]")}


_ON = {"allow-same-layer": ["silver"], "extend-select": ["POL017"]}
_ORDERS = 'dg.AssetKey(["bronze", "orders"])'
_CLEAN = _silver("clean", _ORDERS)
_ENRICHED = asset_path("silver", "enriched")


class RejoinedUpstream(Rule):
    code = "POL017"
    name = "rejoined-upstream"
    summary = "an asset reads A directly and through B, which feeds nothing else (off by default)"
    default_enabled = False
    what = (
        "Asset C depends on A directly and on B, which depends on A and feeds only C "
        "(no other asset, no core module's `read_table`). Not claimed while any asset or "
        "dependency is hidden from the linter (POL010): B might have another reader; nor "
        "when one of the three edges already breaks a layer rule (POL001 to POL004), "
        "whose fix comes first. Off by default: a silver asset joining a cleaned "
        "table back with its raw source is a common, deliberate shape; enable it with "
        '`extend-select = ["POL017"]`.'
    )
    why = (
        "B is then a step of C's logic split off, and C joins A back in: the same concept "
        "is read twice, in two places that can drift apart (dbt-project-evaluator calls "
        "this the rejoining of upstream concepts)."
    )
    fix = "Fold B into C, or drop C's direct dependency on A and take what it needs from B."
    invalid = (
        Example(
            {
                **BRONZE_ORDERS,
                **_CLEAN,
                **_silver("enriched", f'{_ORDERS}, dg.AssetKey(["silver", "clean"])'),
            },
            (("POL017", _ENRICHED, 4, 66),),
            settings=_ON,
        ),
    )
    valid = (
        Example(
            {
                **BRONZE_ORDERS,
                **_CLEAN,
                **_silver("enriched", 'dg.AssetKey(["silver", "clean"])'),
            },
            settings=_ON,
        ),
    )

    def check(self, context: CheckContext) -> Iterator[Violation]:
        readers = consumers(context.graph, context.modules)
        if readers is None:
            return
        declared = context.declared
        broken = {(edge.downstream.key, edge.upstream) for edge, _, _ in context.layer_breaks}
        for edge in context.graph.edges:
            joined, direct = edge.downstream.key, edge.upstream
            for between in sorted(declared.get(joined, ())):
                if (
                    between != direct
                    and direct in declared.get(between, ())
                    and readers.get(between) == {joined}
                    and not {(joined, direct), (joined, between), (between, direct)} & broken
                ):
                    yield Violation(
                        edge.downstream.file,
                        edge.reference.anchor,
                        self.code,
                        f"{key_string(joined)} reads {key_string(direct)} directly and "
                        f"through {key_string(between)}, which feeds only it: fold "
                        f"{key_string(between)} into {key_string(joined)}, or drop the "
                        f"direct dependency",
                        asset=joined,
                        dependency=direct,
                    )
