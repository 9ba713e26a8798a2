"""`python -m trialfinder` runs the CLI."""

from trialfinder.cli import main

main()
