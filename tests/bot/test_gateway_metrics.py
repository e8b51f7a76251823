"""The gateway's Prometheus metrics: the registry, what each counting class counts, the desk gauges and the token."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import fakeredis
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.analytics import Analytics
from bot.conversation import Conversations, Incoming
from bot.delivery import Delivery, outgoing
from bot.editor.training import ModelRefused, Trainer, TrainingFailed
from bot.handoff import Desk
from bot.notices import Notices
from bot.observability.metrics import GatewayMetrics
from bot.observability.routes import token_matches
from bot.rasa import RasaClient, RasaUnavailable
from bot.settings import PROJECT_ROOT, Secret, Settings
from bot.store.activity import ActivityStore
from bot.store.bot_turns import BotTurns
from bot.store.callbacks import Callback
from bot.store.deliveries import DeliveryQueue
from bot.store.feedback import FeedbackStore
from bot.store.handoffs import Handoff
from bot.store.identities import IdentityStore
from bot.store.languages import ConversationLanguages
from bot.store.limits import RateLimiter
from bot.store.notices import NoticeStore
from bot.store.outbox import Outbox
from bot.store.training import TrainingStore
from bot.store.transcripts import TranscriptStore
from bot.unanswered import PersonRequests, Unanswered
from knowledge import KnowledgeRepository
from support.language import languages as served_languages
from tests.bot.conftest import MONDAY_10AM, TEXTS, Clock
from tests.bot.test_surveys import Clock as SurveyClock
from tests.bot.test_surveys import answered, make_surveys


def value(metrics: GatewayMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def messages(metrics: GatewayMetrics, direction: str, channel: str = "web", language: str = "en") -> float | None:
    return value(metrics, "maru_messages_total", direction=direction, channel=channel, language=language)


def test_every_known_series_starts_at_zero() -> None:
    text = GatewayMetrics().exposition().decode()
    # Counters and histograms also give each series' creation time as a "_created" gauge.
    families = {f.name: f for f in text_string_to_metric_families(text) if not f.name.endswith("_created")}
    assert sorted(families) == [
        "maru_agents_online",
        "maru_callbacks_due",
        "maru_mail_attempts",
        "maru_messages",
        "maru_queue_length",
        "maru_queue_oldest_wait_seconds",
        "maru_rasa_errors",
        "maru_rasa_replies",
        "maru_rate_limit_hits",
        "maru_ratings",
        "maru_redis_errors",
        "maru_reply_latency_seconds",
        "maru_retrain_jobs",
    ]
    totals = [s for s in families["maru_messages"].samples if s.name == "maru_messages_total"]
    # in/out x web/telegram x en/ko
    assert (len(totals), {s.value for s in totals}) == (8, {0.0})
    ratings = [s for s in families["maru_ratings"].samples if s.name == "maru_ratings_total"]
    # answer up/down, csat_bot 1-3, csat_agent 1-3, nps 0-10
    assert len(ratings) == 2 + 3 + 3 + 11
    mail = [s for s in families["maru_mail_attempts"].samples if s.name == "maru_mail_attempts_total"]
    # callback_booked/callback_reply/check_in x sent/retry/failed
    assert (len(mail), {s.value for s in mail}) == (9, {0.0})


def test_each_app_counts_in_its_own_registry() -> None:
    first, second = GatewayMetrics(), GatewayMetrics()
    first.message_in("web", "ko")
    first.message_in("web", "ko")
    second.message_in("web", "ko")
    assert (messages(first, "in", language="ko"), messages(second, "in", language="ko")) == (2.0, 1.0)


def test_unknown_channels_languages_and_kinds_are_counted_as_other() -> None:
    metrics = GatewayMetrics()
    metrics.message_out("fax", "fr")
    metrics.rasa_error("a new kind")
    metrics.redis_error("somewhere")
    metrics.retrained("maybe")
    assert messages(metrics, "out", channel="other", language="other") == 1.0
    assert value(metrics, "maru_rasa_errors_total", kind="other") == 1.0
    assert value(metrics, "maru_redis_errors_total", area="other") == 1.0
    assert value(metrics, "maru_retrain_jobs_total", outcome="other") == 1.0


def test_ratings_outside_the_scales_are_not_counted() -> None:
    metrics = GatewayMetrics()
    metrics.rated("answer", "up")
    metrics.rated("nps", "10")
    metrics.rated("nps", "11")
    metrics.rated("stars", "5")
    assert value(metrics, "maru_ratings_total", kind="answer", value="up") == 1.0
    assert value(metrics, "maru_ratings_total", kind="nps", value="10") == 1.0
    assert value(metrics, "maru_ratings_total", kind="nps", value="11") is None
    assert value(metrics, "maru_ratings_total", kind="stars", value="5") is None


def test_rate_limit_kinds_are_whatever_the_caller_names() -> None:
    metrics = GatewayMetrics()
    metrics.rate_limited("message")
    metrics.rate_limited("new_session")
    metrics.rate_limited("new_session")
    assert value(metrics, "maru_rate_limit_hits_total", kind="message") == 1.0
    assert value(metrics, "maru_rate_limit_hits_total", kind="new_session") == 2.0


def test_reply_latency_lands_in_its_bucket() -> None:
    metrics = GatewayMetrics()
    metrics.replied("web", 0.4)
    metrics.replied("web", 2.2)
    metrics.replied("telegram", 0.1)
    assert value(metrics, "maru_reply_latency_seconds_count", channel="web") == 2.0
    assert value(metrics, "maru_reply_latency_seconds_sum", channel="web") == pytest.approx(2.6)
    assert value(metrics, "maru_reply_latency_seconds_bucket", channel="web", le="0.5") == 1.0
    assert value(metrics, "maru_reply_latency_seconds_bucket", channel="web", le="2.0") == 1.0
    assert value(metrics, "maru_reply_latency_seconds_bucket", channel="web", le="2.5") == 2.0


async def test_desk_gauges_are_read_from_the_stores(desk: Desk) -> None:
    now = MONDAY_10AM
    await desk.handoffs.enqueue(Handoff("web-a", "web", "customer_request", False, now - 300))
    await desk.handoffs.enqueue(Handoff("web-b", "web", "frustration", True, now - 60))
    await desk.presence.beat("mina", now - 5)
    await desk.presence.beat("joon", now - 31)  # past the 30 s presence timeout
    for conversation, due in (("web-c", now - 10), ("web-d", now + 3600), ("web-e", now - 20)):
        await desk.callbacks.create(Callback("", conversation, "web", "phone", "", "", "", due, now - 600))
    picked = await desk.callbacks.create(Callback("", "web-f", "web", "phone", "", "", "", now - 30, now - 600))
    await desk.callbacks.pick_up(picked.id, "mina")
    metrics = GatewayMetrics()
    await metrics.read_desk(desk.handoffs, desk.presence, desk.callbacks, now)
    assert value(metrics, "maru_queue_length") == 2.0
    assert value(metrics, "maru_queue_oldest_wait_seconds") == 300.0
    assert value(metrics, "maru_agents_online") == 1.0
    assert value(metrics, "maru_callbacks_due") == 2.0  # web-c and web-e: web-d is not due, web-f is picked up

    await desk.handoffs.close("web-a", now)
    await desk.handoffs.close("web-b", now)
    await metrics.read_desk(desk.handoffs, desk.presence, desk.callbacks, now)
    assert (value(metrics, "maru_queue_length"), value(metrics, "maru_queue_oldest_wait_seconds")) == (0.0, 0.0)


def test_unreadable_desk_gauges_say_nan_not_a_stale_figure() -> None:
    metrics = GatewayMetrics()
    metrics.queue_length.set(3)
    metrics.desk_unreadable()
    assert math.isnan(value(metrics, "maru_queue_length") or 0.0)
    assert math.isnan(value(metrics, "maru_callbacks_due") or 0.0)


async def test_delivery_counts_what_goes_to_customers_in_its_language(
    redis: fakeredis.FakeAsyncRedis, clock: Clock
) -> None:
    metrics = GatewayMetrics()
    languages = ConversationLanguages(redis)
    delivery = Delivery(TranscriptStore(redis), Outbox(redis, redis), DeliveryQueue(redis), clock, metrics, languages)
    await languages.follow("web-a", "배송비가 얼마예요?")
    await delivery.record("web-a", "web", outgoing("customer", "배송비가 얼마예요?"))
    await delivery.record("web-a", "web", outgoing("bot", "Shipping is free", language="en"))  # says its language
    await delivery.record("web-a", "web", outgoing("agent", "안녕하세요", agent="Mina"))
    await delivery.notify("web-a", "telegram", outgoing("bot", "잠시 후 다시 보내 주세요"))
    await delivery.signal("web-a", {"type": "typing", "on": True})
    assert [messages(metrics, "out", channel, language) for channel, language in [("web", "en"), ("web", "ko")]] == [
        1.0,
        1.0,
    ]
    assert messages(metrics, "out", "telegram", "ko") == 1.0
    served = served_languages().codes
    assert sum(messages(metrics, "in", c, lang) or 0.0 for c in ("web", "telegram") for lang in served) == 0.0


def rasa_answering(handler: httpx.MockTransport) -> tuple[RasaClient, GatewayMetrics]:
    metrics = GatewayMetrics()
    http = httpx.AsyncClient(transport=handler)
    return RasaClient(http, "http://rasa.test", Secret("rasa-token-of-at-least-32-bytes-long"), 1.0, metrics), metrics


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (httpx.ConnectTimeout("slow"), "timeout"),
        (httpx.ReadTimeout("slow"), "timeout"),
        (httpx.ConnectError("refused"), "connection"),
        (httpx.Response(503), "http_5xx"),
        (httpx.Response(401), "http_4xx"),
        (httpx.Response(200, content=b"not json"), "invalid_response"),
    ],
)
async def test_rasa_api_failures_are_counted_by_kind(answer: Exception | httpx.Response, kind: str) -> None:
    def handle(_: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        return answer

    rasa, metrics = rasa_answering(httpx.MockTransport(handle))
    with pytest.raises(RasaUnavailable):
        await rasa.parse("hello")
    assert value(metrics, "maru_rasa_errors_total", kind=kind) == 1.0
    others = [value(metrics, "maru_rasa_errors_total", kind=k) for k in ("timeout", "connection", "http_5xx")]
    assert sum(v or 0.0 for v in others) == (0.0 if kind in ("http_4xx", "invalid_response") else 1.0)


async def test_a_rasa_answer_is_counted_and_its_status_check_never_counts_as_an_error() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/status":
            return httpx.Response(409, json={"message": "no model"})
        return httpx.Response(200, json=[{"text": "hi"}])

    rasa, metrics = rasa_answering(httpx.MockTransport(handle))
    assert await rasa.send("web-a", "hello", {}) == [{"text": "hi"}]
    with pytest.raises(RasaUnavailable, match="HTTPStatusError"):
        await rasa.status()
    assert value(metrics, "maru_rasa_replies_total") == 1.0
    assert value(metrics, "maru_rasa_errors_total", kind="http_4xx") == 0.0


async def test_rasa_status_gives_the_loaded_model() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"].startswith("Bearer ey")  # a JWT, not a token in the URL
        return httpx.Response(200, json={"model_id": "abc123", "model_file": "maru.tar.gz"})

    rasa, _ = rasa_answering(httpx.MockTransport(handle))
    assert await rasa.status() == {"model_id": "abc123", "model_file": "maru.tar.gz"}


async def test_conversations_count_messages_latency_rasa_failures_and_the_rate_limit(
    redis: fakeredis.FakeAsyncRedis, desk: Desk, clock: Clock
) -> None:
    metrics = GatewayMetrics()
    languages = ConversationLanguages(redis)
    delivery = Delivery(TranscriptStore(redis), Outbox(redis, redis), DeliveryQueue(redis), clock, metrics, languages)
    analytics = Analytics(ActivityStore(redis), FeedbackStore(redis), clock)
    knowledge = KnowledgeRepository(PROJECT_ROOT / "data" / "knowledge")
    identities = IdentityStore(redis)
    counted_desk = dataclasses.replace(desk, delivery=delivery)
    async with httpx.AsyncClient() as http:
        # Nothing listens on port 9: every message finds Rasa down at once.
        rasa = RasaClient(http, "http://127.0.0.1:9", Secret("unused"), 1.0, metrics)

        async def not_loading() -> bool:
            return False

        conversations = Conversations(
            rasa,
            delivery,
            counted_desk,
            dataclasses.replace(make_surveys(redis, SurveyClock(), chance=0.1), delivery=delivery),
            analytics,
            Notices(NoticeStore(redis), delivery, knowledge, clock),
            RateLimiter(redis, 1, 60),
            TEXTS,
            2000,
            not_loading,
            identities,
            Unanswered(
                desk=counted_desk,
                delivery=delivery,
                analytics=analytics,
                texts=TEXTS,
                requests=PersonRequests.load(PROJECT_ROOT / "data" / "support" / "person_requests.yml"),
                turns=BotTurns(redis),
                languages=languages,
                clock=clock,
            ),
            2.0,
            clock,
            metrics,
        )
        [apology] = await conversations.handle(Incoming("web-a", "web", "where is my parcel"))
        [limited] = await conversations.handle(Incoming("web-a", "web", "hello?"))
    assert (apology["text"], limited["text"]) == (TEXTS.get("utter_bot_unavailable"), TEXTS.get("utter_rate_limited"))
    assert (messages(metrics, "in"), messages(metrics, "out")) == (2.0, 2.0)
    # The fixed clock stands still: the apology went out 0 s after the message, as far as it can tell.
    assert value(metrics, "maru_reply_latency_seconds_count", channel="web") == 1.0
    assert value(metrics, "maru_rasa_errors_total", kind="connection") == 1.0
    assert value(metrics, "maru_rate_limit_hits_total", kind="message") == 1.0


async def test_ratings_are_counted_once_accepted(redis: fakeredis.FakeAsyncRedis) -> None:
    metrics = GatewayMetrics()
    surveys = dataclasses.replace(make_surveys(redis, SurveyClock(), chance=0.1), metrics=metrics)
    message_id = await answered(surveys)
    await surveys.handle("web-a", "web", f"/rate_answer:{message_id}:down")
    await surveys.handle("web-a", "web", f"/rate_answer:{message_id}:up")  # refused: rated already
    [question] = await surveys.ask("web-a", "web", "en")
    survey_id = question["buttons"][0]["payload"].split(":")[1]
    await surveys.handle("web-a", "web", f"/csat:{survey_id}:bot:2")
    assert value(metrics, "maru_ratings_total", kind="answer", value="down") == 1.0
    assert value(metrics, "maru_ratings_total", kind="answer", value="up") == 0.0
    assert value(metrics, "maru_ratings_total", kind="csat_bot", value="2") == 1.0


@pytest.mark.parametrize(
    ("failure", "outcome"),
    [(None, "done"), (ModelRefused("accuracy would drop"), "refused"), (TrainingFailed("exit 1"), "failed")],
)
async def test_retraining_jobs_are_counted_by_outcome(
    redis: fakeredis.FakeAsyncRedis,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    failure: Exception | None,
    outcome: str,
) -> None:
    metrics = GatewayMetrics()
    async with httpx.AsyncClient() as http:
        rasa = RasaClient(http, "http://127.0.0.1:9", Secret("unused"), 1.0)
        trainer = Trainer(TrainingStore(redis), rasa, PROJECT_ROOT, tmp_path, 0.02, "test", metrics)

        async def train(_: Path) -> None:
            return None

        async def check(_: Path, __: str) -> None:
            if failure is not None:
                raise failure

        async def swap(_: Path, __: str) -> None:
            return None

        monkeypatch.setattr(trainer, "_train", train)
        monkeypatch.setattr(trainer, "_check", check)
        monkeypatch.setattr(trainer, "_swap", swap)
        assert await trainer.run("sora") is not None
    outcomes = ("done", "unchanged", "refused", "failed")
    counts = {o: value(metrics, "maru_retrain_jobs_total", outcome=o) for o in outcomes}
    assert counts == {o: (1.0 if o == outcome else 0.0) for o in counts}


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("Bearer s3cret-metrics-token", True),
        ("bearer s3cret-metrics-token", True),
        ("Bearer  s3cret-metrics-token ", True),
        ("Bearer s3cret-metrics-toke", False),
        ("Bearer s3cret-metrics-token2", False),
        ("Basic s3cret-metrics-token", False),
        ("s3cret-metrics-token", False),
        ("Bearer ", False),
        ("", False),
        (None, False),
        # Header bytes that are not UTF-8, as the server reads them: a 500 until scripts/fuzz_gateway.py found it.
        ("Bearer \udcff\udcfe", False),
    ],
)
def test_the_metrics_token_must_be_given_as_a_bearer_token(header: str | None, accepted: bool) -> None:
    assert token_matches(header, Secret("s3cret-metrics-token")) is accepted


def test_the_exposition_never_names_a_conversation() -> None:
    metrics = GatewayMetrics()
    metrics.message_in("web-3f9a", "web-3f9a")
    metrics.rate_limited("message")
    assert "web-3f9a" not in metrics.exposition().decode()
    assert messages(metrics, "in", channel="other", language="other") == 1.0


REQUIRED = {
    "REDIS_URL": "redis://127.0.0.1:6390/0",
    "RASA_URL": "http://127.0.0.1:5005",
    "RASA_TOKEN": "rasa-token-of-at-least-32-bytes-long",
    "SESSION_SECRET": "session-secret-of-at-least-32-bytes",
}


def test_metrics_are_off_and_the_action_server_local_without_settings() -> None:
    settings = Settings.from_env(REQUIRED)
    assert (settings.metrics_token, settings.actions_url) == (None, "http://127.0.0.1:5055")


def test_the_metrics_token_is_a_secret_and_the_action_server_url_is_read() -> None:
    env = {**REQUIRED, "METRICS_TOKEN": " s3cret-metrics-token ", "ACTIONS_URL": "http://actions:5055/"}
    settings = Settings.from_env(env)
    assert settings.metrics_token == Secret("s3cret-metrics-token")
    assert "s3cret" not in repr(settings)
    assert settings.actions_url == "http://actions:5055"
