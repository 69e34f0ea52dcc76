"""The ``polster`` command line.

Each subcommand parses its arguments here and delegates to the module that does the
work. Errors the user can fix are printed as one ``polster: error: ...`` line with the
exit status the error carries (2: wrong input, 1: the operation failed); an internal
error is one line too, with its traceback under ``--debug``.
"""

import sys

# Ctrl-C while the command is still starting (these imports take most of a second) is
# one line and exit status 130, as it is later, not a traceback from Python's import
# machinery. The console script imports this module before it calls main().
try:
    import argparse
    import json
    from pathlib import Path
    from typing import NoReturn

    from polster import __version__
    from polster.add_asset import NewAsset, add_asset, clean_description, name_problem, resolve_deps
    from polster.init_project import InitRequest, init_project
    from polster.list_assets import list_assets, problem_line, unreadable_modules
    from polster.messages import shown
    from polster.project import AssetCommandError, load_project
    from polster.prompts import ask_deps, ask_layer, ask_name, has_terminal
    from polster.remove_asset import remove_asset
    from polster.update import UpdateRequest, check_project, update_project
    from polster_lint.adapters.project import current_dir
    from polster_lint.cli import main as lint_main
    from polster_lint.domain.medallion import LAYERS
    from polster_lint.errors import PolsterError
    from polster_lint.reporting import report_errors
except KeyboardInterrupt:
    print("polster: interrupted", file=sys.stderr)
    sys.exit(130)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = argv[:1] == ["--debug"]
    command = argv[1:2] if debug else argv[:1]
    if command == ["lint"]:
        # `polster [--debug] lint ...` is `polster-lint ...`: same options, same exit status.
        rest = argv[2:] if debug else argv[1:]
        return lint_main([*rest, "--debug"] if debug else rest, prog="polster lint")
    args = _build_parser().parse_args(argv)
    with report_errors("polster", debug=args.debug) as outcome:
        try:
            outcome.status = args.handler(args)
        except EOFError:
            raise PolsterError(
                "input ended before every question was answered "
                "(use --no-input to take the defaults)"
            ) from None
    return outcome.status


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors on one line like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {shown(message)} (see {self.prog} --help)\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="polster",
        description="Create and grow medallion-architecture Dagster projects.",
    )
    parser.add_argument("--version", action="version", version=f"polster {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the full traceback of an internal error (for bug reports)",
    )
    # Also accepted after the subcommand; SUPPRESS keeps it from resetting the flag above.
    debug = _Parser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="as above")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    init = commands.add_parser(
        "init",
        parents=[debug],
        help="create a new project from the Polster template",
        description="Create ./NAME, a ready-to-run medallion Dagster project.",
    )
    init.add_argument("name", metavar="NAME", help="folder and package name, e.g. sales_analytics")
    init.add_argument(
        "--no-input", action="store_true", help="do not prompt; take the template's defaults"
    )
    init.add_argument(
        "--output-dir",
        type=Path,
        metavar="DIR",
        help="create the project inside DIR (default: the current directory)",
    )
    init.add_argument(
        "--storage", choices=("local", "adls"), help="storage backend (default: local)"
    )
    init.add_argument(
        "--partitioning",
        choices=("none", "daily"),
        help="partition the sample pipeline's tables by order date (default: none)",
    )
    init.set_defaults(handler=_run_init)

    # Parsed by polster_lint.cli (see main); listed here for --help.
    commands.add_parser("lint", help="check the medallion rules (same as polster-lint)")

    project_dir = _Parser(add_help=False, parents=[debug])
    project_dir.add_argument(
        "--project-dir",
        type=Path,
        metavar="DIR",
        help="the project (default: the one containing the current directory)",
    )

    add = commands.add_parser(
        "add-asset",
        parents=[project_dir],
        help="add an asset whose upstreams follow the medallion rules",
        description="Create src/core/<layer>_<name>.py, its Dagster asset and its test. "
        "Missing options are asked for when a terminal is attached.",
    )
    add.add_argument("--layer", choices=LAYERS, help="layer of the new asset")
    add.add_argument("--name", help="asset name, lowercase snake_case, without the layer")
    add.add_argument(
        "--deps",
        metavar="A,B",
        help="upstream assets, as names (customers) or keys (bronze/customers)",
    )
    add.add_argument("--description", default="", help="one-line description")
    add.add_argument("--no-input", action="store_true", help="never prompt")
    add.add_argument("--dry-run", action="store_true", help="show what would be created")
    add.set_defaults(handler=_run_add_asset)

    listing = commands.add_parser(
        "list-assets",
        parents=[project_dir],
        help="the project's assets by layer",
        description="List the project's assets by layer, with their upstreams and files. "
        "Exit status 1 when an asset module cannot be read (a syntax error, a file over "
        "max-file-size, a link out of the project): its assets are missing from the list, "
        "and each such module is named, after the list (text) or on stderr (json, whose "
        "output stays the list of assets).",
    )
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.set_defaults(handler=_run_list_assets)

    remove = commands.add_parser(
        "remove-asset",
        parents=[project_dir],
        help="remove an asset's files",
        description="Delete the core module, the Dagster asset and the test of an asset. "
        "Its stored table is left in place.",
    )
    remove.add_argument("name", metavar="NAME")
    remove.add_argument("--layer", choices=LAYERS, required=True)
    remove.add_argument("--force", action="store_true", help="remove even if others depend on it")
    remove.add_argument("--dry-run", action="store_true", help="show what would be removed")
    remove.set_defaults(handler=_run_remove_asset)

    template_source = _Parser(add_help=False, parents=[project_dir])
    template_source.add_argument(
        "--template",
        metavar="SOURCE",
        help="the template to follow: a folder, a git URL, or 'polster' for Polster's own "
        "(default: the recorded repository or folder, else the installed Polster's template)",
    )
    update = commands.add_parser(
        "update",
        parents=[template_source],
        help="bring the project up to date with its template, keeping your edits",
        description="Render the template at the version the project records and at the "
        "target version, and merge the difference into the project (three-way, with git "
        "merge-file): your edits stay, the template's changes arrive. Where both changed the "
        "same lines, the file gets conflict markers, the conflicts are listed and the exit "
        "status is 1. Refuses (exit 2) a project with uncommitted changes. Never touches "
        ".env, data/, .dagster/ or the files in [tool.polster.update] skip.",
    )
    update.add_argument(
        "--dry-run", action="store_true", help="print the changes as a diff; write nothing"
    )
    update.add_argument(
        "--no-input",
        action="store_true",
        help="do not ask the template's new questions; take their defaults",
    )
    update.set_defaults(handler=_run_update)

    check = commands.add_parser(
        "check",
        parents=[template_source],
        help="exit 1 when the project is behind its template (for CI and pre-commit)",
        description="Compare the template version the project records with the target "
        "version, without rendering: exit 0 when they are the same, 1 (naming both) when "
        "the project is behind.",
    )
    check.set_defaults(handler=_run_check)
    return parser


