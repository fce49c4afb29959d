"""``python -m wsgikit`` — the same as the ``wsgikit`` command."""

import sys

from wsgikit.cli import main

sys.exit(main())
