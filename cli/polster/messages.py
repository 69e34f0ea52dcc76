"""Text for one-line error messages: errors, OS failures and user-given paths, each
shortened and escaped so that a message can never spill onto a second line."""

import contextlib
from pathlib import Path

from polster_lint.adapters.output import shown as shown  # re-exported: one escaping rule


def shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def one_line(error: BaseException) -> str:
    text = str(error).strip()
    return shorten(text.splitlines()[0]) if text else type(error).__name__


def os_reason(error: OSError, root: Path | None = None) -> str:
    """``Permission denied: tests/x.py``-style text for an OSError, on one line; the path
    relative to ``root`` when it is below it."""
    reason = error.strerror or one_line(error)
    if error.filename is None:
        return shorten(reason)
    where = str(error.filename)
    if root is not None:
        with contextlib.suppress(ValueError):
            where = Path(where).relative_to(root).as_posix()
    return shorten(f"{reason}: {where if where.isprintable() else repr(where)}")


def shown_path(path: Path, root: Path | None = None) -> str:
    """``path`` for a one-line message: relative to ``root`` if below it, and quoted
    (with escapes) if it holds characters that would break the line."""
    text = str(path)
    if root is not None:
        try:
            text = path.relative_to(root).as_posix()
        except ValueError:
            pass
    return shown(text)
