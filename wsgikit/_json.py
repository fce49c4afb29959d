"""JSON codec
==========

The one place where wsgikit turns Python values into JSON bytes and back: :func:`wsgikit.wsgify`'s
``dict`` / ``list`` / dataclass answers go through :func:`dumps`, :attr:`wsgikit.Request.json` through
:func:`loads`.

When :mod:`msgspec` is installed (``pip install wsgikit[json]``) both use it: it encodes a nova server list
many times faster than :mod:`json` and decodes it faster too (``benchmarks/bench_json.py``). Otherwise the
stdlib's C encoder and decoder do the work. Whatever the codec, a document that the fast one refuses is
handed to the stdlib, so that what is accepted, and the errors raised for what is not, are the stdlib's:

* **key order** is the insertion order, and keys that are not strings (``int``, ``float``, ``bool``,
  ``None``) become strings as :mod:`json` makes them;
* **non-ASCII** text is written as UTF-8, not ``\\u`` escapes;
* **NaN and ±Infinity** are written as ``null`` (as JavaScript's ``JSON.stringify`` does; :mod:`json`
  would write the invalid ``NaN`` literal), and the ``NaN`` / ``Infinity`` literals in a request body are
  refused like any other malformed JSON;
* **big integers** keep every digit both ways (up to Python's 4300-digit limit, past which decoding
  raises :class:`ValueError`);
* **lone surrogates** (``"\\ud800"``) cannot be written: :func:`dumps` raises
  :class:`UnicodeEncodeError`, whichever codec.

What differs with :mod:`msgspec`, all of it valid JSON for the same values: floats are spelled in their
shortest form (``1e16``, not ``1e+16``); a UTC ``datetime`` ends in ``Z`` rather than ``+00:00``; sets are
written in iteration order instead of sorted; ``enum.Enum`` members are written as their value and
``bytes`` as base64 where :mod:`json` refuses both.

.. code-block:: python

    >>> from wsgikit import _json
    >>> _json.dumps({"name": "café", "ratio": float("nan")})
    b'{"name":"caf\\xc3\\xa9","ratio":null}'
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import re
import uuid
from decimal import Decimal
from typing import Any

__all__ = ["CODECS", "codec", "dumps", "loads", "use"]

CODECS = ("msgspec", "json")
"""The codecs known, fastest first: the default is the first one installed."""


def _default(value: Any) -> Any:
    """What the stdlib encoder cannot write itself (msgspec writes these natively)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# The stdlib path: the C encoder, made per call (json.dumps() with options builds a JSONEncoder each
# time, and JSONEncoder.encode() adds Python layers: isinstance checks, a closure per call).
_c_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_default, allow_nan=False)
_C_ENCODER_ARGS = (
    _ENCODER.default,
    json.encoder.encode_basestring,  # ensure_ascii=False
    None,  # indent
    _ENCODER.key_separator,
    _ENCODER.item_separator,
    _ENCODER.sort_keys,
    _ENCODER.skipkeys,
    False,  # allow_nan: an out-of-range float raises, and _finite() turns it into null
)


def _stdlib_dumps(value: Any) -> bytes:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    try:
        text = _stdlib_encode(value)
    except ValueError as error:
        if "Out of range float" not in str(error):
            raise
        text = _stdlib_encode(_finite(value))
    return text.encode()


def _stdlib_encode(value: Any) -> str:
    if _c_make_encoder is None:  # pragma: no cover - CPython always has the C accelerator
        return _ENCODER.encode(value)
    return "".join(_c_make_encoder({}, *_C_ENCODER_ARGS)(value, 0))


def _finite(value: Any) -> Any:
    """``value`` with NaN and ±Infinity replaced by None (only called when the encoder met one)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


_CONSTANT = re.compile(r"[\[:,]\s*(-?(?:NaN|Infinity))|^\s*(-?(?:NaN|Infinity))")


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)


def _stdlib_loads(data: bytes, charset: str | None) -> Any:
    text = data.decode(charset or "utf-8")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError:
        raise
    except ValueError as error:
        name = str(error)
        if name not in ("NaN", "Infinity", "-Infinity"):
            raise  # the integer digit limit, from the int() the decoder calls
        found = _CONSTANT.search(text)
        position = found.start(found.lastindex or 0) if found else 0
        raise json.JSONDecodeError(f"{name} is not a JSON value", text, position) from None


msgspec: Any
try:
    import msgspec
except ImportError:  # pragma: no cover - depends on the installed extras
    msgspec = None


def _msgspec_hook(value: Any) -> Any:
    """msgspec's ``enc_hook``: what it cannot write natively, written as the stdlib path writes it."""
    return _default(value)


_msgspec_encode: Any = msgspec.json.Encoder(enc_hook=_msgspec_hook).encode if msgspec else None
_msgspec_decode: Any = msgspec.json.Decoder().decode if msgspec else None
_UTF8 = frozenset({None, "utf-8", "utf8", "UTF-8", "UTF8"})


def _msgspec_dumps(value: Any) -> bytes:
    try:
        out: bytes = _msgspec_encode(value)
    except (TypeError, ValueError, OverflowError, RecursionError):
        # what msgspec refuses (a lone surrogate, keys it cannot write, a hook error): the stdlib's
        # answer and the stdlib's error
        return _stdlib_dumps(value)
    return out


def _msgspec_loads(data: bytes, charset: str | None) -> Any:
    if charset not in _UTF8:
        return _stdlib_loads(data, charset)
    try:
        return _msgspec_decode(data)
    except (ValueError, RecursionError):
        # malformed, too deep, too big, or JSON msgspec is stricter about: the stdlib decides, so that
        # what is accepted and the error raised do not depend on the codec
        return _stdlib_loads(data, charset)


_CODECS = {"json": (_stdlib_dumps, _stdlib_loads), "msgspec": (_msgspec_dumps, _msgspec_loads)}
_current = "msgspec" if msgspec is not None else "json"
_dumps, _loads = _CODECS[_current]


def codec() -> str:
    """The codec in use: ``"msgspec"`` or ``"json"``."""
    return _current


def use(name: str | None = None) -> str:
    """Switch the codec (``"msgspec"``, ``"json"``, or None for the fastest installed); returns the one
    that was in use. For tests and benchmarks: the default needs no call."""
    global _current, _dumps, _loads
    if name is None:
        name = "msgspec" if msgspec is not None else "json"
    if name not in _CODECS:
        raise ValueError(f"expected one of {', '.join(CODECS)}, got {name!r}")
    if name == "msgspec" and msgspec is None:
        raise ValueError("msgspec is not installed (pip install wsgikit[json])")
    previous = _current
    _current = name
    _dumps, _loads = _CODECS[name]
    return previous


def dumps(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON; dataclasses, datetimes, UUIDs, Decimals and sets allowed.

    :raises TypeError: for a value that has no JSON form.
    :raises UnicodeEncodeError: for a string holding a lone surrogate.
    """
    return _dumps(value)


def loads(data: bytes, charset: str | None = None) -> Any:
    """Parse a request body: ``data`` in ``charset`` (default UTF-8).

    Raises what :func:`json.loads` would, whichever codec: :class:`UnicodeDecodeError` (or
    :class:`LookupError` for an unknown charset), :class:`json.JSONDecodeError` for malformed JSON
    (including the ``NaN`` / ``Infinity`` literals), :class:`ValueError` for an integer over Python's digit
    limit, :class:`RecursionError` for nesting too deep.
    """
    return _loads(data, charset)
