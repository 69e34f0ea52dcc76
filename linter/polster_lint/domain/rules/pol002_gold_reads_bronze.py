from polster_lint.domain.rules.base import (
    BRONZE_ORDERS,
    SILVER_ORDERS,
    Example,
    LayerEdgeRule,
    asset_path,
    asset_source,
)


class GoldReadsBronze(LayerEdgeRule):
    code = "POL002"
    name = "gold-reads-bronze"
    summary = "a gold asset depends directly on bronze"
    what = "A gold asset depends directly on a bronze asset, skipping silver."
    why = (
        "Gold must build on cleaned, checked data. Reading bronze skips silver's cleaning "
        "and quality checks."
    )
    fix = "Depend on the silver asset that cleans that bronze table (create one if needed)."
    invalid = (
        Example(
            {
                **BRONZE_ORDERS,
                asset_path("gold", "revenue"): asset_source(
                    "gold", "revenue", 'deps=[dg.AssetKey(["bronze", "orders"])]'
                ),
            },
            (("POL002", asset_path("gold", "revenue"), 4, 61),),
        ),
    )
    valid = (
        Example(
            {
                **BRONZE_ORDERS,
                **SILVER_ORDERS,
                asset_path("gold", "revenue"): asset_source(
                    "gold", "revenue", 'deps=[dg.AssetKey(["silver", "orders"])]'
                ),
            }
        ),
    )
