"""``polster add-asset``: add an asset whose upstreams follow the medallion rules.

The asset template (a nested cookiecutter run, see :func:`polster.template.run_template`)
renders the new files into a private work folder; every rendered module must compile.
The files are then copied to where the project's layout (``[tool.polster.lint]``) puts
an asset's files, each with exclusive creation: an existing file is never overwritten,
and any failure removes what was created, folders included. Last, the asset's answers
are recorded in the answers file (replaced in one rename), so that ``polster update``
can render its files again from a newer asset template.
"""

import contextlib
import errno
import os
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polster.messages import os_reason, shown_path
from polster.project import (
    AssetCommandError,
    Project,
    asset_record,
    read_document,
    read_record,
)
from polster.safe_files import interrupts_deferred, is_folder, is_regular_file, lexists
from polster.template import (
    asset_template_dir,
    check_python_sources,
    run_template,
    template_hook,
    work_folder,
)
from polster_lint.domain.medallion import ANSWERS_FILE, asset_files, asset_name_problem
from polster_lint.domain.model import Key, key_string
from polster_lint.errors import FAILURE, USAGE_ERROR

MAX_DESCRIPTION_LENGTH = 200
"""Longest ``--description``: it is one line of text, for a docstring and Dagster's UI."""

RENDER_SLUG = "project"
"""The folder name the asset template renders into when the project stores no slug."""


@dataclass(frozen=True)
class NewAsset:
    layer: str
    name: str
    deps: tuple[Key, ...]
    description: str = ""


def clean_description(text: str) -> str:
    """The description as one line of plain text; runs of whitespace become one space.

    Control and invisible characters (NUL, escape sequences, direction overrides, text
    that is not valid UTF-8) are refused rather than written into Python source.
    """
    folded = " ".join(text.split())
    for character in folded:
        if unicodedata.category(character).startswith("C"):
            raise AssetCommandError(
                f"the description contains the character U+{ord(character):04X}, "
                "which is not plain text"
            )
    if len(folded) > MAX_DESCRIPTION_LENGTH:
        raise AssetCommandError(
            f"the description is longer than {MAX_DESCRIPTION_LENGTH} characters; "
            "keep it to one line"
        )
    return folded


def name_problem(project: Project, layer: str, name: str) -> str | None:
    """Why ``name`` cannot be used for a new asset of ``layer`` in this project, or None."""
    problem = asset_name_problem(layer, name)
    if problem:
        return problem
    if (layer, name) in project.graph.assets:
        return f"asset {layer}/{name} already exists"
    existing = [path for path in project.files_of(layer, name).values() if lexists(path)]
    if existing:
        return f"{shown_path(existing[0], project.root)} already exists"
    return None


def resolve_deps(project: Project, layer: str, values: list[str]) -> tuple[Key, ...]:
    """Turn ``customers`` or ``bronze/customers`` into keys of allowed upstream assets."""
    allowed = project.allowed_upstreams(layer)
    valid = ", ".join(key_string(key) for key in allowed) or "none"
    layers = " or ".join(project.upstream_layers(layer))
    keys: list[Key] = []
    for value in (item.strip() for item in values if item.strip()):
        if not layers:
            raise AssetCommandError(f"bronze assets take no upstream assets (got {value!r})")
        matches = [key for key in allowed if value in (key_string(key), key[-1])]
        if len(matches) != 1:
            why = "is ambiguous" if matches else f"is not a {layers} asset of the project"
            raise AssetCommandError(f"dependency {value!r} {why}; valid: {valid}")
        if matches[0] in keys:
            raise AssetCommandError(f"dependency {value!r} is listed twice")
        keys.append(matches[0])
    if layers and not keys:
        raise AssetCommandError(
            f"a {layer} asset needs at least one upstream ({layers}); valid: {valid}"
        )
    return tuple(keys)


def add_asset(project: Project, asset: NewAsset, dry_run: bool = False) -> list[Path]:
    """Create the asset's files (or only list them with ``dry_run``); return their paths."""
    problem = name_problem(project, asset.layer, asset.name)
    if problem:
        raise AssetCommandError(problem)
    description = clean_description(asset.description)
    for relative in project.config.asset_files(asset.layer, asset.name).values():
        _check_target(project.root, relative)
    targets = project.files_of(asset.layer, asset.name)
    if dry_run:
        return list(targets.values())
    recorded = _answers_with(project, asset, description)
    with work_folder("polster-add-asset-") as work:
        sources = _render(project, asset, description, work)
        try:
            _copy_into_project(
                sources, targets, lambda: _record(project.root / ANSWERS_FILE, recorded)
            )
        except FileExistsError as error:
            where = shown_path(Path(error.filename or "?"), project.root)
            raise AssetCommandError(
                f"{where} already exists (created meanwhile?); nothing was added",
                USAGE_ERROR,
            ) from None
        except OSError as error:
            raise AssetCommandError(
                f"could not add {asset.layer}/{asset.name}: {os_reason(error, project.root)}; "
                "nothing was added",
                FAILURE,
            ) from None
    return list(targets.values())


def _check_target(root: Path, relative: str) -> None:
    """Refuse a target the layout settings put outside the project or write oddly."""
    target = root / relative
    parts = relative.split("/")
    if any(part in ("", ".", "..") for part in parts) or not relative.isprintable():
        raise AssetCommandError(
            f"[tool.polster.lint] puts an asset file at {relative!r}, "
            "which is not a plain path inside the project"
        )
    try:
        inside = target.parent.resolve().is_relative_to(root.resolve())
    except (OSError, ValueError, RuntimeError):
        inside = False
    if not inside:
        raise AssetCommandError(
            f"{relative!r} would be written outside the project (through a link); nothing was added"
        )


def _answers(project: Project, asset: NewAsset, description: str) -> dict[str, Any]:
    """What the asset template is given (besides the slug), and what is recorded."""
    return asset_record(
        asset.layer,
        asset.name,
        ",".join(key_string(key) for key in asset.deps),
        # Private keys reach the template as they are; public ones would be run as Jinja.
        description,
        asset.layer in project.config.same_layer_allowed,
    )


def _answers_with(project: Project, asset: NewAsset, description: str) -> str | None:
    """The answers file with the new asset's answers recorded (so that ``polster update``
    can render its files again); None for a project without an answers file."""
    answers_file = project.root / ANSWERS_FILE
    document = read_document(answers_file)
    if document is None:
        return None
    section = document.get("polster")
    section = dict(section) if isinstance(section, dict) else {"template": None}
    assets = [
        entry
        for entry in read_record(answers_file).assets
        if (entry["layer"], entry["asset_name"]) != (asset.layer, asset.name)
    ]
    section["assets"] = [*assets, _answers(project, asset, description)]
    document["polster"] = section
    return str(template_hook("post_gen_project").document_text(document))


def _record(answers_file: Path, text: str | None) -> None:
    """Replace the answers file with ``text`` in one step (a rename)."""
    if text is None:
        return
    fd, temporary = tempfile.mkstemp(prefix=".polster-answers.", dir=answers_file.parent)
    try:
        with os.fdopen(fd, "wb") as sink:
            sink.write(text.encode("utf-8"))
        os.chmod(temporary, answers_file.stat().st_mode & 0o777)
        os.replace(temporary, answers_file)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _render(project: Project, asset: NewAsset, description: str, work: Path) -> dict[str, Path]:
    """Run the asset template in ``work``; return the rendered files by role."""
    slug = project.answers.get("project_slug") or RENDER_SLUG  # validated on loading
    context = {
        "project_slug": slug,
        "partitioning": _partitioning(project),
        **_answers(project, asset, description),
    }
    out = work / "out"
    rendered = run_template(
        asset_template_dir(), work, output_dir=out, error=AssetCommandError, extra_context=context
    )
    check_python_sources(rendered, AssetCommandError)
    # The template lays the files out the default way; the project's layout may differ.
    sources = {
        role: rendered / relative for role, relative in asset_files(asset.layer, asset.name).items()
    }
    for source in sources.values():
        if not is_regular_file(source):
            raise AssetCommandError(
                f"the asset template did not render {source.relative_to(rendered)}", FAILURE
            )
    return sources


def _partitioning(project: Project) -> str:
    """How the project partitions its tables: new assets follow it (``none`` for projects
    made before the template asked)."""
    partitioning = project.answers.get("partitioning", "none")
    problem = template_hook("pre_gen_project").partitioning_problem(partitioning)
    if problem:
        raise AssetCommandError(f"the project's answers file: {problem}", USAGE_ERROR)
    return str(partitioning)


def _copy_into_project(
    sources: dict[str, Path], targets: dict[str, Path], finish: Callable[[], None]
) -> None:
    """Copy the rendered files to their targets, then ``finish`` (record the asset): all
    of it, or none on any failure."""
    created_files: list[Path] = []
    created_folders: list[Path] = []
    with interrupts_deferred():
        try:
            for role, target in targets.items():
                _make_folders(target.parent, created_folders)
                content = sources[role].read_bytes()
                with target.open("xb") as sink:  # "x": fail rather than overwrite
                    created_files.append(target)
                    sink.write(content)
            finish()
        except BaseException:
            for path in reversed(created_files):
                try:
                    path.unlink()
                except OSError:
                    pass
            for folder in reversed(created_folders):
                try:
                    folder.rmdir()
                except OSError:
                    pass
            raise


def _make_folders(folder: Path, created: list[Path]) -> None:
    """Create ``folder`` and its missing parents, noting each one created here."""
    missing: list[Path] = []
    while not is_folder(folder):
        if lexists(folder):
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder))
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            if not is_folder(path):
                raise NotADirectoryError(
                    errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path)
                ) from None
            continue  # made by someone else meanwhile: not ours to remove
        created.append(path)
