"""Marks each message with the language it is written in, so later components read it in that language.

A message with no language of its own (an order number, an emoji) takes the conversation's
language, which the gateway passes in the message metadata; without it, the default language.
Training examples with no language (``10421``) are left unmarked: every language learns them.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from support.language import languages

LANGUAGE = "language"
METADATA = "metadata"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class LanguageDetector(GraphComponent):
    """Sets the ``language`` property of every message (data/languages.yml)."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        """Creates the detector; it has nothing to train."""
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Marks the training examples that have a language."""
        for example in training_data.training_examples:
            language = languages().detect(example.get(TEXT) or "")
            if language is not None:
                example.set(LANGUAGE, language)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Marks every incoming message, and reports its language in the parse result."""
        for message in messages:
            message.set(LANGUAGE, language_of_message(message), add_to_output=True)
        return messages


def language_of_message(message: Message) -> str:
    """The message's own language, else the conversation's (from the metadata), else the default."""
    own = languages().detect(message.get(TEXT) or "")
    if own is not None:
        return own
    conversation = (message.get(METADATA) or {}).get(LANGUAGE)
    return conversation if conversation in languages().codes else languages().default


def example_languages(message: Message) -> list[str]:
    """The languages a training example teaches: its own, or all of them when it has none."""
    language = message.get(LANGUAGE)
    return [language] if language else languages().codes
