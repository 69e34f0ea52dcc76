{%- from "asset.jinja" import layer, name, deps, description with context -%}
"""Asset ``{{ layer }}/{{ name }}`` (logic in ``core/{{ layer }}_{{ name }}.py``)."""

import dagster as dg

from core import {{ layer }}_{{ name }}
from orchestration.utils import {% if layer == "bronze" %}BUILD_WHEN_MISSING, {% endif %}materialize_result


@dg.asset(
    key=["{{ layer }}", "{{ name }}"],
    group_name="{{ layer }}",
    description={{ description | python_string(4, 12) }},
    kinds={"pandas", "parquet"},
{%- if deps %}
    deps=[
{%- for dep_layer, dep_name in deps %}
        dg.AssetKey(["{{ dep_layer }}", "{{ dep_name }}"]),
{%- endfor %}
    ],
    automation_condition=dg.AutomationCondition.eager(),
{%- else %}
    automation_condition=BUILD_WHEN_MISSING,
{%- endif %}
)
def {{ layer }}_{{ name }}_asset() -> dg.MaterializeResult:
    return materialize_result(*{{ layer }}_{{ name }}.run())
