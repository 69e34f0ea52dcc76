"""``polster-lint`` (also ``polster lint``): the command-line adapter of the linter.

Exit status: 0 clean, 1 violations found, 2 usage or configuration error. Errors go to
stderr as one line; the linter never shows a traceback, whatever the input.
"""

import argparse
import os
import sys
from pathlib import Path

from polster.lint.config import ConfigError, load_config, parse_codes
from polster.lint.engine import asset_lines, lint_project
from polster.lint.output import FINDING_FORMATS, GRAPH_FORMATS, render_findings, render_graph
from polster.lint.project import ProjectError, find_project_root
from polster.lint.rules import RULES, explain
from polster.lint.runtime import RuntimeCheckError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse prints usage + message, exit 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser(prog: str = "polster-lint") -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog,
        description="Check a Polster project's asset graph against the medallion rules.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="project root, or files in it to report on (default: the project containing the cwd)",
    )
    parser.add_argument("--format", choices=FINDING_FORMATS, default="text", help="output format")
    parser.add_argument(
        "--graph", choices=GRAPH_FORMATS, help="print the rebuilt asset graph instead of findings"
    )
    parser.add_argument("--select", help="comma-separated codes or prefixes to check")
    parser.add_argument("--ignore", help="comma-separated codes or prefixes to leave out")
    parser.add_argument("--explain", metavar="CODE", help="describe a rule and exit")
    parser.add_argument(
        "--check-runtime",
        action="store_true",
        help="also load the real Dagster definitions and report where they differ (needs dagster)",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="ignore and do not write .polster_cache/"
    )
    parser.add_argument(
        "--jobs", type=int, metavar="N", help="parallel parsing processes (default: CPU count)"
    )
    return parser


def main(argv: list[str] | None = None, prog: str = "polster-lint") -> int:
    try:
        return _run(build_parser(prog).parse_args(argv), prog)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep Python's exit flush quiet
        return 0
    except (ConfigError, ProjectError, RuntimeCheckError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # the promise is: never a traceback
        print(f"{prog}: internal error: {type(error).__name__}: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, prog: str) -> int:
    if args.explain:
        code = args.explain.strip().upper()
        if code not in RULES:
            raise ConfigError(f"unknown rule code {args.explain!r}; codes: {', '.join(RULES)}")
        print(explain(code))
        return 0
    paths = [Path(p) for p in args.paths] or [Path.cwd()]
    for path in paths:
        if not path.exists():
            raise ProjectError(f"{path} does not exist")
    root = find_project_root(paths[0])
    for path in paths[1:]:
        if find_project_root(path) != root:
            raise ProjectError(f"{path} is not in the same project as {paths[0]}")
    config = load_config(root)
    config = _with_command_line_codes(config, args)
    only = None
    if any(path.is_file() for path in paths):
        only = {path.resolve() for path in paths if path.is_file()}
        only |= {f.resolve() for path in paths if path.is_dir() for f in path.rglob("*.py")}
    if args.jobs is not None and args.jobs < 1:
        raise ConfigError("--jobs must be at least 1")
    result = lint_project(
        root,
        config,
        only=only,
        use_cache=not args.no_cache,
        jobs=args.jobs,
        check_runtime=args.check_runtime,
    )
    if args.graph:
        print(render_graph(result.graph, args.graph, asset_lines(result.graph)))
        return 0
    output = render_findings(result.findings, args.format)
    if output:
        print(output)
    return 1 if result.findings else 0


def _with_command_line_codes(config, args: argparse.Namespace):
    from dataclasses import replace

    codes = set(config.codes)
    if args.select:
        codes = parse_codes(args.select.split(","), "--select")
    if args.ignore:
        codes -= parse_codes(args.ignore.split(","), "--ignore")
    return replace(config, codes=frozenset(codes))
