"""Gives empty and oversized messages an intent of their own, so they get a clear answer.

Without it an empty message gets no reply at all, and a huge one is classified as if
it were a normal question. Runs after the classifiers and overrides their result.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

EMPTY_MESSAGE = "empty_message"
MESSAGE_TOO_LONG = "message_too_long"
GUARD_INTENTS = (EMPTY_MESSAGE, MESSAGE_TOO_LONG)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class InputGuard(GraphComponent):
    """Marks blank messages and messages longer than ``max_characters``."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The longest message read as a question."""
        return {"max_characters": 2000}

    def __init__(self, config: dict[str, Any]) -> None:
        self._max_characters = int(config["max_characters"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> InputGuard:
        """Creates the guard; it has nothing to train."""
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        """Overrides the intent of blank or oversized messages."""
        for message in messages:
            intent = self.guard_intent(message.get(TEXT) or "")
            if intent is not None:
                message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": 1.0}], add_to_output=True)
        return messages

    def guard_intent(self, text: str) -> str | None:
        """The guard intent for this text, if it needs one."""
        if not text.strip():
            return EMPTY_MESSAGE
        if len(text) > self._max_characters:
            return MESSAGE_TOO_LONG
        return None
