"""The gateway's Prometheus metrics, in a registry of each app's own (never the process-wide default).

The classes that count get the ``GatewayMetrics`` object as a constructor argument;
``create_app`` makes one per app and keeps it on ``app.ctx.metrics``. Labels are kept
to a few known values: a channel, a served language, a fixed kind. An unexpected
channel or language is counted as ``other``, and no label ever carries a conversation
id or anything the customer wrote. Every metric is listed in docs/operations.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.store.callbacks import CallbackStore
from bot.store.handoffs import HandoffStore
from bot.store.presence import Presence
from support.language import languages

CHANNELS = ("telegram", "web")
OTHER = "other"
DIRECTIONS = ("in", "out")
# Around the reply deadline (2 s by default, when the apology goes out) and up to a model swap's patience (90 s).
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 5.0, 10.0, 30.0, 90.0)
RASA_ERRORS = ("timeout", "connection", "http_4xx", "http_5xx", "invalid_response", "other")
# Where a Redis error turned into a "store unavailable" answer (or skipped work); "web" and "telegram" count
# the channels' own catches of Redis errors outside a conversation turn.
REDIS_AREAS = ("conversation", "console", "dashboard", "sweep", "metrics", "web", "telegram")
RATINGS = {
    "answer": ("up", "down"),
    "csat_bot": ("1", "2", "3"),
    "csat_agent": ("1", "2", "3"),
    "nps": tuple(str(score) for score in range(11)),
}
RETRAIN_OUTCOMES = ("done", "unchanged", "refused", "failed")
RATE_LIMITS = ("message", "new_session", "login")
MAIL_KINDS = ("callback_booked", "callback_reply", "check_in")
# What a try to send a mail came to: sent, tried again later, or given up.
MAIL_OUTCOMES = ("sent", "retry", "failed")


class GatewayMetrics:
    """Every metric of one gateway app, and the Prometheus text of them all."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter(
            "maru_messages",
            "Chat messages: in = customers' messages, out = the bot's, agents' and the gateway's to customers.",
            ["direction", "channel", "language"],
            registry=self.registry,
        )
        self.reply_latency = Histogram(
            "maru_reply_latency_seconds",
            "From a customer's message to the first reply delivered for it (the apology if that came first), "
            "for messages the assistant answers.",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.rasa_replies = Counter(
            "maru_rasa_replies", "Customer messages Rasa answered (with or without messages).", registry=self.registry
        )
        self.rasa_errors = Counter(
            "maru_rasa_errors", "Calls to Rasa that failed, by kind.", ["kind"], registry=self.registry
        )
        self.redis_errors = Counter(
            "maru_redis_errors",
            "Redis errors that turned into a 'store unavailable' answer or skipped work, by area.",
            ["area"],
            registry=self.registry,
        )
        self.queue_length = Gauge(
            "maru_queue_length", "Chats waiting for an agent (read at scrape time).", registry=self.registry
        )
        self.queue_oldest_wait = Gauge(
            "maru_queue_oldest_wait_seconds",
            "How long the longest-waiting queued chat has waited; 0 with an empty queue (read at scrape time).",
            registry=self.registry,
        )
        self.agents_online = Gauge(
            "maru_agents_online", "Agents with a console open (read at scrape time).", registry=self.registry
        )
        self.callbacks_due = Gauge(
            "maru_callbacks_due",
            "Callbacks not picked up whose time has come (read at scrape time).",
            registry=self.registry,
        )
        self.ratings = Counter(
            "maru_ratings", "Ratings customers gave, by kind and value.", ["kind", "value"], registry=self.registry
        )
        self.retrain_jobs = Counter(
            "maru_retrain_jobs", "Retraining jobs this gateway ran, by outcome.", ["outcome"], registry=self.registry
        )
        self.rate_limit_hits = Counter(
            "maru_rate_limit_hits", "Requests refused by a rate limit, by kind.", ["kind"], registry=self.registry
        )
        self.mail_attempts = Counter(
            "maru_mail_attempts",
            "Tries to send a mail to a customer, by kind and outcome (sent, retry later, failed for good).",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self._zero()

    def _zero(self) -> None:
        """Creates every known series at 0, so a first event shows as an increase (rate(), increase())."""
        for direction in DIRECTIONS:
            for channel in CHANNELS:
                for language in languages().codes:
                    self.messages.labels(direction, channel, language)
        for channel in CHANNELS:
            self.reply_latency.labels(channel)
        _labels(self.rasa_errors, RASA_ERRORS)
        _labels(self.redis_errors, REDIS_AREAS)
        for kind, values in RATINGS.items():
            for value in values:
                self.ratings.labels(kind, value)
        _labels(self.retrain_jobs, RETRAIN_OUTCOMES)
        _labels(self.rate_limit_hits, RATE_LIMITS)
        for kind in MAIL_KINDS:
            for outcome in MAIL_OUTCOMES:
                self.mail_attempts.labels(kind, outcome)

    def message_in(self, channel: str, language: str) -> None:
        """A customer's message arrived."""
        self.messages.labels("in", _channel(channel), _language(language)).inc()

    def message_out(self, channel: str, language: str) -> None:
        """A message went to a customer (the bot's, an agent's or the gateway's own)."""
        self.messages.labels("out", _channel(channel), _language(language)).inc()

    def replied(self, channel: str, seconds: float) -> None:
        """The first reply to a customer's message went out ``seconds`` after it arrived."""
        self.reply_latency.labels(_channel(channel)).observe(max(0.0, seconds))

    def rasa_replied(self) -> None:
        """Rasa answered a customer's message."""
        self.rasa_replies.inc()

    def rasa_error(self, kind: str) -> None:
        """A call to Rasa failed; ``kind`` is one of ``RASA_ERRORS``."""
        self.rasa_errors.labels(_bounded(kind, RASA_ERRORS)).inc()

    def redis_error(self, area: str) -> None:
        """Redis failed under ``area`` (one of ``REDIS_AREAS``)."""
        self.redis_errors.labels(_bounded(area, REDIS_AREAS)).inc()

    def rated(self, kind: str, value: str) -> None:
        """A customer's rating: ``answer`` up/down, ``csat_bot``/``csat_agent`` 1-3 or ``nps`` 0-10."""
        values = RATINGS.get(kind)
        if values is not None and value in values:
            self.ratings.labels(kind, value).inc()

    def retrained(self, outcome: str) -> None:
        """A retraining job ended: ``done``, ``unchanged`` (nothing to retrain), ``refused`` or ``failed``."""
        self.retrain_jobs.labels(_bounded(outcome, RETRAIN_OUTCOMES)).inc()

    def mail_tried(self, kind: str, state: str) -> None:
        """A try to send a mail ended with the mail in ``state`` (sent, queued again, or failed)."""
        outcome = "retry" if state == "queued" else state
        self.mail_attempts.labels(_bounded(kind, MAIL_KINDS), _bounded(outcome, MAIL_OUTCOMES)).inc()

    def rate_limited(self, kind: str) -> None:
        """A rate limit refused something; ``kind`` names the limit (a constant in code, e.g. ``message``)."""
        self.rate_limit_hits.labels(kind).inc()

    async def read_desk(self, handoffs: HandoffStore, presence: Presence, callbacks: CallbackStore, now: float) -> None:
        """Sets the queue, presence and callback gauges from the stores.

        Raises:
            RedisError: the stores could not be read (see ``desk_unreadable``).
        """
        queued = await handoffs.queued()
        online = await presence.online(now)
        due = [c for c in await callbacks.open() if c.state == "pending" and c.due <= now]
        self.queue_length.set(len(queued))
        self.queue_oldest_wait.set(max((now - h.queued_at for h in queued), default=0.0))
        self.agents_online.set(len(online))
        self.callbacks_due.set(len(due))

    def desk_unreadable(self) -> None:
        """The stores could not be read: the gauges say NaN rather than a stale figure."""
        for gauge in (self.queue_length, self.queue_oldest_wait, self.agents_online, self.callbacks_due):
            gauge.set(math.nan)

    def exposition(self) -> bytes:
        """Every metric in the Prometheus text format."""
        return generate_latest(self.registry)


def _labels(counter: Counter, values: Iterable[str]) -> None:
    for value in values:
        counter.labels(value)


def _bounded(value: str, known: Iterable[str]) -> str:
    return value if value in known else OTHER


def _channel(channel: str) -> str:
    return _bounded(channel, CHANNELS)


def _language(language: str) -> str:
    return _bounded(language, languages().codes)
