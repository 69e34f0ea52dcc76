"""Helpers shared by the asset modules: metadata, quality checks and automation."""

from collections.abc import Mapping

import dagster as dg
import pandas as pd

PREVIEW_ROWS = 5

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


def materialize_result(
    df: pd.DataFrame,
    uri: str,
    check_results: list[dg.AssetCheckResult] | None = None,
) -> dg.MaterializeResult:
    """Describe a freshly written table for the Dagster UI, from the DataFrame in memory."""
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(len(df)),
            "dagster/column_schema": dg.TableSchema(
                columns=[
                    dg.TableColumn(name=str(column), type=str(dtype))
                    for column, dtype in df.dtypes.items()
                ]
            ),
            "dagster/uri": dg.MetadataValue.text(uri),
            "preview": dg.MetadataValue.md(markdown_preview(df)),
        },
        check_results=check_results or [],
    )


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
