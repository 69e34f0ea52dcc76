"""Asset ``silver/example``: clean orders with blocking quality checks.

The logic lives in ``core/silver_example.py``. Each of its quality promises becomes a
blocking asset check, checked on the staged data before it is published (write-audit-
publish), so neither gold nor a reader of the table ever sees data that breaks one.
"""

from collections.abc import Iterator

import dagster as dg

from core import silver_example
{%- if cookiecutter.partitioning == "daily" %}
from orchestration.utils import (
    DAILY_PARTITIONS,
    FOLLOW_UPSTREAM,
    SINGLE_RUN,
    audited_results,
    quality_check_specs,
)
{%- else %}
from orchestration.utils import FOLLOW_UPSTREAM, audited_results, quality_check_specs
{%- endif %}


@dg.asset(
    key=["silver", "example"],
    group_name="silver",
    description="Sales orders cleaned, typed and de-duplicated, one row per order.",
    kinds={"pandas", "delta"},
    deps=[dg.AssetKey(["bronze", "example"])],
{%- if cookiecutter.partitioning == "daily" %}
    partitions_def=DAILY_PARTITIONS,
    backfill_policy=SINGLE_RUN,
    automation_condition=FOLLOW_UPSTREAM,
{%- else %}
    automation_condition=FOLLOW_UPSTREAM,
{%- endif %}
    check_specs=quality_check_specs(["silver", "example"], silver_example.QUALITY_CHECKS),
    # A run whose data fails a check publishes nothing and reports no materialization.
    output_required=False,
)
{%- if cookiecutter.partitioning == "daily" %}
def silver_example_asset(context: dg.AssetExecutionContext) -> Iterator:
    audit = silver_example.audit_and_publish(context.partition_keys)
    yield from audited_results(context, audit.orders, audit.uri, audit.problems, audit.published)
{%- else %}
def silver_example_asset() -> Iterator:
    audit = silver_example.audit_and_publish()
    yield from audited_results(audit.orders, audit.uri, audit.problems)
{%- endif %}
