"""``polster remove-asset``: delete an asset's files, unless others still use it.

All or nothing: the files are first moved aside, by renaming them into a scratch folder
in the project (same filesystem), and deleted only once all of them have moved. If one
cannot be moved, the ones already moved are put back and nothing has changed. The
asset's answers recorded by ``add-asset`` leave the answers file in the same step.
"""

import contextlib
import os
import tempfile
from pathlib import Path

from polster.messages import os_reason, shown, shown_path
from polster.project import AssetCommandError, Project, read_document, read_record
from polster.safe_files import (
    interrupts_deferred,
    is_folder,
    is_regular_file,
    remove_tree,
    rename_no_replace,
)
from polster.template import template_hook
from polster_lint.domain.medallion import ANSWERS_FILE
from polster_lint.domain.model import Key, key_string
from polster_lint.errors import FAILURE


def dependents(project: Project, key: Key) -> list[str]:
    """Assets that declare ``key`` as upstream, and core modules that read its table."""
    declaring = {edge.downstream.key for edge in project.graph.edges if edge.upstream == key}
    found = [key_string(user) for user in sorted(declaring)]
    for file, facts in project.modules:
        owner = file.owner
        if owner is None or owner == key or owner in declaring:
            continue
        if any(read.key == key for read in facts.reads):
            found.append(f"{key_string(owner)} (reads the table in {file.relative})")
    return found


def remove_asset(
    project: Project, layer: str, name: str, force: bool = False, dry_run: bool = False
) -> list[Path]:
    """Delete the asset's files; refuse while others depend on it unless ``force``."""
    key = (layer, name)
    if key not in project.graph.assets:
        existing = ", ".join(key_string(k) for k in project.assets_in(layer)) or "none"
        raise AssetCommandError(f"no asset {layer}/{shown(name)}; {layer} assets: {existing}")
    users = dependents(project, key)
    if users and not force:
        raise AssetCommandError(
            f"{layer}/{name} is used by {', '.join(users)}; remove those first or use --force"
        )
    asset_file = project.graph.assets[key].file.path
    neighbours = sorted(
        key_string(other)
        for other, asset in project.graph.assets.items()
        if other != key and asset.file.path == asset_file
    )
    if neighbours:  # deleting the module would delete them too
        raise AssetCommandError(
            f"{project.graph.assets[key].file.relative} also defines {', '.join(neighbours)}; "
            "remove the asset from that file by hand"
        )
    files = [path for path in project.files_of(layer, name).values() if is_regular_file(path)]
    if asset_file not in files:
        files.append(asset_file)
    for path in files:
        _check_inside(project.root, path)
    if not dry_run:
        recorded = _answers_without(project, layer, name)
        _delete_all_or_nothing(project.root, files, recorded)
        cached = project.root / project.config.core_dir / "__pycache__"
        if is_folder(cached):  # compiled copies only: best effort
            for stale in cached.glob(f"{layer}_{name}.*.pyc"):
                try:
                    stale.unlink()
                except OSError:
                    pass
    return files


def _check_inside(root: Path, path: Path) -> None:
    try:
        inside = path.parent.resolve().is_relative_to(root.resolve())
    except (OSError, ValueError, RuntimeError):
        inside = False
    if not inside:
        raise AssetCommandError(
            f"{shown_path(path, root)} is outside the project (through a link); nothing was removed"
        )


def _answers_without(project: Project, layer: str, name: str) -> str | None:
    """The answers file without the asset's recorded answers; None if it has none."""
    answers_file = project.root / ANSWERS_FILE
    document = read_document(answers_file)
    assets = read_record(answers_file).assets
    kept = [entry for entry in assets if (entry["layer"], entry["asset_name"]) != (layer, name)]
    if document is None or len(kept) == len(assets):
        return None
    document["polster"] = {**document["polster"], "assets": kept}
    return str(template_hook("post_gen_project").document_text(document))


def _replace_answers(root: Path, text: str) -> None:
    answers_file = root / ANSWERS_FILE
    fd, temporary = tempfile.mkstemp(prefix=".polster-answers.", dir=root)
    try:
        with os.fdopen(fd, "wb") as sink:
            sink.write(text.encode("utf-8"))
        os.chmod(temporary, answers_file.stat().st_mode & 0o777)
        os.replace(temporary, answers_file)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _delete_all_or_nothing(root: Path, files: list[Path], answers: str | None = None) -> None:
    with interrupts_deferred():
        try:
            scratch = Path(tempfile.mkdtemp(prefix=".polster-remove-", dir=root))
        except OSError as error:
            raise AssetCommandError(
                f"could not remove the files: {os_reason(error, root)}; nothing was removed",
                FAILURE,
            ) from None
        moved: list[tuple[Path, Path]] = []
        try:
            for number, path in enumerate(files):
                aside = scratch / str(number)
                os.rename(path, aside)
                moved.append((path, aside))
            if answers is not None:  # the asset's recorded answers go with its files
                _replace_answers(root, answers)
        except OSError as error:
            stuck = _put_back(moved)
            if stuck:
                raise AssetCommandError(
                    f"could not remove {shown_path(Path(error.filename or '?'), root)}: "
                    f"{error.strerror}; and could not put back {', '.join(stuck)}: "
                    f"they are in {shown_path(scratch, root)}",
                    FAILURE,
                ) from None
            remove_tree(scratch)
            raise AssetCommandError(
                f"could not remove {shown_path(Path(error.filename or '?'), root)}: "
                f"{error.strerror}; nothing was removed",
                FAILURE,
            ) from None
        remove_tree(scratch)


def _put_back(moved: list[tuple[Path, Path]]) -> list[str]:
    """Rename the moved files back; return the ones that could not be."""
    stuck: list[str] = []
    for path, aside in reversed(moved):
        try:
            rename_no_replace(aside, path)  # never over a file made meanwhile
        except OSError:
            stuck.append(str(path))
    return stuck
