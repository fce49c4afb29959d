from __future__ import annotations

import os

import pytest

from wsgikit.deploy import ConfigError, loadapp
from wsgikit.testing import TestApp

CONFIGS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "data", "configs"
)


def test_cascade_from_ini() -> None:
    assert TestApp(f"config:{CONFIGS}/cascade.ini").get("/").json["app"] == "present"


def test_apps_are_ordered_numerically(tmp_path: pytest.TempPathFactory) -> None:
    ini = tmp_path / "c.ini"  # type: ignore[operator]
    apps = "".join(f"app{n} = a{n}\n" for n in (10, 2, 1))
    status = {1: "404 Not Found", 2: "404 Not Found", 10: "200 OK"}
    sections = "".join(
        f"[app:a{n}]\npaste.app_factory = kitapps:echo_factory\nname = a{n}\nstatus = {status[n]}\n"
        for n in (1, 2, 10)
    )
    ini.write_text("[composite:main]\nuse = egg:wsgikit#cascade\n" + apps + sections)
    assert TestApp(f"config:{ini}").get("/").json["app"] == "a10"


@pytest.mark.parametrize(
    ("body", "key", "fragment"),
    [
        ("app1 = x\ncatch = 4o4\n", "catch", "status codes"),
        ("app1 = x\nbogus = 1\n", "bogus", "unknown option"),
        ("catch = 404\n", None, "no applications"),
    ],
)
def test_errors(tmp_path: pytest.TempPathFactory, body: str, key: str | None, fragment: str) -> None:
    ini = tmp_path / "c.ini"  # type: ignore[operator]
    ini.write_text(
        "[composite:main]\nuse = egg:wsgikit#cascade\n" + body + "[app:x]\nuse = egg:wsgikit#healthcheck\n"
    )
    with pytest.raises(ConfigError) as caught:
        loadapp(f"config:{ini}")
    assert (caught.value.section, caught.value.key) == ("composite:main", key)
    assert fragment in caught.value.message
