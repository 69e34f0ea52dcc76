{%- from "asset.jinja" import layer, name, deps, description, daily with context -%}
"""Asset ``{{ layer }}/{{ name }}`` (logic in ``core/{{ layer }}_{{ name }}.py``).
{%- if layer == "silver" %}

Each promise in the core module's ``QUALITY_CHECKS`` is a blocking asset check on the
table it writes: when one fails, the assets downstream of this one do not run.
{% endif %}"""

import dagster as dg

from core import {{ layer }}_{{ name }}
{%- if daily %}
from orchestration.utils import (
{%- if layer == "bronze" %}
    BUILD_WHEN_MISSING,
{%- endif %}
    DAILY_PARTITIONS,
{%- if layer != "bronze" %}
    FOLLOW_UPSTREAM,
{%- endif %}
    SINGLE_RUN,
    materialize_result,
    partition_row_counts,
{%- if layer == "silver" %}
    quality_check_results,
    quality_check_specs,
{%- endif %}
)
{%- elif layer == "silver" %}
from orchestration.utils import materialize_result, quality_check_results, quality_check_specs
{%- else %}
from orchestration.utils import {% if layer == "bronze" %}BUILD_WHEN_MISSING, {% endif %}materialize_result
{%- endif %}


@dg.asset(
    key=["{{ layer }}", "{{ name }}"],
    group_name="{{ layer }}",
    description={{ description | python_string(4, 12) }},
    kinds={"pandas", "delta"},
{%- if deps %}
    deps=[
{%- for dep_layer, dep_name in deps %}
        dg.AssetKey(["{{ dep_layer }}", "{{ dep_name }}"]),
{%- endfor %}
    ],
{%- endif %}
{%- if daily %}
    partitions_def=DAILY_PARTITIONS,
    backfill_policy=SINGLE_RUN,
{%- endif %}
{%- if deps and daily %}
    automation_condition=FOLLOW_UPSTREAM,
{%- elif deps %}
    automation_condition=dg.AutomationCondition.eager(),
{%- else %}
    automation_condition=BUILD_WHEN_MISSING,
{%- endif %}
{%- if layer == "silver" %}
    check_specs=quality_check_specs(
        ["{{ layer }}", "{{ name }}"],
        {{ layer }}_{{ name }}.QUALITY_CHECKS,
    ),
{%- endif %}
)
{%- if daily %}
def {{ layer }}_{{ name }}_asset(
    context: dg.AssetExecutionContext,
) -> dg.MaterializeResult:
    table, uri = {{ layer }}_{{ name }}.run(context.partition_keys)
    partition_row_counts(context, table)
{%- if layer == "silver" %}
    checks = quality_check_results({{ layer }}_{{ name }}.quality_problems(table))
    return materialize_result(table, uri, checks)
{%- else %}
    return materialize_result(table, uri)
{%- endif %}
{%- elif layer == "silver" %}
def {{ layer }}_{{ name }}_asset() -> dg.MaterializeResult:
    table, uri = {{ layer }}_{{ name }}.run()
    checks = quality_check_results({{ layer }}_{{ name }}.quality_problems(table))
    return materialize_result(table, uri, checks)
{%- else %}
def {{ layer }}_{{ name }}_asset() -> dg.MaterializeResult:
    return materialize_result(*{{ layer }}_{{ name }}.run())
{%- endif %}
