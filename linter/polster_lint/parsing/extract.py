"""Read one Python module with libcst and extract its assets, dependencies and imports.

Only module-level definitions matter to Dagster's asset loading, so the extractor walks
the module's top-level statements. It understands every way current Dagster lets an
asset name its upstreams (``deps``, ``ins``, plain parameters, ``AssetSpec``/``AssetOut``
of multi-assets, graph assets) and leaves names it cannot see through as references for
``graph`` to resolve across modules.

One more walk, over the whole tree (function bodies included), finds what is not a
declaration: asset checks and their targets, and storage reads and writes that bypass
the storage module (``_UsesFinder``).
"""

import ast
import builtins
import re
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from itertools import accumulate
from typing import TypeGuard, TypeVar

import libcst as cst

from polster_lint.domain.dagster_api import CONTEXT_PARAMETER_NAMES, PUBLIC_NAMES, VALID_NAME
from polster_lint.domain.model import (
    DYNAMIC_GROUP,
    AssetDecl,
    Call,
    Key,
    Load,
    ModuleFacts,
    Note,
    Parameter,
    Partitions,
    Position,
    Reference,
    StorageUse,
    Symbol,
)
from polster_lint.parsing.imports import import_base, package_of
from polster_lint.parsing.noqa import noqa_codes
from polster_lint.parsing.reads import (
    IN_MEMORY,
    MAY_TOUCH_STORAGE,
    OPEN_FUNCTIONS,
    PATH_CALLS,
    PATH_METHODS,
    READER_PATH_KEYWORDS,
    TEXT_KEYWORDS,
    TOO_DEEP,
    WRITER_PATH_KEYWORDS,
    estimated_tokens,
    is_storage_uri,
    is_text_call,
    python_tree,
    storage_call,
    syntax_error,
)

_MAY_CHECK_OR_TOUCH_STORAGE = re.compile(rb"_check|" + MAY_TOUCH_STORAGE.pattern)
"""A cheap screen for :class:`_UsesFinder`: every Dagster name that makes an asset check
has ``_check`` in it (``asset_check``, ``multi_asset_check``, ``build_*_checks``)."""


def extract(source: bytes, module: str, is_package: bool = False) -> ModuleFacts:
    """The facts of one module, without positions (the fast path)."""
    return _extract(source, module, is_package, with_positions=False)[0]


def anchor_positions(source: bytes, module: str, is_package: bool = False) -> list[Position]:
    """The position of every anchor of ``extract``'s facts for the same source."""
    return _extract(source, module, is_package, with_positions=True)[1]


def _extract(
    source: bytes, module: str, is_package: bool, with_positions: bool
) -> tuple[ModuleFacts, list[Position]]:
    facts = ModuleFacts(module=module, noqa=noqa_codes(source))
    # Only a module that names Definitions or one of Dagster's loaders can load assets
    # (directly, or through a name another module's definitions use).
    loading = b"Definitions" in source or b"load_" in source
    # Only a module that names an asset check or something that may open storage needs
    # the walk of every node that looks for them (as costly as parsing, with libcst).
    uses = _MAY_CHECK_OR_TOUCH_STORAGE.search(source) is not None
    if _needs_screening(source):
        refusal = _screen(source)
        if refusal is not None:
            facts.syntax_error = refusal
            return facts, []
    try:
        tree = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        facts.syntax_error = _parser_error(error, source)
        return facts, []
    except RecursionError:
        facts.syntax_error = syntax_error(source) or (TOO_DEEP, Position(1, 1))
        return facts, []
    except (SyntaxError, LookupError, ValueError) as error:
        # libcst reads the encoding declaration with ``tokenize`` (SyntaxError) and decodes
        # with the codec it names (LookupError for one that is not a text encoding).
        facts.syntax_error = syntax_error(source) or (
            f"cannot read the file: {type(error).__name__}",
            Position(1, 1),
        )
        return facts, []
    try:
        positions = _analyse(tree, facts, module, is_package, with_positions, loading, uses)
    except RecursionError:
        # libcst walks its trees recursively, a few Python frames per level: a file
        # CPython reads (1,500 implicitly concatenated strings, one nested node each) can
        # exceed the default limit of 1,000 frames. Try again with room to recurse.
        facts = ModuleFacts(module=module, noqa=facts.noqa)
        try:
            positions = _with_deep_stack(
                lambda: _analyse(tree, facts, module, is_package, with_positions, loading, uses)
            )
        except RecursionError:
            facts = ModuleFacts(module=module, noqa=facts.noqa)
            facts.syntax_error = (TOO_DEEP, Position(1, 1))
            positions = []
    return facts, positions


def _analyse(
    tree: cst.Module,
    facts: ModuleFacts,
    module: str,
    is_package: bool,
    with_positions: bool,
    loading: bool = True,
    uses: bool = True,
) -> list[Position]:
    """Fill ``facts`` from the tree; the anchors' positions when asked for."""
    extractor = _ModuleExtractor(facts, module, is_package, loading, uses)
    extractor.run(tree)
    if not with_positions:
        return []
    # Imported here: position metadata is only needed where a finding is reported.
    from libcst.metadata import MetadataWrapper, PositionProvider

    wrapper = MetadataWrapper(tree, unsafe_skip_copy=True)
    ranges = wrapper.resolve(PositionProvider)
    positions = []
    for node, site in extractor.anchors:
        # A value a loop or factory call stands for is not in the tree: its statement is.
        found = ranges.get(node) or (ranges.get(site) if site is not None else None)
        positions.append(
            Position(found.start.line, found.start.column + 1) if found else Position(1, 1)
        )
    return positions


_T = TypeVar("_T")

_DEEP_RECURSION_LIMIT = 50_000
_DEEP_STACK_SIZE = 64 * 1024 * 1024
"""Python frames and C stack for the retry: libcst's deepest trees (3,000 concatenated
strings, the most it parses) need about 9,000 frames and 4 MB; the margin is for Pythons
that spend more of either per frame."""

_deep_stack_lock = threading.Lock()


def _with_deep_stack(work: Callable[[], _T]) -> _T:
    """Run ``work`` in a thread with a large stack and a high recursion limit."""
    result: list[_T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(work())
        except BaseException as error:  # re-raised in the calling thread
            failure.append(error)

    with _deep_stack_lock:  # the recursion limit and the stack size are process-wide
        limit, stack = sys.getrecursionlimit(), threading.stack_size()
        try:
            threading.stack_size(_DEEP_STACK_SIZE)
            sys.setrecursionlimit(max(limit, _DEEP_RECURSION_LIMIT))
            thread = threading.Thread(target=run, name="polster-lint-deep")
            thread.start()
            thread.join()
        finally:
            threading.stack_size(stack)
            sys.setrecursionlimit(limit)
    if failure:
        raise failure[0]
    return result[0]


def _parser_error(error: cst.ParserSyntaxError, source: bytes) -> tuple[str, Position]:
    """What to report when libcst cannot parse the file: CPython's error when it has one."""
    message = error.message.strip().splitlines()[0] if error.message else "invalid syntax"
    message = message if len(message) <= 200 else message[:197] + "..."
    python_error = syntax_error(source)
    if python_error is None:
        # Valid Python that libcst cannot read (for instance more than 3,000 implicitly
        # concatenated strings): not a syntax error, but not analysable either.
        return (
            f"valid Python that libcst, the linter's parser, cannot read ({message})",
            Position(error.raw_line, error.raw_column + 1),
        )
    # CPython's verdict is the one Dagster will meet, and it names the mistake ("expected
    # ':'") where libcst lists every token it could have taken, at 1:1 for tokenizer errors.
    return python_error


MAX_DEPTH = 100
"""The deepest nesting, in CPython's syntax tree, of a module the linter hands to libcst.

libcst parses nested code (``a.b.c...``, ``f()()...``, ``x[0][0]...``, ``a + b + ...``,
``a if b else c if ...``) in time that grows with the square of the depth (seconds for
one chain of 2,000), and overflows its stack, a segfault with no exception to catch, on a
few thousand nested brackets, ``lambda``s, ``and``s or dotted names. CPython's parser
refuses the deepest in milliseconds (Dagster could not import them either) and measures
the rest. Real code stays far below the limit: the deepest of 8,700 modules of popular
packages (numpy, pydantic, dagster ...) reaches 87, and most stay under 20.
"""

_SCREEN_TOKENS = 4 * MAX_DEPTH
"""Files with more tokens than this are screened by CPython's parser before libcst.

A smaller file cannot nest deeper than about a quarter of its tokens (the cheapest level,
``a if b else``, takes four), so the screen, a second parse, is skipped where it cannot
find anything: on most asset modules, which are a few hundred tokens long.
"""


_BRACKETS = b"()[]{}"
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in _BRACKETS)
_BRACKET_STEP = {ord("("): 1, ord("["): 1, ord("{"): 1, ord(")"): -1, ord("]"): -1, ord("}"): -1}
_SCREEN_BRACKETS = 50
"""Deeper brackets are screened whatever the file's length: CPython refuses more than 200
nested brackets, and libcst, which has no such limit, must not accept what CPython refuses."""


def _needs_screening(source: bytes) -> bool:
    """Whether CPython's parser should screen the file before libcst sees it."""
    if estimated_tokens(source) > _SCREEN_TOKENS:
        return True
    brackets = source.translate(None, _NOT_BRACKETS)
    if len(brackets) <= _SCREEN_BRACKETS:
        return False
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets))) > _SCREEN_BRACKETS


def _screen(source: bytes) -> tuple[str, Position] | None:
    """CPython's syntax error, or a refusal of a tree too deep for libcst, or None."""
    tree, error = python_tree(source)
    if tree is None:
        return error
    depth = _depth(tree)
    if depth > MAX_DEPTH:
        return (f"{TOO_DEEP} ({depth} levels; the limit is {MAX_DEPTH})", Position(1, 1))
    return None


def _depth(tree: ast.AST) -> int:
    """How deep libcst's tree for the same source will be, about, from CPython's tree.

    Mostly the depth of CPython's tree, plus what CPython keeps flat and libcst nests:
    ``a and b and c`` (one node per operator) and dotted names in imports (one per dot).
    """
    deepest = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast.BoolOp):
            depth += len(node.values) - 2
        elif isinstance(node, ast.alias):
            depth += node.name.count(".")
        elif isinstance(node, ast.ImportFrom) and node.module:
            depth += node.module.count(".")
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


_ASSET_KINDS = (
    "asset",
    "multi_asset",
    "graph_asset",
    "graph_multi_asset",
    "observable_source_asset",
)
"""Dagster decorators that turn a function into assets (an observable source asset is an
external input, loaded but never materialised by the project)."""

_BARE_DECORATORS = frozenset({"asset", "graph_asset", "observable_source_asset"})
"""The asset decorators whose first parameter is the function (``dg.asset(compute)``)."""

_LOADERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "load_assets_from_package_module": ("package", ("package_module", "group_name", "key_prefix")),
    "load_assets_from_package_name": ("package", ("package_name", "group_name", "key_prefix")),
    "load_assets_from_modules": ("modules", ("modules", "group_name", "key_prefix")),
    "load_assets_from_current_module": ("current", ("group_name", "key_prefix")),
    "load_definitions_from_package_module": ("package", ("package_module",)),
    "load_definitions_from_package_name": ("package", ("package_name",)),
    "load_definitions_from_modules": ("modules", ("modules",)),
    "load_definitions_from_module": ("modules", ("module",)),
    "load_definitions_from_current_module": ("current", ()),
}
"""Dagster's module loaders: what they load (a package with its submodules, the modules
given, the calling module) and their positional parameters."""

_FUNCTIONS_RETURNING_DEFINITIONS = {name for name in _LOADERS if name.startswith("load_def")}

_TIME_WINDOW_DEFINITIONS = {
    "TimeWindowPartitionsDefinition": (
        "start",
        "fmt",
        "end",
        "schedule_type",
        "timezone",
        "end_offset",
        "minute_offset",
        "hour_offset",
        "day_offset",
        "cron_schedule",
        "exclusions",
    ),
    "HourlyPartitionsDefinition": (
        "start_date",
        "end_date",
        "minute_offset",
        "timezone",
        "fmt",
        "end_offset",
        "exclusions",
    ),
    "DailyPartitionsDefinition": (
        "start_date",
        "end_date",
        "minute_offset",
        "hour_offset",
        "timezone",
        "fmt",
        "end_offset",
        "exclusions",
    ),
    "WeeklyPartitionsDefinition": (
        "start_date",
        "end_date",
        "minute_offset",
        "hour_offset",
        "day_offset",
        "timezone",
        "fmt",
        "end_offset",
        "exclusions",
    ),
    "MonthlyPartitionsDefinition": (
        "start_date",
        "end_date",
        "minute_offset",
        "hour_offset",
        "day_offset",
        "timezone",
        "fmt",
        "end_offset",
        "exclusions",
    ),
}
"""Dagster's time-window partitions definitions and their positional parameters (the
start comes first)."""

_DEFAULT_FORMATS = {
    "HourlyPartitionsDefinition": "%Y-%m-%d-%H:%M",
    "DailyPartitionsDefinition": "%Y-%m-%d",
    "WeeklyPartitionsDefinition": "%Y-%m-%d",
    "MonthlyPartitionsDefinition": "%Y-%m-%d",
}
"""The key format of each time-window class when ``fmt`` is not given (its ``__new__``)."""

_CHECK_BUILDERS = frozenset(
    {
        "build_column_schema_change_checks",
        "build_last_update_freshness_checks",
        "build_metadata_bounds_checks",
        "build_time_partition_freshness_checks",
    }
)
"""Dagster's check factories: each makes checks on the assets of its ``assets=``."""

_MAX_FACTORY_DEPTH = 8
_MAX_MADE = 20_000
_MAX_STEPS = 10_000
"""Bounds on what factories and loops may make, and on the loop iterations and factory
calls run to make it, whatever the module does (nested loops over long lists...)."""

_AnyValue = cst.BaseExpression | tuple[int, ...]


class _Scope:
    """Names bound by a loop's target, or inside a factory while it is being run."""

    def __init__(self, function: bool) -> None:
        self.function = function
        self.values: dict[str, cst.BaseExpression] = {}
        self.objects: dict[str, tuple[int, ...]] = {}
        self.functions: dict[str, cst.FunctionDef] = {}


class _ModuleExtractor:
    def __init__(
        self,
        facts: ModuleFacts,
        module: str,
        is_package: bool,
        loading: bool = True,
        uses: bool = True,
    ) -> None:
        self.facts = facts
        self.loading = loading
        self.uses = uses
        """Whether the module may hold asset checks or storage uses to look for."""
        """Whether the module may load assets at all (it names Definitions or a loader)."""
        self.module = module
        self.package = package_of(module, is_package)
        self.aliases: dict[str, str] = {}
        self.constants: dict[str, cst.BaseExpression] = {}
        self.local: set[str] = set()
        self.objects: dict[str, tuple[int, ...]] = {}
        self.factories: dict[str, cst.FunctionDef] = {}
        self.functions: dict[str, cst.FunctionDef] = {}
        """Plain functions, which ``dg.asset(...)(function)`` may turn into assets."""
        self.graphs: dict[str, tuple[cst.FunctionDef, dict[str, cst.BaseExpression]]] = {}
        self.partials: dict[str, tuple[str, Sequence[cst.Arg]]] = {}
        self.scopes: list[_Scope] = []
        self.star_dagster = False
        self.future_annotations = False
        self.type_checking = False
        """Inside ``if TYPE_CHECKING:``: what is bound there does not exist at run time."""
        self.type_only: set[str] = set()
        """Module-level names bound only under ``if TYPE_CHECKING:``."""
        self.opaque = False
        """Declaring a function that a decorator the linter cannot follow wraps."""
        self.next_object = 0
        self.made = 0
        self.steps = 0
        self.site: cst.CSTNode | None = None
        self.anchors: list[tuple[cst.CSTNode, cst.CSTNode | None]] = []
        self.tree: cst.Module | None = None

    # --- walking -------------------------------------------------------------------------

    def run(self, tree: cst.Module) -> None:
        self.tree = tree
        self._statements(tree.body)
        if self.uses:
            tree.visit(_UsesFinder(self))
        for name, objects in self.objects.items():
            held = set(objects)
            keys = tuple(
                decl.key for decl in self.facts.assets if decl.obj in held and decl.key is not None
            )
            previous = self.facts.symbols.get(name)
            factory = previous.factory if previous is not None else False
            self.facts.symbols[name] = Symbol(keys=keys, objects=objects, factory=factory)

    def _statements(self, body: Sequence[cst.CSTNode]) -> None:
        for statement in body:
            if not self.scopes:
                self.site = statement
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self._simple_statement(small)
            elif isinstance(statement, cst.FunctionDef):
                self._function(statement)
            elif isinstance(statement, cst.ClassDef):
                self._class(statement)
            elif isinstance(statement, cst.For):
                self._for(statement)
            elif isinstance(statement, cst.If):
                if not self.scopes and self._is_type_checking(statement.test):
                    self.type_checking = True
                    try:
                        self._statements(statement.body.body)
                    finally:
                        self.type_checking = False
                else:
                    self._statements(statement.body.body)
                orelse = statement.orelse
                while isinstance(orelse, cst.If):
                    self._statements(orelse.body.body)
                    orelse = orelse.orelse
                if isinstance(orelse, cst.Else):
                    self._statements(orelse.body.body)
            elif isinstance(statement, cst.Try):
                self._statements(statement.body.body)
                for handler in statement.handlers:
                    self._statements(handler.body.body)
            elif isinstance(statement, cst.With):
                self._statements(statement.body.body)

    def _simple_statement(self, statement: cst.BaseSmallStatement) -> None:
        if isinstance(statement, cst.Import):
            for alias in statement.names:
                dotted = _dotted(alias.name)
                if alias.asname is not None:
                    self._bind(_name_of(alias.asname.name), dotted, None)
                else:
                    top = dotted.split(".")[0]
                    self._bind(top, top, None)
        elif isinstance(statement, cst.ImportFrom):
            self._import_from(statement)
        elif isinstance(statement, (cst.Assign, cst.AnnAssign)):
            self._assignment(statement)
        elif isinstance(statement, cst.AugAssign):
            target = statement.target
            if isinstance(target, cst.Name) and isinstance(statement.operator, cst.AddAssign):
                added = self._objects_of(statement.value)
                if added is not None:
                    self._set_objects(target.value, self._get_objects(target.value) + added)
        elif isinstance(statement, cst.Expr):
            self._expression_statement(statement.value)

    def _import_from(self, statement: cst.ImportFrom) -> None:
        base = self._import_base(statement)
        if base is None:
            return
        if isinstance(statement.names, cst.ImportStar):
            self.facts.star_imports.append((base, self._anchor(statement)))
            if base == "dagster":
                self.star_dagster = True
            return
        for alias in statement.names:
            name = _dotted(alias.name)
            if base == "__future__" and name == "annotations":
                self.future_annotations = True
            local = _name_of(alias.asname.name) if alias.asname else name
            self._bind(local, base, name)

    def _bind(self, local: str, module: str, attribute: str | None) -> None:
        qualified = f"{module}.{attribute}" if attribute else module
        self._forget(local)
        self.aliases[local] = qualified
        self.facts.symbols[local] = Symbol(target=(module, attribute))
        if self.type_checking:
            self.type_only.add(local)

    def _forget(self, name: str) -> None:
        """``name`` is bound anew at module level: drop what it meant before."""
        if self.scopes and self.scopes[-1].function:
            return
        self.type_only.discard(name)
        self.aliases.pop(name, None)
        self.constants.pop(name, None)
        self.objects.pop(name, None)
        self.factories.pop(name, None)
        self.functions.pop(name, None)
        self.graphs.pop(name, None)
        self.partials.pop(name, None)
        self.facts.symbols.pop(name, None)

    def _import_base(self, statement: cst.ImportFrom) -> str | None:
        module = _dotted(statement.module) if statement.module is not None else None
        return import_base(self.package, len(statement.relative), module)

    def _assignment(self, statement: cst.Assign | cst.AnnAssign) -> None:
        if isinstance(statement, cst.Assign):
            if len(statement.targets) != 1:
                return
            target = statement.targets[0].target
        else:
            target = statement.target
        value = statement.value
        if value is None:
            return
        if isinstance(target, cst.Subscript):
            self._globals_assignment(target, value)
            return
        if not isinstance(target, cst.Name):
            return
        name = target.value
        if self.scopes and self.scopes[-1].function:
            scope = self.scopes[-1]
            objects = self._objects_of(value)
            if objects is not None:
                scope.objects[name] = objects
            else:
                scope.values[name] = self._materialize(value)
            return
        self._forget(name)
        self.local.add(name)
        self.constants[name] = self._materialize(value) if self.scopes else value
        partial = self._partial(value)
        if partial is not None:
            self.partials[name] = partial
            if not self.scopes:
                self.facts.symbols[name] = Symbol(factory=True)
            return
        loads = self._load_expression(value)
        if loads is not None:
            self.facts.symbols[name] = Symbol(loads=tuple(loads))
            if self._is_definitions(value):
                self._add_definitions(loads)
            return
        objects = self._objects_of(value)
        if objects is not None:
            self.objects[name] = objects
            return
        self._remember_call(value)
        if isinstance(value, cst.Dict):
            self.facts.symbols[name] = Symbol(options=self._dict_options(value))
        elif isinstance(value, (cst.Name, cst.Attribute)) and self._literal_key(value) is None:
            qualified = self._qualify(value)
            if qualified is not None:
                self.facts.symbols[name] = Symbol(alias=qualified)
        else:
            key = self._literal_key(value)
            constant = None
            if key:
                written = self._deref(value)
                kind = (
                    "strs"
                    if isinstance(written, (cst.List, cst.Tuple))
                    else "key"
                    if isinstance(written, cst.Call)
                    else "str"
                )
                constant = (kind, key)
            self.facts.symbols[name] = Symbol(
                keys=(key,) if key else (),
                loads=self._names_load(value),
                constant=constant,
                deps=None if key else self._dep_elements(value),
            )

    def _dep_elements(self, value: cst.BaseExpression) -> tuple[tuple[str, ...], ...] | None:
        """A list or tuple constant's elements as dependencies (see ``Symbol.deps``), for
        another module's ``deps=NAME``; None when it is not one."""
        if not isinstance(value, (cst.List, cst.Tuple)) or not value.elements:
            return None
        found: list[tuple[str, ...]] = []
        for element in value.elements:
            if isinstance(element, cst.StarredElement):
                return None
            node = element.value
            if isinstance(node, (cst.Name, cst.Attribute)):
                held = isinstance(node, cst.Name) and self._get_objects(node.value)
                if not held and isinstance(node, cst.Name) and node.value in self.constants:
                    key = self._literal_key(node)
                    if key is None:
                        return None
                    found.append(("key", *key))
                    continue
                qualified = self._qualify(node)
                if qualified is None:
                    return None
                module, _, name = qualified.rpartition(".")
                found.append(("symbol", module, name))
                continue
            if self._is_call_to(node, "AssetSpec"):
                options, _ = self._options(node.args, positional=("key",))
                node = options.get("key", node)
            elif self._is_call_to(node, "AssetDep"):
                return None
            key = self._literal_key(node)
            if key is None:
                return None
            found.append(("key", *key))
        return tuple(found)

    def _names_load(self, value: cst.BaseExpression) -> tuple[int, ...]:
        """A list of names (``ALL_ASSETS = [orders, customers]``): what the definitions
        get if they take it; the graph finds out whether the names hold assets."""
        if not isinstance(value, (cst.List, cst.Tuple)) or not value.elements:
            return ()
        symbols: list[tuple[str, str]] = []
        for element in value.elements:
            node = element.value
            if not isinstance(node, (cst.Name, cst.Attribute)):
                return ()
            if isinstance(node, cst.Name) and node.value in self.constants:
                return ()  # a constant: a key part or a key, not an asset
            qualified = self._qualify(node)
            if qualified is None:
                return ()
            module, _, attribute = qualified.rpartition(".")
            symbols.append((module, attribute))
        return (self._load(value, "names", symbols=tuple(symbols)),)

    def _globals_assignment(self, target: cst.Subscript, value: cst.BaseExpression) -> None:
        """``globals()[name] = make(...)``: the factory pattern that names each asset."""
        holder = target.value
        if not (
            isinstance(holder, cst.Call)
            and isinstance(holder.func, cst.Name)
            and holder.func.value == "globals"
            and len(target.slice) == 1
            and isinstance(target.slice[0].slice, cst.Index)
        ):
            return
        objects = self._objects_of(value)
        if objects is None:
            return
        name = self._literal_string(target.slice[0].slice.value)
        if name is None:
            self._blind(target, "assets bound to computed global names cannot be seen statically")
            return
        self._forget(name)
        self.local.add(name)
        self.objects[name] = objects

    def _expression_statement(self, value: cst.BaseExpression) -> None:
        """``NAMES.append(asset)`` / ``.extend([...])`` on a list of assets."""
        if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)):
            self._remember_call(value)
            return
        holder, method = value.func.value, value.func.attr.value
        if not isinstance(holder, cst.Name) or method not in ("append", "extend"):
            return
        if len(value.args) != 1 or value.args[0].keyword is not None:
            return
        argument = value.args[0].value
        added = self._objects_of(argument)
        if added is None:
            return
        if method == "extend" or isinstance(argument, (cst.List, cst.Tuple)):
            pass
        self._set_objects(holder.value, self._get_objects(holder.value) + added)

    def _get_objects(self, name: str) -> tuple[int, ...]:
        for scope in reversed(self.scopes):
            if scope.function and name in scope.objects:
                return scope.objects[name]
        return self.objects.get(name, ())

    def _set_objects(self, name: str, objects: tuple[int, ...]) -> None:
        for scope in reversed(self.scopes):
            if scope.function:
                scope.objects[name] = objects
                return
        self.objects[name] = objects

    def _class(self, statement: cst.ClassDef) -> None:
        name = statement.name.value
        self._forget(name)
        self.local.add(name)
        bases = []
        for argument in statement.bases:
            base = argument.value
            if isinstance(base, cst.Subscript):  # Generic[T], ConfigurableResourceFactory[X]
                base = base.value
            qualified = self._qualify_type(base)
            bases.append(qualified if qualified is not None else "?")
        self.facts.symbols[name] = Symbol(bases=tuple(bases))

    def _for(self, statement: cst.For) -> None:
        """A loop over a literal list that makes assets: run it, element by element."""
        items = self._iteration(statement.iter)
        if items is None:
            if _declares_assets(statement.body, self):
                self._blind(
                    statement.iter,
                    f"assets made in a loop over {self._code(statement.iter)!r} cannot be "
                    "seen statically",
                )
            return
        names = _target_names(statement.target)
        if names is None:
            return
        for item in items:
            if self.made > _MAX_MADE or not self._step(statement):
                return
            scope = _Scope(function=False)
            values = [item] if len(names) == 1 else _unpack(item, len(names))
            if values is None:
                return
            scope.values.update(zip(names, values, strict=True))
            self.scopes.append(scope)
            try:
                self._statements(statement.body.body)
            finally:
                self.scopes.pop()

    def _iteration(self, expression: cst.BaseExpression) -> list[cst.BaseExpression] | None:
        """The elements a loop or comprehension iterates over, when they are literal."""
        if (
            isinstance(expression, cst.Call)
            and isinstance(expression.func, cst.Attribute)
            and expression.func.attr.value == "items"
            and not expression.args
        ):
            mapping = self._deref(expression.func.value)
            if not isinstance(mapping, cst.Dict):
                return None
            pairs: list[cst.BaseExpression] = []
            for element in mapping.elements:
                if not isinstance(element, cst.DictElement):
                    return None
                pairs.append(cst.Tuple([cst.Element(element.key), cst.Element(element.value)]))
            return pairs
        value = self._deref(expression)
        if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
            items: list[cst.BaseExpression] = []
            for item in value.elements:
                if isinstance(item, cst.StarredElement):
                    inner = self._iteration(item.value)
                    if inner is None:
                        return None
                    items.extend(inner)
                else:
                    items.append(item.value)
            return items
        if isinstance(value, cst.Dict):
            keys = []
            for entry in value.elements:
                if not isinstance(entry, cst.DictElement):
                    return None
                keys.append(entry.key)
            return keys
        return None

    # --- assets --------------------------------------------------------------------------

    def _function(self, function: cst.FunctionDef) -> tuple[int, ...] | None:
        """Declare what a ``def`` makes; the objects it binds its name to, if assets."""
        name = function.name.value
        self._forget(name)
        if not (self.scopes and self.scopes[-1].function):
            self.local.add(name)
        decorated = [(d.decorator, *self._decorator_kind(d.decorator)) for d in function.decorators]
        beneath: list[cst.BaseExpression] = []
        for index, (_, kind, _) in enumerate(decorated):
            if kind in _ASSET_KINDS:
                # Dagster's own decorator makes the asset of what the decorators beneath
                # it return; those above wrap the asset, not the function.
                beneath = [node for node, _, _ in decorated[index + 1 :]]
                decorated = [decorated[index]]
                break
        for node, kind, arguments in decorated:
            if kind in _ASSET_KINDS:
                obj = self._new_object()
                declared = self._declare_wrapped(function, beneath, kind, arguments, node, obj)
                self.facts.assets.extend(declared)
                self._bind_function(name, (obj,))
                return (obj,)
            if kind == "graph":
                self.graphs[name] = (function, _keywords(arguments, ("name",)))
                return None
            if kind == "definitions":
                self._definitions_function(function)
                return None
            if kind == "local-factory" or (
                kind is not None
                and kind.startswith("foreign:")
                and kind.removeprefix("foreign:").split(".")[0].startswith("dagster_")
            ):
                # A decorator of a Dagster integration (dbt_assets...) or a factory of this
                # module: an asset whose key the linter cannot know (POL010 there).
                obj = self._new_object()
                self.facts.assets.append(
                    AssetDecl(
                        key=None, anchor=self._anchor(node), function=name, group=None, obj=obj
                    )
                )
                self._bind_function(name, (obj,))
                return (obj,)
            if kind is not None and kind.startswith("foreign:"):
                # A project function from another module: maybe a factory (the graph knows).
                qualified = kind.removeprefix("foreign:")
                self.facts.calls.append(Call(self._anchor(node), qualified, qualified))
        if not decorated:
            if self.scopes and self.scopes[-1].function:
                self.scopes[-1].functions[name] = function
            elif not self.scopes:
                self.functions[name] = function
        if self.scopes:
            return None
        alias = self._decorator_alias(function)
        if alias is not None:
            self.partials[name] = alias
            # another module that decorates with it makes assets the linter cannot see
            self.facts.symbols[name] = Symbol(factory=True)
        elif _declares_assets(function.body, self):
            self.factories[name] = function
            self.facts.symbols[name] = Symbol(factory=True)
        return None

    def _declare_wrapped(
        self,
        function: cst.FunctionDef,
        beneath: list[cst.BaseExpression],
        kind: str,
        arguments: Sequence[cst.Arg],
        decorator: cst.CSTNode,
        obj: int,
    ) -> list[AssetDecl]:
        """Declare the asset Dagster makes of what the decorators ``beneath`` its own
        return: the function itself when each returns it or a ``functools.wraps(fn)``
        wrapper (``inspect.signature`` follows ``__wrapped__``, the name is copied), the
        wrapper when one returns a plain wrapper of this module. When the linter cannot
        tell (an imported decorator, anything else), the decl says so (``wrapped``) and
        claims no parameters."""
        if not beneath:
            return self._declare(function, kind, arguments, decorator, obj)
        seen = function
        for node in reversed(beneath):  # the one nearest the function applies first
            wrapper = self._wrapper(node, seen)
            if wrapper is None:
                break
            seen = wrapper
        else:
            return self._declare(seen, kind, arguments, decorator, obj)
        qualified = self._qualify(node.func if isinstance(node, cst.Call) else node) or ""
        where = qualified.rpartition(".")[0]
        why = (
            f"it is imported from {where}"
            if where and where != self.module
            else "the linter cannot follow what it returns"
        )
        note = Note(
            self._anchor(node),
            f"cannot tell which parameters Dagster sees in {function.name.value}(): the "
            f"decorator {self._code(node)} beneath the asset decorator may replace them ({why})",
        )
        self.opaque = True
        try:
            declared = self._declare(function, kind, arguments, decorator, obj)
        finally:
            self.opaque = False
        for decl in declared:
            decl.parameters = []
            decl.wrapped = note
            decl.described = True  # the wrapper's docstring may be the description
        return declared

    def _wrapper(
        self, expression: cst.BaseExpression, function: cst.FunctionDef
    ) -> cst.FunctionDef | None:
        """What Dagster sees when the decorator ``expression`` of this module is applied
        to ``function``; None when the linter cannot tell."""
        if isinstance(expression, cst.Call):  # a decorator factory: @retry(times=3)
            if not isinstance(expression.func, cst.Name):
                return None
            factory = self._lookup_function(expression.func.value)
            made = self._returned_function(factory, None) if factory is not None else None
            if made is None or made.decorators:
                return None
            expression_function = made
        elif isinstance(expression, cst.Name):
            found = self._lookup_function(expression.value)
            if found is None or found.decorators:
                return None
            expression_function = found
        else:
            return None
        params = expression_function.params
        if (
            len(params.params) != 1
            or params.posonly_params
            or params.kwonly_params
            or not isinstance(params.star_arg, cst.MaybeSentinel)
            or params.star_kwarg is not None
        ):
            return None
        given = params.params[0].name.value
        returned = self._returned_function(expression_function, given)
        if returned is None:
            return None
        if returned is expression_function:  # returns the function it is given
            return function
        if not returned.decorators:
            # a plain wrapper: Dagster sees its name and its parameters, whose
            # annotations may name what only the decorator's scope holds
            signature = returned.params
            annotated = any(
                param.annotation is not None
                for param in (
                    *signature.posonly_params,
                    *signature.params,
                    *signature.kwonly_params,
                    *([signature.star_arg] if isinstance(signature.star_arg, cst.Param) else []),
                    *([signature.star_kwarg] if signature.star_kwarg is not None else []),
                )
            )
            return None if annotated or returned.returns is not None else returned
        if len(returned.decorators) != 1:
            return None
        wraps = returned.decorators[0].decorator
        if (
            isinstance(wraps, cst.Call)
            and self._qualify(wraps.func) == "functools.wraps"
            and len(wraps.args) == 1
            and wraps.args[0].keyword is None
            and not wraps.args[0].star
            and isinstance(wraps.args[0].value, cst.Name)
            and wraps.args[0].value.value == given
        ):
            return function
        return None

    def _returned_function(
        self, function: cst.FunctionDef, given: str | None
    ) -> cst.FunctionDef | None:
        """The function a decorator (or decorator factory) defines in its body and
        returns, when its body is plain statements ending in ``return NAME``; the
        decorator itself stands for ``return <given>`` (its own parameter)."""
        body = function.body
        if not isinstance(body, cst.IndentedBlock) or not body.body:
            return None
        nested: dict[str, cst.FunctionDef] = {}
        for index, statement in enumerate(body.body):
            if isinstance(statement, cst.FunctionDef):
                nested[statement.name.value] = statement
                continue
            if not isinstance(statement, cst.SimpleStatementLine):
                return None  # if, for, try...: what it returns depends on the run
            for small in statement.body:
                if isinstance(small, cst.Return):
                    if index != len(body.body) - 1 or small is not statement.body[-1]:
                        return None
                    value = small.value
                    if not isinstance(value, cst.Name):
                        return None
                    if value.value == given:
                        return function
                    return nested.get(value.value)
                if isinstance(small, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
                    targets = (
                        [target.target for target in small.targets]
                        if isinstance(small, cst.Assign)
                        else [small.target]
                    )
                    if not all(isinstance(target, cst.Name) for target in targets):
                        return None  # wrapper.__signature__ = ...: not followed
                    if any(
                        isinstance(target, cst.Name) and target.value in nested
                        for target in targets
                    ):
                        return None
                elif isinstance(small, (cst.Global, cst.Nonlocal, cst.Del)):
                    return None
        return None

    def _decorator_alias(self, function: cst.FunctionDef) -> tuple[str, Sequence[cst.Arg]] | None:
        """``def silver_asset(**kwargs): return dg.asset(group_name="silver", **kwargs)``:
        a decorator with defaults, like ``functools.partial``."""
        star = function.params.star_kwarg
        body = function.body.body
        if star is None or function.params.params or len(body) != 1:
            return None
        statement = body[0]
        if not (
            isinstance(statement, cst.SimpleStatementLine)
            and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Return)
            and isinstance(statement.body[0].value, cst.Call)
        ):
            return None
        call = statement.body[0].value
        kind, _ = self._decorator_kind(call.func)
        if kind not in _ASSET_KINDS:
            return None
        assert kind is not None
        passed = [
            argument
            for argument in call.args
            if not (
                argument.star == "**"
                and isinstance(argument.value, cst.Name)
                and argument.value.value == star.name.value
            )
        ]
        if len(passed) != len(call.args) - 1:
            return None
        return kind, passed

    def _bind_function(self, name: str, objects: tuple[int, ...]) -> None:
        if self.scopes and self.scopes[-1].function:
            self.scopes[-1].objects[name] = objects
        else:
            self.objects[name] = objects

    def _new_object(self) -> int:
        self.next_object += 1
        return self.next_object - 1

    def _decorator_kind(
        self, expression: cst.BaseExpression
    ) -> tuple[str | None, Sequence[cst.Arg]]:
        arguments: Sequence[cst.Arg] = ()
        if isinstance(expression, cst.Call):
            arguments = expression.args
            expression = expression.func
        if isinstance(expression, cst.Name) and expression.value in self.partials:
            kind, given = self.partials[expression.value]
            return kind, [*given, *arguments]
        qualified = self._qualify(expression)
        if qualified is None:
            return None, ()
        module, _, name = qualified.rpartition(".")
        if module == self.module and name in self.factories:
            return "local-factory", arguments
        if module == "dagster":
            if name in _ASSET_KINDS:
                return name, arguments
            if name in ("graph", "definitions"):
                return name, arguments
            return None, ()
        top = module.split(".")[0]
        if top.startswith("dagster_") or (
            module and module != self.module and top not in sys.stdlib_module_names
        ):
            return f"foreign:{qualified}", arguments
        return None, ()

    def _partial(self, value: cst.BaseExpression) -> tuple[str, Sequence[cst.Arg]] | None:
        """``functools.partial(dg.asset, group_name="silver")``, or the decorator itself
        with its options (``silver_asset = dg.asset(group_name="silver")``), applied later
        as ``@silver_asset``: a decorator with defaults."""
        if not isinstance(value, cst.Call):
            return None
        if all(argument.keyword is not None or argument.star == "**" for argument in value.args):
            kind, arguments = self._decorator_kind(value)
            if kind in _ASSET_KINDS:
                assert kind is not None
                return kind, arguments
        if self._qualify(value.func) != "functools.partial":
            return None
        if not value.args or value.args[0].keyword is not None or value.args[0].star:
            return None
        kind, _ = self._decorator_kind(value.args[0].value)
        if kind not in _ASSET_KINDS:
            return None
        assert kind is not None
        return kind, value.args[1:]

    def _declare(
        self,
        function: cst.FunctionDef,
        kind: str,
        arguments: Sequence[cst.Arg],
        decorator: cst.CSTNode,
        obj: int,
    ) -> list[AssetDecl]:
        options, defaults = self._options(arguments)
        if kind in ("multi_asset", "graph_multi_asset"):
            declared = self._multi_asset(function, kind, options, obj)
        else:
            declared = [self._single_asset(function, kind, options, decorator, obj)]
        # (each declaration says whether it is described, its function's docstring included)
        checks = "check_specs" in options and not _is_empty(self._deref(options["check_specs"]))
        partitions = self._partitions(options.get("partitions_def"))
        for decl in declared:
            decl.has_check_specs = checks
            decl.partitions = decl.partitions or partitions
        if defaults is not None:
            for decl in declared:
                # options the linter cannot read may describe, check or partition it
                decl.described = decl.has_check_specs = True
                decl.partitions = decl.partitions or Partitions("unknown")
                if isinstance(defaults, tuple):
                    decl.defaults = defaults
                else:  # **expression the linter cannot read: it may hold the key
                    decl.key = None
                    decl.group = DYNAMIC_GROUP
        return declared

    def _options(
        self, arguments: Sequence[cst.Arg], positional: Sequence[str] = ()
    ) -> tuple[dict[str, cst.BaseExpression], tuple[str, str] | cst.CSTNode | None]:
        """Call arguments by name, ``**`` dict constants merged in; and a ``**`` the linter
        could not merge: an imported name (module, name), or the expression itself."""
        options = _keywords(arguments, positional)
        unread: tuple[str, str] | cst.CSTNode | None = None
        for argument in arguments:
            if argument.star != "**":
                continue
            value = self._deref(argument.value)
            if isinstance(value, cst.Dict) and all(
                isinstance(entry, cst.DictElement) and self._literal_string(entry.key) is not None
                for entry in value.elements
            ):
                for entry in value.elements:
                    assert isinstance(entry, cst.DictElement)
                    key = self._literal_string(entry.key)
                    assert key is not None
                    options.setdefault(key, entry.value)
            elif isinstance(value, cst.Call) and self._qualify(value.func) == "builtins.dict":
                options.update(_keywords(value.args))
            elif isinstance(argument.value, (cst.Name, cst.Attribute)) and (
                qualified := self._qualify(argument.value)
            ):
                module, _, name = qualified.rpartition(".")
                unread = (module, name)
            else:
                unread = argument.value
        return options, unread

    def _single_asset(
        self,
        function: cst.FunctionDef,
        kind: str,
        options: dict[str, cst.BaseExpression],
        anchor: cst.CSTNode,
        obj: int,
    ) -> AssetDecl:
        if "key" in options and not _is_none(options["key"]):
            key = self._literal_key(options["key"])
            anchor = options["key"]
        else:
            prefix = self._literal_prefix(options.get("key_prefix"))
            if "name" in options and not _is_none(options["name"]):
                name = self._literal_string(options["name"])
            else:
                name = function.name.value
            key = (*prefix, name) if prefix is not None and name is not None else None
            anchor = options.get("key_prefix", options.get("name", anchor))
        key_parts: tuple[tuple[str, str, str], ...] = ()
        if key is None:  # maybe built from constants of other modules: the graph resolves
            key_parts = self._key_parts(options, function.name.value)
        graph = kind.startswith("graph")
        deps, parameters, known, problems = self._inputs(function, options, graph)
        return AssetDecl(
            key=key,
            key_parts=key_parts,
            anchor=self._anchor(anchor),
            function=function.name.value,
            group=self._group(options),
            group_anchor=self._anchor(options["group_name"]) if "group_name" in options else None,
            deps=[] if kind == "observable_source_asset" else deps,
            obj=obj,
            kind="source" if kind == "observable_source_asset" else "asset",
            parameters=[] if kind == "observable_source_asset" else parameters,
            problems=problems,
            inputs_known=known,
            described=self._described(options, function),
        )

    def _key_parts(
        self, options: dict[str, cst.BaseExpression], function: str
    ) -> tuple[tuple[str, str, str], ...]:
        """The parts of a key that names constants of other modules (see
        ``AssetDecl.key_parts``); empty when it names none or is not built of them."""
        if "key" in options and not _is_none(options["key"]):
            imported = self._imported(options["key"])
            if imported is not None:
                return (("key", *imported),)
            return self._part_list(options["key"]) or ()
        prefix: tuple[tuple[str, str, str], ...] | None = ()
        written = options.get("key_prefix")
        if written is not None and not _is_none(written):
            imported = self._imported(written)
            if imported is not None:
                prefix = (("parts", *imported),)
            else:
                literal = self._literal_prefix(written)
                prefix = (
                    tuple(("text", part, "") for part in literal)
                    if literal is not None
                    else self._part_list(written)
                )
        if prefix is None:
            return ()
        name: tuple[str, str, str] | None = ("text", function, "")
        if "name" in options and not _is_none(options["name"]):
            text = self._literal_string(options["name"])
            imported = self._imported(options["name"]) if text is None else None
            name = (
                ("text", text, "")
                if text is not None
                else ("part", *imported)
                if imported is not None
                else None
            )
        parts = (*prefix, name) if name is not None else ()
        return parts if any(how != "text" for how, _, _ in parts) else ()

    def _part_list(self, expression: cst.BaseExpression) -> tuple[tuple[str, str, str], ...] | None:
        """``[LAYER, "orders"]``: literal strings and string constants of other modules."""
        value = self._deref(expression)
        if not isinstance(value, (cst.List, cst.Tuple)) or not value.elements:
            return None
        parts: list[tuple[str, str, str]] = []
        for element in value.elements:
            if isinstance(element, cst.StarredElement):
                return None
            text = self._literal_string(element.value)
            if text is not None:
                parts.append(("text", text, ""))
                continue
            imported = self._imported(element.value)
            if imported is None:
                return None
            parts.append(("part", *imported))
        return tuple(parts)

    def _imported(self, expression: cst.BaseExpression) -> tuple[str, str] | None:
        """A name from another module of the project (module, name), as written."""
        if isinstance(expression, cst.Name) and self._lookup_value(expression.value) is not None:
            return None  # a value of this module (or of the loop or factory being run)
        if not isinstance(expression, (cst.Name, cst.Attribute)):
            return None
        module, _, name = (self._qualify(expression) or "").rpartition(".")
        top = module.split(".")[0]
        if not module or module == self.module or top == "dagster" or top == "builtins":
            return None
        if top in sys.stdlib_module_names:
            return None
        return (module, name)

    def _multi_asset(
        self, function: cst.FunctionDef, kind: str, options: dict[str, cst.BaseExpression], obj: int
    ) -> list[AssetDecl]:
        group = self._group(options)
        # the multi-asset's group_name is each output's unless it has its own: said there
        group_anchor = self._anchor(options["group_name"]) if "group_name" in options else None
        shared, parameters, known, problems = self._inputs(
            function, options, kind == "graph_multi_asset"
        )
        declared: list[AssetDecl] = []
        specs = self._deref(options["specs"]) if "specs" in options else None
        if isinstance(specs, (cst.List, cst.Tuple)):
            for element in specs.elements:
                value = self._deref(element.value)
                # Each spec has only its own deps: Dagster requires every input of a
                # multi-asset with specs to be among them, and refuses ``deps=`` beside specs.
                spec = self._spec(value, group, function, obj, group_anchor)
                # A spec the linter cannot read (imported, starred) still defines an asset:
                # without a key it is reported (POL010) rather than silently missing.
                declared.append(spec or self._unkeyed(element.value, function, group, obj))
            # The inputs are among the specs' own deps (Dagster requires it): the
            # parameters add none, but what Dagster refuses about them still counts.
            declared_only = _declared(parameters)
            for decl in declared:
                decl.kind = "asset"
            if declared:
                declared[0].problems = [*problems, *declared[0].problems]
                declared[0].parameters = declared_only
        elif specs is not None:
            declared.append(self._unkeyed(options["specs"], function, group, obj))
        outs = self._deref(options["outs"]) if "outs" in options else None
        internal = self._internal_deps(options.get("internal_asset_deps"))
        if isinstance(outs, cst.Dict):
            for entry in outs.elements:
                if not isinstance(entry, cst.DictElement):
                    declared.append(self._unkeyed(entry.value, function, group, obj))
                    continue
                declared.append(
                    self._out(entry, function, kind, (group, group_anchor), shared, internal, obj)
                )
            for decl in declared:
                decl.parameters = parameters if internal is None else []
                decl.inputs_known = known
            if declared:
                declared[0].problems = [*problems, *declared[0].problems]
                if internal is not None:  # each output's deps are listed: inputs add none
                    declared[0].parameters = _declared(parameters)
        elif outs is not None:
            declared.append(self._unkeyed(options["outs"], function, group, obj))
        return declared

    def _out(
        self,
        entry: cst.DictElement,
        function: cst.FunctionDef,
        kind: str,
        shared_group: tuple[str | None, int | None],
        shared: list[Reference],
        internal: dict[str, list[Reference]] | Reference | None,
        obj: int,
    ) -> AssetDecl:
        """One ``AssetOut`` of a multi-asset; ``shared_group`` is the multi-asset's
        group and the anchor of its ``group_name``."""
        group, group_anchor = shared_group
        out_name = self._literal_string(entry.key)
        value = self._deref(entry.value)
        out: dict[str, cst.BaseExpression] = {}
        described = True  # an output the linter cannot read is not claimed undescribed
        if isinstance(value, cst.Call) and self._qualify(value.func) == "dagster.AssetOut":
            out, _ = self._options(value.args, positional=("key_prefix", "key"))
            described = self._described(out, function)
        if "key" in out and not _is_none(out["key"]):
            key = self._literal_key(out["key"])
        elif out_name is not None:
            prefix = self._literal_prefix(out.get("key_prefix"))
            key = (*prefix, out_name) if prefix is not None else None
        else:
            key = None
        # graph_multi_asset gives AssetsDefinition.from_graph one group for every output:
        # an AssetOut's own group_name is not used there.
        own_group = "group_name" in out and kind == "multi_asset"
        if internal is None:
            deps = list(shared)
        elif isinstance(internal, Reference):
            deps = [internal]
        else:
            deps = list(internal.get(out_name or "", []))
        return AssetDecl(
            key=key,
            anchor=self._anchor(entry),
            function=function.name.value,
            group=self._group(out) if own_group else group,
            group_anchor=self._anchor(out["group_name"]) if own_group else group_anchor,
            deps=deps,
            obj=obj,
            described=described,
        )

    def _internal_deps(
        self, expression: cst.BaseExpression | None
    ) -> dict[str, list[Reference]] | Reference | None:
        """``internal_asset_deps={"out": {AssetKey(...), ...}}``: each output's own deps.

        An output the mapping leaves out depends on nothing. None when there is no
        mapping (every output depends on every input); one unresolvable reference when
        it cannot be read."""
        if expression is None or _is_none(expression):
            return None
        mapping = self._deref(expression)
        if not isinstance(mapping, cst.Dict):
            return self._unresolvable(expression)
        if not mapping.elements:
            return None
        found: dict[str, list[Reference]] = {}
        for entry in mapping.elements:
            if not isinstance(entry, cst.DictElement):
                return self._unresolvable(expression)
            name = self._literal_string(entry.key)
            keys = self._deref(entry.value)
            if name is None or not isinstance(keys, (cst.Set, cst.Call)):
                return self._unresolvable(expression)
            references = []
            elements = keys.elements if isinstance(keys, cst.Set) else ()
            if isinstance(keys, cst.Call):  # set() or set([...])
                if self._qualify(keys.func) != "builtins.set" or keys.args:
                    return self._unresolvable(expression)
            for element in elements:
                if isinstance(element, cst.StarredElement):
                    references.append(self._unresolvable(element))
                    continue
                references.append(self._reference(element.value))
            found[name] = references
        return found

    def _unkeyed(
        self, expression: cst.CSTNode, function: cst.FunctionDef, group: str | None, obj: int
    ) -> AssetDecl:
        return AssetDecl(
            key=None,
            anchor=self._anchor(expression),
            function=function.name.value,
            group=group,
            obj=obj,
        )

    def _spec(
        self,
        call: cst.BaseExpression,
        group: str | None,
        function: cst.FunctionDef | None,
        obj: int,
        group_anchor: int | None = None,
    ) -> AssetDecl | None:
        if not self._is_call_to(call, "AssetSpec"):
            return None
        options, _ = self._options(call.args, positional=("key",))
        key = self._literal_key(options["key"]) if "key" in options else None
        deps = self._deps(options["deps"]) if "deps" in options else []
        problems = self._dep_refusals(options["deps"]) if "deps" in options else []
        return AssetDecl(
            key=key,
            anchor=self._anchor(options.get("key", call)),
            problems=problems,
            function=function.name.value if function is not None else None,
            group=self._group(options) if "group_name" in options else group,
            group_anchor=(
                self._anchor(options["group_name"]) if "group_name" in options else group_anchor
            ),
            deps=deps,
            obj=obj,
            kind="spec",
            described=self._described(options, function),
            partitions=self._partitions(options.get("partitions_def")),
        )

    def _source_asset(self, call: cst.Call, obj: int) -> AssetDecl:
        options, _ = self._options(call.args, positional=("key",))
        key = self._literal_key(options["key"]) if "key" in options else None
        return AssetDecl(
            key=key,
            anchor=self._anchor(options.get("key", call)),
            function=None,
            group=self._group(options),
            group_anchor=self._anchor(options["group_name"]) if "group_name" in options else None,
            obj=obj,
            kind="source",
        )

    def _from_graph(self, call: cst.Call, obj: int) -> list[AssetDecl] | None:
        """``AssetsDefinition.from_graph(graph, ...)`` over a ``@graph`` of this module."""
        options, _ = self._options(call.args, positional=("graph_def",))
        graph_def = options.get("graph_def")
        if not isinstance(graph_def, cst.Name) or graph_def.value not in self.graphs:
            return [
                AssetDecl(key=None, anchor=self._anchor(call), function=None, group=None, obj=obj)
            ]
        function, graph_options = self.graphs[graph_def.value]
        graph_name = self._literal_string(graph_options.get("name")) or function.name.value
        outs = self._deref(graph_options["out"]) if "out" in graph_options else None
        output_names: list[str | None] = ["result"]
        if isinstance(outs, cst.Dict):
            output_names = [
                self._literal_string(entry.key) if isinstance(entry, cst.DictElement) else None
                for entry in outs.elements
            ]
        keys_by_output = self._key_mapping(options.get("keys_by_output_name"))
        keys_by_input = self._key_mapping(options.get("keys_by_input_name"))
        prefix = self._literal_prefix(options.get("key_prefix"))
        inputs = [parameter.name.value for parameter in _positional_parameters(function)]
        deps: list[Reference] = []
        for name in inputs:
            if keys_by_input is None:
                deps.append(self._unresolvable(options["keys_by_input_name"]))
                break
            anchor = self._anchor(options.get("keys_by_input_name", call))
            deps.append(Reference(text=name, anchor=anchor, key=keys_by_input.get(name, (name,))))
        internal = self._internal_deps(options.get("internal_asset_deps"))
        group = self._group(options)
        groups = (
            self._deref(options["group_names_by_output_name"])
            if ("group_names_by_output_name" in options)
            else None
        )
        declared = []
        for output in output_names:
            key: Key | None
            if output is None or keys_by_output is None or prefix is None:
                key = None
            elif output in keys_by_output:
                key = keys_by_output[output]
            elif output == "result" and len(output_names) == 1:
                key = (graph_name,)
            else:
                key = (output,)
            if key is not None and prefix:
                key = (*prefix, *key)
            if internal is None:
                output_deps = list(deps)
            elif isinstance(internal, Reference):
                output_deps = [internal]
            else:
                output_deps = list(internal.get(output or "", []))
            output_group = group
            if isinstance(groups, cst.Dict):
                for entry in groups.elements:
                    if isinstance(entry, cst.DictElement) and (
                        self._literal_string(entry.key) == output
                    ):
                        output_group = self._literal_string(entry.value) or DYNAMIC_GROUP
            declared.append(
                AssetDecl(
                    key=key,
                    anchor=self._anchor(call),
                    function=function.name.value,
                    group=output_group,
                    group_anchor=self._anchor(options["group_name"])
                    if "group_name" in options
                    else None,
                    deps=output_deps,
                    obj=obj,
                )
            )
        return declared

    def _partitions(self, expression: cst.BaseExpression | None) -> Partitions | None:
        """What ``partitions_def=`` is, as far as the source says (see ``Partitions``)."""
        if expression is None or _is_none(expression):
            return None
        value = self._deref(expression)
        if isinstance(value, (cst.Name, cst.Attribute)):
            return Partitions("named", self._qualify(value) or "")
        if not isinstance(value, cst.Call):
            return Partitions("unknown")
        called = self._qualify(value.func) or ""
        module, _, name = called.rpartition(".")
        if module != "dagster":
            return Partitions("unknown")
        if name in _TIME_WINDOW_DEFINITIONS:
            positional = _TIME_WINDOW_DEFINITIONS[name]
            options = _keywords(value.args, positional)
            literals = {option: self._literal_value(given) for option, given in options.items()}
            written = all(text is not None for text in literals.values()) and not any(
                argument.star for argument in value.args
            )
            arguments = ", ".join(f"{option}={literals[option]}" for option in sorted(literals))
            schedule = (
                self._schedule(name, options) if not any(a.star for a in value.args) else None
            )
            cron, fmt, timezone = schedule or ("", "", "")
            return Partitions(
                "time",
                f"{called}({arguments})" if written else "",
                start=self._literal_string(options.get(positional[0])),
                cron=cron,
                fmt=fmt,
                timezone=timezone,
            )
        if name == "StaticPartitionsDefinition" and len(value.args) == 1:
            keys = self._literal_strings(value.args[0].value)
            if keys is not None:
                return Partitions("static", f"{called}({sorted(keys)!r})", keys=keys)
        return Partitions("unknown")

    def _schedule(
        self, name: str, options: dict[str, cst.BaseExpression]
    ) -> tuple[str, str, str] | None:
        """The cron schedule, key format and timezone Dagster makes of a time-window
        definition's arguments (``cron_schedule_from_schedule_type_and_offsets``); None
        when one of them is not literal, or exclusions leave windows out."""
        if _given(options, "exclusions"):
            return None
        offsets: dict[str, int] = {}
        for option in ("minute_offset", "hour_offset", "day_offset"):
            if not _given(options, option):
                continue
            value = self._deref(options[option])
            if not isinstance(value, cst.Integer):
                return None
            offsets[option] = int(value.value, 0)
        texts: dict[str, str] = {}
        for option in ("timezone", "fmt", "cron_schedule"):
            if _given(options, option):
                text = self._literal_string(options[option])
                if text is None:
                    return None
                texts[option] = text
        timezone = texts.get("timezone") or "UTC"
        minute, hour = offsets.get("minute_offset", 0), offsets.get("hour_offset", 0)
        day = offsets.get("day_offset", 0)
        if name == "TimeWindowPartitionsDefinition":
            # the schedule_type form is not followed; cron_schedule with offsets is refused
            if "cron_schedule" not in texts or offsets or "fmt" not in texts:
                return None
            return texts["cron_schedule"], texts["fmt"], timezone
        fmt = texts.get("fmt") or _DEFAULT_FORMATS[name]
        if name == "HourlyPartitionsDefinition":
            cron = f"{minute} * * * *"
        elif name == "DailyPartitionsDefinition":
            cron = f"{minute} {hour} * * *"
        elif name == "WeeklyPartitionsDefinition":
            cron = f"{minute} {hour} * * {day}"
        else:  # monthly: day_offset defaults to 1, and 0 means 1 too (``day_offset or None``)
            cron = f"{minute} {hour} {offsets.get('day_offset', 1) or 1} * *"
        return cron, fmt, timezone

    def _described(
        self, options: dict[str, cst.BaseExpression], function: cst.FunctionDef | None
    ) -> bool:
        """Whether Dagster keeps a description that says something: ``description=``
        when it is truthy (``description or docstring``), else the function's docstring;
        an empty or blank one says nothing. A description that is not a literal may."""
        if _given(options, "description"):
            text = self._literal_string(options["description"])
            if text is None:
                return True
            if text:  # Dagster keeps it, blank or not, and the docstring is not used
                return bool(text.strip())
        docstring = function.get_docstring() if function is not None else None
        return bool(docstring and docstring.strip())

    def _literal_value(self, expression: cst.BaseExpression) -> str | None:
        """A literal argument as canonical text: a string's value (repr), a number."""
        text = self._literal_string(expression)
        if text is not None:
            return repr(text)
        value = self._deref(expression)
        if isinstance(value, (cst.Integer, cst.Float)) or _is_none(value):
            return self._code(value)
        return None

    def _check_targets(self, decorator: cst.BaseExpression) -> list[Reference] | None:
        """The assets a ``@asset_check``/``@multi_asset_check`` decorator checks; None for
        any other decorator."""
        call = decorator if isinstance(decorator, cst.Call) else None
        called = self._qualify(call.func if call is not None else decorator)
        if called == "dagster.asset_check":
            options = _keywords(call.args, ("asset",)) if call is not None else {}
            target = options.get("asset")
            return [
                self._reference(target) if target is not None else self._unresolvable(decorator)
            ]
        if called == "dagster.multi_asset_check":
            options = _keywords(call.args) if call is not None else {}
            specs = self._deref(options["specs"]) if "specs" in options else None
            if not isinstance(specs, (cst.List, cst.Tuple)):
                return [self._unresolvable(decorator)]
            targets = []
            for element in specs.elements:
                spec = self._deref(element.value)
                target = None
                if self._is_call_to(spec, "AssetCheckSpec"):
                    target = _keywords(spec.args, ("name", "asset")).get("asset")
                if isinstance(element, cst.StarredElement) or target is None:
                    targets.append(self._unresolvable(element.value))
                else:
                    targets.append(self._reference(target))
            return targets
        return None

    def _built_check_targets(self, call: cst.Call) -> list[Reference] | None:
        """The assets a ``build_*_checks(assets=[...])`` call checks; None for any other call."""
        called = self._qualify(call.func) or ""
        module, _, name = called.rpartition(".")
        if module != "dagster" or name not in _CHECK_BUILDERS:
            return None
        given = _keywords(call.args).get("assets")
        assets = self._deref(given) if given is not None else None
        if not isinstance(assets, (cst.List, cst.Tuple)):
            return [self._unresolvable(call)]
        return [
            self._unresolvable(element)
            if isinstance(element, cst.StarredElement)
            else self._reference(element.value)
            for element in assets.elements
        ]

    def _called(self, call: cst.Call, local: dict[str, str]) -> str | None:
        """The dotted name ``call`` calls, through the module's imports and ``local``
        (the imports made inside functions)."""
        return _qualified_with(call.func, local) or self._qualify(call.func)

    def _storage_use(
        self, call: cst.Call, local: dict[str, str], buffers: set[str]
    ) -> StorageUse | None:
        """``call`` as a storage read or write that bypasses the storage module, if it is
        one; ``local`` holds the imports made inside functions, ``buffers`` the names
        assigned an in-memory buffer so far."""
        called = self._called(call, local)
        if called in OPEN_FUNCTIONS:
            path = self._literal_path(call.args[0].value) if call.args else None
            return StorageUse("open", path, self._anchor(call)) if path is not None else None
        method = call.func.attr.value if isinstance(call.func, cst.Attribute) else None
        if method in PATH_METHODS and isinstance(call.func, cst.Attribute):
            receiver = call.func.value
            if isinstance(receiver, (cst.Call, cst.BinaryOperation)):
                path = self._literal_path(receiver)
                if path is not None:
                    return StorageUse(f"open:{method}", path, self._anchor(call))
        keywords = WRITER_PATH_KEYWORDS | READER_PATH_KEYWORDS
        given = next(
            (
                argument.value
                for argument in call.args
                if (argument.keyword is None and not argument.star)
                or (argument.keyword is not None and argument.keyword.value in keywords)
            ),
            None,
        )
        target = None if given is None else "path"
        if given is not None and self._in_memory(given, local, buffers):
            target = "memory"
        what = storage_call(called, method, target)
        return StorageUse("call", what, self._anchor(call)) if what is not None else None

    def _in_memory(
        self, expression: cst.BaseExpression, local: dict[str, str], buffers: set[str]
    ) -> bool:
        """Whether ``expression`` is an in-memory buffer: ``io.StringIO(...)``, a name
        assigned one in this function, or a module constant holding one."""
        if isinstance(expression, cst.Name) and expression.value in buffers:
            return True
        value = self._deref(expression)
        return isinstance(value, cst.Call) and self._called(value, local) in IN_MEMORY

    def _literal_path(self, expression: cst.BaseExpression) -> str | None:
        """The literal start of a path: a string (or a constant holding one), an
        f-string's leading text, the first argument of ``Path(...)`` or
        ``os.path.join(...)``, the left of ``/``."""
        value = self._deref(expression)
        if isinstance(value, cst.FormattedString):
            first = value.parts[0] if value.parts else None
            return first.value if isinstance(first, cst.FormattedStringText) else None
        if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Divide):
            return self._literal_path(value.left)
        if isinstance(value, cst.Call) and value.args:
            name = _name_of(value.func).rpartition(".")[2]
            return self._literal_path(value.args[0].value) if name in PATH_CALLS else None
        return self._literal_string(value)

    def _key_mapping(self, expression: cst.BaseExpression | None) -> dict[str, Key] | None:
        if expression is None or _is_none(expression):
            return {}
        mapping = self._deref(expression)
        if not isinstance(mapping, cst.Dict):
            return None
        found = {}
        for entry in mapping.elements:
            if not isinstance(entry, cst.DictElement):
                return None
            name, key = self._literal_string(entry.key), self._literal_key(entry.value)
            if name is None or key is None:
                return None
            found[name] = key
        return found

    def _group(self, options: dict[str, cst.BaseExpression]) -> str | None:
        if "group_name" not in options or _is_none(options["group_name"]):
            return None
        return self._literal_string(options["group_name"]) or DYNAMIC_GROUP

    def _inputs(
        self, function: cst.FunctionDef, options: dict[str, cst.BaseExpression], graph: bool
    ) -> tuple[list[Reference], list[Parameter], bool, list[Note]]:
        """The references of ``deps`` and ``ins``, the function's parameters, whether
        ``ins`` could be read, and what Dagster would refuse about the dependencies."""
        problems = self._dep_refusals(options["deps"]) if "deps" in options else []
        references = self._deps(options["deps"]) if "deps" in options else []
        for reference in references:
            said = f"Dagster refuses the dependency {reference.text}: "
            if any(note.message.startswith(said) for note in problems):
                continue  # already refused for its type
            if reference.key is not None and not VALID_NAME.match("__".join(reference.key)):
                problems.append(
                    Note(
                        reference.anchor,
                        f"Dagster refuses the dependency {reference.text}: its input name "
                        f"{'__'.join(reference.key)!r} is not a valid Dagster name (a string "
                        'is one key part, "/" included: write ["layer", "name"])',
                    )
                )
        ins = self._deref(options["ins"]) if "ins" in options else None
        named_inputs: set[str] = set()
        known = True
        if isinstance(ins, cst.Dict):
            for element in ins.elements:
                if not isinstance(element, cst.DictElement):
                    references.append(self._unresolvable(element))
                    known = False
                    continue
                input_name = self._literal_string(element.key)
                if input_name is None:
                    references.append(self._unresolvable(element))
                    known = False
                    continue
                named_inputs.add(input_name)
                references.append(self._asset_in(input_name, element.value))
        elif ins is not None and not _is_none(ins):
            references.append(self._unresolvable(options["ins"]))
            known = False
        parameters = self._parameters(function, named_inputs, graph)
        if self.type_only and not self.opaque:
            problems.extend(self._type_only_annotations(function))
        return references, parameters, known, problems

    def _is_type_checking(self, test: cst.BaseExpression) -> bool:
        return isinstance(test, (cst.Name, cst.Attribute)) and (
            (self._qualify(test) or "").rpartition(".")[2] == "TYPE_CHECKING"
        )

    def _type_only_annotations(self, function: cst.FunctionDef) -> list[Note]:
        """Annotations that are strings at run time (quoted, or ``from __future__ import
        annotations``) naming something imported only under ``if TYPE_CHECKING:``.
        Dagster resolves every annotation of an asset's function (``typing.get_type_hints``
        in ``get_resource_args``), the return's included, and refuses the asset when one
        names something that does not exist at run time."""
        signature = function.params
        annotations: list[cst.Annotation] = [
            param.annotation
            for param in (
                *signature.posonly_params,
                *signature.params,
                *([signature.star_arg] if isinstance(signature.star_arg, cst.Param) else []),
                *signature.kwonly_params,
                *([signature.star_kwarg] if signature.star_kwarg is not None else []),
            )
            if param.annotation is not None
        ]
        if function.returns is not None:
            annotations.append(function.returns)
        found: list[Note] = []
        for annotation in annotations:
            expression = annotation.annotation
            raw = self.future_annotations
            if isinstance(expression, (cst.SimpleString, cst.ConcatenatedString)):
                raw = True
                text = self._literal_string(expression)
                try:
                    expression = cst.parse_expression(text) if text else expression
                except cst.ParserSyntaxError:
                    continue
            if not raw:
                continue
            missing = sorted(_annotation_names(expression) & self.type_only)
            if missing:
                found.append(
                    Note(
                        self._anchor(annotation),
                        f"Dagster refuses the annotation {self._code(annotation.annotation)} "
                        f"of {function.name.value}(): {missing[0]} is imported only under "
                        "`if TYPE_CHECKING:`, and Dagster resolves an asset function's "
                        "annotations (strings here) when it loads; import it outside that block",
                    )
                )
        return found

    def _parameters(
        self, function: cst.FunctionDef, named_inputs: set[str], graph: bool
    ) -> list[Parameter]:
        """Every parameter, with the role its place and name give it (see ``Parameter``)."""
        found: list[Parameter] = []
        signature = function.params
        ordered: list[tuple[cst.Param, str]] = [(p, "other") for p in signature.posonly_params]
        ordered += [(p, "input") for p in signature.params]
        if isinstance(signature.star_arg, cst.Param):
            ordered.append((signature.star_arg, "varargs"))
        ordered += [(p, "other") for p in signature.kwonly_params]
        if signature.star_kwarg is not None:
            ordered.append((signature.star_kwarg, "other"))
        for index, (param, role) in enumerate(ordered):
            name = param.name.value
            if index == 0 and name in CONTEXT_PARAMETER_NAMES:
                role = "graph-context" if graph else "context"
            elif name == "config" and role != "varargs":
                role = "config"
            elif role == "input" and name in named_inputs:
                role = "ins"
            found.append(self._parameter(param, role))
        return found

    def _parameter(self, param: cst.Param, role: str) -> Parameter:
        parameter = Parameter(
            name=param.name.value,
            anchor=self._anchor(param),
            role=role,
            has_default=param.default is not None,
        )
        if param.annotation is None:
            return parameter
        annotation = param.annotation.annotation
        parameter.text = (
            _dotted(annotation)
            if isinstance(annotation, (cst.Name, cst.Attribute))
            else self._code(annotation)
        )
        parameter.raw_string = self.future_annotations
        if isinstance(annotation, (cst.SimpleString, cst.ConcatenatedString)):
            parameter.raw_string = True
            text = self._literal_string(annotation)
            try:
                annotation = cst.parse_expression(text) if text else annotation
            except cst.ParserSyntaxError:
                pass
        if isinstance(annotation, cst.Subscript):
            base = self._qualify_type(annotation.value)
            if base == "dagster.ResourceParam":
                parameter.resource_marker = True
            elif base in ("typing.Annotated", "typing_extensions.Annotated") and any(
                self._literal_string(element.slice.value) == "resource_param"
                for element in annotation.slice[1:]
                if isinstance(element.slice, cst.Index)
            ):
                parameter.resource_marker = True
            parameter.annotation = ""
        elif isinstance(annotation, (cst.Name, cst.Attribute)):
            parameter.annotation = self._qualify_type(annotation) or ""
        else:
            parameter.annotation = ""
        return parameter

    def _asset_in(self, input_name: str, value: cst.BaseExpression) -> Reference:
        value = self._deref(value)
        if not self._is_call_to(value, "AssetIn"):
            return self._unresolvable(value)
        options, _ = self._options(value.args, positional=("key", "metadata", "key_prefix"))
        anchor = self._anchor(value)
        text = self._code(value)
        mapped = _given(options, "partition_mapping")
        if "key" in options and not _is_none(options["key"]):
            key = self._literal_key(options["key"])
            symbol = None if key is not None else self._key_symbol(options["key"])
            return Reference(
                text=text, anchor=anchor, key=key, symbol=symbol, partition_mapping=mapped
            )
        prefix = self._literal_prefix(options.get("key_prefix"))
        if prefix is None:
            return Reference(text=text, anchor=anchor, partition_mapping=mapped)
        return Reference(
            text=text, anchor=anchor, key=(*prefix, input_name), partition_mapping=mapped
        )

    def _key_symbol(self, expression: cst.BaseExpression) -> tuple[str, str] | None:
        """A key given as a name from elsewhere: ``AssetIn(key=BRONZE_ORDERS)`` with the
        constant imported, or ``AssetIn(key=orders.key)`` (the key of an asset)."""
        if isinstance(expression, cst.Attribute) and expression.attr.value == "key":
            reference = self._reference(expression)
            return reference.symbol
        if isinstance(expression, cst.Name) and expression.value in self.constants:
            return None  # a constant of this module that is not a literal key
        if isinstance(expression, (cst.Name, cst.Attribute)):
            qualified = self._qualify(expression)
            module, _, name = (qualified or "").rpartition(".")
            if module and module != self.module:
                return (module, name)
        return None

    def _deps(self, expression: cst.BaseExpression) -> list[Reference]:
        value = self._deref(expression)
        if _is_none(value):
            return []
        if not isinstance(value, (cst.List, cst.Tuple, cst.Set)):
            return [self._spread(expression, expression)]
        references = []
        for element in value.elements:
            if isinstance(element, cst.StarredElement):
                inner = self._deref(element.value)
                if isinstance(inner, (cst.List, cst.Tuple)):
                    references.extend(self._deps(inner))
                else:
                    references.append(self._spread(element.value, element))
            else:
                references.append(self._reference(element.value))
        return references

    def _spread(self, expression: cst.BaseExpression, written: cst.CSTNode) -> Reference:
        """``deps=SILVER_DEPS`` or ``*SILVER_DEPS``: a list kept in another module, which
        the graph reads there (``Symbol.deps``); anything else cannot be resolved."""
        imported = self._imported(expression)
        if imported is None:
            return self._unresolvable(written)
        return Reference(
            text=self._code(written), anchor=self._anchor(written), symbol=imported, spread=True
        )

    def _reference(self, expression: cst.BaseExpression) -> Reference:
        """One element of ``deps=[...]``."""
        text = self._code(expression)
        name = expression.value if isinstance(expression, cst.Name) else None
        held = self._get_objects(name) if name is not None else ()
        if name is not None and held:  # an asset object (function, from_graph, source)
            if self.scopes:
                keys = [d.key for d in self.facts.assets if d.obj in held]
                if len(keys) == 1 and keys[0] is not None:
                    return Reference(text=text, anchor=self._anchor(expression), key=keys[0])
            return Reference(text=text, anchor=self._anchor(expression), symbol=(self.module, name))
        if isinstance(expression, cst.Name) and self._lookup_value(expression.value) is not None:
            value = self._deref(expression)
            if not isinstance(value, (cst.Name, cst.Attribute)):
                inner = self._reference(value)
                inner.text, inner.anchor = text, self._anchor(expression)
                return inner
        if isinstance(expression, cst.Attribute) and expression.attr.value == "key":
            # upstream.key: the key of an asset, a spec or a source asset
            inner = self._reference(expression.value)
            local = inner.symbol is not None and inner.symbol[0] == self.module
            if local and inner.symbol is not None:
                objects = set(self._get_objects(inner.symbol[1]))
                keys = [d.key for d in self.facts.assets if d.obj in objects]
                # a multi-asset has no single .key: Dagster fails there
                one = keys[0] if len(keys) == 1 else None
                return Reference(text=text, anchor=self._anchor(expression), key=one)
            if inner.symbol is not None or inner.key is not None:
                inner.text, inner.anchor = text, self._anchor(expression)
                return inner
            return self._unresolvable(expression)
        if self._is_call_to(expression, "AssetDep"):
            options, _ = self._options(expression.args, positional=("asset",))
            if "asset" not in options:
                return self._unresolvable(expression)
            inner = self._reference(options["asset"])
            inner.text, inner.anchor = text, self._anchor(expression)
            inner.partition_mapping = _given(options, "partition_mapping")
            return inner
        if self._is_call_to(expression, "AssetSpec") or self._is_call_to(expression, "SourceAsset"):
            options, _ = self._options(expression.args, positional=("key",))
            key = self._literal_key(options["key"]) if "key" in options else None
            return Reference(text=text, anchor=self._anchor(expression), key=key)
        if isinstance(expression, (cst.Name, cst.Attribute)):
            qualified = self._qualify(expression)
            if qualified is not None:
                module, _, name = qualified.rpartition(".")
                return Reference(text=text, anchor=self._anchor(expression), symbol=(module, name))
        key = self._literal_key(expression)
        return Reference(text=text, anchor=self._anchor(expression), key=key)

    def _dep_refusals(self, expression: cst.BaseExpression) -> list[Note]:
        """What Dagster refuses among the elements of ``deps=[...]``.

        Each element becomes an ``AssetDep`` (``coerce_to_deps_and_check_duplicates``),
        whose ``asset`` must be an ``AssetKey``, a ``str``, a list of ``str``, an
        ``AssetSpec``, an ``AssetsDefinition`` or a ``SourceAsset`` (``check.inst_param``
        in ``AssetDep.__new__``): a tuple is refused there though ``AssetKey(("a", "b"))``
        accepts one, and so are a number, a dict, a set, ``None`` and a list holding
        anything but strings. Only what the source shows literally is judged."""
        value = self._deref(expression)
        if not isinstance(value, (cst.List, cst.Tuple, cst.Set)):
            return []
        found: list[Note] = []
        for element in value.elements:
            if isinstance(element, cst.StarredElement):
                inner = self._deref(element.value)
                if isinstance(inner, (cst.List, cst.Tuple)):
                    found.extend(self._dep_refusals(inner))
                continue
            text = self._code(element.value)
            asset = self._deref(element.value)
            if self._is_call_to(asset, "AssetDep"):
                options, _ = self._options(asset.args, positional=("asset",))
                if "asset" not in options:
                    continue
                asset = self._deref(options["asset"])
            if (
                isinstance(asset, cst.Attribute)
                and asset.attr.value == "key"
                and isinstance(asset.value, cst.Name)
            ):
                held = set(self._get_objects(asset.value.value))
                count = sum(decl.obj in held for decl in self.facts.assets)
                if count > 1:  # AssetsDefinition.key raises when the module is imported
                    found.append(
                        Note(
                            self._anchor(element.value),
                            f"Dagster refuses the dependency {text}: "
                            f"{asset.value.value} holds {count} assets and has no single "
                            f"key; name the one meant, or use {asset.value.value}.keys",
                        )
                    )
                continue
            kind = self._refused_dep_type(asset)
            if kind is None:
                continue
            parts = self._literal_strings(asset) if isinstance(asset, cst.Tuple) else None
            hint = f": write {list(parts)!r}".replace("'", '"') if parts else ""
            found.append(
                Note(
                    self._anchor(element.value),
                    f"Dagster refuses the dependency {text}: {kind} is not an AssetKey, "
                    "a str, a list of str, an AssetSpec, an asset or a SourceAsset, which "
                    f"is all AssetDep accepts{hint}",
                )
            )
        return found

    def _refused_dep_type(self, value: cst.BaseExpression) -> str | None:
        """What a literal is, when ``AssetDep`` refuses it; None when it may be accepted."""
        if isinstance(value, cst.List):
            for element in value.elements:
                inner = None if isinstance(element, cst.StarredElement) else element.value
                if inner is not None and self._refused_dep_type(self._deref(inner)) is not None:
                    return "a list holding something other than str"
                if isinstance(inner, cst.List):
                    return "a list holding something other than str"
            return None
        if isinstance(value, cst.Tuple):
            return "a tuple"
        if isinstance(value, (cst.Dict, cst.DictComp)):
            return "a dict"
        if isinstance(value, (cst.Set, cst.SetComp)):
            return "a set"
        if isinstance(value, (cst.Integer, cst.Float, cst.Imaginary)):
            return "a number"
        if isinstance(value, cst.Name) and value.value in ("None", "True", "False"):
            return value.value
        return None

    def _unresolvable(self, expression: cst.CSTNode) -> Reference:
        return Reference(text=self._code(expression), anchor=self._anchor(expression))

    # --- objects, factories, definitions -------------------------------------------------

    def _objects_of(self, expression: cst.BaseExpression) -> tuple[int, ...] | None:
        """The asset objects an expression evaluates to, or None when it makes none.

        Follows what Dagster's module loader sees: a name holding assets, a list whose
        elements are all assets, a call of a factory of this module, ``SourceAsset(...)``,
        ``AssetSpec(...)`` and ``AssetsDefinition.from_graph(...)``.
        """
        if isinstance(expression, cst.Name):
            objects = self._get_objects(expression.value)
            return objects or None
        if isinstance(expression, (cst.List, cst.Tuple)):
            found: list[int] = []
            for element in expression.elements:
                inner = self._objects_of(element.value)
                if inner is None:
                    return None
                found.extend(inner)
            return tuple(found) if found else None
        if isinstance(expression, cst.ListComp):
            return self._comprehension(expression)
        if isinstance(expression, cst.BinaryOperation) and isinstance(expression.operator, cst.Add):
            left, right = self._objects_of(expression.left), self._objects_of(expression.right)
            return (left or ()) + (right or ()) if left or right else None
        if not isinstance(expression, cst.Call):
            return None
        callee = expression.func
        if (
            isinstance(callee, cst.Name)
            and callee.value in self.factories
            and not (self._shadowed(callee.value))
        ):
            return self._invoke(self.factories[callee.value], expression)
        applied = self._applied_decorator(expression)
        if applied is not None:
            return applied
        qualified = self._qualify(callee)
        if qualified in ("dagster.SourceAsset", "dagster.AssetSpec"):
            obj = self._new_object()
            if qualified == "dagster.SourceAsset":
                decl = self._source_asset(expression, obj)
            else:
                spec = self._spec(expression, None, None, obj)
                assert spec is not None
                decl = spec
            self._made(decl)
            return (obj,)
        if qualified == "dagster.AssetsDefinition.from_graph":
            obj = self._new_object()
            for decl in self._from_graph(expression, obj) or []:
                self._made(decl)
            return (obj,)
        return None

    def _applied_decorator(self, call: cst.Call) -> tuple[int, ...] | None:
        """``dg.asset(key=...)(compute)`` or ``dg.asset(compute)``: the decorator called on
        a function, as factories and helper modules often write it. The asset is the one
        the ``@`` form would make of that function; one the linter cannot read (an
        imported or computed function) is an asset without a known key (POL010)."""
        callee = call.func
        arguments: Sequence[cst.Arg] = ()
        if isinstance(callee, cst.Call) or (
            isinstance(callee, cst.Name) and callee.value in self.partials
        ):
            kind, arguments = self._decorator_kind(callee)
        else:
            kind = self._decorator_kind(callee)[0]
            positional = call.args[0] if call.args else None
            if kind not in _BARE_DECORATORS or positional is None or positional.keyword:
                return None  # dg.asset(key=...): the decorator itself, kept for later
        if kind not in _ASSET_KINDS:
            return None
        assert kind is not None
        given = [argument for argument in call.args if argument.keyword is None]
        function = None
        if len(call.args) == 1 and len(given) == 1 and not given[0].star:
            target = given[0].value
            if isinstance(target, cst.Name):
                function = self._lookup_function(target.value)
        obj = self._new_object()
        if function is None:
            self._made(
                AssetDecl(key=None, anchor=self._anchor(call), function=None, group=None, obj=obj)
            )
            return (obj,)
        for decl in self._declare(function, kind, arguments, call, obj):
            self._made(decl)
        return (obj,)

    def _lookup_function(self, name: str) -> cst.FunctionDef | None:
        for scope in reversed(self.scopes):
            if scope.function and name in scope.functions:
                return scope.functions[name]
            if name in scope.values or name in scope.objects:
                return None
        return self.functions.get(name)

    def _shadowed(self, name: str) -> bool:
        return any(
            scope.function and (name in scope.values or name in scope.objects)
            for scope in self.scopes
        )

    def _made(self, decl: AssetDecl) -> None:
        self.facts.assets.append(decl)
        self.made += 1

    def _comprehension(self, expression: cst.ListComp) -> tuple[int, ...] | None:
        loop = expression.for_in
        if loop.inner_for_in is not None or loop.ifs:
            return None
        items = self._iteration(loop.iter)
        names = _target_names(loop.target)
        if items is None or names is None:
            if self._makes_objects(expression.elt):
                self._blind(
                    loop.iter,
                    f"assets made over {self._code(loop.iter)!r} cannot be seen statically",
                )
            return None
        found: list[int] = []
        for item in items:
            values = [item] if len(names) == 1 else _unpack(item, len(names))
            if values is None or not self._step(expression):
                return None
            scope = _Scope(function=True)
            scope.values.update(zip(names, values, strict=True))
            self.scopes.append(scope)
            try:
                inner = self._objects_of(expression.elt)
            finally:
                self.scopes.pop()
            if inner is None:
                return None
            found.extend(inner)
        return tuple(found) or None

    def _makes_objects(self, expression: cst.BaseExpression) -> bool:
        if isinstance(expression, cst.Call):
            callee = expression.func
            if isinstance(callee, cst.Name) and callee.value in self.factories:
                return True
            if isinstance(callee, cst.Call) and self._decorator_kind(callee)[0] in _ASSET_KINDS:
                return True  # dg.asset(...)(function)
            return self._qualify(callee) in (
                "dagster.SourceAsset",
                "dagster.AssetSpec",
                "dagster.AssetsDefinition.from_graph",
            )
        return False

    def _invoke(self, function: cst.FunctionDef, call: cst.Call) -> tuple[int, ...] | None:
        """Run a factory of this module on literal arguments: the objects it returns."""
        depth = sum(scope.function for scope in self.scopes)
        if depth >= _MAX_FACTORY_DEPTH or self.made > _MAX_MADE or not self._step(call):
            return None
        scope = _Scope(function=True)
        signature = function.params
        parameters = [*signature.posonly_params, *signature.params]
        index = 0
        for argument in call.args:
            if argument.star:
                self._blind(argument, f"arguments of {self._code(call.func)}() cannot be read")
                return None
            if argument.keyword is not None:
                scope.values[argument.keyword.value] = self._materialize(argument.value)
            elif index < len(parameters):
                scope.values[parameters[index].name.value] = self._materialize(argument.value)
                index += 1
        for parameter in [*parameters, *signature.kwonly_params]:
            name = parameter.name.value
            if name not in scope.values and parameter.default is not None:
                scope.values[name] = parameter.default
        made_before = len(self.facts.assets)
        self.scopes.append(scope)
        try:
            result = self._run_body(function.body.body, scope)
        finally:
            self.scopes.pop()
        site = self.site
        for decl in self.facts.assets[made_before:]:
            if site is not None and decl.kind in ("asset", "source"):
                # Where the factory was called: each asset it makes is reported there.
                decl.anchor = self._anchor(call)
        return result

    def _run_body(self, body: Sequence[cst.CSTNode], scope: _Scope) -> tuple[int, ...] | None:
        for statement in body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Return):
                        if small.value is None:
                            return None
                        return self._objects_of(small.value)
                    self._simple_statement(small)
            elif isinstance(statement, cst.FunctionDef):
                self._function(statement)
            elif isinstance(statement, cst.For):
                items = self._iteration(statement.iter)
                names = _target_names(statement.target)
                if items is None or names is None:
                    if _declares_assets(statement.body, self):
                        self._blind(
                            statement.iter,
                            f"assets made in a loop over {self._code(statement.iter)!r} "
                            "cannot be seen statically",
                        )
                    continue
                for item in items:
                    values = [item] if len(names) == 1 else _unpack(item, len(names))
                    if values is None or not self._step(statement):
                        break
                    scope.values.update(zip(names, values, strict=True))
                    result = self._run_body(statement.body.body, scope)
                    if result is not None:
                        return result
            elif _declares_assets(statement, self):
                self._blind(statement, "assets made under a condition cannot be seen statically")
        return None

    def _remember_call(self, value: cst.BaseExpression) -> None:
        """A module-level call of another module's function: maybe a factory there."""
        if self.scopes or not isinstance(value, cst.Call):
            return
        qualified = self._qualify(value.func)
        if qualified is None:
            return
        module = qualified.rpartition(".")[0]
        top = module.split(".")[0]
        if not module or module == self.module or top in sys.stdlib_module_names:
            return
        if top == "dagster" or top == "builtins":
            return
        self.facts.calls.append(Call(self._anchor(value), qualified, qualified))

    def _load_expression(self, expression: cst.BaseExpression) -> list[int] | None:
        """The loads an expression stands for (``load_assets_*`` calls, lists of them,
        ``Definitions(...)``), or None when it is not about loading at all."""
        if not self.loading or not _mentions_loading(expression, self):
            return None
        return self._loads_of(expression)

    def _loads_of(self, expression: cst.BaseExpression) -> list[int]:
        if isinstance(expression, (cst.List, cst.Tuple)):
            found: list[int] = []
            for element in expression.elements:
                found.extend(self._loads_of(element.value))
            return found
        if isinstance(expression, cst.BinaryOperation) and isinstance(expression.operator, cst.Add):
            return self._loads_of(expression.left) + self._loads_of(expression.right)
        if isinstance(expression, (cst.Name, cst.Attribute)):
            qualified = self._qualify(expression)
            if isinstance(expression, cst.Name) and expression.value in self.facts.symbols:
                symbol = self.facts.symbols[expression.value]
                if symbol.loads:
                    return list(symbol.loads)
            if qualified is not None:
                module, _, name = qualified.rpartition(".")
                return [self._load(expression, "names", symbols=((module, name),))]
            return [self._load(expression, "unknown")]
        if isinstance(expression, cst.Call):
            qualified = self._qualify(expression.func) or ""
            module, _, name = qualified.rpartition(".")
            if module == "dagster" and name in _LOADERS:
                return [self._loader_call(expression, name)]
            if qualified in ("dagster.Definitions", "dagster.Definitions.merge"):
                return self._definitions_loads(expression)
            if qualified == "dagster.with_resources":
                # the same assets, with resources bound: keys and deps unchanged
                given = _keywords(expression.args, ("definitions",)).get("definitions")
                if given is not None:
                    return self._loads_of(given)
            objects = self._objects_of(expression)
            if objects is not None:
                names = tuple(
                    (self.module, name) for name, held in self.objects.items() if held == objects
                )
                if names:
                    return [self._load(expression, "names", symbols=names)]
        return [self._load(expression, "unknown")]

    def _load(
        self,
        expression: cst.CSTNode,
        kind: str,
        targets: tuple[str, ...] = (),
        symbols: tuple[tuple[str, str], ...] = (),
        options: dict[str, cst.BaseExpression] | None = None,
    ) -> int:
        load = Load(anchor=self._anchor(expression), kind=kind, targets=targets, symbols=symbols)
        for option, attribute in (("key_prefix", "key_prefix"), ("source_key_prefix", None)):
            value = (options or {}).get(option)
            if value is None:
                continue
            prefix = self._literal_prefix(value)
            if prefix is None:
                load.kind = "unknown"
            elif attribute:
                load.key_prefix = prefix
            else:
                load.source_key_prefix = prefix
        if options and "group_name" in options and not _is_none(options["group_name"]):
            group = self._literal_string(options["group_name"])
            if group is None:
                load.kind = "unknown"
            load.group = group
        if options and "include_specs" in options:
            value = options["include_specs"]
            load.include_specs = isinstance(value, cst.Name) and value.value == "True"
        self.facts.loads.append(load)
        return len(self.facts.loads) - 1

    def _loader_call(self, call: cst.Call, loader: str) -> int:
        kind, positional = _LOADERS[loader]
        options, unread = self._options(call.args, positional)
        if unread is not None:
            return self._load(call, "unknown")
        if kind == "current":
            return self._load(call, "modules", targets=(self.module,), options=options)
        argument = options.get(positional[0]) if positional else None
        if argument is None:
            return self._load(call, "unknown")
        targets: list[str] = []
        if positional[0] == "package_name":
            name = self._literal_string(argument)
            if name is None:
                return self._load(call, "unknown")
            targets.append(name)
        elif positional[0] == "modules":
            modules = self._deref(argument)
            if not isinstance(modules, (cst.List, cst.Tuple, cst.Set)):
                return self._load(call, "unknown")
            for element in modules.elements:
                qualified = (
                    self._qualify(element.value)
                    if isinstance(element.value, (cst.Name, cst.Attribute))
                    else None
                )
                if qualified is None:
                    return self._load(call, "unknown")
                targets.append(qualified)
        else:
            qualified = (
                self._qualify(argument) if isinstance(argument, (cst.Name, cst.Attribute)) else None
            )
            if qualified is None:
                return self._load(call, "unknown")
            targets.append(qualified)
        return self._load(call, kind, targets=tuple(targets), options=options)

    def _definitions_loads(self, call: cst.Call) -> list[int]:
        qualified = self._qualify(call.func)
        if qualified == "dagster.Definitions.merge":
            found: list[int] = []
            for argument in call.args:
                found.extend(self._loads_of(argument.value))
            return found
        options, unread = self._options(call.args, positional=("assets",))
        if unread is not None:
            return [self._load(call, "unknown")]
        assets = options.get("assets")
        if assets is None or _is_none(assets):
            return []
        return self._loads_of(assets)

    def _is_definitions(self, expression: cst.BaseExpression) -> bool:
        if not isinstance(expression, cst.Call):
            return False
        qualified = self._qualify(expression.func) or ""
        module, _, name = qualified.rpartition(".")
        return qualified in ("dagster.Definitions", "dagster.Definitions.merge") or (
            module == "dagster" and name in _FUNCTIONS_RETURNING_DEFINITIONS
        )

    def _add_definitions(self, loads: list[int]) -> None:
        if self.facts.definitions is None:
            self.facts.definitions = []
        self.facts.definitions.extend(loads)

    def _definitions_function(self, function: cst.FunctionDef) -> None:
        """``@dg.definitions def defs(): return dg.Definitions(...)``."""
        returned = [
            small.value
            for statement in function.body.body
            if isinstance(statement, cst.SimpleStatementLine)
            for small in statement.body
            if isinstance(small, cst.Return) and small.value is not None
        ]
        for value in returned:
            loads = self._load_expression(value)
            self._add_definitions(loads if loads is not None else [self._load(value, "unknown")])
        if not returned:
            self._add_definitions([self._load(function, "unknown")])

    def _step(self, node: cst.CSTNode) -> bool:
        """Count one loop iteration or factory call; False (said once) past the budget."""
        self.steps += 1
        if self.steps == _MAX_STEPS + 1:
            self._blind(node, "too many loop iterations and factory calls to follow statically")
        return self.steps <= _MAX_STEPS

    def _blind(self, node: cst.CSTNode, message: str) -> None:
        self.facts.blind.append(Note(self._anchor(node), message))

    # --- expressions ---------------------------------------------------------------------

    def _lookup_value(self, name: str) -> cst.BaseExpression | None:
        for scope in reversed(self.scopes):
            if name in scope.values:
                return scope.values[name]
            if name in scope.objects:
                return None
        return self.constants.get(name)

    def _deref(self, expression: _AnyValue | None) -> cst.BaseExpression:
        """A name's constant value (through other names), or the expression itself."""
        assert expression is not None and not isinstance(expression, tuple)
        for _ in range(20):
            if not isinstance(expression, cst.Name):
                break
            value = self._lookup_value(expression.value)
            if value is None or value is expression:
                break
            expression = value
        return expression

    def _materialize(self, expression: cst.BaseExpression) -> cst.BaseExpression:
        """``expression`` with the names of the current loops and factories replaced by
        their values, so that it keeps its meaning outside of them."""
        if not self.scopes:
            return expression
        value = self._deref(expression)
        text = self._literal_string(value)
        if text is not None:
            return cst.SimpleString(repr(text))
        if isinstance(value, (cst.List, cst.Tuple)):
            parts = self._literal_strings(value)
            if parts is not None:
                return cst.List([cst.Element(cst.SimpleString(repr(part))) for part in parts])
        return value

    def _qualify(self, expression: cst.BaseExpression) -> str | None:
        """The dotted name an expression refers to, seen through this module's imports."""
        if isinstance(expression, cst.Name):
            name = expression.value
            if name in self.aliases:
                return self.aliases[name]
            if name not in self.local:
                if self.star_dagster and name in PUBLIC_NAMES:
                    return f"dagster.{name}"
                if name in _BUILTINS:
                    return f"builtins.{name}"
            return f"{self.module}.{name}"
        if isinstance(expression, cst.Attribute):
            base = self._qualify(expression.value)
            return f"{base}.{expression.attr.value}" if base is not None else None
        return None

    def _qualify_type(self, expression: cst.BaseExpression) -> str | None:
        """Like ``_qualify``, through module-level aliases (``Ctx = dg.AssetExecutionContext``)."""
        if isinstance(expression, cst.Name):
            value = self._lookup_value(expression.value)
            if isinstance(value, (cst.Name, cst.Attribute)) and value is not expression:
                return self._qualify(value)
        return self._qualify(expression)

    def _is_call_to(self, expression: cst.BaseExpression, dagster_name: str) -> TypeGuard[cst.Call]:
        return (
            isinstance(expression, cst.Call)
            and self._qualify(expression.func) == f"dagster.{dagster_name}"
        )

    def _literal_string(self, expression: _AnyValue | None) -> str | None:
        if expression is None or isinstance(expression, tuple):
            return None
        expression = self._deref(expression)
        if isinstance(expression, cst.SimpleString):
            literal = expression
            value = _evaluated(lambda: literal.evaluated_value)  # an invalid escape: None
            return value if isinstance(value, str) else None
        if isinstance(expression, cst.ConcatenatedString):
            return _concatenated(expression)
        if isinstance(expression, cst.FormattedString):
            return self._formatted(expression)
        if isinstance(expression, cst.BinaryOperation) and isinstance(expression.operator, cst.Add):
            left, right = (
                self._literal_string(expression.left),
                self._literal_string(expression.right),
            )
            return left + right if left is not None and right is not None else None
        return None

    def _formatted(self, expression: cst.FormattedString) -> str | None:
        """An f-string over literal values: ``f"bronze_{name}"`` inside a loop or factory."""
        parts: list[str] = []
        for part in expression.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append(part.value)
                continue
            if not isinstance(part, cst.FormattedStringExpression):
                return None
            if part.conversion is not None or part.format_spec is not None:
                return None
            value = self._literal_string(part.expression)
            if value is None:
                return None
            parts.append(value)
        text = "".join(parts)
        if "{{" in text or "}}" in text:
            return None
        return text

    def _literal_strings(self, expression: cst.BaseExpression) -> tuple[str, ...] | None:
        expression = self._deref(expression)
        if not isinstance(expression, (cst.List, cst.Tuple)):
            return None
        parts: list[str] = []
        for element in expression.elements:
            if isinstance(element, cst.StarredElement):
                inner = self._literal_strings(element.value)
                if inner is None:
                    return None
                parts.extend(inner)
                continue
            part = self._literal_string(element.value)
            if part is None:
                return None
            parts.append(part)
        return tuple(parts)

    def _literal_key(self, expression: cst.BaseExpression) -> Key | None:
        """A key written as Dagster coerces it: "a" -> (a,), ["a", "b"], AssetKey(...)."""
        expression = self._deref(expression)
        single = self._literal_string(expression)
        if single is not None:
            return (single,)
        parts = self._literal_strings(expression)
        if parts is not None:
            return parts or None
        if isinstance(expression, cst.Call):
            function = self._qualify(expression.func)
            if function == "dagster.AssetKey" and len(expression.args) == 1:
                return self._literal_key(expression.args[0].value)
            if function == "dagster.AssetKey.from_user_string" and len(expression.args) == 1:
                text = self._literal_string(expression.args[0].value)
                return tuple(text.split("/")) if text else None
            callee = expression.func
            receiver = self._deref(callee.value) if isinstance(callee, cst.Attribute) else None
            if (
                isinstance(callee, cst.Attribute)
                and callee.attr.value == "with_prefix"
                and len(expression.args) == 1
                and not expression.args[0].star
                and isinstance(receiver, cst.Call)
                and self._qualify(receiver.func)
                in ("dagster.AssetKey", "dagster.AssetKey.from_user_string")
            ):
                # AssetKey(...).with_prefix(prefix): a str is one part, a list its parts
                key = self._literal_key(receiver)
                prefix = self._literal_prefix(expression.args[0].value)
                return (*prefix, *key) if key is not None and prefix is not None else None
        return None

    def _literal_prefix(self, expression: cst.BaseExpression | None) -> tuple[str, ...] | None:
        if expression is None or _is_none(expression):
            return ()
        single = self._literal_string(expression)
        if single is not None:
            return (single,)
        return self._literal_strings(expression)

    def _dict_options(self, value: cst.Dict) -> tuple[tuple[str, str | None], ...]:
        found: list[tuple[str, str | None]] = []
        for entry in value.elements:
            if not isinstance(entry, cst.DictElement):
                found.append(("**", None))
                continue
            key = self._literal_string(entry.key)
            found.append((key if key is not None else "?", self._literal_string(entry.value)))
        return tuple(found)

    def _anchor(self, node: cst.CSTNode) -> int:
        self.anchors.append((node, self.site))
        return len(self.anchors) - 1

    def _code(self, node: cst.CSTNode) -> str:
        code = self.tree.code_for_node(node) if self.tree is not None else ""
        return " ".join(code.split())


