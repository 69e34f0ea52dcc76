from collections.abc import Iterator
from dataclasses import replace

from polster_lint.domain.model import Key, key_string
from polster_lint.domain.rules.base import (
    BRONZE_ORDERS,
    SILVER_ORDERS,
    CheckContext,
    Example,
    LayerEdgeRule,
    asset_path,
    asset_source,
)
from polster_lint.domain.violation import Violation


class GoldReadsBronze(LayerEdgeRule):
    code = "POL002"
    name = "gold-reads-bronze"
    summary = "a gold asset depends directly on bronze"
    what = "A gold asset depends directly on a bronze asset, skipping silver."
    why = (
        "Gold must build on cleaned, checked data. Reading bronze skips silver's cleaning "
        "and quality checks."
    )
    fix = (
        "Depend on the silver asset that cleans that bronze table (create one if needed); "
        "the message names the silver assets that already read it."
    )
    invalid = (
        Example(
            {
                **BRONZE_ORDERS,
                asset_path("gold", "revenue"): asset_source(
                    "gold", "revenue", 'deps=[dg.AssetKey(["bronze", "orders"])]'
                ),
            },
            (("POL002", asset_path("gold", "revenue"), 4, 61),),
        ),
    )
    valid = (
        Example(
            {
                **BRONZE_ORDERS,
                **SILVER_ORDERS,
                asset_path("gold", "revenue"): asset_source(
                    "gold", "revenue", 'deps=[dg.AssetKey(["silver", "orders"])]'
                ),
            }
        ),
    )

    def check(self, context: CheckContext) -> Iterator[Violation]:
        """The layer break, with the silver assets that already clean that bronze table:
        which one gold should read is the author's choice, so it is suggested, not fixed."""
        silver_readers: dict[Key, set[str]] | None = None
        for violation in super().check(context):
            if silver_readers is None:  # one pass over the edges, only when gold breaks
                silver_readers = {}
                for edge in context.graph.edges:
                    if edge.downstream.layer == "silver":
                        readers = silver_readers.setdefault(edge.upstream, set())
                        readers.add(key_string(edge.downstream.key))
            candidates = sorted(silver_readers.get(violation.dependency or (), ()))
            if candidates:
                suggestion = f"; read {' or '.join(candidates)} instead"
                violation = replace(violation, message=violation.message + suggestion)
            yield violation
