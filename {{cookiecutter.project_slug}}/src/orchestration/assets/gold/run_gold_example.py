"""Asset ``gold/example``: daily revenue per region and product (logic in core/gold_example.py)."""

import dagster as dg

from core import gold_example
{%- if cookiecutter.partitioning == "daily" %}
from orchestration.utils import (
    DAILY_PARTITIONS,
    FOLLOW_UPSTREAM,
    SINGLE_RUN,
    materialize_result,
    partition_row_counts,
)
{%- else %}
from orchestration.utils import FOLLOW_UPSTREAM, materialize_result
{%- endif %}


@dg.asset(
    key=["gold", "example"],
    group_name="gold",
    description="Orders, customers, units and revenue per day, region and product.",
    kinds={"pandas", "delta"},
    deps=[dg.AssetKey(["silver", "example"])],
{%- if cookiecutter.partitioning == "daily" %}
    partitions_def=DAILY_PARTITIONS,
    backfill_policy=SINGLE_RUN,
    automation_condition=FOLLOW_UPSTREAM,
)
def gold_example_asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    summary, uri = gold_example.run(context.partition_keys)
    partition_row_counts(context, summary)
    return materialize_result(summary, uri)
{%- else %}
    automation_condition=FOLLOW_UPSTREAM,
)
def gold_example_asset() -> dg.MaterializeResult:
    return materialize_result(*gold_example.run())
{%- endif %}
