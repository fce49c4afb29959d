"""The wsgikit loader
==================

Resolves a ``paste.ini`` file by PasteDeploy's rules and file format — which section a name finds,
``use``, ``set``/``get``, ``[DEFAULT]``, ``filter-with``, ``require``, pipelines and filter-apps — over
its typed tree (:mod:`wsgikit.deploy.ini`), into PasteDeploy's own contexts, whose ``create()`` calls
each factory by its protocol (``paste.app_factory``, ``paste.composite_factory``,
``paste.filter_factory``, ...). It uses PasteDeploy through what it exposes (``LoaderContext`` and the
object types, ``util.lookup_object``, ``loadcontext`` for a bare ``egg:``/``call:`` URI); no hook of its
``ConfigLoader`` is overridden or patched.
It adds what PasteDeploy lacks:

* every error is created where it is found and names the file, line, section and key (and suggests a close
  name for a typo): see :func:`~wsgikit.deploy.errors.resolving`, ``referring`` and ``building``;
* ``${ENV:NAME}`` / ``${ENV:NAME:-default}`` values (see :mod:`wsgikit.deploy.env`);
* a section referenced more than once in one load is built once, and the instance is shared;
* a local key shadowed by ``[DEFAULT]`` is reported (PasteDeploy drops it silently);
* a cycle of references is an error, not a ``RecursionError``;
* a record of what was built, from where (:class:`Node`), for ``wsgikit routes``.
"""

from __future__ import annotations

import configparser
import contextlib
import difflib
import importlib.metadata
import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from paste.deploy import loadwsgi
from paste.deploy.util import lookup_object

from wsgikit.deploy.env import EnvInterpolation
from wsgikit.deploy.errors import Place, building, current_place, referring, resolving
from wsgikit.deploy.ini import IniIndex, Placed, parse_ini, section_kind
from wsgikit.deploy.options import ConfigError, ConfigLookupError
from wsgikit.deploy.paste_compat import PASTE_REPLACEMENTS, replacement
from wsgikit.deploy.spec import import_factory, parse_config_spec

__all__ = [
    "IniIndex",
    "LoadSession",
    "Node",
    "WsgikitConfigLoader",
    "as_config_error",
    "load",
    "load_app",
    "load_filter",
    "resolve_egg",
    "section_kind",
]

log = logging.getLogger("wsgikit.deploy")

APP = loadwsgi.APP
FILTER = loadwsgi.FILTER
SERVER = loadwsgi.SERVER

_PROTOCOLS = {
    "app": ("paste.app_factory", "paste.composite_factory", "paste.composit_factory"),
    "composite": ("paste.composite_factory", "paste.composit_factory"),
    "filter": ("paste.filter_factory", "paste.filter_app_factory"),
    "filter-app": ("paste.filter_factory", "paste.filter_app_factory"),
    "server": ("paste.server_factory", "paste.server_runner"),
}
_OBJECT_KINDS = {"application": "app", "filter": "filter", "server": "server"}


# -- the record of a load ------------------------------------------------------------------------------


@dataclass
class Node(Placed):
    """One piece of a loaded pipeline (see :class:`~wsgikit.deploy.ini.Placed`) and what it built.

    :ivar detail: extra information the component added (the ``select`` choice made).
    :ivar shared: this reference reuses an instance built earlier in the same load.
    """

    detail: str | None = None
    shared: bool = False
    obj: Any = field(default=None, repr=False)
    children: list[Node] = field(default_factory=list)

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()


class LoadSession:
    """State of one load: loaders per file, shared instances, the tree being recorded, warnings."""

    def __init__(self, environ: dict[str, str] | None = None, *, log_warnings: bool = True) -> None:
        self.environ = environ
        self.log_warnings = log_warnings  # `wsgikit check` reports them as problems instead
        self.loaders: dict[str, WsgikitConfigLoader] = {}
        self.contexts: dict[tuple[Any, ...], Any] = {}
        self.objects: dict[tuple[Any, ...], Any] = {}
        self.resolving: list[tuple[str, str]] = []
        self.creating: list[tuple[str, str]] = []
        self.root = Node(kind="root", name="")
        self.stack: list[Node] = [self.root]
        self.next_label: str | None = None
        self.warnings: list[ConfigError] = []
        self._warned: set[tuple[str, str, str]] = set()

    def loader_for(self, path: str) -> WsgikitConfigLoader:
        path = os.path.abspath(path)
        loader = self.loaders.get(path)
        if loader is None:
            loader = self.loaders[path] = WsgikitConfigLoader(path, self)
        return loader

    def warn(self, warning: ConfigError) -> None:
        where = (str(warning.file), str(warning.section), str(warning.key))
        if where in self._warned:
            return
        self._warned.add(where)
        self.warnings.append(warning)
        if self.log_warnings:
            log.warning("%s", warning)

    @property
    def tree(self) -> Node | None:
        """The top node built by the load."""
        return self.root.children[0] if self.root.children else None


