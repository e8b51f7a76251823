"""The web widget: its session, static files, demo page and the message socket.

Each browser gets a random conversation id from the server inside a signed session
token (``bot.identity.web_session``). The widget keeps the token in the store
site's own storage and presents it on every session and socket; the same token
rides in a first-party cookie for the gateway's own pages. Nothing about the
customer ever appears in a URL. Only the store's configured sites may use these
routes from a browser (``bot.security.origins``).
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

from redis.exceptions import RedisError
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty, file
from sanic.response import json as json_response
from websockets.exceptions import ConnectionClosed

from bot.conversation import LANGUAGE_HINT, Conversations, Incoming, StoreUnavailable
from bot.delivery import outgoing, relay_to_socket
from bot.identity.sessions import WebVisit, open_visit, origin_key
from bot.identity.web_session import SUBPROTOCOL, WebSessionTokens, token_of_subprotocols
from bot.request_body import json_object, parsed_json
from bot.security.client_ip import request_client
from bot.security.cookies import set_private_cookie
from bot.security.origins import served_origin
from bot.store.limits import RateLimiter, UpdateLog
from bot.store.outbox import Outbox
from bot.store.transcripts import Entry
from support.language import languages

logger = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent.parent / "static"
COOKIE = "maru_session"
COOKIE_MAX_AGE = 180 * 24 * 3600
HISTORY_LENGTH = 100
SESSION_LIMIT_WINDOW_SECONDS = 60


def _tokens(request: Request) -> WebSessionTokens:
    return WebSessionTokens(request.app.ctx.settings.session_secret.value)


def conversation_of(request: Request, token: object = None) -> str | None:
    """The conversation of the request's session token (given, or offered on the socket), else of its cookie."""
    token = token or token_of_subprotocols(request.headers.get("sec-websocket-protocol"))
    return _tokens(request).conversation(token or request.cookies.get(COOKIE))


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

    @web.middleware("request")
    async def only_allowed_sites(request: Request) -> HTTPResponse | None:
        # Before the socket's handshake too: a page of another site never gets a socket.
        if request.path.startswith("/web/") and not _site_allowed(request):
            logger.info("refused %s %s from a site that may not embed the widget", request.method, request.path)
            return json_response({"error": "this site may not use the chat (WIDGET_ORIGINS)"}, status=403)
        return None

    @web.middleware("response")
    async def cross_origin_answer(request: Request, response: HTTPResponse) -> None:
        if request.path == "/web/session":
            response.headers.update(request.app.ctx.widget_origins.cors_headers(request.headers.get("origin")))

    @web.get("/")
    async def demo_store(_: Request) -> HTTPResponse:
        return await file(STATIC / "demo.html")

    @web.get("/demo.css")
    async def demo_style(_: Request) -> HTTPResponse:
        return await file(STATIC / "demo.css", mime_type="text/css")

    @web.get("/widget.js")
    async def widget_script(_: Request) -> HTTPResponse:
        return await file(STATIC / "widget.js", mime_type="text/javascript")

    @web.get("/widget.css")
    async def widget_style(_: Request) -> HTTPResponse:
        return await file(STATIC / "widget.css", mime_type="text/css")

    @web.options("/web/session")
    async def session_preflight(_: Request) -> HTTPResponse:
        return empty()

    @web.post("/web/session")
    async def session(request: Request) -> HTTPResponse:
        try:
            body = json_object(request, ValueError)
        except ValueError as invalid:
            return json_response({"error": str(invalid)}, status=400)
        ctx = request.app.ctx
        presented = conversation_of(request, body.get("session_token"))
        try:
            if presented is None and not await _may_open_session(request):
                return await _too_many_sessions(request, body)
            visit = await _visit(request, body, presented)
        except (RedisError, StoreUnavailable) as error:
            # The widget still opens; its socket then tells the customer the chat is unavailable.
            logger.warning("web session without its login check, Redis unavailable: %s", error)
            ctx.metrics.redis_error("web")
            visit = WebVisit(presented or _new_conversation(), returning=presented is not None)
        language = await _session_language(ctx, visit.conversation, body.get("language"))
        notice = ctx.texts.get("utter_identity_token_rejected", language) if visit.login_rejected else None
        widget = ctx.conversations.widget_labels(language)
        token = _tokens(request).issue(visit.conversation)
        response = json_response({"returning": visit.returning, **widget, "notice": notice, "session_token": token})
        _set_cookie(request, response, token)
        return response

    @web.websocket("/web/socket", subprotocols=[SUBPROTOCOL])
    async def socket(request: Request, ws: Any) -> None:
        conversation = conversation_of(request)
        if conversation is None:
            await ws.close(code=4401, reason="no session; POST /web/session first")
            return
        await _serve(request, ws, conversation)

    return web


