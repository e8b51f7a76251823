"""The console's guard: a state-changing request needs the session's CSRF token, whatever else it sends."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from itsdangerous import URLSafeSerializer
from sanic import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from bot.console.auth import ALL_ROLES, COOKIE, CSRF_HEADER, guard
from bot.settings import Secret
from bot.store.sessions import Session

SECRET = "console-auth-test-secret"
SESSION = Session("s-1", "mina", "agent", "Mina", "the-csrf-token")


class Sessions:
    async def get(self, session_id: str) -> Session | None:
        return SESSION if session_id == SESSION.id else None


def posted(csrf: str | None) -> Any:
    """A POST of the signed-in session, with this CSRF header (None: without one)."""
    settings = SimpleNamespace(session_secret=Secret(SECRET))
    app = SimpleNamespace(ctx=SimpleNamespace(settings=settings, sessions=Sessions()))
    cookie = URLSafeSerializer(SECRET, salt="console-session").dumps(SESSION.id)
    headers = {} if csrf is None else {CSRF_HEADER: csrf}
    return SimpleNamespace(
        app=app, cookies={COOKIE: cookie}, method="POST", headers=headers, path="/console/api/x", ctx=SimpleNamespace()
    )


@guard(ALL_ROLES)
async def handler(_: Request) -> HTTPResponse:
    return json_response({"ok": True})


# "\udcff\udcfe" is how the server reads header bytes that are not UTF-8; it and "tökén" were a 500
# (hmac.compare_digest refuses non-ASCII text), found by scripts/fuzz_gateway.py.
@pytest.mark.parametrize(
    ("csrf", "status"),
    [("the-csrf-token", 200), (None, 403), ("", 403), ("the-csrf-tokeN", 403), ("\udcff\udcfe", 403), ("tökén", 403)],
)
async def test_a_write_needs_the_sessions_csrf_token(csrf: str | None, status: int) -> None:
    assert (await handler(posted(csrf))).status == status
