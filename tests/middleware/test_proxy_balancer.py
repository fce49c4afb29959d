"""The balancer core without sockets: backend parsing, nginx's smooth weighted round robin, least_conn,
the consistent hash ring, and passive health (max_fails / fail_timeout) on a hand-driven clock."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from wsgikit.middleware._balancer import Backend, BackendSpec, Balancer, parse_backends


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def specs(*weights: int) -> list[BackendSpec]:
    return [BackendSpec.parse(f"http://127.0.0.1:{8001 + i}", w) for i, w in enumerate(weights)]


def name(backend: Backend | None) -> str:
    assert backend is not None
    return "abcdefgh"[backend.spec.port - 8001]


def pick(balancer: Balancer, key: str | None = None) -> str:
    backend = balancer.acquire(key)
    balancer.release(backend, failed=False)  # type: ignore[arg-type]
    return name(backend)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("http://h1:81", [("h1", 81, "", 1)], id="one"),
        pytest.param("http://h1:81 weight=3 http://h2", [("h1", 81, "", 3), ("h2", 80, "", 1)], id="weight"),
        pytest.param("http://h1:81/p/, https://h2", [("h1", 81, "/p", 1), ("h2", 443, "", 1)], id="commas"),
        pytest.param(
            "\n  http://h1:81\n  http://h2:82 weight=2\n", [("h1", 81, "", 1), ("h2", 82, "", 2)], id="lines"
        ),
    ],
)
def test_parse_backends(text: str, expected: list[tuple[str, int, str, int]]) -> None:
    assert [(s.host, s.port, s.prefix, s.weight) for s in parse_backends(text)] == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("", "no backend", id="empty"),
        pytest.param("weight=2 http://h", "must follow", id="weight-first"),
        pytest.param("http://h weight=0", "unknown backend parameter|at least 1", id="weight-zero"),
        pytest.param("http://h weight=x", "unknown backend parameter", id="weight-nan"),
        pytest.param("http://h max_conns=3", "unknown backend parameter", id="unknown-param"),
        pytest.param("ftp://h", "expected http", id="scheme"),
        pytest.param("h1:80", "expected http", id="no-scheme"),
        pytest.param("http://h:99999", "invalid port", id="port"),
        pytest.param("http://h/?q", "query", id="query"),
        pytest.param("http://h http://h:80", "listed twice", id="duplicate"),
    ],
)
def test_parse_backends_errors(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_backends(value)


def test_parse_backends_from_python_values() -> None:
    spec = BackendSpec.parse("http://h3")
    parsed = parse_backends(["http://h1 weight=2", ("http://h2", 4), spec])
    assert [(s.host, s.weight) for s in parsed] == [("h1", 2), ("h2", 4), ("h3", 1)]


def test_smooth_weighted_round_robin_is_nginx_order() -> None:
    # nginx's documented example: weights 5, 1, 1 give a a b a c a a, not a a a a a b c
    balancer = Balancer(specs(5, 1, 1))
    assert "".join(pick(balancer) for _ in range(14)) == "aabacaa" * 2


def test_round_robin_shares_follow_weights() -> None:
    balancer = Balancer(specs(5, 3, 2))
    assert Counter(pick(balancer) for _ in range(1000)) == {"a": 500, "b": 300, "c": 200}


def test_least_conn_prefers_fewest_in_flight_per_weight() -> None:
    balancer = Balancer(specs(1, 1, 2), policy="least_conn")
    held = [balancer.acquire() for _ in range(4)]
    # 4 in flight spread so that active/weight is even: a 1, b 1, c 2
    assert Counter(name(b) for b in held) == {"a": 1, "b": 1, "c": 2}
    balancer.release(held[[name(b) for b in held].index("b")], failed=False)
    assert name(balancer.acquire()) == "b"


def test_least_conn_ties_use_weighted_round_robin() -> None:
    balancer = Balancer(specs(3, 1), policy="least_conn")
    assert Counter(pick(balancer) for _ in range(400)) == {"a": 300, "b": 100}


def keys(n: int) -> list[str]:
    return [f"10.{i // 250}.{i % 250}.7" for i in range(n)]


def test_hash_is_stable_and_spread() -> None:
    balancer = Balancer(specs(1, 1, 1), policy="hash")
    first = {key: pick(balancer, key) for key in keys(3000)}
    assert {key: pick(balancer, key) for key in keys(3000)} == first
    shares = Counter(first.values())
    assert all(700 <= shares[b] <= 1300 for b in "abc"), shares


def test_hash_adding_a_backend_moves_about_one_nth_of_the_keys() -> None:
    before = Balancer(specs(1, 1, 1), policy="hash")
    after = Balancer(specs(1, 1, 1, 1), policy="hash")
    moved = [key for key in keys(4000) if pick(before, key) != pick(after, key)]
    assert 0.15 <= len(moved) / 4000 <= 0.35  # 1/4 expected: the new backend's share
    assert {pick(after, key) for key in moved} == {"d"}  # keys only move to the new backend


def test_hash_skips_a_backend_that_is_down_and_returns_after() -> None:
    clock = Clock()
    balancer = Balancer(specs(1, 1, 1), policy="hash", max_fails=1, fail_timeout=10, clock=clock)
    owners = {key: pick(balancer, key) for key in keys(300)}
    a = balancer.backends[0]
    balancer.acquire(exclude=balancer.backends[1:])
    balancer.release(a, failed=True)
    during = {key: pick(balancer, key) for key in keys(300)}
    assert "a" not in during.values()
    assert all(during[k] == owners[k] for k in owners if owners[k] != "a")  # others keep their keys
    clock.now += 11
    assert {key: pick(balancer, key) for key in keys(300)} == owners


def test_hash_with_an_empty_key_falls_back_to_round_robin() -> None:
    balancer = Balancer(specs(1, 1), policy="hash")
    assert [pick(balancer, "") for _ in range(4)] == ["a", "b", "a", "b"]


def fail(balancer: Balancer, backend: Backend) -> None:
    balancer.acquire(exclude=[b for b in balancer.backends if b is not backend])
    balancer.release(backend, failed=True)


def test_max_fails_ejects_for_fail_timeout_then_one_probe() -> None:
    clock = Clock()
    balancer = Balancer(specs(1, 1), max_fails=2, fail_timeout=10, clock=clock)
    a = balancer.backends[0]
    fail(balancer, a)
    assert a.stats(clock.now)["down"] is False  # one failure of two allowed
    fail(balancer, a)
    assert (a.failures, a.ejected, a.stats(clock.now)["down"]) == (2, 1, True)
    assert {pick(balancer) for _ in range(10)} == {"b"}
    clock.now += 10.5
    probe = balancer.acquire(exclude=balancer.backends[1:])
    assert probe is a
    assert {name(balancer.acquire()) for _ in range(4)} == {"b"}  # one probe at a time
    balancer.release(a, failed=True)  # still broken: out again at once
    assert (a.ejected, a.stats(clock.now)["down"]) == (2, True)
    clock.now += 10.5
    probe = balancer.acquire(exclude=balancer.backends[1:])
    balancer.release(probe, failed=False)  # type: ignore[arg-type]
    assert a.fails == 0
    assert "a" in {pick(balancer) for _ in range(4)}


def test_failures_further_apart_than_fail_timeout_do_not_add_up() -> None:
    clock = Clock()
    balancer = Balancer(specs(1, 1), max_fails=2, fail_timeout=10, clock=clock)
    a = balancer.backends[0]
    fail(balancer, a)
    clock.now += 11
    fail(balancer, a)
    assert (a.failures, a.ejected, a.fails) == (2, 0, 1)


def test_late_failures_of_a_backend_already_out_count_one_ejection() -> None:
    balancer = Balancer(specs(1, 1), max_fails=1)
    a = balancer.backends[0]
    held = [balancer.acquire(exclude=balancer.backends[1:]) for _ in range(3)]  # three in flight on a
    for backend in held:
        balancer.release(backend, failed=True)  # type: ignore[arg-type]
    assert (a.failures, a.ejected) == (3, 1)


def test_every_backend_out_gives_none_then_tries_again() -> None:
    balancer = Balancer(specs(1, 1), max_fails=1)
    for backend in balancer.backends:
        fail(balancer, backend)
    assert balancer.acquire() is None
    assert balancer.acquire() is not None  # nginx: failures forgotten for a quick recovery


def test_max_fails_zero_and_a_lone_backend_are_never_ejected() -> None:
    for balancer in (Balancer(specs(1, 1), max_fails=0), Balancer(specs(1), max_fails=1)):
        a = balancer.backends[0]
        for _ in range(5):
            fail(balancer, a)
        assert (a.failures, a.ejected) == (5, 0)
        assert balancer.acquire(exclude=balancer.backends[1:]) is a


def test_exclude_gives_none_when_every_backend_was_tried() -> None:
    balancer = Balancer(specs(1, 1))
    assert balancer.acquire(exclude=balancer.backends) is None
    assert balancer.acquire() is not None  # nothing was reset or marked


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"policy": "random"}, "policy"),
        ({"max_fails": -1}, "max_fails"),
        ({"fail_timeout": 0}, "fail_timeout"),
    ],
)
def test_bad_balancer_options(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Balancer(specs(1), **kwargs)
    with pytest.raises(ValueError, match="backends"):
        Balancer([])
