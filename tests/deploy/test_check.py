from __future__ import annotations

import glob
import os
import re

import pytest

from wsgikit.cli import main as cli_main
from wsgikit.deploy import ConfigError, Problem, check_config, loadapp
from wsgikit.deploy.check import load_problems

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BROKEN = sorted(glob.glob(os.path.join(ROOT, "tests", "data", "broken", "*.ini")))
PASTE_CONFIGS = sorted(glob.glob(os.path.join(ROOT, "paste-configs", "*.ini")))
EXPECT_RE = re.compile(
    r"^# expect: (?P<line>\d+) \[(?P<section>[^]]+)\] (?P<key>[^:]+): (?P<fragment>.+)$", re.M
)


def expectation(path: str) -> re.Match[str]:
    with open(path, encoding="utf-8") as stream:
        match = EXPECT_RE.search(stream.read())
    assert match is not None, f"{path} has no '# expect:' line"
    return match


def test_the_corpus_covers_every_kind_of_mistake() -> None:
    names = {os.path.basename(path)[:-4] for path in BROKEN}
    assert names >= {
        "typo_option",
        "unknown_entry_point",
        "missing_section",
        "cycle",
        "ends_in_filter",
        "bad_percent",
        "bad_value",
        "default_shadowing",
        "unknown_select_choice",
    }


@pytest.mark.parametrize("path", BROKEN, ids=lambda path: os.path.basename(path))
def test_broken_config_is_reported_where_it_is_wrong(path: str) -> None:
    expected = expectation(path)
    problems = check_config(path)
    assert len(problems) == 1, [str(problem) for problem in problems]
    (problem,) = problems
    assert problem.file == path
    assert (problem.line, problem.section, problem.key) == (
        int(expected["line"]),
        expected["section"],
        expected["key"],
    )
    assert expected["fragment"] in problem.message
    assert str(problem).startswith(f"{path}:{expected['line']} [{expected['section']}] {expected['key']}: ")


@pytest.mark.parametrize("path", BROKEN, ids=lambda path: os.path.basename(path))
def test_loading_fails_at_the_same_place(path: str, caplog: pytest.LogCaptureFixture) -> None:
    """What `check` reports is what start-up fails with (shadowing loads, with a logged warning)."""
    expected = expectation(path)
    if "shadowing" in path:
        loadapp(f"config:{path}")
        (record,) = [r for r in caplog.records if r.name == "wsgikit.deploy"]
        assert f":{expected['line']} [{expected['section']}] {expected['key']}: " in record.getMessage()
        return
    with pytest.raises(ConfigError) as caught:
        loadapp(f"config:{path}")
    error = caught.value
    assert (error.file, error.line, error.section, error.key) == (
        path,
        int(expected["line"]),
        expected["section"],
        expected["key"],
    )


@pytest.mark.parametrize("path", PASTE_CONFIGS, ids=lambda path: os.path.basename(path))
def test_shipped_configs_are_clean(path: str) -> None:
    assert check_config(path) == []


def test_every_problem_in_one_pass(tmp_path: pytest.TempPathFactory) -> None:
    ini = tmp_path / "many.ini"  # type: ignore[operator]
    ini.write_text(
        "[DEFAULT]\n"
        "level = 9\n"
        "[pipeline:main]\n"
        "pipeline = gzip missing api\n"
        "[filter:gzip]\n"
        "use = egg:wsgikit#gzip\n"
        "level = 2\n"
        "minimum_size = big\n"
        "flsh = true\n"
        "[app:api]\n"
        "use = egg:wsgikit#router\n"
        "[app:other]\n"
        "use = egg:nosuchdist#app\n"
        "[filter:pct]\n"
        "use = egg:wsgikit#request_id\n"
        "header = ${ENV:WSGIKIT_TEST_UNSET_VARIABLE}\n"
        "[uwsgi]\n"
        "paste = config:%(here)s/many.ini\n"
    )
    found = {(p.line, p.section, p.key, p.severity) for p in check_config(str(ini), environ={})}
    assert found == {
        (4, "pipeline:main", "pipeline", "error"),  # missing
        (7, "filter:gzip", "level", "warning"),  # shadowed by DEFAULT
        (8, "filter:gzip", "minimum_size", "error"),  # bad size
        (9, "filter:gzip", "flsh", "error"),  # typo of flush
        (10, "app:api", "mapper", "error"),  # required option missing (section line)
        (13, "app:other", "use", "error"),  # unknown distribution
        (16, "filter:pct", "header", "error"),  # unset environment variable
    }


