from collections import Counter
from collections.abc import Iterator

from polster_lint.domain.graph import AssetGraph
from polster_lint.domain.medallion import LAYERS
from polster_lint.domain.model import Key, key_string
from polster_lint.domain.rules.base import (
    BRONZE_ORDERS,
    CORE,
    SILVER_ORDERS,
    CheckContext,
    Example,
    Rule,
    asset_path,
    asset_source,
)
from polster_lint.domain.violation import ADD_DEPENDENCY, Fix, Violation

_STORAGE = {f"{CORE}/storage.py": "def read_table(layer, name): ...\n"}


def _gold_revenue_reading(layer: str) -> dict[str, str]:
    return {
        f"{CORE}/gold_revenue.py": (
            "from core.storage import read_table\n\n\n"
            f'def build():\n    return read_table("{layer}", "orders")\n'
        )
    }


_GOLD_REVENUE = {
    asset_path("gold", "revenue"): asset_source(
        "gold", "revenue", 'deps=[dg.AssetKey(["silver", "orders"])]'
    )
}


class HiddenRead(Rule):
    code = "POL008"
    name = "hidden-read"
    summary = (
        "hidden read: `read_table` of a table that breaks the rules or is not declared in deps"
    )
    what = (
        "A core module reads a table through the storage API (read_table) that breaks the "
        "layer rules or that its asset does not declare as a dependency."
    )
    why = (
        "An undeclared read is an edge Dagster does not know: it will not order the runs "
        "or refresh the asset when that table changes."
    )
    fix = (
        "Declare the table's asset in the asset's deps, or read from the allowed layer. "
        "`polster-lint --fix` declares a missing upstream of an allowed layer."
    )
    invalid = (
        Example(
            {
                **BRONZE_ORDERS,
                **SILVER_ORDERS,
                **_GOLD_REVENUE,
                **_STORAGE,
                **_gold_revenue_reading("bronze"),
            },
            (("POL008", f"{CORE}/gold_revenue.py", 5, 12),),
        ),
    )
    valid = (
        Example(
            {
                **BRONZE_ORDERS,
                **SILVER_ORDERS,
                **_GOLD_REVENUE,
                **_STORAGE,
                **_gold_revenue_reading("silver"),
            }
        ),
    )

    fixable = True

    def check(self, context: CheckContext) -> Iterator[Violation]:
        makers: Counter[tuple[str, int]] | None = None
        for file, facts in context.modules:
            owner = file.owner
            if owner is None or file.is_asset_module:
                continue
            for read in facts.reads:
                if read.key is None:
                    continue  # POL010
                table = key_string(read.key)
                layer = read.key[0] if read.key[0] in LAYERS else None
                broken = context.layer_break(owner[0], layer)
                fix = None
                if broken is not None:
                    message = f"{key_string(owner)} reads table {table}: {broken[1]}"
                elif owner in context.graph.assets and read.key not in context.declared.get(
                    owner, set()
                ):
                    message = (
                        f"{key_string(owner)} reads table {table} but its asset does not "
                        "declare it in deps"
                    )
                    if makers is None:  # counted once, when the first fix needs it
                        makers = _assets_per_object(context.graph)
                    fix = _declare(context.graph, owner, read.key, makers)
                else:
                    continue
                yield Violation(
                    file, read.anchor, self.code, message, asset=owner, dependency=read.key, fix=fix
                )


def _assets_per_object(graph: AssetGraph) -> Counter[tuple[str, int]]:
    """How many assets each declaring object (file, object number) makes."""
    return Counter((asset.file.relative, asset.decl.obj) for asset in graph.assets.values())


def _declare(
    graph: AssetGraph, owner: Key, table: Key, makers: Counter[tuple[str, int]]
) -> Fix | None:
    """Adding ``table`` to the owner's deps, when that is safe: the table is an asset of the
    project (a typo must not become an external input) and the owner is declared with a
    literal key in this project. The upstream's function is named when it makes only
    that asset (``makers``: see :func:`_assets_per_object`), so that a module listing
    functions in ``deps`` can name it too."""
    asset, upstream = graph.assets[owner], graph.assets.get(table)
    if upstream is None or asset.decl.kind != "asset":
        return None
    function = upstream.decl.function
    alone = makers[upstream.file.relative, upstream.decl.obj] == 1
    symbol = (upstream.file.module, function) if function and alone else None
    return Fix(ADD_DEPENDENCY, table, file=asset.file, anchor=asset.decl.anchor, symbol=symbol)
