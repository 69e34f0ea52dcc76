"""The rule catalogue: each code with what it catches, why it matters, an example, the fix.

Codes are stable: configuration files and ``# noqa`` comments refer to them.
``polster-lint --explain CODE`` prints an entry.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    what: str
    why: str
    example: str
    fix: str


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in [
        Rule(
            "POL000",
            "unparseable-file",
            "A module of the project cannot be parsed or is not read: a syntax error, bytes "
            "that are not text, or code nested too deeply to analyse (over 100 levels); a file "
            "over max-file-size (default 1 MB) or with more tokens than it allows (one per 16 "
            "bytes); a named pipe, device or socket named like a module; a symbolic link that "
            "leaves the project, loops or points nowhere.",
            "A module that cannot be read cannot be checked; Dagster would fail to load most "
            "of these too. The limits keep one file from stalling CI or a commit hook: "
            "polster-lint never blocks on a pipe, reads past the limit or follows a link out.",
            "@asset(deps=[orders]\ndef report(): ...",
            "Fix the syntax error at the reported position; split a module that is too large or "
            "too deep (or raise max-file-size in [tool.polster.lint]); replace a special file "
            "or outside link with a regular file of the project.",
        ),
        Rule(
            "POL001",
            "bronze-with-upstream",
            "A bronze asset declares an upstream asset.",
            "Bronze is raw data as the source delivered it. An upstream makes it a derived "
            "table, which belongs in silver or gold.",
            '@asset(key=["bronze", "orders"], deps=[customers])',
            "Drop the dependency, or move the asset to the silver layer.",
        ),
        Rule(
            "POL002",
            "gold-reads-bronze",
            "A gold asset depends directly on a bronze asset.",
            "Gold must build on cleaned, checked data. Reading bronze skips silver's cleaning "
            "and quality checks.",
            '@asset(key=["gold", "revenue"], deps=[AssetKey(["bronze", "orders"])])',
            "Depend on the silver asset that cleans that bronze table (create one if needed).",
        ),
        Rule(
            "POL003",
            "upstream-from-later-layer",
            "An asset depends on an asset of a later layer (silver on gold, bronze on silver).",
            "Data flows bronze -> silver -> gold. A backwards edge creates hidden coupling and, "
            "sooner or later, cycles.",
            '@asset(key=["silver", "orders"], deps=[AssetKey(["gold", "revenue"])])',
            "Move the shared logic down a layer, or move the asset up.",
        ),
        Rule(
            "POL004",
            "same-layer-dependency",
            "An asset depends on another asset of its own layer (silver -> silver, gold -> gold).",
            "Chains inside a layer blur what each layer guarantees. Allowed per layer with "
            "allow-same-layer in [tool.polster.lint] when a project wants them.",
            '@asset(key=["gold", "summary"], deps=[AssetKey(["gold", "revenue"])])',
            "Depend on the upstream layer, or set allow-same-layer for that layer.",
        ),
        Rule(
            "POL005",
            "unknown-upstream",
            "A dependency names an asset that does not exist in the project.",
            "Dagster quietly turns an unknown key in deps into an external asset that is never "
            "built: usually a typo.",
            '@asset(deps=[AssetKey(["bronze", "ordres"])])',
            "Fix the key (the message suggests close matches), or declare it under external "
            "in [tool.polster.lint].",
        ),
        Rule(
            "POL006",
            "dependency-cycle",
            "Assets depend on each other in a cycle.",
            "Dagster cannot order a cycle; the definitions fail to load.",
            "silver/a depends on silver/b, which depends on silver/a",
            "Break the cycle by moving one dependency.",
        ),
        Rule(
            "POL007",
            "layer-mismatch",
            "The layer in the code (group_name, the first part of the key) disagrees with the "
            "asset's folder, or an asset module sits outside any layer folder.",
            "The folder is where people look for an asset; its group and key are where Dagster "
            "shows it. They must agree for either to be trusted.",
            "assets/silver/run_silver_orders.py:\n"
            '@asset(key=["silver", "orders"], group_name="gold")',
            "Set group_name and the key's first part to the folder's layer, or move the file.",
        ),
        Rule(
            "POL008",
            "hidden-read",
            "A core module reads a table through the storage API (read_table) that breaks the "
            "layer rules or that its asset does not declare as a dependency.",
            "An undeclared read is an edge Dagster does not know: it will not order the runs "
            "or refresh the asset when that table changes.",
            'src/core/gold_revenue.py: read_table("bronze", "orders")',
            "Declare the table's asset in the asset's deps, or read from the allowed layer.",
        ),
        Rule(
            "POL009",
            "orphan-derived-asset",
            "A silver or gold asset has no upstream at all.",
            "Silver and gold derive from upstream data; without an upstream, the asset is "
            "either raw data in the wrong layer or its dependencies are undeclared.",
            '@asset(key=["silver", "orders"], group_name="silver")',
            "Declare its upstream assets in deps, or move it to bronze.",
        ),
        Rule(
            "POL010",
            "unresolvable-dependency",
            "A dependency or asset key cannot be resolved statically (it is computed at run time, "
            "or names something the linter cannot see).",
            "The linter reports what it cannot check rather than guess; such edges escape every "
            "other rule.",
            "@asset(deps=load_upstreams())",
            "Write the dependency literally (a function, AssetKey, or key list), or silence this "
            "line with # noqa: POL010 and check it by hand (or with --check-runtime).",
        ),
        Rule(
            "POL011",
            "runtime-mismatch",
            "With --check-runtime: an asset or edge is in Dagster's own graph but not in the "
            "static one, or the other way round.",
            "The static rules are only as good as the graph they run on; this shows where the "
            "linter and Dagster disagree (usually a dependency built at run time).",
            "deps=[spec_for(name) for name in TABLES]",
            "Write the dependency literally so the linter can see it, or report a linter bug "
            "if Dagster's graph is the expected one.",
        ),
        Rule(
            "POL100",
            "unused-noqa",
            "A # noqa: POLxxx comment silences nothing on its line.",
            "Stale suppressions hide the next real problem on that line.",
            "@asset(deps=[silver_orders])  # noqa: POL002",
            "Remove the code from the comment (or the whole comment).",
        ),
    ]
}


def explain(code: str) -> str:
    rule = RULES[code]
    return (
        f"{rule.code} ({rule.name})\n\n"
        f"What: {rule.what}\n\nWhy: {rule.why}\n\nExample:\n    "
        + rule.example.replace("\n", "\n    ")
        + f"\n\nFix: {rule.fix}\n"
    )
