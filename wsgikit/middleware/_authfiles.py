"""Credential files
================

Pure helpers behind the auth backends: parsing ``htpasswd`` and token files, verifying password hashes,
and re-reading a file when its modification time changes. Nothing here knows about WSGI.

``htpasswd`` lines are ``user:hash``; the hashes understood are bcrypt (``$2b$``, ``$2a$``, ``$2y$`` as
written by ``htpasswd -B``, checked with the ``bcrypt`` package, imported on first use) and SHA-crypt
(``$5$``/``$6$``, as written by ``openssl passwd -5/-6`` or ``mkpasswd``). Other hash types (MD5
``$apr1$``, ``{SHA}``, DES crypt, plain text) are weak and refused when the file is loaded.

Token files hold one token per line: ``<sha256-hex-of-token> <user> <project> <role,role,...>``; ``#``
starts a comment. Only the SHA-256 of a token is ever stored.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from wsgikit.middleware import _shacrypt

__all__ = [
    "TokenEntry",
    "WatchedFile",
    "hash_token",
    "parse_htpasswd",
    "parse_tokens",
    "verify_password",
]

T = TypeVar("T")
logger = logging.getLogger("wsgikit.auth")

_BCRYPT_PREFIXES = ("$2b$", "$2a$", "$2y$")
_NAME_RE = re.compile(r"^[^\s:#\x00-\x1f\x7f]{1,255}$")
_ID_RE = re.compile(r"^[^\s,\x00-\x1f\x7f]{1,255}$")
_HEX64_RE = re.compile(r"^[0-9a-fA-F]{64}$")

# Used when the user is unknown, so that "unknown user" and "wrong password" cost about the same.
_DUMMY_SHA_CRYPT = _shacrypt.sha_crypt("wsgikit-dummy-password", "$6$wsgikitdummysalt")


def verify_password(password: str, stored: str) -> bool:
    """Check ``password`` against a bcrypt or SHA-crypt hash, in constant time; False when malformed."""
    if stored.startswith(_BCRYPT_PREFIXES):
        import bcrypt  # optional dependency (extra "auth"), loaded only when a bcrypt hash is checked

        # Apache's $2y$ is the same algorithm as $2b$. bcrypt only ever uses the first 72 bytes; htpasswd
        # truncates silently, while bcrypt>=5 refuses longer input — truncate as the hash was made.
        normalized = "$2b$" + stored[4:] if stored.startswith("$2y$") else stored
        try:
            return bool(bcrypt.checkpw(password.encode("utf-8")[:72], normalized.encode("ascii")))
        except ValueError:
            return False
    if _shacrypt.is_sha_crypt(stored):
        return _shacrypt.verify(password, stored)
    _shacrypt.verify(password, _DUMMY_SHA_CRYPT)
    return False


def parse_htpasswd(text: str, source: str = "htpasswd") -> dict[str, str]:
    """``user:hash`` lines → ``{user: hash}``.

    :raises ValueError: naming the line, for a malformed line or a hash type that is not supported.
    """
    users: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        user, colon, stored = line.partition(":")
        stored = stored.split(":", 1)[0]  # some tools append ":comment"
        if not colon or not _NAME_RE.match(user) or not stored:
            raise ValueError(f"{source}:{number}: expected 'user:hash'")
        if not (stored.startswith(_BCRYPT_PREFIXES) or _shacrypt.is_sha_crypt(stored)):
            raise ValueError(
                f"{source}:{number}: unsupported hash for user {user!r} "
                "(use bcrypt 'htpasswd -B' or SHA-crypt 'openssl passwd -6')"
            )
        users[user] = stored
    return users


@dataclass(frozen=True)
class TokenEntry:
    """One line of a token file."""

    digest: str
    user: str
    project: str
    roles: tuple[str, ...]


def hash_token(token: str) -> str:
    """The lower-case hex SHA-256 of ``token`` (UTF-8), as stored in a token file."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_tokens(text: str, source: str = "tokens") -> list[TokenEntry]:
    """Token file lines → entries.

    :raises ValueError: naming the line, for a malformed one.
    """
    entries: list[TokenEntry] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) not in (3, 4) or not _HEX64_RE.match(fields[0]):
            raise ValueError(f"{source}:{number}: expected '<sha256-hex-of-token> <user> <project> <roles>'")
        roles = tuple(role for role in fields[3].split(",") if role) if len(fields) == 4 else ()
        if not all(_ID_RE.match(value) for value in (fields[1], fields[2], *roles)):
            raise ValueError(f"{source}:{number}: invalid user, project or role name")
        entries.append(TokenEntry(fields[0].lower(), fields[1], fields[2], roles))
    return entries


def find_token(entries: list[TokenEntry], token: str) -> TokenEntry | None:
    """The entry whose digest is the SHA-256 of ``token``; every entry is compared, in constant time."""
    digest = hash_token(token).encode("ascii")
    found: TokenEntry | None = None
    for entry in entries:
        if hmac.compare_digest(entry.digest.encode("ascii"), digest):
            found = entry
    return found


class WatchedFile(Generic[T]):
    """A file parsed on first use and parsed again whenever its modification time or size changes.

    :param path: the file.
    :param parse: ``(text, path) -> value``; raises ``ValueError`` for bad content.

    The file is loaded in ``__init__`` so that a missing or bad file fails at start-up (``OSError`` or
    ``ValueError``).
    """

    def __init__(self, path: str, parse: Callable[[str, str], T]) -> None:
        self.path = path
        self._parse = parse
        self._lock = threading.Lock()
        self._stamp: tuple[Any, ...] | None = None
        self._value = self._load()

    def _signature(self) -> tuple[Any, ...]:
        stat = os.stat(self.path)
        return (stat.st_mtime_ns, stat.st_size, stat.st_ino)

    def _load(self) -> T:
        stamp = self._signature()
        with open(self.path, encoding="utf-8") as handle:
            value = self._parse(handle.read(), self.path)
        self._stamp = stamp
        return value

    def get(self) -> T:
        """The parsed content, re-read first if the file changed since the last read.

        A reload that fails is logged (``wsgikit.auth``) and the last good content is kept.
        """
        try:
            changed = self._signature() != self._stamp
        except OSError:
            changed = False  # deleted or unreadable for a moment: keep serving the last good content
        if changed:
            with self._lock:
                try:
                    if self._signature() != self._stamp:
                        self._value = self._load()
                except (OSError, ValueError) as error:
                    self._stamp = self._safe_signature()  # log once per change, not once per request
                    logger.error("cannot reload %s, keeping the previous content: %s", self.path, error)
        return self._value

    def _safe_signature(self) -> tuple[Any, ...] | None:
        try:
            return self._signature()
        except OSError:
            return None
