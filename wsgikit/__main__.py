"""``python -m wsgikit`` — the same as the ``wsgikit`` command."""

import sys

from wsgikit.cli import main

# Guarded: the --reload worker (hupper, like multiprocessing) re-imports the main module as __mp_main__.
if __name__ == "__main__":
    sys.exit(main())
