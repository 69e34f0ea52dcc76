"""Gold example: daily revenue by region and product, ready for a dashboard.

Gold tables answer business questions. This one is built only from the silver orders,
whose quality checks have passed, and has one row per day, region and product.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python src/core/gold_example.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from core.script import run_script
from core.storage import read_table, write_table


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
    return summary.sort_values(["day", "region", "product"]).reset_index(drop=True)


def run() -> tuple[pd.DataFrame, str]:
    """Aggregate ``silver/example`` and store the result as ``gold/example``."""
    summary = daily_sales(read_table("silver", "example"))
    return summary, write_table(summary, "gold", "example")


if __name__ == "__main__":
    run_script(run, "gold/example")
