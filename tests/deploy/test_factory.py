"""One factory shape: filter_factory_for / app_factory_for build a component's PasteDeploy factory from its
class and the class's OPTIONS table."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from wsgikit.deploy.check import options_table_for
from wsgikit.deploy.factory import app_factory_for, filter_factory_for
from wsgikit.options import REQUIRED, ConfigError, Option, OptionTable, to_int, to_path
from wsgikit.testing import TestApp
from wsgikit.types import StartResponse, WSGIApplication, WSGIEnvironment, WSGIIterable


def hello(environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
    start_response("200 OK", [("Content-Type", "text/plain")])  # no length: Repeat changes it
    return [b"hello"]


class Repeat:
    """A filter whose body is the inner one ``times`` times; ``low`` may not exceed ``times``."""

    OPTIONS = OptionTable(
        "repeat",
        Option("times", to_int(1, 5), 1, "how often"),
        Option("low", to_int(0), 0, "at most times"),
        Option("note", to_path, None, "a file, relative to the ini file"),
    )
    built: list[Repeat] = []

    def __init__(
        self,
        app: WSGIApplication,
        *,
        times: int = OPTIONS.default("times"),
        low: int = OPTIONS.default("low"),
        note: str | None = OPTIONS.default("note"),
    ) -> None:
        self.OPTIONS.validate(times=times, low=low, note=note)
        if low > times:
            raise ValueError(f"low: {low} is more than times ({times})")
        if times == 5 and low == 5:
            raise ValueError("five and five: about no option")
        self.app, self.times, self.note = app, times, note
        Repeat.built.append(self)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        return [b"".join(self.app(environ, start_response))] * self.times


def test_the_filter_factory_converts_builds_once_to_check_and_then_per_application() -> None:
    factory = filter_factory_for(Repeat)
    assert factory.options is Repeat.OPTIONS is options_table_for(factory)  # type: ignore[attr-defined]
    Repeat.built.clear()
    make = factory({"here": "/etc/app"}, times="3", note="notes.txt")
    assert len(Repeat.built) == 1  # the check at load time, around a stand-in application
    assert TestApp(make(hello)).get("/").body == b"hello" * 3
    assert TestApp(make(hello)).get("/").body == b"hello" * 3
    assert len(Repeat.built) == 3  # one more per application it is applied to
    assert Repeat.built[-1].note == "notes.txt"  # not a declared path: left as written


def test_paths_are_resolved_against_the_ini_files_directory_and_prepare_runs_last() -> None:
    seen: list[dict[str, Any]] = []

    def prepare(options: dict[str, Any], global_conf: Mapping[str, Any]) -> dict[str, Any]:
        seen.append(dict(options))
        return {**options, "times": 2}

    make = filter_factory_for(Repeat, paths=("note",), prepare=prepare)({"here": "/etc/app"}, note="n.txt")
    assert seen == [{"note": str(Path("/etc/app/n.txt"))}]
    assert TestApp(make(hello)).get("/").body == b"hello" * 2


@pytest.mark.parametrize(
    ("local_conf", "key", "message"),
    [
        ({"times": "9"}, "times", "must be at most 5, got 9"),  # the table, converting
        ({"times": "2", "low": "3"}, "low", "3 is more than times (2)"),  # the class, checking at load
        ({"tims": "2"}, "tims", "unknown option for repeat; did you mean 'times'?"),
    ],
)
def test_errors_are_config_errors_at_the_key(local_conf: dict[str, str], key: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        filter_factory_for(Repeat)({"__file__": "paste.ini"}, **local_conf)
    assert (caught.value.key, caught.value.message) == (key, message)


def test_a_value_error_about_no_option_is_left_to_the_loader() -> None:
    with pytest.raises(ValueError, match=r"^five and five") as caught:
        filter_factory_for(Repeat)({}, times="5", low="5")
    assert not isinstance(caught.value, ConfigError)


class Page:
    OPTIONS = OptionTable("page", Option("text", str, REQUIRED, "the body"))

    def __init__(self, *, text: str) -> None:
        self.body = text.encode()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> WSGIIterable:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(self.body)))])
        return [self.body]


def test_the_app_factory_builds_the_class_from_the_section() -> None:
    factory = app_factory_for(Page)
    assert factory.options is Page.OPTIONS  # type: ignore[attr-defined]
    assert TestApp(factory({}, text="hi")).get("/").body == b"hi"
    with pytest.raises(ConfigError, match="required option for page is missing"):
        factory({})
