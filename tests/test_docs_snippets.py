"""The docs' deployment snippets run: INI blocks pass ``wsgikit check`` and serve, console lines run for real.

INI blocks (deploy/paste-ini.rst, migration.rst, any-wsgi-app.rst; guide/controllers.rst, routing.rst,
openstack-clients.rst). The pages name the reader's own code and files (``egg:myservice#versions``,
``myservice.api:make_mapper``, nova's ``call:nova.api.auth:pipeline_factory_v21``, ``%(here)s/tokens``) and
many blocks are excerpts that name sections they do not show. ``tests/data/docs_reader/`` is that reader:
stand-in packages with the same names and factory signatures (an installed ``myservice`` distribution among
them), the files, and the rest of each page's file (``rest-of-*.ini``). Each block is written to a temporary
``paste.ini`` exactly as the page shows it, followed by the rest-of-file sections whose names the block does
not define; then ``wsgikit check`` (the real command, a subprocess with the reader's packages on
``PYTHONPATH``) passes, and :func:`wsgikit.deploy.loadapp` builds it and a request through
:class:`wsgikit.testing.TestApp` gets the answer :data:`REQUESTS` says.

Console blocks (every page of deploy/, guide/ and middleware/ but the tutorial's and the OpenStack clients',
which have their own tests): every command of a page, in order, in one terminal session, servers started on
free ports on 127.0.0.1 and talked to over a socket; see the comment above :data:`CONSOLE_PAGES`.
"""

from __future__ import annotations

import configparser
import contextlib
import gzip
import http.client
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from ports import free_port

from wsgikit.deploy import loadapp
from wsgikit.testing import TestApp

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
READER = ROOT / "tests" / "data" / "docs_reader"
ANY_BLOCK = re.compile(r"^\.\. code-block:: (\w+)\n((?:   :.*\n)*)\n((?:(?:   .*)?\n)+)", re.MULTILINE)

# page -> the rest of the reader's file for that page's excerpts
REST_OF_FILE = {
    "deploy/any-wsgi-app.rst": "rest-of-paste.ini",
    "deploy/migration.rst": "rest-of-api-paste.ini",
    "deploy/paste-ini.rst": "rest-of-paste.ini",
    "guide/controllers.rst": "rest-of-paste.ini",
    "guide/openstack-clients.rst": "rest-of-paste.ini",
    "guide/routing.rst": "rest-of-paste.ini",
    **{
        str(path.relative_to(DOCS)): "rest-of-middleware.ini"
        for path in sorted((DOCS / "middleware").glob("*.rst"))
        if ".. code-block:: ini" in path.read_text(encoding="utf-8")
    },
}
# paths on the reader's machine that the INI blocks name, moved into the test's directory ("/")
INI_PATHS = {"/var/log/api/": "{root}/var/log/api/", "/etc/compute/": "{root}/etc/compute/"}
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
    ("deploy/any-wsgi-app.rst", 0): ("/", {}, 200, "mysite's Django application"),
    ("guide/controllers.rst", 0): ("/things/7", {}, 200, '"thing":"7"'),
    ("guide/routing.rst", 0): ("/things/7", {}, 200, '"thing":"7"'),  # main mounts the block's router
    ("guide/openstack-clients.rst", 0): ("/nothing", TOKEN, 404, '{"itemNotFound": {"code": 404'),
    ("guide/openstack-clients.rst", 1): (
        "/things/7",
        {**TOKEN, "X-OpenStack-Nova-API-Version": "2.99"},
        406,
        "",
    ),
    ("middleware/access_log.rst", 0): ("/things/7", {}, 200, '"thing":"7"'),
    ("middleware/access_log.rst", 1): ("/things/7", {}, 200, '"thing":"7"'),
    ("middleware/access_log.rst", 2): ("/things/7", {}, 200, '"thing":"7"'),
    ("middleware/auth.rst", 0): ("/things/7", {}, 401, ""),  # basic_auth, no credentials
    ("middleware/cors.rst", 0): ("/things/7", {"Origin": "https://pr-1.preview.example.com"}, 200, '"thing"'),
    ("middleware/errors.rst", 0): ("/nothing", {}, 404, '"status": 404'),
    ("middleware/gzip.rst", 0): ("/things/7", {"Accept-Encoding": "gzip"}, 200, '"thing":"7"'),
    ("middleware/healthcheck.rst", 0): ("/healthcheck", {}, 200, ""),  # before auth: no token needed
    ("middleware/hosts.rst", 0): ("/things/7", {"Host": "db.internal.example.com:8774"}, 200, '"thing":"7"'),
    ("middleware/lint.rst", 0): ("/things/7", {}, 200, '"thing":"7"'),
    ("middleware/proxy.rst", 0): ("/legacy", {}, 502, ""),  # the reader's legacy backend is not running
    ("middleware/proxy_fix.rst", 0): ("/things/7", {"X-Forwarded-For": "203.0.113.9"}, 200, '"thing"'),
    ("middleware/request_id.rst", 0): ("/things/7", {}, 200, '"thing":"7"'),
    ("middleware/sizelimit.rst", 0): ("/things/7", {}, 200, '"thing":"7"'),
    ("middleware/static.rst", 0): ("/static/style.css", {}, 200, "the reader's stylesheet"),
    ("deploy/migration.rst", 0): ("/v2.1/flavors", TOKEN, 200, '"user_id":"alice"'),
    ("deploy/migration.rst", 1): ("/v2.1/flavors", TOKEN, 200, '"user_id":"alice"'),
}


