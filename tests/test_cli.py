"""The ``wsgikit`` command: every verb through the real parser, and as a real process where a pipe, a
signal or the exit status is what is tested."""

from __future__ import annotations

import glob
import os
import signal
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
    assert "typo_option.ini: 1 problem(s)" in captured.err


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


NOVA = os.path.join(CONFIGS, "nova-api-paste.ini")


def run_wsgikit(*args: str, cwd: str = ROOT, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": CONFIGS}
    return subprocess.run(
        [sys.executable, "-m", "wsgikit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        **kwargs,  # type: ignore[call-overload]
    )


def test_routes_command_prints_each_router_under_its_prefix(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", f"{NOVA}#osapi_compute"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "# app:osapi_compute_app_v21  (nova-api-paste.ini:46)  mounted at /v2.1"
    assert out[1].split() == ["Route", "name", "Methods", "Path", "Controller", "Action"]
    assert out[2].split()[:3] == ["show", "GET", "/items/{id}"]


def test_routes_command_reports_a_pipeline_without_router(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", os.path.join(CONFIGS, "cascade.ini")]) == 1
    assert "no wsgikit.routing.Router" in capsys.readouterr().err


def test_routes_command_reports_config_errors_on_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", NOVA]) == 1
    err = capsys.readouterr().err
    assert err.startswith("wsgikit routes: error: ") and "name one with CONFIG#name: " in err
    assert err.count("\n") == 1


# -- check: several files -----------------------------------------------------------------------------------


def test_check_takes_several_files_and_reports_each(capsys: pytest.CaptureFixture[str]) -> None:
    files = ["paste-configs/nova-style.ini", "tests/data/broken/typo_option.ini", "paste-configs/example.ini"]
    assert main(["check", *files]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "paste-configs/nova-style.ini: OK",
        "tests/data/broken/typo_option.ini:10 [filter:gzip] levle: "
        "unknown option for gzip; did you mean 'level'?",
        "paste-configs/example.ini: OK",
    ]
    assert captured.err.splitlines() == [
        "tests/data/broken/typo_option.ini: 1 problem(s): 1 error(s), 0 warning(s)"
    ]


def test_check_several_clean_files_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    shipped = sorted(glob.glob("paste-configs/*.ini"))
    assert len(shipped) > 1
    assert main(["check", *shipped]) == 0
    assert capsys.readouterr().out.splitlines() == [f"{path}: OK" for path in shipped]


def test_check_reports_a_missing_named_section(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "paste-configs/nova-style.ini#nope"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("paste-configs/nova-style.ini ")
    assert "no section for app 'nope'" in out


# -- --version, help, pipes, usage -------------------------------------------------------------------------


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.metadata

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"wsgikit {importlib.metadata.version('wsgikit')}\n"


@pytest.mark.parametrize("command", ["serve", "check", "show", "routes", "cgi"])
def test_every_option_has_help_text(command: str) -> None:
    from wsgikit.cli import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    sub = subparsers.choices[command]  # type: ignore[index]
    for action in sub._actions:
        assert action.help, f"wsgikit {command} {action.option_strings or action.dest} has no help"
    assert all(action.help for action in parser._actions)


def test_usage_error_exits_2() -> None:
    result = run_wsgikit("check")
    assert result.returncode == 2
    assert "usage: wsgikit check" in result.stderr


def test_show_into_a_closed_pipe_prints_no_traceback() -> None:
    """`wsgikit show ... | head -1`: the reader goes away after one line."""
    env = {**os.environ, "PYTHONPATH": CONFIGS}
    # A long output (the dot graph of the nova file, many times over) so the pipe fills after head exits.
    process = subprocess.Popen(
        [sys.executable, "-m", "wsgikit", "show", f"{NOVA}#osapi_compute", "--format", "dot"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()  # what head does after its line
    with process.stderr:
        err = process.stderr.read().decode()
    status = process.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipeError" not in err
    assert status in (0, 141)  # 0 when everything fitted in the pipe before it closed


def test_closed_pipe_exits_141_without_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deterministic: stdout is a pipe whose reader is already gone before anything is printed."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {**os.environ, "PYTHONPATH": CONFIGS}
    result = subprocess.run(
        [sys.executable, "-m", "wsgikit", "show", f"{NOVA}#osapi_compute"],
        cwd=ROOT,
        env=env,
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        check=False,
    )
    os.close(write_end)
    assert result.returncode == 141
    assert result.stderr == ""


def test_ctrl_c_exits_130_without_traceback(tmp_path) -> None:
    """SIGINT while a command runs (here: importing a module that waits) ends it with 130, quietly."""
    (tmp_path / "slow.py").write_text(
        "import sys, time\nprint('ready', flush=True, file=sys.stderr)\ntime.sleep(60)\n"
        "def app(environ, start_response): pass\n",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "wsgikit", "cgi", "slow:app"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a shell running CI in the background starts its jobs with SIGINT ignored, and Python keeps an
        # ignored SIGINT ignored: give the command the default disposition a terminal's Ctrl-C meets
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert process.stderr is not None
        assert process.stderr.readline() == "ready\n"
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
    assert process.returncode == 130
    assert "Traceback" not in err
