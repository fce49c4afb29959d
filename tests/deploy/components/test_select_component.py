from __future__ import annotations

import pytest

from wsgikit.deploy import ConfigError, ConfigLookupError, loadapp
from wsgikit.deploy.loader import load
from wsgikit.testing import TestApp

SELECT = (
    "[DEFAULT]\n"
    "auth_strategy = {choice}\n"
    "[composite:main]\n"
    "use = egg:wsgikit#select\n"
    "key = %(auth_strategy)s\n"
    "keystone = outer inner api\n"
    "noauth = inner api\n"
    "[filter:outer]\npaste.filter_factory = kitapps:tag_factory\ntag = outer\n"
    "[filter:inner]\npaste.filter_factory = kitapps:tag_factory\ntag = inner\n"
    "[app:api]\npaste.app_factory = kitapps:echo_factory\nname = api\n"
)


@pytest.mark.parametrize(("choice", "tags"), [("keystone", ["outer", "inner"]), ("noauth", ["inner"])])
def test_the_key_picks_the_pipeline(tmp_path: pytest.TempPathFactory, choice: str, tags: list[str]) -> None:
    ini = tmp_path / "s.ini"  # type: ignore[operator]
    ini.write_text(SELECT.format(choice=choice))
    app, session = load(f"config:{ini}")
    assert TestApp(app).get("/").json["tags"] == tags  # outermost first
    tree = session.tree
    assert tree is not None and tree.detail == f"key = {choice}"
    assert [child.name for child in tree.children] == [*(f"filter:{t}" for t in tags), "app:api"]


def test_unknown_choice_lists_the_valid_ones(tmp_path: pytest.TempPathFactory) -> None:
    ini = tmp_path / "s.ini"  # type: ignore[operator]
    ini.write_text(SELECT.format(choice="keystnoe"))
    with pytest.raises(ConfigError) as caught:
        loadapp(f"config:{ini}")
    error = caught.value
    assert (error.line, error.section, error.key) == (5, "composite:main", "key")
    assert "did you mean 'keystone'?" in error.message
    assert "valid choices: keystone, noauth" in error.message


def test_missing_filter_in_the_chosen_pipeline(tmp_path: pytest.TempPathFactory) -> None:
    ini = tmp_path / "s.ini"  # type: ignore[operator]
    ini.write_text(SELECT.format(choice="keystone").replace("keystone = outer", "keystone = outr"))
    with pytest.raises(ConfigLookupError) as caught:
        loadapp(f"config:{ini}")
    assert (caught.value.line, caught.value.key) == (6, "keystone")
    assert "did you mean 'outer'?" in caught.value.message


def test_key_is_required(tmp_path: pytest.TempPathFactory) -> None:
    ini = tmp_path / "s.ini"  # type: ignore[operator]
    ini.write_text(
        "[composite:main]\nuse = egg:wsgikit#select\na = api\n[app:api]\nuse = egg:wsgikit#healthcheck\n"
    )
    with pytest.raises(ConfigError) as caught:
        loadapp(f"config:{ini}")
    assert (caught.value.section, caught.value.key) == ("composite:main", "key")
