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
        or storage_problem(STORAGE_BACKEND)
        or partitioning_problem(PARTITIONING)
    )
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
