"""``polster add-asset`` answered interactively, through a real pseudo-terminal.

The command only prompts when stdin and stdout are terminals, so these tests give it
one: the child runs on the slave side of ``os.openpty()`` (a 40x200 window is set on
it, with ``TERM=xterm``), and the test plays the user on the master side. It reads what
prompt_toolkit draws as it arrives, answers its cursor position requests as a real
terminal does, waits for a prompt's text before it types, and sends the bytes a
keyboard sends (arrow keys as escape sequences, Enter as ``\\r``, Ctrl-C as ``\\x03``).
"""

import ast
import codecs
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest

from conftest import POLSTER, bake, clean_env, project_files, run

STEP_TIMEOUT = 20.0  # seconds allowed for each expected piece of screen output
ROWS, COLUMNS = 40, 200  # wide enough that no prompt or validation message wraps

DOWN = "\x1b[B"
ENTER = "\r"
SPACE = " "
BACKSPACE = "\x7f"
CTRL_C = "\x03"

CURSOR_POSITION_REQUEST = b"\x1b[6n"
# Escape sequences: OSC strings, then CSI sequences (parameters, final byte), then the
# two-byte ones. Styles (m) and mode switches (h, l) are dropped; the others move the
# cursor or erase, so they become a line break, which keeps words drawn at different
# places from running together.
OSC = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
CSI = re.compile(r"\x1b\[[0-?]*[ -/]*([@-~])")
ESC = re.compile(r"\x1b[@-Z\\-_]")
ASSET_KEY = re.compile(r"\b(?:bronze|silver|gold)/\w+")

ASSET_FILES = (
    "src/core/{layer}_{name}.py",
    "src/orchestration/assets/{layer}/run_{layer}_{name}.py",
    "tests/test_{layer}_{name}.py",
)


def strip_ansi(text: str) -> str:
    text = OSC.sub("", text)
    text = CSI.sub(lambda match: "" if match.group(1) in "mhl" else "\n", text)
    text = ESC.sub("", text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


class Terminal:
    """A command running on a pseudo-terminal, with the test at the keyboard."""

    def __init__(self, command: list[str], cwd: Path) -> None:
        self.raw = b""
        self.text = ""  # everything received, decoded, escape sequences included
        self.mark = 0  # where the next expect() starts looking, in self.screen
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._answered_cprs = 0
        self._eof = False
        self.master, slave = os.openpty()
        try:
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
            env = clean_env({"TERM": "xterm", "COLUMNS": str(COLUMNS), "LINES": str(ROWS)})
            self.process = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                start_new_session=True,
            )
        except BaseException:
            os.close(self.master)
            raise
        finally:
            os.close(slave)

    def __enter__(self) -> "Terminal":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        try:
            if self.process.poll() is None:
                # The child leads its own process group (start_new_session), so this also
                # ends the hook scripts cookiecutter may be running for it.
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STEP_TIMEOUT)
        finally:
            os.close(self.master)

    @property
    def screen(self) -> str:
        """What was drawn so far, without escape sequences."""
        return strip_ansi(self.text)

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def _read(self, timeout: float) -> None:
        """Take in what the child wrote within ``timeout`` seconds, if anything."""
        if self._eof:
            return
        ready, _, _ = select.select([self.master], [], [], max(timeout, 0))
        if not ready:
            return
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: every process holding the slave side has closed it
            data = b""
        if not data:
            self._eof = True
            self.text += self._decoder.decode(b"", final=True)
            return
        self.raw += data
        self.text += self._decoder.decode(data)
        # Answer prompt_toolkit's cursor position requests, as a terminal would;
        # counting them in the whole output also catches one split across reads.
        requests = self.raw.count(CURSOR_POSITION_REQUEST)
        while self._answered_cprs < requests:
            self.send("\x1b[1;1R")
            self._answered_cprs += 1

    def expect(self, text: str, timeout: float = STEP_TIMEOUT) -> str:
        """Wait until ``text`` is drawn after the previous match; return what led to it."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen
            found = screen.find(text, self.mark)
            if found >= 0:
                before, self.mark = screen[self.mark : found], found + len(text)
                return before
            if self._eof:
                status = self.process.wait(timeout=STEP_TIMEOUT)
                why = f"the command ended (exit status {status}) before {text!r} appeared"
            elif time.monotonic() > deadline:
                why = f"{text!r} did not appear within {timeout:.0f} s"
            else:
                self._read(deadline - time.monotonic())
                continue
            pytest.fail(f"{why}; the screen ended with:\n{screen[-3000:]}")

    def wait(self, timeout: float = STEP_TIMEOUT) -> int:
        """Read until the child closes the terminal; return its exit status."""
        deadline = time.monotonic() + timeout
        while not self._eof:
            if time.monotonic() > deadline:
                pytest.fail(f"the command did not finish; the screen ended with:\n{self.screen}")
            self._read(deadline - time.monotonic())
        return self.process.wait(timeout=max(deadline - time.monotonic(), 1))


def add_asset(project: Path, *args: str) -> Terminal:
    return Terminal([POLSTER, "add-asset", "--project-dir", str(project), *args], cwd=project)


def declared_deps(asset_module: Path) -> list[tuple[str, ...]]:
    """The keys in the ``deps=[...]`` of the module's ``@dg.asset`` decorator, sorted."""
    tree = ast.parse(asset_module.read_text())
    (asset,) = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    (decorator,) = asset.decorator_list
    (deps,) = [keyword.value for keyword in decorator.keywords if keyword.arg == "deps"]
    keys = []
    for call in deps.elts:
        assert ast.unparse(call.func) == "dg.AssetKey"
        keys.append(tuple(ast.literal_eval(call.args[0])))
    return sorted(keys)


