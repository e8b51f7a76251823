"""Proactive notices: shown at the start of a chat and with matching topics, once, only while active."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import fakeredis
import pytest

from bot.delivery import Delivery
from bot.notices import Notices
from bot.settings import PROJECT_ROOT
from bot.store.deliveries import DeliveryQueue
from bot.store.notices import Notice, NoticeChanged, NoticeStore
from bot.store.outbox import Outbox
from bot.store.transcripts import TranscriptStore
from knowledge import KnowledgeRepository

NOW = 1_795_000_000.0
JEJU = Notice(
    "",
    "Deliveries to Jeju are delayed 2 days by the storm.",
    "en",
    ["shipping", "delivery_times"],
    NOW - 60,
    NOW + 3600,
    "dara",
)
LATER = Notice("", "Our warehouse closes on Friday.", "en", ["orders"], NOW + 3600, NOW + 7200, "dara")


@pytest.fixture
async def notices() -> AsyncIterator[Notices]:
    redis = fakeredis.FakeAsyncRedis()
    store = NoticeStore(redis)
    await store.publish(JEJU)
    await store.publish(LATER)
    knowledge = KnowledgeRepository(PROJECT_ROOT / "data" / "knowledge")
    yield Notices(
        store,
        Delivery(TranscriptStore(redis), Outbox(redis, redis), DeliveryQueue(redis), lambda: NOW),
        knowledge,
        lambda: NOW,
    )
    await redis.close()


async def test_a_chat_starts_with_the_active_notices_once(notices: Notices) -> None:
    [shown] = await notices.at_start("web-a", "web", "en")
    assert shown["text"] == JEJU.text
    assert await notices.at_start("web-a", "web", "en") == []
    assert await notices.at_start("web-a", "web", "ko") == []


@pytest.mark.parametrize(
    ("reply", "shown"),
    [
        ({"text": "…", "faq_id": "shipping_cost", "language": "en"}, [JEJU.text]),  # a shipping FAQ
        ({"text": "…", "utter_action": "utter_order_status_shipped", "language": "en"}, [JEJU.text]),
        ({"text": "…", "faq_id": "account_create", "language": "en"}, []),  # another topic
        ({"text": "…", "utter_action": "utter_greet"}, []),
    ],
)
async def test_a_matching_topic_brings_up_the_notice(notices: Notices, reply: dict[str, str], shown: list[str]) -> None:
    assert [event["text"] for event in await notices.for_reply("web-b", "web", reply)] == shown


async def test_the_topics_of_replies(notices: Notices) -> None:
    assert notices.topics_of({"faq_id": "shipping_cost", "language": "en"}) == {"shipping"}
    assert notices.topics_of({"faq_id": "retired", "language": "en"}) == set()
    assert notices.topics_of({"utter_action": "utter_order_status_late"}) == {"delivery_times", "shipping", "orders"}


async def test_a_notice_is_edited_only_from_the_version_read() -> None:
    redis = fakeredis.FakeAsyncRedis()
    store = NoticeStore(redis)
    read = await store.publish(JEJU)
    edited = replace(read, text="Deliveries to Jeju are delayed 3 days.", author="joon")
    assert edited.version != read.version
    assert await store.update(edited, read.version) == edited
    assert await store.all() == [edited]

    with pytest.raises(NoticeChanged) as changed:
        await store.update(replace(read, text="Deliveries to Jeju are delayed 1 day."), read.version)
    assert changed.value.current == edited
    with pytest.raises(NoticeChanged) as withdrawing:
        await store.withdraw(read.id, read.version)
    assert withdrawing.value.current == edited
    assert await store.all() == [edited]

    assert await store.withdraw(read.id, edited.version) is True
    assert await store.withdraw(read.id, edited.version) is False
    with pytest.raises(NoticeChanged) as gone:
        await store.update(edited, edited.version)
    assert gone.value.current is None
    assert await store.all() == []
    await redis.close()
