"""The gateway's cookies: HttpOnly, same-site, whole-site path, and Secure whenever the page is https."""

from __future__ import annotations

from sanic import Request
from sanic.response import HTTPResponse


def set_private_cookie(
    request: Request, response: HTTPResponse, name: str, value: str, max_age: int, same_site: str
) -> None:
    """Sets a cookie no script can read, sent only to the gateway (``same_site``: "Lax" or "Strict")."""
    response.cookies[name] = value
    cookie = response.cookies[name]
    cookie["httponly"] = True
    cookie["samesite"] = same_site
    cookie["max-age"] = max_age
    cookie["path"] = "/"
    cookie["secure"] = request.scheme == "https"
