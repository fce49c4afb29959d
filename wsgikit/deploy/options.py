"""Option tables and converters
============================

Every PasteDeploy factory in wsgikit declares its options once, as an :class:`OptionTable` of
``Option(name, converter, default)``. The table turns the strings of a ``paste.ini`` section into typed
keyword arguments, and refuses what it does not know: an unknown key, a value that does not convert, or a
missing required key raises :class:`ConfigError` naming the file, the section, the key and — for a typo —
the closest valid key.

.. code-block:: python

    GZIP = OptionTable(
        "gzip",
        Option("level", to_int(1, 9), 6, "compression level"),
        Option("minimum_size", to_size, 500, "smallest body worth compressing"),
    )

    def filter_factory(global_conf, **local_conf):
        options = GZIP.convert(local_conf, global_conf)
        return lambda app: GzipMiddleware(app, **options)

Values: booleans accept ``true/false/yes/no/on/off/1/0``; lists accept commas or whitespace; sizes accept
plain bytes or ``KB/MB/GB`` (decimal) and ``KiB/MiB/GiB`` (binary); durations accept ``30``, ``30s``,
``5m``, ``2h``, ``1.5s``.
"""

from __future__ import annotations

import difflib
import importlib
import ipaddress
import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from wsgikit.deploy.env import expand_env
from wsgikit.deploy.errors import ConfigError, ConfigLookupError

__all__ = [
    "REQUIRED",
    "ConfigError",
    "ConfigLookupError",
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


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()
"""Default marker for options that must be given."""


# -- converters ---------------------------------------------------------------------------------------------
# Each converter takes the INI string and returns the typed value, or raises ValueError with a message
# that makes sense after "key: ".

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def to_str(value: str) -> str:
    return value.strip()


def to_bool(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"expected a boolean (true/false, yes/no, on/off, 1/0), got {value!r}")


def to_int(minimum: int | None = None, maximum: int | None = None) -> Callable[[str], int]:
    """An integer converter, optionally bounded (inclusive)."""

    def convert(value: str | int) -> int:
        try:
            number = value if isinstance(value, int) else int(value.strip())
        except ValueError:
            raise ValueError(f"expected an integer, got {value!r}") from None
        if minimum is not None and number < minimum:
            raise ValueError(f"must be at least {minimum}, got {number}")
        if maximum is not None and number > maximum:
            raise ValueError(f"must be at most {maximum}, got {number}")
        return number

    convert.__name__ = "integer"
    return convert


_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "k": 1000,
    "m": 1000**2,
    "g": 1000**3,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
}
_MAX_SIZE = 2**63 - 1
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def to_size(value: str | int) -> int:
    """``1048576``, ``10MB`` (decimal), ``10MiB`` (binary) → bytes."""
    if isinstance(value, int):
        return value
    match = _SIZE_RE.match(value)
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _SIZE_UNITS:
        raise ValueError(f"expected a size such as 1048576, 10MB or 10MiB, got {value!r}")
    # exact decimal arithmetic: a float would round 4611686019g and overflow on 400 digits
    size = int(Decimal(match.group(1)) * _SIZE_UNITS[unit])
    if size > _MAX_SIZE:
        raise ValueError(f"a size of at most {_MAX_SIZE} bytes is expected, got {value!r}")
    return size


_DURATION_UNITS = {"": 1.0, "s": 1.0, "ms": 0.001, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$")


def to_duration(value: str | float) -> float:
    """``30``, ``30s``, ``250ms``, ``5m``, ``2h`` → seconds."""
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION_RE.match(value.lower())
    if match is None or match.group(2) not in _DURATION_UNITS:
        raise ValueError(f"expected a duration such as 30, 30s, 250ms or 5m, got {value!r}")
    seconds = float(match.group(1)) * _DURATION_UNITS[match.group(2)]
    if not math.isfinite(seconds):
        raise ValueError(f"a finite duration is expected, got {value!r}")
    return seconds


def to_list(value: str | Iterable[str]) -> list[str]:
    """Commas or whitespace separate items; empty items are dropped."""
    if not isinstance(value, str):
        return list(value)
    return [item for item in re.split(r"[\s,]+", value) if item]


def to_regex(value: str) -> re.Pattern[str]:
    try:
        return re.compile(value.strip())
    except re.error as error:
        raise ValueError(f"invalid regular expression {value!r}: {error}") from None


def to_path(value: str) -> str:
    """A filesystem path (``~`` expanded). Relative paths are resolved by the deploy layer against the
    directory of the ini file (``%(here)s``)."""
    import os.path

    return os.path.expanduser(value.strip())


def resolve_path(path: str, global_conf: Mapping[str, Any] | None) -> str:
    """``path`` joined to the directory of the ini file (``global_conf['here']``) when it is relative,
    so a relative path in a section means the same whatever directory the server was started from."""
    import os.path

    here = (global_conf or {}).get("here")
    if not here or os.path.isabs(path):
        return path
    return os.path.join(here, path)


def import_object(value: str) -> Any:
    """``package.module:attribute`` (or ``package.module.attribute``) → the object, imported now.

    :raises ValueError: naming what could not be imported or found.
    """
    spec = value.strip()
    if ":" in spec:
        module_name, _, attr_path = spec.partition(":")
    else:
        module_name, _, attr_path = spec.rpartition(".")
    if not module_name or not attr_path:
        raise ValueError(f"expected 'package.module:callable', got {value!r}")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as error:
        raise ValueError(f"cannot import module {module_name!r} ({error})") from None
    for attr in attr_path.split("."):
        try:
            target = getattr(target, attr)
        except AttributeError:
            raise ValueError(f"module {module_name!r} has no attribute {attr_path!r}") from None
    return target


def to_callable(value: str | Callable[..., Any]) -> Callable[..., Any]:
    """``package.module:callable`` (or ``package.module.callable``) → the callable, imported now."""
    if callable(value):
        return value
    target = import_object(value)
    if not callable(target):
        raise ValueError(f"{value.strip()!r} is not callable")
    result: Callable[..., Any] = target
    return result


def to_callables(value: str) -> list[Callable[..., Any]]:
    return [to_callable(item) for item in to_list(value)]


def to_choice(*choices: str) -> Callable[[str], str]:
    def convert(value: str) -> str:
        stripped = value.strip()
        if stripped not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}")
        return stripped

    convert.__name__ = "one of " + "|".join(choices)
    return convert


