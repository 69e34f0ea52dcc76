"""A rule's verdict before it has a place: which file, which anchor, which code."""

from dataclasses import dataclass

from polster_lint.domain.model import Key, SourceFile


@dataclass(frozen=True)
class Violation:
    """One broken rule, pointing at an anchor of ``file`` (see ``ModuleFacts``).

    The engine turns the anchor into a line and column only for the violations that
    survive filtering; ``line``/``column`` are given directly where there is no anchor.
    """

    file: SourceFile
    anchor: int | None
    code: str
    message: str
    asset: Key | None = None
    dependency: Key | None = None
    line: int | None = None
    column: int | None = None
