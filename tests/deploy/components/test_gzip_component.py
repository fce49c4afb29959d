"""``egg:wsgikit#gzip`` from INI: every option of GzipMiddleware, ``encodings`` included."""

from __future__ import annotations

import pytest

from wsgikit.deploy import ConfigError, check_config, loadapp
from wsgikit.middleware.gzip import GzipMiddleware
from wsgikit.testing import TestApp

INI = """\
[pipeline:main]
pipeline = gz hello

[filter:gz]
use = egg:wsgikit#gzip
minimum_size = 0
{line}

[app:hello]
use = egg:wsgikit-hello
"""


def test_encodings_from_ini_reach_the_middleware(tmp_path) -> None:
    config = tmp_path / "gz.ini"
    config.write_text(INI.format(line="encodings = gzip"), encoding="utf-8")
    assert check_config(str(config)) == []
    app = loadapp(f"config:{config}")
    assert isinstance(app, GzipMiddleware) and app.encodings == ("gzip",)
    answer = TestApp(app).get("/hello/x", headers={"Accept-Encoding": "br, zstd"})
    assert "Content-Encoding" not in answer.headers  # only gzip is offered, and not accepted here


@pytest.mark.parametrize("value", ["deflate", "gzip, lzma"])
def test_unknown_encodings_are_found_by_check_and_at_load(tmp_path, value: str) -> None:
    config = tmp_path / "gz.ini"
    config.write_text(INI.format(line=f"encodings = {value}"), encoding="utf-8")
    (problem,) = check_config(str(config))
    assert (problem.line, problem.section, problem.key) == (7, "filter:gz", "encodings")
    assert problem.message.startswith("expected some of gzip")
    with pytest.raises(ConfigError) as error:
        loadapp(f"config:{config}")
    assert (error.value.line, error.value.key) == (7, "encodings")
