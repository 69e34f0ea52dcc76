"""Where a fix applies, kept apart from the codemods so that a run which fixes nothing
never imports libcst's tree machinery (most warm runs parse nothing at all)."""

from dataclasses import dataclass

from polster_lint.domain.violation import Fix


@dataclass(frozen=True)
class Edit:
    """A fix placed in its file: 1-based ``line`` and ``column``, as findings are."""

    fix: Fix
    line: int
    column: int
