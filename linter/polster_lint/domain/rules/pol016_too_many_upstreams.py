from collections.abc import Iterator

from polster_lint.domain.model import key_string
from polster_lint.domain.rules.base import CheckContext, Example, Rule, asset_path, asset_source
from polster_lint.domain.violation import Violation

_BRONZE = {asset_path("bronze", name): asset_source("bronze", name) for name in ("a", "b", "c")}
_SILVER = asset_path("silver", "orders")


def _silver(names: tuple[str, ...]) -> str:
    deps = ", ".join(f'dg.AssetKey(["bronze", "{name}"])' for name in names)
    check = 'dg.AssetCheckSpec("rows", asset=["silver", "orders"])'
    return asset_source("silver", "orders", f"deps=[{deps}], check_specs=[{check}]")


class TooManyUpstreams(Rule):
    code = "POL016"
    name = "too-many-upstreams"
    summary = "an asset with more upstreams than `max-upstreams` (default 7)"
    what = (
        "An asset depends on more upstream assets than `max-upstreams` allows (7 by "
        "default; dbt-project-evaluator uses the same limit for a model's joins)."
    )
    why = (
        "An asset that joins many tables usually does several jobs at once (join, clean, "
        "aggregate): it is hard to test, slow to rebuild, and every upstream change "
        "re-runs it."
    )
    fix = (
        "Split it: join related upstreams in an intermediate asset of the same layer "
        "(allow it with `allow-same-layer`), or raise `max-upstreams` if the width is real."
    )
    invalid = (
        Example(
            {**_BRONZE, _SILVER: _silver(("a", "b", "c"))},
            (("POL016", _SILVER, 4, 15),),
            settings={"max-upstreams": 2},
        ),
    )
    valid = (Example({**_BRONZE, _SILVER: _silver(("a", "b"))}, settings={"max-upstreams": 2}),)

    def check(self, context: CheckContext) -> Iterator[Violation]:
        limit = context.config.max_upstreams
        for key, upstreams in context.declared.items():
            if len(upstreams) > limit:
                asset = context.graph.assets[key]
                yield Violation(
                    asset.file,
                    asset.decl.anchor,
                    self.code,
                    f"{key_string(key)} has {len(upstreams)} upstream assets, over the "
                    f"limit of {limit} (max-upstreams)",
                    asset=key,
                )