_BUILTINS = frozenset(dir(builtins))


def _declares_assets(
    node: cst.CSTNode | Sequence[cst.CSTNode], extractor: _ModuleExtractor
) -> bool:
    """Whether code (a function body, a loop) declares assets somewhere inside."""
    nodes = node if isinstance(node, Sequence) else [node]
    finder = _AssetFinder(extractor)
    for each in nodes:
        each.visit(finder)
        if finder.found:
            return True
    return False


class _AssetFinder(cst.CSTVisitor):
    def __init__(self, extractor: _ModuleExtractor) -> None:
        self.extractor = extractor
        self.found = False

    def visit_Decorator(self, node: cst.Decorator) -> bool:
        kind, _ = self.extractor._decorator_kind(node.decorator)
        if kind in _ASSET_KINDS:
            self.found = True
        return not self.found

    def visit_Call(self, node: cst.Call) -> bool:
        kind, _ = self.extractor._decorator_kind(node.func)
        if kind in _ASSET_KINDS or self.extractor._makes_objects(node):
            self.found = True
        return not self.found


class _UsesFinder(cst.CSTVisitor):
    """Walks the whole module, function bodies included, for asset checks and their
    targets and for storage reads and writes that bypass the storage module."""

    def __init__(self, extractor: _ModuleExtractor) -> None:
        self.extractor = extractor
        self.facts = extractor.facts
        self.local: dict[str, str] = {}
        """Imports made inside functions (``import deltalake`` in a body)."""
        self.depth = 0
        self.buffers: set[str] = set()
        """Names assigned an in-memory buffer (``buffer = io.StringIO()``), in source order."""
        self.quiet = 0
        """Inside a message for people (``log.info(...)``, ``description=``): a URI there
        is named, not opened."""

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.depth += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.depth -= 1

    def visit_Import(self, node: cst.Import) -> None:
        if self.depth:
            for alias in node.names:
                dotted = _dotted(alias.name)
                if alias.asname is not None:
                    self.local[_name_of(alias.asname.name)] = dotted
                else:
                    self.local[dotted.split(".")[0]] = dotted.split(".")[0]

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        base = self.extractor._import_base(node)
        if self.depth and base is not None and not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                name = _dotted(alias.name)
                local = _name_of(alias.asname.name) if alias.asname else name
                self.local[local] = f"{base}.{name}" if base else name

    def visit_Decorator(self, node: cst.Decorator) -> None:
        targets = self.extractor._check_targets(node.decorator)
        if targets is not None:
            self.facts.checks.extend(targets)

    def visit_Call(self, node: cst.Call) -> None:
        targets = self.extractor._built_check_targets(node)
        if targets is not None:
            self.facts.checks.extend(targets)
        use = self.extractor._storage_use(node, self.local, self.buffers)
        if use is not None:
            self.facts.storage.append(use)
        if self._is_message(node):
            self.quiet += 1

    def leave_Call(self, original_node: cst.Call) -> None:
        if self._is_message(original_node):
            self.quiet -= 1

    def _is_message(self, call: cst.Call) -> bool:
        method = call.func.attr.value if isinstance(call.func, cst.Attribute) else None
        return is_text_call(self.extractor._called(call, self.local), method)

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None and node.keyword.value in TEXT_KEYWORDS:
            self.quiet += 1

    def leave_Arg(self, original_node: cst.Arg) -> None:
        keyword = original_node.keyword
        if keyword is not None and keyword.value in TEXT_KEYWORDS:
            self.quiet -= 1

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            self._bind(node.targets[0].target.value, node.value)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None and isinstance(node.asname.name, cst.Name):
            self._bind(node.asname.name.value, node.item)

    def _bind(self, name: str, value: cst.BaseExpression) -> None:
        if self.extractor._in_memory(value, self.local, set()):
            self.buffers.add(name)
        else:
            self.buffers.discard(name)

    def visit_Expr(self, node: cst.Expr) -> bool:
        # a string statement is a docstring or a comment: its text is not data
        return not isinstance(node.value, (cst.SimpleString, cst.ConcatenatedString))

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if "://" in node.value:
            self._uri(node, _evaluated(lambda: node.evaluated_value))

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> bool:
        left = node.left
        if isinstance(left, cst.SimpleString) and "://" in left.value:
            self._uri(node, _evaluated(lambda: _concatenated(node)))
        return False

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        first = node.parts[0] if node.parts else None
        if isinstance(first, cst.FormattedStringText):
            self._uri(node, first.value)

    def _uri(self, node: cst.BaseExpression, text: object) -> None:
        if isinstance(text, str) and is_storage_uri(text) and not self.quiet:
            self.facts.storage.append(StorageUse("uri", text, self.extractor._anchor(node)))


