"""A content-hash cache of extracted module facts, so that a warm run parses only what changed.

The cache is one JSON file in ``<project>/.polster_cache/``: for every file, the
``stat`` signature and content hash it was read with and the facts extracted from it.
A file whose size and modification time are unchanged is not even read; one whose
content hash matches is not parsed. JSON, not pickle: a cache file that came with a
cloned repository must never be able to run code.

Writes go to a temporary file renamed over the old one, so concurrent runs (two
pre-commit hooks, an editor and a terminal) only ever see a whole cache, and a cache
that cannot be read (corrupt, from another version) is simply ignored.
"""

import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

from polster_lint import __version__
from polster_lint.domain.model import AssetDecl, ModuleFacts, Position, Reference, Symbol, TableRead

CACHE_DIR = ".polster_cache"
_CACHE_FILE = "lint.json"
_FORMAT = 2


def content_hash(source: bytes) -> str:
    return hashlib.blake2b(source, digest_size=16).hexdigest()


def stat_signature(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns)


class FactsCache:
    """Facts by file path, with the signature and hash they were extracted from."""

    def __init__(self, root: Path) -> None:
        self.folder = root / CACHE_DIR
        self.entries: dict[str, dict] = {}
        self.changed = False

    def load(self) -> None:
        try:
            document = json.loads((self.folder / _CACHE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if not isinstance(document, dict):
            return
        if document.get("format") == _FORMAT and document.get("version") == __version__:
            entries = document.get("files")
            self.entries = entries if isinstance(entries, dict) else {}

    def by_signature(self, key: str, signature: tuple[int, int] | None) -> ModuleFacts | None:
        try:
            entry = self.entries.get(key)
            if entry is None or signature is None or tuple(entry["stat"]) != signature:
                return None
            return _facts_from_json(entry["facts"])
        except (KeyError, TypeError, ValueError):  # a damaged entry is a cache miss
            return None

    def by_hash(self, key: str, digest: str) -> ModuleFacts | None:
        try:
            entry = self.entries.get(key)
            if entry is None or entry["hash"] != digest:
                return None
            return _facts_from_json(entry["facts"])
        except (KeyError, TypeError, ValueError):
            return None

    def store(self, key: str, signature, digest: str, facts: ModuleFacts) -> None:
        self.entries[key] = {"stat": signature, "hash": digest, "facts": _facts_to_json(facts)}
        self.changed = True

    def positions(self, key: str) -> list[Position] | None:
        """Anchor positions computed on an earlier run for the file's cached content."""
        entry = self.entries.get(key)
        if entry is None or "positions" not in entry:
            return None
        return [Position(line, column) for line, column in entry["positions"]]

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
        temporary = None
        try:
            self.folder.mkdir(exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# Created by polster-lint: nothing here belongs in git.\n*\n")
            document = {"format": _FORMAT, "version": __version__, "files": self.entries}
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".lint.", suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as sink:
                # dumps + write: json.dump streams through the slow pure-Python encoder.
                sink.write(json.dumps(document, separators=(",", ":")))
            os.replace(temporary, self.folder / _CACHE_FILE)
        except OSError:
            # A read-only checkout still lints; it just stays cold.
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)


def _facts_to_json(facts: ModuleFacts) -> dict:
    document = asdict(facts)
    document["noqa"] = {str(line): sorted(codes) for line, codes in facts.noqa.items()}
    return document


def _facts_from_json(document: dict) -> ModuleFacts:
    error = document["syntax_error"]
    return ModuleFacts(
        module=document["module"],
        assets=[
            AssetDecl(
                key=_key(asset["key"]),
                anchor=asset["anchor"],
                function=asset["function"],
                group=asset["group"],
                group_anchor=asset["group_anchor"],
                deps=[_reference(reference) for reference in asset["deps"]],
            )
            for asset in document["assets"]
        ],
        reads=[
            TableRead(key=_key(read["key"]), text=read["text"], anchor=read["anchor"])
            for read in document["reads"]
        ],
        symbols={
            name: Symbol(
                keys=tuple(tuple(key) for key in symbol["keys"]),
                target=tuple(symbol["target"]) if symbol["target"] else None,
            )
            for name, symbol in document["symbols"].items()
        },
        syntax_error=(error[0], Position(**error[1])) if error else None,
        noqa={int(line): frozenset(codes) for line, codes in document["noqa"].items()},
    )


def _reference(document: dict) -> Reference:
    return Reference(
        text=document["text"],
        anchor=document["anchor"],
        key=_key(document["key"]),
        symbol=tuple(document["symbol"]) if document["symbol"] else None,
    )


def _key(value: list | None) -> tuple | None:
    return tuple(value) if value is not None else None