def reader_dir(tmp_path: Path, text: str) -> Path:
    """``paste.ini`` holding ``text`` next to the reader's files (its ``%(here)s``), the reader's absolute
    paths moved under ``tmp_path`` (:data:`INI_PATHS`)."""
    shutil.copy(READER / "tokens", tmp_path / "tokens")
    (tmp_path / "htpasswd").write_text("", encoding="utf-8")  # nobody yet
    shutil.copytree(READER / "public", tmp_path / "public")
    shutil.copytree(READER / "static", tmp_path / "static")
    (tmp_path / "var" / "log" / "api").mkdir(parents=True)
    for old, new in INI_PATHS.items():
        text = text.replace(old, new.format(root=tmp_path))
    config = tmp_path / "paste.ini"
    config.write_text(text, encoding="utf-8")
    return config


def test_every_ini_block_has_a_request() -> None:
    assert sorted(REQUESTS) == INI_BLOCKS, "a new INI block on these pages needs a line in REQUESTS"


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
    try:
        client = TestApp(loadapp(f"config:{config}#{target(block)}"))
        path, headers, status, text = REQUESTS[(page, index)]
        answer = client.get(path, headers=headers, status=status)
        assert text in answer.text, answer
    finally:
        # the stand-ins (nova, oslo_middleware, ...) must not stay importable for the tests that follow
        for name, module in list(sys.modules.items()):
            if str(getattr(module, "__file__", None) or "").startswith(str(READER)):
                del sys.modules[name]


# -- console blocks: every command run, in order, as a reader of the page would ------------------------------
#
# Each page's ``console`` blocks are one terminal session, run in a copy of the checkout's ``paste-configs/``
# and ``examples/`` (the "clone", the working directory) with the reader's files of that page
# (``tests/data/docs_reader/pages/<page>/clone/``) beside them, and those the page names by an absolute path
# in ``pages/<page>/root/`` (the test's directory stands for ``/``). What changes, visibly:
#
# * ports: every port the commands and the copied files name (``127.0.0.1:N``, ``--port N``, ``port = N``,
#   ``listen``, ``for port in ...``) becomes a free one, in commands, files and shown output alike;
# * paths: ``/tmp/`` becomes the test's directory; PAGE_PATHS moves the reader's ``/srv``, ``/etc`` paths;
# * a server the page starts in the foreground (a terminal of its own) is started in the background, in its
#   own process group, stopped at the end (SIGTERM, then SIGKILL); nginx gets ``user root;`` when the tests
#   run as root (its workers would otherwise switch to ``nobody``, who cannot read the test's directory);
# * ``curl`` lines are sent with :mod:`http.client` (curl's ``-s``, ``-i``, ``-H``, ``--compressed``), once
#   the address answers something else than 502/503; a trailing ``# NNN`` comment is the status expected.
#
# A command that prints something on the page must print that (``...`` matches anything, whitespace is
# compared loosely); any other command must exit 0. A command the tests cannot run is marked in the page by a
# comment right before its block, ``.. not-run-by-tests: COMMAND``, for one of the reasons in NOT_RUN.

