"""A free TCP port for the servers that tests start (`from ports import free_port`)."""

from __future__ import annotations

import socket

_handed_out: set[int] = set()
"""Ports this process has handed out: a test that asks for several before starting its servers must get
different ones."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on at ``host`` now (the kernel's choice; a server started next takes it), and
    never one this process handed out before: the kernel can offer the same free port to two ``bind(0)``
    calls in a row (about once in 10,000 here), and two servers told to take it would collide."""
    if len(_handed_out) > 10_000:  # far more than a run asks for; the ephemeral range must not run dry
        _handed_out.clear()
    while True:
        with socket.socket() as sock:
            sock.bind((host, 0))
            port: int = sock.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port
