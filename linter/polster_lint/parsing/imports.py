"""How a module's imports name other modules: one rule for both parsers.

Python resolves ``from ..x import y`` against the importing module's package; the libcst
extractor and the ``ast`` reader must agree with it, and with each other, or the same
``read_table`` or asset function would be seen in one kind of module and missed in the
other.
"""


def package_of(module: str, is_package: bool) -> str:
    """The package relative imports start from: the module itself for an ``__init__``."""
    return module if is_package else module.rpartition(".")[0]


def import_base(package: str, level: int, module: str | None) -> str | None:
    """The absolute module a ``from`` import reads from, or None if it leaves the root.

    ``level`` is the number of leading dots (0 for an absolute import) and ``module``
    what follows them (None for ``from . import x``).
    """
    if not level:
        return module or ""
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, module] if module else base)
