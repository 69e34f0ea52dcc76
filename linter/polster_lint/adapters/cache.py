"""Where the engine gets the facts of the project's files: from a cache when a file's
content is the one they were extracted from, else parsed. A warm run parses only what
changed, and when no file's facts changed it takes the last verdict as it was.

The engine talks to :class:`FactsSource` only: it asks for the facts of its files (and,
for the files it reports on, where their anchors are) and hands back the verdict it
found. Signatures, hashes and the files on disk stay in here.

The cache lives in ``<project>/.polster_cache/``, in two files:

* ``lint.json``, the index: for every file its ``stat`` signature (size, modification
  time), the hash of the content the facts were extracted from, a digest of the facts
  and where their text is in the facts file; anchor positions once they were needed;
  and the last verdict (the violations found, with the settings and the support modules
  they were found with). A warm run reads only this.
* ``facts-<mac>.bin``: the facts of every file as JSON texts, end to end. A run reads it
  only when it must check the graph again, and writes a new one only when some file's
  facts changed; an edit that leaves every file's facts as they were (a comment, a
  function body) costs the index alone.

A file whose size and modification time are unchanged is not even read; one whose
content hash matches is not parsed. A file changed within two seconds of the run is
checked by its content next time too, since a second change in the same clock tick may
keep size and time (git calls these entries racy).

A cache must never change a verdict, so it is trusted only when this user wrote it:

* JSON, not pickle: reading a cache never runs code.
* The index carries a keyed hash (HMAC) of its content, under a random key kept in the
  user's own cache folder (``~/.cache/polster/cache-key``), outside every repository, and
  the keyed hash of the facts file it points at. A cache that arrived with a clone, was
  force-added to git or copied from elsewhere fails the check and is ignored, as is a
  damaged one. Entries in the wrong shape are misses, never a crash: every value is
  checked against the model's types when it is read.
* The cache is only valid for this very build of the linter (its version and the state
  of its source files) and, for the facts, the settings that decide how a file is read;
  the verdict also for every other setting.
* Files are read with the bounds of a module (no FIFO, no ``/dev/zero``, no link out of
  the project) and written to a temporary file renamed over the old one, never through a
  linked folder, so concurrent runs (two pre-commit hooks, an editor and a terminal)
  only ever see whole files; the last one to finish wins.

Where no key can be kept (no writable home), the linter simply runs without a cache.
"""

import dataclasses
import functools
import hashlib
import hmac
import importlib.util
import json
import os
import secrets
import stat
import tempfile
import time
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePath
from typing import Any, TypeVar

from polster_lint import __version__
from polster_lint.adapters.project import ListedFile, UnreadableFile, read_module
from polster_lint.domain.config import LintConfig
from polster_lint.domain.model import ModuleFacts, Position, SourceFile
from polster_lint.domain.violation import Violation

CACHE_DIR = ".polster_cache"
_IGNORE_EVERYTHING = b"# Created by polster-lint: nothing here belongs in git.\n*\n"
_MAX_CACHE_BYTES = 1 << 30
"""Far above any real cache (about 1 KB per module); a bigger file is not read."""
_CACHE_FILE = "lint.json"
_FACTS_FILE = "facts-{}.bin"
_FORMAT = 8
_RACY_NS = 2_000_000_000
"""A file modified this close to the run (2 s: coarse file systems keep whole seconds) may
change again without its signature changing; it is checked by content next time."""
_STALE_SECONDS = 60
"""A facts file no index points at is deleted once it is this old (a concurrent run may
still be about to read it)."""

_CHECK_ONLY_SETTINGS = (
    "codes",
    "same_layer_allowed",
    "external",
    "storage_module",
    "data_dir",
    "max_upstreams",
)
"""Settings that change what the rules report, not what a file's facts are: only the
rules read them (POL014 the storage module and data folder, POL016 the upstream limit),
so changing one re-checks the cached facts instead of parsing every file again."""

Signature = tuple[int, int]
"""A file's size and modification time in nanoseconds."""

Parsed = tuple[ModuleFacts, str, str | None]
"""A file parsed: its facts, their JSON text, and the hash of the content read (None when
the file could not be read: its facts then say why)."""

_T = TypeVar("_T")


def content_hash(source: bytes) -> str:
    return hashlib.blake2b(source, digest_size=16).hexdigest()


def _text_digest(text: str) -> str:
    # surrogateescape: a file name that is not UTF-8 keeps its bytes (os.fsdecode made it)
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=12).hexdigest()


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