def to_log_level(value: str | int) -> int:
    """``INFO``, ``info``, ``20`` → ``logging.INFO`` (Paste's TransLogger crashes on the string form)."""
    if isinstance(value, int):
        return value
    stripped = value.strip()
    if stripped.isdigit():
        return int(stripped)
    level = logging.getLevelNamesMapping().get(stripped.upper())
    if level is None:
        raise ValueError(f"expected a logging level such as INFO or 20, got {value!r}")
    return level


def to_networks(
    value: str | Iterable[str],
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """``127.0.0.0/8 ::1 10.0.0.5`` → networks (a bare address is a /32 or /128)."""
    items = to_list(value)
    networks = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"expected an IP network such as 10.0.0.0/8, got {item!r}") from None
    return networks


# -- tables -------------------------------------------------------------------------------------------------

_NOT_PATHS = frozenset({"-", "stdout", "stderr"})


def _check_exists(value: Any, kind: str, global_conf: Mapping[str, Any] | None) -> None:
    """Raise ``ValueError`` when the path ``value`` (relative to the ini's directory) is not there."""
    import os.path

    if not isinstance(value, str) or not value or (kind == "parent" and value in _NOT_PATHS):
        return
    if not os.path.isabs(value) and not (global_conf or {}).get("here"):
        return  # relative to an ini file that is not known (options given from Python): the factory decides
    path = resolve_path(value, global_conf)
    if kind == "file" and not os.path.isfile(path):
        raise ValueError(f"no such file: {path}" if not os.path.isdir(path) else f"{path} is a directory")
    if kind == "dir" and not os.path.isdir(path):
        raise ValueError(f"no such directory: {path}")
    if kind == "parent" and not os.path.isdir(os.path.dirname(path) or "."):
        # the factory's own words for it when it tries to open the file (LogFile: "cannot open ...")
        raise ValueError(
            f"cannot open {path}: No such file or directory ({os.path.dirname(path)} is missing)"
        )


@dataclass(frozen=True)
class Option:
    """One option of a component.

    :param name: the INI key and the Python keyword argument.
    :param convert: string → typed value; raises ``ValueError`` with a readable message.
    :param default: the value when the key is absent (:data:`REQUIRED` when it must be given).
    :param help: one line for the generated reference docs.
    :param python_name: the keyword argument, when it differs from ``name``.
    :param must_exist: ``"file"`` or ``"dir"``: the value is a path (relative to the ini file's directory)
        that must name an existing file or directory; ``"parent"``: a file to be created, whose directory
        must exist (``-``, ``stdout`` and ``stderr`` are not paths). Checked by :meth:`OptionTable.convert`,
        so ``wsgikit check`` finds what the server would fail on at start-up.
    """

    name: str
    convert: Callable[[Any], Any]
    default: Any = None
    help: str = ""
    python_name: str | None = None
    must_exist: str | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def kwarg(self) -> str:
        return self.python_name or self.name


# PasteDeploy puts these in local_conf of some sections; they are the loader's, not the component's.
_LOADER_KEYS = frozenset({"use", "__file__", "here", "next"})


