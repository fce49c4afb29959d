"""Client networks
===============

The IP networks some middleware trusts (``debug_networks``, ``allowed_networks``, ``trusted_networks``):
parsed once when the middleware is built, and tested against ``REMOTE_ADDR`` per request.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

__all__ = ["LOOPBACK", "Network", "address_in", "parse_networks"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK: tuple[Network, ...] = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def parse_networks(option: str, values: Iterable[Network | str]) -> tuple[Network, ...]:
    """Each value (an address, a network string, or an :mod:`ipaddress` network) as a network.

    :raises ValueError: ``"<option>: not an IP network: <value>"`` for the first value that is not one.
    """
    networks: list[Network] = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except (TypeError, ValueError):
            raise ValueError(f"{option}: not an IP network: {value!r}") from None
    return tuple(networks)


def address_in(address: str | None, networks: Iterable[Network]) -> bool:
    """True when ``address`` is an IP address inside one of ``networks`` (False when it is no address)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in networks)
