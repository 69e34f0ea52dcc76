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


class OrphanDerivedAsset(Rule):
    code = "POL009"
    name = "orphan-derived-asset"
    summary = "a silver or gold asset with no upstream"
    what = "A silver or gold asset has no upstream at all."
    why = (
        "Silver and gold derive from upstream data; without an upstream, the asset is "
        "either raw data in the wrong layer or its dependencies are undeclared."
    )
    fix = "Declare its upstream assets in deps, or move it to bronze."
    invalid = (
        Example(
            {asset_path("silver", "orders"): asset_source("silver", "orders")},
            (("POL009", asset_path("silver", "orders"), 4, 15),),
        ),
    )
    valid = (Example({**BRONZE_ORDERS, **SILVER_ORDERS}),)

    def check(self, context: CheckContext) -> Iterator[Violation]:
        for asset in context.graph.assets.values():
            if asset.layer not in (None, "bronze") and not asset.decl.deps:
                yield Violation(
                    asset.file,
                    asset.decl.anchor,
                    self.code,
                    f"{asset.layer} asset {key_string(asset.key)} has no upstream asset",
                    asset=asset.key,
                )
