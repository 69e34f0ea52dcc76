"""The Dagster definitions load and wire the medallion layers as intended.

These tests hold for every asset of the project, including the ones added later with
``polster add-asset``.
"""

{% if cookiecutter.partitioning == "daily" %}import datetime
{% endif %}from pathlib import Path

import dagster as dg
import pytest

from orchestration.definitions import defs
from orchestration.utils import {% if cookiecutter.partitioning == "daily" %}DAILY_PARTITIONS, {% endif %}FOLLOW_UPSTREAM

SRC = Path(__file__).resolve().parents[1] / "src"
LAYERS = ("bronze", "silver", "gold")
BRONZE, SILVER, GOLD = (dg.AssetKey([layer, "example"]) for layer in LAYERS)


def specs_by_key() -> dict[dg.AssetKey, dg.AssetSpec]:
    return {spec.key: spec for spec in defs.resolve_all_asset_specs()}


def test_every_asset_follows_the_asset_contract():
    for key, spec in specs_by_key().items():
        layer, name = key.path
        assert layer in LAYERS and spec.group_name == layer, key
        assert (SRC / "orchestration/assets" / layer / f"run_{layer}_{name}.py").is_file(), key
        assert (SRC / "core" / f"{layer}_{name}.py").is_file(), key


def test_example_assets_are_wired_bronze_to_silver_to_gold():
    specs = specs_by_key()
    assert {BRONZE, SILVER, GOLD} <= set(specs)
    assert {dep.asset_key for dep in specs[BRONZE].deps} == set()
    assert {dep.asset_key for dep in specs[SILVER].deps} == {BRONZE}
    assert {dep.asset_key for dep in specs[GOLD].deps} == {SILVER}


def test_silver_quality_checks_block_downstream():
    silver = defs.resolve_assets_def(SILVER)
    assert len(silver.check_specs) == 3
    assert all(spec.blocking for spec in silver.check_specs)


def test_silver_and_gold_follow_upstream_data():
    follow = {
        FOLLOW_UPSTREAM.get_label(),
        dg.AutomationCondition.eager().get_label(),
{%- if cookiecutter.partitioning == "daily" %}
        dg.AutomationCondition.eager()
        .without(dg.AutomationCondition.in_latest_time_window())
        .get_label(),
{%- endif %}
    }
    for key, spec in specs_by_key().items():
        assert spec.automation_condition is not None, key
        if key.path[0] != "bronze":
            assert spec.automation_condition.get_label() in follow, key
{%- if cookiecutter.partitioning == "daily" %}


def test_every_asset_is_partitioned_by_day_with_single_run_backfills():
    for key in specs_by_key():
        asset = defs.resolve_assets_def(key)
        assert asset.partitions_def == DAILY_PARTITIONS, key
        assert asset.backfill_policy == dg.BackfillPolicy.single_run(), key
    assert DAILY_PARTITIONS.get_first_partition_key() == "2026-01-01"


# evaluate_automation_conditions itself calls a beta Dagster API; the warning is Dagster's.
@pytest.mark.filterwarnings("ignore::dagster.BetaWarning")
def test_a_backfill_of_an_old_day_flows_down_to_silver_and_gold(local_storage):
    """``eager()`` alone follows the latest day only: an older bronze day rebuilt would stop
    there. The project's conditions ask for that same day of everything downstream."""
    job = defs.resolve_implicit_global_asset_job_def()
    old_day, latest = "2026-01-05", DAILY_PARTITIONS.get_last_partition_key()
    with dg.DagsterInstance.ephemeral() as instance:
        for day in (old_day, latest):
            assert job.execute_in_process(instance=instance, partition_key=day).success
        result = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        assert result.total_requested == 0
        bronze = [key for key in specs_by_key() if key.path[0] == "bronze"]
        rebuilt = job.execute_in_process(
            instance=instance, asset_selection=bronze, partition_key=old_day
        )
        assert rebuilt.success
        result = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, cursor=result.cursor
        )
        downstream = {key for key in specs_by_key() if key.path[0] != "bronze"}
        assert {key for key in downstream if result.get_num_requested(key)} == downstream
        for key in downstream:
            assert result.get_requested_partitions(key) == {old_day}, key


def test_the_daily_schedule_ingests_the_day_that_just_ended():
    schedule = defs.resolve_schedule_def("daily_bronze_refresh")
    morning = datetime.datetime(2026, 3, 10, 6, 0, tzinfo=datetime.UTC)
    with dg.build_schedule_context(scheduled_execution_time=morning) as context:
        request = schedule(context)
    assert request.partition_key == "2026-03-09"
    bronze = {key for key in specs_by_key() if key.path[0] == "bronze"}
    assert defs.resolve_job_def(schedule.job_name).asset_layer.selected_asset_keys == bronze
{%- endif %}


def test_schedules_and_automation_sensor_start_running():
    for name in ("daily_bronze_refresh", "weekly_table_maintenance"):
        schedule = defs.resolve_schedule_def(name)
        assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING, name
    sensor = defs.resolve_sensor_def("medallion_automation")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert defs.resolve_job_def("table_maintenance") is not None


def test_one_damaged_table_does_not_keep_maintenance_from_the_others(local_storage):
    import pandas as pd

    from core.storage import write_table

    for name in ("aaa_damaged", "zzz_fine"):
        write_table(pd.DataFrame({"id": [1, 2]}), "bronze", name)
    log = local_storage / "bronze" / "aaa_damaged" / "_delta_log"
    (log / "00000000000000000000.json").write_text("{not json")
    with dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("table_maintenance").execute_in_process(
            instance=instance, raise_on_error=False
        )
    assert not result.success
    [failure] = [event for event in result.all_events if event.is_step_failure]
    message = failure.step_failure_data.error.cause.message  # Dagster wraps the op's error
    assert "1 of 2 tables not maintained" in message and "bronze/aaa_damaged" in message
    # The table after the damaged one was maintained all the same: it has a checkpoint.
    assert list((local_storage / "bronze" / "zzz_fine" / "_delta_log").glob("*.checkpoint.parquet"))


# evaluate_automation_conditions itself calls a beta Dagster API; the warning is Dagster's.
@pytest.mark.filterwarnings("ignore::dagster.BetaWarning")
def test_automation_builds_a_fresh_project_without_a_click(local_storage):
    """Simulate sensor ticks on an empty instance: the first tick asks for bronze, silver
    and gold of the example together (the latest day of each, when partitioned), so one run
    builds them; ticks go on until everything is built and nothing more is asked for."""
    job = defs.resolve_implicit_global_asset_job_def()
    keys = set(specs_by_key())
    materialized: set[dg.AssetKey] = set()
{%- if cookiecutter.partitioning == "daily" %}
    latest = DAILY_PARTITIONS.get_last_partition_key()
{%- endif %}
    with dg.DagsterInstance.ephemeral() as instance:
        cursor = None
        for tick in range(len(LAYERS) + 1):
            result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
            cursor = result.cursor
            requested = {key for key in keys if result.get_num_requested(key)}
            if tick == 0:
                assert {BRONZE, SILVER, GOLD} <= requested
            if not requested:
                break
{%- if cookiecutter.partitioning == "daily" %}
            for key in requested:
                assert result.get_requested_partitions(key) == {latest}, key
            run = job.execute_in_process(
                instance=instance, asset_selection=list(requested), partition_key=latest
            )
{%- else %}
            run = job.execute_in_process(instance=instance, asset_selection=list(requested))
{%- endif %}
            assert run.success
            materialized |= requested
        assert materialized == keys
        assert result.total_requested == 0
