"""polster-lint: rebuild a project's asset graph from source and check the medallion rules.

The package is layered like import-linter (checked by the contracts in ``pyproject.toml``):

* ``domain``: the medallion policy, the vocabulary (keys, facts, findings), the graph and
  the rules. Pure: no files, no settings files, no output.
* ``parsing``: source bytes to facts (libcst for asset modules, ``ast`` for core modules).
* ``adapters``: the world outside: finding a project's files, reading
  ``[tool.polster.lint]``, the cache, output formats, loading Dagster for comparison.
* ``engine``: one lint run, wiring the above together; ``cli``: the ``polster-lint`` command.

The linter never imports the ``polster`` command (scaffolding); that one builds on it.
"""

__version__ = "0.1.0"
