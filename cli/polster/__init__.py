"""Polster: start and keep a medallion-architecture Dagster project.

This package is the ``polster`` command: ``init`` (a new project from the bundled
Cookiecutter template, ``init_project``), ``add-asset``, ``list-assets`` and
``remove-asset`` (one module each, on the ``project`` model), and ``lint``, which hands
over to the linter, a package of its own (``polster_lint``) that never imports this one.
Underneath: ``template`` (where the templates are, and the one safe way to run
cookiecutter), ``safe_files`` (changes that happen whole or not at all) and ``messages``
(one-line error text).
"""

from polster_lint import __version__

__all__ = ["__version__"]
