from polster_lint.domain.rules.base import Rule


class RuntimeMismatch(Rule):
    code = "POL011"
    name = "runtime-mismatch"
    summary = "with `--check-runtime`: the static graph differs from Dagster's"
    what = (
        "With --check-runtime: an asset or edge is in Dagster's own graph but not in the "
        "static one, or the other way round."
    )
    why = (
        "The static rules are only as good as the graph they run on; this shows where the "
        "linter and Dagster disagree (usually a dependency built at run time)."
    )
    fix = (
        "Write the dependency literally so the linter can see it, or report a linter bug "
        "if Dagster's graph is the expected one."
    )
    reported_by = (
        "polster-lint --check-runtime, which loads the project's Definitions with Dagster "
        "in a separate process; its examples need Dagster and are tested there."
    )
