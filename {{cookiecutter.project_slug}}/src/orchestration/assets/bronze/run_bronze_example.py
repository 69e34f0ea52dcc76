"""Asset ``bronze/example``: raw sales orders (logic in ``core/bronze_example.py``)."""

import dagster as dg

from core import bronze_example
{%- if cookiecutter.partitioning == "daily" %}
from orchestration.utils import (
    BUILD_WHEN_MISSING,
    DAILY_PARTITIONS,
    SINGLE_RUN,
    materialize_result,
    partition_row_counts,
)
{%- else %}
from orchestration.utils import BUILD_WHEN_MISSING, materialize_result
{%- endif %}


@dg.asset(
    key=["bronze", "example"],
    group_name="bronze",
    description="Raw sales orders as the shop system exports them, dirt included.",
    kinds={"pandas", "delta"},
{%- if cookiecutter.partitioning == "daily" %}
    partitions_def=DAILY_PARTITIONS,
    backfill_policy=SINGLE_RUN,
{%- endif %}
    automation_condition=BUILD_WHEN_MISSING,
)
{%- if cookiecutter.partitioning == "daily" %}
def bronze_example_asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    orders, uri = bronze_example.run(context.partition_keys)
    partition_row_counts(context, orders)
    return materialize_result(orders, uri)
{%- else %}
def bronze_example_asset() -> dg.MaterializeResult:
    return materialize_result(*bronze_example.run())
{%- endif %}
