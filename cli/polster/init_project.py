"""``polster init``: generate a new project from the bundled template, all or nothing.

It checks what it can before cookiecutter starts (the name, the target folder), so that
a mistake costs nothing. Cookiecutter then renders the project into a staging folder
next to the target (same filesystem), reached through a link from a private work folder
with a plain path: cookiecutter renders its output path as a template, and the user's
folders may be named anything. The finished project moves to its place with one rename
that never replaces anything; on any failure, or Ctrl-C, the staging folder goes and
the target never appears.
"""

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cookiecutter.config import get_user_config
from cookiecutter.exceptions import CookiecutterException

from polster.messages import one_line, os_reason
from polster.safe_files import (
    interrupts_deferred,
    is_folder,
    is_regular_file,
    lexists,
    remove_tree,
    rename_no_replace,
)
from polster.template import (
    check_python_sources,
    is_plain_path,
    project_template_dir,
    run_template,
    template_hook,
    work_folder,
)
from polster_lint import __version__
from polster_lint.domain.medallion import ANSWERS_FILE
from polster_lint.errors import FAILURE, USAGE_ERROR, PolsterError


class ScaffoldError(PolsterError):
    """A project could not be created (exit 1), or the request was wrong (exit 2)."""

    exit_code = FAILURE


@dataclass(frozen=True)
class InitRequest:
    name: str
    output_dir: Path
    no_input: bool
    storage: str | None
    partitioning: str | None = None


def init_project(request: InitRequest) -> Path:
    """Create ``<output_dir>/<name>`` and return its path."""
    name = request.name
    problem = template_hook("pre_gen_project").slug_problem(name)
    if problem:
        raise ScaffoldError(problem, exit_code=USAGE_ERROR)
    # Absolute, without resolving links: the staging folder is reached through a link
    # from the work folder, and a relative target would point nowhere from there.
    output_dir = Path(os.path.abspath(request.output_dir))
    if not is_folder(output_dir):
        what = "is not a folder" if lexists(output_dir) else "does not exist"
        raise ScaffoldError(f"output directory {output_dir} {what}", exit_code=USAGE_ERROR)
    target = output_dir / name
    if lexists(target):
        raise ScaffoldError(
            f"{target} already exists; pick another name or remove it first",
            exit_code=USAGE_ERROR,
        )
    with work_folder("polster-init-") as work:
        try:
            stage = Path(tempfile.mkdtemp(prefix=f".{name}.polster-init-", dir=output_dir))
        except OSError as error:
            raise ScaffoldError(
                f"cannot create the project in {output_dir}: {os_reason(error)}"
            ) from None
        try:
            built = _render(request, work, stage)
            with interrupts_deferred():
                rename_no_replace(built, target)
        except FileExistsError:
            raise ScaffoldError(
                f"{target} appeared while the project was being made; it was left as it was",
                exit_code=USAGE_ERROR,
            ) from None
        except OSError as error:
            raise ScaffoldError(f"could not create {target}: {os_reason(error)}") from None
        finally:
            remove_tree(stage)
    return target


def _render(request: InitRequest, work: Path, stage: Path) -> Path:
    """Render the project into ``stage``; return the finished project folder in it."""
    link = work / "out"
    link.symlink_to(stage, target_is_directory=True)
    ours = {"project_name": _title(request.name)}
    if request.storage:
        ours["storage_backend"] = request.storage
    if request.partitioning:
        ours["partitioning"] = request.partitioning
    defaults = {**_user_defaults(), **ours}
    if request.no_input:
        run_template(
            project_template_dir(),
            work,
            output_dir=link,
            error=ScaffoldError,
            no_input=True,
            extra_context={**ours, "project_slug": request.name},
            default_context=defaults,
        )
    else:
        # The name is the slug: it is given as an answer already made (cookiecutter
        # asks only what a replay file leaves out), so the prompts cannot change it.
        replay = work / "answers.json"
        replay.write_text(
            json.dumps({"cookiecutter": {"project_slug": request.name}}), encoding="utf-8"
        )
        run_template(
            project_template_dir(),
            work,
            output_dir=link,
            error=ScaffoldError,
            default_context=defaults,
            replay_file=replay,
        )
    built = stage / request.name
    if not is_regular_file(built / ANSWERS_FILE) or not is_regular_file(built / ".env"):
        raise ScaffoldError("the template did not finish the project (no answers or .env)")
    check_python_sources(built, ScaffoldError)
    _record_bundled_template(built)
    return built


def _record_bundled_template(built: Path) -> None:
    """Record the project as made by this Polster's own template, with a copy of it.

    The template's hook recorded the folder it was rendered from, which is an
    installation detail: what ``polster update`` needs later is the Polster version
    and the template's content hash, and, since that version of Polster may be gone by
    then, the template itself: a small, reproducible archive in ``.polster/``.
    """
    hook = template_hook("post_gen_project")
    template = project_template_dir()
    try:
        document = json.loads((built / ANSWERS_FILE).read_text(encoding="utf-8"))
        record = {
            "kind": "polster",
            "source": "polster",
            "directory": "",
            "version": __version__,
            "hash": hook.content_hash(template),
        }
        text = hook.answers_text(document["cookiecutter"], record, [])
        snapshot = built / hook.SNAPSHOT_FILE
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_bytes(hook.snapshot_bytes(template))
        (built / ANSWERS_FILE).write_text(text, encoding="utf-8")
    except OSError as error:
        raise ScaffoldError(f"could not record the template version: {os_reason(error)}") from None
    except (ValueError, KeyError, TypeError):
        raise ScaffoldError("the template wrote an answers file polster cannot read") from None


def _user_defaults() -> dict[str, Any]:
    """The ``default_context`` of the user's cookiecutter configuration, if any."""
    try:
        config = get_user_config()
    except (CookiecutterException, OSError, ValueError) as error:
        raise ScaffoldError(
            f"cookiecutter's user configuration: {one_line(error)}", exit_code=USAGE_ERROR
        ) from None
    defaults = config.get("default_context") or {}
    if not isinstance(defaults, dict):
        raise ScaffoldError(
            "cookiecutter's user configuration: default_context is not a mapping",
            exit_code=USAGE_ERROR,
        )
    for key, value in defaults.items():
        if isinstance(value, str) and not is_plain_path(value):
            raise ScaffoldError(
                f"cookiecutter's user configuration: default_context.{key} holds Jinja "
                "markers, which polster does not run",
                exit_code=USAGE_ERROR,
            )
    return {key: value for key, value in defaults.items() if key != "project_slug"}


def _title(slug: str) -> str:
    return slug.replace("_", " ").title()
