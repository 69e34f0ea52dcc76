"""The project's Dagster definitions.

Every asset module under ``orchestration/assets/`` is picked up automatically: adding or
removing a ``run_<layer>_<name>.py`` file needs no edit here. Bronze assets are refreshed
by a daily schedule; silver and gold follow their upstreams through automation
conditions, evaluated by a sensor that runs as soon as the Dagster daemon starts. A weekly
job compacts and vacuums every table.
"""

{% if cookiecutter.partitioning == "daily" %}import datetime

{% endif %}import dagster as dg

from core.storage import StorageError, list_tables, maintain_table
from orchestration import assets, workers
{%- if cookiecutter.partitioning == "daily" %}


@dg.schedule(
    name="daily_bronze_refresh",
    cron_schedule="0 6 * * *",
    target=dg.AssetSelection.groups("bronze"),
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Ingest the day that just ended into every bronze asset; silver and gold follow.",
)
def daily_bronze_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Each morning (06:00 UTC), the day before. Written out rather than made with
    ``build_schedule_from_partitioned_job``, which calls an API Dagster 1.13 deprecates."""
    yesterday = context.scheduled_execution_time - datetime.timedelta(days=1)
    return dg.RunRequest(partition_key=yesterday.strftime("%Y-%m-%d"))
{%- else %}

daily_bronze_refresh = dg.ScheduleDefinition(
    name="daily_bronze_refresh",
    target=dg.AssetSelection.groups("bronze"),
    cron_schedule="0 6 * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Re-ingest every bronze asset each morning; silver and gold follow.",
)
{%- endif %}


LOCAL_EXECUTOR = dg.in_process_executor
"""How runs launched by the UI, the schedules and the automation sensor run their steps.

In the run's own process, one after another. Dagster's default (a new process for each
step) starts Python afresh and imports Dagster, pandas and the project for every step,
several seconds each: most of the time of a small run. For steps that should run side by
side, use Celery workers (README, "Scale-out") or ``dg.multiprocess_executor`` here.
"""


@dg.op(description="Compact the small files of every table, then vacuum unused ones.")
def maintain_tables(context: dg.OpExecutionContext) -> None:
    """Each table on its own: one that cannot be maintained (a damaged log, say) does not
    keep the others from it; the op fails afterwards, naming the first such table."""
    tables = list_tables()
    failures = []
    for layer, name in tables:
        try:
            counts = maintain_table(layer, name)
        except StorageError as error:
            failures.append(str(error))
            continue
        context.log.info(
            f"{layer}/{name}: {counts['files_compacted']} small files compacted into "
            f"{counts['files_added']}, {counts['files_vacuumed']} unused files vacuumed"
        )
    if failures:
        raise StorageError(
            f"{len(failures)} of {len(tables)} tables not maintained, the others were: "
            + "; ".join(failures)
        )


@dg.job(description="Table maintenance: compaction and vacuum (python run_polster.py --maintain).")
def table_maintenance() -> None:
    maintain_tables()


weekly_table_maintenance = dg.ScheduleDefinition(
    name="weekly_table_maintenance",
    job=table_maintenance,
    cron_schedule="0 3 * * 0",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every Sunday at 03:00: compact small files and vacuum those unused for 7 days.",
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
    jobs=[table_maintenance],
    schedules=[daily_bronze_refresh, weekly_table_maintenance],
    sensors=[medallion_automation],
    # Celery workers run the steps when CELERY_BROKER_URL is set (see workers.py); else
    # the run's own process runs them (see LOCAL_EXECUTOR).
    executor=workers.executor() or LOCAL_EXECUTOR,
)
