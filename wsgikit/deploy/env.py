"""Environment values in ``paste.ini``
===================================

``${ENV:NAME}`` and ``${ENV:NAME:-default}`` in any value are replaced by the environment variable
``NAME`` (or ``default`` when it is unset or empty). The text that comes from the environment is taken
literally — a ``%`` in a password needs no escaping — while the text written in the file, including a
default, follows the file's usual ``%(name)s`` interpolation rules.

.. code-block:: ini

    [DEFAULT]
    auth_strategy = ${ENV:AUTH_STRATEGY:-keystone}

    [filter:auth]
    use = egg:wsgikit#basic_auth
    htpasswd = ${ENV:HTPASSWD_FILE:-%(here)s/htpasswd}

:class:`EnvInterpolation` is the :mod:`configparser` interpolation the wsgikit loader uses; it also turns
every interpolation failure into a :class:`~wsgikit.deploy.options.ConfigError` naming the key.
"""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Callable, Mapping, MutableMapping

from wsgikit.deploy.errors import ConfigError

__all__ = ["ENV_RE", "EnvInterpolation", "expand_env", "has_env"]

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


class EnvInterpolation(configparser.BasicInterpolation):
    """``%(name)s`` interpolation plus ``${ENV:...}``, with errors that name file, line, section and key.

    :param filename: reported in errors.
    :param line_of: ``(section, key) -> line number`` (or ``None``), for error locations.
    :param environ: the environment to read (``os.environ`` by default).
    """

    def __init__(
        self,
        filename: str,
        line_of: Callable[[str, str | None], int | None],
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.filename = filename
        self.line_of = line_of
        self.environ = environ

    def before_get(
        self,
        parser: MutableMapping[str, Mapping[str, str]],
        section: str,
        option: str,
        value: str,
        defaults: Mapping[str, str],
    ) -> str:
        try:
            if "${ENV:" in value or any("${ENV:" in raw for raw in defaults.values() if raw):
                # Expand the environment first, in the value and in everything it may reference, with
                # the environment's text escaped: only what the file says is %-interpolated.
                value = expand_env(value, self.environ, escape_percent=True)
                # Other keys are expanded leniently: only those actually referenced matter.
                defaults = {
                    key: expand_env(raw, self.environ, escape_percent=True, strict=False) if raw else raw
                    for key, raw in defaults.items()
                }
            result: str = super().before_get(parser, section, option, value, defaults)
            if "${ENV:" in result:  # a referenced value names an unset variable
                result = expand_env(result, self.environ)
            return result
        except ConfigError as error:
            raise self._locate(error, section, option) from None
        except configparser.InterpolationMissingOptionError as error:
            message = (
                f"%({error.reference})s refers to a key that neither [{section}] nor [DEFAULT] defines"
                " (write %% for a literal percent sign)"
            )
            raise self._locate(ConfigError(message), section, option) from None
        except configparser.InterpolationSyntaxError as error:
            message = (
                f"bad '%' interpolation in {value!r}: {_reason(error)} (write %% for a literal percent sign)"
            )
            raise self._locate(ConfigError(message), section, option) from None
        except configparser.InterpolationDepthError:
            message = "interpolation is too deeply nested (a value that refers to itself?)"
            raise self._locate(ConfigError(message), section, option) from None

    def _locate(self, error: ConfigError, section: str, option: str) -> ConfigError:
        """The error, created anew at the value it is about (which only the interpolation knows)."""
        cls = type(error)
        return cls(
            error.message, file=self.filename, line=self.line_of(section, option), section=section, key=option
        )


def _reason(error: configparser.Error) -> str:
    message = str(error.message) if hasattr(error, "message") else str(error)
    # configparser messages end with "found: '%def'"; keep the first clause, which says what is wrong.
    return message.split("\n")[0].rstrip(".").split(", found")[0].lower()