@functools.cache
def build_id() -> str:
    """This build of the linter: its version and the size and time of its source files
    (and of libcst's), so that an upgrade or an edited checkout never reads facts that an
    older extractor wrote."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    seen: list[tuple[str, int, int]] = []
    for folder, subfolders, names in os.walk(package):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py"):
                try:
                    status = os.stat(os.path.join(folder, name))
                except OSError:
                    continue
                seen.append((os.path.join(folder, name), status.st_size, status.st_mtime_ns))
    spec = importlib.util.find_spec("libcst")
    if spec is not None and spec.origin:
        try:
            status = os.stat(spec.origin)
            seen.append((spec.origin, status.st_size, status.st_mtime_ns))
        except OSError:
            pass
    return f"{__version__}+{_text_digest(repr(seen))}"


def settings_text(config: LintConfig, for_facts: bool = False) -> str:
    """The settings as canonical text: all of them for a verdict, only those that change
    how a file is read for its facts (folders, size limit, definitions module)."""
    values = {
        item.name: _canonical(getattr(config, item.name))
        for item in dataclasses.fields(config)
        if not (for_facts and item.name in _CHECK_ONLY_SETTINGS)
    }
    return json.dumps(values, sort_keys=True)


def _canonical(value: Any) -> Any:
    if isinstance(value, frozenset | set):
        return sorted(_canonical(item) for item in value)
    if isinstance(value, tuple | list):
        return [_canonical(item) for item in value]
    return value


# --- the facts source: what the engine sees --------------------------------------------------


@dataclass
class Verdict:
    """What the rules found for a set of facts, kept to be taken as it is while no file's
    facts change."""

    violations: list[Violation]
    noqa: dict[str, dict[int, frozenset[str]]]
    """The ``noqa`` comments of every file that has some, by relative path."""
    looked_up: list[str]
    """The module names the support modules were looked for under (see ``find_support``)."""
    support: list[str]
    """The support modules that were found, by relative path."""


@dataclass(frozen=True)
class Parsing:
    """What the engine lends the facts source: how to turn a file's bytes into facts (a
    ``str`` instead of bytes says why the file is not read), where a file's anchors are,
    and how to run a task over many files (in parallel processes when it pays).

    ``extract`` must be picklable (a module-level function or a partial of one): it is
    sent to the worker processes."""

    extract: Callable[[ListedFile, bytes | str], ModuleFacts]
    locate: Callable[[SourceFile, bytes], list[Position]]
    run: Callable[[Callable[[ListedFile], Parsed], list[ListedFile]], list[Parsed]]


def parse_file(
    extract: Callable[[ListedFile, bytes | str], ModuleFacts],
    root: str,
    max_size: int,
    keep: bool,
    file: ListedFile,
) -> Parsed:
    """Read one file within the limits and extract its facts: the task of a worker. The
    text of the facts is made only when they are to be ``keep``-t in a cache ("" else)."""
    try:
        source = read_module(file.path, root, max_size)
    except UnreadableFile as refusal:
        facts = extract(file, str(refusal))
        return facts, facts_text(facts) if keep else "", None
    facts = extract(file, source)
    return facts, facts_text(facts) if keep else "", content_hash(source)


_SERIAL_PARSE = 32
"""Up to this many changed files are parsed here with the bytes already read, without
asking the engine for parallel workers."""

_DECODE_BATCH = 1000
"""Facts texts decoded together: one JSON parse per batch, and the parsed JSON of one
batch at a time in memory (all at once, a run whose graph is checked again from the
cache peaked 45 MB higher at 10,000 assets: 205 MB against 159 MB)."""


class FactsSource:
    """The facts of the project's files and the positions of their anchors, from the cache
    or parsed, and the verdict of the last run while it still holds.

    ``files`` given to it are those of one run; :meth:`close` keeps them (and only them)
    in the cache, with the verdict handed to :meth:`remember` or taken from the last run.
    """

    def __init__(
        self, root: Path, config: LintConfig, parsing: Parsing, cache: "FactsCache | None"
    ) -> None:
        self.root = root
        self.config = config
        self.parsing = parsing
        self.cache = cache
        self._root_text = os.fspath(root)
        self._started = time.time_ns()
        self._asked: dict[str, None] = {}
        """Every file asked about this run, in order."""
        self._facts: dict[str, ModuleFacts] = {}
        self._facts_changed = False
        self._verdict: Verdict | None = None
        self._verdict_text: str | None = None
        self._settings = settings_text(config) + "\n" + os.fspath(root)
        self._held = False
        if cache is not None:
            if cache.facts_settings != settings_text(config, for_facts=True):
                cache.clear()
                cache.facts_settings = settings_text(config, for_facts=True)
            earlier = cache.verdict
            if isinstance(earlier, dict) and earlier.get("settings") == self._settings:
                text = earlier.get("verdict")
                self._verdict_text = text if isinstance(text, str) else None
        self._records: dict[str, str] = cache.records if cache is not None else {}
        self._earlier_keys = frozenset(self._records)
        self._linted: dict[str, str | None] = {}
        """File -> the hash of the content its facts (and anchors) were taken from, for the
        files read in this run; None when they were not taken from one same content."""

    @classmethod
    def open(
        cls, root: Path, config: LintConfig, parsing: Parsing, use_cache: bool = True
    ) -> "FactsSource":
        """The facts source of the project at ``root``; without a cache when ``use_cache``
        is false or this user cannot keep signed caches."""
        cache = FactsCache.for_project(root) if use_cache else None
        return cls(root, config, parsing, cache)

    def earlier_verdict(self) -> Verdict | None:
        """The verdict of the last run with the same settings, if there is one; whether it
        still holds is for :meth:`unchanged` to say."""
        if self._verdict_text is None:
            return None
        verdict = _or_none(lambda: _decode(Verdict, json.loads(str(self._verdict_text))))
        if not isinstance(verdict, Verdict):
            self._verdict_text = None
            return None
        return verdict

    def unchanged(self, files: list[ListedFile]) -> bool:
        """Whether ``files`` are exactly the files of the earlier verdict, each with the
        same facts, so that the verdict still holds. Changed files are parsed (and their
        facts compared); unchanged ones are only looked at."""
        self._refresh(files)
        self._held = (
            self._verdict_text is not None
            and not self._facts_changed
            and {file.relative for file in files} == self._earlier_keys
        )
        return self._held

    def facts(self, files: list[ListedFile]) -> list[ModuleFacts]:
        """The facts of ``files``, in order."""
        self._refresh(files)
        missing = [file for file in files if file.relative not in self._facts]
        again: list[ListedFile] = []
        for start in range(0, len(missing), _DECODE_BATCH):
            batch = missing[start : start + _DECODE_BATCH]
            texts = [self._text(file.relative) for file in batch]
            for file, facts in zip(batch, _decode_many(texts), strict=True):
                if facts is None:
                    again.append(file)  # gone from the facts file, or damaged: a miss
                else:
                    self._facts[file.relative] = facts
        if again:
            self._parse(again, {}, rewrite=True)
        return [self._facts[file.relative] for file in files]

    def positions(self, file: SourceFile, fresh: bool = False) -> list[Position]:
        """Where each anchor of ``file`` is: from the cache when computed before for its
        content (unless ``fresh``), else computed from the file as it is now. A file that
        can no longer be read has none: its findings are placed at 1:1."""
        cache = self.cache
        if cache is not None and not fresh and file.relative in cache.positions:
            known = _or_none(lambda: _positions_from_json(cache.positions[file.relative]))
            if known is not None:
                return known
        try:
            source = read_module(os.fspath(file.path), self._root_text, self.config.max_file_size)
        except UnreadableFile:
            return []
        positions = self.parsing.locate(file, source)
        digest = content_hash(source)
        if digest != self.linted_hash(file.relative):
            self._linted[file.relative] = None  # changed between its facts and its places
        record = _or_none(partial(_Record.parse, self._records.get(file.relative, "")))
        if cache is not None and record is not None and record.digest == digest:
            cache.positions[file.relative] = [[p.line, p.column] for p in positions]
            cache.changed = True
        return positions

    def linted_hash(self, relative: str) -> str | None:
        """The hash of the content the facts and anchor positions of ``relative`` were
        taken from (None when unknown, or not from one same content): a fix made from
        them is only right for that content."""
        if relative in self._linted:
            return self._linted[relative]
        record = _or_none(partial(_Record.parse, self._records.get(relative, "")))
        return record.digest if record is not None else None

    def remember(self, verdict: Verdict, files: list[str]) -> None:
        """Keep ``verdict``, found from the facts of ``files`` (relative paths): the cache
        keeps those files alone, so that it holds the verdict's files and no others."""
        self._verdict = verdict
        self._asked = dict.fromkeys(files)

    def close(self) -> None:
        """Save the cache: the files asked about in this run, and the verdict that holds
        for them (none when the graph was not checked and the earlier one does not hold)."""
        cache = self.cache
        if cache is None:
            return
        stale = [key for key in self._records if key not in self._asked]
        for key in stale:
            cache.forget(key)
        if self._verdict is not None:
            cache.verdict = {
                "settings": self._settings,
                "verdict": json.dumps(_encode(self._verdict), separators=(",", ":")),
            }
            cache.changed = True
        elif not (self._held and not self._facts_changed and not stale):
            cache.changed = cache.changed or cache.verdict is not None
            cache.verdict = None
        cache.save()

    # --- inside -----------------------------------------------------------------------------

    def _refresh(self, files: list[ListedFile]) -> None:
        """Check each file not seen yet in this run against its entry; parse what changed.

        The common case, a file whose size and time are those recorded, costs a string
        comparison: the entry starts with them."""
        to_parse: list[ListedFile] = []
        sources: dict[str, bytes] = {}
        records = self._records
        asked = self._asked
        max_size = self.config.max_file_size
        for file in files:
            key = file.relative
            if key in asked:
                continue
            asked[key] = None
            text = records.get(key)
            if text is None:
                to_parse.append(file)
                continue
            signature = file.signature
            if (
                signature is not None
                and signature[0] <= max_size
                and text.startswith(f"{signature[0]} {signature[1]} ")
                and not text.endswith(_RACY)
            ):
                continue  # unchanged, not even read
            record = _or_none(partial(_Record.parse, text))
            if record is None or record.digest is None:
                to_parse.append(file)
                continue
            try:
                source = read_module(file.path, self._root_text, max_size)
            except UnreadableFile:
                to_parse.append(file)  # parsing reports why
                continue
            if content_hash(source) == record.digest:
                # Touched but not changed (a checkout, a formatter that changed nothing).
                record.signature = signature
                record.racy = self._is_racy(signature)
                records[key] = record.text()
                self._mark_changed()
                continue
            to_parse.append(file)
            sources[key] = source
        if to_parse:
            self._parse(to_parse, sources)

    def _parse(
        self, files: list[ListedFile], sources: Mapping[str, bytes], rewrite: bool = False
    ) -> None:
        """Parse ``files`` (``sources``: the bytes of those already read) and store their
        facts; with ``rewrite``, their texts are written again even when unchanged (the
        stored ones could not be read)."""
        task = partial(
            parse_file,
            self.parsing.extract,
            self._root_text,
            self.config.max_file_size,
            self.cache is not None,
        )
        if len(files) <= _SERIAL_PARSE:
            parsed = [self._parse_here(file, sources.get(file.relative), task) for file in files]
        else:
            parsed = self.parsing.run(task, files)
        for file, (facts, text, digest) in zip(files, parsed, strict=True):
            self._facts[file.relative] = facts
            self._linted[file.relative] = digest
            self._store(file, text, digest, rewrite)

    def _parse_here(
        self, file: ListedFile, source: bytes | None, task: Callable[[ListedFile], Parsed]
    ) -> Parsed:
        if source is None:
            return task(file)
        facts = self.parsing.extract(file, source)
        text = facts_text(facts) if self.cache is not None else ""
        return facts, text, content_hash(source)

    def _store(self, file: ListedFile, text: str, digest: str | None, rewrite: bool) -> None:
        cache = self.cache
        if cache is None:
            self._facts_changed = True  # without a cache there is no earlier verdict
            return
        key = file.relative
        fingerprint = _text_digest(text)
        old = _or_none(partial(_Record.parse, self._records.get(key, "")))
        same_facts = old is not None and old.fingerprint == fingerprint
        if not same_facts:
            self._facts_changed = True
        record = _Record(file.signature, digest, fingerprint, None, self._is_racy(file.signature))
        if same_facts and old is not None and old.at is not None and not rewrite:
            record.at = old.at  # the same text is in the facts file already
            cache.texts.pop(key, None)
        else:
            cache.texts[key] = text
        if old is None or digest is None or old.digest != digest:
            cache.positions.pop(key, None)  # other content, other places
        self._records[key] = record.text()
        self._mark_changed()

    def _is_racy(self, signature: Signature | None) -> bool:
        return signature is not None and signature[1] >= self._started - _RACY_NS

    def _mark_changed(self) -> None:
        if self.cache is not None:
            self.cache.changed = True

    def _text(self, key: str) -> str | None:
        if self.cache is None:
            return None
        return self.cache.text_of(key)


