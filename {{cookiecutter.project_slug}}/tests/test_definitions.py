"""The Dagster definitions load and wire the medallion layers as intended."""

import dagster as dg
import pytest

from orchestration.definitions import defs

BRONZE, SILVER, GOLD = (dg.AssetKey([layer, "example"]) for layer in ("bronze", "silver", "gold"))


def test_assets_have_layer_keys_groups_and_dependencies():
    specs = {spec.key: spec for spec in defs.resolve_all_asset_specs()}
    assert set(specs) == {BRONZE, SILVER, GOLD}
    assert {key: specs[key].group_name for key in specs} == {
        BRONZE: "bronze",
        SILVER: "silver",
        GOLD: "gold",
    }
    assert {key: {dep.asset_key for dep in specs[key].deps} for key in specs} == {
        BRONZE: set(),
        SILVER: {BRONZE},
        GOLD: {SILVER},
    }


def test_silver_quality_checks_block_downstream():
    checks = list(defs.resolve_asset_graph().asset_check_keys)
    silver_checks = [key for key in checks if key.asset_key == SILVER]
    assert len(silver_checks) == 3
    silver = defs.resolve_assets_def(SILVER)
    assert all(spec.blocking for spec in silver.check_specs)


def test_silver_and_gold_follow_upstream_and_bronze_builds_when_missing():
    specs = {spec.key: spec for spec in defs.resolve_all_asset_specs()}
    assert all(specs[key].automation_condition is not None for key in specs)
    eager = dg.AutomationCondition.eager().get_label()
    assert specs[SILVER].automation_condition.get_label() == eager
    assert specs[GOLD].automation_condition.get_label() == eager


def test_schedule_and_automation_sensor_start_running():
    schedule = defs.resolve_schedule_def("daily_bronze_refresh")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    sensor = defs.resolve_sensor_def("medallion_automation")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


# evaluate_automation_conditions itself calls a beta Dagster API; the warning is Dagster's.
@pytest.mark.filterwarnings("ignore::dagster.BetaWarning")
def test_automation_builds_a_fresh_project_without_a_click(local_storage):
    """Simulate sensor ticks: bronze is built because it is missing, then silver and gold
    follow in one run (Dagster requests a downstream together with its updating upstream)."""
    job = defs.resolve_implicit_global_asset_job_def()
    with dg.DagsterInstance.ephemeral() as instance:
        cursor = None
        for expected in ({BRONZE}, {SILVER, GOLD}):
            result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
            requested = {key for key in (BRONZE, SILVER, GOLD) if result.get_num_requested(key)}
            assert requested == expected
            assert job.execute_in_process(instance=instance, asset_selection=list(expected)).success
            cursor = result.cursor
        result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
        assert result.total_requested == 0
