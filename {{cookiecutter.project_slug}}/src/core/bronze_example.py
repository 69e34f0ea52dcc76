"""Bronze example: raw sales orders, exactly as a shop system might export them.

Bronze keeps source data as it arrived. To give the silver layer real cleaning to do,
the generated orders carry the usual dirt of real exports: duplicated rows, missing ids,
inconsistent casing and stray spaces, negative quantities and dates that do not parse.
The generator is seeded, so every run writes the same table.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python src/core/bronze_example.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import random
from datetime import date, timedelta

import pandas as pd

from core.script import run_script
from core.storage import write_table

PRODUCT_PRICES = {
    "Espresso Machine": 249.00,
    "Coffee Grinder": 89.50,
    "Milk Frother": 39.90,
    "Pour-Over Kit": 29.00,
    "Coffee Beans 1kg": 18.50,
    "Travel Mug": 14.00,
}
REGIONS = ("North", "South", "East", "West")
FIRST_DAY = date(2026, 1, 1)
DAYS = 90
CUSTOMERS = 150


def generate_orders(count: int = 2_000, seed: int = 42) -> pd.DataFrame:
    """Return ``count`` raw orders (plus a few duplicated rows), the same for a given seed."""
    rng = random.Random(seed)
    rows = [_clean_order(rng, number) for number in range(1, count + 1)]
    for row in rows:
        _add_dirt(rng, row)
    duplicates = [dict(row) for row in rng.sample(rows, k=count // 50)]
    rows.extend(duplicates)
    rng.shuffle(rows)
    return pd.DataFrame(rows)


def _clean_order(rng: random.Random, number: int) -> dict:
    product = rng.choice(list(PRODUCT_PRICES))
    return {
        "order_id": f"ORD-{100_000 + number}",
        "order_date": (FIRST_DAY + timedelta(days=rng.randrange(DAYS))).isoformat(),
        "customer_id": f"C{rng.randint(1, CUSTOMERS):04d}",
        "product": product,
        "region": rng.choice(REGIONS),
        "quantity": rng.choices((1, 2, 3, 4, 5), weights=(50, 25, 12, 8, 5))[0],
        "unit_price": PRODUCT_PRICES[product],
    }


def _add_dirt(rng: random.Random, row: dict) -> None:
    """Spoil some fields the way real exports do (each with a small probability)."""
    roll = rng.random()
    if roll < 0.005:
        row["order_id"] = None
    elif roll < 0.015:
        row["customer_id"] = None
    elif roll < 0.030:
        row["quantity"] = -row["quantity"]
    elif roll < 0.040:
        row["order_date"] = rng.choice(("2026-02-30", "not recorded", "15/03/2026"))
    if rng.random() < 0.10:
        row["region"] = rng.choice((str.lower, str.upper, lambda text: f" {text} "))(row["region"])
    if row["customer_id"] and rng.random() < 0.05:
        row["customer_id"] = row["customer_id"].lower()


def run() -> tuple[pd.DataFrame, str]:
    """Generate the raw orders and store them as ``bronze/example``."""
    orders = generate_orders()
    return orders, write_table(orders, "bronze", "example")


if __name__ == "__main__":
    run_script(run, "bronze/example")
