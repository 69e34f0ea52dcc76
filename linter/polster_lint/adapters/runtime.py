"""``--check-runtime``: compare the static graph with the graph Dagster builds itself.

The project's real ``Definitions`` are loaded in a separate Python process (the
project's code may do anything at import time, and must not change this process's
modules or ``sys.path``). Any difference is reported as POL011, so a user can trust the
static result or see exactly where the linter and Dagster disagree.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from polster_lint.domain.config import LintConfig
from polster_lint.domain.graph import AssetGraph
from polster_lint.domain.model import Key, SourceFile, key_string
from polster_lint.domain.violation import Violation
from polster_lint.errors import PolsterError

_TIMEOUT_SECONDS = 300

# Runs inside the project's environment; prints the graph Dagster resolved, as JSON: the
# assets the project materialises, the other nodes (external inputs: source assets, specs,
# the stubs Dagster makes for unknown upstream keys) and every edge.
_PROBE = """
import importlib, json, sys
sys.path.insert(0, sys.argv[1])

def say(**answer):
    print(json.dumps(answer))
    sys.exit(0)

try:
    import dagster as dg
except ImportError:
    say(error="dagster is not installed in this environment", kind="missing")
version = getattr(dg, "__version__", "?")
if not all(hasattr(dg.Definitions, name) for name in ("resolve_asset_graph",)):
    say(error=f"Dagster {version} is too old for --check-runtime", kind="old", version=version)
try:
    module = importlib.import_module(sys.argv[2])
    found = [v for v in vars(module).values() if isinstance(v, dg.Definitions)]
    if not found:
        raise LookupError(f"no Definitions object in {sys.argv[2]}")
    graph = found[0].resolve_asset_graph()
    nodes = [graph.get(key) for key in graph.get_all_asset_keys()]
except Exception as error:
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    say(error=f"{type(error).__name__}: {message}", kind="load")
say(
    assets=[list(node.key.path) for node in nodes if node.is_materializable],
    external=[list(node.key.path) for node in nodes if not node.is_materializable],
    edges=[[list(up.path), list(node.key.path)] for node in nodes for up in node.parent_keys],
)
"""


class RuntimeCheckError(PolsterError):
    """Dagster's graph could not be obtained; the message says why (one line)."""


def runtime_graph(
    root: Path, source_root: str, module: str
) -> tuple[set[Key], set[tuple[Key, Key]]]:
    """The assets the project's definitions materialise and every edge, as Dagster
    resolves them; :class:`RuntimeCheckError` when Dagster cannot give them."""
    try:
        completed = subprocess.run(
            [sys.executable, "-c", _PROBE, str(root / source_root), module],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeCheckError(f"loading {module} took more than {_TIMEOUT_SECONDS} s") from None
    lines = completed.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1])
    except (IndexError, ValueError):
        raise RuntimeCheckError(
            f"loading {module} failed (exit status {completed.returncode})"
        ) from None
    if "error" in result:
        if result.get("kind") in ("old", "missing"):
            raise RuntimeCheckError(
                f"{result['error']}: --check-runtime needs the Dagster the project runs on "
                "(1.13 for a generated project)"
            )
        raise RuntimeCheckError(f"Dagster cannot load {module}: {result['error']}")
    assets = {tuple(key) for key in result["assets"]}
    edges = {(tuple(up), tuple(down)) for up, down in result["edges"]}
    return assets, edges


def runtime_differences(
    root: Path, config: LintConfig, graph: AssetGraph, files: list[SourceFile]
) -> list[Violation]:
    """POL011 for every difference with Dagster's own graph; when Dagster's graph cannot
    be had, one POL011 saying why (the static findings stand)."""
    definitions = definitions_file(root, config, files)
    try:
        assets, edges = runtime_graph(root, config.source_root, config.definitions_module)
    except RuntimeCheckError as error:
        return [
            Violation(
                definitions,
                None,
                "POL011",
                f"--check-runtime compared nothing: {error}",
                line=1,
                column=1,
            )
        ]
    return compare(graph, assets, edges, definitions)


def definitions_file(root: Path, config: LintConfig, files: list[SourceFile]) -> SourceFile:
    """The file of the definitions module: the one read, else the one that exists
    (``definitions.py`` or ``definitions/__init__.py``), else where it would be."""
    for file in files:
        if file.module == config.definitions_module and file.is_support:
            return file
    base = Path(config.source_root, *config.definitions_module.split("."))
    candidates = [base.with_name(base.name + ".py"), base / "__init__.py"]
    relative = next((c for c in candidates if (root / c).is_file()), candidates[0])
    return SourceFile(
        location=os.fspath(root / relative),
        relative=relative.as_posix(),
        module=config.definitions_module,
        is_package=relative.name == "__init__.py",
    )


def compare(
    graph: AssetGraph, assets: set[Key], edges: set[tuple[Key, Key]], definitions: SourceFile
) -> list[Violation]:
    """POL011 for every asset or edge found on one side only."""
    violations: list[Violation] = []

    def at_definitions(message: str, asset: Key, dependency: Key | None = None) -> Violation:
        return Violation(definitions, None, "POL011", message, asset, dependency, line=1, column=1)

    for key in sorted(assets - set(graph.assets)):
        violations.append(
            at_definitions(
                f"Dagster has asset {key_string(key)}, which the static graph lacks", asset=key
            )
        )
    for key in sorted(set(graph.assets) - assets):
        asset = graph.assets[key]
        violations.append(
            Violation(
                asset.file,
                asset.decl.anchor,
                "POL011",
                f"asset {key_string(key)} is not in Dagster's definitions",
                asset=key,
            )
        )
    static_edges = {(edge.upstream, edge.downstream.key): edge for edge in graph.edges}
    for up, down in sorted(edges - set(static_edges)):
        message = (
            f"Dagster has edge {key_string(up)} -> {key_string(down)}, which the static graph lacks"
        )
        downstream = graph.assets.get(down)
        if downstream is None:
            violations.append(at_definitions(message, asset=down, dependency=up))
        else:
            violations.append(
                Violation(
                    downstream.file,
                    downstream.decl.anchor,
                    "POL011",
                    message,
                    asset=down,
                    dependency=up,
                )
            )
    for up, down in sorted(set(static_edges) - edges):
        edge = static_edges[(up, down)]
        violations.append(
            Violation(
                edge.downstream.file,
                edge.reference.anchor,
                "POL011",
                f"edge {key_string(up)} -> {key_string(down)} is not in Dagster's graph",
                asset=down,
                dependency=up,
            )
        )
    return violations
