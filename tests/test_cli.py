"""The ``wsgikit check|show|routes`` commands, through the real parser (and once as a real process)."""

from __future__ import annotations

import glob
import os
import subprocess
import sys

import pytest

from wsgikit.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BROKEN = os.path.join(ROOT, "tests", "data", "broken")
CONFIGS = os.path.join(ROOT, "tests", "data", "configs")


@pytest.fixture(autouse=True)
def kitapps_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(CONFIGS)
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("KIT_AUTH_STRATEGY", raising=False)


def test_check_clean_file_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "paste-configs/nova-style.ini"]) == 0
    assert capsys.readouterr().out == "paste-configs/nova-style.ini: OK\n"


@pytest.mark.parametrize(
    "path", sorted(glob.glob(os.path.join(ROOT, "paste-configs", "*.ini"))), ids=os.path.basename
)
def test_check_every_shipped_config(path: str) -> None:
    assert main(["check", path]) == 0


def test_check_broken_file_prints_file_line_section_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "tests/data/broken/typo_option.ini"]) == 1
    captured = capsys.readouterr()
    assert captured.out == (
        "tests/data/broken/typo_option.ini:10 [filter:gzip] levle: "
        "unknown option for gzip; did you mean 'level'?\n"
    )
    assert "1 problem(s)" in captured.err


def test_check_prints_one_line_per_problem(capsys: pytest.CaptureFixture[str]) -> None:
    total = 0
    for path in sorted(glob.glob(os.path.join(BROKEN, "*.ini"))):
        assert main(["check", os.path.relpath(path, ROOT)]) == 1
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"tests/data/broken/{os.path.basename(path)}:")
        total += 1
    assert total >= 9


def test_show_text_and_dot(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "paste-configs/nova-style.ini"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].startswith("composite:main  egg:wsgikit#urlmap  (nova-style.ini:")
    assert "egg:wsgikit#select" in text and "egg:wsgikit#router" in text
    assert main(["show", "tests/data/configs/nova-api-paste.ini#osapi_compute", "--format", "dot"]) == 0
    assert capsys.readouterr().out.startswith("digraph pipeline {")


def test_routes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", "tests/data/configs/side_by_side.ini"]) == 0
    out = capsys.readouterr().out
    assert "mounted at /api" in out and "/items/{id}" in out


def test_check_as_a_process() -> None:
    """`python -m wsgikit check` exits 1 on a broken file and 0 on a clean one."""
    env = {**os.environ, "PYTHONPATH": CONFIGS}
    broken = subprocess.run(
        [sys.executable, "-m", "wsgikit", "check", "tests/data/broken/cycle.ini"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert broken.returncode == 1
    assert broken.stdout.startswith("tests/data/broken/cycle.ini:12 [composite:api] /: reference cycle")
    clean = subprocess.run(
        [sys.executable, "-m", "wsgikit", "check", "tests/data/configs/side_by_side.ini"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr
