"""The customer's address behind trusted proxies, and only behind them."""

from __future__ import annotations

import pytest

from bot.security.client_ip import client_address, parse_networks

PROXIES = parse_networks("10.0.0.0/8, 127.0.0.1")


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.9", None, "203.0.113.9"),
        # A client that is not a trusted proxy cannot choose its address.
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),
        ("127.0.0.1", "198.51.100.1", "198.51.100.1"),
        # The client wrote the leftmost entry itself; the proxies added the rest.
        ("10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.5", "198.51.100.1"),
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "not-an-address", "127.0.0.1"),
        ("127.0.0.1", "10.0.0.7, 10.0.0.8", "10.0.0.7"),
    ],
)
def test_the_first_untrusted_hop_from_the_right_is_the_client(peer: str, forwarded: str | None, client: str) -> None:
    assert client_address(peer, forwarded, PROXIES) == client


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_address("127.0.0.1", "198.51.100.1", ()) == "127.0.0.1"


def test_a_bad_range_is_named() -> None:
    with pytest.raises(ValueError, match=r"'10\.0\.0\.0/33'"):
        parse_networks("10.0.0.0/33")
