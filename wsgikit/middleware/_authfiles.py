"""Credential files
================

Pure helpers behind the auth backends: parsing ``htpasswd`` and token files, verifying password hashes,
and re-reading a file when its modification time changes (checked on every use, or at most once per
``interval`` seconds). Nothing here knows about WSGI.

``htpasswd`` lines are ``user:hash``; the hashes understood — all verified by `libpass
<https://pypi.org/project/libpass/>`_, the maintained fork of passlib — are bcrypt (``$2b$``, ``$2a$``,
``$2y$`` as written by ``htpasswd -B``; libpass uses the ``bcrypt`` package of the ``auth`` extra),
SHA-crypt (``$5$``/``$6$``, as written by ``openssl passwd -5/-6`` or ``mkpasswd``) and Apache's MD5
``$apr1$`` (``htpasswd``'s old default), which is weak: loading a file that holds one logs a warning naming
the line. Other hash types (``{SHA}``, DES crypt, plain text) are refused when the file is loaded, and so is
a hash that does not parse.

An unknown user costs exactly what a wrong password costs, whatever the file holds: :class:`Htpasswd`
keeps one dummy hash per *cost group* of the file (scheme, rounds and variant), and every check verifies
the password once against each group — the user's own hash for the user's group, a dummy for the others.

Token files hold one token per line: ``<sha256-hex-of-token> <user> <project> <role,role,...>``; ``#``
starts a comment. Only the SHA-256 of a token is ever stored.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import os
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from time import monotonic
from typing import Any, Generic, TypeVar

import passlib.hash

__all__ = [
    "HashCost",
    "Htpasswd",
    "TokenEntry",
    "WatchedFile",
    "hash_token",
    "load_htpasswd",
    "parse_htpasswd",
    "parse_tokens",
    "verify_password",
]

T = TypeVar("T")
logger = logging.getLogger("wsgikit.auth")

_NAME_RE = re.compile(r"^[^\s:#\x00-\x1f\x7f]{1,255}$")
_ID_RE = re.compile(r"^[^\s,\x00-\x1f\x7f]{1,255}$")
_HEX64_RE = re.compile(r"^[0-9a-fA-F]{64}$")

# prefix → libpass handler name; bcrypt only ever uses a password's first 72 bytes
_SCHEMES = (
    ("$2b$", "bcrypt"),
    ("$2a$", "bcrypt"),
    ("$2y$", "bcrypt"),
    ("$5$", "sha256_crypt"),
    ("$6$", "sha512_crypt"),
    ("$apr1$", "apr_md5_crypt"),
)
_WEAK = frozenset({"apr_md5_crypt"})
_BCRYPT_MAX = 72


def _handler(stored: str) -> Any | None:
    """The libpass handler for ``stored``'s prefix, or None for a hash type wsgikit does not accept."""
    for prefix, name in _SCHEMES:
        if stored.startswith(prefix):
            return getattr(passlib.hash, name)
    return None


def _secret(handler: Any, password: str) -> bytes:
    secret = password.encode("utf-8")
    # htpasswd truncates silently at 72 bytes; the bcrypt package (>= 5) refuses longer input
    return secret[:_BCRYPT_MAX] if handler.name == "bcrypt" else secret


def verify_password(password: str, stored: str) -> bool:
    """Check ``password`` against a bcrypt, SHA-crypt or ``$apr1$`` hash, in constant time; False when
    the hash is malformed or of another type."""
    handler = _handler(stored)
    if handler is None:
        return False
    try:
        return bool(handler.verify(_secret(handler, password), stored))
    except ValueError:  # a malformed hash
        return False


@dataclass(frozen=True, order=True)
class HashCost:
    """What one password check costs: the scheme and its cost parameters (rounds, variant)."""

    scheme: str
    rounds: int = 0
    ident: str = ""

    @classmethod
    def of(cls, stored: str) -> HashCost:
        """The cost of checking a password against ``stored``.

        :raises ValueError: for a hash that is of no accepted type or does not parse.
        """
        handler = _handler(stored)
        if handler is None:
            raise ValueError("unsupported hash type")
        parsed = handler.from_string(stored)
        rounds = int(getattr(parsed, "rounds", 0) or 0)  # $apr1$ has a fixed cost: no rounds
        # the variant matters for bcrypt only ($2a$, $2b$, $2y$: same cost, different spellings)
        ident = str(parsed.ident) if handler.name == "bcrypt" else ""
        return cls(handler.name, rounds, ident)

    def dummy(self) -> str:
        """A hash of a random password with exactly this cost."""
        handler = getattr(passlib.hash, self.scheme)
        settings: dict[str, Any] = {}
        if self.rounds:
            settings["rounds"] = self.rounds
        if self.ident:
            settings["ident"] = self.ident
        configured = handler.using(**settings) if settings else handler
        return str(configured.hash(secrets.token_urlsafe(12)))