_RACY = " r"
"""Ends the entry of a file that must be checked by content next time."""


@dataclass
class _Record:
    """One file's entry in the index, kept there as one line of text (a JSON object per
    file costs ten times more to read and write at tens of thousands of files):
    ``size mtime hash facts-digest offset length``, ``-`` for what is not known, then
    ``r`` for a racy entry."""

    signature: Signature | None
    digest: str | None
    fingerprint: str
    at: tuple[int, int] | None
    racy: bool = False

    def text(self) -> str:
        size, mtime = self.signature if self.signature else ("-", "-")
        offset, length = self.at if self.at else ("-", "-")
        line = f"{size} {mtime} {self.digest or '-'} {self.fingerprint} {offset} {length}"
        return line + _RACY if self.racy else line

    @classmethod
    def parse(cls, text: str) -> "_Record":
        """The entry in ``text``; ValueError when it has another shape."""
        parts = text.split(" ")
        racy = len(parts) == 7 and parts[6] == "r"
        if len(parts) != 6 and not racy:
            raise ValueError("not an entry")
        size, mtime, digest, fingerprint, offset, length = parts[:6]
        signature = None if size == "-" else (_number(size), _number(mtime))
        at = None if offset == "-" else (_number(offset), _number(length))
        if not fingerprint:
            raise ValueError("no facts digest")
        return cls(signature, None if digest == "-" else digest, fingerprint, at, racy)