def _site_allowed(request: Request) -> bool:
    """Whether the page behind the request (its ``Origin``) is the gateway's own or a configured site."""
    ctx = request.app.ctx
    own = [served_origin(request.scheme, request.host)]
    if ctx.settings.public_url:
        own.append(served_origin(*ctx.settings.public_url.split("://", 1)))
    return bool(ctx.widget_origins.permits(request.headers.get("origin"), tuple(o for o in own if o)))


def _set_cookie(request: Request, response: HTTPResponse, token: str) -> None:
    """The token as a first-party cookie too, for the gateway's own pages (never needed by a store's site)."""
    set_private_cookie(request, response, COOKIE, token, COOKIE_MAX_AGE, "Lax")


async def _may_open_session(request: Request) -> bool:
    """Counts a new conversation against the client's address; False once it opened too many this minute."""
    ctx = request.app.ctx
    limiter = RateLimiter(ctx.redis, ctx.settings.new_sessions_per_minute, SESSION_LIMIT_WINDOW_SECONDS)
    return await limiter.allow(f"session:{_origin(request)}")


async def _too_many_sessions(request: Request, body: dict[str, Any]) -> HTTPResponse:
    """429 with the widget's labels and the friendly text, so the widget can say why and try again later."""
    ctx = request.app.ctx
    ctx.metrics.rate_limited("new_session")
    language = languages().from_hint(str(body.get("language") or "")) or languages().default
    text = ctx.texts.get("utter_too_many_sessions", language)
    payload = {"error": "too many new chats from this address", "notice": text,
               "retry_after": SESSION_LIMIT_WINDOW_SECONDS, **ctx.conversations.widget_labels(language)}  # fmt: skip
    return json_response(payload, status=429, headers={"Retry-After": str(SESSION_LIMIT_WINDOW_SECONDS)})


async def _session_language(ctx: Any, conversation: str, hint: Any) -> str:
    """The conversation's language, or the page's guess (``navigator.language``) for a new one."""
    hinted = languages().from_hint(hint if isinstance(hint, str) else None)
    try:
        stored = await ctx.languages.stored(conversation)
    except RedisError:
        stored = None
    return stored or hinted or languages().default


async def _visit(request: Request, body: dict[str, Any], presented: str | None) -> WebVisit:
    """The conversation for this visit; a signed-in customer is linked and greeted before the socket opens."""
    ctx = request.app.ctx
    if body.get("resume") and presented and not await ctx.identities.detached(presented):
        # A reconnect of the same page: its login (maybe expired by now) was settled when it loaded.
        return WebVisit(presented, returning=True)
    token = body.get("customer_token")
    visit = await open_visit(
        presented,
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
    return origin_key(request.app.ctx.settings.session_secret.value, request_client(request))


async def _serve(request: Request, ws: Any, conversation: str) -> None:
    ctx = request.app.ctx
    # The page passes the browser's language (navigator.language): a hint for a first message without letters.
    metadata = {"origin": _origin(request), LANGUAGE_HINT: str(request.args.get("lang") or "")[:35]}
    try:
        if await ctx.identities.detached(conversation):
            # The device forgot this conversation: its tokens open nothing any more.
            await ws.close(code=4401, reason="this device forgot the conversation; POST /web/session")
            return
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
        ctx.metrics.redis_error("web")
        await ws.send(json.dumps(_unavailable(ctx, "", metadata)))
        await ws.close(code=1011, reason="store unavailable")


def _unavailable(ctx: Any, raw: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """The store-is-down message, in the language of the frame's text or of the browser."""
    language = ctx.conversations.offline_language(_frame_text(raw), metadata.get(LANGUAGE_HINT))
    return dict(ctx.conversations.system("utter_gateway_unavailable", language))


def _frame_text(raw: str) -> str:
    try:
        frame = parsed_json(raw)
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
        if isinstance(error, RedisError):  # StoreUnavailable was counted where it was raised
            ctx.metrics.redis_error("web")
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
        frame = parsed_json(raw)
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
