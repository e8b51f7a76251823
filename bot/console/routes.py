"""Console pages, the console API and its live socket.

Only agents and admins see conversations. Pages are static HTML whose script
reads the API; everything a customer wrote is inserted as text, never as HTML.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from redis.exceptions import RedisError
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, file
from sanic.response import json as json_response
from websockets.exceptions import ConnectionClosed

from bot.console import assist
from bot.console.auth import (
    ALL_ROLES,
    CONVERSATION_ROLES,
    current_session,
    guard,
    refusal,
    session_cookie,
    user_of,
)
from bot.console.canned import canned_replies
from bot.console.mail import mail_overview, with_mail
from bot.delivery import relay_to_socket
from bot.handoff import Desk, DeskError
from bot.identity.sessions import origin_key
from bot.rasa import RasaUnavailable
from bot.request_body import json_object, text_field
from bot.security.client_ip import request_client
from bot.store.identities import Identity
from bot.store.login_attempts import LoginAttempts

logger = logging.getLogger(__name__)
PAGES = Path(__file__).resolve().parent.parent / "static" / "console"
CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
MAX_AGENT_TEXT = 4000
HEARTBEAT_SECONDS = 10
DONE_FOLLOW_UPS_SHOWN = 50


def _locked_out(wait_seconds: int) -> HTTPResponse:
    minutes = max(1, -(-wait_seconds // 60))
    message = f"Too many wrong passwords. Try again in {minutes} min, or ask an admin to unlock the account."
    return json_response({"error": message}, status=429, headers={"Retry-After": str(wait_seconds)})


def console_blueprint() -> Blueprint:
    """Routes of the agent console."""
    console = Blueprint("console")

    @console.get("/console/login")
    async def login_page(_: Request) -> HTTPResponse:
        return await file(PAGES / "login.html")

    @console.get("/console/static/<name:[a-z]+\\.(?:js|css)>")
    async def asset(_: Request, name: str) -> HTTPResponse:
        return await file(PAGES / name)

    @console.post("/console/login")
    async def login(request: Request) -> HTTPResponse:
        body = _body(request)
        name, password = str(body.get("name") or ""), str(body.get("password") or "")
        attempts: LoginAttempts = request.app.ctx.login_attempts
        address = origin_key(request.app.ctx.settings.session_secret.value, request_client(request))
        wait = await attempts.locked_for(name, address)
        if wait:
            request.app.ctx.metrics.rate_limited("login")
            return _locked_out(wait)
        user = await request.app.ctx.users.authenticate(name, password)
        if user is None:
            if await attempts.failed(name, address):
                logger.warning("console login locked after repeated wrong passwords")
            return json_response({"error": "Wrong name or password."}, status=401)
        await attempts.succeeded(name)
        session = await request.app.ctx.sessions.open(user.name, user.role, user.display_name)
        home = "/console" if user.role in CONVERSATION_ROLES else "/editor"
        response = json_response({"name": user.name, "role": user.role, "home": home})
        session_cookie(request, response, session)
        return response

    @console.post("/console/logout")
    @guard(ALL_ROLES)
    async def logout(request: Request) -> HTTPResponse:
        session = request.ctx.session
        await request.app.ctx.sessions.close(session.id)
        await request.app.ctx.desk.presence.leave(session.user)
        return json_response({"ok": True})

    @console.get("/console/api/me")
    @guard(ALL_ROLES)
    async def me(request: Request) -> HTTPResponse:
        s = request.ctx.session
        return json_response({"name": s.user, "display_name": s.display_name, "role": s.role, "csrf": s.csrf})

    @console.get("/console")
    @guard(CONVERSATION_ROLES)
    async def queue_page(_: Request) -> HTTPResponse:
        return await file(PAGES / "queue.html")

    @console.get("/console/conversations/<conversation:str>")
    @guard(CONVERSATION_ROLES)
    async def conversation_page(_: Request, conversation: str) -> HTTPResponse:
        return await file(PAGES / "conversation.html")

    @console.get("/console/api/queue")
    @guard(CONVERSATION_ROLES)
    async def queue(request: Request) -> HTTPResponse:
        desk: Desk = request.app.ctx.desk
        now = time.time()
        identities = request.app.ctx.identities
        queued = [
            {
                **asdict(h),
                "waiting_seconds": round(now - h.queued_at),
                "identity": _as_dict(await identities.get(h.conversation)),
                "first_offer": await desk.first_offer(h),
            }
            for h in await desk.handoffs.queued()
        ]
        return json_response(
            {
                "queued": queued,
                "assigned": [asdict(h) for h in await desk.handoffs.assigned()],
                "agents_online": await desk.presence.online(now),
                "callbacks": [await with_mail(c, request.app.ctx.mail_queue) for c in await desk.callbacks.open()],
                "mail": await mail_overview(request.app.ctx.mail_queue, request.app.ctx.mailroom is not None, now),
            }
        )

    @console.get("/console/check-ins")
    @guard(CONVERSATION_ROLES)
    async def check_ins_page(_: Request) -> HTTPResponse:
        return await file(PAGES / "checkins.html")

    @console.get("/console/api/check-ins")
    @guard(CONVERSATION_ROLES)
    async def check_ins(request: Request) -> HTTPResponse:
        listed = await request.app.ctx.surveys.state.check_ins()
        return json_response({"check_ins": [asdict(c) for c in listed]})

    @console.get("/console/api/agents")
    @guard(CONVERSATION_ROLES)
    async def agents(request: Request) -> HTTPResponse:
        users = await request.app.ctx.users.all()
        return json_response([asdict(u) for u in users if u.role in CONVERSATION_ROLES])

    @console.get("/console/api/conversations/<conversation:str>")
    @guard(CONVERSATION_ROLES)
    async def conversation(request: Request, conversation: str) -> HTTPResponse:
        if not CONVERSATION_ID.match(conversation):
            return json_response({"error": "unknown conversation"}, status=404)
        ctx = request.app.ctx
        handoff = await ctx.desk.handoffs.get(conversation)
        transcript = await ctx.transcripts.read(conversation, 500)
        if handoff is None and not transcript:
            return json_response({"error": "unknown conversation"}, status=404)
        notes = await ctx.desk.notes.read(conversation)
        return json_response(
            {
                "conversation": conversation,
                "handoff": asdict(handoff) if handoff else None,
                "bot_said": assist.said_segments(handoff.context) if handoff else [],
                "identity": _as_dict(await ctx.identities.get(conversation)),
                "delivery": {
                    "unreachable": await ctx.delivery.queue.unreachable(conversation),
                    "undelivered": await ctx.delivery.queue.undelivered(conversation),
                },
                "transcript": [asdict(entry) for entry in transcript],
                "notes": [asdict(note) for note in notes],
                "follow_up": await ctx.followup_desk.of_conversation(conversation),
                "canned": canned_replies(
                    ctx.settings.canned_file,
                    await ctx.desk.language(conversation, handoff),
                    request.ctx.session.display_name,
                ),
            }
        )

    @console.get("/console/api/conversations/<conversation:str>/assist")
    @guard(CONVERSATION_ROLES)
    async def agent_assist(request: Request, conversation: str) -> HTTPResponse:
        ctx = request.app.ctx
        question = str(request.args.get("q") or "").strip()
        if not question:
            question = assist.last_customer_text(await ctx.transcripts.read(conversation, 50))
        if not question:
            return json_response({"question": "", "suggestions": []})
        try:
            parsed = await ctx.rasa.parse(question[:MAX_AGENT_TEXT])
        except RasaUnavailable:
            return json_response({"error": "The assistant is not reachable for suggestions."}, status=503)
        knowledge = ctx.knowledge.current()
        language = await ctx.desk.language(conversation, await ctx.desk.handoffs.get(conversation))
        return json_response({"question": question, "suggestions": assist.suggestions(parsed, knowledge, language)})

    @console.post("/console/api/conversations/<conversation:str>/claim")
    @guard(CONVERSATION_ROLES)
    async def claim(request: Request, conversation: str) -> HTTPResponse:
        handoff = await request.app.ctx.desk.claim(conversation, user_of(request.ctx.session))
        return json_response(asdict(handoff))

    @console.post("/console/api/conversations/<conversation:str>/reply")
    @guard(CONVERSATION_ROLES)
    async def reply(request: Request, conversation: str) -> HTTPResponse:
        text, agent = _text_field(request), user_of(request.ctx.session)
        message = await request.app.ctx.desk.reply(conversation, agent, text)
        await request.app.ctx.followup_desk.mail_reply(conversation, agent, text)
        return json_response(message)

    @console.post("/console/api/conversations/<conversation:str>/notes")
    @guard(CONVERSATION_ROLES)
    async def note(request: Request, conversation: str) -> HTTPResponse:
        stored = await request.app.ctx.desk.add_note(conversation, user_of(request.ctx.session), _text_field(request))
        return json_response(asdict(stored))

    @console.post("/console/api/conversations/<conversation:str>/transfer")
    @guard(CONVERSATION_ROLES)
    async def transfer(request: Request, conversation: str) -> HTTPResponse:
        target = await request.app.ctx.users.get(str(_body(request).get("agent") or ""))
        if target is None:
            return json_response({"error": "no such agent"}, status=400)
        await request.app.ctx.desk.transfer(conversation, user_of(request.ctx.session), target)
        return json_response({"ok": True, "agent": target.name})

    @console.post("/console/api/conversations/<conversation:str>/resolve")
    @guard(CONVERSATION_ROLES)
    async def resolve(request: Request, conversation: str) -> HTTPResponse:
        agent = user_of(request.ctx.session)
        handoff = await request.app.ctx.desk.resolve(conversation, agent)
        await request.app.ctx.surveys.after_agent(handoff, agent.name, agent.display_name)
        return json_response({"ok": True, "reason": handoff.reason})

    @console.post("/console/api/callbacks/<callback_id:str>/pick-up")
    @guard(CONVERSATION_ROLES)
    async def pick_up(request: Request, callback_id: str) -> HTTPResponse:
        callback = await request.app.ctx.desk.pick_up_callback(callback_id, user_of(request.ctx.session))
        return json_response(asdict(callback))

    @console.get("/console/api/callbacks/<callback_id:str>")
    @guard(CONVERSATION_ROLES)
    async def callback(request: Request, callback_id: str) -> HTTPResponse:
        found = await request.app.ctx.desk.callbacks.get(callback_id)
        if found is None:
            return json_response({"error": "unknown callback"}, status=404)
        return json_response(await with_mail(found, request.app.ctx.mail_queue))

    @console.post("/console/api/callbacks/<callback_id:str>/email")
    @guard(CONVERSATION_ROLES)
    async def email_callback(request: Request, callback_id: str) -> HTTPResponse:
        text, finish = _text_field(request), _body(request).get("finish") is True
        agent = user_of(request.ctx.session)
        answered, _ = await request.app.ctx.desk.email_callback(callback_id, agent, text, finish)
        return json_response(await with_mail(answered, request.app.ctx.mail_queue))

    @console.post("/console/api/callbacks/<callback_id:str>/done")
    @guard(CONVERSATION_ROLES)
    async def callback_done(request: Request, callback_id: str) -> HTTPResponse:
        note = str(_body(request).get("note") or "")[:MAX_AGENT_TEXT]
        callback = await request.app.ctx.desk.finish_callback(callback_id, user_of(request.ctx.session), note)
        return json_response(asdict(callback))

    @console.get("/console/api/follow-ups")
    @guard(CONVERSATION_ROLES)
    async def follow_ups(request: Request) -> HTTPResponse:
        followups, desk = request.app.ctx.followups, request.app.ctx.followup_desk
        kudos = await followups.kudos(request.ctx.session.user)
        return json_response(
            {
                "follow_ups": await desk.rows(await followups.open()),
                "done": await desk.rows(await followups.done_list(DONE_FOLLOW_UPS_SHOWN)),
                "kudos": [asdict(k) for k in kudos],
            }
        )

    @console.post("/console/api/follow-ups/<followup_id:str>/take")
    @guard(CONVERSATION_ROLES)
    async def follow_up_take(request: Request, followup_id: str) -> HTTPResponse:
        desk = request.app.ctx.followup_desk
        return json_response(await desk.row(await desk.take(followup_id, user_of(request.ctx.session))))

    @console.post("/console/api/follow-ups/<followup_id:str>/done")
    @guard(CONVERSATION_ROLES)
    async def follow_up_done(request: Request, followup_id: str) -> HTTPResponse:
        note = str(_body(request).get("note") or "")[:MAX_AGENT_TEXT]
        desk = request.app.ctx.followup_desk
        return json_response(await desk.row(await desk.done(followup_id, user_of(request.ctx.session), note)))

    @console.websocket("/console/socket")
    async def socket(request: Request, ws: Any) -> None:
        session = await current_session(request)
        if session is None or session.role not in CONVERSATION_ROLES:
            await ws.close(code=4401 if session is None else 4403, reason="log in as an agent")
            return
        conversation = request.args.get("conversation")
        if conversation is not None and not CONVERSATION_ID.match(conversation):
            await ws.close(code=4404, reason="unknown conversation")
            return
        await _serve_console(request.app.ctx, ws, session.user, conversation)

    @console.exception(DeskError)
    async def desk_error(request: Request, error: DeskError) -> HTTPResponse:
        return json_response({"error": str(error)}, status=409)

    @console.exception(InvalidInput)
    async def invalid_input(request: Request, error: InvalidInput) -> HTTPResponse:
        return json_response({"error": str(error)}, status=400)

    @console.exception(RedisError)
    async def store_down(request: Request, error: RedisError) -> HTTPResponse:
        logger.warning("console request failed, Redis unavailable: %s", error)
        request.app.ctx.metrics.redis_error("console")
        return refusal(request, 503, "The data store is not reachable; try again in a moment.")

    return console


class InvalidInput(ValueError):
    """A request body the console API can't use."""


