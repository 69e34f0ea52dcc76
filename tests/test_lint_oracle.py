"""Oracle test: the asset graph ``polster-lint --graph json`` rebuilds is the one Dagster loads.

Seeded random projects mix every way the linter claims to read a declaration: ``@asset``
with ``key``/``name``/``key_prefix``, ``deps`` written as functions (imported in every
style, relative imports and re-exports included), strings, lists, ``AssetKey``,
``AssetDep`` and ``AssetSpec``; ``ins`` with ``AssetIn(key=...)`` and
``AssetIn(key_prefix=...)``; plain parameters (with and without a context parameter);
``@multi_asset`` with ``specs``, with ``outs`` (``AssetOut`` prefixes positional too) and
with ``internal_asset_deps``; ``@graph_asset`` and ``@graph_multi_asset``;
``AssetsDefinition.from_graph``; ``SourceAsset``; parameters that are resources of every
kind (``ConfigurableResource`` subclasses defined here, in another module, or subclassed
across modules; ``PipesSubprocessClient``; ``ResourceParam[...]``) or config; one-part keys
that Dagster resolves within the group; ``from dagster import *``; factories and loops
over literal lists; ``**dict`` and ``functools.partial`` decorator options. Each project
has a definitions module, loading the assets either as a generated project does
(``load_assets_from_package_module(orchestration.assets)``) or layer by layer with a
load-time ``group_name`` and sometimes a ``key_prefix``. Real Dagster loads every
project's definitions, in one subprocess for all projects, and the linter's assets and
edges must equal Dagster's exactly.

Projects are kept valid for Dagster: upstreams are always declared earlier (no cycles),
keys are unique, only ``deps`` name keys that no asset defines (those become Dagster's
external stub nodes, and the linter's edges must point at them too), and the resources
the assets take are given to the definitions.
"""

import json
import random
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from polster_lint.adapters.pyproject import load_config
from polster_lint.cli import main
from polster_lint.engine import lint_project
from polster_lint.parsing.extract import extract

SEEDS = range(60)
LAYERS = ("bronze", "silver", "gold")
WORDS = ("orders", "customers", "payments", "products", "events", "stock", "visits")
PREFIXES = ("raw", "sales", "crm", "finance")
CONTEXT_NAMES = ("context", "_", "_context", "context_")

Key = tuple[str, ...]

# Loads every project given on stdin with real Dagster, one after the other in this one
# process (importing Dagster is the slow part), and prints the graphs as JSON. Each
# project's ``orchestration`` package is dropped from sys.modules before the next one.
DAGSTER_ORACLE = r"""
import importlib, json, sys, warnings
warnings.simplefilter("ignore")
import dagster as dg

request = json.load(sys.stdin)
answer = {"projects": {}, "coercions": []}
for root in request["roots"]:
    source_root = root + "/src"
    sys.path.insert(0, source_root)
    try:
        definitions = importlib.import_module("orchestration.definitions")
        graph = definitions.defs.resolve_asset_graph()
        nodes = [graph.get(key) for key in graph.get_all_asset_keys()]
        answer["projects"][root] = {
            "defined": sorted("/".join(n.key.path) for n in nodes if n.is_materializable),
            "nodes": sorted("/".join(n.key.path) for n in nodes),
            "edges": sorted(
                ["/".join(up.path), "/".join(n.key.path)] for n in nodes for up in n.parent_keys
            ),
        }
    except Exception as error:
        answer["projects"][root] = {"error": f"{type(error).__name__}: {error}"}
    finally:
        sys.path.remove(source_root)
        for name in list(sys.modules):
            if name == "orchestration" or name.startswith("orchestration."):
                del sys.modules[name]
        importlib.invalidate_caches()
for expression in request["coercions"]:
    spec = dg.AssetSpec("t", deps=[eval(expression, {"dg": dg})])
    answer["coercions"].append([list(dep.asset_key.path) for dep in spec.deps])
print(json.dumps(answer))
"""

# deps elements whose key Dagster coerces in a way worth pinning down: a string is ONE key
# part even with a "/" in it; a list is the parts (a tuple is refused); AssetKey and
# AssetDep wrap both.
COERCIONS = (
    '"a/b"',
    '"plain"',
    '["a/b", "c"]',
    'dg.AssetKey("a/b")',
    'dg.AssetKey(["a", "b"])',
    'dg.AssetKey.from_user_string("a/b")',
    'dg.AssetDep("a/b")',
    'dg.AssetDep(dg.AssetKey(["x", "y/z"]))',
    'dg.AssetSpec("a/b")',
    'dg.AssetSpec(["a", "b"])',
    'dg.AssetSpec(key=dg.AssetKey(["k"]))',
)


# --- the generator ----------------------------------------------------------------------


@dataclass
class Module:
    index: int
    layer: str
    name: str
    imports: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    bound: dict[str, str] = field(default_factory=dict)
    """Provider name -> the expression that refers to it in this module."""
    exports: dict[str, str] = field(default_factory=dict)
    """Provider name -> the module-level name it has in this module (others may import it)."""
    star: bool = False
    """The module takes Dagster's names with ``from dagster import *``."""

    @property
    def dotted(self) -> str:
        return f"orchestration.assets.{self.layer}.{self.name}"

    @property
    def path(self) -> str:
        return f"src/orchestration/assets/{self.layer}/{self.name}.py"

    def need(self, line: str) -> None:
        if line not in self.imports:
            self.imports.append(line)

    def source(self) -> str:
        header = f'"""Generated module {self.index} ({self.layer})."""\n\n'
        return header + "\n".join(self.imports) + "\n\n\n" + "\n\n\n".join(self.body) + "\n"


@dataclass
class Provider:
    """A module-level name that stands for keys: an asset function, an ``AssetSpec``, a
    ``SourceAsset``."""

    name: str
    module: Module
    keys: tuple[Key, ...]
    """The keys Dagster sees once the definitions loaded the module (final keys)."""
    kind: str = "asset"
    """``asset`` or ``source`` (loaded objects), ``spec`` (never loaded)."""


@dataclass
class Upstreams:
    """What one asset (or one spec) declares: rendered pieces and the keys they stand for."""

    deps: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    ins: list[str] = field(default_factory=list)
    input_names: list[str] = field(default_factory=list)
    keys: set[Key] = field(default_factory=set)


