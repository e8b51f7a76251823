"""Editors publish, edit and withdraw proactive notices (``/editor/api/notices``).

An edit or a withdrawal carries the notice's ``version`` as the page read it; a notice changed or
withdrawn meanwhile gets 409 with the notice as it is now, and nothing is changed.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from bot.console.auth import guard
from bot.request_body import json_object
from bot.store.notices import Notice, NoticeChanged
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
        return json_response([notice_json(n) for n in await request.app.ctx.notices.all()])

    @notices.post("/editor/api/notices")
    @guard(EDITOR_ROLES)
    async def publish(request: Request) -> HTTPResponse:
        topics = {faq.topic for faq in request.app.ctx.knowledge.current()}
        notice = parse_notice(_body(request), topics, request.ctx.session.user)
        return json_response(notice_json(await request.app.ctx.notices.publish(notice)), status=201)

    @notices.post("/editor/api/notices/<notice_id:str>")
    @guard(EDITOR_ROLES)
    async def edit(request: Request, notice_id: str) -> HTTPResponse:
        body = _body(request)
        topics = {faq.topic for faq in request.app.ctx.knowledge.current()}
        notice = replace(parse_notice(body, topics, request.ctx.session.user), id=notice_id)
        version = _version(body)
        if version is None:
            raise BadNotice("'version' must be the notice's version as read")
        return json_response(notice_json(await request.app.ctx.notices.update(notice, version)))

    @notices.post("/editor/api/notices/<notice_id:str>/withdraw")
    @guard(EDITOR_ROLES)
    async def withdraw(request: Request, notice_id: str) -> HTTPResponse:
        if not await request.app.ctx.notices.withdraw(notice_id, _version(_body(request))):
            return json_response({"error": "This notice was already withdrawn."}, status=404)
        return json_response({"ok": True})

    @notices.exception(BadNotice)
    async def bad_notice(request: Request, error: BadNotice) -> HTTPResponse:
        return json_response({"error": str(error)}, status=400)

    @notices.exception(NoticeChanged)
    async def changed(request: Request, error: NoticeChanged) -> HTTPResponse:
        if error.current is None:
            message = "Someone withdrew this notice since you read it; nothing was changed."
        else:
            message = f"{error.current.author} changed this notice since you read it; nothing was changed."
        current = notice_json(error.current) if error.current else None
        return json_response({"error": message, "conflict": {"notice": current}}, status=409)

    return notices


def notice_json(notice: Notice) -> dict[str, Any]:
    """A notice as the page reads it, with its version."""
    return {**asdict(notice), "version": notice.version}


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


def _version(body: dict[str, Any]) -> str | None:
    version = body.get("version")
    if version is not None and not isinstance(version, str):
        raise BadNotice("'version' must be the notice's version as read, a string")
    return version
