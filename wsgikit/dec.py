"""The ``wsgify`` decorator
========================

Write a WSGI application as ``func(req, **route_vars)`` and return what is natural:

.. code-block:: python

    from wsgikit import wsgify, exc

    @wsgify
    def show(req, id):                      # route variables arrive as keyword arguments
        if id != "42":
            raise exc.HTTPNotFound(f"no server {id}")   # → a negotiated problem+json 404
        return {"server": {"id": id}}       # → 200 application/json

It keeps every behaviour of :class:`webob.dec.wsgify` that code relies on (``RequestClass``, methods,
``args``/``kwargs``, returning a Response, any WSGI app, ``str``, ``bytes`` or ``None``, raised HTTP
exceptions, :meth:`wsgify.middleware`, calling ``func(req)`` directly in tests) and adds:

* route variables from ``environ["wsgiorg.routing_args"]`` passed as keyword arguments — only the ones the
  function declares (or all of them, when it takes ``**kwargs``), so ``controller``/``action`` entries of a
  Routes match do not get in the way;
* ``dict``, ``list`` and dataclass results become ``application/json`` (UTF-8, through
  :mod:`wsgikit._json`: msgspec when installed). When the handler did not touch
  ``req.response``, the answer is written straight to ``start_response`` without building a WebOb
  Response — the common case is the fast case;
* :attr:`Request.json` raises a 400 problem document for a malformed, empty, non-UTF-8 or unreadable body,
  a number too long to convert and a string with an unpaired surrogate, instead of letting the error
  become a 500 — and a 415 for a ``Content-Type`` that is not JSON (:attr:`Request.strict_json_content_type`);
* the body (``req.body``, ``req.json``, ``req.body_file``, ``req.POST``) is read through
  :class:`wsgikit.exc.GuardedInput`: a malformed chunked body or one shorter than its ``Content-Length`` is
  a 400 on every server, logged on one line without a traceback;
* per-call keyword arguments of a ``wsgify.middleware`` are merged with the bound ones (WebOb replaces
  them);
* ``functools.wraps`` metadata: ``__name__``, ``__doc__``, ``__wrapped__``.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote_to_bytes

import webob
import webob.exc

from wsgikit import _json
from wsgikit.exc import HTTPBadRequest, HTTPUnsupportedMediaType, as_wsgikit, guard_input
from wsgikit.types import StartResponse, WSGIApplication, WSGIEnvironment, WSGIIterable

__all__ = ["Request", "Response", "json_dumps", "parse_json", "undecodable_request_part", "wsgify"]

_RESPONSE_KEY = "wsgikit.response"
_ROUTING_ARGS = "wsgiorg.routing_args"
_ROUTES_RESERVED = ("controller", "action")


_MARKER: Any = webob.response._marker  # type: ignore[attr-defined]
_CHARSET_RE = webob.response.CHARSET_RE  # type: ignore[attr-defined]
_has_charset: Any = webob.response._content_type_has_charset  # type: ignore[attr-defined]
_webob_charset = webob.Response.charset
_webob_abs_headerlist = getattr(webob.Response, "_abs_headerlist", None)
_webob_status = webob.Response.status
_new_request = object.__new__


class Response(webob.Response):
    """:class:`webob.Response`; here so that ``from wsgikit import Response`` is the one to subclass.

    Building one the common way (a ``str`` or ``bytes`` body, optionally ``status`` and ``content_type``)
    takes a shorter path than WebOb's constructor, with the same result; every other call is WebOb's.
    """

    def __init__(
        self,
        body: Any = None,
        status: Any = None,
        headerlist: Any = None,
        app_iter: Any = None,
        content_type: Any = None,
        conditional_response: Any = None,
        charset: Any = _MARKER,
        **kw: Any,
    ) -> None:
        if (
            kw
            or headerlist is not None
            or app_iter is not None
            or conditional_response is not None
            or charset is not _MARKER
            or not isinstance(body, (str, bytes))  # the tuple form is the faster test
            or type(self).charset is not _webob_charset
        ):
            super().__init__(
                body, status, headerlist, app_iter, content_type, conditional_response, charset, **kw
            )
            return
        # WebOb's constructor for these arguments, step by step, without its general cases; the tests
        # compare the two on a table of arguments. The costly step it saves is reading the charset back
        # through the headers view (self.charset) to encode a str body.
        if status is None:
            self._status = "200 OK"
        else:
            self.status = status
        self._headers = None
        headers: list[tuple[str, str]] = []
        self._headerlist = headers
        self.conditional_response = self.default_conditional_response
        code = self._status[:3]
        if self._status[0] == "1" or code in ("204", "205", "304"):
            self._app_iter = [b""]  # no body, no Content-Type
            return
        content_type = content_type or self.default_content_type
        charset = None
        if content_type:
            key = (content_type, self.default_charset)
            known = _content_types.get(key)
            if known is None:
                known = _content_type_header(content_type, self.default_charset)
                if len(_content_types) < _CONTENT_TYPES_KEPT:
                    _content_types[key] = known
            content_type, charset = known
            headers.append(("Content-Type", content_type))
        if isinstance(body, str):
            if charset is None:
                raise TypeError("You cannot set the body to a text value without a charset")
            body = body.encode(charset)
        self._app_iter = [body]
        headers.append(("Content-Length", str(len(body))))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        """WebOb's ``__call__``, without building a new header list when no ``Location`` needs making
        absolute."""
        if (
            self.conditional_response
            or getattr(type(self), "_abs_headerlist", None) is not _webob_abs_headerlist
        ):
            return super().__call__(environ, start_response)
        headerlist = self._headerlist
        for name, _ in headerlist:
            if len(name) == 8 and name.lower() == "location":
                return super().__call__(environ, start_response)
        start_response(self._status, list(headerlist))
        if environ["REQUEST_METHOD"] == "HEAD":
            return webob.response.EmptyResponse(self._app_iter)
        return self._app_iter


# (content type, default charset) -> what _content_type_header() answers: handlers build their responses
# with a few literal content types, so the answers are remembered (a bounded number of them)
_content_types: dict[tuple[str, str | None], tuple[str, str | None]] = {}
_CONTENT_TYPES_KEPT = 256


def _content_type_header(content_type: str, default_charset: str | None) -> tuple[str, str | None]:
    """The ``Content-Type`` value WebOb's constructor writes for ``content_type``, and the charset a ``str``
    body is encoded with (None when it has none)."""
    charset = None
    if (
        default_charset
        and "charset=" not in content_type
        and (content_type == "text/html" or _has_charset(content_type))
    ):
        if ";" not in content_type:
            charset = default_charset  # the only parameter: what reading it back would give
        content_type += "; charset=" + default_charset
    if charset is None:
        found = _CHARSET_RE.search(content_type)
        charset = None if found is None else found.group(1)
    return content_type, charset


def json_dumps(value: Any) -> bytes:
    """The JSON encoding wsgify uses: compact, UTF-8, dataclasses, datetimes, UUIDs and Decimals allowed
    (:func:`wsgikit._json.dumps`: msgspec when installed, else the stdlib)."""
    return _json.dumps(value)


class Request(webob.Request):
    """:class:`webob.Request` with a strict :attr:`json` and a lazily built :attr:`response`."""

    ResponseClass = Response

    @property
    def response(self) -> Response:
        """The response a handler may fill in; built on first use (building it costs more than most
        handlers)."""
        response: Response | None = self.environ.get(_RESPONSE_KEY)
        if response is None:
            response = self.ResponseClass()
            self.environ[_RESPONSE_KEY] = response
        return response

    @response.setter
    def response(self, value: Response) -> None:
        self.environ[_RESPONSE_KEY] = value

    @property
    def response_started(self) -> bool:
        """True once :attr:`response` was built (the handler may have set status, headers or cookies)."""
        return _RESPONSE_KEY in self.environ

    #: :attr:`json` answers ``415`` for a ``Content-Type`` that is not JSON (``application/json`` or
    #: ``application/*+json``), as nova does; a request without ``Content-Type`` is read as JSON. Set it to
    #: False — on a subclass passed as ``wsgify(RequestClass=...)``, or on one request before reading
    #: :attr:`json` — to parse any content type.
    strict_json_content_type = True

    @property
    def body_file_raw(self) -> Any:
        """``wsgi.input``, wrapped (once) in a :class:`~wsgikit.exc.GuardedInput`: a malformed or
        truncated body, or a client gone mid-upload, raises :class:`~wsgikit.exc.RequestBodyError` (400)
        whatever the server's own exception. A body WebOb already made seekable is returned as it is."""
        environ = self.environ
        if environ.get("webob.is_body_seekable"):
            return environ["wsgi.input"]
        return guard_input(environ)

    @body_file_raw.setter
    def body_file_raw(self, value: Any) -> None:
        self.environ["wsgi.input"] = value

    @property
    def json(self) -> Any:
        """The body parsed as JSON.

        :raises wsgikit.exc.HTTPUnsupportedMediaType: when ``Content-Type`` is given and is not a JSON
            media type (see :attr:`strict_json_content_type`).
        :raises wsgikit.exc.HTTPBadRequest: when the body is empty, unreadable, not UTF-8, not valid JSON,
            holds a number too long to convert or a string with an unpaired surrogate (``"\\ud800"``), or
            nests too deeply.
        """
        if self.strict_json_content_type:
            media_type = self.environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
            if media_type and media_type != "application/json" and not _is_json_suffix(media_type):
                raise HTTPUnsupportedMediaType(
                    "The request body must be JSON (Content-Type: application/json)."
                )
        body = self._body_in_memory()
        if not body:
            raise HTTPBadRequest("The request body is empty; a JSON document was expected.")
        return parse_json(body, self.charset)

    json_body = json

    def _body_in_memory(self) -> bytes:
        """The body, read once into memory and kept as the request's (``req.body`` gives it again).

        WebOb's :attr:`body` first copies a body over 10 KB into a temporary file and then reads it
        back: half a millisecond for a 110 KB document, a third of the time of parsing it. A body about
        to be parsed into Python objects is held in memory anyway, so it is read straight from the
        (guarded) input. A body already made seekable, or partly read through ``body_file``, goes
        through WebOb.
        """
        environ = self.environ
        if (
            environ.get("webob.is_body_seekable")
            or "webob._body_file" in environ
            or not self.is_body_readable
        ):
            body: bytes = self.body
            return body
        length = self.content_length
        data: bytes = self.body_file_raw.read(-1 if length is None else length)
        self.body = data  # seekable from now on, as WebOb's body leaves it
        return data


def _is_json_suffix(media_type: str) -> bool:
    """``application/<anything>+json`` (RFC 6839 structured syntax suffix)."""
    return media_type.startswith("application/") and media_type.endswith("+json")


# \ud800-\udfff escapes: surrogates, paired (fine: decoded to one character) or not (refused)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_UTF8 = frozenset({None, "utf-8", "utf8", "UTF-8", "UTF8"})


def parse_json(body: bytes, charset: str | None = None) -> Any:
    """Parse a request body's JSON (:func:`wsgikit._json.loads`, whichever codec it uses); the one place
    where the codec's errors become ``400`` answers.

    :raises wsgikit.exc.HTTPBadRequest: for a body that is not in ``charset`` (UTF-8 by default), invalid
        JSON, a number too long to convert, an unpaired surrogate in a string (it could not be encoded
        again: the application would fail later) or a document that nests too deeply.
    """
    try:
        value = _json.loads(body, charset)
    except (UnicodeDecodeError, LookupError):
        raise HTTPBadRequest("The request body is not valid UTF-8.") from None
    except RecursionError:
        raise HTTPBadRequest("The request body nests too deeply.") from None
    except ValueError as error:  # JSONDecodeError, and the integer digit limit
        raise HTTPBadRequest(_json_error_detail(error)) from None
    # a surrogate escape can only be unpaired if there is one (a backslash first: one memchr, where the
    # regular expression scans the whole body); other charsets are checked in full
    if (
        charset not in _UTF8 or (b"\\" in body and _SURROGATE_ESCAPE.search(body) is not None)
    ) and _has_lone_surrogate(value):
        raise HTTPBadRequest("The request body is not valid JSON: a string holds an unpaired surrogate.")
    return value


