"""``python -m figcheck``: the same as the ``figcheck`` command."""
import sys

from figcheck.cli import main

sys.exit(main())
