"""Asset ``silver/example``: clean orders with blocking quality checks.

The logic lives in ``core/silver_example.py``. Each of its quality promises becomes a
blocking asset check, so gold is not built from a table that breaks one.
"""

import dagster as dg

from core import silver_example
from orchestration.utils import materialize_result, quality_check_results, quality_check_specs


@dg.asset(
    key=["silver", "example"],
    group_name="silver",
    description="Sales orders cleaned, typed and de-duplicated, one row per order.",
    kinds={"pandas", "parquet"},
    deps=[dg.AssetKey(["bronze", "example"])],
    automation_condition=dg.AutomationCondition.eager(),
    check_specs=quality_check_specs(["silver", "example"], silver_example.QUALITY_CHECKS),
)
def silver_example_asset() -> dg.MaterializeResult:
    orders, uri = silver_example.run()
    problems = silver_example.quality_problems(orders)
    return materialize_result(orders, uri, quality_check_results(problems))
