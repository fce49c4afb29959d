"""Checking a ``paste.ini``
=======================

:func:`check_config` reads a configuration file the way PasteDeploy will, and reports every problem at
once — without building or serving anything:

* a value that does not interpolate (a bare ``%``, an unknown ``%(name)s``) or an unset ``${ENV:NAME}``;
* a local key that ``[DEFAULT]`` shadows (PasteDeploy drops it silently);
* ``use =`` naming a distribution, entry point, section, file or ``call:`` object that does not exist;
* for every wsgikit component (and any factory whose module declares an ``OPTIONS`` table): unknown keys
  with a "did you mean", values that do not convert, missing required keys;
* references (pipelines, ``filter-app`` / ``filter-with``, ``urlmap`` / ``cascade`` / ``select`` keys) to
  missing sections, a pipeline that ends in a filter, cycles;
* a ``select`` whose ``key`` is not one of its choices.

``wsgikit check paste.ini`` prints one ``file:line [section] key: message`` line per problem and exits 1
(0 when the file is clean)::

    $ wsgikit check broken.ini
    broken.ini:9 [filter:gzip] levle: unknown option for gzip; did you mean 'level'?
    broken.ini:14 [pipeline:main] pipeline: 'gzip' is [filter:gzip], which cannot be used where an app ...

Some problems only show when a factory runs: a log file that cannot be opened, a credentials file that
does not parse, a third-party factory that rejects its arguments. ``wsgikit check --load`` also builds the
application (``main``, or ``CONFIG#name``) when nothing else is wrong, and reports what building it
raised, located the same way (:func:`load_problems`). Building runs the factories, with their side
effects (files opened, modules imported), but serves nothing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from paste.deploy.util import lookup_object

from wsgikit.deploy.errors import referring, resolving
from wsgikit.deploy.loader import (
    APP,
    FILTER,
    SERVER,
    LoadSession,
    WsgikitConfigLoader,
    as_config_error,
    pipeline_problems,
    resolve_egg,
    section_kind,
)
from wsgikit.deploy.options import ConfigError, OptionTable
from wsgikit.deploy.spec import import_factory, parse_config_spec

__all__ = ["Problem", "check_config", "load_problems", "options_table_for"]


@dataclass(frozen=True)
class Problem:
    """One problem found in a configuration.

    ``str(problem)`` reads ``file:line [section] key: message``.
    """

    message: str
    file: str | None = None
    line: int | None = None
    section: str | None = None
    key: str | None = None
    severity: str = "error"

    @classmethod
    def from_error(cls, error: ConfigError, severity: str = "error") -> Problem:
        return cls(error.message, error.file, error.line, error.section, error.key, severity)

    def format(self, relative_to: str | None = None) -> str:
        file = self.file
        if file and relative_to is not None:
            relative = os.path.relpath(file, relative_to)
            file = file if relative.startswith("..") else relative
        error = ConfigError(self.message, file=file, line=self.line, section=self.section, key=self.key)
        return str(error)

    def __str__(self) -> str:
        return self.format()


# -- finding a factory's option table ---------------------------------------------------------------------


def options_table_for(factory: Any) -> OptionTable | None:
    """The :class:`OptionTable` that describes ``factory``'s keys: the one it declares
    (``@declares(TABLE)``, :mod:`wsgikit.deploy.factory`), else — for a third-party module written before
    that — its module's ``OPTIONS`` when that is the module's only table."""
    table = getattr(factory, "options", None)
    if isinstance(table, OptionTable):
        return table
    module = sys.modules.get(getattr(factory, "__module__", "") or "")
    tables = (
        {id(value): value for value in vars(module).values() if isinstance(value, OptionTable)}
        if module
        else {}
    )
    options = getattr(module, "OPTIONS", None)
    return options if isinstance(options, OptionTable) and len(tables) == 1 else None


# -- the checker ----------------------------------------------------------------------------------------


@dataclass
class _Factory:
    factory: Any
    inherited: dict[str, str]
    module: ModuleType | None
    owner: WsgikitConfigLoader | None = None  # the file whose sections its references name


class _Checker:
    def __init__(self, session: LoadSession) -> None:
        self.session = session
        self.problems: list[Problem] = []
        self.edges: dict[tuple[str, str], list[tuple[str, tuple[str, str]]]] = {}
        self.checked: set[str] = set()
        self.queue: list[WsgikitConfigLoader] = []

    # -- reporting ---------------------------------------------------------------------------------------

    def report(self, error: ConfigError) -> None:
        """Keep ``error``, located where it was created (the checker creates its errors in the section or
        at the reference they are about: :func:`~wsgikit.deploy.errors.resolving`, ``referring``)."""
        self.problems.append(Problem.from_error(error))

    # -- files -------------------------------------------------------------------------------------------

    def add_file(self, loader: WsgikitConfigLoader) -> None:
        if loader.filename not in self.checked:
            self.checked.add(loader.filename)
            self.queue.append(loader)

    def run(self, loader: WsgikitConfigLoader) -> None:
        self.add_file(loader)
        while self.queue:
            self.check_file(self.queue.pop(0))
        self.find_cycles()

    def defaults(self, loader: WsgikitConfigLoader) -> dict[str, str]:
        values: dict[str, str] = {}
        for key in loader.parser.defaults():
            try:
                values[key] = loader.parser.get("DEFAULT", key)
            except ConfigError:
                values[key] = loader.parser.get("DEFAULT", key, raw=True)
        return values

    def check_file(self, loader: WsgikitConfigLoader) -> None:
        parser = loader.parser
        for key in parser.defaults():
            if key in ("here", "__file__"):
                continue
            try:
                parser.get("DEFAULT", key)
            except ConfigError as error:
                self.problems.append(Problem.from_error(error))
        for section in parser.sections():
            kind = section_kind(section)
            if kind is not None:
                self.check_section(loader, section, kind)

    def local_conf(self, loader: WsgikitConfigLoader, section: str) -> dict[str, str]:
        """The section's keys as PasteDeploy hands them to the factory; problems reported on the way."""
        parser = loader.parser
        defaults = parser.defaults()
        values: dict[str, str] = {}
        for key in loader.own_keys(section):
            try:
                value = parser.get(section, key)
            except ConfigError as error:
                self.problems.append(Problem.from_error(error))
                continue
            if key.startswith("set "):
                continue
            if key.startswith("get "):
                if value not in defaults:
                    self.report(ConfigError(f"[DEFAULT] has no key {value!r} to get", key=key))
                values[key[4:].strip()] = defaults.get(value, "")
                continue
            if key in defaults:
                warning = ConfigError(
                    f"ignored: [DEFAULT] also sets {key!r} and PasteDeploy lets [DEFAULT] win; "
                    f"write 'set {key} = ...' to override it here, or rename one of them",
                    file=loader.filename,
                    line=loader.index.line_of(section, key),
                    section=section,
                    key=key,
                )
                self.problems.append(Problem.from_error(warning, severity="warning"))
                continue
            values[key] = value
        return values

    # -- sections ------------------------------------------------------------------------------------------

    def check_section(self, loader: WsgikitConfigLoader, section: str, kind: str) -> None:
        with resolving(loader.place(section)):
            self._check_section(loader, section, kind)

    def _check_section(self, loader: WsgikitConfigLoader, section: str, kind: str) -> None:
        local = self.local_conf(loader, section)
        local.pop("require", None)
        filter_with = local.pop("filter-with", None)
        if filter_with is not None and kind in ("app", "filter"):
            self.reference(loader, section, "filter-with", filter_with, FILTER)
        if kind == "pipeline":
            self.check_pipeline(loader, section, local)
            return
        if kind == "filter-app":
            next_name = local.pop("next", None)
            if next_name is None:
                self.report(ConfigError("a filter-app section needs 'next = <app>'", key="next"))
            else:
                self.reference(loader, section, "next", next_name, APP)
            kind = "filter"
        object_type = {"filter": FILTER, "server": SERVER}.get(kind, APP)
        try:
            found = self.factory(loader, section, local, object_type, kind, seen=[])
        except ConfigError as error:
            self.report(error)
            return
        if found is None:
            return
        conf = {**found.inherited, **local}
        conf.pop("use", None)
        for key in [key for key in conf if key.startswith("paste.")]:
            conf.pop(key)
        table = options_table_for(found.factory)
        global_conf = {**self.defaults(loader), "__file__": loader.filename}
        if table is not None:
            for problem in table.check(conf, global_conf):  # created here: located in this section
                self.report(problem)
        if found.module is not None:
            self.component_hooks(loader, section, found.module, conf, found.owner or loader)

    def component_hooks(
        self,
        loader: WsgikitConfigLoader,
        section: str,
        module: ModuleType,
        conf: dict[str, str],
        owner: WsgikitConfigLoader,
    ) -> None:
        """``check_section(conf)`` → extra problems; ``references(conf)`` → ``(key, kind, name)`` triples."""
        extra: Callable[[dict[str, str]], list[ConfigError]] | None = getattr(module, "check_section", None)
        if extra is not None:
            for error in extra(conf):
                self.report(error)
        references: Callable[[dict[str, str]], list[tuple[str, str, str]]] | None = getattr(
            module, "references", None
        )
        if references is not None:
            for key, ref_kind, name in references(conf):
                kind = FILTER if ref_kind == "filter" else APP
                self.reference(loader, section, key, name, kind, lookup=owner)

    def check_pipeline(self, loader: WsgikitConfigLoader, section: str, local: dict[str, str]) -> None:
        problems = pipeline_problems(local)
        for problem in problems:
            self.report(problem)
        items = local.get("pipeline", "").split()
        if not items:
            return
        for item in items[:-1]:
            self.reference(loader, section, "pipeline", item, FILTER)
        self.reference(loader, section, "pipeline", items[-1], APP)

    def factory(
        self,
        loader: WsgikitConfigLoader,
        section: str,
        local: dict[str, str],
        object_type: Any,
        kind: str,
        *,
        seen: list[tuple[str, str]],
    ) -> _Factory | None:
        """What builds ``section``: the factory and the keys ``use`` inherits."""
        where = (loader.filename, section)
        if where in seen:
            path = " -> ".join(f"[{name}]" for _, name in [*seen, where])
            raise ConfigError(f"reference cycle through 'use': {path}", key="use")
        seen = [*seen, where]
        explicit = [key for key in local if key.startswith("paste.") and key.endswith("_factory")]
        explicit += [key for key in local if key == "paste.server_runner"]
        use = local.get("use")
        if use is None and not explicit:
            raise ConfigError(
                "no 'use = ...' and no paste.*_factory key: nothing says what to build", key="use"
            )
        if use is None:
            key = explicit[0]
            try:
                factory = import_factory(local[key])
            except Exception as error:
                raise ConfigError(f"cannot import {local[key].strip()!r}: {error}", key=key) from None
            return _Factory(factory, {}, sys.modules.get(getattr(factory, "__module__", "") or ""))
        use = use.strip()
        scheme, colon, rest = use.partition(":")
        with referring(loader.place(section), "use"):  # what goes wrong finding it is the 'use' key's
            if colon and scheme.lower() == "egg":
                entry_point, _ = resolve_egg(rest, kind)
                try:
                    factory = entry_point.load()
                except Exception as error:
                    raise ConfigError(f"{use}: cannot import {entry_point.value!r}: {error}") from None
                module = sys.modules.get(getattr(factory, "__module__", "") or "")
                return _Factory(factory, {}, module)
            if colon and scheme.lower() == "call":
                try:
                    factory = lookup_object(rest.strip())
                except Exception as error:
                    raise ConfigError(f"cannot import {rest.strip()!r}: {error}") from None
                return _Factory(factory, {}, sys.modules.get(getattr(factory, "__module__", "") or ""))
            if colon and scheme.lower() != "config":
                raise ConfigError(f"unknown scheme {scheme!r} in 'use' (expected egg:, call: or config:)")
            if colon:
                owner, target = self.config_target(loader, rest, object_type)
            else:
                owner, target = loader, loader.find_config_section(object_type, use)
            target_kind = section_kind(target) or kind
            if target_kind in ("pipeline", "filter-app"):
                if colon:
                    return None  # checked as a section of that file
                raise ConfigError(f"'use' cannot reuse [{target}]: only app, filter and server sections")
        with resolving(owner.place(target)):  # what is wrong in the section it uses is that section's
            inherited = self.quiet_local_conf(owner, target)
            found = self.factory(owner, target, inherited, object_type, target_kind, seen=seen)
        if found is not None:
            found.inherited = {**found.inherited, **inherited}
            if colon:
                found.owner = found.owner or owner  # its references name sections of that file
        return found

    def quiet_local_conf(self, loader: WsgikitConfigLoader, section: str) -> dict[str, str]:
        values: dict[str, str] = {}
        for key in loader.own_keys(section):
            if key in loader.parser.defaults() or key.startswith(("set ", "get ")):
                continue
            try:
                values[key] = loader.parser.get(section, key)
            except ConfigError:
                values[key] = loader.parser.get(section, key, raw=True)
        return values

    def config_target(
        self, loader: WsgikitConfigLoader, reference: str, object_type: Any
    ) -> tuple[WsgikitConfigLoader, str]:
        """The file and section a ``config:PATH[#name]`` reference written in ``loader``'s file names
        (``PATH`` relative to that file); the file joins the check."""
        target = parse_config_spec(f"config:{reference}", relative_to=os.path.dirname(loader.filename))
        other = self.session.loader_for(target.path)
        self.add_file(other)
        return other, other.find_config_section(object_type, target.name if target.explicit_name else None)

    # -- references and cycles ---------------------------------------------------------------------------

    def reference(
        self,
        loader: WsgikitConfigLoader,
        section: str,
        key: str,
        name: str,
        object_type: Any,
        *,
        lookup: WsgikitConfigLoader | None = None,
    ) -> None:
        """Check that ``name`` (written at ``key`` of ``section``) resolves, in ``lookup``'s file."""
        lookup = lookup or loader
        name = name.strip()
        scheme, colon, rest = name.partition(":")
        with referring(loader.place(section), key):  # an error here is created located at the key
            try:
                if colon and scheme.lower() == "egg":
                    resolve_egg(rest, "filter" if object_type is FILTER else "app")
                    return
                if colon and scheme.lower() == "call":
                    lookup_object(rest)
                    return
                if colon and scheme.lower() == "config":
                    lookup, target = self.config_target(lookup, rest, object_type)
                else:
                    target = lookup.find_config_section(object_type, name)
            except ConfigError as error:
                self.report(error)
                return
            except Exception as error:
                self.report(ConfigError(f"cannot import {rest!r}: {error}"))
                return
        self.edges.setdefault((loader.filename, section), []).append((key, (lookup.filename, target)))

    def find_cycles(self) -> None:
        done: set[tuple[str, str]] = set()
        reported: set[frozenset[tuple[str, str]]] = set()

        def visit(node: tuple[str, str], path: list[tuple[str, str]]) -> None:
            if node in done:
                return
            for key, target in self.edges.get(node, []):
                if target in path:
                    cycle = [*path[path.index(target) :], node]
                    signature = frozenset(cycle)
                    if signature not in reported:
                        reported.add(signature)
                        names = " -> ".join(f"[{name}]" for _, name in [*cycle, target])
                        with referring(self.session.loaders[node[0]].place(node[1]), key):
                            self.report(ConfigError(f"reference cycle: {names}"))
                elif target != node:
                    visit(target, [*path, node])
                else:
                    with referring(self.session.loaders[node[0]].place(node[1]), key):
                        self.report(ConfigError(f"[{node[1]}] refers to itself"))
            done.add(node)

        for node in list(self.edges):
            visit(node, [])


