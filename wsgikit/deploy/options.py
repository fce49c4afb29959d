"""Option tables and converters, for ``paste.ini`` sections
=========================================================

The tables are declared next to the classes that take the options (:mod:`wsgikit.options`, which the
middleware imports); this module re-exports every name, for the factories and for code written against it.
"""

from wsgikit.options import *  # noqa: F403 (every name wsgikit.options lists)
from wsgikit.options import __all__ as __all__
