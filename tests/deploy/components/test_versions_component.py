from __future__ import annotations

import pytest

from wsgikit.deploy import ConfigError, loadapp
from wsgikit.testing import TestApp

PIPELINE = (
    "[pipeline:main]\npipeline = versions api\n"
    "[app:api]\npaste.app_factory = kitapps:echo_factory\n"
    "[filter:versions]\nuse = egg:wsgikit#versions\n"
)


def test_versions_from_ini(tmp_path: pytest.TempPathFactory) -> None:
    ini = tmp_path / "v.ini"  # type: ignore[operator]
    ini.write_text(PIPELINE + "service = compute\nmin_version = 2.1\nmax_version = 2.10\n")
    client = TestApp(f"config:{ini}")
    response = client.get("/", headers={"OpenStack-API-Version": "compute 2.7"})
    assert response.json["api_version"] == "2.7"
    assert response.headers["OpenStack-API-Version"] == "compute 2.7"
    client.get("/", headers={"OpenStack-API-Version": "compute 3.0"}, status=406)


@pytest.mark.parametrize(
    ("options", "line", "key"),
    [
        ("service = compute\nmin_version = two\n", 8, "min_version"),
        ("min_version = 2.1\n", 5, "service"),
        ("service = compute\nmin_version = 2.5\nmax_version = 2.1\n", 9, "max_version"),
    ],
    ids=["bad-version", "missing-service", "max-below-min"],
)
def test_errors(tmp_path: pytest.TempPathFactory, options: str, line: int, key: str) -> None:
    ini = tmp_path / "v.ini"  # type: ignore[operator]
    ini.write_text(PIPELINE + options)
    with pytest.raises(ConfigError) as caught:
        loadapp(f"config:{ini}")
    assert (caught.value.line, caught.value.section, caught.value.key) == (line, "filter:versions", key)
