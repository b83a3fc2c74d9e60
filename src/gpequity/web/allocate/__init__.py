"""The allocation tool's pages, one module per page: ``results`` (``/allocate``), ``compare``,
``sensitivity`` and ``method``; ``form``, ``fields`` and ``upload`` read and show the form,
``common`` and ``formatting`` hold what the pages share.

Every figure comes from :mod:`gpequity.allocation` (the engine, compare, sensitivity and
measures); these modules only turn figures into the pages' views (:mod:`gpequity.web.views`).
"""