def asset_files(layer: str, name: str) -> set[str]:
    return {pattern.format(layer=layer, name=name) for pattern in ASSET_FILES}


def assert_files(project: Path, layer: str, name: str) -> None:
    for path in asset_files(layer, name):
        assert (project / path).is_file(), path


def between(screen: str, start: str, end: str) -> str:
    """The part of ``screen`` from the first ``start`` to the ``end`` after it."""
    first = screen.index(start)
    return screen[first : screen.index(end, first)]


@pytest.fixture
def project(tmp_path) -> Path:
    return bake(tmp_path)


def test_silver_asset_fully_interactive(project):
    result = run(
        [POLSTER, "add-asset", "--layer", "bronze", "--name", "customers", "--no-input"]
        + ["--project-dir", str(project)],
        cwd=project,
    )
    assert result.returncode == 0, result.stderr
    before = project_files(project)

    with add_asset(project) as term:
        term.expect("Layer of the new asset:")
        term.expect("gold")  # the whole list is drawn
        term.send(DOWN)
        term.send(ENTER)
        term.expect("Layer of the new asset: silver")

        term.expect("Asset name (lowercase snake_case):")
        term.send("Bad-Name")
        term.expect("Bad-Name")
        term.send(ENTER)
        term.expect("invalid asset name 'Bad-Name': use lowercase snake_case")
        assert term.process.poll() is None
        term.send(BACKSPACE * len("Bad-Name"))
        term.send("customers_cleaned")
        term.expect("customers_cleaned")
        term.send(ENTER)

        term.expect("Upstream assets of the new silver asset")
        term.expect("bronze/example")
        term.send(SPACE)  # bronze/customers, the first choice
        term.send(DOWN)
        term.send(SPACE)  # bronze/example
        term.send(ENTER)
        term.expect("done (2 selections)")
        term.expect("Created silver/customers_cleaned:")
        assert term.wait() == 0, term.screen

    checkbox = between(term.screen, "Upstream assets of", "Created silver/customers_cleaned:")
    assert set(ASSET_KEY.findall(checkbox)) == {"bronze/customers", "bronze/example"}
    assert "Traceback" not in term.screen
    after = project_files(project)
    assert {name: after[name] for name in before} == before
    assert set(after) - set(before) == asset_files("silver", "customers_cleaned")
    asset_module = project / "src/orchestration/assets/silver/run_silver_customers_cleaned.py"
    assert declared_deps(asset_module) == [("bronze", "customers"), ("bronze", "example")]
    text = asset_module.read_text()
    assert 'dg.AssetKey(["bronze", "customers"]),' in text
    assert 'dg.AssetKey(["bronze", "example"]),' in text


def test_gold_asset_asks_only_for_silver_upstreams(project):
    with add_asset(project, "--layer", "gold", "--name", "summary") as term:
        term.expect("Upstream assets of the new gold asset")
        term.expect("silver/example")
        term.send(ENTER)  # nothing selected yet
        term.expect("select at least one upstream asset")
        assert term.process.poll() is None  # still at the question
        assert not (project / "src/core/gold_summary.py").exists()
        term.send(SPACE)
        term.send(ENTER)
        term.expect("[silver/example]")
        term.expect("Created gold/summary:")
        assert term.wait() == 0, term.screen

    checkbox = between(term.screen, "Upstream assets of", "Created gold/summary:")
    assert set(ASSET_KEY.findall(checkbox)) == {"silver/example"}
    assert "Layer of the new asset" not in term.screen
    assert "Asset name" not in term.screen
    assert_files(project, "gold", "summary")
    asset_module = project / "src/orchestration/assets/gold/run_gold_summary.py"
    assert declared_deps(asset_module) == [("silver", "example")]


def test_ctrl_c_aborts_without_touching_the_project(project):
    before = project_files(project)
    with add_asset(project) as term:
        term.expect("Layer of the new asset:")
        term.expect("gold")
        term.send(CTRL_C)
        term.expect("polster: interrupted")
        status = term.wait()

    assert status == 130, term.screen
    lines = term.screen.splitlines()
    assert [line for line in lines if "interrupt" in line.lower()] == ["polster: interrupted"]
    assert "Traceback" not in term.screen
    assert "KeyboardInterrupt" not in term.screen
    assert project_files(project) == before
