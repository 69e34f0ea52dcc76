"""The bundled templates, and the one safe way ``polster`` runs cookiecutter on them.

The template (``cookiecutter.json``, ``hooks/``, ``{{cookiecutter.project_slug}}/``) lives
once, at the top of the repository, so that ``cookiecutter <repo>`` works without
Polster; the asset template of ``add-asset`` is its ``asset_template/`` folder. A wheel
carries a copy under ``polster/_template`` (see ``pyproject.toml``); an editable install
or a checkout uses the repository's own files.

Cookiecutter treats more than the template as a template: it renders the absolute path
of the output folder while it creates subfolders, and every value handed to it in
``extra_context``. :func:`run_template` therefore gives it only paths it made itself
(a private work folder under the system's temporary folder, checked to hold no Jinja
markers) and keeps everything a run leaves behind (rendered hook scripts, replay files,
what the hooks print, cookiecutter's log) inside that folder, which it removes.
"""

import contextlib
import importlib.util
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from cookiecutter.exceptions import CookiecutterException, FailedHookException
from cookiecutter.main import cookiecutter
from jinja2 import TemplateError

from polster.messages import one_line, os_reason, shorten
from polster.safe_files import remove_tree
from polster_lint.errors import FAILURE, USAGE_ERROR, PolsterError

_PACKAGE_DIR = Path(__file__).resolve().parent
_BUNDLED = _PACKAGE_DIR / "_template"
_CHECKOUT = _PACKAGE_DIR.parents[1]

JINJA_MARKERS = ("{{", "}}", "{%", "%}", "{#", "#}")
"""What makes Jinja (and so cookiecutter) treat a piece of text as template code."""


class TemplateNotFoundError(PolsterError):
    """The installation is missing its template (a broken or partial install)."""

    exit_code = FAILURE


def project_template_dir() -> Path:
    """The folder to hand to cookiecutter for a new project."""
    for candidate in (_BUNDLED, _CHECKOUT):
        if (candidate / "cookiecutter.json").is_file():
            return candidate
    raise TemplateNotFoundError(
        f"the project template is missing from {_BUNDLED}; reinstall polster"
    )


def asset_template_dir() -> Path:
    """The folder of the small template ``polster add-asset`` renders into a project."""
    return project_template_dir() / "asset_template"


@cache
def template_hook(name: str) -> ModuleType:
    """Import one of the project template's hooks to reuse its checks (the slug rules).

    The hooks are plain Python with cookiecutter placeholders only in string constants,
    so importing them gives their functions without running them.
    """
    path = project_template_dir() / "hooks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"polster_template_{name}", path)
    if spec is None or spec.loader is None:
        raise TemplateNotFoundError(f"the template hook {path} is missing; reinstall polster")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def is_plain_path(path: Path | str) -> bool:
    """Whether cookiecutter can be given ``path`` without it being run as Jinja code."""
    text = str(path)
    return not any(marker in text for marker in JINJA_MARKERS)


@contextlib.contextmanager
def work_folder(prefix: str) -> Iterator[Path]:
    """A private, empty folder with a plain path, removed with all it holds afterwards."""
    work = _plain_temporary_folder(prefix)
    try:
        yield work
    finally:
        remove_tree(work)


def _plain_temporary_folder(prefix: str) -> Path:
    candidates: list[str] = []
    with contextlib.suppress(OSError):
        candidates.append(tempfile.gettempdir())
    candidates += ["/tmp", "/var/tmp", "/dev/shm"]
    for base in dict.fromkeys(candidates):
        if not is_plain_path(base):
            continue
        try:
            folder = Path(tempfile.mkdtemp(prefix=prefix, dir=base)).resolve()
        except OSError:
            continue
        if is_plain_path(folder):
            return folder
        remove_tree(folder)
    raise PolsterError(
        "found no temporary folder whose path is free of '{{', '{%' and '{#'; point TMPDIR at one",
        exit_code=FAILURE,
    )


