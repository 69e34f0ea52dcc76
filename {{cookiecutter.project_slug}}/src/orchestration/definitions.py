"""The project's Dagster definitions.

Every asset module under ``orchestration/assets/`` is picked up automatically: adding or
removing a ``run_<layer>_<name>.py`` file needs no edit here. Bronze assets are refreshed
by a daily schedule; silver and gold follow their upstreams through automation
conditions, evaluated by a sensor that runs as soon as the Dagster daemon starts.
"""

import dagster as dg

from orchestration import assets, workers

daily_bronze_refresh = dg.ScheduleDefinition(
    name="daily_bronze_refresh",
    target=dg.AssetSelection.groups("bronze"),
    cron_schedule="0 6 * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Re-ingest every bronze asset each morning; silver and gold follow.",
)

medallion_automation = dg.AutomationConditionSensorDefinition(
    name="medallion_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=15,
    description="Evaluates the assets' automation conditions (build missing, follow upstream).",
)

defs = dg.Definitions(
    assets=dg.load_assets_from_package_module(assets),
    asset_checks=dg.load_asset_checks_from_package_module(assets),
    schedules=[daily_bronze_refresh],
    sensors=[medallion_automation],
    # Celery workers run the steps when CELERY_BROKER_URL is set (see workers.py).
    executor=workers.executor(),
)