def _number(text: str) -> int:
    if not (text.isdigit() and text.isascii()):
        raise ValueError("not a number")
    return int(text)


def facts_text(facts: ModuleFacts) -> str:
    """The facts as compact JSON text."""
    return json.dumps(_encode(facts), separators=(",", ":"), ensure_ascii=False)


def _decode_many(texts: list[str | None]) -> list[ModuleFacts | None]:
    """Facts from their texts; None for a text that is missing or of another shape."""
    decode = _decoder(ModuleFacts)
    present = [text for text in texts if text is not None]
    documents: list[Any] | None = None
    try:
        documents = json.loads("[" + ",".join(present) + "]")  # one parse for them all
    except ValueError:
        pass
    if not isinstance(documents, list) or len(documents) != len(present):
        documents = [_or_none(partial(json.loads, text)) for text in present]
    found = iter(documents)
    results: list[ModuleFacts | None] = []
    for text in texts:
        if text is None:
            results.append(None)
            continue
        facts = _or_none(partial(decode, next(found)))
        results.append(facts if isinstance(facts, ModuleFacts) else None)
    return results


def _positions_from_json(value: Any) -> list[Position]:
    return [Position(_natural(pair[0]), _natural(pair[1])) for pair in _list(value)]


# --- the cache files -----------------------------------------------------------------------


