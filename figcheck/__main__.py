"""``python -m figcheck``: the same as the ``figcheck`` command."""
from figcheck.cli import program

# Guarded: worker processes started by forkserver or spawn import this module again.
if __name__ == "__main__":
    program()
