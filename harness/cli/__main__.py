"""`python -m harness.cli` runs the same app as the `harness` command."""

from harness.cli import main

main()
