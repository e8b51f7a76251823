"""Which notices a customer should see now: at the start of a chat, and when a matching topic comes up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.delivery import Delivery, outgoing
from bot.store.notices import Notice, NoticeStore
from knowledge import KnowledgeRepository

# Replies that are about a topic without being an FAQ answer: order status is about delivery.
ACTION_TOPICS = {"utter_order_status_": ("delivery_times", "shipping", "orders")}


@dataclass
class Notices:
    """Adds the current notices to the bot's replies, each once per conversation."""

    store: NoticeStore
    delivery: Delivery
    knowledge: KnowledgeRepository
    clock: Callable[[], float]

    async def at_start(self, conversation: str, channel: str, language: str) -> list[dict[str, Any]]:
        """Every active notice, for a chat that is just starting."""
        return await self._show(conversation, channel, await self._active(language))

    async def for_reply(self, conversation: str, channel: str, reply: dict[str, Any]) -> list[dict[str, Any]]:
        """The active notices about the topic of the bot's reply."""
        topics = self.topics_of(reply)
        if not topics:
            return []
        language = str(reply.get("language") or "en")
        matching = [n for n in await self._active(language) if set(n.topics) & topics]
        return await self._show(conversation, channel, matching)

    def topics_of(self, reply: dict[str, Any]) -> set[str]:
        """The knowledge topics a reply is about."""
        if reply.get("faq_id"):
            faq = self.knowledge.current().get(str(reply["faq_id"]), str(reply.get("language") or "en"))
            return {faq.topic} if faq else set()
        action = str(reply.get("utter_action") or "")
        return {topic for prefix, topics in ACTION_TOPICS.items() if action.startswith(prefix) for topic in topics}

    async def _active(self, language: str) -> list[Notice]:
        now = self.clock()
        return [n for n in await self.store.all() if n.active(now) and n.language == language]

    async def _show(self, conversation: str, channel: str, notices: list[Notice]) -> list[dict[str, Any]]:
        shown = []
        for notice in notices:
            if await self.store.first_sight(conversation, notice.id):
                event = {**outgoing("bot", notice.text), "notice_id": notice.id}
                shown.append(await self.delivery.record(conversation, channel, event))
        return shown
