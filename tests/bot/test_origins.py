"""Which sites may use the widget's routes, and the CORS answer they get."""

from __future__ import annotations

import pytest

from bot.security.origins import CORS_MAX_AGE_SECONDS, WidgetOrigins, origin_of, parse_origins, served_origin

OWN = ("http://127.0.0.1:8000",)
SITES = WidgetOrigins(frozenset({"https://shop.example", "http://localhost:3000"}))


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Shop.Example", "https://shop.example"),
        ("https://shop.example/", "https://shop.example"),
        ("https://shop.example:443", "https://shop.example"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("  http://[::1]:8080 ", "http://::1:8080"),
    ],
)
def test_origins_are_written_as_browsers_send_them(url: str, origin: str) -> None:
    assert origin_of(url) == origin


@pytest.mark.parametrize(
    "url", ["shop.example", "ftp://shop.example", "https://shop.example/shop", "https://a@shop.example", "https://"]
)
def test_anything_but_a_bare_origin_is_refused_by_name(url: str) -> None:
    with pytest.raises(ValueError, match="origin"):
        origin_of(url)


def test_a_setting_lists_origins_separated_by_commas() -> None:
    assert parse_origins("https://shop.example, http://localhost:3000,") == (
        "https://shop.example",
        "http://localhost:3000",
    )
    assert parse_origins("") == ()


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (None, True),
        ("https://shop.example", True),
        ("http://127.0.0.1:8000", True),
        ("https://evil.example", False),
        ("http://shop.example", False),
        ("https://shop.example.evil.example", False),
        ("null", False),
    ],
)
def test_only_configured_sites_and_the_gateways_own_pages_are_permitted(origin: str | None, allowed: bool) -> None:
    assert SITES.permits(origin, OWN) is allowed


def test_a_configured_site_gets_cors_for_exactly_its_origin() -> None:
    assert SITES.cors_headers("https://shop.example") == {
        "Access-Control-Allow-Origin": "https://shop.example",
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": str(CORS_MAX_AGE_SECONDS),
        "Vary": "Origin",
    }


@pytest.mark.parametrize("origin", [None, "https://evil.example", "http://127.0.0.1:8000"])
def test_others_get_no_cors_allowance(origin: str | None) -> None:
    assert SITES.cors_headers(origin) == {"Vary": "Origin"}


@pytest.mark.parametrize(
    ("scheme", "host", "origin"),
    [
        ("http", "127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("ws", "127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("wss", "support.maru.example", "https://support.maru.example"),
        ("https", "support.maru.example:443", "https://support.maru.example"),
        ("http", "", None),
    ],
)
def test_a_socket_handshake_has_the_origin_of_its_page(scheme: str, host: str, origin: str | None) -> None:
    assert served_origin(scheme, host) == origin
