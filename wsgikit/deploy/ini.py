"""A ``paste.ini`` as a typed tree
==============================

:func:`read_ini` reads a file once into an :class:`IniFile`: its ``[DEFAULT]`` keys and its sections, each
:class:`Section` with its kind (``app``, ``composite``, ``pipeline``, ``filter``, ``filter-app``,
``server``), its name, the line of its header and its :class:`Key` objects, each with the raw value written
in the file and its line. Nothing is interpolated, imported or built: this is what the file *says*, with
where it says it — what ``wsgikit show`` draws and what error messages point at.

.. code-block:: python

    ini = read_ini("paste.ini")
    section = ini.find("app", "main")          # [composite:main], PasteDeploy's lookup rules
    section.spec                               # 'egg:wsgikit#urlmap'
    section.keys["/v2.1/+"].line               # 23
"""

from __future__ import annotations

import configparser
import os
import re
from dataclasses import dataclass, field

__all__ = ["IniFile", "IniIndex", "Key", "Placed", "Section", "parse_ini", "read_ini", "section_kind"]

# section prefix → kind (PasteDeploy's spellings, including its historical typos)
_PREFIX_KIND = {
    "app": "app",
    "application": "app",
    "composite": "composite",
    "composit": "composite",
    "pipeline": "pipeline",
    "filter-app": "filter-app",
    "filter": "filter",
    "server": "server",
}
# what a reference of one kind may name, in PasteDeploy's order of preference
_FINDS = {
    "app": ("app", "composite", "pipeline", "filter-app"),
    "filter": ("filter",),
    "server": ("server",),
}


def section_kind(section: str) -> str | None:
    """``"pipeline:main"`` → ``"pipeline"``; ``None`` for sections PasteDeploy does not load."""
    prefix, colon, _ = section.partition(":")
    if not colon and section in ("app", "filter", "pipeline", "composite", "server"):
        return _PREFIX_KIND[section]
    return _PREFIX_KIND.get(prefix.strip()) if colon else None


# -- line numbers ------------------------------------------------------------------------------------------

_SECTION_RE = re.compile(r"^\[(?P<header>.+)\]\s*$")
_OPTION_RE = re.compile(r"^(?P<option>.*?)\s*[=:]\s*(?P<value>.*)$")


class IniIndex:
    """Line numbers of the sections and keys of an ini file, as :mod:`configparser` reads it."""

    def __init__(self, text: str) -> None:
        self.sections: dict[str, int] = {}
        self.keys: dict[str, dict[str, int]] = {}
        current: str | None = None
        in_value = False
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if not stripped or stripped[0] in "#;":
                continue
            if line[0].isspace() and in_value:
                continue  # continuation of a multi-line value
            match = _SECTION_RE.match(stripped)
            if match:
                current = match.group("header")
                self.sections.setdefault(current, number)
                self.keys.setdefault(current, {})
                in_value = False
                continue
            option = _OPTION_RE.match(stripped)
            if option and current is not None:
                self.keys[current].setdefault(option.group("option").strip(), number)
                in_value = True

    def line_of(self, section: str, key: str | None = None) -> int | None:
        """The line of ``key`` in ``section`` (or of the section header when the key is not written
        there); ``None`` when the section is not in the file."""
        if key is not None:
            line = self.keys.get(section, {}).get(key)
            if line is not None:
                return line
        return self.sections.get(section)


# -- the tree ----------------------------------------------------------------------------------------------


@dataclass
class Placed:
    """A piece of a configuration as ``wsgikit show`` draws it: what it is and where it is written.

    :ivar kind: ``app``, ``composite``, ``pipeline``, ``filter``, ``filter-app``, ``server``, ...
    :ivar name: the section (``pipeline:api``) or the URI (``egg:swift#proxy``).
    :ivar spec: what makes it: ``egg:wsgikit#gzip``, ``call:pkg.mod:fn``, ``paste.app_factory = ...``.
    :ivar label: what the parent calls it by (a urlmap prefix, a choice, a cascade key).
    """

    kind: str
    name: str
    file: str | None = None
    line: int | None = None
    spec: str | None = None
    label: str | None = None

    @property
    def origin(self) -> str:
        """``file.ini:12`` (the base name), or ``""`` when unknown."""
        where = os.path.basename(self.file) if self.file else ""
        return f"{where}:{self.line}" if where and self.line else where


