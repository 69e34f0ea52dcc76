"""A missing system program fails its test with one line naming the command to run."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from system_packages import debian_program, one_at_a_time


def test_a_program_that_cannot_be_installed_fails_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # neither the program nor apt-get is found
    with pytest.raises(pytest.fail.Exception) as failure:
        debian_program("no-such-program", "no-such-package")
    message = str(failure.value)
    assert "\n" not in message and "no-such-package" in message
    assert not failure.value.pytrace


def test_a_present_program_is_found_without_installing(tmp_path, monkeypatch):
    program = tmp_path / "tool"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert debian_program("tool", "tool-package") == str(program)


def test_installs_take_turns_across_processes(tmp_path, monkeypatch):
    """pytest-xdist workers install at the same time on a fresh machine: a second install
    waits for the first, instead of failing on dpkg's lock."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    done = tmp_path / "done"
    waiter = (
        "import sys; sys.path.insert(0, sys.argv[1]); from system_packages import "
        "one_at_a_time\nwith one_at_a_time('apt'): open(sys.argv[2], 'w').close()"
    )
    tests_dir = str(Path(__file__).parent)
    with one_at_a_time("apt"):
        second = subprocess.Popen([sys.executable, "-c", waiter, tests_dir, str(done)])
        time.sleep(1.0)
        assert second.poll() is None and not done.exists()
    assert second.wait(timeout=30) == 0 and done.exists()
