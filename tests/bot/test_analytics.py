"""What the dashboard and the editors' inbox learn from each bot reply."""

from __future__ import annotations

import fakeredis

from bot.analytics import Analytics
from bot.store.activity import ActivityStore
from bot.store.feedback import FeedbackStore

MONDAY_NOON_KST = 1_795_402_800.0  # 2026-11-23 12:00 in Seoul (03:00 UTC)


async def test_a_misunderstood_question_reaches_the_inbox_redacted() -> None:
    redis = fakeredis.FakeAsyncRedis()
    analytics = Analytics(ActivityStore(redis), FeedbackStore(redis), lambda: MONDAY_NOON_KST)
    reply = {"text": "Did you mean…", "utter_action": "utter_did_you_mean", "language": "en"}
    await analytics.bot_replied("web-a", "web", reply, "pay by sea shells? ring 010-2345-6789")
    assert await redis.zrange("unanswered:2026-11-23|web|en", 0, -1, withscores=True) == [
        (b"pay by sea shells? ring [phone]", 1.0)
    ]


async def test_an_empathy_reply_counts_its_trigger_and_an_answer_serves_the_session() -> None:
    redis = fakeredis.FakeAsyncRedis()
    analytics = Analytics(ActivityStore(redis), FeedbackStore(redis), lambda: MONDAY_NOON_KST)
    await analytics.customer_wrote("web-b", "web", "en")
    await analytics.bot_replied("web-b", "web", {"utter_action": "utter_empathy_late_order"}, "where is it!!")
    await analytics.bot_replied("web-b", "web", {"faq_id": "shipping_cost", "language": "en"}, "postage?")
    assert await redis.hgetall("stats:2026-11-23") == {b"frustration|web|en|late_order": b"1"}
    assert await redis.hget("activity:web-b", "answered") == b"1"


async def test_open_sessions_are_counted_until_they_close_after_30_quiet_minutes() -> None:
    redis = fakeredis.FakeAsyncRedis()
    now = [MONDAY_NOON_KST]
    analytics = Analytics(ActivityStore(redis), FeedbackStore(redis), lambda: now[0])
    await analytics.customer_wrote("web-a", "web", "en")
    await analytics.customer_wrote("web-b", "web", "en")
    assert await analytics.activity.open_count() == 2
    now[0] += 31 * 60
    await analytics.customer_wrote("web-b", "web", "en")
    assert await analytics.close_quiet_sessions() == 1
    assert await analytics.activity.open_count() == 1
