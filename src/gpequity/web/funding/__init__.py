"""The Funding and deprivation page: the payments analysis of one year, as the page shows it.

The route (``routes/funding.py``) reads the request (:mod:`.query`) and runs the analyses of
:mod:`gpequity.analysis.payments` (gathered in :mod:`.results`); the other modules turn their
results into the page's view objects (:mod:`.views`): the figures in sentences and tables
(:mod:`.sections`), the charts (:mod:`.charts`) and the page in each of its states (:mod:`.page`).
Nothing here computes a figure: each number is a field of an analysis result (or of a chart that
:mod:`gpequity.charts` builds from them), written by :mod:`gpequity.formats`, so the page, the
CLI, the datapacks and the CSV downloads agree.
"""
