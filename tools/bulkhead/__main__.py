"""Entry point of `python3 -m bulkhead`: runs the command line in cli.py."""

import sys

from .cli import main

sys.exit(main(sys.argv[1:]))
