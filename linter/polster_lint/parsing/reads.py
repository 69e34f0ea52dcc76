"""Find the hidden reads of a core module: its ``read_table("<layer>", "<name>")`` calls.

Core modules hold plain Python logic; the linter needs two facts from them: which tables
they read through the storage API, however ``read_table`` was imported or aliased, and
where they read or write storage *without* it (a pandas reader, ``open()`` of a data
file, a Delta or ADLS library, an ``abfs://`` URI: see :func:`storage_call`). CPython's
own ``ast`` parser answers that about ten times faster than libcst and reports positions
directly, so core modules never go through libcst: on a large
project this halves the parsing a cold run must do. Asset modules, where declarations
take many forms, are read with libcst (``extract``).
"""

import ast
import re
import warnings

from polster_lint.domain.model import ModuleFacts, Position, StorageUse, Symbol, TableRead
from polster_lint.parsing.imports import import_base, package_of
from polster_lint.parsing.noqa import noqa_codes

READ_TABLE = "core.storage.read_table"
"""The storage call whose table arguments are hidden data dependencies."""

STORAGE_LIBRARIES = ("deltalake", "adlfs", "pyarrow.parquet", "pyarrow.dataset")
"""Libraries that reach tables directly: a call into one (a function, or a class such as
``DeltaTable``) reads or writes where the asset graph cannot see it."""

PANDAS_READERS = "pandas.read_"
"""pandas' file readers: ``read_csv``, ``read_parquet``, ``read_json``... (any prefix match)."""

FILE_WRITERS = frozenset(
    {"to_parquet", "to_csv", "to_json", "to_excel", "to_feather", "to_orc", "to_pickle", "to_hdf"}
)
"""DataFrame methods that write a file when given a path; without one, ``to_csv()`` and
``to_json()`` return text, which stores nothing. The receiver's type is not known
statically, so any ``x.to_csv(path)`` counts."""

WRITER_PATH_KEYWORDS = frozenset({"path", "path_or_buf", "excel_writer"})

URI_SCHEMES = ("abfs://", "abfss://", "az://")
"""Azure storage URIs: a table addressed by one bypasses the storage module's settings."""

OPEN_FUNCTIONS = frozenset({"builtins.open", "io.open"})

PATH_CALLS = frozenset({"Path", "PurePath", "PosixPath", "join"})
"""Calls whose first argument starts the path they make: ``Path("data/x")``,
``os.path.join("data", name)``."""

_MAY_TOUCH_STORAGE = re.compile(rb"read_|\.to_|open|://|deltalake|adlfs|pyarrow")
"""A cheap screen: a module without any of these has no storage use to look for."""


def storage_call(qualified: str | None, method: str | None, given_path: bool) -> str | None:
    """What to call a call that reads or writes storage itself, or None when it does not.

    ``qualified`` is the dotted name called, through the module's imports (so
    ``pd.read_csv``, ``from pandas import read_csv`` and ``pandas.read_csv`` all read
    ``pandas.read_csv``); ``method`` the attribute called on an object (``df.to_csv``);
    ``given_path`` whether the call has a first positional argument or a path keyword.
    Building an exception of a storage library (``TableNotFoundError(...)``) is not
    storage access.
    """
    if qualified is not None:
        if qualified.startswith(PANDAS_READERS):
            return f"{qualified}()"
        in_library = any(
            qualified == library or qualified.startswith(library + ".")
            for library in STORAGE_LIBRARIES
        )
        if in_library and not qualified.endswith(("Error", "Exception")):
            return f"{qualified}()"
    if method in FILE_WRITERS and given_path:
        return f".{method}()"
    return None


def is_storage_uri(text: str) -> bool:
    return text.lower().startswith(URI_SCHEMES)


def extract_reads(source: bytes, module: str, is_package: bool = False) -> ModuleFacts:
    """The facts of a core module: its table reads, noqa comments, or its syntax error."""
    return _extract_reads(source, module, is_package)[0]


def read_positions(source: bytes, module: str, is_package: bool = False) -> list[Position]:
    """The position of each read found by ``extract_reads`` (its anchors), in order."""
    return _extract_reads(source, module, is_package)[1]


def syntax_error(source: bytes) -> tuple[str, Position] | None:
    """CPython's verdict on the file: None when it parses, else the message and position."""
    return python_tree(source)[1]


def python_tree(source: bytes) -> tuple[ast.Module | None, tuple[str, Position] | None]:
    """CPython's parse of the file: its tree, or None and the message and position."""
    try:
        return _parse(source), None
    except (MemoryError, RecursionError):
        return None, (TOO_DEEP, Position(1, 1))
    except (SyntaxError, ValueError) as error:  # ValueError: null bytes, on older Pythons
        return None, _located(error, source)


