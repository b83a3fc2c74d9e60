"""``python -m gpequity``: the same as the ``gpequity`` command."""

from gpequity.cli import main

main()