def _evaluated(value: Callable[[], object]) -> object:
    """A string literal's value; None when Python would refuse it (an invalid escape)."""
    try:
        return value()
    except (SyntaxError, ValueError):
        return None


def _mentions_loading(expression: cst.BaseExpression, extractor: _ModuleExtractor) -> bool:
    finder = _LoadFinder(extractor)
    expression.visit(finder)
    return finder.found


class _LoadFinder(cst.CSTVisitor):
    def __init__(self, extractor: _ModuleExtractor) -> None:
        self.extractor = extractor
        self.found = False

    def visit_Call(self, node: cst.Call) -> bool:
        qualified = self.extractor._qualify(node.func) or ""
        module, _, name = qualified.rpartition(".")
        if module == "dagster" and (name in _LOADERS or name == "Definitions"):
            self.found = True
        if qualified in ("dagster.Definitions.merge", "dagster.with_resources"):
            self.found = True
        return not self.found

    def visit_Name(self, node: cst.Name) -> bool:
        symbol = self.extractor.facts.symbols.get(node.value)
        if symbol is not None and symbol.loads:
            self.found = True
        return False


def _annotation_names(expression: cst.CSTNode) -> set[str]:
    """The names an annotation evaluates (``pd`` in ``pd.DataFrame``, ``X`` and ``Y`` in
    ``dict[X, Y | None]``); not attribute names, nor strings inside it."""
    found: set[str] = set()
    stack: list[cst.CSTNode] = [expression]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            found.add(node.value)
        elif isinstance(node, cst.Attribute):
            stack.append(node.value)
        elif not isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            stack.extend(node.children)
    return found


