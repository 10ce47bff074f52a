"""``python -m raysweep.cli``."""

from raysweep.cli import main

main()