def test_env_values_are_checked_with_the_given_environment(tmp_path: pytest.TempPathFactory) -> None:
    ini = tmp_path / "env.ini"  # type: ignore[operator]
    ini.write_text("[filter:gzip]\nuse = egg:wsgikit#gzip\nlevel = ${ENV:GZ_LEVEL:-6}\n")
    assert check_config(str(ini), environ={}) == []
    (problem,) = check_config(str(ini), environ={"GZ_LEVEL": "eleven"})
    assert (problem.line, problem.key) == (3, "level")


def test_select_checks_every_choice_and_use_chains(tmp_path: pytest.TempPathFactory) -> None:
    ini = tmp_path / "select.ini"  # type: ignore[operator]
    ini.write_text(
        "[composite:main]\n"
        "use = egg:wsgikit#select\n"
        "key = a\n"
        "a = base\n"
        "b = nofilter base\n"
        "[app:base]\n"
        "use = egg:wsgikit#healthcheck\n"
        "[app:derived]\n"
        "use = base\n"
        "detailed = maybe\n"
        "[app:loop1]\n"
        "use = loop2\n"
        "[app:loop2]\n"
        "use = loop1\n"
    )
    found = {(p.line, p.section, p.key) for p in check_config(str(ini))}
    assert (5, "composite:main", "b") in found
    assert (10, "app:derived", "detailed") in found
    assert any(section in ("app:loop1", "app:loop2") and key == "use" for _, section, key in found)


def test_missing_file_is_one_problem(tmp_path: pytest.TempPathFactory) -> None:
    (problem,) = check_config(str(tmp_path / "absent.ini"))  # type: ignore[operator]
    assert isinstance(problem, Problem) and "cannot read" in problem.message


def test_test_configs_are_clean() -> None:
    """Including a `use = config:` composite whose references live in the other file."""
    configs = sorted(glob.glob(os.path.join(ROOT, "tests", "data", "configs", "*.ini")))
    assert len(configs) >= 5
    for path in configs:
        assert check_config(path) == [], path


# -- check --load: what only building finds --------------------------------------------------------------

ACCESS_LOG_INI = """\
[pipeline:main]
pipeline = access_log hello

[filter:access_log]
use = egg:wsgikit#access_log
file = logs/access.log

[app:hello]
use = egg:wsgikit-hello
"""


def test_load_finds_what_only_a_factory_can(tmp_path) -> None:
    config = tmp_path / "api.ini"
    config.write_text(ACCESS_LOG_INI, encoding="utf-8")
    (missing_dir,) = check_config(str(config))  # the directory is missing: check finds it without loading
    assert (missing_dir.line, missing_dir.key) == (6, "file")
    assert missing_dir.message == (
        f"cannot open {tmp_path / 'logs' / 'access.log'}: "
        f"No such file or directory ({tmp_path / 'logs'} is missing)"
    )
    (tmp_path / "logs" / "access.log").mkdir(
        parents=True
    )  # the directory is there, the file cannot be opened
    assert check_config(str(config)) == []
    (problem,) = load_problems(str(config))
    assert (problem.file, problem.line, problem.section, problem.key) == (
        str(config),
        6,
        "filter:access_log",
        "file",
    )
    assert "cannot open" in problem.message
    (tmp_path / "logs" / "access.log").rmdir()
    assert load_problems(f"config:{config}") == []


