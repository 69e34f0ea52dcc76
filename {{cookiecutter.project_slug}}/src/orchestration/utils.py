"""Helpers shared by the asset modules: metadata, quality checks{% if cookiecutter.partitioning == "daily" %}, partitions{% endif %} and automation."""

{% if cookiecutter.partitioning == "daily" -%}
import warnings
{% endif -%}
from collections.abc import Iterator, Mapping{% if cookiecutter.partitioning == "daily" %}, Sequence{% endif %}

import dagster as dg
import pandas as pd
{%- if cookiecutter.partitioning == "daily" %}

from core.storage import PARTITION_COLUMN
{%- endif %}

PREVIEW_ROWS = 5
{%- if cookiecutter.partitioning == "daily" %}

DAILY_PARTITIONS = dg.DailyPartitionsDefinition(start_date="2026-01-01")
"""One partition per order date (UTC), from the sample data's first day to the last full day.

Every asset of the project uses it: a partition of gold is built from the same day of
silver, and silver from the same day of bronze.
"""

SAMPLE_PARTITIONS = dg.PartitionKeyRange("2026-01-01", "2026-01-31")
"""The days ``python run_polster.py`` builds without ``--partitions``: the sample data.

Keep it in step with ``FIRST_DAY`` and ``DAYS`` in ``core/bronze_example.py``.
"""

SINGLE_RUN = dg.BackfillPolicy.single_run()
"""A backfill of many days runs as one run with one step per asset, not one run per day."""

# Dagster 1.13 marks the `backfill_policy` parameter of `@dg.asset` as beta and warns each
# time an asset uses it; the policy itself is stable. Only that one warning is silenced.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)

BUILD_WHEN_MISSING = (
    dg.AutomationCondition.in_latest_time_window()
    & dg.AutomationCondition.missing()
    & ~dg.AutomationCondition.in_progress()
    & ~dg.AutomationCondition.execution_failed()
).with_label("build the latest day once when missing")
"""Automation for bronze assets: the latest day is built without a click.

``AutomationCondition.eager()`` alone never starts an asset that has never been
materialized, so a fresh project would sit idle. Only the latest day is built this way;
history is built by ``python run_polster.py`` (the sample range) or a backfill. A failed
build is not retried in a loop; the daily schedule (or a manual run) tries again.
"""

BUILD_WITH_UPSTREAM = (
    dg.AutomationCondition.missing()
    & ~dg.AutomationCondition.any_deps_missing()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
    & ~dg.AutomationCondition.execution_failed()
).with_label("missing, upstream there or requested now")
"""Build a missing day as soon as its upstream day exists, or is requested in the same tick.

On a fresh project this puts silver and gold into the very run that builds bronze,
instead of a second run one sensor tick later.
"""

FOLLOW_UPSTREAM = (
    dg.AutomationCondition.eager().without(dg.AutomationCondition.in_latest_time_window())
    | BUILD_WITH_UPSTREAM
).with_label("follow upstream, every day")
"""Automation for silver and gold assets: a day is rebuilt when that day of an upstream is.

``AutomationCondition.eager()`` looks at the latest day only; without that part, a
backfill of older days flows downstream too. A day whose upstream failed a blocking
check was not materialized upstream, so nothing downstream follows for that day.
"""
{%- else %}

BUILD_WHEN_MISSING = (
    dg.AutomationCondition.missing()
    & ~dg.AutomationCondition.in_progress()
    & ~dg.AutomationCondition.execution_failed()
).with_label("build once when never materialized")
"""Automation for bronze assets: the first start of the UI builds them, no click needed.

``AutomationCondition.eager()`` alone never starts an asset that has never been
materialized, so a fresh project would sit idle. A failed build is not retried in a
loop; the daily schedule (or a manual run) tries again.
"""

BUILD_WITH_UPSTREAM = (
    dg.AutomationCondition.missing()
    & ~dg.AutomationCondition.any_deps_missing()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
    & ~dg.AutomationCondition.execution_failed()
).with_label("missing, upstream there or requested now")
"""Build a missing asset as soon as its upstreams exist, or are requested in the same tick.

On a fresh project this puts silver and gold into the very run that builds bronze,
instead of a second run one sensor tick later.
"""

FOLLOW_UPSTREAM = (dg.AutomationCondition.eager() | BUILD_WITH_UPSTREAM).with_label(
    "follow upstream"
)
"""Automation for the example's silver and gold: ``eager()``, plus :data:`BUILD_WITH_UPSTREAM`."""
{%- endif %}


