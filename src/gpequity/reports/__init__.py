"""Reports made from the analyses: the ICB inequality datapacks (HTML and PDF).

``datapack`` gathers a pack's figures from :mod:`gpequity.analysis.icb` and says what the pack
prints; ``charts`` draws its charts; ``render`` writes the self-contained HTML and the PDF;
``batch`` makes many packs at once, in parallel. See ``docs/datapacks.md``.
"""