class FactsCache:
    """The signed index of a project's files and the facts file it points at.

    ``records`` holds each file's entry as stored (see :class:`_Record`); the facts texts
    are read from the facts file only when asked for. :attr:`entries` shows everything
    decoded, for inspection, and changes made through it are saved too.
    """

    def __init__(self, root: Path, key: bytes) -> None:
        self.root = root
        self.folder = root / CACHE_DIR
        self.records: dict[str, str] = {}
        self.positions: dict[str, Any] = {}
        """Anchor positions, by relative path, for the content the entry was made from."""
        self.texts: dict[str, str] = {}
        """Facts texts stored in this run, not yet in the facts file."""
        self.facts_settings: str | None = None
        self.verdict: Any = None
        self.changed = False
        self._key = key
        self._facts_file: tuple[str, str] | None = None
        """The facts file the index points at: its name and keyed hash."""
        self._blob: bytes | None = None
        self._view: dict[str, dict[str, Any]] | None = None

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
        raw = self._read(_CACHE_FILE)
        if raw is None:
            return
        signature, _, body = raw.partition(b"\n")
        if not hmac.compare_digest(signature, self._sign(body)):
            return  # not written by this user, or damaged: start cold
        try:
            document = json.loads(body)
        except ValueError:
            return
        if not (
            isinstance(document, dict)
            and document.get("format") == _FORMAT
            and document.get("build") == build_id()
            and isinstance(document.get("files"), dict)
        ):
            return
        self.records = {
            key: entry for key, entry in document["files"].items() if isinstance(entry, str)
        }
        positions = document.get("positions")
        self.positions = positions if isinstance(positions, dict) else {}
        self.facts_settings = document.get("settings")
        self.verdict = document.get("verdict")
        facts_file = document.get("facts")
        if (
            isinstance(facts_file, list)
            and len(facts_file) == 2
            and all(isinstance(part, str) for part in facts_file)
        ):
            self._facts_file = (facts_file[0], facts_file[1])

    def clear(self) -> None:
        """Forget every entry and the verdict (the settings that shaped them changed)."""
        self.records.clear()
        self.positions.clear()
        self.texts.clear()
        self.verdict = None
        self.changed = True

    def forget(self, key: str) -> None:
        """Drop the entry of a file that is no longer read."""
        self.records.pop(key, None)
        self.positions.pop(key, None)
        self.texts.pop(key, None)
        self.changed = True

    def text_of(self, key: str) -> str | None:
        """The facts text of the file at ``key``, or None when it is not to be had."""
        text = self.texts.get(key)
        if text is not None:
            return text
        record = _or_none(partial(_Record.parse, self.records.get(key, "")))
        if record is None or record.at is None:
            return None
        blob = self._facts_blob()
        if blob is None:
            return None
        offset, length = record.at
        if offset + length > len(blob):
            return None
        return _or_none(partial(blob[offset : offset + length].decode, "utf-8", "surrogateescape"))

    @property
    def entries(self) -> dict[str, dict[str, Any]]:
        """Every entry as plain JSON values, its facts decoded (empty when they are not to
        be had); what is changed through it is written by :meth:`save`."""
        if self._view is None:
            view: dict[str, dict[str, Any]] = {}
            for key, text in self.records.items():
                record = _or_none(partial(_Record.parse, text))
                facts_text = self.text_of(key)
                facts = _or_none(partial(json.loads, facts_text)) if facts_text else None
                facts = _as_object(ModuleFacts, facts)
                entry: dict[str, Any] = {
                    "stat": list(record.signature) if record and record.signature else None,
                    "hash": record.digest if record else None,
                    "facts": facts if facts is not None else {},
                }
                if key in self.positions:
                    entry["positions"] = self.positions[key]
                view[key] = entry
            self._view = view
        return self._view

    def save(self) -> None:
        if not self.changed:
            return
        if self.folder.is_symlink():
            return  # it may lead out of the project: never write through it
        try:
            self.folder.mkdir(exist_ok=True)
            self._write_if_changed(".gitignore", _IGNORE_EVERYTHING)
            if self._view is not None:
                self._take_view()
            if self.texts:
                self._write_facts()
            document = {
                "format": _FORMAT,
                "build": build_id(),
                "settings": self.facts_settings,
                "facts": list(self._facts_file) if self._facts_file else None,
                "files": self.records,
                "positions": self.positions,
                "verdict": self.verdict,
            }
            # dumps + write: json.dump streams through the slow pure-Python encoder.
            body = json.dumps(document, separators=(",", ":")).encode("utf-8")
            self._replace(_CACHE_FILE, self._sign(body) + b"\n" + body)
            self._remove_stale_facts()
            self.changed = False
        except OSError:
            pass  # a read-only checkout still lints; it just stays cold

    def _take_view(self) -> None:
        """Make the entries as :attr:`entries` shows them (edited, perhaps) the records."""
        assert self._view is not None
        records: dict[str, str] = {}
        self.positions = {}
        for key, entry in self._view.items():
            text = json.dumps(_as_list(ModuleFacts, entry.get("facts")), separators=(",", ":"))
            status, digest = entry.get("stat"), entry.get("hash")
            signature = (status[0], status[1]) if isinstance(status, list) else None
            record = _Record(signature, digest, _text_digest(text), None)
            records[key] = record.text()
            self.texts[key] = text
            if "positions" in entry:
                self.positions[key] = entry["positions"]
        self.records = records
        self.verdict = None  # the facts may no longer be those it was found for
        self._view = None

    def _write_facts(self) -> None:
        """Write every entry's facts text into a new facts file and point the entries at
        it; an entry whose text is not to be had is dropped (its file is parsed again).

        The file is written and its keyed hash computed piece by piece: at tens of
        thousands of files, joining the texts first would hold them twice in memory."""
        old = self._facts_blob() if len(self.texts) < len(self.records) else None
        mac = hmac.new(self._key, digestmod=hashlib.blake2b)
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".facts.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as sink:
                offset = 0
                for key in list(self.records):
                    record = _or_none(partial(_Record.parse, self.records[key]))
                    text = self.texts.get(key)
                    if text is not None:
                        data = text.encode("utf-8", "surrogateescape")  # non-UTF-8 file names
                    elif record is not None and record.at is not None and old is not None:
                        data = old[record.at[0] : record.at[0] + record.at[1]]
                    else:
                        data = b""
                    if record is None or not data:
                        self.forget(key)
                        continue
                    record.at = (offset, len(data))
                    self.records[key] = record.text()
                    sink.write(data)
                    mac.update(data)
                    offset += len(data)
            digest = mac.hexdigest()
            name = _FACTS_FILE.format(digest[:24])
            os.replace(temporary, self.folder / name)
        except OSError:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._facts_file = (name, digest)
        self._blob = None  # read again if asked for after this
        self.texts.clear()

    def _facts_blob(self) -> bytes | None:
        if self._blob is None and self._facts_file is not None:
            name, mac = self._facts_file
            raw = self._read(name) if _is_facts_name(name) else None
            if raw is not None and hmac.compare_digest(mac.encode("ascii"), self._sign(raw)):
                self._blob = raw
            else:
                self._facts_file = None  # gone or damaged: every entry is a miss
        return self._blob

    def _read(self, name: str) -> bytes | None:
        try:
            # Read like a module: a FIFO or a link to /dev/zero in the folder is refused.
            return read_module(self.folder / name, self.root, _MAX_CACHE_BYTES)
        except UnreadableFile:
            return None

    def _replace(self, name: str, content: bytes) -> None:
        """Write ``content`` to ``name`` in the cache folder through a temporary file renamed
        over it: readers see the old file or the new one, and a link there is replaced,
        never followed."""
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as sink:
                sink.write(content)
            os.replace(temporary, self.folder / name)
        except OSError:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _remove_stale_facts(self) -> None:
        current = self._facts_file[0] if self._facts_file else None
        limit = time.time() - _STALE_SECONDS
        try:
            with os.scandir(self.folder) as scan:
                for entry in scan:
                    if entry.name != current and _is_facts_name(entry.name):
                        if entry.stat(follow_symlinks=False).st_mtime < limit:
                            os.unlink(entry.path)
        except OSError:
            pass

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
        self._replace(name, content)

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.blake2b).hexdigest().encode("ascii")


