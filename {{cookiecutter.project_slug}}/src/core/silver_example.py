"""Silver example: clean, typed, de-duplicated orders from ``bronze/example``.

Silver is where data earns trust. The cleaning rules below fix what can be fixed
(casing, spaces, types) and drop what cannot (rows without ids, impossible quantities,
unparseable dates, duplicates). :func:`quality_problems` then states the promises silver
makes to gold; Dagster turns each into a blocking asset check, so gold never builds on a
table that breaks one.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python src/core/silver_example.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from core.script import run_script
from core.storage import read_table, write_table

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
    return {
        "unique_order_ids": int(orders["order_id"].duplicated().sum()),
        "no_missing_keys": int(
            orders[["order_id", "customer_id", "order_date"]].isna().any(axis=1).sum()
        ),
        "positive_quantities_and_amounts": int(
            ((orders["quantity"] <= 0) | (orders["unit_price"] < 0) | (orders["revenue"] < 0)).sum()
        ),
    }


def run() -> tuple[pd.DataFrame, str]:
    """Clean ``bronze/example`` and store the result as ``silver/example``."""
    orders = clean_orders(read_table("bronze", "example"))
    return orders, write_table(orders, "silver", "example")


if __name__ == "__main__":
    run_script(run, "silver/example")
