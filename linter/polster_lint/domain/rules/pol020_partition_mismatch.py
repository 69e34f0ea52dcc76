import re
from collections.abc import Iterator

from polster_lint.domain.model import Partitions, key_string
from polster_lint.domain.rules.base import CheckContext, Example, Rule, asset_path, asset_source
from polster_lint.domain.time_windows import needs_missing_upstream
from polster_lint.domain.violation import Violation

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(-\d{2}:\d{2})?")
"""A start date (or partition key) in Dagster's default formats: daily, hourly."""


def _daily(start: str) -> str:
    return f'partitions_def=dg.DailyPartitionsDefinition(start_date="{start}")'


_BRONZE = {asset_path("bronze", "orders"): asset_source("bronze", "orders", _daily("2026-02-01"))}
_SILVER = asset_path("silver", "orders")
_CHECK = 'check_specs=[dg.AssetCheckSpec("rows", asset=["silver", "orders"])]'


def _silver(dependency: str, partitions: str = _daily("2026-01-01")) -> dict[str, str]:
    options = f"deps=[{dependency}], {partitions}, {_CHECK}"
    return {_SILVER: asset_source("silver", "orders", options)}


def _weekly(start: str) -> str:
    return f'partitions_def=dg.WeeklyPartitionsDefinition(start_date="{start}")'


_ORDERS = 'dg.AssetKey(["bronze", "orders"])'
_BRONZE_WEEKLY = {
    asset_path("bronze", "orders"): asset_source("bronze", "orders", _weekly("2026-01-01"))
}
"""Weekly from Thursday 2026-01-01: its first week starts on Sunday 2026-01-04."""
_BRONZE_DAILY = {
    asset_path("bronze", "orders"): asset_source("bronze", "orders", _daily("2026-01-02"))
}


class PartitionMismatch(Rule):
    code = "POL020"
    name = "partition-mismatch"
    summary = (
        "an asset's partitions do not map onto its upstream's, and no `partition_mapping` says how"
    )
    what = (
        "An asset and its upstream have partitions definitions that Dagster's default "
        "mapping gets wrong, and the dependency gives no `partition_mapping` (in "
        "`AssetIn(...)` or `AssetDep(...)`). Dagster infers the mapping: between two "
        "time-window definitions (daily, hourly, weekly, monthly) a partition reads the "
        "upstream partitions covering its time window, which fails when the asset's "
        "first window starts before the upstream's first window (each definition's "
        "first window starts at its first schedule tick on or after its start date: a "
        "weekly one starting on a Monday begins on the Sunday after, by its day_offset); "
        "between any others it reads the upstream partition of the same key "
        "(identity), which fails for keys the upstream lacks (static keys it does not "
        "have, static keys against dates). Unpartitioned on either side is fine: it "
        "maps to all partitions. Definitions compared: the same name or constant, "
        "`*PartitionsDefinition(...)` of literal arguments; any other (imported constants "
        "against literal ones, multi or dynamic partitions, a time-window definition "
        "with a computed offset, timezone or format, exclusions, a cron schedule other "
        "than plain numbers and `*`, or two timezones) is not claimed."
    )
    why = (
        "Dagster loads such definitions without complaint; the runs fail later (an "
        "upstream partition that does not exist), or read the wrong partition."
    )
    fix = (
        "Give both assets the same partitions definition (one shared constant), or say "
        "how they map: `dg.AssetDep(key, partition_mapping=...)` or "
        "`dg.AssetIn(key, partition_mapping=...)` (e.g. `TimeWindowPartitionMapping("
        "allow_nonexistent_upstream_partitions=True)`, `StaticPartitionMapping`)."
    )
    invalid = (
        Example(
            {**_BRONZE, **_silver('dg.AssetKey(["bronze", "orders"])')},
            (("POL020", _SILVER, 4, 64),),
        ),
        Example(  # the first day, 2026-01-03, needs the week of 2025-12-28
            {**_BRONZE_WEEKLY, **_silver(_ORDERS, _daily("2026-01-03"))},
            (("POL020", _SILVER, 4, 64),),
        ),
    )
    valid = (
        Example(
            {
                **_BRONZE,
                **_silver(
                    'dg.AssetDep(dg.AssetKey(["bronze", "orders"]), partition_mapping='
                    "dg.TimeWindowPartitionMapping(allow_nonexistent_upstream_partitions=True))"
                ),
            }
        ),
        # weekly from 2026-01-01 has its first window from Sunday 2026-01-04: all days exist
        Example({**_BRONZE_DAILY, **_silver(_ORDERS, _weekly("2026-01-01"))}),
    )

    def check(self, context: CheckContext) -> Iterator[Violation]:
        graph = context.graph
        for edge in graph.edges:
            upstream = graph.assets.get(edge.upstream) or graph.external.get(edge.upstream)
            if upstream is None or edge.reference.partition_mapping:
                continue
            reason = mismatch(edge.downstream.decl.partitions, upstream.decl.partitions)
            if reason is not None:
                down, up = key_string(edge.downstream.key), key_string(edge.upstream)
                yield Violation(
                    edge.downstream.file,
                    edge.reference.anchor,
                    self.code,
                    f"{down} depends on {up} without a partition_mapping: {reason}",
                    asset=edge.downstream.key,
                    dependency=edge.upstream,
                )


def mismatch(down: Partitions | None, up: Partitions | None) -> str | None:
    """Why Dagster's inferred mapping (``infer_partition_mapping``) from ``up`` to
    ``down`` goes wrong, or None when it does not or the linter cannot tell."""
    if down is None or up is None or (down.text and down.text == up.text):
        return None  # AllPartitionMapping, or the same definition
    kinds = {down.kind, up.kind}
    if kinds == {"time"}:
        needs = needs_missing_upstream(down, up)
        if needs is not None:
            first, needed, upstream_first = needs
            return (
                f"its first partition {first} needs the upstream's partition {needed}, "
                f"before the upstream's first ({upstream_first}): the default "
                "TimeWindowPartitionMapping fails the runs of partitions whose upstream "
                "time does not exist"
            )
        return None
    if kinds == {"static"}:
        missing = [key for key in down.keys if key not in up.keys]
        if missing:
            return (
                f"its partitions {', '.join(missing)} are not the upstream's: the default "
                "IdentityPartitionMapping reads the upstream partition of the same key"
            )
        return None
    if kinds == {"time", "static"}:
        static = down if down.kind == "static" else up
        if not all(_is_date(key) for key in static.keys):
            return (
                "one is partitioned by time, the other by static keys: the default "
                "IdentityPartitionMapping reads the upstream partition of the same key"
            )
    return None


def _is_date(text: str | None) -> bool:
    return text is not None and _DATE.fullmatch(text) is not None