INDENTED_BLOCK = re.compile(
    r"^(?P<indent> *)\.\. code-block:: (?P<language>\w+)\n(?:(?P=indent)   :.*\n)*\n"
    r"(?P<body>(?:(?:(?P=indent)   .*)?\n)+)",
    re.MULTILINE,
)


def is_session(block: re.Match[str]) -> bool:
    """A ``console`` block, or a ``text`` one that starts with a command (a drawing with box characters that
    Pygments' console lexer would mangle)."""
    body = textwrap.dedent(block.group("body")).lstrip("\n")
    return block.group("language") == "console" or (
        block.group("language") == "text" and body.startswith("$ ")
    )


CONSOLE_PAGES = sorted(
    str(path.relative_to(DOCS))
    for section in ("deploy", "guide", "middleware")
    for path in (DOCS / section).glob("*.rst")
    # tutorial.rst and openstack-clients.rst run their commands in their own tests
    if path.name not in {"tutorial.rst", "openstack-clients.rst"}
    and any(is_session(block) for block in INDENTED_BLOCK.finditer(path.read_text(encoding="utf-8")))
)
NOT_RUN = {
    "apt-get": "installs system packages: .ci/run installs what the tests need",
    "pip": "installs into the reader's venv: make venv installs the examples and their extras",
    "make": "make bench runs every benchmark for minutes; benchmarks are not tests (benchmarks/ runs them)",
    ".venv-bench/bin/python": "runs a benchmark, in the venv make bench builds",
}
SERVERS = ("uwsgi", "nginx", "fcgiwrap", "gunicorn", "wsgikit serve")
PAGE_PATHS = {
    "deploy/cgi-fastcgi.rst": {"/srv/app/": "{clone}/paste-configs/", "/srv/venv/": f"{sys.prefix}/"},
    "deploy/servers.rst": {"/srv/app/": "{clone}/"},
    "deploy/migration.rst": {"/etc/myservice/": "{root}/etc/myservice/"},
}
PAGE_NEEDS = {  # page -> tools (name, how to install) it runs
    "deploy/cgi-fastcgi.rst": [
        ("uwsgi", "pip install uwsgi"),
        ("nginx", "apt-get install nginx"),
        ("fcgiwrap", "apt-get install fcgiwrap"),
    ],
    "deploy/nginx.rst": [("uwsgi", "pip install uwsgi"), ("nginx", "apt-get install nginx")],
    "deploy/scale-out.rst": [("nginx", "apt-get install nginx")],
    "deploy/servers.rst": [("uwsgi", "pip install uwsgi")],
}
GUNICORN_PAGES = {
    "deploy/nginx.rst",
    "deploy/scale-out.rst",
}  # wsgikit serve --server gunicorn, or production.ini
PORT_PATTERNS = [
    r"127\.0\.0\.1:(\d{2,5})",
    r"--port (\d{2,5})",
    r"^port = (\d{2,5})$",
    r"for port in ([\d ]+);",
]
MARKER = re.compile(r"^\.\. not-run-by-tests: (.+)$", re.MULTILINE)


class Command:
    """One ``$`` line of a page (with its ``>`` and ``\\`` continuations) and the output shown under it."""

    def __init__(self, text: str, shown: list[str], marked: bool) -> None:
        self.text = text
        self.shown = shown
        self.marked = marked

    @property
    def program(self) -> str:
        words = [w for w in shlex.split(self.text, comments=True) if not re.match(r"^\w+=", w)]
        return words[0] if words else ""

    @property
    def is_server(self) -> bool:
        """A server the reader leaves running: backgrounded with ``&``, or one started in a terminal of its
        own (a command whose output the page shows is not one: it exits, as an error example does)."""
        if any(re.search(r"&\s*(#.*)?$", line) for line in self.text.splitlines()):
            return True
        words = " ".join(w for w in shlex.split(self.text, comments=True) if not re.match(r"^\w+=", w))
        return not self.shown and any(words.startswith(server) for server in SERVERS)