class ProjectGenerator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.counter = 0
        self.modules: list[Module] = []
        self.providers: list[Provider] = []
        self.defined: dict[Key, str] = {}
        """Every key an asset defines -> the file that defines it."""
        self.package_exports: dict[str, tuple[int, dict[str, str]]] = {}
        """Layer -> (index of the module its ``__init__`` imports, provider -> name)."""
        self.package_lines: dict[str, list[str]] = {}
        # How the definitions load the assets: as the generated project does (one package
        # load), or layer by layer with a load-time group and maybe a key prefix.
        self.by_layer = seed % 3 != 0
        self.load_prefix: dict[str, Key] = {}
        self.load_group: dict[str, str] = {}
        if self.by_layer:
            for layer in LAYERS:
                if self.rng.random() < 0.6:
                    self.load_group[layer] = layer
                if self.rng.random() < 0.4:
                    self.load_prefix[layer] = (f"lp_{layer}",)
        self.raw_of: dict[Key, Key] = {}
        """Final key (as Dagster has it after loading) -> the key the module writes."""
        self.layer_of: dict[Key, str] = {}
        self.group_of: dict[Key, str] = {}
        self.sources: set[Key] = set()
        """Keys of ``SourceAsset``s: external nodes Dagster has whether referenced or not."""
        self.resources: dict[str, str] = {}
        """Resource key -> the expression the definitions give it with."""
        self.resource_imports: set[str] = set()
        self.support: dict[str, str] = {}
        """Modules outside the asset folders (shared resource classes)."""
        self.used: set[str] = set()
        """The ways of declaring an upstream this project uses (for the coverage test)."""

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}_{self.counter}"

    # --- writing Dagster names and keys ------------------------------------------------

    def dagster(self, module: Module, name: str) -> str:
        """``name`` from dagster, written in one of the ways a module can import it."""
        if module.star:
            module.need("from dagster import *")
            return name
        style = self.rng.choice(("dg", "dg", "dagster", "from", "alias"))
        if style == "dg":
            module.need("import dagster as dg")
            return f"dg.{name}"
        if style == "dagster":
            module.need("import dagster")
            return f"dagster.{name}"
        if style == "from":
            module.need(f"from dagster import {name}")
            return name
        module.need(f"from dagster import {name} as {name}_")
        return f"{name}_"

    def key_expression(self, module: Module, key: Key) -> str:
        """A key as an argument of ``key=``: a string, a list or an ``AssetKey``."""
        choices = ["list", "assetkey"] + (["string"] if len(key) == 1 else [])
        style = self.rng.choice(choices)
        parts = ", ".join(f'"{part}"' for part in key)
        if style == "string":
            return f'"{key[0]}"'
        if style == "list":
            return f"[{parts}]"
        return f"{self.dagster(module, 'AssetKey')}([{parts}])"

    def dep_literal(self, module: Module, key: Key) -> str:
        """A key as an element of ``deps=[...]``, written as a literal."""
        choices = ["list", "assetkey_list", "assetdep_key", "inline_spec"]
        if len(key) == 1:
            choices += ["string", "string", "assetkey_string", "assetdep_string"]
        style = self.rng.choice(choices)
        parts = ", ".join(f'"{part}"' for part in key)
        if style == "string":
            return f'"{key[0]}"'
        if style == "list":
            return f"[{parts}]"
        if style == "assetkey_string":
            return f'{self.dagster(module, "AssetKey")}("{key[0]}")'
        if style == "assetkey_list":
            return f"{self.dagster(module, 'AssetKey')}([{parts}])"
        if style == "assetdep_string":
            return f'{self.dagster(module, "AssetDep")}("{key[0]}")'
        if style == "assetdep_key":
            return f"{self.dagster(module, 'AssetDep')}({self.key_expression(module, key)})"
        return f"{self.dagster(module, 'AssetSpec')}({self.key_expression(module, key)})"

    # --- referring to a provider from another module ------------------------------------

    def reference(self, module: Module, provider: Provider) -> str:
        """An expression for ``provider`` in ``module``, importing it if needed."""
        if provider.name in module.bound:
            return module.bound[provider.name]
        packages = [
            layer
            for layer, (after, names) in self.package_exports.items()
            if provider.name in names and module.index > after
        ]
        if packages and self.rng.random() < 0.5:
            return self.package_reference(module, provider, self.rng.choice(packages))
        sources = [
            source for source in self.modules[: module.index] if provider.name in source.exports
        ]
        source = self.rng.choice(sources)
        exported = source.exports[provider.name]
        same_layer = source.layer == module.layer
        relative = f".{source.name}" if same_layer else f"..{source.layer}.{source.name}"
        relative_package = "." if same_layer else f"..{source.layer}"
        style = self.rng.choice(
            (
                "from",
                "from_as",
                "import_as",
                "import_full",
                "from_package",
                "relative",
                "relative_as",
                "relative_module",
            )
        )
        alias = f"{provider.name}_in{module.index}"
        if style == "from":
            module.need(f"from {source.dotted} import {exported}")
            module.exports[provider.name] = exported
            expression = exported
        elif style == "from_as":
            module.need(f"from {source.dotted} import {exported} as {alias}")
            module.exports[provider.name] = alias
            expression = alias
        elif style == "import_as":
            module.need(f"import {source.dotted} as mod_{source.index}")
            expression = f"mod_{source.index}.{exported}"
        elif style == "import_full":
            module.need(f"import {source.dotted}")
            expression = f"{source.dotted}.{exported}"
        elif style == "from_package":
            module.need(f"from orchestration.assets.{source.layer} import {source.name}")
            expression = f"{source.name}.{exported}"
        elif style == "relative":
            module.need(f"from {relative} import {exported}")
            module.exports[provider.name] = exported
            expression = exported
        elif style == "relative_as":
            module.need(f"from {relative} import {exported} as {alias}")
            module.exports[provider.name] = alias
            expression = alias
        else:
            module.need(f"from {relative_package} import {source.name} as rel_{source.index}")
            expression = f"rel_{source.index}.{exported}"
        module.bound[provider.name] = expression
        return expression

    def package_reference(self, module: Module, provider: Provider, layer: str) -> str:
        """Import ``provider`` from a layer package whose ``__init__`` re-exports it."""
        exported = self.package_exports[layer][1][provider.name]
        package = "." if layer == module.layer else f"..{layer}"
        if self.rng.random() < 0.5:
            package = f"orchestration.assets.{layer}"
        local = exported if self.rng.random() < 0.5 else f"{provider.name}_in{module.index}"
        suffix = f" as {local}" if local != exported else ""
        module.need(f"from {package} import {exported}{suffix}")
        module.exports[provider.name] = local
        module.bound[provider.name] = local
        return local

    def package_init(self, before: int) -> None:
        """Maybe make a layer's ``__init__`` re-export names of a module before ``before``.

        Only modules after that one import from the package: the package's ``__init__``
        runs while the modules it imports are loading, so an earlier importer would find
        the name not yet bound.
        """
        free = [
            m
            for m in self.modules[:before]
            if m.layer not in self.package_exports
            # Nothing the __init__ imports may import other asset modules: those could
            # reach the package while it is half initialised (a circular import).
            and all("orchestration" not in line and " ." not in line for line in m.imports)
        ]
        if not free or self.rng.random() < 0.5:
            return
        source = self.rng.choice(free)
        names = self.rng.sample(sorted(source.exports), min(2, len(source.exports)))
        exports = {name: source.exports[name] for name in names}
        lines = [
            f"from .{source.name} import {exported}"
            if self.rng.random() < 0.5
            else f"from {source.dotted} import {exported}"
            for exported in exports.values()
        ]
        self.package_exports[source.layer] = (source.index, exports)
        self.package_lines[source.layer] = lines

    def define(
        self,
        module: Module,
        name: str | None,
        keys: list[Key],
        asset: bool = True,
        group: str | None = None,
        kind: str = "asset",
    ) -> list[Key]:
        """Record what a declaration defines: its keys as written in ``module``; returns
        them as Dagster has them once loaded (with the load-time prefix)."""
        finals = [self.final(module, key) if asset else key for key in keys]
        if asset:
            for raw, key in zip(keys, finals, strict=True):
                assert key not in self.defined and key not in self.sources, key
                self.defined[key] = module.path
                self.raw_of[key] = raw
                self.layer_of[key] = module.layer
                self.group_of[key] = self.load_group.get(module.layer) or group or "default"
        if name is not None:
            self.providers.append(Provider(name, module, tuple(finals), kind))
            module.bound[name] = name
            module.exports[name] = name
        return finals

    def final(self, module: Module, key: Key) -> Key:
        return (*self.load_prefix.get(module.layer, ()), *key)

    def written(self, module: Module, key: Key) -> Key:
        """How ``module`` names the asset Dagster knows as ``key``: as written, in its own
        layer (the load-time prefix is applied to the whole layer); else in full."""
        if key in self.raw_of and self.layer_of[key] == module.layer:
            return self.raw_of[key]
        return key

    def usable(self, module: Module, provider: Provider) -> bool:
        """Loading layer by layer, an imported asset object would be loaded with the other
        layer's prefix and group as well: only names of the same layer are imported then."""
        return not self.by_layer or provider.kind == "spec" or provider.module.layer == module.layer

    # --- choosing upstreams -------------------------------------------------------------

    def upstreams(
        self,
        module: Module,
        count: int,
        deps: bool = True,
        inputs: tuple[str, ...] = ("param", "asset_in_key", "asset_in_prefix", "asset_in_name"),
        group: str | None = None,
    ) -> Upstreams:
        """Up to ``count`` upstreams, each declared with a randomly chosen mechanism.

        With ``group`` (the downstream asset's group, when it has one group), a one-part
        key may name an asset of that group by its name alone, which Dagster resolves."""
        chosen = Upstreams()
        defined = list(self.defined)
        mechanisms = ["provider", "assetdep_provider", "literal", "external"] if deps else []
        mechanisms += inputs
        if group is not None:
            mechanisms += ["by_name"] + (["by_name_param"] if "param" in inputs else [])
        for _ in range(count * 3):
            if len(chosen.deps) + len(chosen.input_names) >= count or not mechanisms:
                break
            mechanism = self.rng.choice(mechanisms)
            self.used.add(mechanism)
            if mechanism in ("by_name", "by_name_param"):
                assert group is not None
                key = self.by_name(module, group, chosen)
                if key is None:
                    continue
                if mechanism == "by_name":
                    chosen.deps.append(f'"{key[-1]}"')
                else:
                    chosen.params.append(key[-1])
                    chosen.input_names.append(key[-1])
                chosen.keys.add(key)
            elif mechanism in ("provider", "assetdep_provider"):
                candidates = [
                    p
                    for p in self.providers
                    if not set(p.keys) & chosen.keys
                    and (mechanism == "provider" or len(p.keys) == 1)
                    and self.usable(module, p)
                ]
                if not candidates:
                    continue
                provider = self.rng.choice(candidates)
                expression = self.reference(module, provider)
                if mechanism == "assetdep_provider":
                    expression = f"{self.dagster(module, 'AssetDep')}({expression})"
                chosen.deps.append(expression)
                chosen.keys |= set(provider.keys)
            elif mechanism in ("literal", "external"):
                if mechanism == "literal" and defined:
                    key = self.rng.choice(defined)
                else:
                    key = self.external_key()
                if key in chosen.keys:
                    continue
                chosen.deps.append(self.dep_literal(module, self.written(module, key)))
                chosen.keys.add(key)
            else:
                self.input(module, mechanism, defined, chosen)
        return chosen

    def by_name(self, module: Module, group: str, chosen: Upstreams) -> Key | None:
        """An asset of ``group`` whose name alone (a one-part key no asset has) Dagster
        resolves to it: the only asset of that name in the group."""
        names: dict[str, int] = {}
        for key in [*self.defined, *self.sources]:
            names[key[-1]] = names.get(key[-1], 0) + 1
        candidates = [
            key
            for key, key_group in self.group_of.items()
            if key_group == group
            and len(key) > 1
            and names[key[-1]] == 1
            and (key[-1],) not in self.defined
            and key not in chosen.keys
            and key[-1] not in chosen.input_names
            and key[-1] not in ("context", "config")
        ]
        return self.rng.choice(candidates) if candidates else None

    def external_key(self) -> Key:
        if self.rng.random() < 0.5:
            return (self.fresh("ext"),)
        return (self.rng.choice(PREFIXES), self.fresh("ext"))

    def input(self, module: Module, mechanism: str, defined: list[Key], chosen: Upstreams) -> None:
        """A parameter, or an ``ins`` entry, for an existing asset (Dagster requires one)."""
        free = [key for key in defined if key not in chosen.keys]
        written = {key: self.written(module, key) for key in free}
        single = [
            key
            for key in free
            if len(written[key]) == 1
            and written[key][0] not in chosen.input_names
            and written[key][0] not in ("context", "config")
        ]
        if mechanism == "param" and single:
            key = self.rng.choice(single)
            chosen.params.append(written[key][0])
            chosen.input_names.append(written[key][0])
        elif mechanism == "asset_in_name" and single:
            key = self.rng.choice(single)
            chosen.ins.append(f'"{written[key][0]}": {self.dagster(module, "AssetIn")}()')
            chosen.input_names.append(written[key][0])
        elif mechanism == "asset_in_key" and free:
            key = self.rng.choice(free)
            name = self.fresh("upstream")
            asset_in = self.dagster(module, "AssetIn")
            argument = self.key_expression(module, written[key])
            if self.rng.random() < 0.5:
                chosen.ins.append(f'"{name}": {asset_in}(key={argument})')
            else:
                chosen.ins.append(f'"{name}": {asset_in}({argument})')
            chosen.input_names.append(name)
        elif mechanism == "asset_in_prefix":
            prefixed = [
                k
                for k in free
                if len(written[k]) > 1
                and written[k][-1] not in chosen.input_names
                and written[k][-1] not in ("context", "config")
            ]
            if not prefixed:
                return
            key = self.rng.choice(prefixed)
            parts = written[key]
            prefix = f'"{parts[0]}"' if len(parts) == 2 and self.rng.random() < 0.5 else None
            prefix = prefix or "[" + ", ".join(f'"{part}"' for part in parts[:-1]) + "]"
            if self.rng.random() < 0.3:  # key_prefix is AssetIn's third positional parameter
                argument = f"None, None, {prefix}"
            else:
                argument = f"key_prefix={prefix}"
            chosen.ins.append(f'"{parts[-1]}": {self.dagster(module, "AssetIn")}({argument})')
            chosen.input_names.append(parts[-1])
        else:
            return
        chosen.keys.add(key)

    # --- declarations -------------------------------------------------------------------

    def signature(self, chosen: Upstreams, context: bool, module: Module | None = None) -> str:
        names = list(chosen.input_names)
        if module is not None:
            names += self.resource_parameters(module)
        self.rng.shuffle(names)
        if context:
            name = self.rng.choice(CONTEXT_NAMES)
            if module is not None and self.rng.random() < 0.5:
                context_class = self.rng.choice(("AssetExecutionContext", "OpExecutionContext"))
                name = f"{name}: {self.dagster(module, context_class)}"
            names.insert(0, name)
        return ", ".join(names)

    def resource_parameters(self, module: Module) -> list[str]:
        """Parameters Dagster takes for resources or config, never for upstream assets."""
        found = []
        for _ in range(self.rng.choice((0, 0, 0, 1, 2))):
            kind = self.rng.choice(("local", "shared", "subclass", "pipes", "param", "config"))
            name = self.fresh("res")
            if kind == "local":
                cls = self.fresh("Local").title().replace("_", "")
                base = self.dagster(module, "ConfigurableResource")
                module.body.append(f"class {cls}({base}):\n    level: int = 0")
                found.append(f"{name}: {cls}")
                self.resource_imports.add(f"from {module.dotted} import {cls}")
                self.resources[name] = f"{cls}()"
            elif kind in ("shared", "subclass"):
                self.shared_resources()
                cls, home = (
                    ("Warehouse", "orchestration.resources")
                    if kind == "shared"
                    else ("Reporting", "orchestration.reporting")
                )
                if self.rng.random() < 0.5:
                    module.need(f"from {home} import {cls}")
                    found.append(f"{name}: {cls}")
                else:
                    package, _, leaf = home.rpartition(".")
                    module.need(f"from {package} import {leaf}")
                    found.append(f"{name}: {leaf}.{cls}")
                self.resource_imports.add(f"from {home} import {cls}")
                self.resources[name] = f"{cls}()"
            elif kind == "pipes":
                found.append(f"{name}: {self.dagster(module, 'PipesSubprocessClient')}")
                self.resources[name] = "dg.PipesSubprocessClient()"
            elif kind == "param":
                found.append(f"{name}: {self.dagster(module, 'ResourceParam')}[str]")
                self.resources[name] = '"token"'
            elif "config" not in " ".join(found):
                cls = self.fresh("Settings").title().replace("_", "")
                module.body.append(
                    f"class {cls}({self.dagster(module, 'Config')}):\n    limit: int = 1"
                )
                found.append(f"config: {cls}")
        return found

    def shared_resources(self) -> None:
        """A resource class in a module of its own, and a subclass of it in another."""
        self.support["src/orchestration/resources.py"] = (
            "import dagster as dg\n\n\nclass Warehouse(dg.ConfigurableResource):\n"
            '    dsn: str = "memory"\n'
        )
        self.support["src/orchestration/reporting.py"] = (
            "from orchestration import resources\n\n\n"
            "class Reporting(resources.Warehouse):\n    pass\n"
        )

    def options(self, chosen: Upstreams) -> list[str]:
        options = []
        if chosen.deps:
            options.append(f"deps=[{', '.join(chosen.deps)}]")
        if chosen.ins:
            options.append(f"ins={{{', '.join(chosen.ins)}}}")
        return options

    def decorator(self, module: Module, kind: str, options: list[str]) -> str:
        name = self.dagster(module, kind)
        if not options and kind == "asset" and self.rng.random() < 0.5:
            return f"@{name}"
        return f"@{name}({', '.join(options)})"

    def asset(self, module: Module) -> None:
        function = self.fresh(self.rng.choice(WORDS))
        bare = self.rng.random() < 0.15  # a plain root asset: @asset, no options at all
        style = self.rng.choice(
            ("default", "key_string", "key_list", "key_assetkey", "name", "prefix", "prefix_name")
        )
        style = "default" if bare else style
        options: list[str] = []
        if style == "default":
            key: Key = (function,)
        elif style == "key_string":
            key = (self.fresh(self.rng.choice(WORDS)),)
            options.append(f'key="{key[0]}"')
        elif style in ("key_list", "key_assetkey"):
            key = (module.layer, self.fresh(self.rng.choice(WORDS)))
            parts = ", ".join(f'"{part}"' for part in key)
            dagster_key = self.dagster(module, "AssetKey")
            options.append(
                f"key=[{parts}]" if style == "key_list" else f"key={dagster_key}([{parts}])"
            )
        elif style == "name":
            key = (self.fresh(self.rng.choice(WORDS)),)
            options.append(f'name="{key[0]}"')
        else:
            prefix = self.prefix()
            name = self.fresh(self.rng.choice(WORDS)) if style == "prefix_name" else function
            key = (*prefix, name)
            written = "[" + ", ".join(f'"{part}"' for part in prefix) + "]"
            if len(prefix) == 1 and self.rng.random() < 0.5:
                written = f'"{prefix[0]}"'
            options.append(f"key_prefix={written}")
            if style == "prefix_name":
                options.append(f'name="{name}"')
        group = module.layer if self.rng.random() < 0.5 and not bare else None
        final_group = self.load_group.get(module.layer) or group or "default"
        chosen = self.upstreams(module, 0 if bare else self.rng.randint(0, 4), group=final_group)
        options += self.options(chosen)
        if group is not None:
            options.append(f'group_name="{group}"')
        self.rng.shuffle(options)
        decorator = self.decorator(module, "asset", options)
        if options and self.rng.random() < 0.25:
            decorator = self.shared_options(module, options)
        context = self.rng.random() < 0.4
        module.body.append(
            f"{decorator}\ndef {function}({self.signature(chosen, context, module)}):\n    return 1"
        )
        self.define(module, function, [key], group=group)

    def shared_options(self, module: Module, options: list[str]) -> str:
        """The decorator with its key and group options moved into a dict constant
        (``**OPTIONS``) or a ``functools.partial`` of ``asset``."""
        shared = [o for o in options if o.startswith(("group_name=", "key_prefix=", "name="))]
        rest = [o for o in options if o not in shared]
        if not shared:
            return self.decorator(module, "asset", options)
        if self.rng.random() < 0.5:
            constant = self.fresh("OPTIONS").upper()
            entries = ", ".join(
                f'"{option.split("=", 1)[0]}": {option.split("=", 1)[1]}' for option in shared
            )
            module.body.append(f"{constant} = {{{entries}}}")
            return f"@{self.dagster(module, 'asset')}(**{constant}, {', '.join(rest)})".replace(
                ", )", ")"
            )
        alias = self.fresh("layer_asset")
        module.need("import functools")
        module.body.append(
            f"{alias} = functools.partial({self.dagster(module, 'asset')}, {', '.join(shared)})"
        )
        return f"@{alias}({', '.join(rest)})"

    def prefix(self) -> Key:
        return tuple(self.rng.sample(PREFIXES, self.rng.randint(1, 2)))

    def asset_outs(
        self, module: Module, count: int, groups: bool = True
    ) -> tuple[list[str], list[Key]]:
        """``AssetOut``s of a multi-asset: rendered entries and their keys."""
        outs, keys = [], []
        for _ in range(count):
            out = self.fresh(self.rng.choice(WORDS))
            style = self.rng.choice(("plain", "prefix", "prefix_list", "key", "positional"))
            asset_out = self.dagster(module, "AssetOut")
            if style == "plain":
                keys.append((out,))
                outs.append(f'"{out}": {asset_out}()')
            elif style == "prefix":
                prefix = self.rng.choice(PREFIXES)
                keys.append((prefix, out))
                outs.append(f'"{out}": {asset_out}(key_prefix="{prefix}")')
            elif style == "positional":  # key_prefix is AssetOut's first parameter
                prefix = self.prefix()
                keys.append((*prefix, out))
                written = (
                    f'"{prefix[0]}"'
                    if len(prefix) == 1
                    else "[" + ", ".join(f'"{p}"' for p in prefix) + "]"
                )
                outs.append(f'"{out}": {asset_out}({written})')
            elif style == "prefix_list":
                prefix = self.prefix()
                keys.append((*prefix, out))
                written = "[" + ", ".join(f'"{p}"' for p in prefix) + "]"
                outs.append(f'"{out}": {asset_out}(key_prefix={written})')
            else:
                key = (module.layer, self.fresh("out"))
                keys.append(key)
                outs.append(f'"{out}": {asset_out}(key={self.key_expression(module, key)})')
        return outs, keys

    def multi_asset_outs(self, module: Module) -> None:
        function = self.fresh("multi")
        outs, keys = self.asset_outs(module, self.rng.randint(1, 3))
        chosen = self.upstreams(module, self.rng.randint(0, 4))
        options = [f"outs={{{', '.join(outs)}}}", *self.options(chosen)]
        group = module.layer if self.rng.random() < 0.5 else None
        if group is not None:
            options.append(f'group_name="{group}"')
        context = self.rng.random() < 0.4
        returned = ", ".join("1" for _ in outs) if len(outs) > 1 else "1"
        module.body.append(
            f"{self.decorator(module, 'multi_asset', options)}\n"
            f"def {function}({self.signature(chosen, context, module)}):\n    return {returned}"
        )
        self.define(module, function, keys, group=group)

    def multi_asset_internal(self, module: Module) -> None:
        """``internal_asset_deps``: each output depends on the inputs (and earlier
        outputs) it lists, an output left out on nothing."""
        function = self.fresh("multi")
        outs, keys = self.asset_outs(module, self.rng.randint(2, 3))
        chosen = self.upstreams(module, self.rng.randint(0, 3), inputs=())
        # Only literal keys: internal_asset_deps names them as AssetKeys.
        literal = [
            self.written(module, key) if key in self.defined else key for key in sorted(chosen.keys)
        ]
        deps = [self.dep_literal(module, key) for key in literal]
        own: dict[int, set[Key]] = {index: set() for index in range(len(keys))}
        for key in literal:  # every input must be some output's dependency
            own[self.rng.randrange(len(keys))].add(key)
        for index in range(1, len(keys)):
            if self.rng.random() < 0.5:
                own[index].add(keys[self.rng.randrange(index)])
        asset_key = self.dagster(module, "AssetKey")
        entries = []
        out_names = [out.split('"')[1] for out in outs]
        for index, name in enumerate(out_names):
            if not own[index] and self.rng.random() < 0.5:
                continue  # left out: depends on nothing
            members = ", ".join(
                f"{asset_key}([{', '.join(repr(p).replace(chr(39), chr(34)) for p in key)}])"
                for key in sorted(own[index])
            )
            entries.append(f'"{name}": {{{members}}}' if members else f'"{name}": set()')
        options = [f"outs={{{', '.join(outs)}}}", f"internal_asset_deps={{{', '.join(entries)}}}"]
        if deps:
            options.append(f"deps=[{', '.join(deps)}]")
        group = module.layer if self.rng.random() < 0.5 else None
        if group is not None:
            options.append(f'group_name="{group}"')
        returned = ", ".join("1" for _ in outs)
        module.body.append(
            f"{self.decorator(module, 'multi_asset', options)}\n"
            f"def {function}():\n    return {returned}"
        )
        self.define(module, function, keys, group=group)

    def multi_asset_specs(self, module: Module) -> None:
        """Specs each with their own deps; parameters and ``ins`` must be among them."""
        function = self.fresh("multi")
        specs, keys, inputs = [], [], Upstreams()
        for number in range(self.rng.randint(1, 3)):
            key = (
                (self.fresh(self.rng.choice(WORDS)),)
                if self.rng.random() < 0.5
                else (module.layer, self.fresh(self.rng.choice(WORDS)))
            )
            chosen = self.upstreams(module, self.rng.randint(0, 3), inputs=())
            if number == 0 and self.rng.random() < 0.6:
                # Some inputs of the function, declared on the first spec as well (Dagster
                # refuses an AssetIn with more than a key for a key that is also a dep).
                inputs = self.upstreams(
                    module, self.rng.randint(1, 2), deps=False, inputs=("param", "asset_in_key")
                )
                inputs.keys -= chosen.keys
                for input_key in sorted(inputs.keys):
                    chosen.deps.append(self.dep_literal(module, self.written(module, input_key)))
                chosen.keys |= inputs.keys
            self.rng.shuffle(chosen.deps)
            spec_class = self.dagster(module, "AssetSpec")
            arguments = [
                self.key_expression(module, key)
                if self.rng.random() < 0.5
                else f"key={self.key_expression(module, key)}"
            ]
            if chosen.deps:
                arguments.append(f"deps=[{', '.join(chosen.deps)}]")
            spec = f"{spec_class}({', '.join(arguments)})"
            if self.rng.random() < 0.3:
                # A module-level spec, used in specs= by its name.
                name = self.fresh("spec")
                module.body.append(f"{name} = {spec}")
                self.define(module, name, [key], asset=False, kind="spec")
                spec = name
            specs.append(spec)
            keys.append(key)
        written = f"[{', '.join(specs)}]"
        if self.rng.random() < 0.3:
            # The list as a module-level constant (Dagster does not load a list of specs).
            constant = self.fresh("SPECS").upper()
            module.body.append(f"{constant} = {written}")
            written = constant
        options = [f"specs={written}", *self.options(Upstreams(ins=inputs.ins))]
        context = self.rng.random() < 0.4
        module.body.append(
            f"{self.decorator(module, 'multi_asset', options)}\n"
            f"def {function}({self.signature(inputs, context, module)}):\n    pass"
        )
        finals = self.define(module, None, keys)
        self.providers.append(Provider(function, module, tuple(finals)))
        module.bound[function] = function
        module.exports[function] = function

    def graph_asset(self, module: Module) -> None:
        function = self.fresh("graph")
        options: list[str] = []
        style = self.rng.choice(("default", "name", "prefix", "key"))
        if style == "default":
            key: Key = (function,)
        elif style == "name":
            key = (self.fresh(self.rng.choice(WORDS)),)
            options.append(f'name="{key[0]}"')
        elif style == "prefix":
            prefix = self.rng.choice(PREFIXES)
            key = (prefix, function)
            options.append(f'key_prefix="{prefix}"')
        else:
            key = (module.layer, self.fresh(self.rng.choice(WORDS)))
            options.append(f"key={self.key_expression(module, key)}")
        group = module.layer if self.rng.random() < 0.5 else None
        if group is not None:
            options.append(f'group_name="{group}"')
        final_group = self.load_group.get(module.layer) or group or "default"
        chosen = self.upstreams(
            module,
            self.rng.randint(0, 3),
            deps=False,
            inputs=("param", "asset_in_key", "asset_in_prefix", "asset_in_name"),
            group=final_group,
        )
        names = list(chosen.input_names)
        options += self.options(Upstreams(ins=chosen.ins))
        op = f"op_for_{function}"
        arguments = ", ".join(names)
        module.body.append(
            f"{self.decorator(module, 'op', [])}\ndef {op}({arguments}):\n    return 1"
        )
        module.body.append(
            f"{self.decorator(module, 'graph_asset', options)}\n"
            f"def {function}({arguments}):\n    return {op}({arguments})"
        )
        self.define(module, function, [key], group=group)

    def graph_multi_asset(self, module: Module) -> None:
        """Every output of a graph multi-asset depends on every input; AssetOut groups are
        not used there, only the decorator's."""
        function = self.fresh("graph_multi")
        outs, keys = self.asset_outs(module, self.rng.randint(1, 3))
        chosen = self.upstreams(module, self.rng.randint(0, 3), deps=False)
        names = list(chosen.input_names)
        options = [f"outs={{{', '.join(outs)}}}", *self.options(Upstreams(ins=chosen.ins))]
        group = module.layer if self.rng.random() < 0.5 else None
        if group is not None:
            options.append(f'group_name="{group}"')
        op = f"op_for_{function}"
        arguments = ", ".join(names)
        module.body.append(
            f"{self.decorator(module, 'op', [])}\ndef {op}({arguments}):\n    return 1"
        )
        results = ", ".join(f'"{out.split(chr(34))[1]}": {op}({arguments})' for out in outs)
        module.body.append(
            f"{self.decorator(module, 'graph_multi_asset', options)}\n"
            f"def {function}({arguments}):\n    return {{{results}}}"
        )
        self.define(module, function, keys, group=group)

    def from_graph(self, module: Module) -> None:
        """``AssetsDefinition.from_graph`` over a ``@graph`` of the module."""
        graph = self.fresh("cleaning")
        op = f"op_for_{graph}"
        candidates = [key for key in self.defined if key[-1] not in ("context", "config")]
        inputs = self.rng.sample(candidates, min(len(candidates), self.rng.randint(0, 2)))
        names = [f"in_{index}" for index in range(len(inputs))]
        arguments = ", ".join(names)
        module.body.append(
            f"{self.decorator(module, 'op', [])}\ndef {op}({arguments}):\n    return 1"
        )
        module.body.append(
            f"{self.decorator(module, 'graph', [])}\ndef {graph}({arguments}):\n"
            f"    return {op}({arguments})"
        )
        asset_key = self.dagster(module, "AssetKey")
        by_input = ", ".join(
            f'"{name}": {asset_key}({list(self.written(module, key))!r})'.replace("'", '"')
            for name, key in zip(names, inputs, strict=True)
        )
        options = [graph, f"keys_by_input_name={{{by_input}}}"]
        if self.rng.random() < 0.5:
            key: Key = (module.layer, self.fresh("graphed"))
            options.append(
                f'keys_by_output_name={{"result": {asset_key}({list(key)!r})}}'.replace("'", '"')
            )
        else:
            prefix = self.rng.choice(PREFIXES)
            key = (prefix, graph)
            options.append(f'key_prefix="{prefix}"')
        group = module.layer if self.rng.random() < 0.5 else None
        if group is not None:
            options.append(f'group_name="{group}"')
        name = self.fresh("graphed_assets")
        module.body.append(
            f"{name} = {self.dagster(module, 'AssetsDefinition')}.from_graph({', '.join(options)})"
        )
        self.define(module, name, [key], group=group)

    def factory(self, module: Module) -> None:
        """Assets made by a function or a loop over a literal list of names."""
        names = [self.fresh(self.rng.choice(WORDS)) for _ in range(self.rng.randint(1, 3))]
        keys = [(module.layer, name) for name in names]
        chosen = self.upstreams(module, self.rng.randint(0, 2), inputs=())
        options = [f"deps=[{', '.join(chosen.deps)}]"] if chosen.deps else []
        group = module.layer if self.rng.random() < 0.5 else None
        if group is not None:
            options.append(f'group_name="{group}"')
        listed = "[" + ", ".join(f'"{name}"' for name in names) + "]"
        style = self.rng.choice(("comprehension", "calls", "loop_list", "loop_globals"))
        asset = self.dagster(module, "asset")
        if style in ("comprehension", "calls"):
            maker = self.fresh("make")
            key_option = f'key=["{module.layer}", name]'
            module.body.append(
                f"def {maker}(name):\n"
                f"    @{asset}({', '.join([key_option, *options])})\n"
                "    def _asset():\n        return 1\n\n    return _asset"
            )
            if style == "comprehension":
                holder = self.fresh("made").upper()
                module.body.append(f"{holder} = [{maker}(name) for name in {listed}]")
            else:
                module.body.append("\n".join(f'made_{name} = {maker}("{name}")' for name in names))
        else:
            function = self.fresh("looped")
            prefix = f'key_prefix="{module.layer}"'
            body = (
                f"    @{asset}({', '.join(['name=name', prefix, *options])})\n"
                f"    def {function}():\n        return 1\n\n"
            )
            if style == "loop_list":
                holder = self.fresh("LOOPED").upper()
                module.body.append(
                    f"{holder} = []\nfor name in {listed}:\n\n{body}    {holder}.append({function})"
                )
            else:
                module.body.append(
                    f"for name in {listed}:\n\n{body}"
                    f'    globals()[f"{function}_{{name}}"] = {function}'
                )
        for key in keys:
            self.define(module, None, [key], group=group)

    def source_asset(self, module: Module) -> None:
        """A ``SourceAsset``: loaded as an external input, never materialised."""
        name = self.fresh("source")
        key = self.external_key()
        written = self.key_expression(module, key)
        argument = written if self.rng.random() < 0.5 else f"key={written}"
        module.body.append(f"{name} = {self.dagster(module, 'SourceAsset')}({argument})")
        self.sources.add(key)
        self.define(module, name, [key], asset=False, kind="source")

    def module_spec(self, module: Module) -> None:
        """A module-level ``AssetSpec``: not an asset (no include_specs), but a key for deps."""
        name = self.fresh("source")
        key = self.external_key()
        chosen = self.upstreams(module, self.rng.randint(0, 2), inputs=())
        arguments = [f"key={self.key_expression(module, key)}"]
        if chosen.deps:
            arguments.append(f"deps=[{', '.join(chosen.deps)}]")
        module.body.append(f"{name} = {self.dagster(module, 'AssetSpec')}({', '.join(arguments)})")
        self.define(module, name, [key], asset=False, kind="spec")

    def definitions(self) -> str:
        """The definitions module: how the project's assets are loaded, and the resources."""
        lines = ['"""Generated definitions."""', "", "import dagster as dg", ""]
        if self.by_layer:
            lines.append("from orchestration.assets import bronze, gold, silver")
            loads = []
            for layer in LAYERS:
                arguments = [layer]
                if layer in self.load_group:
                    group = f'"{self.load_group[layer]}"'
                    arguments.append(group if self.rng.random() < 0.5 else f"group_name={group}")
                if layer in self.load_prefix:
                    prefix = self.load_prefix[layer]
                    written = f'"{prefix[0]}"' if self.rng.random() < 0.5 else f'["{prefix[0]}"]'
                    arguments.append(f"key_prefix={written}")
                loads.append(f"*dg.load_assets_from_package_module({', '.join(arguments)})")
            assets = "[" + ", ".join(loads) + "]"
        else:
            lines.append("from orchestration import assets")
            assets = "dg.load_assets_from_package_module(assets)"
        lines += sorted(self.resource_imports)
        resources = ", ".join(f'"{name}": {value}' for name, value in self.resources.items())
        lines += ["", "", f"defs = dg.Definitions(assets={assets}, resources={{{resources}}})", ""]
        return "\n".join(lines)

    def generate(self) -> dict[str, str]:
        """The project's files: relative path -> source."""
        count = self.rng.randint(2, 5)
        layers = sorted(self.rng.choice(LAYERS) for _ in range(count))
        makers = (
            self.asset,
            self.asset,
            self.asset,
            self.multi_asset_outs,
            self.multi_asset_internal,
            self.multi_asset_specs,
            self.graph_asset,
            self.graph_multi_asset,
            self.from_graph,
            self.factory,
            self.source_asset,
            self.module_spec,
        )
        for index, layer in enumerate(layers):
            self.package_init(before=index)
            module = Module(index, layer, f"run_{layer}_m{index}", star=self.rng.random() < 0.15)
            self.modules.append(module)
            module.need("from dagster import *" if module.star else "import dagster as dg")
            for _ in range(self.rng.randint(2, 5)):
                self.rng.choice(makers)(module)
        if self.seed % 4 == 0:
            # A spec whose key and deps have a "/" inside one part: legal for Dagster,
            # and never loaded as an asset.
            self.modules[-1].need("import dagster as dg")
            self.modules[-1].body.append(
                'slash_spec = dg.AssetSpec("raw/with_slash", deps=["x/y", dg.AssetKey("a/b")])'
            )
        files = {module.path: module.source() for module in self.modules}
        for layer, lines in self.package_lines.items():
            files[f"src/orchestration/assets/{layer}/__init__.py"] = "\n".join(lines) + "\n"
        files.update(self.support)
        files["src/orchestration/definitions.py"] = self.definitions()
        return files


