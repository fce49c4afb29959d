"""Options: declared once, for Python and for ``paste.ini``
=========================================================

Every component of wsgikit declares its options once, as an :class:`OptionTable` of
``Option(name, converter, default, help)`` next to the class that takes them. The same table

* checks the class's keyword arguments (:meth:`OptionTable.validate`, called first thing in ``__init__``:
  a value of the wrong type or out of range is a :class:`~wsgikit.config_errors.ConfigError` — a
  ``ValueError`` — reading ``"option: what is wrong"``);
* turns the strings of a ``paste.ini`` section into those keyword arguments, and refuses what it does not
  know: an unknown key, a value that does not convert, or a missing required key raises
  :class:`~wsgikit.config_errors.ConfigError` naming the file, the section, the key and — for a typo — the
  closest valid key (:meth:`OptionTable.convert`, :meth:`OptionTable.check`);
* gives the class its defaults (:meth:`OptionTable.default`), ``wsgikit check`` its keys and the options
  reference its rows.

.. code-block:: python

    class GzipMiddleware:
        OPTIONS = OptionTable(
            "gzip",
            Option("level", to_int(1, 9), 6, "compression level"),
            Option("minimum_size", to_size, 500, "smallest body worth compressing"),
        )

        def __init__(
            self,
            app,
            *,
            level: int = OPTIONS.default("level"),
            minimum_size: int = OPTIONS.default("minimum_size"),
        ):
            self.OPTIONS.validate(level=level, minimum_size=minimum_size)
            ...

    # wsgikit/deploy/components/gzip.py: [filter:x] use = egg:wsgikit#gzip
    filter_factory = filter_factory_for(GzipMiddleware)

A converter (:class:`Converter`) knows both sides of an option's type: ``parse`` reads the INI text, and
``check`` refuses a Python value of the wrong type or out of range — so ``to_int(1, 9)`` takes ``6`` from
Python and ``6`` from a file, and refuses ``True``, ``"6"`` from Python and ``10`` from either. Values in a
file: booleans accept ``true/false/yes/no/on/off/1/0``; lists accept commas or whitespace; sizes accept
plain bytes or ``KB/MB/GB`` (decimal) and ``KiB/MiB/GiB`` (binary); durations accept ``30``, ``30s``,
``5m``, ``2h``, ``1.5s``; ``${ENV:NAME}`` and ``${ENV:NAME:-default}`` are expanded.

This module and :mod:`wsgikit.config_errors` import nothing of wsgikit's deploy layer, so the middleware
can use them; :mod:`wsgikit.deploy.options` re-exports every name.
"""

from __future__ import annotations

import difflib
import importlib
import ipaddress
import logging
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from wsgikit.config_errors import ConfigError, ConfigLookupError

__all__ = [
    "ENV_RE",
    "REQUIRED",
    "ConfigError",
    "ConfigLookupError",
    "Converter",
    "Option",
    "OptionTable",
    "expand_env",
    "has_env",
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
    "to_seconds",
    "to_size",
    "to_str",
]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()
"""Default marker for options that must be given."""


# -- ${ENV:...} in values ---------------------------------------------------------------------------------

ENV_RE = re.compile(r"\$\{ENV:(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")
"""``${ENV:NAME}`` or ``${ENV:NAME:-default}`` (a default cannot contain ``}``)."""


def has_env(value: str) -> bool:
    return "${ENV:" in value


def expand_env(
    value: str,
    environ: Mapping[str, str] | None = None,
    *,
    escape_percent: bool = False,
    strict: bool = True,
) -> str:
    """Replace every ``${ENV:NAME[:-default]}`` in ``value``.

    :param environ: the environment (``os.environ`` by default).
    :param escape_percent: double every ``%`` in the text taken from the environment, for values that
        are about to go through ``%`` interpolation (so the environment's text stays literal).
    :param strict: when false, a variable that is unset and has no default, or a malformed reference, is
        left as written.
    :raises ConfigError: when a variable without a default is not set, or a reference is malformed
        (``strict`` only).
    """
    if "${ENV:" not in value:
        return value
    if strict:
        _refuse_malformed(value)
    env = os.environ if environ is None else environ

    def replace(match: re.Match[str]) -> str:
        name, default = match.group("name"), match.group("default")
        found = env.get(name)
        if found is None or (found == "" and default is not None):
            if default is None:
                if not strict:
                    return match.group(0)
                raise ConfigError(
                    f"environment variable {name} is not set "
                    f"(write ${{ENV:{name}:-default}} to give a default)"
                )
            return default
        return found.replace("%", "%%") if escape_percent else found

    return ENV_RE.sub(replace, value)


