"""Stop project generation early when the answers cannot produce a working project.

Cookiecutter runs this before writing any file and removes the half-made project folder
when it exits non-zero. ``polster init`` also imports :func:`slug_problem` from here to
check a name before it starts, so the rule lives in one place.
"""

import keyword
import re
import sys

PROJECT_SLUG = "{{ cookiecutter.project_slug }}"
STORAGE_BACKEND = "{{ cookiecutter.storage_backend }}"
PARTITIONING = "{{ cookiecutter.partitioning }}"

STORAGE_BACKENDS = ("local", "adls")
PARTITIONINGS = ("none", "daily")
MAX_SLUG_LENGTH = 64

# Import names a project package must not take: the generated project's own top-level
# packages, and the libraries it imports (a package named "dagster" would shadow Dagster).
RESERVED_NAMES = frozenset(
    {
        "core",
        "orchestration",
        "src",
        "tests",
        "data",
        "polster",
        "dagster",
        "dagster_webserver",
        "dagster_graphql",
        "dagster_pipes",
        "dagster_shared",
        "pandas",
        "numpy",
        "pyarrow",
        "deltalake",
        "adlfs",
        "fsspec",
        "azure",
        "decouple",
        "pytest",
        "ruff",
        "cookiecutter",
        "libcst",
    }
)

# Distributions a generated project installs (its dependencies and extras, and what they
# bring in, as of dagster 1.13), spelled as slugs. The project's own distribution takes
# the slug as its name: pip refuses to install a project named like one of its
# dependencies ("conflicting dependencies"), and the Dockerfile would uninstall it.
DEPENDENCY_NAMES = frozenset(
    {
        "adlfs",
        "aiohappyeyeballs",
        "aiohttp",
        "aiosignal",
        "alembic",
        "amqp",
        "annotated_doc",
        "annotated_types",
        "antlr4_python3_runtime",
        "anyio",
        "arro3_core",
        "attrs",
        "azure_core",
        "azure_identity",
        "azure_storage_blob",
        "backoff",
        "billiard",
        "celery",
        "certifi",
        "cffi",
        "charset_normalizer",
        "click",
        "click_aliases",
        "click_didyoumean",
        "click_plugins",
        "click_repl",
        "coloredlogs",
        "cryptography",
        "dagster",
        "dagster_celery",
        "dagster_cloud_cli",
        "dagster_dg_cli",
        "dagster_dg_core",
        "dagster_graphql",
        "dagster_pipes",
        "dagster_postgres",
        "dagster_rest_resources",
        "dagster_shared",
        "dagster_webserver",
        "deltalake",
        "deprecated",
        "docstring_parser",
        "filelock",
        "frozenlist",
        "fsspec",
        "gitdb",
        "github3_py",
        "gitpython",
        "gql",
        "graphene",
        "graphql_core",
        "graphql_relay",
        "grpcio",
        "grpcio_health_checking",
        "h11",
        "httpcore",
        "httptools",
        "httpx",
        "humanfriendly",
        "idna",
        "iniconfig",
        "isodate",
        "jinja2",
        "jsonschema",
        "jsonschema_specifications",
        "kombu",
        "mako",
        "markdown",
        "markdown_it_py",
        "markupsafe",
        "mdurl",
        "msal",
        "msal_extensions",
        "multidict",
        "numpy",
        "packaging",
        "pandas",
        "pathlib_abc",
        "platformdirs",
        "pluggy",
        "prompt_toolkit",
        "propcache",
        "protobuf",
        "psycopg2",
        "psycopg2_binary",
        "pyarrow",
        "pycparser",
        "pydantic",
        "pydantic_core",
        "pygments",
        "pyjwt",
        "pytest",
        "python_dateutil",
        "python_decouple",
        "python_dotenv",
        "pytz",
        "pyyaml",
        "questionary",
        "redis",
        "referencing",
        "requests",
        "requests_toolbelt",
        "rich",
        "rpds_py",
        "ruff",
        "setuptools",
        "shellingham",
        "six",
        "smmap",
        "sqlalchemy",
        "starlette",
        "structlog",
        "tabulate",
        "termcolor",
        "tomli",
        "tomlkit",
        "toposort",
        "tqdm",
        "typer",
        "typing_extensions",
        "typing_inspection",
        "tzdata",
        "tzlocal",
        "universal_pathlib",
        "uritemplate",
        "urllib3",
        "uvicorn",
        "uvloop",
        "validators",
        "vine",
        "watchdog",
        "watchfiles",
        "wcwidth",
        "websockets",
        "wrapt",
        "yarl",
        "yaspin",
    }
)

_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")


def slug_problem(slug: str) -> str | None:
    """Why ``slug`` cannot name the project package, or None when it can."""
    reason = _slug_reason(slug)
    return f"invalid project slug {slug!r}: {reason}" if reason else None


def _slug_reason(slug: str) -> str | None:
    if not _SLUG.fullmatch(slug):
        return "use lowercase letters, digits and underscores, starting with a letter"
    if len(slug) > MAX_SLUG_LENGTH:
        return f"longer than {MAX_SLUG_LENGTH} characters"
    if keyword.iskeyword(slug):
        return "it is a Python keyword"
    if slug in sys.stdlib_module_names:
        return "it would shadow the standard library module of that name"
    if slug in RESERVED_NAMES:
        return "it would shadow a package the generated project imports"
    return None


def distribution_problem(slug: str) -> str | None:
    """Why a new project cannot be called ``slug`` although the name itself is valid.

    Kept apart from :func:`slug_problem`, which also checks the answers of projects made
    before this rule: those go on working with ``add-asset``.
    """
    if slug in DEPENDENCY_NAMES:
        return (
            f"invalid project slug {slug!r}: the project installs a package of that name "
            "(a dependency), and pip cannot install both"
        )
    return None


def storage_problem(backend: str) -> str | None:
    """Why ``backend`` is not a storage backend the template knows, or None."""
    if backend not in STORAGE_BACKENDS:
        return f"invalid storage_backend {backend!r}: choose one of {', '.join(STORAGE_BACKENDS)}"
    return None


def partitioning_problem(partitioning: str) -> str | None:
    """Why ``partitioning`` is not a partitioning the template knows, or None."""
    if partitioning not in PARTITIONINGS:
        return f"invalid partitioning {partitioning!r}: choose one of {', '.join(PARTITIONINGS)}"
    return None


def main() -> int:
    problem = (
        slug_problem(PROJECT_SLUG)
        or distribution_problem(PROJECT_SLUG)
        or storage_problem(STORAGE_BACKEND)
        or partitioning_problem(PARTITIONING)
    )
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
