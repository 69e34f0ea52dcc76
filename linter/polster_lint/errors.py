"""The one error type both commands understand.

Every error a user can act on (a bad option, a broken settings file, a path outside a
project, a template that refuses the answers) is a :class:`PolsterError` carrying the
exit status it ends the command with. ``polster`` and ``polster-lint`` print its message
as one line and exit with that status, so the same mistake gives the same status from
either command. Anything else that escapes is a bug: the commands say so in one line and
show the traceback only with ``--debug``.
"""

USAGE_ERROR = 2
"""Exit status for input the user can fix: options, names, settings, paths."""

FAILURE = 1
"""Exit status for an operation that was valid but could not be carried out."""


class PolsterError(Exception):
    """An error with a one-line message for the user and the exit status it ends with."""

    exit_code: int = USAGE_ERROR

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class ConfigError(PolsterError):
    """The configuration is invalid; the message says which option and why."""


class ProjectError(PolsterError):
    """The path is not (inside) a Polster project, or the project cannot be read."""
