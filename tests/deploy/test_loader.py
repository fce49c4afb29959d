from __future__ import annotations

import logging
import os

import pytest

from wsgikit.deploy import (
    ConfigError,
    ConfigLookupError,
    Problem,
    check_config,
    loadapp,
    loadfilter,
    loadserver,
)
from wsgikit.deploy.loader import IniIndex, load
from wsgikit.testing import TestApp

CONFIGS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "configs")


def config(name: str) -> str:
    return f"config:{os.path.join(CONFIGS, name)}"


def test_a_section_referenced_several_times_is_built_once() -> None:
    import kitapps

    app, session = load(config("shared.ini"))
    assert kitapps.BUILT == ["api"]
    client = TestApp(app)
    assert client.get("/a/x").json["script_name"] == "/a"
    assert client.get("/c/x").json["tags"] == ["outer"]
    mounts = {mount.prefix: mount.app for mount in app.mounts}
    assert mounts["/a"] is mounts["/b"]
    assert [node.shared for node in session.tree.children] == [False, True, False]  # type: ignore[union-attr]


def test_plain_pastedeploy_builds_it_three_times() -> None:
    """The behaviour being fixed (so that the test above means something)."""
    import kitapps
    from paste.deploy import loadapp as paste_loadapp

    paste_loadapp(config("shared.ini"))
    assert kitapps.BUILT == ["api", "api", "api"]


def test_env_values_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KIT_STRATEGY", raising=False)
    monkeypatch.delenv("KIT_NAME", raising=False)
    assert TestApp(config("env.ini")).get("/").json["tags"] == ["b"]
    monkeypatch.setenv("KIT_STRATEGY", "a")
    monkeypatch.setenv("KIT_TAG", "pct")
    monkeypatch.setenv("KIT_NAME", "100%(here)s")  # the environment's text is never %-interpolated
    answer = TestApp(config("env.ini")).get("/").json
    assert answer["tags"] == ["pct"]
    assert answer["app"] == "100%(here)s"


def test_empty_env_value_takes_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIT_STRATEGY", "")
    assert TestApp(config("env.ini")).get("/").json["tags"] == ["b"]