def test_load_turns_a_third_party_exception_into_a_problem(tmp_path, monkeypatch) -> None:
    (tmp_path / "flaky_factory.py").write_text(
        "def make(global_conf, **local_conf):\n    raise RuntimeError('database unreachable')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    config = tmp_path / "api.ini"
    config.write_text("[app:main]\nuse = call:flaky_factory:make\n", encoding="utf-8")
    assert check_config(str(config)) == []
    (problem,) = load_problems(str(config))
    assert "database unreachable" in problem.message
    assert problem.section == "app:main"


def test_check_command_load(tmp_path, capsys) -> None:
    config = tmp_path / "api.ini"
    config.write_text(ACCESS_LOG_INI, encoding="utf-8")
    (tmp_path / "logs" / "access.log").mkdir(parents=True)
    assert cli_main(["check", str(config)]) == 0
    assert cli_main(["check", "--load", str(config)]) == 1
    out = capsys.readouterr().out
    assert "[filter:access_log] file: cannot open" in out
    (tmp_path / "logs" / "access.log").rmdir()
    assert cli_main(["check", "--load", f"{config}#main"]) == 0


def test_check_command_does_not_load_a_config_with_errors(tmp_path, capsys) -> None:
    config = tmp_path / "api.ini"
    config.write_text(ACCESS_LOG_INI.replace("file =", "fiel ="), encoding="utf-8")
    assert cli_main(["check", "--load", str(config)]) == 1
    out = capsys.readouterr().out
    assert "fiel: unknown option for access_log; did you mean 'file'?" in out
    assert len(out.strip().splitlines()) == 1


def test_check_finds_options_that_exclude_each_other(tmp_path) -> None:
    config = tmp_path / "api.ini"
    config.write_text(ACCESS_LOG_INI.replace("file = logs/access.log", "file = a.log\nlevel = INFO"))
    (problem,) = check_config(str(config))
    assert (problem.line, problem.section, problem.key) == (7, "filter:access_log", "level")
    assert problem.message == "lines go to a file or to a logger; give file or level, not both"


DOTTED_FACTORY_INI = """\
[composite:main]
use = egg:wsgikit#urlmap
/v2.1 = api

[app:api]
paste.app_factory = dotted_factory_app:Router.factory
"""


def test_check_and_show_follow_a_dotted_factory_as_the_loader_does(tmp_path, monkeypatch) -> None:
    """nova writes ``paste.app_factory = nova.api.openstack.compute:APIRouterV21.factory``: an entry-point
    value whose attribute is dotted. PasteDeploy's loader imports it; ``check`` and ``show`` must agree."""
    (tmp_path / "dotted_factory_app.py").write_text(
        "class Router:\n"
        "    @classmethod\n"
        "    def factory(cls, global_conf, **local_conf):\n"
        "        def app(environ, start_response):\n"
        "            start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "            return [b'routed']\n"
        "        return app\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    config = tmp_path / "api-paste.ini"
    config.write_text(DOTTED_FACTORY_INI, encoding="utf-8")
    assert check_config(str(config)) == []
    assert loadapp(f"config:{config}") is not None
    from wsgikit.deploy.structure import structure

    api = next(piece for piece in structure(str(config)).walk() if piece.name == "app:api")
    assert api.problem is None
    # a dotted name that does not exist is still reported, naming what is missing
    config.write_text(DOTTED_FACTORY_INI.replace("Router.factory", "Router.nope"), encoding="utf-8")
    (problem,) = check_config(str(config))
    assert (problem.section, problem.key) == ("app:api", "paste.app_factory")
    assert "cannot import 'dotted_factory_app:Router.nope'" in problem.message and "nope" in problem.message
    api = next(piece for piece in structure(str(config)).walk() if piece.name == "app:api")
    assert api.problem is not None and "nope" in api.problem
