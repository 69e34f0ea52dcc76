from polster_lint.domain.rules.base import BRONZE_ORDERS, Example, Rule, asset_path
from polster_lint.domain.violation import DROP_NOQA_CODE, Fix


def _silver_orders(upstream: str, noqa: str) -> dict[str, str]:
    return {
        asset_path("silver", "orders"): (
            "import dagster as dg\n\n\n"
            '@dg.asset(key=["silver", "orders"], group_name="silver", '
            f'deps=[dg.AssetKey(["bronze", "{upstream}"])], '
            'check_specs=[dg.AssetCheckSpec("rows", asset=["silver", "orders"])])'
            f"  # noqa: {noqa}\n"
            "def orders() -> None: ...\n"
        )
    }


class UnusedNoqa(Rule):
    code = "POL100"
    name = "unused-noqa"
    summary = "a `# noqa: POLxxx` comment that silences nothing"
    what = "A # noqa: POLxxx comment silences nothing on its line."
    why = "Stale suppressions hide the next real problem on that line."
    fix = "Remove the code from the comment (or the whole comment)."
    invalid = (
        Example(
            {**BRONZE_ORDERS, **_silver_orders("orders", noqa="POL002")},
            (("POL100", asset_path("silver", "orders"), 4, 1),),
        ),
    )
    valid = (Example({**BRONZE_ORDERS, **_silver_orders("ordres", noqa="E501, POL005")}),)
    reported_by = (
        "the engine, after every other rule: only then is it known what a comment silenced."
    )
    fixable = True

    @staticmethod
    def fix_for(code: str) -> Fix:
        """The repair of an unused ``code`` in a line's ``# noqa`` comment (the engine
        reports this rule, so it asks here how to fix it)."""
        return Fix(DROP_NOQA_CODE, (code,))
