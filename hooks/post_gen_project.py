"""Finish a freshly generated project: its ``.env`` and its stored answers.

* ``.env`` is ``.env.example`` with the chosen storage backend; it is private to the
  machine (git-ignored, readable by its owner only) because it may hold secrets.
* ``.polster-answers.json`` keeps the answers given to the template, in cookiecutter's
  replay format (``cookiecutter --replay-file .polster-answers.json <template>``
  regenerates the same project). Later ``polster`` commands read the project's settings
  from it. Cookiecutter's own path entries are left out: they hold absolute paths of the
  machine that generated the project.
* Next to the answers, under ``"polster"``, the file records where the project came
  from, so that ``polster update`` can render the same template version again and merge
  what changed since: a git repository and its commit when the template is committed
  there unchanged, else the folder and a hash of its content. ``polster init`` replaces
  this with Polster's own version; ``polster add-asset`` adds each asset's answers.

The functions that describe, hash and snapshot a template live here, in the one place
both plain cookiecutter and ``polster`` (which imports this module) use them. Nothing
here touches the network or installs anything; git is asked about the template folder
only, and its absence is no error.
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

# Read by main(), not on import: polster imports this module unrendered for its functions.
CONTEXT_JSON = r"""{{ cookiecutter | jsonify }}"""

ANSWERS_FILE = ".polster-answers.json"

SNAPSHOT_FILE = ".polster/template.tar.gz"
"""Where ``polster`` keeps a copy of a template that cannot be fetched again later."""

# Files in a template folder that are not part of the template.
NOT_TEMPLATE = {
    "__pycache__",
    ".git",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    ".polster_cache",
    ".DS_Store",
}

GIT_TIMEOUT = 30

JINJA_OPEN = "{" * 2  # spelled out: this file is itself rendered by Jinja


def write_env_file(project: Path, backend: str) -> None:
    lines = (project / ".env.example").read_text().splitlines()
    chosen = [
        f"STORAGE_BACKEND={backend}" if line.startswith("STORAGE_BACKEND=") else line
        for line in lines
    ]
    env_file = project / ".env"
    env_file.write_text("\n".join(chosen) + "\n")
    os.chmod(env_file, 0o600)


# Cookiecutter's own entries, which hold paths of the machine that generated the project.
MACHINE_KEYS = {"_template", "_output_dir", "_repo_dir", "_checkout"}


def answers_text(answers: dict, template: dict | None, assets: list) -> str:
    """The answers file: cookiecutter's replay format, plus Polster's record."""
    kept = {key: value for key, value in answers.items() if key not in MACHINE_KEYS}
    return document_text(
        {"cookiecutter": kept, "polster": {"template": template, "assets": assets}}
    )


def document_text(document: dict) -> str:
    """The answers file's text for its JSON ``document``."""
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def write_answers(project: Path, context: dict, template: dict) -> None:
    (project / ANSWERS_FILE).write_text(answers_text(context, template, []), encoding="utf-8")


def remove_unwanted_files(project: Path, context: dict) -> None:
    """Drop the optional files the answers said no to."""
    # Cookiecutter has already turned answers such as "no" or "n" into booleans.
    if not context.get("ci_workflow", True):
        shutil.rmtree(project / ".github")


# --- what a template is, and which version of it this is --------------------------------


def template_parts(root: Path) -> list[Path]:
    """The top-level entries of the template folder ``root`` that cookiecutter uses.

    ``cookiecutter.json``, the hooks, Jinja ``templates/``, Python files next to
    ``cookiecutter.json`` (Jinja extensions), the folders whose name holds a Jinja
    placeholder (what is rendered) and folders holding a template of their own (``asset_template``).
    Anything else beside them (a repository's README, its tests) is not the template.
    """
    parts = []
    for entry in sorted(root.iterdir()):
        name = entry.name
        if name in NOT_TEMPLATE or entry.is_symlink():
            continue
        if entry.is_file():
            if name == "cookiecutter.json" or name.endswith(".py"):
                parts.append(entry)
        elif entry.is_dir() and (
            name in ("hooks", "templates")
            or JINJA_OPEN in name
            or (entry / "cookiecutter.json").is_file()
        ):
            parts.append(entry)
    return parts


def template_files(root: Path) -> list[str]:
    """Every file of the template at ``root``, as sorted relative POSIX paths."""
    found = []
    for part in template_parts(root):
        if part.is_file():
            found.append(part.name)
            continue
        for folder, folders, files in os.walk(part):
            folders[:] = sorted(name for name in folders if name not in NOT_TEMPLATE)
            for name in files:
                path = Path(folder) / name
                if name in NOT_TEMPLATE or name.endswith((".pyc", ".pyo")) or path.is_symlink():
                    continue
                found.append(path.relative_to(root).as_posix())
    return sorted(found)


