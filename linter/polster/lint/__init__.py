"""polster-lint: rebuild a project's asset graph from source and check the medallion rules.

The domain (``model``, ``extract``, ``graph``, ``rules``) knows nothing of files on disk,
command lines or output formats; the adapters (``project``, ``config``, ``cache``,
``output``, ``cli``) connect it to the world, in the manner of import-linter.
"""