def _target_names(target: cst.BaseExpression) -> list[str] | None:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        names = []
        for element in target.elements:
            if not isinstance(element.value, cst.Name):
                return None
            names.append(element.value.value)
        return names
    return None


def _unpack(item: cst.BaseExpression, count: int) -> list[cst.BaseExpression] | None:
    if isinstance(item, (cst.Tuple, cst.List)) and len(item.elements) == count:
        if any(isinstance(element, cst.StarredElement) for element in item.elements):
            return None
        return [element.value for element in item.elements]
    return None


def _declared(parameters: list[Parameter]) -> list[Parameter]:
    """The parameters, with the inputs marked as declared elsewhere (no upstream of their
    own, but still checked for what Dagster refuses)."""
    return [
        replace(parameter, role="declared") if parameter.role in ("input", "ins") else parameter
        for parameter in parameters
    ]


def _positional_parameters(function: cst.FunctionDef) -> list[cst.Param]:
    return [*function.params.posonly_params, *function.params.params]


def _keywords(
    arguments: Sequence[cst.Arg], positional: Sequence[str] = ()
) -> dict[str, cst.BaseExpression]:
    """Call arguments by name; the first positional ones get the names in ``positional``."""
    options: dict[str, cst.BaseExpression] = {}
    index = 0
    for argument in arguments:
        if argument.star:
            continue
        if argument.keyword is not None:
            options[argument.keyword.value] = argument.value
        elif index < len(positional):
            options[positional[index]] = argument.value
            index += 1
    return options


