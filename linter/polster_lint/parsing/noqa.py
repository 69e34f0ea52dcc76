"""Inline suppressions: ``# noqa: POL004`` silences that code on its line.

Suppressions are read from real comments, found with Python's own tokenizer: text that
only looks like a comment inside a string or docstring is not one, and line numbers are
Python's (a form feed or U+2028 in a line does not start a new one, as it would for
``str.splitlines``). The code list may mix other tools' codes, as ruff and flake8
accept: ``# noqa: E501, POL002`` silences POL002. A bare ``# noqa`` names no POL code
and silences nothing here.
"""

import io
import re
import tokenize

_NOQA = re.compile(r"#\s*noqa\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*)", re.IGNORECASE)
_CODE = re.compile(r"[A-Z]+[0-9]+")
_MENTIONS_NOQA = re.compile(rb"noqa", re.IGNORECASE)


def noqa_codes(source: bytes) -> dict[int, frozenset[str]]:
    """Line number -> the POL codes a ``# noqa: ...`` comment on that line silences."""
    result: dict[int, frozenset[str]] = {}
    if _MENTIONS_NOQA.search(source) is None:  # the common case: no tokenizing at all
        return result
    try:
        for token in tokenize.tokenize(io.BytesIO(source).readline):
            if token.type != tokenize.COMMENT:
                continue
            match = _NOQA.search(token.string)
            if match is None:
                continue
            codes = frozenset(
                code
                for code in _CODE.findall(match.group("codes").upper())
                if code.startswith("POL")
            )
            if codes:
                result[token.start[0]] = codes
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError, LookupError):
        # A file Python cannot tokenize is reported as unparseable (POL000) anyway;
        # the comments found before the failure still count.
        pass
    return result
