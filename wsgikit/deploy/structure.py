"""What a configuration says, drawn from the INI alone
===================================================

:func:`structure` follows a ``paste.ini`` from one section — composites, pipelines, filters, applications,
``use =`` references to other sections and files — and returns a tree of :class:`Piece` objects, without
building anything. Factories are looked up (entry points found, modules imported) only to learn what they
are; one that cannot be imported is *marked* (``problem``) and the walk goes on, so the structure of a
nova, cinder, glance, keystone, neutron or swift file shows on a machine that has none of them installed.

Which keys of a composite name other sections: for wsgikit's composites (and Paste's, which they
replace) their ``references`` hook says; for any other composite (``call:nova.api.auth:pipeline_factory``,
``glance.api:root_app_factory``) a key whose value is one or more names of sections of the file is taken
as a pipeline of them (filters, then the application) — what every OpenStack pipeline factory does.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from wsgikit.deploy.env import expand_env
from wsgikit.deploy.ini import IniFile, Placed, Section, read_ini
from wsgikit.deploy.spec import import_factory, parse_config_spec

__all__ = ["Piece", "structure"]

_PERCENT_RE = re.compile(r"%\((\w+)\)s")
References = Callable[[dict[str, str]], list[tuple[str, str, str]]]


@dataclass
class Piece(Placed):
    """One element of a configuration's structure (see :class:`~wsgikit.deploy.ini.Placed`; ``kind`` may
    also be ``choice``, a key of a composite whose value is a pipeline, or ``missing``).

    :ivar options: the section's own keys (inherited ones through ``use = othersection`` included).
    :ivar problem: why it cannot be built here: a factory that cannot be imported, a missing section.
    :ivar notes: anything else worth saying (``egg:wsgikit#urlmap replaces it``, ``selected``).
    :ivar shared: the same section appeared earlier in the tree (its children are shown there).
    """

    options: dict[str, str] = field(default_factory=dict)
    problem: str | None = None
    notes: list[str] = field(default_factory=list)
    shared: bool = False
    children: list[Piece] = field(default_factory=list)

    @property
    def detail(self) -> str | None:
        """Notes, options and the problem, on one line (what ``wsgikit show`` prints in brackets)."""
        parts = list(self.notes)
        parts += [f"{key} = {_short(value)}" for key, value in self.options.items()]
        if self.problem:
            parts.append(f"✗ {self.problem}")
        return "; ".join(parts) or None

    def walk(self) -> Iterator[Piece]:
        yield self
        for child in self.children:
            yield from child.walk()


def _short(value: str, limit: int = 48) -> str:
    text = " ".join(value.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- what a factory is ---------------------------------------------------------------------------------------


@dataclass
class _Factory:
    module: ModuleType | None = None
    problem: str | None = None
    notes: list[str] = field(default_factory=list)
    inherited: dict[str, str] = field(default_factory=dict)
    kind: str | None = None  # the kind of the section ``use = other`` / ``config:`` inherits from
    owner: IniFile | None = None  # the file whose sections that section's references name

    @property
    def references(self) -> References | None:
        hook = getattr(self.module, "references", None)
        return hook if callable(hook) else None


_KIND_FOR_EGG = {"composite": "app", "pipeline": "app", "filter-app": "filter"}


def _module_of(obj: Any) -> ModuleType | None:
    return sys.modules.get(getattr(obj, "__module__", "") or "")


def _egg(rest: str, kind: str) -> _Factory:
    from wsgikit.deploy.loader import as_config_error, resolve_egg
    from wsgikit.deploy.paste_compat import replacement

    dist, _, name = rest.partition("#")
    instead = replacement(dist, name)
    if instead is not None:
        # show the structure the replacement gives (Paste's urlmap keys are wsgikit's urlmap keys)
        found = _egg(instead[len("egg:") :], kind)
        found.notes.insert(0, f"{instead} replaces it")
        if not _installed(dist):
            found.problem = f"no installed distribution named {dist.strip()!r}"
        return found
    try:
        entry_point, _ = resolve_egg(rest, _KIND_FOR_EGG.get(kind, kind))
        return _Factory(_module_of(entry_point.load()))
    except Exception as error:
        return _Factory(problem=as_config_error(error).message)


def _installed(dist: str) -> bool:
    try:
        importlib.metadata.distribution(dist.strip())
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _object(spec: str, *, factory_key: bool = False) -> _Factory:
    """What ``call:spec`` (PasteDeploy's ``lookup_object``) or a ``paste.*_factory`` value (an entry-point
    value, whose attribute may be dotted) names."""
    from paste.deploy.util import lookup_object

    try:
        found = import_factory(spec) if factory_key else lookup_object(spec.strip())
        return _Factory(_module_of(found))
    except Exception as error:
        return _Factory(problem=f"cannot import {spec.strip()!r}: {type(error).__name__}: {error}")


# -- the walk ------------------------------------------------------------------------------------------------


class _Walk:
    def __init__(self, environ: dict[str, str] | None) -> None:
        self.environ = environ
        self.files: dict[str, IniFile] = {}
        self.seen: set[tuple[str, str]] = set()
        self.stack: list[tuple[str, str]] = []

    def file(self, path: str) -> IniFile:
        path = os.path.abspath(path)
        if path not in self.files:
            self.files[path] = read_ini(path)
        return self.files[path]

    # references ------------------------------------------------------------------------------------------

    def reference(self, ini: IniFile, kind: str, name: str, label: str | None) -> Piece:
        """The piece ``name`` (a section of ``ini`` or a URI) stands for, where a ``kind`` is expected."""
        name = name.strip()
        scheme, colon, rest = name.partition(":")
        if colon and scheme.lower() == "config":
            target = parse_config_spec(rest, relative_to=os.path.dirname(ini.path))
            try:
                other = self.file(target.path)
            except (OSError, ValueError) as error:
                return Piece(
                    "missing", name, ini.path, label=label, problem=f"cannot read {target.path}: {error}"
                )
            return self.reference(other, kind, target.name, label)
        if colon and scheme.lower() in ("egg", "call"):
            factory = _egg(rest, kind) if scheme.lower() == "egg" else _object(rest)
            piece = Piece(kind, name, ini.path, label=label, spec=name, problem=factory.problem)
            piece.notes = factory.notes
            return piece
        section = ini.find(kind, name)
        if section is None:
            others = [other.header for other in ini.named(name)]
            problem = (
                f"is [{others[0]}], not {'an' if kind == 'app' else 'a'} {kind}"
                if others
                else "no such section"
            )
            return Piece("missing", name, ini.path, label=label, problem=problem)
        return self.section(ini, section, label)

    def section(self, ini: IniFile, section: Section, label: str | None) -> Piece:
        piece = Piece(
            section.kind or "app", section.header, ini.path, section.line, spec=section.spec, label=label
        )
        where = (ini.path, section.header)
        if where in self.stack:
            piece.problem = "reference cycle"
            return piece
        if where in self.seen:
            piece.shared = True
            return piece
        self.seen.add(where)
        self.stack.append(where)
        try:
            self.expand(ini, section, piece)
        finally:
            self.stack.pop()
        return piece

    # sections --------------------------------------------------------------------------------------------

    def expand(self, ini: IniFile, section: Section, piece: Piece) -> None:
        options = section.options
        if section.kind == "pipeline":
            items = options.get("pipeline", "").split()
            piece.children = self.pipeline(ini, items, label=None)
            return
        factory = self.factory(ini, section)
        piece.problem, piece.notes = factory.problem, factory.notes
        options = {**factory.inherited, **options}
        if section.kind == "filter-app":
            next_name = options.pop("next", "")
            piece.options = options
            piece.children = [self.reference(ini, "app", next_name, "next")]
            return
        filter_with = options.pop("filter-with", None)
        if filter_with:
            piece.children.append(self.reference(ini, "filter", filter_with, "filter-with"))
        # an [app:] section may be a composite: through `use` of one, or an entry point that is one
        composite = "composite" in (section.kind, factory.kind) or factory.references is not None
        if not composite:
            piece.options = options
            return
        ini = factory.owner or ini  # a composite names sections of its own file
        refs = self.composite_references(ini, factory, options)
        referenced = {key for key, _ in refs}
        piece.options = {key: value for key, value in options.items() if key not in referenced}
        chosen = self.selected(ini, options, factory)
        for key, targets in refs:
            if len(targets) == 1:
                piece.children.append(self.reference(ini, targets[0][0], targets[0][1], key))
                continue
            line = section.keys[key].line if key in section.keys else None
            choice = Piece("choice", "pipeline", ini.path, line, label=key)
            if key == chosen:
                choice.notes.append("selected")
            choice.children = self.pipeline(ini, [name for _, name in targets], label=None)
            piece.children.append(choice)

    def pipeline(self, ini: IniFile, items: list[str], label: str | None) -> list[Piece]:
        pieces = [self.reference(ini, "filter", item, label) for item in items[:-1]]
        return pieces + [self.reference(ini, "app", item, label) for item in items[-1:]]

    def factory(self, ini: IniFile, section: Section, depth: int = 0) -> _Factory:
        spec = section.spec
        if spec is None:
            return _Factory(problem="no 'use = ...' and no paste.*_factory key: nothing says what to build")
        if spec.startswith("paste."):
            return _object(spec.partition("=")[2], factory_key=True)
        scheme, colon, rest = spec.partition(":")
        if colon and scheme.lower() == "egg":
            return _egg(rest, section.kind or "app")
        if colon and scheme.lower() == "call":
            return _object(rest)
        if colon and scheme.lower() == "config":
            target = parse_config_spec(rest, relative_to=os.path.dirname(ini.path))
            try:
                other = self.file(target.path)
            except (OSError, ValueError) as error:
                return _Factory(problem=f"cannot read {target.path}: {error}")
            base = other.find(_KIND_FOR_EGG.get(section.kind or "app", section.kind or "app"), target.name)
            return self.inherit(other, base, target.name, depth)
        base = ini.find(_KIND_FOR_EGG.get(section.kind or "app", section.kind or "app"), spec)
        return self.inherit(ini, base, spec, depth)

    def inherit(self, ini: IniFile, base: Section | None, name: str, depth: int) -> _Factory:
        if base is None:
            return _Factory(problem=f"'use' names no section {name!r}")
        if depth > 16:
            return _Factory(problem="reference cycle through 'use'")
        found = self.factory(ini, base, depth + 1)
        found.inherited = {**found.inherited, **base.options}
        found.kind = found.kind or base.kind
        found.owner = found.owner or ini
        return found

    def composite_references(
        self, ini: IniFile, factory: _Factory, options: dict[str, str]
    ) -> list[tuple[str, list[tuple[str, str]]]]:
        """``(key, [(kind, name), ...])`` for each key of a composite that names other pieces."""
        grouped: dict[str, list[tuple[str, str]]] = {}
        if factory.references is not None:
            for key, kind, name in factory.references(options):
                grouped.setdefault(key, []).append((kind, name))
            return list(grouped.items())
        for key, value in options.items():
            items = value.split()
            if not items:
                continue
            known = [ini.find("filter", item) for item in items[:-1]]
            last = items[-1]
            if all(known) and (ini.find("app", last) is not None or (":" in last and len(items) == 1)):
                grouped[key] = [("filter", item) for item in items[:-1]] + [("app", last)]
        return list(grouped.items())

    def selected(self, ini: IniFile, options: dict[str, str], factory: _Factory) -> str | None:
        """The choice a ``select`` makes with today's ``[DEFAULT]`` and environment (``None`` for other
        composites: what they choose is up to their code)."""
        if factory.module is None or not factory.module.__name__.endswith(".select"):
            return None
        defaults = {name: key.value for name, key in ini.defaults.items()}
        value = expand_env(options.get("key", ""), self.environ, strict=False)
        for _ in range(8):  # %(name)s from [DEFAULT], which may itself hold ${ENV:...}
            value = _PERCENT_RE.sub(lambda m: defaults.get(m.group(1), m.group(0)), value)
            value = expand_env(value, self.environ, strict=False)
        return value.strip() or None


def structure(config: str, *, environ: dict[str, str] | None = None) -> Piece:
    """The structure of ``CONFIG[#name]`` (``main`` by default), from the INI alone.

    :raises OSError: when the file cannot be read.
    :raises configparser.Error: when the file is not INI.
    """
    spec = parse_config_spec(config)
    walk = _Walk(environ)
    ini = walk.file(spec.path)
    return walk.reference(ini, "app", spec.name, None)
