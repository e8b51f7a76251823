"""Rasa's FallbackClassifier with a threshold and a margin per language.

Each language's classifiers spread their confidence differently (another sentence encoder,
other training data), so each language's fallback is chosen on its own validation half
(scripts/calibrate_oos.py, docs/nlu.md). A setting given as a number holds for every language.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.training_data.message import Message

from addons.language_detector import LANGUAGE
from addons.linear_classifiers import for_language
from support.language import languages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class LanguageFallbackClassifier(FallbackClassifier):
    """Falls back by the thresholds of the message's language."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self._by_language = {code: for_language(config, code) for code in languages().codes}

    def process(self, messages: list[Message]) -> list[Message]:
        """Applies each message's language's threshold and margin."""
        for message in messages:
            language = message.get(LANGUAGE) or languages().default
            self.component_config = self._by_language.get(language, self._by_language[languages().default])
            super().process([message])
        return messages
