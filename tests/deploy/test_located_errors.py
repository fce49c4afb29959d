"""Configuration errors are created located: while the loader builds a section, a component factory's
``ConfigError(message, key=...)`` names file, line, section and key without anyone patching it later."""

from __future__ import annotations

from pathlib import Path

import pytest

from wsgikit.deploy import ConfigError, loadapp
from wsgikit.deploy.errors import Place, building, resolving

HELLO = "[app:hello]\npaste.app_factory = kitapps:echo_factory\n"


def test_an_error_created_while_a_section_is_built_is_located_there() -> None:
    place = Place("/etc/x.ini", "filter:gz", 4, {"engine": 6})
    with building(place):
        keyed = ConfigError("not installed", key="engine")
        unkeyed = ConfigError("bad")
        elsewhere = ConfigError("about another section", section="app:main")
    assert (keyed.file, keyed.line, keyed.section, keyed.key) == ("/etc/x.ini", 6, "filter:gz", "engine")
    assert str(keyed) == "/etc/x.ini:6 [filter:gz] engine: not installed"
    assert (unkeyed.line, unkeyed.section) == (4, "filter:gz")  # the section's header
    assert (elsewhere.file, elsewhere.section) == (None, "app:main")  # an explicit section is kept
    assert ConfigError("outside").section is None


def test_a_key_written_in_the_using_section_is_located_there() -> None:
    outer = Place("/etc/x.ini", "filter:mine", 10, {"use": 11, "level": 12})
    inner = Place("/etc/x.ini", "filter:base", 2, {"paste.filter_factory": 3})
    with building(outer), building(inner):
        error = ConfigError("out of range", key="level")
        with resolving():
            unlocated = ConfigError("no section for app 'x'")
    assert (error.line, error.section) == (12, "filter:mine")
    assert unlocated.section is None


@pytest.mark.parametrize(
    ("filter_section", "line", "section"),
    [
        ("[filter:gz]\nuse = egg:wsgikit#gzip\nengine = nope\n", 6, "filter:gz"),
        (
            "[filter:gz]\nuse = base\nengine = nope\n[filter:base]\nuse = egg:wsgikit#gzip\n",
            6,
            "filter:gz",
        ),
    ],
    ids=["direct", "through-use"],
)
def test_a_component_factory_error_names_file_line_section_and_key(
    tmp_path: Path, filter_section: str, line: int, section: str
) -> None:
    ini = tmp_path / "gz.ini"
    ini.write_text(f"[pipeline:main]\npipeline = gz hello\n\n{filter_section}\n{HELLO}")
    with pytest.raises(ConfigError) as caught:
        loadapp(f"config:{ini}")
    error = caught.value
    assert (error.file, error.line, error.section, error.key) == (str(ini), line, section, "engine")
    assert str(error).startswith(f"{ini}:{line} [{section}] engine: ")
