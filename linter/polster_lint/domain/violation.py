"""A rule's verdict before it has a place: which file, which anchor, which code."""

from dataclasses import dataclass

from polster_lint.domain.model import Key, SourceFile

ADD_DEPENDENCY = "add-dependency"
"""POL008: declare ``Fix.value`` (a key) in the asset's ``deps``."""

SET_GROUP = "set-group"
"""POL007: set the asset's ``group_name`` to ``Fix.value[0]``."""

DROP_NOQA_CODE = "drop-noqa-code"
"""POL100: take ``Fix.value[0]`` out of the line's ``# noqa`` comment."""


@dataclass(frozen=True)
class Fix:
    """A repair that is safe to apply without asking: what ``polster-lint --fix`` does.

    Carried by the violation it repairs, so that ``--select``, ``--ignore`` and ``# noqa``
    decide about the fix exactly as about the finding. The edit is not always where the
    finding is: a hidden read is reported in the core module, but repaired in the asset
    module's decorator (``file`` and ``anchor``).
    """

    kind: str
    value: Key
    file: SourceFile | None = None
    """The file to edit, when it is not the violation's own."""
    anchor: int | None = None
    """The anchor in ``file`` (the asset's declaration) the edit is made at."""
    symbol: tuple[str, str] | None = None
    """The upstream asset's function (module, name): for a module whose ``deps`` list
    asset functions, the new dependency is written the same way."""


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
    fix: Fix | None = None