def materialize_result(
    df: pd.DataFrame,
    uri: str,
    check_results: list[dg.AssetCheckResult] | None = None,
) -> dg.MaterializeResult:
    """Describe a freshly written table for the Dagster UI, from the DataFrame in memory."""
    return dg.MaterializeResult(
        metadata=table_metadata(df, uri),
        check_results=check_results or [],
    )


def table_metadata(df: pd.DataFrame, uri: str) -> dict[str, dg.MetadataValue | dg.TableSchema]:
    """Row count, column types, location and the first rows of a table."""
    return {
        "dagster/row_count": dg.MetadataValue.int(len(df)),
        "dagster/column_schema": dg.TableSchema(
            columns=[
                dg.TableColumn(name=str(column), type=str(dtype))
                for column, dtype in df.dtypes.items()
            ]
        ),
        "dagster/uri": dg.MetadataValue.text(uri),
        "preview": dg.MetadataValue.md(markdown_preview(df)),
    }
{%- if cookiecutter.partitioning == "daily" %}


def partition_row_counts(context: dg.AssetExecutionContext, df: pd.DataFrame) -> None:
    """Give each day's materialization its own row count (the run may cover many days)."""
    counts = df[PARTITION_COLUMN].value_counts() if len(df) else pd.Series(dtype=int)
    for day in context.partition_keys:
        rows = int(counts.get(day, 0))
        context.add_asset_metadata({"dagster/row_count": rows}, partition_key=day)
{%- endif %}


def quality_check_specs(asset_key: list[str], checks: Mapping[str, str]) -> list[dg.AssetCheckSpec]:
    """Blocking checks (name -> description): a failure stops every downstream asset."""
    return [
        dg.AssetCheckSpec(name=name, asset=asset_key, description=description, blocking=True)
        for name, description in checks.items()
    ]


def quality_check_results(failing_rows: Mapping[str, int]) -> list[dg.AssetCheckResult]:
    """One result per check: passed when no row breaks it."""
    return [
        dg.AssetCheckResult(
            check_name=name,
            passed=count == 0,
            metadata={"failing_rows": dg.MetadataValue.int(count)},
        )
        for name, count in failing_rows.items()
    ]
{%- if cookiecutter.partitioning == "daily" %}


def audited_results(
    context: dg.AssetExecutionContext,
    df: pd.DataFrame,
    uri: str,
    problems: Mapping[str, Mapping[str, int]],
    published: Sequence[str],
) -> Iterator[dg.MaterializeResult | dg.AssetMaterialization | dg.AssetCheckResult]:
    """What a write-audit-publish asset reports, for the days it was asked to build.

    ``problems`` maps each day to the rows breaking each check on it. When every day
    passed, the result is one materialization of them all. Otherwise only the published
    days are recorded as materialized, each on its own, and the failed checks (with their
    days) end the step: the days that failed keep their previous version, and the
    downstream assets of this run do not run.
    """
    checks = []
    for name in next(iter(problems.values()), {}):
        failing_days = [day for day, counts in problems.items() if counts[name]]
        failing_rows = sum(counts[name] for counts in problems.values())
        checks.append(
            dg.AssetCheckResult(
                check_name=name,
                passed=not failing_days,
                metadata={
                    "failing_rows": dg.MetadataValue.int(failing_rows),
                    "failing_days": dg.MetadataValue.text(", ".join(failing_days) or "none"),
                },
                description=(
                    f"Failed on {', '.join(failing_days)}: not published." if failing_days else None
                ),
            )
        )
    partition_row_counts(context, df)
    if len(published) == len(problems):
        yield materialize_result(df, uri, checks)
        return
    for day in published:
        day_rows = df[df[PARTITION_COLUMN] == day]
        yield dg.AssetMaterialization(
            asset_key=context.asset_key, partition=day, metadata=table_metadata(day_rows, uri)
        )
    yield from checks
{%- else %}


def audited_results(
    df: pd.DataFrame, uri: str | None, problems: Mapping[str, int]
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """What a write-audit-publish asset reports: a materialization only if it published.

    When a blocking check failed, nothing was published (``uri`` is None): the step reports
    the failed checks and ends without a materialization, so the previous version stays
    the current one and downstream assets do not run.
    """
    checks = quality_check_results(problems)
    if uri is None:
        yield from checks
    else:
        yield materialize_result(df, uri, checks)
{%- endif %}


def markdown_preview(df: pd.DataFrame, rows: int = PREVIEW_ROWS) -> str:
    """The first rows as a markdown table (pandas' own needs the extra 'tabulate')."""
    head = df.head(rows)
    lines = [
        "| " + " | ".join(str(column) for column in head.columns) + " |",
        "|" + "---|" * len(head.columns),
    ]
    for record in head.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(value) for value in record) + " |")
    return "\n".join(lines)


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")
