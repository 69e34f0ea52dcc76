"""``polster update`` and ``polster check``: keep a project in step with its template.

The answers file records where the project came from (see the template's post-generation
hook, which also holds the functions that describe, hash and archive a template):

* ``polster``: Polster's bundled template, by Polster's version and the template's
  content hash. The installed Polster renders it while its template has that hash;
  after an upgrade, the copy ``polster init`` kept in ``.polster/template.tar.gz`` does.
* ``git``: a repository (URL or folder), a ``directory`` in it, and a commit; the commit
  is checked out again from the repository, the way cruft does it.
* ``folder``: a template folder outside git, by content hash: rendered from the folder
  while it still has that content, else from the copy in ``.polster/``.
* nothing (a project made before Polster recorded it): the Polster repository and
  release the project's own ``_polster_repo`` and ``_polster_rev`` answers name.

An update renders the recorded version and the target version with the stored answers
(the project's, and each recorded asset's through the asset template) into a private
work folder, and merges the difference into the project file by file: ``git merge-file``
does the three-way merge, so the user's edits stay and the template's changes arrive;
where both changed the same lines it leaves conflict markers. All changes are written
to a scratch folder in the project first and moved in together; any failure puts every
file back. ``.env``, ``data/``, ``.dagster/``, ``.git/`` and the files matched by
``[tool.polster.update] skip`` are never touched.
"""

import contextlib
import difflib
import fnmatch
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cookiecutter.environment import StrictEnvironment
from cookiecutter.exceptions import CookiecutterException
from cookiecutter.prompt import (
    read_user_choice,
    read_user_dict,
    read_user_variable,
    read_user_yes_no,
    render_variable,
)
from cookiecutter.repository import is_repo_url
from jinja2 import TemplateError

from polster.messages import one_line, os_reason, shown, shown_path
from polster.project import MACHINE_KEYS, Record, read_answers, read_record
from polster.safe_files import (
    interrupts_deferred,
    is_folder,
    is_regular_file,
    lexists,
    remove_tree,
    rename_no_replace,
)
from polster.template import project_template_dir, run_template, template_hook, work_folder
from polster_lint import __version__
from polster_lint.adapters.project import find_project_root
from polster_lint.adapters.pyproject import load_config
from polster_lint.domain.medallion import ANSWERS_FILE, asset_files
from polster_lint.errors import FAILURE, USAGE_ERROR, PolsterError

BUNDLED = "polster"
"""``--template`` value (and recorded source) of Polster's own template."""

PROTECTED_FILES = frozenset({".env", ANSWERS_FILE})
PROTECTED_FOLDERS = frozenset({"data", ".dagster", ".git", ".polster"})
"""Never merged: local settings and secrets, tables, Dagster's instance, git, and the
answers file and template copy, which the update writes itself."""

MAX_SNAPSHOT_SIZE = 20_000_000
"""A larger ``.polster/template.tar.gz`` is not one Polster wrote."""

GIT_TIMEOUT = 600

ASSET_TEMPLATE = "asset_template"


class UpdateError(PolsterError):
    """The update (or check) cannot be carried out; nothing was changed."""

    exit_code = FAILURE


@dataclass(frozen=True)
class UpdateRequest:
    project_dir: Path
    template: str | None = None
    dry_run: bool = False
    no_input: bool = False


@dataclass
class Template:
    """A template ready to render: its record (what the answers file says) and folder."""

    record: dict[str, str]
    root: Path


@dataclass
class Rendered:
    """What a template version makes of the project: file contents by path."""

    files: dict[str, tuple[bytes, bool]]
    assets_rendered: bool


@dataclass
class Outcome:
    """What the update does to one file."""

    path: str
    status: str
    content: bytes | None = None
    executable: bool = False
    conflicts: int = 0
    note: str = ""

    @property
    def writes(self) -> bool:
        return self.content is not None or self.status == "removed"


