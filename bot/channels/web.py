"""The web widget: session cookie, static files, demo page and the message socket.

Each browser gets a random conversation id from the server, kept in a signed
HttpOnly cookie; nothing about the customer ever appears in a URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from redis.exceptions import RedisError
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, file
from sanic.response import json as json_response
from websockets.exceptions import ConnectionClosed

from bot.conversation import LANGUAGE_HINT, Conversations, Incoming, StoreUnavailable
from bot.delivery import outgoing, relay_to_socket
from bot.identity.sessions import WebVisit, open_visit, origin_key
from bot.request_body import json_object
from bot.store.limits import UpdateLog
from bot.store.outbox import Outbox
from bot.store.transcripts import Entry
from support.language import languages

logger = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent.parent / "static"
COOKIE = "maru_session"
COOKIE_MAX_AGE = 180 * 24 * 3600
HISTORY_LENGTH = 100


def _serializer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(request.app.ctx.settings.session_secret.value, salt="web-session")


def conversation_of(request: Request) -> str | None:
    """The conversation id from the signed cookie, if it is valid."""
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    try:
        value = _serializer(request).loads(cookie)
    except BadSignature:
        return None
    return value if isinstance(value, str) and value.startswith("web-") else None


def history_event(entry: Entry) -> dict[str, Any]:
    """A stored transcript entry as the widget shows it, with the id it was delivered with (no double)."""
    event = outgoing(entry.role, entry.text, entry.buttons, **entry.meta)
    return {**event, "id": entry.meta.get("message_id") or event["id"], "ts": entry.ts}


class WebSender:
    """Sends a queued web message: publishes it to the conversation's sockets and the agents following it.

    A publication is confirmed by Redis; a customer with no socket open reads the
    message from the transcript when they return.
    """

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    async def send(self, conversation: str, message: dict[str, Any]) -> None:
        """Publishes the message (a Redis error leaves it queued for the next attempt)."""
        await self._outbox.publish(conversation, message)


def web_blueprint() -> Blueprint:
    """Routes of the web channel."""
    web = Blueprint("web")

    @web.get("/")
    async def demo_store(_: Request) -> HTTPResponse:
        return await file(STATIC / "demo.html")

    @web.get("/widget.js")
    async def widget_script(_: Request) -> HTTPResponse:
        return await file(STATIC / "widget.js", mime_type="text/javascript")

    @web.get("/widget.css")
    async def widget_style(_: Request) -> HTTPResponse:
        return await file(STATIC / "widget.css", mime_type="text/css")

    @web.post("/web/session")
    async def session(request: Request) -> HTTPResponse:
        try:
            body = json_object(request, ValueError)
        except ValueError as invalid:
            return json_response({"error": str(invalid)}, status=400)
        try:
            visit = await _visit(request, body)
        except (RedisError, StoreUnavailable) as error:
            # The widget still opens; its socket then tells the customer the chat is unavailable.
            logger.warning("web session without its login check, Redis unavailable: %s", error)
            cookie_conversation = conversation_of(request)
            visit = WebVisit(cookie_conversation or _new_conversation(), returning=cookie_conversation is not None)
        ctx = request.app.ctx
        language = await _session_language(ctx, visit.conversation, body.get("language"))
        notice = ctx.texts.get("utter_identity_token_rejected", language) if visit.login_rejected else None
        widget = ctx.conversations.widget_labels(language)
        response = json_response({"returning": visit.returning, **widget, "notice": notice})
        response.cookies[COOKIE] = _serializer(request).dumps(visit.conversation)
        cookie = response.cookies[COOKIE]
        cookie["httponly"] = True
        cookie["samesite"] = "Lax"
        cookie["max-age"] = COOKIE_MAX_AGE
        cookie["path"] = "/"
        cookie["secure"] = request.scheme == "https"
        return response

    @web.websocket("/web/socket")
    async def socket(request: Request, ws: Any) -> None:
        conversation = conversation_of(request)
        if conversation is None:
            await ws.close(code=4401, reason="no session; POST /web/session first")
            return
        await _serve(request, ws, conversation)

    return web


async def _session_language(ctx: Any, conversation: str, hint: Any) -> str:
    """The conversation's language, or the page's guess (``navigator.language``) for a new one."""
    hinted = languages().from_hint(hint if isinstance(hint, str) else None)
    try:
        stored = await ctx.languages.stored(conversation)
    except RedisError:
        stored = None
    return stored or hinted or languages().default


async def _visit(request: Request, body: dict[str, Any]) -> WebVisit:
    """The conversation for this visit; a signed-in customer is linked and greeted before the socket opens."""
    ctx = request.app.ctx
    cookie_conversation = conversation_of(request)
    if body.get("resume") and cookie_conversation and not await ctx.identities.detached(cookie_conversation):
        # A reconnect of the same page: its login (maybe expired by now) was settled when it loaded.
        return WebVisit(cookie_conversation, returning=True)
    token = body.get("customer_token")
    visit = await open_visit(
        cookie_conversation,
        token if isinstance(token, str) else None,
        ctx.store_login,
        ctx.identities,
        _new_conversation,
        time.time(),
    )
    if visit.login_rejected:
        logger.info("store login refused (%s); the chat goes on anonymously", visit.login_rejected)
    if visit.greet:
        metadata = {"origin": _origin(request), LANGUAGE_HINT: body.get("language")}
        await ctx.conversations.greet(visit.conversation, "web", metadata)
    return visit


def _new_conversation() -> str:
    return f"web-{secrets.token_urlsafe(18)}"


def _origin(request: Request) -> str:
    return origin_key(request.app.ctx.settings.session_secret.value, request.remote_addr or request.ip)


async def _serve(request: Request, ws: Any, conversation: str) -> None:
    ctx = request.app.ctx
    # The page passes the browser's language (navigator.language): a hint for a first message without letters.
    metadata = {"origin": _origin(request), LANGUAGE_HINT: str(request.args.get("lang") or "")[:35]}
    try:
        # Subscribed before the history goes out: a reply to the customer's first frame can't be missed.
        async with ctx.outbox.following(conversation) as events:

            async def history() -> dict[str, Any]:
                entries = await ctx.transcripts.read(conversation, HISTORY_LENGTH)
                return {"type": "history", "messages": [history_event(e) for e in entries]}

            first = await history()
            follower = asyncio.create_task(relay_to_socket(ws, events, catch_up=history))
            try:
                await ws.send(json.dumps(first))
                await _read_frames(ctx, ws, conversation, metadata)
            finally:
                follower.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await follower
    except (RedisError, OSError) as error:
        logger.warning("web socket closed, Redis unavailable: %s", error)
        await ws.send(json.dumps(_unavailable(ctx, "", metadata)))
        await ws.close(code=1011, reason="store unavailable")


def _unavailable(ctx: Any, raw: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """The store-is-down message, in the language of the frame's text or of the browser."""
    language = ctx.conversations.offline_language(_frame_text(raw), metadata.get(LANGUAGE_HINT))
    return dict(ctx.conversations.system("utter_gateway_unavailable", language))


