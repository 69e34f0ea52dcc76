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

FILE_READERS = ("pandas.read_", "polars.read_", "polars.scan_")
"""pandas' and polars' file readers: ``read_csv``, ``read_parquet``, ``scan_parquet``...
(any prefix match, however the library is imported)."""

NOT_FILE_READERS = frozenset(
    {
        "read_sql",
        "read_sql_query",
        "read_sql_table",
        "read_gbq",
        "read_clipboard",
        "read_database",
        "read_database_uri",
    }
)
"""Readers of a database or the clipboard: a query is not a table file of the project."""

FILE_WRITERS = frozenset(
    {
        # pandas DataFrame
        "to_parquet",
        "to_csv",
        "to_json",
        "to_excel",
        "to_feather",
        "to_orc",
        "to_pickle",
        "to_hdf",
        # polars DataFrame and LazyFrame
        "write_parquet",
        "write_csv",
        "write_json",
        "write_ndjson",
        "write_ipc",
        "write_ipc_stream",
        "write_avro",
        "write_excel",
        "write_delta",
        "sink_parquet",
        "sink_csv",
        "sink_ipc",
        "sink_ndjson",
    }
)
"""DataFrame methods that write a file when given a path; without one, ``to_csv()`` and
``write_csv()`` return text, which stores nothing. The receiver's type is not known
statically, so any ``x.to_csv(path)`` counts."""

WRITER_PATH_KEYWORDS = frozenset({"path", "path_or_buf", "excel_writer", "file", "target"})

READER_PATH_KEYWORDS = frozenset({"filepath_or_buffer", "path", "path_or_buf", "io", "source"})

IN_MEMORY = frozenset({"io.StringIO", "io.BytesIO"})
"""In-memory buffers: a reader or writer given one (or a name assigned one) stores nothing."""

URI_SCHEMES = ("abfs://", "abfss://", "az://")
"""Azure storage URIs: a table addressed by one bypasses the storage module's settings."""

TEXT_CALLS = frozenset({"builtins.print", "warnings.warn"})
TEXT_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical"})
"""Calls whose arguments are messages for people (``print``, ``log.info``,
``context.log.warning``...): a URI in them is named, not opened."""

TEXT_KEYWORDS = frozenset({"description", "metadata"})
"""Keyword arguments that are text shown to people (an asset's ``description=``, its
``metadata=``): a URI in them is named, not opened."""

OPEN_FUNCTIONS = frozenset({"builtins.open", "io.open"})

PATH_METHODS = frozenset({"read_text", "read_bytes", "write_text", "write_bytes", "open"})
"""``pathlib.Path`` methods that read or write the file: ``Path("data/x").read_text()``."""

PATH_CALLS = frozenset({"Path", "PurePath", "PosixPath", "join"})
"""Calls whose first argument starts the path they make: ``Path("data/x")``,
``os.path.join("data", name)``."""

MAY_TOUCH_STORAGE = re.compile(
    rb"read_|scan_|\.to_|\.write_|\.sink_|open|://|deltalake|adlfs|pyarrow"
)
"""A cheap screen: a module without any of these has no storage use to look for."""


def storage_call(qualified: str | None, method: str | None, target: str | None) -> str | None:
    """What to call a call that reads or writes storage itself, or None when it does not.

    ``qualified`` is the dotted name called, through the module's imports (so
    ``pd.read_csv``, ``from pandas import read_csv`` and ``pandas.read_csv`` all read
    ``pandas.read_csv``); ``method`` the attribute called on an object (``df.to_csv``);
    ``target`` what the call is given to read or write: ``path`` (a first positional
    argument or a path keyword), ``memory`` (an ``io.StringIO``/``io.BytesIO`` buffer,
    which stores nothing) or None (nothing). A database reader (``read_sql``) and
    building an exception of a storage library (``TableNotFoundError(...)``) are not
    storage access.
    """
    if target == "memory":
        return None
    if qualified is not None:
        name = qualified.rpartition(".")[2]
        if qualified.startswith(FILE_READERS) and name not in NOT_FILE_READERS:
            return f"{qualified}()"
        in_library = any(
            qualified == library or qualified.startswith(library + ".")
            for library in STORAGE_LIBRARIES
        )
        if in_library and not qualified.endswith(("Error", "Exception")):
            return f"{qualified}()"
    if method in FILE_WRITERS and target == "path":
        return f".{method}()"
    return None