# -- turning PasteDeploy's errors into located ConfigErrors ----------------------------------------------


def as_config_error(
    error: BaseException, context: Any = None, *, key: str | None = None, file: str | None = None
) -> ConfigError:
    """A :class:`ConfigError` saying what ``error`` (raised while loading) means, created where the loader
    is (so located there). For a factory's ``ValueError`` or ``TypeError``, the option of ``context`` it is
    about is the error's key (see :func:`_mentioned_key`); ``key`` says it outright."""
    if isinstance(error, ConfigError):
        return error
    if isinstance(error, importlib.metadata.PackageNotFoundError):
        return _unknown_distribution(str(error.args[0]) if error.args else str(error))
    if isinstance(error, configparser.Error):
        message = str(getattr(error, "message", str(error))).replace("\n", " ")
        return ConfigError(
            message, file=getattr(error, "source", None) or file, line=getattr(error, "lineno", None)
        )
    message = str(error) or type(error).__name__
    if isinstance(error, ImportError | AttributeError):
        message = f"cannot import: {message}"
    elif isinstance(error, TypeError):
        message = f"factory rejected the configuration: {message}"
    elif isinstance(error, RecursionError):
        message = "references nest too deeply (a cycle?)"
    if key is None and context is not None:
        key = _mentioned_key(message, context)
    if key is not None and message.startswith(f"{key}: "):
        message = message[len(key) + 2 :]
    cls = ConfigLookupError if isinstance(error, LookupError) else ConfigError
    return cls(message, key=key, file=file)


