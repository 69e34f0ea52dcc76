"""Render findings (text, json, github, sarif) and the asset graph (json, mermaid, dot)."""

import json
from collections.abc import Iterable

from polster_lint import __version__
from polster_lint.domain.graph import AssetGraph
from polster_lint.domain.medallion import LAYERS
from polster_lint.domain.model import Finding, key_string
from polster_lint.domain.rules import RULES

FINDING_FORMATS = ("text", "json", "github", "sarif")
GRAPH_FORMATS = ("json", "mermaid", "dot")


def render_findings(findings: list[Finding], format: str) -> str:
    return {
        "text": _text,
        "json": _json,
        "github": _github,
        "sarif": _sarif,
    }[format](findings)


def _text(findings: list[Finding]) -> str:
    lines = [f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}" for f in findings]
    if findings:
        count = len(findings)
        lines.append(f"Found {count} violation{'s' if count != 1 else ''}.")
    return "\n".join(lines)


def _json(findings: list[Finding]) -> str:
    return json.dumps(
        [
            {
                "path": f.path,
                "line": f.line,
                "column": f.column,
                "code": f.code,
                "message": f.message,
                "asset": f.asset,
                "dependency": f.dependency,
            }
            for f in findings
        ],
        indent=2,
    )


def _github(findings: list[Finding]) -> str:
    # https://docs.github.com/actions/reference/workflow-commands-for-github-actions
    return "\n".join(
        f"::error title=polster-lint ({f.code}),file={_escape_property(f.path)},"
        f"line={f.line},col={f.column}::{_escape_data(f'{f.code} {f.message}')}"
        for f in findings
    )


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _sarif(findings: list[Finding]) -> str:
    rules = sorted({f.code for f in findings} | set(RULES))
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "polster-lint",
                        "version": __version__,
                        "informationUri": "https://github.com/sultanaltair96/polster-cli-grok",
                        "rules": [
                            {
                                "id": code,
                                "name": RULES[code].name,
                                "shortDescription": {"text": RULES[code].what},
                                "fullDescription": {"text": RULES[code].why},
                                "help": {"text": RULES[code].fix},
                            }
                            for code in rules
                        ],
                    }
                },
                "results": [
                    {
                        "ruleId": f.code,
                        "ruleIndex": rules.index(f.code),
                        "level": "error",
                        "message": {"text": f.message},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
                                    "region": {"startLine": f.line, "startColumn": f.column},
                                }
                            }
                        ],
                    }
                    for f in findings
                ],
            }
        ],
    }
    return json.dumps(document, indent=2)


def render_graph(graph: AssetGraph, format: str, lines: dict | None = None) -> str:
    """The graph in ``format``; ``lines`` maps asset keys to their line (for json)."""
    assets = sorted(graph.assets.values(), key=lambda asset: asset.key)
    edges = sorted({(key_string(e.upstream), key_string(e.downstream.key)) for e in graph.edges})
    if format == "json":
        return json.dumps(
            {
                "assets": [
                    {
                        "key": key_string(asset.key),
                        "layer": asset.layer,
                        "path": asset.file.relative,
                        "line": (lines or {}).get(asset.key),
                    }
                    for asset in assets
                ],
                "edges": [{"upstream": up, "downstream": down} for up, down in edges],
            },
            indent=2,
        )
    layers = {layer: [a for a in assets if a.layer == layer] for layer in LAYERS}
    others = [a for a in assets if a.layer not in LAYERS]
    known = {key_string(a.key) for a in assets}
    external = sorted({up for up, _ in edges if up not in known})
    if format == "mermaid":
        return _mermaid(layers, others, external, edges)
    return _dot(layers, others, external, edges)


def _mermaid(layers, others, external, edges) -> str:
    ids = _stable_ids(layers, others, external)
    lines = ["flowchart LR"]
    for layer, members in layers.items():
        lines.append(f"  subgraph {layer}")
        lines.extend(f'    {ids[key_string(a.key)]}["{key_string(a.key)}"]' for a in members)
        lines.append("  end")
    lines.extend(f'  {ids[key_string(a.key)]}["{key_string(a.key)}"]' for a in others)
    lines.extend(f'  {ids[key]}(["{key}"])' for key in external)
    lines.extend(f"  {ids[up]} --> {ids[down]}" for up, down in edges)
    return "\n".join(lines)


def _dot(layers, others, external, edges) -> str:
    lines = ["digraph assets {", "  rankdir=LR;"]
    for layer, members in layers.items():
        lines.append(f'  subgraph "cluster_{layer}" {{')
        lines.append(f'    label="{layer}";')
        lines.extend(f'    "{key_string(a.key)}";' for a in members)
        lines.append("  }")
    lines.extend(f'  "{key_string(a.key)}";' for a in others)
    lines.extend(f'  "{key}" [style=dashed];' for key in external)
    lines.extend(f'  "{up}" -> "{down}";' for up, down in edges)
    lines.append("}")
    return "\n".join(lines)


def _stable_ids(layers, others, external) -> dict[str, str]:
    keys: Iterable[str] = [
        *(key_string(a.key) for members in layers.values() for a in members),
        *(key_string(a.key) for a in others),
        *external,
    ]
    return {key: f"a{number}" for number, key in enumerate(sorted(set(keys)))}
