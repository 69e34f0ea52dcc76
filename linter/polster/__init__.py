"""Polster: start and keep a medallion-architecture Dagster project.

The package holds the command-line interface (``polster``), the project scaffolding
around the bundled Cookiecutter template, and, later, the medallion linter.
"""

__version__ = "0.1.0"
