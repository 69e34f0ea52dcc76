"""Asset ``bronze/example``: raw sales orders (logic in ``core/bronze_example.py``)."""

import dagster as dg

from core import bronze_example
from orchestration.utils import BUILD_WHEN_MISSING, materialize_result


@dg.asset(
    key=["bronze", "example"],
    group_name="bronze",
    description="Raw sales orders as the shop system exports them, dirt included.",
    kinds={"pandas", "parquet"},
    automation_condition=BUILD_WHEN_MISSING,
)
def bronze_example_asset() -> dg.MaterializeResult:
    return materialize_result(*bronze_example.run())
