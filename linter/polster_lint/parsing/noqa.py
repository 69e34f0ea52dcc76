"""Inline suppressions: ``# noqa: POL004`` silences that code on its line.

Read from the raw text with a regular expression, not from a syntax tree, so that
suppressions work in files of either kind and cost nothing when there are none.
"""

import re

_NOQA = re.compile(r"#\s*noqa:\s*(?P<codes>POL\d{3}(?:\s*,\s*POL\d{3})*)", re.IGNORECASE)


def noqa_codes(source: bytes) -> dict[int, frozenset[str]]:
    """Line number -> the POL codes a ``# noqa: POLxxx`` comment on that line silences."""
    result: dict[int, frozenset[str]] = {}
    if b"noqa" not in source:
        return result
    text = source.decode("utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        match = _NOQA.search(line)
        if match:
            codes = re.split(r"\s*,\s*", match.group("codes").upper())
            result[number] = frozenset(codes)
    return result
