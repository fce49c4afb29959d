"""The wsgikit loader
==================

A thin layer over PasteDeploy's own ``ConfigLoader`` that keeps PasteDeploy's semantics and file format,
and adds what it lacks:

* every error names the file, line, section and key (and suggests a close name for a typo);
* ``${ENV:NAME}`` / ``${ENV:NAME:-default}`` values (see :mod:`wsgikit.deploy.env`);
* a section referenced more than once in one load is built once, and the instance is shared;
* a local key shadowed by ``[DEFAULT]`` is reported (PasteDeploy drops it silently);
* a cycle of references is an error, not a ``RecursionError``;
* a record of what was built, from where (:class:`Node`), for ``wsgikit show`` and ``wsgikit routes``.
"""

from __future__ import annotations

import configparser
import difflib
import importlib.metadata
import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from paste.deploy import loadwsgi

from wsgikit.deploy.env import EnvInterpolation
from wsgikit.deploy.errors import Place, building, resolving
from wsgikit.deploy.ini import IniIndex, Placed, parse_ini, section_kind
from wsgikit.deploy.options import ConfigError, ConfigLookupError
from wsgikit.deploy.paste_compat import PASTE_REPLACEMENTS, replacement
from wsgikit.deploy.spec import parse_config_spec

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

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        self.environ = environ
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
        log.warning("%s", warning)

    @property
    def tree(self) -> Node | None:
        """The top node built by the load."""
        return self.root.children[0] if self.root.children else None


# -- turning PasteDeploy's errors into located ConfigErrors ----------------------------------------------

_CLAIMED = "_wsgikit_claimed"


def as_config_error(error: BaseException, context: Any = None) -> ConfigError:
    """A :class:`ConfigError` saying what ``error`` (raised while loading) means; for a middleware's
    ``ValueError``, the option of ``context`` it names is the error's key."""
    if isinstance(error, ConfigError):
        return error
    if isinstance(error, importlib.metadata.PackageNotFoundError):
        return _unknown_distribution(str(error.args[0]) if error.args else str(error))
    if isinstance(error, configparser.Error):
        message = getattr(error, "message", str(error))
        converted = ConfigError(str(message).replace("\n", " "))
        line = getattr(error, "lineno", None)
        return converted.located(file=getattr(error, "source", None), line=line)
    message = str(error) or type(error).__name__
    if isinstance(error, ImportError | AttributeError):
        message = f"cannot import: {message}"
    elif isinstance(error, TypeError):
        message = f"factory rejected the configuration: {message}"
    elif isinstance(error, RecursionError):
        message = "references nest too deeply (a cycle?)"
    cls = ConfigLookupError if isinstance(error, LookupError) else ConfigError
    return cls(message, key=_mentioned_key(message, context) if context is not None else None)


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


# -- the loader -----------------------------------------------------------------------------------------


class _Parser(loadwsgi.NicerConfigParser):  # type: ignore[misc]
    """PasteDeploy's parser with wsgikit's interpolation (``${ENV:...}``, located errors)."""

    def __init__(
        self, filename: str, index: IniIndex, defaults: dict[str, str], environ: dict[str, str] | None = None
    ) -> None:
        configparser.ConfigParser.__init__(
            self, defaults=defaults, interpolation=EnvInterpolation(filename, index.line_of, environ)
        )
        self.filename = filename
        self.optionxform = str


