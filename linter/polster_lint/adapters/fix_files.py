"""The files ``--fix`` rewrites: read as they are, written back whole or not at all.

A fix is only written into a regular file of the project, never through a symbolic link
(the link's target may be outside, or shared; the run says so), never into a file its
owner may not write (a one-line error, as from ruff: replacing it would go around its
permissions), and atomically: the new content goes to a
temporary file beside it, with the same permissions, which then replaces the file in one
step. If the file changed since it was read (an editor saved it meanwhile), the fix,
made for the old content, is not written: that is a one-line error, not a lost edit.

The text keeps its bytes: it is decoded with the encoding Python would use (a ``coding``
line, a BOM, else UTF-8) and without newline translation, so CRLF lines stay CRLF and a
BOM is written back.
"""

import io
import os
import stat
import tempfile
import tokenize
from dataclasses import dataclass
from pathlib import Path

from polster_lint.adapters.output import shown
from polster_lint.errors import ProjectError


class NotFixable(Exception):
    """The file is not one ``--fix`` writes into (the message says why)."""


@dataclass(frozen=True)
class SourceText:
    """A file to fix, as read: its bytes, their text, and what writing it back needs."""

    path: Path
    relative: str
    data: bytes
    text: str
    encoding: str
    mode: int


def read_source(root: Path, relative: str, writable: bool = False) -> SourceText:
    """The file ``relative`` to ``root``. :class:`NotFixable` when it may not be fixed (a
    link, not a regular file, outside the project, unreadable, not text in its encoding);
    with ``writable``, ``ProjectError`` when it may not be written (no write permission)."""
    path = root / relative
    try:
        status = os.lstat(path)
    except OSError as error:
        raise NotFixable(f"cannot be read: {error.strerror}") from None
    if stat.S_ISLNK(status.st_mode):
        raise NotFixable("it is a symbolic link (a fix is never written through one)")
    if not stat.S_ISREG(status.st_mode):
        raise NotFixable("it is not a regular file")
    if not _inside(path, root):
        raise NotFixable("it is outside the project")
    try:
        data = path.read_bytes()
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except OSError as error:
        raise NotFixable(f"cannot be read: {error.strerror}") from None
    except (SyntaxError, LookupError, UnicodeDecodeError):
        raise NotFixable("it is not text in its declared encoding") from None
    mode = stat.S_IMODE(status.st_mode)
    if writable and (not mode & _WRITE or not os.access(path, os.W_OK)):
        raise ProjectError(f"cannot write {shown(relative)}: Permission denied")
    return SourceText(path, relative, data, text, encoding, mode)


_WRITE = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
"""A file none may write (``chmod a-w``) is not written, even by root."""


def write_source(source: SourceText, text: str) -> None:
    """Replace the file's content with ``text``, unless the file changed since it was read."""
    try:
        _replace(source, text.encode(source.encoding))
    except OSError as error:
        raise ProjectError(f"cannot write {shown(source.relative)}: {error.strerror}") from None


def _replace(source: SourceText, content: bytes) -> None:
    descriptor, temporary = tempfile.mkstemp(
        dir=source.path.parent, prefix=f".{source.path.name}.", suffix=".polster-fix"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, source.mode)
        if _current(source.path) != source.data:
            raise ProjectError(
                f"{shown(source.relative)} changed while it was being fixed; not overwritten"
            )
        os.replace(temporary, source.path)
    except BaseException:
        os.unlink(temporary)
        raise


def _current(path: Path) -> bytes | None:
    """The file's bytes now, or None when it is no longer a regular file that can be read."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        return path.read_bytes()
    except OSError:
        return None


def _inside(path: Path, root: Path) -> bool:
    real, top = os.path.realpath(path), os.path.realpath(root)
    return real.startswith(top.rstrip(os.sep) + os.sep)