def check_config(
    path: str, *, name: str | None = None, environ: dict[str, str] | None = None
) -> list[Problem]:
    """Every problem in ``path`` and the files it refers to (see the module docs), sorted by file and
    line. Warnings (``severity == "warning"``) are problems too: the file does not mean what it says.

    :param path: the file, or ``CONFIG#name`` (``config:`` URIs too).
    :param name: also check that the application ``name`` exists (``wsgikit check`` passes ``main`` when
        no ``#name`` is given: what ``serve`` would load), in a file that has PasteDeploy sections at all.
        A ``#name`` in ``path`` sets it too.
    :param environ: the environment ``${ENV:...}`` values are read from (``os.environ`` by default).
    """
    spec = parse_config_spec(path)
    if spec.explicit_name:
        name = spec.name
    session = LoadSession(environ=environ)
    try:
        loader = session.loader_for(spec.path)
    except ConfigError as error:
        return [Problem.from_error(error)]  # created with the file's name
    checker = _Checker(session)
    checker.run(loader)
    # A file without any PasteDeploy section (uWSGI's own ini, say) is not a pipeline: nothing to load.
    if name is not None and any(section_kind(section) for section in loader.parser.sections()):
        try:
            loader.find_config_section(APP, name)
        except ConfigError as error:
            checker.problems.append(Problem.from_error(error))  # created with the file's name
    unique = dict.fromkeys(checker.problems)
    return sorted(unique, key=lambda p: (p.file or "", p.line or 0, p.section or "", p.key or "", p.message))


def load_problems(path: str, name: str = "main") -> list[Problem]:
    """What building application ``name`` from ``path`` raises, as problems (none when it builds).

    Catches every :class:`Exception` a factory may raise: a third-party factory's error becomes a problem
    located at the section being built (where the loader can tell) instead of a traceback.
    """
    from wsgikit.deploy import loadapp

    try:
        loadapp(f"config:{parse_config_spec(path).path}", name=name)
    except Exception as error:
        return [Problem.from_error(as_config_error(error))]
    return []
