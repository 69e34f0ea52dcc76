"""Materialize the whole pipeline in-process against temporary local storage."""

import dagster as dg

from core.storage import read_table
from orchestration.definitions import defs


def materialize_everything() -> dg.ExecuteInProcessResult:
    job = defs.resolve_implicit_global_asset_job_def()
    with dg.DagsterInstance.ephemeral() as instance:
        return job.execute_in_process(instance=instance)


def test_every_asset_materializes_and_every_check_passes(local_storage):
    result = materialize_everything()
    assert result.success
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert materialized == {spec.key for spec in defs.resolve_all_asset_specs()}
    checks = result.get_asset_check_evaluations()
    assert len(checks) >= 3 and all(check.passed for check in checks)
    for key in materialized:
        layer, name = key.path
        assert (local_storage / layer / f"{name}.parquet").is_file()


def test_metadata_describes_the_table(local_storage):
    for event in materialize_everything().get_asset_materialization_events():
        metadata = event.materialization.metadata
        layer, name = event.asset_key.path
        assert metadata["dagster/row_count"].value == len(read_table(layer, name)) > 0
        assert metadata["dagster/uri"].value.endswith(f"{layer}/{name}.parquet")
        assert metadata["preview"].value.startswith("|")
