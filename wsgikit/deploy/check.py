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
    cycle_error,
    missing_next,
    pipeline_problems,
    resolve_egg,
    section_kind,
)
from wsgikit.deploy.options import ConfigError, OptionTable
from wsgikit.deploy.spec import parse_config_spec

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

_OBJECT_TYPES = {"filter": FILTER, "filter-app": FILTER, "server": SERVER}


class _Checker:
    """Checks every section of a file (and of the files it refers to) on its own.

    What a section's factory is, which keys it gets and every problem met finding them come from the
    loader's own resolution (:meth:`~wsgikit.deploy.loader.WsgikitConfigLoader.resolve_section`), so
    ``check`` and loading cannot disagree. The checker adds what a load stops at or never sees: every
    problem of a section instead of the first, each of a section's references on its own, and cycles
    through composites (a load follows those only when the composite is built).
    """

    def __init__(self, session: LoadSession) -> None:
        self.session = session
        self.problems: list[Problem] = []
        self.edges: dict[tuple[str, str], list[tuple[str, tuple[str, str]]]] = {}
        self.checked: set[str] = set()

    def report(self, error: ConfigError) -> None:
        """Keep ``error``, located where it was created (the checker creates its errors in the section or
        at the reference they are about: :func:`~wsgikit.deploy.errors.resolving`, ``referring``)."""
        self.problems.append(Problem.from_error(error))

    # -- files -------------------------------------------------------------------------------------------

    def run(self) -> None:
        """Check every file the session has read, including those read while checking (``config:``)."""
        while unchecked := [path for path in self.session.loaders if path not in self.checked]:
            self.checked.add(unchecked[0])
            self.check_file(self.session.loaders[unchecked[0]])
        self.find_cycles()
        for warning in self.session.warnings:
            self.problems.append(Problem.from_error(warning, severity="warning"))

    def check_file(self, loader: WsgikitConfigLoader) -> None:
        for key in loader.parser.defaults():
            if key in ("here", "__file__"):
                continue
            try:
                loader.parser.get("DEFAULT", key)
            except ConfigError as error:
                self.report(error)
        for section in loader.parser.sections():
            kind = section_kind(section)
            if kind is not None:
                with resolving(loader.place(section)):
                    self.check_section(loader, section, kind)

    # -- sections ------------------------------------------------------------------------------------------

    def check_section(self, loader: WsgikitConfigLoader, section: str, kind: str) -> None:
        own = self.own_values(loader, section)
        if kind in ("app", "filter") and "filter-with" in own:
            self.reference(loader, section, "filter-with", own["filter-with"], FILTER)
        if kind == "filter-app":
            if "next" in own:
                self.reference(loader, section, "next", own["next"], APP)
            else:
                self.report(missing_next())
        try:
            context = loader.resolve_section(_OBJECT_TYPES.get(kind, APP), section)
        except ConfigError as error:
            self.report(error)
            return
        if kind == "pipeline":
            self.check_pipeline(loader, section, context.local_conf)
            return
        if context.object is None:
            return  # `use = config:...` of a pipeline: checked as a section of that file
        conf = {key: value for key, value in context.local_conf.items() if not key.startswith("paste.")}
        table = options_table_for(context.object)
        if table is not None:
            for problem in table.check(conf, context.global_conf):  # created here: located in this section
                self.report(problem)
        module = sys.modules.get(getattr(context.object, "__module__", "") or "")
        if module is not None:
            self.component_hooks(loader, section, module, conf, context.loader)

    def own_values(self, loader: WsgikitConfigLoader, section: str) -> dict[str, str]:
        """The keys written in ``section``, interpolated; each one that does not interpolate is reported
        (a load stops at the first)."""
        values: dict[str, str] = {}
        for key in loader.own_keys(section):
            try:
                values[key] = loader.parser.get(section, key)
            except ConfigError as error:
                self.report(error)
        return values

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

    def check_pipeline(self, loader: WsgikitConfigLoader, section: str, local: dict[str, Any]) -> None:
        for problem in pipeline_problems(local):
            self.report(problem)
        items = str(local.get("pipeline", "")).split()
        if not items:
            return
        for item in items[:-1]:
            self.reference(loader, section, "pipeline", item, FILTER)
        self.reference(loader, section, "pipeline", items[-1], APP)

    def config_target(
        self, loader: WsgikitConfigLoader, reference: str, object_type: Any
    ) -> tuple[WsgikitConfigLoader, str]:
        """The file and section a ``config:PATH[#name]`` reference written in ``loader``'s file names
        (``PATH`` relative to that file); the file joins the check."""
        target = parse_config_spec(f"config:{reference}", relative_to=os.path.dirname(loader.filename))
        other = self.session.loader_for(target.path)
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
                if target in (*path, node):
                    stack = [*path, node]
                    signature = frozenset(stack[stack.index(target) :])
                    if signature not in reported:
                        reported.add(signature)
                        with referring(self.session.loaders[node[0]].place(node[1]), key):
                            self.report(cycle_error(target, stack))  # worded as loading words it
                else:
                    visit(target, [*path, node])
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
    session = LoadSession(environ=environ, log_warnings=False)
    try:
        loader = session.loader_for(spec.path)
    except ConfigError as error:
        return [Problem.from_error(error)]  # created with the file's name
    checker = _Checker(session)
    checker.run()
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