def _frame_text(raw: str) -> str:
    try:
        frame = json.loads(raw)
    except (TypeError, ValueError):
        return ""
    return str(frame.get("text") or "") if isinstance(frame, dict) else ""


async def _read_frames(ctx: Any, ws: Any, conversation: str, metadata: dict[str, Any]) -> None:
    try:
        while True:
            raw = await ws.recv()
            if raw is None or not await _receive(ctx, ws, conversation, raw, metadata):
                return
    except ConnectionClosed:
        pass


async def _receive(ctx: Any, ws: Any, conversation: str, raw: str, metadata: dict[str, Any]) -> bool:
    """Handles one frame; False once the socket was closed because this device forgot the conversation."""
    try:
        if await ctx.identities.detached(conversation):
            await ws.close(code=4401, reason="this device forgot the conversation; POST /web/session")
            return False
        incoming = await _parse(ctx, conversation, raw, dict(metadata))
        if isinstance(incoming, dict):
            await ws.send(json.dumps(incoming))
            return True
        await _handle_once(ctx, incoming)
    except (StoreUnavailable, RedisError) as error:
        # The socket stays open; the widget keeps the message unacknowledged and sends it again.
        logger.warning("web message of %s not handled, Redis unavailable: %s", conversation, error)
        await ws.send(json.dumps(_unavailable(ctx, raw, metadata)))
    return True


async def _handle_once(ctx: Any, incoming: Incoming) -> None:
    """Handles a message once per ``client_id``, then acknowledges it to every socket of the conversation.

    The widget sends a message again until it is acknowledged (after a reconnect, say); a copy
    of one already handled is only acknowledged again, and one being handled is left to that turn.
    """
    if incoming.client_id is None:
        await ctx.conversations.handle(incoming)
        return
    received = UpdateLog(ctx.redis, "web")
    message_key = f"{incoming.conversation}:{incoming.client_id}"
    if not await received.claim(message_key):
        if await received.handled(message_key):
            await _acknowledge(ctx, incoming)
        return
    try:
        await ctx.conversations.handle(incoming)
    except BaseException:
        await received.release(message_key)
        raise
    await received.done(message_key)
    await _acknowledge(ctx, incoming)


async def _acknowledge(ctx: Any, incoming: Incoming) -> None:
    await ctx.outbox.publish(incoming.conversation, {"type": "ack", "client_id": incoming.client_id})


async def _parse(ctx: Any, conversation: str, raw: str, metadata: dict[str, Any]) -> Incoming | dict[str, Any]:
    """The customer message in a socket frame, or the error to send back."""
    conversations: Conversations = ctx.conversations
    try:
        frame = json.loads(raw)
    except (TypeError, ValueError):
        frame = None
    if not isinstance(frame, dict) or frame.get("type") not in ("message", "button"):
        return conversations.system("utter_bad_request", await conversations.language_of(conversation))
    client_id = str(frame.get("client_id") or "")[:64] or None
    if frame["type"] == "message":
        return Incoming(conversation, "web", str(frame.get("text") or ""), metadata=metadata, client_id=client_id)
    button = await _offered_button(ctx, conversation, str(frame.get("payload") or ""))
    if button is None:
        return conversations.system("utter_button_expired", await conversations.language_of(conversation))
    return Incoming(
        conversation, "web", button["payload"], shown_text=button["title"], metadata=metadata, client_id=client_id
    )


async def _offered_button(ctx: Any, conversation: str, payload: str) -> dict[str, str] | None:
    """The button with this payload among the bot's recent messages; forged payloads get None."""
    for entry in reversed(await ctx.transcripts.read(conversation, 20)):
        for button in entry.buttons:
            if button["payload"] == payload:
                return dict(button)
    return None
