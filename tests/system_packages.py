"""System programs the tests need, installed on first use, as the README promises.

The README's test command must pass on a fresh Debian machine that has only Python, so
a test that needs a program from Debian (Chromium for the browser test) installs it
with apt when it is missing. Where that cannot work (not root, no apt), the test fails
with one line naming the command to run, rather than with a library's stack trace.
"""

import contextlib
import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_APT_TIMEOUT_SECONDS = 900


@contextlib.contextmanager
def one_at_a_time(name: str) -> Iterator[None]:
    """Hold the machine-wide lock ``name`` while installing: the suite runs in several
    pytest-xdist workers, and two ``apt-get`` (or ``npm install``) at once would fail on
    dpkg's lock or write one folder twice."""
    lock = Path(tempfile.gettempdir()) / f"polster-tests-{name}.lock"
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def debian_program(program: str, package: str) -> str:
    """The path of ``program``, installing Debian's ``package`` first when it is missing."""
    found = shutil.which(program)
    if found:
        return found
    with one_at_a_time("apt"):
        return shutil.which(program) or _apt_install(program, package)


def _apt_install(program: str, package: str) -> str:
    install = f"apt-get install -y {package}"
    if shutil.which("apt-get") is None:
        pytest.fail(
            f"{program} is missing and this system has no apt-get: install the "
            f"{package} package yourself",
            pytrace=False,
        )
    if os.geteuid() != 0:
        pytest.fail(f"{program} is missing; install it with: sudo {install}", pytrace=False)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    steps = [["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", package]]
    for step in steps:
        try:
            result = subprocess.run(
                step, capture_output=True, text=True, env=env, timeout=_APT_TIMEOUT_SECONDS
            )
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"`{' '.join(step)}` took over {_APT_TIMEOUT_SECONDS} s; run: {install}",
                pytrace=False,
            )
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["no output"])[-1]
            pytest.fail(f"`{' '.join(step)}` failed ({last}); run: {install}", pytrace=False)
    found = shutil.which(program)
    if not found or not Path(found).exists():
        pytest.fail(f"{package} was installed but {program} is not on PATH", pytrace=False)
    return found
