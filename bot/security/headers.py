"""Security headers on every response of the gateway.

The pages load their scripts and styles from the gateway only, and no page runs
inline script, so the Content-Security-Policy can forbid everything else. No
page of the gateway may be framed: the widget is a script on the store's page,
not a frame, so it needs no exception.
"""

from __future__ import annotations

from sanic import Request
from sanic.response import BaseHTTPResponse

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"


async def add_security_headers(request: Request, response: BaseHTTPResponse) -> None:
    """Response middleware: sets the headers a handler did not set itself."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.scheme == "https":
        response.headers.setdefault("Strict-Transport-Security", HSTS)
