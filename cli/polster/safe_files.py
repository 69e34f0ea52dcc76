"""File operations that never half-happen and never raise on a strange name.

``polster`` writes into the user's folders, so every change is made so that it either
happens whole or not at all (a rename that never replaces, a removal that completes even
under Ctrl-C), and the checks it makes first answer False rather than raising for a name
that is too long or holds a NUL byte.
"""

import contextlib
import ctypes
import errno
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from polster_lint.reporting import STOP_SIGNALS


def is_folder(path: Path) -> bool:
    """``path.is_dir()``, False (not an exception) for a name too long, a NUL and such."""
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def is_regular_file(path: Path) -> bool:
    """``path.is_file()``, False (not an exception) for a name too long, a NUL and such."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def lexists(path: Path) -> bool:
    """Whether anything, even a dangling link, is at ``path``; True when that cannot be
    known because access is denied (so that nothing is assumed free to write)."""
    try:
        os.lstat(path)
    except PermissionError:
        return True
    except (OSError, ValueError):
        return False
    return True


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C, SIGTERM and SIGHUP until the block is over, so that a move or a
    clean-up runs to the end.

    The signal is not lost: it arrives (as KeyboardInterrupt, or
    :class:`~polster_lint.reporting.Stopped`) when the block exits.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = signal.pthread_sigmask(signal.SIG_BLOCK, set(STOP_SIGNALS))
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, saved)


def remove_tree(path: Path) -> None:
    """Remove ``path`` and everything below it, even if a process still writes there."""
    for attempt in range(20):
        with interrupts_deferred():
            shutil.rmtree(path, ignore_errors=True)
        if not os.path.lexists(path):
            return
        time.sleep(0.05 * (attempt + 1))


_RENAME_NOREPLACE = 1


_AT_FDCWD = -100


def rename_no_replace(source: Path, target: Path) -> None:
    """Rename ``source`` to ``target``, failing with FileExistsError if ``target`` exists.

    A plain rename would silently replace an empty folder (or, for files, anything) that
    appeared at ``target`` in the meantime; Linux's renameat2 refuses atomically. Where
    it is missing, the check and the rename are two steps.
    """
    renameat2 = _renameat2()
    if renameat2 is not None:
        status = renameat2(
            _AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_NOREPLACE
        )
        if status == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
            raise OSError(code, os.strerror(code), str(target))
    if os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target))
    os.rename(source, target)


@cache
def _renameat2() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    function.argtypes.append(ctypes.c_uint)
    function.restype = ctypes.c_int
    return function
