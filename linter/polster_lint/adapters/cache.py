"""A content-hash cache of extracted module facts, so that a warm run parses only what changed.

The cache is one JSON file in ``<project>/.polster_cache/``: for every file, the
``stat`` signature and content hash it was read with and the facts extracted from it.
A file whose size and modification time are unchanged is not even read; one whose
content hash matches is not parsed.

A cache must never change a verdict, so it is trusted only when this user wrote it:

* JSON, not pickle: reading a cache never runs code.
* The file carries a keyed hash (HMAC) of its content, under a random key kept in the
  user's own cache folder (``~/.cache/polster/cache-key``), outside every repository. A
  cache that arrived with a clone, was force-added to git or copied from elsewhere fails
  the check and is ignored, as is a damaged one; so is one in the wrong shape.
* Writes go to a temporary file renamed over the old one, so concurrent runs (two
  pre-commit hooks, an editor and a terminal) only ever see a whole cache.

Where no key can be kept (no writable home), the linter simply runs without a cache.
"""

import hashlib
import hmac
import json
import os
import secrets
import stat
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from polster_lint import __version__
from polster_lint.adapters.project import UnreadableFile, read_module
from polster_lint.domain.model import (
    AssetDecl,
    Key,
    ModuleFacts,
    Position,
    Reference,
    Symbol,
    TableRead,
)

CACHE_DIR = ".polster_cache"
_IGNORE_EVERYTHING = b"# Created by polster-lint: nothing here belongs in git.\n*\n"
_MAX_CACHE_BYTES = 1 << 30
"""Far above any real cache (about 1 KB per module); a bigger file is not read."""
_CACHE_FILE = "lint.json"
_FORMAT = 3

Signature = tuple[int, int]
"""A file's size and modification time in nanoseconds."""

_T = TypeVar("_T")


def content_hash(source: bytes) -> str:
    return hashlib.blake2b(source, digest_size=16).hexdigest()


def stat_signature(path: Path) -> Signature | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns)


def user_cache_key(project: Path) -> bytes | None:
    """This user's secret for signing caches, created on first use; None if it cannot be
    kept safely.

    The key must live where no repository can supply it: a relative ``XDG_CACHE_HOME`` is
    ignored, and a key folder inside ``project`` (CI systems often point
    ``XDG_CACHE_HOME`` into the checkout) means no cache at all, since a pull request
    could then ship a key together with a cache it signed.
    """
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(base) / "polster"
    if not os.path.isabs(folder) or _inside(folder, project):
        return None
    key_file = folder / "cache-key"
    try:
        return _read_key(key_file)
    except (OSError, ValueError, UnreadableFile):
        pass
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".cache-key.")
        with os.fdopen(handle, "w", encoding="ascii") as sink:
            sink.write(secrets.token_hex(32))
        try:
            os.link(temporary, key_file)  # create-if-absent: a concurrent first run may win
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
        return _read_key(key_file)
    except (OSError, ValueError, UnreadableFile):
        return None


def _read_key(key_file: Path) -> bytes | None:
    """The key in ``key_file``, read like a module: a FIFO or /dev/zero is refused."""
    raw = read_module(key_file, key_file.parent, _MAX_KEY_BYTES)
    return bytes.fromhex(raw.decode("ascii").strip()) or None


def _inside(path: Path, folder: Path) -> bool:
    real, top = os.path.realpath(path), os.path.realpath(folder)
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


_MAX_KEY_BYTES = 1024


