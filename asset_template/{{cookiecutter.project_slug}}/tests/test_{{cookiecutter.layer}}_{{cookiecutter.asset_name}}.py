{%- from "asset.jinja" import layer, name, deps with context -%}
"""Tests of the asset {{ layer }}/{{ name }} (``src/core/{{ layer }}_{{ name }}.py``)."""

import pandas as pd

from core import {{ layer }}_{{ name }}
from core.storage import read_table{% if deps %}, write_table{% endif %}


def test_{{ layer }}_{{ name }}_writes_its_table():
{%- for dep_layer, dep_name in deps %}
    write_table(pd.DataFrame({"id": [1, 2, 2]}), "{{ dep_layer }}", "{{ dep_name }}")
{%- endfor %}
    table, _ = {{ layer }}_{{ name }}.run()
    assert len(table) > 0
    pd.testing.assert_frame_equal(read_table("{{ layer }}", "{{ name }}"), table)
