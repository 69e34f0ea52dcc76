from collections.abc import Iterator

from polster_lint.domain.graph import consumers
from polster_lint.domain.model import key_string
from polster_lint.domain.rules.base import (
    BRONZE_ORDERS,
    CORE,
    SILVER_ORDERS,
    CheckContext,
    Example,
    Rule,
)
from polster_lint.domain.violation import Violation

_ON = {"extend-select": ["POL019"]}


class UnconsumedBronze(Rule):
    code = "POL019"
    name = "unconsumed-bronze"
    summary = "a bronze asset nothing reads (off by default: `extend-select`)"
    default_enabled = False
    what = (
        "No asset depends on a bronze asset and no core module reads it with `read_table` "
        "(a helper module no asset owns counts: some asset may call it). "
        'Off by default: enable it with `extend-select = ["POL019"]`. Not claimed while '
        "any asset, dependency or read is hidden from the linter (POL010)."
    )
    why = (
        "Bronze data that nothing refines is ingested, stored and paid for without use. "
        "It is off by default because a project often lands a source before the silver "
        "asset that will read it is written."
    )
    fix = "Build the silver asset that reads it, or remove the bronze asset."
    invalid = (
        Example(
            BRONZE_ORDERS,
            (("POL019", "src/orchestration/assets/bronze/run_bronze_orders.py", 4, 15),),
            settings=_ON,
        ),
    )
    valid = (
        Example({**BRONZE_ORDERS, **SILVER_ORDERS}, settings=_ON),
        Example(BRONZE_ORDERS),
        Example(  # a core module no asset owns reads it: some asset may call the helper
            {
                **BRONZE_ORDERS,
                f"{CORE}/helpers.py": (
                    "from core.storage import read_table\n\n\n"
                    "def orders() -> object:\n"
                    '    return read_table("bronze", "orders")\n'
                ),
            },
            settings=_ON,
        ),
    )

    def check(self, context: CheckContext) -> Iterator[Violation]:
        readers = consumers(context.graph, context.modules)
        if readers is None:
            return
        for asset in context.graph.assets.values():
            if asset.layer == "bronze" and not readers.get(asset.key):
                yield Violation(
                    asset.file,
                    asset.decl.anchor,
                    self.code,
                    f"bronze asset {key_string(asset.key)} is read by no asset",
                    asset=asset.key,
                )
