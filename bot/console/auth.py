"""Console sign-in: signed session cookie, roles and CSRF checks.

Every console page and API route goes through ``guard``: no session is 401, the
wrong role is 403, and a state-changing request without the session's CSRF token
(sent in a header a cross-site form cannot set) is 403.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sanic import Request
from sanic.response import HTTPResponse, html
from sanic.response import json as json_response

from bot.security.cookies import set_private_cookie
from bot.store.sessions import LIFETIME_SECONDS, Session
from bot.store.users import User

COOKIE = "maru_console"
CSRF_HEADER = "X-CSRF-Token"
CONVERSATION_ROLES = ("agent", "admin")
ALL_ROLES = ("agent", "editor", "admin")
SAFE_METHODS = ("GET", "HEAD")
Handler = Callable[..., Coroutine[Any, Any, Any]]


def _serializer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(request.app.ctx.settings.session_secret.value, salt="console-session")


def session_cookie(request: Request, response: HTTPResponse, session: Session) -> None:
    """Sets the signed, HttpOnly, same-site session cookie."""
    set_private_cookie(request, response, COOKIE, _serializer(request).dumps(session.id), LIFETIME_SECONDS, "Strict")


async def current_session(request: Request) -> Session | None:
    """The console session of the request, if its cookie is valid and the session still open."""
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    try:
        session_id = _serializer(request).loads(cookie)
    except BadSignature:
        return None
    if not isinstance(session_id, str):
        return None
    session: Session | None = await request.app.ctx.sessions.get(session_id)
    return session


def user_of(session: Session) -> User:
    """The signed-in user."""
    return User(session.user, session.role, session.display_name)


def refusal(request: Request, status: int, message: str) -> HTTPResponse:
    """401/403 as JSON for the APIs (console, dashboard, editor) and as a short page with a login link for pages."""
    if "/api/" in request.path:
        return json_response({"error": message}, status=status)
    page = f'<!doctype html><title>Maru console</title><p>{message}</p><p><a href="/console/login">Log in</a></p>'
    return html(page, status=status)


def guard(roles: tuple[str, ...]) -> Callable[[Handler], Handler]:
    """Lets the handler run only for a signed-in user with one of ``roles`` (and a CSRF token on writes)."""

    def decorator(handler: Handler) -> Handler:
        @wraps(handler)
        async def checked(request: Request, *args: Any, **kwargs: Any) -> Any:
            session = await current_session(request)
            if session is None:
                return refusal(request, 401, "Please log in.")
            if session.role not in roles:
                return refusal(request, 403, "Your role can't open this page.")
            if request.method not in SAFE_METHODS and not _csrf_ok(request, session):
                return refusal(request, 403, "The CSRF token is missing or wrong; reload the page.")
            request.ctx.session = session
            return await handler(request, *args, **kwargs)

        return checked

    return decorator


def _csrf_ok(request: Request, session: Session) -> bool:
    sent = request.headers.get(CSRF_HEADER, "")
    # compare_digest raises on non-ASCII text; such a header is simply not the token.
    return bool(sent) and sent.isascii() and hmac.compare_digest(sent, session.csrf)