def _is_executable(path: Path) -> bool:
    return bool(path.stat().st_mode & 0o111)


def content_hash(root: Path) -> str:
    """``sha256:<hex>`` of the template's files: their paths, contents and executable bits."""
    digest = hashlib.sha256()
    for relative in template_files(root):
        path = root / relative
        content = path.read_bytes()
        flag = "x" if _is_executable(path) else "-"
        digest.update(f"{relative}\0{flag}\0{len(content)}\0".encode())
        digest.update(content)
    return "sha256:" + digest.hexdigest()


def snapshot_bytes(root: Path) -> bytes:
    """The template's files as a gzipped tar that is the same bytes for the same files."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for relative in template_files(root):
            path = root / relative
            content = path.read_bytes()
            info = tarfile.TarInfo(relative)
            info.size = len(content)
            info.mode = 0o755 if _is_executable(path) else 0o644
            info.mtime = 0
            archive.addfile(info, io.BytesIO(content))
    packed = io.BytesIO()
    with gzip.GzipFile(fileobj=packed, mode="wb", compresslevel=9, mtime=0) as zipped:
        zipped.write(raw.getvalue())
    return packed.getvalue()


def _git(folder: Path, *args: str) -> str | None:
    """What ``git -C folder args`` prints, or None when git is missing or fails."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("GIT_") or key in ("GIT_CONFIG_NOSYSTEM",)
    }
    env["GIT_TERMINAL_PROMPT"] = "0"
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return done.stdout if done.returncode == 0 else None


def git_version(root: Path) -> dict | None:
    """``{"top", "directory", "commit"}`` when the template at ``root`` is committed in a
    git repository exactly as it is on disk; None otherwise (not in git, or changed)."""
    top = _git(root, "rev-parse", "--show-toplevel")
    prefix = _git(root, "rev-parse", "--show-prefix")
    commit = _git(root, "rev-parse", "--verify", "HEAD^{commit}")
    if top is None or prefix is None or commit is None:
        return None
    names = [part.name for part in template_parts(root)]
    if "cookiecutter.json" not in names:
        return None
    tracked = _git(root, "ls-files", "--", "cookiecutter.json")
    status = _git(root, "status", "--porcelain", "--untracked-files=all", "--", *names)
    if not tracked or status is None or status.strip():
        return None
    return {
        "top": top.strip(),
        "directory": prefix.strip().strip("/"),
        "commit": commit.strip(),
    }


def describe_folder(root: Path, url: str | None = None) -> dict:
    """The record of the template at ``root``: its git repository (``url``, else the
    repository's folder) and commit, or, outside git or with uncommitted changes, the
    folder and a hash of its content."""
    root = root.resolve()
    version = git_version(root)
    if version is not None:
        return {
            "kind": "git",
            "source": url or version["top"],
            "directory": version["directory"],
            "version": version["commit"],
        }
    return {"kind": "folder", "source": str(root), "directory": "", "version": content_hash(root)}


def describe_template(context: dict) -> dict:
    """Where cookiecutter took the template of this run from, and which version of it."""
    given = str(context.get("_template") or "")
    root = Path(str(context.get("_repo_dir") or "."))
    if not root.is_absolute():
        # Relative to the folder cookiecutter was started in, not to this hook's (the
        # new project). Cookiecutter runs its hooks from inside the template folder
        # (work_in(repo_dir)), so its own folder is the template: joining the relative
        # path to it again would name a folder that does not exist ("tpl/tpl"). Linux
        # names that folder; elsewhere the version stays unknown.
        try:
            parent = Path(os.readlink(f"/proc/{os.getppid()}/cwd"))
        except OSError:
            return {"kind": "folder", "source": given, "directory": "", "version": ""}
        root = parent if (parent / "cookiecutter.json").is_file() else parent / root
        # Cookiecutter clones a URL into an absolute folder: a relative one was given as
        # a local folder, which this hook's folder (the new project) cannot resolve.
        return describe_folder(root)
    url = None
    if given and not Path(given).expanduser().exists():
        # A repository URL (or an abbreviation): the clone knows the URL it came from.
        remote = _git(root, "remote", "get-url", "origin")
        url = remote.strip() if remote and remote.strip() else given
    return describe_folder(root, url)


def main() -> int:
    """Finish the project; on failure say why in one line (cookiecutter then removes it)."""
    project_dir = Path.cwd()
    context = json.loads(CONTEXT_JSON)
    try:
        remove_unwanted_files(project_dir, context)
        write_env_file(project_dir, context["storage_backend"])
        write_answers(project_dir, context, describe_template(context))
    except OSError as error:
        where = f": {error.filename}" if error.filename else ""
        print(
            f"error: could not finish the project: {error.strerror or error}{where}",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
