"""Fuzz the linter: whatever the files hold, it answers and never crashes.

The promise (``polster_lint.cli``): exit status 0, 1 or 2, never a traceback. Every file
the linter cannot read is reported as POL000 at a position; every other file gives a
clean or violation result. The cases are the hostile ones (syntax errors, empty files,
bytes that are not UTF-8, a NUL byte, a 5 MB module, 10,000 nested brackets or
``lambda``s, in asset modules and in core modules) plus seeded random mutations of the
template's own modules. The command runs in a subprocess, as a user or a pre-commit hook
runs it: a crash of the parser (a segfault) must show up as a failure, not take pytest
down. ``extract`` is also fed a few hundred mutated sources directly.

CPython's own parser is the reference for "cannot be read": a file CPython accepts must
never get POL000, and a POL000 for a file CPython refuses is inside the file, at the line
CPython names unless libcst's parser stopped elsewhere ("parser error: ...").
"""

import ast
import atexit
import functools
import json
import random
import shutil
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

from polster_lint.domain.model import ModuleFacts
from polster_lint.parsing.extract import anchor_positions, extract

from conftest import bake


@functools.cache
def template_source() -> Path:
    """The template's ``src/`` as a user gets it (default answers): its modules hold
    Jinja for the template's options, so they are rendered once before being linted."""
    scratch = Path(tempfile.mkdtemp(prefix="polster-robustness-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    return bake(scratch) / "src"


POLSTER_LINT = str(Path(sys.executable).parent / "polster-lint")
ASSETS = "src/orchestration/assets"

NESTING = 10_000
FILLER = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 35


def huge_module() -> bytes:
    """About 5 MB of valid silver assets that all read bronze/example: a clean file."""
    parts = ['"""Thousands of assets."""\n\nimport dagster as dg\n']
    size, number = len(parts[0]), 0
    while size < 5_000_000:
        block = (
            f'\n\n@dg.asset(key=["silver", "huge_{number}"], group_name="silver",\n'
            f'          deps=[dg.AssetKey(["bronze", "example"])], description="{FILLER}")\n'
            f"def huge_{number}() -> None:\n    return None\n"
        )
        parts.append(block)
        size, number = size + len(block), number + 1
    return "".join(parts).encode()


# name -> file content. Each is written once as an asset module and once as a core module.
SPECIAL_CASES: dict[str, bytes] = {
    "syntax_error": b"import dagster as dg\n\n@dg.asset(deps=[orders]\ndef report(): ...\n",
    "unclosed_string": b'x = 1\ny = "never closed\n',
    "bad_dedent": b"if True:\n        x = 1\n    y = 2\n",
    "tab_error": b"if True:\n\tx = 1\n        y = 2\n",
    "empty": b"",
    "only_comment": b"# nothing here",
    "whitespace": b"   \n\n\t\n",
    "no_final_newline": b"import dagster as dg\n\n@dg.asset\ndef a():\n    return 1",
    "non_utf8": b'x = 1\nname = "caf\xe9 \xff\xfe"\n',
    "latin1_declared": b'# -*- coding: latin-1 -*-\nname = "caf\xe9"\n',
    "unknown_encoding": b"# -*- coding: no-such-codec -*-\nx = 1\n",
    "not_a_text_encoding": b"# -*- coding: rot13 -*-\nx = 1\n",
    "utf16_declared": b"# coding: utf-16\nx = 1\n",
    "utf16_bom": "x = 1\n".encode("utf-16"),
    "lone_surrogate": "x = '\ud800'\n".encode("utf-8", "surrogatepass"),
    "utf8_bom": b'\xef\xbb\xbfimport dagster as dg\n\n@dg.asset(key=["x"])\ndef x(): ...\n',
    "nul_byte": b"import dagster as dg\nx = 1 \x00 2\n",
    "cr_line_endings": b"import dagster as dg\r\r@dg.asset\rdef a():\r    return 1\r",
    "crlf_line_endings": b"import dagster as dg\r\n\r\n@dg.asset\r\ndef a():\r\n    return 1\r\n",
    "binary_garbage": bytes(random.Random(7).randrange(256) for _ in range(4096)),
    "deep_parentheses": b"x = " + b"(" * NESTING + b"1" + b")" * NESTING + b"\n",
    "deep_lists": b"x = " + b"[" * NESTING + b"]" * NESTING + b"\n",
    "deep_calls": b"x = " + b"f(" * NESTING + b")" * NESTING + b"\n",
    "deep_lambdas": b"x = " + b"lambda: " * NESTING + b"1\n",
    "deep_not": b"x = " + b"not " * NESTING + b"1\n",
    "deep_attributes": b"x = " + b"a." * NESTING + b"b\n",
    "deep_deps": (
        b"import dagster as dg\n\n@dg.asset(deps="
        + b"[" * NESTING
        + b"]" * NESTING
        + b")\ndef a():\n    return 1\n"
    ),
    "deep_blocks": b"".join(b" " * i + b"if x:\n" for i in range(150)) + b" " * 150 + b"pass\n",
    "huge": huge_module(),
}


def python_verdict(source: bytes) -> tuple[bool, int | None]:
    """Whether CPython parses ``source``, and the line of its error when it names one."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
    except SyntaxError as error:  # line 0 for an unknown encoding: the first line
        return False, max(error.lineno, 1) if error.lineno is not None else None
    except (ValueError, MemoryError, RecursionError):
        return False, None
    return True, None


def make_project(root: Path) -> Path:
    """A project with the template's own modules (which lint clean)."""
    shutil.copytree(template_source(), root / "src")
    (root / ".polster-answers.json").write_text('{"cookiecutter": {}}')
    return root


@dataclass
class LintRun:
    status: int
    stdout: str
    stderr: str
    findings: list[dict]

    def pol000(self, relative: str) -> list[dict]:
        return [f for f in self.findings if f["path"] == relative and f["code"] == "POL000"]


def lint(root: Path, *options: str) -> LintRun:
    result = subprocess.run(
        [POLSTER_LINT, "--format", "json", *options, str(root)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert "internal error" not in result.stderr, result.stderr
    assert result.returncode in (0, 1), (result.returncode, result.stderr)
    findings = json.loads(result.stdout) if result.stdout.strip() else []
    assert (result.returncode == 1) == bool(findings)
    return LintRun(result.returncode, result.stdout, result.stderr, findings)


def check_file(run: LintRun, root: Path, relative: str) -> None:
    """POL000 only where CPython cannot read the file, and at a place in it."""
    source = (root / relative).read_bytes()
    parses, error_line = python_verdict(source)
    reported = run.pol000(relative)
    if len(source) > 1024 * 1024:  # over max-file-size (default 1 MB): refused unread
        [finding] = reported
        assert (finding["line"], finding["column"]) == (1, 1)
        assert "over the 1 MB limit polster-lint reads" in finding["message"]
        return
    if parses:
        assert reported == [], f"{relative}: POL000 on a file Python reads: {reported}"
        return
    last_line = source.count(b"\n") + source.count(b"\r") + 1
    for finding in reported:
        assert 1 <= finding["line"] <= last_line and finding["column"] >= 1, finding
        if error_line is not None and "parser error" not in finding["message"]:
            assert finding["line"] == error_line, (finding, error_line)


# --- hostile files ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def special_project(tmp_path_factory) -> tuple[Path, list[LintRun]]:
    """Every special case as an asset module and as a core module; linted cold and warm."""
    root = make_project(tmp_path_factory.mktemp("special") / "project")
    for name, content in SPECIAL_CASES.items():
        (root / ASSETS / "silver" / f"run_silver_{name}.py").write_bytes(content)
        if name != "huge":  # one 5 MB module is enough
            (root / "src/core" / f"silver_{name}.py").write_bytes(content)
    # The cold run parses every file; the warm one reads the facts back from the cache.
    return root, [lint(root), lint(root)]


@pytest.mark.parametrize("name", SPECIAL_CASES)
def test_hostile_file_is_reported_or_linted(name, special_project):
    root, runs = special_project
    paths = [f"{ASSETS}/silver/run_silver_{name}.py"]
    if name != "huge":
        paths.append(f"src/core/silver_{name}.py")
    for run in runs:
        for relative in paths:
            check_file(run, root, relative)
            parses, _ = python_verdict((root / relative).read_bytes())
            if not parses:
                # These files are unreadable for libcst too: a position must be reported.
                assert run.pol000(relative), f"{relative}: no POL000"
    assert runs[0].findings == runs[1].findings


def test_deep_nesting_is_refused_quickly(tmp_path):
    """10,000 nested brackets once crashed the process (libcst overflows its stack)."""
    root = make_project(tmp_path / "project")
    relative = f"{ASSETS}/gold/run_gold_deep.py"
    (root / relative).write_bytes(SPECIAL_CASES["deep_parentheses"])
    run = lint(root, "--no-cache")
    [finding] = run.pol000(relative)
    assert (finding["line"], finding["column"]) == (1, 205)  # CPython stops at level 201
    assert "too many nested parentheses" in finding["message"]


def test_template_modules_lint_clean(tmp_path):
    """The baseline every mutation starts from: no finding at all."""
    root = make_project(tmp_path / "project")
    assert lint(root, "--no-cache").findings == []


# --- mutations of the template's modules -----------------------------------------------

ALPHABET = list("()[]{}:,.'\"\\#=@*+-/ \t\n_xé") + ["def ", "lambda ", "\r", "\x00", "\\\n"]


def mutate(source: bytes, rng: random.Random) -> bytes:
    """1 to 4 random edits: delete, insert or duplicate characters and lines, or swap lines."""
    text = source.decode("utf-8")
    for _ in range(rng.randint(1, 4)):
        operation = rng.choice(
            ("delete_char", "insert_char", "duplicate_char", "delete_line", "duplicate_line")
            + ("swap_lines", "indent_line")
        )
        at = rng.randrange(len(text) + 1)
        lines = text.splitlines(keepends=True) or [""]
        line = rng.randrange(len(lines))
        if operation == "delete_char":
            text = text[:at] + text[at + 1 :]
        elif operation == "insert_char":
            text = text[:at] + rng.choice(ALPHABET) + text[at:]
        elif operation == "duplicate_char":
            text = text[:at] + text[at : at + 1] * rng.randint(2, 50) + text[at:]
        elif operation == "delete_line":
            text = "".join(lines[:line] + lines[line + 1 :])
        elif operation == "duplicate_line":
            text = "".join(lines[: line + 1] + lines[line:])
        elif operation == "swap_lines":
            other = rng.randrange(len(lines))
            lines[line], lines[other] = lines[other], lines[line]
            text = "".join(lines)
        else:
            lines[line] = rng.choice((" ", "    ", "\t")) + lines[line]
            text = "".join(lines)
    data = text.encode("utf-8")
    if rng.random() < 0.05:  # now and then a byte that is not UTF-8 at all
        at = rng.randrange(len(data) + 1)
        data = data[:at] + bytes([rng.choice((0x80, 0xC3, 0xFF))]) + data[at:]
    return data


def template_modules() -> list[tuple[str, str, bytes]]:
    """(layer, kind, source) of the template's asset modules and core modules."""
    found = []
    for path in sorted((template_source() / "orchestration/assets").glob("*/run_*.py")):
        found.append((path.parent.name, "asset", path.read_bytes()))
    for path in sorted((template_source() / "core").glob("*.py")):
        layer = path.stem.partition("_")[0]
        found.append(
            (
                layer if layer in ("bronze", "silver", "gold") else "silver",
                "core",
                path.read_bytes(),
            )
        )
    return found


def test_mutated_template_modules(tmp_path):
    """Seeded mutations of every template module, linted together in one project."""
    rng = random.Random(20261128)
    root = make_project(tmp_path / "project")
    written = []
    modules = template_modules()
    for number in range(240):
        layer, kind, source = modules[number % len(modules)]
        if kind == "asset":
            relative = f"{ASSETS}/{layer}/run_{layer}_mutant{number}.py"
        else:
            relative = f"src/core/{layer}_mutant{number}.py"
        (root / relative).write_bytes(mutate(source, rng))
        written.append(relative)
    unreadable = 0
    for run in (lint(root), lint(root)):  # cold, then from the cache
        for relative in written:
            check_file(run, root, relative)
            unreadable += bool(run.pol000(relative))
    # The mutations must reach both outcomes, or this test proves little.
    assert 0 < unreadable < 2 * len(written)
    # The graph view places every asset too (it needs positions in every asset module).
    graph = subprocess.run(
        [POLSTER_LINT, "--graph", "json", str(root)], capture_output=True, text=True, timeout=300
    )
    assert graph.returncode == 0 and graph.stderr == "", graph.stderr
    assert all(asset["line"] >= 1 for asset in json.loads(graph.stdout)["assets"])


def test_extract_never_raises_on_mutated_sources():
    rng = random.Random(42)
    modules = template_modules()
    for number in range(400):
        layer, kind, source = modules[number % len(modules)]
        mutated = mutate(source, rng)
        module = f"orchestration.assets.{layer}.run_{layer}_m" if kind == "asset" else "core.m"
        facts = extract(mutated, module)
        assert isinstance(facts, ModuleFacts)
        positions = anchor_positions(mutated, module)
        anchors = [a.anchor for a in facts.assets]
        anchors += [r.anchor for a in facts.assets for r in a.deps]
        anchors += [a.group_anchor for a in facts.assets if a.group_anchor is not None]
        anchors += [read.anchor for read in facts.reads]
        if facts.syntax_error is None:
            # The engine looks a finding's position up by anchor: every anchor has one.
            assert all(anchor < len(positions) for anchor in anchors), mutated
        else:
            message, position = facts.syntax_error
            assert message and position.line >= 1 and position.column >= 1
            assert facts.assets == [] and facts.reads == []
