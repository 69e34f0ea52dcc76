from polster_lint.domain.rules.base import (
    BRONZE_ORDERS,
    SILVER_ORDERS,
    Example,
    LayerEdgeRule,
    asset_path,
    asset_source,
)


class UpstreamFromLaterLayer(LayerEdgeRule):
    code = "POL003"
    name = "upstream-from-later-layer"
    summary = "an asset depends on a later layer (silver on gold)"
    what = "An asset depends on an asset of a later layer (silver on gold)."
    why = (
        "Data flows bronze -> silver -> gold. A backwards edge creates hidden coupling and, "
        "sooner or later, cycles."
    )
    fix = "Move the shared logic down a layer, or move the asset up."
    invalid = (
        Example(
            {
                **BRONZE_ORDERS,
                asset_path("gold", "targets"): asset_source(
                    "gold", "targets", 'deps=[dg.AssetKey(["silver", "orders"])]'
                ),
                asset_path("silver", "orders"): asset_source(
                    "silver",
                    "orders",
                    'deps=[dg.AssetKey(["bronze", "orders"]), dg.AssetKey(["gold", "targets"])]',
                ),
            },
            (
                ("POL006", asset_path("gold", "targets"), 4, 61),
                ("POL003", asset_path("silver", "orders"), 4, 99),
            ),
        ),
    )
    valid = (Example({**BRONZE_ORDERS, **SILVER_ORDERS}),)
