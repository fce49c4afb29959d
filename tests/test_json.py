"""wsgikit._json: msgspec when installed, the stdlib otherwise, and the same answers from both."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import importlib
import importlib.util
import json
import math
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wsgikit import _json, wsgify
from wsgikit.testing import TestApp

HAVE_MSGSPEC = importlib.util.find_spec("msgspec") is not None
INSTALLED = ["msgspec", "json"] if HAVE_MSGSPEC else ["json"]


@pytest.fixture(params=["msgspec", "json"])
def codec(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test with each codec in turn (msgspec skipped when it is not installed)."""
    if request.param == "msgspec" and not HAVE_MSGSPEC:
        pytest.skip("msgspec is not installed (pip install wsgikit[json])")
    previous = _json.use(request.param)
    yield request.param
    _json.use(previous)


def with_codec(name: str, func: Any, *args: Any) -> Any:
    previous = _json.use(name)
    try:
        return func(*args)
    finally:
        _json.use(previous)


def outcome(func: Any, *args: Any) -> tuple[str, Any]:
    """What a call gives, comparable across codecs: its value or its exception's type and message."""
    try:
        return "value", func(*args)
    except (ValueError, RecursionError) as error:
        return type(error).__name__, str(error)


# -- choosing the codec ------------------------------------------------------------------------------------


def test_the_fastest_installed_codec_is_the_default() -> None:
    assert _json.codec() == ("msgspec" if HAVE_MSGSPEC else "json")


def test_without_msgspec_the_stdlib_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "msgspec", None)  # as on a machine without the json extra
    try:
        importlib.reload(_json)
        assert _json.codec() == "json"
        assert _json.dumps({"a": [1, 2.5, None]}) == b'{"a":[1,2.5,null]}'
        assert _json.loads(b'{"a": [1]}') == {"a": [1]}
        with pytest.raises(ValueError, match="msgspec is not installed"):
            _json.use("msgspec")
    finally:
        monkeypatch.undo()
        importlib.reload(_json)
    assert _json.codec() == INSTALLED[0]


def test_use_checks_the_name() -> None:
    with pytest.raises(ValueError, match="expected one of msgspec, json"):
        _json.use("ujson")
    previous = _json.use(None)
    assert _json.use(previous) == INSTALLED[0]


# -- semantics shared by both codecs -----------------------------------------------------------------------


def test_key_order_is_insertion_order(codec: str) -> None:
    assert _json.dumps({"z": 1, "a": 2, "m": {"y": 1, "b": 2}}) == b'{"z":1,"a":2,"m":{"y":1,"b":2}}'


def test_non_string_keys_as_the_stdlib_writes_them(codec: str) -> None:
    encoded = _json.dumps({1: "a", 2.5: "b", False: "c", None: "d"})
    assert encoded == b'{"1":"a","2.5":"b","false":"c","null":"d"}'


def test_non_ascii_is_written_as_utf8(codec: str) -> None:
    assert _json.dumps({"name": "café ☕ 𝄞"}) == '{"name":"café ☕ 𝄞"}'.encode()
    assert _json.dumps(['\x00\x1f"\\\x7f\u2028']) == b'["\\u0000\\u001f\\"\\\\\x7f\xe2\x80\xa8"]'


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_written_as_null(value: float, codec: str) -> None:
    assert _json.dumps({"ratio": value, "list": [1.5, value]}) == b'{"ratio":null,"list":[1.5,null]}'


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_literals_are_refused(literal: str, codec: str) -> None:
    with pytest.raises(json.JSONDecodeError, match=f"{literal} is not a JSON value") as raised:
        _json.loads(f'{{"a": [1, {literal}]}}'.encode())
    assert raised.value.pos == 10


@pytest.mark.parametrize("number", [2**64, -(2**63) - 1, 10**30, -(10**100), 10**4299])
def test_big_integers_keep_every_digit(number: int, codec: str) -> None:
    encoded = _json.dumps({"n": number})
    assert encoded == b'{"n":%d}' % number
    assert _json.loads(encoded) == {"n": number}


def test_integers_past_pythons_digit_limit_are_refused(codec: str) -> None:
    with pytest.raises(ValueError, match="digits"):
        _json.loads(b"1" * 4301)


def test_lone_surrogates_cannot_be_written(codec: str) -> None:
    with pytest.raises(UnicodeEncodeError):
        _json.dumps({"name": "\ud800"})


def test_lone_surrogate_escapes_decode_as_the_stdlib_does(codec: str) -> None:
    assert _json.loads(b'"\\ud800"') == json.loads('"\\ud800"')


def test_non_utf8_bodies(codec: str) -> None:
    with pytest.raises(UnicodeDecodeError):
        _json.loads(b'{"a": "\xff"}')
    assert _json.loads('{"a": "é"}'.encode("latin-1"), "latin-1") == {"a": "é"}
    with pytest.raises(LookupError):
        _json.loads(b"{}", "no-such-charset")


def test_nesting_too_deep(codec: str) -> None:
    with pytest.raises(RecursionError):
        _json.loads(b"[" * 100_000 + b"]" * 100_000)


@dataclasses.dataclass
class Server:
    id: uuid.UUID
    name: str
    created: datetime.date
    price: Decimal


