"""Password hashes of htpasswd files (verified by libpass) and the constant cost of a Basic auth check.

The SHA-crypt vectors are from Drepper's specification ("Unix crypt using SHA-256 and SHA-512") and from
``openssl passwd -5/-6 -salt ...`` (OpenSSL 3): non-ASCII passwords, long passwords and clamped round
counts. They were the tests of wsgikit's former hand-written SHA-crypt and now check libpass through
:func:`verify_password`.

Then :class:`WatchedFile`: when it looks at a file again (every call, or once per ``interval``).
"""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import passlib.hash
import pytest

from wsgikit.middleware import _authfiles
from wsgikit.middleware._authfiles import (
    HashCost,
    Htpasswd,
    WatchedFile,
    load_htpasswd,
    parse_htpasswd,
    verify_password,
)
from wsgikit.middleware.auth import BasicBackend

VECTORS = [
    pytest.param(
        "Hello world!",
        "$5$saltstring",
        "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
        id="spec-sha256",
    ),
    pytest.param(
        "Hello world!",
        "$6$saltstring",
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
        id="spec-sha512",
    ),
    pytest.param(
        "Hello world!",
        "$5$rounds=10000$saltstringsaltstring",
        "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA",
        id="spec-sha256-rounds-long-salt",
    ),
    pytest.param(
        "the minimum number is still observed",
        "$5$rounds=10$roundstoolow",
        "$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC",
        id="spec-rounds-clamped",
    ),
    pytest.param(
        "This is just a test",
        "$6$rounds=5000$toolongsaltstring",
        "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/"
        "e1JSbq3y6JMxxl8audkUEm0",
        id="spec-sha512-explicit-default-rounds",
    ),
    pytest.param(
        "pässwörd☃",
        "$6$xy",
        "$6$xy$1ehGkmlKrOHlU7NoHF9CiyJAfwSUjYsvROOAcz57I.dP.dMVtzzC3a/JmDv417Qof0k3yIVvjVigR/u1RLuVS/",
        id="openssl-utf8",
    ),
    pytest.param(
        "a long password that is longer than sixty four bytes so that the B blocks repeat more than once",
        "$5$rounds=1000$x",
        "$5$rounds=1000$x$UDDdsSjtSlw1DKPDLFH62iLpu3Y3W.wZnsifwZVKUF6",
        id="openssl-long-password",
    ),
]


@pytest.mark.parametrize(("password", "setting", "expected"), VECTORS)
def test_known_sha_crypt_vectors(password: str, setting: str, expected: str) -> None:
    assert verify_password(password, expected)
    assert not verify_password(password + "x", expected)
    assert not verify_password(password[:-1], expected)


def test_apr1_md5_is_verified() -> None:
    # htpasswd -bm: Apache's default before 2.4 and still common
    stored = "$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/"
    assert verify_password("myPassword", stored)
    assert not verify_password("mypassword", stored)


@pytest.mark.parametrize(
    "stored", ["", "$1$abc$def", "$5", "plain", "$2b$04$abc", "$7$x$y", "$apr1$x", "{SHA}abc"], ids=repr
)
def test_malformed_or_unknown_hash_is_false_not_an_error(stored: str) -> None:
    assert not verify_password("pw", stored)


def test_apr1_in_a_file_is_accepted_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="wsgikit.auth"):
        users = parse_htpasswd("# old file\nbob:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/\n", "old.htpasswd")
    assert set(users) == {"bob"}
    [record] = caplog.records
    assert "old.htpasswd:2" in record.message and "weak" in record.message and "'bob'" in record.message


def test_malformed_hash_in_a_file_names_the_line() -> None:
    with pytest.raises(ValueError, match=r"f:2: malformed sha512_crypt hash for user 'sue'"):
        parse_htpasswd("ok:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/\nsue:$6$salt$tooshort\n", "f")


# -- an unknown user costs what a wrong password costs ---------------------------------------------------

# one user per cost group: two bcrypt costs, both SHA-crypts with explicit and implicit rounds, $apr1$
MIXED = {
    "b4": passlib.hash.bcrypt.using(rounds=4).hash("pw-b4"),
    "b5": passlib.hash.bcrypt.using(rounds=5, ident="2y").hash("pw-b5"),
    "s256": passlib.hash.sha256_crypt.using(rounds=1000).hash("pw-s256"),
    "s512": passlib.hash.sha512_crypt.using(rounds=1200).hash("pw-s512"),
    "s512b": "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS"
    "35inz1",
    "md5": "$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/",
}


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[HashCost]:
    """The cost of every password verification Basic auth performs (it still verifies for real)."""
    calls: list[HashCost] = []
    real = _authfiles.verify_password

    def counting(password: str, stored: str) -> bool:
        calls.append(HashCost.of(stored))
        return real(password, stored)

    monkeypatch.setattr(_authfiles, "verify_password", counting)
    return calls


def test_dummies_have_the_cost_of_the_real_entries() -> None:
    table = Htpasswd(MIXED)
    assert set(table.dummies) == {HashCost.of(stored) for stored in MIXED.values()}
    assert len(table.dummies) == 6  # s512b has implicit 5000 rounds, s512 1200: two groups
    for cost, dummy in table.dummies.items():
        assert HashCost.of(dummy) == cost
        assert dummy not in MIXED.values()
    assert HashCost.of(MIXED["b5"]) == HashCost("bcrypt", 5, "$2y$")
    assert HashCost.of(MIXED["s512b"]) == HashCost("sha512_crypt", 5000, "")
    assert HashCost.of(MIXED["md5"]) == HashCost("apr_md5_crypt", 0, "")


