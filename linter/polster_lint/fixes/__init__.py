"""Safe fixes: libcst codemods, pure functions from source text and what to fix to new text.

One module per fix (``dependency`` for POL008, ``group`` for POL007, ``noqa`` for
POL100), and ``apply``, which finds each fix's node in a module and runs them all in one
pass; ``edit`` and ``diff`` need no libcst, so a run that fixes nothing stays as fast as
before. Nothing here reads or writes a file: the adapters do (``adapters/fix_files``), and
the engine decides what to fix, from the violations that survive ``--select``,
``--ignore`` and ``# noqa``.
"""
