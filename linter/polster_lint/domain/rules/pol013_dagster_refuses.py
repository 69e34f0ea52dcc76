from collections.abc import Iterator

from polster_lint.domain.rules.base import (
    BRONZE_ORDERS,
    CheckContext,
    Example,
    Rule,
    asset_path,
    asset_source,
    remark_violation,
)
from polster_lint.domain.violation import Violation


def _silver_orders(signature: str) -> dict[str, str]:
    return {
        asset_path("silver", "orders"): (
            "import dagster as dg\n\n\n"
            '@dg.asset(key=["silver", "orders"], group_name="silver", '
            'ins={"orders": dg.AssetIn(key=["bronze", "orders"])}, '
            'check_specs=[dg.AssetCheckSpec("rows", asset=["silver", "orders"])])\n'
            f"def orders({signature}) -> None: ...\n"
        )
    }


class DagsterRefuses(Rule):
    code = "POL013"
    name = "dagster-refuses"
    summary = "Dagster would refuse to load this definition"
    what = (
        "A definition that Dagster refuses when it loads the project: a context parameter "
        "that is not first or is annotated with the wrong class, a resource annotation "
        "Dagster does not accept, *args, a reserved input name, conflicting groups, a "
        "dependency in deps= of a type AssetDep refuses (a tuple, a number, None)."
    )
    why = (
        "The project would not load, so no other rule's verdict about it is worth much; "
        "saying clean would be false. The rule mirrors the checks in Dagster's own source."
    )
    fix = "Change the definition as the message says (it names the parameter and why)."
    invalid = (
        Example(
            {**BRONZE_ORDERS, **_silver_orders("orders, context: dg.AssetExecutionContext")},
            (("POL013", asset_path("silver", "orders"), 5, 20),),
        ),
        Example(  # a tuple is a key for AssetKey(...), not in deps= (AssetDep refuses it)
            {
                **BRONZE_ORDERS,
                asset_path("silver", "orders"): asset_source(
                    "silver", "orders", 'deps=[("bronze", "orders")]'
                ),
            },
            (("POL013", asset_path("silver", "orders"), 4, 65),),
        ),
    )
    valid = (
        Example({**BRONZE_ORDERS, **_silver_orders("context: dg.AssetExecutionContext, orders")}),
        Example(
            {
                **BRONZE_ORDERS,
                asset_path("silver", "orders"): asset_source(
                    "silver", "orders", 'deps=[dg.AssetKey(("bronze", "orders"))]'
                ),
            }
        ),
    )

    def check(self, context: CheckContext) -> Iterator[Violation]:
        for remark in context.graph.refused:
            yield remark_violation(remark, self.code)
