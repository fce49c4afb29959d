"""``egg:Paste#...``: check names the ``egg:wsgikit#...`` that replaces it, and says so when none does."""

from __future__ import annotations

import pytest

from wsgikit.deploy import ConfigLookupError, check_config, loadapp
from wsgikit.deploy.paste_compat import PASTE_REPLACEMENTS, replacement


@pytest.mark.parametrize(
    ("section", "name", "instead"),
    [
        ("composite:main", "urlmap", "egg:wsgikit#urlmap"),
        ("filter:gz", "gzip", "egg:wsgikit#gzip"),
        ("filter:log", "translogger", "egg:wsgikit#translogger"),
        ("filter:errors", "error_catcher", "egg:wsgikit#error_catcher"),
        ("filter:auth", "auth_basic", "egg:wsgikit#auth_basic"),
        ("composite:main", "cascade", "egg:wsgikit#cascade"),
    ],
)
def test_check_suggests_the_wsgikit_entry_point(tmp_path, section: str, name: str, instead: str) -> None:
    config = tmp_path / "paste.ini"
    config.write_text(f"[{section}]\nuse = egg:Paste#{name}\n", encoding="utf-8")
    (problem,) = [p for p in check_config(str(config)) if p.key == "use"]
    assert (problem.line, problem.section) == (2, section)
    assert problem.message.endswith(f"use = {instead} replaces egg:Paste#{name}")


def test_a_paste_entry_point_without_replacement_says_so(tmp_path) -> None:
    config = tmp_path / "paste.ini"
    config.write_text("[filter:debug]\nuse = egg:Paste#evalerror\n", encoding="utf-8")
    (problem,) = check_config(str(config))
    assert "wsgikit has no replacement for 'evalerror'" in problem.message
    assert "did you mean" not in problem.message


def test_the_loader_raises_the_same_as_a_lookuperror(tmp_path) -> None:
    config = tmp_path / "paste.ini"
    config.write_text("[composite:main]\nuse = egg:Paste#urlmap\n/ = x\n", encoding="utf-8")
    with pytest.raises(LookupError) as error:
        loadapp(f"config:{config}")
    assert isinstance(error.value, ConfigLookupError)
    assert "use = egg:wsgikit#urlmap replaces egg:Paste#urlmap" in str(error.value)


def test_every_replacement_is_a_wsgikit_entry_point() -> None:
    import importlib.metadata

    names = {entry.name for entry in importlib.metadata.distribution("wsgikit").entry_points}
    assert set(PASTE_REPLACEMENTS.values()) <= names
    assert replacement("paste", "urlmap") == "egg:wsgikit#urlmap"  # distribution names are case-insensitive
    assert replacement("Paste", "evalerror") is None and replacement("other", "urlmap") is None
