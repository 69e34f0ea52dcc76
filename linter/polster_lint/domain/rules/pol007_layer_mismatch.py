from collections.abc import Iterator
from typing import TYPE_CHECKING

from polster_lint.domain.graph import Asset
from polster_lint.domain.medallion import LAYERS
from polster_lint.domain.model import DYNAMIC_GROUP, key_string
from polster_lint.domain.rules.base import (
    ASSETS,
    BRONZE_ORDERS,
    CORE,
    CheckContext,
    Example,
    Rule,
    asset_path,
)
from polster_lint.domain.violation import SET_GROUP, Fix, Violation

if TYPE_CHECKING:  # the settings list the rules' codes: a run-time import would be circular
    from polster_lint.domain.config import LintConfig

_WRONG_GROUP = (
    "import dagster as dg\n\n\n"
    '@dg.asset(key=["silver", "orders"], group_name="gold",\n'
    '          deps=[dg.AssetKey(["bronze", "orders"])],\n'
    '          check_specs=[dg.AssetCheckSpec("rows", asset=["silver", "orders"])])\n'
    "def orders() -> None: ...\n"
)


_MULTI_WRONG_GROUP = (
    "import dagster as dg\n\n\n"
    '@dg.multi_asset(group_name="gold", specs=[\n'
    '    dg.AssetSpec(["silver", "orders"], deps=[dg.AssetKey(["bronze", "orders"])])],\n'
    '    check_specs=[dg.AssetCheckSpec("rows", asset=["silver", "orders"])])\n'
    "def orders() -> None: ...\n"
)

_OPTIONS_WRONG_GROUP = (
    "import dagster as dg\n\n"
    "from core.options import GOLD\n\n"
    '@dg.asset(**GOLD, deps=[dg.AssetKey(["bronze", "orders"])],\n'
    '          check_specs=[dg.AssetCheckSpec("rows", asset=["silver", "orders"])])\n'
    "def orders() -> None: ...\n"
)


class LayerMismatch(Rule):
    code = "POL007"
    name = "layer-mismatch"
    summary = (
        "`group_name` or key prefix disagrees with the asset's folder; asset outside a layer folder"
    )
    what = (
        "The layer in the code (group_name, the first part of the key) disagrees with the "
        "asset's folder, or an asset module sits outside any layer folder."
    )
    why = (
        "The folder is where people look for an asset; its group and key are where Dagster "
        "shows it. They must agree for either to be trusted."
    )
    fix = "Set group_name and the key's first part to the folder's layer, or move the file."
    invalid = (
        Example(
            {**BRONZE_ORDERS, asset_path("silver", "orders"): _WRONG_GROUP},
            (("POL007", asset_path("silver", "orders"), 4, 48),),
        ),
        Example(
            {
                f"{ASSETS}/misc.py": (
                    'import dagster as dg\n\n\n@dg.asset(key=["bronze", "misc"], '
                    'group_name="bronze")\ndef misc() -> None: ...\n'
                )
            },
            (("POL007", f"{ASSETS}/misc.py", 4, 15),),
        ),
        Example(  # the multi-asset's group_name is its specs': said where it is written
            {**BRONZE_ORDERS, asset_path("silver", "orders"): _MULTI_WRONG_GROUP},
            (("POL007", asset_path("silver", "orders"), 4, 28),),
        ),
        Example(  # a group from options imported from core: said at the declaration
            {
                **BRONZE_ORDERS,
                f"{CORE}/options.py": 'GOLD = {"group_name": "gold"}\n',
                asset_path("silver", "orders"): _OPTIONS_WRONG_GROUP,
            },
            (("POL007", asset_path("silver", "orders"), 5, 2),),
        ),
    )
    valid = (Example(BRONZE_ORDERS),)
    fixable = True

    def check(self, context: CheckContext) -> Iterator[Violation]:
        source = context.config.layer_source
        for asset in context.graph.assets.values():
            mismatches = (
                self._mismatches(asset)
                if source == "folder"
                else self._other_source(asset, context.config)
            )
            for anchor, message, fix in mismatches:
                yield Violation(asset.file, anchor, self.code, message, asset=asset.key, fix=fix)

    @staticmethod
    def _other_source(
        asset: Asset, config: "LintConfig"
    ) -> Iterator[tuple[int | None, str, Fix | None]]:
        """Layers marked by module, key prefix or group (``layer-source``): the asset must
        have one, and a group or key prefix that names a layer must name the same one (a
        group or prefix that names none, a domain say, is not a layer's)."""
        name, decl, source = key_string(asset.key), asset.decl, config.layer_source
        names = [layer_name for _, layer_name in config.layer_folders]
        where = {"module": "module", "key-prefix": "key prefix", "group": "group"}[source]
        if asset.layer is None:
            yield (
                decl.anchor,
                f"asset {name} has no layer: its {where} is none of {', '.join(names)}",
                None,
            )
            return
        group_layer = config.layer_named(decl.group) if decl.group else None
        if source != "group" and group_layer not in (None, asset.layer):
            yield (
                decl.group_anchor if decl.group_anchor is not None else decl.anchor,
                f"asset {name} has group_name {decl.group!r} but its {where} makes it "
                f"{asset.layer}",
                None,
            )
        key_layer = config.layer_named(asset.key[0]) if len(asset.key) > 1 else None
        if source != "key-prefix" and key_layer not in (None, asset.layer):
            yield (
                decl.anchor,
                f"asset key {name} names layer {key_layer!r} but its {where} makes it "
                f"{asset.layer}",
                None,
            )

    @staticmethod
    def _mismatches(asset: Asset) -> Iterator[tuple[int | None, str, Fix | None]]:
        name, decl = key_string(asset.key), asset.decl
        if asset.layer is None:
            yield (
                decl.anchor,
                f"asset {name} is outside the layer folders ({', '.join(LAYERS)})",
                None,
            )
            return
        key_disagrees = (
            len(asset.key) > 1 and asset.key[0] in LAYERS and asset.key[0] != asset.layer
        )
        # Setting the group is safe only when the key agrees with the folder: otherwise
        # which of the two is wrong is the author's call.
        fix = None if key_disagrees else Fix(SET_GROUP, (asset.layer,))
        if decl.group is None:
            yield (
                decl.anchor,
                f"asset {name} has no group_name; expected {asset.layer!r} from its folder",
                fix,
            )
        elif decl.group not in (asset.layer, DYNAMIC_GROUP):
            # a group from decorator options (``**OPTS``) has no node of its own: said at
            # the declaration, without a fix (adding group_name= would repeat the keyword)
            yield (
                decl.group_anchor if decl.group_anchor is not None else decl.anchor,
                f"asset {name} has group_name {decl.group!r} but sits in the {asset.layer} folder",
                fix if decl.group_anchor is not None else None,
            )
        if key_disagrees:
            yield (
                decl.anchor,
                f"asset key {name} names layer {asset.key[0]!r} but the asset sits in "
                f"the {asset.layer} folder",
                None,
            )
