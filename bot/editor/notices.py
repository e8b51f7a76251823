"""Editors publish and withdraw proactive notices (``/editor/api/notices``)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from bot.console.auth import guard
from bot.request_body import json_object
from bot.store.notices import Notice
from support.plain_text import plain_text

EDITOR_ROLES = ("editor", "admin")
MAX_NOTICE_CHARS = 500


class BadNotice(ValueError):
    """A notice that can't be published as given."""


def notices_blueprint() -> Blueprint:
    """Routes to list, publish and withdraw notices."""
    notices = Blueprint("editor_notices")

    @notices.get("/editor/api/notices")
    @guard(EDITOR_ROLES)
    async def listing(request: Request) -> HTTPResponse:
        return json_response([asdict(n) for n in await request.app.ctx.notices.all()])

    @notices.post("/editor/api/notices")
    @guard(EDITOR_ROLES)
    async def publish(request: Request) -> HTTPResponse:
        topics = {faq.topic for faq in request.app.ctx.knowledge.current()}
        notice = parse_notice(_body(request), topics, request.ctx.session.user)
        return json_response(asdict(await request.app.ctx.notices.publish(notice)), status=201)

    @notices.post("/editor/api/notices/<notice_id:str>/withdraw")
    @guard(EDITOR_ROLES)
    async def withdraw(request: Request, notice_id: str) -> HTTPResponse:
        if not await request.app.ctx.notices.withdraw(notice_id):
            return json_response({"error": "no such notice"}, status=404)
        return json_response({"ok": True})

    @notices.exception(BadNotice)
    async def bad_notice(request: Request, error: BadNotice) -> HTTPResponse:
        return json_response({"error": str(error)}, status=400)

    return notices


def parse_notice(body: dict[str, Any], known_topics: set[str], author: str) -> Notice:
    """The notice in a request body, checked: text, language, known topics, and an end after the start."""
    text = plain_text(str(body.get("text") or "")).strip()
    if not text or len(text) > MAX_NOTICE_CHARS:
        raise BadNotice(f"the notice needs a text of 1 to {MAX_NOTICE_CHARS} characters")
    topics = body.get("topics")
    if not isinstance(topics, list) or not topics:
        raise BadNotice("name at least one topic")
    unknown = sorted({str(t) for t in topics} - known_topics)
    if unknown:
        raise BadNotice(f"unknown topics: {', '.join(unknown)}; known: {', '.join(sorted(known_topics))}")
    starts, ends = _time(body, "starts"), _time(body, "ends")
    if ends <= starts:
        raise BadNotice("the end must be after the start")
    language = str(body.get("language") or "en")
    return Notice("", text, language, sorted({str(t) for t in topics}), starts, ends, author)


def _time(body: dict[str, Any], name: str) -> float:
    try:
        moment = datetime.fromisoformat(str(body.get(name) or ""))
    except ValueError as error:
        raise BadNotice(f"'{name}' must be a date and time like 2026-11-24T09:00+09:00") from error
    if moment.tzinfo is None:
        raise BadNotice(f"'{name}' needs a time zone, like +09:00")
    return moment.timestamp()


def _body(request: Request) -> dict[str, Any]:
    return json_object(request, BadNotice)
