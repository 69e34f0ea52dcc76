from collections.abc import Iterator

from polster_lint.domain.model import key_string
from polster_lint.domain.rules.base import (
    ASSETS,
    BRONZE_ORDERS,
    CheckContext,
    Example,
    Rule,
    asset_path,
    asset_source,
)
from polster_lint.domain.violation import Violation

_UNCHECKED = asset_source(
    "silver", "orders", 'deps=[dg.AssetKey(["bronze", "orders"])]', finished=False
)


class UncheckedSilver(Rule):
    code = "POL015"
    name = "unchecked-silver"
    summary = "a silver asset with no quality check"
    what = (
        "A silver asset has no `check_specs=` and no asset check in the project targets "
        "it: no `@asset_check(asset=...)`, no `@multi_asset_check` spec, no "
        "`build_*_checks(assets=[...])`, in any module the linter reads (checks often "
        "live in a module of their own). When some check's target cannot be read "
        "statically (POL010 says where), no silver asset is claimed unchecked. On by "
        "default: a generated project and every silver asset `polster add-asset` writes "
        "carry blocking checks, so a project only breaks it by removing them."
    )
    why = (
        "Silver's promise is the quality gate: bronze is raw, gold is built on silver "
        "trusting that it was checked. A silver table without a check passes on whatever "
        "it was given."
    )
    fix = (
        "Give the asset `check_specs=[...]` (blocking checks that stop the downstream "
        "assets when they fail), or write an `@dg.asset_check(asset=...)` for it."
    )
    invalid = (
        Example(
            {**BRONZE_ORDERS, asset_path("silver", "orders"): _UNCHECKED},
            (("POL015", asset_path("silver", "orders"), 4, 15),),
        ),
    )
    valid = (
        Example(
            {
                **BRONZE_ORDERS,
                asset_path("silver", "orders"): _UNCHECKED,
                f"{ASSETS}/silver/checks.py": (
                    "import dagster as dg\n\n"
                    "from orchestration.assets.silver.run_silver_orders import silver_orders\n\n\n"
                    "@dg.asset_check(asset=silver_orders)\n"
                    "def orders_have_rows() -> dg.AssetCheckResult:\n"
                    "    return dg.AssetCheckResult(passed=True)\n"
                ),
            },
        ),
        Example(
            {
                **BRONZE_ORDERS,
                asset_path("silver", "orders"): asset_source(
                    "silver",
                    "orders",
                    'deps=[dg.AssetKey(["bronze", "orders"])], '
                    'check_specs=[dg.AssetCheckSpec("rows", asset=["silver", "orders"])]',
                    finished=False,
                ),
            },
        ),
    )

    def check(self, context: CheckContext) -> Iterator[Violation]:
        graph = context.graph
        if not graph.checks_known:
            return
        for asset in graph.assets.values():
            if (
                asset.layer == "silver"
                and not asset.decl.has_check_specs
                and not graph.is_checked(asset.key)
            ):
                yield Violation(
                    asset.file,
                    asset.decl.anchor,
                    self.code,
                    f"silver asset {key_string(asset.key)} has no quality check "
                    "(check_specs= or an @asset_check on it)",
                    asset=asset.key,
                )
