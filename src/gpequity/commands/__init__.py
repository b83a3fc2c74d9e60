"""Sub-command groups of the ``gpequity`` CLI, one module per group (``payments``, ...).

Each is a thin layer like ``cli.py``: parse options, call :mod:`gpequity.analysis`, format.
"""