def _as_dict(identity: Identity | None) -> dict[str, Any] | None:
    return asdict(identity) if identity else None


def _body(request: Request) -> dict[str, Any]:
    return json_object(request, InvalidInput)


def _text_field(request: Request) -> str:
    return text_field(request, "text", MAX_AGENT_TEXT, InvalidInput, label="the message")


async def _serve_console(ctx: Any, ws: Any, agent: str, conversation: str | None) -> None:
    """Pushes queue and conversation events, and keeps the agent marked online while connected."""
    try:
        # Subscribed before "ready" goes out, so the console misses nothing that happens after it.
        async with ctx.outbox.following_console(conversation) as events:
            tasks = [asyncio.create_task(_beat(ctx, agent)), asyncio.create_task(relay_to_socket(ws, events))]
            try:
                await ws.send(json.dumps({"type": "ready"}))
                while await ws.recv() is not None:
                    continue
            except ConnectionClosed:
                pass
            finally:
                for task in tasks:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
    except (RedisError, OSError) as error:
        logger.warning("console socket closed, Redis unavailable: %s", error)
        await ws.close(code=1011, reason="relay unavailable")


async def _beat(ctx: Any, agent: str) -> None:
    while True:
        try:
            await ctx.desk.presence.beat(agent, time.time())
            await ctx.outbox.publish_console({"type": "presence", "agent": agent})
        except RedisError as error:
            logger.warning("presence heartbeat failed: %s", error)
        await asyncio.sleep(HEARTBEAT_SECONDS)
