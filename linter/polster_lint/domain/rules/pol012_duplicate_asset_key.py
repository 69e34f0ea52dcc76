from collections.abc import Iterator

from polster_lint.domain.model import key_string
from polster_lint.domain.rules.base import CheckContext, Example, Rule, asset_path, asset_source
from polster_lint.domain.violation import Violation


class DuplicateAssetKey(Rule):
    code = "POL012"
    name = "duplicate-asset-key"
    summary = "two assets have the same key"
    what = "Two asset definitions of the project produce the same asset key."
    why = (
        "Dagster refuses to load definitions with a duplicate key, and the linter cannot "
        "tell which definition the other rules should judge."
    )
    fix = "Rename one of the assets (its key), or delete the copy."
    invalid = (
        Example(
            {
                asset_path("bronze", "orders"): asset_source("bronze", "orders"),
                asset_path("bronze", "orders_copy"): asset_source("bronze", "orders"),
            },
            (("POL012", asset_path("bronze", "orders_copy"), 4, 15),),
        ),
    )
    valid = (
        Example(
            {
                asset_path("bronze", "orders"): asset_source("bronze", "orders"),
                asset_path("bronze", "returns"): asset_source("bronze", "returns"),
            }
        ),
    )

    def check(self, context: CheckContext) -> Iterator[Violation]:
        for asset in context.graph.duplicates:
            yield Violation(
                asset.file,
                asset.decl.anchor,
                self.code,
                f"asset {key_string(asset.key)} is defined more than once",
                asset=asset.key,
            )
