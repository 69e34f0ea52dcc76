from polster_lint.domain.rules.base import (
    BRONZE_ORDERS,
    SILVER_ORDERS,
    Example,
    LayerEdgeRule,
    asset_path,
    asset_source,
)

_SILVER_ON_SILVER = {
    **BRONZE_ORDERS,
    **SILVER_ORDERS,
    asset_path("silver", "order_lines"): asset_source(
        "silver",
        "order_lines",
        'deps=[dg.AssetKey(["bronze", "orders"]), dg.AssetKey(["silver", "orders"])]',
    ),
}


class SameLayerDependency(LayerEdgeRule):
    code = "POL004"
    name = "same-layer-dependency"
    summary = "same-layer dependency (allowed per layer with `allow-same-layer`)"
    what = "An asset depends on another asset of its own layer (silver -> silver, gold -> gold)."
    why = (
        "Chains inside a layer blur what each layer guarantees. Allowed per layer with "
        "allow-same-layer in [tool.polster.lint] when a project wants them."
    )
    fix = "Depend on the upstream layer, or set allow-same-layer for that layer."
    invalid = (
        Example(_SILVER_ON_SILVER, (("POL004", asset_path("silver", "order_lines"), 4, 104),)),
    )
    valid = (Example(_SILVER_ON_SILVER, settings={"allow-same-layer": ["silver"]}),)
