from collections.abc import Iterator

from polster_lint.domain.rules.base import CheckContext, Example, Rule, asset_path
from polster_lint.domain.violation import Violation


class UnparseableFile(Rule):
    code = "POL000"
    name = "unparseable-file"
    summary = "a file cannot be parsed, or is not read (too large, not a regular file)"
    what = (
        "A module of the project cannot be parsed or is not read: a syntax error, bytes "
        "that are not text, or code nested too deeply to analyse (over 100 levels); a file "
        "over max-file-size (default 1 MB) or with more tokens than it allows (one per 16 "
        "bytes); a named pipe, device or socket named like a module; a symbolic link that "
        "leaves the project, loops or points nowhere."
    )
    why = (
        "A module that cannot be read cannot be checked; Dagster would fail to load most "
        "of these too. The limits keep one file from stalling CI or a commit hook: "
        "polster-lint never blocks on a pipe, reads past the limit or follows a link out."
    )
    fix = (
        "Fix the syntax error at the reported position; split a module that is too large or "
        "too deep (or raise max-file-size in [tool.polster.lint]); replace a special file "
        "or outside link with a regular file of the project."
    )
    invalid = (
        Example(
            {
                asset_path("bronze", "orders"): (
                    'import dagster as dg\n\n\n@dg.asset(key=["bronze", "orders"], '
                    'group_name="bronze")\ndef orders() -> None\n    ...\n'
                )
            },
            (("POL000", asset_path("bronze", "orders"), 5, 21),),
        ),
    )
    valid = (
        Example(
            {
                asset_path("bronze", "orders"): (
                    'import dagster as dg\n\n\n@dg.asset(key=["bronze", "orders"], '
                    'group_name="bronze")\ndef orders() -> None: ...\n'
                )
            }
        ),
    )

    def check(self, context: CheckContext) -> Iterator[Violation]:
        for file, facts in context.modules:
            if facts.syntax_error is not None:
                message, position = facts.syntax_error
                yield Violation(
                    file,
                    None,
                    self.code,
                    f"cannot parse: {message}",
                    line=position.line,
                    column=position.column,
                )
