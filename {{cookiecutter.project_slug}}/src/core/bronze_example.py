"""Bronze example: raw sales orders, exactly as a shop system might export them.

Bronze keeps source data as it arrived. To give the silver layer real cleaning to do,
the generated orders carry the usual dirt of real exports: duplicated rows, missing ids,
inconsistent casing and stray spaces, negative quantities and dates that do not parse.
{%- if cookiecutter.partitioning == "daily" %}
The table is partitioned by day: each partition holds the orders exported for that day,
and the generator is seeded per day, so a day written twice holds the same rows.
{%- else %}
The generator is seeded, so every run writes the same table.
{%- endif %}
"""

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python src/core/bronze_example.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import random
{%- if cookiecutter.partitioning == "daily" %}
from collections.abc import Sequence
{%- endif %}
from datetime import date, timedelta

import pandas as pd

from core.script import run_script
from core.storage import {% if cookiecutter.partitioning == "daily" %}PARTITION_COLUMN, {% endif %}write_table

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
{%- if cookiecutter.partitioning == "daily" %}
DAYS = 31
"""The sample range: the days the scripts and ``python run_polster.py`` build by default."""
{%- else %}
DAYS = 90
{%- endif %}
CUSTOMERS = 150
{%- if cookiecutter.partitioning == "daily" %}


def sample_days() -> list[str]:
    """The partition keys of the sample range, ``2026-01-01`` to ``2026-01-31``."""
    return [(FIRST_DAY + timedelta(days=offset)).isoformat() for offset in range(DAYS)]


def generate_orders(day: str, seed: int = 42) -> pd.DataFrame:
    """The raw orders exported for ``day`` (plus a few duplicated rows).

    Any day works, in the sample range or after it; a day and a seed always give the same
    rows, so writing a partition again changes nothing but the table's version.
    """
    rng = random.Random(f"{seed}/{day}")
    count = rng.randint(15, 30)
    stamp = day.replace("-", "")
    rows = [_clean_order(rng, f"ORD-{stamp}-{number:03d}", day) for number in range(1, count + 1)]
    for row in rows:
        _add_dirt(rng, row)
    duplicates = [dict(row) for row in rng.sample(rows, k=max(1, count // 20))]
    rows.extend(duplicates)
    rng.shuffle(rows)
    return pd.DataFrame(rows)


def _clean_order(rng: random.Random, order_id: str, day: str) -> dict:
    product = rng.choice(list(PRODUCT_PRICES))
    return {
        "order_id": order_id,
        "order_date": day,
        "customer_id": f"C{rng.randint(1, CUSTOMERS):04d}",
        "product": product,
        "region": rng.choice(REGIONS),
        "quantity": rng.choices((1, 2, 3, 4, 5), weights=(50, 25, 12, 8, 5))[0],
        "unit_price": PRODUCT_PRICES[product],
    }
{%- else %}


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
{%- endif %}


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
{%- if cookiecutter.partitioning == "daily" %}


def run(days: Sequence[str] | None = None) -> tuple[pd.DataFrame, str]:
    """Generate the raw orders of ``days`` (default: the sample range) into ``bronze/example``.

    Exactly those partitions are replaced, in one commit; the other days stay as they were.
    """
    days = sample_days() if days is None else list(days)
    frames = [generate_orders(day).assign(**{PARTITION_COLUMN: day}) for day in days]
    orders = pd.concat(frames, ignore_index=True)
    return orders, write_table(orders, "bronze", "example", partition=days)
{%- else %}


def run() -> tuple[pd.DataFrame, str]:
    """Generate the raw orders and store them as ``bronze/example``."""
    orders = generate_orders()
    return orders, write_table(orders, "bronze", "example")
{%- endif %}


if __name__ == "__main__":
    run_script(run, "bronze/example")
