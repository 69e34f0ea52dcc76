"""Where the project template is, in a source checkout and in an installed wheel.

The template (``cookiecutter.json``, ``hooks/``, ``{{cookiecutter.project_slug}}/``) lives
once, at the top of the repository, so that ``cookiecutter <repo>`` works without
Polster; the asset template of ``add-asset`` is its ``asset_template/`` folder. A wheel
carries a copy under ``polster/_template`` (see ``pyproject.toml``); an editable install
or a checkout uses the repository's own files.
"""

import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType

from polster_lint.errors import FAILURE, PolsterError

_PACKAGE_DIR = Path(__file__).resolve().parent
_BUNDLED = _PACKAGE_DIR / "_template"
_CHECKOUT = _PACKAGE_DIR.parents[1]


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
