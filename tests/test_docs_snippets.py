"""The INI blocks of the docs' deployment pages pass ``wsgikit check`` and serve a request.

The pages name the reader's own code and files (``egg:myservice#versions``, ``myservice.api:make_mapper``,
nova's ``call:nova.api.auth:pipeline_factory_v21``, ``%(here)s/tokens``) and many blocks are excerpts that
name sections they do not show. ``tests/data/docs_reader/`` is that reader: stand-in packages with the
same names and factory signatures (an installed ``myservice`` distribution among them), the files, and for
each page the rest of the file (``rest-of-*.ini``). Each block is written to a temporary ``paste.ini``
exactly as the page shows it, followed by the sections of the page's rest-of-file whose names the block does
not define; then

* ``wsgikit check`` (the real command, a subprocess with the reader's packages on ``PYTHONPATH``) passes;
* :func:`wsgikit.deploy.loadapp` builds it and a request through :class:`wsgikit.testing.TestApp` gets the
  answer :data:`REQUESTS` says.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from wsgikit.deploy import loadapp
from wsgikit.testing import TestApp

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
READER = ROOT / "tests" / "data" / "docs_reader"
ANY_BLOCK = re.compile(r"^\.\. code-block:: (\w+)\n((?:   :.*\n)*)\n((?:(?:   .*)?\n)+)", re.MULTILINE)

# page -> the rest of the reader's file for that page's excerpts
REST_OF_FILE = {
    "deploy/paste-ini.rst": "rest-of-paste.ini",
    "deploy/migration.rst": "rest-of-api-paste.ini",
}
# the environment the reader runs these with (${ENV:TOKENS_FILE} has no default in paste-ini.rst)
READER_ENV = {"TOKENS_FILE": "{here}/tokens"}
TOKEN = {"X-Auth-Token": "reader-token"}  # alice's, in tests/data/docs_reader/tokens


def blocks(page: str, language: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return [textwrap.dedent(m.group(3)) for m in ANY_BLOCK.finditer(text) if m.group(1) == language]


def section_names(text: str) -> list[tuple[str, str]]:
    """``(kind, name)`` of every section but ``[DEFAULT]``, in order."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    return [(s.partition(":")[0], s.partition(":")[2]) for s in parser.sections()]


def complete(page: str, block: str) -> str:
    """The block as shown, then the rest-of-file sections whose names the block does not define."""
    defined = {name for _, name in section_names(block)}
    rest = (READER / REST_OF_FILE[page]).read_text(encoding="utf-8")
    chunks = re.split(r"^(?=\[)", rest, flags=re.MULTILINE)[1:]
    kept = [chunk for chunk in chunks if chunk.split("]")[0].partition(":")[2] not in defined]
    return (
        block.rstrip("\n")
        + "\n\n# -- the rest of the reader's file (tests/data/docs_reader) --\n\n"
        + "".join(kept)
    )


def target(block: str) -> str:
    """What to check and load: ``main`` when the block defines it or defines no application at all (a
    filter, ``[DEFAULT]``), else the block's first application, composite or pipeline."""
    names = section_names(block)
    apps = [name for kind, name in names if kind in {"app", "composite", "pipeline"}]
    return "main" if "main" in apps or not apps else apps[0]


INI_BLOCKS = [(page, index) for page in sorted(REST_OF_FILE) for index in range(len(blocks(page, "ini")))]