class WsgikitConfigLoader(loadwsgi.ConfigLoader):  # type: ignore[misc]
    """PasteDeploy's ``ConfigLoader`` with located errors, shared instances and a load record."""

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
            raise as_config_error(error).located(file=filename) from None

    # -- resolution ------------------------------------------------------------------------------------

    def get_context(self, object_type: Any, name: str | None = None, global_conf: Any = None) -> Any:
        return self._context(object_type, name, global_conf, shared=True)

    def _context(self, object_type: Any, name: str | None, global_conf: Any, *, shared: bool) -> Any:
        with resolving():
            return self._resolve(object_type, name, global_conf, shared=shared)

    def _resolve(self, object_type: Any, name: str | None, global_conf: Any, *, shared: bool) -> Any:
        if self.absolute_name(name):
            assert name is not None
            return self._absolute_context(object_type, name, global_conf)
        try:
            section = self.find_config_section(object_type, name=name)
        except LookupError:
            raise _missing_section(self, object_type, name) from None
        where = (self.filename, section)
        if where in self.session.resolving:
            raise self._cycle(where, self.session.resolving)
        memo_key = (self.filename, section, _frozen(global_conf)) if shared else None
        if memo_key is not None and memo_key in self.session.contexts:
            return self.session.contexts[memo_key]
        self.session.resolving.append(where)
        try:
            self._warn_shadowed(section)
            context = super().get_context(object_type, name=name, global_conf=global_conf)
        except Exception as error:
            raise self._claim(as_config_error(error), section, None) from _cause(error)
        finally:
            self.session.resolving.pop()
        self._wrap(context, section, memo_key, inner=not shared)
        if memo_key is not None:
            self.session.contexts[memo_key] = context
        return context

    def _absolute_context(self, object_type: Any, uri: str, global_conf: Any) -> Any:
        scheme, _, rest = uri.partition(":")
        if scheme.lower() == "config":
            target = parse_config_spec(uri, relative_to=os.path.dirname(self.filename))
            name = target.name if target.explicit_name else None
            return self.session.loader_for(target.path).get_context(object_type, name, global_conf)
        if scheme.lower() == "egg":
            resolve_egg(rest, _OBJECT_KINDS.get(object_type.name, "app"))
        try:
            context = loadwsgi.loadcontext(object_type, uri, global_conf=global_conf)
        except Exception as error:
            raise as_config_error(error) from _cause(error)
        return context

    def _context_from_use(
        self, object_type: Any, local_conf: Any, global_conf: Any, global_additions: Any, section: str
    ) -> Any:
        use = local_conf.pop("use")
        try:
            # `use = othersection` overlays keys on a copy: it must never share the instance.
            context = self._context(object_type, use, global_conf, shared=False)
        except ConfigError as error:
            raise self._claim(error, section, "use", force_key=True) from None
        context.global_conf.update(global_additions)
        context.local_conf.update(local_conf)
        if "__file__" in global_conf:
            context.global_conf["__file__"] = global_conf["__file__"]
        if not isinstance(context.loader, WsgikitConfigLoader):
            # PasteDeploy also replaces the loader of a `use = config:other.ini#name` section, so that a
            # composite there looks its references up in the wrong file; keep the file's own loader.
            context.loader = self
        if context.protocol is None:
            prefix = section.split(":", 1)[0]
            if prefix in ("application", "app"):
                context.protocol = "paste.app_factory"
            elif prefix in ("composit", "composite"):
                context.protocol = "paste.composit_factory"
            else:
                context.protocol = f"paste.{prefix}_factory"
        return context

    def _context_from_explicit(
        self, object_type: Any, local_conf: Any, global_conf: Any, global_addition: Any, section: str
    ) -> Any:
        key = next((key for key in local_conf if key.startswith("paste.")), None)
        if key is None:  # what PasteDeploy would report as "No loader given"
            raise ConfigLookupError(
                "no 'use = ...' and no paste.*_factory key: nothing says what to build",
                file=self.filename,
                line=self.index.line_of(section),
                section=section,
            )
        try:
            return super()._context_from_explicit(
                object_type, local_conf, global_conf, global_addition, section
            )
        except Exception as error:
            raise self._claim(as_config_error(error), section, key) from _cause(error)

    def _pipeline_app_context(
        self,
        object_type: Any,
        section: str,
        name: Any,
        global_conf: Any,
        local_conf: Any,
        global_additions: Any,
    ) -> Any:
        problems = pipeline_problems(local_conf)
        if problems:
            raise self._claim(problems[0], section, problems[0].key)
        try:
            return super()._pipeline_app_context(
                object_type, section, name, global_conf, local_conf, global_additions
            )
        except ConfigError as error:
            raise self._claim(error, section, "pipeline", force_key=True) from None

    def _filter_app_context(
        self,
        object_type: Any,
        section: str,
        name: Any,
        global_conf: Any,
        local_conf: Any,
        global_additions: Any,
    ) -> Any:
        try:
            return super()._filter_app_context(
                object_type, section, name, global_conf, local_conf, global_additions
            )
        except ConfigError as error:
            raise self._claim(error, section, "next", force_key=True) from None

    # -- creation --------------------------------------------------------------------------------------

    def _wrap(self, context: Any, section: str, memo_key: tuple[Any, ...] | None, *, inner: bool) -> None:
        original: Callable[[], Any] = context.create
        session = self.session
        node_template = Node(
            kind=section_kind(section) or context.object_type.name,
            name=section,
            file=self.filename,
            line=self.index.line_of(section),
            spec=self._spec(section),
        )
        place = Place(self.filename, section, self.index.line_of(section), self.index.keys.get(section, {}))
        rotate = context.object_type in (loadwsgi.PIPELINE, loadwsgi.FILTER_APP)
        is_filter = context.object_type is FILTER or (
            context.object_type is loadwsgi.FILTER_WITH and context.next_context.object_type is FILTER
        )

        def create() -> Any:
            node = _copy_node(node_template)
            node.label, session.next_label = session.next_label, None
            session.stack[-1].children.append(node)
            if memo_key is not None and memo_key in session.objects:
                node.shared = True
                node.obj = session.objects[memo_key]
                return node.obj
            where = (self.filename, section)
            if where in session.creating:
                raise self._cycle(where, session.creating)
            session.creating.append(where)
            session.stack.append(node)
            try:
                with building(place):
                    try:
                        obj = original()
                    except Exception as error:  # converted here: created located in this section
                        converted = as_config_error(error, context)
                        raise self._claim(converted, section, None, context, inner=inner) from _cause(error)
            finally:
                session.stack.pop()
                session.creating.pop()
            if rotate and node.children:
                node.children.append(node.children.pop(0))
            if is_filter and callable(obj):
                obj = _LocatedFilter(obj, self, place, context, inner)
            node.obj = obj
            if memo_key is not None:
                session.objects[memo_key] = obj
            return obj

        context.create = create

    def _spec(self, section: str) -> str | None:
        found = self.ini.sections.get(section)
        return found.spec if found is not None else None

    def own_keys(self, section: str) -> list[str]:
        """The keys written in ``section`` itself (not inherited from ``[DEFAULT]``), in file order."""
        found = self.ini.sections.get(section)
        return list(found.keys) if found is not None else []

    # -- errors and warnings ---------------------------------------------------------------------------

    def _claim(
        self,
        error: ConfigError,
        section: str,
        key: str | None,
        context: Any = None,
        *,
        inner: bool = False,
        force_key: bool = False,
    ) -> ConfigError:
        """Attach this file and section to an error that was created without them: one converted from
        PasteDeploy's or a factory's own exception (errors created while a section is built are located at
        creation, see :func:`~wsgikit.deploy.errors.building`)."""
        if getattr(error, _CLAIMED, False) or error.section is not None:
            return error
        if (
            inner
            and error.key is not None
            and error.key not in self.index.keys.get(section, {})
            and error.key in getattr(context, "local_conf", {})
        ):
            return error  # written in the section that `use`s this one: that section claims it
        if (force_key and key is not None and error.section is None) or error.key is None:
            error.key = key
        if error.key and error.message.startswith(f"{error.key}: "):
            error.message = error.message[len(error.key) + 2 :]
            error.args = (error.message,)
        # A factory knows the file but not the section (PasteDeploy does not pass it); we do.
        error.section = section
        error.file = self.filename
        error.line = self.index.line_of(section, error.key)
        setattr(error, _CLAIMED, True)
        return error

    def _cycle(self, where: tuple[str, str], stack: list[tuple[str, str]]) -> ConfigError:
        start = stack.index(where)
        path = " -> ".join(f"[{name}]" for _, name in [*stack[start:], where])
        return ConfigError(f"reference cycle: {path}")

    def _warn_shadowed(self, section: str) -> None:
        defaults = self.parser.defaults()
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


