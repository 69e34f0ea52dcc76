from polster_lint.domain.rules.base import (
    BRONZE_ORDERS,
    Example,
    LayerEdgeRule,
    asset_path,
    asset_source,
)


class BronzeWithUpstream(LayerEdgeRule):
    code = "POL001"
    name = "bronze-with-upstream"
    summary = "a bronze asset declares an upstream"
    what = "A bronze asset declares an upstream asset."
    why = (
        "Bronze is raw data as the source delivered it. An upstream makes it a derived "
        "table, which belongs in silver or gold."
    )
    fix = "Drop the dependency, or move the asset to the silver layer."
    invalid = (
        Example(
            {
                **BRONZE_ORDERS,
                asset_path("bronze", "returns"): asset_source(
                    "bronze", "returns", 'deps=[dg.AssetKey(["bronze", "orders"])]'
                ),
            },
            (("POL001", asset_path("bronze", "returns"), 4, 65),),
        ),
    )
    valid = (Example(BRONZE_ORDERS),)
