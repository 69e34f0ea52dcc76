from collections.abc import Iterator

from polster_lint.domain.model import key_string
from polster_lint.domain.rules.base import (
    BRONZE_ORDERS,
    SILVER_ORDERS,
    CheckContext,
    Example,
    Rule,
    asset_path,
    asset_source,
)
from polster_lint.domain.violation import Violation

_DEPS = 'deps=[dg.AssetKey(["silver", "orders"])]'


class UndescribedGold(Rule):
    code = "POL018"
    name = "undescribed-gold"
    summary = "a gold asset without a description"
    what = (
        "A gold asset has no `description=` and no docstring (which Dagster takes as "
        "the description when there is none); an empty or blank one is none (Dagster "
        'stores `description=""` as None). On by default: a generated project and '
        "every asset `polster add-asset` writes are described, so a project only breaks "
        "it by leaving the description out."
    )
    why = (
        "Gold tables are what the business reads: the description is what the Dagster "
        "UI and the catalog show them, and the only place that says what a row means."
    )
    fix = 'Add `description="..."` to the decorator, or a docstring to the function.'
    invalid = (
        Example(
            {
                **BRONZE_ORDERS,
                **SILVER_ORDERS,
                asset_path("gold", "revenue"): asset_source(
                    "gold", "revenue", _DEPS, finished=False
                ),
            },
            (("POL018", asset_path("gold", "revenue"), 4, 15),),
        ),
        Example(  # Dagster stores an empty description as None
            {
                **BRONZE_ORDERS,
                **SILVER_ORDERS,
                asset_path("gold", "revenue"): asset_source(
                    "gold", "revenue", f'{_DEPS}, description=""', finished=False
                ),
            },
            (("POL018", asset_path("gold", "revenue"), 4, 15),),
        ),
    )
    valid = (
        Example(
            {
                **BRONZE_ORDERS,
                **SILVER_ORDERS,
                asset_path("gold", "revenue"): asset_source(
                    "gold",
                    "revenue",
                    f'{_DEPS}, description="Revenue per day and region."',
                    finished=False,
                ),
            },
        ),
    )

    def check(self, context: CheckContext) -> Iterator[Violation]:
        for asset in context.graph.assets.values():
            if asset.layer == "gold" and not asset.decl.described:
                yield Violation(
                    asset.file,
                    asset.decl.anchor,
                    self.code,
                    f"gold asset {key_string(asset.key)} has no description "
                    "(description= or a docstring)",
                    asset=asset.key,
                )