def _is_facts_name(name: str) -> bool:
    return name.startswith("facts-") and name.endswith(".bin") and "/" not in name


def _or_none(build: Callable[[], _T]) -> _T | None:
    """The value ``build`` makes from cached JSON, or None when the JSON has another shape.

    Signed caches are written by this code, so this only guards against a cache written
    by a bug or by another release with the same version number: a miss, never a crash.
    """
    try:
        return build()
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return None


# --- from the model to JSON and back -----------------------------------------------------------
#
# Dataclasses are stored as JSON lists of their fields, in order: no names, so the facts
# of ten thousand modules stay small, and decoding is one generated function per class
# that checks each value's type as it goes. Leaving the names out is safe because a cache
# is only read by the very build that wrote it (see ``build_id``).


_PLAIN = (str, int, bool, float, type(None))


def _encode(value: Any) -> Any:
    """A model value as JSON values: dataclasses as lists of their fields, tuples and sets
    as lists (sets sorted), dict keys as text, paths as text."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is list or kind is tuple:
        return [_encode(item) for item in value]
    if kind is dict:
        return {str(key): _encode(item) for key, item in value.items()}
    if kind is frozenset or kind is set:
        return sorted(_encode(item) for item in value)
    if isinstance(value, PurePath):
        return os.fspath(value)
    names = _FIELD_NAMES.get(kind)
    if names is None:
        if not dataclasses.is_dataclass(kind):
            raise TypeError(f"cannot encode {kind.__name__}")
        names = _FIELD_NAMES[kind] = _field_names(kind)
    return [_encode(getattr(value, name)) for name in names]


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(item.name for item in dataclasses.fields(kind))


def _as_object(kind: type, value: Any) -> Any:
    """The list form of a ``kind`` as an object of its field names (for people)."""
    names = _field_names(kind)
    if type(value) is list and len(value) == len(names):
        return dict(zip(names, value, strict=True))
    return value


def _as_list(kind: type, value: Any) -> Any:
    """The object form back as a list; anything else stays as it is (and will not decode)."""
    names = _field_names(kind)
    if type(value) is dict and set(value) == set(names):
        return [value[name] for name in names]
    return value


def _decode(hint: Any, value: Any) -> Any:
    """``value`` (JSON) as the type ``hint`` says, checked all the way down.

    Driven by the model's type annotations, so that a field added to the facts needs no
    change here; anything of another shape raises (TypeError, ValueError, KeyError).
    """
    return _decoder(hint)(value)


_Decoder = Callable[[Any], Any]


@functools.cache
def _decoder(hint: Any) -> _Decoder:
    """A function decoding JSON into ``hint``, built once per type (a run that checks the
    graph again decodes the facts of every module)."""
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        inner = _decoder(_optional(hint))
        return lambda value: None if value is None else inner(value)
    if hint in (str, bool):
        return partial(_exactly, hint)
    if hint is int:
        return _natural
    if hint is Path:
        return lambda value: Path(_exactly(str, value))
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _instance_decoder(hint)
    if hint == tuple[str, ...]:
        return _strings
    if origin is tuple and len(arguments) == 2 and arguments[1] is Ellipsis:
        item = _decoder(arguments[0])
        return lambda value: tuple([item(each) for each in _list(value)])
    if origin is tuple:
        items = [_decoder(argument) for argument in arguments]

        def fixed(value: Any) -> Any:
            if len(_list(value)) != len(items):
                raise ValueError("a tuple of the wrong length")
            return tuple([decode(each) for decode, each in zip(items, value, strict=True)])

        return fixed
    if origin is list:
        item = _decoder(arguments[0])
        return lambda value: [item(each) for each in _list(value)]
    if origin is frozenset:
        item = _decoder(arguments[0])
        return lambda value: frozenset([item(each) for each in _list(value)])
    if origin is dict:
        key_type, item_type = arguments
        key = _integer_key if key_type is int else _decoder(key_type)
        item = _decoder(item_type)

        def mapping(value: Any) -> Any:
            if type(value) is not dict:
                raise TypeError("expected an object")
            return {key(name): item(each) for name, each in value.items()}

        return mapping
    raise TypeError(f"no decoder for {hint!r}")


def _optional(hint: Any) -> Any:
    """``X`` of ``X | None``; TypeError for any other union."""
    arguments = typing.get_args(hint)
    options = [argument for argument in arguments if argument is not type(None)]
    if len(options) != 1 or len(arguments) != 2:
        raise TypeError(f"cannot decode a union of {arguments}")
    return options[0]


_INLINE = {
    str: "type({0}) is not str",
    bool: "type({0}) is not bool",
    int: "type({0}) is not int or {0} < 0",
}
"""When a value is not of the type, written out in a generated decoder: the types most
fields have (ints in the facts are anchors, indexes and positions: never negative)."""


def _instance_decoder(cls: type) -> _Decoder:
    """A generated function that decodes the list form of ``cls``: each field's value is
    checked (simple types in line, the others by their own decoders), then ``cls`` is
    called with them. A wrong length, type or value raises."""
    hints = typing.get_type_hints(cls)
    names = _field_names(cls)
    arguments = [f"_{number}" for number in range(len(names))]
    namespace: dict[str, Any] = {"cls": cls}
    lines = [
        "def decode(value):",
        f"    if type(value) is not list or len(value) != {len(names)}:",
        f"        raise TypeError({cls.__name__ + ': not a list of the fields'!r})",
        f"    {', '.join(arguments)}, = value",
    ]
    for number, name in enumerate(names):
        variable, hint = arguments[number], hints[name]
        optional = typing.get_origin(hint) in (types.UnionType, typing.Union)
        inner = _optional(hint) if optional else hint
        what = f"{cls.__name__}.{name}"
        if inner in _INLINE:
            wrong = _INLINE[inner].format(variable)
            guard = f"{variable} is not None and " if optional else ""
            lines.append(f"    if {guard}({wrong}): raise TypeError({what!r})")
        else:
            namespace[f"decode{variable}"] = _decoder(inner)
            guard = f"if {variable} is not None: " if optional else ""
            lines.append(f"    {guard}{variable} = decode{variable}({variable})")
    lines.append(f"    return cls({', '.join(arguments)})")
    exec("\n".join(lines), namespace)  # noqa: S102 - code made here from type hints only
    decode: _Decoder = namespace["decode"]
    return decode


def _exactly(kind: type, value: Any) -> Any:
    if type(value) is not kind:
        raise TypeError(f"expected {kind.__name__}")
    return value


def _natural(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise ValueError("expected a non-negative integer")
    return value


def _strings(value: Any) -> tuple[str, ...]:
    """A key, or any tuple of strings."""
    if type(value) is not list:
        raise TypeError("expected a list")
    for item in value:
        if type(item) is not str:
            raise TypeError("expected strings")
    return tuple(value)


def _integer_key(value: str) -> int:
    if not value.isdigit() or not value.isascii():
        raise ValueError("expected a number")
    return int(value)


def _list(value: Any) -> list[Any]:
    if type(value) is not list:
        raise TypeError("expected a list")
    return value
