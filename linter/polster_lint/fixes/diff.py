"""The change a fix makes, shown the way ``diff -u`` shows it (``--diff``)."""

import difflib


def unified_diff(path: str, before: str, after: str) -> str:
    """The change as ``diff -u`` shows it, between ``a/path`` and ``b/path``."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{path}",
        tofile=f"b/{path}",
    )
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n" for line in lines)