def _json_error_detail(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"The request body is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}."
    if "integer string conversion" in str(error):
        return "The request body is not acceptable JSON: a number has too many digits."
    return "The request body is not valid JSON."


def _has_lone_surrogate(value: Any) -> bool:
    """True when a string anywhere in ``value`` (keys included) holds a surrogate code point."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item) is not None:
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def undecodable_request_part(environ: WSGIEnvironment) -> str | None:
    """Which part of the request URL WebOb cannot decode as UTF-8 (``"path"`` or ``"query string"``), or
    None when both decode. (Form bodies need no check: WebOb decodes them with replacement characters.)"""
    try:
        for key in ("SCRIPT_NAME", "PATH_INFO"):
            environ.get(key, "").encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return "path"
    try:
        unquote_to_bytes(environ.get("QUERY_STRING", "").replace("+", " ")).decode("utf-8")
    except UnicodeDecodeError:
        return "query string"
    return None


def _route_parameters(func: Callable[..., Any]) -> frozenset[str] | None:
    """Names of keyword-capable parameters after the request, or None when the callable takes **kwargs."""
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return frozenset()
    names: list[str] = []
    params = list(signature.parameters.values())
    for index, param in enumerate(params):
        if param.kind is param.VAR_KEYWORD:
            return None
        if index == 0 or param.kind in (param.POSITIONAL_ONLY, param.VAR_POSITIONAL):
            continue
        names.append(param.name)
    return frozenset(names)


class wsgify:
    """Turn ``func(req, *args, **kwargs)`` into a WSGI application.

    :param func: the function (or method) to wrap.
    :param RequestClass: the request class, a :class:`webob.Request` subclass (default :class:`Request`).
    :param args: extra positional arguments for every call.
    :param kwargs: extra keyword arguments for every call; per-call keyword arguments are merged over them.
    :param middleware_wraps: set by :meth:`middleware`: the application passed as ``func``'s second argument.
    """

    RequestClass: type[webob.Request] = Request
    _plain_call = False  # set in __init__; a subclass that skips it keeps calling call_func

    def __init__(
        self,
        func: Callable[..., Any] | None = None,
        RequestClass: type[webob.Request] | None = None,
        args: tuple[Any, ...] = (),
        kwargs: Mapping[str, Any] | None = None,
        middleware_wraps: WSGIApplication | None = None,
    ) -> None:
        self.func = func
        if RequestClass is not None and RequestClass is not self.RequestClass:
            self.RequestClass = RequestClass
        self.args = tuple(args)
        self.kwargs = dict(kwargs or {})
        self.middleware_wraps = middleware_wraps
        self._route_params: frozenset[str] | None = frozenset()
        # call_func not overridden: _wsgi may call func itself (one call layer and argument packing less)
        self._plain_call = type(self).call_func is wsgify.call_func
        if func is not None:
            functools.update_wrapper(self, func)
            self._route_params = _route_parameters(func)
            if middleware_wraps is not None and self._route_params is not None:
                # the wrapped app takes the second positional slot: it is not a route variable
                self._route_params = self._route_params - {_first_after_request(func)}

    def __repr__(self) -> str:
        return f"<wsgify at {id(self):#x} wrapping {self.func!r}>"

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if hasattr(self.func, "__get__"):
            return self.clone(self.func.__get__(obj, owner))  # type: ignore[union-attr]
        return self

    def __call__(self, req: Any, *args: Any, **kw: Any) -> Any:
        func = self.func
        if func is None:
            if args or kw:
                raise TypeError(f"Unbound {self!r} can only be called with the function it will wrap")
            return self.clone(req)
        if isinstance(req, dict):
            if len(args) != 1 or kw:
                raise TypeError(f"Calling {func!r} as a WSGI app with the wrong signature")
            return self._wsgi(req, args[0])
        call_args, call_kw = self._prepare_args(args, kw)
        return self.call_func(req, *call_args, **call_kw)

    def _wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        req: webob.Request
        if self.RequestClass is Request and type(environ) is dict:
            # what webob's BaseRequest.__init__ does with an environ and no options, without the call
            req = _new_request(Request)
            req.__dict__["environ"] = environ
        else:
            req = self.RequestClass(environ)
        if not isinstance(req, Request):
            req.response = req.ResponseClass()  # plain WebOb requests get theirs up front, as in WebOb
        try:
            kw = self._route_kwargs(environ) if _ROUTING_ARGS in environ else None
            if self.kwargs:
                kw = {**self.kwargs, **kw} if kw else dict(self.kwargs)
            func = self.func
            if self._plain_call and func is not None and self.middleware_wraps is None and not self.args:
                result = func(req, **kw) if kw else func(req)  # what call_func would do, directly
            else:
                result = self.call_func(req, *self.args, **kw) if kw else self.call_func(req, *self.args)
        except webob.exc.HTTPException as error:
            result = as_wsgikit(error)
        except UnicodeDecodeError:
            # WebOb decodes the path, query and form fields as UTF-8 on first access (req.path_info,
            # req.GET, ...); a client that sent other bytes gets a 400, not a 500. A decoding error with
            # well-formed request data is the application's own and propagates.
            problem = undecodable_request_part(environ)
            if problem is None:
                raise
            result = HTTPBadRequest(f"The request {problem} is not valid UTF-8.")
        return self._respond(req, result, environ, start_response)

    def _route_kwargs(self, environ: WSGIEnvironment) -> dict[str, Any] | None:
        routing_args = environ.get(_ROUTING_ARGS)
        if not routing_args:
            return None
        named: Mapping[str, Any] = routing_args[1]
        accepted = self._route_params
        if accepted is None:
            # a copy minus the reserved keys: C calls, no comprehension frame
            kw = dict(named)
            for key in _ROUTES_RESERVED:
                kw.pop(key, None)
            return kw
        return {k: v for k, v in named.items() if k in accepted}

    def _respond(
        self, req: webob.Request, result: Any, environ: WSGIEnvironment, start_response: StartResponse
    ) -> WSGIIterable:
        started = _RESPONSE_KEY in environ or not isinstance(req, Request)
        kind = type(result)
        if kind is Response or kind is webob.Response:
            # the handler built its own response: no JSON or dataclass tests to run first
            if started and result is not req.response:
                result = req.response.merge_cookies(result)
            app_iter_: WSGIIterable = result(environ, start_response)
            return app_iter_
        if kind is str and not started and self.RequestClass is Request:
            # the str branch below, without the JSON and dataclass tests first
            return _fast(environ, start_response, "text/html; charset=UTF-8", result.encode("utf-8"))
        if (
            kind is dict
            or kind is list
            or isinstance(result, dict | list)
            or (dataclasses.is_dataclass(result) and not isinstance(result, type))
        ):
            body = _json.dumps(result)
            if not started:
                return _fast(environ, start_response, "application/json", body)
            response = req.response
            response.content_type = "application/json"
            response.charset = None
            response.body = body
            result = response
        elif isinstance(result, str | bytes):
            if not started and self.RequestClass is Request:
                body = result.encode("utf-8") if isinstance(result, str) else result
                return _fast(environ, start_response, "text/html; charset=UTF-8", body)
            response = req.response
            if isinstance(result, str):
                response.text = result
            else:
                response.body = result
            result = response
        elif result is None:
            result = req.response
        elif isinstance(result, webob.exc.HTTPException):
            result = as_wsgikit(result)
        if started and isinstance(result, webob.Response) and result is not req.response:
            result = req.response.merge_cookies(result)
        app_iter: WSGIIterable = result(environ, start_response)
        return app_iter

    def _prepare_args(
        self, args: tuple[Any, ...] | None, kwargs: Mapping[str, Any] | None
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        merged = dict(self.kwargs)
        if kwargs:
            merged.update(kwargs)
        return (args or self.args), merged

    def call_func(self, req: Any, *args: Any, **kwargs: Any) -> Any:
        """Call the wrapped function; override to change how it is called."""
        assert self.func is not None
        if self.middleware_wraps is not None:
            args = (self.middleware_wraps, *args)
        return self.func(req, *args, **kwargs)

    def clone(self, func: Callable[..., Any] | None = None, **kw: Any) -> wsgify:
        """A copy of this decorator with ``func`` (and any constructor argument) replaced."""
        options: dict[str, Any] = {
            "RequestClass": self.RequestClass,
            "args": self.args,
            "kwargs": self.kwargs,
            "middleware_wraps": self.middleware_wraps,
        }
        options.update(kw)
        return self.__class__(func, **options)

    @property
    def undecorated(self) -> Callable[..., Any] | None:
        return self.func

    # -- test helpers, as in WebOb ------------------------------------------------------------------------

    def get(self, url: str, **kw: Any) -> webob.Response:
        """Run a GET to ``url`` through the app and return the response."""
        kw.setdefault("method", "GET")
        return self.request(url, **kw)

    def post(self, url: str, POST: Any = None, **kw: Any) -> webob.Response:
        kw.setdefault("method", "POST")
        return self.request(url, POST=POST, **kw)

    def request(self, url: str, **kw: Any) -> webob.Response:
        req = self.RequestClass.blank(url, **kw)
        return req.get_response(self)

    # -- middleware ----------------------------------------------------------------------------------------

    @classmethod
    def middleware(
        cls, middle_func: Callable[..., Any] | None = None, app: WSGIApplication | None = None, **kw: Any
    ) -> Any:
        """Write middleware as ``func(req, app, **config)``.

        ``@wsgify.middleware`` turns ``func`` into a factory: ``func(app, **config)`` or
        ``func(**config)(app)`` builds the middleware; inside, return ``app`` to pass the request on,
        or ``req.get_response(app)`` to look at (and change) the response.
        """
        if middle_func is None:
            return _UnboundMiddleware(cls, app, kw)
        if app is None:
            return _MiddlewareFactory(cls, middle_func, kw)
        return cls(middle_func, middleware_wraps=app, kwargs=kw)


def _first_after_request(func: Callable[..., Any]) -> str | None:
    try:
        params = list(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        return None
    return params[1] if len(params) > 1 else None


def _fast(
    environ: WSGIEnvironment, start_response: StartResponse, content_type: str, body: bytes
) -> WSGIIterable:
    start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    if environ.get("REQUEST_METHOD") == "HEAD":
        return []
    return [body]


class _UnboundMiddleware:
    """``@wsgify.middleware(app=..., **kw)`` before the function is known."""

    def __init__(self, wrapper_class: type[wsgify], app: WSGIApplication | None, kw: dict[str, Any]) -> None:
        self.wrapper_class = wrapper_class
        self.app = app
        self.kw = kw

    def __call__(self, func: Callable[..., Any], app: WSGIApplication | None = None) -> Any:
        return self.wrapper_class.middleware(func, app or self.app, **self.kw)


class _MiddlewareFactory:
    """What ``@wsgify.middleware`` turns a function into: call it with the app (and config) to build."""

    def __init__(
        self, wrapper_class: type[wsgify], middleware: Callable[..., Any], kw: dict[str, Any]
    ) -> None:
        self.wrapper_class = wrapper_class
        self.middleware = middleware
        self.kw = kw
        functools.update_wrapper(self, middleware)

    def __repr__(self) -> str:
        return f"<wsgify.middleware factory for {self.middleware!r}>"

    def __call__(self, app: WSGIApplication | None = None, **config: Any) -> Any:
        kw = {**self.kw, **config}
        if app is None:
            return _MiddlewareFactory(self.wrapper_class, self.middleware, kw)
        return self.wrapper_class.middleware(self.middleware, app, **kw)
