{%- from "asset.jinja" import layer, name, deps, description with context -%}
"""{{ (layer | capitalize ~ " asset " ~ layer ~ "/" ~ name ~ ": " ~ description) | docstring_text }}
{% if deps %}
Reads {{ deps | map("join", "/") | join(", ") }} and writes {{ layer }}/{{ name }}.
{%- else %}
Produces {{ layer }}/{{ name }}, a root of the graph: bronze assets read from outside sources.
{%- endif %}
Run it on its own with ``python src/core/{{ layer }}_{{ name }}.py``.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python src/core/{{ layer }}_{{ name }}.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from core.script import run_script
from core.storage import {% if deps %}read_table, {% endif %}write_table
{% if layer == "bronze" %}

def extract() -> pd.DataFrame:
    """A small sample table to start from; replace it with the real source (API, files, DB)."""
    return pd.DataFrame(
        {
            "id": [1, 2, 3],
            "name": ["first", "second", "third"],
            "amount": [10.0, 20.5, 31.25],
        }
    )


def run() -> tuple[pd.DataFrame, str]:
    """Extract the data and store it as ``{{ layer }}/{{ name }}``."""
    table = extract()
    return table, write_table(table, "{{ layer }}", "{{ name }}")
{% elif layer == "silver" %}

def transform(**upstreams: pd.DataFrame) -> pd.DataFrame:
    """A starting point: every upstream row, tagged with its table, without duplicates.

    Replace it with the real cleaning: typed columns, normalised values, one row per key.
    """
    frames = [frame.assign(source_table=table) for table, frame in upstreams.items()]
    return pd.concat(frames, ignore_index=True).drop_duplicates().reset_index(drop=True)
{% else %}

def transform(**upstreams: pd.DataFrame) -> pd.DataFrame:
    """A starting point: how many rows each upstream table holds.

    Replace it with the business aggregate this table is for (sums, rates, rankings).
    """
    return pd.DataFrame(
        {
            "source_table": list(upstreams),
            "rows": [len(frame) for frame in upstreams.values()],
        }
    )
{% endif %}
{%- if layer != "bronze" %}

def run() -> tuple[pd.DataFrame, str]:
    """Read the upstream tables, transform them and store ``{{ layer }}/{{ name }}``."""
    table = transform(
{%- for dep_layer, dep_name in deps %}
        {{ dep_layer }}_{{ dep_name }}=read_table("{{ dep_layer }}", "{{ dep_name }}"),
{%- endfor %}
    )
    return table, write_table(table, "{{ layer }}", "{{ name }}")
{% endif %}

if __name__ == "__main__":
    run_script(run, "{{ layer }}/{{ name }}")