# (page, block) -> (path, headers, status, text in the body): what the block's application answers
REQUESTS: dict[tuple[str, int], tuple[str, dict[str, str], int, str]] = {
    # a complete file: token_auth chosen by AUTH_STRATEGY's default, the reader's router behind it
    ("deploy/paste-ini.rst", 0): ("/v2.1/things/7", TOKEN, 200, '"user":"alice"'),
    ("deploy/paste-ini.rst", 1): ("/things/7", TOKEN, 200, '"user":"alice"'),  # tokens from $TOKENS_FILE
    ("deploy/paste-ini.rst", 2): ("/v2.1", {}, 200, '"version"'),
    ("deploy/paste-ini.rst", 3): ("/admin/", {}, 200, "admin at /admin"),
    ("deploy/paste-ini.rst", 4): ("/things/7", TOKEN, 200, '"thing":"7"'),  # keystone: token_auth
    ("deploy/paste-ini.rst", 5): ("/", {}, 200, "the reader's static files"),
    ("deploy/paste-ini.rst", 6): ("/things/7", {**TOKEN, "OpenStack-API-Version": "compute 3.0"}, 406, ""),
    ("deploy/migration.rst", 0): ("/v2.1/flavors", TOKEN, 200, '"user_id":"alice"'),
    ("deploy/migration.rst", 1): ("/v2.1/flavors", TOKEN, 200, '"user_id":"alice"'),
}


def reader_dir(tmp_path: Path, text: str) -> Path:
    """``paste.ini`` holding ``text`` next to the reader's files (its ``%(here)s``)."""
    shutil.copy(READER / "tokens", tmp_path / "tokens")
    shutil.copytree(READER / "public", tmp_path / "public")
    config = tmp_path / "paste.ini"
    config.write_text(text, encoding="utf-8")
    return config


def test_every_ini_block_has_a_request() -> None:
    assert sorted(REQUESTS) == INI_BLOCKS, "a new INI block on these pages needs a line in REQUESTS"


# ``wsgikit check`` (and ``show``) resolve ``paste.app_factory = module:Class.factory`` with PasteDeploy's
# ``lookup_object``, which does not follow the dots after the colon; the loader (PasteDeploy's entry-point
# parser) does. nova's, cinder's and oslo's files spell their factories that way, so the nova-style blocks of
# migration.rst fail the check though they load and serve (test_ini_block_loads_and_serves). The check test
# xfails on exactly these lines and nothing else, and passes by itself once check follows the dots.
DOTTED_FACTORY_BUG = re.compile(r"cannot import '[\w.]+:(\w+\.\w+)': module '[\w.]+' has no attribute '\1'$")


@pytest.mark.parametrize(("page", "index"), INI_BLOCKS, ids=[f"{p}[ini {i}]" for p, i in INI_BLOCKS])
def test_ini_block_passes_check(page: str, index: int, tmp_path: Path) -> None:
    """``wsgikit check FILE#NAME``, the real command, with the reader's packages on ``PYTHONPATH``."""
    block = blocks(page, "ini")[index]
    config = reader_dir(tmp_path, complete(page, block))
    env = {name: value.format(here=tmp_path) for name, value in READER_ENV.items()}
    name = target(block)
    checked = subprocess.run(
        [sys.executable, "-m", "wsgikit", "check", f"{config}#{name}"],
        env={**os.environ, **env, "PYTHONPATH": str(READER), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    problems = checked.stdout.splitlines()
    if checked.returncode == 1 and problems and all(DOTTED_FACTORY_BUG.search(line) for line in problems):
        pytest.xfail("wsgikit check reports 'module:Class.factory' as 'cannot import' (loadapp loads it)")
    assert (checked.returncode, checked.stdout) == (0, f"{config}#{name}: OK\n"), (
        checked.stdout + checked.stderr
    )


@pytest.mark.parametrize(("page", "index"), INI_BLOCKS, ids=[f"{p}[ini {i}]" for p, i in INI_BLOCKS])
def test_ini_block_loads_and_serves(
    page: str, index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """:func:`wsgikit.deploy.loadapp` builds the block; the request of :data:`REQUESTS` gets its answer."""
    block = blocks(page, "ini")[index]
    config = reader_dir(tmp_path, complete(page, block))
    for variable, value in READER_ENV.items():
        monkeypatch.setenv(variable, value.format(here=tmp_path))
    for variable in ("AUTH_STRATEGY", "NOVA_AUTH_STRATEGY"):  # each page's default choice
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.syspath_prepend(str(READER))
    client = TestApp(loadapp(f"config:{config}#{target(block)}"))
    path, headers, status, text = REQUESTS[(page, index)]
    answer = client.get(path, headers=headers, status=status)
    assert text in answer.text, answer
