"""The linter's connections to the world: the project on disk (``project``), its settings
(``pyproject``), the facts cache (``cache``), output formats (``output``) and Dagster
itself for ``--check-runtime`` (``runtime``).
"""
