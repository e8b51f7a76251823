"""The language of each conversation, decided by the gateway from what the customer writes.

Every reply follows it: the bot's (passed to Rasa as ``metadata.language``, where it becomes the
``language`` slot), the gateway's own texts, the widget's labels, surveys and the handoff. The
rules are in ``support/language.py``; the first message decides, helped by the channel's hint
(browser or Telegram language) when it has no letters, and only a clear message switches.
"""

from __future__ import annotations

from redis.asyncio import Redis

from support.language import languages

KEY = "language:{conversation}"
RETENTION_SECONDS = 90 * 24 * 3600


class ConversationLanguages:
    """Per conversation: the language the customer is served in."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def get(self, conversation: str) -> str:
        """The conversation's language (the default before the customer's first message)."""
        return await self.stored(conversation) or languages().default

    async def follow(self, conversation: str, text: str, hint: str | None = None) -> tuple[str, bool]:
        """The language after the customer wrote ``text``, and whether it changed."""
        current = await self.stored(conversation)
        language = languages().follow(current, text, hint)
        await self._redis.set(KEY.format(conversation=conversation), language, ex=RETENTION_SECONDS)
        return language, language != (current or languages().default)

    async def forget(self, conversation: str) -> None:
        """Erases the record (the customer deleted their data)."""
        await self._redis.delete(KEY.format(conversation=conversation))

    async def stored(self, conversation: str) -> str | None:
        """The conversation's language, if the customer wrote or the channel hinted one yet."""
        value = await self._redis.get(KEY.format(conversation=conversation))
        return value.decode() if isinstance(value, bytes) else value
