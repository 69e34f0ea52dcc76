{%- from "asset.jinja" import layer, name, deps, description, daily with context -%}
"""{{ (layer | capitalize ~ " asset " ~ layer ~ "/" ~ name ~ ": " ~ description) | docstring_text }}
{% if deps %}
Reads {{ deps | map("join", "/") | join(", ") }} and writes {{ layer }}/{{ name }}.
{%- else %}
Produces {{ layer }}/{{ name }}, a root of the graph: bronze assets read from outside sources.
{%- endif %}
{%- if daily %}
The table is partitioned by day: a run gets the days to build and replaces exactly those
partitions.
{%- endif %}
Run it on its own with ``python src/core/{{ layer }}_{{ name }}.py``.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python src/core/{{ layer }}_{{ name }}.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
{%- if daily %}

from collections.abc import Sequence
{%- if not deps %}
from datetime import UTC, datetime, timedelta
{%- endif %}
{%- endif %}

import pandas as pd

from core.script import run_script
{%- if daily %}
{%- if layer == "silver" %}
from core.storage import read_table, table_partitions, write_table
{%- elif deps %}
from core.storage import PARTITION_COLUMN, read_table, table_partitions, write_table
{%- else %}
from core.storage import PARTITION_COLUMN, write_table
{%- endif %}
{%- else %}
from core.storage import {% if deps %}read_table, {% endif %}write_table
{%- endif %}
{% if layer == "bronze" %}

def extract({% if daily %}day: str{% endif %}) -> pd.DataFrame:
    """A small sample table{% if daily %} for one day{% endif %} to start from; replace it with the real source{% if not daily %} (API, files, DB){% endif %}."""
    return pd.DataFrame(
        {
            "id": [1, 2, 3],
            "name": ["first", "second", "third"],
            "amount": [10.0, 20.5, 31.25],
        }
    )
{%- if daily %}


def run(days: Sequence[str] | None = None) -> tuple[pd.DataFrame, str]:
    """Extract ``days`` (default: the last full day, UTC) into ``{{ layer }}/{{ name }}``."""
    if days is None:
        days = [(datetime.now(UTC).date() - timedelta(days=1)).isoformat()]
    frames = [extract(day).assign(**{PARTITION_COLUMN: day}) for day in days]
    table = pd.concat(frames, ignore_index=True)
    return table, write_table(table, "{{ layer }}", "{{ name }}", partition=list(days))
{%- else %}


def run() -> tuple[pd.DataFrame, str]:
    """Extract the data and store it as ``{{ layer }}/{{ name }}``."""
    table = extract()
    return table, write_table(table, "{{ layer }}", "{{ name }}")
{%- endif %}
{% elif layer == "silver" %}
QUALITY_CHECKS = {
    "has_rows": "The table holds at least one row.",
}
"""Check name -> the promise it verifies: each is a blocking check in Dagster, so gold never
builds on a table that breaks one. Add this table's own promises (unique keys, filled
columns, valid ranges) here and count what breaks them in :func:`quality_problems`."""


def transform(**upstreams: pd.DataFrame) -> pd.DataFrame:
    """A starting point: every upstream row, tagged with its table, without duplicates.

    Replace it with the real cleaning: typed columns, normalised values, one row per key.
    """
    frames = [frame.assign(source_table=table) for table, frame in upstreams.items()]
    return pd.concat(frames, ignore_index=True).drop_duplicates().reset_index(drop=True)


def quality_problems(table: pd.DataFrame) -> dict[str, int]:
    """Count what breaks each promise in :data:`QUALITY_CHECKS` (0 means it holds)."""
    return {"has_rows": int(table.empty)}
{% else %}

def transform(**upstreams: pd.DataFrame) -> pd.DataFrame:
    """A starting point: how many rows each upstream table holds{% if daily %}, per day{% endif %}.

    Replace it with the business aggregate this table is for (sums, rates, rankings).
    """
{%- if daily %}
    frames = []
    for table, frame in upstreams.items():
        rows = frame.groupby(PARTITION_COLUMN).size().rename("rows").reset_index()
        frames.append(rows.assign(source_table=table))
    return pd.concat(frames, ignore_index=True)
{%- else %}
    return pd.DataFrame(
        {
            "source_table": list(upstreams),
            "rows": [len(frame) for frame in upstreams.values()],
        }
    )
{%- endif %}
{% endif %}
{%- if layer != "bronze" %}
{%- if daily %}

def run(days: Sequence[str] | None = None) -> tuple[pd.DataFrame, str]:
    """Transform the upstream partitions of ``days`` into ``{{ layer }}/{{ name }}``.

    ``days`` defaults to every day the upstream tables hold.
    """
    if days is None:
        days = sorted(
            {
{%- for dep_layer, dep_name in deps %}
                *table_partitions("{{ dep_layer }}", "{{ dep_name }}"),
{%- endfor %}
            }
        )
    table = transform(
{%- for dep_layer, dep_name in deps %}
{%- set read = dep_layer ~ "_" ~ dep_name ~ '=read_table("' ~ dep_layer ~ '", "' ~ dep_name ~ '", partitions=days),' %}
{%- if read | length <= 92 %}
        {{ read }}
{%- else %}
        {{ dep_layer }}_{{ dep_name }}=read_table(
            "{{ dep_layer }}", "{{ dep_name }}", partitions=days
        ),
{%- endif %}
{%- endfor %}
    )
    return table, write_table(table, "{{ layer }}", "{{ name }}", partition=list(days))
{%- else %}

def run() -> tuple[pd.DataFrame, str]:
    """Read the upstream tables, transform them and store ``{{ layer }}/{{ name }}``."""
    table = transform(
{%- for dep_layer, dep_name in deps %}
        {{ dep_layer }}_{{ dep_name }}=read_table("{{ dep_layer }}", "{{ dep_name }}"),
{%- endfor %}
    )
    return table, write_table(table, "{{ layer }}", "{{ name }}")
{%- endif %}
{% endif %}

if __name__ == "__main__":
    run_script(run, "{{ layer }}/{{ name }}")