@dataclass(frozen=True)
class Key:
    """One ``key = value`` line: the raw value as written (continuation lines joined by newlines)."""

    name: str
    value: str
    line: int | None


@dataclass
class Section:
    """One ``[kind:name]`` section of a file."""

    header: str
    kind: str | None
    name: str
    file: str
    line: int | None
    keys: dict[str, Key] = field(default_factory=dict)

    @property
    def spec(self) -> str | None:
        """How PasteDeploy makes it: the ``use`` value, ``paste.xxx_factory = ...``, or ``None``."""
        if "use" in self.keys:
            return self.keys["use"].value.strip()
        for key in self.keys.values():
            if key.name.startswith("paste."):
                return f"{key.name} = {key.value.strip()}"
        return None

    @property
    def options(self) -> dict[str, str]:
        """The component's own keys: everything but ``use``, ``paste.*`` and ``set``/``get`` lines."""
        return {
            name: key.value
            for name, key in self.keys.items()
            if name != "use" and not name.startswith(("paste.", "set ", "get "))
        }


@dataclass
class IniFile:
    """A configuration file: ``[DEFAULT]`` and its sections, in file order."""

    path: str
    defaults: dict[str, Key]
    sections: dict[str, Section]
    index: IniIndex

    def find(self, kind: str, name: str | None) -> Section | None:
        """The section a reference to ``name`` (``main`` when ``None``) finds where a ``kind`` (``app``,
        ``filter`` or ``server``) is expected: ``[app:x]``, ``[composite:x]``, ``[pipeline:x]`` or
        ``[filter-app:x]`` for an app, as PasteDeploy looks them up."""
        wanted = (name or "main").strip()
        for want in _FINDS.get(kind, _FINDS["app"]):
            for section in self.sections.values():
                if section.kind == want and section.name == wanted:
                    return section
        return None

    def named(self, name: str | None) -> list[Section]:
        """Every section called ``name`` whatever its kind (for "it is a filter, not an app" messages)."""
        wanted = (name or "main").strip()
        return [section for section in self.sections.values() if section.name == wanted]


def read_ini(path: str) -> IniFile:
    """Read ``path`` into an :class:`IniFile` (raw values, nothing interpolated).

    :raises OSError: when the file cannot be read.
    :raises configparser.Error: when it is not INI (``MissingSectionHeaderError`` for a file whose first
        line is not a section header).
    """
    path = os.path.abspath(path)
    with open(path, encoding="utf-8") as handle:
        return parse_ini(handle.read(), path)


def parse_ini(text: str, path: str) -> IniFile:
    """:func:`read_ini` for text already read (``path`` is where it came from)."""
    parser = configparser.RawConfigParser(strict=False, interpolation=None, default_section="DEFAULT")
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text, source=path)
    index = IniIndex(text)

    def keys_of(header: str, values: dict[str, str]) -> dict[str, Key]:
        lines = index.keys.get(header, {})
        return {name: Key(name, value or "", lines.get(name)) for name, value in values.items()}

    defaults = keys_of("DEFAULT", dict(parser.defaults()))
    sections: dict[str, Section] = {}
    for header in parser.sections():
        written = index.keys.get(header, {})
        own = {name: value for name, value in parser.items(header, raw=True) if name in written}
        sections[header] = Section(
            header=header,
            kind=section_kind(header),
            name=header.partition(":")[2].strip() if ":" in header else "main",
            file=path,
            line=index.sections.get(header),
            keys=keys_of(header, own),
        )
    return IniFile(path, defaults, sections, index)
