"""One module per official dataset: where it comes from and how its format is read.

The list of datasets, in load order, is ``gpequity.sources.registry.DATASETS``.
"""
