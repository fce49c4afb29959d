"""Choosing a backend, as nginx's ``upstream`` does
================================================

The pure core of :class:`wsgikit.middleware.proxy.ProxyApp`: a list of backends, a policy that picks one
for each request, and the passive health accounting that takes a failing backend out of rotation for a
while. No sockets and no environ here — the proxy reports what happened and asks for the next backend.

* ``round_robin`` — nginx's *smooth* weighted round robin: on each pick every live backend's
  ``current`` grows by its ``effective_weight``, the largest wins and gives back the total. Weights 5, 1, 1
  give ``a a b a c a a`` rather than ``a a a a a b c``.
* ``least_conn`` — the live backend with the fewest requests in flight relative to its weight; ties are
  broken by the weighted round robin above.
* ``hash`` — nginx's ``hash $key consistent`` (ketama): each backend owns ``160 * weight`` points on a
  32-bit ring; a key goes to the first point at or after its own hash, skipping backends that are down.
  Adding a backend moves only the keys that fall on its new points, about ``1/N`` of them. An empty key
  falls back to round robin, as in nginx.

Passive health (``max_fails`` / ``fail_timeout``, nginx's meanings): ``max_fails`` failures, each within
``fail_timeout`` of the previous one, take the backend out for ``fail_timeout`` seconds; then one request
is let through to it, and a success brings it back (a failure takes it out again). ``max_fails = 0``
disables the accounting, and so does a single backend (as in nginx). A failed backend's
``effective_weight`` drops by ``weight / max_fails`` and grows back by one per success, so a recovering
backend is eased in. When every backend is out, the request gets
502 and the failure counts are forgotten, so the next request tries again (nginx's "no live upstreams").
"""

from __future__ import annotations

import re
import threading
import time
import weakref
import zlib
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from wsgikit.options import Option, OptionTable, to_choice, to_duration, to_int

__all__ = [
    "POLICIES",
    "Backend",
    "BackendSpec",
    "Balancer",
    "parse_backends",
    "upstream_stats",
]

POLICIES = ("round_robin", "least_conn", "hash")
KETAMA_POINTS = 160
_WEIGHT_RE = re.compile(r"^weight=(\d+)$")


