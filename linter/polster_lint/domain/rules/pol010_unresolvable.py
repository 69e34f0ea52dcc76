from collections.abc import Iterator

from polster_lint.domain.rules.base import (
    BRONZE_ORDERS,
    CheckContext,
    Example,
    Rule,
    asset_path,
    asset_source,
    remark_violation,
)
from polster_lint.domain.violation import Violation


class Unresolvable(Rule):
    code = "POL010"
    name = "unresolvable-dependency"
    summary = "a dependency or key that cannot be resolved statically"
    what = (
        "A dependency, an asset key or a table read cannot be resolved statically (it is "
        "computed at run time, or names something the linter cannot see)."
    )
    why = (
        "The linter reports what it cannot check rather than guess; such edges escape every "
        "other rule. It says so once, where the blindness starts, and claims nothing about "
        "what it cannot see."
    )
    fix = (
        "Write the dependency literally (a function, AssetKey, or key list), or silence this "
        "line with # noqa: POL010 and check it by hand (or with --check-runtime)."
    )
    invalid = (
        Example(
            {
                **BRONZE_ORDERS,
                asset_path("silver", "orders"): asset_source(
                    "silver",
                    "orders",
                    "deps=upstreams()",
                    header="\n\ndef upstreams() -> list[dg.AssetKey]:\n"
                    '    return [dg.AssetKey(["bronze", "orders"])]\n',
                ),
            },
            (("POL010", asset_path("silver", "orders"), 8, 63),),
        ),
    )
    valid = (Example(BRONZE_ORDERS),)

    def check(self, context: CheckContext) -> Iterator[Violation]:
        for remark in context.graph.blind:
            yield remark_violation(remark, self.code)
        for file, decl in context.graph.unkeyed:
            yield Violation(file, decl.anchor, self.code, "asset key cannot be resolved statically")
        for file, reference, decl in context.graph.unresolved:
            yield Violation(
                file,
                reference.anchor,
                self.code,
                f"cannot resolve dependency {reference.text!r} statically",
                asset=decl.key,
            )
        for file, facts in context.modules:
            if file.owner is None or file.is_asset_module:
                continue
            for read in facts.reads:
                if read.key is None:
                    yield Violation(
                        file,
                        read.anchor,
                        self.code,
                        f"cannot resolve the table of {read.text!r} statically",
                        asset=file.owner,
                    )
