"""The change a fix makes, shown the way ``diff -u`` shows it (``--diff``), as bytes that
``git apply`` and ``patch -p1`` apply to the file.

Lines are split where Python's tokenizer ends them (``\\n``, ``\\r\\n``, ``\\r``), not where
``str.splitlines`` would (a form feed, ``U+2028`` in a string); a last line without a line
ending is followed by ``\\ No newline at end of file``; and the text is written in the
file's own encoding (a latin-1 module's diff is latin-1), a BOM included.
"""

import difflib
import os
import re

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")

_NO_NEWLINE = b"\\ No newline at end of file\n"


def lines_of(text: str) -> list[str]:
    """``text`` in lines, each with its line ending (the last one may have none)."""
    return _LINE.findall(text)


def unified_diff(path: str, before: str, after: str, encoding: str = "utf-8") -> bytes:
    """The change as ``diff -u`` shows it, between ``a/path`` and ``b/path``."""
    if encoding.lower().replace("_", "-") == "utf-8-sig":  # the BOM is the first line's
        before, after, encoding = "\ufeff" + before, "\ufeff" + after, "utf-8"
    lines = difflib.unified_diff(
        lines_of(before), lines_of(after), fromfile=f"a/{path}", tofile=f"b/{path}"
    )
    out = bytearray()
    for index, line in enumerate(lines):
        if index < 2:  # the ---/+++ header: the path as the file system spells it
            out += os.fsencode(line)
            continue
        out += line.encode(encoding, "surrogateescape")
        if not line.endswith(("\n", "\r")):
            out += b"\n" + _NO_NEWLINE
    return bytes(out)
