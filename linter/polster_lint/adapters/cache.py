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

import dataclasses
import functools
import hashlib
import hmac
import json
import os
import secrets
import stat
import tempfile
import types
import typing
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from polster_lint import __version__
from polster_lint.adapters.project import UnreadableFile, read_module
from polster_lint.domain.model import ModuleFacts, Position

CACHE_DIR = ".polster_cache"
_IGNORE_EVERYTHING = b"# Created by polster-lint: nothing here belongs in git.\n*\n"
_MAX_CACHE_BYTES = 1 << 30
"""Far above any real cache (about 1 KB per module); a bigger file is not read."""
_CACHE_FILE = "lint.json"
_FORMAT = 4

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


def _facts_to_json(facts: ModuleFacts) -> Any:
    return _encode(facts)


def _facts_from_json(document: Any) -> ModuleFacts:
    facts = _decode(ModuleFacts, document)
    assert isinstance(facts, ModuleFacts)
    return facts


_PLAIN = (str, int, bool, float, type(None))


def _encode(value: Any) -> Any:
    """Facts as JSON values: dataclasses as objects, tuples and sets as lists."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is list or kind is tuple:
        return [_encode(item) for item in value]
    if kind is dict:
        return {str(key): _encode(item) for key, item in value.items()}
    if kind is frozenset or kind is set:
        return sorted(_encode(item) for item in value)
    names = _FIELD_NAMES.get(kind)
    if names is None:
        if not dataclasses.is_dataclass(kind):
            raise TypeError(f"cannot encode {kind.__name__}")
        names = _FIELD_NAMES[kind] = tuple(field.name for field in dataclasses.fields(kind))
    return {name: _encode(getattr(value, name)) for name in names}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _decode(hint: Any, value: Any) -> Any:
    """``value`` (JSON) as the type ``hint`` says, checked all the way down.

    Driven by the model's type annotations, so that a field added to the facts needs no
    change here; anything of another shape raises (TypeError, ValueError, KeyError).
    """
    return _decoder(hint)(value)


_Decoder = Callable[[Any], Any]


@functools.cache
def _decoder(hint: Any) -> _Decoder:
    """A function decoding JSON into ``hint``, built once per type (warm runs decode the
    facts of every module)."""
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        options = [argument for argument in arguments if argument is not type(None)]
        if len(options) != 1 or len(arguments) != 2:
            raise TypeError(f"cannot decode a union of {arguments}")
        inner = _decoder(options[0])
        return lambda value: None if value is None else inner(value)
    if hint in (str, bool):
        return partial(_exactly, hint)
    if hint is int:
        return _natural
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        hints = typing.get_type_hints(hint)
        fields = [(field.name, _decoder(hints[field.name])) for field in dataclasses.fields(hint)]
        cls = hint

        def instance(value: Any) -> Any:
            if not isinstance(value, dict):
                raise TypeError(f"expected an object for {cls.__name__}")
            return cls(**{name: decode(value[name]) for name, decode in fields})

        return instance
    if origin is tuple and len(arguments) == 2 and arguments[1] is Ellipsis:
        item = _decoder(arguments[0])
        return lambda value: tuple(item(each) for each in _list(value))
    if origin is tuple:
        items = [_decoder(argument) for argument in arguments]

        def fixed(value: Any) -> Any:
            if len(_list(value)) != len(items):
                raise ValueError("a tuple of the wrong length")
            return tuple(decode(each) for decode, each in zip(items, value, strict=True))

        return fixed
    if origin is list:
        item = _decoder(arguments[0])
        return lambda value: [item(each) for each in _list(value)]
    if origin is frozenset:
        item = _decoder(arguments[0])
        return lambda value: frozenset(item(each) for each in _list(value))
    if origin is dict:
        key_type, item_type = arguments
        key = int if key_type is int else _decoder(key_type)
        item = _decoder(item_type)

        def mapping(value: Any) -> Any:
            if not isinstance(value, dict):
                raise TypeError("expected an object")
            return {key(name): item(each) for name, each in value.items()}

        return mapping
    raise TypeError(f"no decoder for {hint!r}")


def _exactly(kind: type, value: Any) -> Any:
    if not isinstance(value, kind):
        raise TypeError(f"expected {kind.__name__}")
    return value


def _natural(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("expected a non-negative integer")
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError("expected a list")
    return value


@functools.cache
def _fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(cls)