class Htpasswd:
    """The users of an ``htpasswd`` file and one dummy hash per cost group, for checks whose cost does not
    depend on whether the user exists.

    :param users: ``{user: hash}``, every hash of an accepted type (see :func:`parse_htpasswd`).
    """

    def __init__(self, users: dict[str, str]) -> None:
        self.users = dict(users)
        self._costs = {user: HashCost.of(stored) for user, stored in self.users.items()}
        # sorted: the order of the checks is the same for every request
        self.dummies: dict[HashCost, str] = {cost: cost.dummy() for cost in sorted(set(self._costs.values()))}

    def check(self, user: str, password: str) -> bool:
        """True when ``user`` exists and ``password`` is theirs.

        Whoever the user, the password is verified once per cost group of the file: against the user's
        hash for the user's group and against the group's dummy for every other group, so an unknown user
        and a wrong password cost the same number of hash operations with the same cost parameters.
        """
        own = self._costs.get(user)
        matched = False
        for cost, dummy in self.dummies.items():
            if cost == own:
                matched = verify_password(password, self.users[user])
            else:
                verify_password(password, dummy)
        return matched

    def __len__(self) -> int:
        return len(self.users)


def parse_htpasswd(text: str, source: str = "htpasswd") -> dict[str, str]:
    """``user:hash`` lines → ``{user: hash}``; an ``$apr1$`` (MD5) hash is accepted with a warning.

    :raises ValueError: naming the line, for a malformed line, a hash type that is not accepted or a hash
        that does not parse.
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
        handler = _handler(stored)
        if handler is None:
            raise ValueError(
                f"{source}:{number}: unsupported hash for user {user!r} "
                "(use bcrypt 'htpasswd -B' or SHA-crypt 'openssl passwd -6')"
            )
        try:
            handler.from_string(stored)
        except ValueError:
            raise ValueError(f"{source}:{number}: malformed {handler.name} hash for user {user!r}") from None
        if handler.name in _WEAK:
            logger.warning(
                "%s:%d: user %r has an MD5 ($apr1$) hash, which is weak; re-hash it with 'htpasswd -B'",
                source,
                number,
                user,
            )
        users[user] = stored
    return users


def load_htpasswd(text: str, source: str = "htpasswd") -> Htpasswd:
    """:func:`parse_htpasswd`, then the dummy hashes: what :class:`WatchedFile` loads for Basic auth."""
    return Htpasswd(parse_htpasswd(text, source))


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
    :param interval: seconds between two looks at the file (a float, 0 or more). With ``0`` (the default)
        every :meth:`get` calls ``os.stat``, so a change is seen by the very next call. With more, a call
        within ``interval`` seconds of the last look returns the content it has without any system call
        (the clock is :func:`time.monotonic`), so a change can take up to ``interval`` seconds to be seen;
        the first look is ``interval`` seconds after the load in ``__init__``.

    The file is loaded in ``__init__`` so that a missing or bad file fails at start-up (``OSError`` or
    ``ValueError``).

    A process forked after ``__init__`` (a gunicorn worker) keeps the parent's content and the time of its
    next look: the monotonic clock is the same for every process of the machine, so the child looks at
    the file when the parent would have — at once when that time is already past.
    """

    def __init__(self, path: str, parse: Callable[[str, str], T], interval: float = 0.0) -> None:
        if (
            isinstance(interval, bool)
            or not isinstance(interval, int | float)
            or not 0 <= interval < math.inf
        ):
            raise ValueError(f"interval: expected seconds (0 or more), got {interval!r}")
        self.path = path
        self.interval = float(interval)
        self._parse = parse
        self._lock = threading.Lock()
        self._stamp: tuple[Any, ...] | None = None
        self._value = self._load()
        self._next_look = monotonic() + self.interval

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
        """The parsed content, re-read first if the file changed since the last read (looked at on every
        call, or once ``interval`` seconds have passed since the last look).

        A reload that fails is logged (``wsgikit.auth``) and the last good content is kept.
        """
        if self.interval:
            now = monotonic()
            if now < self._next_look:
                return self._value
            # Set before looking: the threads that arrive meanwhile keep the content they have. Two threads
            # may both pass the test above and both look, which costs a stat and nothing else.
            self._next_look = now + self.interval
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