def console_commands(page: str) -> list[Command]:
    text = (DOCS / page).read_text(encoding="utf-8")
    commands: list[Command] = []
    for match in INDENTED_BLOCK.finditer(text):
        if not is_session(match):
            continue
        marked = set()
        for line in reversed(text[: match.start()].rstrip("\n").splitlines()):
            mark = MARKER.match(line)
            if not mark and line.strip():
                break
            if mark:
                marked.add(mark.group(1).strip())
        lines = textwrap.dedent(match.group("body")).splitlines()
        while lines:
            line = lines.pop(0)
            if not line.startswith("$ "):
                if line.strip():
                    commands[-1].shown.append(line)
                continue
            parts = [line[2:]]
            while lines and (lines[0].startswith("> ") or parts[-1].endswith("\\")):
                parts.append(lines.pop(0).removeprefix("> "))
            command = "\n".join(parts)
            commands.append(Command(command, [], command in marked))
        assert marked <= {c.text for c in commands}, f"{page}: a not-run-by-tests mark names no command"
    return commands


def shown_pattern(shown: list[str]) -> re.Pattern[str]:
    """The shown output as a pattern: ``...`` matches anything, any run of whitespace any other."""
    pieces = [
        r"\s*".join(re.escape(word) for word in piece.split()) for piece in " ".join(shown).split("...")
    ]
    return re.compile(r"\s*" + r".*?".join(pieces), re.DOTALL)


def curl(argv: list[str]) -> tuple[int, str]:
    """What ``curl`` prints for the options the pages use; ``(status, output)``."""
    headers: dict[str, str] = {}
    include = compressed = False
    url = ""
    words = iter(argv[1:])
    for word in words:
        if word == "-H":
            name, _, value = next(words).partition(":")
            headers[name.strip()] = value.strip()
        elif word == "--compressed":
            compressed = True
        elif re.fullmatch(r"-[si]+", word):
            include = include or "i" in word
        elif not word.startswith("-"):
            url = word
        else:
            raise AssertionError(
                f"curl option {word!r}: teach tests/test_docs_snippets.py's curl() its meaning"
            )
    parts = urllib.parse.urlsplit(url)
    if compressed:
        headers["Accept-Encoding"] = "gzip"
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port or 80, timeout=30)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if compressed and response.getheader("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    output = body.decode("utf-8", "replace")
    if include:
        head = [
            f"HTTP/1.1 {response.status} {response.reason}",
            *(f"{k}: {v}" for k, v in response.getheaders()),
        ]
        output = "\n".join(head) + "\n\n" + output
    return response.status, output


class Terminal:
    """The reader's terminal: commands run by bash in ``cwd``; ``export`` and ``$?`` carry over."""

    def __init__(self, cwd: Path, env: dict[str, str], logs: Path) -> None:
        self.cwd = cwd
        self.env = env
        self.logs = logs
        self.status = 0
        self.groups: list[tuple[int, Path]] = []  # process groups of the servers started

    def run(self, command: str, *, background: bool) -> tuple[int, str]:
        number = len(list(self.logs.iterdir()))
        log, saved = self.logs / f"{number}.log", self.logs / f"{number}.env"
        if background:
            script = command if command.rstrip().endswith("&") else f"{command} &"
        else:
            keep_env = f"status=$?\nenv -0 > {shlex.quote(str(saved))}\nexit $status"
            script = f"(exit {self.status})\n{command}\n{keep_env}"
        with log.open("wb") as out:
            process = subprocess.Popen(
                ["bash", "-c", script],
                cwd=self.cwd,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            status = process.wait(timeout=120)
        if background:
            self.groups.append((process.pid, log))
        else:
            self.status = status
            if saved.exists():
                pairs = saved.read_bytes().split(b"\0")
                self.env = dict(p.decode().split("=", 1) for p in pairs if b"=" in p)
                self.env.pop("_", None)
        return status, log.read_text(errors="replace")

    def alive(self, group: int) -> bool:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        return True

    def stop(self) -> None:
        for sig, wait in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 5.0)):
            for group, _ in self.groups:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(group, sig)
            deadline = time.monotonic() + wait
            while any(self.alive(g) for g, _ in self.groups) and time.monotonic() < deadline:
                time.sleep(0.1)