class _LocatedFilter:
    """A filter (``app -> app``) whose errors when applied name the filter's section."""

    def __init__(
        self,
        filter: Callable[[Any], Any],
        loader: WsgikitConfigLoader,
        place: Place,
        context: Any,
        inner: bool,
    ) -> None:
        self.inner = inner
        self.filter = filter
        self.loader = loader
        self.place = place
        self.section = place.section
        self.context = context

    def __call__(self, app: Any) -> Any:
        with building(self.place):
            try:
                return self.filter(app)
            except (ConfigError, ValueError, TypeError) as error:
                converted = as_config_error(error, self.context)
                raise self.loader._claim(
                    converted, self.section, None, self.context, inner=self.inner
                ) from _cause(error)

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


def load_app(loader: Any, name: str, global_conf: Any, *, key: str, label: bool = True) -> Any:
    """For composite factories: ``loader.get_app(name)``, with errors about the reference itself
    attributed to ``key`` of the composite's section, and ``key`` shown as the label in ``wsgikit show``
    (unless ``label`` is false)."""
    session = getattr(loader, "session", None)
    if isinstance(session, LoadSession) and label:
        session.next_label = key
    try:
        with resolving():  # an error about the reference is the composite's key's, not its section's
            return loader.get_app(name, global_conf=global_conf)
    except ConfigError as error:
        if error.section is None:
            error.key = key
        raise
    finally:
        if isinstance(session, LoadSession):
            session.next_label = None


def load_filter(loader: Any, name: str, global_conf: Any, *, key: str) -> Any:
    """Like :func:`load_app`, for a filter."""
    try:
        with resolving():
            return loader.get_filter(name, global_conf=global_conf)
    except ConfigError as error:
        if error.section is None:
            error.key = key
        raise


def annotate(loader: Any, detail: str) -> None:
    """For composite factories: add ``detail`` to the node being built (shown by ``wsgikit show``)."""
    session = getattr(loader, "session", None)
    if isinstance(session, LoadSession) and len(session.stack) > 1:
        session.stack[-1].detail = detail
