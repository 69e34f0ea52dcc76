"""Asset ``gold/example``: daily revenue per region and product (logic in core/gold_example.py)."""

import dagster as dg

from core import gold_example
from orchestration.utils import materialize_result


@dg.asset(
    key=["gold", "example"],
    group_name="gold",
    description="Orders, customers, units and revenue per day, region and product.",
    kinds={"pandas", "parquet"},
    deps=[dg.AssetKey(["silver", "example"])],
    automation_condition=dg.AutomationCondition.eager(),
)
def gold_example_asset() -> dg.MaterializeResult:
    return materialize_result(*gold_example.run())