def wait_until_served(url: str, headers: dict[str, str], terminal: Terminal) -> None:
    """Until ``url`` answers, and not with nginx's 502/503 for a backend still starting."""
    deadline = time.monotonic() + 90
    while True:
        for group, log in terminal.groups:
            assert terminal.alive(group), f"a server stopped:\n{log.read_text(errors='replace')}"
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10):
                return
        except urllib.error.HTTPError as error:
            if error.code not in (502, 503, 504):
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, "\n".join(
            log.read_text(errors="replace") for _, log in terminal.groups
        )
        time.sleep(0.3)


def clone_for(page: str, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The working directory for ``page`` and the substitutions its commands, files and output get."""
    clone = tmp_path / "clone"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.sqlite3*")
    shutil.copytree(ROOT / "paste-configs", clone / "paste-configs", ignore=ignore)
    shutil.copytree(ROOT / "examples", clone / "examples", ignore=ignore)
    for part, where in (("clone", clone), ("root", tmp_path)):  # the page's files, in the clone and in "/"
        if (READER / "pages" / page / part).is_dir():
            shutil.copytree(READER / "pages" / page / part, where, dirs_exist_ok=True)
    (tmp_path / "tmp").mkdir()
    texts = [c.text for c in console_commands(page)]
    files = [f for f in clone.rglob("*") if f.is_file() and f.suffix in {".ini", ".conf", ".cgi", ""}]
    texts += [f.read_text(encoding="utf-8", errors="replace") for f in files]
    ports = {
        number
        for text in texts
        for pattern in PORT_PATTERNS
        for found in re.findall(pattern, text, re.MULTILINE)
        for number in found.split()
    }
    replace = {port: str(free_port()) for port in sorted(ports)}
    replace["/tmp/"] = f"{tmp_path}/tmp/"
    for old, new in PAGE_PATHS.get(page, {}).items():
        replace[old] = new.format(clone=clone, root=tmp_path)
    if os.geteuid() == 0:
        replace["-g 'daemon off;'"] = "-g 'daemon off; user root;'"
    for file in files:
        text = file.read_text(encoding="utf-8", errors="replace")
        if substitute(text, replace) != text:
            file.write_text(substitute(text, replace), encoding="utf-8")
    return clone, replace


def substitute(text: str, replace: dict[str, str]) -> str:
    pattern = "|".join(
        rf"\b{re.escape(k)}\b" if k.isdigit() else re.escape(k)
        for k in sorted(replace, key=len, reverse=True)
    )
    return re.sub(pattern, lambda m: replace[m.group(0)], text)


@pytest.mark.integration
@pytest.mark.parametrize("page", CONSOLE_PAGES)
def test_console_commands_run(page: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Every console command of ``page`` runs, in order, for real (see the comment above CONSOLE_PAGES)."""
    commands = console_commands(page)
    for command in commands:
        if command.marked:
            assert command.program in NOT_RUN, f"{page}: say in NOT_RUN why {command.program!r} is not run"
    paths = [str(Path(sys.executable).parent)]
    for name, hint in PAGE_NEEDS.get(page, []):
        found = request.getfixturevalue("tool")(
            name, hint, path=str(Path(sys.executable).parent) if name == "uwsgi" else None
        )
        paths.append(str(Path(found).parent))
    if page in GUNICORN_PAGES:
        request.getfixturevalue("gunicorn")
    clone, replace = clone_for(page, tmp_path)
    env = {**os.environ, "PATH": os.pathsep.join([*paths, os.environ["PATH"]]), "PYTHONUNBUFFERED": "1"}
    env.pop("WSGIKIT_COMPUTE_AUTH", None)
    env.pop("WSGIKIT_COMPUTE_DB", None)
    if page == "deploy/scale-out.rst":
        server = request.getfixturevalue("postgres_server")
        with server.connect() as connection:
            connection.execute("DROP DATABASE IF EXISTS compute")
            connection.execute("DROP ROLE IF EXISTS compute")
            connection.execute("CREATE ROLE compute LOGIN")
            connection.execute("CREATE DATABASE compute OWNER compute")
        replace["compute@127.0.0.1/"] = f"compute@127.0.0.1:{server.port}/"
    (tmp_path / "logs").mkdir()
    terminal = Terminal(clone, env, tmp_path / "logs")
    try:
        for command in commands:
            if command.marked:
                continue
            text = substitute(command.text, replace)
            if command.program == "curl":
                argv = shlex.split(text, comments=True)
                url = next(w for w in argv if w.startswith("http"))
                headers = dict(
                    (argv[i + 1].split(":", 1)[0], argv[i + 1].split(":", 1)[1].strip())
                    for i, w in enumerate(argv)
                    if w == "-H"
                )
                wait_until_served(url, headers, terminal)
                status, output = curl(argv)
                expected = re.search(r"#\s*(\d{3})\b", text)
                if expected:
                    assert status == int(expected.group(1)), (text, output)
                else:
                    assert 200 <= status < 400, (text, output)
            else:
                status, output = terminal.run(text, background=command.is_server)
                assert command.shown or status == 0, (text, output)
            if command.shown:
                shown = [substitute(line, replace) for line in command.shown]
                assert shown_pattern(shown).match(output), (text, "\n".join(shown), output)
        for group, log in terminal.groups:
            assert terminal.alive(group), log.read_text(errors="replace")
    finally:
        terminal.stop()


# Who runs each deployment block of a page that the tests above do not walk.
OWN_TESTS = {
    "guide/tutorial.rst": "tests/examples/test_tutorial.py (console, ini [uwsgi], nginx)",
    "guide/openstack-clients.rst": "tests/integration/test_openstack_clients.py (the openstack commands)",
    "deploy/servers.rst": "tests/test_docs_examples.py ([server:main] blocks, served)",
}


def test_every_deployment_block_has_a_runner() -> None:
    """Every console, INI and nginx block of deploy/, guide/ and middleware/ is run by one of these tests or
    by the page's own test (:data:`OWN_TESTS`): a new block on a new page cannot go unrun."""
    unrun = []
    for section in ("deploy", "guide", "middleware"):
        for path in sorted((DOCS / section).glob("*.rst")):
            page = str(path.relative_to(DOCS))
            for block in INDENTED_BLOCK.finditer(path.read_text(encoding="utf-8")):
                language = block.group("language")
                if page in OWN_TESTS:
                    continue
                if is_session(block) and page in CONSOLE_PAGES:
                    continue
                if language == "ini" and page in REST_OF_FILE:
                    continue
                if language in {"console", "ini", "nginx"} or is_session(block):
                    unrun.append(f"{page}: {language} block {block.group('body').strip()[:40]!r}")
    assert unrun == []


MESSAGE = re.compile(r"::\n\n((?:   paste\.ini:.*\n)(?:   .+\n)*)")
MESSAGES = MESSAGE.findall((DOCS / "deploy" / "paste-ini.rst").read_text(encoding="utf-8"))


@pytest.mark.parametrize("index", range(len(MESSAGES)))
def test_error_messages_on_the_page_are_what_check_prints(index: int, tmp_path: Path) -> None:
    """The page's ``paste.ini:N [section] key: ...`` messages, each printed by ``wsgikit check`` on a file
    with that mistake (``tests/data/docs_reader/pages/deploy/paste-ini.rst/messages/<index>/paste.ini``)."""
    shown = " ".join(MESSAGES[index].split())
    shutil.copytree(READER / "pages" / "deploy" / "paste-ini.rst" / "messages" / str(index), tmp_path / "x")
    shutil.copy(READER / "tokens", tmp_path / "x" / "tokens")
    name = target((tmp_path / "x" / "paste.ini").read_text(encoding="utf-8"))
    checked = subprocess.run(
        [sys.executable, "-m", "wsgikit", "check", f"paste.ini#{name}"],
        cwd=tmp_path / "x",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 1
    assert shown in checked.stdout.splitlines(), checked.stdout


def test_every_error_message_has_a_file() -> None:
    assert len(MESSAGES) == 4
    assert len(list((READER / "pages" / "deploy" / "paste-ini.rst" / "messages").iterdir())) == len(MESSAGES)