def _refuse_malformed(value: str) -> None:
    """A ``${ENV:`` that does not start a well-formed reference is an error whatever the environment."""
    starts = {match.start() for match in ENV_RE.finditer(value)}
    position = value.find("${ENV:")
    while position != -1:
        if position not in starts:
            end = value.find("}", position)
            fragment = value[position : end + 1 if end != -1 else len(value)]
            raise ConfigError(
                f"malformed environment reference {fragment!r}: write ${{ENV:NAME}} or "
                "${ENV:NAME:-default} (NAME: letters, digits and _; the default cannot contain '}')"
            )
        position = value.find("${ENV:", position + 1)


# -- converters ---------------------------------------------------------------------------------------------
# Each converter reads the INI string (parse) and checks a Python value (check); either raises ValueError
# with a message that makes sense after "key: ".


class Converter:
    """The type of an option, for both of its sources.

    :param name: what the options reference calls the type (``to_bool``, ``integer``, ...).
    :param parse: INI text → value; raises ``ValueError`` saying what was expected.
    :param check: a value (parsed, or given from Python) → the value to use; raises ``ValueError`` for a
        wrong type or a value out of range. ``None``: any value is taken as it is.

    Calling the converter converts either kind: a string is parsed, then checked; anything else is
    checked (so a table also converts a ``local_conf`` that holds Python values). From Python, only
    :meth:`check` runs: a string is not parsed into an integer there.
    """

    __slots__ = ("__name__", "_check", "parse")

    def __init__(
        self, name: str, parse: Callable[[str], Any], check: Callable[[Any], Any] | None = None
    ) -> None:
        self.__name__ = name
        self.parse = parse
        self._check = check

    def __call__(self, value: Any) -> Any:
        return self.check(self.parse(value) if isinstance(value, str) else value)

    def check(self, value: Any) -> Any:
        return value if self._check is None else self._check(value)

    def checked(self, extra: Callable[[Any], object]) -> Converter:
        """This converter, with ``extra(value)`` run after its own check (raising ``ValueError`` for a
        value the component cannot use: an unknown media type, an engine that is not installed)."""
        own = self.check

        def check(value: Any) -> Any:
            value = own(value)
            extra(value)
            return value

        return Converter(self.__name__, self.parse, check)

    def __repr__(self) -> str:
        return f"<converter {self.__name__}>"


def _got(value: Any) -> str:
    return f"got {value!r}"


def _check_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, {_got(value)}")
    return value


to_str = Converter("to_str", str.strip, _check_str)

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"expected a boolean (true/false, yes/no, on/off, 1/0), got {value!r}")


def _check_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected a boolean, {_got(value)}")
    return value


to_bool = Converter("to_bool", _parse_bool, _check_bool)


