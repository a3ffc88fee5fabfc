"""``python -m figcheck``: the same as the ``figcheck`` command."""
import sys

from figcheck.cli import main

# Guarded: worker processes started by forkserver or spawn import this module again.
if __name__ == "__main__":
    sys.exit(main())
