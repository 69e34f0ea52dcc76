"""POL008's fix: declare a hidden read as a dependency, in the style the module uses.

The new dependency is written like the ones already there: those of the same asset
first, else the module's first ``deps`` list. An ``AssetKey([...])`` (spelled as that
module spells it), a key list, a one-part key string, an ``AssetDep(...)`` around any of
these, or an asset function (imported if the module does not name it yet). Where the
example gives no usable style (an ``AssetIn``, a multi-part key among one-part strings,
no dependency at all), an ``AssetKey`` is written, spelled the way the module imports
dagster: ``dg.AssetKey`` under ``import dagster as dg``, ``AssetKey`` (imported if needed)
under ``from dagster import ...``.
"""

from dataclasses import dataclass, field

import libcst as cst

from polster_lint.domain.model import Key
from polster_lint.fixes.sequence import appended, argument, with_keyword
from polster_lint.fixes.strings import string

_EMPTY = cst.Module([])


@dataclass(frozen=True)
class Imports:
    """What the module's top-level imports and definitions bind, as far as writing a
    dependency needs (only absolute imports are followed)."""

    dagster: str | None = None
    """The name ``import dagster [as dg]`` binds."""
    asset_key: str | None = None
    """The local name of ``dagster.AssetKey``, when imported by name."""
    functions: dict[tuple[str, str], str] = field(default_factory=dict)
    """(module, name) -> local name, for ``from module import name [as local]``."""
    modules: dict[str, str] = field(default_factory=dict)
    """module -> the name ``import module [as local]`` binds."""
    bound: frozenset[str] = frozenset()
    """Every top-level name, so that an added import never shadows one."""


@dataclass(frozen=True)
class Dependency:
    """A dependency as code, and the ``from module import name`` it needs, if any."""

    code: str
    needs: tuple[str, str] | None = None


def imports_of(module: cst.Module) -> Imports:
    dagster, asset_key = None, None
    functions: dict[tuple[str, str], str] = {}
    modules: dict[str, str] = {}
    bound: set[str] = set()
    for statement in module.body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            bound.add(statement.name.value)
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    name = _EMPTY.code_for_node(alias.name)
                    modules[name] = alias.evaluated_alias or name
                    bound.add(alias.evaluated_alias or name.split(".")[0])
                    if name == "dagster":
                        dagster = modules[name]
            elif (
                isinstance(small, cst.ImportFrom)
                and not small.relative
                and small.module is not None
                and not isinstance(small.names, cst.ImportStar)
            ):
                source = _EMPTY.code_for_node(small.module)
                for alias in small.names:
                    name, local = (
                        alias.evaluated_name,
                        alias.evaluated_alias or alias.evaluated_name,
                    )
                    functions[(source, name)] = local
                    bound.add(local)
                    if (source, name) == ("dagster", "AssetKey"):
                        asset_key = local
            elif isinstance(small, (cst.Assign, cst.AnnAssign)):
                targets = small.targets if isinstance(small, cst.Assign) else [small]
                bound.update(t.target.value for t in targets if isinstance(t.target, cst.Name))
    return Imports(dagster, asset_key, functions, modules, frozenset(bound))


def dependency(
    key: Key,
    symbol: tuple[str, str] | None,
    example: cst.BaseExpression | None,
    imports: Imports,
    quote: str,
) -> Dependency:
    """``key`` written like ``example`` (another dependency of the module)."""
    if isinstance(example, cst.SimpleString) and len(key) == 1:
        return Dependency(string(key[0], quote).value)
    if isinstance(example, (cst.List, cst.Tuple)) and example.elements:
        return Dependency(_key_list(key, quote, isinstance(example, cst.Tuple)))
    if isinstance(example, cst.Call):
        function = _EMPTY.code_for_node(example.func)
        called = function.rpartition(".")[2]
        if called == "AssetKey":
            return Dependency(f"{function}({_key_list(key, quote)})")
        if called == "AssetDep" and example.args and example.args[0].keyword is None:
            inner = dependency(key, symbol, example.args[0].value, imports, quote)
            return Dependency(f"{function}({inner.code})", inner.needs)
    if isinstance(example, (cst.Name, cst.Attribute)) and symbol is not None:
        function_style = _function(symbol, imports)
        if function_style is not None:
            return function_style
    return _asset_key(key, imports, quote)


