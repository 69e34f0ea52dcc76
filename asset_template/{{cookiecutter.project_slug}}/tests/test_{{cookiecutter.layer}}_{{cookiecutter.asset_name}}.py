{%- from "asset.jinja" import layer, name, deps, daily with context -%}
"""Tests of the asset {{ layer }}/{{ name }} (``src/core/{{ layer }}_{{ name }}.py``)."""

import pandas as pd

from core import {{ layer }}_{{ name }}
from core.storage import read_table{% if deps %}, write_table{% endif %}
{%- if daily %}

DAY = "2026-01-05"


def test_{{ layer }}_{{ name }}_writes_its_table():
{%- for dep_layer, dep_name in deps %}
{%- set arguments = 'pd.DataFrame({"id": [1, 2, 2]}), "' ~ dep_layer ~ '", "' ~ dep_name ~ '", partition=DAY' %}
{%- if arguments | length <= 83 %}
    write_table({{ arguments }})
{%- else %}
    write_table(
        {{ arguments }}
    )
{%- endif %}
{%- endfor %}
    table, _ = {{ layer }}_{{ name }}.run([DAY])
    assert len(table) > 0
{%- if layer == "silver" %}
    assert {{ layer }}_{{ name }}.quality_problems(table) == dict.fromkeys(
        {{ layer }}_{{ name }}.QUALITY_CHECKS, 0
    )
{%- endif %}
    stored = read_table("{{ layer }}", "{{ name }}", partitions=[DAY])
    pd.testing.assert_frame_equal(stored, table, check_like=True)
{%- else %}


def test_{{ layer }}_{{ name }}_writes_its_table():
{%- for dep_layer, dep_name in deps %}
    write_table(pd.DataFrame({"id": [1, 2, 2]}), "{{ dep_layer }}", "{{ dep_name }}")
{%- endfor %}
    table, _ = {{ layer }}_{{ name }}.run()
    assert len(table) > 0
{%- if layer == "silver" %}
    assert {{ layer }}_{{ name }}.quality_problems(table) == dict.fromkeys(
        {{ layer }}_{{ name }}.QUALITY_CHECKS, 0
    )
{%- endif %}
    pd.testing.assert_frame_equal(read_table("{{ layer }}", "{{ name }}"), table)
{%- endif %}
