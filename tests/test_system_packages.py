"""A missing system program fails its test with one line naming the command to run."""

import pytest

from system_packages import debian_program


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
