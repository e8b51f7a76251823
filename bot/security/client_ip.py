"""The customer's real address when the gateway sits behind proxies the operator trusts.

``X-Forwarded-For`` is written by every proxy on the way, and by the client too,
so only the entries added by trusted proxies can be believed: reading from the
right, the first address that is not a trusted proxy is the client's.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from sanic import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(raw: str) -> tuple[Network, ...]:
    """The comma-separated CIDR list of a setting; raises ValueError naming a bad entry."""
    networks = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as error:
            raise ValueError(f"{item!r} is not an IP address or CIDR range") from error
    return tuple(networks)


def client_address(peer: str, forwarded_for: str | None, trusted: Iterable[Network]) -> str:
    """The client's address: the peer itself, unless the peer is a trusted proxy that says who it forwards."""
    trusted = tuple(trusted)
    if not _is_trusted(peer, trusted) or not forwarded_for:
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop if _is_address(hop) else peer
    return hops[0] if hops and _is_address(hops[0]) else peer


def _is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def request_client(request: Request) -> str:
    """The address of whoever sent the request, looking through the gateway's trusted proxies."""
    trusted = request.app.ctx.settings.trusted_proxies
    return client_address(request.ip, request.headers.get("x-forwarded-for"), trusted)