def test_dataclasses_uuids_dates_and_decimals(codec: str) -> None:
    server = Server(uuid.UUID(int=1), "web", datetime.date(2026, 1, 2), Decimal("1.50"))
    expected = (
        b'{"id":"00000000-0000-0000-0000-000000000001","name":"web","created":"2026-01-02","price":"1.50"}'
    )
    assert _json.dumps(server) == expected
    assert _json.dumps([server]) == b"[" + expected + b"]"


def test_unserialisable_values_raise_type_error(codec: str) -> None:
    with pytest.raises(TypeError, match="object is not JSON serialisable"):
        _json.dumps({"a": object()})


# -- where the codecs differ (documented in wsgikit._json) --------------------------------------------------


class Colour(enum.Enum):
    RED = "red"


UTC_NOON = datetime.datetime(2026, 1, 2, 12, 0, tzinfo=datetime.UTC)

DIFFERENCES = [
    pytest.param(1e16, b"1e16", b"1e+16", id="float-spelling"),
    pytest.param(UTC_NOON, b'"2026-01-02T12:00:00Z"', b'"2026-01-02T12:00:00+00:00"', id="utc-datetime"),
    pytest.param({3, 1, 2}, None, b"[1,2,3]", id="set-order"),
    pytest.param(Colour.RED, b'"red"', TypeError, id="enum"),
    pytest.param(b"\x00\x01", b'"AAE="', TypeError, id="bytes"),
]


@pytest.mark.parametrize(("value", "with_msgspec", "with_json"), DIFFERENCES)
def test_documented_differences(value: Any, with_msgspec: Any, with_json: Any, codec: str) -> None:
    expected = with_msgspec if codec == "msgspec" else with_json
    if expected is TypeError:
        with pytest.raises(TypeError):
            _json.dumps(value)
        return
    encoded = _json.dumps(value)
    if expected is None:  # iteration order: the same members, whatever the order
        assert sorted(json.loads(encoded)) == sorted(value)
    else:
        assert encoded == expected
    if isinstance(value, float):
        assert json.loads(encoded) == value  # spelled differently, the same number


# -- the codecs agree --------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(st.characters(exclude_categories=["Cs"])),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(st.characters(exclude_categories=["Cs"]), max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)


@pytest.mark.skipif(not HAVE_MSGSPEC, reason="msgspec is not installed (pip install wsgikit[json])")
@settings(max_examples=300, deadline=None)
@given(value=json_values)
def test_both_codecs_write_the_same_bytes(value: Any) -> None:
    assert with_codec("msgspec", _json.dumps, value) == with_codec("json", _json.dumps, value)


@pytest.mark.skipif(not HAVE_MSGSPEC, reason="msgspec is not installed (pip install wsgikit[json])")
@settings(max_examples=300, deadline=None)
@given(number=st.floats(allow_nan=False, allow_infinity=False))
def test_floats_round_trip_with_both_codecs(number: float) -> None:
    for name in INSTALLED:
        assert with_codec(name, _json.loads, with_codec(name, _json.dumps, number)) == number


json_like_bytes = st.one_of(
    st.binary(max_size=40),
    st.text(alphabet='{}[]:,"\\ 0123456789.eE+-truefalsnNIiy\t\n\x00\x1fé\ufeff', max_size=40).map(
        str.encode
    ),
    json_values.map(lambda value: json.dumps(value).encode()),
)


@pytest.mark.skipif(not HAVE_MSGSPEC, reason="msgspec is not installed (pip install wsgikit[json])")
@settings(max_examples=1000, deadline=None)
@given(data=json_like_bytes)
def test_both_codecs_accept_and_refuse_the_same_bodies(data: bytes) -> None:
    fast = with_codec("msgspec", outcome, _json.loads, data)
    slow = with_codec("json", outcome, _json.loads, data)
    if fast[0] == "value" and isinstance(fast[1], float) and math.isnan(fast[1]):  # pragma: no cover
        assert slow[0] == "value" and math.isnan(slow[1])
    else:
        assert fast == slow


# -- through wsgify and req.json ---------------------------------------------------------------------------


def test_wsgify_answers_through_the_codec(codec: str) -> None:
    res = TestApp(wsgify(lambda req: {"n": 2**70, "ratio": math.nan, "name": "café"})).get("/")
    assert res.body == '{"n":1180591620717411303424,"ratio":null,"name":"café"}'.encode()
    assert int(res.headers["Content-Length"]) == len(res.body)


@pytest.mark.parametrize("body", [b'{"a": NaN}', b"[-Infinity]", b"[1,]", b"\xff", b"[" * 5_000])
def test_req_json_refusals_are_400_with_either_codec(body: bytes, codec: str) -> None:
    res = TestApp(wsgify(lambda req: {"got": req.json})).post(
        "/", body, content_type="application/json", status=400
    )
    assert res.json["status"] == 400


def test_req_json_keeps_big_integers(codec: str) -> None:
    res = TestApp(wsgify(lambda req: {"got": req.json})).post(
        "/", b'{"n": 123456789012345678901234567890}', content_type="application/json"
    )
    assert res.body == b'{"got":{"n":123456789012345678901234567890}}'