@dataclass
class Plan:
    old: str
    new: str
    outcomes: list[Outcome] = field(default_factory=list)
    new_answers: dict[str, Any] = field(default_factory=dict)
    extra_writes: dict[str, bytes | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def conflicts(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.status == "conflict"]


# --- the two commands -----------------------------------------------------------------


def update_project(request: UpdateRequest, say: Callable[[str], None] = print) -> int:
    """Bring the project up to date with the template; 1 when conflicts are left."""
    root = _project_root(request.project_dir)
    answers = read_answers(root / ANSWERS_FILE)
    record = read_record(root / ANSWERS_FILE)
    if not answers:
        raise UpdateError(f"{shown_path(root)} has no {ANSWERS_FILE}: nothing to update from")
    skip = _skip_patterns(root)
    if not request.dry_run:
        _require_clean_git(root)
    with work_folder("polster-update-") as work:
        target = _target_template(request.template, record, work)
        if record.template is not None and _same_version(record.template, target.record):
            context, new_keys = _complete_context(
                target.root, answers, keep_private=False, ask=False
            )
            if not new_keys:
                say(f"Already up to date with {label(target.record)}.")
                return 0
        base = _recorded_template(record, answers, root, work)
        plan = _plan(root, base, target, answers, record, skip, request, work)
    if request.dry_run:
        _show_diff(root, plan, say)
    else:
        _apply(root, plan)
        _report(plan, say)
    return 1 if plan.conflicts else 0


def check_project(project_dir: Path, template: str | None) -> tuple[int, str]:
    """``(0, "up to date ...")`` or ``(1, "behind ...")`` without rendering anything."""
    root = _project_root(project_dir)
    answers = read_answers(root / ANSWERS_FILE)
    record = read_record(root / ANSWERS_FILE)
    if not answers:
        raise UpdateError(f"{shown_path(root)} has no {ANSWERS_FILE}: no template to compare")
    target = _target_version(template, record)
    if record.template is None:
        old = label(_legacy_record(answers))
        return 1, (
            f"behind: the project follows {old}, recorded before Polster kept template "
            f"versions; the template is {label(target)}. Run `polster update`."
        )
    if _same_version(record.template, target):
        return 0, f"up to date with {label(target)}"
    return 1, (
        f"behind: the project follows {label(record.template)}; the template is "
        f"{label(target)}. Run `polster update`."
    )


def label(record: dict[str, str]) -> str:
    """A template version as people read it, on one line."""
    kind, source, version = record.get("kind"), record.get("source", ""), record.get("version")
    where = source + (f" ({record['directory']})" if record.get("directory") else "")
    if kind == "polster":
        return f"Polster {version} (template {record.get('hash', '')[7:19]})"
    if kind == "git":
        return shown(f"{where} at {(version or '?')[:12]}")
    if kind == "folder":
        return shown(f"{where} (content {(version or '?')[7:19] or 'unknown'})")
    return shown(f"{where} at {version}")


# --- the project ----------------------------------------------------------------------


def _project_root(project_dir: Path) -> Path:
    if not is_folder(project_dir):
        what = "is not a folder" if lexists(project_dir) else "does not exist"
        raise UpdateError(f"project directory {shown_path(project_dir)} {what}", USAGE_ERROR)
    return find_project_root(project_dir).resolve()


def _skip_patterns(root: Path) -> list[str]:
    """``[tool.polster.update] skip``: files the update leaves as they are."""
    pyproject = root / "pyproject.toml"
    if not is_regular_file(pyproject):
        return []
    try:
        settings = tomllib.loads(pyproject.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise UpdateError(f"cannot read pyproject.toml: {one_line(error)}", USAGE_ERROR) from None
    table = settings.get("tool", {}).get("polster", {}).get("update", {})
    if not isinstance(table, dict):
        raise UpdateError("[tool.polster.update] must be a table", USAGE_ERROR)
    unknown = sorted(set(table) - {"skip"})
    if unknown:
        raise UpdateError(
            f"[tool.polster.update]: unknown setting {unknown[0]!r} (known: skip)", USAGE_ERROR
        )
    skip = table.get("skip", [])
    if not isinstance(skip, list) or not all(isinstance(item, str) and item for item in skip):
        raise UpdateError(
            "[tool.polster.update] skip must be a list of paths or patterns, "
            'e.g. ["README.md", "src/core/*.py"]',
            USAGE_ERROR,
        )
    return [item.strip("/") for item in skip]


def _is_skipped(relative: str, patterns: list[str]) -> bool:
    return any(
        fnmatch.fnmatchcase(relative, pattern) or relative.startswith(pattern + "/")
        for pattern in patterns
    )


def _is_protected(relative: str) -> bool:
    return relative in PROTECTED_FILES or relative.split("/", 1)[0] in PROTECTED_FOLDERS


def _require_clean_git(root: Path) -> None:
    """Refuse a project outside git, or with changes not yet committed."""
    inside = _git(["rev-parse", "--is-inside-work-tree"], cwd=root, check=False)
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        raise UpdateError(
            f"{shown_path(root)} is not in a git repository: polster update changes files in "
            "place, so put the project under git first (git init && git add -A && git commit) "
            "to review and undo what it does",
            USAGE_ERROR,
        )
    status = _git(
        ["--no-optional-locks", "status", "--porcelain", "--untracked-files=all", "--", "."],
        cwd=root,
        check=False,
    )
    if status.returncode != 0:
        raise UpdateError(f"git status failed in the project: {_git_said(status)}", USAGE_ERROR)
    changed = [line[3:] for line in status.stdout.splitlines() if line.strip()]
    if changed:
        count = f"{len(changed)} file{'s' if len(changed) > 1 else ''}"
        raise UpdateError(
            f"the project has uncommitted changes ({count}, e.g. {shown(changed[0])}): commit "
            "or stash them first, so that the update's changes can be reviewed on their own",
            USAGE_ERROR,
        )


# --- git --------------------------------------------------------------------------------

# Variables that would point git at another repository than the one named.
_GIT_LOCATION = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
)


def _git(
    args: list[str], cwd: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in _GIT_LOCATION}
    env["GIT_TERMINAL_PROMPT"] = "0"
    command = ["git", "-c", "protocol.ext.allow=never", *args]
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise UpdateError("git is not installed; polster update and check need it") from None
    except subprocess.TimeoutExpired:
        late = f"git {_subcommand(args)} did not finish within {GIT_TIMEOUT} s"
        raise UpdateError(late) from None
    except OSError as error:
        raise UpdateError(f"could not run git: {os_reason(error)}") from None
    if check and done.returncode != 0:
        raise UpdateError(f"git {_subcommand(args)} failed: {_git_said(done)}")
    return done


def _subcommand(args: list[str]) -> str:
    """The git command ``args`` run, past the ``-c name=value`` settings before it."""
    rest = list(args)
    while rest[:1] == ["-c"]:
        rest = rest[2:]
    return rest[0] if rest else "git"


def _git_said(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
    return shown(lines[-1]) if lines else f"exit status {done.returncode}"


def _is_url(source: str) -> bool:
    return bool(is_repo_url(source))


def _checked_source(source: str) -> str:
    """A repository URL git may fetch (no ``ext::`` commands, no options)."""
    if source.startswith("-") or "::" in source.split("/", 1)[0]:
        raise UpdateError(f"{shown(source)} is not a repository URL polster fetches", USAGE_ERROR)
    return source


def _clone(source: str, revision: str | None, destination: Path) -> str:
    """Clone ``source`` into ``destination`` at ``revision``; return the commit."""
    _git(["clone", "--quiet", "--", _checked_source(source), str(destination)])
    if revision:
        _git(
            ["-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", revision, "--"],
            cwd=destination,
        )
    return _git(["rev-parse", "--verify", "HEAD^{commit}"], cwd=destination).stdout.strip()


# --- which template, which version ----------------------------------------------------


def _hook() -> Any:
    return template_hook("post_gen_project")


def _bundled() -> Template:
    root = project_template_dir()
    record = {
        "kind": "polster",
        "source": BUNDLED,
        "directory": "",
        "version": __version__,
        "hash": _hash(root),
    }
    return Template(record, root)


def _hash(root: Path) -> str:
    try:
        return str(_hook().content_hash(root))
    except OSError as error:
        raise UpdateError(f"cannot read the template: {os_reason(error)}") from None


def _default_source(record: Record) -> str:
    """The recorded repository or folder, else Polster's own template."""
    template = record.template
    if template is not None and template["kind"] in ("git", "folder") and template["source"]:
        return template["source"]
    return BUNDLED


def _directory(record: Record) -> str:
    return record.template["directory"] if record.template is not None else ""


def _template_folder(folder: Path, directory: str, source: str) -> Path:
    for candidate in (folder / directory if directory else None, folder):
        if candidate is not None and is_regular_file(candidate / "cookiecutter.json"):
            return candidate
    raise UpdateError(f"{shown(source)} holds no cookiecutter.json", USAGE_ERROR)


def _target_template(spec: str | None, record: Record, work: Path | None) -> Template:
    """The template to update to: ``--template``, else the recorded source or Polster's."""
    source = spec or _default_source(record)
    directory = _directory(record)
    if source == BUNDLED:
        return _bundled()
    if _is_url(source):
        if work is None:
            raise UpdateError("a repository URL needs a work folder")  # not reached
        clone = work / "target-clone"
        commit = _clone(source, None, clone)
        root = _template_folder(clone, directory, source)
        used = root.relative_to(clone).as_posix()
        record_ = {
            "kind": "git",
            "source": source,
            "directory": "" if used == "." else used,
            "version": commit,
        }
        return Template(record_, root)
    folder = Path(source).expanduser()
    if not is_folder(folder):
        raise UpdateError(
            f"template {shown(source)} is neither a folder nor a repository URL", USAGE_ERROR
        )
    root = _template_folder(folder.resolve(), directory, source)
    try:
        described = _hook().describe_folder(root)
    except OSError as error:
        raise UpdateError(f"cannot read the template: {os_reason(error)}") from None
    return Template({key: str(value) for key, value in described.items()}, root)


def _target_version(spec: str | None, record: Record) -> dict[str, str]:
    """The record of the target template, without cloning or rendering (``check``)."""
    source = spec or _default_source(record)
    if source == BUNDLED:
        return _bundled().record
    if _is_url(source):
        listed = _git(["ls-remote", "--", _checked_source(source), "HEAD"])
        commit = listed.stdout.split()[0] if listed.stdout.split() else ""
        if not commit:
            raise UpdateError(f"{shown(source)} has no HEAD commit")
        return {"kind": "git", "source": source, "directory": _directory(record), "version": commit}
    return _target_template(source, record, None).record


def _same_version(old: dict[str, str], new: dict[str, str]) -> bool:
    """Whether two records name the same template content."""
    if old["kind"] == "git" or new["kind"] == "git":
        return old["kind"] == new["kind"] and old["version"] == new["version"] != ""

    def content(record: dict[str, str]) -> str:
        return record["hash"] if record["kind"] == "polster" else record["version"]

    return content(old) == content(new) != ""


def _legacy_record(answers: dict[str, Any]) -> dict[str, str]:
    repo, rev = answers.get("_polster_repo"), answers.get("_polster_rev")
    if not isinstance(repo, str) or not isinstance(rev, str) or not repo or not rev:
        raise UpdateError(
            f"{ANSWERS_FILE} records no template version and names no Polster release "
            "(_polster_repo, _polster_rev): there is nothing to merge from",
            USAGE_ERROR,
        )
    return {"kind": "git", "source": repo, "directory": "", "version": rev}


def _recorded_template(record: Record, answers: dict[str, Any], root: Path, work: Path) -> Template:
    """The template at the version the project records, ready to render again."""
    recorded = record.template or _legacy_record(answers)
    why = ""
    if recorded["kind"] == "polster":
        bundled = project_template_dir()
        if _hash(bundled) == recorded["hash"]:
            return Template(recorded, bundled)
        found = _from_snapshot(root, recorded["hash"], work)
        if found is not None:
            return Template(recorded, found)
        why = (
            f"this is Polster {__version__}, whose template differs, and "
            f"{_hook().SNAPSHOT_FILE} is missing or not that template"
        )
    elif recorded["kind"] == "folder":
        folder = Path(recorded["source"]) / recorded["directory"]
        if recorded["version"] and is_regular_file(folder / "cookiecutter.json"):
            if _hash(folder) == recorded["version"]:
                return Template(recorded, folder)
        found = _from_snapshot(root, recorded["version"], work)
        if found is not None:
            return Template(recorded, found)
        why = f"the folder has changed since and {_hook().SNAPSHOT_FILE} is missing"
    else:
        source = recorded["source"]
        local = Path(source).expanduser()
        if not _is_url(source) and is_folder(local):
            # The repository's folder, if it is still at that commit: no clone needed.
            folder = local / recorded["directory"]
            state = _hook().git_version(folder) if is_folder(folder) else None
            if state is not None and state["commit"] == recorded["version"]:
                return Template(recorded, folder)
        clone = work / "base-clone"
        try:
            commit = _clone(source, recorded["version"], clone)
        except UpdateError as error:
            why = str(error)
        else:
            folder = _template_folder(clone, recorded["directory"], source)
            if record.template is None:  # the release named a tag: record its commit
                recorded = {**recorded, "version": commit}
            return Template(recorded, folder)
    raise UpdateError(
        f"cannot render the template the project was made with ({label(recorded)}): {why}; "
        "nothing was changed"
    )


def _from_snapshot(root: Path, expected: str, work: Path) -> Path | None:
    """The template kept in ``.polster/``, if it is there and has the expected hash."""
    archive = root / _hook().SNAPSHOT_FILE
    if not expected or not is_regular_file(archive):
        return None
    target = work / "base-snapshot"
    try:
        if archive.stat().st_size > MAX_SNAPSHOT_SIZE:
            return None
        with tarfile.open(archive, "r:gz") as snapshot:
            members = snapshot.getmembers()
            if sum(member.size for member in members) > 10 * MAX_SNAPSHOT_SIZE:
                return None
            snapshot.extractall(target, members=members, filter="data")
    except (OSError, tarfile.TarError, EOFError, ValueError):
        return None
    if not is_regular_file(target / "cookiecutter.json") or _hash(target) != expected:
        return None
    return target


# --- answers ----------------------------------------------------------------------------


@contextlib.contextmanager
def _importable(folder: Path) -> Iterator[None]:
    """Let the template's Jinja extensions (modules beside its cookiecutter.json) import."""
    saved = list(sys.path)
    sys.path.append(str(folder))
    try:
        yield
    finally:
        sys.path[:] = saved


def _questions(root: Path) -> dict[str, Any]:
    try:
        questions = json.loads((root / "cookiecutter.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise UpdateError(
            f"cannot read the template's cookiecutter.json: {one_line(error)}"
        ) from None
    if not isinstance(questions, dict):
        raise UpdateError("the template's cookiecutter.json is not a JSON object")
    return questions


def _complete_context(
    root: Path, stored: dict[str, Any], *, keep_private: bool, ask: bool
) -> tuple[dict[str, Any], list[str]]:
    """The full cookiecutter context for rendering the template at ``root``.

    The stored answers are used as they are (never rendered as Jinja). The template's
    private settings (``_name``) come from the template, except for the recorded version
    (``keep_private``), which was rendered with the stored ones. A question the answers
    lack is new: it is asked (``ask``) or takes the template's default, worked out the
    way cookiecutter does, from the answers before it.
    """
    questions = _questions(root)
    prompts = questions.get("__prompts__", {})
    prompts = prompts if isinstance(prompts, dict) else {}
    context: dict[str, Any] = {}
    new: list[str] = []
    try:
        with _importable(root):
            environment = StrictEnvironment(context={"cookiecutter": questions})
            later: list[tuple[str, Any]] = []
            for key, raw in questions.items():
                if key == "__prompts__":
                    continue
                if key.startswith("_") and not key.startswith("__"):
                    context[key] = stored[key] if keep_private and key in stored else raw
                elif key.startswith("__"):
                    context[key] = render_variable(environment, raw, context)
                elif key in stored:
                    context[key] = stored[key]
                elif isinstance(raw, dict):
                    later.append((key, raw))
                else:
                    context[key] = _new_answer(environment, key, raw, context, prompts, ask)
                    new.append(key)
            for key, raw in later:
                value = render_variable(environment, raw, context)
                context[key] = read_user_dict(key, value, prompts) if ask else value
                new.append(key)
    except (CookiecutterException, TemplateError) as error:
        raise UpdateError(
            f"cannot work out the template's answers: {one_line(error)}", USAGE_ERROR
        ) from None
    for key, value in stored.items():
        if key not in context and key not in MACHINE_KEYS:
            context[key] = value  # a question the template no longer asks: kept
    return context, new


def _new_answer(
    environment: StrictEnvironment,
    key: str,
    raw: Any,
    context: dict[str, Any],
    prompts: dict[str, Any],
    ask: bool,
) -> Any:
    if isinstance(raw, list):
        options = [render_variable(environment, option, context) for option in raw]
        if not options:
            raise UpdateError(f"the template's question {key!r} offers no choice", USAGE_ERROR)
        return read_user_choice(key, options, prompts) if ask else options[0]
    if isinstance(raw, bool):
        return read_user_yes_no(key, raw, prompts) if ask else raw
    value = render_variable(environment, raw, context)
    return read_user_variable(key, value, prompts) if ask else value


# --- rendering --------------------------------------------------------------------------


def _render(
    template: Template,
    context: dict[str, Any],
    assets: list[dict[str, Any]],
    layout: Any,
    work: Path,
) -> Rendered:
    """Render the project and its recorded assets; return the files by project path."""
    work.mkdir()
    replay = work / "answers.json"
    replay.write_text(json.dumps({"cookiecutter": context}), encoding="utf-8")
    # Every question has its answer in the replay file: cookiecutter asks nothing.
    project = run_template(
        template.root, work, output_dir=work / "out", error=UpdateError, replay_file=replay
    )
    files = _collect(project)
    asset_root = template.root / ASSET_TEMPLATE
    if not assets or not is_regular_file(asset_root / "cookiecutter.json"):
        return Rendered(files, assets_rendered=False)
    for number, asset in enumerate(assets):
        layer, name = asset["layer"], asset["asset_name"]
        place = work / f"asset-{number}"
        place.mkdir()
        rendered = run_template(
            asset_root,
            place,
            output_dir=place / "out",
            error=UpdateError,
            extra_context={"project_slug": context.get("project_slug", "project"), **asset},
        )
        targets = layout.asset_files(layer, name)
        for role, relative in asset_files(layer, name).items():
            source = rendered / relative
            if is_regular_file(source):
                files[targets[role]] = (source.read_bytes(), _executable(source))
    return Rendered(files, assets_rendered=True)


def _collect(folder: Path) -> dict[str, tuple[bytes, bool]]:
    files: dict[str, tuple[bytes, bool]] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        relative = path.relative_to(folder).as_posix()
        if _is_protected(relative):
            continue
        files[relative] = (path.read_bytes(), _executable(path))
    return files


def _executable(path: Path) -> bool:
    return bool(path.stat().st_mode & 0o111)


# --- the merge --------------------------------------------------------------------------


def _plan(
    root: Path,
    base: Template,
    target: Template,
    answers: dict[str, Any],
    record: Record,
    skip: list[str],
    request: UpdateRequest,
    work: Path,
) -> Plan:
    layout = load_config(root)
    base_context, _ = _complete_context(base.root, answers, keep_private=True, ask=False)
    target_context, new_keys = _complete_context(
        target.root, answers, keep_private=False, ask=not request.no_input
    )
    old_files = _render(base, base_context, record.assets, layout, work / "base")
    new_files = _render(target, target_context, record.assets, layout, work / "target")
    plan = Plan(old=label(base.record), new=label(target.record))
    if record.assets and not (old_files.assets_rendered and new_files.assets_rendered):
        plan.notes.append(
            "the recorded assets were not re-rendered: one of the two template versions "
            f"has no {ASSET_TEMPLATE}/"
        )
        old_files.files, new_files.files = _without_assets(
            old_files.files, new_files.files, record.assets, layout
        )
    labels = ("yours", f"template {plan.old}", f"template {plan.new}")
    for relative in sorted(set(old_files.files) | set(new_files.files)):
        old, new = old_files.files.get(relative), new_files.files.get(relative)
        if old == new:
            continue
        if _is_skipped(relative, skip):
            plan.outcomes.append(Outcome(relative, "skipped", note="[tool.polster.update] skip"))
            continue
        outcome = _merge_one(root, relative, old, new, labels, work)
        if outcome is not None:
            plan.outcomes.append(outcome)
    for key in new_keys:
        plan.notes.append(f"new question {key}: {json.dumps(target_context[key])}")
    hook = _hook()
    stored = _stored_document(root)
    text = hook.answers_text(target_context, target.record, record.assets)
    if text != stored:
        plan.extra_writes[ANSWERS_FILE] = text.encode("utf-8")
    snapshot_file = str(hook.SNAPSHOT_FILE)
    snapshot = root / snapshot_file
    if target.record["kind"] in ("polster", "folder"):
        content = hook.snapshot_bytes(target.root)
        if not is_regular_file(snapshot) or snapshot.read_bytes() != content:
            plan.extra_writes[snapshot_file] = content
    elif lexists(snapshot):
        plan.extra_writes[snapshot_file] = None
    plan.new_answers = target_context
    return plan


def _without_assets(
    old: dict[str, tuple[bytes, bool]],
    new: dict[str, tuple[bytes, bool]],
    assets: list[dict[str, Any]],
    layout: Any,
) -> tuple[dict[str, tuple[bytes, bool]], dict[str, tuple[bytes, bool]]]:
    paths = {
        path
        for asset in assets
        for path in layout.asset_files(asset["layer"], asset["asset_name"]).values()
    }
    return (
        {key: value for key, value in old.items() if key not in paths},
        {key: value for key, value in new.items() if key not in paths},
    )


def _stored_document(root: Path) -> str:
    try:
        return (root / ANSWERS_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


_NOT_REGULAR = object()


def _project_file(root: Path, relative: str) -> Any:
    """``(content, executable)`` of the project's file, None if absent, or _NOT_REGULAR."""
    path = root / relative
    if not _inside(root, path):
        return _NOT_REGULAR
    if not lexists(path):
        return None
    if path.is_symlink() or not is_regular_file(path):
        return _NOT_REGULAR
    try:
        return (path.read_bytes(), _executable(path))
    except OSError as error:
        raise UpdateError(f"cannot read {relative}: {os_reason(error, root)}") from None


def _inside(root: Path, path: Path) -> bool:
    """Whether ``path``'s folder is in the project (not reached through a link out)."""
    try:
        return path.parent.resolve().is_relative_to(root)
    except (OSError, ValueError, RuntimeError):
        return False


def _merge_one(
    root: Path,
    relative: str,
    old: tuple[bytes, bool] | None,
    new: tuple[bytes, bool] | None,
    labels: tuple[str, str, str],
    work: Path,
) -> Outcome | None:
    """What to do with one file the template changed between the two versions."""
    mine = _project_file(root, relative)
    if mine is _NOT_REGULAR:
        return Outcome(relative, "left", note="not a regular file in the project: left alone")
    if new is None:  # the template removed it
        assert old is not None
        if mine is None:
            return None
        if mine[0] == old[0]:
            return Outcome(relative, "removed")
        return Outcome(relative, "kept", note="removed by the template, changed here: kept")
    if mine is None:
        if old is None:
            return Outcome(relative, "added", new[0], new[1])
        return Outcome(relative, "kept", note="deleted here, changed by the template: left out")
    executable = new[1] if old is None or mine[1] == old[1] else mine[1]
    if mine[0] == new[0]:
        if mine[1] != executable:
            return Outcome(relative, "updated", new[0], executable)
        return None
    if old is not None and mine[0] == old[0]:
        return Outcome(relative, "updated", new[0], executable)
    base = old[0] if old is not None else b""
    if any(b"\0" in content for content in (mine[0], base, new[0])):
        return Outcome(
            relative, "conflict", conflicts=1, note="binary file changed here and in the template"
        )
    merged, conflicts = _merge_file(mine[0], base, new[0], labels, work)
    if conflicts:
        return Outcome(relative, "conflict", merged, executable, conflicts)
    if merged == mine[0]:
        return None
    return Outcome(relative, "merged", merged, executable)


def _merge_file(
    mine: bytes, base: bytes, theirs: bytes, labels: tuple[str, str, str], work: Path
) -> tuple[bytes, int]:
    """``git merge-file``: the merged text and the number of conflicts in it."""
    folder = Path(tempfile.mkdtemp(prefix="merge-", dir=work))
    paths = []
    for name, content in (("mine", mine), ("base", base), ("theirs", theirs)):
        path = folder / name
        path.write_bytes(content)
        paths.append(str(path))
    names = [shown(text) for text in labels]
    env = {key: value for key, value in os.environ.items() if key not in _GIT_LOCATION}
    try:
        done = subprocess.run(
            ["git", "merge-file", "-p", "-L", names[0], "-L", names[1], "-L", names[2], *paths],
            capture_output=True,
            env=env,
            timeout=GIT_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise UpdateError("git is not installed; polster update needs it") from None
    except (OSError, subprocess.SubprocessError) as error:
        raise UpdateError(f"git merge-file failed: {one_line(error)}") from None
    finally:
        remove_tree(folder)
    if done.returncode < 0 or done.returncode > 127:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UpdateError(f"git merge-file failed: {shown(said[-1]) if said else 'error'}")
    return done.stdout, done.returncode


# --- writing ----------------------------------------------------------------------------


def _apply(root: Path, plan: Plan) -> None:
    """Write every change, all or nothing: staged in a scratch folder, then moved in."""
    writes: dict[str, tuple[bytes, bool] | None] = {}
    for outcome in plan.outcomes:
        if outcome.status == "removed":
            writes[outcome.path] = None
        elif outcome.content is not None:
            writes[outcome.path] = (outcome.content, outcome.executable)
    for relative, content in plan.extra_writes.items():
        writes[relative] = None if content is None else (content, False)
    if not writes:
        return
    for relative in writes:
        if not _inside(root, root / relative):
            raise UpdateError(
                f"{shown(relative)} would be written outside the project (through a link); "
                "nothing was changed"
            )
    try:
        scratch = Path(tempfile.mkdtemp(prefix=".polster-update-", dir=root))
    except OSError as error:
        raise UpdateError(f"cannot write in the project: {os_reason(error, root)}") from None
    try:
        staged = _stage(root, scratch, writes)
        _swap_in(root, scratch, writes, staged)
    except OSError as error:
        raise UpdateError(
            f"could not update the project: {os_reason(error, root)}; nothing was changed"
        ) from None
    finally:
        remove_tree(scratch)


def _stage(
    root: Path, scratch: Path, writes: dict[str, tuple[bytes, bool] | None]
) -> dict[str, Path]:
    mask = _umask()
    staged: dict[str, Path] = {}
    for number, (relative, change) in enumerate(writes.items()):
        if change is None:
            continue
        content, executable = change
        path = scratch / f"new-{number}"
        path.write_bytes(content)
        existing = root / relative
        if is_regular_file(existing):
            mode = existing.stat().st_mode & 0o7777
            mode = (mode | (0o111 & ~mask)) if executable else (mode & ~0o111)
        else:
            mode = (0o777 if executable else 0o666) & ~mask
        if relative == ANSWERS_FILE or relative.startswith(".polster/"):
            mode = 0o666 & ~mask
        os.chmod(path, mode)
        staged[relative] = path
    return staged


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _swap_in(
    root: Path,
    scratch: Path,
    writes: dict[str, tuple[bytes, bool] | None],
    staged: dict[str, Path],
) -> None:
    aside: list[tuple[Path, Path]] = []
    placed: list[Path] = []
    folders: list[Path] = []
    with interrupts_deferred():
        try:
            for number, relative in enumerate(writes):
                target = root / relative
                if lexists(target):
                    moved = scratch / f"old-{number}"
                    os.rename(target, moved)
                    aside.append((target, moved))
                if relative in staged:
                    _make_folders(target.parent, root, folders)
                    rename_no_replace(staged[relative], target)
                    placed.append(target)
        except BaseException:
            for target in reversed(placed):
                with contextlib.suppress(OSError):
                    target.unlink()
            for target, moved in reversed(aside):
                with contextlib.suppress(OSError):
                    rename_no_replace(moved, target)
            for folder in reversed(folders):
                with contextlib.suppress(OSError):
                    folder.rmdir()
            raise
    for relative, change in writes.items():
        if change is None:
            _remove_empty_folders((root / relative).parent, root)


def _make_folders(folder: Path, root: Path, created: list[Path]) -> None:
    missing: list[Path] = []
    while not is_folder(folder):
        if lexists(folder):
            raise NotADirectoryError(20, "Not a directory", str(folder))
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir()
        created.append(path)


def _remove_empty_folders(folder: Path, root: Path) -> None:
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


# --- what it says -----------------------------------------------------------------------

_VERBS = {
    "added": "added",
    "updated": "updated",
    "merged": "merged",
    "removed": "removed",
    "conflict": "CONFLICT",
    "kept": "kept",
    "skipped": "skipped",
    "left": "left",
}


def _report(plan: Plan, say: Callable[[str], None]) -> None:
    say(f"Updated from {plan.old} to {plan.new}.")
    for outcome in plan.outcomes:
        detail = outcome.note
        if outcome.status == "merged":
            detail = "your edits kept"
        elif outcome.status == "conflict" and not detail:
            count = outcome.conflicts
            detail = f"{count} conflict{'s' if count > 1 else ''}: resolve the markers"
        suffix = f" ({detail})" if detail else ""
        say(f"  {_VERBS[outcome.status]:<8} {shown(outcome.path)}{suffix}")
    for note in plan.notes:
        say(f"  note: {shown(note)}")
    if not plan.outcomes:
        say("  no file changed")
    if plan.conflicts:
        names = ", ".join(shown(outcome.path) for outcome in plan.conflicts)
        say(
            f"{len(plan.conflicts)} file{'s' if len(plan.conflicts) > 1 else ''} with conflicts: "
            f"{names}. Edit them to keep what you want between the <<<<<<< and >>>>>>> "
            "markers, then commit."
        )
    else:
        say("Review the changes (git diff) and commit them.")


def _show_diff(root: Path, plan: Plan, say: Callable[[str], None]) -> None:
    say(f"Would update from {plan.old} to {plan.new} (dry run: nothing written).")
    for outcome in plan.outcomes:
        if not outcome.writes:
            say(f"# {_VERBS[outcome.status]} {shown(outcome.path)}: {outcome.note}")
            continue
        before = _project_file(root, outcome.path)
        old = before[0] if isinstance(before, tuple) else b""
        new = outcome.content or b""
        header = f"# {_VERBS[outcome.status]} {shown(outcome.path)}"
        say(header)
        if b"\0" in old or b"\0" in new:
            say(f"Binary file {shown(outcome.path)} differs")
            continue
        diff = difflib.unified_diff(
            old.decode("utf-8", "replace").splitlines(keepends=True),
            new.decode("utf-8", "replace").splitlines(keepends=True),
            fromfile="/dev/null" if outcome.status == "added" else f"a/{outcome.path}",
            tofile="/dev/null" if outcome.status == "removed" else f"b/{outcome.path}",
        )
        for line in diff:
            say(line.rstrip("\n"))
    for note in plan.notes:
        say(f"# note: {shown(note)}")
    if ANSWERS_FILE in plan.extra_writes:
        say(f"# {ANSWERS_FILE} would record {plan.new}")
    if plan.conflicts:
        say(f"# {len(plan.conflicts)} file(s) would have conflicts")
