"""GET /metrics on a real gateway: the token, and every counter moving by what a scripted chat with a handoff did.

The chat runs on a gateway instance of its own, so what other tests' conversations do
meanwhile can't move its counters: it has no Telegram, and its timed work never asks
other tests' idle customers for a rating or offers their queued chats a callback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import yaml
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from bot.channels.web_client import WebCustomer
from bot.console.client import ConsoleAgent
from bot.store.presence import ONLINE
from bot.texts import Texts
from tests.integration.stack import ROOT, Stack, free_port

pytestmark = pytest.mark.integration
TEXTS = Texts.load(ROOT / "domain.yml")
TOKEN = "integration-metrics-token"
PASSWORD = "integration-password"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(scope="module")
def gateway(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A gateway with METRICS_TOKEN whose timed work leaves other tests' conversations alone."""
    folder = tmp_path_factory.mktemp("metrics")
    feedback = yaml.safe_load((ROOT / "data" / "support" / "feedback.yml").read_text(encoding="utf-8"))
    feedback["csat"]["inactivity_minutes"] = 24 * 60
    support = yaml.safe_load((ROOT / "tests" / "data" / "support_always_open.yml").read_text(encoding="utf-8"))
    support["queue"]["unclaimed_offer_minutes"] = 24 * 60
    (folder / "feedback.yml").write_text(yaml.safe_dump(feedback), encoding="utf-8")
    (folder / "support.yml").write_text(yaml.safe_dump(support), encoding="utf-8")
    port = free_port()
    stack.start_gateway(
        name="gateway-metrics",
        GATEWAY_PORT=str(port),
        TELEGRAM_TOKEN="",
        METRICS_TOKEN=TOKEN,
        FEEDBACK_FILE=str(folder / "feedback.yml"),
        SUPPORT_FILE=str(folder / "support.yml"),
    )
    yield f"http://127.0.0.1:{port}"
    stack.stop("gateway-metrics")


def scrape(gateway: str) -> Samples:
    response = httpx.get(f"{gateway}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE_LATEST
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def sample(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return sample(after, name, **labels) - sample(before, name, **labels)


def test_metrics_need_the_token_and_are_not_served_without_the_setting(stack: Stack, gateway: str) -> None:
    # The stack's own gateway runs without METRICS_TOKEN.
    assert httpx.get(f"{stack.gateway_url}/metrics", timeout=5).status_code == 404
    missing = httpx.get(f"{gateway}/metrics", timeout=5)
    wrong = httpx.get(f"{gateway}/metrics", headers={"Authorization": f"Bearer {TOKEN}x"}, timeout=5)
    assert (missing.status_code, wrong.status_code) == (401, 401)
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "maru_" not in missing.text + wrong.text


async def test_a_chat_with_a_handoff_moves_each_metric_by_what_happened(
    stack: Stack, gateway: str, queue_left_as_found: None
) -> None:
    stack.add_user("hana", "agent", "Hana")
    redis.Redis.from_url(stack.redis_url).delete(ONLINE)  # no console of an earlier test counts as online
    before = scrape(gateway)
    agent = ConsoleAgent(gateway)
    await agent.login("hana", PASSWORD)
    await agent.open_socket()
    customer = WebCustomer(gateway)
    await customer.connect()
    received: list[dict[str, Any]] = []

    turn = await customer.say("what do you charge for postage")
    received += turn
    [answer] = [m for m in turn if m.get("faq_id")]
    assert answer["faq_id"] == "shipping_cost"
    thumbs_up = next(b["payload"] for b in answer["buttons"] if b["payload"].endswith(":up"))
    thanks = await customer.press(thumbs_up)
    received += thanks
    assert [m["text"] for m in thanks] == [TEXTS.get("utter_rating_thanks")]
    turn = await customer.say("can I speak to an agent")
    received += turn
    assert turn[0]["text"] == TEXTS.get("utter_handoff")
    conversation = (await agent.wait_for(lambda e: e.get("event") == "queued"))["conversation"]
    queued = scrape(gateway)

    assert (await agent.post(f"/console/api/conversations/{conversation}/claim")).status_code == 200
    received.append(await customer.next_message("notice"))
    await agent.post(f"/console/api/conversations/{conversation}/reply", {"text": "Hi, I'm Hana."})
    received.append(await customer.next_message("agent"))
    assert (await agent.post(f"/console/api/conversations/{conversation}/resolve")).status_code == 200
    received.append(await customer.next_message("notice"))
    rating = await customer.next_message("bot")
    received.append(rating)
    assert rating["text"] == TEXTS.get("utter_csat_question_agent").format(agent="Hana")
    received += await customer.press(next(b["payload"] for b in rating["buttons"] if b["payload"].endswith(":3")))
    after = scrape(gateway)
    await customer.close()
    await agent.close(log_out=True)

    web_en = {"channel": "web", "language": "en"}
    # In: the question, the thumbs-up, the request for a person and the agent's rating.
    assert moved(before, after, "maru_messages_total", direction="in", **web_en) == 4
    # Out: everything the customer was sent (the answer, thanks, the handoff and queue place, the agent's
    # joined notice and message, resolved notice, both rating questions).
    assert len(received) >= 9
    assert moved(before, after, "maru_messages_total", direction="out", **web_en) == len(received)
    web_ko = {"channel": "web", "language": "ko"}
    assert [moved(before, after, "maru_messages_total", direction=d, **web_ko) for d in ("in", "out")] == [0, 0]
    # Two messages the assistant answered (the buttons were answered by the gateway's surveys).
    assert moved(before, after, "maru_reply_latency_seconds_count", channel="web") == 2
    assert 0 < moved(before, after, "maru_reply_latency_seconds_sum", channel="web") < 2 * 5
    assert moved(before, after, "maru_rasa_replies_total") == 2
    assert sum(moved(before, after, "maru_rasa_errors_total", kind=k) for k in ("timeout", "connection")) == 0
    assert moved(before, after, "maru_ratings_total", kind="answer", value="up") == 1
    assert moved(before, after, "maru_ratings_total", kind="csat_agent", value="3") == 1
    assert moved(before, after, "maru_redis_errors_total", area="conversation") == 0
    # The queue: one more while the customer waited, back to where it was once Hana claimed the chat.
    assert sample(queued, "maru_queue_length") == sample(before, "maru_queue_length") + 1
    assert sample(queued, "maru_queue_oldest_wait_seconds") >= 0
    assert sample(after, "maru_queue_length") == sample(before, "maru_queue_length")
    assert (sample(before, "maru_agents_online"), sample(queued, "maru_agents_online")) == (0, 1)


def test_the_gateway_logs_json_lines_without_what_customers_wrote(stack: Stack, gateway: str) -> None:
    log = Path(stack.workdir / "gateway-metrics.log").read_text(encoding="utf-8")
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]
    assert lines, "the gateway logged nothing"
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert "postage" not in log
