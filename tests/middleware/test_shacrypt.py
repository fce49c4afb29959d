"""SHA-crypt ($5$ / $6$) against known vectors.

The first vectors are from Drepper's specification ("Unix crypt using SHA-256 and SHA-512"); the others
were produced with ``openssl passwd -5/-6 -salt ...`` (OpenSSL 3) and cover non-ASCII passwords, long
passwords and clamped round counts.
"""

from __future__ import annotations

import pytest

from wsgikit.middleware._shacrypt import is_sha_crypt, sha_crypt, verify

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
def test_known_vectors(password: str, setting: str, expected: str) -> None:
    assert sha_crypt(password, setting) == expected
    assert sha_crypt(password, expected) == expected  # a stored hash is its own setting
    assert verify(password, expected)
    assert not verify(password + "x", expected)


@pytest.mark.parametrize("stored", ["", "$1$abc$def", "$5", "plain", "$2b$04$abc", "$7$x$y"], ids=repr)
def test_malformed_is_false_not_an_error(stored: str) -> None:
    assert not verify("pw", stored)


def test_setting_errors() -> None:
    with pytest.raises(ValueError, match="SHA-crypt"):
        sha_crypt("pw", "$1$salt")
    assert is_sha_crypt("$6$a$b") and not is_sha_crypt("$2b$...")
