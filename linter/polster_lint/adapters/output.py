"""Render findings (text, json, github, sarif) and the asset graph (json, mermaid, dot)."""

import json
from dataclasses import dataclass

from polster_lint import __version__
from polster_lint.domain.graph import AssetGraph
from polster_lint.domain.medallion import LAYERS
from polster_lint.domain.model import Finding, Key, key_string
from polster_lint.domain.rules import RULES

FINDING_FORMATS = ("text", "json", "github", "sarif")
GRAPH_FORMATS = ("json", "mermaid", "dot")


def shown(text: str, limit: int = 1000) -> str:
    """``text`` safe for one line of a terminal: as it is, or quoted with escapes when it
    holds a line break, a control character or an undecodable byte of a file name; cut
    to ``limit`` characters so that a message quoting a huge argument stays readable."""
    safe = text if text.isprintable() else repr(text)
    return safe if len(safe) <= limit else safe[: limit - 3] + "..."


def render_findings(findings: list[Finding], format: str) -> str:
    return {
        "text": _text,
        "json": _json,
        "github": _github,
        "sarif": _sarif,
    }[format](findings)


def _text(findings: list[Finding]) -> str:
    lines = [f"{shown(f.path)}:{f.line}:{f.column}: {f.code} {shown(f.message)}" for f in findings]
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
        f"::error title=polster-lint ({f.code}),file={_escape_property(shown(f.path))},"
        f"line={f.line},col={f.column}::{_escape_data(f'{f.code} {shown(f.message)}')}"
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
                                "shortDescription": {"text": RULES[code].summary},
                                "fullDescription": {
                                    "text": f"{RULES[code].what} {RULES[code].why}"
                                },
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


def render_graph(graph: AssetGraph, format: str, lines: dict[Key, int] | None = None) -> str:
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
    known = {key_string(a.key) for a in assets}
    drawing = _Drawing(
        layers={layer: [key_string(a.key) for a in assets if a.layer == layer] for layer in LAYERS},
        others=[key_string(a.key) for a in assets if a.layer not in LAYERS],
        external=sorted({up for up, _ in edges if up not in known}),
        edges=edges,
    )
    return drawing.mermaid() if format == "mermaid" else drawing.dot()


@dataclass(frozen=True)
class _Drawing:
    """The graph as diagram text. Keys are user text: a key may hold quotes, brackets or
    arrows, so every key is escaped for the target language and never forms syntax."""

    layers: dict[str, list[str]]
    others: list[str]
    external: list[str]
    edges: list[tuple[str, str]]

    def mermaid(self) -> str:
        # Mermaid node ids are generated (a0, a1, ...); the key is only ever a label.
        keys = [key for members in self.layers.values() for key in members]
        ids = {key: f"a{n}" for n, key in enumerate(sorted({*keys, *self.others, *self.external}))}
        lines = ["flowchart LR"]
        for layer, members in self.layers.items():
            lines.append(f"  subgraph {layer}")
            lines.extend(f'    {ids[key]}["{_mermaid_text(key)}"]' for key in members)
            lines.append("  end")
        lines.extend(f'  {ids[key]}["{_mermaid_text(key)}"]' for key in self.others)
        lines.extend(f'  {ids[key]}(["{_mermaid_text(key)}"])' for key in self.external)
        lines.extend(f"  {ids[up]} --> {ids[down]}" for up, down in self.edges)
        return "\n".join(lines)

    def dot(self) -> str:
        lines = ["digraph assets {", "  rankdir=LR;"]
        for layer, members in self.layers.items():
            lines.append(f'  subgraph "cluster_{layer}" {{')
            lines.append(f'    label="{layer}";')
            lines.extend(f"    {_dot_id(key)};" for key in members)
            lines.append("  }")
        lines.extend(f"  {_dot_id(key)};" for key in self.others)
        lines.extend(f"  {_dot_id(key)} [style=dashed];" for key in self.external)
        lines.extend(f"  {_dot_id(up)} -> {_dot_id(down)};" for up, down in self.edges)
        lines.append("}")
        return "\n".join(lines)


def _mermaid_text(text: str) -> str:
    """Text safe inside a quoted Mermaid label: special characters as ``#code;`` entities."""
    return "".join(
        f"#{ord(char)};" if char in _MERMAID_SPECIAL or not char.isprintable() else char
        for char in text
    )


_MERMAID_SPECIAL = set('"#<>&;`[](){}|')


def _dot_id(text: str) -> str:
    """A Graphviz double-quoted ID: backslashes and quotes escaped, line breaks as ``\\n``."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(char if char.isprintable() else "\\n" for char in escaped)
    return f'"{escaped}"'