def write_project(root: Path, files: dict[str, str]) -> None:
    (root / ".polster-answers.json").parent.mkdir(parents=True, exist_ok=True)
    (root / ".polster-answers.json").write_text('{"cookiecutter": {}}')
    for package in ("src/orchestration", "src/orchestration/assets"):
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "__init__.py").write_text("")
    for layer in LAYERS:
        (root / "src/orchestration/assets" / layer).mkdir(exist_ok=True)
        (root / "src/orchestration/assets" / layer / "__init__.py").write_text("")
    for relative, source in files.items():
        (root / relative).write_text(source)


# --- fixtures and tests -----------------------------------------------------------------


@dataclass
class Oracle:
    projects: dict[int, tuple[Path, ProjectGenerator, dict]]
    coercions: list[list[list[str]]]


@pytest.fixture(scope="module")
def oracle(tmp_path_factory) -> Oracle:
    """Generate every project, then load them all with Dagster in one subprocess."""
    base = tmp_path_factory.mktemp("oracle")
    generated = {}
    for seed in SEEDS:
        root = base / f"project_{seed}"
        generator = ProjectGenerator(seed)
        write_project(root, generator.generate())
        generated[seed] = (root, generator)
    request = {"roots": [str(root) for root, _ in generated.values()], "coercions": COERCIONS}
    result = subprocess.run(
        [sys.executable, "-c", DAGSTER_ORACLE],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    projects = {
        seed: (root, generator, answer["projects"][str(root)])
        for seed, (root, generator) in generated.items()
    }
    return Oracle(projects, answer["coercions"])


def lint_graph(root: Path, capsys, *options: str) -> dict:
    capsys.readouterr()
    status = main(["--graph", "json", *options, str(root)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert captured.err == ""
    return json.loads(captured.out)


def describe(root: Path) -> str:
    """The project's modules, to read when an assertion fails."""
    modules = sorted((root / "src/orchestration").rglob("*.py"))
    return "\n".join(f"# --- {path.relative_to(root)}\n{path.read_text()}" for path in modules)


@pytest.mark.parametrize("seed", SEEDS)
def test_linter_graph_equals_dagster_graph(seed, oracle, capsys):
    root, generator, dagster = oracle.projects[seed]
    assert "error" not in dagster, f"Dagster cannot load the project: {dagster}\n{describe(root)}"
    # Cold (parsed) and warm (from the cache) runs must both see Dagster's graph.
    for run in ("cold", "warm"):
        graph = lint_graph(root, capsys)
        assets = {asset["key"] for asset in graph["assets"]}
        edges = {(edge["upstream"], edge["downstream"]) for edge in graph["edges"]}
        expected_edges = {tuple(edge) for edge in dagster["edges"]}
        context = f"({run} run)\n{describe(root)}"
        assert assets == set(dagster["defined"]), (
            f"assets only in the linter: {sorted(assets - set(dagster['defined']))}; "
            f"only in Dagster: {sorted(set(dagster['defined']) - assets)} {context}"
        )
        assert edges == expected_edges, (
            f"edges only in the linter: {sorted(edges - expected_edges)}; "
            f"only in Dagster: {sorted(expected_edges - edges)} {context}"
        )
        # Dagster's other nodes are its external inputs: the source assets, and the stubs
        # it makes for upstreams nobody defines.
        stubs = set(dagster["nodes"]) - set(dagster["defined"])
        sources = {"/".join(key) for key in generator.sources}
        assert ({up for up, _ in edges} - assets) | sources == stubs
        # Each asset is reported in the file that declares it.
        paths = {asset["key"]: asset["path"] for asset in graph["assets"]}
        assert paths == {"/".join(key): path for key, path in generator.defined.items()}
    # Every key is unique and every declaration static: no duplicate, nothing unresolved,
    # nothing the linter cannot see, nothing Dagster would refuse.
    capsys.readouterr()
    main(["--format", "json", "--select", "POL000,POL010,POL012", str(root)])
    findings = json.loads(capsys.readouterr().out or "[]")
    wrong = [finding for finding in findings if finding["code"] in ("POL000", "POL010", "POL012")]
    assert wrong == [], describe(root)
    result = lint_project(root, load_config(root), use_cache=False)
    assert result.graph.blind == [] and result.graph.refused == [], describe(root)
    assert result.graph.unloaded == [] and result.graph.complete
    assert {"/".join(key) for key in result.graph.external} >= sources


def test_generated_projects_cover_every_declaration_style(oracle):
    """The generator is only an oracle if the projects really use every style."""
    sources = "\n".join(
        "\n".join(path.read_text() for path in root.rglob("run_*.py"))
        for root, _, _ in oracle.projects.values()
    )
    for fragment in (
        "@dg.asset\n",
        "@asset(",
        "@dagster.asset(",
        "key=[",
        'key="',
        "key=dg.AssetKey([",
        'name="',
        'key_prefix="',
        "key_prefix=[",
        "AssetIn(key=",
        "AssetIn(key_prefix=",
        "AssetIn()",
        "AssetDep(",
        'AssetDep("',
        "AssetKey([",
        'deps=["',
        "multi_asset(specs=[",
        "multi_asset(specs=SPECS_",
        "multi_asset(outs={",
        "AssetOut(key_prefix=",
        "graph_asset",
        "graph_multi_asset(outs=",
        "internal_asset_deps={",
        ".from_graph(cleaning_",
        "keys_by_output_name=",
        "SourceAsset(",
        "from dagster import *\n",
        "(**OPTIONS_",
        "functools.partial(",
        ": Local",
        ": Warehouse",
        ": resources.Warehouse",
        ": Reporting",
        ": reporting.Reporting",
        "PipesSubprocessClient",
        "ResourceParam[str]",
        "config: Settings",
        "context: dg.AssetExecutionContext",
        "for name in [",
        "globals()[f",
        ".append(looped_",
        "(name) for name in [",
        "AssetOut([",
        'AssetOut("',
        "AssetIn(None, None, ",
        "@dg.op",
        "from orchestration.assets.",
        " as mod_",
        "from ..",
        "from .run_",
        "from . import",
        "(context, ",
        "(_, ",
        "(_context, ",
        '"raw/with_slash"',
    ):
        assert fragment in sources, fragment
    assert re.search(r"^from \S+ import \w+ as \w+_in\d+$", sources, re.MULTILINE)
    # One-part keys Dagster resolves in the group, as a dep and as a parameter.
    used = set().union(*(generator.used for _, generator, _ in oracle.projects.values()))
    assert {"by_name", "by_name_param"} <= used
    # The definitions load every way: as the template does, and layer by layer with a
    # load-time group and key prefix.
    definitions = "\n".join(
        (root / "src/orchestration/definitions.py").read_text()
        for root, _, _ in oracle.projects.values()
    )
    for fragment in ("load_assets_from_package_module(assets)", 'group_name="', "key_prefix=["):
        assert fragment in definitions, fragment
    # A name re-exported by a layer package's __init__, imported from the package.
    package_import = r"^from (\.|\.\.\w+|orchestration\.assets\.\w+) import (?!run_)\w+"
    assert re.search(package_import, sources, re.MULTILINE)


def test_key_coercion_matches_dagster(oracle):
    """A string is one key part, "/" or not; lists, tuples and AssetKey give the parts."""
    for expression, dagster_keys in zip(COERCIONS, oracle.coercions, strict=True):
        source = (
            "import dagster as dg\n\n"
            f'@dg.multi_asset(specs=[dg.AssetSpec("t", deps=[{expression}])])\n'
            "def t():\n    pass\n"
        )
        facts = extract(source.encode(), "orchestration.assets.bronze.run_bronze_t")
        linter_keys = [list(reference.key) for reference in facts.assets[0].deps]
        assert linter_keys == dagster_keys, expression


def test_specs_the_linter_cannot_read_are_reported(tmp_path, capsys):
    """An imported or starred spec still defines an asset: POL010, not a silent miss."""
    files = {
        "src/orchestration/assets/silver/run_silver_a.py": (
            "import dagster as dg\n\n"
            "from orchestration.assets.silver.run_silver_b import MORE, OTHER\n\n\n"
            "@dg.multi_asset(specs=[OTHER, *MORE])\n"
            "def make():\n    pass\n\n\n"
            "@dg.multi_asset(specs=[dg.AssetSpec(name) for name in ['x']])\n"
            "def comprehension():\n    pass\n"
        ),
    }
    write_project(tmp_path, files)
    capsys.readouterr()
    assert main(["--format", "json", "--select", "POL010", "--no-cache", str(tmp_path)]) == 1
    findings = json.loads(capsys.readouterr().out)
    assert [(f["line"], f["column"]) for f in findings] == [(6, 24), (6, 32), (11, 23)]
    assert {f["message"] for f in findings} == {"asset key cannot be resolved statically"}