TOO_DEEP = "the file is nested too deeply to analyse"

# Bytes that make up words (names, numbers, keywords; any non-ASCII byte) -> "a",
# whitespace -> " ", every other byte (operators, brackets, quotes) -> ".".
_TOKEN_CLASSES = bytes(
    ord("a")
    if chr(byte).isalnum() or byte == ord("_") or byte >= 0x80
    else ord(" ")
    if chr(byte) in " \t\n\r\f\v"
    else ord(".")
    for byte in range(256)
)


def estimated_tokens(source: bytes) -> int:
    """About how many tokens the file has: its words plus its other non-blank bytes.

    A cheap bound on what parsing it will cost, counted at C speed (a few milliseconds a
    megabyte). It counts each byte of an operator and each word inside strings and comments,
    so it errs high: ordinary code scores one token per 4 to 6 bytes.
    """
    classes = source.translate(_TOKEN_CLASSES)
    words = classes.count(b" a") + classes.count(b".a") + classes.startswith(b"a")
    return words + classes.count(b".")


def _extract_reads(
    source: bytes, module: str, is_package: bool
) -> tuple[ModuleFacts, list[Position]]:
    facts = ModuleFacts(module=module, noqa=noqa_codes(source))
    tree, error = python_tree(source)
    if tree is None:
        facts.syntax_error = error
        return facts, []
    package = package_of(module, is_package)
    _top_level_symbols(tree, facts, package)
    reads_tables = b"read_table" in source
    scan_storage = _MAY_TOUCH_STORAGE.search(source) is not None
    if not reads_tables and not scan_storage:
        return facts, []
    imports: list[ast.Import | ast.ImportFrom] = []
    calls: list[ast.Call] = []
    strings: list[ast.Constant | ast.JoinedStr] = []
    not_data: set[int] = set()  # docstrings, and the parts of f-strings (seen whole)
    for node in ast.walk(tree):  # one walk, parents first: imports, calls, strings
        if isinstance(node, ast.Call):
            calls.append(node)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(node)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            not_data.add(id(node.value))
        elif isinstance(node, ast.JoinedStr):
            strings.append(node)
            not_data.update(id(part) for part in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in not_data:
                strings.append(node)
    aliases = _aliases(imports, package)
    reads = sorted(
        (call for call in calls if _qualify(call.func, aliases, module) == READ_TABLE),
        key=lambda call: (call.lineno, call.col_offset),
    )
    lines = source.splitlines()
    positions: list[Position] = []
    for anchor, call in enumerate(reads):
        layer, name = _table_arguments(call)
        if layer is not None and name is not None:
            facts.reads.append(TableRead(key=(layer, name), text="", anchor=anchor))
        else:  # the source text is only shown for reads that cannot be resolved
            code = ast.get_source_segment(source.decode("utf-8", "replace"), call) or ""
            facts.reads.append(TableRead(key=None, text=" ".join(code.split()), anchor=anchor))
        positions.append(_position(lines, call.lineno, call.col_offset))
    if scan_storage:
        uses = _storage_uses(calls, strings, aliases, module)
        for kind, text, node in sorted(uses, key=lambda use: (use[2].lineno, use[2].col_offset)):
            facts.storage.append(StorageUse(kind, text, len(positions)))
            positions.append(_position(lines, node.lineno, node.col_offset))
    return facts, positions


def _storage_uses(
    calls: list[ast.Call],
    strings: list[ast.Constant | ast.JoinedStr],
    aliases: dict[str, str],
    module: str,
) -> list[tuple[str, str, ast.expr]]:
    """The module's storage uses, as (kind, text, node): see ``StorageUse``."""
    found: list[tuple[str, str, ast.expr]] = []
    for call in calls:
        func = call.func
        if isinstance(func, ast.Name) and func.id == "open" and "open" not in aliases:
            qualified: str | None = "builtins.open"
        else:
            qualified = _qualify(func, aliases, module)
        if qualified in OPEN_FUNCTIONS:
            path = _literal_path(call.args[0]) if call.args else None
            if path is not None:
                found.append(("open", path, call))
            continue
        method = func.attr if isinstance(func, ast.Attribute) else None
        given_path = bool(call.args) or any(
            keyword.arg in WRITER_PATH_KEYWORDS for keyword in call.keywords
        )
        what = storage_call(qualified, method, given_path)
        if what is not None:
            found.append(("call", what, call))
    for node in strings:
        text = _literal_path(node)
        if text is not None and is_storage_uri(text):
            found.append(("uri", text, node))
    return found


def _literal_path(node: ast.expr) -> str | None:
    """The literal start of a path: a string, an f-string's leading text, the first
    argument of ``Path(...)`` or ``os.path.join(...)``, the left of ``/``."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        return _literal_path(node.values[0]) if node.values else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return _literal_path(node.left)
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        return _literal_path(node.args[0]) if name in PATH_CALLS else None
    return None


def _top_level_symbols(tree: ast.Module, facts: ModuleFacts, package: str) -> None:
    """What asset modules may import from a core module: classes (a resource defined in
    core), dict constants (shared decorator options), and the names it imports."""
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    facts.symbols[alias.asname] = Symbol(target=(alias.name, None))
                else:
                    top = alias.name.split(".")[0]
                    facts.symbols[top] = Symbol(target=(top, None))
        elif isinstance(node, ast.ImportFrom):
            base = import_base(package, node.level, node.module)
            if base is None:
                continue
            for alias in node.names:
                if alias.name != "*":
                    facts.symbols[alias.asname or alias.name] = Symbol(target=(base, alias.name))
        elif isinstance(node, ast.ClassDef):
            facts.symbols[node.name] = Symbol(
                bases=tuple(_base(base, facts) for base in node.bases)
            )
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                facts.symbols.pop(target.id, None)
                if isinstance(node.value, ast.Dict):
                    facts.symbols[target.id] = Symbol(options=_options(node.value))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            facts.symbols.pop(node.name, None)


def _base(node: ast.expr, facts: ModuleFacts) -> str:
    """A base class as a dotted name, through the imports seen so far."""
    if isinstance(node, ast.Subscript):
        node = node.value
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return "?"
    symbol = facts.symbols.get(node.id)
    if symbol is not None and symbol.target is not None:
        module, attribute = symbol.target
        head = f"{module}.{attribute}" if attribute else module
    else:
        head = f"{facts.module}.{node.id}"
    return ".".join([head, *reversed(parts)])


def _options(node: ast.Dict) -> tuple[tuple[str, str | None], ...]:
    found: list[tuple[str, str | None]] = []
    for key, value in zip(node.keys, node.values, strict=True):
        name = _string(key) if key is not None else "**"
        found.append((name if name is not None else "?", _string(value)))
    return tuple(found)


def _parse(source: bytes) -> ast.Module:
    with warnings.catch_warnings():  # invalid escape sequences and the like: not ours
        warnings.simplefilter("ignore")
        return ast.parse(source)


def _aliases(imports: list[ast.Import | ast.ImportFrom], package: str) -> dict[str, str]:
    """Local name -> dotted name, from the module's imports."""
    aliases: dict[str, str] = {}
    star_read_table = False
    for node in imports:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    aliases[top] = top
            continue
        base = import_base(package, node.level, node.module)
        if base is None:
            continue
        for alias in node.names:
            if alias.name != "*":
                qualified = f"{base}.{alias.name}" if base else alias.name
                aliases[alias.asname or alias.name] = qualified
            elif f"{base}.read_table" == READ_TABLE:
                # from core.storage import *: read_table is the storage call, unless the
                # module binds the name itself.
                star_read_table = True
    if star_read_table:
        aliases.setdefault("read_table", READ_TABLE)
    return aliases


def _qualify(node: ast.expr, aliases: dict[str, str], module: str) -> str | None:
    if isinstance(node, ast.Name):
        return aliases.get(node.id, f"{module}.{node.id}")
    if isinstance(node, ast.Attribute):
        base = _qualify(node.value, aliases, module)
        return f"{base}.{node.attr}" if base is not None else None
    return None


def _table_arguments(call: ast.Call) -> tuple[str | None, str | None]:
    values: dict[str, ast.expr] = dict(zip(("layer", "name"), call.args, strict=False))
    values.update({keyword.arg: keyword.value for keyword in call.keywords if keyword.arg})
    return _string(values.get("layer")), _string(values.get("name"))


def _string(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _position(lines: list[bytes], line: int, byte_offset: int) -> Position:
    """ast columns count UTF-8 bytes; findings count characters, from 1."""
    prefix = lines[line - 1][:byte_offset] if 0 < line <= len(lines) else b""
    return Position(line, len(prefix.decode("utf-8", "replace")) + 1)


def _located(error: Exception, source: bytes) -> tuple[str, Position]:
    message = getattr(error, "msg", None) or str(error) or "invalid syntax"
    line, column = getattr(error, "lineno", None), getattr(error, "offset", None)
    at = source.find(b"\0")
    if line is None and at >= 0:  # CPython does not say where a null byte is
        line = source.count(b"\n", 0, at) + 1
        column = at - source.rfind(b"\n", 0, at)
    return message, Position(max(line or 1, 1), max(column or 1, 1))
