"""The medallion policy and the linter's pure core: vocabulary, asset graph, rules.

Nothing here reads files, settings or the command line; it is given values and returns
values, which is what makes the rules easy to test and to trust.
"""
