"""The tests' own port helper: a port is never handed out twice in one run."""

from __future__ import annotations

import socket
from typing import Any

import ports
import pytest


def test_free_ports_are_free_and_distinct() -> None:
    seen = [ports.free_port() for _ in range(200)]
    assert len(set(seen)) == len(seen)
    for port in seen[:5]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))  # nothing listens there


def test_a_port_the_kernel_offers_twice_is_not_handed_out_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    offered = iter([40001, 40001, 40001, 40002])  # what bind(0) gave, in a row (seen about 1 in 10,000)

    class Socket:
        def __init__(self) -> None:
            self.port = next(offered)

        def __enter__(self) -> Socket:
            return self

        def __exit__(self, *exc: Any) -> None:
            pass

        def bind(self, address: tuple[str, int]) -> None:
            assert address[1] == 0

        def getsockname(self) -> tuple[str, int]:
            return ("127.0.0.1", self.port)

    monkeypatch.setattr(ports, "_handed_out", set())
    monkeypatch.setattr(ports.socket, "socket", Socket)
    assert [ports.free_port(), ports.free_port()] == [40001, 40002]