def test_unset_env_without_default_names_the_key(
    tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KIT_MISSING", raising=False)
    ini = tmp_path / "e.ini"  # type: ignore[operator]
    ini.write_text("[app:main]\npaste.app_factory = kitapps:echo_factory\nname = ${ENV:KIT_MISSING}\n")
    with pytest.raises(ConfigError) as caught:
        loadapp(f"config:{ini}")
    assert (caught.value.line, caught.value.section, caught.value.key) == (3, "app:main", "name")
    assert "KIT_MISSING" in caught.value.message


def test_shadowed_key_is_logged(tmp_path: pytest.TempPathFactory, caplog: pytest.LogCaptureFixture) -> None:
    ini = tmp_path / "s.ini"  # type: ignore[operator]
    ini.write_text(
        "[DEFAULT]\nname = global\n[app:main]\npaste.app_factory = kitapps:echo_factory\nname = local\n"
    )
    with caplog.at_level(logging.WARNING, logger="wsgikit.deploy"):
        app, session = load(f"config:{ini}")
    assert TestApp(app).get("/").json["app"] == "echo"  # PasteDeploy semantics kept: the local is dropped
    (warning,) = session.warnings
    assert (warning.line, warning.section, warning.key) == (5, "app:main", "name")
    assert "set name" in caplog.text


def test_use_config_keeps_the_other_files_references() -> None:
    """PasteDeploy resolves a composite reached through `use = config:` in the wrong file."""
    client = TestApp(config("outer.ini"))
    assert client.get("/a/x").json["app"] == "api"


FIELDS = ("text", "line", "section", "key", "fragment")
CASES = [
    ("[app:main]\nuse = egg:wsgikit#nope\n", 2, "app:main", "use", "no application entry point"),
    ("[app:main]\nuse = egg:wsgikit#gzip\n", 2, "app:main", "use", "not a application"),
    ("[app:main]\nuse = call:kitapps:nope\n", 2, "app:main", "use", "cannot import"),
    ("[app:main]\nuse = call:no_such_module_x:f\n", 2, "app:main", "use", "cannot import"),
    (
        "[app:main]\npaste.app_factory = kitapps:nope\n",
        2,
        "app:main",
        "paste.app_factory",
        "cannot import",
    ),
    ("[app:main]\nuse = other\n", 2, "app:main", "use", "no section for app 'other'"),
    ("[app:main]\nx = 1\n", 1, "app:main", None, "nothing says what to build"),
    ("[pipeline:main]\npipeline =\n", 2, "pipeline:main", "pipeline", "empty"),
    ("[pipeline:main]\npipeline = a\nextra = 1\n", 3, "pipeline:main", "extra", "only 'pipeline'"),
    ("[app:main]\npaste.app_factory = kitapps:echo_factory\nnmae = x\n", 3, "app:main", "nmae", "nmae"),
    (
        "[app:main]\npaste.app_factory = kitapps:echo_factory\nfilter-with = t\n"
        "[filter:t]\npaste.filter_factory = kitapps:tag_factory\ntag = 1-x\n",
        6,
        "filter:t",
        "tag",
        "identifier",
    ),
    (
        "[app:main]\npaste.app_factory = kitapps:echo_factory\nget greeting = nope\n",
        3,
        "app:main",
        "get greeting",
        "no global",
    ),
    ("[filter-app:main]\nuse = egg:wsgikit#gzip\n", 1, "filter-app:main", None, "needs 'next"),
    (
        "[app:main]\npaste.app_factory = kitapps:echo_factory\n"
        "paste.composite_factory = kitapps:echo_factory\n",
        3,
        "app:main",
        "paste.composite_factory",
        "keep one",
    ),
    (
        "[app:main]\nuse = egg:wsgikit-hello\n[composite:main]\nuse = egg:wsgikit#urlmap\n",
        None,
        None,
        None,
        "ambiguous",
    ),
    ("[app:main]\nuse = config:other.ini#nope\n", 2, "app:main", "use", "cannot read"),
    (
        "[app:main]\npaste.app_factory = kitapps:echo_factory\nfilter-with = nope\n",
        3,
        "app:main",
        "filter-with",
        "no section for filter 'nope'",
    ),
    (
        "[app:main]\npaste.app_factory = kitapps:echo_factory\nrequire = no-such-dist\n",
        3,
        "app:main",
        "require",
        "no-such-dist",
    ),
    (
        "[app:main]\nuse = a\n[app:a]\nuse = main\n",
        4,
        "app:a",
        "use",
        "reference cycle: [app:main] -> [app:a]",
    ),
    (
        "[composite:main]\nuse = egg:wsgikit#urlmap\n/health = main\n",
        3,
        "composite:main",
        "/health",
        "reference cycle: [composite:main] -> [composite:main]",
    ),
]
CASE_IDS = [
    "unknown-entry-point",
    "filter-used-as-app",
    "bad-call-attribute",
    "bad-call-module",
    "bad-explicit-factory",
    "missing-used-section",
    "no-factory",
    "empty-pipeline",
    "pipeline-extra-key",
    "factory-type-error",
    "middleware-value-error",
    "get-without-global",
    "filter-app-without-next",
    "two-factories",
    "ambiguous-section",
    "config-reference-to-a-missing-file",
    "filter-with-missing",
    "require-missing",
    "use-cycle",
    "composite-refers-to-itself",
]
LOCATED_ERRORS = pytest.mark.parametrize(FIELDS, CASES, ids=CASE_IDS)


@LOCATED_ERRORS
def test_errors_are_located(
    tmp_path: pytest.TempPathFactory, text: str, line: int, section: str, key: str | None, fragment: str
) -> None:
    ini = tmp_path / "bad.ini"  # type: ignore[operator]
    ini.write_text(text)
    with pytest.raises(ConfigError) as caught:
        loadapp(f"config:{ini}")
    error = caught.value
    assert (error.file, error.line, error.section, error.key) == (str(ini), line, section, key)
    assert fragment in error.message


# What only building finds: the factory itself rejects its keys (`wsgikit check --load` reports those).
BUILD_TIME_ONLY = {"factory-type-error", "middleware-value-error"}


@pytest.mark.parametrize(
    FIELDS,
    [case for case, id in zip(CASES, CASE_IDS, strict=True) if id not in BUILD_TIME_ONLY],
    ids=[id for id in CASE_IDS if id not in BUILD_TIME_ONLY],
)
def test_check_reports_what_loading_raises(
    tmp_path: pytest.TempPathFactory, text: str, line: int, section: str, key: str | None, fragment: str
) -> None:
    """`wsgikit check` resolves sections with the loader's own resolution: every problem loading stops at
    is among check's problems, word for word and at the same place."""
    ini = tmp_path / "bad.ini"  # type: ignore[operator]
    ini.write_text(text)
    with pytest.raises(ConfigError) as caught:
        loadapp(f"config:{ini}")
    problems = check_config(str(ini), name="main")
    assert Problem.from_error(caught.value) in problems, problems


def test_missing_things_are_also_lookup_errors(tmp_path: pytest.TempPathFactory) -> None:
    ini = tmp_path / "m.ini"  # type: ignore[operator]
    ini.write_text("[app:other]\nuse = egg:wsgikit#healthcheck\n")
    with pytest.raises(LookupError) as caught:  # what nova's Loader catches
        loadapp(f"config:{ini}")
    assert isinstance(caught.value, ConfigLookupError)
    assert "did you mean" not in caught.value.message or "other" in caught.value.message


def test_missing_file(tmp_path: pytest.TempPathFactory) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        loadapp(f"config:{tmp_path}/absent.ini")  # type: ignore[operator]


def test_relative_uri_and_name() -> None:
    app = loadapp("config:shared.ini", name="tagged", relative_to=CONFIGS)
    assert TestApp(app).get("/").json["tags"] == ["outer"]


def test_egg_and_call_uris() -> None:
    assert callable(loadapp("egg:wsgikit#healthcheck"))
    assert callable(
        loadfilter("egg:wsgikit#versions", global_conf={}) if False else loadfilter("egg:wsgikit#request_id")
    )
    with pytest.raises(ConfigLookupError, match="did you mean 'healthcheck'"):
        loadapp("egg:wsgikit#healthchek")
    with pytest.raises(ConfigError, match="no scheme"):
        loadapp("paste.ini")


def test_loadserver_returns_a_server_callable(tmp_path: pytest.TempPathFactory) -> None:
    ini = tmp_path / "srv.ini"  # type: ignore[operator]
    ini.write_text("[server:main]\nuse = egg:wsgikit#waitress\nport = 0\n")
    assert callable(loadserver(f"config:{ini}"))  # not called: that would serve
    with pytest.raises(ConfigLookupError, match="server"):
        loadserver(f"config:{ini}", name="other")


def test_ini_index_lines() -> None:
    index = IniIndex("# c\n[a]\nx = 1\n  continued = no\n; c\ny: 2\n\n[b]\n/v2.1/+ = api\n")
    assert index.line_of("a") == 2
    assert index.line_of("a", "x") == 3
    assert index.line_of("a", "continued") == 2
    assert index.line_of("a", "y") == 6
    assert index.line_of("b", "/v2.1/+") == 9
    assert index.line_of("nope") is None


def test_wsgikit_composites_work_under_plain_pastedeploy(monkeypatch: pytest.MonkeyPatch) -> None:
    """`egg:wsgikit#urlmap` / `#select` in any PasteDeploy loader (gunicorn --paste, uwsgi --paste)."""
    from paste.deploy import loadapp as paste_loadapp

    monkeypatch.setenv("KIT_AUTH_STRATEGY", "noauth2")
    app = paste_loadapp(config("nova-api-paste.ini#osapi_compute"))
    client = TestApp(app)
    assert client.get("/").json["app"] == "versions"
    assert client.get("/v2.1/items/3").json["id"] == "3"


@pytest.mark.parametrize(
    ("pipeline_section", "key"),
    [("pipeline = hello\nlevel = 3\n", "level"), ("pipe = hello\n", "pipeline")],
    ids=["extra-setting", "no-pipeline-key"],
)
def test_pipeline_errors_pastedeploy_raises_as_lookuperror_stay_lookuperrors(tmp_path, pipeline_section, key):
    """PasteDeploy raises LookupError for these: ``except LookupError`` written against it still works."""
    config = tmp_path / "p.ini"
    config.write_text(f"[pipeline:main]\n{pipeline_section}\n[app:hello]\nuse = egg:wsgikit-hello\n", "utf-8")
    with pytest.raises(LookupError) as caught:
        loadapp(f"config:{config}")
    assert isinstance(caught.value, ConfigError)
    assert (caught.value.section, caught.value.key, caught.value.line) == (
        "pipeline:main",
        key,
        3 if key == "level" else 1,
    )
