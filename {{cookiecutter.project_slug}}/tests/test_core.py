"""The example transformations: bronze is dirty on purpose, silver cleans, gold sums."""

import pandas as pd

{% if cookiecutter.partitioning == "daily" -%}
from core.bronze_example import generate_orders, sample_days
from core.gold_example import daily_sales
from core.silver_example import QUALITY_CHECKS, clean_orders, quality_problems
from core.storage import PARTITION_COLUMN


def sample_orders() -> pd.DataFrame:
    """The raw orders of every day of the sample range."""
    return pd.concat([generate_orders(day) for day in sample_days()], ignore_index=True)


def test_bronze_orders_are_deterministic_per_day():
    pd.testing.assert_frame_equal(generate_orders("2026-01-05"), generate_orders("2026-01-05"))
    assert not generate_orders("2026-01-05").equals(generate_orders("2026-01-06"))
    assert not generate_orders("2026-01-05", seed=1).equals(generate_orders("2026-01-05", seed=2))


def test_a_bronze_day_holds_the_orders_of_that_day():
    orders = generate_orders("2026-01-05").dropna(subset=["order_id"])
    assert orders["order_id"].str.startswith("ORD-20260105-").all()
    dates = pd.to_datetime(orders["order_date"], format="%Y-%m-%d", errors="coerce").dropna()
    assert (dates == pd.Timestamp("2026-01-05")).all()


def test_bronze_orders_carry_the_dirt_silver_must_clean():
    raw = sample_orders()
{%- else -%}
from core.bronze_example import generate_orders
from core.gold_example import daily_sales
from core.silver_example import QUALITY_CHECKS, clean_orders, quality_problems


def sample_orders() -> pd.DataFrame:
    return generate_orders()


def test_bronze_orders_are_deterministic():
    pd.testing.assert_frame_equal(generate_orders(), generate_orders())
    assert not generate_orders(seed=1).equals(generate_orders(seed=2))


def test_bronze_orders_carry_the_dirt_silver_must_clean():
    raw = sample_orders()
{%- endif %}
    assert raw.duplicated().sum() > 0
    assert raw["order_id"].isna().sum() > 0
    assert raw["customer_id"].isna().sum() > 0
    assert (raw["quantity"] < 0).sum() > 0
    assert pd.to_datetime(raw["order_date"], format="%Y-%m-%d", errors="coerce").isna().sum() > 0
    assert (raw["region"] != raw["region"].str.strip().str.title()).sum() > 0


def test_silver_fixes_or_drops_each_kind_of_dirt():
    raw = pd.DataFrame(
        {
            "order_id": ["A1", "A1", None, "A3", "A4", "A5"],
            "order_date": [
                "2026-01-02",
                "2026-01-02",
                "2026-01-02",
                "not recorded",
                "2026-01-03",
                "2026-01-04",
            ],
            "customer_id": ["c0001", "c0001", "C0002", "C0003", "C0004", "C0005"],
            "product": ["Travel Mug"] * 6,
            "region": [" north ", " north ", "South", "East", "WEST", "West"],
            "quantity": [2, 2, 1, 1, -3, 1],
            "unit_price": [14.0] * 6,
        }
    )
    orders = clean_orders(raw)
    assert orders["order_id"].tolist() == ["A1", "A5"]
    assert orders["customer_id"].tolist() == ["C0001", "C0005"]
    assert orders["region"].tolist() == ["North", "West"]
    assert orders["revenue"].tolist() == [28.0, 14.0]


def test_silver_keeps_every_quality_promise_on_the_sample_data():
    orders = clean_orders(sample_orders())
    assert quality_problems(orders) == dict.fromkeys(QUALITY_CHECKS, 0)
    assert len(orders) > {% if cookiecutter.partitioning == "daily" %}500{% else %}1_500{% endif %}


def test_quality_problems_count_the_offending_rows():
    orders = clean_orders(sample_orders())
    broken = pd.concat([orders, orders.head(3)], ignore_index=True)
    broken.loc[0, "quantity"] = -1
    problems = quality_problems(broken)
    assert problems["unique_order_ids"] == 3
    assert problems["positive_quantities_and_amounts"] == 1
    assert problems["no_missing_keys"] == 0


def test_gold_revenue_adds_up_to_silver_revenue():
    orders = clean_orders(sample_orders())
    summary = daily_sales(orders)
    assert round(summary["revenue"].sum(), 2) == round(orders["revenue"].sum(), 2)
    assert summary["orders"].sum() == len(orders)
    assert not summary.duplicated(subset=["day", "region", "product"]).any()
{%- if cookiecutter.partitioning == "daily" %}
    assert (summary[PARTITION_COLUMN] == summary["day"].astype(str)).all()
{%- endif %}
