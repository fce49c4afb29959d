"""``CONFIG[#name]``: how every command and loader names a section of a configuration file
======================================================================================

One parser for the spelling the command line, :func:`~wsgikit.deploy.loadapp` and ``wsgikit check`` share:
a path (or a ``config:`` URI) with an optional ``#name``, ``main`` when it is left out or empty.

.. code-block:: python

    >>> spec = parse_config_spec("config:paste.ini#api", relative_to="/srv")
    >>> spec.path, spec.name, spec.uri
    ('/srv/paste.ini', 'api', 'config:/srv/paste.ini#api')
"""

from __future__ import annotations

import importlib.metadata
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

__all__ = ["DEFAULT_NAME", "ConfigSpec", "import_factory", "parse_config_spec"]

DEFAULT_NAME = "main"


@dataclass(frozen=True)
class ConfigSpec:
    """A section of a configuration file: an absolute ``path`` and a section ``name``.

    :ivar explicit_name: whether ``#name`` was written (``wsgikit check`` then checks that it exists).
    """

    path: str
    name: str = DEFAULT_NAME
    explicit_name: bool = False

    @property
    def uri(self) -> str:
        """The PasteDeploy URI, ``config:/abs/path.ini#name``."""
        return f"config:{self.path}#{self.name}"


def parse_config_spec(spec: str, *, relative_to: str | None = None) -> ConfigSpec:
    """``path/x.ini``, ``path/x.ini#api``, ``config:x.ini#api`` or ``config:///abs/x.ini`` → a
    :class:`ConfigSpec` with an absolute path (relative paths are joined to ``relative_to``, the current
    directory by default)."""
    text = spec.strip()
    if text[:7].lower() == "config:":
        text = unquote(text[7:].replace("\\", "/"))
        if text.startswith("///"):
            text = text[2:]
    path, hash_, name = text.partition("#")
    name = name.strip()
    path = os.path.join(relative_to or os.getcwd(), path) if not os.path.isabs(path) else path
    return ConfigSpec(os.path.normpath(path), name or DEFAULT_NAME, bool(hash_ and name))


def import_factory(value: str) -> Any:
    """The object a ``paste.app_factory = ...`` (or any ``paste.*_factory``) value names, imported as
    PasteDeploy's loader imports it: an entry-point value, ``package.module:attribute`` where the attribute
    may be dotted (``nova.api.openstack.compute:APIRouterV21.factory``, as nova, cinder and oslo write them).

    :raises ImportError, AttributeError: what the import raised.
    """
    return importlib.metadata.EntryPoint(name="", group="", value=value.strip()).load()