class FactsCache:
    """Facts by file path, with the signature and hash they were extracted from."""

    def __init__(self, root: Path, key: bytes) -> None:
        self.root = root
        self.folder = root / CACHE_DIR
        self.entries: dict[str, dict[str, Any]] = {}
        self.changed = False
        self._key = key

    @classmethod
    def for_project(cls, root: Path) -> "FactsCache | None":
        """The project's cache, loaded; None when this user cannot keep signed caches."""
        key = user_cache_key(root)
        if key is None:
            return None
        cache = cls(root, key)
        cache.load()
        return cache

    def load(self) -> None:
        try:
            # Read like a module: a FIFO or a link to /dev/zero named lint.json is refused.
            raw = read_module(self.folder / _CACHE_FILE, self.root, _MAX_CACHE_BYTES)
        except UnreadableFile:
            return
        signature, _, body = raw.partition(b"\n")
        if not hmac.compare_digest(signature, self._sign(body)):
            return  # not written by this user, or damaged: start cold
        try:
            document = json.loads(body)
        except ValueError:
            return
        if (
            isinstance(document, dict)
            and document.get("format") == _FORMAT
            and document.get("version") == __version__
            and isinstance(document.get("files"), dict)
        ):
            self.entries = {
                path: entry for path, entry in document["files"].items() if isinstance(entry, dict)
            }

    def by_signature(self, key: str, signature: Signature | None) -> ModuleFacts | None:
        entry = self.entries.get(key)
        if entry is None or signature is None or entry.get("stat") != list(signature):
            return None
        return self._facts(entry)

    def by_hash(self, key: str, digest: str) -> ModuleFacts | None:
        entry = self.entries.get(key)
        if entry is None or entry.get("hash") != digest:
            return None
        return self._facts(entry)

    def store(self, key: str, signature: Signature | None, digest: str, facts: ModuleFacts) -> None:
        self.entries[key] = {
            "stat": list(signature) if signature else None,
            "hash": digest,
            "facts": _facts_to_json(facts),
        }
        self.changed = True

    def positions(self, key: str) -> list[Position] | None:
        """Anchor positions computed on an earlier run for the file's cached content."""
        entry = self.entries.get(key)
        if entry is None or "positions" not in entry:
            return None
        return _or_none(
            lambda: [Position(int(line), int(column)) for line, column in entry["positions"]]
        )

    def store_positions(self, key: str, positions: list[Position]) -> None:
        entry = self.entries.get(key)
        if entry is not None:
            entry["positions"] = [[p.line, p.column] for p in positions]
            self.changed = True

    def keep_only(self, keys: set[str]) -> None:
        stale = set(self.entries) - keys
        for key in stale:
            del self.entries[key]
        self.changed = self.changed or bool(stale)

    def save(self) -> None:
        if not self.changed:
            return
        if self.folder.is_symlink():
            return  # it may lead out of the project: never write through it
        temporary = None
        try:
            self.folder.mkdir(exist_ok=True)
            self._write_if_changed(".gitignore", _IGNORE_EVERYTHING)
            document = {"format": _FORMAT, "version": __version__, "files": self.entries}
            # dumps + write: json.dump streams through the slow pure-Python encoder.
            body = json.dumps(document, separators=(",", ":")).encode("utf-8")
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".lint.", suffix=".tmp")
            with os.fdopen(handle, "wb") as sink:
                sink.write(self._sign(body) + b"\n" + body)
            os.replace(temporary, self.folder / _CACHE_FILE)
        except OSError:
            # A read-only checkout still lints; it just stays cold.
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)

    def _write_if_changed(self, name: str, content: bytes) -> None:
        """Put ``content`` at ``name`` in the cache folder, replacing (never following) a
        link or a file with other content, such as one left empty by a full disk."""
        target = self.folder / name
        try:
            status = os.lstat(target)
            if (
                stat.S_ISREG(status.st_mode)
                and status.st_size == len(content)
                and target.read_bytes() == content
            ):
                return
        except OSError:
            pass
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as sink:
                sink.write(content)
            os.replace(temporary, target)
        except OSError:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.blake2b).hexdigest().encode("ascii")

    def _facts(self, entry: dict[str, Any]) -> ModuleFacts | None:
        return _or_none(lambda: _facts_from_json(entry["facts"]))


def _or_none(build: Callable[[], _T]) -> _T | None:
    """The value ``build`` makes from cached JSON, or None when the JSON has another shape.

    Signed caches are written by this code, so this only guards against a cache written
    by a bug or by another release with the same version number: a miss, never a crash.
    """
    try:
        return build()
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return None


def _facts_to_json(facts: ModuleFacts) -> dict[str, Any]:
    document = asdict(facts)
    document["noqa"] = {str(line): sorted(codes) for line, codes in facts.noqa.items()}
    return document


def _facts_from_json(document: dict[str, Any]) -> ModuleFacts:
    error = document["syntax_error"]
    return ModuleFacts(
        module=_text(document["module"]),
        assets=[
            AssetDecl(
                key=_key(asset["key"]),
                anchor=_index(asset["anchor"]),
                function=_optional_text(asset["function"]),
                group=_optional_text(asset["group"]),
                group_anchor=None
                if asset["group_anchor"] is None
                else _index(asset["group_anchor"]),
                deps=[_reference(reference) for reference in asset["deps"]],
            )
            for asset in document["assets"]
        ],
        reads=[
            TableRead(
                key=_key(read["key"]), text=_text(read["text"]), anchor=_index(read["anchor"])
            )
            for read in document["reads"]
        ],
        symbols={
            _text(name): Symbol(
                keys=tuple(_required_key(key) for key in symbol["keys"]),
                target=_target(symbol["target"]),
            )
            for name, symbol in document["symbols"].items()
        },
        syntax_error=(
            (_text(error[0]), Position(int(error[1]["line"]), int(error[1]["column"])))
            if error
            else None
        ),
        noqa={
            int(line): frozenset(_text(code) for code in codes)
            for line, codes in document["noqa"].items()
        },
    )


def _reference(document: dict[str, Any]) -> Reference:
    symbol = document["symbol"]
    return Reference(
        text=_text(document["text"]),
        anchor=_index(document["anchor"]),
        key=_key(document["key"]),
        symbol=(_text(symbol[0]), _text(symbol[1])) if symbol else None,
    )


def _target(value: Any) -> tuple[str, str | None] | None:
    if not value:
        return None
    module, attribute = value
    return (_text(module), _optional_text(attribute))


def _key(value: Any) -> Key | None:
    return None if value is None else _required_key(value)


def _required_key(value: Any) -> Key:
    if not isinstance(value, list):
        raise TypeError("a key is a list of strings")
    return tuple(_text(part) for part in value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _index(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("expected an anchor index")
    return value
