"""The ``polster`` command line.

Each subcommand parses its arguments here and delegates to the module that does the
work. Errors the user can fix are printed as one ``polster: error: ...`` line with exit
status 2 (wrong input) or 1 (the operation failed); never a traceback.
"""

import argparse
import sys
from pathlib import Path

from polster import __version__
from polster.lint.cli import main as lint_main
from polster.scaffold import InitRequest, ScaffoldError, init_project
from polster.template import TemplateNotFoundError


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["lint"]:
        # `polster lint ...` is `polster-lint ...`: same options, same exit status.
        return lint_main(argv[1:], prog="polster lint")
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (ScaffoldError, TemplateNotFoundError) as error:
        print(f"polster: error: {error}", file=sys.stderr)
        return getattr(error, "exit_code", 1)
    except KeyboardInterrupt:
        print("polster: aborted", file=sys.stderr)
        return 130
    except EOFError:
        print(
            "polster: error: input ended before every question was answered "
            "(use --no-input to take the defaults)",
            file=sys.stderr,
        )
        return 2


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="polster",
        description="Create and grow medallion-architecture Dagster projects.",
    )
    parser.add_argument("--version", action="version", version=f"polster {__version__}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    init = commands.add_parser(
        "init",
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
        default=Path.cwd(),
        metavar="DIR",
        help="create the project inside DIR (default: the current directory)",
    )
    init.add_argument(
        "--storage", choices=("local", "adls"), help="storage backend (default: local)"
    )
    init.set_defaults(handler=_run_init)

    # Parsed by polster.lint.cli (see main); listed here for --help.
    commands.add_parser("lint", help="check the medallion rules (same as polster-lint)")
    return parser


def _run_init(args: argparse.Namespace) -> int:
    request = InitRequest(
        name=args.name, output_dir=args.output_dir, no_input=args.no_input, storage=args.storage
    )
    project = init_project(request)
    print(f"Created {project}")
    print("Next steps:")
    print(f"  cd {_shown(project)}")
    print("  python run_polster.py          # materialize bronze -> silver -> gold")
    print("  python run_polster.py --ui     # ... and open the Dagster UI")
    return 0


def _shown(path: Path) -> str:
    """The path relative to the current directory when it is below it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