@dataclass
class OptionTable:
    """The options of one component, declared once.

    :param component: the entry-point name, used in error messages and the generated docs.
    :param options: the declared options.
    :param accept_extra: a predicate for keys outside the table that the component takes as-is (a server
        runner's pass-through options, the choices of ``select``); everything else is rejected.
    :param exclusive: ``(first, second, why)``: keys that cannot be given together; giving both is an
        error at ``second``, which says ``why`` (may be empty). Checked by :meth:`convert` and so by
        ``wsgikit check`` too.
    """

    component: str
    options: tuple[Option, ...] = ()
    accept_extra: Callable[[str], bool] | None = None
    exclusive: tuple[tuple[str, str, str], ...] = ()
    by_name: dict[str, Option] = field(init=False, repr=False)

    def __init__(
        self,
        component: str,
        *options: Option,
        accept_extra: Callable[[str], bool] | None = None,
        exclusive: Iterable[tuple[str, str, str]] = (),
    ) -> None:
        self.component = component
        self.options = options
        self.accept_extra = accept_extra
        self.by_name = {option.name: option for option in options}
        if len(self.by_name) != len(options):
            raise ValueError(f"{component}: duplicate option names")
        self.exclusive = tuple(exclusive)
        for first, second, _ in self.exclusive:
            if first not in self.by_name or second not in self.by_name:
                raise ValueError(f"{component}: exclusive names an undeclared option: {first}, {second}")

    def suggest(self, key: str) -> str | None:
        """The closest declared option name to ``key``, if any is close."""
        close = difflib.get_close_matches(key, list(self.by_name), n=1, cutoff=0.6)
        return close[0] if close else None

    def convert(
        self,
        local_conf: Mapping[str, Any],
        global_conf: Mapping[str, Any] | None = None,
        *,
        section: str | None = None,
        lines: Mapping[str, int] | None = None,
    ) -> dict[str, Any]:
        """Typed keyword arguments from a section's strings.

        ``${ENV:NAME}`` / ``${ENV:NAME:-default}`` left in a value (by a loader other than wsgikit's) are
        expanded here, so ``egg:wsgikit#...`` sections behave the same under ``gunicorn --paste`` and
        ``uwsgi --paste``.

        :raises ConfigError: for an unknown key (with a "did you mean"), a bad value or a missing
            required key, naming the file (from ``global_conf["__file__"]``), section and key, and the
            line when ``lines`` (key → line number) is given. The wsgikit loader fills in the section and
            line when the factory cannot know them.
        """
        errors = self._convert(local_conf, global_conf, section, lines, stop_at_first=True)
        if isinstance(errors, list):
            raise errors[0]
        return errors

    def check(
        self,
        local_conf: Mapping[str, Any],
        global_conf: Mapping[str, Any] | None = None,
        *,
        section: str | None = None,
        lines: Mapping[str, int] | None = None,
    ) -> list[ConfigError]:
        """Every problem :meth:`convert` would raise for, not just the first (used by ``wsgikit check``)."""
        result = self._convert(local_conf, global_conf, section, lines, stop_at_first=False)
        return result if isinstance(result, list) else []

    def _convert(
        self,
        local_conf: Mapping[str, Any],
        global_conf: Mapping[str, Any] | None,
        section: str | None,
        lines: Mapping[str, int] | None,
        *,
        stop_at_first: bool,
    ) -> dict[str, Any] | list[ConfigError]:
        file = (global_conf or {}).get("__file__")
        lines = lines or {}
        errors: list[ConfigError] = []
        result: dict[str, Any] = {}
        for key, raw in local_conf.items():
            if key in _LOADER_KEYS:
                continue
            option = self.by_name.get(key)
            if option is None:
                if self.accept_extra is not None and self.accept_extra(key):
                    result[key] = raw
                    continue
                hint = self.suggest(key)
                message = f"unknown option for {self.component}"
                message += f"; did you mean {hint!r}?" if hint else f"; valid options: {self.names()}"
                errors.append(ConfigError(message, key=key, file=file, line=lines.get(key), section=section))
            else:
                try:
                    value = expand_env(raw) if isinstance(raw, str) else raw
                    result[option.kwarg] = option.convert(value)
                    if option.must_exist is not None:
                        _check_exists(result[option.kwarg], option.must_exist, global_conf)
                except ConfigError as error:
                    errors.append(error.located(key=key, file=file, line=lines.get(key), section=section))
                except ValueError as error:
                    errors.append(
                        ConfigError(str(error), key=key, file=file, line=lines.get(key), section=section)
                    )
            if errors and stop_at_first:
                return errors
        for option in self.options:
            if option.required and option.kwarg not in result and option.name not in local_conf:
                errors.append(
                    ConfigError(
                        f"required option for {self.component} is missing",
                        key=option.name,
                        file=file,
                        section=section,
                    )
                )
        for first, second, why in self.exclusive:
            if first in local_conf and second in local_conf:
                message = f"give {first} or {second}, not both"
                message = f"{why}; {message}" if why else message
                errors.append(
                    ConfigError(message, key=second, file=file, line=lines.get(second), section=section)
                )
        return errors or result

    def names(self) -> str:
        return ", ".join(sorted(self.by_name)) or "(none)"

    def defaults(self) -> dict[str, Any]:
        return {option.kwarg: option.default for option in self.options if not option.required}