def run_template(
    template: Path,
    work: Path,
    *,
    output_dir: Path,
    error: type[PolsterError],
    no_input: bool = True,
    extra_context: dict[str, Any] | None = None,
    default_context: dict[str, Any] | None = None,
    replay_file: Path | None = None,
) -> Path:
    """Run cookiecutter on ``template`` into ``output_dir``; return the rendered folder.

    ``work`` is a folder from :func:`work_folder`; ``output_dir`` must be inside it (or a
    link from inside it), so that no path of the user's is ever rendered as Jinja. The
    values in ``extra_context`` and ``default_context`` are rendered by cookiecutter and
    must be free of Jinja markers, except those of private keys (``_name``), which it
    passes on as they are, like the values given through ``replay_file`` (cookiecutter's
    replay format). Failures become ``error`` with one line: exit
    status 2 when the template's pre-generation hook refuses the answers, 1 otherwise.
    """
    for path in (template, output_dir):
        if not is_plain_path(path):
            raise error(f"cannot render into {path}: its path holds Jinja markers", FAILURE)
    for key, value in {**(extra_context or {}), **(default_context or {})}.items():
        # Cookiecutter renders every value except those of private ("_name") keys.
        rendered_by_cookiecutter = not key.startswith("_") or key.startswith("__")
        if rendered_by_cookiecutter and isinstance(value, str) and not is_plain_path(value):
            raise error(f"the value of {key} holds Jinja markers", USAGE_ERROR)
    temporary = work / "tmp"
    temporary.mkdir(exist_ok=True)
    stderr_file = work / "stderr.txt"
    config = {
        "replay_dir": str(work / "replay"),
        "cookiecutters_dir": str(work / "cookiecutters"),
        "default_context": dict(default_context or {}),
    }
    log = _LogRecorder()
    try:
        with _quiet_log(log), _temporary_files_in(temporary), _stderr_into(stderr_file):
            if replay_file is not None:
                rendered = cookiecutter(
                    str(template),
                    replay=str(replay_file),
                    output_dir=str(output_dir),
                    default_config=config,
                )
            else:
                rendered = cookiecutter(
                    str(template),
                    no_input=no_input,
                    extra_context=extra_context,
                    output_dir=str(output_dir),
                    default_config=config,
                )
    except FailedHookException:
        said = _hook_message(stderr_file)
        if log.failed_hook == "pre_gen_project":
            raise error(f"the template refused the answers: {said}", USAGE_ERROR) from None
        raise error(f"the template's {log.failed_hook or 'hook'} failed: {said}", FAILURE) from None
    except (CookiecutterException, TemplateError, ValueError) as failure:
        raise error(f"the template failed: {one_line(failure)}", FAILURE) from None
    except OSError as failure:
        raise error(f"could not write the rendered files: {os_reason(failure)}", FAILURE) from None
    return Path(rendered)


class _LogRecorder(logging.Handler):
    """Keeps cookiecutter's log away from the terminal; notes which hook failed."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.failed_hook: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if "hook" in str(record.msg) and isinstance(record.args, tuple) and record.args:
            self.failed_hook = str(record.args[0])


@contextlib.contextmanager
def _quiet_log(handler: logging.Handler) -> Iterator[None]:
    logger = logging.getLogger("cookiecutter")
    saved = (logger.handlers[:], logger.propagate, logger.level)
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.handlers[:], logger.propagate, level = saved
        logger.setLevel(level)


@contextlib.contextmanager
def _temporary_files_in(folder: Path) -> Iterator[None]:
    """Point Python's temporary files (cookiecutter's rendered hooks) into ``folder``."""
    saved = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        yield
    finally:
        tempfile.tempdir = saved


@contextlib.contextmanager
def _stderr_into(path: Path) -> Iterator[None]:
    """Send file descriptor 2 (the hooks' and cookiecutter's messages) into ``path``."""
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all: nothing to keep quiet
        saved = -1
    if saved < 0:
        yield
        return
    try:
        with open(path, "wb") as sink:
            os.dup2(sink.fileno(), 2)
            try:
                yield
            finally:
                with contextlib.suppress(Exception):
                    sys.stderr.flush()
                os.dup2(saved, 2)
    finally:
        os.close(saved)


def _hook_message(stderr_file: Path) -> str:
    """What a failed hook said: its ``error: ...`` line, or the last line it printed."""
    try:
        lines = stderr_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    lines = [line.strip() for line in lines if line.strip()]
    for line in reversed(lines):
        if line.startswith("error: "):
            return shorten(line.removeprefix("error: "))
    return shorten(lines[-1]) if lines else "it exited with an error"


def check_python_sources(folder: Path, error: type[PolsterError]) -> None:
    """Refuse rendered output in which a Python module does not compile."""
    for path in sorted(folder.rglob("*.py")):
        try:
            compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
        except (SyntaxError, ValueError, UnicodeDecodeError) as failure:
            relative = path.relative_to(folder).as_posix()
            raise error(
                f"the template rendered {relative} as invalid Python ({one_line(failure)}); "
                "nothing was written",
                FAILURE,
            ) from None