def _run_init(args: argparse.Namespace) -> int:
    request = InitRequest(
        name=args.name,
        output_dir=args.output_dir or current_dir(),
        no_input=args.no_input,
        storage=args.storage,
        partitioning=args.partitioning,
    )
    project = init_project(request)
    print(f"Created {project}")
    print("Next steps:")
    print(f"  cd {_shown(project)}")
    print("  python run_polster.py          # materialize bronze -> silver -> gold")
    print("  python run_polster.py --ui     # ... and open the Dagster UI")
    return 0


def _run_add_asset(args: argparse.Namespace) -> int:
    description = clean_description(args.description)
    project = load_project(args.project_dir or current_dir())
    interactive = not args.no_input and has_terminal()

    def missing(flag: str) -> AssetCommandError:
        return AssetCommandError(
            f"missing {flag} (no terminal to ask; pass it on the command line)"
        )

    if args.layer is None and not interactive:
        raise missing("--layer")
    layer = args.layer or ask_layer()
    if args.name is None and not interactive:
        raise missing("--name")
    name = (
        args.name if args.name is not None else ask_name(lambda n: name_problem(project, layer, n))
    )
    problem = name_problem(project, layer, name)
    if problem:
        raise AssetCommandError(problem)
    if args.deps is not None:
        deps = resolve_deps(project, layer, args.deps.split(","))
    elif not project.upstream_layers(layer):
        deps = ()
    elif interactive:
        choices = project.allowed_upstreams(layer)
        if not choices:
            layers = " or ".join(project.upstream_layers(layer))
            raise AssetCommandError(f"there is no {layers} asset to depend on yet; add one first")
        deps = tuple(ask_deps(layer, choices))
    else:
        raise missing("--deps")
    asset = NewAsset(layer=layer, name=name, deps=deps, description=description)
    files = add_asset(project, asset, dry_run=args.dry_run)
    verb = "Would create" if args.dry_run else "Created"
    print(f"{verb} {layer}/{name}:")
    for path in files:
        print(f"  {path.relative_to(project.root)}")
    for key in deps:
        print(f"  edge {'/'.join(key)} -> {layer}/{name}")
    if not args.dry_run:
        print("Next:")
        print(f"  python src/core/{layer}_{name}.py   # run its logic on its own")
        print("  python run_polster.py   # or materialize everything, in dependency order")
    return 0


def _run_list_assets(args: argparse.Namespace) -> int:
    project = load_project(args.project_dir or current_dir())
    rows = list_assets(project)
    problems = unreadable_modules(project)
    if args.format == "json":
        print(json.dumps(rows, indent=2))
        for problem in problems:
            print(f"polster: {shown(problem_line(problem))}", file=sys.stderr)
        return 1 if problems else 0
    for layer in LAYERS:
        members = [row for row in rows if row["layer"] == layer]
        print(f"{layer} ({len(members)})")
        for row in members:
            upstream = f" <- {', '.join(row['upstream'])}" if row["upstream"] else ""
            print(f"  {shown(row['key'])}{shown(upstream)}")
            for path in row["files"].values():
                print(f"      {shown(path)}")
    if problems:
        count = f"{len(problems)} asset module{'s' if len(problems) > 1 else ''}"
        print(f"{count} could not be read; the assets defined there are missing above:")
        for problem in problems:
            print(f"  ! {shown(problem_line(problem))}")
    return 1 if problems else 0


def _run_remove_asset(args: argparse.Namespace) -> int:
    project = load_project(args.project_dir or current_dir())
    files = remove_asset(project, args.layer, args.name, force=args.force, dry_run=args.dry_run)
    print(f"{'Would remove' if args.dry_run else 'Removed'} {args.layer}/{args.name}:")
    for path in files:
        print(f"  {path.relative_to(project.root)}")
    return 0


def _run_update(args: argparse.Namespace) -> int:
    request = UpdateRequest(
        project_dir=args.project_dir or current_dir(),
        template=args.template,
        dry_run=args.dry_run,
        no_input=args.no_input,
    )
    return update_project(request)


def _run_check(args: argparse.Namespace) -> int:
    status, message = check_project(args.project_dir or current_dir(), args.template)
    print(f"polster check: {message}")
    return status


def _shown(path: Path) -> str:
    """The path relative to the current directory when it is below it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except (ValueError, OSError):
        return str(path)
