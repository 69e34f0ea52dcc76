"""Read one Python module with libcst and extract its assets, dependencies and imports.

Only module-level definitions matter to Dagster's asset loading, so the extractor walks
the module's top-level statements. It understands every way current Dagster lets an
asset name its upstreams (``deps``, ``ins``, plain parameters, ``AssetSpec``/``AssetOut``
of multi-assets, graph assets) and leaves names it cannot see through as references for
``graph`` to resolve across modules.
"""

import ast
import re
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from itertools import accumulate
from typing import TypeGuard, TypeVar

import libcst as cst

from polster_lint.domain.model import (
    DYNAMIC_GROUP,
    AssetDecl,
    Key,
    ModuleFacts,
    Position,
    Reference,
    Symbol,
)
from polster_lint.parsing.imports import import_base, package_of
from polster_lint.parsing.noqa import noqa_codes
from polster_lint.parsing.reads import TOO_DEEP, estimated_tokens, python_tree, syntax_error

# Parameters Dagster fills itself rather than from an upstream asset. The context is the
# first parameter when it has one of the names in _CONTEXT_NAMES.
_NON_INPUT_PARAMETERS = {"context", "config"}
_CONTEXT_NAMES = {"context", "_context", "context_", "_"}
_NON_INPUT_ANNOTATIONS = re.compile(r"(Context|Config|Resource)$|^ResourceParam\b")


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
        positions = _analyse(tree, facts, module, is_package, with_positions)
    except RecursionError:
        # libcst walks its trees recursively, a few Python frames per level: a file
        # CPython reads (1,500 implicitly concatenated strings, one nested node each) can
        # exceed the default limit of 1,000 frames. Try again with room to recurse.
        facts = ModuleFacts(module=module, noqa=facts.noqa)
        try:
            positions = _with_deep_stack(
                lambda: _analyse(tree, facts, module, is_package, with_positions)
            )
        except RecursionError:
            facts = ModuleFacts(module=module, noqa=facts.noqa)
            facts.syntax_error = (TOO_DEEP, Position(1, 1))
            positions = []
    return facts, positions


def _analyse(
    tree: cst.Module, facts: ModuleFacts, module: str, is_package: bool, with_positions: bool
) -> list[Position]:
    """Fill ``facts`` from the tree; the anchors' positions when asked for."""
    extractor = _ModuleExtractor(facts, module, is_package)
    extractor.run(tree)
    if not with_positions:
        return []
    # Imported here: position metadata is only needed where a finding is reported.
    from libcst.metadata import MetadataWrapper, PositionProvider

    wrapper = MetadataWrapper(tree, unsafe_skip_copy=True)
    ranges = wrapper.resolve(PositionProvider)
    return [
        Position(ranges[node].start.line, ranges[node].start.column + 1)
        for node in extractor.anchors
    ]


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