def is_text_call(qualified: str | None, method: str | None) -> bool:
    """Whether a call's arguments are a message for people (see ``TEXT_METHODS``)."""
    return qualified in TEXT_CALLS or method in TEXT_METHODS


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
    scan_storage = MAY_TOUCH_STORAGE.search(source) is not None
    if not reads_tables and not scan_storage:
        return facts, []
    imports: list[ast.Import | ast.ImportFrom] = []
    calls: list[ast.Call] = []
    strings: list[ast.Constant | ast.JoinedStr] = []
    buffers: list[tuple[ast.expr, ast.expr]] = []  # (target, value) of assignments
    not_data: set[int] = set()  # docstrings, and the parts of f-strings (seen whole)
    for node in ast.walk(tree):  # one walk, parents first: imports, calls, strings
        if isinstance(node, ast.Call):
            calls.append(node)
            for keyword in node.keywords:  # description=, metadata=: text for people
                if keyword.arg in TEXT_KEYWORDS:
                    not_data.update(id(inner) for inner in ast.walk(keyword.value))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(node)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            not_data.add(id(node.value))
        elif isinstance(node, ast.JoinedStr):
            if id(node) not in not_data:
                strings.append(node)
            not_data.update(id(part) for part in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in not_data:
                strings.append(node)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            buffers.append((node.targets[0], node.value))
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            buffers.append((node.optional_vars, node.context_expr))
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
        in_memory = {
            target.id
            for target, value in buffers
            if isinstance(target, ast.Name)
            and isinstance(value, ast.Call)
            and _qualify(value.func, aliases, module) in IN_MEMORY
        }
        uses = _storage_uses(calls, strings, aliases, module, in_memory)
        for kind, text, node in sorted(uses, key=lambda use: (use[2].lineno, use[2].col_offset)):
            facts.storage.append(StorageUse(kind, text, len(positions)))
            positions.append(_position(lines, node.lineno, node.col_offset))
    return facts, positions


def _storage_uses(
    calls: list[ast.Call],
    strings: list[ast.Constant | ast.JoinedStr],
    aliases: dict[str, str],
    module: str,
    in_memory: set[str],
) -> list[tuple[str, str, ast.expr]]:
    """The module's storage uses, as (kind, text, node): see ``StorageUse``.
    ``in_memory`` holds the names assigned an in-memory buffer."""
    found: list[tuple[str, str, ast.expr]] = []
    messages: set[int] = set()  # the strings in the arguments of print(), log.info()...
    for call in calls:
        func = call.func
        if isinstance(func, ast.Name) and func.id in ("open", "print") and func.id not in aliases:
            qualified: str | None = f"builtins.{func.id}"
        else:
            qualified = _qualify(func, aliases, module)
        method = func.attr if isinstance(func, ast.Attribute) else None
        if is_text_call(qualified, method):
            for argument in (*call.args, *(keyword.value for keyword in call.keywords)):
                messages.update(id(inner) for inner in ast.walk(argument))
            continue
        if qualified in OPEN_FUNCTIONS:
            path = _literal_path(call.args[0]) if call.args else None
            if path is not None:
                found.append(("open", path, call))
            continue
        if method in PATH_METHODS and isinstance(func, ast.Attribute):
            receiver = func.value
            path = _literal_path(receiver) if isinstance(receiver, (ast.Call, ast.BinOp)) else None
            if path is not None:
                found.append((f"open:{method}", path, call))
                continue
        positional = [argument for argument in call.args if not isinstance(argument, ast.Starred)]
        given = positional[0] if positional else None
        for keyword in call.keywords:
            if given is None and keyword.arg in WRITER_PATH_KEYWORDS | READER_PATH_KEYWORDS:
                given = keyword.value
        target = None if given is None else "path"
        if isinstance(given, ast.Name) and given.id in in_memory:
            target = "memory"
        elif isinstance(given, ast.Call) and _qualify(given.func, aliases, module) in IN_MEMORY:
            target = "memory"
        what = storage_call(qualified, method, target)
        if what is not None:
            found.append(("call", what, call))
    for node in strings:
        text = _literal_path(node)
        if text is not None and is_storage_uri(text) and id(node) not in messages:
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
