"""From the bytes of one module to its facts: assets, dependencies, table reads, noqa.

Asset modules are read with libcst (``extract``), core modules with CPython's ``ast``
(``reads``, which only needs the ``read_table`` calls). Both resolve imports the same way
(``imports``). No file is opened here: callers pass the source.
"""
