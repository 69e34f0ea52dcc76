"""Materialize the whole pipeline in-process against temporary local storage."""

import dagster as dg
import pandas as pd
{%- if cookiecutter.partitioning == "daily" %}
import pytest
{%- endif %}

from core import silver_example
from core.storage import {% if cookiecutter.partitioning == "daily" %}PARTITION_COLUMN, {% endif %}read_table, table_{% if cookiecutter.partitioning == "daily" %}partitions, table_{% endif %}version
from orchestration.definitions import defs
{%- if cookiecutter.partitioning == "daily" %}

WEEK = [f"2026-01-{day:02d}" for day in range(1, 8)]


def materialize(instance: dg.DagsterInstance, first: str, last: str) -> dg.ExecuteInProcessResult:
    """One run over the days ``first`` to ``last``: one step per asset, all days at once."""
    job = defs.resolve_implicit_global_asset_job_def()
    tags = {
        "dagster/asset_partition_range_start": first,
        "dagster/asset_partition_range_end": last,
    }
    return job.execute_in_process(instance=instance, tags=tags, raise_on_error=False)


def test_one_run_materializes_a_range_of_days_and_every_check_passes(local_storage):
    with dg.DagsterInstance.ephemeral() as instance:
        result = materialize(instance, WEEK[0], WEEK[-1])
    assert result.success
    events = result.get_asset_materialization_events()
    keys = {spec.key for spec in defs.resolve_all_asset_specs()}
    assert {(event.asset_key, event.partition) for event in events} == {
        (key, day) for key in keys for day in WEEK
    }
    checks = result.get_asset_check_evaluations()
    assert len(checks) >= 3 and all(check.passed for check in checks)
    for key in keys:
        layer, name = key.path
        assert (local_storage / layer / name / "_delta_log").is_dir()
        assert table_partitions(layer, name) == WEEK
    for event in events:
        layer, name = event.asset_key.path
        rows = read_table(layer, name, partitions=[event.partition])
        assert event.materialization.metadata["dagster/row_count"].value == len(rows) > 0


def test_a_day_run_again_gives_the_same_rows_and_leaves_other_days_alone(local_storage):
    with dg.DagsterInstance.ephemeral() as instance:
        assert materialize(instance, WEEK[0], WEEK[-1]).success
        before = read_table("gold", "example")
        version = table_version("gold", "example")
        others = sorted((local_storage / "gold" / "example").glob(f"{PARTITION_COLUMN}=*/*"))
        others = [path for path in others if WEEK[2] not in str(path)]
        assert materialize(instance, WEEK[2], WEEK[2]).success
    after = read_table("gold", "example")
    assert table_version("gold", "example") == version + 1
    order = ["day", "region", "product"]
    pd.testing.assert_frame_equal(
        after.sort_values(order).reset_index(drop=True),
        before.sort_values(order).reset_index(drop=True),
    )
    assert all(path.is_file() for path in others)  # the other days' files were not rewritten


# evaluate_automation_conditions itself calls a beta Dagster API; the warning is Dagster's.
@pytest.mark.filterwarnings("ignore::dagster.BetaWarning")
def test_a_failing_check_on_one_day_holds_back_only_that_day(local_storage, monkeypatch):
    """Write-audit-publish per day: the day that breaks a check is not published."""
    bad_day = WEEK[3]
    clean = silver_example.clean_orders

    def duplicate_one_day(raw: pd.DataFrame) -> pd.DataFrame:
        orders = clean(raw)
        return pd.concat([orders, orders[orders[PARTITION_COLUMN] == bad_day]], ignore_index=True)

    with dg.DagsterInstance.ephemeral() as instance:
        before = dg.evaluate_automation_conditions(defs=defs, instance=instance).cursor
        monkeypatch.setattr(silver_example, "clean_orders", duplicate_one_day)
        result = materialize(instance, WEEK[0], WEEK[-1])
        assert not result.success
        silver = [
            event.partition
            for event in result.get_asset_materialization_events()
            if event.asset_key == dg.AssetKey(["silver", "example"])
        ]
        assert sorted(silver) == [day for day in WEEK if day != bad_day]
        failed = [check for check in result.get_asset_check_evaluations() if not check.passed]
        assert [check.check_name for check in failed] == ["unique_order_ids"]
        assert failed[0].metadata["failing_days"].value == bad_day
        assert table_partitions("silver", "example") == [day for day in WEEK if day != bad_day]
        assert not (local_storage / "gold" / "example").exists()  # gold did not run

        # The sensor's next tick sends the good days on to gold, and tries the bad day of
        # silver once more (its bronze day is new to it): gold's bad day goes only with it,
        # behind the same blocking checks.
        ticked = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=before)
        requested = {
            layer: ticked.get_requested_partitions(dg.AssetKey([layer, "example"])) & set(WEEK)
            for layer in ("silver", "gold")
        }
        assert requested == {"silver": {bad_day}, "gold": set(WEEK)}
        monkeypatch.setattr(silver_example, "clean_orders", clean)
        assert materialize(instance, WEEK[0], WEEK[2]).success
        assert table_partitions("gold", "example") == WEEK[:3]
{%- else %}


def materialize_everything(instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    job = defs.resolve_implicit_global_asset_job_def()
    return job.execute_in_process(instance=instance, raise_on_error=False)


def test_every_asset_materializes_and_every_check_passes(local_storage):
    with dg.DagsterInstance.ephemeral() as instance:
        result = materialize_everything(instance)
    assert result.success
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert materialized == {spec.key for spec in defs.resolve_all_asset_specs()}
    checks = result.get_asset_check_evaluations()
    assert len(checks) >= 3 and all(check.passed for check in checks)
    for key in materialized:
        layer, name = key.path
        assert (local_storage / layer / name / "_delta_log").is_dir()


def test_metadata_describes_the_table(local_storage):
    with dg.DagsterInstance.ephemeral() as instance:
        events = materialize_everything(instance).get_asset_materialization_events()
    for event in events:
        metadata = event.materialization.metadata
        layer, name = event.asset_key.path
        assert metadata["dagster/row_count"].value == len(read_table(layer, name)) > 0
        assert metadata["dagster/uri"].value.endswith(f"/{layer}/{name}")
        assert metadata["preview"].value.startswith("|")


def test_a_failing_check_publishes_nothing_and_stops_gold(local_storage, monkeypatch):
    """Write-audit-publish: data that breaks a check never becomes the current version."""
    with dg.DagsterInstance.ephemeral() as instance:
        assert materialize_everything(instance).success
        good = read_table("silver", "example")
        version = table_version("silver", "example")
        gold_version = table_version("gold", "example")
        clean = silver_example.clean_orders
        monkeypatch.setattr(silver_example, "clean_orders", lambda raw: pd.concat([clean(raw)] * 2))
        result = materialize_everything(instance)
    assert not result.success
    failed = [
        check.check_name for check in result.get_asset_check_evaluations() if not check.passed
    ]
    assert failed == ["unique_order_ids"]
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert dg.AssetKey(["silver", "example"]) not in materialized
    assert dg.AssetKey(["gold", "example"]) not in materialized
    assert table_version("silver", "example") == version
    pd.testing.assert_frame_equal(read_table("silver", "example"), good)
    assert table_version("gold", "example") == gold_version
{%- endif %}