def _whole_number(value: Any, what: str) -> int:
    """``value`` when it is an ``int`` of 0 or more (a bool is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected {what}, {_got(value)}")
    return value


def _parse_int(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise ValueError(f"expected an integer, got {value!r}") from None


def _check_range(number: Any, minimum: float | None, maximum: float | None, what: str) -> None:
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise ValueError(f"expected {what}, {_got(number)}")
    if minimum is not None and number < minimum:
        raise ValueError(f"must be at least {minimum}, got {number}")
    if maximum is not None and number > maximum:
        raise ValueError(f"must be at most {maximum}, got {number}")


def to_int(minimum: int | None = None, maximum: int | None = None) -> Converter:
    """An integer converter, optionally bounded (inclusive). A bool is not an integer here."""

    def check(value: Any) -> int:
        if not isinstance(value, int):
            raise ValueError(f"expected an integer, {_got(value)}")
        _check_range(value, minimum, maximum, "an integer")
        return value

    return Converter("integer", _parse_int, check)


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


def _parse_size(value: str) -> int:
    match = _SIZE_RE.match(value)
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _SIZE_UNITS:
        raise ValueError(f"expected a size such as 1048576, 10MB or 10MiB, got {value!r}")
    # exact decimal arithmetic: a float would round 4611686019g and overflow on 400 digits
    size = int(Decimal(match.group(1)) * _SIZE_UNITS[unit])
    if size > _MAX_SIZE:
        raise ValueError(f"a size of at most {_MAX_SIZE} bytes is expected, got {value!r}")
    return size


def _check_size(value: Any) -> int:
    return _whole_number(value, "a non-negative number of bytes")


to_size = Converter("to_size", _parse_size, _check_size)
"""``1048576``, ``10MB`` (decimal), ``10MiB`` (binary) → bytes; from Python, an ``int`` of 0 or more."""

_DURATION_UNITS = {"": 1.0, "s": 1.0, "ms": 0.001, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$")


def _parse_duration(value: str) -> float:
    match = _DURATION_RE.match(value.lower())
    if match is None or match.group(2) not in _DURATION_UNITS:
        raise ValueError(f"expected a duration such as 30, 30s, 250ms or 5m, got {value!r}")
    seconds = float(match.group(1)) * _DURATION_UNITS[match.group(2)]
    if not math.isfinite(seconds):
        raise ValueError(f"a finite duration is expected, got {value!r}")
    return seconds


def _check_duration(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"expected a number of seconds, {_got(value)}")
    return float(value)


to_duration = Converter("to_duration", _parse_duration, _check_duration)
"""``30``, ``30s``, ``250ms``, ``5m``, ``2h`` → seconds (a float)."""


def _check_seconds(value: Any) -> int:
    return _whole_number(value, "whole seconds (0 or more)")


to_seconds = Converter("to_seconds", lambda value: int(_parse_duration(value)), _check_seconds)
"""A duration in whole seconds (``10m`` → 600), for headers such as ``max-age``; from Python, an ``int``."""


def _split(value: str) -> list[str]:
    return [item for item in re.split(r"[\s,]+", value) if item]


def _check_list(value: Any) -> list[Any]:
    if isinstance(value, str | bytes):
        raise ValueError("expected a list, got a single string")
    try:
        return list(value)
    except TypeError:
        raise ValueError(f"expected a list, {_got(value)}") from None


to_list = Converter("to_list", _split, _check_list)
"""Commas or whitespace separate items; empty items are dropped. From Python: any iterable but a string."""


def _compile(value: str) -> re.Pattern[str]:
    try:
        return re.compile(value.strip())
    except re.error as error:
        raise ValueError(f"invalid regular expression {value!r}: {error}") from None


def _check_regex(value: Any) -> re.Pattern[str]:
    if not isinstance(value, re.Pattern):
        raise ValueError(f"expected a compiled regular expression, {_got(value)}")
    return value


to_regex = Converter("to_regex", _compile, _check_regex)


def _check_path(value: Any) -> str:
    if not isinstance(value, str | os.PathLike):
        raise ValueError(f"expected a path, {_got(value)}")
    return os.fspath(value)


to_path = Converter("to_path", lambda value: os.path.expanduser(value.strip()), _check_path)
"""A filesystem path (``~`` expanded). Relative paths are resolved by the deploy layer against the
directory of the ini file (``%(here)s``)."""


def resolve_path(path: str, global_conf: Mapping[str, Any] | None) -> str:
    """``path`` joined to the directory of the ini file (``global_conf['here']``) when it is relative,
    so a relative path in a section means the same whatever directory the server was started from."""
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


def _import_callable(value: str) -> Callable[..., Any]:
    target = import_object(value)
    if not callable(target):
        raise ValueError(f"{value.strip()!r} is not callable")
    result: Callable[..., Any] = target
    return result


def _check_callable(value: Any) -> Callable[..., Any]:
    if not callable(value):
        raise ValueError(f"not callable: {value!r}")
    result: Callable[..., Any] = value
    return result


to_callable = Converter("to_callable", _import_callable, _check_callable)
"""``package.module:callable`` (or ``package.module.callable``) → the callable, imported now."""


def _check_callables(value: Any) -> list[Callable[..., Any]]:
    return [_check_callable(item) for item in _check_list(value)]


to_callables = Converter(
    "to_callables", lambda value: [_import_callable(item) for item in _split(value)], _check_callables
)


def to_choice(*choices: str) -> Converter:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}")
        result: str = value
        return result

    def parse(value: str) -> str:
        stripped = value.strip()
        if stripped not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}")
        return stripped

    return Converter("one of " + "|".join(choices), parse, check)


def _parse_log_level(value: str) -> int:
    stripped = value.strip()
    if stripped.isdigit():
        return int(stripped)
    level = logging.getLevelNamesMapping().get(stripped.upper())
    if level is None:
        raise ValueError(f"expected a logging level such as INFO or 20, got {value!r}")
    return level


def _check_log_level(value: Any) -> int:
    if isinstance(value, str):  # a level name is a Python value too (logging takes it)
        return _parse_log_level(value)
    return _whole_number(value, "a logging level such as INFO or 20")


to_log_level = Converter("to_log_level", _parse_log_level, _check_log_level)
"""``INFO``, ``info``, ``20`` → ``logging.INFO`` (Paste's TransLogger crashes on the string form)."""


def _check_networks(value: Any) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    items = _split(value) if isinstance(value, str) else _check_list(value)
    networks = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except (TypeError, ValueError):
            raise ValueError(f"expected an IP network such as 10.0.0.0/8, got {item!r}") from None
    return networks


to_networks = Converter("to_networks", _split, _check_networks)
"""``127.0.0.0/8 ::1 10.0.0.5`` → networks (a bare address is a /32 or /128)."""


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
    :param requires: ``(key, needed, why)``: ``key`` means nothing without ``needed``; giving it alone is
        an error at ``key``, which says ``why``. Checked by :meth:`convert` too.
    """

    component: str
    options: tuple[Option, ...] = ()
    accept_extra: Callable[[str], bool] | None = None
    exclusive: tuple[tuple[str, str, str], ...] = ()
    requires: tuple[tuple[str, str, str], ...] = ()
    by_name: dict[str, Option] = field(init=False, repr=False)
    by_kwarg: dict[str, Option] = field(init=False, repr=False)

    def __init__(
        self,
        component: str,
        *options: Option,
        accept_extra: Callable[[str], bool] | None = None,
        exclusive: Iterable[tuple[str, str, str]] = (),
        requires: Iterable[tuple[str, str, str]] = (),
    ) -> None:
        self.component = component
        self.options = options
        self.accept_extra = accept_extra
        self.by_name = {option.name: option for option in options}
        if len(self.by_name) != len(options):
            raise ValueError(f"{component}: duplicate option names")
        # the keyword arguments: an alias (Paste's logging_level for level) leaves the first one declared
        self.by_kwarg = {}
        for option in options:
            self.by_kwarg.setdefault(option.kwarg, option)
        self.exclusive = tuple(exclusive)
        for first, second, _ in self.exclusive:
            if first not in self.by_name or second not in self.by_name:
                raise ValueError(f"{component}: exclusive names an undeclared option: {first}, {second}")
        self.requires = tuple(requires)
        for key, needed, _ in self.requires:
            if key not in self.by_name or needed not in self.by_name:
                raise ValueError(f"{component}: requires names an undeclared option: {key}, {needed}")

    def default(self, kwarg: str) -> Any:
        """The default of the option behind keyword argument ``kwarg`` (for the class's signature)."""
        return self.by_kwarg[kwarg].default

    def validate(self, **values: Any) -> dict[str, Any]:
        """Check a constructor's keyword arguments (Python values, not INI text) through each option's
        converter (:meth:`Converter.check`); returns them checked. ``None`` is taken for an option whose
        default is ``None`` (it means "not set"); a converter that is a plain function checks nothing.

        :raises ConfigError: for the first value refused — a ``ValueError`` whose text is
            ``"<kwarg>: what is wrong"``; while the loader builds a section it names that section's file
            and line too.
        """
        checked: dict[str, Any] = {}
        for kwarg, value in values.items():
            option = self.by_kwarg[kwarg]
            check = getattr(option.convert, "check", None)
            if check is None or (value is None and option.default is None):
                checked[kwarg] = value
                continue
            try:
                checked[kwarg] = check(value)
            except ValueError as error:
                raise ConfigError(str(error), key=kwarg) from None
        return checked

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
                except ConfigError as error:  # created here again, at this key, keeping what it knew
                    errors.append(
                        type(error)(
                            error.message,
                            key=error.key or key,
                            file=error.file or file,
                            line=error.line or lines.get(key),
                            section=error.section or section,
                        )
                    )
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
        for key, needed, why in self.requires:
            if key in local_conf and needed not in local_conf:
                message = f"{why}; give {needed} too" if why else f"give {needed} too"
                errors.append(ConfigError(message, key=key, file=file, line=lines.get(key), section=section))
        return errors or result

    def names(self) -> str:
        return ", ".join(sorted(self.by_name)) or "(none)"

    def defaults(self) -> dict[str, Any]:
        return {option.kwarg: option.default for option in self.options if not option.required}