def _function(symbol: tuple[str, str], imports: Imports) -> Dependency | None:
    """The upstream asset's function, by the name the module already gives it, or
    imported under its own name when that name is free."""
    module, name = symbol
    if symbol in imports.functions:
        return Dependency(imports.functions[symbol])
    if module in imports.modules:
        return Dependency(f"{imports.modules[module]}.{name}")
    if name in imports.bound:
        return None
    return Dependency(name, symbol)


def _asset_key(key: Key, imports: Imports, quote: str) -> Dependency:
    listed = _key_list(key, quote)
    if imports.asset_key is not None:
        return Dependency(f"{imports.asset_key}({listed})")
    if imports.dagster is not None:
        return Dependency(f"{imports.dagster}.AssetKey({listed})")
    return Dependency(f"AssetKey({listed})", ("dagster", "AssetKey"))


def _key_list(key: Key, quote: str, as_tuple: bool = False) -> str:
    parts = ", ".join(string(part, quote).value for part in key)
    if as_tuple:
        return f"({parts},)" if len(key) == 1 else f"({parts})"
    return f"[{parts}]"


def example_of(call: cst.Call) -> cst.BaseExpression | None:
    """The first dependency ``call`` lists in ``deps=[...]``, if it lists any."""
    given = argument(call, "deps")
    if given is not None and isinstance(given.value, (cst.List, cst.Tuple)):
        for element in given.value.elements:
            if isinstance(element, cst.Element):
                return element.value
    return None


def with_dependencies(call: cst.Call, codes: list[str]) -> cst.Call:
    """``call`` (an asset declaration) with ``codes`` added to its ``deps`` list, which
    is created when missing. A ``deps=`` that is not a literal list (a name, a call) is
    the author's, and left alone."""
    values = [cst.parse_expression(code) for code in codes]
    given = argument(call, "deps")
    if given is None:
        elements: list[cst.Element] = []
        for value in values:
            elements = appended(elements, cst.Element(value), None)
        return with_keyword(call, "deps", cst.List(elements))
    listed = given.value
    if not isinstance(listed, (cst.List, cst.Tuple)):
        return call
    if any(not isinstance(item, cst.Element) for item in listed.elements):
        return call  # a starred element: the list is not fully the author's literal
    elements = [item for item in listed.elements if isinstance(item, cst.Element)]
    if isinstance(listed, cst.List):
        opening, closing = listed.lbracket.whitespace_after, listed.rbracket.whitespace_before
    elif listed.lpar and listed.rpar:
        opening, closing = listed.lpar[0].whitespace_after, listed.rpar[-1].whitespace_before
    else:
        opening, closing = None, None
    trailing = elements[-1].comma if elements else None
    if isinstance(closing, cst.ParenthesizedWhitespace) and isinstance(trailing, cst.Comma):
        # A bracket keeps the line break before it, where a call keeps it in the last
        # comma: moved there (same text), the new element goes after the last one's line.
        elements[-1] = elements[-1].with_changes(
            comma=trailing.with_changes(whitespace_after=closing)
        )
        listed = _with_closing(listed, cst.SimpleWhitespace(""))
    for value in values:
        elements = appended(elements, cst.Element(value), opening)
    return call.with_deep_changes(given, value=listed.with_changes(elements=elements))


def _with_closing(
    listed: cst.List | cst.Tuple, whitespace: cst.BaseParenthesizableWhitespace
) -> cst.List | cst.Tuple:
    if isinstance(listed, cst.List):
        return listed.with_changes(
            rbracket=listed.rbracket.with_changes(whitespace_before=whitespace)
        )
    rpar = [*listed.rpar[:-1], listed.rpar[-1].with_changes(whitespace_before=whitespace)]
    return listed.with_changes(rpar=rpar)
