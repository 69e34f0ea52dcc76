"""The names a module binds at module scope, and how many times: a name a fix writes (an
added import, ``AssetKey``) must resolve to what the fix means, wherever the module binds
it (a ``def AssetKey`` at the bottom, a fallback import inside ``try``/``except``, an
``if`` at module level, a ``global`` in a function).

Function, class and lambda bodies and comprehensions have scopes of their own (counted by
``ScopeDepth``, which the fixes' node finder shares): only their names (and ``global``
statements) count, not what they bind inside.
"""

from collections import Counter

import libcst as cst


def module_bindings(module: cst.Module) -> Counter[str]:
    """Each name bound at module scope -> the number of statements binding it."""
    found = _Bindings()
    module.visit(found)
    return found.names


class ScopeDepth(cst.CSTVisitor):
    """A visitor that knows how many scopes it is in: function, class and lambda bodies
    and comprehensions. ``depth == 0`` is module scope."""

    def __init__(self) -> None:
        self.depth = 0

    def _enter(self) -> None:
        self.depth += 1

    def _leave(self) -> None:
        self.depth -= 1

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._enter()

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._leave()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._enter()

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._leave()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._enter()

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._leave()

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._enter()

    def leave_ListComp(self, original_node: cst.ListComp) -> None:
        self._leave()

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._enter()

    def leave_SetComp(self, original_node: cst.SetComp) -> None:
        self._leave()

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._enter()

    def leave_DictComp(self, original_node: cst.DictComp) -> None:
        self._leave()

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._enter()

    def leave_GeneratorExp(self, original_node: cst.GeneratorExp) -> None:
        self._leave()


class _Bindings(ScopeDepth):
    def __init__(self) -> None:
        super().__init__()
        self.names: Counter[str] = Counter()

    def _bind(self, name: str) -> None:
        if self.depth == 0:
            self.names[name] += 1

    def _targets(self, node: cst.BaseExpression) -> None:
        if isinstance(node, cst.Name):
            self._bind(node.value)
        elif isinstance(node, (cst.Tuple, cst.List)):
            for element in node.elements:
                self._targets(element.value)
        elif isinstance(node, cst.StarredElement):
            self._targets(node.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._bind(node.name.value)  # in the enclosing scope, before entering its own
        super().visit_FunctionDef(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._bind(node.name.value)
        super().visit_ClassDef(node)

    def visit_Global(self, node: cst.Global) -> None:
        for item in node.names:  # a function rebinding a module name
            self.names[item.name.value] += 1

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self._bind(alias.asname.name.value)
            else:
                self._bind(cst.Module([]).code_for_node(alias.name).split(".")[0])

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            self._bind(alias.evaluated_alias or alias.evaluated_name)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._targets(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._targets(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._targets(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._targets(node.target)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._targets(node.asname.name)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._targets(node.name.name)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._targets(node.target)

    def visit_Del(self, node: cst.Del) -> None:
        self._targets(node.target)

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        if node.name is not None:
            self._bind(node.name.value)
