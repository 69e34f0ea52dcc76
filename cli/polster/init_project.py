"""``polster init``: generate a new project from the bundled template.

A thin layer over cookiecutter's API. It checks what it can before cookiecutter starts
(the name, the target folder), so that a mistake costs nothing and leaves nothing
behind, and turns cookiecutter's exceptions into one-line errors.
"""

from dataclasses import dataclass
from pathlib import Path

from cookiecutter.exceptions import CookiecutterException, FailedHookException
from cookiecutter.main import cookiecutter

from polster.template import project_template_dir, template_hook
from polster_lint.errors import FAILURE, PolsterError


class ScaffoldError(PolsterError):
    """A project could not be created (exit 1), or the request was wrong (exit 2)."""

    exit_code = FAILURE


@dataclass(frozen=True)
class InitRequest:
    name: str
    output_dir: Path
    no_input: bool
    storage: str | None


def init_project(request: InitRequest) -> Path:
    """Create ``<output_dir>/<name>`` and return its path."""
    hook = template_hook("pre_gen_project")
    problem = hook.slug_problem(request.name)
    if problem:
        raise ScaffoldError(problem, exit_code=2)
    if not request.output_dir.is_dir():
        raise ScaffoldError(f"output directory {request.output_dir} does not exist", exit_code=2)
    target = request.output_dir / request.name
    if target.exists():
        raise ScaffoldError(
            f"{target} already exists; pick another name or remove it first", exit_code=2
        )
    extra_context = {"project_name": _title(request.name), "project_slug": request.name}
    if request.storage:
        extra_context["storage_backend"] = request.storage
    try:
        created = cookiecutter(
            str(project_template_dir()),
            no_input=request.no_input,
            extra_context=extra_context,
            output_dir=str(request.output_dir),
            overwrite_if_exists=False,
        )
    except FailedHookException:
        # The hook has already printed what was wrong with the answers.
        raise ScaffoldError("the template rejected the answers (see above)", exit_code=2) from None
    except CookiecutterException as error:
        raise ScaffoldError(f"cookiecutter: {_one_line(error)}") from None
    return Path(created)


def _title(slug: str) -> str:
    return slug.replace("_", " ").title()


def _one_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
