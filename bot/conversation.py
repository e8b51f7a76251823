"""What happens to a customer message on any channel: checks, transcript, Rasa, delivery."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError

from bot.rasa import RasaClient, RasaUnavailable
from bot.rendering import segments
from bot.store.limits import RateLimiter
from bot.store.outbox import Outbox
from bot.store.transcripts import Entry, TranscriptStore
from bot.texts import Texts

BOT_MESSAGE_META = ("faq_id", "language", "utter_action")


class StoreUnavailable(RuntimeError):
    """Redis could not be reached."""


@dataclass(frozen=True)
class Incoming:
    """A customer message: what to send to Rasa and what to show in the transcript."""

    conversation: str
    channel: str
    text: str
    shown_text: str | None = None
    metadata: dict[str, Any] | None = None
    client_id: str | None = None


def outgoing(role: str, text: str, buttons: list[dict[str, str]] | None = None, **meta: Any) -> dict[str, Any]:
    """A message event as channels deliver it."""
    return {
        "type": "message",
        "id": uuid.uuid4().hex,
        "role": role,
        "text": text,
        "segments": segments(text),
        "buttons": buttons or [],
        "ts": time.time(),
        **meta,
    }


class Conversations:
    """Runs customer messages through the assistant and delivers the answers."""

    def __init__(
        self,
        rasa: RasaClient,
        transcripts: TranscriptStore,
        outbox: Outbox,
        limiter: RateLimiter,
        texts: Texts,
        max_chars: int,
    ) -> None:
        self._rasa = rasa
        self._transcripts = transcripts
        self._outbox = outbox
        self._limiter = limiter
        self._texts = texts
        self._max_chars = max_chars

    def system(self, response: str) -> dict[str, Any]:
        """A message written by the gateway itself, from the domain's responses."""
        return outgoing("bot", self._texts.get(response))

    def refusal(self, text: str) -> dict[str, Any] | None:
        """The reply to a message that must not reach Rasa, if it is one."""
        if not text.strip():
            return self.system("utter_empty_message")
        if len(text) > self._max_chars:
            return self.system("utter_message_too_long")
        return None

    async def handle(self, message: Incoming) -> list[dict[str, Any]]:
        """Processes one customer message and returns the messages delivered in reply.

        Raises:
            StoreUnavailable: Redis is down; nothing was stored or sent.
        """
        try:
            refused = self.refusal(message.text)
            if refused is not None:
                return [await self._notify(message.conversation, refused)]
            if not await self._limiter.allow(message.conversation):
                return [await self._notify(message.conversation, self.system("utter_rate_limited"))]
            return await self._converse(message)
        except RedisError as error:
            raise StoreUnavailable(str(error)) from error

    async def _notify(self, conversation: str, event: dict[str, Any]) -> dict[str, Any]:
        """Delivers a gateway notice without storing it in the transcript."""
        await self._outbox.publish(conversation, event)
        return event

    async def _converse(self, message: Incoming) -> list[dict[str, Any]]:
        conversation = message.conversation
        shown = message.shown_text or message.text
        stored = await self._transcripts.append(conversation, Entry("customer", shown, message.channel))
        await self._outbox.publish(conversation, {**outgoing("customer", stored.text), "client_id": message.client_id})
        await self._outbox.publish(conversation, {"type": "typing", "on": True})
        try:
            replies = await self._rasa.send(
                conversation, message.text, {**(message.metadata or {}), "channel": message.channel}
            )
        except RasaUnavailable:
            replies = [{"text": self._texts.get("utter_gateway_unavailable")}]
        delivered = [
            await self._deliver(conversation, message.channel, reply) for reply in replies if reply.get("text")
        ]
        if any((reply.get("custom") or {}).get("erase_conversation") for reply in replies):
            await self._transcripts.delete(conversation)
        await self._outbox.publish(conversation, {"type": "typing", "on": False})
        return delivered

    async def _deliver(self, conversation: str, channel: str, reply: dict[str, Any]) -> dict[str, Any]:
        buttons = [
            {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))} for b in reply.get("buttons") or []
        ]
        meta = {key: reply[key] for key in BOT_MESSAGE_META if reply.get(key)}
        await self._transcripts.append(conversation, Entry("bot", reply["text"], channel, buttons=buttons, meta=meta))
        event = outgoing("bot", reply["text"], buttons, **meta)
        await self._outbox.publish(conversation, event)
        return event
