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

from collections import Counter
from dataclasses import dataclass, field

import libcst as cst

from polster_lint.domain.model import Key
from polster_lint.fixes.bindings import module_bindings
from polster_lint.fixes.layout import exploded_list
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
    bindings: Counter[str] = field(default_factory=Counter)
    """How many times the module binds each name at module scope (nested blocks too): a
    name is written only when it means what the fix means, an import only added for a name
    the module does not bind at all."""

    def sole(self, local: str) -> bool:
        """Whether ``local`` (an imported name) is bound once, by its import alone."""
        return "." in local or self.bindings[local.split(".")[0]] == 1


@dataclass(frozen=True)
class Dependency:
    """A dependency as code, and the ``from module import name`` it needs, if any."""

    code: str
    needs: tuple[str, str] | None = None


def imports_of(module: cst.Module) -> Imports:
    dagster, asset_key = None, None
    functions: dict[tuple[str, str], str] = {}
    modules: dict[str, str] = {}
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    name = _EMPTY.code_for_node(alias.name)
                    modules[name] = alias.evaluated_alias or name
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
                    if (source, name) == ("dagster", "AssetKey"):
                        asset_key = local
    return Imports(dagster, asset_key, functions, modules, module_bindings(module))


def dependency(
    key: Key,
    symbol: tuple[str, str] | None,
    example: cst.BaseExpression | None,
    imports: Imports,
    quote: str,
) -> Dependency | None:
    """``key`` written like ``example`` (another dependency of the module); None when the
    module binds every name it could be written with to something else."""
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
            return None if inner is None else Dependency(f"{function}({inner.code})", inner.needs)
    if isinstance(example, (cst.Name, cst.Attribute)) and symbol is not None:
        function_style = _function(symbol, imports)
        if function_style is not None:
            return function_style
    return _asset_key(key, imports, quote)


def _function(symbol: tuple[str, str], imports: Imports) -> Dependency | None:
    """The upstream asset's function, by the name the module already gives it, or
    imported under its own name when that name is free."""
    module, name = symbol
    if symbol in imports.functions and imports.sole(imports.functions[symbol]):
        return Dependency(imports.functions[symbol])
    if module in imports.modules and imports.sole(imports.modules[module]):
        return Dependency(f"{imports.modules[module]}.{name}")
    if imports.bindings[name]:
        return None
    return Dependency(name, symbol)


def _asset_key(key: Key, imports: Imports, quote: str) -> Dependency | None:
    """``AssetKey([...])`` by a name that resolves to Dagster's: the module's own import of
    it, ``dg.AssetKey`` under ``import dagster as dg``, else a new import, unless the
    module binds ``AssetKey`` to something else."""
    listed = _key_list(key, quote)
    if imports.asset_key is not None and imports.sole(imports.asset_key):
        return Dependency(f"{imports.asset_key}({listed})")
    if imports.dagster is not None and imports.sole(imports.dagster):
        return Dependency(f"{imports.dagster}.AssetKey({listed})")
    if imports.bindings["AssetKey"]:
        return None
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


def with_dependencies(call: cst.Call, added: list[tuple[str, Key]]) -> cst.Call:
    """``call`` (an asset declaration) with the dependencies ``added`` (code, and the key
    it names) in its ``deps`` list, which is created when missing. A key the list already
    names is not added again (another run may have added it since this one read the
    file). A ``deps=`` that is not a literal list (a name, a call) is the author's, and
    left alone."""
    given = argument(call, "deps")
    declared = set()
    if given is not None and isinstance(given.value, (cst.List, cst.Tuple)):
        declared = {
            _declared(item.value) for item in given.value.elements if isinstance(item, cst.Element)
        }
    values = []
    for code, key in added:
        value = cst.parse_expression(code)
        if key in declared or _declared(value) in declared:
            continue
        declared.add(key)
        values.append(value)
    if not values:
        return call
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
    if (
        not elements
        and isinstance(listed, cst.List)
        and isinstance(opening, cst.ParenthesizedWhitespace)
    ):
        # ``deps=[  # filled in later`` then ``]`` on a line of its own: one per line,
        # a step in from the bracket's line.
        filled = listed.with_changes(elements=[cst.Element(value) for value in values])
        return call.with_deep_changes(given, value=exploded_list(filled, opening.last_line.value))
    for value in values:
        elements = appended(elements, cst.Element(value), opening)
    return call.with_deep_changes(given, value=listed.with_changes(elements=elements))


def _declared(value: cst.BaseExpression) -> Key | str:
    """The key a dependency names, when written as a key (a string, a key list, an
    ``AssetKey``, an ``AssetDep`` of one); else its code (an asset function)."""
    if isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str):
        return tuple(value.evaluated_value.split("/"))
    if isinstance(value, (cst.List, cst.Tuple)):
        parts = [
            item.value.evaluated_value
            for item in value.elements
            if isinstance(item, cst.Element) and isinstance(item.value, cst.SimpleString)
        ]
        if len(parts) == len(value.elements) and all(isinstance(p, str) for p in parts):
            return tuple(str(part) for part in parts)
    if isinstance(value, cst.Call) and value.args and value.args[0].keyword is None:
        called = _EMPTY.code_for_node(value.func).rpartition(".")[2]
        inner = value.args[0].value
        if called == "AssetKey" and isinstance(inner, cst.SimpleString):
            text = inner.evaluated_value
            if isinstance(text, str):
                return (text,)
        if called in ("AssetKey", "AssetDep"):
            return _declared(inner)
    return _EMPTY.code_for_node(value)


def _with_closing(
    listed: cst.List | cst.Tuple, whitespace: cst.BaseParenthesizableWhitespace
) -> cst.List | cst.Tuple:
    if isinstance(listed, cst.List):
        return listed.with_changes(
            rbracket=listed.rbracket.with_changes(whitespace_before=whitespace)
        )
    rpar = [*listed.rpar[:-1], listed.rpar[-1].with_changes(whitespace_before=whitespace)]
    return listed.with_changes(rpar=rpar)
