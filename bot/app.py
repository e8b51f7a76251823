"""Builds the gateway: ``create_app(settings)`` wires clients, stores and blueprints."""

from __future__ import annotations

import httpx
from redis.asyncio import Redis
from sanic import Sanic

from bot.channels.telegram import telegram_blueprint, telegram_listeners
from bot.channels.web import web_blueprint
from bot.conversation import Conversations
from bot.health import health_blueprint
from bot.rasa import RasaClient
from bot.settings import Settings
from bot.store.limits import RateLimiter
from bot.store.outbox import Outbox
from bot.store.transcripts import TranscriptStore
from bot.texts import Texts


def create_app(settings: Settings, name: str = "maru_gateway") -> Sanic:
    """The gateway application; clients open when the server starts, never at import."""
    app = Sanic(name)
    app.config.WEBSOCKET_MAX_SIZE = 64 * 1024
    app.config.REQUEST_MAX_SIZE = 1024 * 1024
    app.ctx.settings = settings
    app.ctx.texts = Texts.load(settings.domain_file)

    async def open_clients(app: Sanic, _: object) -> None:
        app.ctx.redis = Redis.from_url(settings.redis_url, socket_timeout=3, socket_connect_timeout=2)
        app.ctx.subscriber = Redis.from_url(settings.redis_url, socket_connect_timeout=2, health_check_interval=30)
        app.ctx.http = httpx.AsyncClient()
        app.ctx.rasa = RasaClient(app.ctx.http, settings.rasa_url, settings.rasa_token, settings.rasa_timeout_seconds)
        app.ctx.transcripts = TranscriptStore(app.ctx.redis)
        app.ctx.outbox = Outbox(app.ctx.redis, app.ctx.subscriber)
        app.ctx.conversations = Conversations(
            app.ctx.rasa,
            app.ctx.transcripts,
            app.ctx.outbox,
            RateLimiter(app.ctx.redis, settings.rate_limit_messages, settings.rate_limit_window_seconds),
            app.ctx.texts,
            settings.max_message_chars,
        )

    async def close_clients(app: Sanic, _: object) -> None:
        await app.ctx.http.aclose()
        await app.ctx.redis.close()
        await app.ctx.subscriber.close()

    app.register_listener(open_clients, "before_server_start")
    app.register_listener(close_clients, "after_server_stop")
    app.blueprint(health_blueprint())
    app.blueprint(web_blueprint())
    if settings.telegram_token:
        app.blueprint(telegram_blueprint())
        telegram_listeners(app)
    return app
