"""Shared fixtures of the gateway tests: a fixed clock and the help desk on fake Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import fakeredis
import httpx
import pytest

from bot.analytics import Analytics
from bot.delivery import Delivery
from bot.handoff import Desk
from bot.rasa import RasaClient
from bot.settings import PROJECT_ROOT, Secret
from bot.store.activity import ActivityStore
from bot.store.callbacks import CallbackStore
from bot.store.deliveries import DeliveryQueue
from bot.store.feedback import FeedbackStore
from bot.store.handoffs import HandoffStore
from bot.store.languages import ConversationLanguages
from bot.store.notes import NoteStore
from bot.store.outbox import Outbox
from bot.store.presence import Presence
from bot.store.transcripts import TranscriptStore
from bot.support import SupportConfig
from bot.texts import Texts

MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Seoul")).timestamp()
TEXTS = Texts.load(PROJECT_ROOT / "domain.yml")


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_10AM)


@pytest.fixture
async def desk(clock: Clock, redis: fakeredis.FakeAsyncRedis) -> AsyncIterator[Desk]:
    outbox = Outbox(redis, redis)
    async with httpx.AsyncClient() as http:
        yield Desk(
            handoffs=HandoffStore(redis),
            presence=Presence(redis, 30),
            callbacks=CallbackStore(redis),
            notes=NoteStore(redis),
            delivery=Delivery(TranscriptStore(redis), outbox, DeliveryQueue(redis), clock),
            outbox=outbox,
            # These paths never call Rasa; an unreachable address proves it.
            rasa=RasaClient(http, "http://127.0.0.1:9", Secret("unused"), 1),
            texts=TEXTS,
            languages=ConversationLanguages(redis),
            config=SupportConfig.load(),
            analytics=Analytics(ActivityStore(redis), FeedbackStore(redis), clock),
            clock=clock,
        )