def test_unknown_user_and_wrong_password_cost_the_same_hash_operations(counted: list[HashCost]) -> None:
    table = Htpasswd(MIXED)
    plans: dict[str, list[HashCost]] = {}
    for user in [*MIXED, "nobody", "b4 "]:
        counted.clear()
        assert not table.check(user, "wrong")
        plans[user] = list(counted)
    reference = plans["nobody"]
    assert reference == sorted(table.dummies)  # every group once, in a fixed order
    assert all(plan == reference for plan in plans.values()), plans
    # a right password is checked the same way
    counted.clear()
    assert table.check("s256", "pw-s256")
    assert counted == reference


@pytest.mark.parametrize("users", [{"a": MIXED["b4"]}, {"a": MIXED["s512"], "b": MIXED["s512"]}, {}])
def test_single_group_files_cost_one_operation(users: dict[str, str], counted: list[HashCost]) -> None:
    table = Htpasswd(users)
    for user in [*users, "nobody"]:
        counted.clear()
        table.check(user, "wrong")
        assert len(counted) == len(table.dummies) == len(set(users.values()))


def test_the_backend_checks_through_the_table(tmp_path: Path, counted: list[HashCost]) -> None:
    path = tmp_path / "htpasswd"
    path.write_text("".join(f"{user}:{stored}\n" for user, stored in MIXED.items()))
    backend = BasicBackend(str(path))
    for user in ("b4", "nobody"):
        counted.clear()
        value = "Basic " + base64.b64encode(f"{user}:wrong".encode()).decode()
        assert backend.authenticate({"HTTP_AUTHORIZATION": value}) is None
        assert counted == sorted(Htpasswd(MIXED).dummies)
    assert isinstance(load_htpasswd("", "empty"), Htpasswd)


# -- re-reading a file: on every call, or once per interval ----------------------------------------------


def read_text(text: str, source: str) -> str:
    return text


def rewrite(path: Path, text: str, stamp: int) -> None:
    path.write_text(text)
    os.utime(path, ns=(stamp, stamp))  # a different mtime even on coarse-grained filesystems


def test_without_interval_every_get_looks_at_the_file(tmp_path: Path, stat_calls: list[str]) -> None:
    path = tmp_path / "f"
    path.write_text("one")
    watched = WatchedFile(str(path), read_text)
    stat_calls.clear()
    assert [watched.get() for _ in range(3)] == ["one"] * 3
    assert stat_calls.count(str(path)) == 3
    rewrite(path, "two", 1)
    assert watched.get() == "two"


def test_with_interval_the_file_is_looked_at_once_per_interval(
    tmp_path: Path, auth_clock: Any, stat_calls: list[str]
) -> None:
    path = tmp_path / "f"
    path.write_text("one")
    watched = WatchedFile(str(path), read_text, interval=5)
    assert watched.interval == 5.0
    stat_calls.clear()
    rewrite(path, "two", 1)
    auth_clock.now += 4.99  # the first look is 5 s after the load
    assert [watched.get() for _ in range(3)] == ["one"] * 3
    assert str(path) not in stat_calls
    auth_clock.now += 0.01
    assert watched.get() == "two"
    assert str(path) in stat_calls
    # the next look is 5 s after this one, whatever it found
    stat_calls.clear()
    rewrite(path, "three", 2)
    auth_clock.now += 4.99
    assert watched.get() == "two"
    assert stat_calls == []
    auth_clock.now += 0.01
    assert watched.get() == "three"


def test_with_interval_an_unchanged_file_is_not_read_again(
    tmp_path: Path, auth_clock: Any, stat_calls: list[str]
) -> None:
    path = tmp_path / "f"
    path.write_text("one")
    parsed: list[str] = []
    watched = WatchedFile(str(path), lambda text, source: parsed.append(text) or text, interval=0.25)
    stat_calls.clear()
    for _ in range(4):
        auth_clock.now += 0.25
        assert [watched.get() for _ in range(3)] == ["one"] * 3
    assert stat_calls.count(str(path)) == 4  # one look per interval, and no reload
    assert parsed == ["one"]


@pytest.mark.parametrize("interval", [-1, -0.001, float("nan"), float("inf"), True, "5", None], ids=repr)
def test_a_bad_interval_is_refused(tmp_path: Path, interval: object) -> None:
    path = tmp_path / "f"
    path.write_text("one")
    with pytest.raises(ValueError, match=r"^interval: "):
        WatchedFile(str(path), read_text, interval=interval)  # type: ignore[arg-type]


def test_a_forked_child_keeps_the_content_and_the_time_of_the_next_look(tmp_path: Path) -> None:
    """gunicorn forks its workers from the master after the app is loaded: the child serves the content
    it inherited until the inherited time of the next look, then sees the change. The fork happens in a
    fresh interpreter, where no other thread runs (Python 3.12 warns about forking a process with threads,
    and the suite turns warnings into errors)."""
    path = tmp_path / "f"
    path.write_text("one")
    script = textwrap.dedent(
        """
        import os, sys, time
        from wsgikit.middleware._authfiles import WatchedFile

        path = sys.argv[1]
        watched = WatchedFile(path, lambda text, source: text, interval=0.5)
        with open(path, "w") as handle:
            handle.write("two")
        os.utime(path, ns=(1, 1))
        pid = os.fork()
        if pid == 0:
            seen = [watched.get()]
            time.sleep(max(0.0, watched._next_look - time.monotonic()) + 0.05)
            seen.append(watched.get())
            os._exit(0 if seen == ["one", "two"] else 1)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0"]
