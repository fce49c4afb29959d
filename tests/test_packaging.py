"""The distribution as users get it: ``python -m build`` makes an sdist and a wheel, and both install into a
clean venv with no checkout beside it.

The wheel's venv gets the smoke test a user would do — ``wsgikit --version``, ``wsgikit check`` and
``wsgikit serve`` of a ``paste.ini`` that uses only ``egg:wsgikit#…`` (one request over a socket), the entry
points of ``pyproject.toml`` present, ``py.typed`` shipped — run from a directory outside the checkout, so
nothing is imported from the source tree. The sdist is checked for what building, testing and documenting
need, and installed (built from source) into a second venv.

Everything happens in temporary directories; the only trace in the checkout is setuptools' ``*.egg-info``,
which an editable install writes too. Needs the ``build`` package (the ``test`` extra) and the package index
(or pip's cache) for the clean venvs' dependencies.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import time
import tomllib
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from ports import free_port

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
NAME = PYPROJECT["project"]["name"]
VERSION = PYPROJECT["project"]["version"]
TIMEOUT = 600  # seconds for one build or install; the index may be slow, nothing here should be

pytestmark = pytest.mark.integration

PASTE_INI = """\
# Only egg:wsgikit#... entry points: what an installed wheel alone provides.
[composite:main]
use = egg:wsgikit#urlmap
/ = site
/healthcheck = health

[pipeline:site]
pipeline = request_id errors gzip access_log files

[filter:request_id]
use = egg:wsgikit#request_id

[filter:errors]
use = egg:wsgikit#errors

[filter:gzip]
use = egg:wsgikit#gzip

[filter:access_log]
use = egg:wsgikit#access_log

[app:files]
use = egg:wsgikit#static
directory = %(here)s/public

[app:health]
use = egg:wsgikit#healthcheck

[server:main]
use = egg:wsgikit#waitress
host = 127.0.0.1
port = 8080
"""


def run(argv: list[str], *, cwd: Path, timeout: float = TIMEOUT) -> str:
    """Run ``argv`` with an environment that points at nothing in the checkout; its stdout, or fail."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "VIRTUAL_ENV"))}
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, (argv, done.stdout, done.stderr)
    return done.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory, python_package: Callable[[str, str], None]) -> Path:
    """The directory holding the sdist and the wheel (built from that sdist, as ``python -m build`` does)."""
    python_package("build", "pip install -e '.[test]'")
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], cwd=out)
    return out


def clean_venv(where: Path, requirement: Path) -> Path:
    """A new venv (no system site-packages) with ``requirement`` installed from its file; its bin dir."""
    run([sys.executable, "-m", "venv", str(where)], cwd=where.parent)
    run([str(where / "bin" / "python"), "-m", "pip", "install", "-q", str(requirement)], cwd=where.parent)
    return where / "bin"


def test_sdist_has_what_builds_tests_and_documents(dist: Path) -> None:
    (sdist,) = dist.glob(f"{NAME}-{VERSION}.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.partition("/")[2] for name in archive.getnames()}
    for needed in [
        "pyproject.toml",
        "README.md",
        "LICENSE",
        "Makefile",
        "wsgikit/py.typed",
        "wsgikit/cli/__init__.py",
        "tests/conftest.py",
        "tests/integration/conftest.py",
        "docs/conf.py",
        "examples/compute/pyproject.toml",
        "paste-configs/nova-style.ini",
    ]:
        assert needed in names, needed
    assert not [name for name in names if "__pycache__" in name or name.endswith((".pyc", ".sqlite3"))]
    assert not [name for name in names if name.startswith("docs/_build")]


def test_wheel_ships_the_package_typed_and_nothing_else(dist: Path) -> None:
    (wheel,) = dist.glob(f"{NAME}-{VERSION}-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "wsgikit/py.typed" in names
    assert {name.split("/")[0] for name in names} == {"wsgikit", f"{NAME}-{VERSION}.dist-info"}
    assert f"{NAME}-{VERSION}.dist-info/licenses/LICENSE" in names


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``(bin dir, working dir)``: the wheel in a clean venv, and a directory outside the checkout."""
    (wheel,) = dist.glob("*.whl")
    bin_dir = clean_venv(tmp_path_factory.mktemp("wheel") / "venv", wheel)
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    return bin_dir, elsewhere


def test_the_installed_package_is_the_wheel_not_the_checkout(installed: tuple[Path, Path]) -> None:
    bin_dir, cwd = installed
    where = run([str(bin_dir / "python"), "-c", "import wsgikit; print(wsgikit.__file__)"], cwd=cwd).strip()
    assert Path(where).is_relative_to(bin_dir.parent), where
    assert not Path(where).is_relative_to(ROOT), where


def test_version(installed: tuple[Path, Path]) -> None:
    bin_dir, cwd = installed
    assert run([str(bin_dir / "wsgikit"), "--version"], cwd=cwd).strip() == f"wsgikit {VERSION}"


def test_entry_points_and_py_typed_are_installed(installed: tuple[Path, Path]) -> None:
    bin_dir, cwd = installed
    script = (
        "import importlib.metadata as m, importlib.resources as r, json; "
        "d = m.distribution('wsgikit'); "
        "print(json.dumps({'eps': sorted([e.group, e.name, e.value] for e in d.entry_points), "
        "'typed': r.files('wsgikit').joinpath('py.typed').is_file()}))"
    )
    found = json.loads(run([str(bin_dir / "python"), "-c", script], cwd=cwd))
    declared = [
        ["console_scripts", name, value] for name, value in PYPROJECT["project"]["scripts"].items()
    ] + [
        [group, name, value]
        for group, table in PYPROJECT["project"]["entry-points"].items()
        for name, value in table.items()
    ]
    assert found["eps"] == sorted(declared)
    assert found["typed"] is True


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A ``paste.ini`` of wsgikit entry points only, and the directory of files it serves."""
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "index.html").write_text("<p>installed from the wheel</p>\n", encoding="utf-8")
    (tmp_path / "paste.ini").write_text(PASTE_INI, encoding="utf-8")
    return tmp_path / "paste.ini"


def test_check_and_serve_a_paste_ini_of_wsgikit_entry_points(
    installed: tuple[Path, Path], site: Path
) -> None:
    bin_dir, cwd = installed
    assert run([str(bin_dir / "wsgikit"), "check", str(site)], cwd=cwd).strip() == f"{site}: OK"
    port = free_port()
    log = site.parent / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(bin_dir / "wsgikit"), "serve", str(site), "--port", str(port)],
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text(errors="replace")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as answer:
                    status, headers, body = answer.status, answer.headers, answer.read()
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text(errors="replace")
                time.sleep(0.2)
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)
    assert (status, body) == (200, b"<p>installed from the wheel</p>\n")
    assert headers["X-Request-ID"].startswith("req-")  # through the pipeline, not a bare file server
    assert '"GET / HTTP/1.1" 200' in log.read_text(errors="replace")  # the access log filter


def test_the_sdist_installs_into_a_clean_venv(dist: Path, tmp_path: Path) -> None:
    (sdist,) = dist.glob("*.tar.gz")
    bin_dir = clean_venv(tmp_path / "venv", sdist)  # pip builds the wheel from the sdist
    assert run([str(bin_dir / "wsgikit"), "--version"], cwd=tmp_path).strip() == f"wsgikit {VERSION}"
