"""``egg:wsgikit#wsgi``: any WSGI callable by name; a bad name fails at load time and in ``wsgikit check``."""

from __future__ import annotations

from pathlib import Path

import pytest

from wsgikit.deploy import ConfigError, check_config, loadapp
from wsgikit.deploy.components import wsgi as wsgi_component
from wsgikit.testing import TestApp


def test_the_callable_is_used_as_it_is(tmp_path: Path) -> None:
    ini = tmp_path / "paste.ini"
    ini.write_text("[app:main]\nuse = egg:wsgikit#wsgi\napp = kitapps:plain_app\n")
    import kitapps

    assert loadapp(f"config:{ini}") is kitapps.plain_app
    assert TestApp(loadapp(f"config:{ini}")).get("/x").text == "plain /x"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        pytest.param("no_such_module_here:app", "cannot import module", id="module"),
        pytest.param("kitapps:no_such_thing", "has no attribute", id="attribute"),
        pytest.param("kitapps:BUILT", "not callable", id="not-callable"),
        pytest.param("kitapps", "expected 'package.module:callable'", id="no-attribute"),
    ],
)
def test_bad_names_fail_at_load_and_in_check(tmp_path: Path, value: str, fragment: str) -> None:
    ini = tmp_path / "paste.ini"
    ini.write_text(f"[app:main]\nuse = egg:wsgikit#wsgi\n\napp = {value}\n")
    with pytest.raises(ConfigError, match=fragment) as caught:
        loadapp(f"config:{ini}")
    assert (caught.value.section, caught.value.key, caught.value.line) == ("app:main", "app", 4)
    [problem] = check_config(str(ini))
    assert str(problem).startswith(f"{ini}:4 [app:main] app: ")
    assert fragment in problem.message


def test_missing_and_unknown_keys() -> None:
    with pytest.raises(ConfigError, match="required"):
        wsgi_component.app_factory({})
    with pytest.raises(ConfigError, match="did you mean 'app'"):
        wsgi_component.app_factory({}, ap="kitapps:plain_app")


def test_the_anywsgi_example_checks_clean() -> None:
    example = Path(__file__).resolve().parents[3] / "examples" / "anywsgi" / "paste.ini"
    assert check_config(str(example)) == []