@dataclass(frozen=True)
class BackendSpec:
    """One configured backend: its URL split up, and its weight."""

    url: str
    scheme: str
    host: str
    port: int
    prefix: str
    weight: int = 1

    @classmethod
    def parse(cls, url: str, weight: int = 1) -> BackendSpec:
        """``http://host[:port][/prefix]`` → a spec; :raises ValueError: saying what is wrong."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"expected http://host[:port][/path], got {url!r}")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError(f"must not contain a query, fragment or credentials: {url!r}")
        try:
            port = parts.port
        except ValueError:
            raise ValueError(f"invalid port in {url!r}") from None
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 1:
            raise ValueError(f"weight must be a whole number of at least 1, got {weight!r} for {url!r}")
        default_port = 443 if parts.scheme == "https" else 80
        return cls(url, parts.scheme, parts.hostname, port or default_port, parts.path.rstrip("/"), weight)


def parse_backends(value: str | Iterable[str | tuple[str, int] | BackendSpec]) -> list[BackendSpec]:
    """Backends from ``"http://h1:81 weight=3, http://h2:82"`` (nginx's ``server ... weight=N``), or from
    a list of URLs, ``(url, weight)`` pairs or specs.

    :raises ValueError: for a malformed URL, a ``weight=`` with no URL before it, an unknown parameter, or
        no backend at all.
    """
    specs: list[BackendSpec] = []
    if isinstance(value, str):
        pending: str | None = None
        weight = 1
        for token in re.split(r"[\s,]+", value.strip()):
            if not token:
                continue
            if "=" in token and "://" not in token:
                match = _WEIGHT_RE.match(token)
                if match is None:
                    raise ValueError(f"unknown backend parameter {token!r} (only weight=N is known)")
                if pending is None:
                    raise ValueError(f"{token!r} must follow the backend URL it applies to")
                weight = int(match.group(1))
                continue
            if pending is not None:
                specs.append(BackendSpec.parse(pending, weight))
            pending, weight = token, 1
        if pending is not None:
            specs.append(BackendSpec.parse(pending, weight))
    else:
        for item in value:
            if isinstance(item, BackendSpec):
                specs.append(item)
            elif isinstance(item, tuple):
                specs.append(BackendSpec.parse(item[0], item[1]))
            else:
                specs.extend(parse_backends(item))
    if not specs:
        raise ValueError("no backend given")
    seen: set[str] = set()
    for spec in specs:
        key = f"{spec.scheme}://{spec.host}:{spec.port}{spec.prefix}"
        if key in seen:
            raise ValueError(f"backend {spec.url!r} is listed twice (give it a weight instead)")
        seen.add(key)
    return specs


@dataclass(eq=False)
class Backend:
    """A backend and its state; the counters are what the health check shows."""

    spec: BackendSpec
    effective_weight: int = 0
    current_weight: int = 0
    active: int = 0
    fails: int = 0
    last_fail: float = 0.0
    down_until: float = 0.0
    requests: int = 0
    failures: int = 0
    ejected: int = 0
    probing: bool = field(default=False)

    def __post_init__(self) -> None:
        self.effective_weight = self.spec.weight

    @property
    def weight(self) -> int:
        return self.spec.weight

    def stats(self, now: float) -> dict[str, Any]:
        return {
            "url": self.spec.url,
            "weight": self.spec.weight,
            "requests": self.requests,
            "failures": self.failures,
            "ejected": self.ejected,
            "active": self.active,
            "down": self.down_until > now,
        }


_REGISTRY: weakref.WeakSet[Balancer] = weakref.WeakSet()
_REGISTRY_LOCK = threading.Lock()


def upstream_stats() -> list[list[dict[str, Any]]]:
    """Per-backend counters of every live balancer in this process (one list per proxy)."""
    with _REGISTRY_LOCK:
        balancers = list(_REGISTRY)
    balancers.sort(key=lambda balancer: balancer.created)
    return [balancer.stats() for balancer in balancers]


def _ring_hash(data: bytes) -> int:
    # crc32 as nginx's ketama does: a spread, not a secret
    return zlib.crc32(data) & 0xFFFFFFFF


class Balancer:
    """Pick backends for requests; thread-safe.

    :param backends: the backends (see :func:`parse_backends`).
    :param policy: ``round_robin``, ``least_conn`` or ``hash``.
    :param max_fails: failures within ``fail_timeout`` that take a backend out (0: never).
    :param fail_timeout: the window for counting failures, and how long a backend stays out.
    :param clock: the time source (monotonic seconds).
    """

    OPTIONS = OptionTable(
        "balancer",  # the proxy's options for its backends (ProxyApp.OPTIONS holds these same three)
        Option("policy", to_choice(*POLICIES), "round_robin", "round_robin, least_conn or hash (as nginx)"),
        Option("max_fails", to_int(0), 1, "failures within fail_timeout that take a backend out (0: never)"),
        Option(
            "fail_timeout", to_duration, 10.0, "window for counting failures, and time a backend stays out"
        ),
    )

    def __init__(
        self,
        backends: Sequence[BackendSpec],
        *,
        policy: str = OPTIONS.default("policy"),
        max_fails: int = OPTIONS.default("max_fails"),
        fail_timeout: float = OPTIONS.default("fail_timeout"),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.OPTIONS.validate(policy=policy, max_fails=max_fails, fail_timeout=fail_timeout)
        if fail_timeout <= 0:
            raise ValueError(f"fail_timeout: expected seconds greater than 0, got {fail_timeout!r}")
        if not backends:
            raise ValueError("backends: no backend given")
        self.backends = [Backend(spec) for spec in backends]
        self.policy = policy
        # as nginx: a lone backend is never taken out, there is nothing to send its requests to instead
        self.max_fails = max_fails if len(self.backends) > 1 else 0
        self.fail_timeout = float(fail_timeout)
        self.clock = clock
        self.created = time.monotonic()
        self._lock = threading.Lock()
        self._ring: list[int] = []
        self._ring_backends: list[Backend] = []
        if policy == "hash":
            self._build_ring()
        with _REGISTRY_LOCK:
            _REGISTRY.add(self)

    # -- choosing -------------------------------------------------------------------------------------

    def _build_ring(self) -> None:
        points: list[tuple[int, int, Backend]] = []
        for index, backend in enumerate(self.backends):
            # nginx hashes "host:port" (and the previous point's hash) for each point; so do we
            base = f"{backend.spec.host}:{backend.spec.port}{backend.spec.prefix}".encode()
            previous = 0
            for _ in range(KETAMA_POINTS * backend.weight):
                previous = _ring_hash(base + previous.to_bytes(4, "little"))
                points.append((previous, index, backend))
        points.sort(key=lambda point: (point[0], point[1]))
        self._ring = [point[0] for point in points]
        self._ring_backends = [point[2] for point in points]

    def _available(self, backend: Backend, now: float) -> bool:
        if self.max_fails == 0 or backend.fails < self.max_fails:
            return True
        if backend.down_until > now:
            return False
        # fail_timeout is over: let one request through to see whether it is back (nginx's "checked")
        return not backend.probing

    def acquire(self, key: str | None = None, exclude: Iterable[Backend] = ()) -> Backend | None:
        """The backend for the next attempt, marked as in flight; ``None`` when none is available.

        :param key: the hash key (``hash`` policy); empty or ``None`` falls back to round robin.
        :param exclude: backends this request has already tried.
        """
        tried = set(exclude)
        with self._lock:
            now = self.clock()
            candidates = [b for b in self.backends if b not in tried and self._available(b, now)]
            if not candidates:
                if not any(self._available(b, now) for b in self.backends):
                    # every backend is out: forget the failures so that the next request tries again
                    for backend in self.backends:
                        backend.fails = 0
                        backend.down_until = 0.0
                return None
            if self.policy == "hash" and key:
                chosen = self._by_hash(key, candidates)
            elif self.policy == "least_conn":
                fewest = min(candidates, key=lambda b: b.active / b.weight)
                tied = [b for b in candidates if b.active * fewest.weight == fewest.active * b.weight]
                chosen = self._smooth_round_robin(tied)
            else:
                chosen = self._smooth_round_robin(candidates)
            if self.max_fails and chosen.fails >= self.max_fails:
                chosen.probing = True
            chosen.active += 1
            chosen.requests += 1
            return chosen

    def _smooth_round_robin(self, candidates: list[Backend]) -> Backend:
        total = 0
        best = candidates[0]
        for backend in candidates:
            backend.current_weight += backend.effective_weight
            total += backend.effective_weight
            if backend.current_weight > best.current_weight:
                best = backend
        best.current_weight -= total
        return best

    def _by_hash(self, key: str, candidates: list[Backend]) -> Backend:
        allowed = set(candidates)
        start = bisect_left(self._ring, _ring_hash(key.encode("utf-8", "surrogateescape")))
        size = len(self._ring)
        for step in range(size):
            backend = self._ring_backends[(start + step) % size]
            if backend in allowed:
                return backend
        return candidates[0]  # pragma: no cover - every candidate owns points on the ring

    # -- reporting ------------------------------------------------------------------------------------

    def release(self, backend: Backend, *, failed: bool) -> None:
        """The attempt on ``backend`` is over: it succeeded, or it failed (connect, reset, timeout)."""
        with self._lock:
            now = self.clock()
            backend.active -= 1
            backend.probing = False
            if not failed:
                if self.max_fails and backend.fails >= self.max_fails:
                    backend.fails = 0  # the probe after fail_timeout succeeded: back in rotation
                if backend.effective_weight < backend.weight:
                    backend.effective_weight += 1
                return
            backend.failures += 1
            if self.max_fails == 0:
                return
            if 0 < backend.fails < self.max_fails and now - backend.last_fail > self.fail_timeout:
                backend.fails = 0  # the earlier failures are too old to count (a failed probe still does)
            backend.fails += 1
            backend.last_fail = now
            backend.effective_weight = max(1, backend.effective_weight - backend.weight // self.max_fails)
            if backend.fails >= self.max_fails:
                if backend.down_until <= now:  # not already out (a request in flight failing late)
                    backend.ejected += 1
                backend.down_until = now + self.fail_timeout

    def stats(self) -> list[dict[str, Any]]:
        with self._lock:
            now = self.clock()
            return [backend.stats(now) for backend in self.backends]
