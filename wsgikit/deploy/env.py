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
from collections.abc import Callable, Mapping, MutableMapping

from wsgikit.config_errors import ConfigError
from wsgikit.options import ENV_RE, expand_env, has_env

__all__ = ["ENV_RE", "EnvInterpolation", "expand_env", "has_env"]


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
