"""Builds the gateway: ``create_app(settings)`` wires clients, stores and blueprints."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import httpx
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sanic import Sanic

from bot.analytics import Analytics
from bot.channels.dispatch import Dispatcher, DispatchPolicy
from bot.channels.telegram import telegram_blueprint, telegram_listeners
from bot.channels.web import WebSender, web_blueprint
from bot.console.routes import console_blueprint
from bot.conversation import Conversations
from bot.dashboard.routes import dashboard_blueprint
from bot.delivery import Delivery
from bot.editor.notices import notices_blueprint
from bot.editor.routes import editor_blueprint
from bot.editor.training import Trainer
from bot.followups import FollowUpDesk
from bot.handoff import Desk
from bot.health import health_blueprint
from bot.identity.sessions import store_login_verifier
from bot.mail.mailroom import Mailroom
from bot.mail.sender import MailSender
from bot.notices import Notices
from bot.observability.metrics import GatewayMetrics
from bot.observability.routes import metrics_blueprint
from bot.rasa import RasaClient
from bot.security.handshake import refuse_bad_handshakes
from bot.security.headers import add_security_headers
from bot.security.origins import WidgetOrigins
from bot.settings import Settings
from bot.store.activity import ActivityStore
from bot.store.bot_turns import BotTurns
from bot.store.callbacks import CallbackStore
from bot.store.deliveries import DeliveryQueue
from bot.store.feedback import FeedbackStore
from bot.store.followups import FollowUpStore
from bot.store.handoffs import HandoffStore
from bot.store.identities import IdentityStore
from bot.store.languages import ConversationLanguages
from bot.store.limits import RateLimiter
from bot.store.login_attempts import LoginAttempts
from bot.store.mail_queue import MailQueue
from bot.store.notes import NoteStore
from bot.store.notices import NoticeStore
from bot.store.outbox import Outbox
from bot.store.presence import Presence
from bot.store.sessions import SessionStore
from bot.store.surveys import SurveyStore
from bot.store.training import TrainingStore
from bot.store.transcripts import TranscriptStore
from bot.store.users import UserStore
from bot.support import SupportConfig
from bot.surveys import FeedbackConfig, Surveys
from bot.texts import Texts
from bot.unanswered import PersonRequests, Unanswered
from knowledge import KnowledgeRepository
from knowledge.editing import KnowledgeEditor
from support.mail import Mailer
from support.redis_connection import async_client

logger = logging.getLogger(__name__)
SWEEP_SECONDS = 10


def create_app(settings: Settings, name: str = "maru_gateway") -> Sanic:
    """The gateway application; clients open when the server starts, never at import."""
    app = Sanic(name)
    # A frame carries one message: room for a pasted text far past the longest message read (it gets
    # a clear refusal), even written as \uXXXX escapes (six bytes per Hangul syllable).
    app.config.WEBSOCKET_MAX_SIZE = 256 * 1024
    app.config.REQUEST_MAX_SIZE = 1024 * 1024
    app.ctx.settings = settings
    # This app's own Prometheus registry (tests build several apps in one process).
    app.ctx.metrics = GatewayMetrics()
    app.ctx.texts = Texts.load(settings.domain_file)
    app.ctx.widget_origins = WidgetOrigins(frozenset(settings.widget_origins))
    app.ctx.support = SupportConfig.load(settings.support_file)
    app.ctx.person_requests = PersonRequests.load(settings.person_requests_file)
    app.ctx.knowledge = KnowledgeRepository(settings.knowledge_dir)
    app.ctx.editor = KnowledgeEditor(settings.knowledge_dir, settings.changelog_file)
    secret = settings.store_login_secret
    app.ctx.store_login = store_login_verifier(secret.value if secret else None, settings.store_login_audience)

    async def open_clients(app: Sanic, _: object) -> None:
        app.ctx.redis = async_client(settings.redis_url, socket_timeout=3, socket_connect_timeout=2)
        # No read time-out: a quiet subscription is not an error (bot.store.outbox resubscribes).
        app.ctx.subscriber = async_client(settings.redis_url, socket_connect_timeout=2)
        app.ctx.http = httpx.AsyncClient()
        app.ctx.rasa = RasaClient(
            app.ctx.http, settings.rasa_url, settings.rasa_token, settings.rasa_timeout_seconds, app.ctx.metrics
        )
        app.ctx.transcripts = TranscriptStore(app.ctx.redis)
        app.ctx.outbox = Outbox(app.ctx.redis, app.ctx.subscriber)
        app.ctx.delivery = Delivery(
            app.ctx.transcripts,
            app.ctx.outbox,
            DeliveryQueue(app.ctx.redis),
            time.time,
            app.ctx.metrics,
            ConversationLanguages(app.ctx.redis),
        )
        app.ctx.web_dispatcher = Dispatcher(
            "web",
            app.ctx.delivery.queue,
            WebSender(app.ctx.outbox),
            app.ctx.delivery.report,
            time.time,
            DispatchPolicy(deadline_seconds=settings.delivery_deadline_seconds),
            pacing=None,
        )
        app.ctx.delivery.immediate["web"] = app.ctx.web_dispatcher
        app.ctx.users = UserStore(app.ctx.redis)
        app.ctx.sessions = SessionStore(app.ctx.redis)
        app.ctx.login_attempts = login_attempts(app.ctx.redis, settings)
        app.ctx.identities = IdentityStore(app.ctx.redis)
        app.ctx.languages = ConversationLanguages(app.ctx.redis)
        app.ctx.analytics = Analytics(ActivityStore(app.ctx.redis), FeedbackStore(app.ctx.redis), time.time)
        app.ctx.followups = FollowUpStore(app.ctx.redis)
        app.ctx.notices = NoticeStore(app.ctx.redis)
        app.ctx.training = TrainingStore(app.ctx.redis)
        app.ctx.trainer = Trainer.for_settings(settings, app.ctx.training, app.ctx.rasa, metrics=app.ctx.metrics)
        app.ctx.mail_queue = MailQueue(app.ctx.redis)
        # Without SMTP_HOST nothing is mailed; the action server then offers no email callback either.
        mailroom = Mailroom(app.ctx.mail_queue, app.ctx.texts, app.ctx.support.timezone, time.time)
        app.ctx.mailroom = mailroom if settings.smtp else None
        app.ctx.surveys = Surveys(
            state=SurveyStore(app.ctx.redis),
            feedback=app.ctx.analytics.feedback,
            followups=app.ctx.followups,
            transcripts=app.ctx.transcripts,
            delivery=app.ctx.delivery,
            texts=app.ctx.texts,
            knowledge=app.ctx.knowledge,
            config=FeedbackConfig.load(settings.feedback_file),
            support=app.ctx.support,
            identities=app.ctx.identities,
            languages=app.ctx.languages,
            clock=time.time,
            metrics=app.ctx.metrics,
            mail=app.ctx.mailroom,
        )
        app.ctx.desk = Desk(
            handoffs=HandoffStore(app.ctx.redis),
            presence=Presence(app.ctx.redis, app.ctx.support.presence_timeout_seconds),
            callbacks=CallbackStore(app.ctx.redis),
            notes=NoteStore(app.ctx.redis),
            delivery=app.ctx.delivery,
            outbox=app.ctx.outbox,
            rasa=app.ctx.rasa,
            texts=app.ctx.texts,
            languages=app.ctx.languages,
            config=app.ctx.support,
            analytics=app.ctx.analytics,
            clock=time.time,
            mail=app.ctx.mailroom,
        )
        app.ctx.followup_desk = FollowUpDesk(
            app.ctx.followups,
            app.ctx.desk.handoffs,
            app.ctx.identities,
            app.ctx.delivery,
            app.ctx.mail_queue,
            time.time,
            mail=app.ctx.mailroom,
        )
        app.ctx.conversations = Conversations(
            app.ctx.rasa,
            app.ctx.delivery,
            app.ctx.desk,
            app.ctx.surveys,
            app.ctx.analytics,
            Notices(app.ctx.notices, app.ctx.delivery, app.ctx.knowledge, time.time),
            RateLimiter(app.ctx.redis, settings.rate_limit_messages, settings.rate_limit_window_seconds),
            app.ctx.texts,
            settings.max_message_chars,
            app.ctx.training.swapping,
            app.ctx.identities,
            Unanswered(
                desk=app.ctx.desk,
                delivery=app.ctx.delivery,
                analytics=app.ctx.analytics,
                texts=app.ctx.texts,
                requests=app.ctx.person_requests,
                turns=BotTurns(app.ctx.redis),
                languages=app.ctx.languages,
                clock=time.time,
            ),
            settings.reply_deadline_seconds,
            time.time,
            app.ctx.metrics,
        )

    async def start_background_work(app: Sanic, _: object) -> None:
        app.ctx.sweeper = asyncio.create_task(sweep(app.ctx.desk, app.ctx.surveys, app.ctx.analytics, app.ctx.metrics))
        # Web messages left by an instance that stopped mid-send are sent by this loop.
        app.ctx.web_dispatch = asyncio.create_task(app.ctx.web_dispatcher.run())
        # Mail queued by any instance, one that stopped mid-send too, is sent by this loop.
        mail = settings.mail_settings()
        app.ctx.mail_sending = []
        if mail is not None:
            publish = app.ctx.outbox.publish_console
            sender = MailSender(app.ctx.mail_queue, Mailer(mail), publish, time.time, metrics=app.ctx.metrics)
            app.ctx.mail_sending.append(asyncio.create_task(sender.run()))

    async def close_clients(app: Sanic, _: object) -> None:
        for task in (app.ctx.sweeper, app.ctx.web_dispatch, *app.ctx.mail_sending):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await app.ctx.http.aclose()
        await app.ctx.redis.close()
        await app.ctx.subscriber.close()

    app.register_middleware(add_security_headers, "response")
    app.register_middleware(refuse_bad_handshakes, "request")
    app.register_listener(open_clients, "before_server_start")
    app.register_listener(start_background_work, "after_server_start")
    app.register_listener(close_clients, "after_server_stop")
    app.blueprint(health_blueprint())
    app.blueprint(metrics_blueprint())
    app.blueprint(web_blueprint())
    app.blueprint(console_blueprint())
    app.blueprint(notices_blueprint())
    app.blueprint(editor_blueprint())
    app.blueprint(dashboard_blueprint())
    if settings.telegram_token:
        app.blueprint(telegram_blueprint())
        telegram_listeners(app)
    return app


def login_attempts(redis: Redis, settings: Settings) -> LoginAttempts:
    """The console's count of wrong passwords, with the configured lockout."""
    return LoginAttempts(
        redis, settings.login_failures_per_account, settings.login_failures_per_address, settings.login_lockout_seconds
    )


async def sweep(desk: Desk, surveys: Surveys, analytics: Analytics, metrics: GatewayMetrics) -> None:
    """Timed work: fresh queue estimates, overdue callback offers, inactivity surveys, check-ins, quiet sessions.

    Every instance runs it; each item is taken by one instance only (Redis removes it atomically).
    """
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            await desk.offer_overdue_callbacks()
            await desk.announce_positions()
            await surveys.sweep()
            await analytics.close_quiet_sessions()
        except RedisError as error:
            logger.warning("timed work skipped: %s", error)
            metrics.redis_error("sweep")
