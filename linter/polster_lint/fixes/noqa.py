"""POL100's fix: take unused codes out of a ``# noqa: ...`` comment.

The comment's other text stays as it was: the codes that remain keep their separators,
and when no code remains, the ``noqa`` part goes with the whitespace before it, so that
``x = 1  # noqa: POL002  # why`` becomes ``x = 1  # why``. A comment left empty goes
entirely (``apply`` then drops the spaces before it too).
"""

import re
from collections.abc import Set

_NOQA = re.compile(r"#\s*noqa\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*)", re.IGNORECASE)
"""The suppression, as ``parsing.noqa`` reads it."""

_SEPARATOR = re.compile(r"([\s,]+)")


def without_codes(comment: str, unused: Set[str]) -> str | None:
    """``comment`` (``#`` included) without the ``unused`` codes of its ``noqa`` list;
    None when nothing of the comment is left."""
    match = _NOQA.search(comment)
    if match is None:
        return comment
    parts = _SEPARATOR.split(match.group("codes"))
    codes, separators = parts[0::2], parts[1::2]
    kept = [index for index, code in enumerate(codes) if code.upper() not in unused]
    if len(kept) == len(codes):
        return comment
    if kept:
        listed = codes[kept[0]] + "".join(separators[i - 1] + codes[i] for i in kept[1:])
        start, end = match.span("codes")
        return comment[:start] + listed + comment[end:]
    before, after = comment[: match.start()].rstrip(), comment[match.end() :]
    if before:
        return before + after if after.strip() else before
    rest = after.lstrip()
    if not rest:
        return None
    return rest if rest.startswith("#") else f"# {rest}"
