"""Materialize the whole pipeline in-process against temporary local storage."""

import dagster as dg

from core.storage import read_table
from orchestration.definitions import defs


def test_every_asset_materializes_and_every_check_passes(local_storage):
    job = defs.resolve_implicit_global_asset_job_def()
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance)
    assert result.success
    materialized = {event.asset_key.path[0] for event in result.get_asset_materialization_events()}
    assert materialized == {"bronze", "silver", "gold"}
    checks = result.get_asset_check_evaluations()
    assert len(checks) == 3 and all(check.passed for check in checks)
    for layer in ("bronze", "silver", "gold"):
        assert (local_storage / layer / "example.parquet").is_file()
        assert len(read_table(layer, "example")) > 0


def test_metadata_describes_the_table(local_storage):
    job = defs.resolve_implicit_global_asset_job_def()
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance)
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        layer = event.asset_key.path[0]
        assert metadata["dagster/row_count"].value == len(read_table(layer, "example"))
        assert metadata["dagster/uri"].value.endswith(f"{layer}/example.parquet")
        assert metadata["preview"].value.startswith("|")
