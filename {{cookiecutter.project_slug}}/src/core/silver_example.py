"""Silver example: clean, typed, de-duplicated orders from ``bronze/example``.

Silver is where data earns trust. The cleaning rules below fix what can be fixed
(casing, spaces, types) and drop what cannot (rows without ids, impossible quantities,
unparseable dates, duplicates). :func:`quality_problems` then states the promises silver
makes to gold; Dagster shows each as a blocking asset check, so gold never builds on
data that breaks one.

Silver publishes with write-audit-publish: the cleaned orders are staged, the promises
are checked on the staged data as storage holds it, and only data that keeps every
promise becomes the table's current version.
{%- if cookiecutter.partitioning == "daily" %} Each day is checked on its own: a day that
breaks a promise is not published (it keeps its previous version, if it had one), while
the days that pass are.
{%- else %} A run whose data breaks a promise
publishes nothing: the previous version stays current.
{%- endif %}
"""

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python src/core/silver_example.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

{% if cookiecutter.partitioning == "daily" -%}
from collections.abc import Sequence
{% endif -%}
from dataclasses import dataclass

import pandas as pd

from core.script import run_script
{%- if cookiecutter.partitioning == "daily" %}
from core.storage import (
    PARTITION_COLUMN,
    AuditFailedError,
    read_table,
    staged_table,
    table_partitions,
    table_uri,
)
{%- else %}
from core.storage import AuditFailedError, read_table, staged_table
{%- endif %}

QUALITY_CHECKS = {
    "unique_order_ids": "Every order_id appears exactly once.",
    "no_missing_keys": "order_id, customer_id and order_date are always filled.",
    "positive_quantities_and_amounts": "quantity is above zero; price and revenue not negative.",
}
"""Check name -> the promise it verifies (shown in the Dagster UI)."""


def clean_orders(raw: pd.DataFrame) -> pd.DataFrame:
    """Turn raw bronze orders into one valid row per order, with a ``revenue`` column."""
    orders = raw.dropna(subset=["order_id", "customer_id"]).copy()
    orders["customer_id"] = orders["customer_id"].str.strip().str.upper()
    orders["region"] = orders["region"].str.strip().str.title()
    orders["order_date"] = pd.to_datetime(orders["order_date"], format="%Y-%m-%d", errors="coerce")
    orders = orders[orders["order_date"].notna()]
    orders = orders[(orders["quantity"] > 0) & (orders["unit_price"] >= 0)]
    orders = orders.drop_duplicates(subset="order_id", keep="first")
    orders["revenue"] = (orders["quantity"] * orders["unit_price"]).round(2)
    return orders.sort_values(["order_date", "order_id"]).reset_index(drop=True)


def quality_problems(orders: pd.DataFrame) -> dict[str, int]:
    """Count the rows breaking each promise in :data:`QUALITY_CHECKS` (0 means it holds)."""
    return {name: int(count) for name, count in failing_rows(orders).sum().items()}


def failing_rows(orders: pd.DataFrame) -> pd.DataFrame:
    """One column per promise in :data:`QUALITY_CHECKS`: True on each row that breaks it."""
    return pd.DataFrame(
        {
            "unique_order_ids": orders["order_id"].duplicated(),
            "no_missing_keys": orders[["order_id", "customer_id", "order_date"]].isna().any(axis=1),
            "positive_quantities_and_amounts": (
                (orders["quantity"] <= 0) | (orders["unit_price"] < 0) | (orders["revenue"] < 0)
            ),
        },
        index=orders.index,
    )
{%- if cookiecutter.partitioning == "daily" %}


@dataclass(frozen=True)
class Audit:
    """One silver run: the staged orders, what the checks found per day, what was published."""

    orders: pd.DataFrame
    """The staged orders of every day, as storage holds them."""
    problems: dict[str, dict[str, int]]
    """Day -> check name -> rows breaking it (0: the promise holds on that day)."""
    published: list[str]
    """The days that passed every check and are now current in silver/example."""
    uri: str

    @property
    def failed_days(self) -> list[str]:
        return [day for day, counts in self.problems.items() if any(counts.values())]

    def summary(self) -> str:
        """The failed checks in one line, day by day."""
        failures = []
        for day in self.failed_days:
            counts = self.problems[day]
            broken = [f"{name}: {count} rows" for name, count in counts.items() if count]
            failures.append(f"{day} ({', '.join(broken)})")
        return (
            f"quality checks failed on {'; '.join(failures)}; not published, "
            "those days keep their previous version"
        )


def audit_and_publish(days: Sequence[str] | None = None) -> Audit:
    """Clean the bronze orders of ``days``, stage them, check each day, publish the good ones.

    ``days`` defaults to every day bronze/example holds.
    """
    days = table_partitions("bronze", "example") if days is None else list(days)
    orders = clean_orders(read_table("bronze", "example", partitions=days))
    with staged_table(orders, "silver", "example", partition=days) as staged:
        stored = staged.read()
        # Rows breaking each promise, counted per day: one pass over all days at once.
        counts = failing_rows(stored).groupby(stored[PARTITION_COLUMN]).sum()
        counts = counts.reindex(days, fill_value=0).astype(int)
        problems = {day: {name: int(n) for name, n in counts.loc[day].items()} for day in days}
        passed = [day for day in days if not any(problems[day].values())]
        uri = staged.publish(passed) if passed else table_uri("silver", "example")
    return Audit(stored, problems, passed, uri)


def run(days: Sequence[str] | None = None) -> tuple[pd.DataFrame, str]:
    """Clean ``bronze/example`` into ``silver/example``; fail if a day breaks a promise."""
    audit = audit_and_publish(days)
    if audit.failed_days:
        raise AuditFailedError(audit.summary())
    return audit.orders, audit.uri
{%- else %}


@dataclass(frozen=True)
class Audit:
    """One silver run: the staged orders, what the checks found, and where they went."""

    orders: pd.DataFrame
    """The staged orders, as storage holds them."""
    problems: dict[str, int]
    """Check name -> rows breaking it in the staged data (0: the promise holds)."""
    uri: str | None
    """The table's URI once published; None when a check failed and nothing was."""

    def summary(self) -> str:
        """The failed checks in one line."""
        failures = [f"{name}: {count} rows" for name, count in self.problems.items() if count]
        return (
            f"quality checks failed ({', '.join(failures)}); not published, "
            "the previous version stays current"
        )


def audit_and_publish() -> Audit:
    """Clean ``bronze/example``, stage it, check it, and publish it if every check passes."""
    orders = clean_orders(read_table("bronze", "example"))
    with staged_table(orders, "silver", "example") as staged:
        stored = staged.read()
        problems = quality_problems(stored)
        uri = None if any(problems.values()) else staged.publish()
    return Audit(stored, problems, uri)


def run() -> tuple[pd.DataFrame, str]:
    """Clean ``bronze/example`` into ``silver/example``; fail if a promise is broken."""
    audit = audit_and_publish()
    if audit.uri is None:
        raise AuditFailedError(audit.summary())
    return audit.orders, audit.uri
{%- endif %}


if __name__ == "__main__":
    run_script(run, "silver/example")