class _ModuleExtractor:
    def __init__(self, facts: ModuleFacts, module: str, is_package: bool) -> None:
        self.facts = facts
        self.module = module
        self.package = package_of(module, is_package)
        self.aliases: dict[str, str] = {}
        self.constants: dict[str, cst.BaseExpression] = {}
        self.anchors: list[cst.CSTNode] = []
        self.tree: cst.Module | None = None

    # --- walking -------------------------------------------------------------------------

    def run(self, tree: cst.Module) -> None:
        self.tree = tree
        for statement in tree.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self._simple_statement(small)
            elif isinstance(statement, cst.FunctionDef):
                self._function(statement)

    def _simple_statement(self, statement: cst.BaseSmallStatement) -> None:
        if isinstance(statement, cst.Import):
            for alias in statement.names:
                dotted = _dotted(alias.name)
                if alias.asname is not None:
                    local = _name_of(alias.asname.name)
                    self._bind(local, dotted, None)
                else:
                    top = dotted.split(".")[0]
                    self._bind(top, top, None)
        elif isinstance(statement, cst.ImportFrom):
            base = self._import_base(statement)
            if base is None or isinstance(statement.names, cst.ImportStar):
                return
            for alias in statement.names:
                name = _dotted(alias.name)
                local = _name_of(alias.asname.name) if alias.asname else name
                self._bind(local, base, name)
        elif isinstance(statement, (cst.Assign, cst.AnnAssign)):
            self._assignment(statement)

    def _bind(self, local: str, module: str, attribute: str | None) -> None:
        qualified = f"{module}.{attribute}" if attribute else module
        self.aliases[local] = qualified
        self.facts.symbols[local] = Symbol(target=(module, attribute))

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
        if not isinstance(target, cst.Name) or value is None:
            return
        name = target.value
        self.constants[name] = value
        self.aliases.pop(name, None)
        if self._is_call_to(value, "AssetSpec"):
            # Not an asset by itself: the project loads its assets with
            # load_assets_from_package_module, which skips AssetSpec objects (unless
            # include_specs=True), so Dagster sees only a key for deps=[spec]. A spec
            # becomes an asset when a multi-asset lists it in specs= (see _multi_asset).
            options = _keywords(value.args, positional=("key",))
            key = self._literal_key(options["key"]) if "key" in options else None
        else:
            key = self._literal_key(value)
        self.facts.symbols[name] = Symbol(keys=(key,) if key else ())

    # --- assets --------------------------------------------------------------------------

    def _function(self, function: cst.FunctionDef) -> None:
        name = function.name.value
        self.constants.pop(name, None)
        self.aliases.pop(name, None)
        keys: list[Key] = []
        for decorator in function.decorators:
            kind, arguments = self._decorator_kind(decorator.decorator)
            if kind == "multi_asset":
                declared = self._multi_asset(function, arguments)
            elif kind in ("asset", "graph_asset"):
                declared = [self._single_asset(function, arguments, decorator.decorator)]
            else:
                continue
            self.facts.assets.extend(declared)
            keys.extend(decl.key for decl in declared if decl.key is not None)
            break
        self.facts.symbols[name] = Symbol(keys=tuple(keys))

    def _decorator_kind(
        self, expression: cst.BaseExpression
    ) -> tuple[str | None, Sequence[cst.Arg]]:
        arguments: Sequence[cst.Arg] = ()
        if isinstance(expression, cst.Call):
            arguments = expression.args
            expression = expression.func
        qualified = self._qualify(expression)
        if qualified is None:
            return None, ()
        for kind in ("asset", "multi_asset", "graph_asset"):
            if qualified == f"dagster.{kind}":
                return kind, arguments
        return None, ()

    def _single_asset(
        self, function: cst.FunctionDef, arguments: Sequence[cst.Arg], anchor: cst.CSTNode
    ) -> AssetDecl:
        options = _keywords(arguments)
        if "key" in options:
            key = self._literal_key(options["key"])
            anchor = options["key"]
        else:
            prefix = self._literal_prefix(options.get("key_prefix"))
            if "name" in options:
                name = self._literal_string(options["name"])
            else:
                name = function.name.value
            key = (*prefix, name) if prefix is not None and name is not None else None
            anchor = options.get("key_prefix", options.get("name", anchor))
        return AssetDecl(
            key=key,
            anchor=self._anchor(anchor),
            function=function.name.value,
            group=self._group(options),
            group_anchor=self._anchor(options["group_name"]) if "group_name" in options else None,
            deps=self._inputs(function, options),
        )

    def _multi_asset(
        self, function: cst.FunctionDef, arguments: Sequence[cst.Arg]
    ) -> list[AssetDecl]:
        options = _keywords(arguments)
        group = self._group(options)
        shared = self._inputs(function, options)
        declared: list[AssetDecl] = []
        specs = options.get("specs")
        if isinstance(specs, cst.Name) and specs.value in self.constants:
            specs = self.constants[specs.value]
        if isinstance(specs, (cst.List, cst.Tuple)):
            for element in specs.elements:
                value = element.value
                if isinstance(value, cst.Name) and value.value in self.constants:
                    value = self.constants[value.value]
                # Each spec has only its own deps: Dagster requires every input of a
                # multi-asset with specs to be among them, and refuses ``deps=`` beside specs.
                spec = self._spec(value, group, function.name.value)
                # A spec the linter cannot read (imported, starred) still defines an asset:
                # without a key it is reported (POL010) rather than silently missing.
                declared.append(spec or self._unkeyed(value, function, group))
        elif specs is not None:
            declared.append(self._unkeyed(specs, function, group))
        outs = options.get("outs")
        if isinstance(outs, cst.Dict):
            for entry in outs.elements:
                if not isinstance(entry, cst.DictElement):
                    continue
                out_name = self._literal_string(entry.key)
                out = _keywords(entry.value.args) if isinstance(entry.value, cst.Call) else {}
                if "key" in out:
                    key = self._literal_key(out["key"])
                elif out_name is not None:
                    prefix = self._literal_prefix(out.get("key_prefix"))
                    key = (*prefix, out_name) if prefix is not None else None
                else:
                    key = None
                declared.append(
                    AssetDecl(
                        key=key,
                        anchor=self._anchor(entry),
                        function=function.name.value,
                        group=self._group(out) if "group_name" in out else group,
                        group_anchor=self._anchor(out["group_name"])
                        if "group_name" in out
                        else None,
                        deps=list(shared),
                    )
                )
        return declared

    def _unkeyed(
        self, expression: cst.CSTNode, function: cst.FunctionDef, group: str | None
    ) -> AssetDecl:
        return AssetDecl(
            key=None, anchor=self._anchor(expression), function=function.name.value, group=group
        )

    def _spec(self, call: cst.BaseExpression, group: str | None, function: str) -> AssetDecl | None:
        if not self._is_call_to(call, "AssetSpec"):
            return None
        options = _keywords(call.args, positional=("key",))
        key = self._literal_key(options["key"]) if "key" in options else None
        deps = self._deps(options["deps"]) if "deps" in options else []
        return AssetDecl(
            key=key,
            anchor=self._anchor(options.get("key", call)),
            function=function,
            group=self._group(options) if "group_name" in options else group,
            group_anchor=self._anchor(options["group_name"]) if "group_name" in options else None,
            deps=deps,
        )

    def _group(self, options: dict[str, cst.BaseExpression]) -> str | None:
        if "group_name" not in options:
            return None
        return self._literal_string(options["group_name"]) or DYNAMIC_GROUP

    def _inputs(
        self, function: cst.FunctionDef, options: dict[str, cst.BaseExpression]
    ) -> list[Reference]:
        references = self._deps(options["deps"]) if "deps" in options else []
        ins = options.get("ins")
        named_inputs: set[str] = set()
        if isinstance(ins, cst.Dict):
            for element in ins.elements:
                if not isinstance(element, cst.DictElement):
                    continue
                input_name = self._literal_string(element.key)
                if input_name is None:
                    continue
                named_inputs.add(input_name)
                references.append(self._asset_in(input_name, element.value))
        elif ins is not None:
            references.append(self._unresolvable(ins))
        for parameter in _parameters(function.params):
            name = parameter.name.value
            if name in named_inputs or name in _NON_INPUT_PARAMETERS:
                continue
            if parameter.annotation is not None and _NON_INPUT_ANNOTATIONS.search(
                self._code(parameter.annotation.annotation).split(".")[-1]
            ):
                continue
            references.append(Reference(text=name, anchor=self._anchor(parameter), key=(name,)))
        return references

    def _asset_in(self, input_name: str, value: cst.BaseExpression) -> Reference:
        if not self._is_call_to(value, "AssetIn"):
            return self._unresolvable(value)
        options = _keywords(value.args, positional=("key",))
        anchor = self._anchor(value)
        text = self._code(value)
        if "key" in options and not _is_none(options["key"]):
            return Reference(text=text, anchor=anchor, key=self._literal_key(options["key"]))
        prefix = self._literal_prefix(options.get("key_prefix"))
        if prefix is None:
            return Reference(text=text, anchor=anchor)
        return Reference(text=text, anchor=anchor, key=(*prefix, input_name))

    def _deps(self, expression: cst.BaseExpression) -> list[Reference]:
        if isinstance(expression, cst.Name) and expression.value in self.constants:
            expression = self.constants[expression.value]
        if not isinstance(expression, (cst.List, cst.Tuple)):
            return [self._unresolvable(expression)]
        references = []
        for element in expression.elements:
            if isinstance(element, cst.StarredElement):
                references.append(self._unresolvable(element))
            else:
                references.append(self._reference(element.value))
        return references

    def _reference(self, expression: cst.BaseExpression) -> Reference:
        """One element of ``deps=[...]``."""
        text = self._code(expression)
        if self._is_call_to(expression, "AssetDep"):
            options = _keywords(expression.args, positional=("asset",))
            if "asset" not in options:
                return self._unresolvable(expression)
            inner = self._reference(options["asset"])
            inner.text, inner.anchor = text, self._anchor(expression)
            return inner
        if self._is_call_to(expression, "AssetSpec"):
            options = _keywords(expression.args, positional=("key",))
            key = self._literal_key(options["key"]) if "key" in options else None
            return Reference(text=text, anchor=self._anchor(expression), key=key)
        if isinstance(expression, (cst.Name, cst.Attribute)):
            qualified = self._qualify(expression)
            if qualified is not None:
                module, _, name = qualified.rpartition(".")
                return Reference(text=text, anchor=self._anchor(expression), symbol=(module, name))
        key = self._literal_key(expression)
        return Reference(text=text, anchor=self._anchor(expression), key=key)

    def _unresolvable(self, expression: cst.CSTNode) -> Reference:
        return Reference(text=self._code(expression), anchor=self._anchor(expression))

    # --- hidden reads --------------------------------------------------------------------

    # --- expressions ---------------------------------------------------------------------

    def _qualify(self, expression: cst.BaseExpression) -> str | None:
        """The dotted name an expression refers to, seen through this module's imports."""
        if isinstance(expression, cst.Name):
            name = expression.value
            if name in self.aliases:
                return self.aliases[name]
            return f"{self.module}.{name}"
        if isinstance(expression, cst.Attribute):
            base = self._qualify(expression.value)
            return f"{base}.{expression.attr.value}" if base is not None else None
        return None

    def _is_call_to(self, expression: cst.BaseExpression, dagster_name: str) -> TypeGuard[cst.Call]:
        return (
            isinstance(expression, cst.Call)
            and self._qualify(expression.func) == f"dagster.{dagster_name}"
        )

    def _literal_string(self, expression: cst.BaseExpression | None) -> str | None:
        if isinstance(expression, cst.Name) and expression.value in self.constants:
            expression = self.constants[expression.value]
        if isinstance(expression, cst.SimpleString):
            value = expression.evaluated_value
            return value if isinstance(value, str) else None
        if isinstance(expression, cst.ConcatenatedString):
            return _concatenated(expression)
        return None

    def _literal_strings(self, expression: cst.BaseExpression) -> tuple[str, ...] | None:
        if isinstance(expression, cst.Name) and expression.value in self.constants:
            expression = self.constants[expression.value]
        if not isinstance(expression, (cst.List, cst.Tuple)):
            return None
        parts = []
        for element in expression.elements:
            if isinstance(element, cst.StarredElement):
                return None
            part = self._literal_string(element.value)
            if part is None:
                return None
            parts.append(part)
        return tuple(parts)

    def _literal_key(self, expression: cst.BaseExpression) -> Key | None:
        """A key written as Dagster coerces it: "a" -> (a,), ["a", "b"], AssetKey(...)."""
        if isinstance(expression, cst.Name) and expression.value in self.constants:
            expression = self.constants[expression.value]
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
        return None

    def _literal_prefix(self, expression: cst.BaseExpression | None) -> tuple[str, ...] | None:
        if expression is None or _is_none(expression):
            return ()
        single = self._literal_string(expression)
        if single is not None:
            return (single,)
        return self._literal_strings(expression)

    def _anchor(self, node: cst.CSTNode) -> int:
        self.anchors.append(node)
        return len(self.anchors) - 1

    def _code(self, node: cst.CSTNode) -> str:
        code = self.tree.code_for_node(node) if self.tree is not None else ""
        return " ".join(code.split())


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


def _parameters(parameters: cst.Parameters) -> Iterator[cst.Param]:
    """The parameters Dagster can read as asset inputs.

    Dagster maps only positional-or-keyword parameters to upstream assets (keyword-only
    and positional-only ones are not asset inputs), and takes a first parameter named
    like the context (``context``, ``_context``, ``context_``, ``_``) for the context.
    """
    inputs = list(parameters.params)
    if not parameters.posonly_params and inputs and inputs[0].name.value in _CONTEXT_NAMES:
        inputs = inputs[1:]
    yield from inputs


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
