"""``polster-lint`` (also ``polster lint``): the command-line adapter of the linter.

Exit status: 0 clean, 1 violations found, 2 usage or configuration error. Errors go to
stderr as one line; the linter never shows a traceback, whatever the input.
"""

import sys

# Ctrl-C while the command is still starting (its imports are most of a warm run) is one
# line and exit status 130, as it is later, not a traceback from Python's import
# machinery. The console script imports this module before it calls main().
try:
    import argparse
    import os
    from dataclasses import replace
    from pathlib import Path
    from typing import NoReturn

    from polster_lint.adapters.output import (
        FINDING_FORMATS,
        GRAPH_FORMATS,
        render_findings,
        render_graph,
        shown,
    )
    from polster_lint.adapters.project import current_dir, find_project_root
    from polster_lint.adapters.pyproject import load_config, parse_codes
    from polster_lint.domain.config import LintConfig
    from polster_lint.domain.model import Finding
    from polster_lint.domain.rules import RULES, explain, markdown_table
    from polster_lint.engine import asset_lines, fix_project, lint_project
    from polster_lint.errors import ConfigError, ProjectError
    from polster_lint.fixes.diff import unified_diff
    from polster_lint.reporting import add_debug_option, report_errors
except KeyboardInterrupt:
    # Named as the command that was typed: ``polster lint`` imports this module too.
    _typed = sys.argv[0].rpartition("/")[2] if sys.argv else ""
    print(f"{_typed if _typed == 'polster' else 'polster-lint'}: interrupted", file=sys.stderr)
    sys.exit(130)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line and exit 2, without the usage
        self.exit(2, f"{self.prog}: error: {shown(message)}\n")


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
    parser.add_argument(
        "--extend-select",
        metavar="CODES",
        help="comma-separated codes or prefixes to check on top of the selection "
        "(such as the rules off by default)",
    )
    parser.add_argument("--ignore", help="comma-separated codes or prefixes to leave out")
    parser.add_argument("--explain", metavar="CODE", help="describe a rule and exit")
    parser.add_argument(
        "--rules", action="store_true", help="print the table of every rule (markdown) and exit"
    )
    fixing = parser.add_mutually_exclusive_group()
    fixing.add_argument(
        "--fix", action="store_true", help="apply the safe fixes, then report what is left"
    )
    fixing.add_argument(
        "--diff",
        action="store_true",
        help="print the safe fixes as a unified diff and write nothing (exit 1 if any)",
    )
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
    add_debug_option(parser)
    return parser


def main(argv: list[str] | None = None, prog: str = "polster-lint") -> int:
    args = build_parser(prog).parse_args(argv)
    with report_errors(prog, debug=args.debug) as outcome:
        outcome.status = _run(args, prog)
    return outcome.status


def _run(args: argparse.Namespace, prog: str) -> int:
    if args.rules:
        print(markdown_table())
        return 0
    if args.explain:
        code = args.explain.strip().upper()
        if code not in RULES:
            raise ConfigError(f"unknown rule code {args.explain!r}; codes: {', '.join(RULES)}")
        print(explain(code))
        return 0
    paths = [Path(p) for p in args.paths] or [current_dir()]
    for path in paths:
        if not os.path.exists(path):  # False, not an error, for a name too long
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
    if (args.fix or args.diff) and args.graph:
        raise ConfigError(f"--{'fix' if args.fix else 'diff'} cannot be combined with --graph")
    if args.fix or args.diff:
        fixed = fix_project(
            root,
            config,
            write=args.fix,
            only=only,
            use_cache=not args.no_cache,
            jobs=args.jobs,
            check_runtime=args.check_runtime,
        )
        changes = fixed.changes
        if args.diff:
            sys.stdout.flush()
            for c in changes:
                sys.stdout.buffer.write(unified_diff(c.relative, c.before, c.after, c.encoding))
            sys.stdout.buffer.flush()
        for line in fixed.notes:
            print(f"{prog}: warning: {shown(line)}", file=sys.stderr)
        for line in fixed.errors:
            print(f"{prog}: error: {shown(line)}", file=sys.stderr)
        if args.diff:
            status = 1 if changes or fixed.notes else 0
        else:
            if changes:
                count = len(changes)
                print(f"Fixed {count} file{'s' if count != 1 else ''}.", file=sys.stderr)
            status = _report(fixed.result.findings, args.format)
        return 2 if fixed.errors else status
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
    return _report(result.findings, args.format)


def _report(findings: list[Finding], format: str) -> int:
    output = render_findings(findings, format)
    if output:
        print(output)
    return 1 if findings else 0


def _with_command_line_codes(config: LintConfig, args: argparse.Namespace) -> LintConfig:
    """The settings' rules as the command line changes them, in ruff's order: ``--select``
    replaces them, ``--extend-select`` adds to that, and ``--ignore`` has the last word."""
    codes = set(config.codes)
    if args.select:
        codes = parse_codes(args.select.split(","), "--select")
    if args.extend_select:
        codes |= parse_codes(args.extend_select.split(","), "--extend-select")
    if args.ignore:
        codes -= parse_codes(args.ignore.split(","), "--ignore")
    return replace(config, codes=frozenset(codes))