def _unknown_distribution(name: str) -> ConfigLookupError:
    installed = sorted(
        {dist.metadata["Name"] for dist in importlib.metadata.distributions() if dist.metadata}
    )
    close = difflib.get_close_matches(name, installed, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return ConfigLookupError(f"no installed distribution named {name!r}{hint}")


def resolve_egg(spec: str, kind: str) -> tuple[importlib.metadata.EntryPoint, str]:
    """Find the entry point of ``egg:Dist#name`` (``spec`` without ``egg:``) for a section of ``kind``.

    :returns: ``(entry_point, protocol)``.
    :raises ConfigLookupError: naming the missing distribution or entry point, with a suggestion.
    """
    dist_name, _, ep_name = spec.partition("#")
    ep_name = ep_name.strip() or "main"
    try:
        dist = importlib.metadata.distribution(dist_name.strip())
    except importlib.metadata.PackageNotFoundError:
        instead = replacement(dist_name, ep_name)
        if instead is not None:
            raise ConfigLookupError(
                f"no installed distribution named {dist_name.strip()!r} (Paste is not needed): "
                f"use = {instead} replaces egg:{dist_name.strip()}#{ep_name}"
            ) from None
        if dist_name.strip().lower() == "paste":
            raise ConfigLookupError(
                f"no installed distribution named {dist_name.strip()!r}, and wsgikit has no replacement for "
                f"{ep_name!r} (it replaces Paste's {', '.join(sorted(PASTE_REPLACEMENTS))})"
            ) from None
        raise _unknown_distribution(dist_name.strip()) from None
    protocols = _PROTOCOLS.get(kind, _PROTOCOLS["app"])
    entry_points = list(dist.entry_points)
    for protocol in protocols:
        for entry in entry_points:
            if entry.group == protocol and entry.name == ep_name:
                return entry, protocol
    valid = sorted({entry.name for entry in entry_points if entry.group in protocols})
    elsewhere = sorted({entry.group for entry in entry_points if entry.name == ep_name})
    what = {"app": "application", "composite": "application", "filter-app": "filter"}.get(kind, kind)
    if elsewhere:
        message = f"{dist_name}#{ep_name} is a {', '.join(elsewhere)}, not a {what} ({'/'.join(protocols)})"
    else:
        message = f"{dist_name} has no {what} entry point named {ep_name!r}"
    close = difflib.get_close_matches(ep_name, valid, n=1, cutoff=0.6)
    if close:
        message += f"; did you mean {close[0]!r}?"
    elif valid:
        message += f"; it has: {', '.join(valid)}"
    return_error = ConfigLookupError(message)
    raise return_error


def _missing_section(loader: WsgikitConfigLoader, object_type: Any, name: str | None) -> ConfigLookupError:
    wanted = name or "main"
    what = _OBJECT_KINDS.get(object_type.name, "app")
    others = [section for section in loader.parser.sections() if section.partition(":")[2].strip() == wanted]
    if others:
        message = f"{wanted!r} is [{others[0]}], which cannot be used where {_a(what)} is expected"
        if what == "app" and section_kind(others[0]) == "filter":
            message += " (the last item of a pipeline must be an application, not a filter)"
    else:
        names = sorted(
            section.partition(":")[2].strip()
            for section in loader.parser.sections()
            if (section_kind(section) == "filter") == (what == "filter") and section_kind(section)
        )
        message = f"no section for {what} {wanted!r} in {os.path.basename(loader.filename)}"
        close = difflib.get_close_matches(wanted, names, n=1, cutoff=0.6)
        if close:
            message += f"; did you mean {close[0]!r}?"
        elif names and name is None:
            message += f" (name one with CONFIG#name: {', '.join(names)})"
    return ConfigLookupError(message, file=loader.filename)


def missing_next() -> ConfigLookupError:
    """A ``[filter-app:...]`` without its ``next`` key."""
    return ConfigLookupError("a filter-app section needs 'next = ...' (the application it wraps)")


def _a(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def pipeline_problems(local_conf: Any) -> list[ConfigError]:
    """What is wrong with a ``[pipeline:...]`` section's keys, each error naming its key (the loader
    raises the first; ``wsgikit check`` reports them all). Those PasteDeploy raises as ``LookupError`` are
    :class:`ConfigLookupError` too."""
    if "pipeline" not in local_conf:
        return [ConfigLookupError("a pipeline section needs 'pipeline = ...'", key="pipeline")]
    message = "a pipeline section takes only 'pipeline' (options go in the filter's section)"
    problems: list[ConfigError] = [
        ConfigLookupError(message, key=key) for key in local_conf if key != "pipeline"
    ]
    if not str(local_conf["pipeline"]).split():
        problems.insert(0, ConfigError("the pipeline is empty", key="pipeline"))
    return problems


# -- the loader (see the module docstring) -------------------------------------------------------------


class _Parser(configparser.ConfigParser):
    """A file's values, with wsgikit's interpolation (``${ENV:...}``, located errors); case is kept."""

    def __init__(
        self, filename: str, index: IniIndex, defaults: dict[str, str], environ: dict[str, str] | None = None
    ) -> None:
        super().__init__(defaults=defaults, interpolation=EnvInterpolation(filename, index.line_of, environ))
        self.filename = filename
        self.optionxform = str  # type: ignore[assignment,method-assign]

    def defaults(self) -> dict[str, str]:
        """The ``[DEFAULT]`` values, interpolated (``%(here)s`` in a default is expanded), as PasteDeploy
        gives them to factories in ``global_conf``."""
        values = dict(super().defaults())
        return {key: self.get(self.default_section, key) or value for key, value in values.items()}


@dataclass(frozen=True)
class _Layer:
    """One section a context is built for: a section with ``use = other`` has two layers, its own and the
    other's (outermost first)."""

    place: Place
    node: Node
    memo_key: tuple[Any, ...] | None


class _Context(loadwsgi.LoaderContext):  # type: ignore[misc]
    """PasteDeploy's context, built through its own ``create()`` — recorded (:class:`Node`), shared within
    one load, and with the section being built known to every error raised while it is built."""

    layers: tuple[_Layer, ...] = ()
    session: LoadSession | None = None

    def create(self) -> Any:
        return self._create(0)

    def _create(self, depth: int) -> Any:
        if depth == len(self.layers) or self.session is None:
            return super().create()
        layer, session = self.layers[depth], self.session
        node = _copy_node(layer.node)
        node.label, session.next_label = session.next_label, None
        session.stack[-1].children.append(node)
        if layer.memo_key is not None and layer.memo_key in session.objects:
            node.shared = True
            node.obj = session.objects[layer.memo_key]
            return node.obj
        where = (layer.place.file, layer.place.section)
        if where in session.creating:  # a composite refers back: the error is its reference's
            raise cycle_error(where, session.creating)
        session.creating.append(where)
        session.stack.append(node)
        try:
            with building(layer.place):
                try:
                    obj = self._create(depth + 1)
                except ConfigError:
                    raise
                except Exception as error:  # created here, so located in this section
                    raise as_config_error(error, self) from error
        finally:
            session.stack.pop()
            session.creating.pop()
        if self.object_type in (loadwsgi.PIPELINE, loadwsgi.FILTER_APP) and node.children:
            node.children.append(node.children.pop(0))  # PasteDeploy builds the app first; show it last
        if depth == 0 and self._makes_filter() and callable(obj):
            obj = _LocatedFilter(obj, self)
        node.obj = obj
        if layer.memo_key is not None:
            session.objects[layer.memo_key] = obj
        return obj

    def _makes_filter(self) -> bool:
        return self.object_type is FILTER or (
            self.object_type is loadwsgi.FILTER_WITH and self.next_context.object_type is FILTER
        )


class WsgikitConfigLoader:
    """One configuration file: finds its sections and resolves them into contexts that build them.

    Also what a composite factory gets as ``loader`` (``loader.get_app(name, global_conf=...)``).
    """

    def __init__(self, filename: str, session: LoadSession | None = None) -> None:
        self.filename = filename = os.path.abspath(filename.strip())
        self.session = session or LoadSession()
        try:
            with open(filename, encoding="utf-8") as stream:
                text = stream.read()
        except OSError as error:
            raise ConfigError(f"cannot read the configuration: {error.strerror}", file=filename) from None
        defaults = {"here": os.path.dirname(filename), "__file__": filename}
        try:
            self.ini = parse_ini(text, filename)
            self.index = self.ini.index
            self.parser = _Parser(filename, self.index, defaults, self.session.environ)
            self.parser.read_string(text, source=filename)
        except configparser.MissingSectionHeaderError as error:
            raise ConfigError(
                "not an INI file: this line comes before any [section] header",
                file=filename,
                line=error.lineno,
            ) from None
        except configparser.Error as error:
            raise as_config_error(error, file=filename) from None

    # -- what composites call --------------------------------------------------------------------------

    def get_app(self, name: str | None = None, global_conf: Any = None) -> Any:
        return self.get_context(APP, name, global_conf).create()

    def get_filter(self, name: str | None = None, global_conf: Any = None) -> Any:
        return self.get_context(FILTER, name, global_conf).create()

    def get_server(self, name: str | None = None, global_conf: Any = None) -> Any:
        return self.get_context(SERVER, name, global_conf).create()

    def app_context(self, name: str | None = None, global_conf: Any = None) -> Any:
        return self.get_context(APP, name, global_conf)

    def filter_context(self, name: str | None = None, global_conf: Any = None) -> Any:
        return self.get_context(FILTER, name, global_conf)

    def server_context(self, name: str | None = None, global_conf: Any = None) -> Any:
        return self.get_context(SERVER, name, global_conf)

    def update_defaults(self, new_defaults: dict[str, Any], overwrite: bool = True) -> None:
        """Add ``new_defaults`` to ``[DEFAULT]`` (the ``global_conf`` a caller passes)."""
        for key, value in new_defaults.items():
            if overwrite or not self.parser.has_option(self.parser.default_section, key):
                try:  # interpolated like the file's own defaults ...
                    self.parser.set(self.parser.default_section, key, str(value))
                except ValueError:  # ... unless it is not valid %-syntax: then taken as written
                    self.parser.set(self.parser.default_section, key, str(value).replace("%", "%%"))

    # -- resolution ------------------------------------------------------------------------------------

    def get_context(self, object_type: Any, name: str | None = None, global_conf: Any = None) -> Any:
        """The context of section ``name`` (or of a ``config:``/``egg:``/``call:`` URI), shared within the
        load."""
        return self._context(object_type, name, global_conf, shared=True)

    def resolve_section(self, object_type: Any, section: str) -> _Context:
        """``section`` resolved as loading resolves it, without building anything: for a section with a
        factory, the context of its ``use`` chain (other sections, ``config:`` files, ``egg:``, ``call:``)
        or its ``paste.*_factory`` key, with the keys of every layer laid over it — ``context.object`` is
        the factory, ``local_conf`` and ``global_conf`` what it would be called with, ``loader`` the file
        whose sections its references name. For a ``[pipeline:...]``, a context whose ``local_conf``
        holds the section's keys.

        The section's own references (a pipeline's items, a filter-app's ``next``, ``filter-with``) are
        not followed: ``wsgikit check`` checks each of them on its own, so that one missing section does
        not hide the others.

        :raises ConfigError: located: the first problem met, the one loading would raise.
        """
        context = self._resolve(object_type, section, None, shared=False, follow=False)
        assert isinstance(context, _Context)
        return context

    def _context(self, object_type: Any, name: str | None, global_conf: Any, *, shared: bool) -> Any:
        if name is not None and _ABSOLUTE.match(name):
            return self._absolute_context(object_type, name, global_conf)
        section = self.find_config_section(object_type, name=name)
        return self._resolve(object_type, section, global_conf, shared=shared, follow=True)

    def _resolve(
        self, object_type: Any, section: str, global_conf: Any, *, shared: bool, follow: bool
    ) -> Any:
        where = (self.filename, section)
        if where in self.session.resolving:
            raise cycle_error(where, self.session.resolving)
        memo_key = (self.filename, section, _frozen(global_conf)) if shared else None
        if memo_key is not None and memo_key in self.session.contexts:
            return self.session.contexts[memo_key]
        place = self.place(section)
        self.session.resolving.append(where)
        try:
            with resolving(place):
                defaults = self.parser.defaults()
                self._warn_shadowed(section, defaults)
                context = self._section_context(object_type, section, place, defaults, global_conf, follow)
        finally:
            self.session.resolving.pop()
        node = Node(
            kind=section_kind(section) or context.object_type.name,
            name=section,
            file=self.filename,
            line=place.line,
            spec=self._spec(section),
        )
        context.layers = (_Layer(place, node, memo_key), *context.layers)
        context.session = self.session
        if memo_key is not None:
            self.session.contexts[memo_key] = context
        return context

    def place(self, section: str) -> Place:
        """Where ``section`` is: file, header line, its keys' lines."""
        return Place(self.filename, section, self.index.line_of(section), self.index.keys.get(section, {}))

    def find_config_section(self, object_type: Any, name: str | None = None) -> str:
        """The section ``name`` (``main`` when ``None``) finds where ``object_type`` is wanted, by
        PasteDeploy's rules: ``[app:x]``/``[application:x]``, then ``[composite:x]``, ``[pipeline:x]``,
        ``[filter-app:x]`` for an application; a bare ``[app]`` is ``main``.

        :raises ConfigLookupError: none, or several.
        """
        sections = self.parser.sections()
        wanted = "main" if name is None else name
        found: list[str] = []
        for prefixes in object_type.config_prefixes:
            for prefix in prefixes:
                matches = [prefix] if name is None and prefix in sections else []
                matches += [
                    s
                    for s in sections
                    if s.startswith(f"{prefix}:") and s[len(prefix) + 1 :].strip() == wanted
                ]
                if matches:
                    found.extend(matches)
                    break
        if not found:
            raise _missing_section(self, object_type, name)
        if len(found) > 1:
            names = " and ".join(f"[{section}]" for section in found)
            raise ConfigLookupError(f"ambiguous: {names} are both {wanted!r}", file=self.filename)
        return found[0]

    def _section_context(
        self,
        object_type: Any,
        section: str,
        place: Place,
        defaults: dict[str, str],
        global_conf: Any,
        follow: bool,
    ) -> _Context:
        conf = {**defaults, **(global_conf or {})}
        local_conf: dict[str, Any] = {}
        global_additions: dict[str, Any] = {}
        get_from_globals: dict[str, str] = {}
        for option in self.parser.options(section):
            if option.startswith("set "):
                name = option[4:].strip()
                global_additions[name] = conf[name] = self.parser.get(section, option)
            elif option.startswith("get "):
                get_from_globals[option[4:].strip()] = self.parser.get(section, option)
            elif option not in defaults:  # a key [DEFAULT] also sets: PasteDeploy lets [DEFAULT] win
                local_conf[option] = self.parser.get(section, option)
        for local_name, global_name in get_from_globals.items():
            if global_name not in conf:
                raise ConfigError(
                    f"no global (a [DEFAULT] or 'set') value named {global_name!r}", key=f"get {local_name}"
                )
            local_conf[local_name] = conf[global_name]
        filter_with = local_conf.pop("filter-with", None) if object_type in (APP, FILTER) else None
        for requirement in str(local_conf.pop("require", "")).split():
            try:
                importlib.metadata.distribution(requirement)
            except importlib.metadata.PackageNotFoundError:
                raise ConfigLookupError(
                    f"requires {requirement!r}, which is not installed", key="require"
                ) from None
        kind = section_kind(section)
        if kind == "pipeline" and not follow:
            return _Context(None, loadwsgi.PIPELINE, None, conf, local_conf, self)
        if kind == "filter-app" and not follow:
            local_conf.pop("next", None)
            return self._factory_context(FILTER, section, place, conf, local_conf, global_additions)
        if kind == "filter-app":
            context = self._filter_app_context(section, place, conf, local_conf, global_additions)
        elif kind == "pipeline":
            context = self._pipeline_context(place, conf, local_conf)
        else:
            context = self._factory_context(object_type, section, place, conf, local_conf, global_additions)
        if filter_with is None or not follow:
            return context
        wrapped = _Context(None, loadwsgi.FILTER_WITH, None, conf, local_conf, self)
        with referring(place, "filter-with"):
            wrapped.filter_context = self._context(FILTER, filter_with, conf, shared=True)
        wrapped.next_context = context
        return wrapped

    def _factory_context(
        self,
        object_type: Any,
        section: str,
        place: Place,
        global_conf: dict[str, Any],
        local_conf: dict[str, Any],
        global_additions: dict[str, Any],
    ) -> _Context:
        """The context of what the section's ``use`` names, its own keys laid over it; or, without
        ``use``, of its ``paste.*_factory`` key."""
        if "use" not in local_conf:
            return self._context_from_explicit(object_type, global_conf, local_conf)
        use = local_conf.pop("use")
        with referring(place, "use"):
            # `use = othersection` overlays keys on a copy: it must never share the instance.
            context = self._context(object_type, use, global_conf, shared=False)
        context.global_conf.update(global_additions)
        context.local_conf.update(local_conf)
        if "__file__" in global_conf:
            context.global_conf["__file__"] = global_conf["__file__"]
        if context.protocol is None:
            prefix = section.split(":", 1)[0]
            context.protocol = {
                "application": "paste.app_factory",
                "app": "paste.app_factory",
                "composit": "paste.composit_factory",
                "composite": "paste.composit_factory",
            }.get(prefix, f"paste.{prefix}_factory")
        assert isinstance(context, _Context)
        return context

    def _context_from_explicit(
        self, object_type: Any, global_conf: dict[str, Any], local_conf: dict[str, Any]
    ) -> _Context:
        given = [
            next(protocol for protocol in protocols if protocol in local_conf)
            for protocols in object_type.egg_protocols
            if any(protocol in local_conf for protocol in protocols)
        ]
        if not given:
            raise ConfigLookupError("no 'use = ...' and no paste.*_factory key: nothing says what to build")
        if len(given) > 1:
            raise ConfigLookupError(f"several factories given ({', '.join(given)}): keep one", key=given[1])
        protocol = given[0]
        expression = local_conf.pop(protocol)
        factory = _load(lambda: import_factory(expression), expression, key=protocol)
        return _Context(factory, object_type, protocol, global_conf, local_conf, self)

    def _pipeline_context(
        self, place: Place, global_conf: dict[str, Any], local_conf: dict[str, Any]
    ) -> _Context:
        problems = pipeline_problems(local_conf)
        if problems:
            raise problems[0]
        names = str(local_conf.pop("pipeline")).split()
        context = _Context(None, loadwsgi.PIPELINE, None, global_conf, local_conf, self)
        with referring(place, "pipeline"):
            context.app_context = self._context(APP, names[-1], global_conf, shared=True)
            context.filter_contexts = [
                self._context(FILTER, name, global_conf, shared=True) for name in names[:-1]
            ]
        return context

    def _filter_app_context(
        self,
        section: str,
        place: Place,
        global_conf: dict[str, Any],
        local_conf: dict[str, Any],
        global_additions: dict[str, Any],
    ) -> _Context:
        if "next" not in local_conf:
            raise missing_next()
        next_name = local_conf.pop("next")
        context = _Context(None, loadwsgi.FILTER_APP, None, global_conf, local_conf, self)
        with referring(place, "next"):
            context.next_context = self._context(APP, next_name, global_conf, shared=True)
        context.filter_context = self._factory_context(
            FILTER, section, place, global_conf, local_conf, global_additions
        )
        return context

    def _absolute_context(self, object_type: Any, uri: str, global_conf: Any) -> Any:
        scheme, _, rest = uri.partition(":")
        scheme = scheme.lower()
        if scheme == "config":
            target = parse_config_spec(uri, relative_to=os.path.dirname(self.filename))
            name = target.name if target.explicit_name else None
            return self.session.loader_for(target.path).get_context(object_type, name, global_conf)
        if scheme == "egg":
            entry_point, protocol = resolve_egg(rest, _OBJECT_KINDS.get(object_type.name, "app"))
            factory = _load(entry_point.load, entry_point.value)
            dist, _, name = rest.partition("#")
            return _Context(
                factory,
                object_type,
                protocol,
                dict(global_conf or {}),
                {},
                self,
                dist.strip(),
                name.strip() or "main",
            )
        if scheme == "call":
            factory = _load(lambda: lookup_object(rest.strip()), rest)
            return _Context(factory, object_type, None, dict(global_conf or {}), {}, self)
        raise ConfigLookupError(f"unknown scheme {scheme!r} in {uri!r} (expected config:, egg: or call:)")

    # -- what check and show read ----------------------------------------------------------------------

    def _spec(self, section: str) -> str | None:
        found = self.ini.sections.get(section)
        return found.spec if found is not None else None

    def own_keys(self, section: str) -> list[str]:
        """The keys written in ``section`` itself (not inherited from ``[DEFAULT]``), in file order."""
        found = self.ini.sections.get(section)
        return list(found.keys) if found is not None else []

    def _warn_shadowed(self, section: str, defaults: dict[str, str]) -> None:
        for key, line in self.index.keys.get(section, {}).items():
            if key in defaults and not key.startswith(("set ", "get ")):
                self.session.warn(
                    ConfigError(
                        f"ignored: [DEFAULT] also sets {key!r} and PasteDeploy lets [DEFAULT] win; "
                        f"write 'set {key} = ...' to override it here, or rename one of them",
                        file=self.filename,
                        line=line,
                        section=section,
                        key=key,
                    )
                )


_ABSOLUTE = re.compile(r"^[a-zA-Z]+:")


def _load(importer: Callable[[], Any], what: str, *, key: str | None = None) -> Any:
    """Import the factory ``what`` names; what cannot be imported is a :class:`ConfigError` created at the
    reference (or at ``key`` of the section being resolved), naming ``what``."""
    try:
        return importer()
    except Exception as error:
        raise ConfigError(f"cannot import {what.strip()!r}: {error}", key=key) from error


def cycle_error(where: tuple[str, str], stack: list[tuple[str, str]]) -> ConfigError:
    """``(file, section)`` reached again while following ``stack``: ``reference cycle: [a] -> [b] -> [a]``."""
    start = stack.index(where)
    path = " -> ".join(f"[{name}]" for _, name in [*stack[start:], where])
    return ConfigError(f"reference cycle: {path}")


class _LocatedFilter:
    """A filter (``app -> app``) whose errors when applied are created in the filter's section."""

    def __init__(self, filter: Callable[[Any], Any], context: _Context) -> None:
        self.filter = filter
        self.context = context
        self.places = [layer.place for layer in context.layers]
        self.section = self.places[0].section

    def __call__(self, app: Any) -> Any:
        with contextlib.ExitStack() as stack:
            for place in self.places:
                stack.enter_context(building(place))
            try:
                return self.filter(app)
            except (ValueError, TypeError) as error:
                if isinstance(error, ConfigError):
                    raise
                raise as_config_error(error, self.context) from error

    def __repr__(self) -> str:
        return f"<filter [{self.section}] {self.filter!r}>"


_UNEXPECTED_KEYWORD = re.compile(r"got an unexpected keyword argument '([^']+)'")


def _mentioned_key(message: str, context: Any) -> str | None:
    """The option of ``context`` that an error about it names, by the two conventions there are: a
    ``ValueError`` that starts with ``"option: "`` (every wsgikit middleware's), and Python's own
    ``TypeError`` for a keyword a factory does not take. Nothing is guessed from other wording."""
    keys = {str(key) for key in getattr(context, "local_conf", {})}
    head = message.partition(":")[0]
    if head in keys:
        return head
    unexpected = _UNEXPECTED_KEYWORD.search(message)
    if unexpected is not None and unexpected.group(1) in keys:
        return unexpected.group(1)
    return None


def _copy_node(node: Node) -> Node:
    return Node(kind=node.kind, name=node.name, file=node.file, line=node.line, spec=node.spec)


def _frozen(global_conf: Any) -> tuple[tuple[str, str], ...]:
    if not global_conf:
        return ()
    return tuple(sorted((str(key), str(value)) for key, value in global_conf.items()))


def _cause(error: BaseException) -> BaseException | None:
    return None if isinstance(error, ConfigError) else error


# -- the public entry points ------------------------------------------------------------------------------


def load(
    uri: str,
    name: str | None = None,
    *,
    kind: str = "app",
    relative_to: str | None = ".",
    global_conf: dict[str, Any] | None = None,
    session: LoadSession | None = None,
) -> tuple[Any, LoadSession]:
    """Load ``uri`` (``config:paste.ini#name``, ``egg:Dist#name``, ``call:mod:fn``) as ``kind``
    (``app``, ``filter`` or ``server``).

    :returns: the object and the :class:`LoadSession` that recorded how it was built.
    :raises ConfigError: located as precisely as possible.
    """
    object_type = {"app": APP, "filter": FILTER, "server": SERVER}[kind]
    session = session or LoadSession()
    if "#" in uri:
        uri, fragment = uri.split("#", 1)
        name = name or fragment
    scheme, colon, path = uri.partition(":")
    if not colon:
        raise ConfigLookupError(f"URI has no scheme: {uri!r} (use config:FILE, egg:DIST#NAME or call:MOD:FN)")
    if scheme.lower() == "config":
        loader = session.loader_for(parse_config_spec(f"config:{path}", relative_to=relative_to).path)
        if global_conf:
            loader.update_defaults(global_conf, overwrite=False)
        context = loader.get_context(object_type, name, global_conf)
    else:
        if scheme.lower() == "egg":
            resolve_egg(f"{path}#{name}" if name else path, kind)
        try:
            context = loadwsgi.loadcontext(
                object_type, f"{uri}#{name}" if name else uri, global_conf=global_conf
            )
        except Exception as error:
            raise as_config_error(error) from _cause(error)
    try:
        obj = context.create()
    except ConfigError:
        raise
    except Exception as error:
        raise as_config_error(error) from error
    return obj, session


def _reference(key: str) -> contextlib.AbstractContextManager[None]:
    """The context in which a composite's reference at ``key`` is followed: errors about the reference are
    created located at that key of the section being built (when one is)."""
    place = current_place()
    return referring(place, key) if place is not None else resolving()


def load_app(loader: Any, name: str, global_conf: Any, *, key: str, label: bool = True) -> Any:
    """For composite factories: ``loader.get_app(name)``, with errors about the reference itself created
    located at ``key`` of the composite's section, and ``key`` shown as the label in ``wsgikit show``
    (unless ``label`` is false)."""
    session = getattr(loader, "session", None)
    if isinstance(session, LoadSession) and label:
        session.next_label = key
    try:
        with _reference(key):
            return loader.get_app(name, global_conf=global_conf)
    finally:
        if isinstance(session, LoadSession):
            session.next_label = None


def load_filter(loader: Any, name: str, global_conf: Any, *, key: str) -> Any:
    """Like :func:`load_app`, for a filter."""
    with _reference(key):
        return loader.get_filter(name, global_conf=global_conf)


def annotate(loader: Any, detail: str) -> None:
    """For composite factories: add ``detail`` to the node being built (shown by ``wsgikit show``)."""
    session = getattr(loader, "session", None)
    if isinstance(session, LoadSession) and len(session.stack) > 1:
        session.stack[-1].detail = detail
