"""Gold example: daily revenue by region and product, ready for a dashboard.

Gold tables answer business questions. This one is built only from the silver orders,
whose quality checks have passed, and has one row per day, region and product.
{%- if cookiecutter.partitioning == "daily" %}
It is partitioned by day like silver: a run aggregates the days it is given and replaces
exactly those partitions.
{%- endif %}
"""

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python src/core/gold_example.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
{%- if cookiecutter.partitioning == "daily" %}

from collections.abc import Sequence
{%- endif %}

import pandas as pd

from core.script import run_script
{%- if cookiecutter.partitioning == "daily" %}
from core.storage import PARTITION_COLUMN, read_table, table_partitions, write_table
{%- else %}
from core.storage import read_table, write_table
{%- endif %}


def daily_sales(orders: pd.DataFrame) -> pd.DataFrame:
    """Aggregate clean orders into orders, units and revenue per day, region and product."""
    summary = (
        orders.assign(day=orders["order_date"].dt.date)
        .groupby(["day", "region", "product"], as_index=False)
        .agg(
            orders=("order_id", "count"),
            customers=("customer_id", "nunique"),
            units=("quantity", "sum"),
            revenue=("revenue", "sum"),
        )
    )
    summary["revenue"] = summary["revenue"].round(2)
{%- if cookiecutter.partitioning == "daily" %}
    summary[PARTITION_COLUMN] = summary["day"].astype(str)  # the day as its partition key
{%- endif %}
    return summary.sort_values(["day", "region", "product"]).reset_index(drop=True)
{%- if cookiecutter.partitioning == "daily" %}


def run(days: Sequence[str] | None = None) -> tuple[pd.DataFrame, str]:
    """Aggregate the silver orders of ``days`` (default: every day silver holds) into gold."""
    days = table_partitions("silver", "example") if days is None else list(days)
    summary = daily_sales(read_table("silver", "example", partitions=days))
    return summary, write_table(summary, "gold", "example", partition=days)
{%- else %}


def run() -> tuple[pd.DataFrame, str]:
    """Aggregate ``silver/example`` and store the result as ``gold/example``."""
    summary = daily_sales(read_table("silver", "example"))
    return summary, write_table(summary, "gold", "example")
{%- endif %}


if __name__ == "__main__":
    run_script(run, "gold/example")
