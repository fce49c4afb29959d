"""SHA-crypt
=========

The ``$5$`` (SHA-256) and ``$6$`` (SHA-512) password hashes of glibc ``crypt(3)``, ``htpasswd`` and
``openssl passwd -5/-6``, implemented from Ulrich Drepper's published specification
("Unix crypt using SHA-256 and SHA-512", 2008). The standard library's ``crypt`` module is deprecated
(PEP 594) and gone in Python 3.13, so wsgikit carries its own pure implementation.

.. code-block:: python

    from wsgikit.middleware._shacrypt import sha_crypt, verify

    stored = sha_crypt("secret", "$6$rounds=10000$saltsalt")
    assert verify("secret", stored)
"""

from __future__ import annotations

import hashlib
import hmac
import re

__all__ = ["DEFAULT_ROUNDS", "is_sha_crypt", "sha_crypt", "verify"]

DEFAULT_ROUNDS = 5000
MIN_ROUNDS = 1000
MAX_ROUNDS = 999_999_999
SALT_MAX = 16

_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# The byte permutation of the final encoding, three bytes (24 bits → four characters) at a time.
_ORDER = {
    "5": (
        [
            (0, 10, 20),
            (21, 1, 11),
            (12, 22, 2),
            (3, 13, 23),
            (24, 4, 14),
            (15, 25, 5),
            (6, 16, 26),
            (27, 7, 17),
            (18, 28, 8),
            (9, 19, 29),
        ],
        (31, 30),
    ),
    "6": (
        [
            (0, 21, 42),
            (22, 43, 1),
            (44, 2, 23),
            (3, 24, 45),
            (25, 46, 4),
            (47, 5, 26),
            (6, 27, 48),
            (28, 49, 7),
            (50, 8, 29),
            (9, 30, 51),
            (31, 52, 10),
            (53, 11, 32),
            (12, 33, 54),
            (34, 55, 13),
            (56, 14, 35),
            (15, 36, 57),
            (37, 58, 16),
            (59, 17, 38),
            (18, 39, 60),
            (40, 61, 19),
            (62, 20, 41),
        ],
        (63,),
    ),
}

_SETTING_RE = re.compile(r"^\$(?P<id>[56])\$(?:rounds=(?P<rounds>[0-9]{1,10})\$)?(?P<salt>[^$]*)(?:\$.*)?$")


def is_sha_crypt(stored: str) -> bool:
    """True for a ``$5$…`` or ``$6$…`` hash string."""
    return stored.startswith(("$5$", "$6$"))


def _encode(digest: bytes, scheme: str) -> str:
    groups, tail = _ORDER[scheme]
    out: list[str] = []
    for b2, b1, b0 in groups:
        word = (digest[b2] << 16) | (digest[b1] << 8) | digest[b0]
        for _ in range(4):
            out.append(_ALPHABET[word & 0x3F])
            word >>= 6
    if len(tail) == 2:  # SHA-256: the last two bytes give three characters
        word = (digest[tail[0]] << 8) | digest[tail[1]]
        count = 3
    else:  # SHA-512: the last byte gives two characters
        word = digest[tail[0]]
        count = 2
    for _ in range(count):
        out.append(_ALPHABET[word & 0x3F])
        word >>= 6
    return "".join(out)


def _repeat(block: bytes, length: int) -> bytes:
    """``block`` repeated and cut to ``length`` bytes."""
    whole, rest = divmod(length, len(block))
    return block * whole + block[:rest]


def sha_crypt(password: str | bytes, setting: str) -> str:
    """Hash ``password`` with the scheme, rounds and salt of ``setting``.

    :param password: the clear-text password (``str`` is encoded as UTF-8).
    :param setting: ``$5$salt``, ``$6$rounds=N$salt`` or a complete stored hash (its hash part is ignored).
    :returns: the complete hash string, e.g. ``$5$salt$…``.
    :raises ValueError: when ``setting`` is not a SHA-crypt setting.
    """
    match = _SETTING_RE.match(setting)
    if match is None:
        raise ValueError("not a SHA-crypt ($5$ or $6$) setting")
    scheme = match.group("id")
    new = hashlib.sha256 if scheme == "5" else hashlib.sha512
    explicit_rounds = match.group("rounds") is not None
    rounds = int(match.group("rounds")) if explicit_rounds else DEFAULT_ROUNDS
    rounds = min(max(rounds, MIN_ROUNDS), MAX_ROUNDS)
    salt_text = match.group("salt")[:SALT_MAX]
    salt = salt_text.encode("utf-8")
    key = password.encode("utf-8") if isinstance(password, str) else password

    alternate = new(key + salt + key).digest()
    ctx = new(key + salt)
    ctx.update(_repeat(alternate, len(key)))
    length = len(key)
    while length:
        ctx.update(alternate if length & 1 else key)
        length >>= 1
    digest_a = ctx.digest()

    p_bytes = _repeat(new(key * len(key)).digest(), len(key))
    s_bytes = _repeat(new(salt * (16 + digest_a[0])).digest(), len(salt))

    current = digest_a
    for i in range(rounds):
        ctx = new(p_bytes if i & 1 else current)
        if i % 3:
            ctx.update(s_bytes)
        if i % 7:
            ctx.update(p_bytes)
        ctx.update(current if i & 1 else p_bytes)
        current = ctx.digest()

    prefix = f"${scheme}$" + (f"rounds={rounds}$" if explicit_rounds else "")
    return f"{prefix}{salt_text}${_encode(current, scheme)}"


def verify(password: str | bytes, stored: str) -> bool:
    """Constant-time check of ``password`` against a stored ``$5$``/``$6$`` hash; False when malformed."""
    try:
        computed = sha_crypt(password, stored)
    except ValueError:
        return False
    return hmac.compare_digest(computed.encode("utf-8"), stored.encode("utf-8"))