def _concatenated(expression: cst.ConcatenatedString) -> str | None:
    """The value of ``"a" "b" ...``, or None when a part is not a plain str literal.

    libcst nests the parts (``left``, then ``right`` holds the rest) and evaluates them
    recursively, which overflows Python's stack on about 1,000 parts: walk them in a loop.
    """
    parts: list[str] = []
    node: cst.BaseExpression = expression
    while isinstance(node, cst.ConcatenatedString):
        if not isinstance(node.left, cst.SimpleString):
            return None
        value = node.left.evaluated_value
        if not isinstance(value, str):
            return None
        parts.append(value)
        node = node.right
    if not isinstance(node, cst.SimpleString):
        return None
    value = node.evaluated_value
    if not isinstance(value, str):
        return None
    parts.append(value)
    return "".join(parts)


def _dotted(node: cst.BaseExpression) -> str:
    """``a.b.c`` as text; a loop, not recursion: imports may name long dotted paths."""
    names: list[str] = []
    while isinstance(node, cst.Attribute):
        names.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return ""
    names.append(node.value)
    return ".".join(reversed(names))


def _name_of(node: cst.BaseExpression) -> str:
    return node.value if isinstance(node, cst.Name) else _dotted(node)


def _is_none(expression: cst.BaseExpression) -> bool:
    return isinstance(expression, cst.Name) and expression.value == "None"


def _is_empty(expression: cst.BaseExpression) -> bool:
    """``None``, ``[]``, ``()``: a collection option that gives nothing."""
    return _is_none(expression) or (
        isinstance(expression, (cst.List, cst.Tuple)) and not expression.elements
    )


def _given(options: dict[str, cst.BaseExpression], name: str) -> bool:
    """Whether the option is given a value other than None."""
    return name in options and not _is_none(options[name])


def _qualified_with(expression: cst.BaseExpression, local: dict[str, str]) -> str | None:
    """The dotted name through imports made inside functions; None when its first name
    is not one of them."""
    dotted = _dotted(expression)
    head, _, rest = dotted.partition(".")
    if not dotted or head not in local:
        return None
    return f"{local[head]}.{rest}" if rest else local[head]
