"""Option tables and converters, for ``paste.ini`` sections
=========================================================

The tables are declared next to the classes that take the options (:mod:`wsgikit.options`, which the
middleware imports); this module re-exports every name, for the factories and for code written against it.
"""

from wsgikit.options import (
    REQUIRED,
    ConfigError,
    ConfigLookupError,
    Converter,
    Option,
    OptionTable,
    import_object,
    resolve_path,
    to_bool,
    to_callable,
    to_callables,
    to_choice,
    to_duration,
    to_int,
    to_list,
    to_log_level,
    to_networks,
    to_path,
    to_regex,
    to_size,
    to_str,
)

__all__ = [
    "REQUIRED",
    "ConfigError",
    "ConfigLookupError",
    "Converter",
    "Option",
    "OptionTable",
    "import_object",
    "resolve_path",
    "to_bool",
    "to_callable",
    "to_callables",
    "to_choice",
    "to_duration",
    "to_int",
    "to_list",
    "to_log_level",
    "to_networks",
    "to_path",
    "to_regex",
    "to_size",
    "to_str",
]
