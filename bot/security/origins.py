"""Which web sites may run the widget: CORS for its session route and the socket's ``Origin`` check.

A browser names the page's origin on every cross-origin request and web-socket
handshake. The gateway answers the session route only for the sites the store
configured (``WIDGET_ORIGINS``) and its own pages, and refuses a socket opened
from any other site (OWASP WSTG-CLNT-10). A client that sends no ``Origin`` is
not a browser, so no other site's page can be acting through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

CORS_MAX_AGE_SECONDS = 600


def origin_of(url: str) -> str:
    """The ``scheme://host[:port]`` of a site, lower-cased, as a browser writes it in ``Origin``.

    Raises:
        ValueError: The text is not a bare http(s) origin.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) origin such as https://shop.example")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{url!r} must be an origin only, without a path: https://shop.example")
    default_port = {"http": 80, "https": 443}[parts.scheme]
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def served_origin(scheme: str, host: str) -> str | None:
    """The origin of the gateway's own pages for a request it received, or None if it can't be told.

    A socket's handshake arrives as ``ws``/``wss``, but the page that opened it has the http(s) origin.
    """
    web_scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
    try:
        return origin_of(f"{web_scheme}://{host}")
    except ValueError:
        return None


def parse_origins(raw: str) -> tuple[str, ...]:
    """The comma-separated origins of a setting, normalised; raises ValueError naming a bad one."""
    return tuple(origin_of(item) for item in raw.split(",") if item.strip())


@dataclass(frozen=True)
class WidgetOrigins:
    """The sites allowed to embed the widget, besides the gateway's own pages."""

    sites: frozenset[str]

    def permits(self, origin: str | None, own_origins: tuple[str, ...]) -> bool:
        """Whether a request that names ``origin`` may use the widget's routes."""
        if origin is None:
            return True
        try:
            named = origin_of(origin)
        except ValueError:
            return False
        return named in self.sites or named in own_origins

    def cors_headers(self, origin: str | None) -> dict[str, str]:
        """The CORS answer for a configured site; nothing for the gateway's own pages or a stranger."""
        if origin is None or origin not in self.sites:
            return {"Vary": "Origin"}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": str(CORS_MAX_AGE_SECONDS),
            "Vary": "Origin",
        }
